//! A single-line text field: our wrapper around `tui_input::Input` adding what a form needs — a
//! label, an edit mode, a focus style and an inline validation note — so steps never touch the
//! crate directly. Also the form-row helpers ([`Note`], [`FormRow`]) the choice field shares.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};
use unicode_width::UnicodeWidthStr;

use crate::spec::{Finding, Severity};
use crate::text::{ellipsize, skip_columns, wrap};
use crate::tui::theme::Theme;
use crate::tui::widgets::keymap::{Key, Keymap, line_editing};

/// What a key did to a field, so the step knows whether to re-validate or act itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Not a key for the field (Tab, Up/Down, or any key while not editing but Enter): the
    /// step handles it.
    Ignored,
    /// The key was used but the value is unchanged (cursor moves, Enter starting an edit).
    Handled,
    /// The value changed: re-validate.
    Changed,
    /// Enter or Esc ended editing; the value is kept.
    Done,
}

/// A single-line text field.
#[derive(Debug, Clone)]
pub struct TextField {
    label: String,
    /// Shown dimmed while the field is empty and not being edited.
    placeholder: String,
    input: Input,
    editing: bool,
}

impl TextField {
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            placeholder: String::new(),
            input: Input::default(),
            editing: false,
        }
    }

    pub fn with_placeholder(mut self, placeholder: impl Into<String>) -> Self {
        self.placeholder = placeholder.into();
        self
    }

    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.set_value(value);
        self
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// The value for an optional spec field: empty means "not set".
    pub fn optional(&self) -> Option<String> {
        Some(self.value().to_owned()).filter(|v| !v.is_empty())
    }

    /// Replaces the value; the cursor goes to its end.
    pub fn set_value(&mut self, value: impl Into<String>) {
        self.input = Input::new(value.into());
    }

    pub fn is_editing(&self) -> bool {
        self.editing
    }

    /// Starts editing with the cursor at the end, where people usually continue typing.
    pub fn start_editing(&mut self) {
        self.editing = true;
        self.input.handle(InputRequest::GoToEnd);
    }

    pub fn stop_editing(&mut self) {
        self.editing = false;
    }

    /// The keys of a field being edited, all handed to [`TextField::handle_key`] as `edit`:
    /// Enter or Esc finish (the text is kept), the rest is the line editor's.
    pub fn editing_keymap<A: Clone>(edit: A) -> Keymap<A> {
        Keymap::new()
            .bind(
                [Key::plain(KeyCode::Enter), Key::plain(KeyCode::Esc)],
                edit.clone(),
                "done",
            )
            .help("finish editing (the text is kept)")
            .with(line_editing(edit), |a| a)
    }

    /// Handles a key: Enter starts editing; while editing, everything a line editor does
    /// (word moves with Ctrl/Alt-arrows or Alt-b/f, Home/End, Ctrl-A/E, Backspace/Delete,
    /// Ctrl-W/Alt-Backspace, Ctrl-K, Ctrl-U, Ctrl-Y) and Enter/Esc to finish.
    pub fn handle_key(&mut self, key: KeyEvent) -> Edit {
        if key.kind == KeyEventKind::Release {
            return Edit::Ignored;
        }
        if !self.editing {
            if key.code == KeyCode::Enter && key.modifiers == KeyModifiers::NONE {
                self.start_editing();
                return Edit::Handled;
            }
            return Edit::Ignored;
        }
        if matches!(key.code, KeyCode::Enter | KeyCode::Esc) {
            self.editing = false;
            return Edit::Done;
        }
        let Some(request) = extra_request(key).or_else(|| to_input_request(&Event::Key(key)))
        else {
            return Edit::Ignored;
        };
        match self.input.handle(request) {
            Some(changed) if changed.value => Edit::Changed,
            _ => Edit::Handled,
        }
    }

    /// Inserts pasted text at the cursor (starting an edit if needed). Line breaks and tabs
    /// become spaces — this is a single line — and other control characters are dropped.
    /// Returns whether the value changed.
    pub fn paste(&mut self, text: &str) -> bool {
        if !self.editing {
            self.start_editing();
        }
        let text = text.trim_end_matches(['\r', '\n']).replace("\r\n", " ");
        let mut changed = false;
        for c in text.chars() {
            let c = if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            };
            if !c.is_control() {
                changed |= self.input.handle(InputRequest::InsertChar(c)).is_some();
            }
        }
        changed
    }

    /// Draws the field as one form row; while editing, also places the terminal cursor.
    pub fn render(&self, frame: &mut Frame, area: Rect, row: &FormRow) {
        let value_area = row.render_frame(frame.buffer_mut(), area, &self.label);
        self.render_input(frame, value_area, row.focused, row.theme);
    }

    /// Draws the field as a table cell: [`TextField::render_input`], and when focused (not
    /// editing) the whole cell in reverse video, placeholder included, so the focus is
    /// visible without colour.
    pub fn render_cell(&self, frame: &mut Frame, area: Rect, focused: bool, theme: &Theme) {
        self.render_input(frame, area, focused, theme);
        if focused && !self.editing {
            let area = Rect { height: 1, ..area }.intersection(frame.area());
            frame.buffer_mut().set_style(area, theme.focused_cell);
        }
    }

    /// Draws just the value in a one-line `area` (a table cell): the placeholder when empty,
    /// the text cut with `…` at rest, and while editing the part around the cursor, with the
    /// terminal cursor placed.
    pub fn render_input(&self, frame: &mut Frame, area: Rect, focused: bool, theme: &Theme) {
        if area.is_empty() {
            return;
        }
        let area = Rect { height: 1, ..area };
        let width = usize::from(area.width);
        let buf = frame.buffer_mut();
        if self.editing {
            // Scroll so that one column is left for the cursor after the last character.
            let room = width.saturating_sub(1).max(1);
            let scroll = self.input.visual_scroll(room);
            buf.set_style(area, theme.input_editing);
            let shown = skip_columns(self.value(), scroll);
            buf.set_stringn(area.x, area.y, shown, width, theme.input_editing);
            let column = self.input.visual_cursor().saturating_sub(scroll);
            let x = area
                .x
                .saturating_add(u16::try_from(column).unwrap_or(u16::MAX))
                .min(area.right().saturating_sub(1));
            frame.set_cursor_position(Position::new(x, area.y));
        } else if self.value().is_empty() {
            buf.set_stringn(area.x, area.y, &self.placeholder, width, theme.muted);
        } else {
            let style = if focused {
                theme.input_focused
            } else {
                theme.input
            };
            buf.set_stringn(area.x, area.y, ellipsize(self.value(), width), width, style);
        }
    }
}

