//! Temporary credentials the simulator hands out (the instance metadata service's role
//! credentials), remembered so that the simulated APIs accept them: an `STS.` key ID, its
//! secret, the security token that must travel with it, and when it stops working.
//!
//! The store is bounded: expired entries are dropped as new ones are issued, and when it is
//! still full the entry closest to expiry makes room.

use crate::secret::Secret;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use std::collections::HashMap;

/// Sessions remembered at once by default.
pub const DEFAULT_MAX_SESSIONS: usize = 10_000;

/// One set of temporary credentials.
#[derive(Debug, Clone)]
pub struct Temporary {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Secret,
    pub issued_at: DateTime<Utc>,
    pub expiration: DateTime<Utc>,
    /// Who the credentials act as (a role name).
    pub principal: String,
}

/// Why a request's temporary credentials are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such key ID.
    Unknown,
    /// A temporary key without its token.
    MissingToken,
    /// The token does not belong to the key.
    TokenMismatch,
    Expired,
}

/// Issued temporary credentials, by key ID.
#[derive(Debug)]
pub struct Sessions {
    by_id: HashMap<String, Temporary>,
    max: usize,
}

impl Default for Sessions {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SESSIONS)
    }
}

impl Sessions {
    pub fn new(max: usize) -> Self {
        Self {
            by_id: HashMap::new(),
            max: max.max(1),
        }
    }

    /// New credentials for `principal`, valid from `now` for `lifetime`.
    pub fn issue(
        &mut self,
        principal: &str,
        now: DateTime<Utc>,
        lifetime: chrono::Duration,
    ) -> Temporary {
        self.by_id.retain(|_, s| s.expiration > now);
        while self.by_id.len() >= self.max {
            let oldest = self
                .by_id
                .iter()
                .min_by_key(|(_, s)| s.expiration)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => self.by_id.remove(&id),
                None => break,
            };
        }
        let mut rng = rand::rng();
        let id: String = (&mut rng)
            .sample_iter(Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        let secret: String = (&mut rng)
            .sample_iter(Alphanumeric)
            .take(44)
            .map(char::from)
            .collect();
        let mut token = [0u8; 240];
        rng.fill(&mut token[..]);
        let temporary = Temporary {
            access_key_id: format!("STS.{id}"),
            access_key_secret: Secret::new(secret),
            security_token: Secret::new(format!(
                "CAIS{}",
                base64::engine::general_purpose::STANDARD.encode(token)
            )),
            issued_at: now,
            expiration: now + lifetime,
            principal: principal.to_string(),
        };
        self.by_id
            .insert(temporary.access_key_id.clone(), temporary.clone());
        temporary
    }

    /// The secret to verify a request signed with `access_key_id`, if it is a temporary key
    /// presented with its own token and not yet expired.
    pub fn secret_for(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<&Secret, Refused> {
        let session = self.by_id.get(access_key_id).ok_or(Refused::Unknown)?;
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(Refused::MissingToken)?;
        if token != session.security_token.expose() {
            return Err(Refused::TokenMismatch);
        }
        if session.expiration <= now {
            return Err(Refused::Expired);
        }
        Ok(&session.access_key_secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_credentials_verify_until_they_expire() {
        let now = Utc::now();
        let mut sessions = Sessions::new(2);
        let a = sessions.issue("role", now, chrono::Duration::hours(1));
        assert!(a.access_key_id.starts_with("STS."));
        let token = Some(a.security_token.expose());
        assert_eq!(
            sessions
                .secret_for(&a.access_key_id, token, now)
                .map(Secret::expose),
            Ok(a.access_key_secret.expose())
        );
        let later = now + chrono::Duration::hours(2);
        assert_eq!(
            sessions.secret_for(&a.access_key_id, token, later).err(),
            Some(Refused::Expired)
        );
        assert_eq!(
            sessions.secret_for(&a.access_key_id, None, now).err(),
            Some(Refused::MissingToken)
        );
        assert_eq!(
            sessions
                .secret_for(&a.access_key_id, Some("CAISother"), now)
                .err(),
            Some(Refused::TokenMismatch)
        );
        assert_eq!(
            sessions.secret_for("STS.nope", token, now).err(),
            Some(Refused::Unknown)
        );
        // Bounded: a third session pushes out the one closest to expiry.
        let b = sessions.issue("role", now, chrono::Duration::hours(3));
        let c = sessions.issue("role", now, chrono::Duration::hours(2));
        assert_eq!(sessions.by_id.len(), 2);
        assert!(!sessions.by_id.contains_key(&a.access_key_id));
        assert!(sessions.by_id.contains_key(&b.access_key_id));
        assert!(sessions.by_id.contains_key(&c.access_key_id));
    }
}
