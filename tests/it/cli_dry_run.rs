//! `ecsimg create --dry-run` with a `[delivery]`: after CreateImage, every delivery call that
//! takes DryRun is checked and listed (text lines or JSON objects); a refused one is explained
//! as any API error and exits 3; nothing is created either way.

use serde_json::Value;

use crate::cli::{Env, RUNNING, assert_exit, text};
use crate::cli_delivery::{call, recipe, wire};
use crate::sim_harness::Wire;

const OTHER_ACCOUNT: &str = "1234567890123457";
const ALL: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";

fn delivery() -> String {
    format!(
        "[delivery]\ncopy_to = [\"cn-beijing\"]\nshare_with = [\"{OTHER_ACCOUNT}\"]\n\
         tag_snapshots = true\n"
    )
}

/// Every image of the account in `region`, as DescribeImages lists them.
fn account_images(wire: &Wire, region: &str) -> Value {
    let body = call(
        wire,
        "DescribeImages",
        &[
            ("RegionId", region),
            ("ImageOwnerAlias", "self"),
            ("Status", ALL),
            ("PageSize", "100"),
        ],
    );
    assert!(body["Images"]["Image"].is_array(), "{body}");
    body["Images"]["Image"].clone()
}

#[test]
fn a_passing_dry_run_lists_the_delivery_checks() {
    let env = Env::new("50");
    let wire = wire(&env);
    let before = account_images(&wire, "cn-beijing");
    let path = env.recipe("web.toml", &recipe("web-dry", &delivery()));

    let dry = env.run(&["create", "--recipe", &path, "--dry-run"]);
    assert_exit(&dry, 0);
    let err = text(&dry.stderr);
    for line in [
        "DryRun passed: ECS accepted the request",
        "delivery check: ModifyImageSharePermission, share in cn-hangzhou: passed",
        "delivery check: TagResources, tag snapshots in cn-hangzhou: not checked: \
         TagResources takes no DryRun",
        "delivery check: CopyImage, copy to cn-beijing: passed",
        "delivery check: ModifyImageSharePermission, share in cn-beijing: passed",
        "delivery DryRun: 4 passed, 2 not checked, 0 refused",
    ] {
        assert!(err.contains(line), "{line:?} in:\n{err}");
    }
    assert!(text(&dry.stdout).is_empty(), "{}", text(&dry.stdout));

    let json = env.run(&["create", "--recipe", &path, "--dry-run", "--output", "json"]);
    assert_exit(&json, 0);
    let events: Vec<Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(events[0]["event"], "dry_run_passed", "{events:?}");
    let checks: Vec<(&str, &str, &str)> = events[1..]
        .iter()
        .map(|e| {
            assert_eq!(e["event"], "delivery_check", "{e}");
            (
                e["operation"].as_str().expect("operation"),
                e["region"].as_str().expect("region"),
                e["result"].as_str().expect("result"),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            (
                "ModifyImageSharePermission",
                "cn-hangzhou",
                "passed_before_image"
            ),
            ("TagResources", "cn-hangzhou", "not_checked"),
            ("CopyImage", "cn-hangzhou", "passed_before_image"),
            ("ModifyImageAttribute", "cn-beijing", "passed_before_image"),
            (
                "ModifyImageSharePermission",
                "cn-beijing",
                "passed_before_image"
            ),
            ("TagResources", "cn-beijing", "not_checked"),
        ]
    );

    assert_eq!(before, account_images(&wire, "cn-beijing"), "no copy made");
    assert!(env.sim.images_named("web-dry").is_empty(), "no image made");
}

/// A RAM user's key that may do everything but copy images.
const NO_COPY: &str = "LTAInocopy";

#[test]
fn a_refused_copy_fails_the_dry_run_with_its_explanation_and_exit_3() {
    let env = Env::denying("50", "ecs:CopyImage", NO_COPY);
    let wire = wire(&env);
    let before = account_images(&wire, "cn-beijing");
    let path = env.recipe("web.toml", &recipe("web-dry", &delivery()));
    let dry = |format: &str| {
        env.cmd_as(
            NO_COPY,
            &["create", "--recipe", &path, "--dry-run", "--output", format],
        )
        .output()
        .expect("ecsimg runs")
    };

    let refused = dry("text");
    assert_exit(&refused, 3);
    let err = text(&refused.stderr);
    // CreateImage itself passed; the copy's check names the refusal, what it means and the
    // statement that allows it.
    assert!(err.contains("DryRun passed"), "{err}");
    assert!(
        err.contains("delivery check: CopyImage, copy to cn-beijing: REFUSED: Forbidden.RAM"),
        "{err}"
    );
    assert!(err.contains("what it means: "), "{err}");
    assert!(
        err.contains("A Deny statement refuses ecs:CopyImage on acs:ecs:cn-hangzhou:"),
        "{err}"
    );
    assert!(err.contains(r#""Action":"ecs:CopyImage""#), "{err}");
    // The others went on.
    assert!(
        err.contains("delivery check: ModifyImageSharePermission, share in cn-beijing: passed"),
        "{err}"
    );
    assert!(
        err.contains(
            "error: DryRun failed: 1 of the delivery's 4 checked call(s) refused (above); \
             nothing was created"
        ),
        "{err}"
    );

    let json = dry("json");
    assert_exit(&json, 3);
    let copy: Value = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .find(|e| e["operation"] == "CopyImage")
        .expect("the copy's check");
    assert_eq!(copy["result"], "refused");
    assert_eq!(copy["code"], "Forbidden.RAM");
    assert!(
        copy["reason"]
            .as_str()
            .is_some_and(|r| r.contains("A Deny statement refuses ecs:CopyImage")),
        "{copy}"
    );

    assert_eq!(before, account_images(&wire, "cn-beijing"), "no copy made");
    assert!(env.sim.images_named("web-dry").is_empty(), "no image made");
}

#[test]
fn a_refused_create_image_still_has_the_delivery_checked() {
    let env = Env::new("50");
    let body = recipe("web-dry", &delivery()).replace(RUNNING, "i-bp1zzzzzzzzzzzzzzzzz");
    let path = env.recipe("web.toml", &body);
    let dry = env.run(&["create", "--recipe", &path, "--dry-run"]);
    assert_exit(&dry, 3);
    let err = text(&dry.stderr);
    assert!(
        err.contains("delivery check: CopyImage, copy to cn-beijing: passed"),
        "{err}"
    );
    assert!(
        err.contains("error: DryRun failed: InvalidInstanceId.NotFound"),
        "{err}"
    );
    assert!(!err.contains("DryRun passed"), "{err}");
}
