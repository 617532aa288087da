//! A recognisable access key secret (and STS token) must never appear in anything ecsimg
//! prints or writes: CLI output on success and on every error path, logs at `trace`, the
//! journal, the simulator's own output, config and profile mistakes, and the wizard's screens.
//!
//! The CLI runs as a child process of the real binary with the credentials in its environment
//! and HOME and the XDG directories in a temp dir, so every file it writes can be searched
//! afterwards. Simulators run in this process; the wizard is driven through its runner and drawn
//! into a `TestBackend`. A leak is any 10-character piece of a secret, raw, percent-encoded or
//! base64-encoded, so a truncated or wrapped secret counts too.
//!
//! Long STS tokens (600+ characters, as real ones are) are sent with both signature styles to
//! the simulator with the wrong secret (its SignatureDoesNotMatch quotes the V1 string-to-sign,
//! which holds the token percent-encoded twice) and to a hostile server that echoes the request
//! every way it can, on every error path, the journal's `reason` included.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use crate::common::{self, Harness, Pace};
use crate::hostile::{Hostile, Reply, Request};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ecsimg::api::Credentials;
use ecsimg::api::model::ImageQuery;
use ecsimg::api::sign::percent_encode;
use ecsimg::api::{Client, ClientConfig, Endpoint};
use ecsimg::config::{Config, ConfigOrigin, LoadedConfig};
use ecsimg::journal::Journal;
use ecsimg::secret::Secret;
use ecsimg::sim::{self, KeyPair, RunningSim, SimConfig};
use ecsimg::tui::app::App;
use ecsimg::tui::launch::{Connection, Connector};
use ecsimg::tui::runner::Runner;
use ecsimg::tui::step::Step;
use ecsimg::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tempfile::TempDir;

const KEY_ID: &str = "LTAI5tSecretsTestKeyId";
/// Distinctive enough that any 10 characters of it in the output are a leak, never chance; the
/// `/` and `+` make its percent-encoded form differ from the raw one.
const SECRET: &str = "zQ7vK2pX9mW4tR8s/SeKrEt+Sentinel";
const TOKEN: &str = "CAIS-sts-token-Hq3Lw8Nz5Vb1Xc7Jd0";
const RECIPE: &str = r#"
region = "cn-hangzhou"
[source]
snapshot_id = "s-bp1k4wd2j0qmz7h5x3cv"
[image]
name = "secrets-test"
description = "checks that no secret leaks"
"#;

/// A realistic STS token: 640 characters of base64 alphabet, `/`, `+` and `=` included.
static LONG_TOKEN: LazyLock<String> = LazyLock::new(|| {
    let mut token = String::from("CAIS");
    let mut n: u32 = 7;
    while token.len() < 640 {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        token.push(char::from(alphabet[(n >> 16) as usize % alphabet.len()]));
    }
    token
});

/// Every 10-character piece of every secret: raw, percent-encoded once and twice, and each of
/// those base64-encoded at the three byte alignments, in both alphabets.
fn needles() -> &'static HashSet<String> {
    static NEEDLES: LazyLock<HashSet<String>> = LazyLock::new(|| {
        let mut forms = Vec::new();
        for secret in [SECRET, TOKEN, LONG_TOKEN.as_str()] {
            let once = percent_encode(secret);
            let twice = percent_encode(&once);
            for form in [secret.to_string(), once, twice] {
                for prefix in ["", "a", "ab"] {
                    for engine in [&STANDARD, &URL_SAFE] {
                        // The first group depends on the prefix: leave it out.
                        let encoded = engine.encode(format!("{prefix}{form}"));
                        forms.push(encoded.chars().skip(4).collect::<String>());
                    }
                }
                forms.push(form);
            }
        }
        forms
            .iter()
            .flat_map(|form| windows(form).map(str::to_string).collect::<Vec<_>>())
            .collect()
    });
    &NEEDLES
}

