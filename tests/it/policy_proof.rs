//! Proof that the policy ecsimg generates for a build is sufficient and minimal, over real HTTP
//! against the simulator enforcing it:
//!
//! - a key bound to exactly the generated policy completes the whole journey — the wizard's
//!   lists and lookups, DryRun, submit, the watch, the restart, the abort (DeleteImage) — for a
//!   recipe of each source kind;
//! - a key bound to the policy of a recipe with `[delivery]` delivers it (copy, family, shares,
//!   snapshot tags, a deprecation) and replaces a copy that ended CreateFailed (deleted, then
//!   made again), and without any one delivery statement a delivery action is refused for
//!   that statement's action;
//! - for each statement, a key bound to the policy without it is refused at the step that
//!   statement serves, and the refusal is explained: the missing action on the resources, and
//!   a statement granting it that the removed one covers.
//!
//! The calls are the wizard's own (`tui::effect::Call`, run by its effect runner); the wizard
//! itself is also driven by keys through one journey with a bound key.

use std::time::Duration;

use crossterm::event::KeyCode;
use ecsimg::api::model::{DiskQuery, ImageQuery, InstanceQuery, SnapshotQuery};
use ecsimg::api::{ApiError, StopOptions};
use ecsimg::config::{ConfigOrigin, LoadedConfig};
use ecsimg::journal::Journal;
use ecsimg::policy::{self, Document, Generated, wildcard};
use ecsimg::secret::Secret;
use ecsimg::sim::{KeyPair, RunningSim, SANDBOX_TOML, Seed, SimConfig};
use ecsimg::spec::{ImageSpec, Source, parse_recipe, to_params};
use ecsimg::submission::Submitted;
use ecsimg::tui::effect::{Call, Effect, SubmitCall};
use ecsimg::tui::error_report::ErrorReport;
use ecsimg::tui::launch::Connector;
use ecsimg::tui::msg::{Loaded, Msg, Owner, RequestId};
use ecsimg::tui::runner::Runner;
use ecsimg::tui::step::Step;
use ecsimg::watch::{WatchEnd, WatchEvent};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::common::{Harness, Pace};

/// The sandbox account (its seed's `owner_id`), as GetCallerIdentity would name it.
const OWNER: &str = "1234567890123456";
const KEY_ID: &str = "LTAIpolicyproof";
const KEY_SECRET: &str = "policy-proof-secret";
const SPEED: f64 = 40.0;

/// The sandbox's seed with one more key, bound to `policy`.
fn seed(policy: &Document, denial_detail: bool) -> Seed {
    let json = serde_json::to_string_pretty(policy).expect("serializes");
    let text = format!(
        "{SANDBOX_TOML}\n[[access_keys]]\nid = \"{KEY_ID}\"\nsecret = \"{KEY_SECRET}\"\n\
         user = \"image-builder\"\ndenial_detail = {denial_detail}\npolicy = '''\n{json}\n'''\n"
    );
    Seed::parse(&text, "policy-proof.toml").expect("the seed parses")
}

fn key() -> KeyPair {
    KeyPair {
        id: KEY_ID.into(),
        secret: Secret::new(KEY_SECRET),
    }
}

fn config() -> LoadedConfig {
    let mut config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
    config.config.watch.poll_interval = Duration::from_millis(50);
    config
}

async fn connect(policy: &Document, denial_detail: bool) -> (Connector, ecsimg::api::Client) {
    let sim = SimConfig {
        speed: SPEED,
        seed: Some(seed(policy, denial_detail)),
        ..SimConfig::default()
    };
    let (connector, client, connection) = Connector::open_sandbox_as(config(), sim, key())
        .await
        .expect("the simulator starts");
    assert_eq!(
        connection.credential_source,
        format!("simulator key {KEY_ID}")
    );
    (connector, client)
}

fn recipe(text: &str) -> ImageSpec {
    let mut spec = parse_recipe(text, std::path::Path::new("proof.toml")).expect("a recipe");
    spec.client_token = Some(uuid::Uuid::new_v4().to_string());
    spec
}

