//! The simulator's request pipeline: HTTP decoding, query and form parsing, V1/V3 signature
//! verification, parameter parsing and every operation.
//!
//! The simulator's parsers are private to `ecsimg::sim`, so requests go through its only public
//! door: one in-process simulator (`sim::start`) on a loopback port, fed over a fresh TCP
//! connection per input. Inputs are either raw bytes (hostile HTTP) or structured requests
//! that are signed correctly and then optionally tampered with, so the fuzzer gets past the
//! signature check and into the operations.
//!
//! Beyond "no panic" (a panic on any thread aborts the run), every answer must be a complete
//! HTTP response, never a 500 (the simulator runs without injected faults), and any body must be
//! the JSON shape ECS uses: an object with `RequestId`, plus `Code` and `Message` on errors.

#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arbitrary::Arbitrary;
use ecsimg::api::product::ECS;
use ecsimg::api::sign::{SigningKey, V3Input, encode_pairs, sign_v1, sign_v3};
use ecsimg::sim::{self, RunningSim, SimConfig};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than any answer takes, far shorter than the server's 30 s header timeout.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

const ACTIONS: &[&str] = &[
    "DescribeRegions",
    "DescribeInstances",
    "DescribeDisks",
    "DescribeSnapshots",
    "DescribeImages",
    "CreateImage",
    "DeleteImage",
    "StopInstances",
];

/// Parameter names the operations read; `Name::Other` covers the rest.
const NAMES: &[&str] = &[
    "RegionId",
    "InstanceId",
    "InstanceIds",
    "InstanceName",
    "InstanceId.1",
    "InstanceId.2",
    "SnapshotId",
    "SnapshotIds",
    "SnapshotName",
    "SnapshotType",
    "SourceDiskType",
    "DiskId",
    "DiskIds",
    "DiskName",
    "DiskType",
    "ImageId",
    "ImageName",
    "ImageFamily",
    "ImageVersion",
    "ImageOwnerAlias",
    "Description",
    "Platform",
    "Architecture",
    "BootMode",
    "DetectionStrategy",
    "Features.ImdsSupport",
    "ResourceGroupId",
    "ClientToken",
    "DryRun",
    "Force",
    "ForceStop",
    "BatchOptimization",
    "Status",
    "Usage",
    "OSType",
    "IsPublic",
    "Encrypted",
    "ZoneId",
    "Category",
    "LockReason",
    "PageNumber",
    "PageSize",
    "MaxResults",
    "NextToken",
    "DiskDeviceMapping.1.SnapshotId",
    "DiskDeviceMapping.1.Size",
    "DiskDeviceMapping.1.DiskType",
    "DiskDeviceMapping.1.Device",
    "DiskDeviceMapping.2.SnapshotId",
    "DiskDeviceMapping.2.Size",
    "DiskDeviceMapping.2.DiskType",
    "DiskDeviceMapping.2.Device",
    "DiskDeviceMapping.17.DiskType",
    "Tag.1.Key",
    "Tag.1.Value",
    "Tag.2.Key",
    "Tag.2.Value",
    "Tag.21.Key",
    "Action",
    "Version",
    "Timestamp",
    "SignatureNonce",
];

/// Values that mean something to the sandbox's seed data.
const VALUES: &[&str] = &[
    "cn-hangzhou",
    "cn-shanghai",
    "i-bp1g6zv0ce8oghu7k2a1",
    "i-bp1a3fn8rvl2nqw0t5xk",
    "i-bp15d8m3qyhz0w7t4e6c",
    "d-bp1g6zv0ce8oghu7k2a0",
    "d-bp1a3fn8rvl2nqw0t5x1",
    "m-bp1fyq7bo2ye0xkc9b1n",
    "aliyun_3_x64_20G_alibase_20240819.vhd",
    "rg-acfmykd63xkeyvy",
    "[\"i-bp1g6zv0ce8oghu7k2a1\",\"i-bp1a3fn8rvl2nqw0t5xk\"]",
    "system",
    "data",
    "self",
    "Available,Creating",
    "All",
    "true",
    "false",
    "True",
    "x86_64",
    "arm64",
    "UEFI",
    "BIOS",
    "v2",
    "Standard",
    "Aliyun",
    "/dev/xvdb",
    "/dev/xvda",
    "40",
    "100",
    "0",
    "-1",
    "4294967296",
    "acs:reserved",
    "SuccessFirst",
];

#[derive(Arbitrary, Debug)]
enum Input {
    /// Bytes written to the socket as they are.
    Raw(Vec<u8>),
    Request(Request),
}

