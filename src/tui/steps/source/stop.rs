//! Stopping a Running instance before it becomes the source: the data-consistency warning, the
//! explicit confirmation with the stop mode and what it means (`m` switches between
//! KeepCharging and StopCharging, `f` asks for a forced stop, with its warning), StopInstances,
//! then DescribeInstances polls until it is Stopped, with the status and the time since the
//! stop was sent on screen. Once Stopped the instance is the source, the spec records how it
//! was stopped (a saved recipe stops it the same way and starts it again), and the wizard
//! remembers that it stopped it, to offer the start later ([`crate::tui::restart`]).

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::SourceStep;
use crate::api::StoppedMode;
use crate::api::model::Instance;
use crate::api::{ApiError, StopOptions};
use crate::spec::stop::{FORCE_WARNING, mode_meaning};
use crate::spec::{Source, StopPlan};
use crate::tui::effect::Call;
use crate::tui::instance_wait::{InstanceWait, Waited};
use crate::tui::msg::Loaded;
use crate::tui::restart::Stopped;
use crate::tui::steps::{Reaction, StepCtx, ViewCtx};
use crate::tui::widgets::dialog::{Dialog, unindented};
use crate::tui::widgets::keymap::{Key, Keymap};

/// The data-consistency warning of the CreateImage reference.
const RUNNING_WARNING: &str = "Data cached in memory on a running instance may not be written to \
    disk. This can cause data inconsistencies between the custom image and the instance. Stopping \
    the instance (StopInstances) before creating the image is recommended.";

/// The stop-first flow for a Running instance.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Stop {
    /// The warning: stop first, use it running, or cancel.
    Warn(Box<Instance>),
    /// "Stop it now?", with how — the explicit confirmation before StopInstances.
    Confirm {
        instance: Box<Instance>,
        options: StopOptions,
    },
    /// StopInstances sent, or polling until Stopped.
    Waiting {
        wait: InstanceWait,
        options: StopOptions,
    },
}

/// What a key does while the stop flow has the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StopAction {
    StopFirst,
    UseRunning,
    Send,
    /// Switch between KeepCharging and StopCharging.
    Mode,
    /// Ask for a forced stop, or take the request back.
    Force,
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
                .help("stop it first (shows how, and asks once more)")
                .bind([Key::char('u')], A::UseRunning, "use it running")
                .bind([esc], A::Cancel, "cancel"),
            Stop::Confirm { options, .. } => Keymap::new()
                .bind([Key::char('y')], A::Send, "stop it")
                .help("send StopInstances now, as shown")
                .bind([Key::char('m')], A::Mode, "mode")
                .help("switch the stop mode: KeepCharging (safe) or StopCharging (economical)")
                .bind(
                    [Key::char('f')],
                    A::Force,
                    if options.force { "clean stop" } else { "force" },
                )
                .help("force the stop (cuts the power; data not on disk is lost) or not")
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

fn other_mode(mode: StoppedMode) -> StoppedMode {
    match mode {
        StoppedMode::KeepCharging => StoppedMode::StopCharging,
        StoppedMode::StopCharging => StoppedMode::KeepCharging,
    }
}

/// `KeepCharging, clean shutdown` — how the stop is sent.
fn how(options: StopOptions) -> String {
    let shutdown = if options.force {
        "forced stop"
    } else {
        "clean shutdown"
    };
    format!("{}, {shutdown}", options.mode)
}

impl SourceStep {
    pub(super) fn send_stop(
        &mut self,
        instance: Box<Instance>,
        options: StopOptions,
        ctx: &mut StepCtx,
    ) {
        let request = ctx.call(Call::StopInstance {
            instance_id: instance.instance_id.clone(),
            options,
        });
        self.stop = Some(Stop::Waiting {
            wait: InstanceWait::new(instance, "Stopped", request),
            options,
        });
    }

    pub(super) fn stop_act(
        &mut self,
        stop: Stop,
        action: StopAction,
        ctx: &mut StepCtx,
    ) -> Reaction {
        use StopAction as A;
        match (stop, action) {
            (Stop::Warn(instance), A::StopFirst) => {
                self.stop = Some(Stop::Confirm {
                    instance,
                    options: StopOptions::default(),
                })
            }
            (Stop::Warn(instance), A::UseRunning) => return self.use_instance(&instance, ctx),
            (Stop::Confirm { instance, options }, A::Send) => {
                self.send_stop(instance, options, ctx)
            }
            (Stop::Confirm { instance, options }, A::Mode) => {
                self.stop = Some(Stop::Confirm {
                    instance,
                    options: StopOptions {
                        mode: other_mode(options.mode),
                        ..options
                    },
                })
            }
            (Stop::Confirm { instance, options }, A::Force) => {
                self.stop = Some(Stop::Confirm {
                    instance,
                    options: StopOptions {
                        force: !options.force,
                        ..options
                    },
                })
            }
            (Stop::Confirm { instance, .. }, A::Back) => self.stop = Some(Stop::Warn(instance)),
            (Stop::Waiting { wait, .. }, A::Cancel) => {
                ctx.cancel(wait.request);
                ctx.notify(format!(
                    "Stopped waiting; {} keeps stopping on its own.",
                    wait.instance_id()
                ));
            }
            (Stop::Warn(_) | Stop::Confirm { .. }, A::Cancel) => {}
            (stop, _) => self.stop = Some(stop),
        }
        Reaction::Handled
    }

