//! Authentication: which scheme a request uses, and whether its signature, key, time and nonce
//! are acceptable.
//!
//! V1 signs every parameter (query and form body merged); V3 signs the canonical query plus the
//! headers named in `Authorization` and the body hash. Both are recomputed here with the shared
//! canonicalisation in `api::sign`, after the query has been decoded with form semantics.
//!
//! A request may be signed with the simulator's key or with temporary credentials its STS
//! issued; then its security token must be the one issued with them, unexpired
//! ([`Sts::check_token`]). AssumeRoleWithOIDC alone may come unsigned, as the official SDKs
//! send it.

use super::error::SimError;
use super::keyring::{Keyring, Principal};
use super::nonces::{NonceStore, Refusal, TIME_WINDOW};
use super::params::Params;
use super::request::RawRequest;
use super::route::{self, Action};
use super::sts::{Caller, Sts};
use crate::api::sign;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};

/// Headers every V3 request must sign.
const V3_REQUIRED_SIGNED: &[&str] = &[
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// Which signature scheme a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    V1,
    V3,
}

/// A request whose signature checked out.
#[derive(Debug)]
pub struct Authenticated {
    pub action: Action,
    pub params: Params,
    /// `None` for an unsigned request.
    pub scheme: Option<Scheme>,
    pub caller: Caller,
    /// Whose key signed it, with the policies that bound it (`None`: unsigned).
    pub principal: Option<Arc<Principal>>,
}

/// Checks a request and returns its action and parameters.
///
/// `nonces` is only touched after the signature verified, so forged requests cannot burn
/// nonces. A full nonce store answers `Throttling` (see [`NonceStore`]).
pub fn authenticate(
    req: &RawRequest,
    keys: &Keyring,
    sts: &Mutex<Sts>,
    now: DateTime<Utc>,
    nonces: &Mutex<NonceStore>,
) -> Result<Authenticated, SimError> {
    if let Some(anonymous) = anonymous(req)? {
        return Ok(anonymous);
    }
    // A long-term key of the keyring, or temporary credentials STS issued.
    let secret_of = |id: &str| -> Result<Secret, SimError> {
        if let Some(principal) = keys.get(id) {
            return Ok(principal.secret.clone());
        }
        let sts = sts.lock().unwrap_or_else(PoisonError::into_inner);
        sts.secret_of(id)
            .cloned()
            .ok_or_else(SimError::access_key_not_found)
    };
    let (verified, scheme) = match req.header("authorization") {
        Some(authorization) => (verify_v3(req, authorization, &secret_of, now)?, Scheme::V3),
        None => (verify_v1(req, &secret_of, now)?, Scheme::V1),
    };
    let long_term = keys.get(&verified.key_id);
    let (caller, principal) = {
        let sts = sts.lock().unwrap_or_else(PoisonError::into_inner);
        let caller = sts.check_token(
            &verified.key_id,
            long_term.is_some(),
            verified.token.as_deref(),
            now,
        )?;
        let principal = match long_term {
            Some(principal) => principal,
            None => sts.principal_of(&caller)?,
        };
        (caller, principal)
    };
    let recorded = nonces
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(&verified.nonce, verified.signed_at, now);
    match recorded {
        Ok(()) => Ok(Authenticated {
            action: verified.action,
            params: verified.params,
            scheme: Some(scheme),
            caller,
            principal: Some(principal),
        }),
        Err(Refusal::Used) => Err(SimError::nonce_used()),
        Err(Refusal::Full { retry_after }) => {
            tracing::warn!(
                ?retry_after,
                "the nonce store is full of nonces still in their window; throttling"
            );
            let ms = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX);
            Err(SimError::throttling(ms))
        }
    }
}

/// An unsigned AssumeRoleWithOIDC (V1 without `AccessKeyId` and `Signature`, or V3 without
/// `Authorization`); `None` for anything else, which must be signed.
fn anonymous(req: &RawRequest) -> Result<Option<Authenticated>, SimError> {
    let v3_action = req.header("x-acs-action");
    if req.header("authorization").is_some() || v3_action.is_some_and(|a| a != "AssumeRoleWithOIDC")
    {
        return Ok(None);
    }
    let params = Params::from_pairs(req.query.iter().chain(&req.form))?;
    let (action, version) = match v3_action {
        Some(action) => (
            action,
            req.header("x-acs-version")
                .ok_or_else(|| SimError::missing_parameter("x-acs-version"))?,
        ),
        None => {
            let unsigned = params.raw("AccessKeyId").is_none() && params.raw("Signature").is_none();
            match params.get("Action") {
                Some(action @ "AssumeRoleWithOIDC") if unsigned => {
                    (action, params.require("Version")?)
                }
                _ => return Ok(None),
            }
        }
    };
    let action = route::route(version, action)?;
    Ok(Some(Authenticated {
        action,
        params,
        scheme: None,
        caller: Caller::Anonymous,
        principal: None,
    }))
}

/// What a valid signature vouches for.
struct Verified {
    action: Action,
    params: Params,
    key_id: String,
    /// The security token sent with the request.
    token: Option<String>,
    nonce: String,
    /// The request's own time (`Timestamp` or `x-acs-date`).
    signed_at: DateTime<Utc>,
}

type SecretOf<'a> = dyn Fn(&str) -> Result<Secret, SimError> + 'a;

