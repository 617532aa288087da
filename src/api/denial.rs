//! Permission refusals: the `AccessDeniedDetail` a RAM denial may carry (ECS's 403
//! `Forbidden.RAM`, other products' 403 `NoPermission`), and the call that was refused, kept
//! with the error so the refusal can be explained as "this action on these resources".
//!
//! Whether every denial carries the detail is not documented, and some products type it as a
//! JSON string holding the object: both shapes are read, and a missing or odd one leaves
//! `None` rather than failing the error.

use serde::Deserialize;
use serde_json::Value;

use super::lenient;

/// What RAM says about a refusal. Every field is optional text, bounded and printable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccessDeniedDetail {
    /// The refused action, `ecs:CreateImage`.
    #[serde(deserialize_with = "lenient::text")]
    pub auth_action: String,
    /// `ImplicitDeny` (no statement allowed it) or `ExplicitDeny` (a Deny statement matched).
    #[serde(deserialize_with = "lenient::text")]
    pub no_permission_type: String,
    /// Which kind of policy refused: `AccountLevelIdentityBasedPolicy`, `SessionPolicy`, …
    #[serde(deserialize_with = "lenient::text")]
    pub policy_type: String,
    /// `SubUser` (a RAM user) or `AssumedRoleUser` (a role's session).
    #[serde(deserialize_with = "lenient::text")]
    pub auth_principal_type: String,
    /// The user's id, or `role:session`.
    #[serde(deserialize_with = "lenient::text")]
    pub auth_principal_display_name: String,
    /// The account's UID (sometimes masked, `11***`).
    #[serde(deserialize_with = "lenient::text")]
    pub auth_principal_owner_id: String,
}

impl AccessDeniedDetail {
    /// Reads the detail from an error body's `AccessDeniedDetail` (or `accessDeniedDetail`)
    /// value: an object, or a string holding one. `quote` bounds and escapes each field.
    pub(crate) fn from_value(value: &Value, quote: impl Fn(&str) -> String) -> Option<Self> {
        let parsed: AccessDeniedDetail = match value {
            Value::Object(_) => serde_json::from_value(value.clone()).ok()?,
            Value::String(text) => serde_json::from_str(text).ok()?,
            _ => return None,
        };
        let detail = AccessDeniedDetail {
            auth_action: quote(parsed.auth_action.trim()),
            no_permission_type: quote(parsed.no_permission_type.trim()),
            policy_type: quote(parsed.policy_type.trim()),
            auth_principal_type: quote(parsed.auth_principal_type.trim()),
            auth_principal_display_name: quote(parsed.auth_principal_display_name.trim()),
            auth_principal_owner_id: quote(parsed.auth_principal_owner_id.trim()),
        };
        (detail != AccessDeniedDetail::default()).then_some(detail)
    }

    /// Whether a Deny statement refused (an Allow added beside it would not help).
    pub fn is_explicit(&self) -> bool {
        self.no_permission_type == "ExplicitDeny"
    }
}

/// A call the server refused: its API name and the parameters it was sent with (operation
/// parameters only: the key, signature and token are added when signing, never here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedCall {
    pub operation: String,
    pub params: Vec<(String, String)>,
}

/// Whether an error code is a permission refusal: ECS's `Forbidden.RAM`, the `NoPermission`
/// of STS and other products.
pub fn is_permission_code(code: &str) -> bool {
    code == "Forbidden.RAM" || code == "NoPermission" || code.starts_with("NoPermission.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(text: &str) -> String {
        crate::text::printable(text, 64)
    }

    #[test]
    fn the_detail_reads_from_an_object_or_a_string() {
        let object = serde_json::json!({
            "PolicyType": "AccountLevelIdentityBasedPolicy",
            "AuthPrincipalOwnerId": 1234,
            "AuthPrincipalType": "SubUser",
            "AuthPrincipalDisplayName": "2000\u{1b}[31m",
            "NoPermissionType": "ImplicitDeny",
            "AuthAction": "ecs:CreateImage",
            "EncodedDiagnosticMessage": "AQIB"
        });
        let detail = AccessDeniedDetail::from_value(&object, quote).expect("read");
        assert_eq!(detail.auth_action, "ecs:CreateImage");
        assert_eq!(detail.auth_principal_owner_id, "1234");
        assert!(!detail.auth_principal_display_name.contains('\u{1b}'));
        assert!(!detail.is_explicit());
        let string = Value::String(object.to_string());
        assert_eq!(AccessDeniedDetail::from_value(&string, quote), Some(detail));
        for odd in [
            Value::Null,
            serde_json::json!([1]),
            Value::String("not json".into()),
            serde_json::json!({}),
        ] {
            assert_eq!(AccessDeniedDetail::from_value(&odd, quote), None, "{odd}");
        }
    }

    #[test]
    fn permission_codes() {
        assert!(is_permission_code("Forbidden.RAM"));
        assert!(is_permission_code("NoPermission"));
        assert!(!is_permission_code("Forbidden"));
        assert!(!is_permission_code("OperationDenied"));
    }
}
