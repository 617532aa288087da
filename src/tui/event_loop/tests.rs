//! The real loop, driven by scripted terminal events into a `TestBackend`, with the effects run
//! for real against the embedded simulator.

use std::time::{Duration, Instant};

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use futures::channel::mpsc as events_channel;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use super::*;
use crate::config::{ConfigOrigin, LoadedConfig};
use crate::session::SessionOptions;
use crate::sim::{self, Seed, SimConfig};
use crate::tui::app::Screen;
use crate::tui::launch::{Connector, LaunchScreen, Opening};
use crate::tui::theme::Theme;

/// The loop, its test terminal, the event source it reads and a signal source.
struct Rig {
    wizard: EventLoop,
    terminal: Terminal<TestBackend>,
    events: events_channel::UnboundedReceiver<io::Result<Event>>,
    send: events_channel::UnboundedSender<io::Result<Event>>,
    signals: futures::stream::Pending<Caught>,
}

impl Rig {
    fn new(app: App, connector: Connector, client: Option<crate::api::Client>) -> Rig {
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = Runner::new(tx, connector, client);
        let (send, events) = events_channel::unbounded();
        Rig {
            wizard: EventLoop::new(app, runner, rx),
            terminal: Terminal::new(TestBackend::new(80, 24)).expect("test terminal"),
            events,
            send,
            signals: futures::stream::pending(),
        }
    }

    /// `ecsimg --sandbox`: the wizard on the embedded simulator.
    async fn sandbox() -> Rig {
        let opts = SessionOptions {
            sandbox: true,
            ..SessionOptions::default()
        };
        let config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
        let (connector, opening) = Connector::open(&opts, config).await.expect("opens");
        let Opening::Ready { client, connection } = opening else {
            panic!("the sandbox needs no credentials")
        };
        Rig::new(
            App::new(Some(connection), None, Theme::plain()),
            connector,
            Some(client),
        )
    }

    fn send(&self, event: Event) {
        self.send
            .unbounded_send(Ok(event))
            .expect("the loop listens");
    }

    /// One turn of the loop (it must not wait long: something is queued or in flight).
    async fn step(&mut self) -> Option<Pause> {
        let turn = self
            .wizard
            .step(&mut self.terminal, &mut self.events, &mut self.signals);
        tokio::time::timeout(Duration::from_secs(30), turn)
            .await
            .expect("the loop goes on")
            .expect("no error")
    }

