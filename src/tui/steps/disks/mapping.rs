//! The disk mapping editor: its rows, key handling and the edits it makes to the spec's disks.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Action, CELLS, Cell, DiskRow, DisksStep, Focus, Target};
use crate::spec::{DiskSpec, DiskType, ImageSpec, Source, rules};
use crate::tui::steps::source::{data_disk_problem, system_disk_problem};
use crate::tui::steps::{Reaction, StepCtx};
use crate::tui::widgets::keymap::{Key, Keymap};
use crate::tui::widgets::picker::PickerEvent;
use crate::tui::widgets::text_field::{Edit, TextField};

/// A size as typed: empty is "not set" (the snapshot's size, or 20 GiB for an empty disk).
pub(super) fn parse_size(raw: &str) -> Result<Option<u32>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if !raw.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{raw:?} is not a whole number of GiB."));
    }
    raw.parse().map(Some).map_err(|_| {
        format!(
            "{raw} GiB is far too large; a disk is at most {} GiB.",
            rules::MAX_DISK_SIZE
        )
    })
}

fn disks_mut(spec: &mut ImageSpec) -> Option<&mut Vec<DiskSpec>> {
    match &mut spec.source {
        Source::Disks(disks) => Some(disks),
        _ => None,
    }
}

fn promotion_notice(id: &str) -> String {
    format!(
        "{id} is a data-disk snapshot: it becomes the system disk (DiskType=system). Set the \
         platform and architecture in step 3."
    )
}

fn is_system(source: &Source, i: usize) -> bool {
    matches!(source, Source::Disks(disks) if disks.get(i).is_some_and(|d| d.disk_type == DiskType::System))
}

pub(super) fn data_count(disks: &[DiskSpec]) -> usize {
    disks
        .iter()
        .filter(|d| d.disk_type == DiskType::Data)
        .count()
}

/// The mapped disk a finding is about.
pub(super) fn disk_of(field: crate::spec::Field) -> Option<usize> {
    use crate::spec::Field;
    match field {
        Field::SourceDisk(i)
        | Field::SourceDiskType(i)
        | Field::SourceDiskSnapshot(i)
        | Field::SourceDiskSize(i)
        | Field::SourceDiskDevice(i) => Some(i),
        _ => None,
    }
}

impl DisksStep {
    /// Makes the editors match the spec's disks (the source may have changed elsewhere).
    pub(super) fn sync_rows(&mut self, disks: &[DiskSpec]) {
        if self.rows.len() != disks.len() {
            self.rows = disks.iter().map(DiskRow::of).collect();
        }
        for (row, disk) in self.rows.iter_mut().zip(disks) {
            if parse_size(row.size.value()).is_ok_and(|s| s != disk.size) {
                row.size
                    .set_value(disk.size.map(|s| s.to_string()).unwrap_or_default());
            }
            let device = disk.device.as_deref().unwrap_or("");
            if row.device.value() != device {
                row.device.set_value(device);
            }
        }
        self.focus = match self.focus {
            Focus::Disk(i, cell) if i < disks.len() => Focus::Disk(i, cell),
            Focus::Disk(..) | Focus::Add if disks.is_empty() => Focus::Add,
            Focus::Disk(_, cell) => Focus::Disk(disks.len() - 1, cell),
            Focus::Add => Focus::Add,
        };
    }

    fn editor(&self) -> Option<&TextField> {
        match self.focus {
            Focus::Disk(i, Cell::Size) => self.rows.get(i).map(|r| &r.size),
            Focus::Disk(i, Cell::Device) => self.rows.get(i).map(|r| &r.device),
            _ => None,
        }
    }

    pub(super) fn editor_mut(&mut self) -> Option<&mut TextField> {
        match self.focus {
            Focus::Disk(i, Cell::Size) => self.rows.get_mut(i).map(|r| &mut r.size),
            Focus::Disk(i, Cell::Device) => self.rows.get_mut(i).map(|r| &mut r.device),
            _ => None,
        }
    }

    pub(super) fn editing(&self) -> bool {
        self.editor().is_some_and(TextField::is_editing)
    }

    /// Writes the focused row's size and device into the spec.
    pub(super) fn write_row(&self, spec: &mut ImageSpec) {
        let Focus::Disk(i, _) = self.focus else {
            return;
        };
        let (Some(row), Some(disk)) =
            (self.rows.get(i), disks_mut(spec).and_then(|d| d.get_mut(i)))
        else {
            return;
        };
        // A size that is not a number stays in the editor and is reported by
        // `input_problems`; the spec then asks for the default.
        disk.size = parse_size(row.size.value()).unwrap_or(None);
        disk.device = row.device.optional();
    }

