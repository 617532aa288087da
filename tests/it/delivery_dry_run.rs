//! The delivery's DryRun over HTTP against the simulator, through the wizard's runner: every
//! call that takes DryRun is checked (placeholder image IDs for what does not exist yet, the
//! family's real images for retirements), a refusal fails its own row only, and nothing in the
//! account changes. And `ecsimg preview`, which prints the same plan.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ecsimg::api::client::{Client, ClientConfig};
use ecsimg::api::endpoint::Endpoint;
use ecsimg::api::{ApiError, Credentials};

use ecsimg::config::{ConfigOrigin, LoadedConfig};
use ecsimg::delivery::{AT_ONCE, Check, CheckOutcome, PLACEHOLDER_ID, dry_run};
use ecsimg::secret::Secret;
use ecsimg::sim::{KeyPair, SANDBOX_TOML, Seed, SimConfig};
use ecsimg::spec::{ImageSpec, parse_recipe};
use ecsimg::tui::effect::{Call, Effect};
use ecsimg::tui::error_report::ErrorReport;
use ecsimg::tui::launch::Connector;
use ecsimg::tui::msg::{Loaded, Msg, Owner, RequestId};
use ecsimg::tui::runner::Runner;
use ecsimg::tui::step::Step;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::sim_harness::{Opts, Wire};

/// The seed's image of family web-base, which the seed's Running instance was created from.
const SEED_IMAGE: &str = "m-bp1fyq7bo2ye0xkc9b1n";
const OTHER_ACCOUNT: &str = "1234567890123457";
const REGIONS: [&str; 3] = ["cn-hangzhou", "cn-shanghai", "cn-beijing"];
const ALL: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";
const KEY_ID: &str = "LTAIdeliverycheck";
const KEY_SECRET: &str = "delivery-check-secret";

fn spec() -> ImageSpec {
    let text = format!(
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1a3fn8rvl2nqw0t5xk\"\n\
         [image]\nname = \"web-new\"\nfamily = \"web-base\"\n[tags]\nenv = \"test\"\n\
         [delivery]\ncopy_to = [\"cn-shanghai\", \"cn-beijing\"]\n\
         share_with = [\"{OTHER_ACCOUNT}\"]\ntag_snapshots = true\n\
         [delivery.retire]\nkeep = 1\naction = \"deprecate\"\n"
    );
    parse_recipe(&text, Path::new("delivery.toml")).expect("a recipe")
}

/// The sandbox, signed with its own key, or with one bound to `policy`.
async fn connect(policy: Option<&str>) -> (Connector, ecsimg::api::Client) {
    let mut config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
    config.config.watch.poll_interval = Duration::from_millis(50);
    let Some(policy) = policy else {
        let (connector, client, _) = Connector::open_sandbox(config, SimConfig::default())
            .await
            .expect("the simulator starts");
        return (connector, client);
    };
    let text = format!(
        "{SANDBOX_TOML}\n[[access_keys]]\nid = \"{KEY_ID}\"\nsecret = \"{KEY_SECRET}\"\n\
         user = \"image-builder\"\ndenial_detail = true\npolicy = '''\n{policy}\n'''\n"
    );
    let sim = SimConfig {
        seed: Some(Seed::parse(&text, "delivery-check.toml").expect("the seed parses")),
        ..SimConfig::default()
    };
    let key = KeyPair {
        id: KEY_ID.into(),
        secret: Secret::new(KEY_SECRET),
    };
    let (connector, client, _) = Connector::open_sandbox_as(config, sim, key)
        .await
        .expect("the simulator starts");
    (connector, client)
}

/// The wizard's runner on the sandbox (it keeps the simulator running), and a wire to it.
fn runner(
    connector: Connector,
    client: ecsimg::api::Client,
) -> (Runner, UnboundedReceiver<Msg>, Wire) {
    let wire = Wire::new(connector.sandbox().expect("the sandbox").addr());
    let (tx, rx) = unbounded_channel();
    (Runner::new(tx, connector, Some(client)), rx, wire)
}