/// One recipe of each source kind, in the sandbox's region.
fn recipes() -> Vec<(&'static str, ImageSpec)> {
    let head = "region = \"cn-hangzhou\"\n";
    vec![
        (
            "instance",
            recipe(&format!(
                "{head}[source]\ninstance_id = \"i-bp1a3fn8rvl2nqw0t5xk\"\n[image]\nname = \"proof-instance\"\n"
            )),
        ),
        (
            "instance with stop",
            recipe(&format!(
                "{head}[source]\ninstance_id = \"i-bp1g6zv0ce8oghu7k2a1\"\nstop = \"keep-charging\"\n\
                 restart = true\n[image]\nname = \"proof-stop\"\n"
            )),
        ),
        (
            "system snapshot",
            recipe(&format!(
                "{head}[source]\nsnapshot_id = \"s-bp1k4wd2j0qmz7h5x3cv\"\n[image]\nname = \"proof-snapshot\"\n"
            )),
        ),
        (
            "disk mapping",
            recipe(&format!(
                "{head}[[source.disks]]\ndisk_type = \"system\"\nsnapshot_id = \"s-bp1d2yx8e5w7b0n4m6qa\"\n\
                 [[source.disks]]\ndisk_type = \"data\"\nsnapshot_id = \"s-bp1e7u3c9k1z5r8p2t4w\"\n\
                 [image]\nname = \"proof-mapping\"\n"
            )),
        ),
        (
            "with tags",
            recipe(&format!(
                "{head}[source]\ninstance_id = \"i-bp1a3fn8rvl2nqw0t5xk\"\n[image]\nname = \"proof-tags\"\n\
                 [tags]\nenv = \"prod\"\nteam = \"platform\"\n"
            )),
        ),
    ]
}

/// A call refused on the way: at which step, making which call.
#[derive(Debug)]
struct Refusal {
    step: &'static str,
    error: ApiError,
}

/// The wizard's effect runner with a bound key, and the results coming back.
struct Calls {
    runner: Runner,
    rx: UnboundedReceiver<Msg>,
    seq: u64,
    _dir: tempfile::TempDir,
}

impl Calls {
    async fn open(policy: &Document, denial_detail: bool) -> Calls {
        let (connector, client) = connect(policy, denial_detail).await;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (tx, rx) = unbounded_channel();
        let runner = Runner::new(tx, connector, Some(client))
            .with_journal(Journal::at(dir.path().join("journal.jsonl")));
        Calls {
            runner,
            rx,
            seq: 0,
            _dir: dir,
        }
    }

    fn sim(&self) -> &RunningSim {
        self.runner
            .connector()
            .sandbox()
            .expect("the simulator runs")
    }

    /// Makes `call` as the wizard's `step` does; every answer, or the refusal.
    async fn call(&mut self, step: &'static str, call: Call) -> Result<Vec<Loaded>, Refusal> {
        self.seq += 1;
        let id = RequestId {
            owner: Owner::App,
            seq: self.seq,
        };
        self.runner
            .apply(Effect::Call {
                id,
                call,
                delay: Duration::ZERO,
            })
            .await;
        let mut answers = Vec::new();
        loop {
            if self.runner.is_idle() && self.rx.is_empty() {
                break;
            }
            let msg = tokio::time::timeout(Duration::from_millis(20), self.rx.recv()).await;
            let Ok(Some(Msg::Api { result, .. })) = msg else {
                continue;
            };
            match result.map_err(Some).and_then(refused_inside) {
                Ok(loaded) => answers.push(loaded),
                Err(error) => {
                    return Err(Refusal {
                        step,
                        error: error.expect("an error"),
                    });
                }
            }
        }
        Ok(answers)
    }
}

