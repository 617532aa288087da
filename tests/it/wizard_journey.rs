//! The whole wizard journey by keys, without a terminal: the in-process simulator (running 40×
//! faster, the `--sandbox` path otherwise), `update` driven by key presses, and every effect run
//! for real by the effect runner over HTTP — source → disks → details → tags → review → DryRun
//! → submit → Available, then the image the simulator holds is compared with the spec. DryRun
//! refusals are driven the same way and must reach the screen with their explanations.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::time::Duration;

use crate::common::{Harness, Pace};
use crossterm::event::KeyCode;
use ecsimg::api::CreateImageAnswer;
use ecsimg::api::error::explain;
use ecsimg::api::model::ImageQuery;
use ecsimg::config::{ConfigOrigin, LoadedConfig};
use ecsimg::journal::Journal;
use ecsimg::sim::{Clock, Fault, RunningSim, SimConfig};
use ecsimg::spec::{
    self, DetectionStrategy, ImdsSupport, RetireAction, RetirePlan, Source, parse_recipe,
};
use ecsimg::tui::launch::Connector;
use ecsimg::tui::runner::Runner;
use ecsimg::tui::step::Step;
use tokio::sync::mpsc::unbounded_channel;

/// Delays the wizard asks for (polls) are cut to this: the simulator runs fast too.
const FAST: Duration = Duration::from_millis(20);
/// How much faster than real time the simulator builds images (20 s → 0.5 s).
const SPEED: f64 = 40.0;
/// How far the shared clock moves per answer: a 0.5 s build spans several polls.
const ANSWER_MOVES_CLOCK: Duration = Duration::from_millis(100);

/// The shared wizard harness and the journal's directory.
pub(crate) struct Journey {
    wizard: Harness,
    dir: tempfile::TempDir,
}

impl Deref for Journey {
    type Target = Harness;

    fn deref(&self) -> &Harness {
        &self.wizard
    }
}

impl DerefMut for Journey {
    fn deref_mut(&mut self) -> &mut Harness {
        &mut self.wizard
    }
}

impl Journey {
    /// Opens the wizard on a sandbox of its own (sped up, watched every 50 ms, journal in a
    /// temporary directory) and runs its first loads.
    pub(crate) async fn sandbox() -> Journey {
        let mut config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
        config.config.watch.poll_interval = Duration::from_millis(50);
        // One clock for the simulator and the wizard's ticks, moved by answers, not by the
        // wall: how loaded the machine is changes nothing the tests see.
        let clock = Clock::fixed(chrono::Utc::now());
        let sim = SimConfig {
            speed: SPEED,
            clock: clock.clone(),
            ..SimConfig::default()
        };
        let (connector, client, session) = Connector::open_sandbox(config, sim)
            .await
            .expect("the sandbox starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (tx, rx) = unbounded_channel();
        let runner = Runner::new(tx, connector, Some(client))
            .with_journal(Journal::at(dir.path().join("journal.jsonl")));
        let pace = Pace {
            max_delay: FAST,
            tick_before_key: true,
            clock: Some((clock, ANSWER_MOVES_CLOCK)),
        };
        let wizard = Harness::start(runner, rx, session, pace).await;
        Journey { wizard, dir }
    }

    pub(crate) fn sim(&self) -> &RunningSim {
        self.runner.connector().sandbox().expect("the sandbox runs")
    }

    pub(crate) fn journal(&self) -> Journal {
        Journal::at(self.dir.path().join("journal.jsonl"))
    }

    /// Step 1: filters the instances by `name` and chooses the first match; a Running one is
    /// taken as it is (the warning's `u`).
    pub(crate) async fn choose_instance(&mut self, name: &str) {
        assert_eq!(self.app.step, Step::Source);
        self.type_text(name).await;
        self.press(KeyCode::Enter).await;
        if self.app.step == Step::Source {
            self.press(KeyCode::Char('u')).await;
        }
        assert_eq!(self.app.step, Step::Disks, "{name} chosen");
        assert!(matches!(self.app.spec.source, Source::Instance { .. }));
    }

    /// Step 3 from its first row: types `text` into the text field `tabs` rows down.
    pub(crate) async fn type_field(&mut self, tabs: usize, text: &str) {
        for _ in 0..tabs {
            self.press(KeyCode::Tab).await;
        }
        self.press(KeyCode::Enter).await;
        self.type_text(text).await;
        self.press(KeyCode::Enter).await;
        for _ in 0..tabs {
            self.press(KeyCode::BackTab).await;
        }
    }

    /// From step 2 straight to the review.
    pub(crate) async fn go_to_review(&mut self) {
        while self.app.step != Step::Review {
            self.ctrl('n').await;
        }
    }

    /// `d` on the review: ECS checks the request.
    pub(crate) async fn dry_run(&mut self) -> String {
        assert_eq!(self.app.step, Step::Review);
        self.press(KeyCode::Char('d')).await;
        self.screen(80, 60)
    }

    /// Presses `code` while simulated time passes steadily: a copy reports only when it
    /// moves, so a delivery's wait needs time to pass between the wizard's answers.
    pub(crate) async fn press_as_time_passes(&mut self, code: KeyCode) {
        let ticking = self.clock().expect("a shared clock").clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                ticking.advance(Duration::from_millis(200));
            }
        });
        self.press(code).await;
        ticker.abort();
    }

    /// The review's recipe prompt: clears the suggested name and types `path`.
    async fn save_recipe(&mut self, path: &Path) {
        self.press(KeyCode::Char('w')).await;
        self.ctrl('u').await;
        self.type_text(&path.display().to_string()).await;
        self.press(KeyCode::Enter).await;
    }
}

