//! A choice field: one value from a closed list, each value with a one-line explanation.
//! Left/Right cycle in place; Enter opens the list (Up/Down, a letter jumps, Enter picks,
//! Esc closes), which suits long lists such as platforms.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};
use unicode_width::UnicodeWidthStr;

use super::keymap::{Key, Keymap};
use super::text_field::{Edit, FormRow};
use crate::text::ellipsize;

/// One value of a choice. `value: None` is "unset": the API default applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceOption<T> {
    pub value: Option<T>,
    pub label: String,
    pub help: String,
}

impl<T> ChoiceOption<T> {
    pub fn new(value: Option<T>, label: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            value,
            label: label.into(),
            help: help.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Choice<T> {
    label: String,
    options: Vec<ChoiceOption<T>>,
    selected: usize,
    /// The highlighted row while the list is open.
    open: Option<usize>,
}

impl<T: Clone + PartialEq> Choice<T> {
    /// A choice starting at its first option. `options` must not be empty: the steps build
    /// them from constant lists.
    pub fn new(label: impl Into<String>, options: Vec<ChoiceOption<T>>) -> Self {
        debug_assert!(!options.is_empty(), "a choice needs options");
        Self {
            label: label.into(),
            options,
            selected: 0,
            open: None,
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn selected(&self) -> Option<&ChoiceOption<T>> {
        self.options.get(self.selected)
    }

    /// The chosen value; `None` when "unset" is chosen.
    pub fn value(&self) -> Option<&T> {
        self.selected().and_then(|o| o.value.as_ref())
    }

    /// Selects the option holding `value`; returns false (and keeps the selection) when no
    /// option does.
    pub fn select(&mut self, value: Option<&T>) -> bool {
        match self.options.iter().position(|o| o.value.as_ref() == value) {
            Some(i) => {
                self.selected = i;
                true
            }
            None => false,
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    pub fn close(&mut self) {
        self.open = None;
    }

    fn step(&self, from: usize, forward: bool) -> usize {
        let n = self.options.len().max(1);
        if forward {
            (from + 1) % n
        } else {
            (from + n - 1) % n
        }
    }

    /// The next option after `from` whose label starts with `c` (case-insensitive), wrapping.
    fn jump(&self, from: usize, c: char) -> Option<usize> {
        let n = self.options.len();
        (1..=n).map(|k| (from + k) % n).find(|&i| {
            self.options[i]
                .label
                .chars()
                .next()
                .is_some_and(|first| first.to_lowercase().eq(c.to_lowercase()))
        })
    }

    /// The keys [`Choice::handle_key`] takes now (all as `act`): closed, ←→ or Space change the
    /// value and Enter opens the list; open, the list's keys.
    pub fn keymap<A: Clone>(&self, act: A) -> Keymap<A> {
        use KeyCode::*;
        if self.open.is_none() {
            return Keymap::new()
                .bind(
                    [Key::plain(Left), Key::plain(Right), Key::char(' ')],
                    act.clone(),
                    "change",
                )
                .help("previous / next value")
                .bind([Key::plain(Enter)], act, "list")
                .help("open the list of values");
        }
        Keymap::new()
            .bind([Key::plain(Up), Key::plain(Down)], act.clone(), "move")
            .bind([Key::plain(Enter), Key::char(' ')], act.clone(), "choose")
            .bind([Key::plain(Esc)], act.clone(), "close")
            .help("close the list, keeping the value")
            .bind(
                [
                    Key::plain(Home),
                    Key::plain(End),
                    Key::plain(PageUp),
                    Key::plain(PageDown),
                ],
                act.clone(),
                "jump",
            )
            .help("first / last value, a page up / down")
            .quiet()
            .bind([Key::Text { except: " " }], act, "type")
            .help("jump to the next value starting with that letter")
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Edit {
        if key.kind == KeyEventKind::Release {
            return Edit::Ignored;
        }
        let plain = key.modifiers == KeyModifiers::NONE || key.modifiers == KeyModifiers::SHIFT;
        let Some(highlight) = self.open else {
            return match key.code {
                KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if plain => {
                    self.selected = self.step(self.selected, key.code != KeyCode::Left);
                    Edit::Changed
                }
                KeyCode::Enter if plain => {
                    self.open = Some(self.selected);
                    Edit::Handled
                }
                _ => Edit::Ignored,
            };
        };
        let last = self.options.len().saturating_sub(1);
        let moved = match key.code {
            KeyCode::Up => self.step(highlight, false),
            KeyCode::Down => self.step(highlight, true),
            KeyCode::Home => 0,
            KeyCode::End => last,
            KeyCode::PageUp => highlight.saturating_sub(10),
            KeyCode::PageDown => (highlight + 10).min(last),
            KeyCode::Esc => {
                self.open = None;
                return Edit::Done;
            }
            KeyCode::Enter | KeyCode::Char(' ') => {
                self.open = None;
                if highlight == self.selected {
                    return Edit::Done;
                }
                self.selected = highlight;
                return Edit::Changed;
            }
            KeyCode::Char(c) if plain => match self.jump(highlight, c) {
                Some(i) => i,
                None => return Edit::Handled,
            },
            _ => return Edit::Ignored,
        };
        self.open = Some(moved);
        Edit::Handled
    }

    /// Draws the field as one form row: `‹ value ›` and the value's explanation.
    pub fn render(&self, frame: &mut Frame, area: Rect, row: &FormRow) {
        let theme = row.theme;
        let buf = frame.buffer_mut();
        let value_area = row.render_frame(buf, area, &self.label);
        let Some(option) = self.selected() else {
            return;
        };
        let value_style = match (option.value.is_some(), row.focused) {
            (_, true) => theme.input_focused,
            (true, false) => theme.input,
            (false, false) => theme.muted,
        };
        let arrows = if row.focused {
            ("‹ ", " ›")
        } else {
            ("  ", "  ")
        };
        let width = usize::from(value_area.width);
        let head = format!("{}{}{}", arrows.0, option.label, arrows.1);
        let help_width = width.saturating_sub(head.width() + 1);
        let line = Line::from(vec![
            Span::styled(arrows.0, theme.focus_marker),
            Span::styled(option.label.clone(), value_style),
            Span::styled(arrows.1, theme.focus_marker),
            Span::raw(" "),
            Span::styled(ellipsize(&option.help, help_width), theme.muted),
        ]);
        buf.set_line(value_area.x, value_area.y, &line, value_area.width);
    }

    /// While open, draws the list over the form, just below `anchor` (the field's row) if it
    /// fits in `bounds`, else above it. Call after drawing every row.
    pub fn render_popup(&self, frame: &mut Frame, anchor: Rect, bounds: Rect, row: &FormRow) {
        let Some(highlight) = self.open else {
            return;
        };
        let theme = row.theme;
        let x = anchor
            .x
            .saturating_add(2 + row.label_width + 1)
            .min(bounds.right());
        let width = bounds.right().saturating_sub(x);
        let wanted = u16::try_from(self.options.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        let below = bounds.bottom().saturating_sub(anchor.y.saturating_add(1));
        let above = anchor.y.saturating_sub(bounds.y);
        let (y, height) = if wanted <= below || below >= above {
            (anchor.y.saturating_add(1), wanted.min(below))
        } else {
            let h = wanted.min(above);
            (anchor.y - h, h)
        };
        let area = Rect::new(x, y, width, height);
        if area.width < 6 || area.height < 3 {
            return;
        }
        frame.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.focus_marker)
            .title(Span::styled(
                format!(" {} ", self.label),
                theme.label_focused,
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);

        let visible = usize::from(inner.height);
        let offset = (highlight + 1).saturating_sub(visible);
        let label_width = self
            .options
            .iter()
            .map(|o| o.label.width())
            .max()
            .unwrap_or(0);
        let buf = frame.buffer_mut();
        for (row_i, (i, option)) in self
            .options
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .enumerate()
        {
            let y = inner.y + u16::try_from(row_i).unwrap_or(u16::MAX);
            // Marked in text too, for terminals without colour: › the highlighted row, • the
            // current value.
            let pointer = if i == highlight { "›" } else { " " };
            let current = if i == self.selected { "• " } else { "  " };
            let pad = " ".repeat(label_width.saturating_sub(option.label.width()) + 2);
            let head = format!("{pointer}{current}{}{pad}", option.label);
            let help = ellipsize(
                &option.help,
                usize::from(inner.width).saturating_sub(head.width()),
            );
            let (head_style, help_style) = if i == highlight {
                (theme.selected, theme.selected)
            } else {
                (theme.input, theme.muted)
            };
            let line_area = Rect::new(inner.x, y, inner.width, 1);
            if i == highlight {
                buf.set_style(line_area, theme.selected);
            }
            let line = Line::from(vec![
                Span::styled(head, head_style),
                Span::styled(help, help_style),
            ]);
            buf.set_line(inner.x, y, &line, inner.width);
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::tui::theme::Theme;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn modes() -> Choice<&'static str> {
        Choice::new(
            "Boot mode",
            vec![
                ChoiceOption::new(None, "unset", "API default"),
                ChoiceOption::new(Some("BIOS"), "BIOS", "legacy"),
                ChoiceOption::new(Some("UEFI"), "UEFI", "UEFI only"),
                ChoiceOption::new(Some("UEFI-Preferred"), "UEFI-Preferred", "either"),
            ],
        )
    }

    #[test]
    fn left_and_right_cycle_in_place() {
        let mut c = modes();
        assert_eq!(c.value(), None);
        assert_eq!(c.handle_key(key(KeyCode::Right)), Edit::Changed);
        assert_eq!(c.value(), Some(&"BIOS"));
        assert_eq!(c.handle_key(key(KeyCode::Left)), Edit::Changed);
        assert_eq!(c.handle_key(key(KeyCode::Left)), Edit::Changed);
        assert_eq!(c.value(), Some(&"UEFI-Preferred"), "wraps around");
        assert_eq!(c.handle_key(key(KeyCode::Char(' '))), Edit::Changed);
        assert_eq!(c.value(), None);
        assert_eq!(c.handle_key(key(KeyCode::Tab)), Edit::Ignored);
        assert_eq!(c.handle_key(key(KeyCode::Down)), Edit::Ignored);
    }

    #[test]
    fn the_list_moves_jumps_chooses_and_cancels() {
        let mut c = modes();
        assert_eq!(c.handle_key(key(KeyCode::Enter)), Edit::Handled);
        assert!(c.is_open());
        c.handle_key(key(KeyCode::Down));
        c.handle_key(key(KeyCode::Down));
        assert_eq!(c.value(), None, "moving in the list does not choose");
        assert_eq!(c.handle_key(key(KeyCode::Esc)), Edit::Done);
        assert_eq!(c.value(), None);
        c.handle_key(key(KeyCode::Enter));
        // A letter jumps to the next label starting with it, case-insensitively.
        c.handle_key(key(KeyCode::Char('u')));
        c.handle_key(key(KeyCode::Char('U')));
        assert_eq!(c.handle_key(key(KeyCode::Enter)), Edit::Changed);
        assert_eq!(c.value(), Some(&"UEFI-Preferred"));
        assert!(!c.is_open());
        c.handle_key(key(KeyCode::Enter));
        assert_eq!(
            c.handle_key(key(KeyCode::Enter)),
            Edit::Done,
            "same value: no change"
        );
        assert!(c.select(Some(&"BIOS")));
        assert!(!c.select(Some(&"EFI")));
        assert_eq!(c.value(), Some(&"BIOS"));
    }

    fn draw(c: &Choice<&'static str>, focused: bool) -> TestBackend {
        let theme = Theme::plain();
        let row = FormRow {
            theme: &theme,
            label_width: 9,
            focused,
            notes: &[],
        };
        let mut terminal = Terminal::new(TestBackend::new(44, 8)).expect("terminal");
        terminal
            .draw(|f| {
                let anchor = Rect::new(0, 0, 44, 1);
                c.render(f, anchor, &row);
                c.render_popup(f, anchor, f.area(), &row);
            })
            .expect("draws");
        terminal.backend().clone()
    }

    #[test]
    fn renders_the_value_with_its_explanation_and_the_open_list() {
        let mut c = modes();
        c.select(Some(&"UEFI"));
        insta::assert_snapshot!(draw(&c, false), @r#"
        "  Boot mode   UEFI   UEFI only              "
        "                                            "
        "                                            "
        "                                            "
        "                                            "
        "                                            "
        "                                            "
        "                                            "
        "#);
        c.handle_key(key(KeyCode::Enter));
        c.handle_key(key(KeyCode::Down));
        insta::assert_snapshot!(draw(&c, true));
    }
}
