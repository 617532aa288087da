//! What a key does on this step (`Action`) and its key map: the open question's, or the phase
//! the submission is in (ready, sending, refused, building). The one map drives the keys, the
//! footer and the help.

use crossterm::event::KeyCode;

use super::{Answers, Ask, End, Phase, SubmitStep};
use crate::tui::steps::ecsimg_command;
use crate::tui::widgets::keymap::{Key, Keymap};

/// What a key does on this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Answers to the open question.
    Yes,
    No,
    /// Other keys while a question is open, or while an answer is awaited.
    Nothing,
    /// A key that can do nothing now; the notice says why.
    Wait(&'static str),
    /// Submit while problems remain: says how many and where to fix them.
    Blocked,
    Submit,
    SendAgain,
    GoToField,
    NewRequest,
    Scroll,
    Leave,
    Delete,
    WatchAgain,
    /// Runs the delivery again: the failed actions are sent again, the done ones skipped.
    RetryDelivery,
    /// Selects the next failed delivery action.
    NextFailure,
    /// Shows the selected failed action's whole explanation.
    Explain,
}

impl SubmitStep {
    /// The keys of the open question, or of the phase the submission is in.
    pub(super) fn keymap(&self, answers: Answers) -> Keymap<Action> {
        use KeyCode::{Enter, Esc};
        let leaving = [Key::plain(Esc), Key::ctrl('p')];
        if let Some(ask) = self.ask {
            let yes = match ask {
                Ask::Submit => "submit",
                Ask::Delete => "delete the image",
                Ask::Leave => "leave",
            };
            let no = match ask {
                Ask::Submit => "cancel",
                Ask::Delete => "keep it",
                Ask::Leave => "stay",
            };
            return Keymap::new()
                .bind([Key::char('y')], Action::Yes, yes)
                .bind([Key::char('n'), Key::plain(Esc)], Action::No, no)
                .bind([Key::Any], Action::Nothing, "nothing")
                .help("other keys wait for an answer")
                .quiet();
        }
        let journal = if self.target.sandbox {
            format!(
                "Every request is recorded in the sandbox's journal before it is sent; `{}` \
                 lists them. The sandbox's images end with the wizard.",
                ecsimg_command(true, "history")
            )
        } else {
            "Every request is recorded in the journal before it is sent; `ecsimg history` lists \
             them and `ecsimg watch <ImageId>` follows a build from a shell."
                .to_owned()
        };
        let notes = |k: Keymap<Action>| {
            k.note(
                "The ClientToken stays with the answers: a retry or a second submit of the same \
                 answers can never create a second image.",
            )
            .note(journal)
        };
        let scroll = [
            Key::plain(KeyCode::Up),
            Key::plain(KeyCode::Down),
            Key::plain(KeyCode::PageUp),
            Key::plain(KeyCode::PageDown),
            Key::plain(KeyCode::Home),
            Key::plain(KeyCode::End),
        ];
        let map = match &self.phase {
            Phase::Ready => {
                let problems = answers.errors() > 0;
                Keymap::new()
                    .bind(
                        [Key::plain(Enter), Key::char('s')],
                        if problems {
                            Action::Blocked
                        } else {
                            Action::Submit
                        },
                        "submit…",
                    )
                    .help("submit (asks first); not while problems remain")
                    .quiet_if(problems)
            }
            Phase::Sending { .. } => Keymap::new()
                .bind(
                    [Key::plain(Esc), Key::ctrl('p'), Key::ctrl('g'), Key::TEXT],
                    Action::Wait(
                        "Waiting for CreateImage to answer; the request is in the journal.",
                    ),
                    "wait",
                )
                .help("CreateImage is on its way: the step stays until it answers")
                .quiet(),
            Phase::Refused {
                field, journaled, ..
            } => Keymap::new()
                .bind([Key::char('r')], Action::SendAgain, "send again")
                .help("send the request again (the same ClientToken)")
                .when(field.is_some(), |k| {
                    k.bind([Key::plain(Enter)], Action::GoToField, "go to field")
                        .help("go to the field to change")
                })
                .when(journaled.is_none(), |k| {
                    k.bind([Key::char('n')], Action::NewRequest, "new ClientToken")
                        .help("give the answers a new ClientToken: the next submit is a new image")
                }),
            Phase::Building(build) => {
                let deletable = build.deleting.is_none()
                    && !matches!(build.end, Some(End::Available | End::Deleted { .. }));
                let map = Keymap::new();
                let map = if build.deleting.is_some() {
                    map.bind(
                        [Key::plain(Esc), Key::ctrl('p'), Key::ctrl('g')],
                        Action::Wait("Waiting for DeleteImage to answer."),
                        "wait",
                    )
                    .help("DeleteImage is on its way: the step stays until it answers")
                    .quiet()
                } else if build.building() || build.delivering() {
                    map.bind(leaving, Action::Leave, "leave…")
                        .help(if build.building() {
                            "back to the review (asks first: only the watching stops)"
                        } else {
                            "back to the review (asks first: the delivery stops, and the Submit \
                             step finishes it when you come back)"
                        })
                        .bind(
                            [Key::ctrl('g')],
                            Action::Wait(
                                "The image is in this region: leave step 7 before switching \
                                 regions.",
                            ),
                            "region",
                        )
                        .quiet()
                } else {
                    map
                };
                map.when(deletable, |k| {
                    k.bind([Key::char('x')], Action::Delete, "delete…")
                        .help("delete the image (DeleteImage, asks first and names the ImageId)")
                })
                .when(
                    matches!(build.end, Some(End::TimedOut | End::Stopped(_))),
                    |k| {
                        k.bind([Key::char('w')], Action::WatchAgain, "watch again")
                            .help("watch again after the watch stopped or timed out")
                    },
                )
                .when(
                    build.delivery.as_ref().is_some_and(|d| d.retryable()),
                    |k| {
                        k.bind([Key::char('r')], Action::RetryDelivery, "retry failed")
                            .help(
                                "deliver again: the failed actions are sent again, what is done \
                                 is skipped (the journal knows)",
                            )
                    },
                )
                .when(
                    build
                        .delivery
                        .as_ref()
                        .is_some_and(|d| d.counts().failed > 0),
                    |k| {
                        k.bind(
                            [Key::plain(KeyCode::Tab)],
                            Action::NextFailure,
                            "next failure",
                        )
                        .help("select the next failed delivery action")
                        .bind([Key::plain(Enter)], Action::Explain, "explain")
                        .help("the selected failed action's whole explanation")
                    },
                )
                .when(!build.building() && !build.delivering(), |k| {
                    k.bind([Key::char('n')], Action::NewRequest, "new request")
                        .help("give the answers a new ClientToken: the next submit is a new image")
                })
                .bind(scroll, Action::Scroll, "scroll")
            }
        };
        notes(map)
    }
}
