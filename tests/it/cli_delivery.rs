//! `[delivery]` end to end: `ecsimg create` against `ecsimg sim serve` copies the Available
//! image to two regions, shares it and every copy, tags their snapshots and retires older
//! images of the family; one failing action leaves the others done and sets exit code 6; a
//! `kill -9` mid-delivery is finished by `watch --resume` with exactly one copy per region, as
//! is the delivery of an image created with `--no-wait`, and of one interrupted (exit 130)
//! while its copy builds. Copies encrypted with each region's KMS key (a disabled key fails
//! that copy alone); a delivery that ended with failures retried by `watch --resume
//! --retry-failed` once the cause is fixed, a copy that ended CreateFailed replaced.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;

use crate::cli::{Env, InProcess, RUNNING, assert_exit, kill_at_test_hook, text};
use crate::sim_harness::{Opts, Wire};

const FAMILY: &str = "web-base";
/// The seed's image of the family, which the instance RUNNING was created from.
const SEED_IMAGE: &str = "m-bp1fyq7bo2ye0xkc9b1n";
const ALL: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";
const OTHER_ACCOUNT: &str = "1234567890123457";
/// The sandbox account itself: ECS refuses to share an image with its own account.
const OWN_ACCOUNT: &str = "1234567890123456";

pub fn recipe(name: &str, delivery: &str) -> String {
    format!(
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"{RUNNING}\"\n\
         [image]\nname = \"{name}\"\nfamily = \"{FAMILY}\"\n[tags]\nenv = \"test\"\n{delivery}"
    )
}

pub fn wire(env: &Env) -> Wire {
    let addr = env
        .sim
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("the simulator's address");
    Wire::new(addr)
}

/// `action` signed with the sandbox key, on a runtime of its own: its answer's body.
pub fn call(wire: &Wire, action: &str, params: &[(&str, &str)]) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(wire.call(action, params, &Opts::sandbox()))
        .ok()
}

/// The images named `name` in `region`, every status.
fn images(wire: &Wire, region: &str, name: &str) -> Vec<Value> {
    let body = call(
        wire,
        "DescribeImages",
        &[
            ("RegionId", region),
            ("ImageName", name),
            ("ImageOwnerAlias", "self"),
            ("Status", ALL),
            ("PageSize", "100"),
        ],
    );
    body["Images"]["Image"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i["ImageName"] == name)
        .collect()
}

fn image_exists(wire: &Wire, region: &str, id: &str) -> bool {
    let body = call(
        wire,
        "DescribeImages",
        &[("RegionId", region), ("ImageId", id), ("Status", ALL)],
    );
    body["TotalCount"] == 1
}

/// The accounts the image `id` in `region` is shared with.
pub fn shared_with(wire: &Wire, region: &str, id: &str) -> Vec<String> {
    let body = call(
        wire,
        "DescribeImageSharePermission",
        &[("RegionId", region), ("ImageId", id)],
    );
    body["Accounts"]["Account"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a["AliyunId"].as_str().map(str::to_string))
        .collect()
}

