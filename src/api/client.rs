//! The API client: signed requests over reqwest, retries with back-off and pagination, each
//! request sent with its product's API version to its product's endpoint (`super::product`).
//! The typed operations built on it are in `super::operations` (and `super::power`).
//!
//! Every attempt is signed afresh (new timestamp and nonce — the service rejects a reused
//! nonce), and the query string sent is exactly the one signed: the URL is assembled here as a
//! string, never re-encoded by the HTTP library. A [`CancellationToken`] stops an in-flight
//! request or a back-off at once.
//!
//! The key comes from a [`CredentialProvider`] at each attempt, so temporary credentials are
//! refreshed as they age; a call refused because its security token expired is retried once
//! with a fresh set (never more: a second refusal is the answer).
//!
//! Long on purpose: one call's whole life (sign, send, read within bounds, classify, retry,
//! refresh an expired token, page) reads top to bottom here; the typed operations are elsewhere.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::endpoint::Endpoint;
use super::error::{ApiError, TransportKind};
use super::paging::{Listing, MAX_PAGES};
use super::product::{self, Product};
use super::provider::{Now, SharedProvider, system_now};
use super::redact::Redactor;
use super::retry::{RetryPolicy, parse_retry_after};
use super::sign::{Credentials, SignatureVersion, V3Input, encode_pairs, sign_v1, sign_v3};
use crate::duration;
use crate::text::printable;

/// Largest response body read; anything bigger is a [`ApiError::Decode`], not a memory spike.
const MAX_BODY: usize = 8 << 20;

type Params = Vec<(String, String)>;

/// The code ECS answers when a request's security token has expired.
pub const TOKEN_EXPIRED: &str = "InvalidSecurityToken.Expired";

/// Everything a [`Client`] needs. [`ClientConfig::new`] fills sane defaults.
#[derive(Clone)]
pub struct ClientConfig {
    /// Where ECS requests go; other products' endpoints follow from it
    /// ([`Product::endpoint`]).
    pub endpoint: Endpoint,
    /// Sent as `RegionId` on every request of a regional product.
    pub region: String,
    /// Where the key comes from (a [`Credentials`] converts into a fixed provider).
    pub credentials: SharedProvider,
    pub signature_version: SignatureVersion,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    /// Longest silence while waiting for response bytes.
    pub read_timeout: Duration,
    /// Longest time one call may take from start to answer, every attempt and pause between
    /// attempts included: a server that trickles bytes cannot hold a call past it.
    pub call_timeout: Duration,
    /// Cancels every call of the client (see [`Client::with_cancel`] for per-task tokens).
    pub cancel: CancellationToken,
    /// Certificate authorities (PEM) trusted besides the system's, such as a TLS simulator's.
    pub extra_roots_pem: Option<Arc<str>>,
    /// The clock signatures are dated by (tests run a simulated one).
    pub now: Now,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint.to_string())
            .field("region", &self.region)
            .field("credentials", &self.credentials.label())
            .field("signature_version", &self.signature_version)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// The region's public endpoint, signature V3, the default retry policy, 5 s to connect,
    /// 30 s of read silence and 1 min per call.
    pub fn new(region: impl Into<String>, credentials: impl Into<SharedProvider>) -> Self {
        let region = region.into();
        ClientConfig {
            endpoint: product::ECS.public_endpoint(&region),
            region,
            credentials: credentials.into(),
            signature_version: SignatureVersion::default(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(60),
            cancel: CancellationToken::new(),
            extra_roots_pem: None,
            now: system_now(),
        }
    }

    /// Signatures dated by `now` instead of the wall clock.
    pub fn with_clock(mut self, now: Now) -> Self {
        self.now = now;
        self
    }

    /// Trusts the certificate authorities in `pem` besides the system's.
    pub fn with_extra_roots(mut self, pem: Arc<str>) -> Self {
        self.extra_roots_pem = Some(pem);
        self
    }

    pub fn with_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    pub fn with_signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = version;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    pub fn with_call_timeout(mut self, call: Duration) -> Self {
        self.call_timeout = call;
        self
    }

    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }
}