/// A refusal the runner delivers inside an answer (the submission's, the watch's end).
fn refused_inside(loaded: Loaded) -> Result<Loaded, Option<ApiError>> {
    match &loaded {
        Loaded::Submitted(submitted) => match &**submitted {
            Submitted::Sent {
                answer: Err(error), ..
            } => Err(Some(error.clone())),
            _ => Ok(loaded),
        },
        Loaded::Watch(event) => match &**event {
            WatchEvent::Finished {
                outcome: WatchEnd::Error(error),
                ..
            } => Err(Some(error.clone())),
            _ => Ok(loaded),
        },
        _ => Ok(loaded),
    }
}

/// The journey of `spec`'s build, call by call as the wizard makes them.
async fn journey(calls: &mut Calls, spec: &ImageSpec) -> Result<(), Refusal> {
    // 1 · Source: both lists; a Running instance is stopped first and watched until Stopped.
    calls
        .call("Source", Call::Instances(InstanceQuery::default()))
        .await?;
    calls
        .call("Source", Call::Snapshots(SnapshotQuery::default()))
        .await?;
    if let (Source::Instance { instance_id }, Some(plan)) = (&spec.source, spec.stop) {
        calls
            .call(
                "Source",
                Call::StopInstance {
                    instance_id: instance_id.clone(),
                    options: StopOptions {
                        mode: plan.mode,
                        force: plan.force,
                    },
                },
            )
            .await?;
        let mut status = String::new();
        for _ in 0..200 {
            let rows = calls
                .call("Source", Call::Instances(InstanceQuery::one(instance_id)))
                .await?;
            status = rows
                .into_iter()
                .filter_map(Loaded::instances)
                .flat_map(|page| page.rows)
                .map(|i| i.status)
                .next()
                .unwrap_or_default();
            if status == "Stopped" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status, "Stopped", "the instance stops");
    }
    // 2 · Disks: the instance's disks, or the facts of the mapped snapshots.
    let snapshot_ids: Vec<String> = match &spec.source {
        Source::Instance { .. } => Vec::new(),
        Source::Snapshot { snapshot_id } => vec![snapshot_id.clone()],
        Source::Disks(disks) => disks.iter().filter_map(|d| d.snapshot_id.clone()).collect(),
    };
    let instance_id = match &spec.source {
        Source::Instance { instance_id } => Some(instance_id.clone()),
        _ => None,
    };
    let disks = |id: &String| {
        Call::Disks(DiskQuery {
            instance_id: Some(id.clone()),
            ..DiskQuery::default()
        })
    };
    let lookup = |ids: &Vec<String>| {
        Call::Snapshots(SnapshotQuery {
            snapshot_ids: Some(ids.clone()),
            ..SnapshotQuery::default()
        })
    };
    match &instance_id {
        Some(id) => calls.call("Disks", disks(id)).await?,
        None => calls.call("Disks", lookup(&snapshot_ids)).await?,
    };
    // 3 · Details: the resource groups, the own images' families, the name check.
    calls.call("Details", Call::ResourceGroups).await?;
    calls
        .call(
            "Details",
            Call::Images(ImageQuery {
                image_owner_alias: Some("self".into()),
                ..ImageQuery::default()
            }),
        )
        .await?;
    let name = spec.image.name.clone().unwrap_or_default();
    calls.call("Details", Call::ImagesNamed { name }).await?;
    // 5 · Review: the source's facts, then the DryRun.
    match &instance_id {
        Some(id) => {
            calls
                .call("Review", Call::Instances(InstanceQuery::one(id)))
                .await?;
            calls.call("Review", disks(id)).await?;
        }
        None => {
            calls.call("Review", lookup(&snapshot_ids)).await?;
        }
    }
    let params = to_params(spec);
    let dry_run = calls
        .call(
            "Review",
            Call::DryRun {
                params: params.clone(),
            },
        )
        .await?;
    assert!(
        matches!(dry_run.as_slice(), [Loaded::DryRun(_)]),
        "{dry_run:?}"
    );
    // 6 · Submit: CreateImage, the watch until Available, the restart, then the abort key.
    let submitted = calls
        .call(
            "Submit",
            Call::Submit(Box::new(SubmitCall {
                spec: spec.clone(),
                params,
                credential_source: format!("simulator key {KEY_ID}"),
                journaled: None,
            })),
        )
        .await?;
    let image_id = submitted
        .iter()
        .find_map(|l| match l {
            Loaded::Submitted(s) => match &**s {
                Submitted::Sent {
                    answer: Ok(ecsimg::api::CreateImageAnswer::Created { image_id, .. }),
                    ..
                } => Some(image_id.clone()),
                _ => None,
            },
            _ => None,
        })
        .expect("CreateImage made an image");
    let watched = calls
        .call(
            "Submit",
            Call::Watch {
                image_id: image_id.clone(),
            },
        )
        .await?;
    assert!(
        watched.iter().any(|l| matches!(l, Loaded::Watch(e)
            if matches!(&**e, WatchEvent::Finished { outcome: WatchEnd::Available(_), .. }))),
        "the image becomes Available: {watched:?}"
    );
    if let (Some(id), Some(plan)) = (&instance_id, spec.stop)
        && plan.restart
    {
        calls
            .call(
                "Submit",
                Call::StartInstance {
                    instance_id: id.clone(),
                },
            )
            .await?;
    }
    calls
        .call(
            "Submit",
            Call::DeleteImage {
                image_id: image_id.clone(),
            },
        )
        .await?;
    assert!(
        calls
            .sim()
            .images(&spec.region)
            .iter()
            .all(|i| i.id != image_id),
        "the abort key deleted the image"
    );
    Ok(())
}

