//! The ECS client over real HTTP against a tiny loopback server written here.
//!
//! The server verifies every request's signature (V3 or V1) with `api::sign`, records what it
//! saw, and answers from a per-test script: successes, throttling, 5xx, dropped connections,
//! hangs, garbage. Retry delays are kept to milliseconds by the policy.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use ecsimg::api::Credentials;
use ecsimg::api::client::{Client, ClientConfig};
use ecsimg::api::endpoint::Endpoint;
use ecsimg::api::error::{ApiError, TransportKind};
use ecsimg::api::model::{DiskQuery, ImageQuery, InstanceQuery, SnapshotQuery};
use ecsimg::api::operations::CreateImageAnswer;
use ecsimg::api::power::StopOptions;
use ecsimg::api::product::ECS;
use ecsimg::api::retry::RetryPolicy;
use ecsimg::api::sign::{self, SignatureVersion};
use ecsimg::secret::Secret;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const AK: &str = "LTAI-test-id";
const SECRET: &str = "s3cr3t-k3y+/=";
const TOKEN: &str = "sts/token+value==";

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    action: String,
    /// Decoded query parameters (for V1 including the common ones).
    params: Vec<(String, String)>,
    nonce: String,
    /// Why the request failed verification, if it did.
    problem: Option<String>,
    at: Instant,
}

