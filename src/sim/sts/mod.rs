//! The simulated Security Token Service (STS 2015-04-01): the roles and OIDC providers of the
//! seed file, the temporary credentials it has issued, and the checks every signed request's
//! security token goes through.
//!
//! Issued credentials expire on the simulator's clock. A request signed with one of them must
//! carry its token; a token that is not one the simulator issued for that key, or that has
//! expired, gets the service's codes (see `super::error`).

mod jwt;
pub mod ops;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::error::SimError;
use super::keyring::{Bounds, Principal, PrincipalType};
use crate::policy::Document;
use crate::secret::Secret;

/// The session name of instance-role credentials (the metadata service's).
const INSTANCE_SESSION_NAME: &str = "ecs-instance-role";

/// At most this many issued credential sets are remembered; the one expiring first goes.
const MAX_ISSUED: usize = 100_000;

/// A RAM role callers may assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `acs:ram::<account>:role/<name>`.
    pub arn: String,
    pub role_id: String,
    /// The longest `DurationSeconds` AssumeRole grants (3600–43200).
    pub max_session_seconds: u32,
    /// Access key IDs that may assume the role.
    pub trusted_keys: Vec<String>,
    /// Roles whose sessions may assume this one (role chaining).
    pub trusted_roles: Vec<String>,
    /// OIDC providers (by ARN) whose tokens may assume the role, each with the subjects it
    /// accepts (`*` matches any run of characters).
    pub trusted_oidc: Vec<(String, Vec<String>)>,
    /// When set, AssumeRole must name exactly this `ExternalId`.
    pub external_id: Option<String>,
    /// The policy bounding the role's sessions; `None`: they may do everything.
    pub policy: Option<Arc<Document>>,
}

impl Role {
    pub fn name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

/// An OIDC identity provider registered with RAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// `acs:ram::<account>:oidc-provider/<name>`.
    pub arn: String,
    /// The `iss` its tokens must carry.
    pub issuer: String,
    /// Accepted `aud` values (client IDs).
    pub client_ids: Vec<String>,
}

/// The roles and providers of the seed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    pub account_id: u64,
    pub roles: Vec<Role>,
    pub oidc_providers: Vec<OidcProvider>,
}

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An unsigned request (AssumeRoleWithOIDC only).
    Anonymous,
    /// The simulator's long-term access key (a RAM user).
    Key(String),
    /// A role session, with temporary credentials the simulator issued.
    Session {
        access_key_id: String,
        role_arn: String,
        role_id: String,
        session_name: String,
    },
}

/// One issued set of temporary credentials.
#[derive(Debug, Clone)]
struct Issued {
    secret: Secret,
    token: Secret,
    expiration: DateTime<Utc>,
    role_arn: String,
    role_id: String,
    session_name: String,
}

/// What STS knows: the seed's directory, the credentials it issued, and how often it issued
/// them (tests count refreshes).
#[derive(Debug)]
pub struct Sts {
    pub directory: Directory,
    issued: HashMap<String, Issued>,
    /// Issued token → its access key ID, to tell a token of another key from a made-up one.
    tokens: HashMap<String, String>,
    rng: StdRng,
    assume_role_calls: u64,
    oidc_calls: u64,
}

/// The answer's credentials.
#[derive(Clone)]
pub struct NewCredentials {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    pub expiration: DateTime<Utc>,
}

impl Sts {
    pub fn new(directory: Directory, rng_seed: u64) -> Self {
        Self {
            directory,
            issued: HashMap::new(),
            tokens: HashMap::new(),
            // Its own stream, so issuing credentials never shifts the IDs of created resources.
            rng: StdRng::seed_from_u64(rng_seed ^ 0x5375_5354),
            assume_role_calls: 0,
            oidc_calls: 0,
        }
    }

    /// Successful AssumeRole and AssumeRoleWithOIDC calls so far.
    pub fn issued_counts(&self) -> (u64, u64) {
        (self.assume_role_calls, self.oidc_calls)
    }

