//! Step 2, disks: what the image will contain.
//!
//! - An instance source lists the instance's disks (DescribeDisks) as the image captures them:
//!   CreateImage snapshots every one, system disk first.
//! - A system-disk snapshot source shows that snapshot and its size, read-only.
//! - A disk mapping is edited here: one system disk first (its snapshot chosen from the shared
//!   snapshot picker; a data-disk snapshot may be promoted to system disk), up to 16 data
//!   disks, each from a snapshot or empty with a size, devices assigned in order unless typed.
//!   Every change goes into the spec at once and the shared validators (with the chosen
//!   snapshots' facts) report under the table.
//!
//! This module holds the step's state and its [`StepScreen`] impl; the keys (`keys`), loading,
//! the mapping editor and the screens (`view`) live in the submodules.

mod keys;
mod loading;
mod mapping;
mod mapping_view;
mod view;

use std::collections::{HashMap, HashSet};

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use self::keys::Action;
use self::mapping::{disk_of, parse_size};
use super::source::{SNAPSHOT_COLUMNS, data_disk_problem};
use super::{Answers, Keys, Reaction, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::api::model::{Disk, Snapshot};
use crate::spec::{DiskSpec, Source};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::picker::{LoadState, Picker, PickerKind};
use crate::tui::widgets::text_field::TextField;

/// Snapshots for a disk of a mapping, judged for the disk they are chosen for (the picker's
/// rule is set when it opens).
static MAPPING_SNAPSHOTS: PickerKind<Snapshot> = PickerKind {
    noun: "snapshots",
    columns: &SNAPSHOT_COLUMNS,
    key: |s| &s.snapshot_id,
    haystack: |s| {
        format!(
            "{} {} {}",
            s.snapshot_id, s.snapshot_name, s.source_disk_type
        )
    },
    unusable: data_disk_problem,
};
/// An editable cell of a mapping row, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Source,
    Size,
    Device,
}

const CELLS: [Cell; 3] = [Cell::Source, Cell::Size, Cell::Device];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Disk(usize, Cell),
    /// The "add a data disk" row.
    Add,
}

/// What the open snapshot picker chooses for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Replace(usize),
    Add,
}

/// What the error popup's retry repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failed {
    InstanceDisks,
    Snapshots,
    Lookup,
}

/// Size and device editors of one mapped disk.
#[derive(Debug, Clone)]
struct DiskRow {
    size: TextField,
    device: TextField,
}

impl DiskRow {
    fn of(disk: &DiskSpec) -> Self {
        let size = disk.size.map(|s| s.to_string()).unwrap_or_default();
        Self {
            size: TextField::new("Size").with_value(size),
            device: TextField::new("Device").with_value(disk.device.clone().unwrap_or_default()),
        }
    }
}

/// The instance's disks as DescribeDisks lists them.
#[derive(Debug)]
struct InstanceDisks {
    instance_id: String,
    disks: Vec<Disk>,
    request: Option<RequestId>,
    load: LoadState,
}

#[derive(Debug)]
pub struct DisksStep {
    instance: InstanceDisks,
    /// Snapshots the spec names, by ID: chosen in the picker or looked up.
    known: HashMap<String, Snapshot>,
    /// IDs already looked up (found or not), so a missing one is not asked for again.
    asked: HashSet<String>,
    lookup: Option<RequestId>,
    rows: Vec<DiskRow>,
    focus: Focus,
    picker: Picker<Snapshot>,
    picker_request: Option<RequestId>,
    picking: Option<Target>,
    failed: Option<Failed>,
    /// First row shown of the instance's disk table.
    scroll: usize,
}

impl Default for DisksStep {
    fn default() -> Self {
        Self {
            instance: InstanceDisks {
                instance_id: String::new(),
                disks: Vec::new(),
                request: None,
                load: LoadState::Idle,
            },
            known: HashMap::new(),
            asked: HashSet::new(),
            lookup: None,
            rows: Vec::new(),
            focus: Focus::Disk(0, Cell::Source),
            picker: Picker::new(&MAPPING_SNAPSHOTS),
            picker_request: None,
            picking: None,
            failed: None,
            scroll: 0,
        }
    }
}

