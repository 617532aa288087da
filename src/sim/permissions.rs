//! What each routed operation asks of RAM, and the check a bound key's requests pass before
//! they run.
//!
//! The RAM action, the resources and the condition keys of an [`Action`] come from the same
//! table ecsimg generates policies from (`policy::operations`), read from the request's
//! parameters; a test below keeps every routed action in that table. A request is allowed
//! when its principal's policies allow the action on every resource it acts on (RAM checks
//! each); otherwise it is refused as ECS refuses: 403 `Forbidden.RAM`, with an
//! `AccessDeniedDetail` naming the action.

use base64::Engine;
use serde_json::json;

use super::error::SimError;
use super::keyring::{Bounds, Principal};
use super::params::Params;
use super::route::Action;
use crate::policy::operations::{Needs, needs};
use crate::policy::{Decision, evaluate};

impl Action {
    /// What this action with `params` asks of RAM in `account`.
    pub fn needs(self, params: &Params, account: &str) -> Needs {
        needs(self.name(), &params.pairs(), account).unwrap_or_else(|| Needs {
            // Unreachable while the test below holds; refuse rather than allow unchecked.
            action: format!("ecs:{}", self.name()),
            resources: vec!["*".into()],
            context: Default::default(),
        })
    }
}

/// Whether `principal` may run `action` with `params` in the account `owner_id`.
pub fn authorize(
    principal: &Principal,
    action: Action,
    params: &Params,
    owner_id: u64,
) -> Result<(), SimError> {
    let Some(bounds) = &principal.bounds else {
        return Ok(());
    };
    let account = owner_id.to_string();
    let needs = action.needs(params, &account);
    for request in needs.requests() {
        let decision = evaluate(bounds.policies.iter().map(|p| &**p), &request);
        if decision != Decision::Allow {
            tracing::info!(
                action = %request.action,
                resource = %request.resource,
                ?decision,
                "refused by RAM policy"
            );
            let detail = bounds.denial_detail.then(|| {
                detail(
                    bounds,
                    &account,
                    &request.action,
                    &request.resource,
                    decision,
                )
            });
            return Err(SimError::access_denied(detail));
        }
    }
    Ok(())
}

/// `AccessDeniedDetail` as RAM words it. `EncodedDiagnosticMessage` is opaque to clients
/// (RAM's DecodeDiagnosticMessage reads it); here it is base64 JSON naming the resource.
fn detail(
    bounds: &Bounds,
    account: &str,
    action: &str,
    resource: &str,
    decision: Decision,
) -> serde_json::Value {
    let kind = if decision == Decision::ExplicitDeny {
        "ExplicitDeny"
    } else {
        "ImplicitDeny"
    };
    let diagnostic = json!({
        "ExplicitDeny": decision == Decision::ExplicitDeny,
        "NoPermissionPolicyType": bounds.policy_type,
        "AuthAction": action,
        "AuthResource": resource,
        "AuthPrincipal": {
            "AuthPrincipalType": bounds.principal_type.as_str(),
            "AuthPrincipalOwnerId": account,
            "AuthPrincipalDisplayName": bounds.display_name,
        },
    });
    json!({
        "PolicyType": bounds.policy_type,
        "AuthPrincipalOwnerId": account,
        "AuthPrincipalType": bounds.principal_type.as_str(),
        "AuthPrincipalDisplayName": bounds.display_name,
        "NoPermissionType": kind,
        "AuthAction": action,
        "EncodedDiagnosticMessage":
            base64::engine::general_purpose::STANDARD.encode(diagnostic.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::policy::{Document, operations};
    use crate::secret::Secret;
    use crate::sim::keyring::PrincipalType;
    use crate::sim::route::PRODUCTS;

    #[test]
    fn every_routed_action_is_in_the_operation_table() {
        let known: Vec<&str> = operations::known().collect();
        for action in PRODUCTS.iter().flat_map(|p| p.actions) {
            assert!(known.contains(&action.name()), "{action:?}");
        }
    }

    fn bound(policy: &str, denial_detail: bool) -> Principal {
        Principal {
            secret: Secret::new("s"),
            bounds: Some(Bounds {
                principal_type: PrincipalType::SubUser,
                display_name: "builder".into(),
                policy_type: "AccountLevelIdentityBasedPolicy",
                policies: vec![Arc::new(Document::parse(policy).expect("a policy"))],
                denial_detail,
            }),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::from_pairs(&pairs).expect("params")
    }

    #[test]
    fn every_resource_must_be_allowed_and_the_denial_names_the_action() {
        let principal = bound(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:CreateImage",
                "Resource":["acs:ecs:*:*:image/*","acs:ecs:*:*:instance/i-1"]},
                {"Effect":"Deny","Action":"ecs:*","Resource":"acs:ecs:*:*:instance/i-9"}]}"#,
            true,
        );
        let create = |id: &str| params(&[("RegionId", "r"), ("InstanceId", id)]);
        assert_eq!(
            authorize(&principal, Action::CreateImage, &create("i-1"), 7),
            Ok(())
        );
        let refused = authorize(&principal, Action::CreateImage, &create("i-2"), 7)
            .expect_err("i-2 is not allowed");
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (403, "Forbidden.RAM")
        );
        let detail = refused.access_denied.expect("a detail");
        assert_eq!(detail["AuthAction"], "ecs:CreateImage");
        assert_eq!(detail["NoPermissionType"], "ImplicitDeny");
        assert_eq!(detail["AuthPrincipalOwnerId"], "7");
        let explicit =
            authorize(&principal, Action::CreateImage, &create("i-9"), 7).expect_err("denied");
        assert_eq!(
            explicit.access_denied.expect("a detail")["NoPermissionType"],
            "ExplicitDeny"
        );
        let quiet = bound(r#"{"Version":"1","Statement":[]}"#, false);
        let refused = authorize(&quiet, Action::DescribeRegions, &params(&[]), 7)
            .expect_err("nothing is allowed");
        assert_eq!(refused.access_denied, None);
        let own = Principal {
            secret: Secret::new("s"),
            bounds: None,
        };
        assert_eq!(
            authorize(&own, Action::DeleteImage, &params(&[]), 7),
            Ok(())
        );
    }
}
