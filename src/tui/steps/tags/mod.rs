//! Step 4, tags and features: a tag table edited in place (add, edit key and value, remove, up
//! to 20) and two feature choices, IMDS support and the image check, each value explained in
//! one line. Tags go into the spec on every keystroke, so duplicate keys and reserved prefixes
//! are reported by the shared validators while typing.

mod keys;
mod view;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use self::keys::Action;
use super::{Answers, Keys, Reaction, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::spec::{DetectionStrategy, Field, ImdsSupport, Tag, rules};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::choice::{Choice, ChoiceOption};
use crate::tui::widgets::text_field::{Edit, TextField};

/// A column of the tag table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Key,
    Value,
}

impl Col {
    fn index(self) -> usize {
        match self {
            Col::Key => 0,
            Col::Value => 1,
        }
    }
}

/// What has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Tag(usize, Col),
    /// The "add a tag" row under the table.
    Add,
    Imds,
    Detection,
}

#[derive(Debug)]
pub struct TagsStep {
    /// Key and value editors, one pair per tag, in spec order.
    rows: Vec<[TextField; 2]>,
    focus: Focus,
    imds: Choice<ImdsSupport>,
    detection: Choice<DetectionStrategy>,
}

impl Default for TagsStep {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            focus: Focus::Add,
            imds: Choice::new(
                "IMDS support",
                vec![
                    ChoiceOption::new(
                        None,
                        "unset",
                        "not sent: v1 from snapshots, the source image's from an instance",
                    ),
                    ChoiceOption::new(
                        Some(ImdsSupport::V1),
                        "v1",
                        "metadata with or without a token (normal mode)",
                    ),
                    ChoiceOption::new(
                        Some(ImdsSupport::V2),
                        "v2",
                        "token-only metadata access (hardened mode), safer",
                    ),
                ],
            ),
            detection: Choice::new(
                "Image check",
                vec![
                    ChoiceOption::new(None, "off", "no check (the API default)"),
                    ChoiceOption::new(
                        Some(DetectionStrategy::Standard),
                        "Standard",
                        "the image is checked after creation and findings are reported",
                    ),
                ],
            ),
        }
    }
}

fn editors(tag: &Tag) -> [TextField; 2] {
    [
        TextField::new("Key")
            .with_placeholder("key")
            .with_value(tag.key.as_str()),
        TextField::new("Value")
            .with_placeholder("(empty)")
            .with_value(tag.value.as_str()),
    ]
}

/// Whether a finding is about the tag table (not the feature choices).
fn about_tags(field: Field) -> bool {
    matches!(
        field,
        Field::Tags | Field::Tag(_) | Field::TagKey(_) | Field::TagValue(_)
    )
}

fn tag_of(field: Field) -> Option<usize> {
    match field {
        Field::Tag(i) | Field::TagKey(i) | Field::TagValue(i) => Some(i),
        _ => None,
    }
}

impl TagsStep {
    fn tags(&self) -> Vec<Tag> {
        self.rows
            .iter()
            .map(|[k, v]| Tag {
                key: k.value().to_owned(),
                value: v.value().to_owned(),
            })
            .collect()
    }

    fn editor(&self) -> Option<&TextField> {
        match self.focus {
            Focus::Tag(i, col) => self.rows.get(i).map(|r| &r[col.index()]),
            _ => None,
        }
    }

    fn editor_mut(&mut self) -> Option<&mut TextField> {
        match self.focus {
            Focus::Tag(i, col) => self.rows.get_mut(i).map(|r| &mut r[col.index()]),
            _ => None,
        }
    }

    fn capturing(&self) -> bool {
        match self.focus {
            Focus::Imds => self.imds.is_open(),
            Focus::Detection => self.detection.is_open(),
            _ => self.editor().is_some_and(TextField::is_editing),
        }
    }

    /// Ends editing and closes lists; a tag left with neither key nor value is dropped.
    fn settle(&mut self, ctx: &mut StepCtx) {
        if let Some(editor) = self.editor_mut() {
            editor.stop_editing();
        }
        self.imds.close();
        self.detection.close();
        if let Focus::Tag(i, col) = self.focus
            && self
                .rows
                .get(i)
                .is_some_and(|row| row.iter().all(|f| f.value().is_empty()))
        {
            self.rows.remove(i);
            ctx.spec.tags = self.tags();
            self.focus = match self.rows.len() {
                0 => Focus::Add,
                n => Focus::Tag(i.min(n - 1), col),
            };
        }
    }

    /// Focus positions in Tab order.
    fn order(&self) -> Vec<Focus> {
        let mut order: Vec<Focus> = (0..self.rows.len())
            .flat_map(|i| [Focus::Tag(i, Col::Key), Focus::Tag(i, Col::Value)])
            .collect();
        order.extend([Focus::Add, Focus::Imds, Focus::Detection]);
        order
    }

    fn tab(&mut self, forward: bool, ctx: &mut StepCtx) {
        let from = self.focus;
        // Tab from a key being edited goes on editing its value: quick entry of pairs.
        let editing_key = matches!(from, Focus::Tag(_, Col::Key)) && self.capturing();
        if forward && editing_key {
            if let (Focus::Tag(i, _), Some(editor)) = (from, self.editor_mut()) {
                editor.stop_editing();
                self.focus = Focus::Tag(i, Col::Value);
                if let Some(value) = self.editor_mut() {
                    value.start_editing();
                }
            }
            return;
        }
        self.settle(ctx);
        // Settling may have removed a row; find the neighbour of where we were.
        let order = self.order();
        let at = order.iter().position(|f| *f == self.focus);
        let moved = from != self.focus;
        let n = order.len();
        self.focus = match (at, moved) {
            (Some(i), false) if forward => order[(i + 1) % n],
            (Some(i), false) => order[(i + n - 1) % n],
            (Some(_), true) => self.focus,
            (None, _) => Focus::Add,
        };
    }

