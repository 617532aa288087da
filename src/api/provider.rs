//! Where a client's key comes from at the moment it signs: a [`CredentialProvider`].
//!
//! A long-lived AccessKey never changes ([`Credentials`] is its own provider). Temporary
//! credentials (STS: an assumed role, OIDC, an instance role, a credentials URI, an external
//! process) expire, so [`Refreshing`] wraps whatever fetches them: it hands out the cached set
//! while it is fresh, fetches a new one a margin before it expires, lets every concurrent
//! caller share that one fetch, and fetches again when the service said the token it was given
//! has expired ([`CredentialProvider::invalidate`]; the client retries such a call once).
//!
//! Providers never print a secret: [`CredentialProvider::label`] says where the key comes from
//! ("RamRoleArn via profile dev"), and [`ProviderError`] is written by the provider, which
//! knows not to quote a token.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::sign::Credentials;

/// Reads the wall clock. Injected so tests can run a provider (and the client's signatures) on
/// a simulated clock that runs hours ahead.
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The real wall clock.
pub fn system_now() -> Now {
    Arc::new(Utc::now)
}

/// Why no credentials could be had. The message names the source and what to do; it never
/// holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    message: String,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A source of credentials to sign with, shared by every clone of a client.
pub trait CredentialProvider: Send + Sync {
    /// The credentials to sign the next request with; a provider of temporary credentials
    /// fetches or refreshes them here.
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>, ProviderError>>;

    /// The service refused `used` because its security token expired: the next
    /// [`CredentialProvider::credentials`] fetches a new set (unless another caller already
    /// did). Static credentials cannot be refreshed and ignore it.
    fn invalidate(&self, used: &Credentials) {
        let _ = used;
    }

    /// Where the credentials come from, for the status bar and the journal; never a secret.
    fn label(&self) -> String;
}

/// A shared provider, as a client holds it.
pub type SharedProvider = Arc<dyn CredentialProvider>;

/// Fixed credentials under a label (an AccessKey, or an STS token someone else obtained).
pub struct Static {
    credentials: Arc<Credentials>,
    label: String,
}

impl Static {
    pub fn new(credentials: Credentials, label: impl Into<String>) -> Self {
        Self {
            credentials: Arc::new(credentials),
            label: label.into(),
        }
    }
}

impl CredentialProvider for Static {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>, ProviderError>> {
        let credentials = Arc::clone(&self.credentials);
        Box::pin(async move { Ok(credentials) })
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

/// Plain credentials are a provider labelled by their key ID (tests, simple callers).
impl From<Credentials> for SharedProvider {
    fn from(credentials: Credentials) -> SharedProvider {
        let label = format!("AccessKey {}", credentials.access_key_id);
        Arc::new(Static::new(credentials, label))
    }
}

/// Credentials that expire, as a fetch returns them.
#[derive(Debug, Clone)]
pub struct Temporary {
    pub credentials: Credentials,
    /// `None`: no expiry was given, so the set is used until the service refuses its token as
    /// expired (then fetched again, see [`CredentialProvider::invalidate`]).
    pub expiration: Option<DateTime<Utc>>,
}

/// Fetches a new set of temporary credentials (one AssumeRole, one read of a URI, …).
pub trait Fetch: Send + Sync {
    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, ProviderError>>;

