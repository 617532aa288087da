//! Step 5 driven through the wizard: copy regions, shared accounts, the snapshot tags, the
//! retirement list and its confirmation, and the screens.

use crossterm::event::KeyCode;

use super::*;
use crate::api::model::{Image, Region};
use crate::spec::{Severity, Source, Tag};
use crate::tui::app::App;
use crate::tui::effect::{Call, Effect};
use crate::tui::step::Step;
use crate::tui::testing::{
    answer, calls, ctrl, go_to, key, only_call, render, screen_text, type_text, wizard,
};

const ACCOUNT: &str = "1234567890123457";

/// The wizard on this step, an instance chosen as the source.
fn delivery_step() -> App {
    let (mut app, _) = wizard();
    app.spec.source = Source::Instance {
        instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
    };
    go_to(&mut app, Step::Delivery);
    app
}

fn region(id: &str, name: &str) -> Region {
    Region {
        region_id: id.into(),
        local_name: name.into(),
        region_endpoint: format!("ecs.{id}.aliyuncs.com"),
        status: "available".into(),
    }
}

fn regions() -> Vec<Region> {
    vec![
        region("cn-hangzhou", "华东1（杭州）"),
        region("cn-shanghai", "华东2（上海）"),
        region("cn-beijing", "华北2（北京）"),
        region("ap-southeast-1", "新加坡"),
    ]
}

/// Opens the region list on the focused "Copy to" row and answers DescribeRegions.
fn open_regions(app: &mut App) {
    let effects = key(app, KeyCode::Enter);
    let (id, call) = only_call(&effects);
    assert_eq!(call, Call::Regions);
    answer(app, id, Ok(Loaded::Regions(regions())));
}

/// Filters the open list by `text` and presses Enter on the match.
fn toggle(app: &mut App, text: &str) {
    ctrl(app, 'u');
    type_text(app, text);
    key(app, KeyCode::Enter);
}

fn delivery(app: &App) -> DeliverySpec {
    app.spec.delivery.clone().unwrap_or_default()
}

/// Tabs until `focus` has the focus.
fn focus_on(app: &mut App, focus: Focus) {
    for _ in 0..20 {
        if app.steps.delivery.focus == focus {
            return;
        }
        key(app, KeyCode::Tab);
    }
    panic!("never reached {focus:?}");
}

fn image(id: &str, name: &str, created: &str) -> Image {
    Image {
        image_id: id.into(),
        image_name: name.into(),
        image_family: "web".into(),
        creation_time: created.into(),
        status: "Available".into(),
        usage: "none".into(),
        is_self_shared: "false".into(),
        ..Image::default()
    }
}

/// A family with a shared image and three older ones in the build region, one in the copy's.
fn family(region: &str) -> Vec<Image> {
    match region {
        "cn-hangzhou" => {
            let mut shared = image("m-bp1shared0000000001", "web-0", "2026-07-01T00:00:00Z");
            shared.is_self_shared = "true".into();
            vec![
                image("m-bp1newest0000000001", "web-4", "2026-11-01T00:00:00Z"),
                shared,
                image("m-bp1older00000000001", "web-2", "2026-09-01T00:00:00Z"),
                image("m-bp1oldest0000000001", "web-1", "2026-08-01T00:00:00Z"),
            ]
        }
        _ => vec![image(
            "m-uf6copy000000000001",
            "web-1",
            "2026-08-02T00:00:00Z",
        )],
    }
}

/// Retiring on with `action`: family `web`, a copy in cn-shanghai; returns the list calls.
fn retiring(app: &mut App, action: RetireAction) -> Vec<(RequestId, Call)> {
    app.spec.image.family = Some("web".into());
    edit_delivery(&mut app.spec, |d| d.copy_to = vec!["cn-shanghai".into()]);
    focus_on(app, Focus::Retire);
    let mut effects: Vec<Effect> = Vec::new();
    while app.steps.delivery.retire.value() != Some(&action) {
        effects.extend(key(app, KeyCode::Right));
    }
    calls(&effects)
}

fn answer_families(app: &mut App, calls: &[(RequestId, Call)]) {
    for (id, call) in calls {
        let Call::ImagesIn { region, .. } = call else {
            continue;
        };
        answer(app, *id, Ok(Loaded::Images(family(region))));
    }
}