/// A signed ECS client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    /// Masks the secrets of the credentials signed with (the current and the previous set)
    /// in anything a server sends back.
    redaction: Arc<Mutex<Redaction>>,
    cancel: CancellationToken,
}

/// The redactor for the credentials last signed with.
struct Redaction {
    current: Option<Arc<Credentials>>,
    previous: Option<Arc<Credentials>>,
    redactor: Arc<Redactor>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.config.endpoint.to_string())
            .field("region", &self.config.region)
            .field("credentials", &self.config.credentials.label())
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(mut config: ClientConfig) -> Result<Client, ApiError> {
        // The config's own bounds, also for configs built in code: a timeout of years would
        // overflow a deadline.
        config.connect_timeout = config.connect_timeout.min(duration::CONNECT_TIMEOUT.max);
        config.read_timeout = config.read_timeout.min(duration::READ_TIMEOUT.max);
        config.call_timeout = config.call_timeout.min(duration::CALL_TIMEOUT.max);
        // reqwest is built without a default crypto provider; install ring once per process.
        // An `Err` only means a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .tls_backend_rustls()
            .user_agent(user_agent())
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            // An API answer is never a redirect; following one would send a signed request
            // somewhere else.
            .redirect(reqwest::redirect::Policy::none());
        if config.endpoint.is_loopback() {
            // A proxy from the environment must not intercept a local simulator.
            builder = builder.no_proxy();
        }
        let redaction = Redaction {
            current: None,
            previous: None,
            redactor: Arc::new(Redactor::default()),
        };
        if let Some(pem) = &config.extra_roots_pem {
            let roots = extra_roots(pem).map_err(|detail| ApiError::Setup { detail })?;
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder.build().map_err(|e| ApiError::Setup {
            detail: error_chain(&e, &redaction.redactor),
        })?;
        let cancel = config.cancel.clone();
        Ok(Client {
            http,
            config: Arc::new(config),
            redaction: Arc::new(Mutex::new(redaction)),
            cancel,
        })
    }

    /// The same client, cancelled by `cancel` instead (for one task or screen).
    pub fn with_cancel(&self, cancel: CancellationToken) -> Client {
        Client {
            cancel,
            ..self.clone()
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Where the credentials come from; never a secret.
    pub fn credential_label(&self) -> String {
        self.config.credentials.label()
    }

    /// Masks the secrets of the credentials this client signs with.
    pub(super) fn redactor(&self) -> Arc<Redactor> {
        let redaction = self
            .redaction
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&redaction.redactor)
    }

    /// The redactor for `credentials`, made when they are new to this client (a refresh).
    fn redactor_for(&self, credentials: &Arc<Credentials>) -> Arc<Redactor> {
        let mut r = self
            .redaction
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !r
            .current
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, credentials))
        {
            r.previous = r.current.replace(Arc::clone(credentials));
            let sets = r.current.iter().chain(&r.previous);
            r.redactor = Arc::new(Redactor::new(sets.flat_map(|c| secrets(c))));
        }
        Arc::clone(&r.redactor)
    }

    // -----------------------------------------------------------------------------------------
    // Pagination

    /// A listing as a stream of pages; ends after the last page or the first error.
    pub(super) fn pages<L: Listing>(
        &self,
        action: &'static str,
        params: Result<Params, ApiError>,
    ) -> impl Stream<Item = Result<Vec<L::Item>, ApiError>> + Send + 'static {
        let params = match params {
            Ok(params) => params,
            Err(e) => return stream::once(async { Err(e) }).left_stream(),
        };
        let client = self.clone();
        let start = Some((L::FIRST, 0u32));
        stream::unfold(start, move |state| {
            let (client, params) = (client.clone(), params.clone());
            async move {
                let (cursor, fetched) = state?;
                let mut request = params;
                cursor.apply(&mut request);
                let page = client
                    .call_to::<L>(L::PRODUCT, action, &request, true)
                    .await
                    .and_then(|response| response.into_page(&cursor, &client.redactor()));
                match page {
                    Ok((_, Some(_))) if fetched + 1 >= MAX_PAGES => {
                        let what = format!(
                            "{action} still had more after {MAX_PAGES} pages; narrow the filters"
                        );
                        let error = ApiError::decode(200, &what, b"", &client.redactor());
                        Some((Err(error), None))
                    }
                    Ok((items, next)) => Some((Ok(items), next.map(|c| (c, fetched + 1)))),
                    Err(e) => Some((Err(e), None)),
                }
            }
        })
        .right_stream()
    }

    // -----------------------------------------------------------------------------------------
    // One call, with retries

    /// Sends the ECS `action`: see [`Client::call_to`].
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        params: &[(String, String)],
        idempotent: bool,
    ) -> Result<T, ApiError> {
        self.call_to(&product::ECS, action, params, idempotent)
            .await
    }

    /// Sends `product`'s `action` until it succeeds, fails for good, runs out of attempts or
    /// time (`call_timeout`), or is cancelled.
    ///
    /// `idempotent` says whether a retry is safe after the server may have acted (a dropped
    /// connection, a 5xx); otherwise only throttling and failed connects are retried.
    pub(super) async fn call_to<T: DeserializeOwned>(
        &self,
        product: &Product,
        action: &str,
        params: &[(String, String)],
        idempotent: bool,
    ) -> Result<T, ApiError> {
        let params = with_region(product, params, &self.config.region);
        let endpoint = product.endpoint(&self.config.endpoint, &self.config.region);
        let call = Call {
            endpoint: &endpoint,
            product,
            action,
            params: &params,
            signed: true,
        };
        let body = self.send(&call, idempotent).await?;
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::decode(
                200,
                &format!("the {action} answer is not the expected JSON ({e})"),
                &body,
                &self.redactor(),
            )
        })
    }

    /// Sends `call` with the retry policy, the call deadline and cancellation, and the answer's
    /// body when it is a success. `idempotent`: see [`Client::call_to`].
    pub(super) async fn send(
        &self,
        call: &Call<'_>,
        idempotent: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let action = call.action;
        let policy = self.config.retry;
        let limit = self.config.call_timeout;
        let deadline = Instant::now().checked_add(limit);
        let out_of_time = || ApiError::Timeout {
            detail: format!(
                "no complete answer to {action} within {} ([network] call_timeout)",
                duration::humane(limit)
            ),
        };
        let mut attempt = 1;
        let mut refreshed = false;
        loop {
            let result = tokio::select! {
                biased;
                () = self.cancel.cancelled() => Err((ApiError::Cancelled, None)),
                () = until(deadline) => Err((out_of_time(), None)),
                result = self.attempt(call, attempt) => result,
            };
            let (error, used) = match result {
                Ok(value) => return Ok(value),
                Err(failed) => failed,
            };
            // An expired token: one fresh set and one more try, whatever the retry policy.
            if let Some(used) = used.filter(|_| !refreshed && error.code() == Some(TOKEN_EXPIRED)) {
                debug!(
                    action,
                    "the security token expired; refreshing the credentials"
                );
                self.config.credentials.invalidate(&used);
                refreshed = true;
                continue;
            }
            let delay = policy.delay_for(attempt, &error, rand::random::<f64>());
            // No point pausing past the deadline: the next attempt could not finish.
            let in_time = deadline.is_none_or(|end| {
                Instant::now()
                    .checked_add(delay)
                    .is_some_and(|resume| resume < end)
            });
            let retry = attempt < policy.max_attempts
                && error.is_retryable()
                && (idempotent || error.is_unprocessed())
                && in_time;
            if !retry {
                debug!(action, attempt, error = %error, "call failed");
                return Err(error.for_call(action, call.params));
            }
            debug!(action, attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Err(ApiError::Cancelled),
                () = tokio::time::sleep(delay) => {}
            }
            attempt += 1;
        }
    }

    /// One request and its successful answer's body; a failure names the credentials it was
    /// signed with, if it got that far.
    async fn attempt(
        &self,
        call: &Call<'_>,
        attempt: u32,
    ) -> Result<Vec<u8>, (ApiError, Option<Arc<Credentials>>)> {
        // Also for an unsigned call: its provider's secrets (an OIDC token) are masked.
        let credentials = self.config.credentials.credentials().await.map_err(|e| {
            let detail = printable(&e.to_string(), 2048);
            (ApiError::Credentials { detail }, None)
        })?;
        let redactor = self.redactor_for(&credentials);
        let signing = call.signed.then_some(&*credentials);
        self.attempt_with(call, attempt, signing, &redactor)
            .await
            .map_err(|e| (e, Some(credentials)))
    }

    async fn attempt_with(
        &self,
        call: &Call<'_>,
        attempt: u32,
        credentials: Option<&Credentials>,
        redactor: &Redactor,
    ) -> Result<Vec<u8>, ApiError> {
        let action = call.action;
        let (url, headers) = self.sign(call, credentials)?;
        let response = self
            .http
            .post(url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| transport_error(e, redactor))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = read_body(response, status, redactor).await?;
        debug!(action, attempt, status, bytes = body.len(), "response");
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(ApiError::from_response(
                status,
                retry_after,
                &body,
                redactor,
            ))
        }
    }

    /// Signs a POST of `call` with a fresh timestamp and nonce: the URL (the endpoint, the
    /// query exactly as signed) and the headers to send. Without credentials the request goes
    /// unsigned, with V1's common parameters (AssumeRoleWithOIDC).
    fn sign(
        &self,
        call: &Call<'_>,
        credentials: Option<&Credentials>,
    ) -> Result<(String, HeaderMap), ApiError> {
        let (endpoint, product, action, params) =
            (call.endpoint, call.product, call.action, call.params);
        let timestamp = (self.config.now)().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = const_hex::encode(rand::random::<[u8; 16]>());
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let Some(credentials) = credentials else {
            let mut unsigned = params.to_vec();
            for (name, value) in [
                ("Action", action),
                ("Version", product.version),
                ("Format", "JSON"),
                ("Timestamp", &timestamp),
                ("SignatureNonce", &nonce),
            ] {
                unsigned.push((name.into(), value.into()));
            }
            return Ok((
                format!("{endpoint}/?{}", encode_pairs(unsigned.iter())),
                headers,
            ));
        };
        let key = credentials.signing_key();
        let query = match self.config.signature_version {
            SignatureVersion::V3 => {
                let host = endpoint.host_header();
                let signed = sign_v3(
                    V3Input {
                        method: "POST",
                        host: &host,
                        action,
                        version: product.version,
                        params,
                        body: b"",
                        content_type: None,
                        date: &timestamp,
                        nonce: &nonce,
                    },
                    key,
                );
                for (name, value) in &signed.headers {
                    // reqwest derives `host` from the URL, in the same form as `host_header()`.
                    if name != "host" {
                        insert_header(&mut headers, name, value)?;
                    }
                }
                signed.query
            }
            SignatureVersion::V1 => {
                let signed = sign_v1(
                    "POST",
                    action,
                    product.version,
                    params,
                    key,
                    &timestamp,
                    &nonce,
                );
                encode_pairs(signed.iter())
            }
        };
        let url = if query.is_empty() {
            format!("{endpoint}/")
        } else {
            format!("{endpoint}/?{query}")
        };
        Ok((url, headers))
    }
}

