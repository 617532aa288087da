//! AssumeRole, AssumeRoleWithOIDC and GetCallerIdentity, with the parameter rules and error
//! codes of the STS API reference
//! (<https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole>).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::super::error::SimError;
use super::super::params::Params;
use super::super::route::Action;
use super::{Caller, NewCredentials, Role, Sts, glob, jwt};

/// `DurationSeconds` when a request names none.
const DEFAULT_DURATION: u32 = 3600;
const MIN_DURATION: u32 = 900;

/// Runs an STS `action` for `caller` at `now`; the answer's bytes, `RequestId` included.
pub fn answer(
    sts: &mut Sts,
    now: DateTime<Utc>,
    action: Action,
    caller: &Caller,
    params: &Params,
    request_id: &str,
) -> Result<Vec<u8>, SimError> {
    let mut body = match action {
        Action::AssumeRole => assume_role(sts, now, caller, params)?,
        Action::AssumeRoleWithOIDC => assume_role_with_oidc(sts, now, params)?,
        Action::GetCallerIdentity => caller_identity(sts, caller)?,
        _ => return Err(SimError::action_not_found()),
    };
    body["RequestId"] = Value::from(request_id);
    serde_json::to_vec(&body).map_err(|_| SimError::internal_error())
}

fn assume_role(
    sts: &mut Sts,
    now: DateTime<Utc>,
    caller: &Caller,
    params: &Params,
) -> Result<Value, SimError> {
    let request = Request::read(params)?;
    if let Some(id) = params.get("ExternalId")
        && !external_id_ok(id)
    {
        return Err(SimError::sts_invalid(
            "ExternalId",
            "The parameter ExternalId is wrongly formed.",
        ));
    }
    let role = find_role(sts, request.role_arn)?;
    let trusted = match caller {
        Caller::Key(id) => role.trusted_keys.iter().any(|k| k == id),
        Caller::Session { role_arn, .. } => role.trusted_roles.iter().any(|r| r == role_arn),
        Caller::Anonymous => false,
    };
    let external_ok = role
        .external_id
        .as_deref()
        .is_none_or(|want| params.get("ExternalId") == Some(want));
    if !trusted || !external_ok {
        return Err(SimError::sts_no_permission());
    }
    let seconds = request.duration(&role)?;
    let issued = sts.issue(&role, request.session_name, seconds, now);
    sts.assume_role_calls += 1;
    Ok(issued_answer(sts, &role, request.session_name, &issued))
}

fn assume_role_with_oidc(
    sts: &mut Sts,
    now: DateTime<Utc>,
    params: &Params,
) -> Result<Value, SimError> {
    let request = Request::read(params)?;
    let provider_arn = params.require("OIDCProviderArn")?;
    let token = params.require("OIDCToken")?;
    if !(4..=20_000).contains(&token.len()) {
        return Err(SimError::sts_invalid(
            "OIDCToken",
            "The parameter OIDCToken is wrongly formed.",
        ));
    }
    let Some(provider) = sts
        .directory
        .oidc_providers
        .iter()
        .find(|p| p.arn == provider_arn)
        .cloned()
    else {
        return Err(SimError::oidc_failed(
            403,
            "NoPermission",
            "No such OIDC Provider registered.",
        ));
    };
    let Some(claims) = jwt::claims(token) else {
        return Err(SimError::oidc_failed(
            400,
            "OIDCToken.Invalid",
            "The OIDC token is not a well-formed JSON Web Token.",
        ));
    };
    if claims.issuer != provider.issuer {
        return Err(SimError::oidc_failed(
            400,
            "OIDCToken.IssuerNotMatch",
            "The issuer in the OIDC Token doesn't match the OIDC Provider registered.",
        ));
    }
    if !claims
        .audiences
        .iter()
        .any(|a| provider.client_ids.contains(a))
    {
        return Err(SimError::oidc_failed(
            400,
            "OIDCToken.AudienceNotMatch",
            "Invalid audience.",
        ));
    }
    if claims.expires <= now {
        return Err(SimError::oidc_failed(
            400,
            "OIDCToken.Expired",
            "This JsonWebToken is expired.",
        ));
    }
    let role = find_role(sts, request.role_arn)?;
    let trusted = role.trusted_oidc.iter().any(|(arn, subjects)| {
        *arn == provider.arn && subjects.iter().any(|s| glob(s, &claims.subject))
    });
    if !trusted {
        return Err(SimError::oidc_failed(
            403,
            "NoPermission",
            "There is no permission",
        ));
    }
    let seconds = request.duration(&role)?;
    let issued = sts.issue(&role, request.session_name, seconds, now);
    sts.oidc_calls += 1;
    let mut body = issued_answer(sts, &role, request.session_name, &issued);
    body["OIDCTokenInfo"] = json!({
        "Subject": claims.subject,
        "Issuer": claims.issuer,
        "ClientIds": claims.audiences.join(","),
        "IssuanceTime": claims.issued_at.map(wire_time),
        "ExpirationTime": wire_time(claims.expires),
        "VerificationInfo": "Success",
    });
    Ok(body)
}

fn caller_identity(sts: &Sts, caller: &Caller) -> Result<Value, SimError> {
    let account = sts.directory.account_id;
    Ok(match caller {
        Caller::Key(id) => json!({
            "AccountId": account.to_string(),
            "Arn": format!("acs:ram::{account}:user/{id}"),
            "IdentityType": "RAMUser",
            "PrincipalId": user_id(id),
            "UserId": user_id(id),
        }),
        Caller::Session {
            role_arn,
            role_id,
            session_name,
            ..
        } => {
            let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
            json!({
                "AccountId": account.to_string(),
                "Arn": format!("acs:ram::{account}:assumed-role/{role_name}/{session_name}"),
                "IdentityType": "AssumedRoleUser",
                "PrincipalId": format!("{role_id}:{session_name}"),
                "RoleId": role_id,
            })
        }
        Caller::Anonymous => return Err(SimError::sts_no_permission()),
    })
}

