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

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::review::field_of_key;
use super::{KeyHint, Outcome, StepCtx, StepScreen, ViewCtx};
use crate::api::model::{Image, ImageQuery};
use crate::api::{ApiError, CreateImageOutcome};
use crate::spec::{Field, ImageSpec, Source, to_params};
use crate::tui::effect::{Call, SubmitCall};
use crate::tui::msg::{Loaded, RequestId, Submitted};
use crate::tui::view::ErrorReport;
use crate::tui::widgets::dialog::Dialog;
use crate::tui::widgets::progress::{disk_table, gauge};
use crate::tui::widgets::tabs::{Scroll, wrap_line};
use crate::watch::{FailureReason, Outcome as WatchOutcome, WatchEvent, format_duration};

type Params = Vec<(String, String)>;

/// Delay between two looks at the image check once the image is Available.
const CHECK_POLL: Duration = Duration::from_secs(3);
/// Log entries shown (the newest); the journal keeps the statuses.
const LOG_SHOWN: usize = 12;

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

impl Build {
    fn log(&mut self, at: DateTime<Utc>, tone: Tone, text: impl Into<String>) {
        self.log.push(LogLine {
            at,
            tone,
            text: text.into(),
        });
    }

    /// Cancels the watch and the look at the image check.
    fn stop_polling(&mut self, ctx: &mut StepCtx) {
        for id in [self.watch.take(), self.check_poll.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel(id);
        }
    }

    fn building(&self) -> bool {
        self.end.is_none()
    }

    fn check_finished(&self) -> bool {
        self.image
            .as_ref()
            .is_some_and(|i| i.detection_options.status == "Finished")
    }

