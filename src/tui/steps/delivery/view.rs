//! The step's screens: the form with the retirement list under it (beside it on wide
//! terminals), and the region list when it is open.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::encryption;
use super::retire::Listing;
use super::{DeliveryStep, Focus};
use crate::delivery::Retirement;
use crate::spec::validate::MAX_SHARED_ACCOUNTS;
use crate::spec::{Field, RetireAction};
use crate::text::wrap;
use crate::tui::step::Step;
use crate::tui::steps::ViewCtx;
use crate::tui::widgets::picker::{PickerStyle, put, short_time};
use crate::tui::widgets::text_field::{FormRow, Note, NoteKind, notes_for};

/// From this width the retirement list goes beside the form.
const SIDE_BY_SIDE: u16 = 150;

const LABELS: [&str; 9] = [
    "Copy to",
    "Copy name",
    "Copy description",
    "Encrypt copies",
    "Share with",
    "Add account",
    "Tag snapshots",
    "Retire",
    "Keep newest",
];

impl DeliveryStep {
    pub(super) fn draw(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        if self.picking {
            return self.view_regions(ctx, frame, area);
        }
        let lines = self.retirement_lines(ctx);
        if area.width >= SIDE_BY_SIDE {
            let form_width = area.width / 2;
            let form = Rect {
                width: form_width,
                ..area
            };
            let list = Rect {
                x: area.x + form_width + 2,
                width: area.width - form_width - 2,
                ..area
            };
            self.view_form(ctx, frame, form);
            render_lines(frame, list, &wrapped(&lines, list.width), ctx);
        } else {
            // The list takes what it needs up to half the height (and a blank row above it);
            // the form scrolls in the rest.
            let lines = wrapped(&lines, area.width);
            let keep = match u16::try_from(lines.len()).unwrap_or(u16::MAX) {
                0 => 0,
                n => n.min(area.height / 2) + 1,
            };
            let form = Rect {
                height: area.height.saturating_sub(keep),
                ..area
            };
            let used = self.view_form(ctx, frame, form);
            let top = area.y + used + 1;
            let list = Rect::new(
                area.x,
                top.min(area.bottom()),
                area.width,
                area.bottom().saturating_sub(top),
            );
            render_lines(frame, list, &lines, ctx);
        }
    }

    /// The notes under one row: the validators' findings and what the step adds.
    fn notes(&self, focus: Focus, ctx: &ViewCtx) -> Vec<Note> {
        let spec = ctx.spec;
        let mut notes = Vec::new();
        match focus {
            Focus::Regions => {
                notes.extend(notes_for(ctx.findings, Field::Delivery));
                let copies = spec.delivery.as_ref().map_or(0, |d| d.copy_to.len());
                for i in 0..copies {
                    notes.extend(notes_for(ctx.findings, Field::DeliveryCopyTo(i)));
                }
            }
            Focus::CopyName => notes.extend(notes_for(ctx.findings, Field::DeliveryCopyName)),
            Focus::CopyDescription => {
                notes.extend(notes_for(ctx.findings, Field::DeliveryCopyDescription));
            }
            Focus::Encrypt => notes.extend(encryption::encrypt_notes(spec, ctx.findings)),
            Focus::Key(i) => notes.extend(self.keys.notes(i, spec, ctx.findings)),
            Focus::Account(i) => {
                notes.extend(notes_for(ctx.findings, Field::DeliveryShareWith(i)));
            }
            Focus::AddAccount => {
                notes.extend(notes_for(
                    ctx.findings,
                    Field::DeliveryShareWith(MAX_SHARED_ACCOUNTS),
                ));
                match self.account_refusal(spec) {
                    Some(reason) => notes.push(Note {
                        kind: NoteKind::Error,
                        text: reason,
                    }),
                    None if !self.account.value().trim().is_empty() => {
                        notes.push(Note::info("Enter adds it."));
                    }
                    None => {}
                }
            }
            Focus::TagSnapshots => {
                notes.extend(notes_for(ctx.findings, Field::DeliveryTagSnapshots));
                let on = spec.delivery.as_ref().is_some_and(|d| d.tag_snapshots);
                if spec.tags.is_empty() && (on || self.focus == focus) {
                    notes.push(Note::info(format!(
                        "The image has no tags (step {}): there is nothing to put on its \
                         snapshots.",
                        Step::Tags.number()
                    )));
                }
            }
            Focus::Retire => {
                notes.extend(notes_for(ctx.findings, Field::DeliveryRetire));
                notes.extend(notes_for(ctx.findings, Field::DeliveryRetireAction));
                let no_family = spec.image.family.as_deref().is_none_or(str::is_empty);
                if no_family && self.retire.value().is_none() && self.focus == focus {
                    notes.push(Note::info(format!(
                        "Needs an image family, and step {} sets none.",
                        Step::Details.number()
                    )));
                }
            }
            Focus::Keep => {
                notes.extend(notes_for(ctx.findings, Field::DeliveryRetireKeep));
                if self.keep_value().is_none() {
                    notes.push(Note {
                        kind: NoteKind::Error,
                        text: "A number: the images of the family that stay, the new one \
                               included."
                            .into(),
                    });
                }
            }
        }
        notes
    }