    /// The timer starts with the first tick after the stop was sent.
    pub(super) fn stop_tick(&mut self, ctx: &StepCtx) {
        if let Some(Stop::Waiting { wait, .. }) = &mut self.stop {
            wait.tick(ctx.now);
        }
    }

    pub(super) fn stop_result(&mut self, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let Some(Stop::Waiting { mut wait, options }) = self.stop.take() else {
            return;
        };
        let id = wait.instance_id().to_string();
        match wait.feed(result, |call, delay| ctx.call_after(call, delay)) {
            Waited::Waiting => self.stop = Some(Stop::Waiting { wait, options }),
            Waited::Reached(row) => self.stopped(row, options, ctx),
            Waited::GaveUp(row) => {
                ctx.notify(format!(
                    "{id} is still {} after {} minutes; check it in the console, then ^R.",
                    row.status,
                    InstanceWait::patience_minutes()
                ));
                self.instances.update_row(*row);
            }
            Waited::Gone => ctx.notify(format!(
                "{id} is no longer listed; it may have been released."
            )),
            Waited::Refused(r) => {
                ctx.notify(format!(
                    "StopInstances refused {id}: {} {}",
                    r.code, r.message
                ));
            }
            Waited::Failed(error) => {
                tracing::warn!(instance = %id, %error, "stopping failed");
                // Retry re-sends from here; Esc gives up.
                self.failed = Some(super::Failed::Stop);
                self.stop = Some(Stop::Confirm {
                    instance: wait.instance,
                    options,
                });
                ctx.show_error("Stopping the instance", &error, true);
            }
        }
    }

    /// The instance is Stopped: it becomes the source, stopped the way the spec now records.
    fn stopped(&mut self, row: Box<Instance>, options: StopOptions, ctx: &mut StepCtx) {
        self.instances.update_row((*row).clone());
        // What ECS applied: economical mode only where it can apply.
        let mode = match row.stopped_mode.as_str() {
            "StopCharging" => StoppedMode::StopCharging,
            "KeepCharging" => StoppedMode::KeepCharging,
            _ if row.economical_mode_applies() => options.mode,
            _ => StoppedMode::KeepCharging,
        };
        // One line at 80 columns; the dialog said that the start is offered later.
        ctx.notify(format!(
            "{} is Stopped ({mode}) and is the source. ^N: next.",
            row.instance_id
        ));
        ctx.spec.source = Source::Instance {
            instance_id: row.instance_id.clone(),
        };
        ctx.spec.stop = Some(StopPlan {
            mode: options.mode,
            force: options.force,
            restart: true,
        });
        ctx.restart.stopped(Stopped {
            instance: row,
            region: ctx.spec.region.clone(),
            mode,
        });
        self.failed = None;
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
            Stop::Confirm { instance, options } => {
                let mut lines = vec![
                    Line::styled(name(instance), theme.title),
                    Line::raw(""),
                    Line::from(vec![
                        Span::styled("Mode: ", theme.label),
                        Span::styled(options.mode.as_str(), theme.title),
                        Span::styled("  (m switches)", theme.muted),
                    ]),
                    Line::raw(mode_meaning(options.mode)),
                ];
                if options.mode == StoppedMode::StopCharging && !instance.economical_mode_applies()
                {
                    lines.push(Line::styled(
                        "This instance is not pay-as-you-go in a VPC: economical mode does not \
                         apply, and it stops in KeepCharging.",
                        theme.warning,
                    ));
                }
                lines.push(Line::raw(""));
                if options.force {
                    lines.push(Line::from(vec![
                        Span::styled("Shutdown: ", theme.label),
                        Span::styled("FORCED", theme.error),
                    ]));
                    lines.push(Line::styled(FORCE_WARNING, theme.error));
                } else {
                    lines.push(Line::from(vec![
                        Span::styled("Shutdown: ", theme.label),
                        Span::raw("clean (the operating system shuts down)"),
                    ]));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    "Its services are down until it starts again; ecsimg offers the start once \
                     the image is built, or when you leave.",
                    theme.muted,
                ));
                ("Stop the instance?", lines)
            }
            Stop::Waiting { wait, options } => (
                "Stopping the instance",
                vec![
                    Line::raw(name(&wait.instance)),
                    Line::styled(how(*options), theme.muted),
                    Line::raw(""),
                    Line::from(vec![
                        Span::raw(format!("{} Status: ", ctx.spinner())),
                        Span::styled(wait.status.clone(), theme.warning),
                        Span::styled(format!("  ({} s)", wait.elapsed_secs(ctx.now)), theme.muted),
                    ]),
                    Line::styled(
                        "Waiting for Stopped; then it becomes the source.",
                        theme.muted,
                    ),
                ],
            ),
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