    /// See [`CredentialProvider::label`].
    fn label(&self) -> String;
}

/// How long before expiry a refresh starts: the aliyun CLI's (Go SDK's) margin. The Python and
/// Node libraries use 15 minutes, which would refresh 15-minute credentials on every call.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(180);

/// After a failed refresh while the cached set is still valid, the fetch is not tried again
/// for this long (the cached set is used meanwhile), so a broken STS is not asked on every call.
const RETRY_FAILED_REFRESH: Duration = Duration::from_secs(10);

struct Cached {
    credentials: Arc<Credentials>,
    expiration: Option<DateTime<Utc>>,
    /// The service said this set's token expired.
    refused: bool,
    /// No refresh before this instant (a refresh just failed).
    quiet_until: Option<DateTime<Utc>>,
}

/// Temporary credentials from `F`, cached and refreshed before they expire; concurrent callers
/// share one fetch (single flight).
pub struct Refreshing<F> {
    fetch: F,
    now: Now,
    margin: chrono::Duration,
    cache: Mutex<Option<Cached>>,
    /// Held while fetching: whoever waits on it finds the fresh set in `cache` afterwards.
    gate: tokio::sync::Mutex<()>,
}

impl<F: Fetch> Refreshing<F> {
    pub fn new(fetch: F) -> Self {
        Self::with_clock(fetch, system_now())
    }

    /// On the clock `now` (tests run a simulated one).
    pub fn with_clock(fetch: F, now: Now) -> Self {
        Self {
            fetch,
            now,
            margin: chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or_default(),
            cache: Mutex::new(None),
            gate: tokio::sync::Mutex::new(()),
        }
    }

    /// The cached set if it can be used now without a fetch.
    fn fresh(&self) -> Option<Arc<Credentials>> {
        let now = (self.now)();
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let cached = cache.as_ref()?;
        if cached.refused {
            return None;
        }
        let quiet = cached.quiet_until.is_some_and(|until| now < until);
        let fresh = cached
            .expiration
            .is_none_or(|expiration| now + self.margin < expiration || (quiet && now < expiration));
        fresh.then(|| Arc::clone(&cached.credentials))
    }

    async fn refresh(&self) -> Result<Arc<Credentials>, ProviderError> {
        let _turn = self.gate.lock().await;
        // Whoever held the gate before us may have refreshed already.
        if let Some(credentials) = self.fresh() {
            return Ok(credentials);
        }
        match self.fetch.fetch().await {
            Ok(temporary) => {
                let credentials = Arc::new(temporary.credentials);
                *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(Cached {
                    credentials: Arc::clone(&credentials),
                    expiration: temporary.expiration,
                    refused: false,
                    quiet_until: None,
                });
                Ok(credentials)
            }
            Err(error) => {
                let now = (self.now)();
                let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                // Still valid and not refused: keep using it a little longer.
                if let Some(cached) = cache.as_mut().filter(|c| {
                    !c.refused && c.expiration.is_some_and(|expiration| now < expiration)
                }) {
                    tracing::warn!(source = %self.fetch.label(), %error,
                        "refreshing credentials failed; using the current ones until they expire");
                    cached.quiet_until = chrono::Duration::from_std(RETRY_FAILED_REFRESH)
                        .ok()
                        .map(|pause| now + pause);
                    return Ok(Arc::clone(&cached.credentials));
                }
                Err(error)
            }
        }
    }
}

impl<F: Fetch> CredentialProvider for Refreshing<F> {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>, ProviderError>> {
        Box::pin(async move {
            match self.fresh() {
                Some(credentials) => Ok(credentials),
                None => self.refresh().await,
            }
        })
    }

    fn invalidate(&self, used: &Credentials) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cached) = cache.as_mut()
            && *cached.credentials == *used
        {
            cached.refused = true;
        }
    }

