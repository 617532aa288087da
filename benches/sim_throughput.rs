//! How many signed DescribeImages requests the simulator serves, next to a bare hello-world
//! handler on the same stack (hyper http1 on tokio, same connection settings) in the same run.
//! The target is at least half the bare handler's throughput. A third server, equally
//! bare, answers with the simulator's own 6.5 KB DescribeImages body, to tell the cost of the
//! simulator's work from the cost of moving its bigger answer.
//!
//! Two simulator rows: the wizard's image list (a page of ten settled images, which the
//! simulator serves from their kept renderings) and the poll of one image still being built
//! (rendered afresh on every call; the simulator's clock is frozen so it stays Creating).
//!
//! The load generator is in-process: one tokio task per keep-alive loopback connection, each
//! writing a request and reading the whole response before the next (no pipelining). It speaks
//! HTTP/1.1 over a raw `TcpStream` so that client overhead, which shares the same cores, stays
//! small and equal for every server. Every request is V3-signed with a fresh nonce *before* the
//! timed loop: one signature (6–10 µs here, printed) costs half or more of what the bare handler
//! spends per request, so signing inside the loop would measure the generator, not the server.
//! Every answer must be `200`; a rejected request fails the bench instead of inflating it.
//!
//! A shared 2-core machine drifts by tens of percent from one second to the next, so each server
//! is measured in several short rounds, interleaved in rotating order: the table shows the
//! median round, and `÷ hello world` is the median of the ratios to the hello-world server
//! taken within each round.
//!
//! Run: `cargo bench --bench sim_throughput` (a plain binary; prints a table).
//! `SIM_BENCH_REQUESTS` (default 20000) sets the requests per round, `SIM_BENCH_ROUNDS`
//! (default 7) the rounds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ecsimg::api::product::ECS;
use ecsimg::api::sign::{SigningKey, V3Input, sign_v3};
use ecsimg::sim::limits::{self, Limits};
use ecsimg::sim::{self, Clock, SimConfig};
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
const PAGE: [(&str, &str); 3] = [
    ("RegionId", sim::SANDBOX_REGION),
    ("PageNumber", "1"),
    ("PageSize", "10"),
];
/// An accomplished system snapshot of the sandbox, to build the image that stays Creating.
const SNAPSHOT: &str = "s-bp1k4wd2j0qmz7h5x3cv";
/// Index in the table of the hello-world row, which every ratio is taken against.
const HELLO_ROW: usize = 0;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let requests = env_or("SIM_BENCH_REQUESTS", 20_000);
    let rounds = env_or("SIM_BENCH_ROUNDS", 7).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(requests, rounds));
}

/// One row of the table: a server and the request it is sent.
struct Target {
    name: String,
    addr: SocketAddr,
    action: &'static str,
    params: Vec<(String, String)>,
}

