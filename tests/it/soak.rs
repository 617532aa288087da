//! Soak: complete create-and-watch runs — the real `ecsimg create --yes`, journal included —
//! against a simulator that throttles, answers 5xx, adds latency, drops connections before acting
//! and loses answers after acting (the first two CreateImage answers always, more at random: the
//! image exists, the client never learns its ImageId). Then `ecsimg watch --resume` (which
//! re-sends any submission whose outcome was never recorded, with its ClientToken), `ecsimg
//! history` to read the journal, and the checks: journal and simulator agree run by run. Every
//! run is in the journal once; a run that succeeded has exactly one image, Available, under its
//! ImageId; a run the service refused for good has none; no image is duplicated or missing from
//! the journal.
//!
//! `cargo test --test it soak` runs the short version (6 runs, 2 at a time, sharing one journal).
//! The long one is ignored by default:
//!
//! ```text
//! SOAK_RUNS=200 SOAK_PARALLEL=4 cargo test --test it soak -- --ignored --nocapture
//! SOAK_FAULTS=throttle=0.3,error=0.2,drop=0.2,lost=0.1,retry_after=20ms cargo test --test it soak -- --ignored
//! ```
//!
//! The second makes some runs give up after every retry failed (exit 3, outcome unknown), so
//! `watch --resume`'s re-send with the same ClientToken is what builds their images, or names
//! the ones whose answer was lost.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use ecsimg::sim::{self, Fault, Seed, SimConfig};

use crate::cli::InProcess;

mod delivery;

/// Faults on every call: 20 % throttled (retry after 50 ms), 10 % 5xx, 5 % dropped
/// connections, 5 % lost answers, and 20 ms of added latency.
const FAULTS: &str = "throttle=0.2,error=0.1,drop=0.05,lost=0.05,latency=20ms,retry_after=50ms";
/// CreateImage calls whose answer is lost whatever the rates: every soak meets the case.
const LOST_CREATE_ANSWERS: usize = 2;
const RECIPE: &str = r#"
region = "cn-hangzhou"
[source]
snapshot_id = "s-bp1k4wd2j0qmz7h5x3cv"
[image]
name = "soak"
"#;
/// Retries a user on a bad network would allow.
const CONFIG: &str = "[network]\nmax_attempts = 6\n";

/// The sandbox with room for every run's image (its own quota is 30).
fn roomy_sandbox() -> Seed {
    let mut seed: toml::Table = sim::SANDBOX_TOML.parse().expect("the sandbox seed is TOML");
    let quotas = seed
        .get_mut("quotas")
        .and_then(toml::Value::as_table_mut)
        .expect("the sandbox seed has [quotas]");
    quotas.insert("images".into(), toml::Value::Integer(100_000));
    Seed::parse(&seed.to_string(), "soak seed").expect("the adjusted seed loads")
}

/// `ecsimg ARGS` with only the sandbox's credentials and HOME, the XDG directories and the
/// journal inside `home`.
fn ecsimg(home: &Path, args: &[&str]) -> std::process::Output {
    command(home, args).output().expect("ecsimg runs")
}

/// The command [`ecsimg`] runs.
fn command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecsimg"));
    command
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("ECSIMG_JOURNAL", home.join("journal.jsonl"))
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", sim::SANDBOX_ACCESS_KEY_ID)
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            sim::SANDBOX_ACCESS_KEY_SECRET,
        );
    command
}

/// How one `ecsimg create` ended.
#[derive(Debug)]
struct Run {
    code: i32,
    /// It printed a `created` event: it learnt the ImageId itself, without `watch --resume`.
    answered: bool,
}

/// One journal entry as `ecsimg history --output json` prints it.
#[derive(Debug, Clone, serde::Deserialize)]
struct Entry {
    image_name: String,
    image_id: Option<String>,
    status: Option<String>,
    refused: Option<serde_json::Value>,
}

fn history(home: &Path, url: &str) -> Vec<Entry> {
    let output = ecsimg(home, &["history", "--endpoint", url, "--output", "json"]);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("history printed {line:?}, not an entry: {e}"))
        })
        .collect()
}