/// Keys tui-input leaves out that terminals commonly send for the same editing actions.
fn extra_request(key: KeyEvent) -> Option<InputRequest> {
    use InputRequest::*;
    match (key.code, key.modifiers) {
        (KeyCode::Left, KeyModifiers::ALT) | (KeyCode::Char('b'), KeyModifiers::ALT) => {
            Some(GoToPrevWord)
        }
        (KeyCode::Right, KeyModifiers::ALT) | (KeyCode::Char('f'), KeyModifiers::ALT) => {
            Some(GoToNextWord)
        }
        (KeyCode::Char('d'), KeyModifiers::ALT) => Some(DeleteNextWord),
        (KeyCode::Backspace, KeyModifiers::SHIFT) => Some(DeletePrevChar),
        (KeyCode::Home, _) => Some(GoToStart),
        (KeyCode::End, _) => Some(GoToEnd),
        _ => None,
    }
}

/// How serious a note under a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    Error,
    Warning,
    /// A neutral explanation (what a choice means).
    Info,
}

/// A message shown under a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    pub text: String,
}

impl Note {
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            kind: NoteKind::Info,
            text: text.into(),
        }
    }

    fn marker(&self) -> &'static str {
        match self.kind {
            NoteKind::Error => "✗ ",
            NoteKind::Warning => "! ",
            NoteKind::Info => "",
        }
    }
}

impl From<&Finding> for Note {
    fn from(e: &Finding) -> Self {
        Self {
            kind: match e.severity {
                Severity::Error => NoteKind::Error,
                Severity::Warning => NoteKind::Warning,
            },
            text: e.message.clone(),
        }
    }
}

/// Notes for the findings about one field, errors first.
pub fn notes_for(findings: &[Finding], field: crate::spec::Field) -> Vec<Note> {
    let mut notes: Vec<Note> = findings
        .iter()
        .filter(|f| f.field == field)
        .map(Note::from)
        .collect();
    notes.sort_by_key(|n| n.kind != NoteKind::Error);
    notes
}

