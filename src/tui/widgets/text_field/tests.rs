//! The text field and the form-row helpers.

use crossterm::event::KeyEventState;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::spec::Field;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn with(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn editing(value: &str) -> TextField {
    let mut field = TextField::new("Name").with_value(value);
    field.start_editing();
    field
}

fn type_text(field: &mut TextField, text: &str) {
    for c in text.chars() {
        field.handle_key(key(KeyCode::Char(c)));
    }
}

#[test]
fn enter_starts_editing_and_enter_or_esc_end_it_keeping_the_text() {
    let mut field = TextField::new("Name");
    assert_eq!(field.handle_key(key(KeyCode::Char('x'))), Edit::Ignored);
    assert_eq!(field.handle_key(key(KeyCode::Enter)), Edit::Handled);
    assert!(field.is_editing());
    assert_eq!(field.handle_key(key(KeyCode::Char('q'))), Edit::Changed);
    assert_eq!(field.handle_key(key(KeyCode::Char('?'))), Edit::Changed);
    assert_eq!(field.handle_key(key(KeyCode::Esc)), Edit::Done);
    assert!(!field.is_editing());
    assert_eq!(field.value(), "q?");
    field.handle_key(key(KeyCode::Enter));
    type_text(&mut field, "!");
    assert_eq!(field.handle_key(key(KeyCode::Enter)), Edit::Done);
    assert_eq!(field.value(), "q?!");
}

#[test]
fn navigation_keys_are_left_to_the_form() {
    let mut field = editing("abc");
    for code in [KeyCode::Tab, KeyCode::BackTab, KeyCode::Up, KeyCode::Down] {
        assert_eq!(field.handle_key(key(code)), Edit::Ignored, "{code:?}");
    }
    // Unmapped control keys (the app's ^N, ^G) pass through too.
    let ctrl_n = with(KeyCode::Char('n'), KeyModifiers::CONTROL);
    assert_eq!(field.handle_key(ctrl_n), Edit::Ignored);
    assert_eq!(field.value(), "abc");
    let release = KeyEvent {
        kind: KeyEventKind::Release,
        ..key(KeyCode::Char('z'))
    };
    assert_eq!(field.handle_key(release), Edit::Ignored);
    assert_eq!(field.value(), "abc");
}

#[test]
fn word_moves_home_end_and_deletion() {
    let mut field = editing("web tier image");
    field.handle_key(with(KeyCode::Left, KeyModifiers::CONTROL));
    type_text(&mut field, "big-");
    assert_eq!(field.value(), "web tier big-image");
    field.handle_key(key(KeyCode::Home));
    field.handle_key(key(KeyCode::Delete));
    assert_eq!(field.value(), "eb tier big-image");
    field.handle_key(with(KeyCode::Char('f'), KeyModifiers::ALT));
    field.handle_key(with(KeyCode::Char('d'), KeyModifiers::ALT));
    assert_eq!(field.value(), "eb big-image");
    field.handle_key(key(KeyCode::End));
    field.handle_key(key(KeyCode::Backspace));
    assert_eq!(field.value(), "eb big-imag");
    field.handle_key(with(KeyCode::Char('w'), KeyModifiers::CONTROL));
    assert_eq!(field.value(), "eb big-");
    field.handle_key(with(KeyCode::Char('a'), KeyModifiers::CONTROL));
    field.handle_key(with(KeyCode::Char('k'), KeyModifiers::CONTROL));
    assert_eq!(field.value(), "");
    field.handle_key(with(KeyCode::Char('y'), KeyModifiers::CONTROL));
    assert_eq!(field.value(), "eb big-", "Ctrl-Y yanks what Ctrl-K cut");
    field.handle_key(with(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(field.value(), "");
    // Shifted letters are text; Shift-Backspace still deletes.
    field.handle_key(with(KeyCode::Char('A'), KeyModifiers::SHIFT));
    field.handle_key(KeyEvent {
        state: KeyEventState::NONE,
        ..with(KeyCode::Backspace, KeyModifiers::SHIFT)
    });
    assert_eq!(field.value(), "");
}

#[test]
fn paste_flattens_lines_and_drops_control_characters() {
    let mut field = TextField::new("Description").with_value("a");
    assert!(field.paste("b\r\nc\td\u{7}e\n"));
    assert!(field.is_editing(), "pasting starts an edit");
    assert_eq!(field.value(), "ab c de");
    assert!(!field.paste("\n"));
    assert_eq!(field.optional().as_deref(), Some("ab c de"));
    assert_eq!(TextField::new("x").optional(), None);
}

#[test]
fn notes_are_for_one_field_errors_first() {
    let finding = |field, severity, message: &str| Finding {
        field,
        message: message.into(),
        severity,
        code: None,
    };
    let findings = [
        finding(Field::Platform, Severity::Warning, "set it"),
        finding(Field::ImageName, Severity::Error, "bad name"),
        finding(Field::Platform, Severity::Error, "unknown"),
    ];
    let notes = notes_for(&findings, Field::Platform);
    assert_eq!(
        notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["unknown", "set it"]
    );
    assert_eq!(notes[1].kind, NoteKind::Warning);
    let lines = finding_lines(&[&findings[1]], 80);
    assert_eq!(
        lines,
        [(NoteKind::Error, "✗ Image name: bad name".to_owned())]
    );
}

fn draw(field: &TextField, notes: &[Note], focused: bool, width: u16) -> Terminal<TestBackend> {
    let theme = Theme::plain();
    let row = FormRow {
        theme: &theme,
        label_width: FormRow::label_width(["Name", "镜像名称"]),
        focused,
        notes,
    };
    let height = row.height(width);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|f| field.render(f, f.area(), &row))
        .expect("draws");
    terminal
}

#[test]
fn renders_label_value_and_wrapped_note() {
    let field = TextField::new("镜像名称").with_value("web-01");
    let notes = [Note {
        kind: NoteKind::Error,
        text: "The image name must start with a letter or a Chinese character.".into(),
    }];
    let terminal = draw(&field, &notes, true, 40);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn editing_scrolls_to_the_cursor_and_places_it() {
    let mut field = editing("a-very-long-image-name-that-does-not-fit");
    let mut terminal = draw(&field, &[], true, 30);
    insta::assert_snapshot!(terminal.backend(), @r#""› Name     -that-does-not-fit ""#);
    assert_eq!(
        terminal.get_cursor_position().ok(),
        Some(Position::new(29, 0))
    );
    field.handle_key(key(KeyCode::Home));
    terminal = draw(&field, &[], true, 30);
    insta::assert_snapshot!(terminal.backend(), @r#""› Name     a-very-long-image-n""#);
    assert_eq!(
        terminal.get_cursor_position().ok(),
        Some(Position::new(11, 0))
    );
    // Not editing: cut with an ellipsis; empty: the placeholder.
    field.stop_editing();
    terminal = draw(&field, &[], false, 30);
    insta::assert_snapshot!(terminal.backend(), @r#""  Name     a-very-long-image-…""#);
    let empty = TextField::new("Name").with_placeholder("not set");
    terminal = draw(&empty, &[], false, 30);
    insta::assert_snapshot!(terminal.backend(), @r#""  Name     not set            ""#);
}

#[test]
fn long_notes_are_cut_after_three_lines() {
    let row_notes = [Note {
        kind: NoteKind::Warning,
        text: "word ".repeat(40),
    }];
    let theme = Theme::plain();
    let row = FormRow {
        theme: &theme,
        label_width: 4,
        focused: false,
        notes: &row_notes,
    };
    assert_eq!(row.height(30), 4);
}
