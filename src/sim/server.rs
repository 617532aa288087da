//! The HTTP side: accept loop, one hyper connection per socket, and the request pipeline
//! (method → body → decode → authenticate → faults → operation → JSON).
//!
//! hyper is used directly (not through a router) because a dropped-connection fault must abort
//! the connection without any response, which a service error does.

use super::auth::{self, KeyPair, NonceStore};
use super::clock::Clock;
use super::error::SimError;
use super::faults::{Decision, Faults};
use super::ops;
use super::request::{MAX_BODY_BYTES, RawRequest};
use super::state::State;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::http::{HeaderValue, Method, Response, StatusCode, header};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Everything a request handler needs, shared by all connections.
#[derive(Debug)]
pub struct Shared {
    pub keys: KeyPair,
    pub clock: Clock,
    pub state: RwLock<State>,
    pub nonces: Mutex<NonceStore>,
    pub faults: Arc<Faults>,
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

/// Serves connections from `listener` until `shutdown` is cancelled; open connections are
/// aborted then.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(shared.clone(), req));
                    // A client that never finishes its headers must not hold a task forever;
                    // one that shuts its writing side after the request still gets the answer.
                    let result = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .half_close(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection closed");
                    }
                });
            }
            // Reap finished connections so the set does not grow with every client.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
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
    let respond = |result: Result<Vec<u8>, SimError>| respond(result, request_id, host);
    if parts.method != Method::GET && parts.method != Method::POST {
        return Ok(respond(Err(SimError::unsupported_method())));
    }
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Ok(respond(Err(SimError::body_too_large(MAX_BODY_BYTES))));
    }
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Ok(respond(Err(SimError::body_too_large(MAX_BODY_BYTES))));
        }
        Err(_) => return Err(DroppedConnection),
    };
    let raw = match RawRequest::new(&parts, body) {
        Ok(raw) => raw,
        Err(e) => return Ok(respond(Err(e))),
    };
    if raw.path != "/" {
        return Ok(respond(Err(SimError::action_not_found())));
    }
    let now = shared.clock.now();
    let authenticated = match auth::authenticate(&raw, &shared.keys, now, &shared.nonces) {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(%request_id, code = %e.code, "rejected");
            return Ok(respond(Err(e)));
        }
    };
    let action = authenticated.action;
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
        shared.clock.now(),
        action,
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

/// The HTTP response: the answer (which carries `RequestId`), or the error envelope.
fn respond(
    result: Result<Vec<u8>, SimError>,
    request_id: &str,
    host: &str,
) -> Response<Full<Bytes>> {
    let (status, body, retry_after) = match result {
        Ok(body) => (200, body, None),
        Err(e) => (
            e.status,
            e.envelope(request_id, host).to_string().into_bytes(),
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
