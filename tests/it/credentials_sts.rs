//! Temporary credentials end to end: each credential mode of `ecsimg create` against the
//! simulator's STS, refresh over a long run on a simulated clock, the one retry after an
//! expired token, one shared refresh for concurrent calls, and the simulator's token checks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU32, Ordering};

use ecsimg::api::provider::{CredentialProvider, Now, ProviderError, SharedProvider};
use ecsimg::api::sts::RoleSession;
use ecsimg::api::{Client, ClientConfig, Credentials, Endpoint};
use ecsimg::secret::Secret;
use ecsimg::sim::{self, Clock, RunningSim, SimConfig};
use futures::future::BoxFuture;

use crate::cli::{Env, RUNNING, SANDBOX_ID, SANDBOX_SECRET, assert_exit, recipe, text};
use crate::common::{assume_role, wiring};

const BUILDER: &str = "acs:ram::1234567890123456:role/ecsimg-builder";
const PUBLISHER: &str = "acs:ram::1234567890123456:role/ecsimg-publisher";
const AUDITOR: &str = "acs:ram::1234567890123456:role/ecsimg-auditor";
const OIDC_PROVIDER: &str = "acs:ram::1234567890123456:oidc-provider/ecsimg-ci";

// ---------------------------------------------------------------------------------------------
// `ecsimg create` with each mode

/// `ecsimg create --yes --no-wait` in `env` with `config.toml` pointing STS at the simulator,
/// the aliyun CLI config `cli_json`, no credentials in the environment, and `extra` variables.
fn create(
    env: &Env,
    cli_json: Option<&str>,
    profile: Option<&str>,
    extra: &[(&str, &str)],
) -> Output {
    let home = env.dir.path();
    if let Some(json) = cli_json {
        std::fs::create_dir_all(home.join(".aliyun")).expect("mkdir");
        std::fs::write(home.join(".aliyun/config.json"), json).expect("write");
    }
    let config = home.join("config.toml");
    std::fs::write(&config, format!("sts_endpoint = \"{}\"\n", env.sim.url)).expect("write");
    let name = format!("sts-{}", rand::random::<u32>());
    let recipe = env.recipe(&format!("{name}.toml"), &recipe(RUNNING, &name));
    let mut cmd = env.cmd(&["create", "--recipe", &recipe, "--yes", "--no-wait"]);
    cmd.env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .args(["--config", &config.display().to_string()]);
    if let Some(profile) = profile {
        cmd.args(["--profile", profile]);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("ecsimg runs")
}

fn cli_config(profiles: &str) -> String {
    format!(r#"{{"current": "default", "profiles": [{profiles}], "meta_path": ""}}"#)
}

fn role_profile(name: &str, role: &str) -> String {
    format!(
        r#"{{"name": "{name}", "mode": "RamRoleArn", "access_key_id": "{SANDBOX_ID}",
            "access_key_secret": "{SANDBOX_SECRET}", "ram_role_arn": "{role}",
            "ram_session_name": "ci", "expired_seconds": 900, "region_id": "cn-hangzhou"}}"#
    )
}

fn journal_text(env: &Env) -> String {
    std::fs::read_to_string(env.journal_path()).unwrap_or_default()
}

/// Nothing an STS answer carries shows: no token (they begin `CAIS`) in the output or journal.
fn assert_no_token(env: &Env, output: &Output) {
    for shown in [
        text(&output.stdout),
        text(&output.stderr),
        journal_text(env),
    ] {
        assert!(!shown.contains("CAIS"), "{shown}");
    }
}

#[test]
fn ram_role_arn_profile_creates_an_image() {
    let env = Env::new("50");
    let out = create(
        &env,
        Some(&cli_config(&role_profile("dev", BUILDER))),
        Some("dev"),
        &[],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).trim().starts_with("m-"),
        "{}",
        text(&out.stdout)
    );
    let journal = journal_text(&env);
    assert!(
        journal.contains("RamRoleArn via aliyun CLI profile 'dev' (~/.aliyun/config.json)"),
        "{journal}"
    );
    assert_no_token(&env, &out);
}

