//! Step 4, tags and features: a tag table edited in place (add, edit key and value, remove, up
//! to 20) and two feature choices, IMDS support and the image check, each value explained in
//! one line. Tags go into the spec on every keystroke, so duplicate keys and reserved prefixes
//! are reported by the shared validators while typing.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Answers, Keys, Outcome, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::spec::{DetectionStrategy, Field, FieldError, ImdsSupport, Tag, rules};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::choice::{Choice, ChoiceOption};
use crate::tui::widgets::keymap::{Key, Keymap};
use crate::tui::widgets::text_field::{
    Edit, FormRow, TextField, finding_lines, notes_for, render_lines,
};

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

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// A key for the focused editor or choice.
    Field,
    Next,
    Previous,
    Up,
    Down,
    KeyColumn,
    ValueColumn,
    Add,
    Remove,
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

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        let Some(action) = self.keymap().action(&key) else {
            return Outcome::Ignored;
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
        Outcome::Handled
    }

    fn paste(&mut self, text: &str, ctx: &mut StepCtx) -> Outcome {
        match self.editor_mut() {
            Some(editor) => {
                if editor.paste(text) {
                    ctx.spec.tags = self.tags();
                }
                Outcome::Handled
            }
            None => Outcome::Ignored,
        }
    }

    fn loaded(&mut self, _id: RequestId, _result: Result<Loaded, ApiError>, _ctx: &mut StepCtx) {
        // This step makes no calls.
    }

    fn region_changed(&mut self, _ctx: &mut StepCtx) {
        // Tags and features do not depend on the region.
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let labels = [self.imds.label(), self.detection.label()];
        let label_width = FormRow::label_width(labels);
        let imds_notes = notes_for(ctx.findings, Field::ImdsSupport);
        let detection_notes = notes_for(ctx.findings, Field::DetectionStrategy);
        let imds_row = FormRow {
            theme,
            label_width,
            focused: self.focus == Focus::Imds,
            notes: &imds_notes,
        };
        let detection_row = FormRow {
            theme,
            label_width,
            focused: self.focus == Focus::Detection,
            notes: &detection_notes,
        };
        // The table takes what it needs, leaving room for the features under it.
        let features_height = 3 + imds_row.height(area.width) + detection_row.height(area.width);
        let table = Rect {
            height: area.height.saturating_sub(features_height),
            ..area
        };
        let used = self.render_table(ctx, frame, table);

        let mut y = area.y + used + 1;
        let title = Line::from(vec![
            Span::styled("Features", theme.title),
            Span::styled("  optional; unset leaves the API default", theme.muted),
        ]);
        if y < area.bottom() {
            frame.buffer_mut().set_line(area.x, y, &title, area.width);
        }
        y += 2;
        let imds_area =
            Rect::new(area.x, y, area.width, imds_row.height(area.width)).intersection(area);
        self.imds.render(frame, imds_area, &imds_row);
        let y = imds_area.bottom();
        let detection_area =
            Rect::new(area.x, y, area.width, detection_row.height(area.width)).intersection(area);
        self.detection.render(frame, detection_area, &detection_row);
        self.imds.render_popup(frame, imds_area, area, &imds_row);
        self.detection
            .render_popup(frame, detection_area, area, &detection_row);
    }

    fn keys(&self, _answers: Answers) -> Keys {
        self.keymap().keys()
    }
}

