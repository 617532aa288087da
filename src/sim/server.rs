//! The HTTP side: accept loop, one hyper connection per socket, and the request pipeline
//! (method → body → decode → authenticate → faults → operation → JSON).
//!
//! hyper is used directly (not through a router) because a dropped-connection fault must abort
//! the connection without any response, which a service error does.
//!
//! As a network server it bounds what a client can take ([`Limits`]): connections past the cap
//! wait in the listen backlog, headers and bodies have deadlines, a body is held only when it is
//! a form (see `body`), and a failing `accept` (out of file descriptors) backs off instead of
//! spinning.

use super::auth;
use super::body::{self, BodyError, MAX_BODY_BYTES, MAX_FORM_BYTES};
use super::clock::Clock;
use super::error::SimError;
use super::faults::{Decision, Faults};
use super::keyring::Keyring;
use super::limits::Limits;
use super::metadata::{self, Metadata};
use super::nonces::NonceStore;
use super::ops;
use super::permissions;
use super::request::{self, RawRequest};
use super::route;
use super::state::State;
use super::sts::Sts;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::http::{HeaderValue, Method, Response, StatusCode, header};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// hyper's read buffer per connection, which bounds a request's head (line and headers): a
/// V3 CreateImage with every parameter in the query is about 20 KB.
const MAX_HEAD_BYTES: usize = 64 << 10;
/// First and longest pause after a failed `accept`.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// Everything a request handler needs, shared by all connections.
#[derive(Debug)]
pub struct Shared {
    pub keys: Keyring,
    /// Roles, OIDC providers and the temporary credentials issued.
    pub sts: Mutex<Sts>,
    pub clock: Clock,
    pub state: RwLock<State>,
    pub nonces: Mutex<NonceStore>,
    pub faults: Arc<Faults>,
    pub limits: Limits,
    pub metadata: Metadata,
}

impl Shared {
    /// The state for reading (tests, the sandbox banner).
    pub fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

/// What a listener answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// The signed APIs (ECS, Resource Manager, ...).
    Api,
    /// The instance metadata service.
    Metadata,
}

/// A bound socket, what it serves, and whether it speaks TLS.
pub struct Listener {
    pub tcp: TcpListener,
    pub face: Face,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Serves connections from `listener` until `shutdown` is cancelled; open connections are
/// aborted then. Each listener has its own cap of `max_connections`.
pub async fn serve(listener: Listener, shared: Arc<Shared>, shutdown: CancellationToken) {
    let Listener {
        tcp: listener,
        face,
        tls,
    } = listener;
    let slots = Arc::new(Semaphore::new(shared.limits.max_connections));
    let mut connections = JoinSet::new();
    let mut pause = ACCEPT_BACKOFF.0;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            // Reap finished connections so the set does not grow with every client.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            (slot, accepted) = accept_in_a_slot(&listener, &slots) => match accepted {
                Ok((stream, peer)) => {
                    pause = ACCEPT_BACKOFF.0;
                    let shared = shared.clone();
                    match tls.clone() {
                        None => connections.spawn(connection(stream, peer, face, shared, slot)),
                        Some(tls) => {
                            connections.spawn(tls_connection(tls, stream, peer, face, shared, slot))
                        }
                    };
                }
                Err(e) => {
                    // Out of file descriptors (EMFILE) and the like: the pending connection
                    // stays queued, so retrying at once would spin a core. Wait, longer each time.
                    tracing::warn!(error = %e, ?pause, "accept failed; pausing");
                    drop(slot);
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(ACCEPT_BACKOFF.1);
                }
            },
        }
    }
    connections.shutdown().await;
}