/// One request: where it goes, what it asks, and whether it is signed.
pub(super) struct Call<'a> {
    pub endpoint: &'a Endpoint,
    pub product: &'a Product,
    pub action: &'a str,
    pub params: &'a [(String, String)],
    /// `false` only for the one anonymous operation, AssumeRoleWithOIDC.
    pub signed: bool,
}

/// `params` and, for a regional product, `RegionId` unless they name one.
fn with_region(product: &Product, params: &[(String, String)], region: &str) -> Params {
    let mut params = params.to_vec();
    if product.regional && !params.iter().any(|(name, _)| name == "RegionId") {
        params.push(("RegionId".into(), region.to_owned()));
    }
    params
}

/// The strings no error text may contain.
fn secrets(credentials: &Credentials) -> impl Iterator<Item = &str> {
    std::iter::once(credentials.access_key_secret.expose())
        .chain(credentials.security_token.as_ref().map(|t| t.expose()))
}

/// Resolves at `deadline`; never without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `AlibabaCloud (<os>; <arch>) Rust ecsimg/<version>`, the shape the official SDKs use.
fn user_agent() -> String {
    format!(
        "AlibabaCloud ({}; {}) Rust ecsimg/{}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        env!("CARGO_PKG_VERSION")
    )
}

fn insert_header(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), ApiError> {
    let invalid = || ApiError::InvalidRequest {
        // Never the value: it may be the security token.
        detail: format!(
            "the {name} header would hold characters HTTP does not allow; check the credentials"
        ),
    };
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let mut header_value = HeaderValue::from_str(value).map_err(|_| invalid())?;
    if matches!(name, "authorization" | "x-acs-security-token") {
        header_value.set_sensitive(true);
    }
    headers.insert(header_name, header_value);
    Ok(())
}

