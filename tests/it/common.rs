//! The harness both wizard suites drive: the wizard's `App`, the effect runner and the channel
//! its results come back on — `update` fed by key presses, every effect run for real over HTTP
//! against a local simulator, no terminal.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ecsimg::api::Credentials;
use ecsimg::api::{Client, ClientConfig, Endpoint};
use ecsimg::secret::Secret;
use ecsimg::sim::{self, Clock};
use ecsimg::tui::app::App;
use ecsimg::tui::effect::Effect;
use ecsimg::tui::launch::Connection;
use ecsimg::tui::msg::Msg;
use ecsimg::tui::runner::Runner;
use ecsimg::tui::step::Step;
use ecsimg::tui::theme::Theme;
use ecsimg::tui::update::update;
use ecsimg::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::UnboundedReceiver;

/// The longest wait for one answer of the local simulator.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// How the harness paces the wizard.
pub struct Pace {
    /// Delays the wizard asks for (polls) are cut to this; `Duration::MAX` keeps them.
    pub max_delay: Duration,
    /// Sends a clock tick before every key, as the terminal loop does while time passes.
    pub tick_before_key: bool,
    /// The clock the wizard's ticks read, and how far each answer from the runner moves it:
    /// with the simulator on the same clock, a build advances by answers seen, not by how
    /// busy the machine is. `None`: the wall clock.
    pub clock: Option<(Clock, Duration)>,
}

impl Pace {
    /// What the wizard takes as now.
    fn now(&self) -> DateTime<Utc> {
        match &self.clock {
            Some((clock, _)) => clock.now(),
            None => Utc::now(),
        }
    }

    /// Time passes because an answer arrived.
    fn answered(&self) {
        if let Some((clock, step)) = &self.clock {
            clock.advance(*step);
        }
    }
}

/// The wizard, its runner and the channel results come back on.
pub struct Harness {
    pub app: App,
    pub runner: Runner,
    rx: UnboundedReceiver<Msg>,
    session: Connection,
    pace: Pace,
}

impl Harness {
    /// Opens the wizard on `session` with `runner` (whose results arrive on `rx`) and runs its
    /// first loads.
    pub async fn start(
        runner: Runner,
        rx: UnboundedReceiver<Msg>,
        session: Connection,
        pace: Pace,
    ) -> Harness {
        let mut harness = Harness {
            app: App::new(Some(session.clone()), None, Theme::plain()),
            runner,
            rx,
            session,
            pace,
        };
        harness.app.now = harness.pace.now();
        let effects = harness.app.start();
        harness.run(effects).await;
        harness
    }

    /// Runs `effects` (poll delays cut to the pace's `max_delay`), then feeds every result back
    /// through `update` until no call is in flight and nothing is queued.
    pub async fn run(&mut self, effects: Vec<Effect>) {
        let mut pending = effects;
        loop {
            for effect in pending.drain(..) {
                assert_ne!(effect, Effect::Quit, "the wizard quit unexpectedly");
                let effect = match effect {
                    Effect::Call { id, call, delay } => Effect::Call {
                        id,
                        call,
                        delay: delay.min(self.pace.max_delay),
                    },
                    other => other,
                };
                self.runner.apply(effect).await;
            }
            if self.runner.is_idle() && self.rx.is_empty() {
                return;
            }
            // Wait in short slices: a task that already sent its last message may not count as
            // finished yet, so "idle" is looked at again instead of waiting out the deadline.
            let deadline = tokio::time::Instant::now() + ANSWER_WITHIN;
            let msg = loop {
                match tokio::time::timeout(Duration::from_millis(5), self.rx.recv()).await {
                    Ok(msg) => break msg.expect("the runner is alive"),
                    Err(_) if self.runner.is_idle() && self.rx.is_empty() => return,
                    Err(_) => assert!(
                        tokio::time::Instant::now() < deadline,
                        "the simulator answers in time"
                    ),
                }
            };
            self.pace.answered();
            pending = update(&mut self.app, msg);
        }
    }

    pub async fn press(&mut self, code: KeyCode) {
        self.send(KeyEvent::new(code, KeyModifiers::NONE)).await;
    }

    pub async fn ctrl(&mut self, c: char) {
        self.send(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
            .await;
    }

    /// Presses ^N until the wizard is at `step`, which must lie ahead.
    pub async fn go_to(&mut self, step: Step) {
        while self.app.step < step {
            let from = self.app.step;
            self.ctrl('n').await;
            assert_ne!(
                self.app.step, from,
                "^N did not leave {from:?} for {step:?}"
            );
        }
        assert_eq!(self.app.step, step);
    }

    pub async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    /// Sends one key (after a clock tick if the pace says so) and runs what it asks for.
    pub async fn send(&mut self, key: KeyEvent) {
        let mut effects = if self.pace.tick_before_key {
            update(&mut self.app, Msg::Tick(self.pace.now()))
        } else {
            Vec::new()
        };
        effects.extend(update(&mut self.app, Msg::Key(key)));
        self.run(effects).await;
    }

    /// The shared clock the wizard and the simulator read, when the pace has one.
    pub fn clock(&self) -> Option<&Clock> {
        self.pace.clock.as_ref().map(|(clock, _)| clock)
    }

    /// The screen at `width` × `height`, whitespace runs made single spaces so wrapped
    /// sentences read on.
    pub fn screen(&self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|frame| view(&self.app, frame))
            .expect("draws");
        let buffer = terminal.backend().buffer().clone();
        let text: String = buffer.content().iter().map(|c| c.symbol()).collect();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// A client of the same simulator, to look at what it holds.
    pub fn client(&self) -> Client {
        let credentials = Credentials {
            access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
            security_token: None,
        };
        let endpoint = Endpoint::parse(&self.session.endpoint).expect("the sandbox URL");
        Client::new(ClientConfig::new(&self.app.spec.region, credentials).with_endpoint(endpoint))
            .expect("client")
    }
}

/// What a role profile resolves to: AssumeRole of `session`, signed with `source`, at the STS
/// endpoint `sts` (named as an environment source, `TEST`).
pub fn assume_role(
    source: Credentials,
    session: ecsimg::api::sts::RoleSession,
    sts: &str,
) -> ecsimg::credentials::Resolved {
    use ecsimg::credentials::{CredentialSource, Plan, Resolved, StsPlace};
    Resolved {
        plan: Plan::AssumeRole {
            source: Box::new(Plan::Static(source)),
            session,
            external_id: None,
            sts: StsPlace {
                endpoint: Some(sts.into()),
                ..StsPlace::default()
            },
            mode: "RamRoleArn",
        },
        source: CredentialSource::Variable("TEST"),
        region: None,
    }
}

/// Providers' settings for tests: no STS override, no metadata service, 5 s timeouts.
pub fn wiring(
    call_timeout: Duration,
    max_attempts: u32,
    now: ecsimg::api::provider::Now,
) -> ecsimg::credentials::Wiring {
    ecsimg::credentials::Wiring {
        sts_override: None,
        config_sts: None,
        extra_roots: None,
        metadata: ecsimg::credentials::ecs_ram_role::MetadataSettings::default(),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        call_timeout,
        max_attempts,
        now,
    }
}
