//! The claims of an OIDC token (a JWT), read without checking its signature: the simulator
//! has no identity provider's keys to check it with. It checks `iss`, `aud` and `exp`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The claims STS looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Raw {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    iat: Option<i64>,
    exp: Option<i64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of `token` (`header.payload.signature`, base64url); `None` when it is not that
/// shape or lacks `iss`, `sub` or `exp`.
pub fn claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let raw: Raw = serde_json::from_slice(&bytes).ok()?;
    let audiences = match raw.aud {
        Some(Audience::One(a)) => vec![a],
        Some(Audience::Many(a)) => a,
        None => Vec::new(),
    };
    Some(Claims {
        issuer: raw.iss?,
        subject: raw.sub?,
        audiences,
        issued_at: raw.iat.and_then(|t| DateTime::from_timestamp(t, 0)),
        expires: DateTime::from_timestamp(raw.exp?, 0)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_string_or_list_audiences() {
        let c = claims(&token(
            r#"{"iss":"https://i","sub":"s","aud":"a","exp":10}"#,
        ))
        .expect("claims");
        assert_eq!(c.audiences, ["a"]);
        let c = claims(&token(
            r#"{"iss":"https://i","sub":"s","aud":["a","b"],"exp":10}"#,
        ))
        .expect("claims");
        assert_eq!(c.audiences, ["a", "b"]);
        assert_eq!(c.expires.timestamp(), 10);
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "abc".to_string(),
            "a.b".to_string(),
            token(r#"{"sub":"s","exp":1}"#),
            token("not json"),
            format!("{}.extra", token(r#"{"iss":"i","sub":"s","exp":1}"#)),
        ] {
            assert_eq!(claims(&bad), None, "{bad}");
        }
    }
}