    /// `ecsimg watch …` for this image (the sandbox dies with the wizard, so say so).
    fn resume_hint(&self) -> String {
        let command = format!("ecsimg watch {} --region {}", self.image_id, self.region);
        if self.sandbox {
            format!(
                "`{command}` (in the sandbox, which lives only as long as this wizard, come back \
                 to step 6 instead)"
            )
        } else {
            format!("`{command}`")
        }
    }
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

/// Seconds between two instants, for people.
fn took(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format_duration((to - from).to_std().unwrap_or_default())
}

fn source_text(source: &Source) -> String {
    match source {
        source if source.is_empty() => "no source".into(),
        Source::Instance { instance_id } => format!("instance {instance_id}"),
        Source::Snapshot { snapshot_id } => format!("snapshot {snapshot_id}"),
        Source::Disks(disks) => format!("a mapping of {} disk(s)", disks.len()),
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

    fn send(&mut self, params: Params, journaled: Option<String>, ctx: &mut StepCtx) {
        let id = ctx.call(Call::Submit(Box::new(SubmitCall {
            spec: ctx.spec.clone(),
            params: params.clone(),
            credential_source: self.target.credential_source.clone(),
            journaled,
        })));
        self.phase = Phase::Sending { id, params };
    }

    /// A new submission of the current answers.
    fn submit(&mut self, ctx: &mut StepCtx) {
        // The review gives the spec its token; a spec that never went through it gets one here,
        // and keeps it.
        if ctx.spec.client_token.is_none() {
            ctx.spec.client_token = Some(uuid::Uuid::new_v4().to_string());
        }
        let params = to_params(ctx.spec);
        self.send(params, None, ctx);
    }

    /// Forgets the build or refusal and gives the answers a new ClientToken: the next submit
    /// is a request of its own (the explicit way to make another image from these answers).
    fn new_request(&mut self, ctx: &mut StepCtx) {
        if let Phase::Building(build) = &mut self.phase {
            build.stop_polling(ctx);
        }
        ctx.spec.client_token = Some(uuid::Uuid::new_v4().to_string());
        self.phase = Phase::Ready;
        ctx.notify("New ClientToken: the next submit is a new request.");
    }

    fn watch(build: &mut Build, delay: Duration, ctx: &mut StepCtx) {
        let call = Call::Watch {
            image_id: build.image_id.clone(),
        };
        build.watch = Some(ctx.call_after(call, delay));
    }

    fn submitted(&mut self, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let result = match result {
            Ok(Loaded::Submitted(submitted)) => Ok(*submitted),
            Ok(_) => return,
            Err(error) => Err(error),
        };
        let Phase::Sending { params, .. } = std::mem::replace(&mut self.phase, Phase::Ready) else {
            return;
        };
        let refused = |report: ErrorReport, field, params, journaled| Phase::Refused {
            report: Box::new(report),
            field,
            params,
            journaled,
        };
        let field_of = |error: &ApiError| {
            let key = error.explanation()?.field.as_deref()?;
            field_of_key(key, ctx.spec)
        };
        self.phase = match result {
            Ok(submitted) => match submitted {
                Submitted::NotSent { reason } => refused(
                    ErrorReport {
                        doing: "Submitting".into(),
                        message: format!(
                            "Nothing was sent: the journal could not record the request ({reason})."
                        ),
                        code: None,
                        meaning: Some(
                            "ecsimg records every request before sending it, so no image is ever \
                             lost or built twice."
                                .into(),
                        ),
                        fix: Some(format!(
                            "Make the journal writable, or set {} to a writable file, then r.",
                            crate::journal::JOURNAL_ENV
                        )),
                        request_id: None,
                        recommend: None,
                        retry: true,
                    },
                    None,
                    params,
                    None,
                ),
                Submitted::Sent {
                    submission_id,
                    journal,
                    answer,
                    settled,
                    journal_problem,
                } => match answer {
                    Ok(CreateImageOutcome::Created {
                        image_id,
                        request_id,
                        client_token,
                    }) => {
                        let mut build = Build {
                            region: ctx.spec.region.clone(),
                            sandbox: self.target.sandbox,
                            image_id,
                            request_id,
                            client_token,
                            check_requested: params.iter().any(|(k, _)| k == "DetectionStrategy"),
                            params,
                            journal,
                            journal_problem,
                            submitted_at: ctx.now,
                            ended_at: None,
                            watch: None,
                            check_poll: None,
                            deleting: None,
                            image: None,
                            remaining: None,
                            last_status: None,
                            said_invisible: false,
                            log: Vec::new(),
                            end: None,
                        };
                        build.log(
                            ctx.now,
                            Tone::Good,
                            format!(
                                "CreateImage accepted: {} (RequestId {})",
                                build.image_id, build.request_id
                            ),
                        );
                        if let Some(problem) = &build.journal_problem {
                            build.log(ctx.now, Tone::Warn, format!("Journal: {problem}"));
                        }
                        Self::watch(&mut build, Duration::ZERO, ctx);
                        Phase::Building(Box::new(build))
                    }
                    Ok(CreateImageOutcome::DryRunPassed { request_id }) => refused(
                        ErrorReport {
                            doing: "Submitting".into(),
                            message: format!(
                                "ECS answered DryRunOperation (RequestId {request_id}) to a real \
                                 request; no image was created."
                            ),
                            code: Some("DryRunOperation".into()),
                            meaning: None,
                            fix: Some("Check the --endpoint setting, then r.".into()),
                            request_id: Some(request_id),
                            recommend: None,
                            retry: true,
                        },
                        None,
                        params,
                        None,
                    ),
                    Err(error) => {
                        let field = field_of(&error);
                        refused(
                            ErrorReport::from_api("Submitting", &error, true),
                            field,
                            params,
                            (!settled).then_some(submission_id),
                        )
                    }
                },
            },
            Err(error) => {
                let field = field_of(&error);
                refused(
                    ErrorReport::from_api("Submitting", &error, true),
                    field,
                    params,
                    None,
                )
            }
        };
    }

    fn watched(build: &mut Build, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let event = match result {
            Ok(Loaded::Watch(event)) => *event,
            Ok(_) => return,
            Err(error) => {
                build.watch = None;
                build.end = Some(End::Stopped(Box::new(ErrorReport::from_api(
                    "Watching", &error, true,
                ))));
                return;
            }
        };
        let now = ctx.now;
        match event {
            WatchEvent::Progress {
                image, remaining, ..
            } => {
                build.image = Some(image);
                build.remaining = remaining;
            }
            WatchEvent::StatusChanged { to, .. } => {
                if build.last_status.as_deref() != Some(to.as_str()) {
                    let text = match &build.last_status {
                        Some(from) => format!("Status {from} → {to}"),
                        None => format!("Status {to}"),
                    };
                    let tone = match to.as_str() {
                        "Available" => Tone::Good,
                        "CreateFailed" | "UnAvailable" => Tone::Bad,
                        _ => Tone::Info,
                    };
                    build.log(now, tone, text);
                    build.last_status = Some(to);
                }
            }
            WatchEvent::Retrying {
                error,
                delay,
                attempt,
            } => {
                let what = error
                    .code()
                    .map_or_else(|| error.to_string(), str::to_string);
                build.log(
                    now,
                    Tone::Warn,
                    format!(
                        "DescribeImages failed ({what}); retry {attempt} in {}",
                        format_duration(delay)
                    ),
                );
            }
            WatchEvent::NotVisibleYet { .. } => {
                if !build.said_invisible {
                    build.said_invisible = true;
                    build.log(
                        now,
                        Tone::Info,
                        "Not listed by DescribeImages yet (a new image can take a moment)",
                    );
                }
            }
            WatchEvent::Finished { outcome, .. } => {
                build.watch = None;
                Self::finished(build, outcome, ctx);
            }
        }
    }

    fn finished(build: &mut Build, outcome: WatchOutcome, ctx: &mut StepCtx) {
        let now = ctx.now;
        match outcome {
            WatchOutcome::Available(image) => {
                build.image = Some(image);
                build.ended_at = Some(now);
                build.end = Some(End::Available);
                build.log(
                    now,
                    Tone::Good,
                    format!("Available after {}", took(build.submitted_at, now)),
                );
                if build.check_requested && !build.check_finished() {
                    build.log(now, Tone::Info, "Image check running");
                }
                Self::follow_check(build, Duration::ZERO, ctx);
            }
            WatchOutcome::Failed { image, reason } => {
                if image.is_some() {
                    build.image = image;
                }
                build.ended_at = Some(now);
                build.log(now, Tone::Bad, format!("Ended: {}", reason.status()));
                build.end = Some(End::Failed(reason));
            }
            WatchOutcome::TimedOut { last } => {
                if last.is_some() {
                    build.image = last;
                }
                build.log(
                    now,
                    Tone::Warn,
                    "Stopped watching: the watch timeout passed",
                );
                build.end = Some(End::TimedOut);
            }
            WatchOutcome::Error(error) => {
                build.log(now, Tone::Bad, format!("Stopped watching: {error}"));
                build.end = Some(End::Stopped(Box::new(ErrorReport::from_api(
                    "Watching", &error, true,
                ))));
            }
        }
    }

    /// Once the image is Available, the image check's findings come a little later: look at
    /// the image again (a plain DescribeImages; the build itself is over) until they are in.
    fn follow_check(build: &mut Build, delay: Duration, ctx: &mut StepCtx) {
        if !build.check_requested || build.check_poll.is_some() {
            return;
        }
        if build.check_finished() {
            let items = build
                .image
                .as_ref()
                .map_or(0, |i| i.detection_options.items.item.len());
            build.log(
                ctx.now,
                Tone::Info,
                format!("Image check finished: {items} finding(s)"),
            );
        } else {
            let query = ImageQuery::watching([build.image_id.clone()]);
            build.check_poll = Some(ctx.call_after(Call::Images(query), delay));
        }
    }

    fn checked(build: &mut Build, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        build.check_poll = None;
        match result {
            Ok(Loaded::Images(images)) => {
                if let Some(image) = images.into_iter().find(|i| i.image_id == build.image_id) {
                    build.image = Some(image);
                }
            }
            Ok(_) => return,
            Err(error) => {
                let what = error
                    .code()
                    .map_or_else(|| error.to_string(), str::to_string);
                build.log(
                    ctx.now,
                    Tone::Warn,
                    format!("Looking at the image check failed ({what}); trying again"),
                );
            }
        }
        Self::follow_check(build, CHECK_POLL, ctx);
    }

    fn delete(build: &mut Build, ctx: &mut StepCtx) {
        build.deleting = Some(ctx.call(Call::DeleteImage {
            image_id: build.image_id.clone(),
        }));
        build.log(ctx.now, Tone::Warn, "DeleteImage sent");
    }

    fn deleted(build: &mut Build, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        build.deleting = None;
        match result {
            Ok(Loaded::Deleted { request_id }) => {
                build.stop_polling(ctx);
                build.log(
                    ctx.now,
                    Tone::Warn,
                    format!("Deleted {} (RequestId {request_id})", build.image_id),
                );
                build.ended_at.get_or_insert(ctx.now);
                build.end = Some(End::Deleted { request_id });
            }
            Ok(_) => {}
            Err(error) => {
                build.log(ctx.now, Tone::Bad, format!("DeleteImage failed: {error}"));
                ctx.show_error("Deleting the image", &error, true);
            }
        }
    }

    fn ask_key(&mut self, ask: Ask, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        // Only a plain y confirms (never ^Y); a plain n or Esc says no.
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let yes = plain && matches!(key.code, KeyCode::Char('y' | 'Y'));
        let no =
            (plain && matches!(key.code, KeyCode::Char('n' | 'N'))) || key.code == KeyCode::Esc;
        if !yes {
            if !no {
                self.ask = Some(ask);
            }
            return Outcome::Handled;
        }
        match (ask, &mut self.phase) {
            (Ask::Submit, Phase::Ready | Phase::Refused { .. }) => self.submit(ctx),
            (Ask::Delete, Phase::Building(build)) => Self::delete(build, ctx),
            (Ask::Leave, Phase::Building(build)) => {
                ctx.notify(format!(
                    "{} keeps building in ECS; step 6 or {} resumes watching.",
                    build.image_id,
                    build.resume_hint()
                ));
                return Outcome::Back;
            }
            _ => {}
        }
        Outcome::Handled
    }

    // -----------------------------------------------------------------------------------------
    // Views

    fn ready_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let spec = ctx.spec;
        let row = |label: &str, text: String| {
            (
                Line::from(vec![
                    Span::styled(format!("  {label:<13}"), theme.label),
                    Span::styled(text, theme.text),
                ]),
                15,
            )
        };
        let name = spec
            .image
            .name
            .clone()
            .unwrap_or_else(|| "(no name: ECS names it)".into());
        let mut lines = vec![
            (Line::styled("Submit the request", theme.title), 0),
            (Line::raw(""), 0),
            row("Image", name),
            row("From", source_text(&spec.source)),
            row(
                "Region",
                if self.target.sandbox {
                    format!(
                        "{} · SANDBOX: the embedded simulator, nothing real is created",
                        spec.region
                    )
                } else {
                    spec.region.clone()
                },
            ),
            row(
                "Endpoint",
                format!(
                    "{} · key: {}",
                    self.target.endpoint, self.target.credential_source
                ),
            ),
            row(
                "ClientToken",
                format!(
                    "{} (sending it again never creates a second image)",
                    spec.client_token
                        .as_deref()
                        .unwrap_or("made when you submit")
                ),
            ),
            row(
                "Journal",
                "the request is recorded before it is sent (ecsimg history)".into(),
            ),
            (Line::raw(""), 0),
        ];
        let errors = ctx.findings.iter().filter(|f| f.is_error()).count();
        lines.push(if errors > 0 {
            (
                Line::styled(
                    format!(
                        "✗ {errors} problem(s) must be fixed first: Esc goes back to the review."
                    ),
                    theme.error,
                ),
                2,
            )
        } else {
            (Line::styled("Enter submits; it asks first.", theme.ok), 0)
        });
        lines
    }

    fn refused_lines(
        &self,
        report: &ErrorReport,
        field: Option<Field>,
        journaled: bool,
        ctx: &ViewCtx,
    ) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let mut lines = vec![
            (Line::styled("The request was not accepted", theme.title), 0),
            (Line::raw(""), 0),
            (
                Line::styled(format!("✗ {}", report.message), theme.error),
                2,
            ),
        ];
        if let Some(meaning) = &report.meaning {
            lines.push((Line::styled(format!("  {meaning}"), theme.text), 2));
        }
        if let Some(fix) = &report.fix {
            lines.push((
                Line::from(vec![
                    Span::styled("  What to do: ", theme.label_focused),
                    Span::styled(fix.clone(), theme.text),
                ]),
                2,
            ));
        }
        if let Some(field) = field {
            lines.push((
                Line::styled(
                    format!("  Field to change: {} (Enter goes there)", field.label()),
                    theme.key,
                ),
                2,
            ));
        }
        if let Some(id) = &report.request_id {
            lines.push((Line::styled(format!("  RequestId {id}"), theme.muted), 2));
        }
        lines.push((Line::raw(""), 0));
        lines.push((
            Line::styled(
                if journaled {
                    "Whether ECS acted is unknown: r sends the same request again with the same \
                     ClientToken, and ECS answers with the image if it made one."
                } else {
                    "No image was created. r sends the request again; n gives the answers a new \
                     ClientToken (after IdempotenceParamNotMatch)."
                },
                theme.muted,
            ),
            0,
        ));
        lines
    }

