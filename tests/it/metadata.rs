//! The instance metadata service (`sim serve --metadata-listen`) over real HTTP, and ecsimg's
//! EcsRamRole provider reading it: tokens required, expired and forged; role discovery; the
//! role's credentials accepted by the simulated ECS until they expire, then refreshed; the
//! switches `ALIBABA_CLOUD_ECS_METADATA_DISABLED` and `ALIBABA_CLOUD_IMDSV1_DISABLED`. Also the
//! HTTPS listener, trusted through an extra CA.

use std::sync::Arc;
use std::time::Duration;

use ecsimg::api::provider::{Fetch, Now};
use ecsimg::api::{Client, ClientConfig, Endpoint};
use ecsimg::credentials::ecs_ram_role::{self, MetadataFetch, MetadataSettings};
use ecsimg::sim::{self, Clock, RunningSim, SANDBOX_TOML, Seed, SimConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::sim_harness::start_time;

const ROLE: &str = "ecsimg-builder";
const TOKEN: &str = "/latest/api/token";
const LIST: &str = "/latest/meta-data/ram/security-credentials/";

/// The sandbox seed with tokens `"required"` (the hardened mode) or `"optional"`.
fn seed(tokens: &str) -> Seed {
    let text = SANDBOX_TOML.replace(
        "http_tokens = \"optional\"",
        &format!("http_tokens = \"{tokens}\""),
    );
    assert!(text.contains(&format!("http_tokens = \"{tokens}\"")));
    Seed::parse(&text, "test.toml").expect("seed")
}

fn hardened_seed() -> Seed {
    seed("required")
}

async fn simulator(tokens: &str, tls: bool) -> RunningSim {
    start(&seed(tokens), tls, Clock::fixed(start_time())).await
}

async fn start(seed: &Seed, tls: bool, clock: Clock) -> RunningSim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    sim::start(SimConfig {
        seed: Some(seed.clone()),
        clock,
        rng_seed: 7,
        metadata_listen: Some(([127, 0, 0, 1], 0).into()),
        tls_listen: tls.then(|| ([127, 0, 0, 1], 0).into()),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn base(sim: &RunningSim) -> String {
    format!("http://{}", sim.metadata_addr().expect("metadata listens"))
}

fn settings(endpoint: String) -> MetadataSettings {
    MetadataSettings {
        endpoint,
        disabled: false,
        v1_disabled: false,
        env_role: None,
    }
}

fn clock_of(sim: &RunningSim) -> Now {
    let clock = sim.clock().clone();
    Arc::new(move || clock.now())
}

async fn status(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn hardened_mode_needs_a_live_token() {
    let sim = simulator("required", false).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", base(&sim));
    assert_eq!(status(http.get(url(LIST))).await.0, 401);
    for ttl in ["0", "21601", "soon"] {
        let put = http
            .put(url(TOKEN))
            .header("X-aliyun-ecs-metadata-token-ttl-seconds", ttl);
        assert_eq!(status(put).await.0, 400, "ttl {ttl}");
    }
    let put = http
        .put(url(TOKEN))
        .header("x-aliyun-ecs-metadata-token-ttl-seconds", "60");
    let (code, token) = status(put).await;
    assert_eq!(code, 200);
    let with = |path: &str| {
        http.get(url(path))
            .header("X-aliyun-ecs-metadata-token", &token)
    };
    assert_eq!(status(with(LIST)).await, (200, ROLE.to_string()));
    let (code, body) = status(with(&format!("{LIST}{ROLE}"))).await;
    assert_eq!(code, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["Code"], "Success");
    assert!(answer["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    assert_eq!(status(with(&format!("{LIST}other-role"))).await.0, 404);
    // The token lives 60 s on the simulator's clock.
    sim.advance(Duration::from_secs(61));
    assert_eq!(status(with(LIST)).await.0, 401);
    let forged = http
        .get(url(LIST))
        .header("X-aliyun-ecs-metadata-token", "99999999999.00");
    assert_eq!(status(forged).await.0, 401);
}

#[tokio::test]
async fn the_provider_discovers_the_role_and_its_credentials_work_until_refreshed() {
    let sim = simulator("required", false).await;
    let fetch = MetadataFetch::new(None, &settings(base(&sim))).expect("fetch");
    assert_eq!(fetch.label(), "EcsRamRole (instance metadata)");
    let provider =
        ecs_ram_role::provider(None, &settings(base(&sim)), clock_of(&sim)).expect("provider");
    let config = ClientConfig::new("cn-hangzhou", provider.clone())
        .with_endpoint(Endpoint::parse(&sim.url()).expect("endpoint"))
        .with_clock(clock_of(&sim));
    let client = Client::new(config).expect("client");
    client
        .describe_regions()
        .await
        .expect("ECS accepts the role's credentials");
    let first = provider.credentials().await.expect("cached");
    assert!(first.access_key_id.starts_with("STS."));
    assert!(!format!("{first:?}").contains(first.access_key_secret.expose()));
    // Six hours later the first set has expired; the provider fetched a new one in time.
    sim.advance(Duration::from_secs(6 * 3600 + 60));
    client
        .describe_regions()
        .await
        .expect("refreshed credentials work");
    let second = provider.credentials().await.expect("cached");
    assert_ne!(first.access_key_id, second.access_key_id);
    // The expired set itself is refused, as STS's are.
    let stale = ClientConfig::new("cn-hangzhou", (*first).clone())
        .with_endpoint(Endpoint::parse(&sim.url()).expect("endpoint"))
        .with_clock(clock_of(&sim))
        .with_retry(ecsimg::api::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        });
    let e = Client::new(stale)
        .expect("client")
        .describe_regions()
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("InvalidSecurityToken.Expired"),
        "{e}"
    );
}

#[tokio::test]
async fn a_named_role_must_be_the_instances() {
    let sim = simulator("optional", false).await;
    let named = MetadataFetch::new(Some("someone-else"), &settings(base(&sim))).expect("fetch");
    let e = named.fetch().await.unwrap_err().to_string();
    assert!(e.contains("404") && e.contains(&base(&sim)), "{e}");
    let env_named = MetadataSettings {
        env_role: Some(ROLE.into()),
        ..settings(base(&sim))
    };
    let fetch = MetadataFetch::new(None, &env_named).expect("fetch");
    assert_eq!(
        fetch.label(),
        format!("EcsRamRole {ROLE} (instance metadata)")
    );
    fetch
        .fetch()
        .await
        .expect("the role from ALIBABA_CLOUD_ECS_METADATA");
    let off = MetadataSettings {
        disabled: true,
        ..settings(base(&sim))
    };
    let e = MetadataFetch::new(Some(ROLE), &off).err().expect("refused");
    assert!(
        e.to_string()
            .contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"),
        "{e}"
    );
}

/// A metadata service that knows no tokens (an old one): the token request gets 404, reads
/// without a token work.
async fn tokenless_service() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let body = if head.starts_with("PUT ") {
                    None
                } else if head.starts_with(&format!("GET {LIST}{ROLE} ")) {
                    Some(
                        r#"{"AccessKeyId":"STS.old","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2099-01-01T00:00:00Z","LastUpdated":"2098-12-31T18:00:00Z","Code":"Success"}"#.to_string()
                    )
                } else if head.starts_with(&format!("GET {LIST} ")) {
                    Some(ROLE.to_string())
                } else {
                    None
                };
                let reply = match body {
                    Some(body) => format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                    None => {
                        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_string()
                    }
                };
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn without_tokens_it_falls_back_to_imdsv1_unless_that_is_disabled() {
    let endpoint = tokenless_service().await;
    let fetch = MetadataFetch::new(None, &settings(endpoint.clone())).expect("fetch");
    let got = fetch.fetch().await.expect("IMDSv1 read");
    assert_eq!(got.credentials.access_key_id, "STS.old");
    let strict = MetadataSettings {
        v1_disabled: true,
        ..settings(endpoint)
    };
    let fetch = MetadataFetch::new(None, &strict).expect("fetch");
    let e = fetch.fetch().await.unwrap_err().to_string();
    assert!(
        e.contains("ALIBABA_CLOUD_IMDSV1_DISABLED") && e.contains("404"),
        "{e}"
    );
}

#[tokio::test]
async fn nothing_listening_fails_fast_and_says_where() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let fetch = MetadataFetch::new(Some(ROLE), &settings(endpoint.clone())).expect("fetch");
    let started = std::time::Instant::now();
    let e = fetch.fetch().await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(e.contains(&endpoint) && e.contains("cannot connect"), "{e}");
}

#[tokio::test]
async fn the_https_listener_is_trusted_through_its_ca_only() {
    let sim = simulator("optional", true).await;
    let url = sim.tls_url().expect("TLS listens");
    let pem = sim.ca_pem().expect("a CA").to_string();
    let config = |trust: bool| {
        let c = ClientConfig::new("cn-hangzhou", ecsimg_sandbox_key())
            .with_endpoint(Endpoint::parse(&url).expect("https endpoint"))
            .with_clock(clock_of(&sim))
            .with_retry(ecsimg::api::RetryPolicy {
                max_attempts: 1,
                ..Default::default()
            });
        if trust {
            c.with_extra_roots(pem.clone().into())
        } else {
            c
        }
    };
    let regions = Client::new(config(true))
        .expect("client")
        .describe_regions()
        .await
        .expect("HTTPS with the CA trusted");
    assert!(!regions.is_empty());
    let e = Client::new(config(false))
        .expect("client")
        .describe_regions()
        .await
        .unwrap_err();
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    // A client that connects and never starts the handshake holds its slot only until the
    // header deadline; the listener keeps serving others meanwhile.
    let addr = url.trim_start_matches("https://").to_string();
    let _idle = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    Client::new(config(true))
        .expect("client")
        .describe_regions()
        .await
        .expect("served beside an idle handshake");
}

fn ecsimg_sandbox_key() -> ecsimg::api::Credentials {
    ecsimg::api::Credentials {
        access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
        access_key_secret: ecsimg::secret::Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
        security_token: None,
    }
}

/// `ecsimg create --dry-run` against `sim` in an empty home, the metadata service named by
/// `ECSIMG_METADATA_ENDPOINT`, with `files` written under the home and `env` added.
async fn dry_run(sim: &RunningSim, files: &[(&str, &str)], env: &[(&str, &str)]) -> (i32, String) {
    let home = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let path = home.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let recipe = home.path().join("r.toml");
    std::fs::write(
        &recipe,
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1a3fn8rvl2nqw0t5xk\"\n\
         [image]\nname = \"from-instance-role\"\n",
    )
    .expect("recipe");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ecsimg"));
    command
        .args(["create", "--recipe"])
        .arg(&recipe)
        .args(["--dry-run", "--yes", "--endpoint", &sim.url()])
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("ECSIMG_JOURNAL", home.path().join("journal.jsonl"))
        .env("ECSIMG_METADATA_ENDPOINT", base(sim))
        .envs(env.iter().copied());
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joins")
        .expect("runs");
    drop(home);
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

/// The binary with no key anywhere but an instance role: the chain ends at the metadata
/// service (here the simulator's, named by `ECSIMG_METADATA_ENDPOINT`), and a DryRun signed
/// with the role's credentials passes; with the service turned off, the report says so. A
/// profile of mode EcsRamRole (the aliyun CLI's) or type ecs_ram_role (the credentials file's)
/// names the role itself.
#[tokio::test]
async fn the_chain_ends_at_the_instance_role_and_profiles_name_it() {
    // The binary signs by the wall clock, so this simulator runs on it too.
    let sim = start(&hardened_seed(), false, Clock::system()).await;
    // No other key exists in these environments: the role's credentials signed each DryRun.
    let (code, stderr) = dry_run(&sim, &[], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("DryRun passed"), "{stderr}");
    let off = [("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")];
    let (code, stderr) = dry_run(&sim, &[], &off).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr
            .contains("ECS instance metadata: skipped (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)"),
        "{stderr}"
    );
    let cli = |role: &str| {
        format!(
            r#"{{"current":"ecs","profiles":[{{"name":"ecs","mode":"EcsRamRole","ram_role_name":"{role}","region_id":"cn-hangzhou"}}]}}"#
        )
    };
    let (code, stderr) = dry_run(&sim, &[(".aliyun/config.json", &cli(ROLE))], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = dry_run(&sim, &[(".aliyun/config.json", &cli("not-the-role"))], &[]).await;
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("404"), "{stderr}");
    let ini = format!("[default]\ntype = ecs_ram_role\nrole_name = {ROLE}\n");
    let (code, stderr) = dry_run(&sim, &[(".alibabacloud/credentials", &ini)], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = dry_run(&sim, &[], &[("ALIBABA_CLOUD_ECS_METADATA", ROLE)]).await;
    assert_eq!(code, 0, "{stderr}");
}

/// The HTTPS and metadata listeners share the API listener's limits: with one connection
/// allowed, a client that connects and never speaks (no TLS handshake, no request head) holds
/// the slot only until the header deadline, after which the next client is served.
#[tokio::test]
async fn silent_clients_hold_a_tls_or_metadata_slot_only_until_the_header_deadline() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let deadline = Duration::from_millis(400);
    let sim = sim::start(SimConfig {
        seed: Some(seed("optional")),
        clock: Clock::fixed(start_time()),
        metadata_listen: Some(([127, 0, 0, 1], 0).into()),
        tls_listen: Some(([127, 0, 0, 1], 0).into()),
        limits: ecsimg::sim::Limits {
            max_connections: 1,
            header_timeout: deadline,
            ..ecsimg::sim::Limits::default()
        },
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let pem = sim.ca_pem().expect("a CA").to_string();
    let trusting = reqwest::Client::builder()
        .tls_certs_merge(ecsimg::api::client::extra_roots(&pem).expect("roots"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let tls_addr = sim
        .tls_url()
        .expect("TLS")
        .trim_start_matches("https://")
        .to_string();
    let metadata_addr = sim.metadata_addr().expect("metadata").to_string();
    for (addr, url) in [
        (tls_addr.clone(), format!("https://{tls_addr}/")),
        (
            metadata_addr.clone(),
            format!("http://{metadata_addr}{LIST}"),
        ),
    ] {
        let mut silent = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let started = std::time::Instant::now();
        let status = trusting.get(&url).send().await.expect("served").status();
        let waited = started.elapsed();
        assert!(status.as_u16() >= 200, "{url}");
        assert!(
            waited >= deadline - Duration::from_millis(50),
            "{url}: served after {waited:?}, before the silent client's deadline"
        );
        assert!(waited < Duration::from_secs(5), "{url}: {waited:?}");
        // The silent client was cut off.
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(2), silent.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    }
}

/// `sim serve --tls-listen --ca-out --metadata-listen`: the CA is on disk, public and PEM by the
/// time the three banner lines are out, and both listeners answer at the printed addresses.
#[tokio::test]
async fn sim_serve_prints_every_listener_and_writes_the_ca_first() {
    use std::io::BufRead as _;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecsimg"))
        .args([
            "sim",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .arg("--ca-out")
        .arg(&ca)
        .args(["--metadata-listen", "127.0.0.1:0"])
        .env_remove("ECSIMG_SIM_ACCESS_KEY_ID")
        .env_remove("ECSIMG_SIM_ACCESS_KEY_SECRET")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sim serve runs");
    let stdout = child.stdout.take().expect("piped");
    let lines: Vec<String> = std::io::BufReader::new(stdout)
        .lines()
        .take(3)
        .map(|l| l.expect("a line"))
        .collect();
    let pem = std::fs::read_to_string(&ca);
    let mode = std::fs::metadata(&ca).map(|m| {
        use std::os::unix::fs::PermissionsExt as _;
        m.permissions().mode() & 0o777
    });
    // Both answer: the metadata service names the sandbox's role; the HTTPS listener, trusted
    // through the CA just written, answers an unsigned call with ECS's error envelope.
    let after = |line: &str, prefix: &str| line.strip_prefix(prefix).map(str::to_string);
    let answers = match (
        pem.as_deref().ok(),
        lines.get(1).and_then(|l| after(l, "listening on ")),
        lines.get(2).and_then(|l| after(l, "metadata service on ")),
    ) {
        (Some(pem), Some(https), Some(metadata)) => {
            let http = reqwest::Client::builder()
                .tls_certs_merge(ecsimg::api::client::extra_roots(pem).expect("roots"))
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client");
            let role = status(http.get(format!("{metadata}{LIST}"))).await;
            let api = status(http.get(format!("{https}/?Action=DescribeRegions"))).await;
            Some((role, api))
        }
        _ => None,
    };
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().expect("exits");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("listening on http://127.0.0.1:"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("listening on https://127.0.0.1:"),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with("metadata service on http://127.0.0.1:"),
        "{lines:?}"
    );
    let pem = pem.expect("the CA was written before the banner");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && !pem.contains("PRIVATE"));
    assert_eq!(mode.expect("metadata"), 0o644);
    let (role, api) = answers.expect("both listeners were asked");
    assert_eq!(role, (200, ROLE.to_string()));
    assert_eq!(api.0, 400, "{}", api.1);
    assert!(api.1.contains("\"Code\":\"MissingParameter\""), "{}", api.1);
    assert_eq!(exit.code(), Some(0));
}

/// A service that accepts connections and never answers (what a host that is no ECS instance
/// may look like through a proxy or a firewall): one request, one second, then the error —
/// no second wait for a read without a token.
#[tokio::test]
async fn a_silent_service_costs_one_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
        }
    });
    let fetch = MetadataFetch::new(None, &settings(endpoint.clone())).expect("fetch");
    let started = std::time::Instant::now();
    let e = fetch.fetch().await.unwrap_err().to_string();
    let took = started.elapsed();
    assert!(e.contains("no answer in time"), "{e}");
    assert!(took < Duration::from_millis(1900), "{took:?}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// The instance role's credentials are a session of that role: its policy bounds them as it
/// bounds AssumeRole's sessions (here: Describe* only, so DeleteImage is 403 Forbidden.RAM).
#[tokio::test]
async fn the_role_policy_bounds_the_instance_credentials() {
    let auditor = "arn = \"acs:ram::1234567890123456:role/ecsimg-auditor\"";
    let text = SANDBOX_TOML
        .replace(
            auditor,
            &format!(
                "{auditor}\npolicy = '''{{\"Version\":\"1\",\"Statement\":[{{\"Effect\":\"Allow\",\
                 \"Action\":\"ecs:Describe*\",\"Resource\":\"*\"}}]}}'''"
            ),
        )
        .replace(
            "ram_role = \"ecsimg-builder\"",
            "ram_role = \"ecsimg-auditor\"",
        );
    assert!(text.contains("ram_role = \"ecsimg-auditor\"") && text.contains("policy = '''"));
    let seed = Seed::parse(&text, "test.toml").expect("seed");
    let sim = start(&seed, false, Clock::fixed(start_time())).await;
    let provider = ecs_ram_role::provider(
        Some("ecsimg-auditor"),
        &settings(base(&sim)),
        clock_of(&sim),
    )
    .expect("provider");
    let config = ClientConfig::new("cn-hangzhou", provider)
        .with_endpoint(Endpoint::parse(&sim.url()).expect("endpoint"))
        .with_clock(clock_of(&sim))
        .with_retry(ecsimg::api::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        });
    let client = Client::new(config).expect("client");
    client
        .describe_regions()
        .await
        .expect("Describe* is allowed");
    let e = client
        .delete_image("m-bp1fyq7bo2ye0xkc9b1n", false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Forbidden.RAM"), "{e}");
}
