//! The harness of the simulator suites: an in-process simulator on loopback with a fixed clock
//! and a fixed ID seed, and requests signed here with `api::sign` directly (not through the
//! client), so the suites pin the wire protocol itself. [`Wire`] signs for any simulator,
//! including one in another process.

use chrono::{DateTime, Utc};
use ecsimg::api::product::ECS;
use ecsimg::api::sign::{self, SigningKey, V3Input};
use ecsimg::sim::{
    self, Clock, RunningSim, SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET, Seed, SimConfig,
};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub const REGION: &str = "cn-hangzhou";

// Seed resources used below (assets/sandbox.toml).
pub const WEB_INSTANCE: &str = "i-bp1g6zv0ce8oghu7k2a1"; // Running, 2 disks
pub const DB_INSTANCE: &str = "i-bp1a3fn8rvl2nqw0t5xk"; // Stopped, 4 disks, risks
pub const STARTING_INSTANCE: &str = "i-bp15d8m3qyhz0w7t4e6c";
pub const LOCKED_INSTANCE: &str = "i-bp1h2kq9x6c0vjz5w3ua";
pub const WIN_INSTANCE: &str = "i-bp1r7w2m5k9tq3xn8yce"; // images fail at 60%
pub const ARM_INSTANCE: &str = "i-bp1q4j8u2n6e0v3m7zkd";
pub const NO_SYSTEM_DISK_INSTANCE: &str = "i-bp1n0v5s4d8k2m6x9t3e";
pub const WEB_SYSTEM_SNAPSHOT: &str = "s-bp1k4wd2j0qmz7h5x3cv"; // 40 GiB
pub const WEB_DATA_SNAPSHOT: &str = "s-bp1k4wd2j0qmz7h5x3dw"; // 100 GiB data
pub const ENCRYPTED_DATA_SNAPSHOT: &str = "s-bp1f5g7h9j1k3l5z7x9c";
pub const PROGRESSING_SNAPSHOT: &str = "s-bp1p0o9i8u7y6t5r4e3w";
pub const FAILED_SNAPSHOT: &str = "s-bp1m2n4b6v8c0x1z3a5s";
pub const FAILING_SNAPSHOT: &str = "s-bp1q9w8e7r6t5y4u3i2o"; // images fail at 40%
pub const ARCHIVE_SNAPSHOT: &str = "s-bp1z9x8c7v6b5n4m3l2k";
pub const OLD_SNAPSHOT: &str = "s-bp1o1d2s3n4a5p6s7h8t";
pub const DB_SYSTEM_SNAPSHOT: &str = "s-bp1d2yx8e5w7b0n4m6qa"; // carries a risk
pub const USED_IMAGE: &str = "m-bp1fyq7bo2ye0xkc9b1n"; // web-base-20240601, run by WEB_INSTANCE

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T08:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .expect("literal time")
}

pub fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A decoded response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{}", self.body);
        assert!(self.body.get("Code").is_none(), "{}", self.body);
        self.body
    }

    #[track_caller]
    pub fn err(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.body);
        assert!(self.body["Message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(self.body["HostId"].is_string() && self.body["Recommend"].is_string());
        assert_request_id(&self.body);
    }
}

#[track_caller]
pub fn assert_request_id(body: &Value) {
    let id = body["RequestId"].as_str().unwrap_or_default();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{body}");
    assert_eq!(id, id.to_uppercase(), "{body}");
}

/// Where V1 parameters travel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    Query,
    Form,
}

/// Knobs for one hand-signed request.
#[derive(Clone)]
pub struct Opts {
    pub method: &'static str,
    pub secret: String,
    pub key_id: String,
    pub token: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    /// The API version signed (`Version` / `x-acs-version`); ECS's unless set.
    pub version: Option<&'static str>,
}

impl Opts {
    /// POST, signed with the sandbox key pair.
    pub fn sandbox() -> Self {
        Opts {
            method: "POST",
            secret: SANDBOX_ACCESS_KEY_SECRET.into(),
            key_id: SANDBOX_ACCESS_KEY_ID.into(),
            token: None,
            timestamp: None,
            nonce: None,
            version: None,
        }
    }

    /// The API version to sign.
    pub fn version(&self) -> &'static str {
        self.version.unwrap_or(ECS.version)
    }
}

