//! Step 3 driven through the wizard: typing, the name check, choices and screens (the lists
//! of the family and resource group fields: `picker`).

use crossterm::event::KeyCode;

use super::*;
use crate::api::model::{Image, ResourceGroup};
use crate::spec::{Severity, Source};
use crate::tui::app::App;
use crate::tui::effect::Effect;
use crate::tui::msg::Page;
use crate::tui::step::Step;
use crate::tui::testing::{
    answer, calls, ctrl, key, render, screen_text, service_error, type_text, wizard,
};

mod picker;

/// The wizard on this step, an instance chosen as the source; its lists are still loading
/// (the effects of entering the step are returned).
pub(super) fn details_loading() -> (App, Vec<Effect>) {
    let (mut app, _) = wizard();
    app.spec.source = Source::Instance {
        instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
    };
    ctrl(&mut app, 'n');
    let effects = ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Details);
    (app, effects)
}

/// The wizard on this step with its lists loaded ([`groups`], [`own_images`]).
pub(super) fn details() -> App {
    let (mut app, effects) = details_loading();
    answer_lists(&mut app, &effects, Ok(groups()), Ok(own_images()));
    app
}

/// The resource groups of the account.
pub(super) fn groups() -> Vec<ResourceGroup> {
    [
        (
            "rg-acfmykd63xkeyvy",
            "default",
            "默认资源组",
            "2021-03-08T06:12:45Z",
        ),
        (
            "rg-aek2t4crbzbk6ri",
            "production",
            "production",
            "2022-05-17T02:30:00Z",
        ),
        (
            "rg-aek3bvz5p7mcxea",
            "test-env",
            "测试环境",
            "2023-09-01T09:45:10Z",
        ),
    ]
    .map(|(id, name, display_name, created)| ResourceGroup {
        id: id.into(),
        name: name.into(),
        display_name: display_name.into(),
        account_id: "1234567890123456".into(),
        status: "OK".into(),
        create_date: created.into(),
    })
    .to_vec()
}

pub(super) fn own_image(name: &str, family: &str, created: &str) -> Image {
    Image {
        image_id: format!("m-{}", name.len()),
        image_name: name.into(),
        image_family: family.into(),
        creation_time: created.into(),
        status: "Available".into(),
        ..Image::default()
    }
}

/// The account's images in the region: two families and an image without one.
pub(super) fn own_images() -> Vec<Image> {
    vec![
        own_image("web-base-20240601", "web-base", "2024-06-01T02:14:09Z"),
        own_image("web-base-20240501", "web-base", "2024-05-01T02:14:09Z"),
        own_image("数据库镜像-v1", "db", "2024-03-12T11:40:55Z"),
        own_image("legacy-app-2023", "", "2023-11-02T09:03:27Z"),
    ]
}

/// The loads among `effects`: the resource groups' and the family list's.
pub(super) fn list_calls(effects: &[Effect]) -> (RequestId, RequestId) {
    let found = calls(effects);
    let groups = found
        .iter()
        .find(|(_, call)| *call == Call::ResourceGroups)
        .map(|(id, _)| *id)
        .expect("resource groups are listed");
    let families = found
        .iter()
        .find(|(_, call)| {
            matches!(call, Call::Images(q) if q.image_owner_alias.as_deref() == Some("self"))
        })
        .map(|(id, _)| *id)
        .expect("the account's images are listed");
    (groups, families)
}

/// Answers both loads among `effects`.
pub(super) fn answer_lists(
    app: &mut App,
    effects: &[Effect],
    groups: Result<Vec<ResourceGroup>, ApiError>,
    images: Result<Vec<Image>, ApiError>,
) {
    let (groups_id, families_id) = list_calls(effects);
    match groups {
        Ok(rows) => {
            for (rows, last) in [(rows, false), (Vec::new(), true)] {
                answer(
                    app,
                    groups_id,
                    Ok(Loaded::ResourceGroups(Page { rows, last })),
                );
            }
        }
        Err(error) => {
            answer(app, groups_id, Err(error));
        }
    }
    answer(app, families_id, images.map(Loaded::Images));
}

/// Types each text into the next field in turn (an empty text skips the field); a field
/// picked from a list is typed (`e`).
pub(super) fn fill(app: &mut App, texts: &[&str]) {
    for text in texts {
        if !text.is_empty() {
            let listed = matches!(app.steps.details.slot(), Slot::Family | Slot::ResourceGroup);
            key(
                app,
                if listed {
                    KeyCode::Char('e')
                } else {
                    KeyCode::Enter
                },
            );
            type_text(app, text);
        }
        key(app, KeyCode::Tab);
    }
}

