//! Starting again the instance ecsimg stopped in this session.
//!
//! Step 1 records the instance once its stop went through ([`Restart::stopped`]); step 7 asks
//! for the offer when the image is Available or failed and when the user leaves it
//! ([`Restart::offer`]); quitting offers it too. The offer is a dialog over the screen: `y`
//! sends StartInstances and the dialog shows the live status (DescribeInstances polls) until
//! the instance is Running. Only an instance ecsimg stopped itself is ever offered, and only in
//! the region it is in.

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::effect::{Call, Effect};
use super::instance_wait::{InstanceWait, Waited};
use super::msg::{Loaded, Owner, RequestId};
use super::theme::Theme;
use super::widgets::dialog::{Dialog, unindented};
use super::widgets::keymap::{Key, Keymap};
use crate::api::ApiError;
use crate::api::StoppedMode;
use crate::api::model::Instance;
use crate::spec::stop::mode_meaning;

/// The instance ecsimg stopped, as it was when it reached Stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped {
    pub instance: Box<Instance>,
    pub region: String,
    /// The mode it stopped in, as DescribeInstances reported it.
    pub mode: StoppedMode,
}

/// Why the offer is made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    ImageAvailable,
    ImageFailed,
    /// The user left step 7 while the instance is still down (the image may still build).
    LeftSubmit {
        building: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Nothing on screen.
    Idle,
    /// The question.
    Offer(Why),
    /// StartInstances sent, then polls until Running. With `then_quit` the wizard ends once
    /// it is Running.
    Starting { wait: InstanceWait, then_quit: bool },
    /// StartInstances or a poll failed: `r` tries again.
    Failed { message: String, then_quit: bool },
}

/// What a key does while the dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartAction {
    Start,
    Decline,
    Retry,
    /// Close the dialog; the instance keeps starting (or stays stopped).
    Close,
    /// Quit now without waiting for Running.
    QuitNow,
    Nothing,
}

/// What the app should do after the dialog acted.
#[derive(Debug, Default, PartialEq)]
pub struct Done {
    pub effects: Vec<Effect>,
    /// A notice for the status line.
    pub notice: Option<String>,
    pub quit: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    /// Still down as far as this wizard knows (cleared once a start was accepted).
    stopped: Option<Stopped>,
    phase: Phase,
    /// The user said no: asked again only when quitting.
    declined: bool,
}

impl Default for Restart {
    fn default() -> Self {
        Restart {
            stopped: None,
            phase: Phase::Idle,
            declined: false,
        }
    }
}

fn label(i: &Instance) -> String {
    if i.instance_name.is_empty() {
        i.instance_id.clone()
    } else {
        format!("{} ({})", i.instance_id, i.instance_name)
    }
}

impl Restart {
    /// ecsimg stopped this instance: it may be started again later.
    pub fn stopped(&mut self, stopped: Stopped) {
        self.stopped = Some(stopped);
        self.declined = false;
    }

    /// The instance ecsimg stopped and that is still down.
    pub fn down(&self) -> Option<&Stopped> {
        self.stopped.as_ref()
    }

    /// Whether `instance_id` is the instance ecsimg stopped in this session.
    pub fn stopped_by_us(&self, instance_id: &str) -> bool {
        self.stopped
            .as_ref()
            .is_some_and(|s| s.instance.instance_id == instance_id)
    }

    /// Offers the start, unless nothing is down, the user already said no, the wizard works in
    /// another region than the instance's now, or the dialog is open already.
    pub fn offer(&mut self, why: Why, region: &str) {
        if self.startable_from(region) && !self.declined && self.phase == Phase::Idle {
            self.phase = Phase::Offer(why);
        }
    }

    /// Whether the dialog is up.
    pub fn showing(&self) -> bool {
        self.phase != Phase::Idle
    }

    /// Whether the start can be sent from `region` (the client works in one region).
    pub fn startable_from(&self, region: &str) -> bool {
        self.stopped.as_ref().is_some_and(|s| s.region == region)
    }

    /// Whether a start is in flight (the app then ticks).
    pub fn busy(&self) -> bool {
        matches!(self.phase, Phase::Starting { .. })
    }

    pub fn expects(&self, id: RequestId) -> bool {
        matches!(&self.phase, Phase::Starting { wait, .. } if wait.request == id)
    }

    /// Sends StartInstances; with `then_quit` the wizard ends once the instance is Running.
    pub fn start(&mut self, then_quit: bool, seq: &mut u64) -> Vec<Effect> {
        let Some(stopped) = &self.stopped else {
            return Vec::new();
        };
        let (request, effect) = call(
            seq,
            Call::StartInstance {
                instance_id: stopped.instance.instance_id.clone(),
            },
            std::time::Duration::ZERO,
        );
        self.phase = Phase::Starting {
            wait: InstanceWait::new(stopped.instance.clone(), "Running", request),
            then_quit,
        };
        vec![effect]
    }

    pub fn tick(&mut self, now: DateTime<Utc>) {
        if let Phase::Starting { wait, .. } = &mut self.phase {
            wait.tick(now);
        }
    }

