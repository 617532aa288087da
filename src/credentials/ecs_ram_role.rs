//! `EcsRamRole`: the credentials of the RAM role attached to the ECS instance ecsimg runs on,
//! read from the instance metadata service (`http://100.100.100.200`), as the official
//! credential libraries read them:
//!
//! 1. `PUT /latest/api/token` asks for a session token (the hardened mode, "IMDSv2"); when the
//!    service refuses it ecsimg goes on without one, unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`
//!    (when nothing answers at all, that is the error);
//! 2. the role is the one named (profile `ram_role_name`, else `ALIBABA_CLOUD_ECS_METADATA`),
//!    else the one `GET /latest/meta-data/ram/security-credentials/` names;
//! 3. `GET …/security-credentials/<role>` answers the credentials (`"Code": "Success"`).
//!
//! A read that carried a token and failed is tried once more without one when IMDSv1 is
//! allowed. Every request has short timeouts (the service is on the instance itself, and off
//! ECS the address does not answer at all), answers are read up to 64 KiB, and errors never
//! quote an answer that may hold a secret. [`Refreshing`] fetches new credentials before the
//! current ones expire.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::api::provider::{Fetch, Now, ProviderError, Refreshing, SharedProvider, Temporary};
use crate::api::sts;
use crate::text;

use super::places::ECS_METADATA_VAR;

/// `true` turns the instance metadata source off.
pub const DISABLED_VAR: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `true` forbids reading without a token (no fall back to IMDSv1).
pub const IMDSV1_DISABLED_VAR: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// Where the metadata service is instead (a simulator's `--metadata-listen`); overrides the
/// config's `metadata_endpoint`.
pub const ENDPOINT_VAR: &str = "ECSIMG_METADATA_ENDPOINT";
/// The real service.
pub const DEFAULT_ENDPOINT: &str = "http://100.100.100.200";

const TOKEN_PATH: &str = "/latest/api/token";
const ROLE_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
/// The token lifetime asked for, as the official libraries ask (the service's maximum).
const TOKEN_TTL_SECONDS: &str = "21600";
/// The official libraries' timeouts: one second to connect, one second of silence.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const READ_TIMEOUT: Duration = Duration::from_secs(1);
/// One request, start to end, whatever the server trickles.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read: credentials are about 1 KiB.
const MAX_ANSWER: usize = 64 << 10;

/// Where and how the metadata service is read: from the environment and the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSettings {
    /// Base URL, no trailing slash.
    pub endpoint: String,
    /// `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`.
    pub disabled: bool,
    /// `ALIBABA_CLOUD_IMDSV1_DISABLED=true`.
    pub v1_disabled: bool,
    /// `ALIBABA_CLOUD_ECS_METADATA`.
    pub env_role: Option<String>,
}

impl Default for MetadataSettings {
    /// The real service, nothing turned off.
    fn default() -> Self {
        MetadataSettings::from_env(&|_| None, None)
    }
}

impl MetadataSettings {
    /// Reads the variables above; `config_endpoint` is the config's `metadata_endpoint`.
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        config_endpoint: Option<&crate::api::Endpoint>,
    ) -> MetadataSettings {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let is_true = |name: &str| set(name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let endpoint = set(ENDPOINT_VAR)
            .or_else(|| config_endpoint.map(ToString::to_string))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        MetadataSettings {
            endpoint: endpoint.trim().trim_end_matches('/').to_string(),
            disabled: is_true(DISABLED_VAR),
            v1_disabled: is_true(IMDSV1_DISABLED_VAR),
            env_role: set(ECS_METADATA_VAR).map(|r| r.trim().to_string()),
        }
    }
}

/// The provider of the instance's role: `role_name` (a profile's `ram_role_name`), else
/// `ALIBABA_CLOUD_ECS_METADATA`, else the role the service names.
pub fn provider(
    role_name: Option<&str>,
    settings: &MetadataSettings,
    now: Now,
) -> Result<SharedProvider, ProviderError> {
    let fetch = MetadataFetch::new(role_name, settings)?;
    Ok(std::sync::Arc::new(Refreshing::with_clock(fetch, now)))
}