impl Target {
    fn new(name: &str, addr: SocketAddr, action: &'static str, params: &[(&str, &str)]) -> Self {
        Target {
            name: name.to_string(),
            addr,
            action,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// `count` complete requests, each signed with its own nonce.
    fn sign(&self, count: usize) -> Vec<Vec<u8>> {
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let host = self.addr.to_string();
        (0..count)
            .map(|_| signed_request(&host, &date, self.action, &self.params))
            .collect()
    }
}

async fn run(requests: usize, rounds: usize) {
    // Frozen, so the image built below stays Creating; requests are signed with the wall clock,
    // well inside the simulator's 15-minute window for the length of a run.
    // The frozen clock never lets a nonce expire: room for every request of the run.
    let simulator = sim::start(SimConfig {
        clock: Clock::fixed(chrono::Utc::now()),
        limits: Limits {
            max_nonces: *limits::NONCES_RANGE.end(),
            ..Limits::default()
        },
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts");
    let shutdown = CancellationToken::new();
    let page = Target::new(
        "simulator, page of 10 settled images",
        simulator.addr(),
        "DescribeImages",
        &PAGE,
    );
    let answer = Bytes::from(one_answer(&page).await);
    let building = building_image(simulator.addr()).await;
    let hello = bare_server(shutdown.clone(), Bytes::from_static(b"Hello, World!")).await;
    // The simulator's own answer served as a constant: separates the cost of the simulator's
    // work from the cost of moving its bigger body.
    let canned = bare_server(shutdown.clone(), answer.clone()).await;
    let canned_name = format!("bare hyper, same {} B body", answer.len());
    let started = Instant::now();
    let signing = page.sign(10_000).len();
    let signing = started.elapsed().as_secs_f64() * 1e6 / signing as f64;
    let targets = [
        Target::new("bare hyper, hello world", hello, "DescribeImages", &PAGE),
        Target::new(&canned_name, canned, "DescribeImages", &PAGE),
        page,
        building,
    ];
    println!("DescribeImages answer: {} bytes of JSON", answer.len());
    println!("V3 signing in the generator: {signing:.1} µs per request (done before timing)");
    println!("{rounds} rounds of {requests} requests per server and concurrency\n");

    println!("| connections | server | requests/s | p50 | p99 | ÷ hello world |");
    println!("|---:|---|---:|---:|---:|---:|");
    for connections in CONCURRENCY {
        let warm = connections * WARMUP_PER_CONNECTION;
        let total = requests.max(connections);
        let mut results: Vec<Vec<Measured>> = targets.iter().map(|_| Vec::new()).collect();
        for round in 0..rounds {
            for offset in 0..targets.len() {
                let index = (round + offset) % targets.len();
                let target = &targets[index];
                // A freshly signed batch each time: the simulator refuses reused nonces.
                let batch = target.sign(warm + total);
                results[index].push(measure(target.addr, batch, connections, warm).await);
            }
        }
        for (target, rounds) in targets.iter().zip(&results) {
            let ratios = rounds
                .iter()
                .zip(&results[HELLO_ROW])
                .map(|(this, hello)| this.per_second / hello.per_second)
                .collect();
            println!(
                "| {connections} | {} | {} | {:.2} |",
                target.name,
                Measured::summary(rounds),
                median(ratios)
            );
        }
    }
    shutdown.cancel();
    simulator.shutdown().await;
}

/// Creates an image on the simulator (its clock is frozen, so the image stays Creating) and
/// returns the row that polls it.
async fn building_image(addr: SocketAddr) -> Target {
    let create = Target::new(
        "",
        addr,
        "CreateImage",
        &[
            ("RegionId", sim::SANDBOX_REGION),
            ("SnapshotId", SNAPSHOT),
            ("ImageName", "bench-building"),
        ],
    );
    let created: serde_json::Value =
        serde_json::from_slice(&one_answer(&create).await).expect("CreateImage answers JSON");
    let image_id = created["ImageId"].as_str().expect("an ImageId");
    Target::new(
        "simulator, 1 image still Creating",
        addr,
        "DescribeImages",
        &[
            ("RegionId", sim::SANDBOX_REGION),
            ("ImageId", image_id),
            ("Status", "Creating"),
        ],
    )
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
                    .half_close(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A complete HTTP/1.1 request, V3-signed with its own nonce, as `api::Client` sends it (POST,
/// operation parameters in the query, empty body).
fn signed_request(host: &str, date: &str, action: &str, params: &[(String, String)]) -> Vec<u8> {
    let key = SigningKey {
        access_key_id: sim::SANDBOX_ACCESS_KEY_ID,
        access_key_secret: sim::SANDBOX_ACCESS_KEY_SECRET,
        security_token: None,
    };
    let nonce = const_hex::encode(rand::random::<[u8; 16]>());
    let signed = sign_v3(
        V3Input {
            method: "POST",
            host,
            action,
            version: ECS.version,
            params,
            body: b"",
            content_type: None,
            date,
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

async fn one_answer(target: &Target) -> Vec<u8> {
    let request = target.sign(1).pop().expect("one request");
    Connection::open(target.addr).await.exchange(&request).await
}

/// One round against one server.
struct Measured {
    per_second: f64,
    latencies: Vec<Duration>,
}

impl Measured {
    /// The median round's throughput, and p50/p99 over every round's requests.
    fn summary(rounds: &[Measured]) -> String {
        let mut all: Vec<Duration> = rounds.iter().flat_map(|r| r.latencies.clone()).collect();
        all.sort_unstable();
        let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
        format!(
            "{:.0} | {:.0} µs | {:.0} µs",
            median(rounds.iter().map(|r| r.per_second).collect()),
            at(0.50),
            at(0.99)
        )
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    values[values.len() / 2]
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
    Measured {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        latencies,
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