/// Every 10-character piece of `text`.
fn windows(text: &str) -> impl Iterator<Item = &str> {
    let starts: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    (0..starts.len().saturating_sub(10)).map(move |n| &text[starts[n]..starts[n + 10]])
}

/// Fails naming `what` and the piece found.
fn assert_clean(what: &str, text: &str) {
    // A secret wrapped over two lines of a screen is still a leak.
    let joined: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for piece in windows(text).chain(windows(&joined)) {
        assert!(
            !needles().contains(piece),
            "{what} shows part of a secret ({piece:?}):\n{text}"
        );
    }
}

/// Every file under `dir` but the `inputs` the test wrote itself, searched.
fn assert_files_clean(dir: &Path, inputs: &[PathBuf]) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if inputs.contains(&path) {
                continue;
            } else if let Ok(bytes) = std::fs::read(&path) {
                assert_clean(
                    &format!("file {}", path.display()),
                    &String::from_utf8_lossy(&bytes),
                );
                count += 1;
            }
        }
    }
    count
}

// ---------------------------------------------------------------------------------------------
// Simulators in this process

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// A simulator that accepts `id`/`secret` with the security token [`TOKEN`], as temporary
/// credentials its STS issued (clients here send the token); `speed` shortens builds.
fn simulator(id: &str, secret: &str, speed: f64) -> RunningSim {
    let sim = runtime()
        .block_on(sim::start(SimConfig {
            keys: long_term_key(),
            speed,
            ..SimConfig::default()
        }))
        .expect("a simulator starts");
    grant(&sim, id, secret);
    sim
}

/// The simulator's own long-term key, which these tests never sign with.
fn long_term_key() -> KeyPair {
    KeyPair {
        id: "LTAIsecretsLongTermKey".into(),
        secret: Secret::new("long-term-secret-unused"),
    }
}

fn grant(sim: &RunningSim, id: &str, secret: &str) {
    sim.grant_session(
        id,
        Secret::new(secret),
        Secret::new(TOKEN),
        Duration::from_secs(24 * 3600),
    );
}

// ---------------------------------------------------------------------------------------------
// The CLI as a child process

/// A throwaway HOME with the XDG directories inside and a recipe.
struct Home {
    dir: TempDir,
    /// Files the test wrote (some hold the secret on purpose); not searched.
    inputs: RefCell<Vec<PathBuf>>,
}

impl Home {
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().expect("a temp dir"),
            inputs: RefCell::default(),
        };
        home.write("recipe.toml", RECIPE);
        home
    }

    /// Writes an input file (creating its directory) and returns its path.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the input's directory");
        }
        std::fs::write(&path, text).expect("write an input file");
        self.inputs.borrow_mut().push(path.clone());
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `ecsimg ARGS` with nothing from the real environment but the secret credentials, and
    /// every log at `trace`.
    fn ecsimg(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ecsimg"));
        command
            .args(args)
            .env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("RUST_LOG", "trace")
            .env("NO_COLOR", "1")
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
            .stdin(Stdio::null());
        command
    }

    /// Runs `ecsimg ARGS`, checks its output, returns it.
    fn run(&self, args: &[&str]) -> Output {
        self.run_command(args, self.ecsimg(args))
    }

    fn run_command(&self, args: &[&str], mut command: Command) -> Output {
        let output = command.output().expect("ecsimg runs");
        let shown = format!(
            "ecsimg {} (exit {:?})\n--- stdout\n{}\n--- stderr\n{}",
            args.join(" "),
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_clean(&shown, &shown);
        output
    }

    fn stderr(output: &Output) -> String {
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_files_clean(self.dir.path(), &self.inputs.borrow());
        }
    }
}