/// The delivery's DryRun as the review asks the runner for it.
async fn check(
    runner: &mut Runner,
    rx: &mut UnboundedReceiver<Msg>,
    spec: &ImageSpec,
) -> Vec<Check> {
    let id = RequestId {
        owner: Owner::Step(Step::Review),
        seq: 1,
    };
    runner
        .apply(Effect::Call {
            id,
            call: Call::DeliveryDryRun(Box::new(spec.clone())),
            delay: Duration::ZERO,
        })
        .await;
    let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an answer in time")
        .expect("a message");
    match msg {
        Msg::Api {
            id: answered,
            result: Ok(Loaded::DeliveryChecks(checks)),
        } if answered == id => checks,
        other => panic!("the delivery's checks, got {other:?}"),
    }
}

/// Everything a delivery would change, as the sandbox key reads it: the account's images in
/// every region (status, family, sharing, tags), the seed image's shares and its snapshots'
/// tags.
async fn account(wire: &Wire) -> Vec<Value> {
    let opts = Opts::sandbox();
    let mut seen = Vec::new();
    for region in REGIONS {
        let images = wire
            .call(
                "DescribeImages",
                &[
                    ("RegionId", region),
                    ("ImageOwnerAlias", "self"),
                    ("Status", ALL),
                    ("PageSize", "100"),
                ],
                &opts,
            )
            .await
            .ok();
        seen.push(images["Images"].clone());
        seen.push(images["TotalCount"].clone());
    }
    let shares = wire
        .call(
            "DescribeImageSharePermission",
            &[("RegionId", "cn-hangzhou"), ("ImageId", SEED_IMAGE)],
            &opts,
        )
        .await
        .ok();
    seen.push(shares["Accounts"].clone());
    let image = wire
        .call(
            "DescribeImages",
            &[("RegionId", "cn-hangzhou"), ("ImageId", SEED_IMAGE)],
            &opts,
        )
        .await
        .ok();
    let snapshots: Vec<String> =
        image["Images"]["Image"][0]["DiskDeviceMappings"]["DiskDeviceMapping"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|d| d["SnapshotId"].as_str().map(str::to_string))
            .collect();
    assert!(!snapshots.is_empty(), "the seed image has snapshots");
    let mut params = vec![
        ("RegionId".to_string(), "cn-hangzhou".to_string()),
        ("ResourceType".to_string(), "snapshot".to_string()),
    ];
    for (i, id) in snapshots.iter().enumerate() {
        params.push((format!("ResourceId.{}", i + 1), id.clone()));
    }
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let tags = wire.call("ListTagResources", &params, &opts).await.ok();
    seen.push(tags["TagResources"].clone());
    seen
}

fn rows(checks: &[Check]) -> Vec<(&str, &str, &str)> {
    checks
        .iter()
        .map(|c| {
            let outcome = match &c.outcome {
                CheckOutcome::Passed { .. } => "passed",
                CheckOutcome::PassedBeforeImage { .. } => "passed before the image",
                CheckOutcome::NotChecked(_) => "not checked",
                CheckOutcome::Failed(e) => e.code().unwrap_or("failed"),
            };
            (c.operation, c.region.as_str(), outcome)
        })
        .collect()
}

#[tokio::test]
async fn the_delivery_dry_run_checks_every_call_and_changes_nothing() {
    let (connector, client) = connect(None).await;
    let (mut runner, mut rx, wire) = runner(connector, client);
    let before = account(&wire).await;
    let checks = check(&mut runner, &mut rx, &spec()).await;
    assert_eq!(
        rows(&checks),
        [
            (
                "ModifyImageSharePermission",
                "cn-hangzhou",
                "passed before the image"
            ),
            ("TagResources", "cn-hangzhou", "not checked"),
            ("CopyImage", "cn-hangzhou", "passed before the image"),
            (
                "ModifyImageAttribute",
                "cn-shanghai",
                "passed before the image"
            ),
            (
                "ModifyImageSharePermission",
                "cn-shanghai",
                "passed before the image"
            ),
            ("TagResources", "cn-shanghai", "not checked"),
            ("CopyImage", "cn-hangzhou", "passed before the image"),
            (
                "ModifyImageAttribute",
                "cn-beijing",
                "passed before the image"
            ),
            (
                "ModifyImageSharePermission",
                "cn-beijing",
                "passed before the image"
            ),
            ("TagResources", "cn-beijing", "not checked"),
            // The seed's older image of the family is really checked, and passes.
            ("ModifyImageAttribute", "cn-hangzhou", "passed"),
            ("DescribeImages", "cn-shanghai", "not checked"),
            ("DescribeImages", "cn-beijing", "not checked"),
        ],
        "{checks:#?}"
    );
    assert!(
        checks[10].what.contains(SEED_IMAGE),
        "the retirement names the image it would take: {:?}",
        checks[10]
    );
    assert!(
        checks[2].what.contains("cn-shanghai") && checks[6].what.contains("cn-beijing"),
        "{checks:#?}"
    );
    let after = account(&wire).await;
    assert_eq!(before, after, "the DryRun changed nothing");
    // Nothing was copied: no image anywhere has the copies' name or the placeholder's ID.
    let after = format!("{after:?}");
    assert!(after.contains(SEED_IMAGE), "the listing is read: {after}");
    assert!(!after.contains(PLACEHOLDER_ID) && !after.contains("web-new"));
}

