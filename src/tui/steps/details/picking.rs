//! Picking from a field's list: opening it, its keys, and what choosing (or typing) sets.

use crossterm::event::KeyEvent;

use super::fields::Slot;
use super::{Action, DetailsStep};
use crate::tui::steps::StepCtx;
use crate::tui::widgets::picker::{PickerAction, PickerEvent};

impl DetailsStep {
    /// Reloads the list of `slot`, if it has one.
    pub(super) fn reload(&mut self, slot: Slot, ctx: &mut StepCtx) {
        match slot {
            Slot::Family => self.lists.reload_families(ctx),
            Slot::ResourceGroup => self.lists.reload_groups(ctx),
            _ => {}
        }
    }

    /// Opens the list of `slot` with an empty filter, at the field's value.
    pub(super) fn open_list(&mut self, slot: Slot) {
        let value = self
            .text(slot)
            .map(|f| f.value().to_owned())
            .unwrap_or_default();
        match slot {
            Slot::Family => {
                self.lists.families.picker.set_query("");
                self.lists.families.picker.select_key(&value);
            }
            _ => {
                self.lists.groups.picker.set_query("");
                self.lists.groups.picker.select_key(&value);
            }
        }
        self.open = Some(slot);
    }

    /// Whether `slot` is picked from a list now (else it is typed).
    pub(super) fn offers_list(&self, slot: Slot) -> bool {
        match slot {
            Slot::Family => self.lists.families.offered(),
            Slot::ResourceGroup => self.lists.groups.offered(),
            _ => false,
        }
    }

    /// The open list's filter text.
    pub(super) fn typed(&self) -> &str {
        match self.open {
            Some(Slot::Family) => self.lists.families.picker.query(),
            Some(_) => self.lists.groups.picker.query(),
            None => "",
        }
    }

    /// A key while a list is open.
    pub(super) fn picker_key(&mut self, action: Action, key: KeyEvent, ctx: &mut StepCtx) {
        let Some(slot) = self.open else {
            return;
        };
        match action {
            Action::Picker(action) => {
                let event = match slot {
                    Slot::Family => self.lists.families.picker.act(action, key),
                    _ => self.lists.groups.picker.act(action, key),
                };
                self.picker_event(slot, action, event, ctx);
            }
            Action::UseTyped => self.use_typed(slot, ctx),
            Action::ClosePicker => self.open = None,
            _ => {}
        }
    }

    fn picker_event(
        &mut self,
        slot: Slot,
        action: PickerAction,
        event: PickerEvent,
        ctx: &mut StepCtx,
    ) {
        match event {
            PickerEvent::Chosen(i) => {
                let value = match slot {
                    Slot::Family => self.lists.families.picker.rows()[i].name.clone(),
                    _ => self.lists.groups.picker.rows()[i].id.clone(),
                };
                self.pick(slot, &value, ctx);
            }
            PickerEvent::Refused(reason) => ctx.notify(format!("That cannot be chosen: {reason}.")),
            PickerEvent::Refresh => self.reload(slot, ctx),
            // Enter with nothing listed to choose takes what was typed.
            PickerEvent::Handled if action == PickerAction::Choose => self.use_typed(slot, ctx),
            PickerEvent::Handled | PickerEvent::Ignored => {}
        }
    }

    /// The open list's filter text becomes the value (nothing happens while it is empty).
    fn use_typed(&mut self, slot: Slot, ctx: &mut StepCtx) {
        let typed = self.typed().trim().to_owned();
        if !typed.is_empty() {
            self.pick(slot, &typed, ctx);
        }
    }

    /// Sets `slot` to `value` and closes its list.
    fn pick(&mut self, slot: Slot, value: &str, ctx: &mut StepCtx) {
        if let Some(field) = self.text_mut(slot) {
            field.set_value(value);
        }
        self.write(slot, ctx.spec, ctx.now);
        self.open = None;
    }
}
