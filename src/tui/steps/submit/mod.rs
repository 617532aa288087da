//! Step 6, submit and watch.
//!
//! Enter asks for confirmation (naming the image, the source, the region and whether this is
//! the sandbox), then the runner records the submission in the journal, sends CreateImage with
//! the spec's ClientToken and records the answer. The ImageId and RequestId are shown at once
//! and the watch engine (`crate::watch`) follows the build: a gauge for the image, a row per
//! disk, elapsed time and an estimate, a timestamped log of status changes and retries, and
//! the image check's findings when one was requested.
//!
//! Nothing is deleted implicitly: `x` offers DeleteImage after a confirmation naming the
//! ImageId. Leaving the step, or quitting, while the image builds only stops this wizard's
//! polling — it says so, and how to resume (`ecsimg watch <ImageId>`).
//!
//! This module holds the step's state and its [`StepScreen`] impl; sending, following the build
//! and the screens are in the submodules.

mod build;
mod progress;
mod sending;
mod view;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{KeyHint, Outcome, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::api::model::Image;
use crate::spec::{Field, to_params};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::view::ErrorReport;
use crate::tui::widgets::tabs::{Scroll, wrap_line};
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

    /// The image still being built: its ImageId, last status seen and region.
    pub fn still_building(&self) -> Option<(&str, Option<&str>, &str)> {
        match &self.phase {
            Phase::Building(build) if build.building() => {
                Some((&build.image_id, build.last_status.as_deref(), &build.region))
            }
            _ => None,
        }
    }
}

impl StepScreen for SubmitStep {
    fn enter(&mut self, ctx: &mut StepCtx) {
        if let Some(session) = ctx.session {
            self.target = Target {
                sandbox: session.sandbox,
                endpoint: session.endpoint.clone(),
                credential_source: session.credential_source.clone(),
            };
        }
        match &mut self.phase {
            Phase::Building(build) if build.region == ctx.spec.region => {
                if build.building() && build.watch.is_none() {
                    build.log(ctx.now, Tone::Info, "Watching again");
                    Self::watch(build, Duration::ZERO, ctx);
                } else if build.end == Some(End::Available) {
                    Self::follow_check(build, Duration::ZERO, ctx);
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
        }
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        if let Some(ask) = self.ask.take() {
            return self.ask_key(ask, key, ctx);
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let leaving = key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('p'));
        let region = ctrl && key.code == KeyCode::Char('g');
        match &mut self.phase {
            Phase::Ready => match key.code {
                KeyCode::Enter | KeyCode::Char('s') if !ctrl => {
                    let errors = ctx.findings.iter().filter(|f| f.is_error()).count();
                    if errors > 0 {
                        ctx.notify(format!(
                            "Fix the {errors} problem(s) first: Esc goes back to the review."
                        ));
                    } else {
                        self.ask = Some(Ask::Submit);
                    }
                    Outcome::Handled
                }
                _ => Outcome::Ignored,
            },
            Phase::Sending { .. } => {
                if leaving || region || !ctrl {
                    ctx.notify("Waiting for CreateImage to answer; the request is in the journal.");
                    Outcome::Handled
                } else {
                    Outcome::Ignored
                }
            }
            Phase::Refused {
                field,
                params,
                journaled,
                ..
            } => match key.code {
                KeyCode::Char('r') if !ctrl => {
                    match journaled.clone() {
                        Some(id) => {
                            let params = params.clone();
                            self.send(params, Some(id), ctx);
                        }
                        None => self.submit(ctx),
                    }
                    Outcome::Handled
                }
                KeyCode::Enter => field.map_or(Outcome::Handled, Outcome::Goto),
                KeyCode::Char('n') if !ctrl && journaled.is_none() => {
                    self.new_request(ctx);
                    Outcome::Handled
                }
                _ => Outcome::Ignored,
            },
            Phase::Building(build) => {
                if self.scroll.key(key.code) {
                    return Outcome::Handled;
                }
                if build.deleting.is_some() && (leaving || region) {
                    ctx.notify("Waiting for DeleteImage to answer.");
                    return Outcome::Handled;
                }
                let deletable = match &build.end {
                    None => true,
                    Some(End::Failed(_) | End::TimedOut | End::Stopped(_)) => true,
                    Some(End::Available | End::Deleted { .. }) => false,
                };
                match key.code {
                    _ if build.building() && leaving => {
                        self.ask = Some(Ask::Leave);
                        Outcome::Handled
                    }
                    _ if build.building() && region => {
                        ctx.notify(
                            "The image is in this region: leave step 6 before switching regions.",
                        );
                        Outcome::Handled
                    }
                    KeyCode::Char('x') if !ctrl && deletable && build.deleting.is_none() => {
                        self.ask = Some(Ask::Delete);
                        Outcome::Handled
                    }
                    KeyCode::Char('w')
                        if !ctrl && matches!(build.end, Some(End::TimedOut | End::Stopped(_))) =>
                    {
                        build.end = None;
                        build.ended_at = None;
                        build.log(ctx.now, Tone::Info, "Watching again");
                        Self::watch(build, Duration::ZERO, ctx);
                        Outcome::Handled
                    }
                    KeyCode::Char('n') if !ctrl && !build.building() => {
                        self.new_request(ctx);
                        Outcome::Handled
                    }
                    _ => Outcome::Ignored,
                }
            }
        }
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Outcome {
        match event.kind {
            MouseEventKind::ScrollDown => self.scroll.by(3),
            MouseEventKind::ScrollUp => self.scroll.by(-3),
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
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
            _ => {}
        }
    }

    fn region_changed(&mut self, ctx: &mut StepCtx) {
        self.leave(ctx);
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
                build.watch.is_some() || build.check_poll.is_some() || build.deleting.is_some()
            }
            Phase::Ready | Phase::Refused { .. } => false,
        }
    }

    fn quit_warning(&self) -> Option<String> {
        match &self.phase {
            Phase::Sending { .. } => Some(
                "CreateImage is on its way and ECS has not answered yet. If you quit now, the \
                 request stays in the journal without its ImageId; `ecsimg watch --resume` asks \
                 ECS for it with the same ClientToken (no second image is made). Quit anyway?"
                    .into(),
            ),
            Phase::Building(build) if build.building() => Some(format!(
                "Image {} is still being built. Quitting stops only this wizard's polling; the \
                 build goes on in ECS. Resume watching with {}. Quit?",
                build.image_id,
                build.resume_hint()
            )),
            Phase::Building(build) => Some(format!(
                "The request for {} and how it ended are in the journal (`ecsimg history`). Quit?",
                build.image_id
            )),
            Phase::Ready | Phase::Refused { .. } => None,
        }
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let inner = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(2),
            ..area
        };
        let lines = match &self.phase {
            Phase::Ready => self.ready_lines(ctx),
            Phase::Sending { .. } => vec![
                (Line::styled("Submitting", ctx.theme.title), 0),
                (Line::raw(""), 0),
                (
                    Line::styled(
                        format!(
                            "{} Recording the request in the journal, then sending CreateImage…",
                            ctx.spinner()
                        ),
                        ctx.theme.warning,
                    ),
                    2,
                ),
            ],
            Phase::Refused {
                report,
                field,
                journaled,
                ..
            } => self.refused_lines(report, *field, journaled.is_some(), ctx),
            Phase::Building(build) => self.build_lines(build, ctx, inner.width),
        };
        let rows = lines
            .into_iter()
            .flat_map(|(line, indent)| wrap_line(&line, inner.width, indent))
            .collect();
        self.scroll.render(rows, ctx.theme, frame, inner);
        if let Some(ask) = self.ask {
            self.render_ask(ask, ctx, frame, area);
        }
    }