    fn label(&self) -> String {
        self.fetch.label()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::secret::Secret;

    struct Counting {
        calls: Arc<AtomicU32>,
        now: Now,
        lifetime: chrono::Duration,
        fail: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Fetch for Counting {
        fn fetch(&self) -> BoxFuture<'_, Result<Temporary, ProviderError>> {
            Box::pin(async move {
                tokio::task::yield_now().await;
                if self.fail.load(Ordering::SeqCst) {
                    return Err(ProviderError::new("STS is down"));
                }
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(Temporary {
                    credentials: Credentials {
                        access_key_id: format!("STS.{n}"),
                        access_key_secret: Secret::new(format!("secret-{n}")),
                        security_token: Some(Secret::new(format!("token-{n}"))),
                    },
                    expiration: Some((self.now)() + self.lifetime),
                })
            })
        }

        fn label(&self) -> String {
            "test".into()
        }
    }

    struct Setup {
        provider: Arc<Refreshing<Counting>>,
        calls: Arc<AtomicU32>,
        clock: Arc<Mutex<DateTime<Utc>>>,
        fail: Arc<std::sync::atomic::AtomicBool>,
    }

    fn setup(lifetime_secs: i64) -> Setup {
        let clock = Arc::new(Mutex::new(
            DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
                .expect("valid")
                .with_timezone(&Utc),
        ));
        let c = Arc::clone(&clock);
        let now: Now = Arc::new(move || *c.lock().expect("clock"));
        let calls = Arc::new(AtomicU32::new(0));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let fetch = Counting {
            calls: Arc::clone(&calls),
            now: Arc::clone(&now),
            lifetime: chrono::Duration::seconds(lifetime_secs),
            fail: Arc::clone(&fail),
        };
        Setup {
            provider: Arc::new(Refreshing::with_clock(fetch, now)),
            calls,
            clock,
            fail,
        }
    }

    fn advance(clock: &Mutex<DateTime<Utc>>, secs: i64) {
        *clock.lock().expect("clock") += chrono::Duration::seconds(secs);
    }

    #[tokio::test]
    async fn refreshes_a_margin_before_expiry_and_not_before() {
        let s = setup(900);
        let first = s.provider.credentials().await.expect("fetches");
        assert_eq!(first.access_key_id, "STS.1");
        advance(&s.clock, 900 - 181);
        assert_eq!(
            s.provider
                .credentials()
                .await
                .expect("cached")
                .access_key_id,
            "STS.1"
        );
        advance(&s.clock, 2);
        assert_eq!(
            s.provider.credentials().await.expect("new").access_key_id,
            "STS.2"
        );
        assert_eq!(s.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let s = setup(900);
        let all = futures::future::join_all((0..32).map(|_| {
            let p = Arc::clone(&s.provider);
            tokio::spawn(async move { p.credentials().await.map(|c| c.access_key_id.clone()) })
        }))
        .await;
        for got in all {
            assert_eq!(got.expect("joins").expect("credentials"), "STS.1");
        }
        assert_eq!(s.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refused_token_is_fetched_again_once() {
        let s = setup(3600);
        let first = s.provider.credentials().await.expect("fetches");
        s.provider.invalidate(&first);
        let second = s.provider.credentials().await.expect("fetches again");
        assert_eq!(second.access_key_id, "STS.2");
        // A late report about the old set does not throw the new one away.
        s.provider.invalidate(&first);
        assert_eq!(
            s.provider
                .credentials()
                .await
                .expect("cached")
                .access_key_id,
            "STS.2"
        );
        assert_eq!(s.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_valid_credentials_but_not_expired_ones() {
        let s = setup(900);
        s.provider.credentials().await.expect("fetches");
        advance(&s.clock, 800);
        s.fail.store(true, Ordering::SeqCst);
        assert_eq!(
            s.provider.credentials().await.expect("kept").access_key_id,
            "STS.1"
        );
        advance(&s.clock, 101);
        let e = s.provider.credentials().await.unwrap_err();
        assert_eq!(e.to_string(), "STS is down");
    }

    #[tokio::test]
    async fn static_credentials_ignore_invalidation() {
        let provider: SharedProvider = Credentials {
            access_key_id: "LTAIx".into(),
            access_key_secret: Secret::new("s"),
            security_token: None,
        }
        .into();
        let c = provider.credentials().await.expect("static");
        provider.invalidate(&c);
        assert_eq!(
            provider.credentials().await.expect("static").access_key_id,
            "LTAIx"
        );
        assert_eq!(provider.label(), "AccessKey LTAIx");
    }
}
