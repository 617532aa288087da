//! Step 3, image details: name, family, version, description (text fields), platform,
//! architecture, boot mode (choices from the API's value lists, "unset" leaving the API
//! default) and resource group. Every change goes straight into the spec, so the shared
//! validators report under the field as you type. A name is checked against the account's
//! images in the region (DescribeImages) when its field is left, and a name already taken is
//! flagged through `validate_with` before anything is submitted.
//!
//! The family and the resource group are picked from lists (`lists`): the families the
//! account's images use in the region, the account's resource groups. Typing stays possible
//! (a new family, an ID not listed), and is all there is when a list cannot be had.

mod fields;
mod keys;
mod lists;
mod picking;
mod view;

use chrono::{DateTime, Local, NaiveDate, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use self::fields::{SLOTS, Slot, architecture_options, boot_mode_options, platform_options};
use self::keys::Action;
use self::lists::Lists;
use super::{Answers, Keys, Reaction, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::spec::recipe::{DATE_PLACEHOLDER, expand_date};
use crate::spec::{Architecture, BootMode, Field, ImageSpec, rules};
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::choice::Choice;
use crate::tui::widgets::picker::PickerEvent;
use crate::tui::widgets::text_field::{Edit, Note, NoteKind, TextField, notes_for};

/// The local date `{date}` expands to, at `now`.
fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Local).date_naive()
}

/// Where the check of the name against the region's images stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NameCheck {
    Idle,
    Checking {
        id: RequestId,
        name: String,
    },
    /// The answer is in `facts.image_names_in_region`.
    Checked {
        name: String,
    },
    Failed {
        name: String,
        message: String,
    },
}

#[derive(Debug)]
pub struct DetailsStep {
    name: TextField,
    family: TextField,
    version: TextField,
    description: TextField,
    platform: Choice<&'static str>,
    architecture: Choice<Architecture>,
    boot_mode: Choice<BootMode>,
    resource_group: TextField,
    /// Index into [`SLOTS`].
    focus: usize,
    name_check: NameCheck,
    lists: Lists,
    /// The field whose list covers the form ([`Slot::Family`] or [`Slot::ResourceGroup`]).
    open: Option<Slot>,
}

impl Default for DetailsStep {
    fn default() -> Self {
        Self {
            name: TextField::new("Name").with_placeholder("not set"),
            family: TextField::new("Family").with_placeholder("not set: no family"),
            version: TextField::new("Version").with_placeholder("not set"),
            description: TextField::new("Description").with_placeholder("not set"),
            platform: Choice::new("Platform", platform_options()),
            architecture: Choice::new("Architecture", architecture_options()),
            boot_mode: Choice::new("Boot mode", boot_mode_options()),
            resource_group: TextField::new("Resource group")
                .with_placeholder("not set: the default resource group"),
            focus: 0,
            name_check: NameCheck::Idle,
            lists: Lists::default(),
            open: None,
        }
    }
}

/// Sets a field from the spec unless it already shows that (keeps the cursor).
fn sync(field: &mut TextField, value: &Option<String>) {
    let value = value.as_deref().unwrap_or("");
    if field.value() != value {
        field.set_value(value);
    }
}

impl DetailsStep {
    fn slot(&self) -> Slot {
        SLOTS[self.focus]
    }

    fn text(&self, slot: Slot) -> Option<&TextField> {
        match slot {
            Slot::Name => Some(&self.name),
            Slot::Family => Some(&self.family),
            Slot::Version => Some(&self.version),
            Slot::Description => Some(&self.description),
            Slot::ResourceGroup => Some(&self.resource_group),
            Slot::Platform | Slot::Architecture | Slot::BootMode => None,
        }
    }

    fn text_mut(&mut self, slot: Slot) -> Option<&mut TextField> {
        match slot {
            Slot::Name => Some(&mut self.name),
            Slot::Family => Some(&mut self.family),
            Slot::Version => Some(&mut self.version),
            Slot::Description => Some(&mut self.description),
            Slot::ResourceGroup => Some(&mut self.resource_group),
            Slot::Platform | Slot::Architecture | Slot::BootMode => None,
        }
    }

    /// Whether keys go to a widget first: a text being edited or an open list.
    fn capturing(&self) -> bool {
        match self.slot() {
            Slot::Platform => self.platform.is_open(),
            Slot::Architecture => self.architecture.is_open(),
            Slot::BootMode => self.boot_mode.is_open(),
            slot => self.text(slot).is_some_and(TextField::is_editing),
        }
    }

    fn widget_key(&mut self, slot: Slot, key: KeyEvent) -> Edit {
        match slot {
            Slot::Platform => self.platform.handle_key(key),
            Slot::Architecture => self.architecture.handle_key(key),
            Slot::BootMode => self.boot_mode.handle_key(key),
            slot => self
                .text_mut(slot)
                .map_or(Edit::Ignored, |field| field.handle_key(key)),
        }
    }

