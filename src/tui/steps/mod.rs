//! The wizard's steps and the contract each one implements.
//!
//! # Contract
//! A step is a struct in its own module that owns its state (pickers, fields, focus) and
//! implements [`StepScreen`]. The top-level `update` routes to the active step:
//!
//! - **Keys, mouse, paste** go to the active step first ([`StepScreen::key`] etc.). Return
//!   [`Reaction::Ignored`] for keys you do not use: the app then applies the global meaning
//!   (`?` help, `q` quit, `Esc` back, `^N`/`^P` next/previous step, `^G` region). A step that
//!   has a text input focused should consume printable keys (including `q` and `?`). `Ctrl+C`
//!   and `F1` never reach a step. Return [`Reaction::Next`] / [`Reaction::Back`] to move on (e.g.
//!   Enter on the last field) or back.
//! - **Answers live in the spec**: write what the user chose into `ctx.spec` as soon as it is
//!   valid input (the step bar, other steps and the summary read it). Keep raw input that does
//!   not fit the spec yet (a size of "12x") in the step, and report it from
//!   [`StepScreen::input_problems`].
//! - **Validation**: `ctx.findings` / `ViewCtx::findings` hold `spec::validate_with(spec,
//!   facts)` as of the last message, recomputed by the app after every update. Show the
//!   findings for your fields inline; feed live facts into `ctx.facts` (snapshot facts for
//!   chosen snapshots, names already taken in the region) so `validate_with` can use them.
//! - **Async work**: never await. Ask with `ctx.call(Call::…)`, keep the returned
//!   [`RequestId`], and handle the answer in [`StepScreen::loaded`]; drop results whose id you
//!   no longer expect. Listings arrive page by page ([`Page`](super::msg::Page), a final empty
//!   page has `last: true`). On an error call `ctx.show_error(...)` (a popup with the ECS
//!   code's explanation; `r` there calls [`StepScreen::retry`]) and/or show it inline.
//! - **Lifecycle**: [`StepScreen::enter`] runs each time the step becomes active (start loads
//!   that are missing), [`StepScreen::leave`] when it stops being active (cancel loads with
//!   `ctx.cancel`), [`StepScreen::region_changed`] after a region switch (forget regional data;
//!   the spec's source is already cleared; `enter` then runs again for the active step).
//! - **View** is read-only: `view(&self, ...)` draws into `area` only, using `ctx.theme`.
//!   Widgets that need scroll state keep it in the step (a `Cell` for render-time offsets).
//!   Place the terminal cursor only when `ctx.focused` (no popup on top).
//! - **Tests**: `crate::tui::testing` builds a wizard, sends keys and API answers through
//!   `update`, and renders into a `TestBackend` (80×24 and 160×48 snapshots).
//! - **Keys are data**: each step builds a [`Keymap`] for its current mode (editing, a list
//!   open, a dialog) and dispatches [`StepScreen::key`] through it; [`StepScreen::keys`] returns
//!   the same map without actions, from which the app draws the footer and the `?` help and
//!   adds the global keys the step does not use itself. A key that does nothing in a mode is
//!   not bound there, so the footer and the help never promise it.
//!
//! - **Jumps**: return [`Reaction::Goto`] to send the user to the field a problem is about (the
//!   review does); the app enters the field's step and calls [`StepScreen::focus`] on it.
//! - **Quitting** asks first when [`StepScreen::quit_warning`] of the active step says why
//!   (a submission in flight), or when there are unsaved answers.

pub mod delivery;
pub mod details;
pub mod disks;
pub mod review;
pub mod source;
pub mod submit;
pub mod tags;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::effect::{Call, Effect};
use super::error_report::ErrorReport;
use super::launch::Connection;
use super::msg::{Loaded, Owner, Page, RequestId};
use super::restart::Restart;
use super::step::Step;
use super::theme::Theme;
pub use super::widgets::keymap::{KeyHint, Keys};
use super::widgets::picker::Picker;
use crate::api::ApiError;
use crate::spec::{Facts, Field, Finding, ImageSpec};