fn blocking(app: &App) -> Vec<&Finding> {
    app.findings
        .iter()
        .filter(|f| f.field == Field::DeliveryRetireAction && f.severity == Severity::Error)
        .collect()
}

#[test]
fn passing_through_asks_nothing_and_leaves_no_delivery() {
    let (mut app, _) = wizard();
    app.spec.source = Source::Instance {
        instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
    };
    go_to(&mut app, Step::Tags);
    let effects = ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Delivery);
    assert!(calls(&effects).is_empty(), "{effects:?}");
    ctrl(&mut app, 'n');
    assert_eq!(app.spec.delivery, None);
    assert_eq!(app.step_verdict(Step::Delivery), Some(true));
}

#[test]
fn regions_are_copied_to_in_the_order_chosen_and_the_build_region_is_refused() {
    let mut app = delivery_step();
    open_regions(&mut app);
    // The list opens on a region that can be chosen: Enter copies there.
    let picker = &app.steps.delivery.regions;
    let selected = picker
        .picker
        .selected_index()
        .and_then(|i| picker.region_at(i));
    assert_eq!(selected.as_deref(), Some("cn-shanghai"));
    toggle(&mut app, "beijing");
    toggle(&mut app, "shanghai");
    assert_eq!(delivery(&app).copy_to, ["cn-beijing", "cn-shanghai"]);
    toggle(&mut app, "hangzhou");
    assert_eq!(delivery(&app).copy_to, ["cn-beijing", "cn-shanghai"]);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("built in this region"), "{notice}");
    // Enter again takes a region out; the others keep their order.
    toggle(&mut app, "beijing");
    toggle(&mut app, "ap-southeast");
    assert_eq!(delivery(&app).copy_to, ["cn-shanghai", "ap-southeast-1"]);
    // Esc clears the filter, then closes the list.
    key(&mut app, KeyCode::Esc);
    assert!(app.steps.delivery.picking);
    key(&mut app, KeyCode::Esc);
    assert!(!app.steps.delivery.picking);
    assert_eq!(app.step, Step::Delivery);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("1 cn-shanghai (华"), "{text}");
    assert!(text.contains("· 2 ap-southeast-1 ("), "{text}");
    // Opening it again asks nothing.
    assert!(calls(&key(&mut app, KeyCode::Enter)).is_empty());
}

#[test]
fn accounts_are_judged_as_typed_by_the_recipe_rule_and_removed() {
    let mut app = delivery_step();
    focus_on(&mut app, Focus::AddAccount);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "12345");
    // The same words as the recipe validator's.
    let rule = crate::spec::validate::account_id("12345").unwrap_err();
    let text = screen_text(&app, 200, 60);
    assert!(
        text.contains("is not an Alibaba Cloud account ID"),
        "{text}"
    );
    assert_eq!(
        app.steps.delivery.account_refusal(&app.spec),
        Some(rule.clone())
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.spec.delivery, None, "refused, not added");
    // Left half typed, it is a problem of the step: nobody should think it was added.
    assert_eq!(app.steps.delivery.input_problems().len(), 1);
    assert_eq!(app.step_verdict(Step::Delivery), Some(false));
    assert!(app.notice.clone().unwrap_or_default().contains(&rule));
    // `q` and `d` are text while typing: nothing quits or is removed.
    type_text(&mut app, "q");
    assert!(!app.quit);
    ctrl(&mut app, 'u');
    type_text(&mut app, ACCOUNT);
    key(&mut app, KeyCode::Enter);
    assert_eq!(delivery(&app).share_with, [ACCOUNT]);
    // The field is empty and still typing: the next ID follows.
    type_text(&mut app, ACCOUNT);
    assert_eq!(
        app.steps.delivery.account_refusal(&app.spec),
        Some(format!("{ACCOUNT} is listed already."))
    );
    ctrl(&mut app, 'u');
    type_text(&mut app, "1234567890123458");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert!(!app.steps.delivery.account.is_editing(), "empty Enter ends");
    assert_eq!(delivery(&app).share_with, [ACCOUNT, "1234567890123458"]);
    // Removing both leaves no delivery at all.
    key(&mut app, KeyCode::Up);
    assert_eq!(app.steps.delivery.focus, Focus::Account(1));
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(app.steps.delivery.focus, Focus::Account(0));
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.spec.delivery, None);
    assert_eq!(app.steps.delivery.focus, Focus::AddAccount);
}