    /// The form, scrolled to keep the focused row in sight; returns the rows used.
    fn view_form(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) -> u16 {
        let order = self.order(ctx.spec);
        let label_width = FormRow::label_width(LABELS);
        let notes: Vec<Vec<Note>> = order.iter().map(|f| self.notes(*f, ctx)).collect();
        let row = |i: usize| FormRow {
            theme: ctx.theme,
            label_width,
            focused: order[i] == self.focus,
            notes: &notes[i],
        };
        let heights: Vec<u16> = (0..order.len())
            .map(|i| row(i).height(area.width))
            .collect();
        let focus = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let mut first = 0;
        while first < focus && heights[first..=focus].iter().sum::<u16>() > area.height {
            first += 1;
        }
        let mut y = area.y;
        let mut anchor = Rect::default();
        for (i, focus) in order.iter().enumerate().skip(first) {
            if y + heights[i] > area.bottom() {
                break;
            }
            let rect = Rect::new(area.x, y, area.width, heights[i]);
            if *focus == self.focus {
                anchor = rect;
            }
            self.render_row(*focus, &row(i), ctx, frame, rect);
            y += heights[i];
        }
        let focused = order.iter().position(|f| *f == self.focus).map(row);
        if let Some(focused) = focused {
            match self.focus {
                Focus::TagSnapshots => {
                    self.tag_snapshots
                        .render_popup(frame, anchor, area, &focused);
                }
                Focus::Retire => self.retire.render_popup(frame, anchor, area, &focused),
                Focus::Encrypt => self.encrypt.render_popup(frame, anchor, area, &focused),
                _ => {}
            }
        }
        y - area.y
    }

