//! Property tests across modules (the spec module tests valid specs through recipe, params and
//! CLI on its own; these cover what it cannot see):
//!
//! - any spec, valid or not, keeps its verdict through a recipe: it loads back unchanged exactly
//!   when validation passes, and otherwise every validation error is reported at its key;
//! - valid specs travel the real wire — `to_params`, V1 or V3 signing, HTTP, the simulator —
//!   and come back from DescribeImages with every text intact;
//! - random keys, mouse clicks, pastes, ticks and resizes (0×0 and 10×3 up to 320×120) never
//!   panic the wizard, with every API call answered (successfully or not) from sandbox data.
//!
//! Inputs that fuzzing (`fuzz/`) finds to break a parser belong here as regression tests.
//!
//! `PROPTEST_CASES=N` raises the number of cases for a deeper run; the defaults keep
//! `cargo test` quick.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ecsimg::api::Credentials;
use ecsimg::api::error::ServiceError;
use ecsimg::api::model::{
    Disk, DiskQuery, Image, ImageQuery, Instance, InstanceQuery, InstanceResponse, Region,
    ResourceGroup, Snapshot, SnapshotQuery,
};
use ecsimg::api::sign::SignatureVersion;
use ecsimg::api::{ApiError, Client, ClientConfig, CreateImageAnswer, Endpoint, StoppedMode};
use ecsimg::delivery::Summary;
use ecsimg::secret::Secret;
use ecsimg::sim::{self, RunningSim, SimConfig};
use ecsimg::spec::{
    self, Architecture, BootMode, DetectionStrategy, DiskSpec, DiskType, Features, ImageDetails,
    ImageSpec, ImdsSupport, Source, Tag, parse_recipe, to_params, to_recipe, validate,
};
use ecsimg::submission::Submitted;
use ecsimg::tui::app::App;
use ecsimg::tui::effect::{Call, Effect};
use ecsimg::tui::launch::{Connection, LaunchScreen};
use ecsimg::tui::msg::{Delivered, Loaded, Msg, Page, Saved};
use ecsimg::tui::theme::Theme;
use ecsimg::tui::update::update;
use ecsimg::tui::view::view;
use ecsimg::watch::{WatchEnd, WatchEvent};
use futures::TryStreamExt as _;
use proptest::prelude::*;
use proptest::sample::select;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Cases per property: `PROPTEST_CASES`, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(n)
}

// ---------------------------------------------------------------------------------------------
// Specs of every kind, valid or not

/// Text that is plausible, hostile to TOML and URL encoding, full of other scripts, control
/// characters, reserved prefixes, or around the length limits.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z][a-zA-Z0-9._:-]{1,20}",
        2 => "[ -~]{0,40}",
        2 => "\\PC{0,30}",
        1 => "(http://|https://|aliyun|acs:|HTTPS://|Aliyun)[a-z]{0,8}",
        1 => "[\\x00-\\x1f\\x7f\"'\\\\ ]{1,8}",
        1 => "[a-z]{126,130}",
        1 => "[a-z]{254,258}",
        1 => Just(String::new()),
    ]
}

fn id(prefix: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]{1,20}".prop_map(move |s| format!("{prefix}{s}")),
        1 => Just(String::new()),
        1 => text(),
    ]
}

fn disk() -> impl Strategy<Value = DiskSpec> {
    (
        select(DiskType::ALL),
        proptest::option::of(id("s-")),
        proptest::option::of(prop_oneof![0u32..=25, 15..=40_000u32, any::<u32>()]),
        proptest::option::of(prop_oneof!["/dev/xvd[a-z]", "/dev/vd[a-c]", text()]),
    )
        .prop_map(|(disk_type, snapshot_id, size, device)| DiskSpec {
            disk_type,
            snapshot_id,
            size,
            device,
        })
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        id("i-").prop_map(|instance_id| Source::Instance { instance_id }),
        id("s-").prop_map(|snapshot_id| Source::Snapshot { snapshot_id }),
        proptest::collection::vec(disk(), 0..=19).prop_map(Source::Disks),
    ]
}