#[test]
fn validator_findings_mark_this_step() {
    let mut app = delivery_step();
    edit_delivery(&mut app.spec, |d| {
        d.copy_to = vec!["cn-hangzhou".into()];
        d.copy_name = Some("_{region}".into());
    });
    app.revalidate();
    assert_eq!(app.step_errors(Step::Delivery), 2);
    assert_eq!(app.step_verdict(Step::Delivery), Some(false));
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("The image is built in cn-hangzhou"), "{text}");
    assert!(text.contains("5 Delivery"), "{text}");
    // The review's Enter on a finding lands on its row.
    app.steps.delivery.focus(Field::DeliveryCopyName);
    assert_eq!(app.steps.delivery.focus, Focus::CopyName);
    app.steps.delivery.focus(Field::DeliveryCopyTo(0));
    assert_eq!(app.steps.delivery.focus, Focus::Regions);
}

#[test]
fn tag_snapshots_says_when_there_are_no_tags() {
    let mut app = delivery_step();
    focus_on(&mut app, Focus::TagSnapshots);
    key(&mut app, KeyCode::Right);
    assert!(delivery(&app).tag_snapshots);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("The image has no tags (step 4)"), "{text}");
    app.spec.tags = vec![Tag {
        key: "env".into(),
        value: "prod".into(),
    }];
    let text = screen_text(&app, 80, 24);
    assert!(!text.contains("The image has no tags"), "{text}");
    key(&mut app, KeyCode::Left);
    assert_eq!(app.spec.delivery, None);
}

#[test]
fn copy_texts_go_into_the_spec() {
    let mut app = delivery_step();
    focus_on(&mut app, Focus::CopyName);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "web-{region}");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "copy in {region}");
    key(&mut app, KeyCode::Enter);
    // Copy texts alone ask for nothing: the table waits for a copy.
    assert_eq!(app.spec.delivery, None);
    edit_delivery(&mut app.spec, |d| d.copy_to = vec!["cn-beijing".into()]);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "!");
    let d = delivery(&app);
    assert_eq!(d.copy_name.as_deref(), Some("web-{region}"));
    assert_eq!(d.copy_description.as_deref(), Some("copy in {region}!"));
}