#[tokio::test]
async fn from_source_to_an_available_image_that_matches_the_spec() {
    let mut h = Journey::sandbox().await;

    // 1 · Source: the Stopped database server (four disks, one encrypted).
    h.choose_instance("数据库").await;
    let Source::Instance { instance_id } = h.app.spec.source.clone() else {
        unreachable!()
    };
    assert_eq!(instance_id, "i-bp1a3fn8rvl2nqw0t5xk");

    // 2 · Disks: captured as the instance has them.
    h.ctrl('n').await;

    // 3 · Details: a name (checked against the region's images) and a family.
    assert_eq!(h.app.step, Step::Details);
    h.type_field(0, "db-golden-journey").await;
    h.type_field(1, "db").await;
    h.ctrl('n').await;

    // 4 · Tags and features: one tag, IMDSv2 and the image check.
    assert_eq!(h.app.step, Step::Tags);
    h.press(KeyCode::Char('a')).await;
    h.type_text("env").await;
    h.press(KeyCode::Tab).await;
    h.type_text("prod").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Down).await;
    h.press(KeyCode::Down).await;
    while h.app.spec.features.imds_support != Some(ImdsSupport::V2) {
        h.press(KeyCode::Right).await;
    }
    h.press(KeyCode::Down).await;
    h.press(KeyCode::Right).await;
    assert_eq!(
        h.app.spec.features.detection_strategy,
        Some(DetectionStrategy::Standard)
    );

    // 5 · Delivery: nothing; the image stays where it is built.
    // 6 · Review: a ClientToken for these answers, the source's facts, a passing DryRun.
    h.go_to(Step::Review).await;
    assert_eq!(h.app.spec.delivery, None);
    let token = h
        .app
        .spec
        .client_token
        .clone()
        .expect("the review gives a token");
    let summary = h.screen(80, 80);
    assert!(
        summary.contains("数据库服务器 · Stopped") || summary.contains("· Stopped"),
        "{summary}"
    );
    assert!(
        summary.contains("Disk d-bp1a3fn8rvl2nqw0t5x2 (/dev/xvdc) is encrypted"),
        "the encrypted disk is pointed out: {summary}"
    );
    let errors: Vec<_> = h.app.findings.iter().filter(|f| f.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let text = h.dry_run().await;
    assert!(text.contains("DryRun: ✓ passed"), "{text}");
    assert!(
        text.contains("ECS accepted the request (RequestId"),
        "{text}"
    );
    assert!(
        h.sim()
            .images("cn-hangzhou")
            .iter()
            .all(|i| i.name != "db-golden-journey"),
        "a DryRun creates nothing"
    );

    // The recipe: saved, never replaced without asking, and it replays to the same spec.
    let recipe = h.dir.path().join("db.recipe.toml");
    h.save_recipe(&recipe).await;
    let saved = std::fs::read_to_string(&recipe).expect("the recipe is written");
    let replayed = parse_recipe(&saved, &recipe).expect("the recipe parses");
    assert_eq!(replayed.client_token, None, "recipes carry no token");
    assert_eq!(replayed.image, h.app.spec.image);
    assert_eq!(replayed.tags, h.app.spec.tags);
    std::fs::write(&recipe, "# mine\n").expect("overwrite");
    h.save_recipe(&recipe).await;
    assert!(h.screen(80, 24).contains("Replace the file?"));
    assert_eq!(
        std::fs::read_to_string(&recipe).unwrap(),
        "# mine\n",
        "not yet"
    );
    h.press(KeyCode::Char('y')).await;
    assert_eq!(
        std::fs::read_to_string(&recipe).unwrap(),
        saved,
        "replaced after y"
    );

    // 6 · Submit: confirmation, then journal → CreateImage → watch until Available.
    h.press(KeyCode::Char('s')).await;
    assert_eq!(h.app.step, Step::Submit);
    h.press(KeyCode::Enter).await;
    assert!(h.screen(80, 24).contains("Create the image?"));
    h.press(KeyCode::Char('y')).await;
    let image_id = h
        .app
        .steps
        .submit
        .image_id()
        .expect("CreateImage answered with an ImageId")
        .to_string();
    assert!(!h.app.busy(), "the watch and the image check finished");
    let screen = h.screen(160, 60);
    assert!(
        screen.contains(&format!("Image {image_id} db-golden-journey · Available")),
        "{screen}"
    );
    assert!(screen.contains("✓ Available: built in"), "{screen}");
    assert!(
        screen.contains(&format!("--ImageId {image_id}")),
        "{screen}"
    );
    assert!(
        screen.contains("High NVMeDriver = Missing (NVMe.DriverNotFound)"),
        "{screen}"
    );
    assert!(
        screen.contains("Image check finished: 2 finding(s)"),
        "{screen}"
    );

    // What the simulator holds matches the spec.
    let held: Vec<_> = h
        .sim()
        .images("cn-hangzhou")
        .into_iter()
        .filter(|i| i.name == "db-golden-journey")
        .collect();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        (
            held[0].id.as_str(),
            held[0].status.as_str(),
            held[0].progress
        ),
        (image_id.as_str(), "Available", 100)
    );
    assert_eq!(held[0].owner_alias, "self");
    let described = h
        .client()
        .describe_images_all(&ImageQuery::watching([image_id.clone()]))
        .await
        .expect("DescribeImages");
    let image = &described[0];
    assert_eq!(image.image_family, "db");
    assert_eq!(image.features.imds_support, "v2");
    let tags: Vec<_> = image
        .tags
        .tag
        .iter()
        .map(|t| (t.tag_key.as_str(), t.tag_value.as_str()))
        .collect();
    assert_eq!(tags, [("env", "prod")]);
    assert_eq!(
        image.disk_device_mappings.disk_device_mapping.len(),
        4,
        "every disk of the instance"
    );
    assert_eq!(image.detection_options.status, "Finished");

    // The journal: recorded before sending, with the ImageId and the end state.
    let history = h.journal().read().expect("the journal reads");
    let entry = history.entries.last().expect("one entry");
    assert_eq!(entry.submission.client_token, token);
    assert_eq!(entry.image_id(), Some(image_id.as_str()));
    assert_eq!(entry.last_status(), "Available");
    assert!(!entry.is_unfinished());
    let raw = std::fs::read_to_string(h.journal().path()).expect("the journal file");
    assert_eq!(
        raw.matches("\"final\":true").count(),
        1,
        "one end state: {raw}"
    );

    // The spec's token makes a repeated submit harmless: ECS names the same image.
    let again = h
        .client()
        .create_image(&spec::to_params(&h.app.spec))
        .await
        .expect("an idempotent repeat");
    assert!(
        matches!(again, CreateImageAnswer::Created { image_id: ref id, .. } if *id == image_id),
        "{again:?}"
    );
    assert_eq!(
        h.sim()
            .images("cn-hangzhou")
            .iter()
            .filter(|i| i.name == "db-golden-journey")
            .count(),
        1
    );
}