    fn build_lines(&self, build: &Build, ctx: &ViewCtx, width: u16) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let image = build.image.as_ref();
        let status = image.map_or("Submitted", |i| i.status.as_str());
        let name = image
            .map(|i| i.image_name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| ctx.spec.image.name.clone())
            // ECS names an image without a name after its ID; once is enough.
            .filter(|n| !n.is_empty() && *n != build.image_id)
            .map(|n| format!("{n} · "))
            .unwrap_or_default();
        let mut lines = Vec::new();
        let status_style = match build.end {
            Some(End::Available) => theme.ok,
            Some(End::Failed(_) | End::Deleted { .. }) => theme.error,
            _ => theme.warning,
        };
        let spin = if build.watch.is_some() || build.deleting.is_some() {
            format!(" {}", ctx.spinner())
        } else {
            String::new()
        };
        lines.push((
            Line::from(vec![
                Span::styled(format!("Image {} ", build.image_id), theme.title),
                Span::styled(name, theme.text),
                Span::styled(status.to_string(), status_style),
                Span::styled(spin, theme.muted),
            ]),
            2,
        ));
        let percent = match build.end {
            Some(End::Available) => Some(100),
            _ => image.and_then(Image::progress_percent),
        };
        let elapsed = took(build.submitted_at, build.ended_at.unwrap_or(ctx.now));
        let left = build.remaining.or_else(|| {
            image
                .and_then(|i| {
                    i.disk_device_mappings
                        .disk_device_mapping
                        .iter()
                        .map(|d| d.remain_time)
                        .max()
                })
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
        });
        let mut bar = gauge(percent, width.saturating_sub(40).clamp(10, 60), theme);
        bar.push(Span::styled(format!("   elapsed {elapsed}"), theme.text));
        if build.building()
            && let Some(left) = left
        {
            bar.push(Span::styled(
                format!(" · about {} left", format_duration(left)),
                theme.text,
            ));
        }
        lines.push((Line::from(bar), 2));
        lines.push((
            Line::styled(
                format!(
                    "RequestId {} · ClientToken {}",
                    build.request_id, build.client_token
                ),
                theme.muted,
            ),
            2,
        ));
        lines.push((
            Line::styled(
                format!("Recorded in {}", build.journal.display()),
                theme.muted,
            ),
            2,
        ));
        if to_params(ctx.spec) != build.params {
            lines.push((
                Line::styled(
                    "Your answers changed since this image was submitted: n makes a new request \
                     from them.",
                    theme.warning,
                ),
                0,
            ));
        }
        lines.push((Line::raw(""), 0));
        lines.extend(self.end_lines(build, ctx));
        // Once the build is over, the check's findings matter more than the finished disks; a
        // build that failed or was deleted is never checked.
        let check_first = !build.building();
        let checked = build.check_requested
            && !matches!(build.end, Some(End::Failed(_) | End::Deleted { .. }));
        if checked && check_first {
            lines.extend(check_lines(build, ctx));
            lines.push((Line::raw(""), 0));
        }
        if let Some(image) = image
            && !image.disk_device_mappings.disk_device_mapping.is_empty()
        {
            lines.push((Line::styled("Disks", theme.title), 0));
            lines.extend(
                disk_table(
                    &image.disk_device_mappings.disk_device_mapping,
                    width,
                    theme,
                )
                .into_iter()
                .map(|l| (l, 0)),
            );
            lines.push((Line::raw(""), 0));
        }
        if checked && !check_first {
            lines.extend(check_lines(build, ctx));
            lines.push((Line::raw(""), 0));
        }
        lines.push((Line::styled("Log (UTC)", theme.title), 0));
        let skipped = build.log.len().saturating_sub(LOG_SHOWN);
        if skipped > 0 {
            lines.push((
                Line::styled(format!("  … {skipped} earlier"), theme.muted),
                2,
            ));
        }
        for entry in &build.log[skipped..] {
            let style = match entry.tone {
                Tone::Info => theme.text,
                Tone::Good => theme.ok,
                Tone::Warn => theme.warning,
                Tone::Bad => theme.error,
            };
            lines.push((
                Line::from(vec![
                    Span::styled(format!("  {}  ", entry.at.format("%H:%M:%S")), theme.muted),
                    Span::styled(entry.text.clone(), style),
                ]),
                12,
            ));
        }
        lines
    }

    /// The end state: what it means and what to do next.
    fn end_lines(&self, build: &Build, ctx: &ViewCtx) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let took = took(build.submitted_at, build.ended_at.unwrap_or(ctx.now));
        let text = |t: String, style: Style| (Line::styled(t, style), 2);
        let mut lines = match &build.end {
            None => return Vec::new(),
            Some(End::Available) => {
                let mut lines = vec![text(format!("✓ Available: built in {took}."), theme.ok)];
                if let Some(image) = &build.image {
                    let facts: Vec<String> = [
                        (image.size > 0).then(|| format!("{} GiB", image.size)),
                        Some(image.architecture.clone()).filter(|s| !s.is_empty()),
                        Some(image.platform.clone()).filter(|s| !s.is_empty()),
                        Some(image.boot_mode.clone())
                            .filter(|s| !s.is_empty())
                            .map(|b| format!("boot {b}")),
                        Some(image.features.imds_support.clone())
                            .filter(|s| !s.is_empty())
                            .map(|v| format!("IMDS {v}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    if !facts.is_empty() {
                        lines.push(text(format!("  {}", facts.join(" · ")), theme.text));
                    }
                }
                lines.push(text(
                    "  Launch an instance from it (set INSTANCE_TYPE, VSWITCH_ID and \
                     SECURITY_GROUP_ID first):"
                        .into(),
                    theme.text,
                ));
                let command = [
                    format!("aliyun ecs RunInstances --RegionId {} \\", build.region),
                    format!("  --ImageId {} \\", build.image_id),
                    "  --InstanceType \"$INSTANCE_TYPE\" --VSwitchId \"$VSWITCH_ID\" \\".into(),
                    "  --SecurityGroupId \"$SECURITY_GROUP_ID\"".into(),
                ];
                lines.extend(
                    command
                        .into_iter()
                        .map(|l| (Line::styled(format!("    {l}"), theme.key), 8)),
                );
                lines
            }
            Some(End::Failed(reason)) => {
                let at = build
                    .image
                    .as_ref()
                    .map(|i| i.progress.clone())
                    .filter(|p| !p.is_empty())
                    .map(|p| format!(" at {p}"))
                    .unwrap_or_default();
                vec![
                    text(
                        format!("✗ {}{at}, after {took}.", reason.status()),
                        theme.error,
                    ),
                    text(format!("  {}", reason.meaning()), theme.text),
                    (
                        Line::from(vec![
                            Span::styled("  What to try: ", theme.label_focused),
                            Span::styled(reason.advice().to_string(), theme.text),
                        ]),
                        2,
                    ),
                    text(
                        "  x deletes the failed image here (it asks first).".into(),
                        theme.muted,
                    ),
                ]
            }
            Some(End::TimedOut) => vec![
                text(
                    format!(
                        "Stopped watching after {took}: the watch timeout ([watch] timeout in the config) passed."
                    ),
                    theme.warning,
                ),
                text(
                    format!(
                        "  The build goes on in ECS. w watches again; {} resumes from a shell.",
                        build.resume_hint()
                    ),
                    theme.text,
                ),
            ],
            Some(End::Stopped(report)) => {
                let mut lines = vec![text(
                    format!("Stopped watching: {}", report.message),
                    theme.error,
                )];
                if let Some(meaning) = &report.meaning {
                    lines.push(text(format!("  {meaning}"), theme.text));
                }
                if let Some(fix) = &report.fix {
                    lines.push(text(format!("  What to do: {fix}"), theme.text));
                }
                lines.push(text(
                    format!(
                        "  The build goes on in ECS. w watches again; {} resumes from a shell.",
                        build.resume_hint()
                    ),
                    theme.text,
                ));
                lines
            }
            Some(End::Deleted { request_id }) => vec![text(
                format!(
                    "Deleted (RequestId {request_id}): nothing of this build remains. n starts a new request."
                ),
                theme.warning,
            )],
        };
        lines.push((Line::raw(""), 0));
        lines
    }
}

