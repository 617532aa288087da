//! STS (2015-04-01): AssumeRole and AssumeRoleWithOIDC, the two calls that turn one identity
//! into temporary credentials
//! (<https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole>).
//!
//! Sent by a [`Client`] whose provider holds the source credentials (AssumeRole) or none at all
//! (AssumeRoleWithOIDC is unsigned), to an STS endpoint chosen by the credential settings. The
//! answer carries new secrets, so a malformed one is described by what it lacks, never quoted.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::client::{Call, Client};
use super::endpoint::Endpoint;
use super::error::ApiError;
use super::product::STS;
use super::provider::Temporary;
use super::sign::Credentials;
use crate::secret::Secret;

/// The role to assume and the session to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSession {
    /// `acs:ram::<account>:role/<name>`.
    pub role_arn: String,
    /// 2–64 characters of `[A-Za-z0-9.@_-]`.
    pub session_name: String,
    /// 900 up to the role's maximum; `None` lets STS choose (3600).
    pub duration_seconds: Option<u32>,
    /// An inline policy narrowing the session's rights.
    pub policy: Option<String>,
}

impl RoleSession {
    fn params(&self) -> Vec<(String, String)> {
        let mut params = vec![
            ("RoleArn".to_string(), self.role_arn.clone()),
            ("RoleSessionName".to_string(), self.session_name.clone()),
        ];
        if let Some(seconds) = self.duration_seconds {
            params.push(("DurationSeconds".into(), seconds.to_string()));
        }
        if let Some(policy) = &self.policy {
            params.push(("Policy".into(), policy.clone()));
        }
        params
    }
}

/// AssumeRole, signed with `client`'s credentials.
pub async fn assume_role(
    client: &Client,
    endpoint: &Endpoint,
    session: &RoleSession,
    external_id: Option<&str>,
) -> Result<Temporary, ApiError> {
    let mut params = session.params();
    if let Some(id) = external_id {
        params.push(("ExternalId".into(), id.to_string()));
    }
    send(client, endpoint, "AssumeRole", &params, true).await
}

/// AssumeRoleWithOIDC: unsigned; the OIDC token is the proof.
pub async fn assume_role_with_oidc(
    client: &Client,
    endpoint: &Endpoint,
    session: &RoleSession,
    provider_arn: &str,
    token: &Secret,
) -> Result<Temporary, ApiError> {
    let mut params = session.params();
    params.push(("OIDCProviderArn".into(), provider_arn.to_string()));
    params.push(("OIDCToken".into(), token.expose().to_string()));
    send(client, endpoint, "AssumeRoleWithOIDC", &params, false).await
}

async fn send(
    client: &Client,
    endpoint: &Endpoint,
    action: &str,
    params: &[(String, String)],
    signed: bool,
) -> Result<Temporary, ApiError> {
    let call = Call {
        endpoint,
        product: &STS,
        action,
        params,
        signed,
    };
    // Issuing credentials changes nothing that a second request would repeat badly.
    let body = client.send(&call, true).await?;
    parse_credentials(&body, action)
}

/// `{"Credentials": {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}}`, as STS,
/// a credentials URI and the instance metadata service all answer.
pub fn parse_credentials(body: &[u8], what: &str) -> Result<Temporary, ApiError> {
    let malformed = |problem: &str| ApiError::Decode {
        http_status: 200,
        what: format!("the {what} answer {problem}"),
        // Never quoted: it holds a secret.
        excerpt: "(not shown: it carries credentials)".into(),
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| malformed("is not JSON"))?;
    let credentials = value.get("Credentials").unwrap_or(&value);
    let field = |name: &str| -> Result<String, ApiError> {
        match credentials.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(malformed(&format!("has no {name}"))),
        }
    };
    let expiration = parse_expiration(&field("Expiration")?)
        .ok_or_else(|| malformed("has an Expiration that is not YYYY-MM-DDTHH:MM:SSZ"))?;
    Ok(Temporary {
        credentials: Credentials {
            access_key_id: field("AccessKeyId")?,
            access_key_secret: Secret::new(field("AccessKeySecret")?),
            security_token: Some(Secret::new(field("SecurityToken")?)),
        },
        expiration: Some(expiration),
    })
}

/// `2015-04-09T11:52:19Z` (fractional seconds and offsets tolerated).
pub fn parse_expiration(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_answer_is_described_not_quoted() {
        let body = br#"{"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"TOPSECRET","Expiration":"2015-04-09T11:52:19Z"}}"#;
        let e = parse_credentials(body, "AssumeRole")
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no SecurityToken"), "{e}");
        assert!(!e.contains("TOPSECRET"), "{e}");
        let e = parse_credentials(b"{\"AccessKeySecret\":\"TOPSECRET", "x").unwrap_err();
        assert!(!e.to_string().contains("TOPSECRET"));
        let ok = br#"{"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2015-04-09T11:52:19Z"}}"#;
        let t = parse_credentials(ok, "AssumeRole").expect("parses");
        assert_eq!(t.credentials.access_key_id, "STS.x");
        assert_eq!(t.expiration.map(|e| e.timestamp()), Some(1428580339));
    }
}