#[tokio::test]
async fn a_refused_delivery_call_fails_its_own_rows_with_the_reason() {
    let policy = r#"{"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ecs:CopyImage", "Resource": "*"}
    ]}"#;
    let (connector, client) = connect(Some(policy)).await;
    let (mut runner, mut rx, wire) = runner(connector, client);
    let before = account(&wire).await;
    let checks = check(&mut runner, &mut rx, &spec()).await;
    let refused: Vec<&Check> = checks.iter().filter(|c| c.outcome.failed()).collect();
    assert_eq!(refused.len(), 2, "one refusal per copy: {checks:#?}");
    for check in &refused {
        assert_eq!(check.operation, "CopyImage");
        let CheckOutcome::Failed(error) = &check.outcome else {
            unreachable!()
        };
        assert_eq!(error.code(), Some("Forbidden.RAM"));
        let report = ErrorReport::from_api(&check.what, error, false);
        let fix = report.fix.expect("a fix for a refusal");
        assert!(fix.contains("ecs:CopyImage"), "{fix}");
    }
    // The others went on.
    assert!(
        checks
            .iter()
            .filter(|c| c.operation == "ModifyImageSharePermission")
            .all(|c| matches!(c.outcome, CheckOutcome::PassedBeforeImage { .. })),
        "{checks:#?}"
    );
    assert_eq!(before, account(&wire).await, "the DryRun changed nothing");
}

/// Calls in flight now and at most, on a server that answers every call with
/// `DryRunOperation` after a pause.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
    calls: AtomicUsize,
}