/// Lines a note may take under a field before it is cut with `…`.
const MAX_NOTE_LINES: usize = 3;
/// Columns before the label: a focus marker and a space.
const MARKER_WIDTH: u16 = 2;

/// How one row of a form is drawn: the label column width shared by the form (so values line
/// up, whatever the labels' scripts), focus, and the notes to show under the value.
#[derive(Debug, Clone, Copy)]
pub struct FormRow<'a> {
    pub theme: &'a Theme,
    pub label_width: u16,
    pub focused: bool,
    pub notes: &'a [Note],
}

impl<'a> FormRow<'a> {
    /// The label column width that fits every label of a form.
    pub fn label_width<'l>(labels: impl IntoIterator<Item = &'l str>) -> u16 {
        let widest = labels.into_iter().map(str::width).max().unwrap_or(0);
        u16::try_from(widest).unwrap_or(u16::MAX)
    }

    fn value_x(&self, area: Rect) -> u16 {
        area.x
            .saturating_add(MARKER_WIDTH)
            .saturating_add(self.label_width)
            .saturating_add(1)
            .min(area.right())
    }

    fn note_lines(&self, width: u16) -> Vec<(NoteKind, String)> {
        let width = usize::from(width);
        let mut out = Vec::new();
        for note in self.notes {
            let text = format!("{}{}", note.marker(), note.text);
            let mut lines = wrap(&text, width);
            if lines.len() > MAX_NOTE_LINES {
                lines.truncate(MAX_NOTE_LINES);
                if let Some(last) = lines.last_mut() {
                    *last = ellipsize(&format!("{last} …"), width);
                }
            }
            out.extend(lines.into_iter().map(|l| (note.kind, l)));
        }
        out
    }

    /// One line for the field plus its notes (wrapped under the value column).
    pub fn height(&self, width: u16) -> u16 {
        let area = Rect::new(0, 0, width, 1);
        let note_width = area.right() - self.value_x(area);
        let lines = self.note_lines(note_width).len();
        1 + u16::try_from(lines).unwrap_or(u16::MAX)
    }

    /// Draws marker, label and notes; returns the one-line area left for the value.
    pub fn render_frame(&self, buf: &mut Buffer, area: Rect, label: &str) -> Rect {
        if area.is_empty() {
            return Rect::default();
        }
        let theme = self.theme;
        let (marker, label_style) = if self.focused {
            ("› ", theme.label_focused)
        } else {
            ("  ", theme.label)
        };
        let label_cell = Line::from(vec![
            Span::styled(marker, theme.focus_marker),
            Span::styled(label.to_owned(), label_style),
        ]);
        let value_x = self.value_x(area);
        buf.set_line(area.x, area.y, &label_cell, value_x - area.x);
        let note_width = area.right() - value_x;
        for (i, (kind, text)) in self.note_lines(note_width).into_iter().enumerate() {
            let y = area.y + 1 + u16::try_from(i).unwrap_or(u16::MAX);
            if y >= area.bottom() {
                break;
            }
            let style: Style = match kind {
                NoteKind::Error => theme.error,
                NoteKind::Warning => theme.warning,
                NoteKind::Info => theme.muted,
            };
            buf.set_stringn(value_x, y, text, usize::from(note_width), style);
        }
        Rect::new(value_x, area.y, area.right() - value_x, 1)
    }
}

/// Findings about a table (tags, disks) as wrapped lines for under it, each starting with a
/// marker and the field's label ("✗ Disk 2 size: …").
pub fn finding_lines(findings: &[&Finding], width: usize) -> Vec<(NoteKind, String)> {
    let mut out = Vec::new();
    for finding in findings {
        let note = Note::from(*finding);
        let text = format!("{}{}: {}", note.marker(), finding.field.label(), note.text);
        out.extend(wrap(&text, width).into_iter().map(|l| (note.kind, l)));
    }
    out
}

/// Draws lines from [`finding_lines`] from the top of `area`, as many as fit.
pub fn render_lines(buf: &mut Buffer, area: Rect, lines: &[(NoteKind, String)], theme: &Theme) {
    for ((kind, text), y) in lines.iter().zip(area.top()..area.bottom()) {
        let style = match kind {
            NoteKind::Error => theme.error,
            NoteKind::Warning => theme.warning,
            NoteKind::Info => theme.muted,
        };
        buf.set_stringn(area.x, y, text, usize::from(area.width), style);
    }
}

#[cfg(test)]
mod tests;
