//! Step 3, image details: name, family, version, description (text fields), platform,
//! architecture, boot mode (choices from the API's value lists, "unset" leaving the API
//! default) and resource group. Every change goes straight into the spec, so the shared
//! validators report under the field as you type. A name is checked against the account's
//! images in the region (DescribeImages) when its field is left, and a name already taken is
//! flagged through `validate_with` before anything is submitted.

mod fields;

use chrono::{DateTime, Local, NaiveDate, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use self::fields::{SLOTS, Slot, architecture_options, boot_mode_options, platform_options};
use super::{Answers, Keys, Outcome, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::spec::recipe::{DATE_PLACEHOLDER, expand_date};
use crate::spec::{Architecture, BootMode, Field, ImageSpec, rules};
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::choice::Choice;
use crate::tui::widgets::keymap::{Key, Keymap};
use crate::tui::widgets::text_field::{Edit, FormRow, Note, NoteKind, TextField, notes_for, wrap};

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// A key for the focused field (edit its text, change or pick its value).
    Field,
    Next,
    Previous,
    Up,
    Down,
    /// Unset the focused field.
    Clear,
}

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

    /// Notes under a row: the validators' findings, and for the name what `{date}` makes of it
    /// and the check's state.
    fn notes(&self, slot: Slot, ctx: &ViewCtx) -> Vec<Note> {
        let mut notes = notes_for(ctx.findings, slot.field());
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
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        // The name check is not cancelled: its answer still belongs in the facts.
        self.settle(ctx);
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        let Some(action) = self.keymap().action(&key) else {
            return Outcome::Ignored;
        };
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
        Outcome::Handled
    }

    fn paste(&mut self, text: &str, ctx: &mut StepCtx) -> Outcome {
        let slot = self.slot();
        match self.text_mut(slot) {
            Some(field) => {
                if field.paste(text) {
                    self.write(slot, ctx.spec, ctx.now);
                }
                Outcome::Handled
            }
            None => Outcome::Ignored,
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
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
    }

    fn retry(&mut self, ctx: &mut StepCtx) {
        self.check_name(ctx);
    }

    fn busy(&self) -> bool {
        matches!(self.name_check, NameCheck::Checking { .. })
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let labels = [
            self.name.label(),
            self.family.label(),
            self.version.label(),
            self.description.label(),
            self.platform.label(),
            self.architecture.label(),
            self.boot_mode.label(),
            self.resource_group.label(),
        ];
        let label_width = FormRow::label_width(labels);
        let notes: Vec<Vec<Note>> = SLOTS.iter().map(|s| self.notes(*s, ctx)).collect();
        let row = |i: usize| FormRow {
            theme: ctx.theme,
            label_width,
            focused: i == self.focus,
            notes: &notes[i],
        };
        let heights: Vec<u16> = (0..SLOTS.len())
            .map(|i| row(i).height(area.width))
            .collect();
        let hint = wrap(
            self.slot().hint(),
            usize::from(area.width.saturating_sub(4)),
        );
        let hint_height = u16::try_from(hint.len()).unwrap_or(0) + 1;
        // Scroll just enough to keep the focused row (and the rows above it, when they fit)
        // on screen.
        let room = area.height.saturating_sub(hint_height).max(1);
        let mut first = 0;
        while first < self.focus && heights[first..=self.focus].iter().sum::<u16>() > room {
            first += 1;
        }
        let mut y = area.y;
        let mut anchors = vec![Rect::default(); SLOTS.len()];
        for (i, slot) in SLOTS.iter().enumerate().skip(first) {
            let height = heights[i];
            if y + height > area.y + room {
                break;
            }
            let rect = Rect::new(area.x, y, area.width, height);
            anchors[i] = rect;
            let row = row(i);
            match slot {
                Slot::Platform => self.platform.render(frame, rect, &row),
                Slot::Architecture => self.architecture.render(frame, rect, &row),
                Slot::BootMode => self.boot_mode.render(frame, rect, &row),
                slot => {
                    if let Some(field) = self.text(*slot) {
                        field.render(frame, rect, &row);
                    }
                }
            }
            y += height;
        }
        for (line, hint_y) in hint.iter().zip(y + 1..area.bottom()) {
            let width = usize::from(area.width.saturating_sub(2));
            frame
                .buffer_mut()
                .set_stringn(area.x + 2, hint_y, line, width, ctx.theme.muted);
        }
        let focused = row(self.focus);
        let anchor = anchors[self.focus];
        match self.slot() {
            Slot::Platform => self.platform.render_popup(frame, anchor, area, &focused),
            Slot::Architecture => self
                .architecture
                .render_popup(frame, anchor, area, &focused),
            Slot::BootMode => self.boot_mode.render_popup(frame, anchor, area, &focused),
            _ => {}
        }
    }

    fn keys(&self, _answers: Answers) -> Keys {
        self.keymap().keys()
    }
}

impl DetailsStep {
    /// The keys for the focused field: a text being edited, a list open, or a field at rest.
    fn keymap(&self) -> Keymap<Action> {
        use KeyCode::*;
        let slot = self.slot();
        let text = self.text(slot);
        let tabs = Keymap::new()
            .bind_each(
                [
                    (Key::plain(Tab), Action::Next),
                    (Key::plain(BackTab), Action::Previous),
                ],
                "field",
            )
            .help("next / previous field");
        let arrows = |plain: bool| {
            Keymap::new()
                .bind_each(
                    [
                        (Key::plain(Up), Action::Up),
                        (Key::plain(Down), Action::Down),
                    ],
                    "field",
                )
                .help("field above / below")
                .quiet()
                .when(plain, |k| {
                    k.bind_each(
                        [(Key::char('k'), Action::Up), (Key::char('j'), Action::Down)],
                        "field",
                    )
                    .help("field above / below")
                    .quiet()
                })
        };
        let widget = match slot {
            Slot::Platform => Some(self.platform.keymap(Action::Field)),
            Slot::Architecture => Some(self.architecture.keymap(Action::Field)),
            Slot::BootMode => Some(self.boot_mode.keymap(Action::Field)),
            _ => None,
        };
        let map = match (text, widget) {
            (Some(field), _) if field.is_editing() => TextField::editing_keymap(Action::Field)
                .with(tabs, |a| a)
                .with(arrows(false), |a| a),
            (_, Some(choice)) if self.capturing() => choice.with(tabs, |a| a),
            (Some(_), _) => Keymap::new()
                .bind([Key::plain(Enter)], Action::Field, "edit")
                .help("edit the text")
                .with(tabs, |a| a)
                .with(arrows(true), |a| a)
                .bind(
                    [Key::plain(Delete), Key::plain(Backspace)],
                    Action::Clear,
                    "clear",
                )
                .help("clear the field (unset)"),
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
    }
}

#[cfg(test)]
mod tests;
