//! What a key does on this step (`Action`) and its key map: the save prompt's while it is open,
//! else the tabs', the summary's problem list and the review's own keys. The one map drives the
//! keys, the footer and the help.

use crossterm::event::KeyCode;

use super::save::{self, SaveAction};
use super::{ReviewStep, Tab};
use crate::tui::steps::Answers;
use crate::tui::widgets::keymap::{Key, Keymap};

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    NextTab,
    PreviousTab,
    /// ↑↓ on the summary: the previous / next problem.
    SelectUp,
    SelectDown,
    GoToField,
    /// ↑↓ PgUp PgDn Home End on a text tab.
    Scroll,
    DryRun,
    Save,
    LookUp,
    Submit,
    /// The save prompt and its question.
    SaveKey(SaveAction),
}

impl ReviewStep {
    /// The save prompt's keys while it is open, else the tabs' and the review's own.
    pub(super) fn keymap(&self, answers: Answers) -> Keymap<Action> {
        if let Some(save) = &self.save {
            return Keymap::new().with(save::keymap(save), Action::SaveKey);
        }
        let items = self
            .items(answers.spec, answers.findings, answers.facts)
            .len();
        let selecting = self.tab == Tab::Summary && items > 0;
        Keymap::new()
            .bind([Key::char('d')], Action::DryRun, "DryRun")
            .help("DryRun: ECS checks the request (and the delivery's calls) and creates nothing")
            .bind([Key::char('s')], Action::Submit, "submit")
            .help("go on to submit (it asks before sending)")
            .when(selecting, |k| {
                k.bind(
                    [Key::plain(KeyCode::Enter)],
                    Action::GoToField,
                    "go to field",
                )
                .help("go to the field the selected problem is about")
                .bind_each(
                    [
                        (Key::plain(KeyCode::Up), Action::SelectUp),
                        (Key::plain(KeyCode::Down), Action::SelectDown),
                    ],
                    "problem",
                )
                .help("select the previous / next problem")
                .quiet()
            })
            .bind(
                [
                    Key::plain(KeyCode::Up),
                    Key::plain(KeyCode::Down),
                    Key::plain(KeyCode::PageUp),
                    Key::plain(KeyCode::PageDown),
                    Key::plain(KeyCode::Home),
                    Key::plain(KeyCode::End),
                ],
                Action::Scroll,
                "scroll",
            )
            .quiet_if(selecting)
            .when(self.tab == Tab::Policy, |k| {
                k.bind([Key::char('w')], Action::Save, "save policy")
                    .help("save the policy (JSON) to a file (asks before replacing one)")
            })
            .when(self.tab != Tab::Policy, |k| {
                k.bind([Key::char('w')], Action::Save, "save recipe")
                    .help("save the recipe to a file (asks before replacing one)")
            })
            .bind_each(
                [
                    (Key::plain(KeyCode::Tab), Action::NextTab),
                    (Key::plain(KeyCode::Right), Action::NextTab),
                    (Key::plain(KeyCode::BackTab), Action::PreviousTab),
                    (Key::plain(KeyCode::Left), Action::PreviousTab),
                ],
                "tabs",
            )
            .help("switch between Summary, Request, CLI, Recipe and Policy")
            .bind([Key::char('r')], Action::LookUp, "check again")
            .help("check the source again (instance status, disks, snapshots)")
            .quiet()
            .note("✗ problems stop the request; ! warnings deserve a look.")
            .note(
                "The ClientToken is made once for these answers: submitting them again, or a \
                 retry, can never create a second image.",
            )
    }
}