    /// The name the image gets: the field with `{date}` expanded.
    fn name_on(&self, now: DateTime<Utc>) -> String {
        expand_date(self.name.value(), today(now))
    }

    /// Writes one row's value into the spec.
    fn write(&self, slot: Slot, spec: &mut ImageSpec, now: DateTime<Utc>) {
        let image = &mut spec.image;
        match slot {
            Slot::Name => image.name = Some(self.name_on(now)).filter(|n| !n.is_empty()),
            Slot::Family => image.family = self.family.optional(),
            Slot::Version => image.version = self.version.optional(),
            Slot::Description => image.description = self.description.optional(),
            Slot::ResourceGroup => image.resource_group_id = self.resource_group.optional(),
            Slot::Platform => image.platform = self.platform.value().map(|p| (*p).to_owned()),
            Slot::Architecture => image.architecture = self.architecture.value().copied(),
            Slot::BootMode => image.boot_mode = self.boot_mode.value().copied(),
        }
    }

    /// Shows what the spec holds (it may have been filled before this step was built).
    fn load(&mut self, spec: &ImageSpec, now: DateTime<Utc>) {
        let image = &spec.image;
        // A name typed with `{date}` stays as typed while it still gives the spec's name.
        if Some(self.name_on(now)).filter(|n| !n.is_empty()) != image.name {
            sync(&mut self.name, &image.name);
        }
        sync(&mut self.family, &image.family);
        sync(&mut self.version, &image.version);
        sync(&mut self.description, &image.description);
        sync(&mut self.resource_group, &image.resource_group_id);
        let platform = rules::PLATFORMS
            .iter()
            .find(|p| image.platform.as_deref() == Some(**p));
        self.platform.select(platform);
        self.architecture.select(image.architecture.as_ref());
        self.boot_mode.select(image.boot_mode.as_ref());
    }

    /// Ends any edit or open list on the focused row (leaving the name starts its check).
    fn settle(&mut self, ctx: &mut StepCtx) {
        let slot = self.slot();
        if let Some(field) = self.text_mut(slot) {
            field.stop_editing();
        }
        self.platform.close();
        self.architecture.close();
        self.boot_mode.close();
        if slot == Slot::Name {
            self.check_name(ctx);
        }
    }

    fn move_focus(&mut self, to: usize, ctx: &mut StepCtx) {
        self.settle(ctx);
        self.focus = to.min(SLOTS.len() - 1);
    }

    /// Asks DescribeImages whether the name is taken, unless it was asked already, is empty
    /// or is malformed (the validators say so without a call).
    fn check_name(&mut self, ctx: &mut StepCtx) {
        let name = &self.name_on(ctx.now);
        let asked = match &self.name_check {
            NameCheck::Checking { name: n, .. } | NameCheck::Checked { name: n } => n == name,
            NameCheck::Idle | NameCheck::Failed { .. } => false,
        };
        if asked {
            return;
        }
        if let NameCheck::Checking { id, .. } = self.name_check {
            ctx.cancel(id);
        }
        self.name_check = if name.is_empty() || rules::image_name(name).is_err() {
            NameCheck::Idle
        } else if ctx.facts.image_names_in_region.contains(name) {
            NameCheck::Checked {
                name: name.to_owned(),
            }
        } else {
            let id = ctx.call(Call::ImagesNamed {
                name: name.to_owned(),
            });
            NameCheck::Checking {
                id,
                name: name.to_owned(),
            }
        };
    }

    /// Notes under a row: the validators' findings; for the name what `{date}` makes of it
    /// and the check's state; for a listed field what the list says of its value.
    fn notes(&self, slot: Slot, ctx: &ViewCtx) -> Vec<Note> {
        let mut notes = notes_for(ctx.findings, slot.field());
        match slot {
            Slot::Family => notes.extend(self.family_notes(ctx, notes.is_empty())),
            Slot::ResourceGroup => notes.extend(self.group_notes(ctx, notes.is_empty())),
            _ => {}
        }
        if slot != Slot::Name || self.name.value().is_empty() {
            return notes;
        }
        let name = self.name_on(ctx.now);
        if self.name.value().contains(DATE_PLACEHOLDER) {
            notes.insert(
                0,
                Note::info(format!("= {name} ({DATE_PLACEHOLDER} is today's date)")),
            );
        }
        match &self.name_check {
            NameCheck::Checking { name: checking, .. } if *checking == name => {
                notes.push(Note::info(format!(
                    "{} checking your images in {}…",
                    ctx.spinner(),
                    ctx.spec.region
                )));
            }
            NameCheck::Failed {
                name: failed,
                message,
            } if *failed == name => {
                notes.push(Note {
                    kind: NoteKind::Warning,
                    text: format!(
                        "Could not check whether the name is taken: {message} Leave the field \
                         again to retry."
                    ),
                });
            }
            _ => {}
        }
        notes
    }
}

