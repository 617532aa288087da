//! The wizard's whole state: one value that `update` changes and `view` reads.

use chrono::{DateTime, Utc};

use super::effect::Effect;
use super::error_report::ErrorReport;
use super::launch::{Connection, LaunchScreen};
use super::msg::{Loaded, RequestId};
use super::restart::{Restart, RestartAction};
use super::step::Step;
use super::steps::delivery::DeliveryStep;
use super::steps::details::DetailsStep;
use super::steps::disks::DisksStep;
use super::steps::review::ReviewStep;
use super::steps::source::SourceStep;
use super::steps::submit::{Farewell, SubmitStep};
use super::steps::tags::TagsStep;
use super::steps::{Answers, StepCtx, StepScreen};
use super::theme::Theme;
use super::widgets::keymap::{HelpLine, Key, KeyHint, Keymap, Keys};
use super::widgets::picker::{Picker, PickerAction};
use crate::api::ApiError;
use crate::api::model::Region;
use crate::spec::{self, Facts, Finding, ImageSpec};

/// What fills the screen.
#[derive(Debug)]
pub enum Screen {
    /// No credentials: what was looked for, and the sandbox one key away.
    Launch(LaunchScreen),
    Wizard,
}

/// A modal on top of the screen; it takes every key while open.
#[derive(Debug)]
pub enum Overlay {
    /// Help for the current screen, scrolled down this many lines.
    Help { scroll: u16 },
    /// "Quit and lose your answers?"
    ConfirmQuit,
    /// A failed call, from the step that made it (its `retry` runs on `r`).
    Error {
        owner: Option<Step>,
        report: ErrorReport,
    },
    /// Choose another region (DescribeRegions).
    Regions(Box<Picker<Region>>),
    /// The chosen source belongs to the old region: confirm before switching to `region`.
    ConfirmRegion { region: String },
    /// Starting again the instance ecsimg stopped: the offer, then its status
    /// ([`App::restart`] holds the state; the overlay follows it).
    Restart,
}

/// What a key does when no step or overlay uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    Next,
    Back,
    Help,
    Region,
    Quit,
}

/// What a key does in an overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayAction {
    /// Scroll the help by this many lines.
    Scroll(i32),
    Close,
    Yes,
    No,
    Retry,
    Picker(PickerAction),
    /// Quit once the instance ecsimg stopped is started again.
    StartThenQuit,
    Restart(RestartAction),
    /// The overlay is modal: other keys do nothing.
    Nothing,
}

/// The one key that works everywhere, handled before any screen sees it.
const QUIT: Key = Key::ctrl('c');

/// One state per step.
#[derive(Debug, Default)]
pub struct Steps {
    pub source: SourceStep,
    pub disks: DisksStep,
    pub details: DetailsStep,
    pub tags: TagsStep,
    pub delivery: DeliveryStep,
    pub review: ReviewStep,
    pub submit: SubmitStep,
}

impl Steps {
    /// The state of `step`.
    pub fn get(&self, step: Step) -> &dyn StepScreen {
        match step {
            Step::Source => &self.source,
            Step::Disks => &self.disks,
            Step::Details => &self.details,
            Step::Tags => &self.tags,
            Step::Delivery => &self.delivery,
            Step::Review => &self.review,
            Step::Submit => &self.submit,
        }
    }

    pub fn get_mut(&mut self, step: Step) -> &mut dyn StepScreen {
        match step {
            Step::Source => &mut self.source,
            Step::Disks => &mut self.disks,
            Step::Details => &mut self.details,
            Step::Tags => &mut self.tags,
            Step::Delivery => &mut self.delivery,
            Step::Review => &mut self.review,
            Step::Submit => &mut self.submit,
        }
    }
}

#[derive(Debug)]
pub struct App {
    pub screen: Screen,
    /// Where the wizard is connected; `None` on the start screen.
    pub connection: Option<Connection>,
    pub theme: Theme,
    pub step: Step,
    /// Steps the user has been to (problems are marked only there and before).
    pub visited: Vec<Step>,
    pub spec: ImageSpec,
    pub facts: Facts,
    /// `validate_with(spec, facts)`, refreshed after every message.
    pub findings: Vec<Finding>,
    pub steps: Steps,
    pub overlay: Option<Overlay>,
    /// The instance ecsimg stopped in this session and the offer to start it again.
    pub restart: Restart,
    /// A one-line message for the status line, cleared by the next key.
    pub notice: Option<String>,
    /// Last time seen (from ticks).
    pub now: DateTime<Utc>,
    /// Counts ticks while something is in flight (spinner frames).
    pub tick: u64,
    /// The terminal size, columns × rows.
    pub size: (u16, u16),
    /// The pending DescribeRegions call of the region popup.
    pub regions_request: Option<RequestId>,
    /// Last request id handed out.
    pub(crate) seq: u64,
    /// A failed call waiting to be shown (set through `StepCtx::show_error`).
    pub(crate) pending_error: Option<(Step, ErrorReport)>,
    pub quit: bool,
}