/// Reads the body, refusing more than [`MAX_BODY`] bytes.
async fn read_body(
    mut response: reqwest::Response,
    status: u16,
    redactor: &Redactor,
) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e, redactor))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            body.extend_from_slice(&chunk[..chunk.len().min(1024)]);
            return Err(ApiError::decode(
                status,
                &format!("the response body is larger than {} MiB", MAX_BODY >> 20),
                &body,
                redactor,
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Maps a reqwest failure, without its URL (a V1 URL carries the signature and token).
fn transport_error(error: reqwest::Error, redactor: &Redactor) -> ApiError {
    let error = error.without_url();
    let detail = error_chain(&error, redactor);
    if error.is_timeout() {
        ApiError::Timeout { detail }
    } else if error.is_connect() {
        ApiError::Transport {
            kind: TransportKind::Connect,
            detail,
        }
    } else if error.is_builder() {
        ApiError::Transport {
            kind: TransportKind::Other,
            detail,
        }
    } else {
        ApiError::Transport {
            kind: TransportKind::Dropped,
            detail,
        }
    }
}

/// The certificates of a PEM bundle; one without any is refused, as a file of something else
/// would otherwise add no trust without a word.
pub fn extra_roots(pem: &str) -> Result<Vec<reqwest::Certificate>, String> {
    let roots = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
        .map_err(|e| format!("the extra CA certificates cannot be read: {e}"))?;
    if roots.is_empty() {
        return Err(
            "the extra CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        );
    }
    Ok(roots)
}

/// `outer: cause: root cause`, skipping causes already spelled out by their parent; secrets
/// masked, then cut to size.
fn error_chain(error: &(dyn std::error::Error + 'static), redactor: &Redactor) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    printable(&redactor.redact(&text), 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn credentials() -> Credentials {
        Credentials {
            access_key_id: "testid".into(),
            access_key_secret: Secret::new("testsecret"),
            security_token: Some(Secret::new("tok+en")),
        }
    }

    fn sign(
        c: &Client,
        product: &Product,
        action: &str,
        params: &[(String, String)],
    ) -> Result<(String, HeaderMap), ApiError> {
        let endpoint = product.endpoint(&c.config.endpoint, &c.config.region);
        let call = Call {
            endpoint: &endpoint,
            product,
            action,
            params,
            signed: true,
        };
        c.sign(&call, Some(&credentials()))
    }

    fn client(version: SignatureVersion, endpoint: &str) -> Client {
        let config = ClientConfig::new("cn-hangzhou", credentials())
            .with_endpoint(Endpoint::parse(endpoint).expect("valid"))
            .with_signature_version(version);
        Client::new(config).expect("client builds")
    }

    fn params(items: &[(&str, &str)]) -> Params {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn v3_sends_the_signed_query_and_headers() {
        let c = client(SignatureVersion::V3, "http://127.0.0.1:8080");
        let (url, headers) = sign(
            &c,
            &product::ECS,
            "CreateImage",
            &params(&[("ImageName", "a b*"), ("RegionId", "r")]),
        )
        .expect("signs");
        assert_eq!(url, "http://127.0.0.1:8080/?ImageName=a%20b%2A&RegionId=r");
        assert!(headers.get("host").is_none());
        assert_eq!(headers["x-acs-action"], "CreateImage");
        assert_eq!(headers["x-acs-security-token"], "tok+en");
        assert!(headers["authorization"].is_sensitive());
        assert_eq!(headers["accept"], "application/json");
        let nonce = headers["x-acs-signature-nonce"].to_str().expect("ascii");
        assert_eq!(nonce.len(), 32);
        assert!(nonce.chars().all(|c| c.is_ascii_hexdigit()));
        let date = headers["x-acs-date"].to_str().expect("ascii");
        assert!(chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%SZ").is_ok());
        let (_, again) = sign(&c, &product::ECS, "CreateImage", &[]).expect("signs");
        assert_ne!(
            again["x-acs-signature-nonce"],
            headers["x-acs-signature-nonce"]
        );
    }

    #[test]
    fn v1_puts_everything_in_the_query() {
        let c = client(SignatureVersion::V1, "https://ecs.example.com");
        let (url, headers) = sign(&c, &product::ECS, "DescribeRegions", &[]).expect("signs");
        let query = url
            .strip_prefix("https://ecs.example.com/?")
            .expect("query");
        let names: Vec<&str> = query
            .split('&')
            .filter_map(|pair| pair.split_once('=').map(|(n, _)| n))
            .collect();
        for expected in [
            "Action",
            "AccessKeyId",
            "SecurityToken",
            "Timestamp",
            "SignatureNonce",
        ] {
            assert!(names.contains(&expected), "{expected} in {query}");
        }
        assert_eq!(names.last(), Some(&"Signature"));
        assert!(query.contains("SecurityToken=tok%2Ben"));
        assert!(headers.get("authorization").is_none());
    }

    #[test]
    fn each_product_signs_its_version_for_its_endpoint_and_only_ecs_names_a_region() {
        let c = client(SignatureVersion::V3, "https://ecs.cn-hangzhou.aliyuncs.com");
        let (url, headers) =
            sign(&c, &product::RESOURCE_MANAGER, "ListResourceGroups", &[]).expect("signs");
        assert_eq!(url, "https://resourcemanager.aliyuncs.com/");
        assert_eq!(headers["x-acs-version"], "2020-03-31");
        let (url, headers) = sign(&c, &product::ECS, "DescribeRegions", &[]).expect("signs");
        assert_eq!(url, "https://ecs.cn-hangzhou.aliyuncs.com/");
        assert_eq!(headers["x-acs-version"], "2014-05-26");
        let v1 = client(SignatureVersion::V1, "http://127.0.0.1:8080");
        let (url, _) =
            sign(&v1, &product::RESOURCE_MANAGER, "ListResourceGroups", &[]).expect("signs");
        assert!(url.starts_with("http://127.0.0.1:8080/?"), "{url}");
        assert!(url.contains("Version=2020-03-31"), "{url}");

        let given = params(&[("RegionId", "cn-beijing")]);
        assert_eq!(with_region(&product::ECS, &given, "cn-hangzhou"), given);
        assert_eq!(
            with_region(&product::ECS, &[], "cn-hangzhou"),
            params(&[("RegionId", "cn-hangzhou")])
        );
        assert!(with_region(&product::RESOURCE_MANAGER, &[], "cn-hangzhou").is_empty());
    }

    #[test]
    fn user_agent_names_the_product() {
        let ua = user_agent();
        assert!(ua.starts_with("AlibabaCloud ("), "{ua}");
        assert!(ua.ends_with(&format!(") Rust ecsimg/{}", env!("CARGO_PKG_VERSION"))));
    }
}
