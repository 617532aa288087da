//! Every style the wizard draws with, in one value: views never build colours themselves.
//!
//! [`Theme::color`] uses a few ANSI colours (the terminal's palette decides the exact shade, so it
//! follows light and dark schemes); [`Theme::plain`] keeps only bold, dim, underline and reverse
//! for `NO_COLOR` (<https://no-color.org>) and monochrome terminals.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours are used at all (false under `NO_COLOR`).
    pub colored: bool,
    /// Plain text.
    pub text: Style,
    /// Secondary text: hints, placeholders, column separators.
    pub muted: Style,
    /// Titles and the active step.
    pub title: Style,
    /// Keys in the footer and help (`Enter`, `^R`).
    pub key: Style,
    /// The header bar.
    pub header: Style,
    /// The SANDBOX marker: impossible to miss.
    pub sandbox: Style,
    /// Borders of panes and dialogs.
    pub border: Style,
    /// Borders of the focused pane.
    pub border_focused: Style,
    /// The highlighted row of a list.
    pub selected: Style,
    /// Rows that cannot be chosen (shown with the reason).
    pub unusable: Style,
    /// Table headers.
    pub column_header: Style,
    pub error: Style,
    pub warning: Style,
    pub ok: Style,
    /// Form labels.
    pub label: Style,
    pub label_focused: Style,
    /// The `›` marker in front of the focused form row.
    pub focus_marker: Style,
    /// The focused cell of a table edited in place (reverse video: visible without colour).
    pub focused_cell: Style,
    /// Text inputs at rest, focused, and while being edited.
    pub input: Style,
    pub input_focused: Style,
    pub input_editing: Style,
    /// Matched characters in a filtered list.
    pub matched: Style,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color {
            Theme::plain()
        } else {
            Theme::color()
        }
    }

    pub fn color() -> Theme {
        let base = Style::new();
        Theme {
            colored: true,
            text: base,
            muted: base.fg(Color::DarkGray),
            title: base.add_modifier(Modifier::BOLD),
            key: base.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            header: base.bg(Color::Blue).fg(Color::White),
            sandbox: base
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            border: base.fg(Color::DarkGray),
            border_focused: base.fg(Color::Cyan),
            selected: base
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            unusable: base.fg(Color::DarkGray),
            column_header: base.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            error: base.fg(Color::Red),
            warning: base.fg(Color::Yellow),
            ok: base.fg(Color::Green),
            label: base,
            label_focused: base.add_modifier(Modifier::BOLD),
            focus_marker: base.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            focused_cell: base.add_modifier(Modifier::REVERSED),
            input: base.fg(Color::Gray),
            input_focused: base.fg(Color::White).add_modifier(Modifier::UNDERLINED),
            input_editing: base.bg(Color::DarkGray).fg(Color::White),
            matched: base.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        }
    }

    /// No colours: emphasis through modifiers only.
    pub fn plain() -> Theme {
        let base = Style::new();
        let bold = base.add_modifier(Modifier::BOLD);
        let dim = base.add_modifier(Modifier::DIM);
        let reversed = base.add_modifier(Modifier::REVERSED);
        Theme {
            colored: false,
            text: base,
            muted: dim,
            title: bold,
            key: bold,
            header: reversed,
            sandbox: bold.add_modifier(Modifier::REVERSED),
            border: base,
            border_focused: bold,
            selected: reversed,
            unusable: dim,
            column_header: base.add_modifier(Modifier::UNDERLINED),
            error: bold,
            warning: bold,
            ok: base,
            label: base,
            label_focused: bold,
            focus_marker: bold,
            focused_cell: reversed,
            input: base,
            input_focused: base.add_modifier(Modifier::UNDERLINED),
            input_editing: reversed,
            matched: base.add_modifier(Modifier::UNDERLINED),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::color()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_theme_has_no_colours() {
        let t = Theme::plain();
        for style in [
            t.text,
            t.muted,
            t.title,
            t.key,
            t.header,
            t.sandbox,
            t.border,
            t.selected,
            t.unusable,
            t.error,
            t.warning,
            t.ok,
            t.input_editing,
            t.matched,
        ] {
            assert_eq!(style.fg, None, "{style:?}");
            assert_eq!(style.bg, None, "{style:?}");
        }
        assert!(!t.colored);
        assert!(Theme::color().colored);
    }
}