#[test]
fn cli_error_paths_never_show_the_secret() {
    let home = Home::new();
    let recipe = home.path("recipe.toml");
    let recipe = recipe.to_str().expect("a UTF-8 temp path");
    let other_key = simulator("LTAIsomeoneelse", SECRET, 1.0);
    let other_secret = simulator(KEY_ID, "not-the-secret-at-all", 1.0);
    let create = |endpoint: &str, extra: &[&str]| {
        let mut args = vec![
            "create",
            "--recipe",
            recipe,
            "--yes",
            "--endpoint",
            endpoint,
        ];
        args.extend_from_slice(extra);
        home.run(&args)
    };
    for (sim, code) in [
        (&other_key, "InvalidAccessKeyId.NotFound"),
        (&other_secret, "SignatureDoesNotMatch"),
    ] {
        for extra in [
            &["--dry-run"][..],
            &["--dry-run", "--output", "json"],
            &["--no-wait"],
        ] {
            let output = create(&sim.url(), extra);
            assert!(!output.status.success(), "accepted with the wrong key");
            let stderr = Home::stderr(&output);
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                stderr.contains(code) || stdout.contains(code),
                "the refusal ({code}) is not reported:\n{stderr}\n{stdout}"
            );
        }
        let watched = home.run(&["watch", "m-bp1secretstest0000", "--endpoint", &sim.url()]);
        assert!(!watched.status.success());
    }
    // Nothing listens on port 1; an http endpoint off loopback is refused before any request.
    for endpoint in ["http://127.0.0.1:1", "http://ecs.example.com", "not a url"] {
        let output = create(endpoint, &["--dry-run"]);
        assert!(!output.status.success(), "{endpoint} worked");
    }
    home.run(&["history"]);
    home.run(&["history", "--output", "json"]);
    home.run(&["preview", "--recipe", recipe]);
    home.run(&["preview", "--recipe", recipe, "--format", "cli"]);
}

/// A server that quotes the request back every way it can, in turn: a V1-style
/// string-to-sign (the query percent-encoded again) and the raw request after 900 characters of
/// padding, so a message cut before masking would show half a token; the request in every
/// envelope field; base64 in both alphabets, also wrapped at 76 columns; a body that is not
/// JSON; JSON whose ImageId or image list is the request (a serde error quotes it); a 5xx with a
/// pause.
fn echo(turn: &AtomicUsize, request: &Request) -> Reply {
    let head = &request.head;
    let query = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or_default();
    let pad = "x".repeat(900);
    let refusal = |body: serde_json::Value| Reply::json(400, &body);
    match turn.fetch_add(1, Ordering::SeqCst) % 6 {
        0 => refusal(serde_json::json!({
            "Code": "SignatureDoesNotMatch",
            "RequestId": "R-echo",
            "Message": format!(
                "{pad} server string to sign is:POST&%2F&{} canonical request: {head}",
                percent_encode(query)
            ),
        })),
        1 => refusal(serde_json::json!({
            "Code": "InvalidParameter", "Message": head, "RequestId": head,
            "Recommend": head, "HostId": head,
        })),
        2 => {
            // Also as MIME wraps it: 76 columns, CRLF.
            let encoded = STANDARD.encode(head);
            let wrapped: Vec<&str> = encoded
                .as_bytes()
                .chunks(76)
                .map(|line| std::str::from_utf8(line).unwrap_or_default())
                .collect();
            // Each field is cut on its own: each starts with its encoding.
            refusal(serde_json::json!({
                "Code": "IncompleteSignature",
                "Message": wrapped.join("\r\n"),
                "RequestId": encoded,
                "Recommend": URL_SAFE.encode(head),
            }))
        }
        3 => Reply::Full {
            status: 200,
            headers: Vec::new(),
            body: format!("<html>{pad}{head}</html>").into_bytes(),
        },
        4 => Reply::json(
            200,
            &serde_json::json!({"RequestId": "R", "ImageId": head, "Images": {"Image": head}}),
        ),
        _ => Reply::Full {
            status: 503,
            headers: vec![("x-acs-retry-after".into(), "10".into())],
            body: serde_json::json!({"Code": "ServiceUnavailable", "Message": head})
                .to_string()
                .into_bytes(),
        },
    }
}

