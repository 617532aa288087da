//! Stopping the source instance and starting it again without the UI: the real
//! binary against `ecsimg sim serve` — `create` with `[source] stop` and `restart`, its
//! progress lines and JSON events, a failed build still restarted, an instance ecsimg did not
//! stop left alone, `preview` naming every call, `watch --resume` restarting after a crash,
//! and a hostile server's text shown inert.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ecsimg::api::model::{Instance, InstanceQuery};
use ecsimg::journal::InstanceStop;

use crate::cli::{Env, RUNNING, assert_exit, kill_after_create_was_sent, text};
use crate::hostile::{ESCAPES, Hostile, Reply, assert_inert};

/// A Stopped instance (not stopped by ecsimg).
const STOPPED: &str = "i-bp1a3fn8rvl2nqw0t5xk";
/// Running; its images end in CreateFailed at 60 %; not in a VPC (economical mode does not
/// apply).
const FAILS_AT_60: &str = "i-bp1r7w2m5k9tq3xn8yce";

/// The safe plan: keep the resources, start again after the build.
const KEEP_AND_RESTART: &str = "stop = \"keep-charging\"\nrestart = true\n";

/// Writes `FILE` in the test's home: a recipe for `instance`, named `name`, with the
/// `[source]` lines `power`; returns its path.
fn recipe(env: &Env, file: &str, instance: &str, name: &str, power: &str) -> String {
    env.recipe(
        file,
        &format!(
            "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"{instance}\"\n{power}\
             [image]\nname = \"{name}\"\n"
        ),
    )
}

/// The instance as the simulator lists it now.
fn instance(env: &Env, id: &str) -> Instance {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(
            env.sim
                .client()
                .describe_instances_all(&InstanceQuery::one(id)),
        )
        .expect("DescribeInstances")
        .remove(0)
}

fn json_events(stdout: &[u8]) -> Vec<serde_json::Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn stops(env: &Env) -> Vec<ecsimg::journal::StopEntry> {
    env.journal().read().expect("journal").stops
}

#[test]
fn create_stops_the_instance_builds_and_starts_it_again() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "web.toml",
        RUNNING,
        "web-stopped",
        "stop = \"stop-charging\"\nrestart = true\n",
    );
    let out = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    let order = [
        "stopping i-bp1g6zv0ce8oghu7k2a1 (StopInstances, StopCharging, clean shutdown)",
        "no longer billed",
        "instance i-bp1g6zv0ce8oghu7k2a1: Stopped",
        "i-bp1g6zv0ce8oghu7k2a1 is Stopped (StopCharging); creating the image",
        "submitting (ClientToken",
        "finished after",
        "starting i-bp1g6zv0ce8oghu7k2a1 again (StartInstances), as the recipe asks",
        "i-bp1g6zv0ce8oghu7k2a1 is Running again",
    ];
    let mut from = 0;
    for line in order {
        let at = err[from..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} after byte {from} in:\n{err}"));
        from += at + line.len();
    }
    let now = instance(&env, RUNNING);
    assert_eq!(now.status, "Running");
    assert_ne!(
        now.public_ip_address.ip_address,
        ["47.98.12.34"],
        "economical mode released the public IP"
    );
    // Journaled: the stop (before StopInstances), the submission naming it, the start.
    let history = env.journal().read().expect("journal");
    let [stop] = &history.stops[..] else {
        panic!("one stop: {:?}", history.stops)
    };
    assert_eq!(stop.stop.instance_id, RUNNING);
    assert!(stop.stop.restart && stop.started.is_some());
    assert_eq!(
        stop.submission.as_deref(),
        Some(history.entries[0].submission.id.as_str())
    );
    let lines = std::fs::read_to_string(env.journal_path()).expect("journal");
    assert!(lines.starts_with("{\"kind\":\"stopping\""), "{lines}");

    // The same name again: CreateImage refuses it for good, and the instance starts again.
    let out = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&out, 3);
    let err = text(&out.stderr);
    assert!(err.contains("InvalidImageName.Duplicated"), "{err}");
    assert!(
        err.contains(&format!("{RUNNING} is Running again")),
        "{err}"
    );
    assert_eq!(instance(&env, RUNNING).status, "Running");
}