/// Drives a fresh wizard to the review with `setup` and runs a DryRun that ECS refuses with
/// `code`; the screen must carry the code, its explanation and fix, and (when the code names
/// one) the field to change — and Enter must go there.
async fn refused(
    code: &str,
    field: Option<&str>,
    instance: &str,
    details: &[(usize, &str)],
    choice: Option<(usize, usize)>,
) {
    let mut h = Journey::sandbox().await;
    h.choose_instance(instance).await;
    h.ctrl('n').await;
    for (tabs, text) in details {
        h.type_field(*tabs, text).await;
    }
    if let Some((tabs, rights)) = choice {
        for _ in 0..tabs {
            h.press(KeyCode::Tab).await;
        }
        for _ in 0..rights {
            h.press(KeyCode::Right).await;
        }
    }
    h.go_to_review().await;
    let text = h.dry_run().await;
    let explanation = explain(code).expect("the code is explained in assets/errors.toml");
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(&format!("DryRun: ✗ {code}")), "{text}");
    assert!(text.contains(&format!("✗ {code}:")), "{text}");
    assert!(text.contains(&flat(&explanation.meaning)), "{code}: {text}");
    assert!(
        text.contains(&format!("What to do: {}", flat(&explanation.fix))),
        "{code}: {text}"
    );
    match field {
        Some(label) => {
            assert!(
                text.contains(&format!("Field to change: {label}")),
                "{code}: {text}"
            );
            h.press(KeyCode::Enter).await;
            assert_ne!(h.app.step, Step::Review, "{code}: Enter goes to the field");
        }
        None => assert!(!text.contains("Field to change"), "{text}"),
    }
}

