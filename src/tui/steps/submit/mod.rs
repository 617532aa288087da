//! Step 7, submit and watch.
//!
//! Enter asks for confirmation (naming the image, the source, the region and whether this is
//! the sandbox), then the runner records the submission in the journal, sends CreateImage with
//! the spec's ClientToken and records the answer. The ImageId and RequestId are shown at once
//! and the watch engine (`crate::watch`) follows the build: a gauge for the image, a row per
//! disk, elapsed time and an estimate, a timestamped log of status changes and retries, and
//! the image check's findings when one was requested.
//!
//! Once the image is Available, the recipe's `[delivery]` runs (`delivery`): the engine
//! (`crate::delivery`) as a background call, one row per action in the pane, `r` retrying the
//! failed ones; leaving stops it and coming back finishes it, the journal skipping what is done.
//!
//! Nothing is deleted implicitly: `x` offers DeleteImage after a confirmation naming the
//! ImageId. Leaving the step, or quitting, while the image builds only stops this wizard's
//! polling — it says so, and how to resume (`ecsimg watch <ImageId>`).
//!
//! This module holds the step's state and its [`StepScreen`] impl; the keys (`keys`), sending,
//! following the build and the screens (`view`) are in the submodules.

mod build;
mod delivery;
mod delivery_view;
mod farewell;
mod keys;
mod progress;
mod sending;
mod view;

pub use self::farewell::Farewell;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;

use self::delivery::Delivery;
use self::delivery_view::finish_command;
use self::keys::Action;
use super::{Answers, Keys, Reaction, StepCtx, StepScreen, ViewCtx, ecsimg_command};
use crate::api::ApiError;
use crate::api::model::Image;
use crate::spec::{Field, to_params};
use crate::tui::error_report::ErrorReport;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::restart::Why;
use crate::tui::widgets::tabs::Scroll;
use crate::watch::FailureReason;

type Params = Vec<(String, String)>;

/// Where requests go (from the session when the step is entered).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Target {
    sandbox: bool,
    endpoint: String,
    credential_source: String,
}

#[derive(Debug)]
enum Phase {
    /// Nothing sent yet.
    Ready,
    /// The journal and CreateImage are at work.
    Sending {
        id: RequestId,
        params: Params,
    },
    /// CreateImage (or the journal) refused.
    Refused {
        report: Box<ErrorReport>,
        /// The field the error code points at.
        field: Option<Field>,
        params: Params,
        /// Set when the outcome is unknown (a timeout, a 5xx): `r` sends these same
        /// parameters again under this journal id, and ECS answers with the image the first
        /// send may have made.
        journaled: Option<String>,
    },
    Building(Box<Build>),
}

/// A question the step asks before acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Submit,
    Delete,
    Leave,
}

/// How a build ended, as far as this wizard followed it.
#[derive(Debug, Clone, PartialEq)]
enum End {
    Available,
    Failed(FailureReason),
    /// The configured watch timeout passed; the build goes on.
    TimedOut,
    /// The watch stopped on an error it could not get past; the build goes on.
    Stopped(Box<ErrorReport>),
    Deleted {
        request_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Info,
    Good,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq)]
struct LogLine {
    at: DateTime<Utc>,
    tone: Tone,
    text: String,
}

/// An image that exists, and what is known about its build.
#[derive(Debug)]
struct Build {
    region: String,
    sandbox: bool,
    /// The endpoint it was sent to (the resume command names it when it is not the default).
    endpoint: String,
    /// The name it was submitted with: taken in the region for any later request.
    name: Option<String>,
    image_id: String,
    request_id: String,
    client_token: String,
    /// What was submitted (to notice answers changed since).
    params: Params,
    journal: PathBuf,
    journal_problem: Option<String>,
    submitted_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    watch: Option<RequestId>,
    /// The look at the image check after the build.
    check_poll: Option<RequestId>,
    deleting: Option<RequestId>,
    /// The latest DescribeImages row.
    image: Option<Image>,
    /// The watch engine's estimate.
    remaining: Option<Duration>,
    last_status: Option<String>,
    said_invisible: bool,
    check_requested: bool,
    log: Vec<LogLine>,
    end: Option<End>,
    /// What `[delivery]` does once the image is Available; `None` when it asks for nothing.
    delivery: Option<Delivery>,
}