    fn open_picker(&mut self, target: Target, ctx: &mut StepCtx) {
        self.stop_editing();
        if self.picker.needs_load() {
            self.load_snapshots(ctx);
        }
        // Each disk starts from the whole list, judged for the role the snapshot is to play.
        self.picker.set_query("");
        let system = matches!(target, Target::Replace(i) if is_system(&ctx.spec.source, i));
        self.picker.set_rule(if system {
            system_disk_problem
        } else {
            data_disk_problem
        });
        if let Target::Replace(i) = target
            && let Some(Source::Disks(disks)) = Some(&ctx.spec.source)
            && let Some(id) = disks.get(i).and_then(|d| d.snapshot_id.as_deref())
        {
            self.picker.select_key(id);
        }
        self.picking = Some(target);
    }

    fn choose(&mut self, index: usize, ctx: &mut StepCtx) {
        let (Some(target), Some(snapshot)) = (self.picking.take(), self.picker.rows().get(index))
        else {
            return;
        };
        let snapshot = snapshot.clone();
        let id = snapshot.snapshot_id.clone();
        let promoted = target == Target::Replace(0) && !snapshot.is_system_disk();
        let Some(disks) = disks_mut(ctx.spec) else {
            return;
        };
        match target {
            Target::Replace(i) => {
                let Some(disk) = disks.get_mut(i) else {
                    return;
                };
                if disk.snapshot_id.is_none() {
                    // An empty disk's size was its own; a snapshot brings its size.
                    disk.size = None;
                }
                disk.snapshot_id = Some(id);
                self.focus = Focus::Disk(i, Cell::Source);
            }
            Target::Add => {
                disks.push(DiskSpec {
                    disk_type: DiskType::Data,
                    snapshot_id: Some(id),
                    size: None,
                    device: None,
                });
                self.focus = Focus::Disk(disks.len() - 1, Cell::Source);
            }
        }
        let disks = disks.clone();
        self.sync_rows(&disks);
        if promoted {
            ctx.notify(promotion_notice(&snapshot.snapshot_id));
        }
        self.learn(snapshot, ctx);
    }

    fn add_empty(&mut self, ctx: &mut StepCtx) {
        let Some(disks) = disks_mut(ctx.spec) else {
            return;
        };
        disks.push(DiskSpec {
            disk_type: DiskType::Data,
            snapshot_id: None,
            size: Some(rules::DEFAULT_EMPTY_DISK_SIZE),
            device: None,
        });
        let disks = disks.clone();
        self.focus = Focus::Disk(disks.len() - 1, Cell::Size);
        self.sync_rows(&disks);
    }

    /// Whether another data disk fits; says why not otherwise.
    fn room_for_data(&self, ctx: &mut StepCtx) -> bool {
        let Source::Disks(disks) = &ctx.spec.source else {
            return false;
        };
        if data_count(disks) >= rules::MAX_DATA_DISKS {
            ctx.notify(format!(
                "An image carries at most {} data disks; remove one first.",
                rules::MAX_DATA_DISKS
            ));
            return false;
        }
        true
    }

    /// Makes the focused data disk the system disk: it moves first, and the old system disk
    /// takes its place as a data disk. Fixes a mapping built in the wrong order.
    fn make_system(&mut self, ctx: &mut StepCtx) {
        let Focus::Disk(i, _) = self.focus else {
            return;
        };
        let Some(disks) = disks_mut(ctx.spec) else {
            return;
        };
        let Some(disk) = disks.get(i) else {
            return;
        };
        if disk.disk_type == DiskType::System {
            return;
        }
        let Some(id) = disk.snapshot_id.clone() else {
            ctx.notify("An empty disk cannot be the system disk: choose a snapshot for it first.");
            return;
        };
        disks.swap(0, i);
        if i < self.rows.len() {
            self.rows.swap(0, i);
        }
        // Devices follow the role: the system disk is /dev/xvda, the other one is assigned.
        disks[0].disk_type = DiskType::System;
        disks[0].device = None;
        if let Some(old) = disks.get_mut(i) {
            old.disk_type = DiskType::Data;
            old.device = None;
        }
        let disks = disks.clone();
        self.sync_rows(&disks);
        self.focus = Focus::Disk(0, Cell::Source);
        let promoted = self.known.get(&id).is_some_and(|s| !s.is_system_disk());
        ctx.notify(if promoted {
            promotion_notice(&id)
        } else {
            format!("{id} is now the system disk.")
        });
    }