impl StepScreen for DisksStep {
    fn focus(&mut self, field: crate::spec::Field) {
        use crate::spec::Field;
        self.focus = match (field, disk_of(field)) {
            (_, Some(i)) if i >= self.rows.len() => return,
            (Field::SourceDiskSize(i), _) => Focus::Disk(i, Cell::Size),
            (Field::SourceDiskDevice(i), _) => Focus::Disk(i, Cell::Device),
            (_, Some(i)) => Focus::Disk(i, Cell::Source),
            (Field::SourceDisks, None) if !self.rows.is_empty() => Focus::Add,
            _ => return,
        };
    }

    fn enter(&mut self, ctx: &mut StepCtx) {
        match &ctx.spec.source {
            Source::Instance { instance_id } if !instance_id.is_empty() => {
                let reload = self.instance.instance_id != *instance_id
                    || matches!(self.instance.load, LoadState::Idle | LoadState::Interrupted);
                if reload {
                    let id = instance_id.clone();
                    self.load_instance_disks(&id, ctx);
                }
            }
            Source::Disks(disks) => {
                let disks = disks.clone();
                self.sync_rows(&disks);
            }
            Source::Instance { .. } | Source::Snapshot { .. } => {}
        }
        self.look_up_missing(ctx);
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        self.stop_editing();
        self.picking = None;
        if let Some(id) = self.instance.request.take() {
            ctx.cancel(id);
            self.instance.load = LoadState::Interrupted;
        }
        if let Some(id) = self.picker_request.take() {
            ctx.cancel(id);
            self.picker.interrupt();
        }
        if let Some(id) = self.lookup.take() {
            ctx.cancel(id);
            self.asked.clear();
        }
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let Some(action) = self.keymap(ctx.spec).action(&key) else {
            return Reaction::Ignored;
        };
        match action {
            Action::Picker(action) => {
                let event = self.picker.act(action, key);
                self.picker_event(event, ctx)
            }
            Action::ClosePicker => {
                self.picking = None;
                Reaction::Handled
            }
            Action::Reload => {
                match &ctx.spec.source {
                    Source::Instance { instance_id } => {
                        let id = instance_id.clone();
                        self.load_instance_disks(&id, ctx);
                    }
                    Source::Snapshot { .. } => {
                        self.asked.clear();
                        self.known.clear();
                        self.look_up_missing(ctx);
                    }
                    Source::Disks(_) => {}
                }
                Reaction::Handled
            }
            Action::Up | Action::Down if !matches!(ctx.spec.source, Source::Disks(_)) => {
                self.scroll = if action == Action::Down {
                    (self.scroll + 1).min(self.instance.disks.len().saturating_sub(1))
                } else {
                    self.scroll.saturating_sub(1)
                };
                Reaction::Handled
            }
            action => self.mapping_act(action, key, ctx),
        }
    }

    fn mouse(&mut self, event: MouseEvent, ctx: &mut StepCtx) -> Reaction {
        if self.picking.is_some() {
            let event = self.picker.handle_mouse(event);
            return self.picker_event(event, ctx);
        }
        Reaction::Ignored
    }

    fn paste(&mut self, text: &str, ctx: &mut StepCtx) -> Reaction {
        if self.picking.is_some() {
            self.picker.handle_paste(text);
            return Reaction::Handled;
        }
        match self.editor_mut() {
            Some(editor) => {
                if editor.paste(text) {
                    self.write_row(ctx.spec);
                }
                Reaction::Handled
            }
            None => Reaction::Ignored,
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        self.receive(id, result, ctx);
    }

    fn region_changed(&mut self, ctx: &mut StepCtx) {
        self.leave(ctx);
        *self = DisksStep::default();
    }

    fn retry(&mut self, ctx: &mut StepCtx) {
        match self.failed.take() {
            Some(Failed::InstanceDisks) => {
                let id = self.instance.instance_id.clone();
                self.load_instance_disks(&id, ctx);
            }
            Some(Failed::Snapshots) => self.load_snapshots(ctx),
            Some(Failed::Lookup) => self.look_up_missing(ctx),
            None => {}
        }
    }

    fn busy(&self) -> bool {
        self.instance.request.is_some() || self.picker_request.is_some() || self.lookup.is_some()
    }

    fn input_problems(&self) -> Vec<String> {
        self.rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                parse_size(row.size.value())
                    .err()
                    .map(|e| format!("Disk {} size: {e}", i + 1))
            })
            .collect()
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        self.draw(ctx, frame, area);
    }

    fn keys(&self, answers: Answers) -> Keys {
        self.keymap(answers.spec).keys()
    }
}

#[cfg(test)]
mod tests;
