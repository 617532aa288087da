//! The journal from the command line: `history` only reads and
//! marks lost answers, `watch --resume` is the one command that recovers them, statuses stay
//! with their own submission, hints in a sandbox session say `--sandbox`, a journal open to
//! others is made private, and bad global options exit 2 from every command.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ecsimg::api::Endpoint;
use ecsimg::journal::{Journal, Submission};
use ecsimg::spec::{ImageSpec, Source, to_params};

use crate::cli::{BIN, Env, RUNNING, assert_exit, kill_after_create_was_sent, recipe, text};
use crate::hostile::{Hostile, Reply, signal_and_wait};

/// A submission journaled by a process that died before its answer was recorded.
fn orphan(name: &str, endpoint: &str) -> Submission {
    let mut spec = ImageSpec {
        source: Source::Instance {
            instance_id: RUNNING.into(),
        },
        ..ImageSpec::default()
    };
    spec.image.name = Some(name.into());
    let endpoint = Endpoint::parse(endpoint).expect("url").to_string();
    Submission::new(&spec, to_params(&spec), endpoint, "test")
}

#[test]
fn kill_9_between_send_and_record_is_recovered_by_watch_resume() {
    let env = Env::new("50");
    let recipe_path = env.recipe("crash.toml", &recipe(RUNNING, "crash-test"));
    kill_after_create_was_sent(env.cmd(&[
        "create",
        "--recipe",
        &recipe_path,
        "--yes",
        "--no-wait",
    ]));

    // Sent, but the answer never reached the journal.
    let history = env.journal().read().expect("journal");
    assert_eq!(history.entries.len(), 1);
    assert!(history.entries[0].needs_recovery());
    let [(made, _)] = &env.sim.images_named("crash-test")[..] else {
        panic!("the first send made exactly one image")
    };

    let resume = env.run(&["watch", "--resume"]);
    assert_exit(&resume, 0);
    let err = text(&resume.stderr);
    assert!(err.contains(&format!("ImageId {made}")), "{err}");
    assert_eq!(text(&resume.stdout), format!("{made}\tAvailable\n"));
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert_eq!(entry.image_id(), Some(made.as_str()));
    assert_eq!(entry.last_status(), "Available");
    assert_eq!(
        env.sim.images_named("crash-test").len(),
        1,
        "no second image"
    );

    // Nothing left to resume.
    let again = env.run(&["watch", "--resume"]);
    assert_exit(&again, 0);
    assert!(text(&again.stderr).contains("nothing to watch"));
}

