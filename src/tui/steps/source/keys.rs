//! What a key does on this step (`Action`) and its key map: the stop dialog's, the question
//! before an edited mapping is replaced, or the source tabs with their pickers. The one map
//! drives the keys, the footer and the help.

use crossterm::event::KeyCode;

use super::stop::StopAction;
use super::{SourceKind, SourceStep};
use crate::tui::widgets::keymap::{Key, Keymap};
use crate::tui::widgets::picker::PickerAction;

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    NextKind,
    PreviousKind,
    Picker(PickerAction),
    EditDisks,
    Stop(StopAction),
    /// Replace the edited mapping with the pending choice.
    Replace,
    KeepMapping,
    /// A modal question is open: other keys do nothing.
    Nothing,
}

impl SourceStep {
    /// The keys for what is open: the stop dialog, the replace question, or a source tab.
    pub(super) fn keymap(&self) -> Keymap<Action> {
        if let Some(stop) = &self.stop {
            return Keymap::new().with(stop.keymap(), Action::Stop);
        }
        if self.replacing.is_some() {
            return Keymap::new()
                .bind([Key::char('y')], Action::Replace, "replace the mapping")
                .help("discard the disk mapping and use this source")
                .bind(
                    [Key::char('n'), Key::plain(KeyCode::Esc)],
                    Action::KeepMapping,
                    "keep it",
                )
                .help("keep the disk mapping")
                .bind([Key::Any], Action::Nothing, "nothing")
                .help("other keys wait for an answer")
                .quiet();
        }
        let tabs = Keymap::new()
            .bind_each(
                [
                    (Key::plain(KeyCode::Tab), Action::NextKind),
                    (Key::plain(KeyCode::BackTab), Action::PreviousKind),
                ],
                "source type",
            )
            .help("instance, system-disk snapshot, or disk mapping");
        let map = match self.kind {
            SourceKind::Instance => Keymap::new()
                .with(self.instances.keymap("choose"), Action::Picker)
                .with(tabs, |a| a),
            SourceKind::Snapshot => Keymap::new()
                .with(self.snapshots.keymap("choose"), Action::Picker)
                .with(tabs, |a| a),
            SourceKind::Mapping => Keymap::new()
                .bind(
                    [Key::plain(KeyCode::Enter)],
                    Action::EditDisks,
                    "edit disks",
                )
                .help("open the disk editor (step 2)")
                .with(tabs, |a| a),
        };
        map.note("Rows marked ✗ cannot become an image; the reason shows below the list.")
            .note("A Running instance works; stopping it first keeps its data consistent.")
            .note(
                "ecsimg offers StopInstances (KeepCharging unless you choose StopCharging), waits \
                 until the instance is Stopped, and offers to start it again once the image is \
                 built.",
            )
    }
}