/// Whether the instance's role can be read now, for the chain's last source: off ECS (or
/// without a role) `Err` is the finding for the report of places looked.
pub async fn probe(settings: &MetadataSettings) -> Result<(), String> {
    if settings.disabled {
        return Err(format!("skipped ({DISABLED_VAR}=true)"));
    }
    let fetch = MetadataFetch::new(None, settings).map_err(|e| e.to_string())?;
    fetch
        .fetch_once()
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// One read of the role's credentials from the metadata service.
pub struct MetadataFetch {
    http: reqwest::Client,
    endpoint: String,
    role: Option<String>,
    v1_disabled: bool,
}

impl MetadataFetch {
    pub fn new(
        role_name: Option<&str>,
        settings: &MetadataSettings,
    ) -> Result<MetadataFetch, ProviderError> {
        if settings.disabled {
            return Err(ProviderError::new(format!(
                "reading the ECS instance RAM role is turned off ({DISABLED_VAR}=true); unset it, \
                 or choose another credential source"
            )));
        }
        let role = role_name
            .map(str::to_string)
            .or_else(|| settings.env_role.clone())
            .filter(|r| !r.trim().is_empty());
        if let Some(role) = &role {
            check_role_name(role)
                .map_err(|why| ProviderError::new(format!("ECS RAM role {why}")))?;
        }
        // reqwest is built without a default crypto provider (see `api::client`); the service
        // is plain http, but the client needs one all the same. `Err`: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // The service is on the instance: a proxy must never see its credentials, and an
            // answer is never a redirect.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ProviderError::new(format!("cannot set up the metadata client: {e}")))?;
        Ok(MetadataFetch {
            http,
            endpoint: settings.endpoint.clone(),
            role,
            v1_disabled: settings.v1_disabled,
        })
    }

    fn failure(&self, what: impl std::fmt::Display) -> ProviderError {
        ProviderError::new(format!(
            "ECS instance metadata at {}: {what}",
            text::escape(&self.endpoint)
        ))
    }

    /// A session token, or `None` to go on without one (when that is allowed). A service
    /// that does not answer at all is an error at once: unlike the official libraries, ecsimg
    /// does not spend another timeout on a read without a token when nothing is there (off
    /// ECS, the chain's last step would otherwise cost two seconds instead of one).
    async fn token(&self) -> Result<Option<String>, ProviderError> {
        let answer = self
            .http
            .put(format!("{}{TOKEN_PATH}", self.endpoint))
            .header(TTL_HEADER, TOKEN_TTL_SECONDS)
            .send()
            .await;
        let answer = match answer {
            Err(e) if e.is_connect() || e.is_timeout() => {
                return Err(self.failure(transport(&e)));
            }
            other => other,
        };
        let outcome = match answer {
            Ok(response) if response.status().is_success() => read_text(response)
                .await
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty() && t.len() <= 1024 && t.is_ascii())
                .ok_or_else(|| "its token answer is empty or not a token".to_string()),
            Ok(response) => Err(format!("the token request got HTTP {}", response.status())),
            Err(e) => Err(transport(&e)),
        };
        match outcome {
            Ok(token) => Ok(Some(token)),
            Err(why) if self.v1_disabled => Err(self.failure(format!(
                "{why}, and reading without a token is off ({IMDSV1_DISABLED_VAR}=true)"
            ))),
            Err(why) => {
                tracing::debug!(%why, "no metadata token; reading without one (IMDSv1)");
                Ok(None)
            }
        }
    }

    /// `GET path`: with the token if there is one, and once more without it if that failed
    /// and IMDSv1 is allowed.
    async fn get(&self, path: &str, token: Option<&str>) -> Result<String, ProviderError> {
        let first = self.get_once(path, token).await;
        match first {
            Err(why) if token.is_some() && !self.v1_disabled => {
                tracing::debug!(%why, "metadata read with a token failed; trying without");
                self.get_once(path, None).await.map_err(|again| {
                    self.failure(format!("{why}; read again without a token: {again}"))
                })
            }
            other => other.map_err(|why| self.failure(why)),
        }
    }

    async fn get_once(&self, path: &str, token: Option<&str>) -> Result<String, String> {
        let mut request = self.http.get(format!("{}{path}", self.endpoint));
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        let response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND && path == ROLE_PATH {
            return Err(
                "the instance has no RAM role attached (404); attach one in the ECS \
                        console, or choose another credential source"
                    .into(),
            );
        }
        if !status.is_success() {
            // Error answers carry no credentials; a short, escaped piece says what the
            // service said.
            let said = read_text(response).await.unwrap_or_default();
            return Err(format!(
                "GET {path} got HTTP {status}: {}",
                text::printable(said.trim(), 200)
            ));
        }
        read_text(response)
            .await
            .ok_or_else(|| format!("GET {path}: the answer is not UTF-8 text of at most 64 KiB"))
    }

    async fn fetch_once(&self) -> Result<Temporary, ProviderError> {
        let token = self.token().await?;
        let role = match &self.role {
            Some(role) => role.clone(),
            None => {
                // Node and Go trim the name; so does ecsimg.
                let named = self.get(ROLE_PATH, token.as_deref()).await?;
                let role = named.trim().to_string();
                check_role_name(&role)
                    .map_err(|why| self.failure(format!("the role the service named {why}")))?;
                role
            }
        };
        let body = self
            .get(&format!("{ROLE_PATH}{role}"), token.as_deref())
            .await?;
        parse_credentials(&body)
            .map_err(|why| self.failure(format!("the credentials of role {role}: {why}")))
    }
}

