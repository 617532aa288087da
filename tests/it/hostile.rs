//! Attacks from the other end of the wire, against the real binary: a server that
//! answers one byte every two seconds, one that puts terminal escape sequences in its answers,
//! one that asks for a pause of `u64::MAX` milliseconds — and signals sent while a call is in
//! flight. The server is a few lines of blocking HTTP/1.1 in this file ([`Hostile`]), which
//! `secrets.rs` also uses for its echo attacks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ecsimg::journal::Journal;

use crate::cli::{BIN, assert_exit, text};

// ---------------------------------------------------------------------------------------------
// The hostile server

/// One request as received (its body, empty for ecsimg's requests, is read and dropped).
#[derive(Debug, Clone)]
pub struct Request {
    /// Request line and headers, as sent.
    pub head: String,
}

impl Request {
    /// The API action (V3 `x-acs-action` header, V1 `Action=` query parameter).
    pub fn action(&self) -> String {
        let header = self.head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("x-acs-action")
                .then(|| value.trim().to_string())
        });
        header
            .or_else(|| {
                let query = self.head.lines().next()?.split_whitespace().nth(1)?;
                query
                    .split(['?', '&'])
                    .find_map(|pair| pair.strip_prefix("Action="))
                    .map(str::to_string)
            })
            .unwrap_or_default()
    }
}

/// What the server sends back.
pub enum Reply {
    /// A whole response: status, extra headers, body.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing `length` bytes, then one byte every `every`.
    Trickle { length: usize, every: Duration },
}

impl Reply {
    pub fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A loopback HTTP server that answers every request with what its handler says.
pub struct Hostile {
    pub url: String,
    requests: Arc<AtomicUsize>,
    arrived: mpsc::Receiver<Request>,
}

impl Hostile {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let requests = Arc::new(AtomicUsize::new(0));
        let (tx, arrived) = mpsc::channel();
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, counter, tx) = (handler.clone(), counter.clone(), tx.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &*handler, &counter, &tx);
                });
            }
        });
        Hostile {
            url,
            requests,
            arrived,
        }
    }

    /// Requests answered or being answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Waits for the next request to arrive.
    pub fn next_request(&self) -> Request {
        self.arrived
            .recv_timeout(Duration::from_secs(30))
            .expect("a request reaches the server")
    }
}

fn serve(
    stream: TcpStream,
    handler: &Handler,
    counter: &AtomicUsize,
    arrived: &mpsc::Sender<Request>,
) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
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
            head.push_str(&line);
        }
        std::io::copy(&mut (&mut reader).take(length as u64), &mut std::io::sink())?;
        let request = Request { head };
        counter.fetch_add(1, Ordering::SeqCst);
        let _ = arrived.send(request.clone());
        match handler(&request) {
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} Hostile\r\n");
                out.push_str("content-type: application/json;charset=utf-8\r\n");
                for (name, value) in headers {
                    out.push_str(&format!("{name}: {value}\r\n"));
                }
                out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
                writer.write_all(out.as_bytes())?;
                writer.write_all(&body)?;
            }
            Reply::Trickle { length, every } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {length}\r\n\r\n"
                );
                writer.write_all(head.as_bytes())?;
                for _ in 0..length {
                    writer.write_all(b" ")?;
                    writer.flush()?;
                    std::thread::sleep(every);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The binary, in a scratch home

const RECIPE: &str = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1g6zv0ce8oghu7k2a1\"\n\
                      [image]\nname = \"hostile\"\n";

/// A scratch HOME with a recipe, a journal and a config.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Home {
        let home = Home {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::write(home.path("recipe.toml"), RECIPE).expect("recipe");
        std::fs::write(home.path("config.toml"), config).expect("config");
        home
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn journal(&self) -> Journal {
        Journal::at(self.path("journal.jsonl"))
    }

    /// `ecsimg ARGS`, with nothing from the real environment but a key.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .env("HOME", self.dir.path())
            .env("ECSIMG_JOURNAL", self.path("journal.jsonl"))
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIhostile")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "hostile-secret")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// `ecsimg ARGS --config CONFIG --endpoint URL`.
    fn ecsimg(&self, url: &str, args: &[&str]) -> Command {
        let mut command = self.command(args);
        command
            .arg("--config")
            .arg(self.path("config.toml"))
            .args(["--endpoint", url]);
        command
    }

    fn recipe(&self) -> String {
        self.path("recipe.toml").display().to_string()
    }
}

/// Nothing a terminal would act on: no ESC, no C1 control (CSI), no BEL.
#[track_caller]
pub fn assert_inert(what: &str, bytes: &[u8]) {
    let shown = text(bytes);
    let live: Vec<char> = shown
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(live.is_empty(), "{what} holds {live:?}:\n{shown}");
}

/// Sends `signal` to `child` and waits for it, returning how long it took to exit.
pub fn signal_and_wait(child: Child, signal: &str) -> (Output, Duration) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let started = Instant::now();
    let output = child.wait_with_output().expect("exits");
    (output, started.elapsed())
}

