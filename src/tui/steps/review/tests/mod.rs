//! The review step driven through the wizard: lookups, problems, the DryRun, saving, screens.
//!
//! The wizard fixtures and screen assertions here serve the submit step's tests too.

use std::path::PathBuf;

use crossterm::event::KeyCode;

use super::*;
use crate::api::CreateImageAnswer;
use crate::api::model::{Disk, Image, Snapshot};
use crate::spec::{DiskSpec, DiskType, Facts, Field, ImageSpec, Source, parse_recipe, to_params};
use crate::tui::app::App;
use crate::tui::effect::{Call, Effect};
use crate::tui::msg::{Loaded, Page, RequestId, Saved};
use crate::tui::step::Step;
use crate::tui::testing::*;

mod delivery;

pub(crate) const TOKEN: &str = "123e4567-e89b-12d3-a456-426655440000";

/// The wizard on step 2 with the Stopped instance of `sample_instances` chosen as the source
/// (the submit step's tests start here too).
pub(crate) fn instance_chosen() -> App {
    let (mut app, effects) = wizard();
    let (id, _) = only_call(&effects);
    answer_instances(&mut app, id, sample_instances());
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    app
}

/// The wizard entering the review with the Stopped instance of `sample_instances` as the
/// source and a fixed ClientToken; returns the effects of entering.
fn at_review() -> (App, Vec<Effect>) {
    let mut app = instance_chosen();
    app.spec.client_token = Some(TOKEN.into());
    let effects = go_to(&mut app, Step::Review);
    (app, effects)
}

pub(super) fn source_image(boot_mode: &str, architecture: &str) -> Image {
    Image {
        image_id: "aliyun_3_x64_20G_alibase_20240819.vhd".into(),
        boot_mode: boot_mode.into(),
        architecture: architecture.into(),
        status: "Available".into(),
        ..Image::default()
    }
}

/// Answers the review's lookups: the instance (with `status`), its disks, its image.
fn answer_lookups(app: &mut App, effects: &[Effect], status: &str) {
    let mut instance = instance("i-bp1g6zv0ce8oghu7k002", "数据库主节点", status);
    instance.image_id = "aliyun_3_x64_20G_alibase_20240819.vhd".into();
    let mut image_call = Vec::new();
    for (id, call) in calls(effects) {
        match call {
            Call::Instances(_) => image_call = answer_instances(app, id, vec![instance.clone()]),
            Call::Disks(_) => {
                let disks = vec![
                    Disk {
                        disk_id: "d-bp1a3fn8rvl2nqw0t5x0".into(),
                        disk_type: "system".into(),
                        device: "/dev/xvda".into(),
                        size: 40,
                        ..Disk::default()
                    },
                    Disk {
                        disk_id: "d-bp1a3fn8rvl2nqw0t5x2".into(),
                        disk_type: "data".into(),
                        device: "/dev/xvdc".into(),
                        size: 100,
                        encrypted: true,
                        ..Disk::default()
                    },
                ];
                answer(
                    app,
                    id,
                    Ok(Loaded::Disks(Page {
                        rows: disks,
                        last: false,
                    })),
                );
                answer(
                    app,
                    id,
                    Ok(Loaded::Disks(Page {
                        rows: Vec::new(),
                        last: true,
                    })),
                );
            }
            Call::CallerIdentity => {
                answer(app, id, Ok(Loaded::Account("1234567890123456".into())));
            }
            other => panic!("unexpected lookup {other:?}"),
        }
    }
    let (id, call) = only_call(&image_call);
    let Call::Images(query) = call else {
        panic!("the instance's image, got {call:?}")
    };
    assert_eq!(query.image_ids, ["aliyun_3_x64_20G_alibase_20240819.vhd"]);
    answer(
        app,
        id,
        Ok(Loaded::Images(vec![source_image("BIOS", "x86_64")])),
    );
}

/// Screen text with every run of whitespace made one space, so wrapped sentences read on.
pub(crate) fn flat(app: &App, width: u16, height: u16) -> String {
    screen_text(app, width, height)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts that `text` shows each of `parts`.
#[track_caller]
pub(crate) fn assert_shows(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} is not shown in:\n{text}");
    }
}

