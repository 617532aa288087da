//! A permission refusal explained: which action on which resources was missing, and the
//! statement that grants it.
//!
//! The action comes from the answer's `AccessDeniedDetail` when it has one, else from the
//! refused operation ([`super::operations`]); the resources are the ones that call acts on
//! (RAM does not say which one it refused, so the statement names them all). The account in
//! the ARNs is the detail's owner when it is given unmasked, else `*`.

use std::collections::BTreeMap;

use super::operations::{needs, ram_action};
use super::{Effect, Statement};
use crate::api::{ApiError, ServiceError};

/// What a refused call was missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// `ecs:CreateImage`.
    pub action: String,
    /// The resources the call acts on; `*` when the refused action is not the call's own.
    pub resources: Vec<String>,
    /// A Deny statement refused it: adding an Allow will not help.
    pub explicit: bool,
    /// The Allow statement that grants it.
    pub statement: Statement,
}

impl Denied {
    /// "ecs:CreateImage on acs:ecs:…:image/*, acs:ecs:…:instance/i-1".
    pub fn what(&self) -> String {
        format!("{} on {}", self.action, self.resources.join(", "))
    }

    /// The statement as one line of JSON, to paste into a policy's `Statement` list.
    pub fn statement_json(&self) -> String {
        // A statement of strings always serializes.
        serde_json::to_string(&self.statement).unwrap_or_default()
    }

    /// What is missing, in a sentence.
    pub fn missing(&self) -> String {
        if self.explicit {
            format!("A Deny statement refuses {}.", self.what())
        } else {
            format!("Missing permission: {}.", self.what())
        }
    }

    /// How to fix it, with the statement to add.
    pub fn fix(&self) -> String {
        if self.explicit {
            format!(
                "Remove or narrow the Deny statement that matches {} (an Allow cannot override \
                 it); this build needs: {}",
                self.action,
                self.statement_json()
            )
        } else {
            format!(
                "Add this statement to the policy of the user or role (`ecsimg policy --recipe \
                 FILE` prints all this build needs): {}",
                self.statement_json()
            )
        }
    }
}

/// The refusal in `error`, explained; `None` when it is not a permission refusal, or neither
/// the answer nor the call names the action.
pub fn explain(error: &ApiError) -> Option<Denied> {
    match error {
        ApiError::Service(e) if e.is_permission_denied() => explain_service(e),
        _ => None,
    }
}

fn explain_service(error: &ServiceError) -> Option<Denied> {
    let detail = error.access_denied.as_deref();
    let account = detail
        .map(|d| d.auth_principal_owner_id.as_str())
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("*");
    let call = error
        .refused
        .as_deref()
        .and_then(|call| needs(&call.operation, &call.params, account));
    let told = detail
        .map(|d| d.auth_action.as_str())
        .filter(|a| !a.is_empty());
    let own = error
        .refused
        .as_deref()
        .and_then(|call| ram_action(&call.operation));
    let action = told.or(own)?.to_string();
    // The call's resources only when RAM refused the call's own action (not one it depends on).
    let (resources, context) = match call {
        Some(needs) if needs.action.eq_ignore_ascii_case(&action) => {
            (needs.resources, needs.context)
        }
        _ => (vec!["*".to_string()], BTreeMap::new()),
    };
    Some(Denied {
        statement: Statement {
            effect: Effect::Allow,
            action: vec![action.clone()],
            resource: resources.clone(),
            condition: super::build::condition(context),
        },
        action,
        resources,
        explicit: detail.is_some_and(|d| d.is_explicit()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Redactor;

    fn refused(body: &str, operation: &str, params: &[(&str, &str)]) -> ApiError {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ApiError::from_response(403, None, body.as_bytes(), &Redactor::default())
            .for_call(operation, &params)
    }

    const BARE: &str =
        r#"{"Code":"Forbidden.RAM","Message":"User not authorized","RequestId":"R"}"#;

    #[test]
    fn without_detail_the_operation_names_the_action_and_resources() {
        let error = refused(
            BARE,
            "StopInstances",
            &[("RegionId", "cn-hangzhou"), ("InstanceId.1", "i-1")],
        );
        let denied = explain(&error).expect("a denial");
        assert_eq!(
            denied.what(),
            "ecs:StopInstances on acs:ecs:cn-hangzhou:*:instance/i-1"
        );
        assert!(!denied.explicit);
        assert_eq!(
            denied.statement_json(),
            r#"{"Effect":"Allow","Action":"ecs:StopInstances","Resource":"acs:ecs:cn-hangzhou:*:instance/i-1"}"#
        );
        assert!(denied.fix().contains(&denied.statement_json()));
    }

    #[test]
    fn the_detail_names_the_action_and_the_account() {
        let body = r#"{"Code":"Forbidden.RAM","Message":"m","AccessDeniedDetail":{
            "AuthAction":"ecs:CreateImage","NoPermissionType":"ExplicitDeny",
            "AuthPrincipalOwnerId":"1234567890123456"}}"#;
        let error = refused(
            body,
            "CreateImage",
            &[
                ("RegionId", "r"),
                ("SnapshotId", "s-1"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "prod"),
            ],
        );
        let denied = explain(&error).expect("a denial");
        assert!(denied.explicit);
        assert_eq!(
            denied.resources,
            [
                "acs:ecs:r:1234567890123456:image/*",
                "acs:ecs:r:1234567890123456:snapshot/s-1"
            ]
        );
        assert!(denied.missing().starts_with("A Deny statement refuses"));
        assert!(
            denied
                .statement_json()
                .contains(r#""acs:RequestTag/env":"prod""#)
        );
        // A dependent action the call does not name: its resources are not known.
        let body = r#"{"Code":"Forbidden.RAM","Message":"m",
            "AccessDeniedDetail":{"AuthAction":"kms:Decrypt","AuthPrincipalOwnerId":"11***"}}"#;
        let denied = explain(&refused(body, "CreateImage", &[])).expect("a denial");
        assert_eq!(denied.what(), "kms:Decrypt on *");
    }

    #[test]
    fn other_errors_and_unknown_calls_are_not_explained() {
        let other = ApiError::from_response(
            400,
            None,
            br#"{"Code":"InvalidParameter","Message":"m"}"#,
            &Redactor::default(),
        )
        .for_call("CreateImage", &[]);
        assert_eq!(explain(&other), None);
        let ApiError::Service(service) = &other else {
            panic!("a service error")
        };
        assert_eq!(service.refused, None, "only refusals keep the call");
        assert_eq!(explain(&refused(BARE, "RunInstances", &[])), None);
        let bare = ApiError::from_response(403, None, BARE.as_bytes(), &Redactor::default());
        assert_eq!(
            explain(&bare),
            None,
            "no call and no detail: nothing to name"
        );
    }
}