impl App {
    /// The wizard connected to `connection`, or the start screen when there is none.
    pub fn new(connection: Option<Connection>, launch: Option<LaunchScreen>, theme: Theme) -> App {
        let mut spec = ImageSpec::default();
        if let Some(s) = &connection {
            spec.region = s.region.clone();
        }
        let screen = match launch {
            Some(l) if connection.is_none() => Screen::Launch(l),
            _ => Screen::Wizard,
        };
        let mut app = App {
            screen,
            connection,
            theme,
            step: Step::Source,
            visited: vec![Step::Source],
            spec,
            facts: Facts::default(),
            findings: Vec::new(),
            steps: Steps::default(),
            overlay: None,
            restart: Restart::default(),
            notice: None,
            now: DateTime::<Utc>::UNIX_EPOCH,
            tick: 0,
            size: (80, 24),
            regions_request: None,
            seq: 0,
            pending_error: None,
            quit: false,
        };
        app.revalidate();
        app
    }

    /// Effects to run once at start: the first step's loads.
    pub fn start(&mut self) -> Vec<Effect> {
        if matches!(self.screen, Screen::Wizard) {
            self.with_step(self.step, |s, ctx| s.enter(ctx))
        } else {
            Vec::new()
        }
    }

    /// Runs `f` on `step`'s state with a context over the rest of the app; returns the effects
    /// it asked for. The error popup it requested is opened here.
    pub(crate) fn with_step(
        &mut self,
        step: Step,
        f: impl FnOnce(&mut dyn StepScreen, &mut StepCtx),
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut ctx = StepCtx::new(
            step,
            &mut self.spec,
            &mut self.facts,
            &self.findings,
            self.now,
            self.connection.as_ref(),
            &mut self.restart,
            &mut self.seq,
            &mut effects,
            &mut self.pending_error,
            &mut self.notice,
        );
        f(self.steps.get_mut(step), &mut ctx);
        if let Some((owner, report)) = self.pending_error.take() {
            self.overlay = Some(Overlay::Error {
                owner: Some(owner),
                report,
            });
        }
        effects
    }

    /// Recomputes the findings after the spec or the facts changed.
    pub fn revalidate(&mut self) {
        self.findings = spec::validate_with(&self.spec, &self.facts);
        // A delete of images not confirmed on the delivery step stops the request too.
        self.findings
            .extend(self.steps.delivery.findings(&self.spec));
    }

    /// Findings that stop the request, for one step.
    pub fn step_errors(&self, step: Step) -> usize {
        let from_spec = self
            .findings
            .iter()
            .filter(|f| f.is_error() && Step::of_field(f.field) == step)
            .count();
        let from_input = self.steps.get(step).input_problems().len();
        from_spec + from_input
    }

    /// Whether the user has answered anything (quitting then asks first).
    pub fn has_answers(&self) -> bool {
        let fresh = ImageSpec {
            region: self.spec.region.clone(),
            ..ImageSpec::default()
        };
        self.spec != fresh
    }

    /// Whether anything is in flight (the loop then sends ticks).
    pub fn busy(&self) -> bool {
        let launching = matches!(&self.screen, Screen::Launch(l) if l.starting());
        let regions = self.regions_request.is_some();
        launching || regions || self.restart.busy() || self.steps.get(self.step).busy()
    }