fn dry_run_call(effects: &[Effect]) -> (RequestId, Params) {
    match only_call(effects) {
        (id, Call::DryRun { params }) => (id, params),
        other => panic!("a DryRun, got {other:?}"),
    }
}

#[test]
fn entering_gives_the_spec_one_client_token_for_good() {
    let mut app = instance_chosen();
    assert_eq!(app.spec.client_token, None);
    go_to(&mut app, Step::Review);
    let token = app
        .spec
        .client_token
        .clone()
        .expect("a token on entering the review");
    assert!(crate::spec::rules::client_token(&token).is_ok(), "{token}");
    key(&mut app, KeyCode::Esc);
    ctrl(&mut app, 'n');
    assert_eq!(
        app.spec.client_token.as_deref(),
        Some(token.as_str()),
        "kept"
    );
    let params = to_params(&app.spec);
    assert!(params.contains(&("ClientToken".into(), token)));
}

#[test]
fn the_source_is_looked_up_and_warnings_show_under_their_step() {
    let (mut app, effects) = at_review();
    assert!(app.busy());
    answer_lookups(&mut app, &effects, "Running");
    assert!(!app.busy());
    let text = flat(&app, 80, 60);
    assert_shows(
        &text,
        &[
            "Instance i-bp1g6zv0ce8oghu7k002 ·",
            "· Running ! Instance: i-bp1g6zv0ce8oghu7k002 is Running: data cached in memory",
            "Disk d-bp1a3fn8rvl2nqw0t5x2 (/dev/xvdc) is encrypted",
            "/dev/xvdc data 100 GiB · d-bp1a3fn8rvl2nqw0t5x2 · encrypted",
            "! Image check: Not requested.",
        ],
    );
    // Entering again checks again (the instance may have been stopped meanwhile).
    key(&mut app, KeyCode::Esc);
    let effects = ctrl(&mut app, 'n');
    assert_eq!(calls(&effects).len(), 2, "{effects:?}");
}

#[test]
fn snapshots_the_spec_uses_are_looked_up_for_the_validators() {
    let (mut app, effects) = wizard();
    let (id, _) = only_call(&effects);
    answer_instances(&mut app, id, sample_instances());
    app.spec.source = Source::Disks(vec![DiskSpec {
        disk_type: DiskType::System,
        snapshot_id: Some("s-bp17441ohwkdca0k0002".into()),
        size: None,
        device: None,
    }]);
    app.facts = Facts::default();
    let effects = go_to(&mut app, Step::Review);
    let Some((id, Call::Snapshots(query))) = calls(&effects)
        .into_iter()
        .find(|(_, c)| matches!(c, Call::Snapshots(q) if q.snapshot_ids.is_some()))
    else {
        panic!("a snapshot lookup in {effects:?}")
    };
    assert_eq!(
        query.snapshot_ids,
        Some(vec!["s-bp17441ohwkdca0k0002".to_string()])
    );
    // A data-disk snapshot as the system disk, without platform or architecture.
    let data: Snapshot = sample_snapshots().remove(1);
    answer_snapshots(&mut app, id, vec![data]);
    let text = screen_text(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "! Platform: Snapshot s-bp17441ohwkdca0k0002 comes from a data disk",
            "! Architecture:",
        ],
    );
}

/// Where the problem about `field` stands among the summary's items, and how many there are.
fn item_of(app: &App, field: Field) -> (usize, usize) {
    let fields: Vec<Field> = app
        .steps
        .review
        .items(&app.spec, &app.findings, &app.facts)
        .iter()
        .map(|p| p.field)
        .collect();
    let at = fields
        .iter()
        .position(|f| *f == field)
        .unwrap_or_else(|| panic!("no problem about {field:?} in {fields:?}"));
    (at, fields.len())
}