#[test]
fn json_events_tell_the_whole_round_trip() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "web.toml",
        RUNNING,
        "web-json",
        "stop = \"keep-charging\"\nrestart = true\n",
    );
    let out = env.run(&["create", "--recipe", &path, "--yes", "--output", "json"]);
    assert_exit(&out, 0);
    let events = json_events(&out.stdout);
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    let position = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{name} in {names:?}"))
    };
    assert!(position("instance_stopping") < position("instance_stopped"));
    assert!(position("instance_stopped") < position("submitted"));
    assert!(position("finished") < position("instance_starting"));
    assert!(position("instance_starting") < position("instance_running"));
    let stopping = &events[position("instance_stopping")];
    assert_eq!(stopping["instance_id"], RUNNING);
    assert_eq!(stopping["stopped_mode"], "KeepCharging");
    assert_eq!(stopping["force"], false);
    assert_eq!(
        events[position("instance_stopped")]["stopped_mode"],
        "KeepCharging"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "instance_status" && e["status"] == "Stopped")
    );
    assert_eq!(instance(&env, RUNNING).status, "Running");
}

#[test]
fn a_failed_build_still_starts_the_instance_again() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "win.toml",
        FAILS_AT_60,
        "win-fails",
        "stop = \"stop-charging\"\nforce_stop = true\nrestart = true\n",
    );
    let out = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&out, 4);
    let err = text(&out.stderr);
    assert!(err.contains("StopCharging, forced"), "{err}");
    assert!(
        err.contains("It is not pay-as-you-go in a VPC, so it stops in KeepCharging."),
        "{err}"
    );
    assert!(err.contains("is Running again"), "{err}");
    let now = instance(&env, FAILS_AT_60);
    assert_eq!(now.status, "Running");
    assert!(stops(&env)[0].started.is_some());
}

#[test]
fn an_instance_ecsimg_did_not_stop_is_never_started() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "db.toml",
        STOPPED,
        "db-image",
        "stop = \"keep-charging\"\nrestart = true\n",
    );
    let out = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(
        err.contains("it is Stopped already, so ecsimg neither stops it nor starts it again"),
        "{err}"
    );
    assert!(!err.contains("StartInstances"), "{err}");
    assert_eq!(instance(&env, STOPPED).status, "Stopped");
    assert!(stops(&env).is_empty(), "nothing to journal");
    // Nor does `watch --resume`.
    let out = env.run(&["watch", "--resume"]);
    assert_exit(&out, 0);
    assert_eq!(instance(&env, STOPPED).status, "Stopped");
}

#[test]
fn without_restart_the_instance_stays_stopped_and_says_so() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "web.toml",
        RUNNING,
        "web-down",
        "stop = \"keep-charging\"\n",
    );
    let out = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(
        err.contains("stays Stopped: the recipe does not say restart = true"),
        "{err}"
    );
    assert_eq!(instance(&env, RUNNING).status, "Stopped");
    // `watch --resume` does not start it either: the recipe did not ask.
    let out = env.run(&["watch", "--resume"]);
    assert_exit(&out, 0);
    assert_eq!(instance(&env, RUNNING).status, "Stopped");
}