    /// The answer to the start or a poll.
    pub fn loaded(&mut self, result: Result<Loaded, ApiError>, seq: &mut u64) -> Done {
        let Phase::Starting {
            mut wait,
            then_quit,
        } = std::mem::replace(&mut self.phase, Phase::Idle)
        else {
            return Done::default();
        };
        let mut effects = Vec::new();
        let waited = wait.feed(result, |c, delay| {
            let (id, effect) = call(seq, c, delay);
            effects.push(effect);
            id
        });
        let id = wait.instance_id().to_string();
        let mut done = Done {
            effects,
            ..Done::default()
        };
        let fail = |message: String| Phase::Failed { message, then_quit };
        match waited {
            Waited::Waiting => self.phase = Phase::Starting { wait, then_quit },
            Waited::Reached(_) => {
                self.stopped = None;
                done.notice = Some(format!("{id} is Running again."));
                done.quit = then_quit;
            }
            Waited::GaveUp(row) => {
                // The start was accepted; it goes on without this wizard.
                self.stopped = None;
                done.notice = Some(format!(
                    "{id} is still {} after {} minutes; check it in the console.",
                    row.status,
                    InstanceWait::patience_minutes()
                ));
                done.quit = then_quit;
            }
            Waited::Gone => {
                self.stopped = None;
                done.notice = Some(format!(
                    "{id} is no longer listed; it may have been released."
                ));
                done.quit = then_quit;
            }
            Waited::Refused(r) => {
                self.phase = fail(format!(
                    "StartInstances refused {id}: {} {}",
                    r.code, r.message
                ))
            }
            Waited::Failed(error) => {
                tracing::warn!(instance = %id, %error, "starting failed");
                self.phase = fail(format!("Starting {id} failed: {error}"));
            }
        }
        done
    }

    /// Acts on a key of the dialog.
    pub fn act(&mut self, action: RestartAction, seq: &mut u64) -> Done {
        use RestartAction as A;
        let mut done = Done::default();
        match (std::mem::replace(&mut self.phase, Phase::Idle), action) {
            (Phase::Offer(_), A::Start) => done.effects = self.start(false, seq),
            (Phase::Offer(_), A::Decline) => {
                self.declined = true;
                if let Some(s) = &self.stopped {
                    done.notice = Some(format!(
                        "{} stays Stopped; quitting offers the start once more.",
                        s.instance.instance_id
                    ));
                }
            }
            (Phase::Failed { then_quit, .. }, A::Retry) => {
                done.effects = self.start(then_quit, seq);
            }
            (Phase::Failed { then_quit, .. }, A::QuitNow) => done.quit = then_quit,
            (Phase::Starting { wait, .. }, A::Close) => {
                // StartInstances was accepted or is on its way: the instance is no longer
                // "down because of ecsimg".
                done.effects.push(Effect::Cancel(wait.request));
                self.stopped = None;
                done.notice = Some(format!(
                    "Stopped waiting; {} keeps starting on its own.",
                    wait.instance_id()
                ));
            }
            (Phase::Starting { wait, .. }, A::QuitNow) => {
                done.effects.push(Effect::Cancel(wait.request));
                self.stopped = None;
                done.quit = true;
            }
            (Phase::Failed { .. }, A::Close) => {}
            (phase, _) => self.phase = phase,
        }
        done
    }

    /// The dialog's keys now.
    pub fn keymap(&self) -> Keymap<RestartAction> {
        use RestartAction as A;
        let esc = Key::plain(KeyCode::Esc);
        let map = match &self.phase {
            Phase::Idle => Keymap::new(),
            Phase::Offer(_) => Keymap::new()
                .bind(
                    [Key::char('y'), Key::plain(KeyCode::Enter)],
                    A::Start,
                    "start it",
                )
                .help("send StartInstances and show its status until Running")
                .bind([Key::char('n'), esc], A::Decline, "leave it stopped"),
            Phase::Starting {
                then_quit: true, ..
            } => Keymap::new()
                .bind([esc], A::QuitNow, "quit now")
                .help("quit without waiting (the instance keeps starting)"),
            Phase::Starting { .. } => Keymap::new()
                .bind([esc], A::Close, "stop waiting")
                .help("close this (the instance keeps starting on its own)"),
            Phase::Failed { then_quit, .. } => Keymap::new()
                .bind([Key::char('r')], A::Retry, "try again")
                .help("send StartInstances again")
                .when(*then_quit, |k| {
                    k.bind([Key::char('q')], A::QuitNow, "quit")
                        .help("quit and leave the instance stopped")
                })
                .bind([esc], A::Close, "close"),
        };
        map.bind([Key::Any], A::Nothing, "nothing")
            .help("other keys wait for an answer")
            .quiet()
    }