#[derive(Debug)]
pub struct SubmitStep {
    phase: Phase,
    ask: Option<Ask>,
    target: Target,
    scroll: Scroll,
}

impl Default for SubmitStep {
    fn default() -> Self {
        SubmitStep {
            phase: Phase::Ready,
            ask: None,
            target: Target::default(),
            scroll: Scroll::default(),
        }
    }
}

impl SubmitStep {
    /// The ImageId being built or built, if any.
    pub fn image_id(&self) -> Option<&str> {
        match &self.phase {
            Phase::Building(build) => Some(&build.image_id),
            _ => None,
        }
    }
}

impl StepScreen for SubmitStep {
    fn enter(&mut self, ctx: &mut StepCtx) {
        if let Some(connection) = ctx.connection {
            self.target = Target {
                sandbox: connection.sandbox,
                endpoint: connection.endpoint.clone(),
                credential_source: connection.credential_source.clone(),
            };
        }
        match &mut self.phase {
            Phase::Building(build) if build.region == ctx.spec.region => {
                if build.building() && build.watch.is_none() {
                    build.log(ctx.now, Tone::Info, "Watching again");
                    Self::watch(build, Duration::ZERO, ctx);
                } else if build.end == Some(End::Available) {
                    Self::follow_check(build, Duration::ZERO, ctx);
                    if build.delivery.as_ref().is_some_and(Delivery::unfinished) {
                        Self::deliver(build, ctx);
                    }
                }
            }
            Phase::Refused {
                params,
                journaled: None,
                ..
            } if *params != to_params(ctx.spec) => self.phase = Phase::Ready,
            _ => {}
        }
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        self.ask = None;
        if let Phase::Building(build) = &mut self.phase {
            build.stop_polling(ctx);
            // Leaving after a submission: the instance ecsimg stopped need not stay down.
            let why = Why::LeftSubmit {
                building: build.building(),
            };
            ctx.restart.offer(why, &ctx.spec.region);
        }
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let Some(action) = self.keymap(ctx.answers()).action(&key) else {
            return Reaction::Ignored;
        };
        match action {
            Action::Yes => {
                if let Some(ask) = self.ask.take() {
                    return self.confirmed(ask, ctx);
                }
            }
            Action::No => self.ask = None,
            Action::Nothing => {}
            Action::Wait(why) => ctx.notify(why),
            Action::Blocked => ctx.notify(format!(
                "Fix the {} problem(s) first: Esc goes back to the review.",
                ctx.answers().errors()
            )),
            Action::Submit => self.ask = Some(Ask::Submit),
            Action::SendAgain => {
                if let Phase::Refused {
                    params, journaled, ..
                } = &self.phase
                {
                    match journaled.clone() {
                        Some(id) => {
                            let params = params.clone();
                            self.send(params, Some(id), ctx);
                        }
                        None => self.submit(ctx),
                    }
                }
            }
            Action::GoToField => {
                if let Phase::Refused {
                    field: Some(field), ..
                } = &self.phase
                {
                    return Reaction::Goto(*field);
                }
            }
            Action::NewRequest => self.new_request(ctx),
            Action::Scroll => {
                self.scroll.key(key.code);
            }
            Action::Leave => self.ask = Some(Ask::Leave),
            Action::Delete => self.ask = Some(Ask::Delete),
            Action::WatchAgain => {
                if let Phase::Building(build) = &mut self.phase {
                    build.end = None;
                    build.ended_at = None;
                    build.log(ctx.now, Tone::Info, "Watching again");
                    Self::watch(build, Duration::ZERO, ctx);
                }
            }
            Action::RetryDelivery => {
                if let Phase::Building(build) = &mut self.phase {
                    Self::deliver(build, ctx);
                }
            }
            Action::NextFailure => {
                if let Phase::Building(build) = &mut self.phase
                    && let Some(delivery) = &mut build.delivery
                {
                    delivery.select_next_failure();
                }
            }
            Action::Explain => {
                if let Phase::Building(build) = &self.phase
                    && let Some(report) = build.delivery.as_ref().and_then(|d| d.selected_report())
                {
                    ctx.show_report(report.clone());
                }
            }
        }
        Reaction::Handled
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Reaction {
        match event.kind {
            MouseEventKind::ScrollDown => self.scroll.by(3),
            MouseEventKind::ScrollUp => self.scroll.by(-3),
            _ => return Reaction::Ignored,
        }
        Reaction::Handled
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        match &mut self.phase {
            Phase::Sending { id: sending, .. } if *sending == id => self.submitted(result, ctx),
            Phase::Building(build) if build.watch == Some(id) => Self::watched(build, result, ctx),
            Phase::Building(build) if build.check_poll == Some(id) => {
                Self::checked(build, result, ctx)
            }
            Phase::Building(build) if build.deleting == Some(id) => {
                Self::deleted(build, result, ctx)
            }
            Phase::Building(build) if build.delivery.as_ref().and_then(|d| d.run) == Some(id) => {
                Self::delivered(build, result, ctx)
            }
            _ => {}
        }
    }

    fn region_changed(&mut self, ctx: &mut StepCtx) {
        self.ask = None;
        if let Phase::Building(build) = &mut self.phase {
            build.stop_polling(ctx);
        }
    }

    fn retry(&mut self, ctx: &mut StepCtx) {
        if let Phase::Building(build) = &mut self.phase
            && !matches!(build.end, Some(End::Deleted { .. }))
        {
            Self::delete(build, ctx);
        }
    }

    fn busy(&self) -> bool {
        match &self.phase {
            Phase::Sending { .. } => true,
            Phase::Building(build) => {
                build.watch.is_some()
                    || build.check_poll.is_some()
                    || build.deleting.is_some()
                    || build.delivering()
            }
            Phase::Ready | Phase::Refused { .. } => false,
        }
    }

    fn quit_warning(&self) -> Option<String> {
        let history = ecsimg_command(self.target.sandbox, "history");
        match &self.phase {
            Phase::Sending { .. } if self.target.sandbox => Some(
                "CreateImage is on its way to the sandbox, which ends with the wizard: quitting \
                 now ends the simulated request too. Quit anyway?"
                    .into(),
            ),
            Phase::Sending { .. } => Some(
                "CreateImage is on its way and ECS has not answered yet. If you quit now, the \
                 request stays in the journal without its ImageId; `ecsimg watch --resume` asks \
                 ECS for it with the same ClientToken (no second image is made). Quit anyway?"
                    .into(),
            ),
            Phase::Building(build) if build.building() => Some(match build.resume_command() {
                Some(command) => format!(
                    "Image {} is still being built. Quitting stops only this wizard's polling; \
                     the build goes on in ECS. Resume watching with `{command}`. Quit?",
                    build.image_id
                ),
                None => format!(
                    "Image {} is being built by the sandbox, which ends with the wizard: \
                     quitting ends the simulated build (`{history}` keeps the record). Quit?",
                    build.image_id
                ),
            }),
            Phase::Building(build) if build.delivering() => {
                Some(match finish_command(build.sandbox) {
                    Some(command) => format!(
                        "Image {} is Available and its delivery is under way. Quitting stops the \
                         delivery where it is; `{command}` finishes it later, and the journal \
                         keeps every call, so nothing is done twice. Quit?",
                        build.image_id
                    ),
                    None => format!(
                        "Image {} is Available and the sandbox is delivering it; the sandbox \
                         ends with the wizard, and the simulated delivery with it (`{history}` \
                         keeps the record). Quit?",
                        build.image_id
                    ),
                })
            }
            Phase::Building(build) => Some(format!(
                "The request for {} and how it ended are in the journal (`{history}`). Quit?",
                build.image_id
            )),
            Phase::Ready | Phase::Refused { .. } => None,
        }
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        self.draw(ctx, frame, area);
    }

    fn keys(&self, answers: Answers) -> Keys {
        self.keymap(answers).keys()
    }

    fn verdict(&self, _answers: Answers) -> Option<bool> {
        match &self.phase {
            Phase::Building(build) => match build.end {
                Some(End::Available) => Some(true),
                Some(End::Failed(_)) => Some(false),
                _ => None,
            },
            Phase::Refused { .. } => Some(false),
            Phase::Ready | Phase::Sending { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests;