#[test]
fn retiring_needs_a_family_and_lists_each_region_once() {
    let mut app = delivery_step();
    focus_on(&mut app, Focus::Retire);
    let text = screen_text(&app, 80, 24);
    assert!(
        text.contains("Needs an image family, and step 3 sets none"),
        "{text}"
    );
    key(&mut app, KeyCode::Right);
    assert!(
        app.findings
            .iter()
            .any(|f| f.field == Field::DeliveryRetire && f.is_error()),
        "{:?}",
        app.findings
    );

    let mut app = delivery_step();
    let listed = retiring(&mut app, RetireAction::Deprecate);
    let regions: Vec<&str> = listed
        .iter()
        .filter_map(|(_, c)| match c {
            Call::ImagesIn { region, query } => {
                assert_eq!(query.image_family.as_deref(), Some("web"));
                assert_eq!(query.image_owner_alias.as_deref(), Some("self"));
                Some(region.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(regions, ["cn-hangzhou", "cn-shanghai"]);
    answer_families(&mut app, &listed);
    // Keep 3: the new image and the two newest others stay; the oldest but one goes, and the
    // shared oldest is left alone.
    let text = screen_text(&app, 200, 60);
    assert!(
        text.contains("deprecate m-bp1oldest0000000001 (web-1, created 2026-08-01 00:00)"),
        "{text}"
    );
    assert!(!text.contains("m-bp1older00000000001"), "{text}");
    assert!(text.contains("nothing to retire"), "{text}");
    // A deprecation needs no confirmation.
    assert!(blocking(&app).is_empty());
    // Switching the action asks nothing more: both statuses were listed.
    assert!(calls(&key(&mut app, KeyCode::Right)).is_empty());
}

#[test]
fn a_delete_blocks_until_its_list_is_confirmed_and_again_when_it_changes() {
    let mut app = delivery_step();
    let listed = retiring(&mut app, RetireAction::Delete);
    // Still listing: blocked, and y confirms nothing yet.
    assert_eq!(blocking(&app).len(), 1);
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(blocking(&app).len(), 1);
    answer_families(&mut app, &listed);
    let finding = blocking(&app)[0].message.clone();
    assert!(finding.contains("press y"), "{finding}");
    assert_eq!(Step::of_field(Field::DeliveryRetireAction), Step::Delivery);
    assert_eq!(app.step_verdict(Step::Delivery), Some(false));
    assert!(
        app.step_keys()
            .footer()
            .iter()
            .any(|(k, label)| k == "y" && label == "confirm deletion")
    );
    key(&mut app, KeyCode::Char('y'));
    assert!(blocking(&app).is_empty(), "{:?}", app.findings);
    assert_eq!(app.step_verdict(Step::Delivery), Some(true));
    let text = screen_text(&app, 200, 60);
    assert!(
        text.contains("✓ Deleting the image listed below is confirmed."),
        "{text}"
    );
    // Keep 2 instead of 3: the list changes, the confirmation lapses.
    focus_on(&mut app, Focus::Keep);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "2");
    key(&mut app, KeyCode::Enter);
    assert_eq!(delivery(&app).retire.map(|r| r.keep), Some(2));
    let finding = blocking(&app)[0].message.clone();
    assert!(finding.contains("changed since you confirmed"), "{finding}");
    // The review lists it among the problems, and Submit refuses to go ahead.
    go_to(&mut app, Step::Review);
    let text = screen_text(&app, 200, 60);
    assert!(text.contains("✗ Retire action:"), "{text}");
    ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Submit);
    assert!(app.step_keys().footer().iter().all(|(_, l)| l != "submit…"));
    for effect in [
        key(&mut app, KeyCode::Enter),
        key(&mut app, KeyCode::Char('y')),
    ] {
        assert!(
            calls(&effect)
                .iter()
                .all(|(_, c)| !matches!(c, Call::Submit(_))),
            "{effect:?}"
        );
    }
}

#[test]
fn a_keep_that_is_not_a_number_is_a_problem_of_the_step() {
    let mut app = delivery_step();
    retiring(&mut app, RetireAction::Deprecate);
    focus_on(&mut app, Focus::Keep);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "x");
    assert_eq!(app.steps.delivery.input_problems().len(), 1);
    assert_eq!(app.step_verdict(Step::Delivery), Some(false));
    // The spec keeps the last good number.
    assert_eq!(delivery(&app).retire.map(|r| r.keep), Some(DEFAULT_KEEP));
}

#[test]
fn server_text_in_the_retirement_list_is_escaped() {
    let mut app = delivery_step();
    let listed = retiring(&mut app, RetireAction::Deprecate);
    let mut hostile = image(
        "m-bp1hostile000000001",
        "a\u{1b}]52;c;eA==\u{7}b",
        "2020-01-01",
    );
    hostile.image_family = "web".into();
    for (id, call) in listed {
        let Call::ImagesIn { region, .. } = call else {
            continue;
        };
        let mut images = family(&region);
        images.push(hostile.clone());
        answer(&mut app, id, Ok(Loaded::Images(images)));
    }
    let text = screen_text(&app, 200, 60);
    assert!(text.contains("a\\u{1b}]52;c;eA==\\u{7}b"), "{text}");
}

#[test]
fn screen_empty_80x24() {
    let app = delivery_step();
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn screen_regions_and_accounts() {
    let mut app = delivery_step();
    open_regions(&mut app);
    toggle(&mut app, "shanghai");
    toggle(&mut app, "ap-southeast");
    ctrl(&mut app, 'u');
    insta::assert_snapshot!("regions_list_80x24", render(&app, 80, 24));
    key(&mut app, KeyCode::Esc);
    focus_on(&mut app, Focus::AddAccount);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, ACCOUNT);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "12345678901234x");
    insta::assert_snapshot!("regions_accounts_refused_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("regions_accounts_refused_200x60", render(&app, 200, 60));
}

#[test]
fn screen_retirement_awaiting_confirmation() {
    let mut app = delivery_step();
    let listed = retiring(&mut app, RetireAction::Delete);
    answer_families(&mut app, &listed);
    insta::assert_snapshot!("retire_delete_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("retire_delete_200x60", render(&app, 200, 60));
}

#[test]
fn a_region_chosen_while_retiring_is_listed_too() {
    let mut app = delivery_step();
    retiring(&mut app, RetireAction::Deprecate);
    focus_on(&mut app, Focus::Regions);
    open_regions(&mut app);
    ctrl(&mut app, 'u');
    type_text(&mut app, "beijing");
    let effects = key(&mut app, KeyCode::Enter);
    let listed: Vec<String> = calls(&effects)
        .into_iter()
        .filter_map(|(_, c)| match c {
            Call::ImagesIn { region, .. } => Some(region),
            _ => None,
        })
        .collect();
    assert_eq!(listed, ["cn-beijing"]);
}

#[test]
fn a_region_the_list_lacks_is_typed_and_judged_by_the_recipe_rules() {
    let mut app = delivery_step();
    let (id, _) = only_call(&key(&mut app, KeyCode::Enter));
    answer(
        &mut app,
        id,
        Err(crate::tui::testing::service_error(
            "Forbidden.RAM",
            "User not authorized to operate on the specified resource.",
        )),
    );
    // The error popup first; then the list, empty, takes a typed ID.
    key(&mut app, KeyCode::Esc);
    type_text(&mut app, "cn-wulanchabu");
    assert!(screen_text(&app, 80, 24).contains("Tab adds “cn-wulanchabu” as typed"));
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "Beijing");
    key(&mut app, KeyCode::Tab);
    assert_eq!(delivery(&app).copy_to, ["cn-wulanchabu", "Beijing"]);
    assert!(
        app.findings
            .iter()
            .any(|f| f.field == Field::DeliveryCopyTo(1) && f.is_error()),
        "{:?}",
        app.findings
    );
}

/// Copies to cn-shanghai and cn-beijing, "Encrypt copies" switched on.
fn encrypting() -> App {
    let mut app = delivery_step();
    open_regions(&mut app);
    toggle(&mut app, "shanghai");
    toggle(&mut app, "beijing");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    focus_on(&mut app, Focus::Encrypt);
    key(&mut app, KeyCode::Right);
    app
}

/// Types `text` as the key of the region at `row` of the copies.
fn type_key(app: &mut App, row: usize, text: &str) {
    focus_on(app, Focus::Key(row));
    key(app, KeyCode::Enter);
    ctrl(app, 'u');
    type_text(app, text);
    key(app, KeyCode::Enter);
}

fn keys_named(app: &App) -> Vec<(&str, &str)> {
    let keys = app
        .spec
        .delivery
        .as_ref()
        .map_or(&[][..], |d| &d.kms_key_ids);
    keys.iter().map(|(r, k)| (r.as_str(), k.as_str())).collect()
}

#[test]
fn encryption_names_a_key_per_copy_region_and_follows_the_regions() {
    // No copy, no encryption row.
    let app = delivery_step();
    let order = app.steps.delivery.order(&app.spec);
    assert!(!order.contains(&Focus::Encrypt), "{order:?}");
    let mut app = encrypting();
    assert!(delivery(&app).encrypt_copies);
    let order = app.steps.delivery.order(&app.spec);
    assert!(order.contains(&Focus::Key(1)), "{order:?}");
    type_key(&mut app, 0, "key-shz2w8r4m6q1c5x7v3bn");
    // An empty key is allowed: the consequence is said on the row and by the validators.
    let text = screen_text(&app, 200, 60);
    assert!(
        text.contains("none: ECS picks the key, and such a copy cannot be shared"),
        "{text}"
    );
    assert!(
        app.findings
            .iter()
            .any(|f| f.field == Field::DeliveryEncryptCopies
                && f.severity == Severity::Warning
                && f.message.contains("cn-beijing")),
        "{:?}",
        app.findings
    );
    type_key(&mut app, 1, "key-bjz9d4k7s2p8f1m6t0qa");
    assert_eq!(
        keys_named(&app),
        [
            ("cn-shanghai", "key-shz2w8r4m6q1c5x7v3bn"),
            ("cn-beijing", "key-bjz9d4k7s2p8f1m6t0qa")
        ]
    );
    assert!(
        !app.findings
            .iter()
            .any(|f| f.field == Field::DeliveryEncryptCopies),
        "{:?}",
        app.findings
    );
    // Clearing a key names none.
    type_key(&mut app, 1, "");
    assert_eq!(
        keys_named(&app),
        [("cn-shanghai", "key-shz2w8r4m6q1c5x7v3bn")]
    );
    type_key(&mut app, 1, "key-bjz9d4k7s2p8f1m6t0qa");
    // Switched off, no key is named (ECS takes one only for an encrypted copy), and the rows
    // keep them for when it is switched on again.
    focus_on(&mut app, Focus::Encrypt);
    key(&mut app, KeyCode::Left);
    assert!(!delivery(&app).encrypt_copies);
    assert_eq!(keys_named(&app), []);
    assert!(!app.steps.delivery.order(&app.spec).contains(&Focus::Key(0)));
    key(&mut app, KeyCode::Right);
    assert_eq!(keys_named(&app).len(), 2);
    // Taking a region out of the copies drops its key; the other keeps its row.
    focus_on(&mut app, Focus::Regions);
    key(&mut app, KeyCode::Enter);
    toggle(&mut app, "shanghai");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        keys_named(&app),
        [("cn-beijing", "key-bjz9d4k7s2p8f1m6t0qa")]
    );
    assert_eq!(app.steps.delivery.keys.region(0), Some("cn-beijing"));
    assert_eq!(app.steps.delivery.keys.len(), 1);
    // Added back, it comes without a key.
    key(&mut app, KeyCode::Enter);
    toggle(&mut app, "shanghai");
    assert_eq!(
        keys_named(&app),
        [("cn-beijing", "key-bjz9d4k7s2p8f1m6t0qa")]
    );
    // Without any copy the encryption asks for nothing (the share keeps the table), and it
    // comes back with the next copy.
    edit_delivery(&mut app.spec, |d| d.share_with = vec![ACCOUNT.into()]);
    toggle(&mut app, "shanghai");
    toggle(&mut app, "beijing");
    assert!(!delivery(&app).encrypt_copies);
    assert_eq!(keys_named(&app), []);
    toggle(&mut app, "beijing");
    assert!(delivery(&app).encrypt_copies);
}