#[derive(Arbitrary, Debug)]
struct Request {
    post: bool,
    /// Operation parameters in a form body instead of the query.
    form: bool,
    scheme: Scheme,
    action: Choice,
    params: Vec<(Name, Value)>,
    tamper: Tamper,
    /// Appended to the query after signing (unsigned, possibly malformed).
    query_suffix: Option<Vec<u8>>,
    headers: Vec<(Header, String)>,
}

#[derive(Arbitrary, Debug)]
enum Scheme {
    Unsigned,
    V1,
    V3,
    V3WithToken,
}

#[derive(Arbitrary, Debug)]
enum Tamper {
    Nothing,
    Signature,
    KeyId,
    Secret,
    /// Minutes to shift the signed time by.
    Time(i16),
    /// Send the same request twice: the second must be refused as a reused nonce.
    Replay,
}

#[derive(Arbitrary, Debug)]
enum Choice {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Header {
    ContentType,
    Authorization,
    SecurityToken,
    Date,
    ContentSha256,
    Other(String),
}

fn pick<'a>(list: &[&'a str], index: u8) -> &'a str {
    list[usize::from(index) % list.len()]
}

impl Choice {
    fn text(&self) -> String {
        match self {
            Choice::Known(i) => pick(ACTIONS, *i).to_owned(),
            Choice::Other(s) => s.clone(),
        }
    }
}

impl Name {
    fn text(&self) -> String {
        match self {
            Name::Known(i) => pick(NAMES, *i).to_owned(),
            Name::Other(s) => s.clone(),
        }
    }
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Known(i) => pick(VALUES, *i).to_owned(),
            Value::Other(s) => s.clone(),
        }
    }
}

impl Header {
    fn name(&self) -> String {
        match self {
            Header::ContentType => "content-type".into(),
            Header::Authorization => "authorization".into(),
            Header::SecurityToken => "x-acs-security-token".into(),
            Header::Date => "x-acs-date".into(),
            Header::ContentSha256 => "x-acs-content-sha256".into(),
            Header::Other(name) => name.clone(),
        }
    }
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    sim: RunningSim,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let sim = runtime
            .block_on(sim::start(SimConfig::default()))
            .expect("the simulator starts");
        Harness { runtime, sim }
    })
}