    fn render_row(
        &self,
        focus: Focus,
        row: &FormRow,
        ctx: &ViewCtx,
        frame: &mut Frame,
        rect: Rect,
    ) {
        let theme = ctx.theme;
        let accounts = super::accounts(ctx.spec);
        let value_style = if row.focused {
            theme.input_focused
        } else {
            theme.input
        };
        let plain = |frame: &mut Frame, label: &str, text: &str, style: Style| {
            let value = row.render_frame(frame.buffer_mut(), rect, label);
            put(
                frame.buffer_mut(),
                value.x,
                value.y,
                text,
                value.width,
                style,
            );
        };
        match focus {
            Focus::Regions => {
                let copy_to: &[String] = ctx.spec.delivery.as_ref().map_or(&[], |d| &d.copy_to);
                if copy_to.is_empty() {
                    let text = format!("none: the image stays in {}", ctx.spec.region);
                    plain(frame, LABELS[0], &text, theme.muted);
                } else {
                    let text: Vec<String> = copy_to
                        .iter()
                        .enumerate()
                        .map(|(i, r)| match self.regions.name_of(r) {
                            Some(name) if !name.is_empty() => format!("{} {r} ({name})", i + 1),
                            _ => format!("{} {r}", i + 1),
                        })
                        .collect();
                    plain(frame, LABELS[0], &text.join(" · "), value_style);
                }
            }
            Focus::CopyName => self.copy_name.render(frame, rect, row),
            Focus::CopyDescription => self.copy_description.render(frame, rect, row),
            Focus::Encrypt => self.encrypt.render(frame, rect, row),
            Focus::Key(i) => {
                if let Some(field) = self.keys.field(i) {
                    field.render(frame, rect, row);
                }
            }
            Focus::Account(i) => {
                let label = if i == 0 { LABELS[4] } else { "" };
                let id = accounts.get(i).map_or("", String::as_str);
                plain(frame, label, id, value_style);
            }
            Focus::AddAccount => {
                let (label, idle) = if accounts.is_empty() {
                    (LABELS[4], "none: Enter to add an account ID (16 digits)")
                } else {
                    ("", "+ Enter to add another account")
                };
                if self.account.is_editing() || !self.account.value().is_empty() {
                    let value = row.render_frame(frame.buffer_mut(), rect, label);
                    self.account.render_input(frame, value, row.focused, theme);
                } else {
                    plain(frame, label, idle, theme.muted);
                }
            }
            Focus::TagSnapshots => self.tag_snapshots.render(frame, rect, row),
            Focus::Retire => self.retire.render(frame, rect, row),
            Focus::Keep => self.keep.render(frame, rect, row),
        }
    }

    /// The retirement list: per region what retiring does, and for a delete its confirmation.
    fn retirement_lines(&self, ctx: &ViewCtx) -> Vec<(Style, String)> {
        let theme = ctx.theme;
        let spec = ctx.spec;
        let (Some(retire), Some(family)) = (
            spec.delivery.as_ref().and_then(|d| d.retire),
            spec.image.family.as_deref().filter(|f| !f.is_empty()),
        ) else {
            return Vec::new();
        };
        let mut lines = vec![(
            theme.title,
            format!(
                "Retiring: {} the images of family {family} past the newest {} (the new one \
                 included)",
                retire.action, retire.keep
            ),
        )];
        let mut taken = 0;
        let mut regions = Vec::new();
        for region in self.retirements.view(spec) {
            let role = if region.region == spec.region {
                "built here"
            } else {
                "copy"
            };
            regions.push((theme.label, format!("{} ({role})", region.region)));
            match region.listing {
                Listing::Loading(_) => regions.push((
                    theme.muted,
                    format!("  {} listing the family's images…", ctx.spinner()),
                )),
                Listing::Failed(reason) => regions.push((
                    theme.error,
                    format!("  ✗ could not list them: {reason} (^R lists again)"),
                )),
                Listing::Listed(_) if region.rows.is_empty() => {
                    regions.push((theme.muted, "  nothing to retire".into()));
                }
                Listing::Listed(_) => {}
            }
            for (retirement, image) in &region.rows {
                let about = |id: &str| match image {
                    Some(i) => format!(
                        "{id} ({}, created {})",
                        i.image_name,
                        short_time(&i.creation_time)
                    ),
                    None => id.to_string(),
                };
                regions.push(match retirement {
                    Retirement::Retire(id) => {
                        taken += 1;
                        (theme.text, format!("  {} {}", retire.action, about(id)))
                    }
                    Retirement::LeaveAlone(id, why) => {
                        (theme.muted, format!("  left alone: {}: {why}", about(id)))
                    }
                });
            }
        }
        if retire.action == RetireAction::Delete {
            let what = match taken {
                0 => None,
                1 => Some("the image listed below".to_string()),
                n => Some(format!("the {n} images listed below")),
            };
            lines.push(match (self.retirements.confirmed(spec), what) {
                (true, Some(what)) => (theme.ok, format!("✓ Deleting {what} is confirmed.")),
                (true, None) => (
                    theme.ok,
                    "✓ Deleting is confirmed (nothing would be deleted today).".into(),
                ),
                (false, _) if !self.retirements.awaiting(spec) => (
                    theme.muted,
                    "The deletion is confirmed (y) once every region is listed.".into(),
                ),
                (false, Some(what)) => (
                    theme.warning,
                    format!(
                        "y confirms deleting {what} once the new image is Available. \
                         Deleting cannot be undone."
                    ),
                ),
                (false, None) => (
                    theme.warning,
                    "Nothing would be deleted today; y confirms deleting what lies past the \
                     newest kept when delivery runs. Deleting cannot be undone."
                        .into(),
                ),
            });
        }
        lines.extend(regions);
        lines.push((
            theme.muted,
            "As listed now: delivery looks again when it runs.".into(),
        ));
        lines
    }

