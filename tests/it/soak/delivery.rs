//! Delivery soak: `ecsimg create` with a `[delivery]` (two copy regions, a share, snapshot
//! tags, `retire keep = 1 deprecate`) killed with SIGKILL at some point, then `ecsimg watch
//! --resume --retry-failed` (killed too, at times) until the journal records the delivery's
//! end with nothing failed; meanwhile the simulator loses the first CopyImage answer and
//! refuses the first share. Then the simulator, asked over HTTP, must show exactly one copy per region, every
//! share, every tag, the one planned retirement (the family's older image deprecated) and no
//! other change to any image.
//!
//! `cargo test --test it soak` runs the short version: three deliveries, killed at fixed
//! points. The long one draws the kill points at random (`SOAK_SEED` repeats a run):
//!
//! ```text
//! SOAK_DELIVERIES=30 cargo test --test it soak::delivery -- --ignored --nocapture
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ecsimg::journal::Journal;
use ecsimg::sim::{Fault, RunningSim, SimConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::{command, roomy_sandbox};
use crate::cli::InProcess;
use crate::cli_delivery::{call, shared_with, snapshot_tags};
use crate::sim_harness::Wire;

const SOURCE: &str = "cn-hangzhou";
const COPY_REGIONS: [&str; 2] = ["cn-shanghai", "cn-beijing"];
const OTHER_ACCOUNT: &str = "1234567890123457";
const ALL: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";
/// Kill-and-resume rounds one delivery may take before the soak calls it stuck.
const MAX_ROUNDS: usize = 30;

fn recipe(name: &str, family: &str, delivery: bool) -> String {
    let mut text = format!(
        "region = \"{SOURCE}\"\n[source]\nsnapshot_id = \"s-bp1k4wd2j0qmz7h5x3cv\"\n\
         [image]\nname = \"{name}\"\nfamily = \"{family}\"\n[tags]\nenv = \"test\"\n"
    );
    if delivery {
        text.push_str(&format!(
            "[delivery]\ncopy_to = [\"{}\", \"{}\"]\nshare_with = [\"{OTHER_ACCOUNT}\"]\n\
             tag_snapshots = true\n[delivery.retire]\nkeep = 1\naction = \"deprecate\"\n",
            COPY_REGIONS[0], COPY_REGIONS[1]
        ));
    }
    text
}

/// The simulator over HTTP, as any client sees it.
struct Http {
    wire: Wire,
}

impl Http {
    fn call(&self, action: &str, params: &[(&str, &str)]) -> Value {
        call(&self.wire, action, params)
    }

    /// Every own image of `region`, any status: ID → (name, status).
    fn images(&self, region: &str) -> BTreeMap<String, (String, String)> {
        let mut all = BTreeMap::new();
        for page in 1.. {
            let page = page.to_string();
            let body = self.call(
                "DescribeImages",
                &[
                    ("RegionId", region),
                    ("ImageOwnerAlias", "self"),
                    ("Status", ALL),
                    ("PageSize", "100"),
                    ("PageNumber", &page),
                ],
            );
            let rows = body["Images"]["Image"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for image in &rows {
                let field = |name: &str| image[name].as_str().unwrap_or_default().to_string();
                all.insert(field("ImageId"), (field("ImageName"), field("Status")));
            }
            let total = body["TotalCount"].as_u64().unwrap_or_default();
            if rows.is_empty() || all.len() as u64 >= total {
                break;
            }
        }
        all
    }

    fn image(&self, region: &str, id: &str) -> Value {
        let body = self.call(
            "DescribeImages",
            &[("RegionId", region), ("ImageId", id), ("Status", ALL)],
        );
        body["Images"]["Image"][0].clone()
    }
}

/// Runs `ecsimg ARGS` and, given `kill_after`, kills it with SIGKILL then if it is still
/// running. Its exit code, or `None` when it was killed.
fn run(home: &Path, args: &[&str], kill_after: Option<Duration>, log: &Path) -> Option<i32> {
    let stderr = std::fs::File::create(log).expect("a log file");
    let mut child = command(home, args)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("ecsimg starts");
    let deadline = kill_after.map(|after| Instant::now() + after);
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            return status.code();
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One delivery soaked: `kills` are the points (after start) at which the successive runs
/// (`create`, then `watch --resume --retry-failed`) are killed; once they are used up the runs
/// go to their end. On top of that, the first CopyImage answer is lost (the client's resend
/// with the same ClientToken must get the same copy) and the first share is refused for good
/// (the delivery ends with a failure, which `--retry-failed` sends again). Returns how many
/// runs it took.
fn deliver(home: &Path, http: &Http, sim: &RunningSim, round: usize, kills: &[Duration]) -> usize {
    let url = &sim.url();
    let family = format!("soak-family-{round}");
    let (older, name) = (format!("soak-old-{round}"), format!("soak-new-{round}"));
    let older_recipe = home.join(format!("older-{round}.toml"));
    std::fs::write(&older_recipe, recipe(&older, &family, false)).expect("recipe");
    let log = home.join("last-run.log");
    let older_path = older_recipe.display().to_string();
    let made = run(
        home,
        &[
            "create",
            "--recipe",
            &older_path,
            "--yes",
            "--endpoint",
            url,
        ],
        None,
        &log,
    );
    assert_eq!(
        made,
        Some(0),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let before: BTreeMap<&str, BTreeMap<String, (String, String)>> = [SOURCE]
        .into_iter()
        .chain(COPY_REGIONS)
        .map(|r| (r, http.images(r)))
        .collect();
    let older_id = before[SOURCE]
        .iter()
        .find(|(_, (n, _))| *n == older)
        .map(|(id, _)| id.clone())
        .expect("the older image is listed");

    let faults = sim.faults();
    assert!(faults.fail_next_action("CopyImage", 1, Fault::LoseAnswer));
    assert!(faults.fail_next_action("ModifyImageSharePermission", 1, Fault::Forbidden));
    let path = home.join(format!("new-{round}.toml"));
    std::fs::write(&path, recipe(&name, &family, true)).expect("recipe");
    let path = path.display().to_string();
    let journal = Journal::at(home.join("journal.jsonl"));
    let entry = || {
        journal
            .read()
            .expect("the journal reads")
            .entries
            .into_iter()
            .find(|e| e.submission.image_name.as_deref() == Some(name.as_str()))
    };
    let mut runs = 0;
    loop {
        let known = entry();
        if known.as_ref().is_some_and(|e| e.delivery_ended == Some(0)) {
            break;
        }
        assert!(runs < MAX_ROUNDS, "{name}: not delivered after {runs} runs");
        let kill = kills.get(runs).copied();
        let args: Vec<&str> = match known {
            None => vec!["create", "--recipe", &path, "--yes", "--endpoint", url],
            Some(_) => vec![
                "watch",
                "--resume",
                "--retry-failed",
                "--endpoint",
                url,
                "--timeout",
                "60s",
            ],
        };
        let code = run(home, &args, kill, &log);
        runs += 1;
        // A run that was not killed ends done, or with the refused share failed (exit 6).
        if kill.is_none() {
            assert!(
                matches!(code, Some(0 | 6)),
                "{name}: {args:?} exit {code:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
    }
    let entry = entry().expect("the entry");
    assert_eq!(entry.delivery_ended, Some(0), "{name}: {entry:?}");
    let new_id = entry.image_id().expect("an ImageId").to_string();

    // The image: Available, shared, its snapshots tagged.
    let image = http.image(SOURCE, &new_id);
    assert_eq!(image["Status"], "Available", "{image}");
    assert_eq!(shared_with(&http.wire, SOURCE, &new_id), [OTHER_ACCOUNT]);
    snapshot_tags(&http.wire, SOURCE, &image);
    // In the source region: the new image added, the older one deprecated, nothing else.
    let after = http.images(SOURCE);
    let mut expected = before[SOURCE].clone();
    expected.insert(new_id.clone(), (name.clone(), "Available".into()));
    expected.insert(older_id.clone(), (older.clone(), "Deprecated".into()));
    assert_eq!(after, expected, "{name}: the images of {SOURCE}");
    // Each copy region: exactly one copy added, in the family, shared and tagged; nothing else
    // changed (the copy is the only image of its family there, so nothing is retired).
    for region in COPY_REGIONS {
        let after = http.images(region);
        let added: Vec<(&String, &(String, String))> = after
            .iter()
            .filter(|(id, _)| !before[region].contains_key(*id))
            .collect();
        assert_eq!(added.len(), 1, "{name}: one copy in {region}: {added:?}");
        let (copy_id, (copy_name, status)) = added[0];
        assert_eq!(
            (copy_name.as_str(), status.as_str()),
            (name.as_str(), "Available")
        );
        let unchanged: BTreeMap<String, (String, String)> = after
            .iter()
            .filter(|(id, _)| *id != copy_id)
            .map(|(id, v)| (id.clone(), v.clone()))
            .collect();
        assert_eq!(
            unchanged, before[region],
            "{name}: the other images of {region}"
        );
        let copy = http.image(region, copy_id);
        assert_eq!(copy["ImageFamily"], family.as_str(), "{copy}");
        assert_eq!(shared_with(&http.wire, region, copy_id), [OTHER_ACCOUNT]);
        snapshot_tags(&http.wire, region, &copy);
    }
    runs
}

fn soak(kills: impl Fn(usize) -> Vec<Duration>, deliveries: usize) {
    let home = tempfile::tempdir().expect("a temp dir");
    let home = home.path();
    let running = InProcess::start(SimConfig {
        seed: Some(roomy_sandbox()),
        // Images and copies finish in well under a second.
        speed: 100.0,
        ..SimConfig::default()
    });
    let url = running.sim.url();
    let addr = url
        .trim_start_matches("http://")
        .parse()
        .expect("the simulator's address");
    let http = Http {
        wire: Wire::new(addr),
    };
    let mut runs = 0;
    for round in 0..deliveries {
        runs += deliver(home, &http, &running.sim, round, &kills(round));
    }
    println!(
        "delivery soak: {deliveries} deliveries in {runs} runs (killed and resumed), each with \
         one copy per region, every share and tag, and only the planned retirement"
    );
}

#[test]
fn short_delivery_soak() {
    // Killed early (while CreateImage is sent or watched), in the middle (around the first
    // copy), late (around the second copy or the retirement), and a resume killed too.
    let points = [
        vec![Duration::from_millis(150), Duration::from_millis(600)],
        vec![Duration::from_millis(1500)],
        vec![Duration::from_millis(2800)],
    ];
    soak(|round| points[round].clone(), points.len());
}

#[test]
#[ignore = "long: SOAK_DELIVERIES (default 20) deliveries, each killed 1-4 times at random; SOAK_SEED"]
fn long_delivery_soak() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seed = env("SOAK_SEED", rand::random());
    println!("delivery soak: SOAK_SEED={seed}");
    let rng = std::sync::Mutex::new(StdRng::seed_from_u64(seed));
    let deliveries = usize::try_from(env("SOAK_DELIVERIES", 20)).unwrap_or(20);
    soak(
        |_| {
            let mut rng = rng.lock().expect("one thread");
            let count = rng.random_range(1..=4);
            (0..count)
                .map(|_| Duration::from_millis(rng.random_range(0..4000)))
                .collect()
        },
        deliveries,
    );
}