/// Signed requests to a simulator at `addr`, in this process or another.
pub struct Wire {
    pub addr: std::net::SocketAddr,
    pub http: reqwest::Client,
    nonce: AtomicU64,
}

impl Wire {
    pub fn new(addr: std::net::SocketAddr) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Wire {
            addr,
            http,
            nonce: AtomicU64::new(1),
        }
    }

    pub fn next_nonce(&self) -> String {
        format!("nonce-{:08}", self.nonce.fetch_add(1, Ordering::SeqCst))
    }

    /// A V3 request signed at `date`: parameters in the query, or with `form` in a form body.
    pub fn v3_request(
        &self,
        action: &str,
        params: &[(&str, &str)],
        o: &Opts,
        form: bool,
        date: &str,
    ) -> (reqwest::RequestBuilder, Vec<(String, String)>) {
        let params = owned(params);
        let body = if form {
            sign::encode_pairs(params.iter())
        } else {
            String::new()
        };
        let query_params = if form { Vec::new() } else { params };
        let host = self.addr.to_string();
        let nonce = o.nonce.clone().unwrap_or_else(|| self.next_nonce());
        let signed = sign::sign_v3(
            V3Input {
                method: o.method,
                host: &host,
                action,
                version: o.version(),
                params: &query_params,
                body: body.as_bytes(),
                content_type: form.then_some("application/x-www-form-urlencoded"),
                date,
                nonce: &nonce,
            },
            SigningKey {
                access_key_id: &o.key_id,
                access_key_secret: &o.secret,
                security_token: o.token.as_deref(),
            },
        );
        let url = if signed.query.is_empty() {
            format!("http://{}/", self.addr)
        } else {
            format!("http://{}/?{}", self.addr, signed.query)
        };
        let method = reqwest::Method::from_bytes(o.method.as_bytes()).expect("method");
        let mut request = self.http.request(method, url).body(body);
        for (name, value) in &signed.headers {
            if name != "host" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        (request, signed.headers)
    }

    /// A V3 call signed now by the wall clock, parameters in the query.
    pub async fn call(&self, action: &str, params: &[(&str, &str)], o: &Opts) -> Resp {
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let (request, _) = self.v3_request(action, params, o, false, &date);
        read(request.send().await.expect("request sent")).await
    }
}

/// Decodes an answer: every answer, error or not, is JSON with the ECS content type.
pub async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    assert_eq!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
        "application/json;charset=utf-8"
    );
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    Resp {
        status,
        body,
        headers,
    }
}