#[test]
fn a_role_the_key_may_not_assume_is_refused_with_no_permission() {
    let env = Env::new("50");
    let out = create(
        &env,
        Some(&cli_config(&role_profile("dev", AUDITOR))),
        Some("dev"),
        &[],
    );
    assert_exit(&out, 3);
    let err = text(&out.stderr);
    assert!(
        err.contains("NoPermission") && err.contains(AUDITOR),
        "{err}"
    );
}

#[test]
fn chainable_profiles_assume_role_after_role() {
    let env = Env::new("50");
    let profiles = format!(
        r#"{},{{"name": "pub", "mode": "ChainableRamRoleArn", "source_profile": "dev",
              "ram_role_arn": "{PUBLISHER}", "ram_session_name": "chained"}}"#,
        role_profile("dev", BUILDER)
    );
    let out = create(&env, Some(&cli_config(&profiles)), Some("pub"), &[]);
    assert_exit(&out, 0);
    assert!(journal_text(&env).contains("ChainableRamRoleArn via aliyun CLI profile 'pub'"));
    // The publisher role trusts sessions of the builder only, never the key itself.
    let direct = create(
        &env,
        Some(&cli_config(&role_profile("dev", PUBLISHER))),
        Some("dev"),
        &[],
    );
    assert_exit(&direct, 3);
}

#[test]
fn a_chain_of_profiles_that_loops_is_refused_naming_it() {
    let env = Env::new("50");
    let profiles = r#"{"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "b", "ram_role_arn": "acs:ram::1:role/x"},
        {"name": "b", "mode": "ChainableRamRoleArn", "source_profile": "c", "ram_role_arn": "acs:ram::1:role/x"},
        {"name": "c", "mode": "ChainableRamRoleArn", "source_profile": "a", "ram_role_arn": "acs:ram::1:role/x"}"#;
    let out = create(&env, Some(&cli_config(profiles)), Some("a"), &[]);
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(err.contains("a → b → c → a"), "{err}");
}

/// An unsigned JWT (the simulator does not check signatures) from `issuer` for `audience`.
fn jwt(issuer: &str, audience: &str, subject: &str, expires: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": issuer, "aud": audience, "sub": subject, "iat": expires - 3600, "exp": expires,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

#[test]
fn oidc_from_the_environment_creates_an_image_and_checks_the_token() {
    let env = Env::new("50");
    let token_file = env.dir.path().join("token");
    let good = jwt(
        "https://oidc.ecsimg.example",
        "sts.aliyuncs.com",
        "repo:example/ecsimg:ref:refs/heads/main",
        Utc::now().timestamp() + 3600,
    );
    std::fs::write(&token_file, &good).expect("write");
    let vars = [
        ("ALIBABA_CLOUD_ROLE_ARN", BUILDER),
        ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER),
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_file.to_str().expect("utf-8"),
        ),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "ci-run"),
        ("ALIBABA_CLOUD_STS_ENDPOINT", env.sim.url.as_str()),
    ];
    let out = create(&env, None, None, &vars);
    assert_exit(&out, 0);
    assert!(journal_text(&env).contains("OIDC via environment (ALIBABA_CLOUD_OIDC_PROVIDER_ARN)"));
    assert_no_token(&env, &out);
    for (token, code) in [
        (
            jwt(
                "https://elsewhere.example",
                "sts.aliyuncs.com",
                "repo:example/ecsimg:x",
                Utc::now().timestamp() + 3600,
            ),
            "AuthenticationFail.OIDCToken.IssuerNotMatch",
        ),
        (
            jwt(
                "https://oidc.ecsimg.example",
                "someone-else",
                "repo:example/ecsimg:x",
                Utc::now().timestamp() + 3600,
            ),
            "AuthenticationFail.OIDCToken.AudienceNotMatch",
        ),
        (
            jwt(
                "https://oidc.ecsimg.example",
                "sts.aliyuncs.com",
                "repo:example/ecsimg:x",
                Utc::now().timestamp() - 60,
            ),
            "AuthenticationFail.OIDCToken.Expired",
        ),
        (
            jwt(
                "https://oidc.ecsimg.example",
                "sts.aliyuncs.com",
                "repo:other/project:x",
                Utc::now().timestamp() + 3600,
            ),
            "AuthenticationFail.NoPermission",
        ),
    ] {
        std::fs::write(&token_file, &token).expect("write");
        let out = create(&env, None, None, &vars);
        assert_exit(&out, 3);
        let err = text(&out.stderr);
        assert!(err.contains(code), "{code}: {err}");
        assert!(!err.contains(&token), "the token is never quoted: {err}");
    }
}