async fn slow_dry_run(State(flight): State<Arc<InFlight>>) -> Response {
    let now = flight.now.fetch_add(1, Ordering::SeqCst) + 1;
    flight.most.fetch_max(now, Ordering::SeqCst);
    flight.calls.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    flight.now.fetch_sub(1, Ordering::SeqCst);
    let body = serde_json::json!({
        "RequestId": "REQ-DRY",
        "HostId": "ecs.aliyuncs.com",
        "Code": "DryRunOperation",
        "Message": "Request validation has been passed with DryRun flag set.",
        "Recommend": "",
    });
    (
        axum::http::StatusCode::BAD_REQUEST,
        [("content-type", "application/json;charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_run_concurrently_but_at_most_four_at_a_time() {
    let flight = Arc::new(InFlight::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = Router::new()
        .fallback(slow_dry_run)
        .with_state(flight.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut spec = spec();
    spec.image.family = None;
    if let Some(delivery) = spec.delivery.as_mut() {
        delivery.copy_to = [
            "cn-beijing",
            "cn-shanghai",
            "cn-shenzhen",
            "cn-qingdao",
            "cn-zhangjiakou",
        ]
        .map(String::from)
        .to_vec();
        delivery.retire = None;
    }
    let clients = |region: &str| -> Result<Client, ApiError> {
        let credentials = Credentials {
            access_key_id: "LTAIconcurrency".into(),
            access_key_secret: Secret::new("concurrency-secret"),
            security_token: None,
        };
        Client::new(
            ClientConfig::new(region, credentials)
                .with_endpoint(Endpoint::parse(&url).expect("loopback endpoint")),
        )
    };
    let checks = dry_run(&spec, &clients).await;
    // A share in each of six regions and five copies; the tags take no DryRun.
    assert_eq!(flight.calls.load(Ordering::SeqCst), 11);
    assert_eq!(
        checks
            .iter()
            .filter(|c| matches!(c.outcome, CheckOutcome::Passed { .. }))
            .count(),
        11,
        "{checks:#?}"
    );
    let most = flight.most.load(Ordering::SeqCst);
    assert!(most > 1, "the checks ran one at a time");
    assert!(most <= AT_ONCE, "{most} at once");
}

#[test]
fn preview_prints_the_delivery_calls_as_lines_or_as_aliyun_commands() {
    let env = crate::cli::Env::new("1");
    let text = format!(
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1a3fn8rvl2nqw0t5xk\"\n\
         [image]\nname = \"web-new\"\n\n[delivery]\ncopy_to = [\"cn-beijing\"]\n\
         share_with = [\"{OTHER_ACCOUNT}\"]\n"
    );
    let path = env.recipe("web.toml", &text);
    let params = env.run(&["preview", "--recipe", &path]);
    crate::cli::assert_exit(&params, 0);
    let out = crate::cli::text(&params.stdout);
    assert!(
        out.contains(
            "#   CopyImage RegionId=cn-hangzhou ImageId=<new image> DestinationRegionId=cn-beijing"
        ),
        "{out}"
    );
    let cli = env.run(&["preview", "--recipe", &path, "--format", "cli"]);
    crate::cli::assert_exit(&cli, 0);
    let out = crate::cli::text(&cli.stdout);
    let share = out
        .find(&format!(
            "#   aliyun ecs ModifyImageSharePermission --RegionId cn-hangzhou --ImageId '<new image>' \
             --AddAccount.1 {OTHER_ACCOUNT}\n"
        ))
        .expect(&out);
    let copy = out
        .find("#   aliyun ecs CopyImage --RegionId cn-hangzhou --ImageId '<new image>' --DestinationRegionId cn-beijing")
        .expect(&out);
    let watch = out
        .find("'<copy in cn-beijing>' --Status 'Creating,Waiting,Available,UnAvailable,CreateFailed'   # every poll until the copy is Available")
        .expect(&out);
    assert!(share < copy && copy < watch, "{out}");
}

#[tokio::test]
async fn the_build_policy_is_enough_for_the_delivery_dry_run() {
    let spec = spec();
    // The sandbox's account, which the policy's ARNs name.
    let policy = ecsimg::policy::for_spec(&spec, Some("1234567890123456")).json();
    let (connector, client) = connect(Some(&policy)).await;
    let (mut runner, mut rx, _wire) = runner(connector, client);
    let checks = check(&mut runner, &mut rx, &spec).await;
    assert!(
        checks.iter().all(|c| !c.outcome.failed()),
        "{checks:#?}\n{policy}"
    );
    assert_eq!(checks.len(), 13, "{checks:#?}");
}

/// A copy's KMS key is a parameter: a disabled key, or one the destination region does not
/// hold, is refused by the DryRun before any image exists, not after a long build.
#[tokio::test]
async fn a_copys_unusable_kms_key_is_refused_before_the_build() {
    let (connector, client) = connect(None).await;
    let (mut runner, mut rx, _wire) = runner(connector, client);
    let mut spec = spec();
    let delivery = spec.delivery.as_mut().expect("a delivery");
    delivery.share_with.clear();
    delivery.encrypt_copies = true;
    delivery.kms_key_ids = vec![
        // cn-hangzhou's key: a key serves only its own region.
        ("cn-shanghai".into(), "key-hzz65f3b1c6e7x9a0k2m".into()),
        // Disabled in the sandbox's seed.
        ("cn-beijing".into(), "key-bjz0retired5c3w9h2lx".into()),
    ];
    let checks = check(&mut runner, &mut rx, &spec).await;
    let refused: Vec<(&str, Option<&str>)> = checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::Failed(e) => Some((c.region.as_str(), e.code())),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 2, "{checks:#?}");
    assert_eq!(
        refused[0],
        ("cn-hangzhou", Some("InvalidParameter.KMSKeyId.NotFound")),
        "{checks:#?}"
    );
    assert_eq!(
        refused[1],
        (
            "cn-hangzhou",
            Some("InvalidParameter.KMSKeyId.CMKNotEnabled")
        ),
        "{checks:#?}"
    );
    assert!(
        checks
            .iter()
            .filter(|c| c.operation == "CopyImage")
            .all(|c| c.outcome.failed()),
        "{checks:#?}"
    );
}