#[test]
fn enter_on_a_problem_jumps_to_its_field() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Stopped");
    app.spec.image.name = Some("1-bad".into());
    app.revalidate();
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("✗ Image name:"), "{text}");
    // Items: the name error first (step 3), then the encrypted disk (step 1 is first in
    // order, but errors of every step come... by step): walk to the name.
    let (at, _) = item_of(&app, Field::ImageName);
    for _ in 0..at {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Details);
    // The name field has the focus: Enter edits it.
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "x");
    assert_eq!(app.spec.image.name.as_deref(), Some("1-badx"));

    // A tag value and the image check land on their rows too.
    app.spec.tags = vec![crate::spec::Tag {
        key: "env".into(),
        value: "acs:x".into(),
    }];
    key(&mut app, KeyCode::Enter);
    go_to(&mut app, Step::Review);
    let (at, items) = item_of(&app, Field::TagValue(0));
    key(&mut app, KeyCode::Home);
    for _ in 0..items {
        key(&mut app, KeyCode::Up);
    }
    for _ in 0..at {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Tags);
    key(&mut app, KeyCode::Enter);
    for _ in 0.."acs:x".len() {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "prod");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.spec.tags[0].value, "prod");
}

#[test]
fn dry_run_passes_with_the_request_id() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Stopped");
    let (id, params) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
    assert_eq!(
        params,
        to_params(&app.spec),
        "exactly the request's parameters"
    );
    assert!(params.contains(&("ClientToken".to_string(), TOKEN.to_string())));
    assert!(app.busy());
    answer(
        &mut app,
        id,
        Ok(Loaded::DryRun(CreateImageAnswer::DryRunPassed {
            request_id: "0F2B8C3E-1111-4A5B-9C0D-0123456789AB".into(),
        })),
    );
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("DryRun: ✓ passed"), "{text}");
    assert!(
        text.contains("✓ passed: ECS accepted the request (RequestId"),
        "{text}"
    );
    // Changing the answers makes the pass stale.
    app.spec.image.family = Some("db".into());
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("answers changed"), "{text}");
}

#[test]
fn dry_run_failures_explain_the_code_and_lead_to_the_field() {
    let cases = [
        (
            "InvalidResourceGroup.NotFound",
            "The ResourceGroup provided does not exist in our records.",
            Some(Field::ResourceGroupId),
        ),
        (
            "InvalidImageName.Duplicated",
            "The specified image name is already in use.",
            Some(Field::ImageName),
        ),
        (
            "InvalidBootMode.NotSupport",
            "The specified parameter BootMode is not supported for current image architecture.",
            Some(Field::BootMode),
        ),
        (
            "IncorrectInstanceStatus",
            "The current status of the instance does not support this operation.",
            Some(Field::Source),
        ),
    ];
    for (code, message, field) in cases {
        let (mut app, effects) = at_review();
        answer_lookups(&mut app, &effects, "Stopped");
        key(&mut app, KeyCode::Tab);
        let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
        answer(&mut app, id, Err(service_error(code, message)));
        let explanation = crate::api::error::explain(code).expect("explained");
        let text = flat(&app, 80, 60);
        assert_shows(
            &text,
            &[
                &format!("DryRun: ✗ {code}"),
                &format!("✗ {code}: {message}"),
            ],
        );
        assert!(text.contains(&explanation.meaning), "{code}: {text}");
        assert_shows(
            &text,
            &[
                &format!("What to do: {}", explanation.fix),
                "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E",
            ],
        );
        let field = field.expect("a field");
        assert!(
            text.contains(&format!("Field to change: {}", field.label())),
            "{code}: {text}"
        );
        // The failure took the focus back to the summary; Enter goes to the field.
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.step, Step::of_field(field), "{code}");
    }
}

