//! The wizard's whole state: one value that `update` changes and `view` reads.

use chrono::{DateTime, Utc};

use super::effect::Effect;
use super::launch::{LaunchScreen, Session};
use super::msg::{Loaded, RequestId};
use super::steps::details::DetailsStep;
use super::steps::disks::DisksStep;
use super::steps::review::ReviewStep;
use super::steps::source::SourceStep;
use super::steps::submit::SubmitStep;
use super::steps::tags::TagsStep;
use super::steps::{Step, StepCtx, StepScreen};
use super::theme::Theme;
use super::view::ErrorReport;
use super::widgets::picker::Picker;
use crate::api::ApiError;
use crate::api::model::Region;
use crate::spec::{self, Context, FieldError, ImageSpec};

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
}

/// One state per step.
#[derive(Debug, Default)]
pub struct Steps {
    pub source: SourceStep,
    pub disks: DisksStep,
    pub details: DetailsStep,
    pub tags: TagsStep,
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
            Step::Review => &mut self.review,
            Step::Submit => &mut self.submit,
        }
    }
}

#[derive(Debug)]
pub struct App {
    pub screen: Screen,
    /// Where the wizard is connected; `None` on the start screen.
    pub session: Option<Session>,
    pub theme: Theme,
    pub step: Step,
    /// Steps the user has been to (problems are marked only there and before).
    pub visited: Vec<Step>,
    pub spec: ImageSpec,
    pub facts: Context,
    /// `validate_with(spec, facts)`, refreshed after every message.
    pub findings: Vec<FieldError>,
    pub steps: Steps,
    pub overlay: Option<Overlay>,
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
    /// The wizard connected to `session`, or the start screen when there is none.
    pub fn new(session: Option<Session>, launch: Option<LaunchScreen>, theme: Theme) -> App {
        let mut spec = ImageSpec::default();
        if let Some(s) = &session {
            spec.region = s.region.clone();
        }
        let screen = match launch {
            Some(l) if session.is_none() => Screen::Launch(l),
            _ => Screen::Wizard,
        };
        let mut app = App {
            screen,
            session,
            theme,
            step: Step::Source,
            visited: vec![Step::Source],
            spec,
            facts: Context::default(),
            findings: Vec::new(),
            steps: Steps::default(),
            overlay: None,
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
            self.session.as_ref(),
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
        launching || regions || self.steps.get(self.step).busy()
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