impl TagsStep {
    /// The keys for the focused row: a key or value being typed, a list open, or at rest.
    fn keymap(&self) -> Keymap<Action> {
        use KeyCode::*;
        let next = if matches!(self.focus, Focus::Tag(_, Col::Key)) && self.capturing() {
            "to value"
        } else {
            "next"
        };
        let tabs = Keymap::new()
            .bind_each(
                [
                    (Key::plain(Tab), Action::Next),
                    (Key::plain(BackTab), Action::Previous),
                ],
                next,
            )
            .help("next / previous field; while typing a key, go on to its value");
        let arrows = |plain: bool| {
            Keymap::new()
                .bind_each(
                    [
                        (Key::plain(Up), Action::Up),
                        (Key::plain(Down), Action::Down),
                    ],
                    "move",
                )
                .help("between tags and the features")
                .quiet()
                .when(plain, |k| {
                    k.bind_each(
                        [(Key::char('k'), Action::Up), (Key::char('j'), Action::Down)],
                        "move",
                    )
                    .help("between tags and the features")
                    .quiet()
                })
        };
        let add = [Key::char('a'), Key::char('+'), Key::plain(Insert)];
        let choice = match self.focus {
            Focus::Imds => Some(self.imds.keymap(Action::Field)),
            Focus::Detection => Some(self.detection.keymap(Action::Field)),
            Focus::Tag(..) | Focus::Add => None,
        };
        let map = match (self.focus, choice) {
            (Focus::Tag(..), _) if self.capturing() => TextField::editing_keymap(Action::Field)
                .with(tabs, |a| a)
                .with(arrows(false), |a| a),
            (_, Some(choice)) if self.capturing() => choice.with(tabs, |a| a),
            (Focus::Tag(..), _) => Keymap::new()
                .bind([Key::plain(Enter)], Action::Field, "edit")
                .help("edit the key or value; Enter or Esc to finish")
                .bind(add, Action::Add, "add")
                .help("add a tag and type its key")
                .bind(
                    [Key::char('d'), Key::char('-'), Key::plain(Delete)],
                    Action::Remove,
                    "remove",
                )
                .help("remove the focused tag")
                .bind_each(
                    [
                        (Key::plain(Left), Action::KeyColumn),
                        (Key::plain(Right), Action::ValueColumn),
                        (Key::char('h'), Action::KeyColumn),
                        (Key::char('l'), Action::ValueColumn),
                    ],
                    "key/value",
                )
                .with(tabs, |a| a)
                .with(arrows(true), |a| a),
            (Focus::Add, _) => Keymap::new()
                .bind([Key::plain(Enter)], Action::Add, "add a tag")
                .bind(add, Action::Add, "add a tag")
                .help("add a tag and type its key")
                .quiet()
                .with(tabs, |a| a)
                .with(arrows(true), |a| a),
            (_, Some(choice)) => choice
                .with(tabs, |a| a)
                .with(arrows(true), |a| a)
                .bind(add, Action::Add, "add a tag")
                .help("add a tag and type its key")
                .quiet(),
            (_, None) => tabs,
        };
        map.note("Tags to put on the image (up to 20), and two optional features.")
            .note(
                "Keys must be unique and may not start with aliyun or acs:; values may be empty. \
                 A tag with neither key nor value is dropped.",
            )
    }
}

