//! How many signed DescribeImages requests the simulator serves, next to a bare hello-world
//! handler on the same stack (hyper http1 on tokio, same connection settings) in the same run.
//! The target (issue 3) is at least half the bare handler's throughput. A third server, equally
//! bare, answers with the simulator's own 6.5 KB DescribeImages body, to tell the cost of the
//! simulator's work from the cost of moving its bigger answer.
//!
//! The load generator is in-process: one tokio task per keep-alive loopback connection, each
//! writing a request and reading the whole response before the next (no pipelining). It speaks
//! HTTP/1.1 over a raw `TcpStream` so that client overhead, which shares the same cores, stays
//! small and equal for every server. Every request is V3-signed with a fresh nonce *before* the
//! timed loop: one signature (8–13 µs here, printed) costs half or more of what the bare handler
//! spends per request, so signing inside the loop would measure the generator, not the server. Every
//! answer must be `200`; a rejected request fails the bench instead of inflating it.
//!
//! Run: `cargo bench --bench sim_throughput` (a plain binary; prints a table).
//! `SIM_BENCH_REQUESTS` (default 40000) sets the requests per measurement.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ecsimg::api::sign::{SigningKey, V3Input, sign_v3};
use ecsimg::sim::{self, SimConfig};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Concurrent connections per measurement.
const CONCURRENCY: [usize; 3] = [1, 16, 64];
/// Unmeasured requests per connection before each measurement (connect, warm caches).
const WARMUP_PER_CONNECTION: usize = 20;
/// The parameters the wizard's image list sends (`RegionId` added as the client does).
const PARAMS: [(&str, &str); 3] = [
    ("RegionId", sim::SANDBOX_REGION),
    ("PageNumber", "1"),
    ("PageSize", "10"),
];

fn main() {
    let requests: usize = std::env::var("SIM_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(requests));
}

async fn run(requests: usize) {
    let simulator = sim::start(SimConfig::default())
        .await
        .expect("the simulator starts");
    let shutdown = CancellationToken::new();
    let probe = Signer::new(simulator.addr())
        .sign(1)
        .pop()
        .expect("one request");
    let answer = Bytes::from(one_answer(simulator.addr(), &probe).await);
    let hello = bare_server(shutdown.clone(), Bytes::from_static(b"Hello, World!")).await;
    // The simulator's own answer served as a constant: separates the cost of the simulator's
    // work from the cost of moving its bigger body.
    let canned = bare_server(shutdown.clone(), answer.clone()).await;
    println!("DescribeImages answer: {} bytes of JSON", answer.len());
    let started = Instant::now();
    let signed = Signer::new(simulator.addr()).sign(10_000);
    println!(
        "V3 signing in the generator: {:.1} µs per request (done before timing)\n",
        started.elapsed().as_secs_f64() * 1e6 / signed.len() as f64
    );

    println!("| connections | server | requests/s | p50 | p99 | sim / this |");
    println!("|---:|---|---:|---:|---:|---:|");
    for connections in CONCURRENCY {
        let warm = connections * WARMUP_PER_CONNECTION;
        let total = requests.max(connections);
        // Each server gets its own freshly signed batch: the simulator refuses reused nonces.
        let run = |addr: SocketAddr| {
            let batch = Signer::new(addr).sign(warm + total);
            measure(addr, batch, connections, warm)
        };
        let hello_result = run(hello).await;
        let canned_result = run(canned).await;
        let sim_result = run(simulator.addr()).await;
        let ratio = |other: &Measured| sim_result.per_second / other.per_second;
        println!(
            "| {connections} | bare hyper, hello world | {} | {:.2} |",
            hello_result.row(),
            ratio(&hello_result)
        );
        println!(
            "| {connections} | bare hyper, same {} B body | {} | {:.2} |",
            answer.len(),
            canned_result.row(),
            ratio(&canned_result)
        );
        println!(
            "| {connections} | simulator | {} | 1.00 |",
            sim_result.row()
        );
    }
    shutdown.cancel();
    simulator.shutdown().await;
}

/// A hello-world server built exactly like the simulator's (hyper http1, the same timer and
/// header timeout, one task per connection), answering every request with a fixed text.
async fn bare_server(shutdown: CancellationToken, body: Bytes) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
            };
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_req| {
                    let body = body.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(body)))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(30))
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Builds complete HTTP/1.1 requests, each V3-signed with its own nonce, as `api::Client` sends
/// them (POST, operation parameters in the query, empty body).
struct Signer {
    host: String,
    date: String,
    params: Vec<(String, String)>,
}