/// A nonce no earlier request used.
fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "fuzz-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Builds the bytes of `request`, signed as it asks.
fn build(request: &Request, addr: SocketAddr) -> Vec<u8> {
    let method = if request.post { "POST" } else { "GET" };
    let host = addr.to_string();
    let action = request.action.text();
    let params: Vec<(String, String)> = request
        .params
        .iter()
        .map(|(n, v)| (n.text(), v.text()))
        .collect();
    let shift = match request.tamper {
        Tamper::Time(minutes) => chrono::TimeDelta::minutes(i64::from(minutes)),
        _ => chrono::TimeDelta::zero(),
    };
    let when = (chrono::Utc::now() + shift)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let key_id = match request.tamper {
        Tamper::KeyId => "LTAIsomeoneelse",
        _ => sim::SANDBOX_ACCESS_KEY_ID,
    };
    let secret = match request.tamper {
        Tamper::Secret => "not-the-secret",
        _ => sim::SANDBOX_ACCESS_KEY_SECRET,
    };
    let token = matches!(request.scheme, Scheme::V3WithToken).then_some("fuzz-sts-token");
    let key = SigningKey {
        access_key_id: key_id,
        access_key_secret: secret,
        security_token: token,
    };
    let nonce = nonce();
    let mut headers: Vec<(String, String)> = Vec::new();
    let (mut query, body) = match request.scheme {
        Scheme::Unsigned => {
            let mut all = vec![
                ("Action".to_owned(), action.clone()),
                ("Version".to_owned(), "2014-05-26".to_owned()),
            ];
            all.extend(params);
            split(request.form, &all, &mut headers)
        }
        Scheme::V1 => {
            let signed = sign_v1(method, &action, ECS.version, &params, key, &when, &nonce);
            split(request.form, &signed, &mut headers)
        }
        Scheme::V3 | Scheme::V3WithToken => {
            let (in_query, body, content_type) = if request.form {
                let body = encode_pairs(params.iter()).into_bytes();
                (Vec::new(), body, Some("application/x-www-form-urlencoded"))
            } else {
                (params, Vec::new(), None)
            };
            let signed = sign_v3(
                V3Input {
                    method,
                    host: &host,
                    action: &action,
                    version: ECS.version,
                    params: &in_query,
                    body: &body,
                    content_type,
                    date: &when,
                    nonce: &nonce,
                },
                key,
            );
            // `host` is written below; the simulator must see exactly the signed value.
            headers.extend(signed.headers.into_iter().filter(|(n, _)| n != "host"));
            (signed.query.into_bytes(), body)
        }
    };
    if matches!(request.tamper, Tamper::Signature) {
        tamper_signature(&mut query, &mut headers);
    }
    // Line breaks would change the framing, which the raw inputs cover; here they would only
    // make requests that never end.
    let one_line = |c: &u8| *c != b'\r' && *c != b'\n';
    if let Some(suffix) = &request.query_suffix {
        query.push(b'&');
        query.extend(suffix.iter().filter(|c| one_line(c)));
    }
    for (name, value) in &request.headers {
        let keep = |s: String| s.replace(['\r', '\n'], "");
        headers.push((keep(name.name()), keep(value.clone())));
    }
    let mut bytes = Vec::with_capacity(256 + query.len() + body.len());
    bytes.extend_from_slice(method.as_bytes());
    bytes.extend_from_slice(b" /?");
    bytes.extend_from_slice(&query);
    bytes.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    bytes.extend_from_slice(host.as_bytes());
    bytes.extend_from_slice(b"\r\nconnection: close\r\n");
    for (name, value) in &headers {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

/// Puts `pairs` in the query, or in a form body (with its content type) when `form`.
fn split(
    form: bool,
    pairs: &[(String, String)],
    headers: &mut Vec<(String, String)>,
) -> (Vec<u8>, Vec<u8>) {
    let encoded = encode_pairs(pairs.iter()).into_bytes();
    if form {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        (Vec::new(), encoded)
    } else {
        (encoded, Vec::new())
    }
}

/// Changes one character of the signature, wherever the scheme put it.
fn tamper_signature(query: &mut [u8], headers: &mut [(String, String)]) {
    if let Some((_, value)) = headers.iter_mut().find(|(n, _)| n == "authorization") {
        let flipped = if value.ends_with('0') { '1' } else { '0' };
        value.pop();
        value.push(flipped);
    } else if let Some(at) = find(query, b"Signature=") {
        let i = at + b"Signature=".len();
        if i < query.len() {
            query[i] = if query[i] == b'A' { b'B' } else { b'A' };
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends `bytes` on a new connection and returns everything answered until the server closes.
///
/// `half_close` shuts the sending side after writing, so that a request cut short ends in an
/// EOF instead of a wait. hyper then drops a response still being computed, so only raw inputs
/// (which may be cut short) use it; structured requests are complete and ask for
/// `connection: close`.
async fn exchange(addr: SocketAddr, bytes: &[u8], half_close: bool) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to the simulator");
    // The server may answer and close before reading everything (e.g. a too-large body).
    let _ = stream.write_all(bytes).await;
    if half_close {
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    match tokio::time::timeout(ANSWER_WITHIN, stream.read_to_end(&mut answer)).await {
        Ok(_) => answer,
        Err(_) => panic!("the simulator did not answer within {ANSWER_WITHIN:?}"),
    }
}

/// Status and body of the first response in `answer`; `None` when there is none.
fn first_response(answer: &[u8]) -> Option<(u16, &[u8])> {
    let head_end = find(answer, b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&answer[..head_end]).expect("response headers are ASCII");
    let status: u16 = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {head:?}"));
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let body = answer
        .get(head_end..head_end + length)
        .unwrap_or_else(|| panic!("a truncated response: {head:?}"));
    Some((status, body))
}

/// How the simulator answered.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Success,
    Error(String),
    /// hyper refused the HTTP itself (an empty 4xx) or closed without a word.
    Unparsed,
}

/// The checks every answer must pass.
fn check(answer: &[u8]) -> Outcome {
    let Some((status, body)) = first_response(answer) else {
        return Outcome::Unparsed;
    };
    assert_ne!(status, 500, "an internal error without injected faults");
    if body.is_empty() {
        assert!(status >= 400, "an empty success");
        return Outcome::Unparsed;
    }
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "the body is not JSON ({e}): {}",
            String::from_utf8_lossy(body)
        )
    });
    assert!(json["RequestId"].is_string(), "no RequestId: {json}");
    if status < 400 {
        return Outcome::Success;
    }
    assert!(json["Code"].is_string(), "an error without Code: {json}");
    assert!(
        json["Message"].is_string(),
        "an error without Message: {json}"
    );
    Outcome::Error(json["Code"].as_str().unwrap_or_default().to_owned())
}

fuzz_target!(|input: Input| {
    let harness = harness();
    let addr = harness.sim.addr();
    harness.runtime.block_on(async {
        match input {
            Input::Raw(bytes) => {
                check(&exchange(addr, &bytes, true).await);
            }
            Input::Request(request) => {
                let bytes = build(&request, addr);
                let first = check(&exchange(addr, &bytes, false).await);
                if matches!(request.tamper, Tamper::Replay) && first == Outcome::Success {
                    let again = check(&exchange(addr, &bytes, false).await);
                    assert_eq!(again, Outcome::Error("SignatureNonceUsed".into()));
                }
            }
        }
    });
});
