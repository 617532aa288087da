//! The wizard's event loop, apart from the real terminal so tests can drive it: terminal
//! events, the results of effects, clock ticks (only while something is in flight) and
//! signals come in; a frame is drawn only after a message was applied. Events the wizard does
//! not use — mouse motion, drags, button releases, focus changes — are dropped before they
//! reach `update` and cost no frame.
//!
//! What touches the process or the real terminal (stopping on Ctrl-Z or SIGTSTP, leaving on a
//! signal) is the caller's: the loop pauses and says why.

use std::io;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Interval, MissedTickBehavior};

use super::app::App;
use super::effect::Effect;
use super::msg::Msg;
use super::runner::Runner;
use super::{WizardError, update, view};
use crate::signals::Caught;

/// Spinner and poll resolution while something is in flight.
const TICK: std::time::Duration = std::time::Duration::from_millis(100);
/// At most this many queued results are applied between two redraws, so input stays snappy
/// while a large listing streams in.
const BATCH: usize = 256;

/// Why the loop handed control back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// The user quit.
    Quit,
    /// A signal arrived: the caller ends, stops or re-enters.
    Signal(Caught),
    /// Ctrl-Z was typed (raw mode delivers it as a key): the caller stops the job as the
    /// terminal would have.
    SuspendKey,
}

/// What a terminal event is to the loop.
enum Input {
    Msg(Msg),
    Suspend,
    /// Nothing the wizard reacts to: no message, no frame.
    Ignored,
}

/// The wizard's state, the runner of its effects and everything that wakes it.
pub struct EventLoop {
    app: App,
    runner: Runner,
    rx: UnboundedReceiver<Msg>,
    ticker: Interval,
    started: bool,
    /// Whether something was applied since the last frame.
    dirty: bool,
    frames: u64,
}

impl EventLoop {
    /// Must be called inside the tokio runtime (the ticker needs it).
    pub fn new(app: App, runner: Runner, rx: UnboundedReceiver<Msg>) -> EventLoop {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        EventLoop {
            app,
            runner,
            rx,
            ticker,
            started: false,
            dirty: true,
            frames: 0,
        }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Frames drawn so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Runs until the user quits, a signal arrives or Ctrl-Z is typed; call again to go on.
    pub async fn run<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        events: &mut (impl Stream<Item = io::Result<Event>> + Unpin),
        signals: &mut (impl Stream<Item = Caught> + Unpin),
    ) -> Result<Pause, WizardError>
    where
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        loop {
            if let Some(pause) = self.step(terminal, events, signals).await? {
                return Ok(pause);
            }
        }
    }

    /// One turn: draw if something changed, wait for the next thing to happen, apply it (and
    /// whatever else is queued, up to [`BATCH`]).
    pub async fn step<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        events: &mut (impl Stream<Item = io::Result<Event>> + Unpin),
        signals: &mut (impl Stream<Item = Caught> + Unpin),
    ) -> Result<Option<Pause>, WizardError>
    where
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if !self.started {
            self.started = true;
            let size = terminal.size().map_err(WizardError::terminal)?;
            self.app.size = (size.width, size.height);
            self.app.now = chrono::Utc::now();
            let effects = self.app.start();
            if !self.apply(effects).await {
                return Ok(Some(Pause::Quit));
            }
        }
        if self.dirty {
            terminal
                .draw(|frame| view::view(&self.app, frame))
                .map_err(WizardError::terminal)?;
            self.frames += 1;
            self.dirty = false;
        }
        let busy = self.app.busy();
        let first = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_input(event) {
                    Input::Msg(msg) => msg,
                    Input::Suspend => return Ok(Some(Pause::SuspendKey)),
                    Input::Ignored => return Ok(None),
                },
                Some(Err(e)) => return Err(WizardError::Terminal(e)),
                None => return Ok(Some(Pause::Quit)),
            },
            Some(msg) = self.rx.recv() => msg,
            _ = self.ticker.tick(), if busy => Msg::Tick(chrono::Utc::now()),
            Some(caught) = signals.next() => return Ok(Some(Pause::Signal(caught))),
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match self.rx.try_recv() {
                Ok(msg) => batch.push(msg),
                Err(_) => break,
            }
        }
        self.dirty = true;
        for msg in batch {
            let effects = update::update(&mut self.app, msg);
            if !self.apply(effects).await {
                return Ok(Some(Pause::Quit));
            }
        }
        Ok(None)
    }

    /// After the terminal was given back and taken again: the next step repaints everything
    /// at the terminal's current size (it may have changed while the process was stopped).
    pub fn repaint<B: Backend>(&mut self, terminal: &Terminal<B>) -> Result<(), WizardError>
    where
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let size = terminal.size().map_err(WizardError::terminal)?;
        let effects = update::update(&mut self.app, Msg::Resize(size.width, size.height));
        debug_assert!(effects.is_empty(), "a resize starts no work");
        self.dirty = true;
        Ok(())
    }

    /// Runs `effects`; `false` once one of them quits.
    async fn apply(&mut self, effects: Vec<Effect>) -> bool {
        for effect in effects {
            if !self.runner.apply(effect).await {
                return false;
            }
        }
        true
    }
}

/// What a terminal event means to the wizard. Only presses and the wheel are used from the
/// mouse; Ctrl-Z (where processes can be stopped) suspends.
fn to_input(event: Event) -> Input {
    match event {
        Event::Key(key) if is_suspend(&key) => Input::Suspend,
        Event::Key(key) => Input::Msg(Msg::Key(key)),
        Event::Paste(text) => Input::Msg(Msg::Paste(text)),
        Event::Resize(w, h) => Input::Msg(Msg::Resize(w, h)),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown | MouseEventKind::Down(_) => {
                Input::Msg(Msg::Mouse(mouse))
            }
            _ => Input::Ignored,
        },
        Event::FocusGained | Event::FocusLost => Input::Ignored,
    }
}

fn is_suspend(key: &KeyEvent) -> bool {
    cfg!(unix)
        && key.kind == KeyEventKind::Press
        && key.code == KeyCode::Char('z')
        && key.modifiers == KeyModifiers::CONTROL
}

#[cfg(test)]
mod tests;