pub struct Harness {
    pub sim: RunningSim,
    pub wire: Wire,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(tweak: impl FnOnce(&mut SimConfig)) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // A fixed seed: the suites are reproducible, IDs included.
        let mut config = SimConfig {
            clock: Clock::fixed(start_time()),
            rng_seed: 0x5eed,
            ..SimConfig::default()
        };
        tweak(&mut config);
        let sim = sim::start(config).await.expect("simulator starts");
        let wire = Wire::new(sim.addr());
        let http = wire.http.clone();
        Self { sim, wire, http }
    }

    /// A simulator on custom seed text.
    pub async fn seeded(toml: &str) -> Self {
        let seed = Seed::parse(toml, "test.toml").expect("test seed");
        Self::with(|c| c.seed = Some(seed)).await
    }

    pub fn opts(&self) -> Opts {
        Opts::sandbox()
    }

    pub fn now(&self) -> String {
        self.sim
            .clock()
            .now()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }

    pub fn next_nonce(&self) -> String {
        self.wire.next_nonce()
    }

    pub async fn read(resp: reqwest::Response) -> Resp {
        read(resp).await
    }

    /// The V1 parameter list, signed.
    pub fn v1_params(
        &self,
        action: &str,
        params: &[(&str, &str)],
        o: &Opts,
    ) -> Vec<(String, String)> {
        let key = SigningKey {
            access_key_id: &o.key_id,
            access_key_secret: &o.secret,
            security_token: o.token.as_deref(),
        };
        let ts = o.timestamp.clone().unwrap_or_else(|| self.now());
        let nonce = o.nonce.clone().unwrap_or_else(|| self.next_nonce());
        sign::sign_v1(
            o.method,
            action,
            o.version(),
            &owned(params),
            key,
            &ts,
            &nonce,
        )
    }

    pub async fn send_v1(
        &self,
        params: &[(String, String)],
        method: &str,
        placement: Placement,
    ) -> Resp {
        let encoded = sign::encode_pairs(params.iter());
        let url = self.sim.url();
        let request = match (method, placement) {
            ("GET", _) => self.http.get(format!("{url}/?{encoded}")),
            (_, Placement::Query) => self.http.post(format!("{url}/?{encoded}")),
            (_, Placement::Form) => self
                .http
                .post(format!("{url}/"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded),
        };
        Self::read(request.send().await.expect("request sent")).await
    }

    pub async fn v1(
        &self,
        action: &str,
        params: &[(&str, &str)],
        o: &Opts,
        placement: Placement,
    ) -> Resp {
        let signed = self.v1_params(action, params, o);
        self.send_v1(&signed, o.method, placement).await
    }

    /// Options signing with temporary credentials the simulator's STS issued (the sandbox
    /// key assuming the seed's builder role).
    pub async fn sts_opts(&self) -> Opts {
        let assume = Opts {
            version: Some("2015-04-01"),
            ..self.opts()
        };
        let params = [
            ("RoleArn", "acs:ram::1234567890123456:role/ecsimg-builder"),
            ("RoleSessionName", "harness"),
        ];
        let body = self
            .v1("AssumeRole", &params, &assume, Placement::Form)
            .await
            .ok();
        let field = |name: &str| body["Credentials"][name].as_str().expect(name).to_string();
        Opts {
            key_id: field("AccessKeyId"),
            secret: field("AccessKeySecret"),
            token: Some(field("SecurityToken")),
            ..self.opts()
        }
    }

    /// V3 with the operation parameters in the query (what the tea SDKs send) or, with
    /// `form`, in a form body.
    pub async fn v3(&self, action: &str, params: &[(&str, &str)], o: &Opts, form: bool) -> Resp {
        let (request, _) = self.v3_request(action, params, o, form);
        Self::read(request.send().await.expect("request sent")).await
    }

    pub fn v3_request(
        &self,
        action: &str,
        params: &[(&str, &str)],
        o: &Opts,
        form: bool,
    ) -> (reqwest::RequestBuilder, Vec<(String, String)>) {
        let date = o.timestamp.clone().unwrap_or_else(|| self.now());
        self.wire.v3_request(action, params, o, form, &date)
    }

    /// The default way tests call: V3, parameters in the query.
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Resp {
        self.v3(action, params, &self.opts(), false).await
    }

    pub async fn create(&self, params: &[(&str, &str)]) -> Resp {
        let mut all = vec![("RegionId", REGION)];
        all.extend_from_slice(params);
        self.call("CreateImage", &all).await
    }

    pub async fn image(&self, id: &str) -> Value {
        let body = self
            .call(
                "DescribeImages",
                &[
                    ("RegionId", REGION),
                    ("ImageId", id),
                    (
                        "Status",
                        "Creating,Waiting,Available,UnAvailable,CreateFailed",
                    ),
                ],
            )
            .await
            .ok();
        assert_eq!(body["TotalCount"], 1, "{body}");
        body["Images"]["Image"][0].clone()
    }

    /// Raw bytes over TCP, for requests no HTTP client would build. Returns status and body.
    pub async fn raw(&self, request: &[u8]) -> (u16, Value) {
        let mut stream = tokio::net::TcpStream::connect(self.sim.addr())
            .await
            .expect("connect");
        // The server may answer (and close) before an oversized request is fully written, so
        // a write error only ends the exchange; the answer is what was read.
        let _ = stream.write_all(request).await;
        exchange(&mut stream, Duration::from_secs(30)).await
    }
}

pub fn raw_get(query: &str) -> Vec<u8> {
    format!("GET /?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
}

/// CreateImage parameters (besides RegionId), expected HTTP status and code.
pub type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

/// Status line and body of one raw exchange read until the server closes or `within` passes.
pub async fn exchange(stream: &mut tokio::net::TcpStream, within: Duration) -> (u16, Value) {
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(within, async {
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buf[..n]);
            if let Some(at) = find(&response, b"\r\n\r\n")
                && serde_json::from_slice::<Value>(&response[at + 4..]).is_ok()
            {
                break;
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
