//! Tabbed text panes: a tab bar, a scroll position that views may adjust (they only read the
//! app, so it lives in `Cell`s), and a word wrap for styled lines so a pane knows exactly which
//! screen row each line lands on (needed to keep a selected line in view).

use std::cell::Cell;

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use crate::tui::theme::Theme;

/// `[ Summary ] Request  CLI  Recipe`: the selected title highlighted, the others dimmed unless
/// the bar has the focus.
pub fn tab_bar(titles: &[&str], selected: usize, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, title) in titles.iter().enumerate() {
        let style = if i == selected {
            theme.selected
        } else {
            theme.muted
        };
        spans.push(Span::styled(format!(" {title} "), style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// Where a pane is scrolled to. Keys move it; the view clamps it to the text it draws and
/// records the page size, so the next key moves by what the user actually saw.
#[derive(Debug, Default)]
pub struct Scroll {
    top: Cell<u16>,
    /// The largest useful `top` at the last render.
    max: Cell<u16>,
    /// Rows visible at the last render.
    page: Cell<u16>,
}

impl Scroll {
    pub fn top(&self) -> u16 {
        self.top.get()
    }

    /// Moves by `rows` (negative: up), within the text.
    pub fn by(&self, rows: i32) {
        let top = i32::from(self.top.get()) + rows;
        let max = i32::from(self.max.get());
        self.top.set(u16::try_from(top.clamp(0, max)).unwrap_or(0));
    }

    pub fn page_down(&self) {
        self.by(i32::from(self.page.get().saturating_sub(1).max(1)));
    }

    pub fn page_up(&self) {
        self.by(-i32::from(self.page.get().saturating_sub(1).max(1)));
    }

    pub fn home(&self) {
        self.top.set(0);
    }

    pub fn end(&self) {
        self.top.set(self.max.get());
    }

    /// The scrolling keys (arrows, PageUp/PageDown, Home/End); whether `code` was one.
    pub fn key(&self, code: KeyCode) -> bool {
        match code {
            KeyCode::Down => self.by(1),
            KeyCode::Up => self.by(-1),
            KeyCode::PageDown => self.page_down(),
            KeyCode::PageUp => self.page_up(),
            KeyCode::Home => self.home(),
            KeyCode::End => self.end(),
            _ => return false,
        }
        true
    }

    /// Rows of text an `height`-row pane shows of `total`: one less when the text overflows
    /// (the marker's row).
    pub fn viewport(total: usize, height: u16) -> u16 {
        if total > usize::from(height) && height > 1 {
            height - 1
        } else {
            height
        }
    }

    /// Scrolls as little as needed to show rows `first..=last` (as many as fit, from `first`);
    /// back at the top when they fit on the first page, so headings above stay in view.
    pub fn reveal(&self, first: u16, last: u16, page: u16) {
        let page = page.max(1);
        let top = self.top.get();
        if first < top {
            self.top.set(if last < page { 0 } else { first });
        } else if last >= top + page {
            self.top.set(last.saturating_sub(page - 1).min(first));
        }
    }

    /// Draws pre-wrapped `rows` (one screen row each) into `area` from the current position.
    /// When they do not all fit, the last row of `area` is kept for a `↓ more` / `↑ more`
    /// marker, so the marker never covers text.
    pub fn render(&self, rows: Vec<Line<'_>>, theme: &Theme, frame: &mut Frame, area: Rect) {
        let total = u16::try_from(rows.len()).unwrap_or(u16::MAX);
        let view = Rect {
            height: Scroll::viewport(rows.len(), area.height),
            ..area
        };
        let overflow = view.height < area.height;
        let max = total.saturating_sub(view.height);
        self.max.set(max);
        self.page.set(view.height);
        let top = self.top.get().min(max);
        self.top.set(top);
        frame.render_widget(Paragraph::new(rows).scroll((top, 0)), view);
        if !overflow {
            return;
        }
        let marker = match (top > 0, top < max) {
            (true, true) => "↑↓ more",
            (false, _) => "↓ more",
            (true, false) => "↑ more",
        };
        let line = Line::styled(marker, theme.muted).right_aligned();
        frame.render_widget(line, Rect::new(area.x, area.bottom() - 1, area.width, 1));
    }
}

/// Word-wraps a styled line to `width` columns. Continuation rows start with `indent` spaces;
/// words wider than a row (and CJK runs) break between characters. Runs of spaces inside a row
/// are kept, so aligned columns stay aligned.
pub fn wrap_line(line: &Line<'_>, width: u16, indent: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let indent = usize::from(indent).min(width.saturating_sub(1));
    let chars: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let mut rows: Vec<Vec<(char, Style)>> = vec![Vec::new()];
    let mut used = 0;
    let mut i = 0;
    while i < chars.len() {
        // The next word with the spaces in front of it.
        let start = i;
        while i < chars.len() && chars[i].0 == ' ' {
            i += 1;
        }
        let word_start = i;
        while i < chars.len() && chars[i].0 != ' ' {
            i += 1;
        }
        let word = &chars[word_start..i];
        let word_width: usize = word.iter().map(|(c, _)| c.width().unwrap_or(0)).sum();
        // Spaces are dropped where a continuation row begins.
        let continuation_fresh = rows.len() > 1 && used == indent;
        let lead = if continuation_fresh {
            &chars[start..start]
        } else {
            &chars[start..word_start]
        };
        if word.is_empty() {
            // Trailing spaces: kept only when they fit.
            if used + lead.len() <= width {
                push_chars(&mut rows, &mut used, lead, width, indent);
            }
        } else if used + lead.len() + word_width <= width || used == 0 || continuation_fresh {
            push_chars(&mut rows, &mut used, lead, width, indent);
            push_chars(&mut rows, &mut used, word, width, indent);
        } else {
            new_row(&mut rows, &mut used, indent);
            push_chars(&mut rows, &mut used, word, width, indent);
        }
    }
    rows.into_iter().map(to_line).collect()
}

fn new_row(rows: &mut Vec<Vec<(char, Style)>>, used: &mut usize, indent: usize) {
    rows.push(vec![(' ', Style::default()); indent]);
    *used = indent;
}

/// Appends characters, starting new rows when one is full.
fn push_chars(
    rows: &mut Vec<Vec<(char, Style)>>,
    used: &mut usize,
    chars: &[(char, Style)],
    width: usize,
    indent: usize,
) {
    for &(c, style) in chars {
        let w = c.width().unwrap_or(0);
        if *used + w > width {
            new_row(rows, used, indent);
        }
        if let Some(row) = rows.last_mut() {
            row.push((c, style));
        }
        *used += w;
    }
}

/// Groups equally styled neighbours into spans.
fn to_line(row: Vec<(char, Style)>) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut current: Option<Style> = None;
    for (c, style) in row {
        if current.is_some_and(|s| s != style) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                current.unwrap_or_default(),
            ));
        }
        current = Some(style);
        text.push(c);
    }
    if let Some(style) = current {
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// [`wrap_line`] over many lines.
pub fn wrap_lines<'a>(
    lines: impl IntoIterator<Item = (Line<'a>, u16)>,
    width: u16,
) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .flat_map(|(line, indent)| wrap_line(&line, width, indent))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rows: &[Line]) -> Vec<String> {
        rows.iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_at_words_with_a_hanging_indent() {
        let line = Line::raw("  ✗ Image name: the name must start with a letter");
        assert_eq!(
            text(&wrap_line(&line, 20, 4)),
            [
                "  ✗ Image name: the",
                "    name must start",
                "    with a letter"
            ]
        );
    }

    #[test]
    fn keeps_inner_spaces_and_breaks_long_words_and_cjk() {
        assert_eq!(
            text(&wrap_line(&Line::raw("Key      value"), 40, 0)),
            ["Key      value"]
        );
        assert_eq!(
            text(&wrap_line(&Line::raw("abcdefghij"), 4, 0)),
            ["abcd", "efgh", "ij"]
        );
        // Two columns per character: 3 fit in 7 columns.
        assert_eq!(
            text(&wrap_line(&Line::raw("数据库服务器"), 7, 0)),
            ["数据库", "服务器"]
        );
        assert_eq!(text(&wrap_line(&Line::raw(""), 10, 2)), [""]);
    }

    #[test]
    fn keeps_styles_per_character() {
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let line = Line::from(vec![Span::styled("ab ", bold), Span::raw("cd ef")]);
        let rows = wrap_line(&line, 5, 0);
        assert_eq!(text(&rows), ["ab cd", "ef"]);
        assert_eq!(rows[0].spans[0].style, bold);
        assert_eq!(rows[0].spans[0].content, "ab ");
        assert_eq!(rows[0].spans[1].content, "cd");
    }

    #[test]
    fn scroll_stays_within_the_text_and_reveals_rows() {
        let scroll = Scroll::default();
        scroll.max.set(10);
        scroll.page.set(5);
        scroll.by(-3);
        assert_eq!(scroll.top(), 0);
        scroll.page_down();
        assert_eq!(scroll.top(), 4);
        scroll.end();
        assert_eq!(scroll.top(), 10);
        scroll.reveal(6, 7, 5);
        assert_eq!(scroll.top(), 6);
        scroll.reveal(2, 3, 5);
        assert_eq!(scroll.top(), 0, "fits on the first page");
        scroll.reveal(9, 12, 5);
        assert_eq!(scroll.top(), 8);
    }
}