#[test]
fn long_sts_tokens_never_leak_in_either_signature_style() {
    let home = Home::new();
    let recipe = home.path("recipe.toml");
    let recipe = recipe.to_str().expect("a UTF-8 temp path");
    let wrong_secret = simulator(KEY_ID, "not-the-secret-at-all", 1.0);
    let turn = AtomicUsize::new(0);
    let echoing = Hostile::start(move |request| echo(&turn, request));
    let run = |args: &[&str]| {
        let mut command = home.ecsimg(args);
        command.env("ALIBABA_CLOUD_SECURITY_TOKEN", LONG_TOKEN.as_str());
        home.run_command(args, command)
    };
    for version in ["v1", "v3"] {
        let config = home.write(
            &format!("{version}.toml"),
            &format!(
                "signature_version = \"{version}\"\n[network]\nmax_attempts = 2\n\
                 call_timeout = \"5s\"\n"
            ),
        );
        let config = config.to_str().expect("a UTF-8 temp path");
        for endpoint in [wrong_secret.url(), echoing.url.clone()] {
            let with = |args: &[&str]| -> Vec<String> {
                let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                all.extend(["--config", config, "--endpoint", &endpoint].map(String::from));
                all
            };
            let mut commands = vec![
                with(&["create", "--recipe", recipe, "--dry-run"]),
                with(&[
                    "create",
                    "--recipe",
                    recipe,
                    "--dry-run",
                    "--output",
                    "json",
                ]),
                with(&["watch", "m-bp1secretstest0000", "--timeout", "3s"]),
                with(&[
                    "watch",
                    "m-bp1secretstest0000",
                    "--timeout",
                    "3s",
                    "--output",
                    "json",
                ]),
            ];
            // Every echo on the journal's path: refusals and open outcomes keep a reason.
            commands.extend((0..6).map(|_| with(&["create", "--recipe", recipe, "--yes"])));
            for args in &commands {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let output = run(&args);
                assert!(!output.status.success(), "{args:?} succeeded");
            }
        }
    }
    let history = run(&["history", "--output", "json"]);
    let reasons = String::from_utf8_lossy(&history.stdout);
    assert!(
        reasons.contains("server string to sign is:POST&%2F&"),
        "the simulator's echo was not recorded:\n{reasons}"
    );
    assert!(reasons.contains("***"), "nothing was masked:\n{reasons}");
    run(&["history"]);
}

#[test]
fn a_successful_build_and_its_journal_hold_no_secret() {
    let home = Home::new();
    let recipe = home.path("recipe.toml");
    let recipe = recipe.to_str().expect("a UTF-8 temp path");
    // Fast enough that `create` waits for Available within the test.
    let sim = simulator(KEY_ID, SECRET, 200.0);
    let url = sim.url();
    let created = home.run(&["create", "--recipe", recipe, "--yes", "--endpoint", &url]);
    assert!(
        created.status.success(),
        "create failed: {}",
        Home::stderr(&created)
    );
    let images = sim.images(sim::SANDBOX_REGION);
    let image = images
        .iter()
        .find(|i| i.name == "secrets-test")
        .expect("the image was made");
    home.run(&["watch", &image.id, "--endpoint", &url]);
    home.run(&["watch", &image.id, "--endpoint", &url, "--output", "json"]);
    // Stopping the instance first and starting it again: every new line and JSON event.
    let stopping = home.write(
        "stop.toml",
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1g6zv0ce8oghu7k2a1\"\n\
         stop = \"stop-charging\"\nrestart = true\n[image]\nname = \"secrets-stop\"\n",
    );
    let stopping = stopping.to_str().expect("a UTF-8 temp path");
    for format in ["text", "json"] {
        let name = format!("image.name=secrets-stop-{format}");
        let args = [
            "create",
            "--recipe",
            stopping,
            "--yes",
            "--endpoint",
            &url,
            "--output",
            format,
            "--set",
            &name,
        ];
        let out = home.run(&args);
        assert!(
            out.status.success(),
            "create failed: {}",
            Home::stderr(&out)
        );
    }
    home.run(&["preview", "--recipe", stopping, "--format", "cli"]);
    home.run(&["watch", "--resume", "--endpoint", &url]);
    let history = home.run(&["history", "--output", "json"]);
    assert!(
        String::from_utf8_lossy(&history.stdout).contains(&image.id),
        "the journal did not record the build"
    );
    let files = assert_files_clean(&home.path("data"), &[]);
    assert!(files > 0, "no journal was written under XDG_DATA_HOME");
}