#[tokio::test]
async fn an_unknown_resource_group_is_refused_and_explained() {
    refused(
        "InvalidResourceGroup.NotFound",
        Some("Resource group"),
        "数据库",
        &[(7, "rg-doesnotexist00000")],
        None,
    )
    .await;
}

#[tokio::test]
async fn bios_on_an_arm64_source_is_refused_and_explained() {
    // arm-build-01 runs an arm64 image; the boot mode is three rows under the name.
    refused(
        "InvalidBootMode.NotSupport",
        Some("Boot mode"),
        "arm-build",
        &[],
        Some((6, 1)),
    )
    .await;
}

#[tokio::test]
async fn an_instance_without_a_system_disk_is_refused_before_it_is_picked() {
    // The region-wide DescribeDisks (system disks) beside the list marks it at once.
    let mut h = Journey::sandbox().await;
    h.type_text("migration").await;
    let screen = h.screen(80, 24);
    assert!(
        screen.contains("✗ no system disk (DescribeDisks lists none)"),
        "{screen}"
    );
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.step, Step::Source);
    assert!(h.app.spec.source.is_empty());
    let notice = h.app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("Cannot use this one: no system disk"),
        "{notice}"
    );
}

#[tokio::test]
async fn a_permission_denial_is_refused_and_explained() {
    let mut h = Journey::sandbox().await;
    h.choose_instance("数据库").await;
    h.go_to_review().await;
    assert!(
        h.sim()
            .faults()
            .fail_next_action("CreateImage", 1, Fault::Forbidden)
    );
    let text = h.dry_run().await;
    let explanation = explain("Forbidden.RAM").expect("explained");
    assert!(text.contains("DryRun: ✗ Forbidden.RAM"), "{text}");
    assert!(
        text.contains(
            &explanation
                .meaning
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "{text}"
    );
    // The next DryRun goes through.
    let text = h.dry_run().await;
    assert!(text.contains("DryRun: ✓ passed"), "{text}");
}

#[tokio::test]
async fn an_image_that_fails_to_build_ends_the_watch_at_once() {
    let mut h = Journey::sandbox().await;
    // win-app-01's images fail at 60 % (a sandbox fault).
    h.choose_instance("win-app").await;
    h.ctrl('n').await;
    h.type_field(0, "win-journey").await;
    h.go_to_review().await;
    h.press(KeyCode::Char('s')).await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Char('y')).await;
    let image_id = h.app.steps.submit.image_id().expect("created").to_string();
    assert!(!h.app.busy());
    let screen = h.screen(160, 60);
    assert!(screen.contains("✗ CreateFailed at 60%"), "{screen}");
    assert!(screen.contains("What to try:"), "{screen}");
    // Abort is explicit: x asks, naming the image; y deletes it.
    h.press(KeyCode::Char('x')).await;
    assert!(
        h.screen(80, 24)
            .contains(&format!("Delete image {image_id} now?"))
    );
    h.press(KeyCode::Char('y')).await;
    assert!(
        h.sim()
            .images("cn-hangzhou")
            .iter()
            .all(|i| i.id != image_id),
        "deleted"
    );
    let history = h.journal().read().expect("journal");
    assert_eq!(
        history.entries.last().map(|e| e.last_status()),
        Some("Deleted")
    );
}