#[test]
fn external_process_credentials_and_its_failures() {
    let env = Env::new("50");
    let script = env.dir.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = fail ]; then\n  printf 'S3CRET-external went wrong \\033[31m' >&2\n  \
             echo '{{\"access_key_secret\":\"S3CRET-external\"}}'\n  exit 7\nfi\n\
             echo '{{\"mode\":\"AK\",\"access_key_id\":\"{SANDBOX_ID}\",\"access_key_secret\":\"{SANDBOX_SECRET}\"}}'\n"
        ),
    )
    .expect("write");
    make_executable(&script);
    let profile = |args: &str| {
        cli_config(&format!(
            r#"{{"name": "ext", "mode": "External", "process_command": "{} {args}"}}"#,
            script.display()
        ))
    };
    let out = create(&env, Some(&profile("ok")), Some("ext"), &[]);
    assert_exit(&out, 0);
    assert!(journal_text(&env).contains("External via aliyun CLI profile 'ext'"));

    let out = create(&env, Some(&profile("fail")), Some("ext"), &[]);
    assert_exit(&out, 3);
    let err = text(&out.stderr);
    assert!(err.contains("exited with code 7"), "{err}");
    assert!(
        err.contains("went wrong \\u{1b}[31m"),
        "stderr quoted, escaped: {err}"
    );
    assert!(!err.contains("S3CRET-external"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn a_credentials_uri_answers_sts_credentials() {
    let env = Env::new("50");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sts = Endpoint::parse(&env.sim.url).expect("url");
    let issued = runtime
        .block_on(ecsimg::api::sts::assume_role(
            &env.sim.client(),
            &sts,
            &session(BUILDER, 3600),
            None,
        ))
        .expect("AssumeRole");
    let body = serde_json::json!({
        "Code": "Success",
        "AccessKeyId": issued.credentials.access_key_id,
        "AccessKeySecret": issued.credentials.access_key_secret.expose(),
        "SecurityToken": issued.credentials.security_token.as_ref().map(|t| t.expose()),
        "Expiration": issued.expiration.map(|e| e.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    })
    .to_string();
    let uri = serve_once_per_request(body);
    let out = create(&env, None, None, &[("ALIBABA_CLOUD_CREDENTIALS_URI", &uri)]);
    assert_exit(&out, 0);
    assert!(
        journal_text(&env)
            .contains("CredentialsURI via environment (ALIBABA_CLOUD_CREDENTIALS_URI)")
    );
    assert_no_token(&env, &out);
    // Plain http to another host is refused before anything is sent.
    let out = create(
        &env,
        None,
        None,
        &[("ALIBABA_CLOUD_CREDENTIALS_URI", "http://creds.example.com/")],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("plain http"),
        "{}",
        text(&out.stderr)
    );
}

/// A loopback HTTP server answering every request with `body`; its URL.
fn serve_once_per_request(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/credentials",
        listener.local_addr().expect("addr")
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.read(&mut [0u8; 1]);
        }
    });
    url
}

