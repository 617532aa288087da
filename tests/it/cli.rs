//! End-to-end tests of the scripted commands: the real `ecsimg` binary against `ecsimg sim
//! serve` started by each test, with HOME, the journal and the credentials pointed into a
//! temporary directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use ecsimg::api::Credentials;
use ecsimg::api::model::{ImageQuery, WATCH_STATUSES};
use ecsimg::api::{Client, ClientConfig, Endpoint};
use ecsimg::journal::Journal;
use ecsimg::secret::Secret;

pub const BIN: &str = env!("CARGO_BIN_EXE_ecsimg");
pub const SANDBOX_ID: &str = "LTAIsandbox";
pub const SANDBOX_SECRET: &str = "sandbox-secret";
pub const RUNNING: &str = "i-bp1g6zv0ce8oghu7k2a1";
/// Images of this instance end in CreateFailed at 60 %.
const FAILS_AT_60: &str = "i-bp1r7w2m5k9tq3xn8yce";

/// `ecsimg sim serve` on a free port; killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
}

impl Sim {
    pub fn start(speed: &str) -> Sim {
        Sim::start_with(speed, &[])
    }

    /// `sim serve` with more arguments (e.g. `--data SEED`).
    pub fn start_with(speed: &str, args: &[&str]) -> Sim {
        let mut child = Command::new(BIN)
            .args(["sim", "serve", "--listen", "127.0.0.1:0", "--speed", speed])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sim serve starts");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("banner");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("banner: {line:?}"))
            .to_string();
        Sim { child, url }
    }

    /// A client of the simulator in cn-hangzhou, signing with the sandbox key.
    pub fn client(&self) -> Client {
        let credentials = Credentials {
            access_key_id: SANDBOX_ID.into(),
            access_key_secret: Secret::new(SANDBOX_SECRET),
            security_token: None,
        };
        Client::new(
            ClientConfig::new("cn-hangzhou", credentials)
                .with_endpoint(Endpoint::parse(&self.url).expect("url")),
        )
        .expect("client")
    }

    /// Custom images named `name`, as the simulator reports them.
    pub fn images_named(&self, name: &str) -> Vec<(String, String)> {
        let client = self.client();
        let query = ImageQuery {
            statuses: WATCH_STATUSES.iter().map(|s| s.to_string()).collect(),
            image_name: Some(name.to_string()),
            image_owner_alias: Some("self".into()),
            ..ImageQuery::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime
            .block_on(client.describe_images_all(&query))
            .expect("DescribeImages")
            .into_iter()
            .filter(|i| i.image_name == name)
            .map(|i| (i.image_id, i.status))
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A simulator in this process (so a test can reach into it), on a runtime of its own that
/// outlives it.
pub struct InProcess {
    pub sim: ecsimg::sim::RunningSim,
    /// Runs the simulator's tasks; dropped after it.
    _runtime: tokio::runtime::Runtime,
}

impl InProcess {
    pub fn start(config: ecsimg::sim::SimConfig) -> InProcess {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let sim = runtime
            .block_on(ecsimg::sim::start(config))
            .expect("the simulator starts");
        InProcess {
            sim,
            _runtime: runtime,
        }
    }
}

/// A scratch HOME with a journal, and a simulator.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub sim: Sim,
}

impl Env {
    pub fn new(speed: &str) -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
            sim: Sim::start(speed),
        }
    }

    /// An environment whose simulator reads the seed `seed` (TOML text).
    pub fn seeded(speed: &str, seed: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("seed.toml");
        std::fs::write(&path, seed).expect("seed written");
        let sim = Sim::start_with(speed, &["--data", &path.display().to_string()]);
        Env { dir, sim }
    }