fn verify_v1(
    req: &RawRequest,
    secret_of: &SecretOf<'_>,
    now: DateTime<Utc>,
) -> Result<Verified, SimError> {
    let params = Params::from_pairs(req.query.iter().chain(&req.form))?;
    // An action no product serves is refused before the version is looked at.
    let action_name = params.require("Action")?;
    Action::from_name(action_name)?;
    let action = route::route(params.require("Version")?, action_name)?;
    let key_id = params.require("AccessKeyId")?;
    let signature = params.require("Signature")?;
    let nonce = params.require("SignatureNonce")?.to_string();
    let method = params.require("SignatureMethod")?;
    let version_ok = params.get("SignatureVersion").is_none_or(|v| v == "1.0");
    if method != "HMAC-SHA1" || !version_ok {
        return Err(SimError::incomplete_signature());
    }
    // Older docs spell it `TimeStamp`; either name is signed as received.
    let timestamp = params
        .get("Timestamp")
        .or_else(|| params.get("TimeStamp"))
        .ok_or_else(|| SimError::missing_parameter("Timestamp"))?;
    let signed_at = check_time(timestamp, now)?;
    let secret = secret_of(key_id)?;
    let string_to_sign = sign::v1_string_to_sign(req.method, &params.pairs());
    let expected = sign::v1_signature(secret.expose(), &string_to_sign);
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(SimError::signature_mismatch(&string_to_sign));
    }
    Ok(Verified {
        action,
        key_id: key_id.to_string(),
        token: params.raw("SecurityToken").map(str::to_string),
        params,
        nonce,
        signed_at,
    })
}

fn verify_v3(
    req: &RawRequest,
    authorization: &str,
    secret_of: &SecretOf<'_>,
    now: DateTime<Utc>,
) -> Result<Verified, SimError> {
    let auth = parse_authorization(authorization).ok_or_else(SimError::incomplete_signature)?;
    let action_name = req
        .header("x-acs-action")
        .ok_or_else(|| SimError::missing_parameter("x-acs-action"))?;
    Action::from_name(action_name)?;
    let version = req
        .header("x-acs-version")
        .ok_or_else(|| SimError::missing_parameter("x-acs-version"))?;
    let action = route::route(version, action_name)?;
    let token_present = req.header("x-acs-security-token").is_some();
    let mut required = V3_REQUIRED_SIGNED
        .iter()
        .copied()
        .chain(token_present.then_some("x-acs-security-token"));
    let is_signed = |name: &str| {
        auth.signed_headers
            .iter()
            .any(|s| s.eq_ignore_ascii_case(name))
    };
    if !required.all(is_signed) {
        return Err(SimError::incomplete_signature());
    }
    // Every header named in `SignedHeaders` must be present; header names arrive lowercase.
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let before = headers.len();
        headers.extend(
            req.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name)),
        );
        if headers.len() == before {
            return Err(SimError::incomplete_signature());
        }
    }
    // Present and signed, but empty: refused as V1 refuses a missing `SignatureNonce`.
    let nonce = req
        .header("x-acs-signature-nonce")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| SimError::missing_parameter("x-acs-signature-nonce"))?
        .to_string();
    let date = req
        .header("x-acs-date")
        .ok_or_else(SimError::incomplete_signature)?;
    let signed_at = check_time(date, now)?;
    let secret = secret_of(auth.access_key_id)?;
    let payload_hash = req
        .header("x-acs-content-sha256")
        .ok_or_else(SimError::incomplete_signature)?;
    if !payload_hash.eq_ignore_ascii_case(&req.body_sha256) {
        return Err(SimError::content_hash_mismatch());
    }
    let canonical = sign::v3_canonical_request(
        req.method,
        req.path,
        &sign::canonical_query(&req.query),
        &headers,
        payload_hash,
    );
    let string_to_sign = sign::v3_string_to_sign(&canonical.text);
    let expected = sign::v3_signature(secret.expose(), &string_to_sign);
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(SimError::signature_mismatch(&string_to_sign));
    }
    let params = Params::from_pairs(req.query.iter().chain(&req.form))?;
    Ok(Verified {
        action,
        params,
        key_id: auth.access_key_id.to_string(),
        token: req.header("x-acs-security-token").map(str::to_string),
        nonce,
        signed_at,
    })
}

/// The request's time, if it is within [`TIME_WINDOW`] of the clock.
fn check_time(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, SimError> {
    let at = DateTime::parse_from_rfc3339(value)
        .map_err(|_| SimError::timestamp_format())?
        .with_timezone(&Utc);
    if (at - now).abs() > TIME_WINDOW {
        return Err(SimError::timestamp_expired());
    }
    Ok(at)
}

/// The parts of a V3 `Authorization` header, borrowed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

/// Parses `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`; `None` when it is
/// not that shape (another algorithm, a missing part, an empty value).
pub fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(sign::V3_ALGORITHM)?.strip_prefix(' ')?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, val) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed = Some(val),
            "Signature" => signature = Some(val),
            _ => return None,
        }
    }
    let (credential, signed, signature) = (credential?, signed?, signature?);
    if credential.is_empty() || signed.is_empty() || signature.is_empty() {
        return None;
    }
    Some(Authorization {
        access_key_id: credential,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// Equality whose running time does not depend on where the inputs differ.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn time_window_is_fifteen_minutes_either_way() {
        let now = at("2024-01-01T12:00:00Z");
        assert!(check_time("2024-01-01T12:14:59Z", now).is_ok());
        assert!(check_time("2024-01-01T11:45:01Z", now).is_ok());
        assert_eq!(
            check_time("2024-01-01T12:15:01Z", now).unwrap_err().code,
            "InvalidTimeStamp.Expired"
        );
        assert_eq!(
            check_time("yesterday", now).unwrap_err().code,
            "InvalidTimeStamp.Format"
        );
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn malformed_authorization_is_rejected() {
        for bad in [
            "",
            "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=x",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
            "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=x",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=x,Extra=1",
            "ACS3-HMAC-SHA256Credential=a,SignedHeaders=host,Signature=x",
        ] {
            assert_eq!(parse_authorization(bad), None, "{bad:?}");
        }
    }
}