#[test]
fn key_findings_land_on_their_regions_rows() {
    let mut app = encrypting();
    type_key(&mut app, 1, "key bj");
    let refused = Field::DeliveryKmsKeyId(0);
    assert!(
        app.findings
            .iter()
            .any(|f| f.field == refused && f.is_error()),
        "{:?}",
        app.findings
    );
    assert_eq!(app.step_verdict(Step::Delivery), Some(false));
    // The key is the first named, for the second copy region: its row is the second.
    app.steps.delivery.focus(refused);
    assert_eq!(app.steps.delivery.focus, Focus::Key(1));
    let notes = app.steps.delivery.keys.notes(1, &app.spec, &app.findings);
    assert!(notes[0].text.contains("without spaces"), "{notes:?}");
    assert!(
        app.steps
            .delivery
            .keys
            .notes(0, &app.spec, &app.findings)
            .is_empty()
    );
    app.steps.delivery.focus(Field::DeliveryEncryptCopies);
    assert_eq!(app.steps.delivery.focus, Focus::Encrypt);
    // A recipe's key for a region no copy goes to has no row: its finding is on the
    // encryption row.
    edit_delivery(&mut app.spec, |d| {
        d.kms_key_ids.push(("cn-qingdao".into(), "key-qd".into()));
    });
    app.revalidate();
    app.steps.delivery.keys.sync(&app.spec);
    app.steps.delivery.focus(Field::DeliveryKmsKeyId(1));
    assert_eq!(app.steps.delivery.focus, Focus::Encrypt);
    let notes = encryption::encrypt_notes(&app.spec, &app.findings);
    assert!(
        notes
            .iter()
            .any(|n| n.text.contains("No copy goes to cn-qingdao")),
        "{notes:?}"
    );
}