    fn remove(&mut self, ctx: &mut StepCtx) {
        let Focus::Disk(i, cell) = self.focus else {
            return;
        };
        let Some(disks) = disks_mut(ctx.spec) else {
            return;
        };
        if disks
            .get(i)
            .is_some_and(|d| d.disk_type == DiskType::System)
        {
            ctx.notify("The system disk stays: press Enter on it to choose another snapshot.");
            return;
        }
        if i < disks.len() {
            disks.remove(i);
        }
        if i < self.rows.len() {
            self.rows.remove(i);
        }
        self.focus = match disks.len() {
            0 => Focus::Add,
            n => Focus::Disk(i.min(n - 1), cell),
        };
    }

    /// Del on a cell: an empty disk instead of a snapshot, the default size, an automatic
    /// device.
    fn clear_cell(&mut self, ctx: &mut StepCtx) {
        let Focus::Disk(i, cell) = self.focus else {
            return;
        };
        match cell {
            Cell::Source => {
                let Some(disk) = disks_mut(ctx.spec).and_then(|d| d.get_mut(i)) else {
                    return;
                };
                if disk.disk_type == DiskType::System {
                    ctx.notify("The system disk needs a snapshot; only data disks can be empty.");
                    return;
                }
                disk.snapshot_id = None;
                disk.size = Some(disk.size.unwrap_or(rules::DEFAULT_EMPTY_DISK_SIZE));
                if let Some(row) = self.rows.get_mut(i) {
                    row.size
                        .set_value(disk.size.map(|s| s.to_string()).unwrap_or_default());
                }
            }
            Cell::Size | Cell::Device => {
                if let Some(editor) = self.editor_mut() {
                    editor.set_value("");
                }
                self.write_row(ctx.spec);
            }
        }
    }

    pub(super) fn stop_editing(&mut self) {
        if let Some(editor) = self.editor_mut() {
            editor.stop_editing();
        }
    }