#[test]
fn config_and_profile_mistakes_never_echo_the_secret() {
    let home = Home::new();
    let recipe = home.path("recipe.toml");
    let recipe = recipe.to_str().expect("a UTF-8 temp path");
    let config = home.path("config.toml");
    let config_arg = config.to_str().expect("a UTF-8 temp path");
    let credentials =
        format!("[credentials]\naccess_key_id = \"{KEY_ID}\"\naccess_key_secret = \"{SECRET}\"\n");
    let broken = [
        // A typo elsewhere in a file that holds the secret.
        format!("{credentials}[network]\nread_timout = \"5s\"\n"),
        // The secret typed without quotes, and as a number.
        format!("[credentials]\naccess_key_id = \"{KEY_ID}\"\naccess_key_secret = {SECRET}\n"),
        format!("[credentials]\naccess_key_id = \"{KEY_ID}\"\naccess_key_secret = 7358121977351\n"),
        // A misspelt key inside the credentials table.
        format!("[credentials]\naccess_key_id = \"{KEY_ID}\"\naccess_key_secrte = \"{SECRET}\"\n"),
        format!("{credentials}security_token = [\"{TOKEN}\"]\n"),
    ];
    for text in &broken {
        home.write("config.toml", text);
        for args in [
            &[
                "create",
                "--config",
                config_arg,
                "--recipe",
                recipe,
                "--dry-run",
                "--yes",
            ][..],
            &["history", "--config", config_arg],
        ] {
            // Without environment credentials, so the config's own are the ones in play.
            let mut command = home.ecsimg(args);
            command
                .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
                .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
                .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN");
            home.run_command(args, command);
        }
    }
    // The aliyun CLI profile file: a wrong mode, a broken file, a missing profile.
    let profile = |mode: &str| {
        format!(
            r#"{{"current":"default","profiles":[{{"name":"default","mode":"{mode}","access_key_id":"{KEY_ID}","access_key_secret":"{SECRET}","sts_token":"{TOKEN}","region_id":"cn-hangzhou"}}]}}"#
        )
    };
    for (text, extra) in [
        (profile("EcsRamRole"), &[][..]),
        (profile("AK"), &["--profile", "missing"][..]),
        (
            format!("{{\"profiles\": [{{\"access_key_secret\": \"{SECRET}\""),
            &[][..],
        ),
    ] {
        home.write(".aliyun/config.json", &text);
        let mut args = vec!["create", "--recipe", recipe, "--dry-run", "--yes"];
        args.extend_from_slice(extra);
        let mut command = home.ecsimg(&args);
        command
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN");
        home.run_command(&args, command);
    }
    std::fs::remove_file(home.path(".aliyun/config.json")).expect("remove the aliyun config");
    // The credentials file: an unknown type, a missing id, a line that is not INI.
    for text in [
        format!(
            "[default]\ntype = magic\naccess_key_id = {KEY_ID}\naccess_key_secret = {SECRET}\n"
        ),
        format!("[default]\ntype = access_key\naccess_key_secret = {SECRET}\n"),
        format!("[default\naccess_key_secret = {SECRET}\n{SECRET}\n"),
    ] {
        let ini = home.write("credentials.ini", &text);
        let args = ["create", "--recipe", recipe, "--dry-run", "--yes"];
        let mut command = home.ecsimg(&args);
        command
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
            .env("ALIBABA_CLOUD_CREDENTIALS_FILE", &ini);
        home.run_command(&args, command);
    }
}