#[test]
fn history_only_reads_and_survives_a_damaged_journal() {
    let env = Env::new("50");
    let recipe_path = env.recipe("r.toml", &recipe(RUNNING, "kept"));
    let out = env.run(&["create", "--recipe", &recipe_path, "--yes", "--no-wait"]);
    assert_exit(&out, 0);
    let image_id = text(&out.stdout).trim().to_string();
    let mut bytes = std::fs::read(env.journal_path()).expect("journal");
    let good_lines = bytes.iter().filter(|b| **b == b'\n').count();
    bytes.splice(0..0, b"garbage that is not JSON\n".iter().copied());
    bytes.extend_from_slice(b"{\"kind\":\"status\",\"image_id\":");
    std::fs::write(env.journal_path(), &bytes).expect("damaged");
    env.journal()
        .submit(&orphan("orphan", &env.sim.url))
        .expect("journaled");

    let out = env.run(&["history"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(err.contains("line 1: not a journal record"), "{err}");
    assert!(
        err.contains(&format!("line {}: truncated record", good_lines + 2)),
        "{err}"
    );
    let table = text(&out.stdout);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.contains(&format!("  {name} ")))
            .unwrap_or_else(|| panic!("{name} in {table}"))
            .to_string()
    };
    assert!(
        row("kept").contains(&image_id) && row("kept").ends_with("Submitted"),
        "{table}"
    );
    // Marked, not recovered: nothing was sent.
    let resume = format!("ecsimg --endpoint {} watch --resume", env.sim.url);
    assert!(
        row("orphan").ends_with(&format!("answer lost — `{resume}` recovers it")),
        "{table}"
    );
    assert!(
        env.sim.images_named("orphan").is_empty(),
        "history sent CreateImage"
    );
    assert!(
        err.contains(&format!(
            "1 submission(s) have no recorded answer; `{resume}`"
        )),
        "{err}"
    );

    // `watch --resume` recovers it and follows both; later records land on lines of their own.
    // A submission sent to another endpoint is named, never sent here.
    env.journal()
        .submit(&orphan("elsewhere", "http://127.0.0.1:9"))
        .expect("journaled");
    let out = env.run(&["watch", "--resume"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stderr).contains(
            "1 submission(s) whose answer was lost were sent to another endpoint \
             (http://127.0.0.1:9)"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(env.sim.images_named("elsewhere").is_empty());
    let [(recovered, _)] = &env.sim.images_named("orphan")[..] else {
        panic!("recovered once")
    };
    assert!(text(&out.stderr).contains(&format!("ImageId {recovered}")));
    let history = env.journal().read().expect("journal");
    assert_eq!(history.entries[0].last_status(), "Available");
    assert_eq!(history.entries[1].image_id(), Some(recovered.as_str()));
    assert_eq!(history.entries[1].last_status(), "Available");
    assert_eq!(history.problems.len(), 2);
}

/// `history` sends no request at all, whatever the journal holds.
#[test]
fn history_sends_nothing() {
    let server = Hostile::start(|_| Reply::json(500, &serde_json::json!({"Code": "Nope"})));
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::at(dir.path().join("journal.jsonl"));
    journal
        .submit(&orphan("lost", &server.url))
        .expect("journaled");
    for args in [&["history"][..], &["history", "--output", "json"]] {
        let out = Command::new(BIN)
            .env_clear()
            .env("HOME", dir.path())
            .env("ECSIMG_JOURNAL", journal.path())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIquiet")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "quiet-secret")
            .args(args)
            .args(["--endpoint", &server.url])
            .output()
            .expect("runs");
        assert_exit(&out, 0);
        assert!(text(&out.stdout).contains("lost"));
    }
    assert_eq!(server.requests(), 0, "history made a request");
}

/// Issue 11 §1: a later sandbox session (a new simulator, which may hand out the same
/// ImageIds) never changes what the journal says about an earlier session's image.
#[test]
fn a_later_sandbox_session_leaves_earlier_entries_alone() {
    let env = Env::new("50");
    let recipe_path = env.recipe("r.toml", &recipe(RUNNING, "first-session"));
    let sandbox = |args: &[&str]| {
        let mut command = env.cmd_without_endpoint(args);
        command.arg("--sandbox");
        command.output().expect("runs")
    };
    let first = sandbox(&["create", "--recipe", &recipe_path, "--yes", "--no-wait"]);
    assert_exit(&first, 0);
    let image_id = text(&first.stdout).trim().to_string();
    let before = env.journal().read().expect("journal").entries.remove(0);
    assert_eq!(before.last_status(), "Submitted");
    // The second session's simulator does not have that image.
    let later = sandbox(&["watch", &image_id, "--timeout", "1s"]);
    assert_exit(&later, 5);
    let resumed = sandbox(&["watch", "--resume", "--timeout", "1s"]);
    assert_exit(&resumed, 0);
    assert!(
        text(&resumed.stderr)
            .contains("1 submission(s) still building came from earlier sandbox sessions"),
        "{}",
        text(&resumed.stderr)
    );
    let after = env.journal().read().expect("journal").entries.remove(0);
    assert_eq!(after, before, "a later session changed an earlier entry");
}

/// Every hint naming `ecsimg watch` or `ecsimg history` in a sandbox session says `--sandbox`.
#[test]
fn sandbox_hints_name_the_sandbox() {
    let env = Env::new("50");
    let recipe_path = env.recipe("r.toml", &recipe(RUNNING, "hinted"));
    let sandbox = |args: &[&str]| {
        let mut command = env.cmd_without_endpoint(args);
        command.arg("--sandbox");
        command
    };
    let no_wait = sandbox(&["create", "--recipe", &recipe_path, "--yes", "--no-wait"])
        .output()
        .expect("runs");
    assert_exit(&no_wait, 0);
    let image_id = text(&no_wait.stdout).trim().to_string();
    let err = text(&no_wait.stderr);
    assert!(
        err.contains(&format!(
            "`ecsimg --sandbox watch {image_id} --region cn-hangzhou`"
        )),
        "{err}"
    );
    let timed_out = sandbox(&[
        "create",
        "--recipe",
        &recipe_path,
        "--yes",
        "--timeout",
        "200ms",
    ])
    .output()
    .expect("runs");
    assert_exit(&timed_out, 5);
    let err = text(&timed_out.stderr);
    assert!(
        err.contains("follow it again with `ecsimg --sandbox watch m-"),
        "{err}"
    );
    // Interrupted while watching.
    let mut child = sandbox(&["create", "--recipe", &recipe_path, "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the ImageId line");
    let (out, _) = signal_and_wait(child, "INT");
    assert_exit(&out, 130);
    let err = text(&out.stderr);
    assert!(err.contains("`ecsimg --sandbox watch m-"), "{err}");
    // A lost answer in the sandbox journal.
    env.journal()
        .submit(&orphan("lost", &env.sim.url))
        .expect("journaled");
    let history = sandbox(&["history"]).output().expect("runs");
    assert_exit(&history, 0);
    assert!(
        text(&history.stdout).contains("answer lost — `ecsimg --sandbox watch --resume`"),
        "{}",
        text(&history.stdout)
    );
    for out in [&no_wait, &timed_out, &out, &history] {
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        for hint in ["`ecsimg watch", "`ecsimg history"] {
            assert!(!all.contains(hint), "{hint} without --sandbox:\n{all}");
        }
    }
}

/// Issue 12 §7: a journal left readable by others is made private by the next command.
#[cfg(unix)]
#[test]
fn a_journal_open_to_others_is_made_private_and_said_so() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new("50");
    env.journal()
        .submit(&orphan("any", &env.sim.url))
        .expect("journaled");
    std::fs::set_permissions(env.journal_path(), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let out = env.run(&["history"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(err.contains("(mode 644); it is now 600"), "{err}");
    let mode = std::fs::metadata(env.journal_path())
        .expect("journal")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Issue 11 §6: bad global options exit 2 from every scripted command, before anything runs.
#[test]
fn bad_global_options_exit_2_from_every_command() {
    let env = Env::new("50");
    let recipe_path = env.recipe("r.toml", &recipe(RUNNING, "never"));
    let bad_config = env.recipe("bad-config.toml", "[network]\nread_timout = \"5s\"\n");
    let commands: [&[&str]; 6] = [
        &["create", "--recipe", &recipe_path, "--dry-run"],
        &["create", "--recipe", &recipe_path, "--yes"],
        &["watch", "m-bp1never00000000001"],
        &["watch", "--resume"],
        &["history"],
        &["preview", "--recipe", &recipe_path],
    ];
    let started = Instant::now();
    for args in commands {
        for (extra, says) in [
            (
                &["--sandbox", "--endpoint", "http://127.0.0.1:1"][..],
                "--sandbox runs the embedded simulator",
            ),
            (&["--config", "/nonexistent/ecsimg.toml"], "does not exist"),
            (
                &["--config", bad_config.as_str()],
                "unknown field `read_timout`",
            ),
            (&["--config", "/dev/zero"], "a character device"),
            (&["--endpoint", "http://ecs.example.com"], "--endpoint: "),
        ] {
            let out = env
                .cmd_without_endpoint(args)
                .args(extra)
                .output()
                .expect("runs");
            assert_exit(&out, 2);
            let err = text(&out.stderr);
            assert!(err.contains(says), "{args:?} {extra:?}: {err}");
        }
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!env.journal_path().exists(), "nothing was journaled");
    assert!(env.sim.images_named("never").is_empty());
}
