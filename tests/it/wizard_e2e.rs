//! The wizard end to end, without a terminal: the in-process simulator (the real `--sandbox`
//! path), `update` driven by keys, and every effect run for real by the effect runner over
//! HTTP — from the choice of a source to a complete spec that the simulator's CreateImage
//! accepts in a DryRun.

use std::time::Duration;

use crate::common::{Harness, Pace};
use crossterm::event::KeyCode;
use ecsimg::api::CreateImageAnswer;
use ecsimg::config::{ConfigOrigin, LoadedConfig};
use ecsimg::session::SessionOptions;
use ecsimg::spec::{self, ImdsSupport, Source};
use ecsimg::tui::launch::{Connector, Opening};
use ecsimg::tui::runner::Runner;
use ecsimg::tui::step::Step;
use tokio::sync::mpsc::unbounded_channel;

/// Opens the wizard exactly as `ecsimg --sandbox` does and runs its first loads.
async fn sandbox() -> Harness {
    let opts = SessionOptions {
        sandbox: true,
        ..SessionOptions::default()
    };
    let config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
    let (connector, opening): (Connector, Opening) = Connector::open(&opts, config)
        .await
        .expect("the sandbox starts");
    let Opening::Ready { client, connection } = opening else {
        panic!("the sandbox needs no credentials");
    };
    let (tx, rx) = unbounded_channel();
    let runner = Runner::new(tx, connector, Some(client));
    // Delays as the wizard asks for them, and keys without clock ticks between them.
    let pace = Pace {
        max_delay: Duration::MAX,
        tick_before_key: false,
        clock: None,
    };
    Harness::start(runner, rx, connection, pace).await
}

/// Checks on the finished spec.
impl Harness {
    /// Errors left in the spec, with live facts.
    fn errors(&self) -> Vec<String> {
        spec::validate_with(&self.app.spec, &self.app.facts)
            .into_iter()
            .filter(|f| f.is_error())
            .map(|f| format!("{}: {}", f.field.label(), f.message))
            .collect()
    }

    /// Sends the spec as a CreateImage DryRun: the simulator runs every check.
    async fn dry_run(&self) {
        let mut params = spec::to_params(&self.app.spec);
        params.push(("DryRun".into(), "true".into()));
        let outcome = self.client().create_image(&params).await;
        assert!(
            matches!(outcome, Ok(CreateImageAnswer::DryRunPassed { .. })),
            "the simulator refused the spec: {outcome:?}\n{:#?}",
            self.app.spec
        );
    }
}

#[tokio::test]
async fn from_an_instance_to_a_complete_spec() {
    let mut h = sandbox().await;
    assert_eq!(h.app.step, Step::Source);
    let instances = h.app.steps.source.instances();
    assert!(
        instances.rows().len() >= 5,
        "the sandbox's instances are listed"
    );
    assert!(!instances.is_loading());

    // Step 1: filter by a Chinese name and choose the Stopped database server.
    h.type_text("数据库").await;
    let selected = h
        .app
        .steps
        .source
        .instances()
        .selected()
        .map(|i| i.status.clone());
    assert_eq!(selected.as_deref(), Some("Stopped"));
    h.press(KeyCode::Enter).await;
    let Source::Instance { instance_id } = &h.app.spec.source else {
        panic!("an instance source, got {:?}", h.app.spec.source);
    };
    assert_eq!(instance_id, "i-bp1a3fn8rvl2nqw0t5xk");
    assert_eq!(h.app.step, Step::Disks);

    // Step 2: the instance's disks as the image will capture them; nothing to edit.
    h.ctrl('n').await;
    assert_eq!(h.app.step, Step::Details);

    // Step 3: a name (checked against the region's images) and a family.
    h.press(KeyCode::Enter).await;
    h.type_text("db-golden-e2e").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Tab).await;
    h.press(KeyCode::Enter).await;
    h.type_text("db").await;
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.spec.image.name.as_deref(), Some("db-golden-e2e"));
    assert_eq!(h.app.spec.image.family.as_deref(), Some("db"));
    h.ctrl('n').await;
    assert_eq!(h.app.step, Step::Tags);

    // Step 4: one tag, and IMDSv2.
    h.press(KeyCode::Char('a')).await;
    h.type_text("env").await;
    h.press(KeyCode::Tab).await;
    h.type_text("prod").await;
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.spec.tags.len(), 1);
    assert_eq!(
        (
            h.app.spec.tags[0].key.as_str(),
            h.app.spec.tags[0].value.as_str()
        ),
        ("env", "prod")
    );
    // Down past the "add a tag" row to IMDS support; → steps through its values.
    h.press(KeyCode::Down).await;
    h.press(KeyCode::Down).await;
    for _ in 0..3 {
        if h.app.spec.features.imds_support == Some(ImdsSupport::V2) {
            break;
        }
        h.press(KeyCode::Right).await;
    }
    assert_eq!(h.app.spec.features.imds_support, Some(ImdsSupport::V2));
    h.ctrl('n').await;
    assert_eq!(h.app.step, Step::Delivery);

    // Step 5: a copy in cn-shanghai, picked from DescribeRegions, and one account to share
    // with, refused while it is too short and added once it is whole.
    h.press(KeyCode::Enter).await;
    assert!(
        h.app.steps.delivery.regions_listed() > 1,
        "DescribeRegions lists the regions"
    );
    h.type_text("cn-shanghai").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Esc).await;
    h.press(KeyCode::Esc).await;
    // Past the copy's name, description and encryption to the account input.
    for _ in 0..4 {
        h.press(KeyCode::Tab).await;
    }
    h.press(KeyCode::Enter).await;
    h.type_text("12345678").await;
    h.press(KeyCode::Enter).await;
    let delivery = h.app.spec.delivery.clone().unwrap_or_default();
    assert!(delivery.share_with.is_empty(), "8 digits are refused");
    h.type_text("90123457").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Esc).await;
    let delivery = h.app.spec.delivery.clone().expect("a delivery table");
    assert_eq!(delivery.copy_to, ["cn-shanghai"]);
    assert_eq!(delivery.share_with, ["1234567890123457"]);
    h.ctrl('n').await;
    assert_eq!(h.app.step, Step::Review);

    assert_eq!(h.errors(), Vec::<String>::new());
    h.dry_run().await;
    // The recipe the review saves carries the delivery, and reads back the same.
    let recipe = spec::to_recipe(&h.app.spec);
    let read = spec::parse_recipe(&recipe, std::path::Path::new("wizard.recipe.toml"))
        .expect("the wizard's recipe reads back");
    assert_eq!(read.delivery, h.app.spec.delivery, "{recipe}");
    assert!(recipe.contains("cn-shanghai"), "{recipe}");
}