/// Waits for a free connection slot, then for a client. Cancel-safe: a slot taken before the
/// future is dropped goes back with it.
async fn accept_in_a_slot(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> (
    Option<OwnedSemaphorePermit>,
    std::io::Result<(TcpStream, std::net::SocketAddr)>,
) {
    // The semaphore is never closed, so a permit always comes.
    let slot = slots.clone().acquire_owned().await.ok();
    (slot, listener.accept().await)
}

/// A TLS client: the handshake must finish within the header deadline (it holds a slot, as a
/// slow request head does), then the connection is served as any other.
async fn tls_connection(
    tls: tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    peer: std::net::SocketAddr,
    face: Face,
    shared: Arc<Shared>,
    slot: Option<OwnedSemaphorePermit>,
) {
    match tokio::time::timeout(shared.limits.header_timeout, tls.accept(stream)).await {
        Ok(Ok(stream)) => connection(stream, peer, face, shared, slot).await,
        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

/// One client connection, holding its slot until it closes.
async fn connection(
    stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    peer: std::net::SocketAddr,
    face: Face,
    shared: Arc<Shared>,
    _slot: Option<OwnedSemaphorePermit>,
) {
    let header_timeout = shared.limits.header_timeout;
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move {
            match face {
                Face::Api => handle(shared, req).await,
                Face::Metadata => Ok(handle_metadata(&shared, &req)),
            }
        }
    });
    // The header deadline also closes idle keep-alive connections, so a client that connects
    // and sends nothing cannot hold a slot; one that shuts its writing side after the request
    // still gets the answer.
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .half_close(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection closed");
    }
}

/// A metadata request: the head only, as no metadata path takes a body.
fn handle_metadata(shared: &Shared, req: &hyper::Request<Incoming>) -> Response<Full<Bytes>> {
    let request = metadata::Request {
        method: req.method(),
        path: req.uri().path(),
        headers: req.headers(),
    };
    shared
        .metadata
        .handle(&request, shared.clock.now(), &shared.sts)
}

async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DroppedConnection> {
    // A request ID needs uniqueness, not secrecy: the thread-local generator spares a
    // getrandom system call per request, and the ID is formatted on the stack.
    let mut id_buffer = uuid::Uuid::encode_buffer();
    let request_id: &str = uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .hyphenated()
        .encode_upper(&mut id_buffer);
    let (parts, body) = req.into_parts();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("ecs.aliyuncs.com");
    // Until the request names its product, errors speak for ECS.
    let respond = |result| respond(result, request_id, host, route::ECS.name);
    if parts.method != Method::GET && parts.method != Method::POST {
        return Ok(respond(Err(SimError::unsupported_method())));
    }
    let is_form = request::is_form(&parts.headers);
    let limit = if is_form {
        MAX_FORM_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > limit as u64) {
        return Ok(respond(Err(SimError::body_too_large(limit))));
    }
    let body_timeout = shared.limits.body_timeout;
    let body = match body::read(body, is_form, body_timeout).await {
        Ok(body) => body,
        Err(BodyError::TooLarge(e)) => return Ok(respond(Err(e))),
        Err(BodyError::TimedOut) => {
            tracing::info!(%request_id, ?body_timeout, "request body timed out");
            return Ok(respond(Err(SimError::body_timeout(body_timeout))));
        }
        Err(BodyError::Broken) => return Err(DroppedConnection),
    };
    let raw = match RawRequest::new(&parts, body) {
        Ok(raw) => raw,
        Err(e) => return Ok(respond(Err(e))),
    };
    if raw.path != "/" {
        return Ok(respond(Err(SimError::action_not_found())));
    }
    let now = shared.clock.now();
    let authenticated =
        match auth::authenticate(&raw, &shared.keys, &shared.sts, now, &shared.nonces) {
            Ok(a) => a,
            Err(e) => {
                tracing::info!(%request_id, code = %e.code, "rejected");
                return Ok(respond(Err(e)));
            }
        };
    let action = authenticated.action;
    let product = action.product().name;
    let respond = |result| self::respond(result, request_id, host, product);
    let owner_id = shared.state().account.owner_id;
    // An unsigned request (AssumeRoleWithOIDC) is judged by its role's trust, not by RAM.
    if let Some(principal) = &authenticated.principal
        && let Err(e) = permissions::authorize(principal, action, &authenticated.params, owner_id)
    {
        return Ok(respond(Err(e)));
    }
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let lose_answer = match shared.faults.decide(action) {
        Decision::Proceed => false,
        Decision::LoseAnswer => true,
        Decision::Drop => {
            tracing::info!(%request_id, action = action.name(), "dropping connection (fault)");
            return Err(DroppedConnection);
        }
        Decision::Fail(e) => {
            tracing::info!(%request_id, action = action.name(), code = %e.code, "injected fault");
            return Ok(respond(Err(e)));
        }
    };
    // Read the clock again: injected latency may have passed.
    let result = ops::dispatch(
        &shared.state,
        &shared.sts,
        shared.clock.now(),
        action,
        &authenticated.caller,
        &authenticated.params,
        request_id,
    );
    match &result {
        Ok(_) => {
            tracing::info!(%request_id, action = action.name(), scheme = ?authenticated.scheme, "ok")
        }
        Err(e) => tracing::info!(%request_id, action = action.name(), code = %e.code, "failed"),
    }
    if lose_answer {
        // The operation has acted; only its answer is lost, as on a network that fails late.
        tracing::info!(%request_id, action = action.name(), "losing the answer (fault)");
        return Err(DroppedConnection);
    }
    Ok(respond(result))
}

/// The HTTP response: the answer (which carries `RequestId`), or the error envelope of
/// `product`.
fn respond(
    result: Result<Vec<u8>, SimError>,
    request_id: &str,
    host: &str,
    product: &str,
) -> Response<Full<Bytes>> {
    let (status, body, retry_after) = match result {
        Ok(body) => (200, body, None),
        Err(e) => (
            e.status,
            e.envelope(request_id, host, product)
                .to_string()
                .into_bytes(),
            e.retry_after_ms,
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", id);
    }
    if let Some(ms) = retry_after {
        headers.insert("x-acs-retry-after", HeaderValue::from(ms));
    }
    response
}