/// Rows that cannot become an image are marked with the reason before they are chosen, over
/// real HTTP: the sandbox's archived and encrypted data-disk snapshots, and its instance whose
/// system disk went missing.
#[tokio::test]
async fn unusable_sources_are_marked_before_they_are_chosen() {
    let mut h = Journey::sandbox().await;
    // The system-disk snapshot list: the archived one is refused with its reason.
    h.press(KeyCode::Tab).await;
    h.type_text("orphan-data-archive").await;
    assert!(
        h.screen(80, 24).contains("✗ an archive snapshot"),
        "{}",
        h.screen(80, 24)
    );
    h.press(KeyCode::Enter).await;
    assert!(h.app.spec.source.is_empty());

    // A disk mapping: the encrypted data-disk snapshot cannot be the system disk…
    h.press(KeyCode::Tab).await;
    h.press(KeyCode::Enter).await;
    assert_eq!(h.app.step, Step::Disks);
    h.press(KeyCode::Enter).await;
    h.type_text("binlog-encrypted").await;
    h.press(KeyCode::Enter).await;
    let Source::Disks(disks) = &h.app.spec.source else {
        panic!("a mapping")
    };
    assert_eq!(disks[0].snapshot_id, None);
    assert!(h.screen(80, 24).contains("cannot become the system disk"));
    // …but a data disk can be made from it.
    h.press(KeyCode::Esc).await;
    h.press(KeyCode::Esc).await;
    h.press(KeyCode::Char('a')).await;
    h.type_text("binlog-encrypted").await;
    h.press(KeyCode::Enter).await;
    let Source::Disks(disks) = &h.app.spec.source else {
        panic!("a mapping")
    };
    assert_eq!(disks.len(), 2, "added as a data disk");

    // An instance without a system disk is refused in the list, before the edited mapping is
    // put at risk.
    h.ctrl('p').await;
    h.press(KeyCode::Tab).await;
    h.type_text("migration").await;
    h.press(KeyCode::Enter).await;
    let screen = h.screen(80, 24);
    assert!(!screen.contains("Replace the disk mapping?"), "{screen}");
    assert!(
        screen.contains("Cannot use this one: no system disk (DescribeDisks lists none)"),
        "{screen}"
    );
    assert!(
        matches!(h.app.spec.source, Source::Disks(_)),
        "the mapping is kept"
    );
}

#[tokio::test]
async fn retiring_lists_the_family_in_every_region_and_a_delete_waits_for_y() {
    let mut h = Journey::sandbox().await;
    h.choose_instance("数据库").await;
    h.ctrl('n').await;
    h.type_field(0, "web-retire").await;
    h.type_field(1, "web-base").await;
    h.go_to(Step::Delivery).await;

    // A copy in cn-shanghai, from the regions ECS lists.
    h.press(KeyCode::Enter).await;
    h.type_text("cn-shanghai").await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Esc).await;
    h.press(KeyCode::Esc).await;
    // Retire (past the copy's texts, its encryption, the account and tag rows): delete
    // everything of the family but the new image.
    for _ in 0..6 {
        h.press(KeyCode::Tab).await;
    }
    h.press(KeyCode::Right).await;
    h.press(KeyCode::Right).await;
    h.press(KeyCode::Tab).await;
    h.press(KeyCode::Enter).await;
    h.press(KeyCode::Backspace).await;
    h.type_text("1").await;
    h.press(KeyCode::Enter).await;
    let retire = h.app.spec.delivery.as_ref().and_then(|d| d.retire);
    assert_eq!(
        retire,
        Some(RetirePlan {
            keep: 1,
            action: RetireAction::Delete
        })
    );

    // Each region listed by its own DescribeImages: the family's image in the build region
    // runs instances, so it is left alone; the copy's region has none yet. (At 80 columns
    // the list is under the form, its wrapped lines in order.)
    let screen = h.screen(80, 60);
    for shown in [
        "cn-hangzhou (built here)",
        "left alone: m-bp1fyq7bo2ye0xkc9b1n (web-base-20240601",
        "instances were created from it",
        "cn-shanghai (copy) nothing to retire",
    ] {
        assert!(screen.contains(shown), "no {shown:?} in {screen}");
    }
    assert!(!screen.contains("could not list"), "{screen}");
    // Until y confirms the list, the step is ✗ and the request is held back.
    assert_eq!(h.app.step_verdict(Step::Delivery), Some(false));
    h.press(KeyCode::Char('y')).await;
    assert_eq!(h.app.step_verdict(Step::Delivery), Some(true));
    assert!(h.screen(80, 60).contains("✓ Deleting is confirmed"));
    h.go_to(Step::Review).await;
    let screen = h.dry_run().await;
    assert!(screen.contains("DryRun: ✓ passed"), "{screen}");
}