#[test]
fn the_simulator_never_logs_its_secret() {
    let home = Home::new();
    let args = [
        "sim",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--access-key-id",
        KEY_ID,
        "--access-key-secret",
        SECRET,
    ];
    let mut child = home
        .ecsimg(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ecsimg sim serve starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let first = read_line(&mut stdout);
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    // A good request, a bad signature, and a good one with a token.
    for (secret, token) in [
        (SECRET, None),
        ("wrong-secret", None),
        (SECRET, Some(TOKEN)),
    ] {
        let client = client(&url, secret, token);
        let _ = runtime().block_on(client.describe_images_all(&ImageQuery::default()));
    }
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(terminated.success());
    let output = child.wait_with_output().expect("the simulator exits");
    let mut rest = first;
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("read stdout");
    let shown = format!(
        "--- stdout\n{rest}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_clean("ecsimg sim serve", &shown);
    assert!(output.status.success(), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Temporary credentials

/// What the hostile STS issues: secrets the client never had before the answer arrived.
const ISSUED_SECRET: &str = "Issued-StsSecret-Wq8Lm3Np6Rt1";
const ISSUED_TOKEN: &str = "CAISissuedTokenTx5Vb2Kj9Hd4Zq7";

/// An AssumeRole client of `url` (STS and ECS alike), from the test key.
fn role_client(url: &str) -> Client {
    let source = Credentials {
        access_key_id: KEY_ID.into(),
        access_key_secret: Secret::new(SECRET),
        security_token: Some(Secret::new(TOKEN)),
    };
    let session = ecsimg::api::sts::RoleSession {
        role_arn: "acs:ram::1:role/r".into(),
        session_name: "s".into(),
        duration_seconds: None,
        policy: None,
    };
    let wiring = common::wiring(
        Duration::from_secs(10),
        1,
        ecsimg::api::provider::system_now(),
    );
    let provider = common::assume_role(source, session, url)
        .provider(&wiring)
        .expect("a provider");
    let endpoint = Endpoint::parse(url).expect("a loopback endpoint");
    Client::new(ClientConfig::new(sim::SANDBOX_REGION, provider).with_endpoint(endpoint))
        .expect("a client")
}

#[test]
fn sts_answers_never_leak_through_errors() {
    let issued = serde_json::json!({"RequestId": "R", "Credentials": {
        "AccessKeyId": "STS.issued", "AccessKeySecret": ISSUED_SECRET,
        "SecurityToken": ISSUED_TOKEN, "Expiration": "2099-01-01T00:00:00Z"}});
    // Each service echoes the request and the secrets it could know: the ones it was sent.
    let echoing = |head: &str, secrets: [&str; 2]| {
        Reply::json(
            400,
            &serde_json::json!({
                "Code": "InvalidParameter", "RequestId": "R",
                "Message": format!("{head} {} {}", secrets[0], secrets[1]),
            }),
        )
    };
    // STS issues; ECS echoes the issued secrets.
    let server = {
        let issued = issued.clone();
        Hostile::start(move |request| match request.action().as_str() {
            "AssumeRole" => Reply::json(200, &issued),
            _ => echoing(&request.head, [ISSUED_SECRET, ISSUED_TOKEN]),
        })
    };
    let e = runtime()
        .block_on(role_client(&server.url).describe_regions())
        .unwrap_err()
        .to_string();
    assert_clean("an ECS error after AssumeRole", &e);
    for issued in [ISSUED_SECRET, ISSUED_TOKEN] {
        assert!(!e.contains(issued), "{e}");
    }
    // STS refuses, echoing the source's secrets.
    let server = Hostile::start(move |request| echoing(&request.head, [SECRET, TOKEN]));
    let e = runtime()
        .block_on(role_client(&server.url).describe_regions())
        .unwrap_err()
        .to_string();
    assert_clean("an AssumeRole refusal", &e);
    assert!(e.contains("AssumeRole of acs:ram::1:role/r"), "{e}");
    // STS answers something unusable that holds new secrets: described, never quoted.
    for broken in [
        serde_json::json!({"Credentials": {"AccessKeyId": "STS.x", "AccessKeySecret": ISSUED_SECRET,
            "SecurityToken": ISSUED_TOKEN, "Expiration": "tomorrow"}}),
        serde_json::json!({"Credentials": {"AccessKeySecret": ISSUED_SECRET, "SecurityToken": ISSUED_TOKEN}}),
    ] {
        let server = Hostile::start(move |_| Reply::json(200, &broken));
        let e = runtime()
            .block_on(role_client(&server.url).describe_regions())
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains(ISSUED_SECRET) && !e.contains(ISSUED_TOKEN),
            "{e}"
        );
        assert!(e.contains("AssumeRole answer"), "{e}");
    }
}

/// One line from a child's stdout, byte by byte (no buffered reader may keep the rest).
fn read_line(stdout: &mut impl std::io::Read) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).map(|n| n == 1).unwrap_or(false) && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

fn client(url: &str, secret: &str, token: Option<&str>) -> Client {
    let credentials = Credentials {
        access_key_id: KEY_ID.into(),
        access_key_secret: Secret::new(secret),
        security_token: token.map(Secret::new),
    };
    let endpoint = Endpoint::parse(url).expect("a loopback endpoint");
    let config = ClientConfig::new(sim::SANDBOX_REGION, credentials).with_endpoint(endpoint);
    Client::new(config).expect("a client")
}

// ---------------------------------------------------------------------------------------------
// The wizard

/// Every log line of this test process, at `trace`: searched by the wizard test.
fn log_file() -> &'static PathBuf {
    static LOG: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = LOG.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("trace.log");
        let file = std::fs::File::create(&path).expect("create the log");
        tracing_subscriber::fmt()
            .with_writer(Mutex::new(file))
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .try_init()
            .expect("the only subscriber of this test binary");
        (dir, path)
    });
    path
}