#[test]
fn a_dry_run_refusal_about_a_mapped_snapshot_leads_to_its_disk() {
    let (mut app, _) = wizard();
    app.spec.client_token = Some(TOKEN.into());
    let disk = |disk_type, id: &str| DiskSpec {
        disk_type,
        snapshot_id: Some(id.into()),
        size: None,
        device: None,
    };
    app.spec.source = Source::Disks(vec![
        disk(DiskType::System, "s-bp17441ohwkdca0k0001"),
        disk(DiskType::Data, "s-bp1gone000000000000"),
    ]);
    go_to(&mut app, Step::Review);
    let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
    let message = "The specified SnapshotId s-bp1gone000000000000 does not exist.";
    answer(
        &mut app,
        id,
        Err(service_error("InvalidSnapshotId.NotFound", message)),
    );
    let text = flat(&app, 80, 24);
    assert_shows(&text, &["Field to change: Disk 2 snapshot (step 2)"]);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Disks, "the mapping is edited in step 2");

    // A refusal that names no snapshot of the mapping still points at its disks.
    let spec = app.spec.clone();
    let error = service_error("InvalidSnapshotId.NotReady", "The snapshot is not ready.");
    assert_eq!(
        super::field_of_error(&error, &spec),
        Some(Field::SourceDisks)
    );
    // For an instance source, the source itself.
    let instance = ImageSpec {
        source: Source::Instance {
            instance_id: "i-1".into(),
        },
        ..ImageSpec::default()
    };
    assert_eq!(
        super::field_of_error(&error, &instance),
        Some(Field::Source)
    );
}

/// Asserts that each ID shows whole on one row (never wrapped or cut in the middle).
#[track_caller]
fn assert_whole(app: &App, width: u16, height: u16, ids: &[&str]) {
    let text = screen_text(app, width, height);
    for id in ids {
        assert!(
            text.lines().any(|l| l.contains(id)),
            "{id} split in:\n{text}"
        );
    }
}

/// Asserts that the `more` marker, when shown, has its row to itself.
#[track_caller]
fn assert_marker_alone(app: &App, width: u16, height: u16) {
    let text = screen_text(app, width, height);
    for row in text.lines().filter(|l| l.contains(" more")) {
        let words: Vec<&str> = row.split_whitespace().collect();
        assert!(
            matches!(
                words.as_slice(),
                ["↓", "more"] | ["↑", "more"] | ["↑↓", "more"]
            ),
            "the marker shares its row: {row:?}\n{text}"
        );
    }
}

#[test]
fn at_80x24_the_dry_run_stays_in_view_and_ids_stay_whole() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Running");
    app.spec.image.name = Some("1-bad".into());
    app.spec.image.resource_group_id = Some("rg-doesnotexist00000".into());
    app.revalidate();
    // Walk to the last problem: the summary scrolls, the DryRun block does not.
    let items = app
        .steps
        .review
        .items(&app.spec, &app.findings, &app.facts)
        .len();
    for _ in 0..items {
        key(&mut app, KeyCode::Down);
    }
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("DryRun  not run yet"), "{text}");
    assert_marker_alone(&app, 80, 24);
    insta::assert_snapshot!("review_scrolled_80x24", render(&app, 80, 24));

    // Refused: the block, its field line and RequestId stay on screen, IDs whole.
    let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
    answer(
        &mut app,
        id,
        Err(service_error(
            "InvalidResourceGroup.NotFound",
            "The ResourceGroup provided does not exist in our records.",
        )),
    );
    for _ in 0..items {
        key(&mut app, KeyCode::Down);
    }
    let text = screen_text(&app, 80, 24);
    assert!(
        text.contains("DryRun  ✗ InvalidResourceGroup.NotFound"),
        "{text}"
    );
    assert!(text.contains("Field to change: Resource group"), "{text}");
    assert_whole(&app, 80, 24, &["473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"]);
    assert_marker_alone(&app, 80, 24);
    insta::assert_snapshot!("review_refused_scrolled_80x24", render(&app, 80, 24));

    // Passed: the RequestId shows whole; the status line does not cut it either.
    app.spec.image.name = Some("db-golden".into());
    app.spec.image.resource_group_id = None;
    app.revalidate();
    let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
    let request_id = "0F2B8C3E-1111-4A5B-9C0D-0123456789AB";
    answer(
        &mut app,
        id,
        Ok(Loaded::DryRun(CreateImageAnswer::DryRunPassed {
            request_id: request_id.into(),
        })),
    );
    assert_whole(&app, 80, 24, &[request_id]);
    assert_marker_alone(&app, 80, 24);
    insta::assert_snapshot!("review_passed_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("review_passed_160x48", render(&app, 160, 48));
    key(&mut app, KeyCode::Tab);
    assert_whole(&app, 80, 24, &[TOKEN]);
    assert_marker_alone(&app, 80, 24);
}

