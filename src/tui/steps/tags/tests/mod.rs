//! Step 4 driven through the wizard: the tag table, the features and screens.

use crossterm::event::KeyCode;

use super::*;
use crate::spec::Source;
use crate::tui::app::App;
use crate::tui::step::Step;
use crate::tui::testing::{ctrl, key, render, screen_text, type_text, wizard};

/// The wizard on this step, an instance chosen as the source.
fn tags_step() -> App {
    let (mut app, _) = wizard();
    app.spec.source = Source::Instance {
        instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
    };
    for _ in 0..3 {
        ctrl(&mut app, 'n');
    }
    assert_eq!(app.step, Step::Tags);
    app
}

/// Adds a tag by typing its key, Tab, its value, Enter.
fn add_tag(app: &mut App, k: &str, v: &str) {
    key(app, KeyCode::Char('a'));
    type_text(app, k);
    key(app, KeyCode::Tab);
    type_text(app, v);
    key(app, KeyCode::Enter);
}

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

fn codes(app: &App) -> Vec<(Field, Option<&'static str>)> {
    app.findings.iter().map(|f| (f.field, f.code)).collect()
}

#[test]
fn tags_are_added_by_typing_key_tab_value() {
    let mut app = tags_step();
    add_tag(&mut app, "env", "prod");
    add_tag(&mut app, "团队", "平台");
    assert_eq!(app.spec.tags, [tag("env", "prod"), tag("团队", "平台")]);
    assert!(codes(&app).is_empty(), "{:?}", app.findings);
    // `q`, `d` and `a` are text while typing.
    add_tag(&mut app, "qda", "");
    assert_eq!(app.spec.tags[2], tag("qda", ""));
    assert!(!app.quit);
}

#[test]
fn keys_and_values_are_edited_in_place_and_tags_removed() {
    let mut app = tags_step();
    add_tag(&mut app, "env", "prod");
    add_tag(&mut app, "team", "web");
    // Focus is on tag 2's value; edit it, then tag 1's key.
    key(&mut app, KeyCode::Enter);
    ctrl(&mut app, 'w');
    type_text(&mut app, "platform");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Home);
    type_text(&mut app, "app-");
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        app.spec.tags,
        [tag("app-env", "prod"), tag("team", "platform")]
    );
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(app.spec.tags, [tag("team", "platform")]);
    key(&mut app, KeyCode::Delete);
    assert!(app.spec.tags.is_empty());
    assert_eq!(app.step, Step::Tags);
}

#[test]
fn a_tag_left_empty_is_dropped() {
    let mut app = tags_step();
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.spec.tags.len(), 0, "an empty row is not yet a tag");
    key(&mut app, KeyCode::Esc);
    assert!(app.steps.tags.rows.is_empty());
    assert_eq!(app.step, Step::Tags, "Esc ended the edit, not the step");
    key(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "x");
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Down);
    assert!(app.steps.tags.rows.is_empty());
    assert!(app.spec.tags.is_empty());
}

#[test]
fn duplicates_and_reserved_prefixes_are_flagged_while_typing() {
    let mut app = tags_step();
    add_tag(&mut app, "env", "prod");
    key(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "env");
    assert!(codes(&app).contains(&(Field::TagKey(1), Some("Duplicate.TagKey"))));
    type_text(&mut app, "2");
    assert!(codes(&app).is_empty());
    ctrl(&mut app, 'u');
    type_text(&mut app, "aliyun:owner");
    assert!(codes(&app).contains(&(Field::TagKey(1), Some("InvalidTagKey.Malformed"))));
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "acs:x");
    assert!(codes(&app).contains(&(Field::TagValue(1), Some("InvalidTagValue.Malformed"))));
    let screen = screen_text(&app, 80, 24);
    assert!(
        screen.contains("✗ Tag 2 key: A tag key must not start with \"aliyun\""),
        "{screen}"
    );
}

#[test]
fn at_most_twenty_tags() {
    let mut app = tags_step();
    for i in 0..rules::MAX_TAGS {
        add_tag(&mut app, &format!("k{i}"), "v");
    }
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.spec.tags.len(), rules::MAX_TAGS);
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("at most 20 tags"))
    );
}

#[test]
fn features_cycle_with_explanations() {
    let mut app = tags_step();
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.spec.features.imds_support, Some(ImdsSupport::V2));
    assert!(screen_text(&app, 80, 24).contains("token-only metadata access"));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.spec.features.detection_strategy,
        Some(DetectionStrategy::Standard)
    );
    assert!(screen_text(&app, 80, 24).contains("checked after creation"));
    // The table and features come back as they were after leaving the step.
    ctrl(&mut app, 'p');
    ctrl(&mut app, 'n');
    assert_eq!(app.steps.tags.imds.value(), Some(&ImdsSupport::V2));
}

#[test]
fn screen_80x24() {
    let mut app = tags_step();
    add_tag(&mut app, "env", "prod");
    add_tag(&mut app, "team", "platform");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn screen_chinese_and_errors_80x24() {
    let mut app = tags_step();
    add_tag(&mut app, "环境", "生产环境");
    add_tag(&mut app, "成本中心", "网站-平台部");
    add_tag(&mut app, "环境", "测试");
    add_tag(&mut app, "acs:owner", "");
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn screen_many_tags_160x48() {
    let mut app = tags_step();
    for i in 0..rules::MAX_TAGS {
        add_tag(&mut app, &format!("key-{i:02}"), &format!("value {i}"));
    }
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "-edited");
    insta::assert_snapshot!(render(&app, 160, 48));
}