    /// An environment whose simulator has one more key, `key_id`, of a RAM user that may do
    /// everything but `action` (an explicit Deny, named in the refusal's detail). Commands
    /// sign with it through [`Env::cmd_as`].
    pub fn denying(speed: &str, action: &str, key_id: &str) -> Env {
        let policy = format!(
            r#"{{"Version": "1", "Statement": [
                {{"Effect": "Allow", "Action": "*", "Resource": "*"}},
                {{"Effect": "Deny", "Action": "{action}", "Resource": "*"}}]}}"#
        );
        let seed = format!(
            "{}\n[[access_keys]]\nid = \"{key_id}\"\nsecret = \"{}\"\n\
             user = \"builder\"\ndenial_detail = true\npolicy = '''{policy}'''\n",
            ecsimg::sim::SANDBOX_TOML,
            secret_of(key_id)
        );
        Env::seeded(speed, &seed)
    }

    /// [`Env::cmd`] signing with the key `key_id` of [`Env::denying`].
    pub fn cmd_as(&self, key_id: &str, args: &[&str]) -> Command {
        let mut cmd = self.cmd(args);
        cmd.env("ALIBABA_CLOUD_ACCESS_KEY_ID", key_id)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret_of(key_id));
        cmd
    }

    pub fn journal_path(&self) -> PathBuf {
        self.dir.path().join("journal.jsonl")
    }

    pub fn journal(&self) -> Journal {
        Journal::at(self.journal_path())
    }

    /// `ecsimg ARGS --endpoint SIM` with nothing from the real environment but PATH.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.cmd_without_endpoint(args);
        cmd.args(["--endpoint", &self.sim.url]);
        cmd
    }

    /// `ecsimg ARGS` in this environment, with no endpoint named.
    pub fn cmd_without_endpoint(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("ECSIMG_JOURNAL", self.journal_path())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", SANDBOX_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SANDBOX_SECRET)
            // Without keys the chain would ask the instance metadata service last: no test
            // sends a packet off this machine.
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("ecsimg runs")
    }

    pub fn recipe(&self, name: &str, body: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, body).expect("recipe written");
        path.display().to_string()
    }
}

/// The secret of a key [`Env::denying`] adds.
fn secret_of(key_id: &str) -> String {
    format!("{key_id}-secret")
}

pub fn recipe(instance: &str, name: &str) -> String {
    format!(
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"{instance}\"\n\
         [image]\nname = \"{name}\"\n[tags]\nenv = \"test\"\n"
    )
}

/// Runs `create` with the test hook that stops it for good right after CreateImage was sent,
/// and kills it there (SIGKILL): the answer never reaches the journal.
pub fn kill_after_create_was_sent(create: Command) {
    kill_at_test_hook(
        create,
        "ECSIMG_TEST_PAUSE_AFTER_SEND",
        "paused after CreateImage was sent",
    );
}

