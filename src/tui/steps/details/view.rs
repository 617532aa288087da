//! The step's screens: the form, and a field's list when it is open (the list, what typing
//! would take, and the notes the lists add under their fields).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::DetailsStep;
use super::fields::{SLOTS, Slot};
use super::lists::FAMILIES_PER_REGION;
use crate::spec::{ImageSpec, Severity, validate};
use crate::text::wrap;
use crate::tui::steps::ViewCtx;
use crate::tui::widgets::picker::{LoadState, PickerStyle};
use crate::tui::widgets::text_field::{FormRow, Note, NoteKind};

impl DetailsStep {
    /// The open list if there is one, else the form.
    pub(super) fn draw(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        match self.open {
            Some(slot) => self.view_picker(slot, ctx, frame, area),
            None => self.view_form(ctx, frame, area),
        }
    }

    /// The form: one row per field, the focused field's hint under it, an open choice list
    /// on top.
    pub(super) fn view_form(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
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

    /// A field's list over the whole step: a title, the picker, and under it what the text
    /// typed would give (checked by the spec's rules as it is typed).
    pub(super) fn view_picker(&self, slot: Slot, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        if area.height < 3 {
            return;
        }
        let theme = ctx.theme;
        let region = &ctx.spec.region;
        let (title, empty) = match slot {
            Slot::Family => (
                format!("Image family: the families your images use in {region}"),
                format!("No image of yours in {region} has a family yet: type a new one."),
            ),
            _ => (
                "Resource group: the account's resource groups".to_owned(),
                "No resource groups are listed: type an ID.".to_owned(),
            ),
        };
        frame.buffer_mut().set_line(
            area.x,
            area.y,
            &Line::styled(title, theme.title),
            area.width,
        );
        let (kind, text) = self.typed_line(slot, ctx);
        let style = match kind {
            NoteKind::Error => theme.error,
            NoteKind::Warning => theme.warning,
            NoteKind::Info => theme.muted,
        };
        let bottom = area.bottom() - 1;
        frame
            .buffer_mut()
            .set_stringn(area.x, bottom, text, usize::from(area.width), style);
        let list = Rect {
            y: area.y + 1,
            height: area.height - 2,
            ..area
        };
        let style = PickerStyle {
            theme,
            spinner: ctx.spinner(),
            focused: ctx.focused,
            empty: &empty,
        };
        match slot {
            Slot::Family => self.lists.families.picker.render(&style, frame, list),
            _ => self.lists.groups.picker.render(&style, frame, list),
        }
    }

    /// What Tab (or Enter, when nothing matches) would make of the text typed into the list's
    /// filter, judged by the spec's own rules.
    fn typed_line(&self, slot: Slot, ctx: &ViewCtx) -> (NoteKind, String) {
        let typed = self.typed().trim();
        let (what, listed) = match slot {
            Slot::Family => ("a new family", self.lists.family(typed).is_some()),
            _ => ("an ID not listed", self.lists.group(typed).is_some()),
        };
        if typed.is_empty() {
            return (
                NoteKind::Info,
                format!("Type to filter, or type {what} and press Tab."),
            );
        }
        let mut spec: ImageSpec = ctx.spec.clone();
        match slot {
            Slot::Family => spec.image.family = Some(typed.to_owned()),
            _ => spec.image.resource_group_id = Some(typed.to_owned()),
        }
        let problem = validate(&spec)
            .into_iter()
            .find(|f| f.field == slot.field() && f.severity == Severity::Error);
        if let Some(problem) = problem {
            return (NoteKind::Error, format!("✗ “{typed}”: {}", problem.message));
        }
        let keys = if self.matches_none() {
            "Enter or Tab"
        } else {
            "Tab"
        };
        let as_what = if listed {
            String::new()
        } else {
            format!(" ({what})")
        };
        (NoteKind::Info, format!("{keys} takes “{typed}”{as_what}."))
    }

    /// Whether the open list shows no row for the filter.
    fn matches_none(&self) -> bool {
        match self.open {
            Some(Slot::Family) => self.lists.families.picker.match_count() == 0,
            Some(_) => self.lists.groups.picker.match_count() == 0,
            None => false,
        }
    }

    /// What the family list says of the family field: the list's state, or the chosen
    /// family's images against its quota. `clean` says the validators found nothing.
    pub(super) fn family_notes(&self, ctx: &ViewCtx, clean: bool) -> Vec<Note> {
        let families = &self.lists.families;
        if let Some(why) = &families.unavailable {
            return vec![warning(format!("{why} Type the family; ^R tries again."))];
        }
        let Some(name) = ctx.spec.image.family.as_deref() else {
            return loading(
                families.picker.load_state(),
                "listing your image families",
                ctx,
            );
        };
        if let Some(family) = self.lists.family(name) {
            let newest = format!(
                "newest {} ({})",
                family.newest,
                family
                    .newest_created
                    .get(..10)
                    .unwrap_or(&family.newest_created)
            );
            if family.is_full() {
                return vec![warning(format!(
                    "This family is full: {} images, the most a family holds \
                     (ImageQuotaExceed.ImageFamily). Delete old images or choose another.",
                    family.images
                ))];
            }
            return vec![Note::info(format!("{} images; {newest}", family.count()))];
        }
        if *families.picker.load_state() != LoadState::Complete || !clean {
            return loading(
                families.picker.load_state(),
                "listing your image families",
                ctx,
            );
        }
        let count = families.picker.rows().len();
        if count >= FAMILIES_PER_REGION {
            return vec![warning(format!(
                "A new family, but {} already has {count} families, the most a region holds \
                 (ImageFamilyQuotaExceed): choose one of them.",
                ctx.spec.region
            ))];
        }
        vec![Note::info("A new family in this region.")]
    }

    /// What the resource group list says of the resource group field: the list's state, or
    /// the chosen group's name and display name. `clean` says the validators found nothing.
    pub(super) fn group_notes(&self, ctx: &ViewCtx, clean: bool) -> Vec<Note> {
        let groups = &self.lists.groups;
        if let Some(why) = &groups.unavailable {
            return vec![warning(format!("{why} Type an ID (rg-…); ^R tries again."))];
        }
        let Some(id) = ctx.spec.image.resource_group_id.as_deref() else {
            return loading(
                groups.picker.load_state(),
                "listing your resource groups",
                ctx,
            );
        };
        if let Some(group) = self.lists.group(id) {
            let named = if group.display_name.is_empty() || group.display_name == group.name {
                format!("= {}", group.name)
            } else {
                format!("= {} (display name {})", group.name, group.display_name)
            };
            return vec![Note::info(named)];
        }
        if *groups.picker.load_state() == LoadState::Complete && clean {
            return vec![warning(
                "Not one of the account's resource groups: CreateImage would refuse it \
                 (InvalidResourceGroup.NotFound).",
            )];
        }
        loading(
            groups.picker.load_state(),
            "listing your resource groups",
            ctx,
        )
    }
}

/// A spinner and `what` while a list loads; nothing otherwise.
fn loading(state: &LoadState, what: &str, ctx: &ViewCtx) -> Vec<Note> {
    if *state == LoadState::Loading {
        vec![Note::info(format!("{} {what}…", ctx.spinner()))]
    } else {
        Vec::new()
    }
}

fn warning(text: impl Into<String>) -> Note {
    Note {
        kind: NoteKind::Warning,
        text: text.into(),
    }
}
