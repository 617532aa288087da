//! A modal box centred over the screen: title, wrapped text, and the keys it answers to.
//! Used for help, confirmations and errors, by the app and by steps (the Running-instance
//! warning).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::tui::steps::KeyHint;
use crate::tui::theme::Theme;

pub struct Dialog<'a> {
    pub title: &'a str,
    pub lines: Vec<Line<'a>>,
    /// Shown on the bottom border.
    pub keys: &'a [KeyHint],
    /// Border style (e.g. `theme.error` for errors).
    pub accent: Style,
    /// Preferred width in columns (shrunk to fit the screen).
    pub width: u16,
    /// Lines scrolled off the top when the text is taller than the screen.
    pub scroll: u16,
}

impl Dialog<'_> {
    /// Draws the dialog centred in `area`, as tall as its text needs (up to the area).
    pub fn render(&self, theme: &Theme, frame: &mut Frame, area: Rect) {
        let width = self
            .width
            .min(area.width.saturating_sub(2))
            .max(20.min(area.width));
        let inner_width = width.saturating_sub(4).max(1);
        let text_height: usize = self
            .lines
            .iter()
            .map(|l| wrapped_height(l, usize::from(inner_width)))
            .sum();
        let height = (text_height as u16 + 2)
            .min(area.height.saturating_sub(2))
            .max(3);
        let visible = usize::from(height.saturating_sub(2));
        let scroll = self.scroll.min(text_height.saturating_sub(visible) as u16);
        let more = text_height > visible + usize::from(scroll);
        let x = area.x + (area.width.saturating_sub(width)) / 2;
        let y = area.y + (area.height.saturating_sub(height)) / 2;
        let rect = Rect::new(x, y, width, height.min(area.height));
        frame.render_widget(Clear, rect);
        let mut keys: Vec<Span> = Vec::new();
        for (i, (key, what)) in self.keys.iter().enumerate() {
            keys.push(Span::raw(if i == 0 { " " } else { "  " }));
            keys.push(Span::styled(*key, theme.key));
            keys.push(Span::styled(format!(" {what}"), theme.text));
        }
        if !keys.is_empty() {
            keys.push(Span::raw(" "));
        }
        if more || scroll > 0 {
            keys.insert(0, Span::styled(" ↑↓ scroll ", theme.muted));
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(self.accent)
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(Line::from(keys).right_aligned());
        let paragraph = Paragraph::new(self.lines.clone())
            .block(block.padding(ratatui::widgets::Padding::horizontal(1)))
            .style(theme.text)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0));
        frame.render_widget(paragraph, rect);
    }
}

/// Clears a `width` × `height` box centred in `area` and frames it as a focused input box:
/// `title` on top, "Enter `action`  Esc cancel" on the bottom border. Returns the inside, for
/// the caller's field or picker (a `Dialog` only holds text).
pub fn input_box(
    frame: &mut Frame,
    area: Rect,
    (width, height): (u16, u16),
    title: &str,
    action: &str,
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
        .title_bottom(
            Line::from(vec![
                Span::styled(" Enter", theme.key),
                Span::styled(format!(" {action}  "), theme.text),
                Span::styled("Esc", theme.key),
                Span::styled(" cancel ", theme.text),
            ])
            .right_aligned(),
        );
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// Rows a line takes when word-wrapped to `width` columns (as `Paragraph` wraps it).
fn wrapped_height(line: &Line, width: usize) -> usize {
    let width = width.max(1);
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let mut rows = 1;
    let mut used = 0;
    for word in text.split(' ') {
        let w = word.width();
        if used > 0 && used + 1 + w > width {
            rows += 1;
            used = 0;
        }
        if used > 0 {
            used += 1;
        }
        used += w;
        while used > width {
            rows += 1;
            used -= width;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_height_counts_word_wrapped_rows() {
        assert_eq!(wrapped_height(&Line::raw(""), 10), 1);
        assert_eq!(wrapped_height(&Line::raw("short"), 10), 1);
        assert_eq!(wrapped_height(&Line::raw("aaaa bbbb cccc"), 10), 2);
        assert_eq!(
            wrapped_height(&Line::raw("aaaaaaaaaaaaaaaaaaaaaaaaa"), 10),
            3
        );
        assert_eq!(wrapped_height(&Line::raw("数据库主节点数据库"), 10), 2);
    }
}