#[test]
fn preview_names_every_call_and_bad_stop_keys_are_located() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "web.toml",
        RUNNING,
        "web",
        "stop = \"keep-charging\"\nrestart = true\n",
    );
    let out = env.run(&["preview", "--recipe", &path]);
    assert_exit(&out, 0);
    let shown = text(&out.stdout);
    let stop = format!(
        "# StopInstances, only if {RUNNING} is Running; then DescribeInstances until it is \
         Stopped\nRegionId=cn-hangzhou\nInstanceId.1={RUNNING}\nForceStop=false\n\
         StoppedMode=KeepCharging\nBatchOptimization=SuccessFirst\n# CreateImage"
    );
    assert!(shown.starts_with(&stop), "{shown}");
    assert!(
        shown.contains(&format!(
            "# StartInstances once the image is Available or failed, only if ecsimg stopped \
             {RUNNING}; then DescribeInstances until it is Running\nRegionId=cn-hangzhou\n\
             InstanceId.1={RUNNING}\nBatchOptimization=SuccessFirst\n"
        )),
        "{shown}"
    );
    let out = env.run(&["preview", "--recipe", &path, "--format", "cli"]);
    let lines: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("aliyun ecs StopInstances --RegionId cn-hangzhou"));
    assert!(lines[1].starts_with("aliyun ecs CreateImage"));
    assert!(lines[2].starts_with("aliyun ecs StartInstances"));
    let out = env.run(&["preview", "--recipe", &path, "--format", "json"]);
    let object: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one object");
    assert_eq!(object["InstanceId"], RUNNING);
    assert!(text(&out.stderr).contains("--format params or cli shows those calls"));
    // The recipe round-trips.
    let out = env.run(&["preview", "--recipe", &path, "--format", "recipe"]);
    assert!(
        text(&out.stdout).contains(KEEP_AND_RESTART),
        "{}",
        text(&out.stdout)
    );

    let bad = env.recipe(
        "bad.toml",
        "region = \"cn-hangzhou\"\n[source]\nsnapshot_id = \"s-bp1k4wd2j0qmz7h5x3cv\"\n\
         restart = true\n",
    );
    let out = env.run(&["create", "--recipe", &bad, "--yes"]);
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml:4:11: source.restart: source.restart goes with source.stop"),
        "{err}"
    );
    let typo = recipe(
        &env,
        "typo.toml",
        RUNNING,
        "web",
        "stop = \"KeepCharging\"\n",
    );
    let out = env.run(&["preview", "--recipe", &typo]);
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("typo.toml:4:8: source.stop: The stop mode is"),
        "{}",
        text(&out.stderr)
    );
}

/// Issue 11 §4: killed after CreateImage was sent, with the instance down; `watch --resume`
/// learns the ImageId, follows the build, then starts the instance ecsimg stopped — once.
#[test]
fn watch_resume_restarts_the_instance_after_a_crash() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "crash.toml",
        RUNNING,
        "crash-stop",
        "stop = \"keep-charging\"\nrestart = true\n",
    );
    kill_after_create_was_sent(env.cmd(&["create", "--recipe", &path, "--yes"]));
    assert_eq!(instance(&env, RUNNING).status, "Stopped");
    let [stop] = &stops(&env)[..] else {
        panic!("the stop was journaled")
    };
    assert!(stop.is_down() && stop.submission.is_some());

    let out = env.run(&["watch", "--resume"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(err.contains("recovered submission"), "{err}");
    let finished = err.find("finished after").expect("followed");
    let starting = err
        .find(&format!("starting {RUNNING} again"))
        .unwrap_or_else(|| panic!("restarted:\n{err}"));
    assert!(
        finished < starting,
        "restarted only once the image ended:\n{err}"
    );
    assert_eq!(instance(&env, RUNNING).status, "Running");
    assert!(!stops(&env)[0].is_down());

    // Only once: a second resume has nothing to start.
    let out = env.run(&["watch", "--resume"]);
    assert_exit(&out, 0);
    assert!(!text(&out.stderr).contains("StartInstances"));
}

/// A stop recorded before a crash while the image still builds waits for the image; one
/// recorded before CreateImage was ever sent is started at once.
#[test]
fn resume_waits_for_the_image_and_never_touches_another_endpoints_stop() {
    let env = Env::new("50");
    let path = recipe(
        &env,
        "web.toml",
        RUNNING,
        "web-nowait",
        "stop = \"keep-charging\"\nrestart = true\n",
    );
    let out = env.run(&["create", "--recipe", &path, "--yes", "--no-wait"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{RUNNING} stays Stopped: its image is still being built"
        )),
        "{err}"
    );
    assert!(err.contains("watch --resume` starts"), "{err}");
    assert_eq!(instance(&env, RUNNING).status, "Stopped");
    // A stop made through another endpoint is named and left alone.
    let elsewhere = InstanceStop::new(
        "cn-hangzhou",
        "http://127.0.0.1:9/",
        RUNNING,
        ecsimg::spec::StopPlan::KEEP_AND_RESTART,
    );
    env.journal().stopping(&elsewhere).expect("journaled");
    let out = env.run(&["watch", "--resume"]);
    assert_exit(&out, 0);
    let err = text(&out.stderr);
    assert!(
        err.contains("was stopped through http://127.0.0.1:9/"),
        "{err}"
    );
    assert_eq!(instance(&env, RUNNING).status, "Running");
    let history = env.journal().read().expect("journal");
    assert!(history.stops[0].started.is_some());
    assert!(history.stops[1].is_down());
}