/// A stable numeric user ID for a key.
fn user_id(key: &str) -> String {
    let sum = key.bytes().fold(0u64, |acc, b| {
        acc.wrapping_mul(131).wrapping_add(u64::from(b))
    });
    format!("2{:015}", sum % 1_000_000_000_000_000)
}

/// The parameters AssumeRole and AssumeRoleWithOIDC share.
struct Request<'p> {
    role_arn: &'p str,
    session_name: &'p str,
    duration: Option<u32>,
}

impl<'p> Request<'p> {
    fn read(params: &'p Params) -> Result<Self, SimError> {
        let role_arn = params.require("RoleArn")?;
        if !role_arn_ok(role_arn) {
            return Err(SimError::sts_invalid(
                "RoleArn",
                "The parameter RoleArn is wrongly formed.",
            ));
        }
        let session_name = params.require("RoleSessionName")?;
        let name_ok = (2..=64).contains(&session_name.len())
            && session_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'_' | b'-'));
        if !name_ok {
            return Err(SimError::sts_invalid(
                "RoleSessionName",
                "The parameter RoleSessionName is wrongly formed.",
            ));
        }
        let duration = params
            .get("DurationSeconds")
            .map(|v| v.trim().parse::<u32>());
        let duration = match duration {
            None => None,
            Some(Ok(d)) => Some(d),
            Some(Err(_)) => return Err(duration_error(DEFAULT_DURATION)),
        };
        if let Some(policy) = params.get("Policy") {
            check_policy(policy)?;
        }
        Ok(Self {
            role_arn,
            session_name,
            duration,
        })
    }

    fn duration(&self, role: &Role) -> Result<u32, SimError> {
        let seconds = self
            .duration
            .unwrap_or(DEFAULT_DURATION.min(role.max_session_seconds));
        if (MIN_DURATION..=role.max_session_seconds).contains(&seconds) {
            Ok(seconds)
        } else {
            Err(duration_error(role.max_session_seconds))
        }
    }
}

fn duration_error(max: u32) -> SimError {
    let max = if max.is_multiple_of(3600) {
        format!("{}hr", max / 3600)
    } else {
        format!("{}min", max / 60)
    };
    SimError::sts_invalid(
        "DurationSeconds",
        format!("The Min/Max value of DurationSeconds is 15min/{max}."),
    )
}

/// `acs:ram::<account digits>:role/<name>`.
fn role_arn_ok(arn: &str) -> bool {
    arn.strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(":role/"))
        .is_some_and(|(account, name)| {
            !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        })
}

/// 2–1224 characters of `[\w+=,.@:/-]`.
fn external_id_ok(id: &str) -> bool {
    (2..=1224).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'+' | b'=' | b',' | b'.' | b'@' | b':' | b'/' | b'-'
                )
        })
}

/// A session policy: at most 2048 bytes of JSON with `"Version": "1"` and a `Statement` list.
fn check_policy(policy: &str) -> Result<(), SimError> {
    if policy.len() > 2048 {
        return Err(SimError::sts_invalid(
            "PolicySize",
            "The size of Policy must be smaller than 2048 bytes.",
        ));
    }
    let grammar_ok = serde_json::from_str::<Value>(policy).is_ok_and(|v| {
        v.get("Version").and_then(Value::as_str) == Some("1")
            && v.get("Statement").is_some_and(Value::is_array)
    });
    if grammar_ok {
        Ok(())
    } else {
        Err(SimError::sts_invalid(
            "PolicyGrammar",
            "The parameter Policy has not passed grammar check.",
        ))
    }
}

fn find_role(sts: &Sts, arn: &str) -> Result<Role, SimError> {
    sts.directory
        .roles
        .iter()
        .find(|r| r.arn == arn)
        .cloned()
        .ok_or_else(SimError::role_not_found)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the only form every official library parses.
fn wire_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn issued_answer(sts: &Sts, role: &Role, session: &str, issued: &NewCredentials) -> Value {
    let account = sts.directory.account_id;
    json!({
        "AssumedRoleUser": {
            "AssumedRoleId": format!("{}:{session}", role.role_id),
            "Arn": format!("acs:ram::{account}:role/{}/{session}", role.name()),
        },
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "AccessKeySecret": issued.access_key_secret,
            "SecurityToken": issued.security_token,
            "Expiration": wire_time(issued.expiration),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_shapes() {
        assert!(role_arn_ok("acs:ram::1234567890123456:role/ecsimg-builder"));
        for bad in [
            "acs:ram::x:role/r",
            "acs:ram::1:user/r",
            "acs:ram::1:role/",
            "role/r",
        ] {
            assert!(!role_arn_ok(bad), "{bad}");
        }
        assert!(external_id_ok("abc-123:x/y"));
        assert!(!external_id_ok("a"));
        assert!(!external_id_ok("has space"));
        assert!(check_policy(r#"{"Version":"1","Statement":[]}"#).is_ok());
        assert_eq!(
            check_policy(r#"{"Version":"2","Statement":[]}"#)
                .unwrap_err()
                .code,
            "InvalidParameter.PolicyGrammar"
        );
        assert_eq!(
            duration_error(43200).message,
            "The Min/Max value of DurationSeconds is 15min/12hr."
        );
        assert_eq!(
            wire_time(DateTime::from_timestamp(0, 5).expect("t")),
            "1970-01-01T00:00:00Z"
        );
    }
}