#[tokio::test]
async fn the_generated_policy_is_enough_for_every_source_kind() {
    for (kind, spec) in recipes() {
        for account in [Some(OWNER), None] {
            let generated = policy::for_spec(&spec, account);
            let mut calls = Calls::open(&generated.document(), true).await;
            if let Err(refusal) = journey(&mut calls, &spec).await {
                panic!(
                    "{kind} ({account:?}): refused at {}: {}\n{}",
                    refusal.step,
                    refusal.error,
                    generated.json()
                );
            }
        }
    }
}

/// The removed statement's step refuses, with the missing action on resources the removed
/// statement covers, and a statement to add that grants it.
fn assert_explained(
    kind: &str,
    generated: &Generated,
    index: usize,
    refusal: &Refusal,
    detail: bool,
) {
    let removed = &generated.statements[index];
    let action = &removed.statement.action[0];
    let context = format!("{kind}: without {action} (detail {detail})");
    assert_eq!(refusal.error.code(), Some("Forbidden.RAM"), "{context}");
    assert_eq!(refusal.error.http_status(), Some(403), "{context}");
    assert!(
        removed.note.starts_with(refusal.step),
        "{context}: refused at {} but the statement serves {:?}",
        refusal.step,
        removed.note
    );
    let denied = policy::explain(&refusal.error).expect("the refusal is explained");
    assert_eq!(&denied.action, action, "{context}");
    assert!(!denied.explicit, "{context}");
    for resource in &denied.resources {
        // Without AccessDeniedDetail the account is not known: `*` stands for it.
        let covered = removed.statement.resource.iter().any(|pattern| {
            wildcard(pattern, resource)
                || (!detail && wildcard(&pattern.replace(OWNER, "*"), resource))
        });
        assert!(
            covered,
            "{context}: {resource} not in {:?}",
            removed.statement.resource
        );
    }
    assert_eq!(
        denied.statement.condition, removed.statement.condition,
        "{context}"
    );
    let report = ErrorReport::from_api(refusal.step, &refusal.error, false);
    let meaning = report.meaning.unwrap_or_default();
    assert!(
        meaning.contains(&format!("Missing permission: {action} on acs:"))
            || meaning.contains(&format!("Missing permission: {action} on *")),
        "{context}: {meaning}"
    );
    let fix = report.fix.unwrap_or_default();
    assert!(fix.contains(&denied.statement_json()), "{context}: {fix}");
}