    fn vertical(&mut self, down: bool, ctx: &mut StepCtx) {
        let from = self.focus;
        self.settle(ctx);
        if self.focus != from {
            // An empty tag was dropped; the focus already moved off it.
            return;
        }
        let rows = self.rows.len();
        self.focus = match self.focus {
            Focus::Tag(i, col) if down && i + 1 < rows => Focus::Tag(i + 1, col),
            Focus::Tag(..) if down => Focus::Add,
            Focus::Tag(i, col) => Focus::Tag(i.saturating_sub(1), col),
            Focus::Add if down => Focus::Imds,
            Focus::Add if rows > 0 => Focus::Tag(rows - 1, Col::Key),
            Focus::Add => Focus::Add,
            Focus::Imds if down => Focus::Detection,
            Focus::Imds => Focus::Add,
            Focus::Detection if down => Focus::Detection,
            Focus::Detection => Focus::Imds,
        };
    }

    fn add(&mut self, ctx: &mut StepCtx) {
        self.settle(ctx);
        if self.rows.len() >= rules::MAX_TAGS {
            ctx.notify(format!(
                "An image can have at most {} tags; remove one first.",
                rules::MAX_TAGS
            ));
            return;
        }
        self.rows.push(editors(&Tag {
            key: String::new(),
            value: String::new(),
        }));
        self.focus = Focus::Tag(self.rows.len() - 1, Col::Key);
        if let Some(editor) = self.editor_mut() {
            editor.start_editing();
        }
    }

    fn remove(&mut self, ctx: &mut StepCtx) {
        if let Focus::Tag(i, col) = self.focus {
            self.rows.remove(i);
            ctx.spec.tags = self.tags();
            self.focus = match self.rows.len() {
                0 => Focus::Add,
                n => Focus::Tag(i.min(n - 1), col),
            };
        }
    }

    fn write_features(&self, ctx: &mut StepCtx) {
        ctx.spec.features.imds_support = self.imds.value().copied();
        ctx.spec.features.detection_strategy = self.detection.value().copied();
    }

    /// Hands a key to the focused editor or choice.
    fn widget_key(&mut self, key: KeyEvent, ctx: &mut StepCtx) {
        let edit = match self.focus {
            Focus::Imds => self.imds.handle_key(key),
            Focus::Detection => self.detection.handle_key(key),
            Focus::Tag(..) => self
                .editor_mut()
                .map_or(Edit::Ignored, |e| e.handle_key(key)),
            Focus::Add => Edit::Ignored,
        };
        match edit {
            Edit::Changed => match self.focus {
                Focus::Imds | Focus::Detection => self.write_features(ctx),
                _ => ctx.spec.tags = self.tags(),
            },
            Edit::Done => self.settle(ctx),
            Edit::Handled | Edit::Ignored => {}
        }
    }
}

impl StepScreen for TagsStep {
    fn focus(&mut self, field: Field) {
        self.focus = match (field, tag_of(field)) {
            (_, Some(i)) if i >= self.rows.len() => return,
            (Field::TagValue(i), _) => Focus::Tag(i, Col::Value),
            (_, Some(i)) => Focus::Tag(i, Col::Key),
            (Field::ImdsSupport, _) => Focus::Imds,
            (Field::DetectionStrategy, _) => Focus::Detection,
            (Field::Tags, _) => Focus::Add,
            _ => return,
        };
    }

    fn enter(&mut self, ctx: &mut StepCtx) {
        if self.tags() != ctx.spec.tags {
            self.rows = ctx.spec.tags.iter().map(editors).collect();
            self.focus = Focus::Add;
        }
        self.imds.select(ctx.spec.features.imds_support.as_ref());
        self.detection
            .select(ctx.spec.features.detection_strategy.as_ref());
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        self.settle(ctx);
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let Some(action) = self.keymap().action(&key) else {
            return Reaction::Ignored;
        };
        match action {
            Action::Field => self.widget_key(key, ctx),
            Action::Next => self.tab(true, ctx),
            Action::Previous => self.tab(false, ctx),
            Action::Down => self.vertical(true, ctx),
            Action::Up => self.vertical(false, ctx),
            Action::KeyColumn | Action::ValueColumn => {
                if let Focus::Tag(i, _) = self.focus {
                    let col = if action == Action::KeyColumn {
                        Col::Key
                    } else {
                        Col::Value
                    };
                    self.focus = Focus::Tag(i, col);
                }
            }
            Action::Add => self.add(ctx),
            Action::Remove => self.remove(ctx),
        }
        Reaction::Handled
    }

    fn paste(&mut self, text: &str, ctx: &mut StepCtx) -> Reaction {
        match self.editor_mut() {
            Some(editor) => {
                if editor.paste(text) {
                    ctx.spec.tags = self.tags();
                }
                Reaction::Handled
            }
            None => Reaction::Ignored,
        }
    }

    fn loaded(&mut self, _id: RequestId, _result: Result<Loaded, ApiError>, _ctx: &mut StepCtx) {
        // This step makes no calls.
    }

    fn region_changed(&mut self, _ctx: &mut StepCtx) {
        // Tags and features do not depend on the region.
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
