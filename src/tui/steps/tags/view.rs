//! Step 4's screen: the tag table (rows edited in place, the add row, the findings under it)
//! and the features under the table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Col, Focus, TagsStep, about_tags, tag_of};
use crate::spec::{Field, Finding, rules};
use crate::tui::steps::ViewCtx;
use crate::tui::widgets::text_field::{FormRow, finding_lines, notes_for, render_lines};

impl TagsStep {
    /// The tag table, then the features under it with their open choice list on top.
    pub(super) fn draw(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let labels = [self.imds.label(), self.detection.label()];
        let label_width = FormRow::label_width(labels);
        let imds_notes = notes_for(ctx.findings, Field::ImdsSupport);
        let detection_notes = notes_for(ctx.findings, Field::DetectionStrategy);
        let imds_row = FormRow {
            theme,
            label_width,
            focused: self.focus == Focus::Imds,
            notes: &imds_notes,
        };
        let detection_row = FormRow {
            theme,
            label_width,
            focused: self.focus == Focus::Detection,
            notes: &detection_notes,
        };
        // The table takes what it needs, leaving room for the features under it.
        let features_height = 3 + imds_row.height(area.width) + detection_row.height(area.width);
        let table = Rect {
            height: area.height.saturating_sub(features_height),
            ..area
        };
        let used = self.render_table(ctx, frame, table);

        let mut y = area.y + used + 1;
        let title = Line::from(vec![
            Span::styled("Features", theme.title),
            Span::styled("  optional; unset leaves the API default", theme.muted),
        ]);
        if y < area.bottom() {
            frame.buffer_mut().set_line(area.x, y, &title, area.width);
        }
        y += 2;
        let imds_area =
            Rect::new(area.x, y, area.width, imds_row.height(area.width)).intersection(area);
        self.imds.render(frame, imds_area, &imds_row);
        let y = imds_area.bottom();
        let detection_area =
            Rect::new(area.x, y, area.width, detection_row.height(area.width)).intersection(area);
        self.detection.render(frame, detection_area, &detection_row);
        self.imds.render_popup(frame, imds_area, area, &imds_row);
        self.detection
            .render_popup(frame, detection_area, area, &detection_row);
    }

    /// Draws the tag table with its messages; returns the rows used.
    pub(super) fn render_table(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) -> u16 {
        let theme = ctx.theme;
        if area.height < 3 {
            return 0;
        }
        let findings: Vec<&Finding> = ctx
            .findings
            .iter()
            .filter(|f| about_tags(f.field))
            .collect();
        let title = Line::from(vec![
            Span::styled("Tags", theme.title),
            Span::styled(
                format!("  {} of {}", self.rows.len(), rules::MAX_TAGS),
                theme.muted,
            ),
        ]);
        frame
            .buffer_mut()
            .set_line(area.x, area.y, &title, area.width);

        // Messages about tags, the focused tag's first, under the table.
        let focused_tag = match self.focus {
            Focus::Tag(i, _) => Some(i),
            _ => None,
        };
        let mut ordered = findings.clone();
        ordered.sort_by_key(|f| (tag_of(f.field) != focused_tag, !f.is_error()));
        let width = usize::from(area.width.saturating_sub(2));
        let messages = finding_lines(&ordered, width);
        // Header, rows, the add row, then messages; rows scroll to keep the focus visible.
        let fixed = 3; // title, header, add row
        let room = usize::from(area.height).saturating_sub(fixed);
        // Rows keep at least half the room (or all they need, when less).
        let min_rows = self.rows.len().clamp(1, (room / 2).max(1));
        let message_room = messages.len().min(room.saturating_sub(min_rows));
        let row_room = room.saturating_sub(message_room).max(1);
        let focus_row = focused_tag.unwrap_or(self.rows.len().saturating_sub(1));
        let offset = (focus_row + 1).saturating_sub(row_room);

        let key_x = area.x + 7;
        let width_total = area.width.saturating_sub(7);
        let key_w = (width_total / 2).min(40);
        let value_x = key_x + key_w + 1;
        let value_w = area.right().saturating_sub(value_x);
        let header_y = area.y + 1;
        let buf = frame.buffer_mut();
        buf.set_stringn(area.x + 2, header_y, "#", 3, theme.column_header);
        buf.set_stringn(
            key_x,
            header_y,
            "Key",
            usize::from(key_w),
            theme.column_header,
        );
        buf.set_stringn(
            value_x,
            header_y,
            "Value",
            usize::from(value_w),
            theme.column_header,
        );

        let mut y = header_y + 1;
        for (i, [key, value]) in self.rows.iter().enumerate().skip(offset).take(row_room) {
            let focused_col = match self.focus {
                Focus::Tag(f, col) if f == i => Some(col),
                _ => None,
            };
            let problem = findings
                .iter()
                .filter(|f| tag_of(f.field) == Some(i))
                .map(|f| f.is_error())
                .max();
            let (mark, mark_style) = match problem {
                Some(true) => ("✗", theme.error),
                Some(false) => ("!", theme.warning),
                None => (" ", theme.text),
            };
            let buf = frame.buffer_mut();
            let pointer = if focused_col.is_some() { "›" } else { " " };
            buf.set_stringn(area.x, y, pointer, 1, theme.focus_marker);
            buf.set_stringn(area.x + 2, y, format!("{:>2}", i + 1), 2, theme.muted);
            buf.set_stringn(area.x + 5, y, mark, 1, mark_style);
            key.render_cell(
                frame,
                Rect::new(key_x, y, key_w, 1),
                focused_col == Some(Col::Key),
                theme,
            );
            value.render_cell(
                frame,
                Rect::new(value_x, y, value_w, 1),
                focused_col == Some(Col::Value),
                theme,
            );
            y += 1;
        }
        let add_focused = self.focus == Focus::Add;
        let (add_text, add_style) = if self.rows.len() >= rules::MAX_TAGS {
            ("(20 tags: the most an image can have)", theme.muted)
        } else if add_focused {
            ("+ Add a tag", theme.label_focused)
        } else {
            ("+ Add a tag (a)", theme.muted)
        };
        let buf = frame.buffer_mut();
        if add_focused {
            buf.set_stringn(area.x, y, "›", 1, theme.focus_marker);
        }
        buf.set_stringn(
            key_x,
            y,
            add_text,
            usize::from(area.width.saturating_sub(7)),
            add_style,
        );
        y += 1;
        let message_area = Rect::new(
            area.x + 2,
            y,
            area.width.saturating_sub(2),
            area.bottom().saturating_sub(y),
        );
        render_lines(buf, message_area, &messages[..message_room], theme);
        let message_rows = u16::try_from(message_room).unwrap_or(0);
        (y + message_rows).min(area.bottom()) - area.y
    }
}
