//! The picker's behaviour and drawing.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::view::group;
use super::*;
use crate::search::PARALLEL_FROM;

#[derive(Debug, Clone, PartialEq)]
struct Item {
    id: String,
    name: String,
    size: u64,
    broken: bool,
}

static COLUMNS: [Column<Item>; 3] = [
    Column {
        title: "ID",
        min: 6,
        max: 8,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.id),
        cmp: Some(|a, b| a.id.cmp(&b.id)),
    },
    Column {
        title: "Name",
        min: 6,
        max: 20,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.name),
        cmp: Some(|a, b| a.name.cmp(&b.name)),
    },
    Column {
        title: "Size",
        min: 5,
        max: 6,
        priority: 1,
        right: true,
        cell: |i| Cow::Owned(i.size.to_string()),
        cmp: Some(|a, b| a.size.cmp(&b.size)),
    },
];

static KIND: PickerKind<Item> = PickerKind {
    noun: "items",
    columns: &COLUMNS,
    key: |i| &i.id,
    haystack: |i| format!("{} {}", i.id, i.name),
    unusable: |i| i.broken.then_some(Cow::Borrowed("broken")),
};

fn item(id: &str, name: &str, size: u64) -> Item {
    Item {
        id: id.into(),
        name: name.into(),
        size,
        broken: false,
    }
}

fn picker(items: Vec<Item>) -> Picker<Item> {
    let mut p = Picker::new(&KIND);
    p.start_loading();
    p.push_page(items, true);
    p
}

