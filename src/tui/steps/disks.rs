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

use std::collections::{HashMap, HashSet};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::source::{SNAPSHOT_COLUMNS, snapshot_facts, snapshot_problem};
use super::{KeyHint, Outcome, Step, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::api::model::{Disk, DiskQuery, Snapshot, SnapshotQuery};
use crate::spec::{DiskSpec, DiskType, FieldError, ImageSpec, Source, rules};
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::theme::Theme;
use crate::tui::widgets::picker::{LoadState, Picker, PickerEvent, PickerKind, PickerStyle, put};
use crate::tui::widgets::text_field::{
    Edit, NoteKind, TextField, finding_lines, render_lines, wrap,
};

/// Snapshots for a disk of a mapping: any finished one, system or data.
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
    unusable: snapshot_problem,
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

/// A size as typed: empty is "not set" (the snapshot's size, or 20 GiB for an empty disk).
fn parse_size(raw: &str) -> Result<Option<u32>, String> {
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

fn data_count(disks: &[DiskSpec]) -> usize {
    disks
        .iter()
        .filter(|d| d.disk_type == DiskType::Data)
        .count()
}

/// The mapped disk a finding is about.
fn disk_of(field: crate::spec::Field) -> Option<usize> {
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
    // -----------------------------------------------------------------------------------------
    // Loading

    fn load_instance_disks(&mut self, instance_id: &str, ctx: &mut StepCtx) {
        if let Some(old) = self.instance.request.take() {
            ctx.cancel(old);
        }
        self.instance = InstanceDisks {
            instance_id: instance_id.to_owned(),
            disks: Vec::new(),
            request: Some(ctx.call(Call::Disks(DiskQuery {
                instance_id: Some(instance_id.to_owned()),
                ..DiskQuery::default()
            }))),
            load: LoadState::Loading,
        };
        self.scroll = 0;
    }

    fn load_snapshots(&mut self, ctx: &mut StepCtx) {
        if let Some(old) = self.picker_request.take() {
            ctx.cancel(old);
        }
        self.picker.start_loading();
        self.picker_request = Some(ctx.call(Call::Snapshots(SnapshotQuery::default())));
    }

    /// Looks up the snapshots the spec names but this step has not seen (for their names,
    /// sizes and the validators' facts).
    fn look_up_missing(&mut self, ctx: &mut StepCtx) {
        if self.lookup.is_some() {
            return;
        }
        let ids: Vec<String> = match &ctx.spec.source {
            Source::Snapshot { snapshot_id } => vec![snapshot_id.clone()],
            Source::Disks(disks) => disks.iter().filter_map(|d| d.snapshot_id.clone()).collect(),
            Source::Instance { .. } => Vec::new(),
        };
        let mut missing: Vec<String> = ids
            .into_iter()
            .filter(|id| !id.is_empty() && !self.known.contains_key(id) && !self.asked.contains(id))
            .collect();
        missing.dedup();
        if missing.is_empty() {
            return;
        }
        self.asked.extend(missing.iter().cloned());
        self.lookup = Some(ctx.call(Call::Snapshots(SnapshotQuery {
            snapshot_ids: Some(missing),
            ..SnapshotQuery::default()
        })));
    }

    /// Remembers a snapshot and gives the validators its facts.
    fn learn(&mut self, snapshot: Snapshot, ctx: &mut StepCtx) {
        if let Some(facts) = snapshot_facts(&snapshot) {
            ctx.facts
                .snapshots
                .insert(snapshot.snapshot_id.clone(), facts);
        }
        self.known.insert(snapshot.snapshot_id.clone(), snapshot);
    }

    // -----------------------------------------------------------------------------------------
    // The mapping editor

    /// Makes the editors match the spec's disks (the source may have changed elsewhere).
    fn sync_rows(&mut self, disks: &[DiskSpec]) {
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

    fn editor_mut(&mut self) -> Option<&mut TextField> {
        match self.focus {
            Focus::Disk(i, Cell::Size) => self.rows.get_mut(i).map(|r| &mut r.size),
            Focus::Disk(i, Cell::Device) => self.rows.get_mut(i).map(|r| &mut r.device),
            _ => None,
        }
    }

    fn editing(&self) -> bool {
        self.editor().is_some_and(TextField::is_editing)
    }

    /// Writes the focused row's size and device into the spec.
    fn write_row(&self, spec: &mut ImageSpec) {
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
        // Each disk starts from the whole list.
        self.picker.set_query("");
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

    fn stop_editing(&mut self) {
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

    fn mapping_key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        if let Some(editor) = self.editor_mut() {
            match editor.handle_key(key) {
                Edit::Changed => {
                    self.write_row(ctx.spec);
                    return Outcome::Handled;
                }
                Edit::Done | Edit::Handled => return Outcome::Handled,
                Edit::Ignored => {}
            }
        }
        let editing = self.editing();
        let plain = key.modifiers == KeyModifiers::NONE;
        match key.code {
            KeyCode::Tab => self.tab(true),
            KeyCode::BackTab => self.tab(false),
            KeyCode::Down => self.vertical(true),
            KeyCode::Up => self.vertical(false),
            _ if editing => return Outcome::Ignored,
            KeyCode::Char('j') if plain => self.vertical(true),
            KeyCode::Char('k') if plain => self.vertical(false),
            KeyCode::Left | KeyCode::Char('h') => self.horizontal(false),
            KeyCode::Right | KeyCode::Char('l') => self.horizontal(true),
            KeyCode::Enter => self.enter_cell(ctx),
            KeyCode::Char('a' | '+') | KeyCode::Insert => {
                if self.room_for_data(ctx) {
                    self.open_picker(Target::Add, ctx);
                }
            }
            KeyCode::Char('e') => {
                if self.room_for_data(ctx) {
                    self.add_empty(ctx);
                }
            }
            KeyCode::Char('d' | '-') => self.remove(ctx),
            KeyCode::Char('s') => self.make_system(ctx),
            KeyCode::Delete | KeyCode::Backspace => self.clear_cell(ctx),
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn picker_event(
        &mut self,
        event: PickerEvent,
        key: Option<KeyEvent>,
        ctx: &mut StepCtx,
    ) -> Outcome {
        match event {
            PickerEvent::Chosen(index) => self.choose(index, ctx),
            PickerEvent::Refused(reason) => {
                ctx.notify(format!("That snapshot cannot be used: {reason}."))
            }
            PickerEvent::Refresh => self.load_snapshots(ctx),
            PickerEvent::Handled => {}
            PickerEvent::Ignored => match key.map(|k| k.code) {
                Some(KeyCode::Esc) => self.picking = None,
                _ => return Outcome::Ignored,
            },
        }
        Outcome::Handled
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

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        if self.picking.is_some() {
            let event = self.picker.handle_key(key);
            return self.picker_event(event, Some(key), ctx);
        }
        let reload = key.code == KeyCode::F(5)
            || (key.code == KeyCode::Char('r') && key.modifiers.contains(KeyModifiers::CONTROL));
        match &ctx.spec.source {
            Source::Disks(_) => self.mapping_key(key, ctx),
            Source::Instance { instance_id } if reload && !instance_id.is_empty() => {
                let id = instance_id.clone();
                self.load_instance_disks(&id, ctx);
                Outcome::Handled
            }
            Source::Instance { .. } => match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    self.scroll =
                        (self.scroll + 1).min(self.instance.disks.len().saturating_sub(1));
                    Outcome::Handled
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    self.scroll = self.scroll.saturating_sub(1);
                    Outcome::Handled
                }
                _ => Outcome::Ignored,
            },
            Source::Snapshot { .. } if reload => {
                self.asked.clear();
                self.known.clear();
                self.look_up_missing(ctx);
                Outcome::Handled
            }
            Source::Snapshot { .. } => Outcome::Ignored,
        }
    }

    fn mouse(&mut self, event: MouseEvent, ctx: &mut StepCtx) -> Outcome {
        if self.picking.is_some() {
            let event = self.picker.handle_mouse(event);
            return self.picker_event(event, None, ctx);
        }
        Outcome::Ignored
    }

    fn paste(&mut self, text: &str, ctx: &mut StepCtx) -> Outcome {
        if self.picking.is_some() {
            self.picker.handle_paste(text);
            return Outcome::Handled;
        }
        match self.editor_mut() {
            Some(editor) => {
                if editor.paste(text) {
                    self.write_row(ctx.spec);
                }
                Outcome::Handled
            }
            None => Outcome::Ignored,
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        if self.instance.request == Some(id) {
            match result {
                Ok(Loaded::Disks(page)) => {
                    self.instance.disks.extend(page.rows);
                    if page.last {
                        self.instance.request = None;
                        self.instance.load = LoadState::Complete;
                        // System disk first, then data disks by device.
                        self.instance.disks.sort_by(|a, b| {
                            (!a.is_system(), &a.device).cmp(&(!b.is_system(), &b.device))
                        });
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.instance.request = None;
                    self.instance.load = LoadState::Failed(error.to_string());
                    self.failed = Some(Failed::InstanceDisks);
                    ctx.show_error("Loading the instance's disks", &error, true);
                }
            }
        } else if self.picker_request == Some(id) {
            let page = result.map(Loaded::snapshots);
            let doing = "Loading snapshots";
            if ctx.feed_picker(&mut self.picker, &mut self.picker_request, page, doing) {
                self.failed = Some(Failed::Snapshots);
            }
        } else if self.lookup == Some(id) {
            match result {
                Ok(Loaded::Snapshots(page)) => {
                    if page.last {
                        self.lookup = None;
                    }
                    for snapshot in page.rows {
                        self.learn(snapshot, ctx);
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.lookup = None;
                    self.asked.clear();
                    self.failed = Some(Failed::Lookup);
                    ctx.show_error("Looking up the chosen snapshots", &error, true);
                }
            }
        }
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

    fn footer(&self) -> Vec<KeyHint> {
        if self.picking.is_some() {
            return vec![
                ("Enter", "choose"),
                ("type", "filter"),
                ("^S", "sort"),
                ("^R", "reload"),
                ("Esc", "cancel"),
            ];
        }
        if self.editing() {
            return vec![("Enter", "done"), ("Tab", "next"), ("^U", "clear")];
        }
        match self.focus {
            _ if self.rows.is_empty() => vec![("↑↓", "scroll"), ("^R", "reload")],
            Focus::Add => vec![("Enter/a", "add from snapshot"), ("e", "add empty")],
            Focus::Disk(_, Cell::Source) => vec![
                ("Enter", "choose snapshot"),
                ("a", "add"),
                ("e", "add empty"),
                ("d", "remove"),
                ("Tab", "next"),
            ],
            Focus::Disk(..) => vec![
                ("Enter", "edit"),
                ("Del", "default"),
                ("a/e", "add"),
                ("d", "remove"),
                ("Tab", "next"),
            ],
        }
    }

    fn help(&self) -> &'static [KeyHint] {
        &[
            (
                "",
                "What the image contains. From an instance: every disk of it (CreateImage \
                  snapshots each one). From a snapshot: that system disk alone. From a disk \
                  mapping: the disks you list here.",
            ),
            ("↑ ↓ ← →  (j k h l)", "move between disks and their cells"),
            ("Tab / Shift-Tab", "next / previous cell"),
            (
                "Enter",
                "choose the snapshot (Source), or edit (Size, Device)",
            ),
            ("a / + / Insert", "add a data disk from a snapshot"),
            ("e", "add an empty data disk (20 GiB unless you change it)"),
            ("d / -", "remove the focused data disk"),
            ("s", "make it the system disk (the old one becomes data)"),
            ("Del", "empty data disk, default size or automatic device"),
            ("^R / F5", "reload the list (instance disks, snapshots)"),
            (
                "",
                "The system disk comes first; a data-disk snapshot can become it, and then \
                  the platform and architecture should be set in step 3. Sizes default to the \
                  snapshot's; devices to /dev/xvdb, /dev/xvdc, … in order.",
            ),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Views

fn paragraph(frame: &mut Frame, area: Rect, text: &str, style: ratatui::style::Style) {
    let width = usize::from(area.width);
    let lines = wrap(text, width);
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        frame
            .buffer_mut()
            .set_stringn(area.x, y, line, width, style);
    }
}

/// A table row: cells at fixed columns, cut with `…` to their width.
fn table_row(
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

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn created(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

impl DisksStep {
    fn view_picker(&self, target: Target, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
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

    fn view_instance(&self, instance_id: &str, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
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
        let status = match &self.instance.load {
            LoadState::Loading => {
                Line::styled(format!("{} loading disks…", ctx.spinner()), theme.muted)
            }
            LoadState::Failed(message) => Line::styled(
                format!("✗ Loading failed: {message} (^R retries)"),
                theme.error,
            ),
            LoadState::Interrupted => {
                Line::styled("Loading was interrupted (^R reloads).", theme.warning)
            }
            LoadState::Complete if disks.is_empty() => Line::styled(
                "DescribeDisks lists no disks for this instance.",
                theme.warning,
            ),
            LoadState::Idle | LoadState::Complete => {
                let total: u64 = disks.iter().map(|d| d.size).sum();
                let data = disks.iter().filter(|d| !d.is_system()).count();
                Line::from(vec![
                    Span::styled(
                        format!(
                            "1 system disk + {data} data disk{}, {total} GiB in all",
                            if data == 1 { "" } else { "s" }
                        ),
                        theme.muted,
                    ),
                    Span::styled(
                        if self.scroll > 0
                            || disks.len() > usize::from(bottom.saturating_sub(area.y))
                        {
                            "  (↑↓ scroll)"
                        } else {
                            ""
                        },
                        theme.muted,
                    ),
                ])
            }
        };
        frame.buffer_mut().set_line(
            area.x + 2,
            y.min(area.bottom().saturating_sub(1)),
            &status,
            area.width.saturating_sub(2),
        );
    }

    fn view_snapshot(&self, snapshot_id: &str, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
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
        let findings: Vec<&FieldError> = ctx
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

    fn view_mapping(&self, disks: &[DiskSpec], ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
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

        let findings: Vec<&FieldError> = ctx
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
        findings: &[&FieldError],
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

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::*;
    use crate::spec::{Field, Severity};
    use crate::tui::app::App;
    use crate::tui::effect::Effect;
    use crate::tui::msg::Page;
    use crate::tui::testing::{
        answer, answer_snapshots, calls, ctrl, key, only_call, render, sample_snapshots,
        screen_text, type_text, wizard,
    };

    const SYSTEM: &str = "s-bp17441ohwkdca0k0001";
    const DATA: &str = "s-bp17441ohwkdca0k0002";

    /// The wizard moved on to this step with `source`; the effects of entering it.
    fn disks_with(source: Source) -> (App, Vec<Effect>) {
        let (mut app, _) = wizard();
        app.spec.source = source;
        let effects = ctrl(&mut app, 'n');
        assert_eq!(app.step, Step::Disks);
        (app, effects)
    }

    fn mapping() -> App {
        let (app, effects) = disks_with(Source::Disks(vec![DiskSpec {
            disk_type: DiskType::System,
            snapshot_id: None,
            size: None,
            device: None,
        }]));
        assert!(calls(&effects).is_empty(), "nothing to look up yet");
        app
    }

    fn spec_disks(app: &App) -> &[DiskSpec] {
        match &app.spec.source {
            Source::Disks(disks) => disks,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    /// Opens the picker (the first time: answers its load) and chooses the row matching
    /// `filter`.
    fn pick(app: &mut App, open: KeyCode, filter: &str) {
        let effects = key(app, open);
        assert!(app.steps.disks.picking.is_some(), "picker open");
        if let Some((id, _)) = calls(&effects).into_iter().next() {
            answer_snapshots(app, id, sample_snapshots());
        }
        type_text(app, filter);
        key(app, KeyCode::Enter);
    }

    fn errors(app: &App) -> Vec<(Field, Option<&'static str>)> {
        app.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| (f.field, f.code))
            .collect()
    }

    fn disk(id: &str, name: &str, kind: &str, device: &str, size: u64) -> Disk {
        Disk {
            disk_id: id.into(),
            disk_name: name.into(),
            disk_type: kind.into(),
            category: "cloud_essd".into(),
            size,
            device: device.into(),
            status: "In_use".into(),
            ..Disk::default()
        }
    }

    #[test]
    fn an_instance_source_lists_its_disks_system_first() {
        let (mut app, effects) = disks_with(Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
        });
        let (id, call) = only_call(&effects);
        assert_eq!(
            call,
            Call::Disks(DiskQuery {
                instance_id: Some("i-bp1g6zv0ce8oghu7k005".into()),
                ..DiskQuery::default()
            })
        );
        assert!(app.busy());
        let rows = vec![
            disk("d-bp1data000000000002", "日志盘", "data", "/dev/xvdc", 200),
            disk("d-bp1sys0000000000001", "系统盘", "system", "/dev/xvda", 40),
            disk("d-bp1data000000000001", "data-01", "data", "/dev/xvdb", 100),
        ];
        answer(&mut app, id, Ok(Loaded::Disks(Page { rows, last: false })));
        answer(
            &mut app,
            id,
            Ok(Loaded::Disks(Page {
                rows: Vec::new(),
                last: true,
            })),
        );
        assert!(!app.busy());
        let devices: Vec<&str> = app
            .steps
            .disks
            .instance
            .disks
            .iter()
            .map(|d| d.device.as_str())
            .collect();
        assert_eq!(devices, ["/dev/xvda", "/dev/xvdb", "/dev/xvdc"]);
        insta::assert_snapshot!("instance_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("instance_160x48", render(&app, 160, 48));
        // Coming back to the same instance does not reload; ^R does.
        ctrl(&mut app, 'p');
        assert!(calls(&ctrl(&mut app, 'n')).is_empty());
        assert_eq!(calls(&ctrl(&mut app, 'r')).len(), 1);
    }

    #[test]
    fn a_failed_disk_listing_explains_and_retries() {
        let (mut app, effects) = disks_with(Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
        });
        let (id, _) = only_call(&effects);
        let error = crate::tui::testing::service_error("Forbidden.RAM", "User not authorized.");
        answer(&mut app, id, Err(error));
        assert!(app.overlay.is_some(), "error popup");
        let retried = key(&mut app, KeyCode::Char('r'));
        assert!(matches!(only_call(&retried).1, Call::Disks(_)));
    }

    #[test]
    fn a_snapshot_source_is_shown_read_only_with_its_size() {
        let (mut app, effects) = disks_with(Source::Snapshot {
            snapshot_id: SYSTEM.into(),
        });
        let (id, call) = only_call(&effects);
        let Call::Snapshots(query) = call else {
            panic!("looks up the snapshot: {call:?}");
        };
        assert_eq!(query.snapshot_ids, Some(vec![SYSTEM.to_owned()]));
        answer_snapshots(&mut app, id, sample_snapshots()[..1].to_vec());
        assert!(
            app.facts.snapshots.contains_key(SYSTEM),
            "facts for validate_with"
        );
        let screen = screen_text(&app, 80, 24);
        assert!(
            screen.contains("40 GiB (the image's system disk)"),
            "{screen}"
        );
        // Keys do not edit anything here.
        key(&mut app, KeyCode::Char('a'));
        key(&mut app, KeyCode::Char('e'));
        assert_eq!(
            app.spec.source,
            Source::Snapshot {
                snapshot_id: SYSTEM.into()
            }
        );
    }

    #[test]
    fn the_mapping_editor_builds_disks_from_snapshots_and_empty_ones() {
        let mut app = mapping();
        assert!(errors(&app).contains(&(Field::SourceDiskSnapshot(0), Some("OperationDenied"))));
        // The system disk's snapshot, from the picker.
        pick(&mut app, KeyCode::Enter, "web-system");
        assert_eq!(spec_disks(&app)[0].snapshot_id.as_deref(), Some(SYSTEM));
        assert!(app.facts.snapshots.contains_key(SYSTEM));
        assert!(errors(&app).is_empty(), "{:?}", app.findings);
        // A data disk from a snapshot (the list is loaded once), then an empty one.
        let effects = key(&mut app, KeyCode::Char('a'));
        assert!(calls(&effects).is_empty(), "snapshots already loaded");
        type_text(&mut app, "日志");
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('e'));
        let disks = spec_disks(&app);
        assert_eq!(disks.len(), 3);
        assert_eq!(disks[1].snapshot_id.as_deref(), Some(DATA));
        assert_eq!(disks[1].disk_type, DiskType::Data);
        assert_eq!(
            (disks[2].snapshot_id.as_deref(), disks[2].size),
            (None, Some(20))
        );
        assert_eq!(
            app.spec.source.devices(),
            [
                Some("/dev/xvda".into()),
                Some("/dev/xvdb".into()),
                Some("/dev/xvdc".into())
            ]
        );
        // The empty disk's size (focused after adding): too small, then not a number.
        key(&mut app, KeyCode::Enter);
        ctrl(&mut app, 'u');
        type_text(&mut app, "10");
        assert_eq!(spec_disks(&app)[2].size, Some(10));
        assert!(errors(&app).contains(&(
            Field::SourceDiskSize(2),
            Some("InvalidSize.ValueNotSupported")
        )));
        type_text(&mut app, "x");
        let problems = app.steps.disks.input_problems();
        assert_eq!(
            problems,
            ["Disk 3 size: \"10x\" is not a whole number of GiB."]
        );
        assert_eq!(app.step_errors(Step::Disks), 1);
        key(&mut app, KeyCode::Backspace);
        type_text(&mut app, "0");
        key(&mut app, KeyCode::Enter);
        assert_eq!(spec_disks(&app)[2].size, Some(100));
        assert_eq!(app.step_errors(Step::Disks), 0);
        // A typed device: the data disk before it moves on to the next free one.
        key(&mut app, KeyCode::Right);
        key(&mut app, KeyCode::Enter);
        type_text(&mut app, "/dev/xvdb");
        key(&mut app, KeyCode::Enter);
        assert_eq!(
            app.spec.source.devices(),
            [
                Some("/dev/xvda".into()),
                Some("/dev/xvdc".into()),
                Some("/dev/xvdb".into())
            ]
        );
        // A device in use is flagged.
        key(&mut app, KeyCode::Up);
        key(&mut app, KeyCode::Enter);
        type_text(&mut app, "/dev/xvdb");
        key(&mut app, KeyCode::Enter);
        assert!(errors(&app).contains(&(Field::SourceDiskDevice(2), Some("InvalidDevice.InUse"))));
        key(&mut app, KeyCode::Delete);
        assert_eq!(
            spec_disks(&app)[1].device,
            None,
            "Del: automatic device again"
        );
        assert!(errors(&app).is_empty(), "{:?}", app.findings);
    }

    #[test]
    fn a_data_disk_snapshot_can_be_promoted_to_system_disk() {
        let mut app = mapping();
        pick(&mut app, KeyCode::Enter, "日志");
        assert_eq!(spec_disks(&app)[0].snapshot_id.as_deref(), Some(DATA));
        assert_eq!(spec_disks(&app)[0].disk_type, DiskType::System);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("becomes the system disk"))
        );
        let warned: Vec<Field> = app
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(|f| f.field)
            .collect();
        assert_eq!(warned, [Field::Platform, Field::Architecture]);
        insta::assert_snapshot!("promoted_80x24", render(&app, 80, 24));
    }

    #[test]
    fn a_data_disk_can_be_made_the_system_disk() {
        let mut app = mapping();
        pick(&mut app, KeyCode::Enter, "web-system");
        pick(&mut app, KeyCode::Char('a'), "日志");
        key(&mut app, KeyCode::Char('e'));
        key(&mut app, KeyCode::Char('s'));
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("empty disk cannot"))
        );
        key(&mut app, KeyCode::Up);
        key(&mut app, KeyCode::Char('s'));
        let disks = spec_disks(&app);
        assert_eq!(
            disks
                .iter()
                .map(|d| (d.disk_type, d.snapshot_id.as_deref()))
                .collect::<Vec<_>>(),
            [
                (DiskType::System, Some(DATA)),
                (DiskType::Data, Some(SYSTEM)),
                (DiskType::Data, None),
            ]
        );
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("becomes the system disk"))
        );
        assert_eq!(app.steps.disks.focus, Focus::Disk(0, Cell::Source));
        assert!(errors(&app).is_empty(), "{:?}", app.findings);
    }

    #[test]
    fn unusable_snapshots_are_refused_with_the_reason() {
        let mut app = mapping();
        pick(&mut app, KeyCode::Enter, "nightly");
        assert_eq!(spec_disks(&app)[0].snapshot_id, None);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("still being created"))
        );
        assert!(app.steps.disks.picking.is_some(), "the picker stays open");
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Esc);
        assert!(
            app.steps.disks.picking.is_none(),
            "Esc clears the filter, then closes"
        );
        assert_eq!(app.step, Step::Disks);
    }

    #[test]
    fn disks_are_removed_but_the_system_disk_stays() {
        let mut app = mapping();
        key(&mut app, KeyCode::Char('e'));
        key(&mut app, KeyCode::Char('e'));
        assert_eq!(spec_disks(&app).len(), 3);
        key(&mut app, KeyCode::Char('d'));
        assert_eq!(spec_disks(&app).len(), 2);
        key(&mut app, KeyCode::Up);
        key(&mut app, KeyCode::Left);
        key(&mut app, KeyCode::Char('d'));
        assert_eq!(spec_disks(&app).len(), 2);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("system disk stays"))
        );
        // An emptied source keeps a size; the system disk cannot be emptied.
        key(&mut app, KeyCode::Delete);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("needs a snapshot"))
        );
    }

    #[test]
    fn at_most_sixteen_data_disks() {
        let mut app = mapping();
        for _ in 0..rules::MAX_DATA_DISKS {
            key(&mut app, KeyCode::Char('e'));
        }
        assert_eq!(spec_disks(&app).len(), 17);
        key(&mut app, KeyCode::Char('e'));
        key(&mut app, KeyCode::Char('a'));
        assert_eq!(spec_disks(&app).len(), 17);
        assert!(app.steps.disks.picking.is_none());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("at most 16 data disks"))
        );
        insta::assert_snapshot!("full_mapping_160x48", render(&app, 160, 48));
    }

    #[test]
    fn a_mapping_names_its_snapshots_after_a_lookup() {
        let (mut app, effects) = disks_with(Source::Disks(vec![
            DiskSpec {
                disk_type: DiskType::System,
                snapshot_id: Some(SYSTEM.into()),
                size: Some(30),
                device: None,
            },
            DiskSpec {
                disk_type: DiskType::Data,
                snapshot_id: Some("s-bp1missing0000000000".into()),
                size: None,
                device: None,
            },
        ]));
        let (id, _) = only_call(&effects);
        answer_snapshots(&mut app, id, sample_snapshots()[..1].to_vec());
        // The snapshot is 40 GiB: a 30 GiB system disk is too small.
        assert!(errors(&app).contains(&(
            Field::SourceDiskSize(0),
            Some("InvalidSize.ValueNotSupported")
        )));
        // A missing snapshot is not asked for again.
        ctrl(&mut app, 'p');
        assert!(calls(&ctrl(&mut app, 'n')).is_empty());
        insta::assert_snapshot!("mapping_errors_80x24", render(&app, 80, 24));
    }

    #[test]
    fn screen_mapping_80x24_and_picker() {
        let mut app = mapping();
        pick(&mut app, KeyCode::Enter, "web-system");
        pick(&mut app, KeyCode::Char('a'), "日志");
        key(&mut app, KeyCode::Char('e'));
        insta::assert_snapshot!("mapping_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("mapping_160x48", render(&app, 160, 48));
        key(&mut app, KeyCode::Char('a'));
        insta::assert_snapshot!("picker_80x24", render(&app, 80, 24));
    }

    #[test]
    fn sizes_parse_strictly() {
        assert_eq!(parse_size(""), Ok(None));
        assert_eq!(parse_size(" 40 "), Ok(Some(40)));
        assert!(parse_size("4O").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999").is_err());
    }
}