impl Signer {
    fn new(addr: SocketAddr) -> Signer {
        Signer {
            host: addr.to_string(),
            date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            params: PARAMS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn sign(&self, count: usize) -> Vec<Vec<u8>> {
        let key = SigningKey {
            access_key_id: sim::SANDBOX_ACCESS_KEY_ID,
            access_key_secret: sim::SANDBOX_ACCESS_KEY_SECRET,
            security_token: None,
        };
        (0..count)
            .map(|_| {
                let nonce = hex::encode(rand::random::<[u8; 16]>());
                let signed = sign_v3(
                    V3Input {
                        method: "POST",
                        host: &self.host,
                        action: "DescribeImages",
                        params: &self.params,
                        body: b"",
                        content_type: None,
                        date: &self.date,
                        nonce: &nonce,
                    },
                    key,
                );
                let mut request = format!("POST /?{} HTTP/1.1\r\n", signed.query);
                for (name, value) in &signed.headers {
                    request.push_str(&format!("{name}: {value}\r\n"));
                }
                request.push_str("accept: application/json\r\ncontent-length: 0\r\n\r\n");
                request.into_bytes()
            })
            .collect()
    }
}

/// One connection's view of the server: write a request, read exactly one response.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).await.expect("connect to loopback");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Connection {
            stream,
            buffer: Vec::with_capacity(16 * 1024),
        }
    }

    /// Sends `request` and returns the response body; panics (failing the bench) on anything
    /// but a complete `200` answer.
    async fn exchange(&mut self, request: &[u8]) -> Vec<u8> {
        self.stream
            .write_all(request)
            .await
            .expect("send a request");
        self.buffer.clear();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some((head, length)) = parse_head(&self.buffer)
                && self.buffer.len() >= head + length
            {
                assert!(
                    self.buffer.starts_with(b"HTTP/1.1 200"),
                    "the server refused a request:\n{}",
                    String::from_utf8_lossy(&self.buffer)
                );
                return self.buffer[head..head + length].to_vec();
            }
            let n = self.stream.read(&mut chunk).await.expect("read a response");
            assert!(n > 0, "the server closed the connection mid-response");
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The length of the response head (through the blank line) and the `content-length`, once the
/// whole head has arrived.
fn parse_head(buffer: &[u8]) -> Option<(usize, usize)> {
    let end = buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buffer[..end]).ok()?;
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })?;
    Some((end, length))
}

async fn one_answer(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    Connection::open(addr).await.exchange(request).await
}

struct Measured {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

impl Measured {
    fn row(&self) -> String {
        format!(
            "{:.0} | {:.0} µs | {:.0} µs",
            self.per_second,
            self.p50.as_secs_f64() * 1e6,
            self.p99.as_secs_f64() * 1e6
        )
    }
}

/// Sends `batch` over `connections` keep-alive connections: the first `warm` requests are
/// spread across the connections and not timed, the rest are timed per request and overall.
async fn measure(
    addr: SocketAddr,
    mut batch: Vec<Vec<u8>>,
    connections: usize,
    warm: usize,
) -> Measured {
    let timed = batch.split_off(warm);
    let mut warmups = deal(batch, connections).into_iter();
    let mut timed_shares = deal(timed, connections).into_iter();
    let mut ready = Vec::with_capacity(connections);
    for _ in 0..connections {
        let mut connection = Connection::open(addr).await;
        for request in warmups.next().unwrap_or_default() {
            connection.exchange(&request).await;
        }
        ready.push((connection, timed_shares.next().unwrap_or_default()));
    }
    let start = tokio::sync::Barrier::new(connections + 1);
    let start = std::sync::Arc::new(start);
    let tasks: Vec<_> = ready
        .into_iter()
        .map(|(mut connection, share)| {
            let start = start.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(share.len());
                start.wait().await;
                for request in &share {
                    let sent = Instant::now();
                    connection.exchange(request).await;
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    start.wait().await;
    let began = Instant::now();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a load task finished"));
    }
    let elapsed = began.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Measured {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// Splits `items` into `parts` shares of (nearly) equal size.
fn deal<T>(items: Vec<T>, parts: usize) -> Vec<Vec<T>> {
    let mut shares: Vec<Vec<T>> = (0..parts).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        shares[i % parts].push(item);
    }
    shares
}
