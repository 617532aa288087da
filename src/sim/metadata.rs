//! The ECS instance metadata service, as much of it as RAM-role credentials need: a session
//! token (`PUT /latest/api/token`, the hardened "IMDSv2" mode), the instance's RAM role name,
//! and that role's temporary credentials, issued by the simulated STS (so the simulated APIs
//! accept them, and they expire on its clock).
//!
//! It is its own listener (`sim serve --metadata-listen`), plain HTTP as the real one at
//! `100.100.100.200:80`, with the API listener's connection cap and header deadline. The seed's
//! `[metadata]` table names the role and whether tokens are required.
//!
//! Tokens are not stored: a token is its expiry plus a keyed MAC of it, so any number of
//! clients cost no memory and a forged or stale token is refused by arithmetic.
//!
//! Statuses where the real service is undocumented: a missing or bad token when tokens are
//! required, or a bad token at any time, is 401; a TTL outside 1–21600 s (or none) is 400;
//! an unknown path or role is 404; a method other than GET (PUT for the token) is 405.

use super::auth::constant_time_eq;
use super::sts::{NewCredentials, Sts};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use serde::Deserialize;
use sha2::Sha256;
use std::sync::{Mutex, PoisonError};

/// Header that asks for a token and says how long it lives, in seconds.
pub const TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
/// Header that carries the token.
pub const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
/// Allowed token lifetimes, in seconds.
pub const TTL_RANGE: std::ops::RangeInclusive<u64> = 1..=21_600;
/// Lifetime of the role credentials by default: the documented samples show six hours
/// between `LastUpdated` and `Expiration`.
pub const DEFAULT_CREDENTIAL_SECONDS: u32 = 21_600;
/// Bounds of `credential_seconds` in the seed: STS's own session bounds, 15 min to 12 h.
pub const CREDENTIAL_SECONDS_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;

const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
/// Longest token header looked at; a real token is far shorter.
const MAX_TOKEN_LEN: usize = 256;

/// Whether the instance answers without a token (`HttpTokens` in ECS's API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpTokens {
    /// Tokens are accepted but not needed (IMDSv1 still works).
    #[default]
    Optional,
    /// Hardened mode: every metadata read needs a token.
    Required,
}

/// The metadata service of the simulated instance, from the seed's `[metadata]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The instance's RAM role; `None` when it has none.
    pub ram_role: Option<String>,
    pub http_tokens: HttpTokens,
    /// How long each set of role credentials lives.
    pub credential_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ram_role: None,
            http_tokens: HttpTokens::Optional,
            credential_seconds: DEFAULT_CREDENTIAL_SECONDS,
        }
    }
}

/// The running service: its settings, the key that signs tokens, and the role's current
/// credentials.
pub struct Metadata {
    settings: Settings,
    token_key: [u8; 32],
    current: Mutex<Option<Held>>,
}

impl std::fmt::Debug for Metadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metadata")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The role credentials handed out now, and when they were issued (`LastUpdated`).
#[derive(Clone)]
struct Held {
    credentials: NewCredentials,
    issued_at: DateTime<Utc>,
}

/// A request as the service sees it; the body is never read (no path takes one).
pub struct Request<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub headers: &'a HeaderMap,
}

impl Metadata {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            token_key: rand::random(),
            current: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Answers one request at `now`; role credentials are issued by `sts`.
    pub fn handle(
        &self,
        req: &Request<'_>,
        now: DateTime<Utc>,
        sts: &Mutex<Sts>,
    ) -> Response<Full<Bytes>> {
        let answer = if req.path == TOKEN_PATH {
            self.token(req, now)
        } else if let Some(rest) = role_path(req.path) {
            self.authorized(req, now)
                .and_then(|()| self.role(rest, now, sts))
        } else {
            Err(Failure::NotFound)
        };
        match answer {
            Ok((content_type, body)) => reply(StatusCode::OK, content_type, body),
            Err(failure) => {
                tracing::info!(path = %req.path.escape_debug(), ?failure, "metadata refused");
                let (status, text) = failure.status_and_text();
                reply(status, "text/plain", text.into())
            }
        }
    }

    /// `PUT /latest/api/token`: a token for the TTL asked.
    fn token(&self, req: &Request<'_>, now: DateTime<Utc>) -> Answer {
        if req.method != Method::PUT {
            return Err(Failure::Method);
        }
        let ttl = req
            .headers
            .get(TTL_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ttl| TTL_RANGE.contains(ttl))
            .ok_or(Failure::BadTtl)?;
        let expires = now.timestamp().saturating_add_unsigned(ttl);
        Ok(("text/plain", self.token_for(expires).into()))
    }

    fn token_for(&self, expires: i64) -> String {
        format!("{expires}.{}", self.mac(expires))
    }

