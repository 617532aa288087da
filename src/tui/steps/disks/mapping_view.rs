//! The mapping editor's screen: the disk table, its editable cells and the notes under it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::mapping::{data_count, disk_of, parse_size};
use super::view::{created, table_row, yes_no};
use super::{Cell, DisksStep, Focus};
use crate::api::model::Snapshot;
use crate::spec::{DiskSpec, DiskType, Finding, Source, rules};
use crate::text::wrap;
use crate::tui::step::Step;
use crate::tui::steps::{StepScreen, ViewCtx};
use crate::tui::theme::Theme;
use crate::tui::widgets::picker::put;
use crate::tui::widgets::text_field::{NoteKind, finding_lines, render_lines};

impl DisksStep {
    pub(super) fn view_mapping(
        &self,
        disks: &[DiskSpec],
        ctx: &ViewCtx,
        frame: &mut Frame,
        area: Rect,
    ) {
        let theme = ctx.theme;
        let data = data_count(disks);
        let title = Line::from(vec![
            Span::styled("Disk mapping", theme.title),
            Span::styled(
                format!(
                    "  {} system + {data} of {} data disks",
                    disks.len() - data,
                    rules::MAX_DATA_DISKS
                ),
                theme.muted,
            ),
        ]);
        frame
            .buffer_mut()
            .set_line(area.x, area.y, &title, area.width);

        let findings: Vec<&Finding> = ctx
            .findings
            .iter()
            .filter(|f| Step::of_field(f.field) == Step::Disks)
            .collect();
        let focused_disk = match self.focus {
            Focus::Disk(i, _) => Some(i),
            Focus::Add => None,
        };
        let mut ordered = findings.clone();
        ordered.sort_by_key(|f| (disk_of(f.field) != focused_disk, !f.is_error()));
        let width = usize::from(area.width.saturating_sub(2));
        // The focused disk's snapshot, then problems, focused disk's first.
        let mut notes: Vec<(NoteKind, String)> = self
            .focused_detail(disks)
            .map(|detail| wrap(&detail, width))
            .unwrap_or_default()
            .into_iter()
            .take(2)
            .map(|l| (NoteKind::Info, l))
            .collect();
        for problem in self.input_problems() {
            notes.extend(
                wrap(&format!("✗ {problem}"), width)
                    .into_iter()
                    .map(|l| (NoteKind::Error, l)),
            );
        }
        notes.extend(finding_lines(&ordered, width));
        if let Some(first) = disks.first()
            && first.disk_type == DiskType::System
            && let Some(id) = &first.snapshot_id
            && self.known.get(id).is_some_and(|s| !s.is_system_disk())
        {
            let text = format!(
                "! Disk 1 uses {id}, a data-disk snapshot, as the system disk (DiskType=system): \
                 ECS cannot tell its OS, so set the platform and architecture in step 3."
            );
            notes.extend(
                wrap(&text, width)
                    .into_iter()
                    .map(|l| (NoteKind::Warning, l)),
            );
        }
        // Title, header, rows, add row, then notes; rows scroll to keep the focus.
        let room = usize::from(area.height).saturating_sub(3);
        let min_rows = disks.len().clamp(1, (room / 2).max(1));
        let note_room = notes.len().min(room.saturating_sub(min_rows));
        let row_room = room.saturating_sub(note_room).max(1);
        let focus_row = focused_disk.unwrap_or(disks.len().saturating_sub(1));
        let offset = (focus_row + 1).saturating_sub(row_room);

        let columns = MappingColumns::new(area);
        let header_y = area.y + 1;
        table_row(
            frame,
            area.x + columns.type_x - area.x,
            header_y,
            &[
                ("Type", columns.source_x - columns.type_x),
                ("Source", columns.size_x - columns.source_x),
                ("Size GiB", columns.device_x - columns.size_x),
                ("Device", area.right().saturating_sub(columns.device_x)),
            ],
            theme.column_header,
        );
        let devices = Source::Disks(disks.to_vec()).devices();
        let mut y = header_y + 1;
        for (i, disk) in disks.iter().enumerate().skip(offset).take(row_room) {
            let focused_cell = match self.focus {
                Focus::Disk(f, cell) if f == i => Some(cell),
                _ => None,
            };
            let auto_device = devices.get(i).cloned().flatten().unwrap_or_default();
            self.render_mapping_row(
                frame,
                &columns,
                y,
                i,
                disk,
                focused_cell,
                &findings,
                &auto_device,
                theme,
            );
            y += 1;
        }
        let buf = frame.buffer_mut();
        let add_focused = self.focus == Focus::Add;
        if add_focused {
            buf.set_stringn(area.x, y, "›", 1, theme.focus_marker);
        }
        let (add_text, add_style) = if data >= rules::MAX_DATA_DISKS {
            ("(16 data disks: the most an image can carry)", theme.muted)
        } else if add_focused {
            (
                "+ Add a data disk: Enter or a from a snapshot, e empty",
                theme.label_focused,
            )
        } else {
            ("+ Add a data disk: a from a snapshot, e empty", theme.muted)
        };
        put(
            buf,
            columns.type_x,
            y,
            add_text,
            area.right().saturating_sub(columns.type_x),
            add_style,
        );
        y += 1;
        let rest = Rect::new(
            area.x + 2,
            y,
            area.width.saturating_sub(2),
            area.bottom().saturating_sub(y),
        );
        render_lines(buf, rest, &notes[..note_room], theme);
    }

