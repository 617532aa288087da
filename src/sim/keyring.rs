//! Who may sign requests, and what each may do: the simulator's configured key pair (the
//! account's own key, allowed everything) and the seed file's `[[access_keys]]`, each a RAM
//! user whose `policy` bounds what it may do.
//!
//! A principal carries the policies that apply to it. Authentication finds the principal of a
//! request's key and authorization evaluates its policies, so a principal made some other way
//! — a role's session, with the role's policy — is enforced by the same code once it is in
//! the ring.

use std::collections::HashMap;
use std::sync::Arc;

use crate::policy::Document;
use crate::secret::Secret;

/// The simulator's own access key pair (its seed may add more, see `keyring`).
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub id: String,
    pub secret: Secret,
}

impl KeyPair {
    /// The documented sandbox pair, which anyone can sign with.
    pub fn sandbox() -> Self {
        Self {
            id: super::SANDBOX_ACCESS_KEY_ID.into(),
            secret: Secret::new(super::SANDBOX_ACCESS_KEY_SECRET),
        }
    }

    /// Whether this is the published sandbox pair (both halves).
    pub fn is_sandbox(&self) -> bool {
        self.id == super::SANDBOX_ACCESS_KEY_ID
            && self.secret.expose() == super::SANDBOX_ACCESS_KEY_SECRET
    }
}

/// Whose key signed a request, as a denial's `AccessDeniedDetail` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    /// A RAM user.
    SubUser,
    /// A RAM role's session.
    AssumedRoleUser,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::SubUser => "SubUser",
            PrincipalType::AssumedRoleUser => "AssumedRoleUser",
        }
    }
}

/// What RAM checks a principal's requests against.
#[derive(Debug, Clone)]
pub struct Bounds {
    pub principal_type: PrincipalType,
    /// The user's id, or `role:session`.
    pub display_name: String,
    /// `AccessDeniedDetail.PolicyType` when these policies refuse.
    pub policy_type: &'static str,
    /// Every policy that applies; a request needs an Allow from one and a Deny from none.
    pub policies: Vec<Arc<Document>>,
    /// Whether a denial carries `AccessDeniedDetail` (real ECS is not documented to always
    /// send it, so clients must cope without).
    pub denial_detail: bool,
}

/// One key's holder.
#[derive(Debug, Clone)]
pub struct Principal {
    pub secret: Secret,
    /// `None`: the account's own key, allowed everything.
    pub bounds: Option<Bounds>,
}

/// The keys the simulator accepts, by AccessKeyId.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: HashMap<String, Arc<Principal>>,
}

impl Keyring {
    /// The configured pair, allowed everything, and `bound` keys (the seed's); a bound key
    /// with the configured pair's id replaces it.
    pub fn new(
        unrestricted: &KeyPair,
        bound: impl IntoIterator<Item = (String, Principal)>,
    ) -> Self {
        let mut keys = HashMap::new();
        keys.insert(
            unrestricted.id.clone(),
            Arc::new(Principal {
                secret: unrestricted.secret.clone(),
                bounds: None,
            }),
        );
        for (id, principal) in bound {
            keys.insert(id, Arc::new(principal));
        }
        Keyring { keys }
    }

    /// The holder of `access_key_id`.
    pub fn get(&self, access_key_id: &str) -> Option<Arc<Principal>> {
        self.keys.get(access_key_id).cloned()
    }
}