impl Fetch for MetadataFetch {
    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, ProviderError>> {
        Box::pin(self.fetch_once())
    }

    fn label(&self) -> String {
        match &self.role {
            Some(role) => format!("EcsRamRole {role} (instance metadata)"),
            None => "EcsRamRole (instance metadata)".into(),
        }
    }
}

/// A RAM role name: 1 to 64 letters, digits, `.`, `-` and `_` (it becomes a URL path segment,
/// so nothing else may pass).
fn check_role_name(role: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&role.len())
        && role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a RAM role name (1 to 64 letters, digits, '.', '-' or '_')",
            text::printable(role, 80)
        ))
    }
}

/// A transport error, without the URL's query (there is none) or anything the server sent.
fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time (is this an ECS instance?)".into()
    } else if e.is_connect() {
        "cannot connect (is this an ECS instance?)".into()
    } else {
        format!("the request failed ({e})")
    }
}

/// The body as text, at most [`MAX_ANSWER`] bytes; `None` when it is longer, broken or not
/// UTF-8.
async fn read_text(mut response: reqwest::Response) -> Option<String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).ok()
}

/// The credentials answer: `"Code": "Success"`, then the fields STS answers too. Messages name
/// fields, never their values.
fn parse_credentials(body: &str) -> Result<Temporary, String> {
    let value: Value = serde_json::from_str(body).map_err(|_| "the answer is not JSON")?;
    match value.get("Code") {
        Some(Value::String(code)) if code == "Success" => {}
        Some(Value::String(code)) => {
            return Err(format!(
                "the answer's Code is {:?}, not \"Success\"",
                text::printable(code, 80)
            ));
        }
        _ => return Err("the answer has no `Code` string".into()),
    }
    sts::parse_credentials(body.as_bytes(), "instance metadata").map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_environment() {
        let env = |name: &str| match name {
            ECS_METADATA_VAR => Some(" builder ".to_string()),
            DISABLED_VAR => Some("TRUE".to_string()),
            IMDSV1_DISABLED_VAR => Some("yes".to_string()),
            ENDPOINT_VAR => Some("http://127.0.0.1:8100/".to_string()),
            _ => None,
        };
        let s = MetadataSettings::from_env(&env, None);
        assert_eq!(s.endpoint, "http://127.0.0.1:8100");
        assert!(s.disabled);
        // Only "true" counts, as in the official libraries.
        assert!(!s.v1_disabled);
        assert_eq!(s.env_role.as_deref(), Some("builder"));
        let none = MetadataSettings::from_env(&|_| None, None);
        assert_eq!(none.endpoint, DEFAULT_ENDPOINT);
        assert!(MetadataFetch::new(None, &s).is_err());
    }

    #[test]
    fn answers_are_checked_without_quoting_secrets() {
        let good = r#"{"AccessKeyId":"STS.a","AccessKeySecret":"sec-ret","SecurityToken":"CAIS",
            "Expiration":"2017-11-01T05:20:01Z","LastUpdated":"2017-10-31T23:20:01Z","Code":"Success"}"#;
        let t = parse_credentials(good).expect("parses");
        assert_eq!(t.credentials.access_key_id, "STS.a");
        assert_eq!(
            t.expiration.map(|e| e.to_rfc3339()),
            Some("2017-11-01T05:20:01+00:00".into())
        );
        let failed = good.replace("Success", "Failed");
        assert!(parse_credentials(&failed).unwrap_err().contains("Failed"));
        let no_token = good.replace("SecurityToken", "Token");
        assert!(
            parse_credentials(&no_token)
                .unwrap_err()
                .contains("SecurityToken")
        );
        let bad_secret = good.replace("\"sec-ret\"", "42");
        let e = parse_credentials(&bad_secret).unwrap_err();
        assert!(e.contains("AccessKeySecret") && !e.contains("42"), "{e}");
        assert!(
            parse_credentials("sec-ret")
                .unwrap_err()
                .contains("not JSON")
        );
        for bad in ["", "a/b", "../x", "a?b", &"x".repeat(65)] {
            assert!(check_role_name(bad).is_err(), "{bad}");
        }
        assert!(check_role_name("ecsimg-builder_1.x").is_ok());
    }
}