    /// One line about the focused disk's snapshot.
    fn focused_detail(&self, disks: &[DiskSpec]) -> Option<String> {
        let Focus::Disk(i, _) = self.focus else {
            return None;
        };
        let disk = disks.get(i)?;
        let Some(id) = &disk.snapshot_id else {
            if disk.disk_type == DiskType::System {
                return Some(format!(
                    "Disk {}: the system disk, which the image boots from; press Enter to choose \
                     its snapshot.",
                    i + 1
                ));
            }
            return Some(format!(
                "Disk {}: an empty data disk of {} GiB.",
                i + 1,
                disk.size.unwrap_or(rules::DEFAULT_EMPTY_DISK_SIZE)
            ));
        };
        Some(match self.known.get(id) {
            Some(s) => format!(
                "Disk {}: {} {} · {} disk snapshot of {} GiB, {}, created {}, encrypted: {}",
                i + 1,
                s.snapshot_id,
                s.snapshot_name,
                s.source_disk_type,
                s.source_disk_size,
                s.status,
                created(&s.creation_time),
                yes_no(s.encrypted)
            ),
            None if self.lookup.is_some() => format!("Disk {}: {id} (looking it up…)", i + 1),
            None => format!("Disk {}: {id} (not found in this region)", i + 1),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn render_mapping_row(
        &self,
        frame: &mut Frame,
        columns: &MappingColumns,
        y: u16,
        i: usize,
        disk: &DiskSpec,
        focused_cell: Option<Cell>,
        findings: &[&Finding],
        auto_device: &str,
        theme: &Theme,
    ) {
        let problem = findings
            .iter()
            .filter(|f| disk_of(f.field) == Some(i))
            .map(|f| f.is_error())
            .max()
            .or_else(|| {
                self.rows
                    .get(i)
                    .and_then(|r| parse_size(r.size.value()).err())
                    .map(|_| true)
            });
        let (mark, mark_style) = match problem {
            Some(true) => ("✗", theme.error),
            Some(false) => ("!", theme.warning),
            None => (" ", theme.text),
        };
        let cell_style = |cell: Cell| {
            if focused_cell == Some(cell) {
                theme.input_focused
            } else {
                theme.input
            }
        };
        let x0 = columns.area.x;
        let buf = frame.buffer_mut();
        if focused_cell.is_some() {
            buf.set_stringn(x0, y, "›", 1, theme.focus_marker);
        }
        buf.set_stringn(x0 + 2, y, format!("{:>2}", i + 1), 2, theme.muted);
        buf.set_stringn(x0 + 5, y, mark, 1, mark_style);
        put(
            buf,
            columns.type_x,
            y,
            disk.disk_type.as_str(),
            columns.source_x - columns.type_x - 1,
            theme.text,
        );

        let source_width = columns.size_x - columns.source_x - 1;
        match &disk.snapshot_id {
            Some(id) => {
                let text = match self.known.get(id) {
                    Some(s) if !s.snapshot_name.is_empty() => format!("{id} {}", s.snapshot_name),
                    None if self.lookup.is_none() && self.asked.contains(id) => {
                        format!("{id} (not found)")
                    }
                    _ => id.clone(),
                };
                put(
                    buf,
                    columns.source_x,
                    y,
                    &text,
                    source_width,
                    cell_style(Cell::Source),
                );
            }
            None if disk.disk_type == DiskType::System => {
                put(
                    buf,
                    columns.source_x,
                    y,
                    "choose a snapshot (Enter)",
                    source_width,
                    theme.warning,
                );
            }
            None => put(
                buf,
                columns.source_x,
                y,
                "empty disk",
                source_width,
                cell_style(Cell::Source),
            ),
        }

        let Some(row) = self.rows.get(i) else {
            return;
        };
        let size_area = Rect::new(columns.size_x, y, columns.device_x - columns.size_x - 1, 1);
        if row.size.value().is_empty() && !row.size.is_editing() {
            let default = match &disk.snapshot_id {
                Some(id) => self
                    .known
                    .get(id)
                    .and_then(Snapshot::source_disk_size_gib)
                    .map_or("snapshot".to_owned(), |s| s.to_string()),
                None if disk.disk_type == DiskType::System => "—".to_owned(),
                None => rules::DEFAULT_EMPTY_DISK_SIZE.to_string(),
            };
            put(
                frame.buffer_mut(),
                size_area.x,
                y,
                &format!("({default})"),
                size_area.width,
                theme.muted,
            );
        } else {
            row.size
                .render_input(frame, size_area, focused_cell == Some(Cell::Size), theme);
        }
        let device_area = Rect::new(
            columns.device_x,
            y,
            columns.area.right().saturating_sub(columns.device_x),
            1,
        );
        if row.device.value().is_empty() && !row.device.is_editing() {
            let (text, style) = if disk.disk_type == DiskType::System {
                (auto_device.to_owned(), cell_style(Cell::Device))
            } else {
                (format!("auto {auto_device}"), theme.muted)
            };
            put(
                frame.buffer_mut(),
                device_area.x,
                y,
                &text,
                device_area.width,
                style,
            );
        } else {
            row.device.render_input(
                frame,
                device_area,
                focused_cell == Some(Cell::Device),
                theme,
            );
        }
        // The focused cell in reverse video, whatever it shows (a placeholder too), so the
        // user always sees where Enter and typing go; an edit shows its own style and cursor.
        let editing = row.size.is_editing() || row.device.is_editing();
        if let Some(cell) = focused_cell
            && !editing
        {
            let (x, right) = match cell {
                Cell::Source => (columns.source_x, columns.size_x - 1),
                Cell::Size => (columns.size_x, columns.device_x - 1),
                Cell::Device => (columns.device_x, columns.area.right()),
            };
            let rect = Rect::new(x, y, right.saturating_sub(x), 1).intersection(columns.area);
            frame.buffer_mut().set_style(rect, theme.focused_cell);
        }
    }
}

/// Where the mapping table's columns start.
struct MappingColumns {
    area: Rect,
    type_x: u16,
    source_x: u16,
    size_x: u16,
    device_x: u16,
}

impl MappingColumns {
    fn new(area: Rect) -> Self {
        const SIZE_WIDTH: u16 = 11;
        const DEVICE_WIDTH: u16 = 16;
        let type_x = area.x + 7;
        let source_x = type_x + 7;
        // The source column takes the room left, up to what an ID and a name need.
        let source_width = area
            .right()
            .saturating_sub(source_x + SIZE_WIDTH + DEVICE_WIDTH)
            .clamp(20, 64);
        let size_x = source_x + source_width;
        let device_x = size_x + SIZE_WIDTH;
        Self {
            area,
            type_x,
            source_x,
            size_x,
            device_x,
        }
    }
}