#[tokio::test]
async fn without_any_one_statement_the_build_stops_at_its_step_and_says_what_to_add() {
    for (kind, spec) in recipes() {
        let generated = policy::for_spec(&spec, Some(OWNER));
        for index in 0..generated.statements.len() {
            // Every other refusal comes without AccessDeniedDetail: the call names the action.
            let detail = index % 2 == 0;
            let mut calls = Calls::open(&generated.without(index), detail).await;
            let refusal = journey(&mut calls, &spec).await.expect_err(&format!(
                "{kind}: the journey without {:?} is refused",
                generated.statements[index].statement.action
            ));
            assert_explained(kind, &generated, index, &refusal, detail);
        }
    }
}

#[tokio::test]
async fn a_tag_other_than_the_policy_names_is_refused() {
    let (_, spec) = recipes().pop().expect("the tags recipe");
    let generated = policy::for_spec(&spec, Some(OWNER));
    let mut other = spec.clone();
    other.tags[0].value = "staging".into();
    let mut calls = Calls::open(&generated.document(), true).await;
    let refusal = calls
        .call(
            "Review",
            Call::DryRun {
                params: to_params(&other),
            },
        )
        .await
        .expect_err("the policy pins the tag values");
    assert_eq!(refusal.error.code(), Some("Forbidden.RAM"));
    let ok = calls
        .call(
            "Review",
            Call::DryRun {
                params: to_params(&spec),
            },
        )
        .await;
    assert!(ok.is_ok(), "{ok:?}");
}

/// The wizard on a simulator whose key is bound to `policy`, journal in `dir`, first loads run.
async fn wizard(policy: &Document, dir: &tempfile::TempDir) -> Harness {
    let (connector, client) = connect(policy, true).await;
    let (tx, rx) = unbounded_channel();
    let runner = Runner::new(tx, connector, Some(client))
        .with_journal(Journal::at(dir.path().join("journal.jsonl")));
    let connection = ecsimg::tui::launch::Connection {
        sandbox: true,
        region: "cn-hangzhou".into(),
        credential_source: format!("simulator key {KEY_ID}"),
        endpoint: runner
            .connector()
            .sandbox()
            .expect("the simulator runs")
            .url(),
    };
    let pace = Pace {
        max_delay: Duration::from_millis(20),
        tick_before_key: true,
        clock: None,
    };
    Harness::start(runner, rx, connection, pace).await
}

/// The wizard itself, driven by keys with a key bound to the generated policy: source, name,
/// tags, DryRun, submit, the watch, and the abort key (the sandbox fails win-app-01's images at
/// 60 %, where `x` deletes the image).
#[tokio::test]
async fn the_wizard_goes_through_with_exactly_the_generated_policy() {
    let spec = recipe(
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1r7w2m5k9tq3xn8yce\"\n\
         [image]\nname = \"proof-tags\"\n[tags]\nenv = \"prod\"\nteam = \"platform\"\n",
    );
    let generated = policy::for_spec(&spec, None);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut h = wizard(&generated.document(), &dir).await;
    h.type_text("win-app").await;
    h.press(KeyCode::Enter).await;
    if h.app.step == Step::Source {
        // Running: use it as it is (the policy has no StopInstances).
        h.press(KeyCode::Char('u')).await;
    }
    assert_eq!(h.app.step, Step::Disks);
    h.ctrl('n').await;
    assert_eq!(h.app.step, Step::Details);
    h.press(KeyCode::Enter).await;
    h.type_text("proof-tags").await;
    h.press(KeyCode::Enter).await;
    h.ctrl('n').await;
    assert_eq!(h.app.step, Step::Tags);
    for (k, v) in [("env", "prod"), ("team", "platform")] {
        h.press(KeyCode::Char('a')).await;
        h.type_text(k).await;
        h.press(KeyCode::Tab).await;
        h.type_text(v).await;
        h.press(KeyCode::Enter).await;
    }
    h.go_to(Step::Review).await;
    assert_eq!(h.app.spec.tags, spec.tags);
    let text = h.screen(100, 60);
    assert!(!text.contains("Forbidden"), "no call was refused: {text}");
    h.press(KeyCode::Char('d')).await;
    let text = h.screen(100, 60);
    assert!(text.contains("DryRun: ✓ passed"), "{text}");
    h.press(KeyCode::Char('s')).await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Char('y')).await;
    let image_id = h
        .app
        .steps
        .submit
        .image_id()
        .expect("CreateImage answered with an ImageId")
        .to_string();
    assert!(!h.app.busy(), "the watch finished");
    let text = h.screen(100, 60);
    assert!(text.contains("CreateFailed at 60%"), "{text}");
    h.press(KeyCode::Char('x')).await;
    h.press(KeyCode::Char('y')).await;
    let sim = h.runner.connector().sandbox().expect("the simulator runs");
    assert!(
        sim.images(&spec.region).iter().all(|i| i.id != image_id),
        "the abort key deleted {image_id}"
    );
}