fn errors_on(app: &App, field: Field) -> Vec<String> {
    app.findings
        .iter()
        .filter(|f| f.field == field && f.severity == Severity::Error)
        .map(|f| f.message.clone())
        .collect()
}

fn name_checks(effects: &[crate::tui::effect::Effect]) -> Vec<(RequestId, String)> {
    calls(effects)
        .into_iter()
        .filter_map(|(id, call)| match call {
            Call::ImagesNamed { name } => Some((id, name)),
            _ => None,
        })
        .collect()
}

#[test]
fn typing_writes_the_spec_and_validates_as_you_type() {
    let mut app = details();
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "1bad");
    assert_eq!(app.spec.image.name.as_deref(), Some("1bad"));
    assert!(!errors_on(&app, Field::ImageName).is_empty());
    assert!(screen_text(&app, 80, 24).contains("✗ The image name must start with a letter"));
    ctrl(&mut app, 'u');
    // `q` and `?` are text while editing, not quit and help.
    type_text(&mut app, "web-q?");
    assert!(!app.quit && app.overlay.is_none());
    assert_eq!(app.spec.image.name.as_deref(), Some("web-q?"));
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.spec.image.name.as_deref(), Some("web-q"));
    assert!(errors_on(&app, Field::ImageName).is_empty());
    // Emptying the field unsets it.
    ctrl(&mut app, 'u');
    assert_eq!(app.spec.image.name, None);
}

#[test]
fn a_name_is_checked_against_the_region_when_its_field_is_left() {
    let mut app = details();
    key(&mut app, KeyCode::Enter);
    let typing = type_text(&mut app, "web-01");
    assert!(name_checks(&typing).is_empty(), "no call per keystroke");
    let effects = key(&mut app, KeyCode::Tab);
    let [(id, name)] = name_checks(&effects).try_into().expect("one name check");
    assert_eq!(name, "web-01");
    assert!(app.busy());
    assert!(screen_text(&app, 80, 24).contains("checking your images in cn-hangzhou"));
    // The API matches fuzzily; only the exact name is a duplicate.
    let images = ["web-01-old", "web-01"]
        .map(|n| Image {
            image_name: n.into(),
            ..Image::default()
        })
        .to_vec();
    answer(&mut app, id, Ok(Loaded::Images(images)));
    assert!(!app.busy());
    let duplicate = app
        .findings
        .iter()
        .find(|f| f.code == Some("InvalidImageName.Duplicated"))
        .expect("duplicate flagged");
    assert_eq!(duplicate.field, Field::ImageName);
    assert!(screen_text(&app, 80, 24).contains("You already have an image named"));

    // Same name again: no second call. A new name, or one already known: checked once.
    key(&mut app, KeyCode::BackTab);
    assert!(name_checks(&key(&mut app, KeyCode::Tab)).is_empty());
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "2");
    let [(id, name)] = name_checks(&key(&mut app, KeyCode::Enter))
        .try_into()
        .expect("one name check");
    assert_eq!(name, "web-02");
    assert!(errors_on(&app, Field::ImageName).is_empty());
    // A failed check is a warning under the name, and leaving the field retries.
    answer(
        &mut app,
        id,
        Err(service_error("Throttling", "Request was denied.")),
    );
    assert!(app.overlay.is_none(), "no popup for a background check");
    assert!(screen_text(&app, 80, 24).contains("Could not check whether the name"));
    assert_eq!(name_checks(&key(&mut app, KeyCode::Tab)).len(), 1);
}

#[test]
fn date_in_the_name_becomes_today_and_shows_beside_it() {
    let mut app = details();
    let today = super::today(app.now).format("%Y%m%d").to_string();
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "web-{date}");
    let name = format!("web-{today}");
    assert_eq!(app.spec.image.name.as_deref(), Some(name.as_str()));
    assert!(errors_on(&app, Field::ImageName).is_empty(), "a valid name");
    let text = screen_text(&app, 80, 24);
    assert!(
        text.contains(&format!("= {name} ({{date}} is today's date)")),
        "{text}"
    );
    // The check asks for the name as it will be sent.
    let [(_, asked)] = name_checks(&key(&mut app, KeyCode::Enter))
        .try_into()
        .expect("one name check");
    assert_eq!(asked, name);
    // The field keeps what was typed across a visit elsewhere.
    ctrl(&mut app, 'p');
    ctrl(&mut app, 'n');
    assert_eq!(app.steps.details.name.value(), "web-{date}");
    assert_eq!(app.spec.image.name.as_deref(), Some(name.as_str()));
}