impl TagsStep {
    /// Draws the tag table with its messages; returns the rows used.
    fn render_table(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) -> u16 {
        let theme = ctx.theme;
        if area.height < 3 {
            return 0;
        }
        let findings: Vec<&FieldError> = ctx
            .findings
            .iter()
            .filter(|f| about_tags(f.field))
            .collect();
        let title = Line::from(vec![
            Span::styled("Tags", theme.title),
            Span::styled(
                format!("  {} of {}", self.rows.len(), rules::MAX_TAGS),
                theme.muted,
            ),
        ]);
        frame
            .buffer_mut()
            .set_line(area.x, area.y, &title, area.width);

        // Messages about tags, the focused tag's first, under the table.
        let focused_tag = match self.focus {
            Focus::Tag(i, _) => Some(i),
            _ => None,
        };
        let mut ordered = findings.clone();
        ordered.sort_by_key(|f| (tag_of(f.field) != focused_tag, !f.is_error()));
        let width = usize::from(area.width.saturating_sub(2));
        let messages = finding_lines(&ordered, width);
        // Header, rows, the add row, then messages; rows scroll to keep the focus visible.
        let fixed = 3; // title, header, add row
        let room = usize::from(area.height).saturating_sub(fixed);
        // Rows keep at least half the room (or all they need, when less).
        let min_rows = self.rows.len().clamp(1, (room / 2).max(1));
        let message_room = messages.len().min(room.saturating_sub(min_rows));
        let row_room = room.saturating_sub(message_room).max(1);
        let focus_row = focused_tag.unwrap_or(self.rows.len().saturating_sub(1));
        let offset = (focus_row + 1).saturating_sub(row_room);

        let key_x = area.x + 7;
        let width_total = area.width.saturating_sub(7);
        let key_w = (width_total / 2).min(40);
        let value_x = key_x + key_w + 1;
        let value_w = area.right().saturating_sub(value_x);
        let header_y = area.y + 1;
        let buf = frame.buffer_mut();
        buf.set_stringn(area.x + 2, header_y, "#", 3, theme.column_header);
        buf.set_stringn(
            key_x,
            header_y,
            "Key",
            usize::from(key_w),
            theme.column_header,
        );
        buf.set_stringn(
            value_x,
            header_y,
            "Value",
            usize::from(value_w),
            theme.column_header,
        );

        let mut y = header_y + 1;
        for (i, [key, value]) in self.rows.iter().enumerate().skip(offset).take(row_room) {
            let focused_col = match self.focus {
                Focus::Tag(f, col) if f == i => Some(col),
                _ => None,
            };
            let problem = findings
                .iter()
                .filter(|f| tag_of(f.field) == Some(i))
                .map(|f| f.is_error())
                .max();
            let (mark, mark_style) = match problem {
                Some(true) => ("✗", theme.error),
                Some(false) => ("!", theme.warning),
                None => (" ", theme.text),
            };
            let buf = frame.buffer_mut();
            let pointer = if focused_col.is_some() { "›" } else { " " };
            buf.set_stringn(area.x, y, pointer, 1, theme.focus_marker);
            buf.set_stringn(area.x + 2, y, format!("{:>2}", i + 1), 2, theme.muted);
            buf.set_stringn(area.x + 5, y, mark, 1, mark_style);
            key.render_cell(
                frame,
                Rect::new(key_x, y, key_w, 1),
                focused_col == Some(Col::Key),
                theme,
            );
            value.render_cell(
                frame,
                Rect::new(value_x, y, value_w, 1),
                focused_col == Some(Col::Value),
                theme,
            );
            y += 1;
        }
        let add_focused = self.focus == Focus::Add;
        let (add_text, add_style) = if self.rows.len() >= rules::MAX_TAGS {
            ("(20 tags: the most an image can have)", theme.muted)
        } else if add_focused {
            ("+ Add a tag", theme.label_focused)
        } else {
            ("+ Add a tag (a)", theme.muted)
        };
        let buf = frame.buffer_mut();
        if add_focused {
            buf.set_stringn(area.x, y, "›", 1, theme.focus_marker);
        }
        buf.set_stringn(
            key_x,
            y,
            add_text,
            usize::from(area.width.saturating_sub(7)),
            add_style,
        );
        y += 1;
        let message_area = Rect::new(
            area.x + 2,
            y,
            area.width.saturating_sub(2),
            area.bottom().saturating_sub(y),
        );
        render_lines(buf, message_area, &messages[..message_room], theme);
        let message_rows = u16::try_from(message_room).unwrap_or(0);
        (y + message_rows).min(area.bottom()) - area.y
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::*;
    use crate::spec::Source;
    use crate::tui::app::App;
    use crate::tui::steps::Step;
    use crate::tui::testing::{ctrl, key, render, screen_text, type_text, wizard};

    /// The wizard on this step, an instance chosen as the source.
    fn tags_step() -> App {
        let (mut app, _) = wizard();
        app.spec.source = Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
        };
        for _ in 0..3 {
            ctrl(&mut app, 'n');
        }
        assert_eq!(app.step, Step::Tags);
        app
    }