#[tokio::test]
async fn a_name_already_used_in_the_region_is_flagged() {
    let mut h = sandbox().await;
    h.type_text("数据库").await;
    h.press(KeyCode::Enter).await;
    h.ctrl('n').await;
    let taken = h
        .client()
        .describe_images_all(&ecsimg::api::model::ImageQuery {
            image_owner_alias: Some("self".into()),
            ..Default::default()
        })
        .await
        .expect("images")
        .into_iter()
        .map(|i| i.image_name)
        .find(|n| !n.is_empty())
        .expect("the sandbox has a custom image");
    h.press(KeyCode::Enter).await;
    h.type_text(&taken).await;
    h.press(KeyCode::Enter).await;
    assert!(
        h.errors().iter().any(|e| e.contains(&taken)),
        "duplicate name not flagged: {:?}",
        h.errors()
    );
}

#[tokio::test]
async fn from_a_system_disk_snapshot() {
    let mut h = sandbox().await;
    h.press(KeyCode::Tab).await;
    assert!(h.app.steps.source.snapshots().rows().len() >= 10);
    h.type_text("db-system").await;
    h.press(KeyCode::Enter).await;
    assert_eq!(
        h.app.spec.source,
        Source::Snapshot {
            snapshot_id: "s-bp1d2yx8e5w7b0n4m6qa".into()
        }
    );
    assert_eq!(h.app.step, Step::Disks);
    h.go_to(Step::Review).await;
    assert_eq!(h.errors(), Vec::<String>::new());
    h.dry_run().await;
}

#[tokio::test]
async fn from_a_disk_mapping() {
    let mut h = sandbox().await;
    h.press(KeyCode::BackTab).await;
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.step, Step::Disks);
    // The system disk: choose its snapshot in the picker.
    h.press(KeyCode::Enter).await;
    h.type_text("web-01-system").await;
    h.press(KeyCode::Enter).await;
    // An empty data disk of the default size.
    h.press(KeyCode::Char('e')).await;
    let Source::Disks(disks) = &h.app.spec.source else {
        panic!("a mapping, got {:?}", h.app.spec.source);
    };
    assert_eq!(disks.len(), 2, "{disks:?}");
    assert_eq!(
        disks[0].snapshot_id.as_deref(),
        Some("s-bp1k4wd2j0qmz7h5x3cv")
    );
    assert_eq!(disks[1].snapshot_id, None);
    h.go_to(Step::Review).await;
    assert_eq!(h.errors(), Vec::<String>::new());
    h.dry_run().await;
}