#[test]
fn the_saved_recipe_keeps_the_encryption() {
    let mut app = encrypting();
    app.spec.image.name = Some("web-golden".into());
    type_key(&mut app, 0, "key-shz2w8r4m6q1c5x7v3bn");
    type_key(&mut app, 1, "key-bjz9d4k7s2p8f1m6t0qa");
    go_to(&mut app, Step::Review);
    let text = screen_text(&app, 200, 60);
    assert!(
        text.contains(
            "Encrypt copies  yes · cn-shanghai key-shz2w8r4m6q1c5x7v3bn, cn-beijing \
             key-bjz9d4k7s2p8f1m6t0qa"
        ),
        "{text}"
    );
    key(&mut app, KeyCode::Char('w'));
    let saved =
        calls(&key(&mut app, KeyCode::Enter))
            .into_iter()
            .find_map(|(_, call)| match call {
                Call::SaveFile { path, contents, .. } => Some((path, contents)),
                _ => None,
            });
    let Some((path, contents)) = saved else {
        panic!("the recipe is saved")
    };
    assert!(contents.contains("encrypt_copies = true"), "{contents}");
    let replayed = crate::spec::parse_recipe(&contents, &path).expect("the recipe parses");
    assert_eq!(replayed.delivery, app.spec.delivery);
    assert_eq!(keys_named(&app).len(), 2);
}