/// The wizard's screen as text.
fn screen(terminal: &mut Terminal<TestBackend>, app: &App) -> String {
    terminal
        .draw(|frame| view(app, frame))
        .expect("drawing into a test backend");
    let buffer = terminal.backend().buffer();
    buffer
        .content()
        .chunks(usize::from(buffer.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect()
}

/// Walks the wizard from an instance to a submitted, watched build with a client that holds
/// the secret, against a simulator that accepts it (`accepted`) or refuses it; checks every
/// screen on the way.
fn walk_the_wizard(accepted: bool) {
    let journal_dir = tempfile::tempdir().expect("a temp dir");
    let sim_secret = if accepted {
        SECRET
    } else {
        "the-simulator-wants-another"
    };
    runtime().block_on(async {
        let keys = SimConfig {
            keys: long_term_key(),
            speed: 500.0,
            ..SimConfig::default()
        };
        let loaded = LoadedConfig {
            config: Config::default(),
            origin: ConfigOrigin::NoConfigDir,
        };
        let (connector, _, _) = Connector::open_sandbox(loaded, keys)
            .await
            .expect("the simulator starts");
        let running = connector.sandbox().expect("a sandbox");
        grant(running, KEY_ID, sim_secret);
        let url = running.url();
        let session = Connection {
            sandbox: false,
            region: sim::SANDBOX_REGION.into(),
            credential_source: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)".into(),
            endpoint: url.clone(),
        };
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = Runner::new(tx, connector, Some(client(&url, SECRET, Some(TOKEN))))
            .with_journal(Journal::at(journal_dir.path().join("journal.jsonl")));
        let pace = Pace {
            max_delay: Duration::from_millis(20),
            tick_before_key: true,
            clock: None,
        };
        let mut wizard = Harness::start(runner, rx, session, pace).await;
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("a test terminal");
        // From an instance to Review (as tests/wizard_e2e.rs walks), then dry-run, go to
        // Submit, send and confirm.
        let next_step = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL);
        let mut keys: Vec<KeyEvent> = "数据库\n".chars().map(key).collect();
        keys.push(next_step);
        keys.extend("\nsecrets-wizard\n".chars().map(key));
        // Tags, Delivery, Review.
        keys.extend([next_step, next_step, next_step]);
        keys.extend("dssy".chars().map(key));
        let mut check = |app: &App| {
            let text = screen(&mut terminal, app);
            assert_clean(&format!("the wizard's screen at {:?}", app.step), &text);
        };
        check(&wizard.app);
        for next in keys {
            wizard.send(next).await;
            check(&wizard.app);
        }
        if accepted {
            assert_eq!(
                wizard.app.step,
                Step::Submit,
                "the walk did not reach Submit"
            );
        }
    });
    assert_files_clean(journal_dir.path(), &[]);
}

