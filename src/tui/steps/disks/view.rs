//! The read-only screens: the snapshot picker, an instance's disks and a lone snapshot, and the
//! drawing helpers the mapping table shares.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{DisksStep, Target};
use crate::api::model::Snapshot;
use crate::spec::{Finding, Source, usable};
use crate::text::wrap;
use crate::tui::steps::ViewCtx;
use crate::tui::widgets::picker::{LoadState, PickerStyle, put};
use crate::tui::widgets::text_field::{finding_lines, render_lines};

pub(super) fn paragraph(frame: &mut Frame, area: Rect, text: &str, style: ratatui::style::Style) {
    let width = usize::from(area.width);
    let lines = wrap(text, width);
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        frame
            .buffer_mut()
            .set_stringn(area.x, y, line, width, style);
    }
}

/// A table row: cells at fixed columns, cut with `…` to their width.
pub(super) fn table_row(
    frame: &mut Frame,
    x: u16,
    y: u16,
    cells: &[(&str, u16)],
    style: ratatui::style::Style,
) {
    let mut x = x;
    for (text, width) in cells {
        put(
            frame.buffer_mut(),
            x,
            y,
            text,
            width.saturating_sub(1),
            style,
        );
        x = x.saturating_add(*width);
    }
}

pub(super) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub(super) fn created(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

impl DisksStep {
    /// The snapshot picker when it is open, else the screen the source shows.
    pub(super) fn draw(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        if let Some(target) = self.picking {
            self.view_picker(target, ctx, frame, area);
            return;
        }
        match &ctx.spec.source {
            Source::Instance { instance_id } if instance_id.is_empty() => {
                let text = "No source chosen yet: go back to step 1 (Esc) and choose an instance, \
                            a snapshot or a disk mapping.";
                paragraph(frame, area, text, ctx.theme.muted);
            }
            Source::Instance { instance_id } => self.view_instance(instance_id, ctx, frame, area),
            Source::Snapshot { snapshot_id } => self.view_snapshot(snapshot_id, ctx, frame, area),
            Source::Disks(disks) => self.view_mapping(disks, ctx, frame, area),
        }
    }

    pub(super) fn view_picker(&self, target: Target, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let title = match target {
            Target::Replace(0) => {
                "Choose the system disk's snapshot (a data-disk snapshot is promoted)".to_owned()
            }
            Target::Replace(i) => format!("Choose a snapshot for disk {}", i + 1),
            Target::Add => "Choose a snapshot for a new data disk".to_owned(),
        };
        frame.buffer_mut().set_line(
            area.x,
            area.y,
            &Line::styled(title, theme.title),
            area.width,
        );
        let empty = format!("No snapshots in {}.", ctx.spec.region);
        let list = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        };
        self.picker.render(
            &PickerStyle {
                theme,
                spinner: ctx.spinner(),
                focused: true,
                empty: &empty,
            },
            frame,
            list,
        );
    }

    pub(super) fn view_instance(
        &self,
        instance_id: &str,
        ctx: &ViewCtx,
        frame: &mut Frame,
        area: Rect,
    ) {
        let theme = ctx.theme;
        let disks = &self.instance.disks;
        let intro = format!(
            "Instance {instance_id}: CreateImage snapshots every disk of the instance, so the image \
             holds all of the disks below, system disk first. To leave a disk out, build from \
             snapshots with a disk mapping instead (step 1)."
        );
        let intro_lines = wrap(&intro, usize::from(area.width));
        let intro_height = u16::try_from(intro_lines.len()).unwrap_or(0);
        paragraph(
            frame,
            Rect {
                height: intro_height,
                ..area
            },
            &intro,
            theme.text,
        );
        let mut y = area.y + intro_height + 1;
        // Fixed columns first; category and name share what is left.
        let rest = area.width.saturating_sub(2 + 10 + 7 + 9 + 6 + 23);
        let category = (rest / 2).clamp(11, 18);
        let name = rest.saturating_sub(category).max(6);
        let widths = [10, 7, category, 9, 6, 23, name];
        let header = [
            "Device", "Type", "Category", "Size", "Enc.", "Disk ID", "Name",
        ];
        if y < area.bottom() {
            let cells: Vec<(&str, u16)> = header.into_iter().zip(widths).collect();
            table_row(frame, area.x + 2, y, &cells, theme.column_header);
        }
        y += 1;
        let bottom = area.bottom().saturating_sub(2);
        for disk in disks.iter().skip(self.scroll) {
            if y >= bottom {
                break;
            }
            let size = format!("{} GiB", disk.size);
            let kind = if disk.is_system() { "system" } else { "data" };
            let texts = [
                disk.device.as_str(),
                kind,
                disk.category.as_str(),
                size.as_str(),
                yes_no(disk.encrypted),
                disk.disk_id.as_str(),
                disk.disk_name.as_str(),
            ];
            let cells: Vec<(&str, u16)> = texts.into_iter().zip(widths).collect();
            table_row(frame, area.x + 2, y, &cells, theme.text);
            y += 1;
        }
        // Problems wrap below the table (the rows stop two lines early to leave them room);
        // the summary fits one line.
        let status_area = Rect {
            x: area.x + 2,
            y: y.min(area.bottom().saturating_sub(1)),
            width: area.width.saturating_sub(2),
            height: area.bottom().saturating_sub(y).max(1),
        };
        let problem = match &self.instance.load {
            LoadState::Loading => None,
            LoadState::Failed(message) => Some((
                format!("✗ Loading failed: {message} (^R retries)"),
                theme.error,
            )),
            LoadState::Interrupted => Some((
                "Loading was interrupted (^R reloads).".to_owned(),
                theme.warning,
            )),
            LoadState::Complete => usable::instance_disks(disks).map(|problem| {
                (
                    format!("✗ This instance cannot become an image: {problem}."),
                    theme.error,
                )
            }),
            LoadState::Idle => None,
        };
        if let Some((text, style)) = problem {
            paragraph(frame, status_area, &text, style);
            return;
        }
        let status = if matches!(self.instance.load, LoadState::Loading) {
            Line::styled(format!("{} loading disks…", ctx.spinner()), theme.muted)
        } else {
            let total: u64 = disks.iter().map(|d| d.size).sum();
            let data = disks.iter().filter(|d| !d.is_system()).count();
            let scrolls =
                self.scroll > 0 || disks.len() > usize::from(bottom.saturating_sub(area.y));
            Line::from(vec![
                Span::styled(
                    format!(
                        "1 system disk + {data} data disk{}, {total} GiB in all",
                        if data == 1 { "" } else { "s" }
                    ),
                    theme.muted,
                ),
                Span::styled(if scrolls { "  (↑↓ scroll)" } else { "" }, theme.muted),
            ])
        };
        frame
            .buffer_mut()
            .set_line(status_area.x, status_area.y, &status, status_area.width);
    }

    pub(super) fn view_snapshot(
        &self,
        snapshot_id: &str,
        ctx: &ViewCtx,
        frame: &mut Frame,
        area: Rect,
    ) {
        let theme = ctx.theme;
        let snapshot = self.known.get(snapshot_id);
        let text = "A system-disk snapshot alone: the image gets this one system disk and no data \
                    disks. To add data disks, choose a disk mapping in step 1.";
        let lines = wrap(text, usize::from(area.width));
        let height = u16::try_from(lines.len()).unwrap_or(0);
        paragraph(frame, Rect { height, ..area }, text, theme.text);
        let mut y = area.y + height + 1;
        let size = snapshot
            .and_then(Snapshot::source_disk_size_gib)
            .map(|s| format!("{s} GiB (the image's system disk)"));
        let pending = if self.lookup.is_some() {
            format!("{} looking it up…", ctx.spinner())
        } else {
            "not found in this region".to_owned()
        };
        let facts: Vec<(&str, String)> = match snapshot {
            Some(s) => vec![
                ("Snapshot", s.snapshot_id.clone()),
                ("Name", s.snapshot_name.clone()),
                ("Size", size.unwrap_or_default()),
                ("Disk", s.source_disk_type.clone()),
                ("Status", s.status.clone()),
                ("Created", created(&s.creation_time).to_owned()),
                ("Encrypted", yes_no(s.encrypted).to_owned()),
            ],
            None => vec![("Snapshot", snapshot_id.to_owned()), ("", pending)],
        };
        for (label, value) in facts {
            if y >= area.bottom() {
                return;
            }
            let line = Line::from(vec![
                Span::styled(format!("  {label:<10} "), theme.label),
                Span::styled(value, theme.input),
            ]);
            frame.buffer_mut().set_line(area.x, y, &line, area.width);
            y += 1;
        }
        let findings: Vec<&Finding> = ctx
            .findings
            .iter()
            .filter(|f| f.field == crate::spec::Field::SnapshotId)
            .collect();
        let lines = finding_lines(&findings, usize::from(area.width.saturating_sub(2)));
        let rest = Rect::new(
            area.x + 2,
            y + 1,
            area.width.saturating_sub(2),
            area.bottom().saturating_sub(y + 1),
        );
        render_lines(frame.buffer_mut(), rest, &lines, theme);
    }
}