    fn mac(&self, expires: i64) -> String {
        // HMAC takes a key of any length; this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.token_key) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(&expires.to_be_bytes());
        const_hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Whether the token (if any) admits the request: a token that is sent must be valid; none
    /// is needed unless tokens are required.
    fn authorized(&self, req: &Request<'_>, now: DateTime<Utc>) -> Result<(), Failure> {
        if req.method != Method::GET {
            return Err(Failure::Method);
        }
        let Some(token) = req.headers.get(TOKEN_HEADER) else {
            return match self.settings.http_tokens {
                HttpTokens::Optional => Ok(()),
                HttpTokens::Required => Err(Failure::TokenMissing),
            };
        };
        let token = token
            .to_str()
            .ok()
            .filter(|t| t.len() <= MAX_TOKEN_LEN)
            .ok_or(Failure::TokenInvalid)?;
        let (expires, mac) = token.split_once('.').ok_or(Failure::TokenInvalid)?;
        let expires: i64 = expires.parse().map_err(|_| Failure::TokenInvalid)?;
        let expected = self.mac(expires);
        if expected.is_empty() || !constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
            return Err(Failure::TokenInvalid);
        }
        if expires <= now.timestamp() {
            return Err(Failure::TokenExpired);
        }
        Ok(())
    }

    /// The role name (`rest` empty) or the role's credentials.
    fn role(&self, rest: &str, now: DateTime<Utc>, sts: &Mutex<Sts>) -> Answer {
        let role = self.settings.ram_role.as_deref().ok_or(Failure::NotFound)?;
        if rest.is_empty() {
            return Ok(("text/plain", role.to_string().into()));
        }
        if rest != role {
            return Err(Failure::NotFound);
        }
        let held = self.credentials(role, now, sts).ok_or(Failure::NotFound)?;
        let body = serde_json::json!({
            "AccessKeyId": held.credentials.access_key_id,
            "AccessKeySecret": held.credentials.access_key_secret,
            "SecurityToken": held.credentials.security_token,
            "Expiration": wire_time(held.credentials.expiration),
            "LastUpdated": wire_time(held.issued_at),
            "Code": "Success",
        });
        Ok(("application/json", body.to_string().into()))
    }

    /// The role's credentials, issued afresh once half their life has passed (as the real
    /// service rotates them well before they expire); `None` if STS has no such role.
    fn credentials(&self, role: &str, now: DateTime<Utc>, sts: &Mutex<Sts>) -> Option<Held> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let seconds = self.settings.credential_seconds;
        let half = chrono::Duration::seconds(i64::from(seconds / 2));
        if let Some(held) = current.as_ref()
            && now >= held.issued_at
            && now < held.issued_at + half
        {
            return Some(held.clone());
        }
        let fresh = sts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .issue_instance_role(role, seconds, now)?;
        let held = Held {
            credentials: fresh,
            issued_at: now,
        };
        *current = Some(held.clone());
        Some(held)
    }
}

type Answer = Result<(&'static str, Bytes), Failure>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    NotFound,
    Method,
    BadTtl,
    TokenMissing,
    TokenInvalid,
    TokenExpired,
}

impl Failure {
    fn status_and_text(self) -> (StatusCode, &'static str) {
        match self {
            Self::NotFound => (StatusCode::NOT_FOUND, "Not Found\n"),
            Self::Method => (StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n"),
            Self::BadTtl => (
                StatusCode::BAD_REQUEST,
                "X-aliyun-ecs-metadata-token-ttl-seconds must be a whole number from 1 to 21600\n",
            ),
            Self::TokenMissing => (
                StatusCode::UNAUTHORIZED,
                "this instance requires a metadata token (X-aliyun-ecs-metadata-token)\n",
            ),
            Self::TokenInvalid => (StatusCode::UNAUTHORIZED, "invalid metadata token\n"),
            Self::TokenExpired => (StatusCode::UNAUTHORIZED, "the metadata token has expired\n"),
        }
    }
}

/// What follows the credentials path: `""` for the role name, else the role asked for. The
/// path without its trailing slash lists the role too.
fn role_path(path: &str) -> Option<&str> {
    if path == CREDENTIALS_PATH.trim_end_matches('/') {
        return Some("");
    }
    path.strip_prefix(CREDENTIALS_PATH)
}

/// `2017-11-01T05:20:01Z`: whole seconds, as every client library parses it.
fn wire_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::super::sts::{Directory, Role};
    use super::*;

    fn service(tokens: HttpTokens) -> Metadata {
        Metadata::new(Settings {
            ram_role: Some("builder".into()),
            http_tokens: tokens,
            credential_seconds: 3600,
        })
    }

