//! The full-screen wizard: `ecsimg` (or `ecsimg --sandbox`) walks through the steps of an image
//! build against live API data.
//!
//! Shape (see STYLE.md §1–3): terminal events and async results become [`Msg`]s;
//! [`update`](update::update) applies one to the [`App`](app::App) and returns
//! [`Effect`](effect::Effect)s; the [`Runner`](effect::Runner) turns effects into tokio tasks
//! that answer with more messages; [`view`](view::view) draws the app and only reads it. The
//! loop redraws only after something happened, and ticks only while work is in flight.

pub mod app;
pub mod effect;
pub mod launch;
pub mod msg;
pub mod steps;
pub mod terminal;
#[cfg(test)]
pub(crate) mod testing;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

use std::time::Duration;

use crossterm::event::{Event, EventStream, MouseEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use self::app::App;
use self::effect::Runner;
use self::launch::{Connector, Opening};
use self::msg::Msg;
use self::theme::Theme;
use crate::config::Config;
use crate::signals::Signals;

/// What the command line says: the global options, shared with the scripted commands.
pub type RunOptions = crate::session::SessionOptions;

/// Spinner and poll resolution while something is in flight.
const TICK: Duration = Duration::from_millis(100);
/// At most this many queued results are applied between two redraws, so input stays snappy
/// while a large listing streams in.
const BATCH: usize = 256;
/// Name of the log file in the platform state directory.
pub const LOG_FILE: &str = "ecsimg.log";

/// Runs the wizard until the user quits (or SIGTERM). The terminal is restored on every exit
/// path; errors that prevent starting (a bad config file, `--endpoint` that does not parse) are
/// returned before the screen is touched.
pub async fn run(opts: RunOptions) -> anyhow::Result<()> {
    let loaded = Config::load(opts.config.as_deref())?;
    let _log_guard = init_logging();
    let mouse = loaded.config.ui.mouse;
    let (connector, opening) = Connector::open(&opts, loaded).await?;
    let theme = Theme::from_env();
    let (app, client) = match opening {
        Opening::Ready { client, session } => {
            tracing::info!(region = %session.region, endpoint = %session.endpoint, sandbox = session.sandbox, "wizard connected");
            (App::new(Some(session), None, theme), Some(client))
        }
        Opening::NeedsCredentials(screen) => (App::new(None, Some(screen), theme), None),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let mut runner = Runner::new(tx, connector, client);
    let mut guard = terminal::init(mouse)?;
    let result = event_loop(&mut guard.terminal, app, &mut runner, rx).await;
    drop(guard);
    if let Err(e) = &result {
        tracing::error!(error = %e, "wizard ended with an error");
    }
    result
}

async fn event_loop(
    terminal: &mut ratatui::Terminal<terminal::Backend>,
    mut app: App,
    runner: &mut Runner,
    mut rx: mpsc::UnboundedReceiver<Msg>,
) -> anyhow::Result<()> {
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = Signals::terminate_or_hangup()?;
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    app.now = chrono::Utc::now();
    for effect in app.start() {
        if !runner.apply(effect).await {
            return Ok(());
        }
    }
    loop {
        terminal.draw(|frame| view::view(&app, frame))?;
        let busy = app.busy();
        let first = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = ticker.tick(), if busy => Msg::Tick(chrono::Utc::now()),
            () = terminate.recv() => {
                tracing::info!("terminated by signal");
                return Ok(());
            }
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(msg) => batch.push(msg),
                Err(_) => break,
            }
        }
        for msg in batch {
            for effect in update::update(&mut app, msg) {
                if !runner.apply(effect).await {
                    return Ok(());
                }
            }
        }
    }
}

/// Terminal events the wizard reacts to; mouse motion is dropped so it never causes redraws.
fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown | MouseEventKind::Down(_) => {
                Some(Msg::Mouse(mouse))
            }
            _ => None,
        },
        Event::FocusGained | Event::FocusLost => None,
    }
}

/// Logs go to `ecsimg.log` in the platform state directory, never to the screen. The level
/// comes from `RUST_LOG` (default `info`). Returns the writer's guard, which must live as long
/// as the wizard; `None` when there is no state directory or a logger is already installed.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_appender::rolling::{RollingFileAppender, Rotation};
    use tracing_subscriber::EnvFilter;
    let dir = crate::config::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::NEVER)
        .filename_prefix(LOG_FILE)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    tracing::info!(log = %dir.join(LOG_FILE).display(), "ecsimg wizard starting");
    Some(guard)
}