    fn answers(&self) -> Answers<'_> {
        Answers {
            spec: &self.spec,
            findings: &self.findings,
            facts: &self.facts,
        }
    }

    /// The active step's keys now.
    pub fn step_keys(&self) -> Keys {
        self.steps.get(self.step).keys(self.answers())
    }

    /// Whether the step's work is done (✓), failed (✗) or neither, for the step bar: the
    /// findings for most steps, what was done for the review and the submission.
    pub fn step_verdict(&self, step: Step) -> Option<bool> {
        match step {
            Step::Review | Step::Submit => self.steps.get(step).verdict(self.answers()),
            // The disks of a source that cannot be used are not worth a ✓.
            Step::Disks if self.step_errors(Step::Source) > 0 => None,
            _ => Some(self.step_errors(step) == 0),
        }
    }

    /// The keys that work on any step unless the step uses them itself (`q` types into a
    /// filter). `^C` is not among them: it always works.
    pub fn global_keymap(&self) -> Keymap<Global> {
        use crossterm::event::KeyCode::*;
        let back = match self.step.previous() {
            Some(_) => Keymap::new()
                .bind([Key::plain(Esc), Key::ctrl('p')], Global::Back, "back")
                .help("previous step"),
            None => Keymap::new()
                .bind([Key::plain(Esc)], Global::Quit, "quit")
                .help("quit (asks first when you have answers)")
                .quiet(),
        };
        Keymap::new()
            .when(self.step.next().is_some(), |k| {
                k.bind([Key::ctrl('n')], Global::Next, "next")
                    .help("next step")
            })
            .with(back, |a| a)
            .bind([Key::char('?'), Key::plain(F(1))], Global::Help, "help")
            .help("this help")
            .bind([Key::ctrl('g')], Global::Region, "region")
            .help("switch region (lists reload)")
            .quiet()
            .bind([Key::char('q')], Global::Quit, "quit")
            .help("quit (asks first when you have answers)")
            .quiet()
            .note("The step bar marks steps with problems ✗ and finished ones ✓.")
            .note("A failed call shows what its error code means; r retries it.")
    }

    /// `^C`, which quits from anywhere (asking first when answers would be lost).
    pub fn quit_keymap() -> Keymap<Global> {
        Keymap::new()
            .bind([QUIT], Global::Quit, "quit")
            .help("quit from anywhere (asks first when answers would be lost)")
    }

    /// The open overlay's keys.
    pub fn overlay_keymap(&self) -> Option<Keymap<OverlayAction>> {
        use OverlayAction as A;
        use crossterm::event::KeyCode::*;
        let modal = |k: Keymap<A>| {
            k.bind([Key::Any], A::Nothing, "nothing")
                .help("other keys wait for an answer")
                .quiet()
        };
        Some(match self.overlay.as_ref()? {
            Overlay::Help { .. } => Keymap::new()
                .bind_each(
                    [
                        (Key::plain(Up), A::Scroll(-1)),
                        (Key::plain(Down), A::Scroll(1)),
                        (Key::char('k'), A::Scroll(-1)),
                        (Key::char('j'), A::Scroll(1)),
                        (Key::plain(PageUp), A::Scroll(-10)),
                        (Key::plain(PageDown), A::Scroll(10)),
                        (Key::char(' '), A::Scroll(10)),
                    ],
                    "scroll",
                )
                .quiet()
                .bind(
                    [
                        Key::plain(Esc),
                        Key::plain(Enter),
                        Key::char('q'),
                        Key::char('?'),
                        Key::plain(F(1)),
                    ],
                    A::Close,
                    "close",
                ),
            Overlay::ConfirmQuit => modal(
                Keymap::new()
                    .when(self.restart.startable_from(&self.spec.region), |k| {
                        k.bind([Key::char('s')], A::StartThenQuit, "start it, then quit")
                            .help("start the instance ecsimg stopped, and quit once it runs")
                    })
                    .bind([Key::char('y')], A::Yes, "quit")
                    .bind([Key::char('n'), Key::plain(Esc)], A::No, "stay"),
            ),
            Overlay::Restart => Keymap::new().with(self.restart.keymap(), A::Restart),
            Overlay::Error { report, .. } => modal(
                Keymap::new()
                    .when(report.retry, |k| {
                        k.bind([Key::char('r')], A::Retry, "retry")
                    })
                    .bind(
                        [Key::plain(Esc), Key::plain(Enter), Key::char('q')],
                        A::Close,
                        "close",
                    ),
            ),
            Overlay::ConfirmRegion { .. } => modal(
                Keymap::new()
                    .bind([Key::char('y'), Key::plain(Enter)], A::Yes, "switch")
                    .bind([Key::char('n'), Key::plain(Esc)], A::No, "stay"),
            ),
            Overlay::Regions(picker) => Keymap::new()
                .with(picker.keymap("switch"), A::Picker)
                .bind([Key::plain(Esc)], A::Close, "cancel")
                .help("keep the region"),
        })
    }

    /// The footer: the screen's keys (left) and the global ones it leaves free (right).
    pub fn footer_keys(&self) -> (Vec<KeyHint>, Vec<KeyHint>) {
        let quit = App::quit_keymap().footer();
        if let Some(overlay) = self.overlay_keymap() {
            return (overlay.footer(), quit);
        }
        let step = self.step_keys();
        let mut global = self.global_keymap().unless_used_by(&step).footer();
        global.extend(quit);
        (step.footer(), global)
    }

    /// The help popup: the step's keys and notes, then the keys that work everywhere.
    pub fn help_lines(&self) -> (Vec<HelpLine>, Vec<HelpLine>) {
        let step = self.step_keys();
        let global = Keymap::new()
            .with(self.global_keymap().unless_used_by(&step), |a| a)
            .with(App::quit_keymap(), |a| a);
        (step.help_lines(), global.help_lines())
    }

    /// Opens or closes the restart dialog to match its state: it comes up once a step asked
    /// for the offer and no other overlay is open, and goes when it has nothing to show.
    pub fn sync_restart(&mut self) {
        match (&self.overlay, self.restart.showing()) {
            (None, true) => self.overlay = Some(Overlay::Restart),
            (Some(Overlay::Restart), false) => self.overlay = None,
            _ => {}
        }
    }

    /// What to print once the terminal is restored, when this session submitted an image:
    /// its ImageId, last status and the command that resumes watching it.
    pub fn farewell(&self) -> Option<Farewell> {
        self.steps.submit.farewell()
    }

    /// Routes an API result to whoever asked.
    pub(crate) fn deliver(
        &mut self,
        step: Step,
        id: RequestId,
        result: Result<Loaded, ApiError>,
    ) -> Vec<Effect> {
        self.with_step(step, |s, ctx| s.loaded(id, result, ctx))
    }
}
