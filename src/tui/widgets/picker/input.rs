//! What keys, pasted text and the mouse do to a picker.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;
use tui_input::InputRequest;

use super::{Picker, PickerAction, PickerEvent, Sort, WHEEL_ROWS};
use crate::tui::widgets::keymap::{Key, Keymap};

impl<T> Picker<T> {
    /// The picker's keys; `choose` says what Enter does ("choose", "switch").
    pub fn keymap(&self, choose: &'static str) -> Keymap<PickerAction> {
        use KeyCode::*;
        use PickerAction as A;
        Keymap::new()
            .bind_each(
                [(Key::plain(Up), A::Up), (Key::plain(Down), A::Down)],
                "move",
            )
            .bind([Key::plain(Enter)], A::Choose, choose)
            .help(format!("{choose} the selected row"))
            .bind([Key::Text { except: "?" }], A::Filter, "filter")
            .help("filter the list (fuzzy; several words must all match)")
            .when(!self.query().is_empty(), |k| {
                k.bind([Key::plain(Esc)], A::ClearFilter, "clear filter")
            })
            .bind([Key::ctrl('r'), Key::plain(F(5))], A::Refresh, "reload")
            .help("load the list again")
            .bind([Key::ctrl('s')], A::Sort, "sort")
            .help("sort by the next column (or click a header)")
            .bind([Key::ctrl('o')], A::Reverse, "reverse")
            .help("reverse the order")
            .quiet()
            .bind_each(
                [
                    (Key::plain(PageUp), A::PageUp),
                    (Key::plain(PageDown), A::PageDown),
                    (Key::plain(Home), A::Home),
                    (Key::plain(End), A::End),
                ],
                "page",
            )
            .help("a page up / down; the first / last row")
            .quiet()
            .bind(
                [
                    Key::plain(Backspace),
                    Key::plain(Delete),
                    Key::plain(Left),
                    Key::plain(Right),
                    Key::ctrl('a'),
                    Key::ctrl('e'),
                    Key::ctrl('u'),
                    Key::ctrl('w'),
                    Key::ctrl_code(Backspace),
                    Key::alt(Backspace),
                ],
                A::Filter,
                "edit filter",
            )
            .help("edit the filter (^U clears it, ^W deletes a word)")
            .quiet()
            .note("Filter syntax: 'exact  ^prefix  suffix$  !exclude")
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerEvent {
        if key.kind == KeyEventKind::Release {
            return PickerEvent::Ignored;
        }
        match self.keymap("choose").action(&key) {
            Some(action) => self.act(action, key),
            None => PickerEvent::Ignored,
        }
    }

    /// Carries out a keymap action (`key` is the press, for the filter's editor).
    pub fn act(&mut self, action: PickerAction, key: KeyEvent) -> PickerEvent {
        let page = usize::from(self.body.get().height.max(1));
        match action {
            PickerAction::Up => self.move_by(-1),
            PickerAction::Down => self.move_by(1),
            PickerAction::PageUp => self.move_by(-(page as isize)),
            PickerAction::PageDown => self.move_by(page as isize),
            PickerAction::Home => self.cursor = 0,
            PickerAction::End => self.cursor = self.order.len().saturating_sub(1),
            PickerAction::Choose => return self.choose(),
            PickerAction::Refresh => return PickerEvent::Refresh,
            PickerAction::Sort => self.cycle_sort(),
            PickerAction::Reverse => self.reverse_sort(),
            PickerAction::ClearFilter => self.set_query(""),
            PickerAction::Filter => {
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                let alt = key.modifiers.contains(KeyModifiers::ALT);
                let request = match key.code {
                    KeyCode::Char(c) if !ctrl && !alt => InputRequest::InsertChar(c),
                    KeyCode::Backspace if ctrl || alt => InputRequest::DeletePrevWord,
                    KeyCode::Backspace => InputRequest::DeletePrevChar,
                    KeyCode::Delete => InputRequest::DeleteNextChar,
                    KeyCode::Left => InputRequest::GoToPrevChar,
                    KeyCode::Right => InputRequest::GoToNextChar,
                    KeyCode::Char('a') if ctrl => InputRequest::GoToStart,
                    KeyCode::Char('e') if ctrl => InputRequest::GoToEnd,
                    KeyCode::Char('u') if ctrl => InputRequest::DeleteLine,
                    KeyCode::Char('w') if ctrl => InputRequest::DeletePrevWord,
                    _ => return PickerEvent::Ignored,
                };
                let changed = self.query.handle(request).is_some_and(|c| c.value);
                if changed {
                    self.apply_query();
                }
            }
        }
        PickerEvent::Handled
    }

    /// Pasted text goes into the filter (first line only).
    pub fn handle_paste(&mut self, text: &str) -> PickerEvent {
        let line = text.lines().next().unwrap_or("");
        let clean: String = line.chars().filter(|c| !c.is_control()).collect();
        if clean.is_empty() {
            return PickerEvent::Ignored;
        }
        for c in clean.chars() {
            self.query.handle(InputRequest::InsertChar(c));
        }
        self.apply_query();
        PickerEvent::Handled
    }

    /// Wheel scrolls, a click selects a row or sorts by a column.
    pub fn handle_mouse(&mut self, event: MouseEvent) -> PickerEvent {
        let at = Position::new(event.column, event.row);
        let body = self.body.get();
        let header = self.header.get();
        match event.kind {
            MouseEventKind::ScrollDown if body.contains(at) || header.contains(at) => {
                self.move_by(WHEEL_ROWS as isize)
            }
            MouseEventKind::ScrollUp if body.contains(at) || header.contains(at) => {
                self.move_by(-(WHEEL_ROWS as isize))
            }
            MouseEventKind::Down(MouseButton::Left) if body.contains(at) => {
                let pos = self.offset.get() + usize::from(event.row - body.y);
                if pos >= self.order.len() {
                    return PickerEvent::Ignored;
                }
                self.cursor = pos;
            }
            MouseEventKind::Down(MouseButton::Left) if header.contains(at) => {
                let spans = self.header_columns.get();
                let Some(index) = spans
                    .iter()
                    .take(self.kind.columns.len())
                    .position(|&(x, w)| w > 0 && event.column >= x && event.column < x + w)
                else {
                    return PickerEvent::Ignored;
                };
                let descending = matches!(
                    self.sort,
                    Sort::Column { index: i, descending: false } if i == index
                );
                self.set_sort(Sort::Column { index, descending });
            }
            _ => return PickerEvent::Ignored,
        }
        PickerEvent::Handled
    }

    pub(super) fn choose(&self) -> PickerEvent {
        match self.selected() {
            None => PickerEvent::Handled,
            Some(row) => match self.reason(row) {
                Some(reason) => PickerEvent::Refused(reason.into_owned()),
                None => PickerEvent::Chosen(self.order[self.cursor] as usize),
            },
        }
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        let last = self.order.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    pub(super) fn select_index(&mut self, row: usize) {
        if let Some(pos) = self.order.iter().position(|&i| i as usize == row) {
            self.cursor = pos;
        }
    }

    /// Keeps `row` selected after a re-rank when it is still shown; else keeps the position.
    pub(super) fn follow(&mut self, row: Option<usize>) {
        match row {
            Some(r) => {
                if self.order.get(self.cursor).is_none_or(|&i| i as usize != r) {
                    match self.order.iter().position(|&i| i as usize == r) {
                        Some(pos) => self.cursor = pos,
                        None => self.cursor = self.cursor.min(self.order.len().saturating_sub(1)),
                    }
                }
            }
            None => self.cursor = self.cursor.min(self.order.len().saturating_sub(1)),
        }
    }
}
