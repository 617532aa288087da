//! What a key does on this step (`Action`) and its key map for each screen: the snapshot
//! picker, the mapping editor (its keys per cell are the editor's, in `mapping`), an instance's
//! disks, a lone snapshot. The one map drives the keys, the footer and the help.

use crossterm::event::KeyCode;

use super::DisksStep;
use crate::spec::{ImageSpec, Source};
use crate::tui::widgets::keymap::{Key, Keymap};
use crate::tui::widgets::picker::PickerAction;

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
    pub(super) fn keymap(&self, spec: &ImageSpec) -> Keymap<Action> {
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
}