/// Scroll keys; whether `key` was one.
fn scroll_key(scroll: &Scroll, key: KeyEvent) -> bool {
    match key.code {
        KeyCode::Down => scroll.by(1),
        KeyCode::Up => scroll.by(-1),
        KeyCode::PageDown => scroll.page_down(),
        KeyCode::PageUp => scroll.page_up(),
        KeyCode::Home => scroll.home(),
        KeyCode::End => scroll.end(),
        _ => return false,
    }
    true
}

/// The image check: its state, each finding, and what the risk levels mean.
fn check_lines(build: &Build, ctx: &ViewCtx) -> Vec<(Line<'static>, u16)> {
    let theme = ctx.theme;
    let mut lines = vec![(Line::styled("Image check (Standard)", theme.title), 0)];
    let detection = build.image.as_ref().map(|i| &i.detection_options);
    match detection.map(|d| d.status.as_str()) {
        Some("Finished") => {}
        Some("Processing") => {
            lines.push((
                Line::styled(
                    format!(
                        "  {} Processing: findings appear when ECS finishes the check.",
                        ctx.spinner()
                    ),
                    theme.warning,
                ),
                2,
            ));
            return lines;
        }
        _ => {
            lines.push((
                Line::styled(
                    "  Requested: ECS checks the image once it is built.",
                    theme.muted,
                ),
                2,
            ));
            return lines;
        }
    }
    let mut items: Vec<_> = detection
        .map(|d| d.items.item.iter().collect())
        .unwrap_or_default();
    items.sort_by_key(|i| i.risk_level != "High");
    if items.is_empty() {
        lines.push((Line::styled("  ✓ Finished: no findings.", theme.ok), 2));
        return lines;
    }
    for item in &items {
        let style = if item.risk_level == "High" {
            theme.error
        } else {
            theme.warning
        };
        let code = if item.risk_code.is_empty() {
            String::new()
        } else {
            format!("  ({})", item.risk_code)
        };
        lines.push((
            Line::from(vec![
                Span::styled(format!("  {:<7} ", item.risk_level), style),
                Span::styled(format!("{} = {}{code}", item.name, item.value), theme.text),
            ]),
            10,
        ));
    }
    if items.iter().any(|i| i.risk_level == "High") {
        lines.push((
            Line::styled(
                "  High: instances launched from this image may fail to start or run badly \
                 (without the NVMe driver, for example, it cannot boot on NVMe instance types). \
                 Fix it on the source system and build the image again.",
                theme.text,
            ),
            2,
        ));
    }
    if items.iter().any(|i| i.risk_level == "Medium") {
        lines.push((
            Line::styled(
                "  Medium: instances start, but some features are limited (Cloud Assistant \
                 commands, for example); fixing it is recommended.",
                theme.text,
            ),
            2,
        ));
    }
    lines
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
                if scroll_key(&self.scroll, key) {
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

impl SubmitStep {
    fn render_ask(&self, ask: Ask, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let spec: &ImageSpec = ctx.spec;
        let (title, lines, keys, accent): (&str, Vec<Line>, &[KeyHint], Style) = match (
            ask,
            &self.phase,
        ) {
            (Ask::Submit, _) => {
                let name = spec
                    .image
                    .name
                    .as_deref()
                    .map_or("an image".to_string(), |n| format!("image {n:?}"));
                let mut lines = vec![
                    Line::raw(format!(
                        "CreateImage builds {name} from {} in {}.",
                        source_text(&spec.source),
                        spec.region
                    )),
                    Line::raw(""),
                    if self.target.sandbox {
                        Line::styled(
                            "SANDBOX: the embedded simulator answers; nothing is created in a real account.",
                            theme.warning,
                        )
                    } else {
                        Line::styled(
                            format!(
                                "This uses your Alibaba Cloud account ({}) at {}; the image's snapshots are billed as snapshot storage.",
                                self.target.credential_source, self.target.endpoint
                            ),
                            theme.warning,
                        )
                    },
                    Line::raw(format!(
                        "ClientToken {}: however often this is sent, at most one image is made.",
                        spec.client_token.as_deref().unwrap_or("(new)")
                    )),
                ];
                let warnings = ctx.findings.iter().filter(|f| !f.is_error()).count();
                if warnings > 0 {
                    lines.push(Line::styled(
                        format!("{warnings} warning(s) in the review."),
                        theme.muted,
                    ));
                }
                (
                    "Create the image?",
                    lines,
                    &[("y", "submit"), ("n", "cancel")],
                    theme.border_focused,
                )
            }
            (Ask::Delete, Phase::Building(build)) => (
                "Delete the image?",
                vec![
                    Line::styled(format!("Delete image {} now?", build.image_id), theme.title),
                    Line::raw(""),
                    Line::raw(
                        "DeleteImage stops the build and removes the image from your account. This \
                         cannot be undone.",
                    ),
                ],
                &[("y", "delete it"), ("n", "keep it")],
                theme.error,
            ),
            (Ask::Leave, Phase::Building(build)) => (
                "Leave while it builds?",
                vec![
                    Line::raw(format!(
                        "Image {} keeps building in ECS when you leave: only this wizard's polling stops.",
                        build.image_id
                    )),
                    Line::raw(""),
                    Line::raw(format!(
                        "Come back to step 6 to watch again, or run {}.",
                        build.resume_hint()
                    )),
                ],
                &[("y", "leave"), ("n", "stay")],
                theme.warning,
            ),
            _ => return,
        };
        Dialog {
            title,
            lines,
            keys,
            accent,
            width: 68,
            scroll: 0,
        }
        .render(theme, frame, area);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::api::model::{DetectionItem, DetectionOptions, DiskDeviceMapping};
    use crate::spec::DetectionStrategy;
    use crate::tui::app::{App, Overlay};
    use crate::tui::effect::Effect;
    use crate::tui::msg::Msg;
    use crate::tui::steps::Step;
    use crate::tui::testing::*;
    use crate::tui::update::update;

    const TOKEN: &str = "123e4567-e89b-12d3-a456-426655440000";
    const IMAGE: &str = "m-bp1fyq7bo2ye0xkc9b1n";
    const REQUEST: &str = "C8B26B44-0189-443E-9816-D951F59623A9";

    /// Step 6 with a valid spec: the Stopped instance, a name, the image check, a fixed token.
    fn at_submit() -> App {
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer_instances(&mut app, id, sample_instances());
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Enter);
        app.spec.client_token = Some(TOKEN.into());
        app.spec.image.name = Some("db-golden".into());
        app.spec.features.detection_strategy = Some(DetectionStrategy::Standard);
        for _ in 0..4 {
            ctrl(&mut app, 'n');
        }
        assert_eq!(app.step, Step::Submit);
        app
    }

    fn tick(app: &mut App, seconds: i64) {
        update(app, Msg::Tick(now() + TimeDelta::seconds(seconds)));
    }

    /// Enter, then y: the Submit call.
    fn submit(app: &mut App) -> (RequestId, SubmitCall) {
        assert!(key(app, KeyCode::Enter).is_empty(), "asks first");
        match only_call(&key(app, KeyCode::Char('y'))) {
            (id, Call::Submit(call)) => (id, *call),
            other => panic!("a submission, got {other:?}"),
        }
    }

    fn sent(
        answer: Result<CreateImageOutcome, ApiError>,
        settled: bool,
    ) -> Result<Loaded, ApiError> {
        Ok(Loaded::Submitted(Box::new(Submitted::Sent {
            submission_id: "7d1c1d1e-0000-4000-8000-000000000001".into(),
            journal: PathBuf::from("/home/op/.local/share/ecsimg/journal.jsonl"),
            answer,
            settled,
            journal_problem: None,
        })))
    }

    fn created() -> Result<Loaded, ApiError> {
        sent(
            Ok(CreateImageOutcome::Created {
                image_id: IMAGE.into(),
                request_id: REQUEST.into(),
                client_token: TOKEN.into(),
            }),
            true,
        )
    }

    /// Submitted and accepted; returns the watch's id.
    fn building(app: &mut App) -> RequestId {
        let (id, _) = submit(app);
        tick(app, 1);
        match only_call(&answer(app, id, created())) {
            (watch, Call::Watch { image_id }) => {
                assert_eq!(image_id, IMAGE);
                watch
            }
            other => panic!("a watch, got {other:?}"),
        }
    }

    fn disk(
        device: &str,
        snapshot: &str,
        size: &str,
        progress: &str,
        remain: u64,
    ) -> DiskDeviceMapping {
        DiskDeviceMapping {
            snapshot_id: snapshot.into(),
            device: device.into(),
            disk_type: if device == "/dev/xvda" {
                "system"
            } else {
                "data"
            }
            .into(),
            size: size.into(),
            progress: progress.into(),
            remain_time: remain,
            ..DiskDeviceMapping::default()
        }
    }

    fn image(status: &str, progress: &str) -> Image {
        let mut image = Image {
            image_id: IMAGE.into(),
            image_name: "db-golden".into(),
            status: status.into(),
            progress: progress.into(),
            size: 40,
            architecture: "x86_64".into(),
            platform: "Aliyun".into(),
            boot_mode: "UEFI".into(),
            usable: status == "Available",
            ..Image::default()
        };
        image.features.imds_support = "v2".into();
        let done = status == "Available";
        image.disk_device_mappings.disk_device_mapping = vec![
            disk(
                "/dev/xvda",
                "s-bp1k4wd2j0qmz7h5x3cv",
                "40",
                if done { "100%" } else { "62%" },
                if done { 0 } else { 8 },
            ),
            disk(
                "/dev/xvdb",
                "s-bp1k4wd2j0qmz7h5x3dw",
                "100",
                if done { "100%" } else { "25%" },
                if done { 0 } else { 15 },
            ),
        ];
        image
    }

    fn event(app: &mut App, id: RequestId, event: WatchEvent) -> Vec<Effect> {
        answer(app, id, Ok(Loaded::Watch(Box::new(event))))
    }

    fn status(app: &mut App, id: RequestId, from: Option<&str>, to: &str) {
        event(
            app,
            id,
            WatchEvent::StatusChanged {
                image_id: IMAGE.into(),
                from: from.map(str::to_string),
                to: to.into(),
                elapsed: Duration::ZERO,
            },
        );
    }

    fn progress(app: &mut App, id: RequestId, image: Image, remaining: Option<u64>) {
        event(
            app,
            id,
            WatchEvent::Progress {
                image_id: IMAGE.into(),
                image,
                elapsed: Duration::ZERO,
                remaining: remaining.map(Duration::from_secs),
            },
        );
    }

    fn finished(app: &mut App, id: RequestId, outcome: WatchOutcome) -> Vec<Effect> {
        event(
            app,
            id,
            WatchEvent::Finished {
                image_id: IMAGE.into(),
                outcome,
                elapsed: Duration::ZERO,
            },
        )
    }

    /// Mid-build: Creating at 45 %, one throttled poll, 65 s after the submission.
    fn mid_build() -> (App, RequestId) {
        let mut app = at_submit();
        let watch = building(&mut app);
        tick(&mut app, 2);
        status(&mut app, watch, None, "Creating");
        progress(&mut app, watch, image("Creating", "12%"), None);
        tick(&mut app, 31);
        event(
            &mut app,
            watch,
            WatchEvent::Retrying {
                error: service_error(
                    "Throttling",
                    "Request was denied due to request throttling.",
                ),
                delay: Duration::from_secs(10),
                attempt: 1,
            },
        );
        tick(&mut app, 65);
        progress(&mut app, watch, image("Creating", "45%"), Some(80));
        (app, watch)
    }

    fn flat(app: &App, width: u16, height: u16) -> String {
        screen_text(app, width, height)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn submitting_asks_first_and_sends_the_specs_token() {
        let mut app = at_submit();
        let text = flat(&app, 80, 24);
        assert!(text.contains("Submit the request"), "{text}");
        assert!(text.contains("SANDBOX: the embedded simulator"), "{text}");
        insta::assert_snapshot!("submit_ready_80x24", render(&app, 80, 24));
        key(&mut app, KeyCode::Enter);
        let text = flat(&app, 80, 24);
        assert!(text.contains("Create the image?"), "{text}");
        assert!(
            text.contains("CreateImage builds image \"db-golden\" from instance"),
            "{text}"
        );
        assert!(
            text.contains("i-bp1g6zv0ce8oghu7k002 in cn-hangzhou."),
            "{text}"
        );
        assert!(
            text.contains(&format!("ClientToken {TOKEN}: however often")),
            "{text}"
        );
        insta::assert_snapshot!("submit_confirm_80x24", render(&app, 80, 24));
        // n cancels; nothing is sent.
        assert!(key(&mut app, KeyCode::Char('n')).is_empty());
        let (_, call) = submit(&mut app);
        assert_eq!(call.params, to_params(&app.spec));
        assert!(call.params.contains(&("ClientToken".into(), TOKEN.into())));
        assert_eq!(call.journaled, None);
        assert_eq!(call.credential_source, "sandbox key pair (built in)");
        assert!(app.busy());
        // Nothing takes the user away while CreateImage is in flight.
        assert!(calls(&key(&mut app, KeyCode::Esc)).is_empty());
        assert_eq!(app.step, Step::Submit);
    }

    #[test]
    fn problems_block_the_submission() {
        let mut app = at_submit();
        app.spec.image.name = Some("1-bad".into());
        app.revalidate();
        let text = flat(&app, 80, 24);
        assert!(text.contains("1 problem(s) must be fixed first"), "{text}");
        assert!(key(&mut app, KeyCode::Enter).is_empty());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("Fix the 1 problem(s) first"))
        );
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.step, Step::Review);
    }

    #[test]
    fn the_image_id_and_request_id_show_and_the_watch_starts() {
        let mut app = at_submit();
        building(&mut app);
        let text = flat(&app, 80, 24);
        assert!(text.contains(&format!("Image {IMAGE}")), "{text}");
        assert!(text.contains(&format!("RequestId {REQUEST}")), "{text}");
        assert!(text.contains("CreateImage accepted"), "{text}");
        assert_eq!(app.steps.submit.image_id(), Some(IMAGE));
    }

    #[test]
    fn progress_pane_mid_build() {
        let (app, _) = mid_build();
        let text = flat(&app, 160, 48);
        assert!(text.contains("Creating"), "{text}");
        assert!(text.contains(" 45%"), "{text}");
        assert!(text.contains("elapsed 1m04s · about 1m20s left"), "{text}");
        assert!(
            text.contains("/dev/xvda s-bp1k4wd2j0qmz7h5x3cv 40 GiB"),
            "{text}"
        );
        assert!(text.contains("62% 8s"), "{text}");
        assert!(text.contains("10:00:02 Status Creating"), "{text}");
        assert!(
            text.contains("10:00:31 DescribeImages failed (Throttling); retry 1 in 10s"),
            "{text}"
        );
        assert!(text.contains("Image check (Standard) Requested"), "{text}");
        insta::assert_snapshot!("progress_mid_build_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("progress_mid_build_160x48", render(&app, 160, 48));
    }

    #[test]
    fn available_shows_the_summary_the_launch_command_and_the_check() {
        let (mut app, watch) = mid_build();
        tick(&mut app, 90);
        status(&mut app, watch, Some("Creating"), "Available");
        let mut done = image("Available", "100%");
        done.detection_options.status = "Processing".into();
        let effects = finished(&mut app, watch, WatchOutcome::Available(done.clone()));
        // The check is still running: look at the image again (the build is over).
        let (look, call) = only_call(&effects);
        assert_eq!(call, Call::Images(ImageQuery::watching([IMAGE])));
        let text = flat(&app, 160, 48);
        assert!(text.contains("✓ Available: built in 1m29s."), "{text}");
        assert!(text.contains(&format!("aliyun ecs RunInstances --RegionId cn-hangzhou \\ --ImageId {IMAGE} \\ --InstanceType \"$INSTANCE_TYPE\"")), "{text}");
        assert!(text.contains("Processing: findings appear"), "{text}");
        tick(&mut app, 93);
        let effects = answer(&mut app, look, Ok(Loaded::Images(vec![done.clone()])));
        let (again, _) = only_call(&effects);
        assert!(matches!(effects[0], Effect::Call { delay, .. } if delay == CHECK_POLL));
        tick(&mut app, 95);
        done.detection_options = DetectionOptions {
            status: "Finished".into(),
            items: vec![
                DetectionItem {
                    name: "CloudAssistant".into(),
                    value: "NotInstalled".into(),
                    risk_level: "Medium".into(),
                    risk_code: "CloudAssistant.NotInstalled".into(),
                },
                DetectionItem {
                    name: "NVMeDriver".into(),
                    value: "Missing".into(),
                    risk_level: "High".into(),
                    risk_code: "NVMe.DriverNotFound".into(),
                },
            ]
            .into(),
        };
        assert!(
            calls(&answer(&mut app, again, Ok(Loaded::Images(vec![done])))).is_empty(),
            "the check is done"
        );
        assert!(!app.busy());
        let text = flat(&app, 160, 48);
        assert!(
            text.contains("High NVMeDriver = Missing (NVMe.DriverNotFound)"),
            "{text}"
        );
        assert!(
            text.contains("High: instances launched from this image may fail to start"),
            "{text}"
        );
        assert!(
            text.contains("Image check finished: 2 finding(s)"),
            "{text}"
        );
        assert_eq!(
            text.matches("Status Creating → Available").count(),
            1,
            "logged once: {text}"
        );
        assert!(
            text.contains("built in 1m29s"),
            "the time stops at Available: {text}"
        );
        insta::assert_snapshot!("progress_available_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("progress_available_160x48", render(&app, 160, 48));
    }

    #[test]
    fn create_failed_and_unavailable_say_what_they_mean_and_what_to_try() {
        for (reason, name) in [
            (FailureReason::CreateFailed, "create_failed"),
            (FailureReason::UnAvailable, "unavailable"),
        ] {
            let (mut app, watch) = mid_build();
            tick(&mut app, 70);
            let status_text = reason.status();
            status(&mut app, watch, Some("Creating"), status_text);
            let failed = image(status_text, "60%");
            finished(
                &mut app,
                watch,
                WatchOutcome::Failed {
                    image: Some(failed),
                    reason: reason.clone(),
                },
            );
            let text = flat(&app, 160, 48);
            assert!(
                text.contains(&format!("✗ {status_text} at 60%, after 1m09s.")),
                "{text}"
            );
            assert!(
                text.contains(
                    &reason
                        .meaning()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                "{text}"
            );
            assert!(text.contains("What to try:"), "{text}");
            assert!(text.contains("x deletes the failed image"), "{text}");
            assert!(!app.busy());
            insta::assert_snapshot!(format!("progress_{name}_80x24"), render(&app, 80, 24));
            insta::assert_snapshot!(format!("progress_{name}_160x48"), render(&app, 160, 48));
        }
    }

    #[test]
    fn abort_is_explicit_and_names_the_image() {
        let (mut app, watch) = mid_build();
        assert!(key(&mut app, KeyCode::Char('x')).is_empty());
        let text = flat(&app, 80, 24);
        assert!(
            text.contains(&format!("Delete image {IMAGE} now?")),
            "{text}"
        );
        assert!(key(&mut app, KeyCode::Char('n')).is_empty(), "n keeps it");
        key(&mut app, KeyCode::Char('x'));
        let (id, call) = only_call(&key(&mut app, KeyCode::Char('y')));
        assert_eq!(
            call,
            Call::DeleteImage {
                image_id: IMAGE.into()
            }
        );
        let effects = answer(
            &mut app,
            id,
            Ok(Loaded::Deleted {
                request_id: REQUEST.into(),
            }),
        );
        assert!(
            effects.contains(&Effect::Cancel(watch)),
            "the watch stops: {effects:?}"
        );
        let text = flat(&app, 80, 24);
        assert!(
            text.contains(&format!("Deleted (RequestId {REQUEST})")),
            "{text}"
        );
        assert!(!app.busy());
    }

    #[test]
    fn a_failed_delete_is_explained_and_retried() {
        let (mut app, _) = mid_build();
        key(&mut app, KeyCode::Char('x'));
        let (id, _) = only_call(&key(&mut app, KeyCode::Char('y')));
        answer(
            &mut app,
            id,
            Err(service_error(
                "ImageUsingByInstance",
                "The specified image is being used by instances.",
            )),
        );
        let Some(Overlay::Error { report, .. }) = &app.overlay else {
            panic!("an error popup")
        };
        assert_eq!(report.code.as_deref(), Some("ImageUsingByInstance"));
        let (_, call) = only_call(&key(&mut app, KeyCode::Char('r')));
        assert_eq!(
            call,
            Call::DeleteImage {
                image_id: IMAGE.into()
            }
        );
    }

    #[test]
    fn leaving_while_it_builds_says_how_to_resume() {
        let (mut app, watch) = mid_build();
        assert!(key(&mut app, KeyCode::Esc).is_empty());
        let text = flat(&app, 80, 24);
        assert!(text.contains("Leave while it builds?"), "{text}");
        assert!(text.contains("keeps building in ECS when you"), "{text}");
        assert!(
            text.contains(&format!("{IMAGE} --region cn-hangzhou`")),
            "{text}"
        );
        insta::assert_snapshot!("progress_leave_80x24", render(&app, 80, 24));
        key(&mut app, KeyCode::Char('n'));
        assert_eq!(app.step, Step::Submit);
        key(&mut app, KeyCode::Esc);
        let effects = key(&mut app, KeyCode::Char('y'));
        assert_eq!(app.step, Step::Review);
        assert!(effects.contains(&Effect::Cancel(watch)), "{effects:?}");
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains(&format!("ecsimg watch {IMAGE}"))),
            "{:?}",
            app.notice
        );
        // Coming back watches again.
        let effects = ctrl(&mut app, 'n');
        assert!(
            calls(&effects).iter().any(|(_, c)| *c
                == Call::Watch {
                    image_id: IMAGE.into()
                }),
            "{effects:?}"
        );
    }

    #[test]
    fn quitting_asks_first_while_a_submission_is_in_flight() {
        let mut app = at_submit();
        submit(&mut app);
        assert!(ctrl(&mut app, 'c').is_empty());
        assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
        let warning = app.steps.submit.quit_warning().expect("a reason to ask");
        assert!(warning.contains("CreateImage is on its way"), "{warning}");
        assert!(warning.contains("`ecsimg watch --resume`"), "{warning}");
        assert!(flat(&app, 80, 24).contains("CreateImage is on its way"));
        key(&mut app, KeyCode::Char('n'));
        assert!(!app.quit);

        let (mut app, _) = mid_build();
        ctrl(&mut app, 'c');
        let warning = app.steps.submit.quit_warning().expect("a reason to ask");
        assert!(
            warning.contains(&format!(
                "Image {IMAGE} is still being built. Quitting stops only this wizard's polling"
            )),
            "{warning}"
        );
        assert!(
            warning.contains(&format!("`ecsimg watch {IMAGE} --region cn-hangzhou`")),
            "{warning}"
        );
        assert!(flat(&app, 80, 24).contains("is still being built."));
        assert_eq!(key(&mut app, KeyCode::Char('y')), vec![Effect::Quit]);
    }

    #[test]
    fn a_refusal_is_explained_and_retried_with_the_same_token() {
        let mut app = at_submit();
        let (id, _) = submit(&mut app);
        let error = service_error(
            "InvalidImageName.Duplicated",
            "The specified image name is already in use.",
        );
        answer(&mut app, id, sent(Err(error), true));
        let text = flat(&app, 80, 24);
        assert!(
            text.contains(
                "✗ InvalidImageName.Duplicated: The specified image name is already in use."
            ),
            "{text}"
        );
        assert!(
            text.contains("Field to change: Image name (Enter goes there)"),
            "{text}"
        );
        let (_, call) = only_call(&key(&mut app, KeyCode::Char('r')));
        let Call::Submit(call) = call else { panic!() };
        assert_eq!(
            call.journaled, None,
            "a refused request is a new submission"
        );
        assert!(
            call.params.contains(&("ClientToken".into(), TOKEN.into())),
            "the same token"
        );
    }

    #[test]
    fn an_unknown_outcome_is_sent_again_unchanged_under_its_journal_entry() {
        let mut app = at_submit();
        let (id, first) = submit(&mut app);
        let error = service_error(
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        );
        answer(&mut app, id, sent(Err(error), false));
        let text = flat(&app, 80, 24);
        assert!(text.contains("Whether ECS acted is unknown"), "{text}");
        // Even with changed answers, r repeats exactly what was sent.
        app.spec.image.family = Some("db".into());
        let (_, call) = only_call(&key(&mut app, KeyCode::Char('r')));
        let Call::Submit(call) = call else { panic!() };
        assert_eq!(call.params, first.params);
        assert_eq!(
            call.journaled.as_deref(),
            Some("7d1c1d1e-0000-4000-8000-000000000001")
        );
    }

    #[test]
    fn n_gives_the_answers_a_new_token_after_an_idempotence_mismatch() {
        let mut app = at_submit();
        let (id, _) = submit(&mut app);
        let error = service_error(
            "IdempotenceParamNotMatch",
            "Request uses a client token in a previous request but is not identical to that request.",
        );
        answer(&mut app, id, sent(Err(error), true));
        key(&mut app, KeyCode::Char('n'));
        let token = app.spec.client_token.clone().expect("a token");
        assert_ne!(token, TOKEN);
        let (_, call) = submit(&mut app);
        assert!(call.params.contains(&("ClientToken".into(), token)));
    }

    #[test]
    fn the_journal_refusing_means_nothing_was_sent() {
        let mut app = at_submit();
        let (id, _) = submit(&mut app);
        answer(
            &mut app,
            id,
            Ok(Loaded::Submitted(Box::new(Submitted::NotSent {
                reason: "cannot open the journal /ro/j.jsonl: Read-only file system".into(),
            }))),
        );
        let text = flat(&app, 80, 24);
        assert!(
            text.contains("Nothing was sent: the journal could not record the request"),
            "{text}"
        );
        assert!(text.contains("ECSIMG_JOURNAL"), "{text}");
    }

    #[test]
    fn a_timed_out_watch_leaves_the_build_alone_and_can_watch_again() {
        let (mut app, watch) = mid_build();
        finished(
            &mut app,
            watch,
            WatchOutcome::TimedOut {
                last: Some(image("Creating", "45%")),
            },
        );
        let text = flat(&app, 80, 40);
        assert!(
            text.contains("the watch timeout ([watch] timeout in the config) passed"),
            "{text}"
        );
        assert!(
            text.contains("The build goes on in ECS. w watches again"),
            "{text}"
        );
        let (_, call) = only_call(&key(&mut app, KeyCode::Char('w')));
        assert_eq!(
            call,
            Call::Watch {
                image_id: IMAGE.into()
            }
        );
    }

    #[test]
    fn only_a_plain_y_confirms() {
        let (mut app, _) = mid_build();
        key(&mut app, KeyCode::Char('x'));
        assert!(calls(&ctrl(&mut app, 'y')).is_empty(), "^Y is not y");
        ctrl(&mut app, 'n');
        assert_eq!(app.steps.submit.ask, Some(Ask::Delete), "^N is not n");
        key(&mut app, KeyCode::Enter);
        assert_eq!(
            app.steps.submit.ask,
            Some(Ask::Delete),
            "other keys keep asking"
        );
        assert!(matches!(
            only_call(&key(&mut app, KeyCode::Char('y'))).1,
            Call::DeleteImage { .. }
        ));
    }
}
