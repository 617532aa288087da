//! The family and resource group fields picked from their lists, through `update`: choosing,
//! typing a value the list lacks, the fallback to typing when a list cannot be had, loads
//! cancelled when the step is left, and the screens.

use crossterm::event::KeyCode;

use super::super::fields::Slot;
use super::{
    answer_lists, details, details_loading, footer, groups, list_calls, own_image, own_images,
};
use crate::api::model::{Image, ResourceGroup};
use crate::tui::app::App;
use crate::tui::effect::{Call, Effect};
use crate::tui::msg::Loaded;
use crate::tui::step::Step;
use crate::tui::testing::{
    answer, calls, ctrl, key, render, screen_text, service_error, type_text,
};

/// Moves the focus to `slot` (Tab from the name).
fn focus(app: &mut App, slot: Slot) {
    while app.steps.details.slot() != slot {
        key(app, KeyCode::Tab);
    }
}

/// The resource group field's list, open.
fn group_list() -> App {
    let mut app = details();
    focus(&mut app, Slot::ResourceGroup);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.steps.details.open, Some(Slot::ResourceGroup));
    app
}

/// The family field's list, open.
fn family_list() -> App {
    let mut app = details();
    focus(&mut app, Slot::Family);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.steps.details.open, Some(Slot::Family));
    app
}

fn forbidden() -> crate::api::ApiError {
    service_error(
        "Forbidden.RAM",
        "User not authorized to operate on the specified resource.",
    )
}

#[test]
fn a_resource_group_is_chosen_by_name_or_display_name() {
    let mut app = details();
    focus(&mut app, Slot::ResourceGroup);
    assert!(footer(&app).contains("Enter choose"), "{}", footer(&app));
    key(&mut app, KeyCode::Enter);
    let list = screen_text(&app, 160, 48);
    for shown in ["rg-aek3bvz5p7mcxea", "test-env", "production", "default"] {
        assert!(list.contains(shown), "{shown} in {list}");
    }
    // The display name finds it as well as the name.
    type_text(&mut app, "测试");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.steps.details.open, None, "the list closed");
    assert_eq!(
        app.spec.image.resource_group_id.as_deref(),
        Some("rg-aek3bvz5p7mcxea")
    );
    let form = screen_text(&app, 80, 24);
    assert!(form.contains("= test-env (display name "), "{form}");
    // Opened again, the list starts at the chosen group; Esc closes it unchanged.
    key(&mut app, KeyCode::Enter);
    let selected = app.steps.details.lists.groups.picker.selected();
    assert_eq!(selected.map(|g| g.id.as_str()), Some("rg-aek3bvz5p7mcxea"));
    key(&mut app, KeyCode::Esc);
    assert_eq!((app.step, app.steps.details.open), (Step::Details, None));
}

#[test]
fn an_id_the_list_lacks_can_still_be_typed() {
    let mut app = group_list();
    // Nothing matches: Enter takes the text.
    type_text(&mut app, "rg-bp67acfmxazb4p");
    assert!(
        screen_text(&app, 80, 24)
            .contains("Enter or Tab takes “rg-bp67acfmxazb4p” (an ID not listed)"),
        "{}",
        screen_text(&app, 80, 24)
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.spec.image.resource_group_id.as_deref(),
        Some("rg-bp67acfmxazb4p")
    );
    assert!(
        screen_text(&app, 160, 48).contains("Not one of the account's resource groups"),
        "the list is complete, so an unknown ID is worth a warning"
    );
    // Rows match: Tab still takes the text as typed.
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "rg-aek");
    assert!(app.steps.details.lists.groups.picker.match_count() > 0);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.spec.image.resource_group_id.as_deref(), Some("rg-aek"));
    // `e` types into the field itself.
    key(&mut app, KeyCode::Char('e'));
    type_text(&mut app, "2");
    assert_eq!(app.spec.image.resource_group_id.as_deref(), Some("rg-aek2"));
}

