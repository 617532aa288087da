//! Drawing a picker: the filter line, the column header, the visible rows and a status line.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use unicode_width::UnicodeWidthStr;

use super::{GUTTER, LoadState, Picker, PickerStyle, Sort};
use crate::text::{ellipsize, skip_columns};
use crate::tui::theme::Theme;
use crate::tui::widgets::bars_around;

impl<T> Picker<T> {
    /// Draws the filter line, the column header, the visible rows and a status line.
    pub fn render(&self, style: &PickerStyle, frame: &mut Frame, area: Rect) {
        if area.height < 4 || area.width < 10 {
            return;
        }
        let theme = style.theme;
        let [filter, header, body, status] = bars_around(area);
        self.body.set(body);
        self.header.set(header);
        self.render_filter(style, frame, filter);
        let layout = self.layout(area.width);
        let buf = frame.buffer_mut();
        self.render_header(theme, buf, header, &layout);
        self.render_body(style, buf, body, &layout);
        self.render_status(style, buf, status);
    }

    pub(super) fn render_filter(&self, style: &PickerStyle, frame: &mut Frame, area: Rect) {
        let theme = style.theme;
        let count = match (&self.load, self.query().is_empty()) {
            (LoadState::Loading, true) => {
                format!("{} {} loaded", style.spinner, group(self.rows.len()))
            }
            (LoadState::Loading, false) => format!(
                "{} {} of {} loaded",
                style.spinner,
                group(self.order.len()),
                group(self.rows.len())
            ),
            (_, true) if self.rows.len() == 1 => {
                format!(
                    "1 {}",
                    self.kind.noun.strip_suffix('s').unwrap_or(self.kind.noun)
                )
            }
            (_, true) => format!("{} {}", group(self.rows.len()), self.kind.noun),
            (_, false) => format!("{} of {}", group(self.order.len()), group(self.rows.len())),
        };
        let buf = frame.buffer_mut();
        let count_width = count.width() as u16;
        let prompt = "Filter: ";
        put(buf, area.x, area.y, prompt, area.width, theme.muted);
        let input_x = area.x + prompt.len() as u16;
        let input_width = area
            .width
            .saturating_sub(prompt.len() as u16 + count_width + 1);
        let value = self.query.value();
        let scroll = self
            .query
            .visual_scroll(input_width.saturating_sub(1) as usize);
        let shown = skip_columns(value, scroll);
        if value.is_empty() && !style.focused {
            put(buf, input_x, area.y, "", input_width, theme.muted);
        } else if value.is_empty() {
            put(
                buf,
                input_x,
                area.y,
                "type to filter",
                input_width,
                theme.muted,
            );
        } else {
            put(buf, input_x, area.y, shown, input_width, theme.text);
        }
        put(
            buf,
            area.right().saturating_sub(count_width),
            area.y,
            &count,
            count_width,
            theme.muted,
        );
        if style.focused {
            let cursor = (self.query.visual_cursor().saturating_sub(scroll)) as u16;
            frame.set_cursor_position(Position::new(
                (input_x + cursor).min(area.right().saturating_sub(1)),
                area.y,
            ));
        }
    }

    /// `(x offset, width)` of each column, 0 width for dropped ones.
    pub(super) fn layout(&self, width: u16) -> [(u16, u16); 12] {
        let columns = self.kind.columns;
        let avail = width.saturating_sub(GUTTER);
        let mut shown: Vec<bool> = vec![true; columns.len()];
        let need = |shown: &[bool]| -> u16 {
            columns
                .iter()
                .zip(shown)
                .filter(|(_, s)| **s)
                .map(|(c, _)| c.min + 1)
                .sum::<u16>()
        };
        while need(&shown) > avail {
            let drop = (0..columns.len())
                .filter(|&i| shown[i] && columns[i].priority > 0)
                .max_by_key(|&i| (columns[i].priority, i));
            match drop {
                Some(i) => shown[i] = false,
                None => break,
            }
        }
        let mut widths: Vec<u16> = columns
            .iter()
            .zip(&shown)
            .map(|(c, s)| if *s { c.min } else { 0 })
            .collect();
        let mut spare = avail.saturating_sub(need(&shown));
        for (i, c) in columns.iter().enumerate() {
            if shown[i] && spare > 0 {
                let grow = (c.max.saturating_sub(c.min)).min(spare);
                widths[i] += grow;
                spare -= grow;
            }
        }
        let mut out = [(0u16, 0u16); 12];
        let mut x = GUTTER;
        for (i, w) in widths.iter().enumerate() {
            if *w > 0 {
                out[i] = (x, *w);
                x += w + 1;
            }
        }
        out
    }

    pub(super) fn render_header(
        &self,
        theme: &Theme,
        buf: &mut Buffer,
        area: Rect,
        layout: &[(u16, u16); 12],
    ) {
        let mut spans = [(0u16, 0u16); 12];
        for (i, column) in self.kind.columns.iter().enumerate() {
            let (x, w) = layout[i];
            if w == 0 {
                continue;
            }
            let arrow = match self.sort {
                Sort::Column { index, descending } if index == i => {
                    if descending {
                        " ↓"
                    } else {
                        " ↑"
                    }
                }
                _ => "",
            };
            let title = format!("{}{arrow}", column.title);
            let style = if arrow.is_empty() {
                theme.column_header
            } else {
                theme.column_header.add_modifier(Modifier::BOLD)
            };
            put_aligned(buf, area.x + x, area.y, &title, w, style, column.right);
            spans[i] = (area.x + x, w);
        }
        self.header_columns.set(spans);
    }