    /// Turns until nothing is in flight or queued and the screen shows it.
    async fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "the wizard settles");
            let quiet = self.wizard.started
                && !self.wizard.app.busy()
                && self.wizard.runner.is_idle()
                && self.wizard.rx.is_empty();
            if quiet {
                break;
            }
            // Nothing to handle yet: a call is in flight, or a task that sent its last message
            // does not count as finished yet. A turn now would wait for an event that may never
            // come, so look again shortly.
            if self.wizard.started && self.wizard.rx.is_empty() && !self.wizard.app.busy() {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            assert_eq!(self.step().await, None);
        }
        // Draw what was applied last.
        self.send(Event::FocusGained);
        assert_eq!(self.step().await, None);
    }

    /// Turns until the screen shows `text`. A turn draws first and then waits, so one that
    /// waits in vain is cut short and the screen looked at again.
    async fn until(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} on\n{}",
                self.screen()
            );
            let turn = self
                .wizard
                .step(&mut self.terminal, &mut self.events, &mut self.signals);
            if let Ok(result) = tokio::time::timeout(Duration::from_millis(100), turn).await {
                assert_eq!(result.expect("no error"), None);
            }
        }
    }

    /// Presses `code` and turns until the screen shows `text`.
    async fn press(&mut self, code: KeyCode, modifiers: KeyModifiers, text: &str) {
        self.send(key(code, modifiers));
        self.until(text).await;
    }

    /// Frames drawn, counting the one a change already applied will cause.
    fn frames(&self) -> u64 {
        self.wizard.frames() + u64::from(self.wizard.dirty)
    }

    fn screen(&self) -> String {
        crate::tui::testing::buffer_text(self.terminal.backend().buffer())
    }
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Event {
    Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

#[tokio::test]
async fn mouse_motion_and_other_unused_events_draw_no_frame() {
    let mut rig = Rig::sandbox().await;
    rig.settle().await;
    assert!(rig.screen().contains("web-server-01"), "{}", rig.screen());
    let before = rig.frames();
    // 1,000 motion events over the picker, then drags, releases and focus changes.
    let mut unused = Vec::new();
    for i in 0..1000u16 {
        unused.push(mouse(MouseEventKind::Moved, i % 80, 5 + i % 15));
    }
    for i in 0..100u16 {
        unused.push(mouse(MouseEventKind::Drag(MouseButton::Left), i % 80, 8));
        unused.push(mouse(MouseEventKind::Up(MouseButton::Left), i % 80, 8));
    }
    unused.extend([Event::FocusLost, Event::FocusGained]);
    let count = unused.len();
    for event in unused {
        rig.send(event);
    }
    for _ in 0..count {
        assert_eq!(rig.step().await, None);
    }
    assert_eq!(
        rig.frames() - before,
        0,
        "frames drawn for {count} events that change nothing (1,000 of them motion)"
    );
    // The wheel is used: each turn of it is applied and drawn.
    for _ in 0..3 {
        rig.send(mouse(MouseEventKind::ScrollDown, 10, 8));
    }
    for _ in 0..4 {
        rig.send(Event::FocusGained);
    }
    for _ in 0..7 {
        assert_eq!(rig.step().await, None);
    }
    assert_eq!(rig.frames() - before, 3);
}

#[tokio::test]
async fn ctrl_z_and_signals_hand_control_back() {
    let mut rig = Rig::sandbox().await;
    rig.settle().await;
    let before = rig.screen();
    rig.send(key(KeyCode::Char('z'), KeyModifiers::CONTROL));
    assert_eq!(rig.step().await, Some(Pause::SuspendKey));
    // The key went no further: nothing was typed into the picker's filter.
    rig.send(Event::FocusGained);
    assert_eq!(rig.step().await, None);
    assert_eq!(rig.screen(), before);
    // Signals: the caller decides what each means.
    let mut signals = futures::stream::iter([Caught::Suspend, Caught::Quit]);
    for expected in [Caught::Suspend, Caught::Quit] {
        let pause = rig
            .wizard
            .step(&mut rig.terminal, &mut rig.events, &mut signals)
            .await
            .expect("no error");
        assert_eq!(pause, Some(Pause::Signal(expected)));
    }
    // After the terminal was taken again, the whole screen is drawn at its new size.
    rig.terminal.backend_mut().resize(100, 30);
    let frames = rig.wizard.frames();
    rig.wizard.repaint(&rig.terminal).expect("repaints");
    assert_eq!(rig.wizard.app().size, (100, 30));
    rig.send(Event::FocusGained);
    assert_eq!(rig.step().await, None);
    assert_eq!(rig.wizard.frames(), frames + 1);
    assert!(rig.screen().contains("web-server-01"));
}

/// A sandbox that takes a while to start: a region of generated rows to build first.
fn slow_sandbox() -> SimConfig {
    let text = format!(
        "{}\n[generate]\nregion = \"cn-beijing\"\ninstances = 20000\nsnapshots = 200000\n",
        sim::SANDBOX_TOML
    );
    SimConfig {
        seed: Some(Seed::parse(&text, "a slow sandbox").expect("parses")),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spinner_turns_while_the_sandbox_starts() {
    let config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
    let launch = LaunchScreen::new("No credentials found.".into(), "no config file".into());
    let app = App::new(None, Some(launch), Theme::plain());
    let mut rig = Rig::new(app, Connector::waiting(config, slow_sandbox()), None);
    rig.send(key(KeyCode::Char('s'), KeyModifiers::NONE));
    let started = Instant::now();
    let mut spinners = Vec::new();
    while !matches!(rig.wizard.app().screen, Screen::Wizard) {
        assert_eq!(rig.step().await, None);
        let screen = rig.screen();
        if let Some(at) = screen.find(" Starting the sandbox") {
            let glyph = screen[..at].chars().next_back().expect("a spinner");
            if spinners.last() != Some(&glyph) {
                spinners.push(glyph);
            }
        }
    }
    let took = started.elapsed();
    assert!(
        spinners.len() >= 3,
        "the spinner showed {spinners:?} in {took:?} of starting"
    );
    // The wizard then runs on the sandbox it started.
    rig.settle().await;
    assert!(rig.screen().contains("web-server-01"), "{}", rig.screen());
}

#[tokio::test]
async fn leaving_while_an_image_builds_says_what_becomes_of_it() {
    let mut rig = Rig::sandbox().await;
    rig.settle().await;
    assert_eq!(rig.wizard.app().farewell(), None, "nothing built");
    // A Stopped instance, a name, then straight to the review and the submission.
    let none = KeyModifiers::NONE;
    rig.press(KeyCode::Down, none, "› i-bp1a3fn8rvl2nqw0t5xk")
        .await;
    rig.press(KeyCode::Enter, none, "system disk first").await;
    rig.press(KeyCode::Char('n'), KeyModifiers::CONTROL, "Resource group")
        .await;
    rig.send(key(KeyCode::Enter, none));
    for c in "farewell".chars() {
        rig.send(key(KeyCode::Char(c), none));
    }
    rig.press(KeyCode::Enter, none, "farewell").await;
    rig.press(KeyCode::Char('n'), KeyModifiers::CONTROL, "4 Tags")
        .await;
    rig.press(KeyCode::Char('n'), KeyModifiers::CONTROL, "Copy to")
        .await;
    rig.press(KeyCode::Char('n'), KeyModifiers::CONTROL, "DryRun")
        .await;
    rig.press(KeyCode::Char('s'), none, "Submit the request")
        .await;
    rig.press(KeyCode::Enter, none, "Create the image?").await;
    rig.press(KeyCode::Char('y'), none, "Creating").await;
    let image_id = rig
        .wizard
        .app()
        .steps
        .submit
        .image_id()
        .expect("submitted")
        .to_string();
    // What `run` prints once the terminal is back (the real-endpoint wording is pinned in
    // the submit step's tests).
    let said = rig
        .wizard
        .app()
        .farewell()
        .expect("a build goes on")
        .to_string();
    assert!(
        said.contains(&format!("Image {image_id}: Creating")),
        "{said}"
    );
    assert!(said.contains("the simulated build with it"), "{said}");
    assert!(said.contains("ecsimg --sandbox history"), "{said}");
    assert!(said.lines().all(|l| l.chars().count() <= 80), "{said}");
}
