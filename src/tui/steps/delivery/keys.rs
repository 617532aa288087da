//! What a key does on this step (`Action`) and its key map for what has the focus (the region
//! list open, a text being typed, a choice list open, or a row at rest), driving the keys, the
//! footer and the help.

use crossterm::event::KeyCode;

use super::{DeliveryStep, Focus};
use crate::spec::ImageSpec;
use crate::tui::widgets::keymap::{Key, Keymap, tab_fields, up_down};
use crate::tui::widgets::picker::PickerAction;
use crate::tui::widgets::text_field::TextField;

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// A key for the focused text or choice.
    Field,
    Next,
    Previous,
    Up,
    Down,
    /// Open the list of regions to copy to.
    OpenRegions,
    /// Add the account ID typed.
    AddAccount,
    RemoveAccount,
    /// Confirm the images a delete takes.
    Confirm,
    /// List the family's images again.
    Reload,
    /// A key for the region list.
    Picker(PickerAction),
    /// Add the region typed into the list's filter (one the list lacks).
    UseTyped,
    ClosePicker,
}

impl DeliveryStep {
    pub(super) fn keymap(&self, spec: &ImageSpec) -> Keymap<Action> {
        use KeyCode::*;
        if self.picking {
            let done = Keymap::new()
                .bind([Key::plain(Esc)], Action::ClosePicker, "done")
                .help("close the list, keeping the regions chosen");
            // Esc clears a filter first (the picker's own binding); without one it closes,
            // and the footer shows it early.
            let filtered = !self.regions.picker.query().is_empty();
            return Keymap::new()
                .when(filtered, |k| {
                    k.bind([Key::plain(Tab)], Action::UseTyped, "add typed")
                        .help("add the region ID typed, for one the list lacks")
                })
                .when(!filtered, |k| k.with(done.clone(), |a| a))
                .with(self.regions.picker.keymap("add/remove"), Action::Picker)
                .with(done, |a| a)
                .note(
                    "Enter adds the selected region to the copies, or takes it out. Copies are \
                     made one at a time, in the order chosen (the numbers). The region the \
                     image is built in cannot be chosen. A region the list lacks (or every \
                     region, when it cannot be listed) is typed and added with Tab.",
                );
        }
        let tabs = tab_fields(Action::Next, Action::Previous);
        let arrows = |letters| {
            up_down(
                Action::Up,
                Action::Down,
                "field",
                "field above / below",
                letters,
            )
        };
        let editing = self.text(self.focus).is_some_and(TextField::is_editing);
        let map = if editing {
            Keymap::new()
                .when(self.focus == Focus::AddAccount, |k| {
                    k.bind([Key::plain(Enter)], Action::AddAccount, "add")
                        .help("add the account typed (an empty field finishes)")
                })
                .with(TextField::editing_keymap(Action::Field), |a| a)
                .with(tabs, |a| a)
                .with(arrows(false), |a| a)
        } else if self.choice_open() {
            let choice = match self.focus {
                Focus::TagSnapshots => self.tag_snapshots.keymap(Action::Field),
                Focus::Encrypt => self.encrypt.keymap(Action::Field),
                _ => self.retire.keymap(Action::Field),
            };
            choice.with(tabs, |a| a)
        } else {
            let row = match self.focus {
                Focus::Regions => Keymap::new()
                    .bind([Key::plain(Enter)], Action::OpenRegions, "choose regions")
                    .help("choose the regions to copy the image to"),
                Focus::CopyName | Focus::CopyDescription | Focus::Keep => Keymap::new()
                    .bind([Key::plain(Enter)], Action::Field, "edit")
                    .help("edit the text"),
                Focus::Key(_) => Keymap::new()
                    .bind([Key::plain(Enter)], Action::Field, "edit key")
                    .help("type the ID of the KMS key for this region's copy (empty: none)"),
                Focus::AddAccount => Keymap::new()
                    .bind([Key::plain(Enter)], Action::Field, "type an account")
                    .help("type an account ID to share the image with"),
                Focus::Account(_) => Keymap::new()
                    .bind(
                        [Key::char('d'), Key::char('-'), Key::plain(Delete)],
                        Action::RemoveAccount,
                        "remove",
                    )
                    .help("stop sharing with this account"),
                Focus::TagSnapshots => self.tag_snapshots.keymap(Action::Field),
                Focus::Retire => self.retire.keymap(Action::Field),
                Focus::Encrypt => self.encrypt.keymap(Action::Field),
            };
            // The confirmation first: it is the key the footer must not lose.
            Keymap::new()
                .when(self.retirements.awaiting(spec), |k| {
                    k.bind([Key::char('y')], Action::Confirm, "confirm deletion")
                        .help("confirm the images listed: these are the ones retiring deletes")
                })
                .with(row, |a| a)
                .with(tabs, |a| a)
                .with(arrows(true), |a| a)
                .when(self.retire.value().is_some(), |k| {
                    k.bind(
                        [Key::ctrl('r'), Key::plain(F(5))],
                        Action::Reload,
                        "list again",
                    )
                    .help("list the family's images again")
                    .quiet()
                })
        };
        map.note(
            "What happens once the image is Available. Everything is optional: with nothing \
             set the image stays where it is built.",
        )
        .note(
            "Copies are made one at a time, in the order chosen; each joins the family in its \
             region and is shared (its snapshots tagged) like the image. {region} in a copy's name or \
             description becomes its region, {date} the UTC day it is sent (YYYYMMDD).",
        )
        .note(
            "Encrypt copies: every copy is made encrypted, with the KMS key given for its \
             region (a key serves only its own region). Without a key ECS picks one (the \
             service key, presumably), and ECS shares no image encrypted with the service key; \
             it shares an encrypted image only when it has one snapshot.",
        )
        .note(
            "Retiring needs an image family: past the newest images kept (the new one \
             included) older ones are deprecated or deleted, in every region delivered to. \
             Images in use or shared are left alone. A delete must be confirmed (y) against \
             the list shown, again whenever the list changes.",
        )
    }
}
