//! A modal box centred over the screen: title, wrapped text, and the keys it answers to.
//! Used for help, confirmations and errors, by the app and by steps (the Running-instance
//! warning).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::tui::theme::Theme;
use crate::tui::widgets::keymap::KeyHint;
use crate::tui::widgets::tabs::wrap_lines;

pub struct Dialog<'a> {
    pub title: &'a str,
    /// The text, each line with the indent its wrapped rows get (a hanging indent for
    /// `key  what it does` lines).
    pub lines: Vec<(Line<'a>, u16)>,
    /// Shown on the bottom border: the keymap's footer.
    pub keys: Vec<KeyHint>,
    /// Border style (e.g. `theme.error` for errors).
    pub accent: Style,
    /// Preferred width in columns (shrunk to fit the screen).
    pub width: u16,
    /// Lines scrolled off the top when the text is taller than the screen.
    pub scroll: u16,
}

/// Lines wrapped without an indent.
pub fn unindented(lines: Vec<Line<'_>>) -> Vec<(Line<'_>, u16)> {
    lines.into_iter().map(|l| (l, 0)).collect()
}

impl Dialog<'_> {
    /// Draws the dialog centred in `area`, as tall as its text needs (up to the area).
    pub fn render(&self, theme: &Theme, frame: &mut Frame, area: Rect) {
        let width = self
            .width
            .min(area.width.saturating_sub(2))
            .max(20.min(area.width));
        let inner_width = width.saturating_sub(4).max(1);
        let rows = wrap_lines(self.lines.iter().cloned(), inner_width);
        let text_height = rows.len();
        let height = (u16::try_from(text_height)
            .unwrap_or(u16::MAX)
            .saturating_add(2))
        .min(area.height.saturating_sub(2))
        .max(3);
        let visible = usize::from(height.saturating_sub(2));
        let scroll = self.scroll.min(text_height.saturating_sub(visible) as u16);
        let more = text_height > visible + usize::from(scroll);
        let x = area.x + (area.width.saturating_sub(width)) / 2;
        let y = area.y + (area.height.saturating_sub(height)) / 2;
        let rect = Rect::new(x, y, width, height.min(area.height));
        frame.render_widget(Clear, rect);
        let mut keys = key_spans(&self.keys, width.saturating_sub(14), theme);
        if more || scroll > 0 {
            keys.insert(0, Span::styled(" ↑↓ scroll ", theme.muted));
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(self.accent)
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(Line::from(keys).right_aligned());
        let paragraph = Paragraph::new(rows)
            .block(block.padding(ratatui::widgets::Padding::horizontal(1)))
            .style(theme.text)
            .scroll((scroll, 0));
        frame.render_widget(paragraph, rect);
    }
}

/// ` Enter choose  Esc cancel `: keys for a border, as many as fit in `width` columns (the
/// most important come first), always including the last one (the way out).
fn key_spans(keys: &[KeyHint], width: u16, theme: &Theme) -> Vec<Span<'static>> {
    let cost = |(key, what): &KeyHint| key.width() + what.width() + 3;
    let mut room = usize::from(width).saturating_sub(keys.last().map_or(0, cost));
    let mut shown: Vec<&KeyHint> = Vec::new();
    for hint in &keys[..keys.len().saturating_sub(1)] {
        if cost(hint) > room {
            break;
        }
        room -= cost(hint);
        shown.push(hint);
    }
    shown.extend(keys.last());
    let mut spans: Vec<Span> = Vec::new();
    for (i, (key, what)) in shown.into_iter().enumerate() {
        spans.push(Span::raw(if i == 0 { " " } else { "  " }));
        spans.push(Span::styled(key.clone(), theme.key));
        spans.push(Span::styled(format!(" {what}"), theme.text));
    }
    if !spans.is_empty() {
        spans.push(Span::raw(" "));
    }
    spans
}

/// Clears a `width` × `height` box centred in `area` and frames it as a focused input box:
/// `title` on top, the keymap's `keys` on the bottom border. Returns the inside, for the
/// caller's field or picker (a `Dialog` only holds text).
pub fn input_box(
    frame: &mut Frame,
    area: Rect,
    (width, height): (u16, u16),
    title: &str,
    keys: &[KeyHint],
    theme: &Theme,
) -> Rect {
    let rect = Rect::new(
        area.x + area.width.saturating_sub(width) / 2,
        area.y + area.height.saturating_sub(height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border_focused)
        .title(Span::styled(format!(" {title} "), theme.title))
        .title_bottom(Line::from(key_spans(keys, width.saturating_sub(4), theme)).right_aligned());
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}