#[test]
fn cloud_sso_is_refused_naming_the_mode_and_what_to_do() {
    let env = Env::new("50");
    let profiles =
        r#"{"name": "sso", "mode": "CloudSSO", "cloud_sso_sign_in_url": "https://signin.example"}"#;
    let out = create(&env, Some(&cli_config(profiles)), Some("sso"), &[]);
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("mode CloudSSO") && err.contains("ALIBABA_CLOUD_SECURITY_TOKEN"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Refresh, retry and single flight, on a simulated clock

fn session(role: &str, seconds: u32) -> RoleSession {
    RoleSession {
        role_arn: role.into(),
        session_name: "test".into(),
        duration_seconds: Some(seconds),
        policy: None,
    }
}

async fn fixed_sim() -> RunningSim {
    let start = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .expect("valid")
        .with_timezone(&Utc);
    sim::start(SimConfig {
        clock: Clock::fixed(start),
        rng_seed: 7,
        ..SimConfig::default()
    })
    .await
    .expect("sim starts")
}

fn clock_of(sim: &RunningSim, lag_secs: i64) -> Now {
    let clock = sim.clock().clone();
    Arc::new(move || clock.now() - chrono::Duration::seconds(lag_secs))
}

fn sandbox_key() -> Credentials {
    Credentials {
        access_key_id: SANDBOX_ID.into(),
        access_key_secret: Secret::new(SANDBOX_SECRET),
        security_token: None,
    }
}

/// An ECS client of `sim` whose credentials come from AssumeRole of the builder role for
/// `seconds`; the provider reads `provider_clock`, signatures the simulator's clock.
fn role_client(sim: &RunningSim, seconds: u32, provider_clock: Now) -> Client {
    let resolved = assume_role(sandbox_key(), session(BUILDER, seconds), &sim.url());
    let wiring = wiring(Duration::from_secs(30), 3, provider_clock);
    let provider = resolved.provider(&wiring).expect("provider");
    assert_eq!(provider.label(), "RamRoleArn via environment (TEST)");
    Client::new(
        ClientConfig::new(sim::SANDBOX_REGION, provider)
            .with_endpoint(Endpoint::parse(&sim.url()).expect("url"))
            .with_clock(clock_of(sim, 0)),
    )
    .expect("client")
}

#[tokio::test]
async fn fifteen_minute_credentials_are_refreshed_through_a_three_hour_watch() {
    let sim = fixed_sim().await;
    let client = role_client(&sim, 900, clock_of(&sim, 0));
    let mut polls = 0;
    // One poll a minute for three hours, as `ecsimg watch` would.
    for minute in 0..=180 {
        if minute > 0 {
            sim.advance(Duration::from_secs(60));
        }
        client
            .describe_regions()
            .await
            .expect("every poll succeeds");
        polls += 1;
    }
    assert_eq!(polls, 181);
    // 900 s credentials renewed 180 s before expiry: every 12 minutes, 0 through 180.
    assert_eq!(sim.sts_issued(), (16, 0));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_retried_once() {
    let sim = fixed_sim().await;
    // The provider's clock runs 800 s behind the service's, so it still trusts a set STS has
    // already let expire.
    let client = role_client(&sim, 900, clock_of(&sim, 800));
    client.describe_regions().await.expect("first call");
    assert_eq!(sim.sts_issued().0, 1);
    sim.advance(Duration::from_secs(950));
    let before = sim.faults().calls();
    client
        .describe_regions()
        .await
        .expect("refreshed and retried");
    assert_eq!(sim.sts_issued().0, 2);
    // AssumeRole and the retry (the refusal stops at authentication, before the count).
    assert_eq!(sim.faults().calls() - before, 2);

    // Credentials that cannot be refreshed: one attempt, one refusal, no loop.
    let stale = ecsimg::api::sts::assume_role(
        &Client::new(
            ClientConfig::new("", sandbox_key())
                .with_endpoint(Endpoint::parse(&sim.url()).expect("url"))
                .with_clock(clock_of(&sim, 0)),
        )
        .expect("client"),
        &Endpoint::parse(&sim.url()).expect("url"),
        &session(BUILDER, 900),
        None,
    )
    .await
    .expect("AssumeRole");
    sim.advance(Duration::from_secs(901));
    let counting = Arc::new(Counting {
        credentials: Arc::new(stale.credentials),
        handed_out: AtomicU32::new(0),
        invalidated: AtomicU32::new(0),
    });
    let shared: SharedProvider = counting.clone();
    let fixed = Client::new(
        ClientConfig::new(sim::SANDBOX_REGION, shared)
            .with_endpoint(Endpoint::parse(&sim.url()).expect("url"))
            .with_clock(clock_of(&sim, 0)),
    )
    .expect("client");
    let e = fixed.describe_regions().await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidSecurityToken.Expired"));
    assert_eq!(e.http_status(), Some(403));
    // One refusal, one refresh asked for, one retry, then the answer: no loop.
    assert_eq!(counting.handed_out.load(Ordering::SeqCst), 2);
    assert_eq!(counting.invalidated.load(Ordering::SeqCst), 1);
}

/// Always the same credentials; counts how often they were asked for and refused.
struct Counting {
    credentials: Arc<Credentials>,
    handed_out: AtomicU32,
    invalidated: AtomicU32,
}

impl CredentialProvider for Counting {
    fn credentials(&self) -> BoxFuture<'_, Result<Arc<Credentials>, ProviderError>> {
        self.handed_out.fetch_add(1, Ordering::SeqCst);
        let credentials = Arc::clone(&self.credentials);
        Box::pin(async move { Ok(credentials) })
    }

    fn invalidate(&self, _used: &Credentials) {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
    }

    fn label(&self) -> String {
        "counting".into()
    }
}

#[tokio::test]
async fn concurrent_calls_share_one_refresh() {
    let sim = fixed_sim().await;
    let client = role_client(&sim, 900, clock_of(&sim, 0));
    let calls = (0..16).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.describe_regions().await })
    });
    for call in futures::future::join_all(calls).await {
        call.expect("joins").expect("succeeds");
    }
    assert_eq!(sim.sts_issued().0, 1);
    sim.advance(Duration::from_secs(800));
    let calls = (0..16).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.describe_regions().await })
    });
    for call in futures::future::join_all(calls).await {
        call.expect("joins").expect("succeeds");
    }
    assert_eq!(sim.sts_issued().0, 2);
}