#[test]
fn a_long_notice_takes_more_rows_instead_of_cutting_an_id() {
    let (mut app, _) = at_review();
    app.notice = Some(
        "m-bp1fyq7bo2ye0xkc9b1n keeps building in ECS; step 7 or `ecsimg watch \
         m-bp1fyq7bo2ye0xkc9b1n --region cn-hangzhou` resumes watching."
            .into(),
    );
    let text = screen_text(&app, 80, 24);
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[23].contains("resumes watching."), "{text}");
    assert_eq!(
        text.matches("m-bp1fyq7bo2ye0xkc9b1n").count(),
        2,
        "both IDs whole: {text}"
    );
}

#[test]
fn the_step_bar_marks_review_and_submit_when_done() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Stopped");
    let bar = |app: &App| {
        screen_text(app, 80, 24)
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    ctrl(&mut app, 'n');
    assert!(
        bar(&app).contains("6 Review 7 Submit"),
        "no DryRun yet: {}",
        bar(&app)
    );
    ctrl(&mut app, 'p');
    let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
    answer(
        &mut app,
        id,
        Ok(Loaded::DryRun(CreateImageAnswer::DryRunPassed {
            request_id: "0F2B8C3E-1111-4A5B-9C0D-0123456789AB".into(),
        })),
    );
    ctrl(&mut app, 'n');
    assert!(bar(&app).contains("6 Review ✓"), "{}", bar(&app));
    // A refusal is ✗, and a pass for answers changed since is neither.
    ctrl(&mut app, 'p');
    let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
    answer(
        &mut app,
        id,
        Err(service_error(
            "QuotaExceed.Image",
            "The Image Quota exceeds.",
        )),
    );
    ctrl(&mut app, 'n');
    assert!(bar(&app).contains("6 Review ✗"), "{}", bar(&app));
}

#[test]
fn the_recipe_is_saved_without_overwriting_silently() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Stopped");
    app.spec.image.name = Some("db-golden".into());
    key(&mut app, KeyCode::Char('w'));
    let text = screen_text(&app, 80, 24);
    assert_shows(&text, &["Save the recipe", "db-golden.recipe.toml"]);
    // Esc closes the prompt and stays on the step.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Review);
    key(&mut app, KeyCode::Char('w'));
    let effects = key(&mut app, KeyCode::Enter);
    let (id, call) = only_call(&effects);
    let Call::SaveFile {
        path,
        contents,
        replace,
    } = call
    else {
        panic!("{call:?}")
    };
    assert_eq!(path, PathBuf::from("db-golden.recipe.toml"));
    assert!(!replace, "never replaces without asking");
    assert!(
        !contents.contains(TOKEN),
        "the token stays out of recipes: {contents}"
    );
    let replayed = parse_recipe(&contents, &path).expect("the recipe parses");
    assert_eq!(
        replayed,
        ImageSpec {
            client_token: None,
            ..app.spec.clone()
        }
    );
    let absolute = PathBuf::from("/work/db-golden.recipe.toml");
    answer(
        &mut app,
        id,
        Ok(Loaded::Saved(Saved::Exists {
            path: absolute.clone(),
        })),
    );
    let text = screen_text(&app, 80, 24);
    assert!(
        text.contains("/work/db-golden.recipe.toml exists. Replace it"),
        "{text}"
    );
    // n goes back to the prompt; Enter asks again; y replaces.
    key(&mut app, KeyCode::Char('n'));
    let (id, _) = only_call(&key(&mut app, KeyCode::Enter));
    answer(
        &mut app,
        id,
        Ok(Loaded::Saved(Saved::Exists {
            path: absolute.clone(),
        })),
    );
    let (id, call) = only_call(&key(&mut app, KeyCode::Char('y')));
    assert!(
        matches!(call, Call::SaveFile { replace: true, .. }),
        "{call:?}"
    );
    answer(
        &mut app,
        id,
        Ok(Loaded::Saved(Saved::Written { path: absolute })),
    );
    assert!(
        app.notice.as_deref().is_some_and(
            |n| n.contains("ecsimg --sandbox create --recipe /work/db-golden.recipe.toml")
        ),
        "{:?}",
        app.notice
    );
    // A failed write keeps the prompt open with the reason.
    key(&mut app, KeyCode::Char('w'));
    let (id, _) = only_call(&key(&mut app, KeyCode::Enter));
    answer(
        &mut app,
        id,
        Ok(Loaded::Saved(Saved::Failed {
            path: "/ro/x.toml".into(),
            reason: "Permission denied (os error 13)".into(),
        })),
    );
    let text = screen_text(&app, 80, 24);
    assert!(
        text.contains("Could not write it: Permission denied"),
        "{text}"
    );
}