    /// Moves the focus in Tab order (cells across rows, then the add row).
    fn tab(&mut self, forward: bool) {
        self.stop_editing();
        let mut order: Vec<Focus> = (0..self.rows.len())
            .flat_map(|i| CELLS.map(|c| Focus::Disk(i, c)))
            .collect();
        order.push(Focus::Add);
        let n = order.len();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        self.focus = order[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }];
    }

    fn vertical(&mut self, down: bool) {
        self.stop_editing();
        let rows = self.rows.len();
        self.focus = match self.focus {
            Focus::Disk(i, cell) if down && i + 1 < rows => Focus::Disk(i + 1, cell),
            Focus::Disk(..) if down => Focus::Add,
            Focus::Disk(i, cell) => Focus::Disk(i.saturating_sub(1), cell),
            Focus::Add if !down && rows > 0 => Focus::Disk(rows - 1, Cell::Source),
            Focus::Add => Focus::Add,
        };
    }

    fn horizontal(&mut self, right: bool) {
        if let Focus::Disk(i, cell) = self.focus {
            let at = CELLS.iter().position(|c| *c == cell).unwrap_or(0);
            let to = if right {
                (at + 1).min(CELLS.len() - 1)
            } else {
                at.saturating_sub(1)
            };
            self.focus = Focus::Disk(i, CELLS[to]);
        }
    }

    fn enter_cell(&mut self, ctx: &mut StepCtx) {
        match self.focus {
            Focus::Add => {
                if self.room_for_data(ctx) {
                    self.open_picker(Target::Add, ctx);
                }
            }
            Focus::Disk(i, Cell::Source) => self.open_picker(Target::Replace(i), ctx),
            Focus::Disk(i, Cell::Device) if is_system(&ctx.spec.source, i) => {
                ctx.notify("The system disk's device is always /dev/xvda.");
            }
            Focus::Disk(..) => {
                if let Some(editor) = self.editor_mut() {
                    editor.start_editing();
                }
            }
        }
    }

    /// The mapping editor's keys for the focused cell (and whether it is being edited).
    pub(super) fn mapping_keymap(&self, disks: &[DiskSpec]) -> Keymap<Action> {
        use KeyCode::*;
        let moves = Keymap::new()
            .bind_each(
                [
                    (Key::plain(Tab), Action::NextCell),
                    (Key::plain(BackTab), Action::PreviousCell),
                ],
                "next",
            )
            .help("next / previous cell")
            .bind_each(
                [
                    (Key::plain(Up), Action::Up),
                    (Key::plain(Down), Action::Down),
                ],
                "move",
            )
            .help("the disk above / below")
            .quiet();
        if self.editing() {
            return TextField::editing_keymap(Action::Edit).with(moves, |a| a);
        }
        let focused = match self.focus {
            Focus::Disk(i, _) => disks.get(i),
            Focus::Add => None,
        };
        let system = focused.is_some_and(|d| d.disk_type == DiskType::System);
        let full = data_count(disks) >= rules::MAX_DATA_DISKS;
        let open = match self.focus {
            Focus::Add => "add from snapshot",
            Focus::Disk(_, Cell::Source) => "choose snapshot",
            Focus::Disk(..) => "edit",
        };
        // The system disk's device is fixed; Enter there only says so.
        let fixed = system && matches!(self.focus, Focus::Disk(_, Cell::Device));
        let with_snapshot = focused.is_some_and(|d| d.snapshot_id.is_some());
        let clears = match self.focus {
            Focus::Disk(_, Cell::Source) => !system,
            Focus::Disk(..) => true,
            Focus::Add => false,
        };
        Keymap::new()
            .bind([Key::plain(Enter)], Action::Open, open)
            .help("choose the snapshot (Source), edit (Size, Device), or add a disk")
            .quiet_if(fixed || (full && self.focus == Focus::Add))
            .bind(
                [Key::char('a'), Key::char('+'), Key::plain(Insert)],
                Action::AddSnapshot,
                "add",
            )
            .help("add a data disk from a snapshot")
            .quiet_if(full)
            .bind([Key::char('e')], Action::AddEmpty, "add empty")
            .help("add an empty data disk (20 GiB unless you change it)")
            .quiet_if(full)
            .bind([Key::char('d'), Key::char('-')], Action::Remove, "remove")
            .help("remove the focused data disk (the system disk stays)")
            .quiet_if(system || focused.is_none())
            .bind([Key::char('s')], Action::MakeSystem, "make system")
            .help("make it the system disk (the old one becomes data)")
            .quiet_if(system || !with_snapshot)
            .bind(
                [Key::plain(Delete), Key::plain(Backspace)],
                Action::Clear,
                "default",
            )
            .help("empty data disk, default size or automatic device")
            .quiet_if(!clears)
            .with(moves, |a| a)
            .bind_each(
                [
                    (Key::plain(Left), Action::Left),
                    (Key::plain(Right), Action::Right),
                    (Key::char('k'), Action::Up),
                    (Key::char('j'), Action::Down),
                    (Key::char('h'), Action::Left),
                    (Key::char('l'), Action::Right),
                ],
                "cells",
            )
            .help("move between cells (also j k h l)")
            .quiet()
    }

    pub(super) fn mapping_act(
        &mut self,
        action: Action,
        key: KeyEvent,
        ctx: &mut StepCtx,
    ) -> Reaction {
        match action {
            Action::Edit => {
                if let Some(editor) = self.editor_mut()
                    && editor.handle_key(key) == Edit::Changed
                {
                    self.write_row(ctx.spec);
                }
            }
            Action::NextCell => self.tab(true),
            Action::PreviousCell => self.tab(false),
            Action::Down => self.vertical(true),
            Action::Up => self.vertical(false),
            Action::Left => self.horizontal(false),
            Action::Right => self.horizontal(true),
            Action::Open => self.enter_cell(ctx),
            Action::AddSnapshot => {
                if self.room_for_data(ctx) {
                    self.open_picker(Target::Add, ctx);
                }
            }
            Action::AddEmpty => {
                if self.room_for_data(ctx) {
                    self.add_empty(ctx);
                }
            }
            Action::Remove => self.remove(ctx),
            Action::MakeSystem => self.make_system(ctx),
            Action::Clear => self.clear_cell(ctx),
            Action::Picker(_) | Action::ClosePicker | Action::Reload => {}
        }
        Reaction::Handled
    }

    pub(super) fn picker_event(&mut self, event: PickerEvent, ctx: &mut StepCtx) -> Reaction {
        match event {
            PickerEvent::Chosen(index) => self.choose(index, ctx),
            PickerEvent::Refused(reason) => {
                ctx.notify(format!("That snapshot cannot be used: {reason}."))
            }
            PickerEvent::Refresh => self.load_snapshots(ctx),
            PickerEvent::Handled => {}
            PickerEvent::Ignored => return Reaction::Ignored,
        }
        Reaction::Handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_strictly() {
        assert_eq!(parse_size(""), Ok(None));
        assert_eq!(parse_size(" 40 "), Ok(Some(40)));
        assert!(parse_size("4O").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999").is_err());
    }
}