/// A list the wizard cannot load says, on its error screen, which permission is missing and
/// the statement to add.
#[tokio::test]
async fn the_wizard_error_screen_names_the_missing_statement() {
    let (_, spec) = recipes().swap_remove(0);
    let generated = policy::for_spec(&spec, None);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let h = wizard(&generated.without(0), &dir).await;
    let text = h.screen(100, 60);
    assert!(text.contains("Forbidden.RAM"), "{text}");
    assert!(
        text.contains("Missing permission: ecs:DescribeInstances on"),
        "{text}"
    );
    // The dialog wraps the statement; its start stays on one line.
    assert!(
        text.contains(r#"{"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"#),
        "{text}"
    );
}

/// A recipe with every delivery action, from an instance whose disks are not encrypted (an
/// image encrypted with the service key cannot be shared); retiring deprecates, so an older
/// image of the family is made first.
fn delivery_recipe() -> ImageSpec {
    recipe(
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-bp1g6zv0ce8oghu7k2a1\"\n\
         [image]\nname = \"proof-delivery\"\nfamily = \"proof\"\n[tags]\nenv = \"prod\"\n\
         [delivery]\ncopy_to = [\"cn-beijing\"]\nshare_with = [\"1234567890123457\"]\n\
         tag_snapshots = true\n[delivery.retire]\nkeep = 1\naction = \"deprecate\"\n",
    )
}

/// Builds `spec` with `client` and waits until the image is Available.
async fn build(client: &ecsimg::api::Client, spec: &ImageSpec) -> String {
    let answer = client
        .create_image(&to_params(spec))
        .await
        .expect("CreateImage");
    let ecsimg::api::CreateImageAnswer::Created { image_id, .. } = answer else {
        panic!("a real request: {answer:?}")
    };
    for _ in 0..400 {
        let rows = client
            .describe_images_all(&ImageQuery::watching([image_id.as_str()]))
            .await
            .expect("DescribeImages");
        if rows.iter().any(|i| i.status == "Available") {
            return image_id;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{image_id} never became Available")
}

/// What a delivery under a bound key came to.
struct Delivered {
    /// The totals of the first run, whose copy ended CreateFailed.
    first: ecsimg::delivery::Summary,
    /// The totals of the retry, once copies succeed again.
    retry: ecsimg::delivery::Summary,
    /// The calls refused, in both runs.
    failures: Vec<ApiError>,
    /// Whether the retry deleted the failed copy before it made a new one.
    replaced: bool,
    /// The statuses of the delivery recipe's images in the copy's region.
    copies: Vec<String>,
}

/// An older image of the family, then the delivery recipe's image, delivered with a key bound
/// to `policy`: the copy ends CreateFailed, and a retry once copies succeed again replaces it
/// (as `watch --resume --retry-failed` does), so every call a delivery can make is made.
async fn deliver_under(policy: &Document) -> Delivered {
    use ecsimg::delivery::{ActionResult, Deliverer, Event};
    let (connector, client) = connect(policy, true).await;
    let spec = delivery_recipe();
    let mut older = spec.clone();
    older.image.name = Some("proof-older".into());
    older.delivery = None;
    older.client_token = Some(uuid::Uuid::new_v4().to_string());
    build(&client, &older).await;
    let image_id = build(&client, &spec).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::at(dir.path().join("journal.jsonl"));
    let submission = ecsimg::journal::Submission::new(&spec, to_params(&spec), "sim", "test");
    journal.submit(&submission).expect("journaled");
    let clients = |region: &str| {
        connector.client_for(region).map_err(|e| ApiError::Setup {
            detail: e.to_string(),
        })
    };
    let watch = ecsimg::watch::WatchPolicy {
        poll_interval: Duration::from_millis(25),
        quick_interval: Duration::from_millis(25),
        timeout: Some(Duration::from_secs(30)),
        ..ecsimg::watch::WatchPolicy::default()
    };
    let interrupt = tokio_util::sync::CancellationToken::new();
    let deliverer = Deliverer {
        journal: &journal,
        clients: &clients,
        policy: &watch,
        interrupt: &interrupt,
    };
    let sim = connector.sandbox().expect("the sandbox");
    let mut failures = Vec::new();
    let mut replaced = false;
    let mut on = |event: Event| match event {
        Event::Action {
            result: ActionResult::Failed(e),
            ..
        } => failures.push(e),
        Event::Action {
            key,
            result: ActionResult::Done(_),
            ..
        } if key.starts_with("discard") => replaced = true,
        _ => {}
    };
    sim.fail_copies_at(Some(50));
    let first = deliverer.deliver(&submission, &image_id, &mut on).await;
    sim.fail_copies_at(None);
    let retry = deliverer.deliver(&submission, &image_id, &mut on).await;
    let copies = sim
        .images("cn-beijing")
        .into_iter()
        .filter(|i| i.name == "proof-delivery")
        .map(|i| i.status)
        .collect();
    Delivered {
        first,
        retry,
        failures,
        replaced,
        copies,
    }
}

#[tokio::test]
async fn delivery_needs_exactly_its_statements() {
    let spec = delivery_recipe();
    let generated = policy::for_spec(&spec, Some(OWNER));
    let delivered = deliver_under(&generated.document()).await;
    assert_eq!(delivered.failures, [], "{}", generated.json());
    // The copy failed, and nothing in its region ran.
    assert_eq!(delivered.first.failed, 1, "{:?}", delivered.first);
    // Share and tags in both regions, the copy, its family, one deprecation, and the failed
    // copy deleted first.
    assert_eq!(delivered.retry.failed, 0, "{:?}", delivered.retry);
    assert!(delivered.replaced, "the failed copy was deleted");
    assert_eq!(delivered.copies, ["Available"], "replaced, not doubled");

    let delivery: Vec<usize> = (0..generated.statements.len())
        .filter(|&i| generated.statements[i].note.starts_with("Delivery"))
        .collect();
    assert_eq!(delivery.len(), 9, "{:#?}", generated.notes());
    // Each run has a simulator of its own and mostly waits on simulated builds: run them at once.
    let runs = futures::future::join_all(delivery.iter().map(|&index| {
        let policy = generated.without(index);
        async move { (index, deliver_under(&policy).await) }
    }))
    .await;
    for (index, delivered) in runs {
        let removed = &generated.statements[index];
        let action = &removed.statement.action[0];
        assert!(
            delivered.retry.failed >= 1,
            "without {action}: {:?}",
            delivered.retry
        );
        let denied: Vec<String> = delivered
            .failures
            .iter()
            .filter(|e| e.code() == Some("Forbidden.RAM"))
            .filter_map(|e| policy::explain(e).map(|d| d.action))
            .collect();
        assert!(
            denied.contains(action),
            "without {action} ({}): refusals {:?}",
            removed.note,
            delivered.failures
        );
    }
}
