//! What a key does on this step (`Action`) and the step's key map: one per mode (a list open, a
//! text being edited, a choice list open, a field at rest), driving the keys, the footer and the
//! help alike.

use crossterm::event::KeyCode;

use super::DetailsStep;
use super::fields::Slot;
use crate::tui::widgets::keymap::{Key, Keymap, tab_fields, up_down};
use crate::tui::widgets::picker::PickerAction;
use crate::tui::widgets::text_field::TextField;

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// A key for the focused field (edit its text, change or pick its value).
    Field,
    Next,
    Previous,
    Up,
    Down,
    /// Unset the focused field.
    Clear,
    /// Open the focused field's list.
    Open,
    /// Type the focused field's value instead of picking it.
    Type,
    /// Ask for the focused field's list again.
    Reload,
    /// A key for the open list.
    Picker(PickerAction),
    /// Take the open list's filter text as the value.
    UseTyped,
    /// Close the open list without choosing.
    ClosePicker,
}

impl DetailsStep {
    /// The keys for what has the focus: an open list, a text being edited, a choice list
    /// open, or a field at rest.
    pub(super) fn keymap(&self) -> Keymap<Action> {
        if let Some(slot) = self.open {
            return self.list_keymap(slot);
        }
        use KeyCode::*;
        let slot = self.slot();
        let text = self.text(slot);
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
        let widget = match slot {
            Slot::Platform => Some(self.platform.keymap(Action::Field)),
            Slot::Architecture => Some(self.architecture.keymap(Action::Field)),
            Slot::BootMode => Some(self.boot_mode.keymap(Action::Field)),
            _ => None,
        };
        let listed = matches!(slot, Slot::Family | Slot::ResourceGroup);
        let clear = Keymap::new()
            .bind(
                [Key::plain(Delete), Key::plain(Backspace)],
                Action::Clear,
                "clear",
            )
            .help("clear the field (unset)");
        let reload = Keymap::new()
            .bind([Key::ctrl('r'), Key::plain(F(5))], Action::Reload, "reload")
            .help(match slot {
                Slot::Family => "list the region's image families again",
                _ => "list the account's resource groups again",
            })
            .quiet();
        let map = match (text, widget) {
            (Some(field), _) if field.is_editing() => TextField::editing_keymap(Action::Field)
                .with(tabs, |a| a)
                .with(arrows(false), |a| a),
            (_, Some(choice)) if self.capturing() => choice.with(tabs, |a| a),
            (Some(_), _) if self.offers_list(slot) => Keymap::new()
                .bind([Key::plain(Enter)], Action::Open, "choose")
                .help(match slot {
                    Slot::Family => "choose from the families your images use in this region",
                    _ => "choose from the account's resource groups",
                })
                .bind([Key::char('e')], Action::Type, "type")
                .help(match slot {
                    Slot::Family => "type the family (a new one, too)",
                    _ => "type the resource group's ID",
                })
                .with(tabs, |a| a)
                .with(arrows(true), |a| a)
                .with(clear, |a| a)
                .with(reload, |a| a),
            (Some(_), _) => Keymap::new()
                .bind([Key::plain(Enter)], Action::Field, "edit")
                .help("edit the text")
                .with(tabs, |a| a)
                .with(arrows(true), |a| a)
                .with(clear, |a| a)
                .when(listed, |k| k.with(reload, |a| a)),
            (None, Some(choice)) => choice
                .with(tabs, |a| a)
                .with(arrows(true), |a| a)
                .bind(
                    [Key::plain(Delete), Key::plain(Backspace)],
                    Action::Clear,
                    "unset",
                )
                .help("unset the value (the API default applies)"),
            (None, None) => tabs,
        };
        map.note(
            "The image's own attributes. Everything is optional; unset leaves the API default.",
        )
        .note(
            "Problems show under each field as you type. Leaving the name checks it against \
                 your images in this region. {date} in the name becomes today's date.",
        )
        .note(
            "The family and the resource group are chosen from lists (Enter), or typed (e). \
             When a list cannot be had (no permission, say), Enter types and a note says why.",
        )
    }

    /// The keys of an open list: its picker's, Tab to take the typed text, Esc to close.
    fn list_keymap(&self, slot: Slot) -> Keymap<Action> {
        let picker = match slot {
            Slot::Family => self.lists.families.picker.keymap("choose"),
            _ => self.lists.groups.picker.keymap("choose"),
        };
        let typed = match slot {
            Slot::Family => "use the text typed as the family (a new one, too)",
            _ => "use the text typed as the resource group's ID",
        };
        // Tab first: while text is typed, it is the key worth seeing in a narrow footer.
        Keymap::new()
            .when(!self.typed().is_empty(), |k| {
                k.bind([Key::plain(KeyCode::Tab)], Action::UseTyped, "use typed")
                    .help(typed)
            })
            .with(picker, Action::Picker)
            .bind([Key::plain(KeyCode::Esc)], Action::ClosePicker, "cancel")
            .help("close the list without choosing")
            .note(match slot {
                Slot::Family => {
                    "The families your images use in this region, with how many images each \
                     holds (a family holds 100 at most, a region 100 families) and its newest \
                     image. Enter chooses one; to start a new family type its name and press \
                     Tab (or Enter when nothing matches)."
                }
                _ => {
                    "Your account's resource groups (Resource Manager), by ID, name and display \
                     name. Enter chooses one; an ID not listed can be typed and taken with Tab \
                     (or Enter when nothing matches)."
                }
            })
    }
}
