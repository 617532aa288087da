//! Stopping a Running instance before it becomes the source: the data-consistency warning, the
//! explicit confirmation, StopInstances, then DescribeInstances polls until it is Stopped, with
//! the status and the time since the stop was sent on screen.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::SourceStep;
use crate::api::ApiError;
use crate::api::model::Instance;
use crate::spec::Source;
use crate::tui::effect::{Call, one_instance};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::steps::{Outcome, StepCtx, ViewCtx};
use crate::tui::widgets::dialog::{Dialog, unindented};
use crate::tui::widgets::keymap::{Key, Keymap};

/// Delay between two status polls while an instance stops.
pub(super) const POLL_EVERY: Duration = Duration::from_secs(2);
/// Polls before giving up waiting (5 minutes).
const MAX_POLLS: u32 = 150;

/// The data-consistency warning of the CreateImage reference.
const RUNNING_WARNING: &str = "Data cached in memory on a running instance may not be written to \
    disk. This can cause data inconsistencies between the custom image and the instance. Stopping \
    the instance (StopInstances) before creating the image is recommended.";

/// The stop-first flow for a Running instance.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Stop {
    /// The warning: stop first, use it running, or cancel.
    Warn(Box<Instance>),
    /// "Stop it now?" — the explicit confirmation before StopInstances.
    Confirm(Box<Instance>),
    /// StopInstances sent, or polling until Stopped.
    Waiting {
        instance: Box<Instance>,
        request: RequestId,
        /// Last status seen.
        status: String,
        /// The first tick after StopInstances was sent (the time of the key press that sent it
        /// is not known: `now` is only as fresh as the last tick).
        since: Option<DateTime<Utc>>,
        polls: u32,
        /// The status of the poll in progress, once its page arrived.
        seen: Option<Box<Instance>>,
    },
}

/// What a key does while the stop flow has the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StopAction {
    StopFirst,
    UseRunning,
    Send,
    Back,
    Cancel,
    /// Any other key: the question stays open.
    Nothing,
}

impl Stop {
    pub(super) fn keymap(&self) -> Keymap<StopAction> {
        use StopAction as A;
        let esc = Key::plain(KeyCode::Esc);
        let map = match self {
            Stop::Warn(_) => Keymap::new()
                .bind([Key::char('s')], A::StopFirst, "stop it first")
                .help("stop it first (asks once more)")
                .bind([Key::char('u')], A::UseRunning, "use it running")
                .bind([esc], A::Cancel, "cancel"),
            Stop::Confirm(_) => Keymap::new()
                .bind([Key::char('y')], A::Send, "stop it")
                .help("send StopInstances now")
                .bind([Key::char('n')], A::Back, "back")
                .bind([esc], A::Cancel, "cancel"),
            Stop::Waiting { .. } => Keymap::new()
                .bind([esc], A::Cancel, "stop waiting")
                .help("stop waiting (the instance keeps stopping on its own)"),
        };
        map.bind([Key::Any], A::Nothing, "nothing")
            .help("other keys wait for an answer")
            .quiet()
    }
}

fn name(i: &Instance) -> String {
    if i.instance_name.is_empty() {
        i.instance_id.clone()
    } else {
        format!("{} ({})", i.instance_id, i.instance_name)
    }
}

impl SourceStep {
    pub(super) fn send_stop(&mut self, instance: Box<Instance>, ctx: &mut StepCtx) {
        let request = ctx.call(Call::StopInstance {
            instance_id: instance.instance_id.clone(),
        });
        self.stop = Some(Stop::Waiting {
            status: instance.status.clone(),
            instance,
            request,
            since: None,
            polls: 0,
            seen: None,
        });
    }

    pub(super) fn stop_act(
        &mut self,
        stop: Stop,
        action: StopAction,
        ctx: &mut StepCtx,
    ) -> Outcome {
        use StopAction as A;
        match (stop, action) {
            (Stop::Warn(instance), A::StopFirst) => self.stop = Some(Stop::Confirm(instance)),
            (Stop::Warn(instance), A::UseRunning) => return self.use_instance(&instance, ctx),
            (Stop::Confirm(instance), A::Send) => self.send_stop(instance, ctx),
            (Stop::Confirm(instance), A::Back) => self.stop = Some(Stop::Warn(instance)),
            (
                Stop::Waiting {
                    instance, request, ..
                },
                A::Cancel,
            ) => {
                ctx.cancel(request);
                ctx.notify(format!(
                    "Stopped waiting; {} keeps stopping on its own.",
                    instance.instance_id
                ));
            }
            (Stop::Warn(_) | Stop::Confirm(_), A::Cancel) => {}
            (stop, _) => self.stop = Some(stop),
        }
        Outcome::Handled
    }