impl Seen {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One scripted answer.
enum Reply {
    Json(Value),
    Error {
        status: u16,
        code: &'static str,
        retry_after: Option<&'static str>,
    },
    Raw(u16, Vec<u8>),
    /// Sends headers, then breaks the connection.
    Drop,
    /// Never answers (within any test's patience).
    Hang,
}

fn error(status: u16, code: &'static str) -> Reply {
    Reply::Error {
        status,
        code,
        retry_after: None,
    }
}

type Fallback = Box<dyn Fn(&Seen) -> Reply + Send>;

struct ServerState {
    script: VecDeque<Reply>,
    fallback: Fallback,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<ServerState>>;

struct Server {
    endpoint: String,
    state: Shared,
}

impl Server {
    /// Serves `script` in order, then `fallback` for every further request.
    async fn start(
        script: Vec<Reply>,
        fallback: impl Fn(&Seen) -> Reply + Send + 'static,
    ) -> Server {
        let state = Arc::new(Mutex::new(ServerState {
            script: script.into(),
            fallback: Box::new(fallback),
            seen: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let app = Router::new().fallback(handle).with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server {
            endpoint: format!("http://{addr}"),
            state,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("lock").seen.clone()
    }

    /// Signed with a static key and an STS token, quick retries, a 400 ms read timeout.
    fn config(&self, version: SignatureVersion) -> ClientConfig {
        let credentials = Credentials {
            access_key_id: AK.into(),
            access_key_secret: Secret::new(SECRET),
            security_token: Some(Secret::new(TOKEN)),
        };
        ClientConfig::new("cn-hangzhou", credentials)
            .with_endpoint(Endpoint::parse(&self.endpoint).expect("loopback endpoint"))
            .with_signature_version(version)
            .with_retry(fast_retries())
            .with_timeouts(Duration::from_secs(2), Duration::from_millis(400))
    }

    fn client(&self, version: SignatureVersion) -> Client {
        Client::new(self.config(version)).expect("client builds")
    }

    /// Every request so far verified, and there were `n` of them.
    fn assert_verified(&self, n: usize) -> Vec<Seen> {
        let seen = self.seen();
        for s in &seen {
            assert_eq!(s.problem, None, "request {} failed verification", s.action);
        }
        assert_eq!(seen.len(), n, "attempts: {seen:?}");
        seen
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1000),
    }
}

async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = verify(&method, &uri, &headers, &body);
    let verified = seen.problem.is_none();
    let reply = {
        let mut state = state.lock().expect("lock");
        state.seen.push(seen.clone());
        match state.script.pop_front() {
            Some(reply) => reply,
            None => (state.fallback)(&seen),
        }
    };
    if !verified {
        return envelope(400, "SignatureDoesNotMatch", None);
    }
    match reply {
        Reply::Json(value) => (
            [("content-type", "application/json;charset=utf-8")],
            value.to_string(),
        )
            .into_response(),
        Reply::Error {
            status,
            code,
            retry_after,
        } => envelope(status, code, retry_after),
        Reply::Raw(status, bytes) => (status_code(status), bytes).into_response(),
        Reply::Drop => {
            let broken = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("dropped on purpose"))
            });
            Response::new(Body::from_stream(broken))
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::OK.into_response()
        }
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).expect("valid status")
}

fn envelope(status: u16, code: &str, retry_after: Option<&str>) -> Response {
    let body = json!({
        "RequestId": format!("REQ-{code}"),
        "HostId": "ecs-cn-hangzhou.aliyuncs.com",
        "Code": code,
        "Message": format!("{code} happened"),
        "Recommend": "https://api.aliyun.com/troubleshoot",
    });
    let mut response = (status_code(status), body.to_string()).into_response();
    if let Some(ms) = retry_after {
        response
            .headers_mut()
            .insert("x-acs-retry-after", ms.parse().expect("header value"));
    }
    response
}

/// Checks a request the way ECS would, with the signing rules of `api::sign`.
fn verify(method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Seen {
    let raw_query = uri.query().unwrap_or("");
    let params: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let mut problems = Vec::new();
    if method != Method::POST {
        problems.push(format!("method {method}"));
    }
    if uri.path() != "/" {
        problems.push(format!("path {}", uri.path()));
    }
    if !body.is_empty() {
        problems.push("non-empty body".into());
    }
    if header("accept") != "application/json" {
        problems.push("accept header".into());
    }
    if !header("user-agent").starts_with("AlibabaCloud (")
        || !header("user-agent").contains(") Rust ecsimg/")
    {
        problems.push(format!("user-agent {}", header("user-agent")));
    }
    let (action, nonce) = if headers.contains_key("authorization") {
        verify_v3(method, raw_query, &params, headers, body, &mut problems);
        (header("x-acs-action"), header("x-acs-signature-nonce"))
    } else {
        verify_v1(method, &params, &mut problems);
        let get = |n: &str| {
            params
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        (get("Action"), get("SignatureNonce"))
    };
    if nonce.len() != 32 || !nonce.chars().all(|c| c.is_ascii_hexdigit()) {
        problems.push(format!("nonce {nonce:?}"));
    }
    Seen {
        action,
        params,
        nonce,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
        at: Instant::now(),
    }
}

fn verify_v3(
    method: &Method,
    raw_query: &str,
    params: &[(String, String)],
    headers: &HeaderMap,
    body: &Bytes,
    problems: &mut Vec<String>,
) {
    // The query on the wire must be byte for byte the canonical (signed) one.
    if sign::canonical_query(params) != raw_query {
        problems.push(format!("query not canonical: {raw_query}"));
    }
    let Some(auth) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(ecsimg::sim::parse_authorization)
    else {
        problems.push("malformed authorization".into());
        return;
    };
    if auth.access_key_id != AK {
        problems.push("access key id".into());
    }
    for required in [
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
        "x-acs-security-token",
    ] {
        if !auth.signed_headers.contains(&required) {
            problems.push(format!("{required} not signed"));
        }
    }
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    if value("x-acs-security-token") != TOKEN {
        problems.push("security token header".into());
    }
    if value("x-acs-version") != ECS.version {
        problems.push("version".into());
    }
    let payload = sign::sha256_hex(body);
    if value("x-acs-content-sha256") != payload {
        problems.push("content sha256".into());
    }
    let signed: Vec<(&str, &str)> = auth
        .signed_headers
        .iter()
        .flat_map(|name| {
            headers
                .get_all(*name)
                .iter()
                .map(|v| (*name, v.to_str().unwrap_or("")))
        })
        .collect();
    let canonical = sign::v3_canonical_request(method.as_str(), "/", raw_query, &signed, &payload);
    let expected = sign::v3_signature(SECRET, &sign::v3_string_to_sign(&canonical.text));
    if expected != auth.signature {
        problems.push("V3 signature mismatch".into());
    }
}

fn verify_v1(method: &Method, params: &[(String, String)], problems: &mut Vec<String>) {
    let Some((_, signature)) = params.iter().find(|(n, _)| n == "Signature") else {
        problems.push("no Signature".into());
        return;
    };
    let expected = sign::v1_signature(SECRET, &sign::v1_string_to_sign(method.as_str(), params));
    if &expected != signature {
        problems.push("V1 signature mismatch".into());
    }
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if get("SecurityToken") != Some(TOKEN) {
        problems.push("SecurityToken".into());
    }
    if get("AccessKeyId") != Some(AK) || get("Format") != Some("JSON") {
        problems.push("common parameters".into());
    }
}

fn created(image_id: &str) -> Reply {
    Reply::Json(json!({"RequestId": "REQ-create", "ImageId": image_id}))
}

fn regions() -> Reply {
    Reply::Json(json!({"RequestId": "REQ-regions", "Regions": {"Region": [
        {"RegionId": "cn-hangzhou", "LocalName": "China (Hangzhou)",
         "RegionEndpoint": "ecs.aliyuncs.com", "Status": "available"}
    ]}}))
}

fn unexpected(seen: &Seen) -> Reply {
    panic!("unscripted request {}", seen.action)
}

fn image_params() -> Vec<(String, String)> {
    [
        ("InstanceId", "i-bp1g6zv0ce8oghu7xxxx"),
        ("ImageName", "web 2026*~/é"),
        ("Tag.1.Key", "env"),
        ("Tag.1.Value", "a b"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Wire format

#[tokio::test]
async fn v3_requests_verify_and_carry_region_and_token() {
    let server = Server::start(vec![regions(), created("m-1")], unexpected).await;
    let client = server.client(SignatureVersion::V3);
    let regions = client.describe_regions().await.expect("regions");
    assert_eq!(regions[0].region_id, "cn-hangzhou");
    let outcome = client.create_image(&image_params()).await.expect("created");
    let CreateImageAnswer::Created {
        image_id,
        request_id,
        client_token,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        (image_id.as_str(), request_id.as_str()),
        ("m-1", "REQ-create")
    );
    let seen = server.assert_verified(2);
    assert_eq!(seen[0].action, "DescribeRegions");
    assert_eq!(seen[1].action, "CreateImage");
    assert_eq!(seen[1].param("RegionId"), Some("cn-hangzhou"));
    assert_eq!(seen[1].param("ImageName"), Some("web 2026*~/é"));
    assert_eq!(seen[1].param("ClientToken"), Some(client_token.as_str()));
    assert!(
        uuid::Uuid::parse_str(&client_token).is_ok(),
        "{client_token}"
    );
    // V3 keeps the common parameters out of the query.
    assert_eq!(seen[1].param("Action"), None);
}

#[tokio::test]
async fn v1_requests_verify_with_the_server_side_v1_check() {
    let server = Server::start(vec![regions(), created("m-2")], unexpected).await;
    let client = server.client(SignatureVersion::V1);
    client.describe_regions().await.expect("regions");
    let outcome = client.create_image(&image_params()).await.expect("created");
    assert!(
        matches!(outcome, CreateImageAnswer::Created { ref image_id, .. } if image_id == "m-2")
    );
    let seen = server.assert_verified(2);
    assert_eq!(seen[1].action, "CreateImage");
    assert_eq!(seen[1].param("Version"), Some(ECS.version));
    assert_eq!(seen[1].param("Tag.1.Value"), Some("a b"));
}

#[tokio::test]
async fn a_given_client_token_is_kept() {
    let server = Server::start(vec![created("m-3")], unexpected).await;
    let mut params = image_params();
    params.push(("ClientToken".into(), "my-token-1".into()));
    let outcome = server
        .client(SignatureVersion::V3)
        .create_image(&params)
        .await
        .expect("created");
    assert!(
        matches!(outcome, CreateImageAnswer::Created { ref client_token, .. } if client_token == "my-token-1")
    );
    let seen = server.assert_verified(1);
    let tokens: Vec<_> = seen[0]
        .params
        .iter()
        .filter(|(n, _)| n == "ClientToken")
        .collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].1, "my-token-1");
}

// ---------------------------------------------------------------------------------------------
// Retries

#[tokio::test]
async fn create_image_retries_with_the_same_client_token() {
    let server = Server::start(
        vec![
            Reply::Error {
                status: 400,
                code: "Throttling",
                retry_after: Some("150"),
            },
            error(400, "Throttling.User"),
            error(503, "ServiceUnavailable"),
            error(500, "InternalError"),
            created("m-4"),
        ],
        unexpected,
    )
    .await;
    let outcome = server
        .client(SignatureVersion::V3)
        .create_image(&image_params())
        .await
        .expect("created after retries");
    assert!(
        matches!(outcome, CreateImageAnswer::Created { ref image_id, .. } if image_id == "m-4")
    );
    let seen = server.assert_verified(5);
    let tokens: Vec<_> = seen.iter().map(|s| s.param("ClientToken")).collect();
    assert!(tokens[0].is_some());
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    let mut nonces: Vec<_> = seen.iter().map(|s| s.nonce.clone()).collect();
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 5, "a fresh nonce per attempt");
    // x-acs-retry-after: 150 was honoured.
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(150), "{gap:?}");
}

#[tokio::test]
async fn dropped_connections_and_timeouts_are_retried() {
    let server = Server::start(
        vec![
            Reply::Drop,
            Reply::Hang,
            Reply::Raw(502, b"<html>Bad Gateway</html>".to_vec()),
        ],
        |_| Reply::Json(json!({"RequestId": "r", "TotalCount": 0, "Images": {"Image": []}})),
    )
    .await;
    let images = server
        .client(SignatureVersion::V3)
        .describe_images_all(&ImageQuery::watching(["m-1"]))
        .await
        .expect("succeeds on the fourth attempt");
    assert!(images.is_empty());
    server.assert_verified(4);
}

#[tokio::test]
async fn giving_up_returns_the_last_error() {
    let server = Server::start(vec![], |_| error(503, "ServiceUnavailable")).await;
    let retry = RetryPolicy {
        max_attempts: 3,
        ..fast_retries()
    };
    let client =
        Client::new(server.config(SignatureVersion::V3).with_retry(retry)).expect("client");
    let err = client.describe_regions().await.expect_err("keeps failing");
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    assert_eq!(err.request_id(), Some("REQ-ServiceUnavailable"));
    server.assert_verified(3);
}

#[tokio::test]
async fn a_non_retryable_error_returns_at_once() {
    let server = Server::start(vec![error(400, "InvalidImageName.Malformed")], unexpected).await;
    let err = server
        .client(SignatureVersion::V3)
        .create_image(&image_params())
        .await
        .expect_err("rejected");
    assert_eq!(err.code(), Some("InvalidImageName.Malformed"));
    assert_eq!(err.http_status(), Some(400));
    let explanation = err.explanation().expect("explained");
    assert_eq!(explanation.field.as_deref(), Some("image.name"));
    server.assert_verified(1);
}

#[tokio::test]
async fn non_idempotent_calls_retry_only_what_the_server_never_did() {
    let server = Server::start(
        vec![
            error(400, "Throttling"),
            Reply::Json(json!({"RequestId": "REQ-del"})),
            error(503, "ServiceUnavailable"),
        ],
        unexpected,
    )
    .await;
    let client = server.client(SignatureVersion::V3);
    let request_id = client.delete_image("m-1", false).await.expect("deleted");
    assert_eq!(request_id, "REQ-del");
    let err = client
        .delete_image("m-2", true)
        .await
        .expect_err("503 is not retried");
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    let seen = server.assert_verified(3);
    assert_eq!(seen[2].param("Force"), Some("true"));
    assert_eq!(seen[2].param("ImageId"), Some("m-2"));
}

#[tokio::test]
async fn stop_instances_reports_each_instance() {
    let server = Server::start(
        vec![Reply::Json(json!({"RequestId": "r", "InstanceResponses": {"InstanceResponse": [
            {"InstanceId": "i-1", "Code": "200", "PreviousStatus": "Running", "CurrentStatus": "Stopping"},
            {"InstanceId": "i-2", "Code": "IncorrectInstanceStatus", "Message": "no"}
        ]}}))],
        unexpected,
    )
    .await;
    let results = server
        .client(SignatureVersion::V3)
        .stop_instances(&["i-1".into(), "i-2".into()], StopOptions::default())
        .await
        .expect("answered");
    assert!(results[0].is_success() && !results[1].is_success());
    let seen = server.assert_verified(1);
    assert_eq!(seen[0].param("InstanceId.1"), Some("i-1"));
    assert_eq!(seen[0].param("InstanceId.2"), Some("i-2"));
    assert_eq!(seen[0].param("ForceStop"), Some("false"));
    assert_eq!(seen[0].param("StoppedMode"), Some("KeepCharging"));
}

#[tokio::test]
async fn start_instances_is_sent_once_and_reports_each_instance() {
    let server = Server::start(
        vec![
            error(503, "ServiceUnavailable"),
            Reply::Json(
                json!({"RequestId": "r", "InstanceResponses": {"InstanceResponse": [
                    {"InstanceId": "i-1", "Code": "200", "PreviousStatus": "Stopped",
                     "CurrentStatus": "Starting"}
                ]}}),
            ),
        ],
        unexpected,
    )
    .await;
    let client = server.client(SignatureVersion::V3);
    // The service may have acted before a 5xx: a start is not sent twice.
    let err = client
        .start_instances(&["i-1".into()])
        .await
        .expect_err("503 is not retried");
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    let results = client
        .start_instances(&["i-1".into()])
        .await
        .expect("answered");
    assert_eq!(results[0].current_status, "Starting");
    let seen = server.assert_verified(2);
    assert_eq!(seen[1].param("InstanceId.1"), Some("i-1"));
    assert_eq!(seen[1].param("BatchOptimization"), Some("SuccessFirst"));
}

// ---------------------------------------------------------------------------------------------
// Cancellation

/// A server that throttles once and asks for a minute's pause, and a policy that would wait it.
async fn throttled_for_a_minute() -> (Server, RetryPolicy) {
    let server = Server::start(
        vec![Reply::Error {
            status: 400,
            code: "Throttling",
            retry_after: Some("60000"),
        }],
        unexpected,
    )
    .await;
    let retry = RetryPolicy {
        max_delay: Duration::from_secs(120),
        ..fast_retries()
    };
    (server, retry)
}

#[tokio::test]
async fn cancelling_during_a_back_off_returns_promptly() {
    let (server, retry) = throttled_for_a_minute().await;
    let cancel = CancellationToken::new();
    // A call deadline long enough for the pause, or the client would not pause at all.
    let config = server
        .config(SignatureVersion::V3)
        .with_retry(retry)
        .with_call_timeout(Duration::from_secs(600))
        .with_cancel(cancel.clone());
    let client = Client::new(config).expect("client");
    let started = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let err = client.describe_regions().await.expect_err("cancelled");
    assert_eq!(err, ApiError::Cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    server.assert_verified(1);
}

#[tokio::test]
async fn cancelling_an_in_flight_request_returns_promptly() {
    let server = Server::start(vec![Reply::Hang], unexpected).await;
    let cancel = CancellationToken::new();
    // A long read timeout, so only cancellation can end the call early; the token is set
    // per task with `with_cancel`.
    let config = server
        .config(SignatureVersion::V3)
        .with_timeouts(Duration::from_secs(2), Duration::from_secs(30));
    let client = Client::new(config)
        .expect("client")
        .with_cancel(cancel.clone());
    let started = Instant::now();
    let call = tokio::spawn(async move { client.create_image(&image_params()).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    cancel.cancel();
    let result = call.await.expect("task completes");
    assert_eq!(result, Err(ApiError::Cancelled));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// The call deadline

#[tokio::test]
async fn the_call_deadline_ends_a_call_that_never_answers() {
    let server = Server::start(vec![Reply::Hang, Reply::Hang, Reply::Hang], unexpected).await;
    // Each read may take 30 s; the whole call only 1 s, retries included.
    let config = server
        .config(SignatureVersion::V3)
        .with_timeouts(Duration::from_secs(2), Duration::from_secs(30))
        .with_call_timeout(Duration::from_secs(1));
    let client = Client::new(config).expect("client");
    let started = Instant::now();
    let err = client.describe_regions().await.expect_err("out of time");
    assert!(matches!(err, ApiError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("no complete answer to DescribeRegions within 1s ([network] call_timeout)"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_pause_past_the_deadline_is_not_waited_for() {
    let (server, retry) = throttled_for_a_minute().await;
    let config = server
        .config(SignatureVersion::V3)
        .with_retry(retry)
        .with_call_timeout(Duration::from_secs(5));
    let client = Client::new(config).expect("client");
    let started = Instant::now();
    let err = client.describe_regions().await.expect_err("throttled");
    assert_eq!(err.code(), Some("Throttling"));
    assert!(started.elapsed() < Duration::from_secs(2));
    server.assert_verified(1);
}

#[tokio::test]
async fn a_cancelled_client_sends_nothing() {
    let server = Server::start(vec![], unexpected).await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let client =
        Client::new(server.config(SignatureVersion::V3).with_cancel(cancel)).expect("client");
    assert_eq!(client.describe_regions().await, Err(ApiError::Cancelled));
    server.assert_verified(0);
}

// ---------------------------------------------------------------------------------------------
// DryRun

#[tokio::test]
async fn dry_run_operation_is_success() {
    let server = Server::start(vec![error(400, "DryRunOperation")], unexpected).await;
    let mut params = image_params();
    params.push(("DryRun".into(), "true".into()));
    let outcome = server
        .client(SignatureVersion::V3)
        .create_image(&params)
        .await
        .expect("dry run passes");
    assert_eq!(
        outcome,
        CreateImageAnswer::DryRunPassed {
            request_id: "REQ-DryRunOperation".into()
        }
    );
    let seen = server.assert_verified(1);
    assert_eq!(seen[0].param("DryRun"), Some("true"));
}

// ---------------------------------------------------------------------------------------------
// Pagination

fn instance_page(seen: &Seen) -> Reply {
    let (ids, next) = match seen.param("NextToken") {
        None => (vec!["i-1", "i-2"], "tok-2"),
        Some("tok-2") => (vec!["i-3", "i-4"], "tok-3"),
        Some("tok-3") => (vec!["i-5"], ""),
        Some(other) => panic!("unknown token {other}"),
    };
    let instances: Vec<Value> = ids
        .iter()
        .map(|id| json!({"InstanceId": id, "Status": "Running"}))
        .collect();
    Reply::Json(json!({"RequestId": "r", "NextToken": next, "Instances": {"Instance": instances}}))
}

#[tokio::test]
async fn next_token_listings_stream_every_page() {
    let server = Server::start(vec![], instance_page).await;
    let client = server.client(SignatureVersion::V3);
    let query = InstanceQuery {
        status: Some("Running".into()),
        instance_ids: Some(vec!["i-1".into(), "i-5".into()]),
        ..InstanceQuery::default()
    };
    let mut pages = Box::pin(client.describe_instances(&query));
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        sizes.push(page.len());
        ids.extend(page.into_iter().map(|i| i.instance_id));
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(ids, ["i-1", "i-2", "i-3", "i-4", "i-5"]);
    let seen = server.assert_verified(3);
    for s in &seen {
        assert_eq!(s.param("MaxResults"), Some("100"));
        assert_eq!(s.param("Status"), Some("Running"));
        assert_eq!(s.param("InstanceIds"), Some(r#"["i-1","i-5"]"#));
    }
    let all = client
        .describe_instances_all(&InstanceQuery::default())
        .await
        .expect("all");
    assert_eq!(all.len(), 5);
}

#[tokio::test]
async fn page_number_listings_stream_every_page() {
    let server = Server::start(vec![], |seen| {
        let page: usize = seen.param("PageNumber").and_then(|p| p.parse().ok()).unwrap_or(0);
        assert_eq!(seen.param("PageSize"), Some("100"));
        let count = match page {
            1 | 2 => 100,
            3 => 50,
            _ => panic!("page {page} should not be asked for"),
        };
        let images: Vec<Value> = (0..count)
            .map(|i| json!({"ImageId": format!("m-{page}-{i}"), "Status": "Available", "Progress": "100%"}))
            .collect();
        Reply::Json(json!({"RequestId": "r", "TotalCount": 250, "PageNumber": page,
                           "PageSize": 100, "Images": {"Image": images}}))
    })
    .await;
    let client = server.client(SignatureVersion::V3);
    let query = ImageQuery {
        image_owner_alias: Some("self".into()),
        ..ImageQuery::watching(["m-a", "m-b"])
    };
    let sizes: Vec<usize> = client
        .describe_images(&query)
        .map(|page| page.expect("page").len())
        .collect()
        .await;
    assert_eq!(sizes, [100, 100, 50]);
    let seen = server.assert_verified(3);
    assert_eq!(seen[0].param("ImageId"), Some("m-a,m-b"));
    assert_eq!(
        seen[0].param("Status"),
        Some("Creating,Waiting,Available,UnAvailable,CreateFailed")
    );
    assert_eq!(seen[2].param("ImageOwnerAlias"), Some("self"));
}

#[tokio::test]
async fn disk_and_snapshot_listings_carry_their_filters() {
    let server = Server::start(
        vec![
            Reply::Json(
                json!({"Disks": {"Disk": [{"DiskId": "d-1", "Type": "system", "Size": 40}]}}),
            ),
            Reply::Json(
                json!({"Snapshots": {"Snapshot": [{"SnapshotId": "s-1", "SourceDiskSize": "40"}]}}),
            ),
        ],
        unexpected,
    )
    .await;
    let client = server.client(SignatureVersion::V3);
    let disks = client
        .describe_disks_all(&DiskQuery {
            instance_id: Some("i-1".into()),
            ..DiskQuery::default()
        })
        .await
        .expect("disks");
    assert!(disks[0].is_system());
    let snapshots = client
        .describe_snapshots_all(&SnapshotQuery {
            source_disk_type: Some("system".into()),
            status: Some("accomplished".into()),
            ..SnapshotQuery::default()
        })
        .await
        .expect("snapshots");
    assert_eq!(snapshots[0].source_disk_size_gib(), Some(40));
    let seen = server.assert_verified(2);
    assert_eq!(seen[0].param("InstanceId"), Some("i-1"));
    assert_eq!(seen[1].param("SourceDiskType"), Some("system"));
    assert_eq!(seen[1].param("Status"), Some("accomplished"));
}

#[tokio::test]
async fn a_listing_error_ends_the_stream() {
    let server = Server::start(
        vec![
            Reply::Json(
                json!({"NextToken": "t2", "Snapshots": {"Snapshot": [{"SnapshotId": "s-1"}]}}),
            ),
            error(403, "Forbidden.RAM"),
        ],
        unexpected,
    )
    .await;
    let pages: Vec<_> = server
        .client(SignatureVersion::V3)
        .describe_snapshots(&SnapshotQuery::default())
        .collect()
        .await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].as_ref().map(Vec::len), Ok(1));
    assert_eq!(
        pages[1].as_ref().err().and_then(ApiError::code),
        Some("Forbidden.RAM")
    );
}

// ---------------------------------------------------------------------------------------------
// Bad peers

#[tokio::test]
async fn unreadable_bodies_are_decode_errors() {
    let mut huge = b"{\"Regions\":{\"Region\":[".to_vec();
    huge.extend(std::iter::repeat_n(b' ', 9 << 20));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"<html>captive portal</html>".to_vec(),
            "not the expected JSON",
        ),
        (
            br#"{"Regions":{"Region":["#.to_vec(),
            "not the expected JSON",
        ),
        (br#"{"Regions":"oops"}"#.to_vec(), "not the expected JSON"),
        (vec![0xff, 0x00, 0x1b, b'['], "not the expected JSON"),
        (huge, "larger than 8 MiB"),
    ];
    for (body, what_expected) in cases {
        let server = Server::start(vec![Reply::Raw(200, body)], unexpected).await;
        let err = server
            .client(SignatureVersion::V3)
            .describe_regions()
            .await
            .expect_err("decode error");
        let ApiError::Decode {
            http_status,
            what,
            excerpt,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*http_status, 200);
        assert!(what.contains(what_expected), "{what}");
        assert!(excerpt.chars().count() <= 201, "{excerpt}");
        assert!(!excerpt.contains('\x1b'));
        assert!(!err.is_retryable());
        server.assert_verified(1);
    }
}

#[tokio::test]
async fn errors_never_show_the_secret_or_token() {
    let server = Server::start(vec![], |_| {
        Reply::Raw(
            400,
            json!({"Code": "SignatureDoesNotMatch",
                   "Message": format!("server string to sign is: POST&%2F&SecurityToken%3D{}%26x {SECRET} {TOKEN}",
                                      sign::percent_encode(&sign::percent_encode(TOKEN)))})
            .to_string()
            .into_bytes(),
        )
    })
    .await;
    for version in [SignatureVersion::V3, SignatureVersion::V1] {
        let err = server
            .client(version)
            .describe_regions()
            .await
            .expect_err("rejected");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(text.contains("SignatureDoesNotMatch"), "{text}");
            for secret in [SECRET, TOKEN, &sign::percent_encode(TOKEN)] {
                assert!(!text.contains(secret), "{text}");
            }
        }
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_connect_error() {
    // Bind then drop a listener: the port is (very likely) closed now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let server = Server {
        endpoint: format!("http://{addr}"),
        state: Arc::new(Mutex::new(ServerState {
            script: VecDeque::new(),
            fallback: Box::new(unexpected),
            seen: Vec::new(),
        })),
    };
    let retry = RetryPolicy {
        max_attempts: 2,
        ..fast_retries()
    };
    let client =
        Client::new(server.config(SignatureVersion::V3).with_retry(retry)).expect("client");
    let err = client
        .describe_regions()
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains('?'),
        "no URL (and query) in {err}"
    );
}

#[tokio::test]
async fn single_attempt_failures_are_classified() {
    let server = Server::start(vec![Reply::Drop, Reply::Hang, Reply::Drop], unexpected).await;
    let once = Client::new(
        server
            .config(SignatureVersion::V3)
            .with_retry(RetryPolicy::never()),
    )
    .expect("client");
    let dropped = once.describe_regions().await.expect_err("dropped");
    assert!(
        matches!(
            dropped,
            ApiError::Transport {
                kind: TransportKind::Dropped,
                ..
            }
        ),
        "{dropped:?}"
    );
    let timed_out = once.describe_regions().await.expect_err("timed out");
    assert!(
        matches!(timed_out, ApiError::Timeout { .. }),
        "{timed_out:?}"
    );
    // A dropped DeleteImage may have been carried out: it is not sent again, even with
    // retries allowed.
    let err = server
        .client(SignatureVersion::V3)
        .delete_image("m-1", false)
        .await
        .expect_err("dropped");
    assert!(err.is_retryable() && !err.is_unprocessed(), "{err:?}");
    server.assert_verified(3);
}

#[tokio::test]
async fn delivery_calls_batch_as_ecs_reads_them_and_a_copy_resends_its_token() {
    use ecsimg::api::{CopyRequest, ImageChange};
    let ok = || Reply::Json(json!({"RequestId": "r"}));
    let server = Server::start(
        vec![
            // CopyImage: a 503 first, then the copy.
            error(503, "ServiceUnavailable"),
            Reply::Json(json!({"RequestId": "r", "ImageId": "m-2zecopy"})),
        ],
        move |_| ok(),
    )
    .await;
    let client = server.client(SignatureVersion::V3);
    let request = CopyRequest {
        image_id: "m-bp1new".into(),
        destination_region: "cn-beijing".into(),
        name: Some("web".into()),
        description: None,
        encrypted: true,
        kms_key_id: Some("key-bj".into()),
        resource_group_id: None,
        tags: vec![("env".into(), "prod".into())],
        client_token: "copy-token".into(),
    };
    let (copy, _) = client.copy_image(&request).await.expect("copied");
    assert_eq!(copy, "m-2zecopy");
    // 12 accounts: ECS reads ten a call.
    let accounts: Vec<String> = (0..12).map(|i| format!("12345678901234{i:02}")).collect();
    client.share_image(&copy, &accounts).await.expect("shared");
    // 60 snapshots, 21 tags: 50 resources and 20 tags a call.
    let snapshots: Vec<String> = (0..60).map(|i| format!("s-{i}")).collect();
    let tags: Vec<(String, String)> = (0..21).map(|i| (format!("k{i}"), String::new())).collect();
    client
        .tag_resources("snapshot", &snapshots, &tags)
        .await
        .expect("tagged");
    client
        .modify_image(&copy, &ImageChange::Deprecate)
        .await
        .expect("deprecated");

    let seen = server.assert_verified(2 + 2 + 4 + 1);
    let actions: Vec<&str> = seen.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "CopyImage",
            "CopyImage",
            "ModifyImageSharePermission",
            "ModifyImageSharePermission",
            "TagResources",
            "TagResources",
            "TagResources",
            "TagResources",
            "ModifyImageAttribute"
        ]
    );
    for attempt in &seen[..2] {
        assert_eq!(attempt.param("ClientToken"), Some("copy-token"));
        assert_eq!(attempt.param("RegionId"), Some("cn-hangzhou"));
        assert_eq!(attempt.param("DestinationRegionId"), Some("cn-beijing"));
        assert_eq!(attempt.param("Encrypted"), Some("true"));
        assert_eq!(attempt.param("KMSKeyId"), Some("key-bj"));
        assert_eq!(attempt.param("Tag.1.Key"), Some("env"));
    }
    assert_eq!(seen[2].param("AddAccount.10"), Some("1234567890123409"));
    assert_eq!(seen[2].param("AddAccount.11"), None);
    assert_eq!(seen[3].param("AddAccount.2"), Some("1234567890123411"));
    let counts: Vec<(usize, usize)> = seen[4..8]
        .iter()
        .map(|s| {
            let n = |prefix: &str| {
                s.params
                    .iter()
                    .filter(|(k, _)| k.starts_with(prefix) && !k.ends_with(".Value"))
                    .count()
            };
            (n("ResourceId."), n("Tag."))
        })
        .collect();
    assert_eq!(counts, [(50, 20), (50, 1), (10, 20), (10, 1)]);
    assert_eq!(seen[4].param("ResourceType"), Some("snapshot"));
    assert_eq!(
        seen[4].param("Tag.1.Value"),
        Some(""),
        "an empty value is sent"
    );
    assert_eq!(seen[8].param("Status"), Some("Deprecated"));
}