#[test]
fn w_on_the_policy_tab_saves_the_policy() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Stopped");
    app.spec.image.name = Some("db-golden".into());
    while app.steps.review.tab != Tab::Policy {
        key(&mut app, KeyCode::Tab);
    }
    let text = screen_text(&app, 80, 80);
    assert_shows(
        &text,
        &[
            "\"Version\": \"1\"",
            "ecs:CreateImage",
            "7. ecs:DeleteImage: Submit: x deletes the image",
        ],
    );
    key(&mut app, KeyCode::Char('w'));
    assert_shows(
        &screen_text(&app, 80, 24),
        &["Save the policy", "db-golden.policy.json"],
    );
    let (id, call) = only_call(&key(&mut app, KeyCode::Enter));
    let Call::SaveFile { path, contents, .. } = call else {
        panic!("{call:?}")
    };
    assert_eq!(path, PathBuf::from("db-golden.policy.json"));
    let saved = crate::policy::Document::parse(&contents).expect("the policy parses");
    assert_eq!(
        saved,
        crate::policy::for_spec(&app.spec, Some("1234567890123456")).document(),
        "the saved policy names the account GetCallerIdentity gave"
    );
    answer(
        &mut app,
        id,
        Ok(Loaded::Saved(Saved::Written {
            path: "/work/db-golden.policy.json".into(),
        })),
    );
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("Saved the policy to /work/db-golden.policy.json")),
        "{:?}",
        app.notice
    );
    // On the other tabs, w saves the recipe.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('w'));
    assert_shows(&screen_text(&app, 80, 24), &["Save the recipe"]);
}

#[test]
fn snapshots_of_the_tabs() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Running");
    app.spec.image.name = Some("db-golden".into());
    app.spec.image.family = Some("db".into());
    app.spec.tags = vec![crate::spec::Tag {
        key: "env".into(),
        value: "prod".into(),
    }];
    app.spec.image.resource_group_id = Some("rg-doesnotexist00000".into());
    app.revalidate();
    insta::assert_snapshot!("review_summary_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("review_summary_160x48", render(&app, 160, 48));
    for (tab, name) in [
        (Tab::Request, "request"),
        (Tab::Cli, "cli"),
        (Tab::Recipe, "recipe"),
    ] {
        key(&mut app, KeyCode::Tab);
        assert_eq!(app.steps.review.tab, tab);
        insta::assert_snapshot!(format!("review_{name}_80x24"), render(&app, 80, 24));
    }
    insta::assert_snapshot!("review_recipe_beside_160x48", render(&app, 160, 48));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.steps.review.tab, Tab::Policy);
    insta::assert_snapshot!("review_policy_80x24", render(&app, 80, 24));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.steps.review.tab, Tab::Summary, "the tabs go round");
    let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
    answer(
        &mut app,
        id,
        Err(service_error(
            "InvalidResourceGroup.NotFound",
            "The ResourceGroup provided does not exist in our records.",
        )),
    );
    insta::assert_snapshot!("review_dry_run_failed_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("review_dry_run_failed_160x48", render(&app, 160, 48));
}
