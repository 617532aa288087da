//! What a key does on this step (`Action`) and its key map for each screen: the snapshot
//! picker, the mapping editor (a cell focused or being edited), an instance's disks, a lone
//! snapshot. The one map drives the keys, the footer and the help.

use crossterm::event::KeyCode;

use super::mapping::data_count;
use super::{Cell, DisksStep, Focus};
use crate::spec::{DiskSpec, DiskType, Source, rules};
use crate::tui::widgets::keymap::{Key, Keymap};
use crate::tui::widgets::picker::PickerAction;
use crate::tui::widgets::text_field::TextField;

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Picker(PickerAction),
    ClosePicker,
    /// A key for the cell being edited.
    Edit,
    NextCell,
    PreviousCell,
    Up,
    Down,
    Left,
    Right,
    /// Enter on the focused cell: choose its snapshot, edit it, or add a disk.
    Open,
    AddSnapshot,
    AddEmpty,
    Remove,
    MakeSystem,
    Clear,
    Reload,
}

impl DisksStep {
    /// The keys for the screen the source shows: the snapshot picker, the mapping editor, an
    /// instance's disks or a lone snapshot.
    pub(super) fn keymap(&self, spec: &crate::spec::ImageSpec) -> Keymap<Action> {
        if self.picking.is_some() {
            return Keymap::new()
                .with(self.picker.keymap("choose"), Action::Picker)
                .bind([Key::plain(KeyCode::Esc)], Action::ClosePicker, "cancel")
                .help("close the list without choosing");
        }
        let reload = [Key::ctrl('r'), Key::plain(KeyCode::F(5))];
        let intro = "What the image contains. From an instance: every disk of it (CreateImage \
                     snapshots each one). From a snapshot: that system disk alone. From a disk \
                     mapping: the disks you list here.";
        match &spec.source {
            Source::Disks(disks) => self.mapping_keymap(disks).note(intro).note(
                "The system disk comes first; a data-disk snapshot can become it, and then the \
                 platform and architecture should be set in step 3. Sizes default to the \
                 snapshot's; devices to /dev/xvdb, /dev/xvdc, … in order.",
            ),
            Source::Instance { instance_id } if !instance_id.is_empty() => Keymap::new()
                .bind_each(
                    [
                        (Key::plain(KeyCode::Up), Action::Up),
                        (Key::plain(KeyCode::Down), Action::Down),
                        (Key::char('k'), Action::Up),
                        (Key::char('j'), Action::Down),
                    ],
                    "scroll",
                )
                .bind(reload, Action::Reload, "reload")
                .help("list the instance's disks again")
                .note(intro),
            Source::Snapshot { .. } => Keymap::new()
                .bind(reload, Action::Reload, "reload")
                .help("look the snapshot up again")
                .note(intro),
            Source::Instance { .. } => Keymap::new().note(intro),
        }
    }

    /// The mapping editor's keys for the focused cell (and whether it is being edited).
    fn mapping_keymap(&self, disks: &[DiskSpec]) -> Keymap<Action> {
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
}