    fn footer(&self) -> Vec<KeyHint> {
        match self.ask {
            Some(Ask::Submit) => return vec![("y", "submit"), ("n", "cancel")],
            Some(Ask::Delete) => return vec![("y", "delete the image"), ("n", "keep it")],
            Some(Ask::Leave) => return vec![("y", "leave"), ("n", "stay")],
            None => {}
        }
        match &self.phase {
            Phase::Ready => vec![("Enter", "submit…")],
            Phase::Sending { .. } => vec![],
            Phase::Refused {
                field, journaled, ..
            } => {
                let mut keys = vec![("r", "send again")];
                if field.is_some() {
                    keys.push(("Enter", "go to field"));
                }
                if journaled.is_none() {
                    keys.push(("n", "new ClientToken"));
                }
                keys
            }
            Phase::Building(build) => match &build.end {
                None => vec![("x", "delete (abort)…"), ("↑↓", "scroll")],
                Some(End::Available) => vec![("n", "new request"), ("↑↓", "scroll")],
                Some(End::Failed(_)) => vec![("x", "delete…"), ("n", "new request")],
                Some(End::TimedOut | End::Stopped(_)) => {
                    vec![("w", "watch again"), ("x", "delete…"), ("n", "new request")]
                }
                Some(End::Deleted { .. }) => vec![("n", "new request")],
            },
        }
    }

    fn help(&self) -> &'static [KeyHint] {
        &[
            (
                "Enter",
                "submit (asks first); on a refusal, go to the field to change",
            ),
            (
                "r",
                "send the request again after a refusal (the same ClientToken)",
            ),
            (
                "n",
                "give the answers a new ClientToken: the next submit is a new image",
            ),
            (
                "x",
                "delete the image (DeleteImage, asks first and names the ImageId)",
            ),
            ("w", "watch again after the watch stopped or timed out"),
            ("↑↓ PgUp PgDn", "scroll"),
            (
                "Esc",
                "back to the review (while the image builds, asks first: the build goes on)",
            ),
            (
                "",
                "The ClientToken stays with the answers: a retry or a second submit of the same \
                  answers can never create a second image.",
            ),
            (
                "",
                "Every request is recorded in the journal before it is sent; `ecsimg history` \
                  lists them and `ecsimg watch <ImageId>` follows a build from a shell.",
            ),
        ]
    }
}

#[cfg(test)]
mod tests;