#[test]
fn screen_encryption_with_a_key_refused() {
    let mut app = encrypting();
    type_key(&mut app, 0, "key-shz2w8r4m6q1c5x7v3bn");
    type_key(&mut app, 1, "key bj");
    insta::assert_snapshot!("encryption_key_refused_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("encryption_key_refused_200x60", render(&app, 200, 60));
}

/// The wizard past step 2, whose DescribeDisks answered the instance's one disk, encrypted
/// with the service key (no KMSKeyId).
fn from_a_service_key_disk() -> App {
    use crate::api::model::Disk;
    use crate::tui::msg::Page;
    let (mut app, _) = wizard();
    app.spec.source = Source::Instance {
        instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
    };
    let effects = ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Disks);
    let (id, _) = calls(&effects)
        .into_iter()
        .find(|(_, c)| matches!(c, Call::Disks(_)))
        .expect("step 2 lists the instance's disks");
    let disk = |id: &str, name: &str, kind: &str, encrypted| Disk {
        disk_id: id.into(),
        disk_name: name.into(),
        disk_type: kind.into(),
        size: 40,
        encrypted,
        ..Disk::default()
    };
    let rows = vec![disk("d-bp1sys0000000000001", "system", "system", true)];
    answer(&mut app, id, Ok(Loaded::Disks(Page { rows, last: true })));
    go_to(&mut app, Step::Delivery);
    app
}

#[test]
fn sharing_an_image_of_a_service_key_disk_is_foretold_on_the_share_row() {
    let mut app = from_a_service_key_disk();
    focus_on(&mut app, Focus::AddAccount);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, ACCOUNT);
    key(&mut app, KeyCode::Enter);
    let warning = app
        .findings
        .iter()
        .find(|f| f.field == Field::DeliveryShareWith(0))
        .expect("the share is foretold to fail");
    // ECS refuses the share, but the build and the copies go ahead: a warning.
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(app.step_verdict(Step::Delivery), Some(true));
    assert_eq!(
        warning.message,
        "ECS refuses to share the image in cn-hangzhou: disk system is encrypted with the \
         service key. A copy can be, if encrypted with a KMS key of yours (Encrypt copies)."
    );
    let text = screen_text(&app, 200, 60);
    assert!(
        text.contains("! ECS refuses to share the image in cn-hangzhou: disk system is"),
        "{text}"
    );
    insta::assert_snapshot!("share_service_key_80x24", render(&app, 80, 24));
    // The review lists it among the warnings.
    go_to(&mut app, Step::Review);
    let text = screen_text(&app, 200, 60);
    assert!(
        text.contains("! Shared account 1: ECS refuses to share the image"),
        "{text}"
    );
}