fn ids(p: &Picker<Item>) -> Vec<&str> {
    p.order
        .iter()
        .map(|&i| p.rows[i as usize].id.as_str())
        .collect()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn type_text(p: &mut Picker<Item>, text: &str) {
    for c in text.chars() {
        p.handle_key(key(KeyCode::Char(c)));
    }
}

#[test]
fn filter_ranks_best_match_first_and_selects_it() {
    let mut p = picker(vec![
        item("a1", "database", 10),
        item("a2", "web-frontend", 20),
        item("a3", "web", 30),
    ]);
    p.handle_key(key(KeyCode::Down));
    type_text(&mut p, "web");
    assert_eq!(ids(&p).len(), 2);
    assert_eq!(p.selected().map(|i| i.id.as_str()), Some(ids(&p)[0]));
    p.set_query("zzz");
    assert!(ids(&p).is_empty());
    assert_eq!(p.selected(), None);
    p.handle_key(key(KeyCode::Esc));
    assert_eq!(ids(&p), ["a1", "a2", "a3"]);
}

#[test]
fn incremental_filtering_equals_a_fresh_filter() {
    let names = [
        "alpha", "alphabet", "beta", "Alpine", "lap", "palace", "al pha", "ALP",
    ];
    let items: Vec<Item> = names
        .iter()
        .enumerate()
        .map(|(i, n)| item(&format!("r{i}"), n, i as u64))
        .collect();
    for query in [
        "a", "al", "alp", "alph", "al p", "Alp", "^al", "'lp", "alp$",
    ] {
        let mut typed = picker(items.clone());
        type_text(&mut typed, query);
        let mut fresh = picker(items.clone());
        fresh.set_query(query);
        assert_eq!(ids(&typed), ids(&fresh), "query {query:?}");
    }
    // Shrinking and non-monotonic edits fall back to a full filter.
    let mut p = picker(items.clone());
    type_text(&mut p, "!alp");
    let negated = ids(&p).len();
    p.handle_key(key(KeyCode::Backspace));
    let mut fresh = picker(items);
    fresh.set_query("!al");
    assert_eq!(ids(&p), ids(&fresh));
    assert!(ids(&fresh).len() <= negated || negated <= ids(&fresh).len());
}

#[test]
fn backspace_restores_the_earlier_result() {
    let items: Vec<Item> = ["alpha", "alphabet", "beta", "Alpine", "lap", "palace"]
        .iter()
        .enumerate()
        .map(|(i, n)| item(&format!("r{i}"), n, i as u64))
        .collect();
    let mut p = picker(items.clone());
    type_text(&mut p, "alph");
    p.handle_key(key(KeyCode::Backspace));
    p.handle_key(key(KeyCode::Backspace));
    let mut fresh = picker(items.clone());
    fresh.set_query("al");
    assert_eq!(ids(&p), ids(&fresh));
    assert_eq!(p.scores, fresh.scores);
    // Typing on from a restored result still narrows correctly.
    type_text(&mut p, "pi");
    fresh.set_query("alpi");
    assert_eq!(ids(&p), ids(&fresh));
    // New rows invalidate the saved results.
    p.push_page(vec![item("r9", "alps", 9)], false);
    p.handle_key(key(KeyCode::Backspace));
    p.handle_key(key(KeyCode::Backspace));
    assert!(ids(&p).contains(&"r9"));
}

#[test]
fn many_rows_are_scored_in_parallel_with_the_same_result() {
    let items: Vec<Item> = (0..PARALLEL_FROM as u64 * 2)
        .map(|i| {
            item(
                &format!("s-{i:06}"),
                &format!("auto-{:06}", i * 7919 % 100_000),
                i,
            )
        })
        .collect();
    let mut p = picker(items.clone());
    type_text(&mut p, "auto-12");
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse("auto-12", CaseMatching::Smart, Normalization::Smart);
    let mut buf = Vec::new();
    let mut expected: Vec<(u32, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| {
            let hay = format!("{} {}", it.id, it.name);
            let score =
                pattern.score(nucleo_matcher::Utf32Str::new(&hay, &mut buf), &mut matcher)?;
            Some((u32::MAX - score, i))
        })
        .collect();
    expected.sort_unstable();
    let expected: Vec<&str> = expected
        .iter()
        .map(|(_, i)| items[*i].id.as_str())
        .collect();
    assert!(expected.len() > 100, "{}", expected.len());
    assert_eq!(ids(&p), expected);
}

#[test]
fn column_sort_and_reverse_keep_the_selection() {
    let mut p = picker(vec![
        item("c", "x", 3),
        item("a", "y", 1),
        item("b", "z", 2),
    ]);
    p.handle_key(key(KeyCode::Down)); // "a"
    assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
    p.handle_key(ctrl('s')); // by ID
    assert_eq!(ids(&p), ["a", "b", "c"]);
    assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
    p.handle_key(ctrl('o'));
    assert_eq!(ids(&p), ["c", "b", "a"]);
    assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
    p.handle_key(ctrl('s')); // by name
    p.handle_key(ctrl('s')); // by size
    assert_eq!(ids(&p), ["a", "b", "c"]);
    p.handle_key(ctrl('s')); // back to arrival order
    assert_eq!(p.sort(), Sort::Relevance);
    assert_eq!(ids(&p), ["c", "a", "b"]);
}

#[test]
fn pages_merge_into_filters_and_sorts() {
    let mut p = Picker::new(&KIND);
    p.start_loading();
    p.set_sort(Sort::Column {
        index: 2,
        descending: false,
    });
    p.set_query("w");
    p.push_page(vec![item("1", "web", 5), item("2", "db", 1)], false);
    assert!(p.is_loading());
    p.push_page(vec![item("3", "www", 2), item("4", "web2", 9)], false);
    assert_eq!(ids(&p), ["3", "1", "4"]);
    p.set_sort(Sort::Relevance);
    let relevance = ids(&p).len();
    p.push_page(vec![item("5", "w", 0)], true);
    assert_eq!(p.load_state(), &LoadState::Complete);
    let mut fresh = picker(p.rows.clone());
    fresh.set_query("w");
    assert_eq!(ids(&p), ids(&fresh));
    assert_eq!(relevance + 1, ids(&p).len());
}

#[test]
fn selection_survives_a_reload_by_key() {
    let mut p = picker(vec![
        item("a", "x", 1),
        item("b", "y", 2),
        item("c", "z", 3),
    ]);
    p.handle_key(key(KeyCode::End));
    p.start_loading();
    p.push_page(vec![item("a", "x", 1)], false);
    assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
    p.push_page(vec![item("c", "z", 3)], true);
    assert_eq!(p.selected().map(|i| i.id.as_str()), Some("c"));
}

#[test]
fn unusable_rows_are_refused_with_the_reason() {
    let mut broken = item("b", "bad", 1);
    broken.broken = true;
    let mut p = picker(vec![broken, item("g", "good", 2)]);
    assert_eq!(
        p.handle_key(key(KeyCode::Enter)),
        PickerEvent::Refused("broken".into())
    );
    p.handle_key(key(KeyCode::Down));
    assert_eq!(p.handle_key(key(KeyCode::Enter)), PickerEvent::Chosen(1));
    assert_eq!(p.handle_key(ctrl('r')), PickerEvent::Refresh);
    assert_eq!(p.handle_key(key(KeyCode::Char('?'))), PickerEvent::Ignored);
}

#[test]
fn mouse_scrolls_selects_and_sorts() {
    let items: Vec<Item> = (0..30)
        .map(|i| item(&format!("r{i:02}"), "n", 30 - i))
        .collect();
    let mut p = picker(items);
    let theme = Theme::plain();
    let mut terminal = Terminal::new(TestBackend::new(40, 10)).expect("terminal");
    let style = PickerStyle {
        theme: &theme,
        spinner: "*",
        focused: true,
        empty: "none",
    };
    terminal
        .draw(|f| p.render(&style, f, f.area()))
        .expect("draws");
    let wheel = |kind| MouseEvent {
        kind,
        column: 5,
        row: 4,
        modifiers: KeyModifiers::NONE,
    };
    p.handle_mouse(wheel(MouseEventKind::ScrollDown));
    assert_eq!(p.selected_index(), Some(3));
    // Row 4 of the screen is the third body row (filter and header come first).
    p.handle_mouse(wheel(MouseEventKind::Down(MouseButton::Left)));
    assert_eq!(p.selected_index(), Some(2));
    // Clicking the Size header sorts by size, twice reverses.
    let (x, _) = p.header_columns.get()[2];
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: 1,
        modifiers: KeyModifiers::NONE,
    };
    p.handle_mouse(click);
    assert_eq!(
        p.sort(),
        Sort::Column {
            index: 2,
            descending: false
        }
    );
    assert_eq!(ids(&p)[0], "r29");
    p.handle_mouse(click);
    assert_eq!(
        p.sort(),
        Sort::Column {
            index: 2,
            descending: true
        }
    );
}

#[test]
fn renders_aligned_wide_text_and_loading_row() {
    let mut p = Picker::new(&KIND);
    p.start_loading();
    p.push_page(
        vec![
            item("i-1", "测试服务器", 40),
            item("i-2", "web-server-with-a-long-name", 8),
        ],
        false,
    );
    let theme = Theme::plain();
    let mut terminal = Terminal::new(TestBackend::new(40, 8)).expect("terminal");
    let style = PickerStyle {
        theme: &theme,
        spinner: "*",
        focused: true,
        empty: "none",
    };
    terminal
        .draw(|f| p.render(&style, f, f.area()))
        .expect("draws");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn grouping_digits() {
    assert_eq!(group(0), "0");
    assert_eq!(group(999), "999");
    assert_eq!(group(1000), "1,000");
    assert_eq!(group(1234567), "1,234,567");
}