fn soak(runs: usize, parallel: usize, faults: &str) {
    let home = tempfile::tempdir().expect("a temp dir");
    let home = home.path();
    std::fs::write(home.join("recipe.toml"), RECIPE).expect("write the recipe");
    std::fs::create_dir_all(home.join("config/ecsimg")).expect("create the config dir");
    std::fs::write(home.join("config/ecsimg/config.toml"), CONFIG).expect("write the config");
    let running = InProcess::start(SimConfig {
        seed: Some(roomy_sandbox()),
        faults: faults.parse().expect("the fault spec parses"),
        // Images finish in well under a second.
        speed: 100.0,
        ..SimConfig::default()
    });
    let simulator = &running.sim;
    assert!(simulator.faults().fail_next_action(
        "CreateImage",
        LOST_CREATE_ANSWERS,
        Fault::LoseAnswer
    ));
    let url = simulator.url();
    let recipe = home.join("recipe.toml");
    let recipe = recipe.to_str().expect("a UTF-8 temp path");

    let next = AtomicUsize::new(0);
    let exits: BTreeMap<String, Run> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..parallel)
            .map(|_| {
                scope.spawn(|| {
                    let mut exits = Vec::new();
                    loop {
                        let run = next.fetch_add(1, Ordering::SeqCst);
                        if run >= runs {
                            return exits;
                        }
                        let name = format!("soak-{run}");
                        let set = format!("image.name={name}");
                        let args = [
                            "create",
                            "--recipe",
                            recipe,
                            "--set",
                            &set,
                            "--yes",
                            "--endpoint",
                            &url,
                            "--output",
                            "json",
                        ];
                        let output = ecsimg(home, &args);
                        let code = output.status.code().unwrap_or_else(|| {
                            panic!(
                                "{name}: killed by a signal\n{}",
                                String::from_utf8_lossy(&output.stderr)
                            )
                        });
                        // 0 built, 3 refused by the API for good; anything else is a bug here.
                        assert!(
                            code == 0 || code == 3,
                            "{name}: exit {code}\n{}",
                            String::from_utf8_lossy(&output.stderr)
                        );
                        let answered = String::from_utf8_lossy(&output.stdout).lines().any(|l| {
                            serde_json::from_str::<serde_json::Value>(l)
                                .is_ok_and(|event| event["event"] == "created")
                        });
                        exits.push((name, Run { code, answered }));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker finished"))
            .collect()
    });

    // `watch --resume` re-sends what was never settled; it meets the same faults, so give it
    // a few tries until every entry has an outcome. `history` only reads.
    let mut journal = history(home, &url);
    for _ in 0..5 {
        if journal
            .iter()
            .all(|e| e.image_id.is_some() || e.refused.is_some())
        {
            break;
        }
        ecsimg(
            home,
            &["watch", "--resume", "--endpoint", &url, "--timeout", "30s"],
        );
        journal = history(home, &url);
    }
    let images = simulator.images(sim::SANDBOX_REGION);
    let mut by_name: BTreeMap<&str, Vec<&sim::ImageInfo>> = BTreeMap::new();
    for image in images.iter().filter(|i| i.name.starts_with("soak-")) {
        by_name.entry(&image.name).or_default().push(image);
    }
    assert_eq!(
        journal.len(),
        runs,
        "one journal entry per run: {journal:#?}"
    );
    for (name, run) in &exits {
        let entries: Vec<&Entry> = journal.iter().filter(|e| &e.image_name == name).collect();
        assert_eq!(
            entries.len(),
            1,
            "{name} is in the journal {} times",
            entries.len()
        );
        let entry = entries[0];
        let made = by_name.get(name.as_str()).map_or(&[][..], Vec::as_slice);
        match &entry.image_id {
            Some(id) => {
                assert_eq!(made.len(), 1, "{name}: images {made:?}");
                assert_eq!(&made[0].id, id, "{name}: the journal names another image");
                if run.code == 0 {
                    assert_eq!(made[0].status, "Available", "{name}: {made:?}");
                    assert_eq!(entry.status.as_deref(), Some("Available"), "{name}");
                }
            }
            None => {
                assert!(entry.refused.is_some(), "{name}: no outcome: {entry:?}");
                assert!(made.is_empty(), "{name} was refused, yet made {made:?}");
            }
        }
    }
    assert_eq!(
        by_name.len(),
        journal.iter().filter(|e| e.image_id.is_some()).count(),
        "images the journal does not know: {by_name:?}"
    );
    let built = exits.values().filter(|r| r.code == 0).count();
    // Runs whose create never learnt its ImageId, yet the journal has one: resume's re-send.
    let resent = exits
        .iter()
        .filter(|(name, run)| {
            !run.answered
                && journal
                    .iter()
                    .any(|e| &e.image_name == *name && e.image_id.is_some())
        })
        .count();
    println!(
        "soak: {runs} runs ({parallel} at a time), {built} built by create alone, {resent} \
         settled by watch --resume's re-send, {} images, none duplicated or missing, {} \
         simulator calls with faults {faults} plus {LOST_CREATE_ANSWERS} lost CreateImage \
         answers",
        by_name.len(),
        simulator.faults().calls()
    );
}

#[test]
fn short_soak() {
    soak(6, 2, FAULTS);
}

#[test]
#[ignore = "long: SOAK_RUNS (default 100) runs, SOAK_PARALLEL (default 4) at a time, SOAK_FAULTS"]
fn long_soak() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let faults = std::env::var("SOAK_FAULTS").unwrap_or_else(|_| FAULTS.into());
    soak(env("SOAK_RUNS", 100), env("SOAK_PARALLEL", 4), &faults);
}