#[tokio::test]
async fn the_simulator_checks_every_security_token() {
    let sim = fixed_sim().await;
    let endpoint = Endpoint::parse(&sim.url()).expect("url");
    let sts_client = Client::new(
        ClientConfig::new("", sandbox_key())
            .with_endpoint(endpoint.clone())
            .with_clock(clock_of(&sim, 0)),
    )
    .expect("client");
    let a = ecsimg::api::sts::assume_role(&sts_client, &endpoint, &session(BUILDER, 900), None)
        .await
        .expect("AssumeRole");
    let b = ecsimg::api::sts::assume_role(&sts_client, &endpoint, &session(BUILDER, 900), None)
        .await
        .expect("AssumeRole");
    let token = |c: &Credentials| c.security_token.clone();
    let with = |id: &str, secret: &Secret, token: Option<Secret>| Credentials {
        access_key_id: id.into(),
        access_key_secret: secret.clone(),
        security_token: token,
    };
    let a_id = a.credentials.access_key_id.clone();
    let a_secret = a.credentials.access_key_secret.clone();
    let sandbox_secret = Secret::new(SANDBOX_SECRET);
    for (credentials, code) in [
        (a.credentials.clone(), None),
        (with(&a_id, &a_secret, None), Some("MissingSecurityToken")),
        (
            with(&a_id, &a_secret, Some(Secret::new("not a token"))),
            Some("InvalidSecurityToken.Malformed"),
        ),
        (
            with(&a_id, &a_secret, token(&b.credentials)),
            Some("InvalidSecurityToken.MismatchWithAccessKey"),
        ),
        (
            with(SANDBOX_ID, &sandbox_secret, token(&a.credentials)),
            Some("InvalidSecurityToken.MismatchWithAccessKey"),
        ),
    ] {
        for version in [
            ecsimg::api::sign::SignatureVersion::V3,
            ecsimg::api::sign::SignatureVersion::V1,
        ] {
            let client = Client::new(
                ClientConfig::new(sim::SANDBOX_REGION, credentials.clone())
                    .with_endpoint(endpoint.clone())
                    .with_signature_version(version)
                    .with_clock(clock_of(&sim, 0)),
            )
            .expect("client");
            let got = client
                .describe_regions()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_string));
            assert_eq!(got.as_deref(), code, "{version:?}");
        }
    }
    // STS itself: the trust, the duration bounds, the caller's identity.
    let refused =
        ecsimg::api::sts::assume_role(&sts_client, &endpoint, &session(AUDITOR, 900), None).await;
    assert_eq!(refused.unwrap_err().code(), Some("NoPermission"));
    let too_long =
        ecsimg::api::sts::assume_role(&sts_client, &endpoint, &session(PUBLISHER, 7200), None)
            .await;
    assert_eq!(too_long.unwrap_err().code(), Some("NoPermission"));
    let short =
        ecsimg::api::sts::assume_role(&sts_client, &endpoint, &session(BUILDER, 899), None).await;
    assert_eq!(
        short.unwrap_err().code(),
        Some("InvalidParameter.DurationSeconds")
    );
    assert!(
        a.expiration
            .is_some_and(|e| e == sim.clock().now() + chrono::Duration::seconds(900))
    );
}