/// The footer row.
pub(super) fn footer(app: &App) -> String {
    let text = screen_text(app, 80, 24);
    text.lines().last().unwrap_or_default().to_owned()
}

#[test]
fn the_footer_says_what_esc_does_in_each_mode() {
    let mut app = details();
    assert!(footer(&app).contains("Esc back"), "{}", footer(&app));
    key(&mut app, KeyCode::Enter);
    // Editing: Esc finishes the edit, ? is text; the footer says so.
    let editing = footer(&app);
    assert!(editing.contains("Enter done"), "{editing}");
    assert!(!editing.contains("Esc back"), "{editing}");
    assert!(!editing.contains("? help"), "{editing}");
    assert!(editing.contains("F1 help"), "{editing}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Details, "Esc ended the edit");
    // An open list: Esc closes it.
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Enter);
    let listing = footer(&app);
    assert!(listing.contains("Esc close"), "{listing}");
    assert!(!listing.contains("Esc back"), "{listing}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Details, "Esc closed the list");
    // The help of the open list is the list's keys.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::F(1));
    let help = screen_text(&app, 80, 24);
    assert!(
        help.contains("jump to the next value starting with"),
        "{help}"
    );
}

#[test]
fn malformed_or_empty_names_are_not_sent() {
    let mut app = details();
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "x");
    assert!(name_checks(&key(&mut app, KeyCode::Enter)).is_empty());
    ctrl(&mut app, 'u');
    assert!(name_checks(&key(&mut app, KeyCode::Down)).is_empty());
}

#[test]
fn choices_cycle_open_jump_and_unset() {
    let mut app = details();
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Right);
    assert_eq!(app.spec.image.platform.as_deref(), Some("Aliyun"));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "w");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.spec.image.platform.as_deref(),
        Some("Windows Server 2022")
    );
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.spec.image.platform, None);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.spec.image.architecture, Some(Architecture::X86_64));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.spec.image.boot_mode, Some(BootMode::UefiPreferred));
    // Esc while a list is open closes it instead of leaving the step.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Details);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Disks, "Esc outside an edit goes back");
}

#[test]
fn answers_survive_leaving_and_coming_back() {
    let mut app = details();
    fill(&mut app, &["web-01", "web", "1.0", "Nightly web image"]);
    ctrl(&mut app, 'p');
    ctrl(&mut app, 'n');
    let image = &app.spec.image;
    assert_eq!(image.family.as_deref(), Some("web"));
    assert_eq!(image.version.as_deref(), Some("1.0"));
    assert_eq!(image.description.as_deref(), Some("Nightly web image"));
    assert_eq!(app.steps.details.family.value(), "web");
}

#[test]
fn paste_goes_into_the_focused_text_field() {
    let mut app = details();
    key(&mut app, KeyCode::Tab);
    crate::tui::update::update(&mut app, crate::tui::msg::Msg::Paste("web\n".into()));
    assert_eq!(app.spec.image.family.as_deref(), Some("web"));
}

#[test]
fn a_region_switch_forgets_the_names_seen() {
    let mut app = details();
    app.facts.image_names_in_region.insert("web-01".into());
    app.with_step(Step::Details, |s, ctx| s.region_changed(ctx));
    assert!(app.facts.image_names_in_region.is_empty());
}

#[test]
fn screen_empty_80x24() {
    let app = details();
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn screen_filled_160x48() {
    let mut app = details();
    fill(
        &mut app,
        &[
            "web-20261127",
            "web",
            "2026.11.27",
            "Nightly web tier image",
        ],
    );
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('e'));
    type_text(&mut app, "rg-bp67acfmxazb4p");
    insta::assert_snapshot!(render(&app, 160, 48));
}

#[test]
fn screen_chinese_names_80x24() {
    let mut app = details();
    fill(
        &mut app,
        &[
            "镜像-网站",
            "网站家族",
            "",
            "每日构建的网站镜像，含 Nginx 与监控代理",
        ],
    );
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn screen_validation_errors_80x24() {
    let mut app = details();
    fill(&mut app, &["1bad", "aliyun-web", "", "http://example.com"]);
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Char('e'));
    type_text(&mut app, "group-1");
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn screen_platform_list_80x24() {
    let mut app = details();
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "cc");
    insta::assert_snapshot!(render(&app, 80, 24));
}