fn details() -> impl Strategy<Value = ImageDetails> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(prop_oneof![
            select(spec::rules::PLATFORMS).prop_map(str::to_owned),
            text()
        ]),
        proptest::option::of(select(Architecture::ALL)),
        proptest::option::of(select(BootMode::ALL)),
        proptest::option::of(id("rg-")),
    )
        .prop_map(
            |(name, family, version, description, platform, architecture, boot_mode, rg)| {
                ImageDetails {
                    name,
                    family,
                    version,
                    description,
                    platform,
                    architecture,
                    boot_mode,
                    resource_group_id: rg,
                }
            },
        )
}

fn any_spec() -> impl Strategy<Value = ImageSpec> {
    (
        prop_oneof![
            3 => select(&["cn-hangzhou", "cn-beijing", "ap-southeast-1"][..]).prop_map(str::to_owned),
            1 => text(),
        ],
        source(),
        details(),
        proptest::collection::vec((text(), text()), 0..=22),
        proptest::option::of(select(ImdsSupport::ALL)),
        proptest::option::of(select(DetectionStrategy::ALL)),
        proptest::option::of(text()),
        // With any source: a plan on a snapshot must be refused, not lost.
        proptest::option::of((
            select(&StoppedMode::ALL[..]),
            any::<bool>(),
            any::<bool>(),
        )),
    )
        .prop_map(
            |(region, source, image, tags, imds, detection, client_token, stop)| ImageSpec {
                region,
                source,
                image,
                tags: tags.into_iter().map(|(key, value)| Tag { key, value }).collect(),
                features: Features {
                    imds_support: imds,
                    detection_strategy: detection,
                },
                client_token,
                delivery: None,
                stop: stop.map(|(mode, force, restart)| spec::StopPlan {
                    mode,
                    force,
                    restart,
                }),
            },
        )
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_spec_keeps_its_verdict_through_a_recipe(spec in any_spec()) {
        let errors: Vec<_> = validate(&spec).into_iter().filter(|e| e.is_error()).collect();
        let text = to_recipe(&spec);
        match parse_recipe(&text, Path::new("prop.toml")) {
            Ok(back) => {
                prop_assert!(errors.is_empty(), "an invalid spec loaded: {errors:?}\n{text}");
                prop_assert_eq!(&back, &spec, "{}", text);
                prop_assert_eq!(to_recipe(&back), text);
            }
            Err(e) => {
                prop_assert!(!errors.is_empty(), "a valid spec did not load: {e}\n{text}");
                let syntax = e.problems.iter().any(|p| p.field.is_none());
                for error in errors.iter().filter(|_| !syntax) {
                    prop_assert!(
                        e.problems.iter().any(|p| p.field == Some(error.field)
                            && p.key.as_deref() == Some(error.field.recipe_key(&spec).as_str())),
                        "{:?} is not reported at its key: {e}\n{text}", error
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The wire: spec → params → signed HTTP → simulator → DescribeImages

/// One simulator for the whole file, with a client per signature version and the sandbox's
/// rows (the wizard's canned answers).
struct World {
    runtime: tokio::runtime::Runtime,
    _sim: RunningSim,
    v1: Client,
    v3: Client,
    canned: Canned,
}

#[derive(Debug, Clone)]
struct Canned {
    regions: Vec<Region>,
    instances: Vec<Instance>,
    snapshots: Vec<Snapshot>,
    disks: Vec<Disk>,
    images: Vec<Image>,
    resource_groups: Vec<ResourceGroup>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let sim = runtime
            .block_on(sim::start(SimConfig::default()))
            .expect("the simulator starts");
        let client = |version| {
            let credentials = Credentials {
                access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
                access_key_secret: Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
                security_token: None,
            };
            let endpoint = Endpoint::parse(&sim.url()).expect("a loopback endpoint");
            let config = ClientConfig::new(sim::SANDBOX_REGION, credentials)
                .with_endpoint(endpoint)
                .with_signature_version(version);
            runtime
                .block_on(async { Client::new(config) })
                .expect("a client")
        };
        let v1 = client(SignatureVersion::V1);
        let v3 = client(SignatureVersion::V3);
        let canned = runtime.block_on(async {
            Canned {
                regions: v3.describe_regions().await.expect("regions"),
                instances: v3
                    .describe_instances_all(&InstanceQuery::default())
                    .await
                    .expect("instances"),
                snapshots: v3
                    .describe_snapshots_all(&SnapshotQuery::default())
                    .await
                    .expect("snapshots"),
                disks: v3
                    .describe_disks_all(&DiskQuery::default())
                    .await
                    .expect("disks"),
                images: v3
                    .describe_images_all(&ImageQuery::default())
                    .await
                    .expect("images"),
                resource_groups: v3
                    .list_resource_groups()
                    .try_concat()
                    .await
                    .expect("resource groups"),
            }
        });
        World {
            runtime,
            _sim: sim,
            v1,
            v3,
            canned,
        }
    })
}

/// A system-disk snapshot of the sandbox that can become an image.
fn usable_system_snapshot(world: &World) -> String {
    world
        .canned
        .snapshots
        .iter()
        .find(|s| s.is_system_disk() && s.is_accomplished() && s.creation_time.as_str() > "2014")
        .map(|s| s.snapshot_id.clone())
        .expect("the sandbox has a usable system-disk snapshot")
}

/// Texts for the fields the simulator echoes back: the characters URL encoding, form decoding
/// and JSON treat specially, other scripts and emoji.
fn wire_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][ -~]{1,60}",
        "[a-zA-Z][&=+%#?/~*' ;,\\[\\]{}\"\\\\]{1,20}",
        "[\\p{Han}][\\p{Han}\\p{Hiragana}\\p{Cyrillic}\\p{Greek} ]{1,30}",
        "[a-z]{1,4}[\u{1F300}-\u{1F64F}é]{1,8}",
    ]
}

/// Valid specs from one snapshot with every echoed field exercised. Names and client tokens get
/// a unique prefix later, so cases never collide in the simulator.
fn wire_spec() -> impl Strategy<Value = ImageSpec> {
    (
        "[a-zA-Z0-9._:-]{0,20}|[\\p{Han}]{1,6}",
        proptest::option::of("[a-zA-Z][a-zA-Z0-9._:-]{1,30}"),
        proptest::option::of("[ -~]{1,40}"),
        proptest::option::of(wire_text()),
        proptest::collection::vec(
            (wire_text(), prop_oneof![wire_text(), Just(String::new())]),
            0..=6,
        ),
        proptest::option::of(select(
            &[BootMode::Uefi, BootMode::Bios, BootMode::UefiPreferred][..],
        )),
        proptest::option::of(select(ImdsSupport::ALL)),
        proptest::option::of(select(DetectionStrategy::ALL)),
        proptest::option::of("[!-~]{1,40}"),
    )
        .prop_map(
            |(name, family, version, description, tags, boot_mode, imds, detection, token)| {
                ImageSpec {
                    delivery: None,
                    region: sim::SANDBOX_REGION.into(),
                    source: Source::default(),
                    image: ImageDetails {
                        name: Some(name),
                        family,
                        version,
                        description,
                        boot_mode,
                        ..ImageDetails::default()
                    },
                    tags: tags
                        .into_iter()
                        .map(|(key, value)| Tag { key, value })
                        .collect(),
                    features: Features {
                        imds_support: imds,
                        detection_strategy: detection,
                    },
                    client_token: token,
                    stop: None,
                }
            },
        )
}

/// Makes a case's name and token unique, as a user running the wizard twice would.
fn unique(mut spec: ImageSpec, source: String) -> ImageSpec {
    static CASE: AtomicU64 = AtomicU64::new(0);
    let n = CASE.fetch_add(1, Ordering::Relaxed);
    spec.source = Source::Snapshot {
        snapshot_id: source,
    };
    spec.image.name = spec.image.name.map(|tail| format!("p{n}-{tail}"));
    spec.client_token = spec
        .client_token
        .map(|t| format!("{n}-{t}").chars().take(64).collect());
    spec
}

fn sorted_tags(tags: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut tags: Vec<_> = tags.into_iter().collect();
    tags.sort();
    tags
}

proptest! {
    #![proptest_config(cases(32))]

    #[test]
    fn valid_specs_travel_the_wire_intact(spec in wire_spec(), v1 in any::<bool>()) {
        let world = world();
        let spec = unique(spec, usable_system_snapshot(world));
        prop_assume!(validate(&spec).iter().all(|e| !e.is_error()));
        let client = if v1 { &world.v1 } else { &world.v3 };
        let params = to_params(&spec);
        let (dry, created) = world.runtime.block_on(async {
            let mut dry_params = params.clone();
            dry_params.push(("DryRun".into(), "true".into()));
            let dry = client.create_image(&dry_params).await;
            (dry, client.create_image(&params).await)
        });
        prop_assert!(
            matches!(dry, Ok(CreateImageAnswer::DryRunPassed { .. })),
            "DryRun refused a valid spec: {dry:?}\n{params:?}"
        );
        let image_id = match created {
            Ok(CreateImageAnswer::Created { image_id, client_token, .. }) => {
                if let Some(token) = &spec.client_token {
                    prop_assert_eq!(&client_token, token);
                }
                image_id
            }
            other => return Err(TestCaseError::fail(format!("CreateImage: {other:?}\n{params:?}"))),
        };
        let (found, deleted) = world.runtime.block_on(async {
            let found = client.describe_images_all(&ImageQuery::watching([image_id.clone()])).await;
            (found, client.delete_image(&image_id, true).await)
        });
        prop_assert!(deleted.is_ok(), "DeleteImage: {deleted:?}");
        let found = found.map_err(|e| TestCaseError::fail(format!("DescribeImages: {e}")))?;
        prop_assert_eq!(found.len(), 1);
        let image = &found[0];
        let details = &spec.image;
        prop_assert_eq!(Some(&image.image_name), details.name.as_ref());
        prop_assert_eq!(&image.description, details.description.as_deref().unwrap_or_default());
        prop_assert_eq!(&image.image_family, details.family.as_deref().unwrap_or_default());
        prop_assert_eq!(&image.image_version, details.version.as_deref().unwrap_or_default());
        if let Some(mode) = details.boot_mode {
            prop_assert_eq!(&image.boot_mode, mode.as_str());
        }
        if let Some(imds) = spec.features.imds_support {
            prop_assert_eq!(&image.features.imds_support, imds.as_str());
        }
        prop_assert_eq!(
            image.detection_options.status.is_empty(),
            spec.features.detection_strategy.is_none()
        );
        prop_assert_eq!(
            sorted_tags(image.tags.tag.iter().map(|t| (t.tag_key.clone(), t.tag_value.clone()))),
            sorted_tags(spec.tags.iter().map(|t| (t.key.clone(), t.value.clone())))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The wizard never panics

/// Something that happens to the wizard.
#[derive(Debug, Clone)]
enum Event {
    Key(KeyCode, KeyModifiers),
    Click(MouseEventKind, u16, u16),
    Paste(String),
    Resize(u16, u16),
    /// Seconds pass.
    Tick(u16),
}

fn key_code() -> impl Strategy<Value = KeyCode> {
    prop_oneof![
        6 => prop_oneof![
            Just(KeyCode::Enter),
            Just(KeyCode::Esc),
            Just(KeyCode::Tab),
            Just(KeyCode::BackTab),
            Just(KeyCode::Up),
            Just(KeyCode::Down),
            Just(KeyCode::Left),
            Just(KeyCode::Right),
            Just(KeyCode::PageUp),
            Just(KeyCode::PageDown),
            Just(KeyCode::Home),
            Just(KeyCode::End),
            Just(KeyCode::Backspace),
            Just(KeyCode::Delete),
            Just(KeyCode::Insert),
        ],
        6 => select(&['n', 'p', 'a', 'd', 'e', 's', 'y', 'r', 'x', ' ', '/', '?', '1', '-'][..])
            .prop_map(KeyCode::Char),
        2 => any::<char>().prop_map(KeyCode::Char),
        1 => (1u8..=12).prop_map(KeyCode::F),
    ]
}

fn modifiers() -> impl Strategy<Value = KeyModifiers> {
    prop_oneof![
        8 => Just(KeyModifiers::NONE),
        3 => Just(KeyModifiers::CONTROL),
        1 => Just(KeyModifiers::SHIFT),
        1 => Just(KeyModifiers::ALT),
        1 => (0u8..=15).prop_map(KeyModifiers::from_bits_truncate),
    ]
}

/// Sizes from none at all (0×0, which some ptys report) and too small to use (10×3) to a large
/// monitor.
fn size() -> impl Strategy<Value = (u16, u16)> {
    prop_oneof![
        (0u16..=12, 0u16..=6),
        (10u16..=80, 3u16..=24),
        (80u16..=320, 24u16..=120),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        20 => (key_code(), modifiers()).prop_map(|(k, m)| Event::Key(k, m)),
        2 => (
            select(&[
                MouseEventKind::ScrollUp,
                MouseEventKind::ScrollDown,
                MouseEventKind::Down(MouseButton::Left),
                MouseEventKind::Down(MouseButton::Right),
            ][..]),
            0u16..=330,
            0u16..=130,
        )
            .prop_map(|(kind, column, row)| Event::Click(kind, column, row)),
        1 => prop_oneof!["\\PC{0,40}", "[ -~\n\t\r]{0,200}", "[a-z]{300,600}"].prop_map(Event::Paste),
        1 => size().prop_map(|(w, h)| Event::Resize(w, h)),
        1 => (0u16..=600).prop_map(Event::Tick),
    ]
}

fn service_error(code: &str) -> ApiError {
    ApiError::Service(Box::new(ServiceError {
        http_status: 400,
        code: code.into(),
        message: format!("{code} (a property test's answer)"),
        request_id: "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E".into(),
        recommend: String::new(),
        host_id: "ecs.cn-hangzhou.aliyuncs.com".into(),
        retry_after: None,
        access_denied: None,
        refused: None,
    }))
}

fn page<T>(rows: Vec<T>, wrap: fn(Page<T>) -> Loaded) -> Vec<Loaded> {
    vec![
        wrap(Page { rows, last: false }),
        wrap(Page {
            rows: Vec::new(),
            last: true,
        }),
    ]
}

/// The answers to `call` as the runner would deliver them, from sandbox rows. Nothing touches
/// the disk: a save "succeeds" without writing.
fn answers(canned: &Canned, call: &Call) -> Vec<Loaded> {
    let image = |id: &str| Image {
        image_id: id.into(),
        status: "Available".into(),
        progress: "100%".into(),
        usable: true,
        ..canned.images.first().cloned().unwrap_or_default()
    };
    match call {
        Call::Regions => vec![Loaded::Regions(canned.regions.clone())],
        Call::CallerIdentity => vec![Loaded::Account("1234567890123456".into())],
        Call::Instances(_) => page(canned.instances.clone(), Loaded::Instances),
        Call::Snapshots(_) => page(canned.snapshots.clone(), Loaded::Snapshots),
        Call::Disks(_) => page(canned.disks.clone(), Loaded::Disks),
        Call::ImagesNamed { .. } => vec![Loaded::Images(Vec::new())],
        Call::Images(_) | Call::ImagesIn { .. } => vec![Loaded::Images(canned.images.clone())],
        Call::StopInstance { instance_id, .. } => vec![Loaded::Stopping(vec![InstanceResponse {
            instance_id: instance_id.clone(),
            previous_status: "Running".into(),
            current_status: "Stopping".into(),
            code: "200".into(),
            message: "success".into(),
        }])],
        Call::StartInstance { instance_id } => vec![Loaded::Starting(vec![InstanceResponse {
            instance_id: instance_id.clone(),
            previous_status: "Stopped".into(),
            current_status: "Starting".into(),
            code: "200".into(),
            message: "success".into(),
        }])],
        Call::DryRun { .. } => vec![Loaded::DryRun(CreateImageAnswer::DryRunPassed {
            request_id: "DRY-RUN-REQUEST".into(),
        })],
        Call::DeliveryDryRun(_) => vec![Loaded::DeliveryChecks(Vec::new())],
        Call::Submit(submit) => vec![Loaded::Submitted(Box::new(Submitted::Sent {
            submission_id: "sub-prop".into(),
            journal: PathBuf::from("/nonexistent/journal.jsonl"),
            answer: Ok(CreateImageAnswer::Created {
                image_id: "m-prop0000000000000001".into(),
                request_id: "CREATE-REQUEST".into(),
                client_token: submit.spec.client_token.clone().unwrap_or_default(),
            }),
            settled: true,
            journal_problem: None,
        }))],
        Call::Watch { image_id } => vec![
            Loaded::Watch(Box::new(WatchEvent::Progress {
                image_id: image_id.clone(),
                image: Image {
                    status: "Creating".into(),
                    progress: "42%".into(),
                    ..image(image_id)
                },
                elapsed: Duration::from_secs(30),
                remaining: Some(Duration::from_secs(40)),
            })),
            Loaded::Watch(Box::new(WatchEvent::Finished {
                image_id: image_id.clone(),
                outcome: WatchEnd::Available(image(image_id)),
                elapsed: Duration::from_secs(70),
            })),
        ],
        Call::Deliver { .. } => vec![Loaded::Delivery(Delivered::Ended(Summary::default()))],
        Call::DeleteImage { .. } => vec![Loaded::Deleted {
            request_id: "DELETE-REQUEST".into(),
        }],
        Call::SaveFile { path, .. } => vec![Loaded::Saved(Saved::Written { path: path.clone() })],
        Call::ResourceGroups => page(canned.resource_groups.clone(), Loaded::ResourceGroups),
    }
}

/// Key presses that walk the wizard to its end the ways `tests/wizard_e2e.rs` does (from an
/// instance, a system-disk snapshot, a disk mapping), then dry-run, submit and confirm. Random
/// input starts after a random prefix of one, so it reaches the late screens too.
fn walk(which: usize, len: usize) -> Vec<Event> {
    let text = |t: &str| t.chars().map(KeyCode::Char).collect::<Vec<_>>();
    let ctrl_n = Event::Key(KeyCode::Char('n'), KeyModifiers::CONTROL);
    let mut keys: Vec<KeyCode> = match which % 3 {
        0 => [text("数据库"), vec![KeyCode::Enter]].concat(),
        1 => [vec![KeyCode::Tab], text("db-system"), vec![KeyCode::Enter]].concat(),
        _ => [
            vec![KeyCode::BackTab, KeyCode::Enter, KeyCode::Enter],
            text("web-01-system"),
            vec![KeyCode::Enter, KeyCode::Char('e')],
        ]
        .concat(),
    };
    let mut events: Vec<Event> = keys
        .drain(..)
        .map(|k| Event::Key(k, KeyModifiers::NONE))
        .collect();
    events.push(ctrl_n.clone());
    events.extend(
        [
            vec![KeyCode::Enter],
            text("prop-image"),
            vec![KeyCode::Enter],
        ]
        .concat()
        .into_iter()
        .map(|k| Event::Key(k, KeyModifiers::NONE)),
    );
    // Tags, Delivery, Review.
    events.extend([ctrl_n.clone(), ctrl_n.clone(), ctrl_n]);
    events.extend(
        [
            KeyCode::Char('d'),
            KeyCode::Char('s'),
            KeyCode::Char('s'),
            KeyCode::Char('y'),
        ]
        .into_iter()
        .map(|k| Event::Key(k, KeyModifiers::NONE)),
    );
    events.truncate(len);
    events
}

/// Drives a wizard through `events`, answering its calls (failing the ones `failures` picks)
/// and drawing after every event at the current size.
fn drive(launch: bool, start: (u16, u16), events: &[Event], failures: &[bool]) {
    let canned = &world().canned;
    let session = Connection {
        sandbox: true,
        region: sim::SANDBOX_REGION.into(),
        credential_source: "sandbox key pair (built in)".into(),
        endpoint: "http://127.0.0.1:9".into(),
    };
    let mut app = if launch {
        let screen = LaunchScreen::new("No credentials found".into(), "no config file".into());
        App::new(None, Some(screen), Theme::plain())
    } else {
        App::new(Some(session.clone()), None, Theme::plain())
    };
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .single()
        .expect("a valid time");
    app.now = t0;
    app.size = start;
    let mut terminal = Terminal::new(TestBackend::new(start.0, start.1)).expect("a test terminal");
    let mut failing = failures.iter().copied().cycle();
    let mut inbox: VecDeque<Msg> = VecDeque::new();
    let mut effects = app.start();
    let mut elapsed = 0u64;
    for event in events {
        let msg = match event {
            Event::Key(code, modifiers) => Msg::Key(KeyEvent::new(*code, *modifiers)),
            Event::Click(kind, column, row) => Msg::Mouse(MouseEvent {
                kind: *kind,
                column: *column,
                row: *row,
                modifiers: KeyModifiers::NONE,
            }),
            Event::Paste(text) => Msg::Paste(text.clone()),
            Event::Resize(w, h) => {
                terminal.backend_mut().resize(*w, *h);
                Msg::Resize(*w, *h)
            }
            Event::Tick(seconds) => {
                elapsed += u64::from(*seconds);
                app.now = t0 + chrono::TimeDelta::seconds(elapsed as i64);
                Msg::Tick(app.now)
            }
        };
        inbox.push_back(msg);
        // Bounded: a poll answered at once asks again, which must not spin forever here.
        for _ in 0..64 {
            for effect in effects.drain(..) {
                match effect {
                    Effect::Call { id, call, .. } => {
                        if failing.next().unwrap_or(false) {
                            let result = Err(service_error("Throttling.User"));
                            inbox.push_back(Msg::Api { id, result });
                        } else {
                            for loaded in answers(canned, &call) {
                                inbox.push_back(Msg::Api {
                                    id,
                                    result: Ok(loaded),
                                });
                            }
                        }
                    }
                    Effect::StartSandbox => {
                        let started = if failing.next().unwrap_or(false) {
                            Err("the sandbox could not start (a property test's answer)".into())
                        } else {
                            Ok(session.clone())
                        };
                        inbox.push_back(Msg::SandboxStarted(started));
                    }
                    Effect::Quit => return,
                    Effect::Cancel(_) | Effect::SwitchRegion(_) => {}
                }
            }
            let Some(msg) = inbox.pop_front() else { break };
            effects = update(&mut app, msg);
        }
        if app.quit {
            return;
        }
        terminal
            .draw(|frame| view(&app, frame))
            .expect("drawing into a test backend");
    }
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn the_wizard_survives_any_input_at_any_size(
        launch in proptest::bool::weighted(0.15),
        start in size(),
        (which, len) in (0usize..3, 0usize..=40),
        events in proptest::collection::vec(event(), 1..150),
        failures in proptest::collection::vec(proptest::bool::weighted(0.2), 1..8),
    ) {
        let mut all = walk(which, len);
        all.extend(events);
        drive(launch, start, &all, &failures);
    }
}

#[test]
fn the_wizard_draws_at_the_smallest_sizes() {
    for (w, h) in [(0, 0), (1, 1), (10, 3), (20, 5), (3, 40), (400, 2)] {
        let keys = [
            KeyCode::Enter,
            KeyCode::Char('n'),
            KeyCode::Tab,
            KeyCode::Esc,
        ];
        let events: Vec<Event> = keys
            .iter()
            .map(|k| Event::Key(*k, KeyModifiers::NONE))
            .chain([Event::Resize(w, h)])
            .collect();
        drive(false, (w, h), &events, &[false]);
        drive(true, (w, h), &events, &[false]);
    }
}