    /// The region list over the step: a title, the picker, the regions chosen so far.
    fn view_regions(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        if area.height < 3 {
            return;
        }
        let theme = ctx.theme;
        frame.buffer_mut().set_line(
            area.x,
            area.y,
            &Line::styled(
                "Copy to: Enter adds or removes a region; copies are made in the order chosen",
                theme.title,
            ),
            area.width,
        );
        let copy_to: &[String] = ctx.spec.delivery.as_ref().map_or(&[], |d| &d.copy_to);
        let typed = self.regions.picker.query().trim();
        let chosen = if !typed.is_empty() {
            format!("Tab adds “{typed}” as typed, for a region the list lacks.")
        } else if copy_to.is_empty() {
            "No region chosen: the image stays where it is built. Esc when done.".to_string()
        } else {
            let listed: Vec<String> = copy_to
                .iter()
                .enumerate()
                .map(|(i, r)| format!("{} {r}", i + 1))
                .collect();
            format!("Chosen: {}. Esc when done.", listed.join(", "))
        };
        put(
            frame.buffer_mut(),
            area.x,
            area.bottom() - 1,
            &chosen,
            area.width,
            theme.muted,
        );
        let list = Rect {
            y: area.y + 1,
            height: area.height - 2,
            ..area
        };
        let style = PickerStyle {
            theme,
            spinner: ctx.spinner(),
            focused: ctx.focused,
            empty: "No regions are listed.",
        };
        self.regions.picker.render(&style, frame, list);
    }
}

/// `lines` wrapped to `width`, each keeping its indent.
fn wrapped(lines: &[(Style, String)], width: u16) -> Vec<(Style, String)> {
    let width = usize::from(width.max(1));
    lines
        .iter()
        .flat_map(|(style, text)| {
            let indent = text.len() - text.trim_start().len();
            wrap(text.trim_start(), width.saturating_sub(indent).max(1))
                .into_iter()
                .map(move |l| (*style, format!("{}{l}", " ".repeat(indent))))
        })
        .collect()
}

/// Draws wrapped lines from the top of `area`; what does not fit ends in a count.
fn render_lines(frame: &mut Frame, area: Rect, wrapped: &[(Style, String)], ctx: &ViewCtx) {
    let room = usize::from(area.height);
    let (shown, more) = if wrapped.len() > room {
        let shown = room.saturating_sub(1);
        (&wrapped[..shown], Some(wrapped.len() - shown))
    } else {
        (wrapped, None)
    };
    let buf = frame.buffer_mut();
    for ((style, text), y) in shown.iter().zip(area.top()..area.bottom()) {
        put(buf, area.x, y, text, area.width, *style);
    }
    if let Some(more) = more {
        let y = area.y + u16::try_from(shown.len()).unwrap_or(0);
        let text = format!("… {more} more lines: a taller terminal shows them");
        put(buf, area.x, y, &text, area.width, ctx.theme.muted);
    }
}