    /// The timer starts with the first tick after the stop was sent.
    pub(super) fn stop_tick(&mut self, now: DateTime<Utc>) {
        if let Some(Stop::Waiting { since, .. }) = &mut self.stop {
            since.get_or_insert(now);
        }
    }

    pub(super) fn stop_result(&mut self, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let Some(Stop::Waiting {
            instance,
            request,
            status,
            since,
            polls,
            seen,
        }) = self.stop.take()
        else {
            return;
        };
        let poll = |ctx: &mut StepCtx| {
            ctx.call_after(
                Call::Instances(one_instance(&instance.instance_id)),
                POLL_EVERY,
            )
        };
        let waiting = |request, status: String, polls, seen| {
            Some(Stop::Waiting {
                instance: instance.clone(),
                request,
                status,
                since,
                polls,
                seen,
            })
        };
        match result {
            Ok(Loaded::Stopping(responses)) => {
                match responses
                    .iter()
                    .find(|r| r.instance_id == instance.instance_id)
                {
                    Some(r) if !r.is_success() => {
                        ctx.notify(format!(
                            "StopInstances refused {}: {} {}",
                            instance.instance_id, r.code, r.message
                        ));
                    }
                    answer => {
                        let now = answer
                            .map(|r| r.current_status.clone())
                            .filter(|s| !s.is_empty())
                            .unwrap_or(status);
                        self.stop = waiting(poll(ctx), now, polls, None);
                    }
                }
            }
            Ok(Loaded::Instances(page)) if !page.last => {
                let row = page
                    .rows
                    .into_iter()
                    .find(|i| i.instance_id == instance.instance_id);
                let status = row.as_ref().map_or(status, |r| r.status.clone());
                self.stop = waiting(request, status, polls, row.map(Box::new).or(seen));
            }
            Ok(Loaded::Instances(_)) => match seen {
                Some(row) if row.status == "Stopped" => {
                    self.instances.update_row((*row).clone());
                    ctx.notify(format!(
                        "{} is Stopped and chosen as the source. ^N: next step.",
                        row.instance_id
                    ));
                    ctx.spec.source = Source::Instance {
                        instance_id: row.instance_id,
                    };
                    self.failed = None;
                }
                Some(row) if polls + 1 >= MAX_POLLS => {
                    self.instances.update_row((*row).clone());
                    ctx.notify(format!(
                        "{} is still {} after {} minutes; check it in the console, then ^R.",
                        row.instance_id,
                        row.status,
                        POLL_EVERY.as_secs() * u64::from(MAX_POLLS) / 60
                    ));
                }
                Some(row) => {
                    self.instances.update_row((*row).clone());
                    self.stop = waiting(poll(ctx), row.status, polls + 1, None);
                }
                None => ctx.notify(format!(
                    "{} is no longer listed; it may have been released.",
                    instance.instance_id
                )),
            },
            Ok(_) => self.stop = waiting(request, status, polls, seen),
            Err(error) => {
                tracing::warn!(instance = %instance.instance_id, %error, "stopping failed");
                // Retry re-sends from here; Esc gives up.
                self.failed = Some(super::Failed::Stop);
                self.stop = Some(Stop::Confirm(instance));
                ctx.show_error("Stopping the instance", &error, true);
            }
        }
    }

    pub(super) fn render_stop(&self, stop: &Stop, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let (title, lines) = match stop {
            Stop::Warn(i) => (
                "This instance is Running",
                vec![
                    Line::styled(name(i), theme.title),
                    Line::raw(""),
                    Line::raw(RUNNING_WARNING),
                ],
            ),
            Stop::Confirm(i) => (
                "Stop the instance?",
                vec![Line::raw(format!(
                    "Stop {} now with StopInstances (a clean OS shutdown)? Its services are \
                     down until you start it again.",
                    name(i)
                ))],
            ),
            Stop::Waiting {
                instance,
                status,
                since,
                ..
            } => {
                let elapsed = since.map_or(0, |since| (ctx.now - since).num_seconds().max(0));
                (
                    "Stopping the instance",
                    vec![
                        Line::raw(name(instance)),
                        Line::raw(""),
                        Line::from(vec![
                            Span::raw(format!("{} Status: ", ctx.spinner())),
                            Span::styled(status.clone(), theme.warning),
                            Span::styled(format!("  ({elapsed} s)"), theme.muted),
                        ]),
                        Line::styled(
                            "Waiting for Stopped; then it becomes the source.",
                            theme.muted,
                        ),
                    ],
                )
            }
        };
        Dialog {
            title,
            lines: unindented(lines),
            keys: stop.keymap().footer(),
            accent: theme.warning,
            width: 64,
            scroll: 0,
        }
        .render(theme, frame, area);
    }
}