    fn call(
        m: &Metadata,
        method: Method,
        path: &str,
        headers: &[(&'static str, &str)],
        now: DateTime<Utc>,
        sts: &Mutex<Sts>,
    ) -> (u16, String) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let response = m.handle(
            &Request {
                method: &method,
                path,
                headers: &map,
            },
            now,
            sts,
        );
        let status = response.status().as_u16();
        let body =
            futures::executor::block_on(http_body_util::BodyExt::collect(response.into_body()))
                .unwrap()
                .to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    /// STS knowing the role `builder`.
    fn sts() -> Mutex<Sts> {
        let role = Role {
            arn: "acs:ram::1:role/builder".into(),
            role_id: "3001".into(),
            max_session_seconds: 3600,
            trusted_keys: Vec::new(),
            trusted_roles: Vec::new(),
            trusted_oidc: Vec::new(),
            external_id: None,
            policy: None,
        };
        let directory = Directory {
            account_id: 1,
            roles: vec![role],
            oidc_providers: Vec::new(),
        };
        Mutex::new(Sts::new(directory, 7))
    }

    #[test]
    fn tokens_are_checked_by_mac_and_time() {
        let m = service(HttpTokens::Required);
        let sessions = sts();
        let now = Utc::now();
        let list = "/latest/meta-data/ram/security-credentials/";
        for ttl in ["0", "21601", "x", "-1"] {
            let (status, _) = call(
                &m,
                Method::PUT,
                TOKEN_PATH,
                &[(TTL_HEADER, ttl)],
                now,
                &sessions,
            );
            assert_eq!(status, 400, "ttl {ttl}");
        }
        assert_eq!(
            call(&m, Method::PUT, TOKEN_PATH, &[], now, &sessions).0,
            400
        );
        assert_eq!(
            call(
                &m,
                Method::GET,
                TOKEN_PATH,
                &[(TTL_HEADER, "60")],
                now,
                &sessions
            )
            .0,
            405
        );
        let (status, token) = call(
            &m,
            Method::PUT,
            TOKEN_PATH,
            &[(TTL_HEADER, "60")],
            now,
            &sessions,
        );
        assert_eq!(status, 200);
        assert_eq!(call(&m, Method::GET, list, &[], now, &sessions).0, 401);
        let with = [(TOKEN_HEADER, token.as_str())];
        assert_eq!(
            call(&m, Method::GET, list, &with, now, &sessions),
            (200, "builder".into())
        );
        let later = now + chrono::Duration::seconds(61);
        assert_eq!(call(&m, Method::GET, list, &with, later, &sessions).0, 401);
        // A token from another run (another key), or edited, is refused.
        let forged = format!("{}.{}", now.timestamp() + 600, "0".repeat(32));
        assert_eq!(
            call(
                &m,
                Method::GET,
                list,
                &[(TOKEN_HEADER, &forged)],
                now,
                &sessions
            )
            .0,
            401
        );
        let other = service(HttpTokens::Required);
        let (_, foreign) = call(
            &other,
            Method::PUT,
            TOKEN_PATH,
            &[(TTL_HEADER, "60")],
            now,
            &sessions,
        );
        assert_eq!(
            call(
                &m,
                Method::GET,
                list,
                &[(TOKEN_HEADER, &foreign)],
                now,
                &sessions
            )
            .0,
            401
        );
    }

    #[test]
    fn credentials_are_issued_rotated_and_recorded() {
        let m = service(HttpTokens::Optional);
        let sessions = sts();
        let now = DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let path = "/latest/meta-data/ram/security-credentials/builder";
        let (status, body) = call(&m, Method::GET, path, &[], now, &sessions);
        assert_eq!(status, 200, "{body}");
        let first: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(first["Code"], "Success");
        assert_eq!(first["Expiration"], "2024-05-01T01:00:00Z");
        assert_eq!(first["LastUpdated"], "2024-05-01T00:00:00Z");
        let id = first["AccessKeyId"].as_str().unwrap();
        let token = first["SecurityToken"].as_str().unwrap();
        let valid = |at| {
            let sts = sessions.lock().unwrap();
            sts.check_token(id, false, Some(token), at)
        };
        assert!(valid(now).is_ok());
        // The same until half the lifetime, then new ones (the old still valid meanwhile).
        let soon = now + chrono::Duration::minutes(29);
        let again: serde_json::Value =
            serde_json::from_str(&call(&m, Method::GET, path, &[], soon, &sessions).1).unwrap();
        assert_eq!(again["AccessKeyId"], first["AccessKeyId"]);
        let half = now + chrono::Duration::minutes(31);
        let rotated: serde_json::Value =
            serde_json::from_str(&call(&m, Method::GET, path, &[], half, &sessions).1).unwrap();
        assert_ne!(rotated["AccessKeyId"], first["AccessKeyId"]);
        assert!(valid(half).is_ok());
        let expired = now + chrono::Duration::minutes(61);
        assert_eq!(
            valid(expired).unwrap_err().code,
            "InvalidSecurityToken.Expired"
        );
        assert_eq!(
            call(&m, Method::GET, &format!("{path}x"), &[], now, &sessions).0,
            404
        );
        assert_eq!(call(&m, Method::POST, path, &[], now, &sessions).0, 405);
        assert_eq!(
            call(&m, Method::GET, "/latest/meta-data/", &[], now, &sessions).0,
            404
        );
        let no_role = Metadata::new(Settings::default());
        let list = "/latest/meta-data/ram/security-credentials";
        assert_eq!(
            call(&no_role, Method::GET, list, &[], now, &sessions).0,
            404
        );
    }
}