/// The tags on the snapshots of `image` in `region` (snapshot, key, value), each of which
/// must carry the recipes' `env = "test"`.
pub fn snapshot_tags(wire: &Wire, region: &str, image: &Value) -> Vec<(String, String, String)> {
    let snapshots: Vec<String> = image["DiskDeviceMappings"]["DiskDeviceMapping"]
        .as_array()
        .expect("disks")
        .iter()
        .map(|d| d["SnapshotId"].as_str().expect("snapshot").to_string())
        .collect();
    assert!(!snapshots.is_empty());
    let mut params = vec![("RegionId", region), ("ResourceType", "snapshot")];
    let names: Vec<String> = (1..=snapshots.len())
        .map(|i| format!("ResourceId.{i}"))
        .collect();
    for (name, id) in names.iter().zip(&snapshots) {
        params.push((name, id));
    }
    let body = call(wire, "ListTagResources", &params);
    let tags: Vec<(String, String, String)> = body["TagResources"]["TagResource"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                t["ResourceId"].as_str().unwrap_or_default().to_string(),
                t["TagKey"].as_str().unwrap_or_default().to_string(),
                t["TagValue"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for snapshot in &snapshots {
        assert!(
            tags.contains(&(snapshot.clone(), "env".into(), "test".into())),
            "{snapshot} in {region} carries env=test: {tags:?}"
        );
    }
    tags
}

/// The one image named `name` in `region`, Available.
fn the_copy(wire: &Wire, region: &str, name: &str) -> Value {
    let found = images(wire, region, name);
    assert_eq!(found.len(), 1, "exactly one copy in {region}: {found:?}");
    assert_eq!(found[0]["Status"], "Available", "{region}");
    found[0].clone()
}

#[test]
fn create_delivers_copies_shares_tags_and_retires() {
    let env = Env::new("50");
    let wire = wire(&env);
    // An older image of the family, made the same way.
    let older = env.recipe("older.toml", &recipe("web-older", ""));
    let made = env.run(&["create", "--recipe", &older, "--yes"]);
    assert_exit(&made, 0);
    let older_id = text(&made.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(image_exists(&wire, "cn-hangzhou", &older_id));

    let delivery = format!(
        "[delivery]\ncopy_to = [\"cn-shanghai\", \"cn-beijing\"]\n\
         share_with = [\"{OTHER_ACCOUNT}\"]\ntag_snapshots = true\n\
         [delivery.retire]\nkeep = 1\naction = \"delete\"\n"
    );
    let path = env.recipe("web.toml", &recipe("web-new", &delivery));

    // Deleting needs --yes, said before anything is sent.
    let asked = env.run(&["create", "--recipe", &path]);
    assert_exit(&asked, 2);
    assert!(
        text(&asked.stderr).contains("--yes"),
        "{}",
        text(&asked.stderr)
    );
    assert!(images(&wire, "cn-hangzhou", "web-new").is_empty());

    let preview = env.run(&["preview", "--recipe", &path]);
    assert_exit(&preview, 0);
    let out = text(&preview.stdout);
    let copy_at = out.find("#   CopyImage").expect("CopyImage previewed");
    let delete_at = out.find("DeleteImage").expect("DeleteImage previewed");
    assert!(copy_at < delete_at, "{out}");

    let created = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&created, 0);
    let err = text(&created.stderr);
    let new_id = text(&created.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(new_id.starts_with("m-"), "{new_id}");
    assert!(err.contains("delivery: copy"), "{err}");

    let source = the_copy(&wire, "cn-hangzhou", "web-new");
    assert_eq!(shared_with(&wire, "cn-hangzhou", &new_id), [OTHER_ACCOUNT]);
    snapshot_tags(&wire, "cn-hangzhou", &source);
    for region in ["cn-shanghai", "cn-beijing"] {
        let copy = the_copy(&wire, region, "web-new");
        let id = copy["ImageId"].as_str().expect("id");
        assert_eq!(copy["ImageFamily"], FAMILY, "the copy joins the family");
        assert_eq!(copy["IsCopied"], true);
        assert_eq!(shared_with(&wire, region, id), [OTHER_ACCOUNT]);
        snapshot_tags(&wire, region, &copy);
    }
    // keep = 1: the older image is deleted; the seed's, which an instance was made from, is
    // left alone with the reason.
    assert!(!image_exists(&wire, "cn-hangzhou", &older_id), "{err}");
    assert!(image_exists(&wire, "cn-hangzhou", SEED_IMAGE));
    assert!(
        err.contains(&format!("delete {SEED_IMAGE} in cn-hangzhou: left alone")),
        "{err}"
    );
    assert!(err.contains("0 failed, 1 left alone"), "{err}");

    // Everything is recorded as done: a resume has nothing to deliver.
    let entry = env
        .journal()
        .read()
        .expect("journal")
        .entries
        .into_iter()
        .find(|e| e.image_id() == Some(new_id.as_str()))
        .expect("entry");
    assert_eq!(entry.delivery_ended, Some(0));
    let history = env.run(&["history"]);
    assert!(
        text(&history.stdout).contains("Available · delivered"),
        "{}",
        text(&history.stdout)
    );
    let again = env.run(&["watch", "--resume"]);
    assert_exit(&again, 0);
    assert!(
        !text(&again.stderr).contains("delivery:"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn a_failing_action_leaves_the_others_done_and_exits_6() {
    let env = Env::new("50");
    let wire = wire(&env);
    let delivery = format!(
        "[delivery]\ncopy_to = [\"cn-beijing\"]\nshare_with = [\"{OWN_ACCOUNT}\"]\n\
         tag_snapshots = true\ncopy_name = \"web-fail-{{region}}\"\n"
    );
    let path = env.recipe("web.toml", &recipe("web-fail", &delivery));
    let created = env.run(&["create", "--recipe", &path, "--yes", "--output", "json"]);
    assert_exit(&created, 6);
    let events: Vec<Value> = text(&created.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let results: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["event"] == "delivery")
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["result"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let result = |action: &str| {
        results
            .iter()
            .find(|(a, _)| a == action)
            .map(|(_, r)| r.as_str())
    };
    assert_eq!(result("copy cn-beijing"), Some("done"), "{results:?}");
    assert_eq!(result("share cn-hangzhou"), Some("failed"), "{results:?}");
    assert_eq!(result("tag cn-hangzhou"), Some("done"), "{results:?}");
    assert_eq!(result("family cn-beijing"), Some("done"), "{results:?}");
    assert_eq!(result("share cn-beijing"), Some("failed"), "{results:?}");
    assert_eq!(result("tag cn-beijing"), Some("done"), "{results:?}");
    let failed = events
        .iter()
        .find(|e| e["action"] == "share cn-hangzhou")
        .expect("share");
    assert_eq!(failed["code"], "InvalidAccount.Forbbiden");
    let ended = events
        .iter()
        .find(|e| e["event"] == "delivery_ended")
        .expect("summary");
    assert_eq!(ended["failed"], 2);
    the_copy(&wire, "cn-beijing", "web-fail-cn-beijing");
}

#[test]
fn kill_9_during_delivery_then_resume_makes_one_copy_per_region() {
    let env = Env::new("50");
    let wire = wire(&env);
    let delivery = format!(
        "[delivery]\ncopy_to = [\"cn-beijing\", \"cn-shanghai\"]\n\
         share_with = [\"{OTHER_ACCOUNT}\"]\ntag_snapshots = true\n"
    );
    let path = env.recipe("web.toml", &recipe("web-crash", &delivery));
    kill_at_test_hook(
        env.cmd(&["create", "--recipe", &path, "--yes"]),
        "ECSIMG_TEST_PAUSE_AFTER_COPY",
        "paused after CopyImage was sent",
    );

    // The first copy was made, its answer never journaled.
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert!(entry.delivery_due());
    let copy = entry
        .delivery("copy cn-beijing")
        .expect("recorded before sending");
    assert_eq!(copy.outcome, None);
    assert!(copy.send.client_token.is_some());

    let resume = env.run(&["watch", "--resume"]);
    assert_exit(&resume, 0);
    let err = text(&resume.stderr);
    assert!(err.contains("finishing the delivery"), "{err}");
    for region in ["cn-beijing", "cn-shanghai"] {
        let copy = the_copy(&wire, region, "web-crash");
        let id = copy["ImageId"].as_str().expect("id");
        assert_eq!(shared_with(&wire, region, id), [OTHER_ACCOUNT]);
        snapshot_tags(&wire, region, &copy);
    }
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert_eq!(entry.delivery_ended, Some(0));
    // Nothing left.
    let again = env.run(&["watch", "--resume"]);
    assert_exit(&again, 0);
    assert!(!text(&again.stderr).contains("finishing the delivery"));
    assert_eq!(images(&wire, "cn-beijing", "web-crash").len(), 1);
}

#[test]
fn an_image_created_without_waiting_is_delivered_by_watch_resume() {
    let env = Env::new("50");
    let wire = wire(&env);
    let delivery = "[delivery]\ncopy_to = [\"cn-beijing\"]\ntag_snapshots = true\n";
    let path = env.recipe("web.toml", &recipe("web-later", delivery));
    let created = env.run(&["create", "--recipe", &path, "--yes", "--no-wait"]);
    assert_exit(&created, 0);
    assert!(
        text(&created.stderr).contains("[delivery] runs once the image is Available"),
        "{}",
        text(&created.stderr)
    );
    assert!(images(&wire, "cn-beijing", "web-later").is_empty());
    let history = env.run(&["history"]);
    assert!(
        text(&history.stdout).contains("delivery once Available"),
        "{}",
        text(&history.stdout)
    );

    let resume = env.run(&["watch", "--resume"]);
    assert_exit(&resume, 0);
    let copy = the_copy(&wire, "cn-beijing", "web-later");
    snapshot_tags(&wire, "cn-beijing", &copy);
    assert!(
        text(&resume.stderr).contains("delivery of m-"),
        "{}",
        text(&resume.stderr)
    );
}

#[test]
fn an_interrupt_while_a_copy_builds_exits_130_and_resume_finishes_it() {
    // Slow enough to interrupt: the copy takes 3 s.
    let env = Env::new("10");
    let wire = wire(&env);
    let delivery =
        format!("[delivery]\ncopy_to = [\"cn-beijing\"]\nshare_with = [\"{OTHER_ACCOUNT}\"]\n");
    let path = env.recipe("web.toml", &recipe("web-int", &delivery));
    let mut child = env
        .cmd(&["create", "--recipe", &path, "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("stderr") == 0 {
            panic!("create ended before the copy was watched: {seen}");
        }
        seen.push_str(&line);
        if line.contains("in cn-beijing: Creating") {
            break;
        }
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("stderr");
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert!(
        rest.contains("watch --resume` finishes what is left"),
        "{rest}"
    );
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert!(entry.delivery_due(), "not recorded as ended");

    let resume = env.run(&["watch", "--resume"]);
    assert_exit(&resume, 0);
    let err = text(&resume.stderr);
    assert!(
        err.contains("done earlier"),
        "the copy is not sent again: {err}"
    );
    let copy = the_copy(&wire, "cn-beijing", "web-int");
    let id = copy["ImageId"].as_str().expect("id");
    assert_eq!(shared_with(&wire, "cn-beijing", id), [OTHER_ACCOUNT]);
}

/// The snapshots of `image` as DescribeSnapshots lists them: (Encrypted, KMSKeyId).
fn snapshot_keys(wire: &Wire, region: &str, image: &Value) -> Vec<(bool, String)> {
    let ids: Vec<String> = image["DiskDeviceMappings"]["DiskDeviceMapping"]
        .as_array()
        .expect("disks")
        .iter()
        .map(|d| d["SnapshotId"].as_str().expect("snapshot").to_string())
        .collect();
    let listed = serde_json::to_string(&ids).expect("ids");
    let body = call(
        wire,
        "DescribeSnapshots",
        &[("RegionId", region), ("SnapshotIds", &listed)],
    );
    let rows = body["Snapshots"]["Snapshot"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), ids.len(), "{body}");
    rows.iter()
        .map(|s| {
            (
                s["Encrypted"].as_bool().unwrap_or_default(),
                s["KMSKeyId"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

const KEY_SHANGHAI: &str = "key-shz2w8r4m6q1c5x7v3bn";
const KEY_BEIJING: &str = "key-bjz9d4k7s2p8f1m6t0qa";

#[test]
fn copies_are_encrypted_with_each_regions_key_in_the_images_group_and_dated() {
    let env = Env::new("50");
    let wire = wire(&env);
    let delivery = format!(
        "[delivery]\ncopy_to = [\"cn-shanghai\", \"cn-beijing\"]\nencrypt_copies = true\n\
         copy_name = \"web-kms-{{region}}-{{date}}\"\n\
         [delivery.kms_key_ids]\ncn-shanghai = \"{KEY_SHANGHAI}\"\ncn-beijing = \"{KEY_BEIJING}\"\n"
    );
    let body = recipe("web-kms", &delivery).replace(
        "[tags]",
        "resource_group_id = \"rg-aek2t4crbzbk6ri\"\n[tags]",
    );
    let path = env.recipe("web.toml", &body);
    let preview = env.run(&["preview", "--recipe", &path]);
    assert_exit(&preview, 0);
    assert!(
        text(&preview.stdout).contains(&format!("Encrypted=true KMSKeyId={KEY_BEIJING}")),
        "{}",
        text(&preview.stdout)
    );
    let created = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&created, 0);
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    for (region, key) in [("cn-shanghai", KEY_SHANGHAI), ("cn-beijing", KEY_BEIJING)] {
        let copy = the_copy(&wire, region, &format!("web-kms-{region}-{today}"));
        assert_eq!(copy["ResourceGroupId"], "rg-aek2t4crbzbk6ri", "{copy}");
        assert_eq!(
            copy["Tags"]["Tag"][0]["TagKey"], "env",
            "the copy carries the image's tags: {copy}"
        );
        for (encrypted, used) in snapshot_keys(&wire, region, &copy) {
            assert!(encrypted, "{region}");
            assert_eq!(used, key, "{region}");
        }
    }
    // The image itself is left as it was made.
    let source = the_copy(&wire, "cn-hangzhou", "web-kms");
    assert!(
        snapshot_keys(&wire, "cn-hangzhou", &source)
            .iter()
            .all(|(encrypted, _)| !encrypted)
    );
}

#[test]
fn a_disabled_key_fails_that_copy_with_its_explanation() {
    let env = Env::new("50");
    let wire = wire(&env);
    let delivery = "[delivery]\ncopy_to = [\"cn-shanghai\", \"cn-beijing\"]\n\
         encrypt_copies = true\n\
         [delivery.kms_key_ids]\ncn-shanghai = \"key-shz2w8r4m6q1c5x7v3bn\"\n\
         cn-beijing = \"key-bjz0retired5c3w9h2lx\"\n";
    let path = env.recipe("web.toml", &recipe("web-off", delivery));
    let created = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&created, 6);
    let err = text(&created.stderr);
    assert!(
        err.contains("InvalidParameter.KMSKeyId.CMKNotEnabled"),
        "{err}"
    );
    the_copy(&wire, "cn-shanghai", "web-off");
    assert!(images(&wire, "cn-beijing", "web-off").is_empty());
}

/// A RAM user's key that may do everything but share images.
const NO_SHARE: &str = "LTAInoshare";

#[test]
fn a_delivery_that_ended_with_failures_is_retried_once_fixed() {
    let env = Env::denying("50", "ecs:ModifyImageSharePermission", NO_SHARE);
    let wire = wire(&env);
    let delivery = format!(
        "[delivery]\ncopy_to = [\"cn-beijing\"]\nshare_with = [\"{OTHER_ACCOUNT}\"]\n\
         tag_snapshots = true\n"
    );
    let path = env.recipe("web.toml", &recipe("web-retry", &delivery));
    let created = env
        .cmd_as(NO_SHARE, &["create", "--recipe", &path, "--yes"])
        .output()
        .expect("ecsimg runs");
    assert_exit(&created, 6);
    let err = text(&created.stderr);
    assert!(err.contains("Forbidden.RAM"), "{err}");
    assert!(err.contains("watch --resume --retry-failed"), "{err}");
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert_eq!(entry.delivery_ended, Some(2), "both shares failed");
    let new_id = entry.image_id().expect("image").to_string();

    // --retry-failed goes with --resume.
    assert_exit(&env.run(&["watch", "--retry-failed"]), 2);
    // Ended: a plain resume leaves it alone, and history says how to retry.
    let plain = env.run(&["watch", "--resume"]);
    assert_exit(&plain, 0);
    assert!(
        !text(&plain.stderr).contains("delivery:"),
        "{}",
        text(&plain.stderr)
    );
    let history = text(&env.run(&["history"]).stdout);
    assert!(history.contains("2 action(s) failed"), "{history}");
    assert!(history.contains("--retry-failed"), "{history}");

    // The cause fixed (a key that may share), the failed actions go again; the rest is
    // skipped, the copy above all.
    let retried = env.run(&["watch", "--resume", "--retry-failed"]);
    assert_exit(&retried, 0);
    let err = text(&retried.stderr);
    assert!(
        err.contains("retrying the failed delivery actions"),
        "{err}"
    );
    assert!(err.contains("to cn-beijing: done earlier"), "{err}");
    assert!(err.contains("0 failed"), "{err}");
    assert_eq!(shared_with(&wire, "cn-hangzhou", &new_id), [OTHER_ACCOUNT]);
    let copy = the_copy(&wire, "cn-beijing", "web-retry");
    let copy_id = copy["ImageId"].as_str().expect("id");
    assert_eq!(shared_with(&wire, "cn-beijing", copy_id), [OTHER_ACCOUNT]);
    let tags = snapshot_tags(&wire, "cn-beijing", &copy);
    assert_eq!(tags.len(), 2, "one tag on each of two snapshots: {tags:?}");
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert_eq!(entry.delivery_ended, Some(0));

    // Nothing is left to retry.
    let again = env.run(&["watch", "--resume", "--retry-failed"]);
    assert_exit(&again, 0);
    assert!(
        !text(&again.stderr).contains("delivery:"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(images(&wire, "cn-beijing", "web-retry").len(), 1);
}

#[test]
fn a_copy_that_ended_create_failed_is_replaced_by_a_retry() {
    let env = Env::new("50");
    // Copies fail half way, until the test fixes that.
    let seed = format!(
        "{}\n[delivery]\nfail_copies_at = 50\n",
        ecsimg::sim::SANDBOX_TOML
    );
    let seed = ecsimg::sim::Seed::parse(&seed, "failing copies").expect("the seed loads");
    let running = InProcess::start(ecsimg::sim::SimConfig {
        seed: Some(seed),
        speed: 50.0,
        ..ecsimg::sim::SimConfig::default()
    });
    let (simulator, url) = (&running.sim, running.sim.url());
    let run = |args: &[&str]| {
        env.cmd_without_endpoint(args)
            .args(["--endpoint", &url])
            .output()
            .expect("ecsimg runs")
    };
    let copies = || -> Vec<(String, String)> {
        simulator
            .images("cn-beijing")
            .into_iter()
            .filter(|i| i.name == "web-cf-cn-beijing")
            .map(|i| (i.id, i.status))
            .collect()
    };
    let delivery = "[delivery]\ncopy_to = [\"cn-beijing\"]\ncopy_name = \"web-cf-{region}\"\n";
    let path = env.recipe("web.toml", &recipe("web-cf", delivery));
    let created = run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&created, 6);
    let err = text(&created.stderr);
    assert!(err.contains("the copy ended CreateFailed"), "{err}");
    let failed = copies();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].1, "CreateFailed");

    simulator.fail_copies_at(None);
    // The retry is killed right after its new CopyImage was sent; the journal has the
    // delivery open again, so a plain resume finishes it with that same new copy.
    let mut retry = env.cmd_without_endpoint(&["watch", "--resume", "--retry-failed"]);
    retry.args(["--endpoint", &url]);
    kill_at_test_hook(
        retry,
        "ECSIMG_TEST_PAUSE_AFTER_COPY",
        "paused after CopyImage was sent",
    );
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert!(entry.delivery_due(), "{entry:?}");
    let retried = run(&["watch", "--resume"]);
    assert_exit(&retried, 0);
    let err = text(&retried.stderr);
    // The failed copy went before the kill; the new copy's send is recorded with its new
    // token, which ECS answers with the copy it made then.
    assert!(!err.contains("delete the failed copy"), "{err}");
    assert!(err.contains("to cn-beijing: done (m-"), "{err}");
    let made = copies();
    assert_eq!(
        made.len(),
        1,
        "the failed copy replaced, not doubled: {made:?}"
    );
    assert_ne!(made[0].0, failed[0].0);
    assert_eq!(made[0].1, "Available");
    let entry = env.journal().read().expect("journal").entries.remove(0);
    assert_eq!(entry.delivery_ended, Some(0));
    let copy = entry.delivery("copy cn-beijing").expect("the copy");
    assert_eq!(copy.copy_id(), Some(made[0].0.as_str()));
}

#[test]
fn an_image_with_encrypted_snapshots_is_still_copied_encrypted() {
    let env = Env::new("50");
    let wire = wire(&env);
    // The sandbox's database server: one of its data disks is encrypted.
    let body = recipe("web-enc", "[delivery]\ncopy_to = [\"cn-beijing\"]\n")
        .replace(RUNNING, "i-bp1a3fn8rvl2nqw0t5xk");
    let path = env.recipe("web.toml", &body);
    let created = env.run(&["create", "--recipe", &path, "--yes"]);
    assert_exit(&created, 0);
    let source = the_copy(&wire, "cn-hangzhou", "web-enc");
    assert!(
        snapshot_keys(&wire, "cn-hangzhou", &source)
            .iter()
            .any(|(encrypted, _)| *encrypted)
    );
    let copy = the_copy(&wire, "cn-beijing", "web-enc");
    let keys = snapshot_keys(&wire, "cn-beijing", &copy);
    assert!(keys.iter().all(|(encrypted, _)| *encrypted), "{keys:?}");
}