    /// Adds a tag by typing its key, Tab, its value, Enter.
    fn add_tag(app: &mut App, k: &str, v: &str) {
        key(app, KeyCode::Char('a'));
        type_text(app, k);
        key(app, KeyCode::Tab);
        type_text(app, v);
        key(app, KeyCode::Enter);
    }

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    fn codes(app: &App) -> Vec<(Field, Option<&'static str>)> {
        app.findings.iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn tags_are_added_by_typing_key_tab_value() {
        let mut app = tags_step();
        add_tag(&mut app, "env", "prod");
        add_tag(&mut app, "团队", "平台");
        assert_eq!(app.spec.tags, [tag("env", "prod"), tag("团队", "平台")]);
        assert!(codes(&app).is_empty(), "{:?}", app.findings);
        // `q`, `d` and `a` are text while typing.
        add_tag(&mut app, "qda", "");
        assert_eq!(app.spec.tags[2], tag("qda", ""));
        assert!(!app.quit);
    }

    #[test]
    fn keys_and_values_are_edited_in_place_and_tags_removed() {
        let mut app = tags_step();
        add_tag(&mut app, "env", "prod");
        add_tag(&mut app, "team", "web");
        // Focus is on tag 2's value; edit it, then tag 1's key.
        key(&mut app, KeyCode::Enter);
        ctrl(&mut app, 'w');
        type_text(&mut app, "platform");
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Up);
        key(&mut app, KeyCode::Left);
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Home);
        type_text(&mut app, "app-");
        key(&mut app, KeyCode::Esc);
        assert_eq!(
            app.spec.tags,
            [tag("app-env", "prod"), tag("team", "platform")]
        );
        key(&mut app, KeyCode::Char('d'));
        assert_eq!(app.spec.tags, [tag("team", "platform")]);
        key(&mut app, KeyCode::Delete);
        assert!(app.spec.tags.is_empty());
        assert_eq!(app.step, Step::Tags);
    }

    #[test]
    fn a_tag_left_empty_is_dropped() {
        let mut app = tags_step();
        key(&mut app, KeyCode::Char('a'));
        assert_eq!(app.spec.tags.len(), 0, "an empty row is not yet a tag");
        key(&mut app, KeyCode::Esc);
        assert!(app.steps.tags.rows.is_empty());
        assert_eq!(app.step, Step::Tags, "Esc ended the edit, not the step");
        key(&mut app, KeyCode::Char('a'));
        type_text(&mut app, "x");
        key(&mut app, KeyCode::Backspace);
        key(&mut app, KeyCode::Down);
        assert!(app.steps.tags.rows.is_empty());
        assert!(app.spec.tags.is_empty());
    }

    #[test]
    fn duplicates_and_reserved_prefixes_are_flagged_while_typing() {
        let mut app = tags_step();
        add_tag(&mut app, "env", "prod");
        key(&mut app, KeyCode::Char('a'));
        type_text(&mut app, "env");
        assert!(codes(&app).contains(&(Field::TagKey(1), Some("Duplicate.TagKey"))));
        type_text(&mut app, "2");
        assert!(codes(&app).is_empty());
        ctrl(&mut app, 'u');
        type_text(&mut app, "aliyun:owner");
        assert!(codes(&app).contains(&(Field::TagKey(1), Some("InvalidTagKey.Malformed"))));
        key(&mut app, KeyCode::Tab);
        type_text(&mut app, "acs:x");
        assert!(codes(&app).contains(&(Field::TagValue(1), Some("InvalidTagValue.Malformed"))));
        let screen = screen_text(&app, 80, 24);
        assert!(
            screen.contains("✗ Tag 2 key: A tag key must not start with \"aliyun\""),
            "{screen}"
        );
    }

    #[test]
    fn at_most_twenty_tags() {
        let mut app = tags_step();
        for i in 0..rules::MAX_TAGS {
            add_tag(&mut app, &format!("k{i}"), "v");
        }
        key(&mut app, KeyCode::Char('a'));
        assert_eq!(app.spec.tags.len(), rules::MAX_TAGS);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("at most 20 tags"))
        );
    }

    #[test]
    fn features_cycle_with_explanations() {
        let mut app = tags_step();
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Right);
        key(&mut app, KeyCode::Right);
        assert_eq!(app.spec.features.imds_support, Some(ImdsSupport::V2));
        assert!(screen_text(&app, 80, 24).contains("token-only metadata access"));
        key(&mut app, KeyCode::Tab);
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Enter);
        assert_eq!(
            app.spec.features.detection_strategy,
            Some(DetectionStrategy::Standard)
        );
        assert!(screen_text(&app, 80, 24).contains("checked after creation"));
        // The table and features come back as they were after leaving the step.
        ctrl(&mut app, 'p');
        ctrl(&mut app, 'n');
        assert_eq!(app.steps.tags.imds.value(), Some(&ImdsSupport::V2));
    }

    #[test]
    fn screen_80x24() {
        let mut app = tags_step();
        add_tag(&mut app, "env", "prod");
        add_tag(&mut app, "team", "platform");
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Right);
        key(&mut app, KeyCode::Right);
        insta::assert_snapshot!(render(&app, 80, 24));
    }

    #[test]
    fn screen_chinese_and_errors_80x24() {
        let mut app = tags_step();
        add_tag(&mut app, "环境", "生产环境");
        add_tag(&mut app, "成本中心", "网站-平台部");
        add_tag(&mut app, "环境", "测试");
        add_tag(&mut app, "acs:owner", "");
        insta::assert_snapshot!(render(&app, 80, 24));
    }

    #[test]
    fn screen_many_tags_160x48() {
        let mut app = tags_step();
        for i in 0..rules::MAX_TAGS {
            add_tag(&mut app, &format!("key-{i:02}"), &format!("value {i}"));
        }
        key(&mut app, KeyCode::Up);
        key(&mut app, KeyCode::Enter);
        type_text(&mut app, "-edited");
        insta::assert_snapshot!(render(&app, 160, 48));
    }
}