    /// The dialog.
    pub fn render(
        &self,
        theme: &Theme,
        now: DateTime<Utc>,
        spinner: &str,
        frame: &mut Frame,
        area: Rect,
    ) {
        // The dialog is up only while the instance ecsimg stopped is known to be down.
        let Some(stopped) = &self.stopped else {
            return;
        };
        let name = Line::styled(label(&stopped.instance), theme.title);
        let (title, lines) = match &self.phase {
            Phase::Idle => return,
            Phase::Offer(why) => {
                let reason = match why {
                    Why::ImageAvailable => " The image is Available.",
                    Why::ImageFailed => " The image build failed.",
                    Why::LeftSubmit { building: true } => {
                        " The image is still being built: keeping the instance stopped until it \
                         is Available is the safest, though starting it now does not stop the \
                         build."
                    }
                    Why::LeftSubmit { building: false } => "",
                };
                let mut lines = vec![
                    name,
                    Line::raw(""),
                    Line::raw(format!(
                        "ecsimg stopped this instance for the image ({}) and it is still \
                         down.{reason} Start it again now (StartInstances)?",
                        stopped.mode
                    )),
                ];
                if stopped.mode == StoppedMode::StopCharging {
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(
                        mode_meaning(StoppedMode::StopCharging),
                        theme.warning,
                    ));
                }
                ("Start the instance again?", lines)
            }
            Phase::Starting { wait, then_quit } => {
                let mut lines = vec![
                    name,
                    Line::raw(""),
                    Line::from(vec![
                        Span::raw(format!("{spinner} Status: ")),
                        Span::styled(wait.status.clone(), theme.warning),
                        Span::styled(format!("  ({} s)", wait.elapsed_secs(now)), theme.muted),
                    ]),
                ];
                lines.push(Line::styled(
                    if *then_quit {
                        "Waiting for Running; then the wizard ends."
                    } else {
                        "Waiting for Running."
                    },
                    theme.muted,
                ));
                ("Starting the instance", lines)
            }
            Phase::Failed { message, .. } => (
                "Starting the instance",
                vec![
                    name,
                    Line::raw(""),
                    Line::styled(message.clone(), theme.error),
                ],
            ),
        };
        self.dialog(title, lines, theme).render(theme, frame, area);
    }

    fn dialog<'a>(&self, title: &'a str, lines: Vec<Line<'a>>, theme: &Theme) -> Dialog<'a> {
        Dialog {
            title,
            lines: unindented(lines),
            keys: self.keymap().footer(),
            accent: if matches!(self.phase, Phase::Failed { .. }) {
                theme.error
            } else {
                theme.warning
            },
            width: 64,
            scroll: 0,
        }
    }

    /// What to say once the terminal is restored when the instance was left stopped (nothing
    /// in the sandbox, whose instances end with the wizard).
    pub fn farewell(&self, sandbox: bool) -> Option<String> {
        let s = self.stopped.as_ref().filter(|_| !sandbox)?;
        Some(format!(
            "Instance {} was stopped by ecsimg ({}) and is still Stopped. Start it in the \
             console, or with `aliyun ecs StartInstances --RegionId {} --InstanceId.1 {}`.\n",
            label(&s.instance),
            s.mode,
            s.region,
            s.instance.instance_id
        ))
    }
}

/// A request id of the restart dialog and the effect that makes the call.
fn call(seq: &mut u64, call: Call, delay: std::time::Duration) -> (RequestId, Effect) {
    *seq += 1;
    let id = RequestId {
        owner: Owner::Restart,
        seq: *seq,
    };
    (id, Effect::Call { id, call, delay })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopped() -> Restart {
        let mut restart = Restart::default();
        restart.stopped(Stopped {
            instance: Box::new(Instance {
                instance_id: "i-1".into(),
                instance_name: "web".into(),
                status: "Stopped".into(),
                ..Instance::default()
            }),
            region: "cn-hangzhou".into(),
            mode: StoppedMode::KeepCharging,
        });
        restart
    }

    #[test]
    fn the_farewell_names_the_instance_left_stopped_and_how_to_start_it() {
        let restart = stopped();
        let said = restart.farewell(false).expect("left stopped");
        assert!(said.starts_with("Instance i-1 (web) was stopped by ecsimg (KeepCharging)"));
        assert!(
            said.contains("aliyun ecs StartInstances --RegionId cn-hangzhou --InstanceId.1 i-1")
        );
        // The sandbox's instances end with the wizard: nothing to start later.
        assert_eq!(restart.farewell(true), None);
        assert_eq!(Restart::default().farewell(false), None);
    }

    #[test]
    fn one_offer_and_none_after_a_no() {
        let mut restart = stopped();
        let mut seq = 0;
        restart.offer(Why::ImageAvailable, "cn-shanghai");
        assert!(!restart.showing(), "the instance is in another region");
        restart.offer(Why::ImageAvailable, "cn-hangzhou");
        assert!(restart.showing());
        restart.act(RestartAction::Decline, &mut seq);
        assert!(!restart.showing());
        restart.offer(Why::LeftSubmit { building: false }, "cn-hangzhou");
        assert!(!restart.showing(), "a no holds until the quit question");
        assert!(restart.down().is_some());
        let mut untouched = Restart::default();
        untouched.offer(Why::ImageAvailable, "cn-hangzhou");
        assert!(!untouched.showing(), "nothing ecsimg stopped: no offer");
        assert!(untouched.start(false, &mut seq).is_empty());
    }
}