/// A key press: `\n` is Enter.
fn key(c: char) -> KeyEvent {
    let code = if c == '\n' {
        KeyCode::Enter
    } else {
        KeyCode::Char(c)
    };
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn wizard_screens_and_logs_never_show_the_secret() {
    let log = log_file();
    walk_the_wizard(true);
    walk_the_wizard(false);
    let text = std::fs::read_to_string(log).expect("read the log");
    assert!(!text.is_empty(), "nothing was logged");
    assert_clean("the trace log", &text);
}

#[test]
fn instance_metadata_answers_never_leak_through_errors() {
    use ecsimg::credentials::ecs_ram_role::{self, MetadataSettings};
    let credentials = serde_json::json!({"Code": "Success", "AccessKeyId": "STS.meta",
        "AccessKeySecret": ISSUED_SECRET, "SecurityToken": ISSUED_TOKEN,
        "Expiration": "2099-01-01T00:00:00Z", "LastUpdated": "2024-01-01T00:00:00Z"});
    let text = |status: u16, body: &str| Reply::Full {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    };
    // One server plays the metadata service (token, role, credentials) and ECS, which echoes
    // the credentials it was signed with; then a metadata service whose answer is unusable
    // but holds the secrets.
    let serve = |answer: serde_json::Value| {
        move |request: &Request| {
            let line = request.head.lines().next().unwrap_or_default().to_string();
            if line.starts_with("PUT /latest/api/token") {
                text(200, "metadata-session-token")
            } else if line.starts_with("GET /latest/meta-data/ram/security-credentials/ ") {
                text(200, "builder")
            } else if line.starts_with("GET /latest/meta-data/ram/security-credentials/builder") {
                Reply::json(200, &answer)
            } else {
                Reply::json(
                    400,
                    &serde_json::json!({"Code": "InvalidParameter", "RequestId": "R",
                        "Message": format!("{} {ISSUED_SECRET} {ISSUED_TOKEN}", request.head)}),
                )
            }
        }
    };
    let broken = serde_json::json!({"Code": "Failed", "AccessKeyId": "STS.meta",
        "AccessKeySecret": ISSUED_SECRET, "SecurityToken": ISSUED_TOKEN, "Expiration": "soon"});
    for (what, answer, says) in [
        ("an ECS error", credentials, "InvalidParameter"),
        ("an unusable answer", broken, "Failed"),
    ] {
        let server = Hostile::start(serve(answer));
        let settings = MetadataSettings {
            endpoint: server.url.clone(),
            disabled: false,
            v1_disabled: false,
            env_role: None,
        };
        let provider = ecs_ram_role::provider(None, &settings, ecsimg::api::provider::system_now())
            .expect("a provider");
        let endpoint = Endpoint::parse(&server.url).expect("a loopback endpoint");
        let client =
            Client::new(ClientConfig::new(sim::SANDBOX_REGION, provider).with_endpoint(endpoint))
                .expect("a client");
        let e = runtime()
            .block_on(client.describe_regions())
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{what}: {e}");
        assert_clean(what, &e);
        for issued in [ISSUED_SECRET, ISSUED_TOKEN] {
            assert!(!e.contains(issued), "{what}: {e}");
        }
    }
}
