//! What a key does on this step (`Action`) and its key map for the focused row (a key or value
//! being typed, a choice list open, or at rest), driving the keys, the footer and the help.

use crossterm::event::KeyCode;

use super::{Col, Focus, TagsStep};
use crate::tui::widgets::keymap::{Key, Keymap, up_down};
use crate::tui::widgets::text_field::TextField;

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
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

impl TagsStep {
    /// The keys for the focused row: a key or value being typed, a list open, or at rest.
    pub(super) fn keymap(&self) -> Keymap<Action> {
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
        let arrows = |letters| {
            up_down(
                Action::Up,
                Action::Down,
                "move",
                "between tags and the features",
                letters,
            )
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