/// An API error as one sentence for an inline note: its text and, when known, what it means.
fn describe(error: &ApiError) -> String {
    match error.explanation() {
        Some(e) => format!("{error}. {}", e.meaning),
        None => format!("{error}."),
    }
}

impl StepScreen for DetailsStep {
    fn focus(&mut self, field: Field) {
        if let Some(i) = SLOTS.iter().position(|s| s.field() == field) {
            self.focus = i;
        }
    }

    fn enter(&mut self, ctx: &mut StepCtx) {
        self.load(ctx.spec, ctx.now);
        self.check_name(ctx);
        self.lists.load_missing(ctx);
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        // The name check is not cancelled: its answer still belongs in the facts.
        self.settle(ctx);
        self.open = None;
        self.lists.stop(ctx);
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let Some(action) = self.keymap().action(&key) else {
            return Reaction::Ignored;
        };
        if self.open.is_some() {
            self.picker_key(action, key, ctx);
            return Reaction::Handled;
        }
        let slot = self.slot();
        let last = SLOTS.len() - 1;
        match action {
            Action::Field => match self.widget_key(slot, key) {
                Edit::Changed => self.write(slot, ctx.spec, ctx.now),
                Edit::Done if slot == Slot::Name => self.check_name(ctx),
                Edit::Done | Edit::Handled | Edit::Ignored => {}
            },
            Action::Next => self.move_focus((self.focus + 1) % SLOTS.len(), ctx),
            Action::Previous => self.move_focus((self.focus + last) % SLOTS.len(), ctx),
            Action::Down => self.move_focus(self.focus + 1, ctx),
            Action::Up => self.move_focus(self.focus.saturating_sub(1), ctx),
            Action::Open => self.open_list(slot),
            Action::Type => {
                if let Some(field) = self.text_mut(slot) {
                    field.start_editing();
                }
            }
            Action::Reload => self.reload(slot, ctx),
            Action::Picker(_) | Action::UseTyped | Action::ClosePicker => {}
            Action::Clear => {
                match slot {
                    Slot::Platform => {
                        self.platform.select(None);
                    }
                    Slot::Architecture => {
                        self.architecture.select(None);
                    }
                    Slot::BootMode => {
                        self.boot_mode.select(None);
                    }
                    slot => {
                        if let Some(field) = self.text_mut(slot) {
                            field.set_value("");
                        }
                    }
                }
                self.write(slot, ctx.spec, ctx.now);
            }
        }
        Reaction::Handled
    }

    /// The wheel scrolls an open list and a click selects a row (choosing takes Enter).
    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Reaction {
        let event = match self.open {
            Some(Slot::Family) => self.lists.families.picker.handle_mouse(event),
            Some(_) => self.lists.groups.picker.handle_mouse(event),
            None => PickerEvent::Ignored,
        };
        match event {
            PickerEvent::Ignored => Reaction::Ignored,
            _ => Reaction::Handled,
        }
    }

    fn paste(&mut self, text: &str, ctx: &mut StepCtx) -> Reaction {
        match self.open {
            Some(Slot::Family) => {
                self.lists.families.picker.handle_paste(text);
                return Reaction::Handled;
            }
            Some(_) => {
                self.lists.groups.picker.handle_paste(text);
                return Reaction::Handled;
            }
            None => {}
        }
        let slot = self.slot();
        match self.text_mut(slot) {
            Some(field) => {
                if field.paste(text) {
                    self.write(slot, ctx.spec, ctx.now);
                }
                Reaction::Handled
            }
            None => Reaction::Ignored,
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let Some(result) = self.lists.receive(id, result, ctx) else {
            return;
        };
        let NameCheck::Checking { id: expected, name } = &self.name_check else {
            return;
        };
        if *expected != id {
            return;
        }
        let name = name.clone();
        self.name_check = match result {
            Ok(Loaded::Images(images)) => {
                // The API matches names fuzzily: every name it returned is a real name in the
                // region, and `validate_with` compares exactly.
                ctx.facts
                    .image_names_in_region
                    .extend(images.into_iter().map(|i| i.image_name));
                NameCheck::Checked { name }
            }
            Ok(_) => NameCheck::Idle,
            Err(error) => NameCheck::Failed {
                name,
                message: describe(&error),
            },
        };
    }

    fn region_changed(&mut self, ctx: &mut StepCtx) {
        if let NameCheck::Checking { id, .. } = self.name_check {
            ctx.cancel(id);
        }
        ctx.facts.image_names_in_region.clear();
        self.name_check = NameCheck::Idle;
        self.lists.region_changed(ctx);
        if self.open == Some(Slot::Family) {
            self.open = None;
        }
    }

    fn retry(&mut self, ctx: &mut StepCtx) {
        self.check_name(ctx);
    }

    fn busy(&self) -> bool {
        matches!(self.name_check, NameCheck::Checking { .. }) || self.lists.busy()
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        self.draw(ctx, frame, area);
    }

    fn keys(&self, _answers: Answers) -> Keys {
        self.keymap().keys()
    }
}

#[cfg(test)]
mod tests;
