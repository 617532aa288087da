//! Authentication: which scheme a request uses, and whether its signature, key, time and nonce
//! are acceptable.
//!
//! V1 signs every parameter (query and form body merged); V3 signs the canonical query plus the
//! headers named in `Authorization` and the body hash. Both are recomputed here with the shared
//! canonicalisation in `api::sign`, after the query has been decoded with form semantics.

use super::error::SimError;
use super::ops::Action;
use super::params::Params;
use super::request::RawRequest;
use crate::api::sign;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use nohash_hasher::IntSet;
use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};

/// How far a request's time may be from the simulator's clock, either way.
pub const TIME_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
/// Most nonces remembered at once; past it the oldest are forgotten early.
const MAX_NONCES: usize = 200_000;
/// Headers every V3 request must sign.
const V3_REQUIRED_SIGNED: &[&str] = &[
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// The one access key pair the simulator accepts.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub id: String,
    pub secret: Secret,
}

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
    pub scheme: Scheme,
}

/// Nonces seen within the time window, as 64-bit hashes under a key drawn at start-up: a huge
/// nonce costs no more memory than a short one, peers cannot aim collisions without the key,
/// and two different nonces share a hash with a chance of about one in 10^14 per request at
/// the cap, far below any network error rate. The set is keyed by those hashes directly; they
/// are uniform already. (Kept small on purpose: a set of full digests grew to 15 MB under load
/// and pushed the rest of the server out of the CPU caches.)
#[derive(Debug, Default)]
pub struct NonceStore {
    key: RandomState,
    seen: IntSet<u64>,
    order: VecDeque<(DateTime<Utc>, u64)>,
}

impl NonceStore {
    /// Records `nonce`; `false` when it was already used inside the window.
    fn insert(&mut self, nonce: &str, now: DateTime<Utc>) -> bool {
        while let Some((at, hash)) = self.order.front() {
            if *at + TIME_WINDOW * 2 >= now && self.order.len() < MAX_NONCES {
                break;
            }
            self.seen.remove(hash);
            self.order.pop_front();
        }
        let hash = self.key.hash_one(nonce);
        if !self.seen.insert(hash) {
            return false;
        }
        self.order.push_back((now, hash));
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

/// Checks a request and returns its action and parameters.
///
/// `nonces` is only touched after the signature verified, so forged requests cannot burn
/// nonces.
pub fn authenticate(
    req: &RawRequest,
    keys: &KeyPair,
    now: DateTime<Utc>,
    nonces: &std::sync::Mutex<NonceStore>,
) -> Result<Authenticated, SimError> {
    let (action, params, scheme, nonce) = match req.header("authorization") {
        Some(authorization) => {
            let (action, params, nonce) = verify_v3(req, authorization, keys, now)?;
            (action, params, Scheme::V3, nonce)
        }
        None => {
            let (action, params, nonce) = verify_v1(req, keys, now)?;
            (action, params, Scheme::V1, nonce)
        }
    };
    let fresh = nonces
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(&nonce, now);
    if !fresh {
        return Err(SimError::nonce_used());
    }
    Ok(Authenticated {
        action,
        params,
        scheme,
    })
}

fn verify_v1(
    req: &RawRequest,
    keys: &KeyPair,
    now: DateTime<Utc>,
) -> Result<(Action, Params, String), SimError> {
    let params = Params::from_pairs(req.query.iter().chain(&req.form))?;
    let action = Action::from_name(params.require("Action")?)?;
    check_version(params.require("Version")?)?;
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
    check_time(timestamp, now)?;
    if key_id != keys.id {
        return Err(SimError::access_key_not_found());
    }
    let string_to_sign = sign::v1_string_to_sign(req.method, &params.pairs());
    let expected = sign::v1_signature(keys.secret.expose(), &string_to_sign);
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(SimError::signature_mismatch(&string_to_sign));
    }
    Ok((action, params, nonce))
}

fn verify_v3(
    req: &RawRequest,
    authorization: &str,
    keys: &KeyPair,
    now: DateTime<Utc>,
) -> Result<(Action, Params, String), SimError> {
    let auth =
        sign::parse_authorization(authorization).ok_or_else(SimError::incomplete_signature)?;
    let action = Action::from_name(
        req.header("x-acs-action")
            .ok_or_else(|| SimError::missing_parameter("x-acs-action"))?,
    )?;
    check_version(
        req.header("x-acs-version")
            .ok_or_else(|| SimError::missing_parameter("x-acs-version"))?,
    )?;
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
    let date = req
        .header("x-acs-date")
        .ok_or_else(SimError::incomplete_signature)?;
    check_time(date, now)?;
    if auth.access_key_id != keys.id {
        return Err(SimError::access_key_not_found());
    }
    let payload_hash = req
        .header("x-acs-content-sha256")
        .ok_or_else(SimError::incomplete_signature)?;
    if !payload_hash.eq_ignore_ascii_case(&sign::sha256_hex(&req.body)) {
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
    let expected = sign::v3_signature(keys.secret.expose(), &string_to_sign);
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(SimError::signature_mismatch(&string_to_sign));
    }
    let nonce = req
        .header("x-acs-signature-nonce")
        .ok_or_else(SimError::incomplete_signature)?
        .to_string();
    let params = Params::from_pairs(req.query.iter().chain(&req.form))?;
    Ok((action, params, nonce))
}

fn check_version(version: &str) -> Result<(), SimError> {
    if version == sign::API_VERSION {
        Ok(())
    } else {
        Err(SimError::invalid_version())
    }
}

fn check_time(value: &str, now: DateTime<Utc>) -> Result<(), SimError> {
    let at = DateTime::parse_from_rfc3339(value)
        .map_err(|_| SimError::timestamp_format())?
        .with_timezone(&Utc);
    if (at - now).abs() > TIME_WINDOW {
        return Err(SimError::timestamp_expired());
    }
    Ok(())
}

/// Equality whose running time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
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
    fn nonces_are_single_use_within_the_window_and_forgotten_after() {
        let mut store = NonceStore::default();
        let t0 = at("2024-01-01T00:00:00Z");
        assert!(store.insert("n1", t0));
        assert!(!store.insert("n1", t0 + chrono::TimeDelta::minutes(10)));
        assert!(store.insert("n2", t0 + chrono::TimeDelta::minutes(29)));
        // n1 left memory once it could no longer pass the time check anyway.
        assert!(store.insert("n3", t0 + chrono::TimeDelta::minutes(31)));
        assert_eq!(store.len(), 2);
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
}