/// What a step did with an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// Not used: the app applies the key's global meaning.
    Ignored,
    /// Used; nothing else to do.
    Handled,
    /// Go to the next step.
    Next,
    /// Go to the previous step.
    Back,
    /// Go to the step that edits this field, with the field focused.
    Goto(Field),
}

/// An `ecsimg` command as the user should type it in this session: a sandbox session's
/// commands need `--sandbox` (its journal is a file of its own).
pub fn ecsimg_command(sandbox: bool, args: &str) -> String {
    if sandbox {
        format!("ecsimg --sandbox {args}")
    } else {
        format!("ecsimg {args}")
    }
}

/// What a step's keys may depend on besides its own state (a submit needs the problems).
#[derive(Clone, Copy)]
pub struct Answers<'a> {
    pub spec: &'a ImageSpec,
    pub findings: &'a [Finding],
    pub facts: &'a Facts,
}

impl Answers<'_> {
    /// Findings that stop the request.
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }
}

/// What a step may touch while handling a message.
pub struct StepCtx<'a> {
    pub spec: &'a mut ImageSpec,
    /// Live facts for `spec::validate_with`.
    pub facts: &'a mut Facts,
    /// `validate_with(spec, facts)` as of the previous message.
    pub findings: &'a [Finding],
    /// The time of the last tick (use it for elapsed-time displays, never the clock).
    pub now: DateTime<Utc>,
    /// Where the wizard is connected.
    pub connection: Option<&'a Connection>,
    /// The instance ecsimg stopped in this session, and the offer to start it again.
    pub restart: &'a mut Restart,
    owner: Step,
    seq: &'a mut u64,
    effects: &'a mut Vec<Effect>,
    error: &'a mut Option<(Step, ErrorReport)>,
    notice: &'a mut Option<String>,
}

impl<'a> StepCtx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        owner: Step,
        spec: &'a mut ImageSpec,
        facts: &'a mut Facts,
        findings: &'a [Finding],
        now: DateTime<Utc>,
        connection: Option<&'a Connection>,
        restart: &'a mut Restart,
        seq: &'a mut u64,
        effects: &'a mut Vec<Effect>,
        error: &'a mut Option<(Step, ErrorReport)>,
        notice: &'a mut Option<String>,
    ) -> Self {
        StepCtx {
            spec,
            facts,
            findings,
            now,
            connection,
            restart,
            owner,
            seq,
            effects,
            error,
            notice,
        }
    }

    /// Starts an API call now; its result arrives in [`StepScreen::loaded`] with this id.
    pub fn call(&mut self, call: Call) -> RequestId {
        self.call_after(call, std::time::Duration::ZERO)
    }

    /// Starts an API call after `delay` (polling).
    pub fn call_after(&mut self, call: Call, delay: std::time::Duration) -> RequestId {
        *self.seq += 1;
        let id = RequestId {
            owner: Owner::Step(self.owner),
            seq: *self.seq,
        };
        self.effects.push(Effect::Call { id, call, delay });
        id
    }

    /// Stops a call; nothing more arrives for it.
    pub fn cancel(&mut self, id: RequestId) {
        self.effects.push(Effect::Cancel(id));
    }

    /// Shows a failed call in the error popup: `doing` says what was attempted ("Loading
    /// instances"). With `retry`, the popup offers `r`, which calls [`StepScreen::retry`].
    pub fn show_error(&mut self, doing: &str, error: &ApiError, retry: bool) {
        *self.error = Some((self.owner, ErrorReport::from_api(doing, error, retry)));
    }

    /// Shows an explanation the step already holds in the error popup (without `r`).
    pub fn show_report(&mut self, report: ErrorReport) {
        *self.error = Some((self.owner, report));
    }

    /// Feeds one answer of a listing into its picker. The load `request` tracks ends with its
    /// last page, or with an error, shown in the picker and in the error popup (with `r`);
    /// `Ok(None)` (an answer of another kind) is ignored. Returns whether the load failed.
    pub fn feed_picker<T>(
        &mut self,
        picker: &mut Picker<T>,
        request: &mut Option<RequestId>,
        answer: Result<Option<Page<T>>, ApiError>,
        doing: &str,
    ) -> bool {
        match answer {
            Ok(Some(page)) => {
                if page.last {
                    *request = None;
                }
                picker.push_page(page.rows, page.last);
                false
            }
            Ok(None) => false,
            Err(error) => {
                *request = None;
                picker.fail(error.to_string());
                self.show_error(doing, &error, true);
                true
            }
        }
    }

    /// A one-line message in the status line until the next key ("Instance i-… stopped").
    pub fn notify(&mut self, text: impl Into<String>) {
        *self.notice = Some(text.into());
    }

    pub fn answers(&self) -> Answers<'_> {
        Answers {
            spec: self.spec,
            findings: self.findings,
            facts: self.facts,
        }
    }
}

