//! `[[access_keys]]`: more key pairs the simulator accepts besides its own, each a RAM user
//! whose `policy` (a RAM policy document, as JSON text) bounds what it may do.
//!
//! ```toml
//! [[access_keys]]
//! id = "LTAIbuilder"
//! secret = "builder-secret"
//! user = "image-builder"      # names the user in denials (default: the id)
//! policy = '''{"Version": "1", "Statement": [...]}'''
//! denial_detail = false       # refuse without AccessDeniedDetail (default: with it)
//! ```
//!
//! A key without `policy` is the account's own, allowed everything.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::Seed;
use crate::policy::Document;
use crate::secret::Secret;
use crate::sim::keyring::{Bounds, Principal, PrincipalType};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccessKeyRow {
    id: Spanned<String>,
    secret: String,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default = "yes")]
    denial_detail: bool,
}

fn yes() -> bool {
    true
}

/// Every key is named once, has a secret, and its policy is a valid document.
pub(super) fn check(rows: &[AccessKeyRow]) -> Result<(), (Option<usize>, String)> {
    let mut ids = HashSet::new();
    for row in rows {
        let id = row.id.get_ref();
        let at = Some(row.id.span().start);
        if id.is_empty() || !ids.insert(id.as_str()) {
            return Err((
                at,
                format!("[[access_keys]] id {id:?} is empty or listed twice"),
            ));
        }
        if row.secret.is_empty() {
            return Err((at, format!("access key {id}: field `secret` is empty")));
        }
        if let Some(policy) = &row.policy {
            Document::parse(policy)
                .map_err(|e| (at, format!("access key {id}: field `policy`: {e}")))?;
        }
    }
    Ok(())
}

impl Seed {
    /// The seed's key pairs and what each may do.
    pub fn access_keys(&self) -> Vec<(String, Principal)> {
        self.file
            .access_keys
            .iter()
            .map(|row| {
                let id = row.id.get_ref().clone();
                let bounds = row.policy.as_deref().and_then(|text| {
                    // Checked when the seed was parsed.
                    let document = Document::parse(text).ok()?;
                    Some(Bounds {
                        principal_type: PrincipalType::SubUser,
                        display_name: row.user.clone().unwrap_or_else(|| id.clone()),
                        policy_type: "AccountLevelIdentityBasedPolicy",
                        policies: vec![Arc::new(document)],
                        denial_detail: row.denial_detail,
                    })
                });
                let principal = Principal {
                    secret: Secret::new(row.secret.clone()),
                    bounds,
                };
                (id, principal)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::SANDBOX_TOML;
    use super::*;

    fn seed(keys: &str) -> Result<Seed, super::super::SeedError> {
        Seed::parse(&format!("{SANDBOX_TOML}\n{keys}"), "keys.toml")
    }

    #[test]
    fn keys_carry_their_policies() {
        let seed = seed(
            "[[access_keys]]\nid = \"LTAIa\"\nsecret = \"a\"\nuser = \"builder\"\n\
             policy = '{\"Version\":\"1\",\"Statement\":[]}'\ndenial_detail = false\n\
             [[access_keys]]\nid = \"LTAIb\"\nsecret = \"b\"\n",
        )
        .expect("parses");
        let keys = seed.access_keys();
        assert_eq!(keys.len(), 2);
        let bounds = keys[0].1.bounds.as_ref().expect("bound by its policy");
        assert_eq!(bounds.display_name, "builder");
        assert!(!bounds.denial_detail);
        assert!(bounds.policies[0].statement.is_empty());
        assert!(
            keys[1].1.bounds.is_none(),
            "no policy: the account's own key"
        );
    }

    #[test]
    fn bad_keys_are_refused_at_their_line() {
        let base = SANDBOX_TOML.lines().count() + 2;
        for (keys, needle) in [
            (
                "[[access_keys]]\nid = \"LTAIa\"\nsecret = \"a\"\npolicy = '{\"Version\":\"2\",\"Statement\":[]}'\n",
                "field `policy`: invalid policy document: Version must be \"1\"",
            ),
            (
                "[[access_keys]]\nid = \"LTAIa\"\nsecret = \"\"\n",
                "field `secret` is empty",
            ),
            (
                "[[access_keys]]\nid = \"LTAIa\"\nsecret = \"a\"\n[[access_keys]]\nid = \"LTAIa\"\nsecret = \"b\"\n",
                "listed twice",
            ),
        ] {
            let err = seed(keys).expect_err(needle);
            assert!(err.message.contains(needle), "{err}");
            assert!(err.line.is_some_and(|l| l >= base), "{err}");
        }
    }
}