/// What a hostile server says about the instance reaches the terminal inert, as text and as
/// JSON, and a stop that never completes ends at the timeout (exit 5), naming the resume.
#[test]
fn a_hostile_instance_status_is_shown_inert_and_the_wait_is_bounded() {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let server = Hostile::start(move |request| match request.action().as_str() {
        "DescribeInstances" => {
            let status = if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                "Running".to_string()
            } else {
                format!("Stopping{ESCAPES}")
            };
            Reply::json(
                200,
                &serde_json::json!({"RequestId": "R", "TotalCount": 1, "NextToken": "",
                    "Instances": {"Instance": [{"InstanceId": RUNNING, "Status": status,
                        "InstanceName": format!("web{ESCAPES}")}]}}),
            )
        }
        "StopInstances" => Reply::json(
            200,
            &serde_json::json!({"RequestId": "R", "InstanceResponses": {"InstanceResponse": [
                {"InstanceId": RUNNING, "Code": "200", "PreviousStatus": "Running",
                 "CurrentStatus": format!("Stopping{ESCAPES}")}]}}),
        ),
        _ => Reply::json(400, &serde_json::json!({"Code": "Unexpected"})),
    });
    let env = Env::new("50");
    let path = recipe(
        &env,
        "web.toml",
        RUNNING,
        "hostile",
        "stop = \"keep-charging\"\nrestart = true\n",
    );
    for format in ["text", "json"] {
        polls.store(0, Ordering::SeqCst);
        let out = env
            .cmd_without_endpoint(&[
                "create",
                "--recipe",
                &path,
                "--yes",
                "--timeout",
                "3s",
                "--output",
                format,
            ])
            .args(["--endpoint", &server.url])
            .output()
            .expect("runs");
        assert_exit(&out, 5);
        assert_inert("stdout", &out.stdout);
        assert_inert("stderr", &out.stderr);
        let err = text(&out.stderr);
        assert!(err.contains("is still Stopping\\u{1b}[31m"), "{err}");
        assert!(err.contains("watch --resume` starts"), "{err}");
    }
}

/// The first SIGINT ends the wait for Stopped at once (exit 130); the stop stays journaled, so
/// `watch --resume` can start the instance again.
#[test]
fn the_first_signal_ends_the_wait_for_stopped() {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let server = Hostile::start(move |request| match request.action().as_str() {
        "DescribeInstances" => {
            let status = if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                "Running"
            } else {
                "Stopping"
            };
            Reply::json(
                200,
                &serde_json::json!({"RequestId": "R", "TotalCount": 1, "NextToken": "",
                    "Instances": {"Instance": [{"InstanceId": RUNNING, "Status": status}]}}),
            )
        }
        "StopInstances" => Reply::json(
            200,
            &serde_json::json!({"RequestId": "R", "InstanceResponses": {"InstanceResponse": [
                {"InstanceId": RUNNING, "Code": "200", "CurrentStatus": "Stopping"}]}}),
        ),
        _ => Reply::json(400, &serde_json::json!({"Code": "Unexpected"})),
    });
    let env = Env::new("50");
    let path = recipe(
        &env,
        "web.toml",
        RUNNING,
        "signal",
        "stop = \"keep-charging\"\nrestart = true\n",
    );
    let mut child = env
        .cmd_without_endpoint(&["create", "--recipe", &path, "--yes"])
        .args(["--endpoint", &server.url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut line = String::new();
    while !line.contains("stopping i-") {
        line.clear();
        assert!(stderr.read_line(&mut line).expect("stderr") > 0, "no stop");
    }
    while polls.load(Ordering::SeqCst) < 2 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, took) = crate::hostile::signal_and_wait(child, "INT");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("stderr");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        rest.contains(&format!(
            "interrupted while waiting for {RUNNING} to be Stopped. `ecsimg --endpoint"
        )),
        "{rest}"
    );
    assert!(rest.contains("watch --resume` starts"), "{rest}");
    let [stop] = &stops(&env)[..] else {
        panic!("journaled before StopInstances")
    };
    assert!(stop.is_down() && stop.submission.is_none());
}