#[test]
fn without_permission_the_group_is_typed_with_a_note_saying_why() {
    let (mut app, effects) = details_loading();
    // While the list loads, a spinner says so.
    let loading = screen_text(&app, 80, 24);
    assert!(
        loading.contains("⠋ listing your resource groups…"),
        "{loading}"
    );
    answer_lists(&mut app, &effects, Err(forbidden()), Ok(own_images()));
    assert!(app.overlay.is_none(), "no popup for a list");
    assert!(!app.busy());
    focus(&mut app, Slot::ResourceGroup);
    let text = screen_text(&app, 160, 48);
    assert!(
        text.contains(
            "! Resource groups could not be listed (no permission: Forbidden.RAM). Type an ID \
             (rg-…); ^R tries again."
        ),
        "{text}"
    );
    // Enter types, as in any text field.
    assert!(footer(&app).contains("Enter edit"), "{}", footer(&app));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.steps.details.open, None);
    type_text(&mut app, "rg-aek2t4crbzbk6ri");
    assert_eq!(
        app.spec.image.resource_group_id.as_deref(),
        Some("rg-aek2t4crbzbk6ri")
    );
    // ^R asks again.
    key(&mut app, KeyCode::Enter);
    let retry = ctrl(&mut app, 'r');
    assert!(
        calls(&retry)
            .iter()
            .any(|(_, c)| *c == Call::ResourceGroups)
    );
    assert!(app.steps.details.lists.groups.offered());
}

#[test]
fn a_family_is_chosen_with_its_count_and_newest_image() {
    let mut app = family_list();
    let list = screen_text(&app, 160, 48);
    assert!(list.contains("2 families"), "{list}");
    assert!(
        list.contains("web-base")
            && list.contains("2 of 100")
            && list.contains("web-base-20240601"),
        "{list}"
    );
    assert!(
        !list.contains("legacy-app-2023"),
        "images without a family are no family"
    );
    type_text(&mut app, "web");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.spec.image.family.as_deref(), Some("web-base"));
    let form = screen_text(&app, 80, 24);
    assert!(
        form.contains("2 of 100 images; newest web-base-20240601 (2024-06-01)"),
        "{form}"
    );
    // The listing also told the step every name already taken.
    assert!(app.facts.image_names_in_region.contains("数据库镜像-v1"));
}

#[test]
fn a_new_family_is_typed_and_checked_by_the_spec_rules_as_it_is_typed() {
    let mut app = family_list();
    type_text(&mut app, "1bad");
    let refused = screen_text(&app, 80, 24);
    assert!(
        refused.contains("✗ “1bad”: The image family must start with a letter"),
        "{refused}"
    );
    ctrl(&mut app, 'u');
    type_text(&mut app, "web-v2");
    assert!(
        screen_text(&app, 80, 24).contains("Enter or Tab takes “web-v2” (a new family)."),
        "{}",
        screen_text(&app, 80, 24)
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.spec.image.family.as_deref(), Some("web-v2"));
    assert!(screen_text(&app, 80, 24).contains("A new family in this region."));
}

#[test]
fn a_full_family_is_marked_and_cannot_be_chosen() {
    let (mut app, effects) = details_loading();
    let mut images: Vec<Image> = (0..100)
        .map(|i| own_image(&format!("full-{i:03}"), "full", "2025-01-01T00:00:00Z"))
        .collect();
    images.extend(own_images());
    answer_lists(&mut app, &effects, Ok(groups()), Ok(images));
    focus(&mut app, Slot::Family);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "full");
    let list = screen_text(&app, 80, 24);
    assert!(list.contains("100 of 100"), "{list}");
    assert!(list.contains("✗ full: 100 images"), "{list}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.spec.image.family, None, "refused");
    assert!(app.notice.as_deref().is_some_and(|n| n.contains("full")));
    // Typed anyway, the field says the family is full.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.spec.image.family.as_deref(), Some("full"));
    let form = screen_text(&app, 80, 24);
    assert!(form.contains("! This family is full: 100 images"), "{form}");
}

