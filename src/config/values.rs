//! The validators a key's value goes through while the config is parsed (`deserialize_with`):
//! durations within each setting's range (the grammar and the ranges live in
//! [`crate::duration`]), counts, region IDs, endpoints, profile names and secrets, which are
//! never echoed back.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::api::Credentials;
use crate::api::endpoint::Endpoint;
use crate::duration;
use crate::secret::Secret;

/// Deserializes a duration string within `bounds`.
struct DurationVisitor(duration::Bounds);

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration string such as \"5s\", \"1.5s\" or \"2m\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        duration::parse(v, self.0).map_err(E::custom)
    }
}

pub(super) fn connect_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::CONNECT_TIMEOUT))
}

pub(super) fn read_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::READ_TIMEOUT))
}

pub(super) fn call_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::CALL_TIMEOUT))
}

pub(super) fn watch_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    d.deserialize_str(DurationVisitor(duration::WATCH_TIMEOUT))
        .map(Some)
}

pub(super) fn poll_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::POLL_INTERVAL))
}

pub(super) fn max_attempts<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u32::deserialize(d)?;
    if !(1..=10).contains(&n) {
        return Err(de::Error::custom(format!(
            "max_attempts is {n}; use 1 (no retries) to 10"
        )));
    }
    Ok(n)
}

/// Region IDs are lowercase words joined by hyphens (`cn-hangzhou`, `ap-southeast-1`); checking
/// the shape catches `cn_hangzhou` or `CN-Hangzhou` before the API rejects them.
pub(super) fn region_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let id = String::deserialize(d)?;
    let well_formed = !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !well_formed {
        return Err(de::Error::custom(format!(
            "\"{id}\" is not a region ID; write it like \"cn-hangzhou\" or \"ap-southeast-1\" \
             (lowercase, hyphens)"
        )));
    }
    Ok(Some(id))
}

pub(super) fn endpoint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Endpoint>, D::Error> {
    let text = String::deserialize(d)?;
    Endpoint::parse(&text).map(Some).map_err(de::Error::custom)
}

pub(super) fn profile_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    if name.trim().is_empty() {
        return Err(de::Error::custom(
            "profile is empty; name a profile or remove the key",
        ));
    }
    Ok(Some(name))
}

/// The `[credentials]` table as written; converted to [`Credentials`] once validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsTable {
    #[serde(deserialize_with = "access_key_id")]
    access_key_id: String,
    #[serde(deserialize_with = "secret")]
    access_key_secret: Secret,
    #[serde(default, deserialize_with = "optional_secret")]
    security_token: Option<Secret>,
}

pub(super) fn credentials_table<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Credentials>, D::Error> {
    let t = CredentialsTable::deserialize(d)?;
    Ok(Some(Credentials {
        access_key_id: t.access_key_id,
        access_key_secret: t.access_key_secret,
        security_token: t.security_token,
    }))
}

pub(super) fn access_key_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = String::deserialize(d)?;
    if id.trim().is_empty() {
        return Err(de::Error::custom("access_key_id is empty"));
    }
    Ok(id)
}

/// Deserializes a non-empty secret string. Unlike `String`'s own errors, a wrong type is
/// reported without echoing the value, which may be the secret itself.
struct SecretVisitor;

impl Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quoted string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
        if v.trim().is_empty() {
            return Err(E::custom("the value is empty"));
        }
        Ok(Secret::new(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a number"))
    }
}

pub(super) fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    d.deserialize_str(SecretVisitor)
}

pub(super) fn optional_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    secret(d).map(Some)
}