    /// The secret of `access_key_id` if the simulator issued it (expired or not).
    pub fn secret_of(&self, access_key_id: &str) -> Option<&Secret> {
        self.issued.get(access_key_id).map(|i| &i.secret)
    }

    /// Checks the security token a request signed by `access_key_id` carries, after its
    /// signature verified. `long_term`: the key is one of the keyring's (no token allowed).
    pub fn check_token(
        &self,
        access_key_id: &str,
        long_term: bool,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Caller, SimError> {
        let token = token.filter(|t| !t.is_empty());
        if long_term {
            return match token {
                None => Ok(Caller::Key(access_key_id.to_string())),
                Some(t) if !well_formed(t) => Err(SimError::security_token_malformed()),
                Some(_) => Err(SimError::security_token_mismatch()),
            };
        }
        let Some(issued) = self.issued.get(access_key_id) else {
            return Err(SimError::access_key_not_found());
        };
        let Some(token) = token else {
            return Err(SimError::missing_security_token());
        };
        if token != issued.token.expose() {
            return Err(if !well_formed(token) {
                SimError::security_token_malformed()
            } else {
                SimError::security_token_mismatch()
            });
        }
        if now >= issued.expiration {
            return Err(SimError::security_token_expired());
        }
        Ok(Caller::Session {
            access_key_id: access_key_id.to_string(),
            role_arn: issued.role_arn.clone(),
            role_id: issued.role_id.clone(),
            session_name: issued.session_name.clone(),
        })
    }

    /// Credentials of the instance's RAM role, as the metadata service hands them out: a
    /// session of the role named `name` lasting `seconds` from `now`; `None` when the seed
    /// has no such role.
    pub fn issue_instance_role(
        &mut self,
        name: &str,
        seconds: u32,
        now: DateTime<Utc>,
    ) -> Option<NewCredentials> {
        let role = self
            .directory
            .roles
            .iter()
            .find(|r| r.name() == name)?
            .clone();
        Some(self.issue(&role, INSTANCE_SESSION_NAME, seconds, now))
    }

    /// Who a signed caller is for RAM: a role session with its role's policy (the
    /// keyring's keys are found there, not here).
    pub fn principal_of(&self, caller: &Caller) -> Result<Arc<Principal>, SimError> {
        let Caller::Session {
            access_key_id,
            role_arn,
            session_name,
            ..
        } = caller
        else {
            return Err(SimError::access_key_not_found());
        };
        let secret = self
            .secret_of(access_key_id)
            .ok_or_else(SimError::access_key_not_found)?;
        let role = self.directory.roles.iter().find(|r| &r.arn == role_arn);
        let bounds = role.and_then(|role| {
            role.policy.clone().map(|policy| Bounds {
                principal_type: PrincipalType::AssumedRoleUser,
                display_name: format!("{}:{session_name}", role.name()),
                policy_type: "AccountLevelIdentityBasedPolicy",
                policies: vec![policy],
                denial_detail: true,
            })
        });
        Ok(Arc::new(Principal {
            secret: secret.clone(),
            bounds,
        }))
    }

    /// Records credentials chosen by the caller as issued for a session of the seed's first
    /// role (or an account-level test role), until `expiration`.
    pub fn grant(
        &mut self,
        access_key_id: &str,
        secret: Secret,
        token: Secret,
        expiration: DateTime<Utc>,
    ) {
        let (role_arn, role_id) = self.directory.roles.first().map_or_else(
            || {
                let account = self.directory.account_id;
                (
                    format!("acs:ram::{account}:role/granted"),
                    "300000000000000000".into(),
                )
            },
            |r| (r.arn.clone(), r.role_id.clone()),
        );
        self.tokens
            .insert(token.expose().to_string(), access_key_id.to_string());
        self.issued.insert(
            access_key_id.to_string(),
            Issued {
                secret,
                token,
                expiration,
                role_arn,
                role_id,
                session_name: "granted".into(),
            },
        );
    }

    /// Issues credentials for a session of `role` lasting `seconds` from `now`.
    fn issue(
        &mut self,
        role: &Role,
        session_name: &str,
        seconds: u32,
        now: DateTime<Utc>,
    ) -> NewCredentials {
        if self.issued.len() >= MAX_ISSUED
            && let Some(first) = self
                .issued
                .iter()
                .min_by_key(|(_, i)| i.expiration)
                .map(|(id, _)| id.clone())
            && let Some(gone) = self.issued.remove(&first)
        {
            self.tokens.remove(gone.token.expose());
        }
        let access_key_id = format!(
            "STS.{}",
            self.random(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 25)
        );
        let secret = self.random(ALNUM, 44);
        // Real tokens are long base64 strings beginning `CAIS`.
        let token = format!("CAIS{}", self.random(BASE64, 320));
        let expiration = now + chrono::Duration::seconds(i64::from(seconds));
        // The wire format has whole seconds.
        let expiration = DateTime::from_timestamp(expiration.timestamp(), 0).unwrap_or(expiration);
        self.tokens.insert(token.clone(), access_key_id.clone());
        self.issued.insert(
            access_key_id.clone(),
            Issued {
                secret: Secret::new(secret.clone()),
                token: Secret::new(token.clone()),
                expiration,
                role_arn: role.arn.clone(),
                role_id: role.role_id.clone(),
                session_name: session_name.to_string(),
            },
        );
        NewCredentials {
            access_key_id,
            access_key_secret: secret,
            security_token: token,
            expiration,
        }
    }

    fn random(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.rng.random_range(0..alphabet.len())] as char)
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Whether `token` looks like an STS token at all (`CAIS` and base64).
fn well_formed(token: &str) -> bool {
    token.len() > 4
        && token.starts_with("CAIS")
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// `pattern` with `*` matching any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(text) = text.strip_prefix(head) else {
                return false;
            };
            (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .any(|i| glob(rest, &text[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> Role {
        Role {
            arn: "acs:ram::1:role/r".into(),
            role_id: "3001".into(),
            max_session_seconds: 3600,
            trusted_keys: vec!["LTAIk".into()],
            trusted_roles: vec![],
            trusted_oidc: vec![],
            external_id: None,
            policy: None,
        }
    }

    #[test]
    fn tokens_are_checked_against_their_key_and_the_clock() {
        let now = Utc::now();
        let mut sts = Sts::new(Directory::default(), 1);
        let a = sts.issue(&role(), "s", 900, now);
        let b = sts.issue(&role(), "s", 900, now);
        let code = |r: Result<Caller, SimError>| r.map(|_| ()).map_err(|e| e.code);
        let ok = sts.check_token(&a.access_key_id, false, Some(&a.security_token), now);
        assert!(matches!(ok, Ok(Caller::Session { .. })));
        for (id, token, at, want) in [
            (&a.access_key_id, None, now, "MissingSecurityToken"),
            (
                &a.access_key_id,
                Some("x y"),
                now,
                "InvalidSecurityToken.Malformed",
            ),
            (
                &a.access_key_id,
                Some(b.security_token.as_str()),
                now,
                "InvalidSecurityToken.MismatchWithAccessKey",
            ),
            (
                &a.access_key_id,
                Some(a.security_token.as_str()),
                now + chrono::Duration::seconds(900),
                "InvalidSecurityToken.Expired",
            ),
        ] {
            assert_eq!(
                code(sts.check_token(id, id == "LTAIk", token, at)),
                Err(want.into())
            );
        }
        let mismatch = sts.check_token("LTAIk", true, Some(&a.security_token), now);
        assert_eq!(
            code(mismatch),
            Err("InvalidSecurityToken.MismatchWithAccessKey".into())
        );
        assert_eq!(
            code(sts.check_token("STS.nope", false, Some("CAISx"), now)),
            Err("InvalidAccessKeyId.NotFound".into())
        );
    }

    #[test]
    fn globs_match_runs() {
        assert!(glob("repo:a/b:*", "repo:a/b:ref:main"));
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(!glob("a*c", "abbb"));
        assert!(!glob("exact", "exactly"));
    }
}