/// Runs `cmd` with the test hook `hook` set, waits until it says `marker` on stderr (it then
/// waits for good), and kills it there (SIGKILL).
pub fn kill_at_test_hook(mut cmd: Command, hook: &str, marker: &str) {
    let mut child = cmd
        .env(hook, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stderr = BufReader::new(child.stderr.take().expect("piped"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut paused = false;
    for line in stderr.lines() {
        if line.expect("stderr").contains(marker) {
            paused = true;
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never paused");
    }
    assert!(paused, "the command ended before it paused");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn today() -> String {
    chrono::Local::now().format("%Y%m%d").to_string()
}

#[test]
fn a_recipe_goes_through_preview_dry_run_create_and_watch_to_available() {
    let env = Env::new("50");
    let recipe = env.recipe("web.toml", &recipe(RUNNING, "web-{date}"));
    let name = format!("web-{}", today());

    let preview = env.run(&["preview", "--recipe", &recipe]);
    assert_exit(&preview, 0);
    assert!(text(&preview.stdout).contains(&format!("ImageName={name}\n")));
    let cli = env.run(&["preview", "--recipe", &recipe, "--format", "cli"]);
    assert!(
        text(&cli.stdout).starts_with("aliyun ecs CreateImage"),
        "{}",
        text(&cli.stdout)
    );

    let dry = env.run(&["create", "--recipe", &recipe, "--dry-run"]);
    assert_exit(&dry, 0);
    assert!(text(&dry.stderr).contains("DryRun passed"));
    assert!(
        env.sim.images_named(&name).is_empty(),
        "a dry run creates nothing"
    );

    let created = env.run(&["create", "--recipe", &recipe, "--yes", "--no-wait"]);
    assert_exit(&created, 0);
    let image_id = text(&created.stdout).trim().to_string();
    assert!(image_id.starts_with("m-"), "{image_id}");

    // Global options after the subcommand, the region included.
    let watch = env.run(&["watch", &image_id, "--region", "cn-hangzhou"]);
    assert_exit(&watch, 0);
    assert_eq!(text(&watch.stdout), format!("{image_id}\tAvailable\n"));
    assert!(
        text(&watch.stderr).contains("finished after"),
        "{}",
        text(&watch.stderr)
    );
    assert_eq!(
        env.sim.images_named(&name),
        [(image_id.clone(), "Available".into())]
    );

    // Create and wait in one go, JSON lines on stdout, with an override.
    let json = env.run(&[
        "create",
        "--recipe",
        &recipe,
        "--yes",
        "--output",
        "json",
        "--set",
        "image.name=api-{date}",
    ]);
    assert_exit(&json, 0);
    let events: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(events[0]["event"], "submitted");
    assert_eq!(events[1]["event"], "created");
    let last = events.last().expect("events");
    assert_eq!(
        (&last["event"], &last["outcome"]),
        (&"finished".into(), &"available".into())
    );
    assert!(events.iter().any(|e| e["event"] == "progress"));

    let history = env.run(&["history", "--output", "json"]);
    assert_exit(&history, 0);
    let rows: Vec<serde_json::Value> = text(&history.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["image_id"], image_id.as_str());
    assert_eq!(rows[0]["status"], "Available");
    assert_eq!(rows[1]["image_name"], format!("api-{}", today()).as_str());
    assert_eq!(rows[1]["status"], "Available");
    let table = env.run(&["history"]);
    assert!(
        text(&table.stdout).contains(&format!("{name}  {image_id}  Available")),
        "{}",
        text(&table.stdout)
    );
}

#[test]
fn invalid_input_exits_2_with_file_line_field_and_rule() {
    let env = Env::new("50");
    let broken = env.recipe("broken.toml", "region = \"cn-hangzhou\"\n[source\n");
    let out = env.run(&["create", "--recipe", &broken, "--yes"]);
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("broken.toml:2:"),
        "{}",
        text(&out.stderr)
    );

    let bad_name = env.recipe("bad.toml", &recipe(RUNNING, "1-starts-with-a-digit"));
    let out = env.run(&["create", "--recipe", &bad_name, "--yes"]);
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml:5:8: image.name: "), "{err}");
    assert!(err.contains("[rule: InvalidImageName.Malformed]"), "{err}");

    let unknown = env.recipe("unknown.toml", "region = \"cn-hangzhou\"\nsorce = 1\n");
    let out = env.run(&["preview", "--recipe", &unknown]);
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("unknown.toml:2:1: unknown field `sorce`"));

    let ok = env.recipe("ok.toml", &recipe(RUNNING, "fine"));
    let out = env.run(&["create", "--recipe", &ok, "--set", "image.nmae=x"]);
    assert_exit(&out, 2);
    let out = env.run(&[
        "create",
        "--recipe",
        &ok,
        "--set",
        "image.name=9lives",
        "--yes",
    ]);
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("(from --set image.name)"));
    let out = env.run(&["create", "--recipe", "/nonexistent/recipe.toml", "--yes"]);
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("cannot read recipe /nonexistent/recipe.toml"));

    // No terminal and no --yes: refused before anything is journaled or sent.
    let out = env.run(&["create", "--recipe", &ok]);
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("Pass --yes"),
        "{}",
        text(&out.stderr)
    );
    assert!(!env.journal_path().exists());

    // No credentials anywhere.
    let out = env
        .cmd(&["create", "--recipe", &ok, "--yes"])
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .output()
        .expect("runs");
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("No Alibaba Cloud credentials found"));
    assert!(
        text(&out.stderr)
            .contains("ECS instance metadata: skipped (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)"),
        "{}",
        text(&out.stderr)
    );
    assert!(env.sim.images_named("fine").is_empty());
}

