//! The client's response handling: status, `x-acs-retry-after`, the typed JSON models of every
//! operation and the ECS error envelope, through the real `api::Client`.
//!
//! The envelope parser is crate-private, so answers come from a loopback server (a plain
//! thread) that replies to every request with the current input; the client calls one
//! operation against it over keep-alive HTTP. Beyond "no panic", an error must never show the
//! client's access key secret, even when the peer echoes it back (raw or percent-encoded).

#![no_main]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use arbitrary::Arbitrary;
use ecsimg::api::model::{DiskQuery, ImageQuery, InstanceQuery, SnapshotQuery};
use ecsimg::api::{ApiError, Client, ClientConfig, Endpoint, RetryPolicy};
use ecsimg::credentials::Credentials;
use ecsimg::secret::Secret;
use futures::StreamExt;
use libfuzzer_sys::fuzz_target;

/// The client's secret; the seeds carry it so the fuzzer can echo it back.
const SECRET: &str = "FuzzSecret/Key+42";

#[derive(Arbitrary, Debug)]
struct Input {
    operation: Operation,
    status: Status,
    retry_after: Option<String>,
    json_content_type: bool,
    body: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
enum Operation {
    Regions,
    Instances,
    Disks,
    Snapshots,
    Images,
    CreateImage,
    StopInstances,
    DeleteImage,
}

#[derive(Arbitrary, Debug)]
enum Status {
    Ok,
    BadRequest,
    Forbidden,
    NotFound,
    Throttled,
    ServerError,
    Unavailable,
    Other(u16),
}

impl Status {
    fn code(&self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::Throttled => 429,
            Status::ServerError => 500,
            Status::Unavailable => 503,
            // Informational codes are not final answers; a server never sends them alone.
            Status::Other(code) => 200 + code % 400,
        }
    }
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    client: Client,
    answer: Arc<Mutex<Vec<u8>>>,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let answer = Arc::new(Mutex::new(Vec::new()));
        let addr = serve(answer.clone());
        let credentials = Credentials {
            access_key_id: "LTAIfuzz".into(),
            access_key_secret: Secret::new(SECRET),
            security_token: None,
        };
        let endpoint = Endpoint::parse(&format!("http://{addr}")).expect("a loopback endpoint");
        let config = ClientConfig::new("cn-hangzhou", credentials)
            .with_endpoint(endpoint)
            .with_retry(RetryPolicy::never())
            .with_timeouts(Duration::from_secs(5), Duration::from_secs(5));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let client = runtime
            .block_on(async { Client::new(config) })
            .expect("a client");
        Harness {
            runtime,
            client,
            answer,
        }
    })
}

/// A server answering every request on every connection with the bytes in `answer`.
fn serve(answer: Arc<Mutex<Vec<u8>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let _ = answer_each(stream, &answer);
            });
        }
    });
    addr
}

fn answer_each(stream: TcpStream, answer: &Mutex<Vec<u8>>) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        std::io::copy(&mut (&mut reader).take(length as u64), &mut std::io::sink())?;
        let bytes = answer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        writer.write_all(&bytes)?;
    }
}

fn response(input: &Input) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} Fuzz\r\n", input.status.code());
    if input.json_content_type {
        head.push_str("content-type: application/json;charset=utf-8\r\n");
    }
    if let Some(value) = &input.retry_after {
        // Kept on one line: a line break would be framing, which is hyper's business.
        head.push_str(&format!(
            "x-acs-retry-after: {}\r\n",
            value.replace(['\r', '\n'], "")
        ));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", input.body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&input.body);
    bytes
}

/// Runs the operation and renders its outcome the ways the CLI and the wizard do.
async fn call(client: &Client, operation: &Operation) -> Result<String, ApiError> {
    let shown = match operation {
        Operation::Regions => format!("{:?}", client.describe_regions().await?),
        Operation::Instances => {
            show(first(client.describe_instances(&InstanceQuery::default())).await?)
        }
        Operation::Disks => show(first(client.describe_disks(&DiskQuery::default())).await?),
        Operation::Snapshots => {
            show(first(client.describe_snapshots(&SnapshotQuery::default())).await?)
        }
        Operation::Images => first(client.describe_images(&ImageQuery::watching(["m-fuzz"])))
            .await?
            .iter()
            .map(|i| {
                format!(
                    "{i:?} {:?} {} {}",
                    i.progress_percent(),
                    i.is_ready(),
                    i.is_failed()
                )
            })
            .collect(),
        Operation::CreateImage => {
            let params = [("InstanceId".to_string(), "i-fuzz".to_string())];
            format!("{:?}", client.create_image(&params).await?)
        }
        Operation::StopInstances => {
            let responses = client
                .stop_instances(&["i-fuzz".to_string()], false)
                .await?;
            responses
                .iter()
                .map(|r| format!("{r:?} {}", r.is_success()))
                .collect()
        }
        Operation::DeleteImage => client.delete_image("m-fuzz", false).await?,
    };
    Ok(shown)
}

/// The first page of a listing.
async fn first<T>(
    pages: impl futures::Stream<Item = Result<Vec<T>, ApiError>>,
) -> Result<Vec<T>, ApiError> {
    let mut pages = std::pin::pin!(pages);
    pages.next().await.unwrap_or_else(|| Ok(Vec::new()))
}

fn show<T: std::fmt::Debug>(rows: Vec<T>) -> String {
    format!("{rows:?}")
}

fuzz_target!(|input: Input| {
    let harness = harness();
    *harness
        .answer
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = response(&input);
    let outcome = harness
        .runtime
        .block_on(call(&harness.client, &input.operation));
    if let Err(error) = outcome {
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains(SECRET),
            "the secret leaked into an error: {shown}"
        );
        let _ = (error.code(), error.request_id(), error.http_status());
        let _ = (
            error.is_throttling(),
            error.is_retryable(),
            error.is_unprocessed(),
        );
        let _ = (error.retry_after(), error.explanation());
    }
});