#[test]
fn without_the_family_list_the_family_is_typed_with_a_note() {
    let (mut app, effects) = details_loading();
    let throttled = service_error("Throttling", "Request was denied due to flow control.");
    answer_lists(&mut app, &effects, Ok(groups()), Err(throttled));
    focus(&mut app, Slot::Family);
    let text = screen_text(&app, 160, 48);
    assert!(
        text.contains(
            "! Your image families could not be listed (Throttling). Type the family; ^R tries \
             again."
        ),
        "{text}"
    );
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "web");
    assert_eq!(app.spec.image.family.as_deref(), Some("web"));
}

#[test]
fn loads_are_cancelled_when_the_step_is_left_and_made_again_on_return() {
    let (mut app, effects) = details_loading();
    let (groups_id, families_id) = list_calls(&effects);
    assert!(app.busy(), "a spinner ticks while they load");
    let left = ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Tags);
    for id in [groups_id, families_id] {
        assert!(
            left.contains(&Effect::Cancel(id)),
            "{id:?} cancelled: {left:?}"
        );
    }
    // A late answer of a cancelled load is dropped.
    answer(
        &mut app,
        groups_id,
        Ok(Loaded::ResourceGroups(crate::tui::msg::Page {
            rows: groups(),
            last: true,
        })),
    );
    assert!(app.steps.details.lists.groups.picker.rows().is_empty());
    let back = ctrl(&mut app, 'p');
    let (again, _) = list_calls(&back);
    assert_ne!(again, groups_id);
    answer_lists(&mut app, &back, Ok(groups()), Ok(own_images()));
    // Loaded lists are kept: leaving and coming back asks nothing.
    ctrl(&mut app, 'n');
    let back = ctrl(&mut app, 'p');
    assert!(
        !calls(&back)
            .iter()
            .any(|(_, c)| matches!(c, Call::ResourceGroups | Call::Images(_))),
        "{back:?}"
    );
}

#[test]
fn server_text_in_the_lists_is_escaped() {
    let (mut app, effects) = details_loading();
    let mut hostile: Vec<ResourceGroup> = groups();
    hostile[0].display_name = "ops\u{1b}]0;pwned\u{7}".into();
    answer_lists(&mut app, &effects, Ok(hostile), Ok(own_images()));
    focus(&mut app, Slot::ResourceGroup);
    key(&mut app, KeyCode::Enter);
    let list = screen_text(&app, 160, 48);
    assert!(list.contains("ops\\u{1b}]0;pwned\\u{7}"), "{list}");
}

#[test]
fn a_region_switch_lists_the_new_regions_families() {
    let mut app = details();
    assert_eq!(app.steps.details.lists.families.picker.rows().len(), 2);
    app.with_step(Step::Details, |s, ctx| s.region_changed(ctx));
    assert!(app.steps.details.lists.families.picker.rows().is_empty());
    assert_eq!(
        app.steps.details.lists.groups.picker.rows().len(),
        3,
        "resource groups are the account's, in every region"
    );
}

#[test]
fn resource_group_list_80x24() {
    let app = group_list();
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn resource_group_list_160x48() {
    let mut app = group_list();
    type_text(&mut app, "rg-bp67acfmxazb4p");
    insta::assert_snapshot!(render(&app, 160, 48));
}

#[test]
fn family_list_80x24() {
    let app = family_list();
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn family_list_160x48() {
    let mut app = family_list();
    type_text(&mut app, "web");
    insta::assert_snapshot!(render(&app, 160, 48));
}

#[test]
fn fallback_and_chosen_family_80x24() {
    let (mut app, effects) = details_loading();
    answer_lists(&mut app, &effects, Err(forbidden()), Ok(own_images()));
    focus(&mut app, Slot::Family);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "db");
    key(&mut app, KeyCode::Enter);
    focus(&mut app, Slot::ResourceGroup);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn lists_loading_160x48() {
    let (mut app, _) = details_loading();
    focus(&mut app, Slot::Family);
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render(&app, 160, 48));
}