    pub(super) fn render_body(
        &self,
        style: &PickerStyle,
        buf: &mut Buffer,
        area: Rect,
        layout: &[(u16, u16); 12],
    ) {
        let theme = style.theme;
        let height = usize::from(area.height);
        if self.order.is_empty() {
            let text = match &self.load {
                LoadState::Loading | LoadState::Idle => {
                    format!("{} loading {}…", style.spinner, self.kind.noun)
                }
                LoadState::Failed(_) => "Loading failed; press ^R to try again.".to_string(),
                _ if !self.query().is_empty() => format!("Nothing matches “{}”.", self.query()),
                _ => style.empty.to_string(),
            };
            put(
                buf,
                area.x + GUTTER,
                area.y,
                &text,
                area.width - GUTTER,
                theme.muted,
            );
            return;
        }
        // Keep the cursor on screen, moving the window as little as possible.
        let mut offset = self.offset.get().min(self.order.len().saturating_sub(1));
        if self.cursor < offset {
            offset = self.cursor;
        } else if self.cursor >= offset + height {
            offset = self.cursor + 1 - height;
        }
        self.offset.set(offset);
        let visible = &self.order[offset..(offset + height).min(self.order.len())];
        for (line, &row_index) in visible.iter().enumerate() {
            let y = area.y + line as u16;
            let row = &self.rows[row_index as usize];
            let selected = offset + line == self.cursor;
            let usable = self.reason(row).is_none();
            let mut row_style = if usable { theme.text } else { theme.unusable };
            if selected {
                row_style = theme.selected;
                if !usable {
                    row_style = row_style.add_modifier(Modifier::DIM);
                }
            }
            let row_area = Rect {
                y,
                height: 1,
                ..area
            };
            buf.set_style(row_area, row_style);
            let marker = match (selected, usable) {
                (true, _) => "›",
                (false, false) => "✗",
                (false, true) => " ",
            };
            put(buf, area.x, y, marker, GUTTER, row_style);
            for (i, column) in self.kind.columns.iter().enumerate() {
                let (x, w) = layout[i];
                if w > 0 {
                    let text = (column.cell)(row);
                    put_aligned(buf, area.x + x, y, &text, w, row_style, column.right);
                }
            }
        }
        // The loading row follows the last row once it is in view.
        if self.load == LoadState::Loading && visible.len() < height {
            let y = area.y + visible.len() as u16;
            let text = format!("{} loading more…", style.spinner);
            put(
                buf,
                area.x + GUTTER,
                y,
                &text,
                area.width - GUTTER,
                theme.muted,
            );
        }
    }

    pub(super) fn render_status(&self, style: &PickerStyle, buf: &mut Buffer, area: Rect) {
        let theme = style.theme;
        let (text, line_style) = if let Some(reason) = self.selected_reason() {
            (format!("✗ {reason}"), theme.warning)
        } else {
            match &self.load {
                LoadState::Failed(message) => (format!("Loading failed: {message}"), theme.error),
                LoadState::Interrupted => (
                    "Loading was interrupted: the list is partial (^R reloads)".to_string(),
                    theme.warning,
                ),
                _ => {
                    let sort = match self.sort {
                        Sort::Relevance if self.query().is_empty() => String::new(),
                        Sort::Relevance => "sorted by best match".to_string(),
                        Sort::Column { index, descending } => format!(
                            "sorted by {} {}",
                            self.kind.columns[index].title,
                            if descending { "↓" } else { "↑" }
                        ),
                    };
                    (sort, theme.muted)
                }
            }
        };
        put(buf, area.x, area.y, &text, area.width, line_style);
    }
}

/// A time column's cell: `2024-01-02T03:04Z` or `2024-01-02T03:04:05Z` → `2024-01-02 03:04`.
pub fn short_time(time: &str) -> Cow<'_, str> {
    match time.get(..16) {
        Some(head) if head.as_bytes().get(10) == Some(&b'T') => {
            Cow::Owned(format!("{} {}", &head[..10], &head[11..]))
        }
        _ => Cow::Borrowed(time),
    }
}

/// `12345` → `12,345`.
pub(super) fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Writes `text` at (x, y) in at most `width` columns, cut with `…` when longer. Wide (CJK)
/// characters are never split, so columns stay aligned.
pub fn put(buf: &mut Buffer, x: u16, y: u16, text: &str, width: u16, style: Style) {
    put_aligned(buf, x, y, text, width, style, false);
}

fn put_aligned(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    text: &str,
    width: u16,
    style: Style,
    right: bool,
) {
    if width == 0 {
        return;
    }
    let width_usize = usize::from(width);
    let full = text.width();
    if full <= width_usize {
        let pad = if right {
            (width_usize - full) as u16
        } else {
            0
        };
        buf.set_stringn(x + pad, y, text, width_usize, style);
        return;
    }
    buf.set_stringn(x, y, ellipsize(text, width_usize), width_usize, style);
}