#[test]
fn api_errors_exit_3_and_failed_builds_exit_4() {
    let env = Env::new("50");
    let missing = env.recipe("missing.toml", &recipe("i-bp1doesnotexist0000", "ghost"));
    let out = env.run(&["create", "--recipe", &missing, "--yes"]);
    assert_exit(&out, 3);
    let err = text(&out.stderr);
    assert!(err.contains("InvalidInstanceId.NotFound"), "{err}");
    assert!(err.contains("what to do: "), "{err}");
    let history = env.journal().read().expect("journal");
    assert_eq!(history.entries.len(), 1);
    assert!(!history.entries[0].needs_recovery(), "a refusal is settled");

    let failing = env.recipe("fails.toml", &recipe(FAILS_AT_60, "doomed"));
    let out = env.run(&["create", "--recipe", &failing, "--yes"]);
    assert_exit(&out, 4);
    let err = text(&out.stderr);
    assert!(err.contains("CreateFailed"), "{err}");
    assert!(err.contains("what to try: "), "{err}");
    let entry = env.journal().read().expect("journal").entries.remove(1);
    assert_eq!(entry.last_status(), "CreateFailed");
    assert!(!entry.is_unfinished());
}

#[test]
fn a_timeout_exits_5_and_an_interrupt_exits_130_and_the_build_goes_on() {
    let env = Env::new("1");
    let slow = env.recipe("slow.toml", &recipe(RUNNING, "slow"));
    let out = env.run(&["create", "--recipe", &slow, "--yes", "--timeout", "300ms"]);
    assert_exit(&out, 5);
    assert!(
        text(&out.stderr).contains("timed out"),
        "{}",
        text(&out.stderr)
    );
    let [(_, status)] = &env.sim.images_named("slow")[..] else {
        panic!()
    };
    assert_eq!(status, "Creating");

    let watched = env.recipe("watched.toml", &recipe(RUNNING, "interrupted"));
    let mut child = env
        .cmd(&["create", "--recipe", &watched, "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the ImageId line");
    let image_id = line.trim().to_string();
    assert!(image_id.starts_with("m-"), "{line:?}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let out = child.wait_with_output().expect("exits");
    assert_exit(&out, 130);
    assert!(
        text(&out.stderr).contains(&format!("watch {image_id} --region cn-hangzhou`")),
        "{}",
        text(&out.stderr)
    );
    let entry = env.journal().read().expect("journal").entries.remove(1);
    assert_eq!(entry.image_id(), Some(image_id.as_str()));
    assert!(
        entry.is_unfinished(),
        "the last status seen is recorded as not final"
    );
    assert_eq!(env.sim.images_named("interrupted")[0].1, "Creating");
}

#[test]
fn help_and_completions_are_there() {
    let env = Env::new("50");
    let help = env.run(&["create", "--help"]);
    assert_exit(&help, 0);
    let help = text(&help.stdout);
    assert!(
        help.contains("--dry-run") && help.contains("{date}"),
        "{help}"
    );
    let top = text(&env.run(&["--help"]).stdout);
    assert!(top.contains("4    image build failed"), "{top}");
    let completions = env.run(&["completions", "bash"]);
    assert_exit(&completions, 0);
    assert!(text(&completions.stdout).contains("ecsimg"));
    assert!(Path::new(BIN).exists());
}

#[test]
fn image_check_findings_are_shown_when_asked_for() {
    let env = Env::new("50");
    let body = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1a3fn8rvl2nqw0t5xk\"\n\
                [image]\nname = \"db-{date}\"\n[features]\ndetection_strategy = \"Standard\"\n";
    let recipe = env.recipe("db.toml", body);
    let out = env.run(&["create", "--recipe", &recipe, "--yes"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(err.contains("image check: High risk: NVMeDriver"), "{err}");
    assert!(
        err.contains("(High: instances launched from this image"),
        "{err}"
    );
}

/// `ecsimg ARGS` (the wizard) with HOME in `home` and no terminal: input mistakes are
/// reported before the wizard would need one.
fn wizard_run(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("ecsimg runs")
}

#[test]
fn the_wizard_exits_2_on_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.toml");
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[ui]\nmouse = true\nmose = false\n").expect("config written");
    let cases: [(&[&str], &str); 3] = [
        (
            &["--config", &missing.display().to_string()],
            "missing.toml",
        ),
        (&["--config", &typo.display().to_string()], "mose"),
        (
            &["--sandbox", "--endpoint", "http://127.0.0.1:1"],
            "--endpoint",
        ),
    ];
    for (args, named) in cases {
        let output = wizard_run(dir.path(), args);
        assert_exit(&output, 2);
        let stderr = text(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn policy_names_the_account_sts_gives_else_any() {
    let env = Env::new("20");
    let recipe = env.recipe("r.toml", &recipe(RUNNING, "golden"));
    // Credentials at hand: GetCallerIdentity names the account in every ARN.
    let known = env.run(&["policy", "--recipe", &recipe]);
    assert_exit(&known, 0);
    let document: serde_json::Value = serde_json::from_slice(&known.stdout).expect("JSON alone");
    let resources = document.to_string();
    assert!(
        resources.contains("acs:ecs:cn-hangzhou:1234567890123456:instance/"),
        "{resources}"
    );
    assert!(!resources.contains(":*:"), "{resources}");
    // No credentials: `*`, and one line on stderr saying why.
    let mut bare = env.cmd(&["policy", "--recipe", &recipe]);
    bare.env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    let unknown = bare.output().expect("ecsimg runs");
    assert_exit(&unknown, 0);
    assert!(text(&unknown.stdout).contains("acs:ecs:cn-hangzhou:*:instance/"));
    let why = text(&unknown.stderr);
    assert_eq!(why.lines().count(), 1, "{why}");
    assert!(
        why.contains("GetCallerIdentity: No Alibaba Cloud credentials found"),
        "{why}"
    );
    // `--account '*'` asks nothing and says nothing.
    let any = env.run(&["policy", "--recipe", &recipe, "--account", "*"]);
    assert_exit(&any, 0);
    assert!(text(&any.stderr).is_empty(), "{}", text(&any.stderr));
}

#[test]
fn preview_prints_the_recipes_warnings_on_stderr_as_create_does() {
    let env = Env::new("50");
    // Encrypted copies with no KMS key named: a warning, not an error.
    let keyless = format!(
        "{}[delivery]\ncopy_to = [\"cn-beijing\"]\nencrypt_copies = true\n",
        recipe(RUNNING, "web-warned")
    );
    let path = env.recipe("web.toml", &keyless);
    let warning = "warning: delivery.encrypt_copies: The copies to cn-beijing name no KMS key";
    for format in ["params", "cli", "json", "recipe", "policy"] {
        let out = env.run(&["preview", "--recipe", &path, "--format", format]);
        assert_exit(&out, 0);
        assert!(
            text(&out.stderr).contains(warning),
            "{format}: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        assert!(!stdout.contains("warning"), "{format}: {stdout}");
        if format == "json" {
            let params: serde_json::Value =
                serde_json::from_str(&stdout).expect("stdout is the JSON object alone");
            assert_eq!(params["ImageName"], "web-warned");
        }
    }
    // Without the warning's cause, none.
    let quiet = env.recipe(
        "quiet.toml",
        &keyless.replace("encrypt_copies = true\n", ""),
    );
    let out = env.run(&["preview", "--recipe", &quiet]);
    assert_exit(&out, 0);
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );

    let dry = env.run(&["create", "--recipe", &path, "--dry-run"]);
    assert!(text(&dry.stderr).contains(warning), "{}", text(&dry.stderr));
}