fn trickler() -> Hostile {
    Hostile::start(|_| Reply::Trickle {
        length: 1000,
        every: Duration::from_secs(2),
    })
}

// ---------------------------------------------------------------------------------------------
// Slow answers and signals

/// Issue 12 §3: headers, then one byte every 2 s, kept `create --dry-run` going for 12 min.
#[test]
fn a_trickled_answer_ends_at_the_call_deadline() {
    let server = trickler();
    let home = Home::new("[network]\ncall_timeout = \"2s\"\nread_timeout = \"10s\"\n");
    let started = Instant::now();
    let recipe = home.recipe();
    let output = home
        .ecsimg(&server.url, &["create", "--recipe", &recipe, "--dry-run"])
        .output()
        .expect("runs");
    let took = started.elapsed();
    assert_exit(&output, 3);
    assert!(took < Duration::from_secs(8), "ran {took:?}");
    let err = text(&output.stderr);
    assert!(err.contains("within 2s ([network] call_timeout)"), "{err}");
}

/// The first SIGINT or SIGTERM ends a call in flight at once, in every command that calls.
#[test]
fn the_first_signal_cancels_a_call_in_flight() {
    let server = trickler();
    let home = Home::new("");
    let recipe = home.recipe();
    for (args, signal) in [
        (&["create", "--recipe", &recipe, "--dry-run"][..], "INT"),
        (&["create", "--recipe", &recipe, "--dry-run"][..], "TERM"),
        (&["watch", "m-bp1trickle0000000001"][..], "INT"),
        (&["create", "--recipe", &recipe, "--yes"][..], "INT"),
    ] {
        let child = home.ecsimg(&server.url, args).spawn().expect("spawns");
        server.next_request();
        let (output, took) = signal_and_wait(child, signal);
        assert_exit(&output, 130);
        assert!(took < Duration::from_secs(3), "{args:?}: {took:?}");
        assert!(text(&output.stderr).contains("interrupted"), "{args:?}");
    }
    // The submission was journaled before it was sent, and its open outcome after.
    let entry = home.journal().read().expect("journal").entries.remove(0);
    assert!(entry.needs_recovery());
    let open = entry.unsettled.expect("the interrupt is recorded");
    assert_eq!(open.reason, "interrupted before ECS answered");
    let history = home
        .ecsimg(&server.url, &["history"])
        .output()
        .expect("runs");
    assert_exit(&history, 0);
    assert!(
        text(&history.stdout).contains("answer lost — `ecsimg --config"),
        "{}",
        text(&history.stdout)
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile text

pub const ESCAPES: &str = "\u{1b}[31m\u{1b}]0;owned\u{7}\u{9b}2J\u{202e}";

/// Issue 12 §2: `"ImageId":"../../etc/passwd\u001b[31m"` reached stdout, the suggested
/// `ecsimg watch` line, the journal and `history`.
#[test]
fn a_create_answer_with_a_hostile_image_id_is_refused_and_recorded() {
    let server = Hostile::start(|_| {
        Reply::json(
            200,
            &serde_json::json!({
                "RequestId": format!("R-{ESCAPES}"),
                "ImageId": format!("../../etc/passwd{ESCAPES}"),
            }),
        )
    });
    let home = Home::new("");
    let recipe = home.recipe();
    let output = home
        .ecsimg(&server.url, &["create", "--recipe", &recipe, "--yes"])
        .output()
        .expect("runs");
    assert_exit(&output, 3);
    assert_inert("stdout", &output.stdout);
    assert_inert("stderr", &output.stderr);
    let err = text(&output.stderr);
    assert!(err.contains("which is not a custom image ID"), "{err}");
    assert!(err.contains("watch --resume"), "{err}");
    assert!(text(&output.stdout).is_empty(), "no ImageId is printed");
    // The journal knows the request was sent and the answer was unusable.
    let entry = home.journal().read().expect("journal").entries.remove(0);
    assert_eq!(entry.image_id(), None);
    let open = entry.unsettled.expect("recorded");
    assert!(
        open.reason.contains("not a custom image ID"),
        "{}",
        open.reason
    );
    for args in [&["history"][..], &["history", "--output", "json"]] {
        let output = home.ecsimg(&server.url, args).output().expect("runs");
        assert_exit(&output, 0);
        assert_inert("history stdout", &output.stdout);
        assert_inert("history stderr", &output.stderr);
    }
}

/// Every string of a DescribeImages answer is shown escaped while an image is watched.
#[test]
fn watched_images_show_server_text_escaped() {
    let server = Hostile::start(|request| match request.action().as_str() {
        "DescribeImages" => Reply::json(
            200,
            &serde_json::json!({
                "RequestId": "R",
                "TotalCount": 1, "PageNumber": 1, "PageSize": 100,
                "Images": {"Image": [{
                    "ImageId": "m-bp1hostile000000001",
                    "ImageName": format!("name{ESCAPES}"),
                    "Status": format!("Creating{ESCAPES}"),
                    "Progress": format!("45%{ESCAPES}"),
                    "DiskDeviceMappings": {"DiskDeviceMapping": [{
                        "Device": format!("/dev/xvda{ESCAPES}"),
                        "Size": "40", "Progress": "30%", "RemainTime": 12,
                    }]},
                }]},
            }),
        ),
        _ => Reply::json(400, &serde_json::json!({"Code": "Unexpected"})),
    });
    let home = Home::new("[watch]\npoll_interval = \"1s\"\n");
    for format in ["text", "json"] {
        let output = home
            .ecsimg(
                &server.url,
                &[
                    "watch",
                    "m-bp1hostile000000001",
                    "--timeout",
                    "1500ms",
                    "--output",
                    format,
                ],
            )
            .output()
            .expect("runs");
        assert_exit(&output, 5);
        assert_inert(&format!("{format} stdout"), &output.stdout);
        assert_inert(&format!("{format} stderr"), &output.stderr);
    }
}

/// A journal edited by someone else is shown inert by `history`.
#[test]
fn history_shows_a_tampered_journal_inert() {
    let home = Home::new("");
    let mut spec = ecsimg::spec::ImageSpec::default();
    spec.image.name = Some(format!("tampered{ESCAPES}"));
    let mut submission = ecsimg::journal::Submission::new(
        &spec,
        ecsimg::spec::to_params(&spec),
        format!("http://127.0.0.1:1/{ESCAPES}"),
        "test",
    );
    submission.region = format!("cn-hangzhou{ESCAPES}");
    home.journal().submit(&submission).expect("journaled");
    let mut bytes = std::fs::read(home.path("journal.jsonl")).expect("journal");
    bytes.extend_from_slice(format!("not json {ESCAPES}\n").as_bytes());
    std::fs::write(home.path("journal.jsonl"), bytes).expect("tampered");
    for args in [&["history"][..], &["history", "--output", "json"]] {
        let output = home
            .ecsimg("http://127.0.0.1:1", args)
            .output()
            .expect("runs");
        assert_exit(&output, 0);
        assert_inert("history stdout", &output.stdout);
        assert_inert("history stderr", &output.stderr);
        assert!(text(&output.stdout).contains("tampered"));
    }
}

// ---------------------------------------------------------------------------------------------
// Absurd pauses

/// Issue 12 §4: a server's pause of u64::MAX milliseconds panics nothing and holds nothing up.
#[test]
fn a_pause_of_u64_max_milliseconds_is_bounded() {
    let server = Hostile::start(|_| Reply::Full {
        status: 503,
        headers: vec![("x-acs-retry-after".into(), u64::MAX.to_string())],
        body: br#"{"Code":"Throttling","Message":"slow down","RequestId":"R"}"#.to_vec(),
    });
    let home = Home::new("[network]\ncall_timeout = \"2s\"\n");
    let recipe = home.recipe();
    let started = Instant::now();
    let dry = home
        .ecsimg(&server.url, &["create", "--recipe", &recipe, "--dry-run"])
        .output()
        .expect("runs");
    assert_exit(&dry, 3);
    assert!(
        text(&dry.stderr).contains("Throttling"),
        "{}",
        text(&dry.stderr)
    );
    let watch = home
        .ecsimg(
            &server.url,
            &["watch", "m-bp1pause00000000001", "--timeout", "2s"],
        )
        .output()
        .expect("runs");
    assert_exit(&watch, 5);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(!text(&watch.stderr).contains("panicked"));
}

// ---------------------------------------------------------------------------------------------
// Files that are not what they claim

/// Issue 12 §5: `preview --recipe /dev/zero` grew to 7 GB and `create --config /dev/zero` was
/// killed by the kernel; a FIFO would block forever.
#[cfg(unix)]
#[test]
fn devices_fifos_and_huge_files_are_refused_at_once() {
    let home = Home::new("");
    let fifo = home.path("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let huge = home.path("huge.toml");
    std::fs::write(&huge, "# padding\n".repeat(200_000)).expect("2 MB file");
    let recipe = home.recipe();
    let started = Instant::now();
    for bad in [Path::new("/dev/zero"), &fifo, &huge] {
        let bad = bad.display().to_string();
        let preview = home
            .command(&["preview", "--recipe", &bad])
            .output()
            .expect("runs");
        assert_exit(&preview, 2);
        let err = text(&preview.stderr);
        assert!(
            err.contains(&format!("cannot read recipe {bad}: it is")),
            "{err}"
        );
        let create = home
            .command(&["create", "--recipe", &recipe, "--yes", "--config", &bad])
            .output()
            .expect("runs");
        assert_exit(&create, 2);
        let err = text(&create.stderr);
        assert!(
            err.contains(&format!("cannot read config file {bad}: it is")),
            "{err}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    let preview = home
        .command(&["preview", "--recipe", "/dev/zero"])
        .output()
        .expect("runs");
    let err = text(&preview.stderr);
    assert!(
        err.contains("a character device, not a regular file"),
        "{err}"
    );
}