#[test]
fn the_sandbox_sends_a_profiles_sts_calls_to_its_simulator() {
    let env = Env::new("50");
    let home = env.dir.path();
    std::fs::create_dir_all(home.join(".aliyun")).expect("mkdir");
    // The profile names a real STS endpoint: the sandbox must not go there.
    let profile = role_profile("dev", BUILDER).replace(
        r#""ram_session_name""#,
        r#""sts_endpoint": "https://sts.cn-hangzhou.aliyuncs.com", "ram_session_name""#,
    );
    std::fs::write(home.join(".aliyun/config.json"), cli_config(&profile)).expect("write");
    let recipe = env.recipe("sandbox.toml", &recipe(RUNNING, "sandbox-sts"));
    let out = env
        .cmd_without_endpoint(&[
            "create",
            "--recipe",
            &recipe,
            "--yes",
            "--no-wait",
            "--sandbox",
        ])
        .args(["--profile", "dev"])
        .output()
        .expect("ecsimg runs");
    // No network here: reaching the profile's real endpoint would have failed the create.
    assert_exit(&out, 0);
    let journal = journal_text(&env);
    assert!(
        journal.contains("RamRoleArn via aliyun CLI profile 'dev'"),
        "{journal}\n{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_roles_policy_bounds_its_sessions() {
    // The builder role may only list regions: its sessions get Forbidden.RAM for the rest,
    // naming the role session, while the account's own key may do everything.
    let seed = sim::SANDBOX_TOML.replace(
        "max_session_duration = 43200\ntrusted_keys = [\"LTAIsandbox\"]",
        "max_session_duration = 43200\ntrusted_keys = [\"LTAIsandbox\"]\npolicy = '''{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ecs:DescribeRegions\", \"Resource\": \"*\"}]}'''",
    );
    assert_ne!(
        seed,
        sim::SANDBOX_TOML,
        "the builder role is in the sandbox seed"
    );
    let sim = sim::start(SimConfig {
        seed: Some(sim::Seed::parse(&seed, "test.toml").expect("seed")),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let endpoint = Endpoint::parse(&sim.url()).expect("url");
    let client_with = |credentials: Credentials| {
        Client::new(
            ClientConfig::new(sim::SANDBOX_REGION, credentials).with_endpoint(endpoint.clone()),
        )
        .expect("client")
    };
    let sts_client =
        Client::new(ClientConfig::new("", sandbox_key()).with_endpoint(endpoint.clone()))
            .expect("client");
    let assumed =
        ecsimg::api::sts::assume_role(&sts_client, &endpoint, &session(BUILDER, 900), None)
            .await
            .expect("AssumeRole");
    let role = client_with(assumed.credentials);
    role.describe_regions()
        .await
        .expect("allowed by the role's policy");
    let refused = role
        .describe_instances_all(&Default::default())
        .await
        .expect_err("outside the role's policy");
    assert_eq!(refused.code(), Some("Forbidden.RAM"), "{refused}");
    let denied = ecsimg::policy::explain(&refused).expect("explained");
    assert_eq!(denied.action, "ecs:DescribeInstances");
    let owner = client_with(sandbox_key());
    owner
        .describe_instances_all(&Default::default())
        .await
        .expect("the account's key is not bounded");
}