/// What a step's view may read.
pub struct ViewCtx<'a> {
    pub spec: &'a ImageSpec,
    pub findings: &'a [Finding],
    /// The live facts the findings were computed with.
    pub facts: &'a Facts,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    /// Advances while something is in flight: index spinner frames with it.
    pub tick: u64,
    /// False while a popup covers the step: then place no terminal cursor.
    pub focused: bool,
}

impl ViewCtx<'_> {
    /// The spinner frame for the current tick.
    pub fn spinner(&self) -> &'static str {
        const FRAMES: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
        FRAMES[(self.tick % FRAMES.len() as u64) as usize]
    }

    /// The findings about one field.
    pub fn findings_for(&self, field: Field) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.field == field)
    }

    pub fn answers(&self) -> Answers<'_> {
        Answers {
            spec: self.spec,
            findings: self.findings,
            facts: self.facts,
        }
    }
}

/// The behaviour every step implements (see the module docs).
pub trait StepScreen {
    /// The step became active.
    fn enter(&mut self, ctx: &mut StepCtx);
    /// The step stops being active.
    fn leave(&mut self, ctx: &mut StepCtx);
    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction;
    fn mouse(&mut self, _event: MouseEvent, _ctx: &mut StepCtx) -> Reaction {
        Reaction::Ignored
    }
    fn paste(&mut self, _text: &str, _ctx: &mut StepCtx) -> Reaction {
        Reaction::Ignored
    }
    /// A result of a call this step made.
    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx);
    /// The region changed: forget lists and facts from the old one.
    fn region_changed(&mut self, ctx: &mut StepCtx);
    /// The user pressed `r` in the error popup this step opened.
    fn retry(&mut self, _ctx: &mut StepCtx) {}
    /// Something is in flight (the app then ticks for spinners).
    fn busy(&self) -> bool {
        false
    }
    /// Time passed (`ctx.now` is fresh): for timers that start with the first tick after a
    /// request was sent, since the time of a key press is not known.
    fn tick(&mut self, _ctx: &mut StepCtx) {}
    /// Moves the focus to `field` (after [`StepScreen::enter`], for a jump from the review).
    fn focus(&mut self, _field: Field) {}
    /// Why quitting now deserves a question (a submission in flight), in a sentence or two.
    fn quit_warning(&self) -> Option<String> {
        None
    }
    /// Whether the step's work is done (✓) or failed (✗) for the current answers, for steps
    /// judged by what they did rather than by the findings (a DryRun, a submission).
    fn verdict(&self, _answers: Answers) -> Option<bool> {
        None
    }
    /// Input that is not (yet) valid, so not in the spec: counted as problems in the step bar.
    fn input_problems(&self) -> Vec<String> {
        Vec::new()
    }
    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect);
    /// The keys [`StepScreen::key`] acts on now, most important first, with the help's notes:
    /// the step's keymap without its actions.
    fn keys(&self, answers: Answers) -> Keys;
}
