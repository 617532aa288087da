//! The full-screen wizard: `ecsimg` (or `ecsimg --sandbox`) walks through the steps of an image
//! build against live API data.
//!
//! Shape (docs/architecture.md): terminal events and async results become [`Msg`]s;
//! [`update`](update::update) applies one to the [`App`](app::App) and returns
//! [`Effect`](effect::Effect)s; the [`Runner`](runner::Runner) turns effects into tokio tasks
//! that answer with more messages; [`view`](view::view) draws the app and only reads it. The
//! loop redraws only after something happened, and ticks only while work is in flight.

pub mod app;
pub mod effect;
pub mod error_report;
pub mod event_loop;
pub mod instance_wait;
pub mod launch;
pub mod msg;
pub mod restart;
pub mod runner;
pub mod step;
pub mod steps;
pub mod terminal;
#[cfg(test)]
pub(crate) mod testing;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

use std::io::{self, Write};
use std::path::Path;

use crossterm::event::EventStream;
use tokio::sync::mpsc;

use self::app::App;
use self::event_loop::{EventLoop, Pause};
use self::launch::{Connector, Opening};
use self::runner::Runner;
use self::theme::Theme;
use crate::api::ApiError;
use crate::config::Config;
use crate::session::{SessionError, SessionOptions};
use crate::signals::{Caught, Signals};

/// Name of the log file in the platform state directory.
pub const LOG_FILE: &str = "ecsimg.log";

/// How the wizard ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The user quit. A build or a delivery still going on is no failure: the farewell says
    /// how `ecsimg watch --resume` follows it.
    Quit,
    /// The user quit after the session's image became Available and its delivery ended with
    /// failed actions (exit code 6, as for `ecsimg create`).
    QuitNotAllDelivered,
    /// A signal ended it (SIGINT, SIGTERM, SIGHUP or SIGQUIT), after the terminal was restored.
    Signal(Caught),
}

/// Why the wizard could not run. [`WizardError::is_invalid_input`] tells what the user must
/// fix (flags, config, credentials) from what broke locally.
#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    /// The config, the flags or the credentials, or the sandbox that did not start.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// No API client could be made (a local failure, e.g. TLS setup).
    #[error(transparent)]
    Client(#[from] ApiError),
    /// The terminal could not be set up, drawn on or read.
    #[error("the terminal: {0}")]
    Terminal(io::Error),
    /// The signal handlers could not be installed.
    #[error("cannot handle signals: {0}")]
    Signals(io::Error),
}

impl Ended {
    /// How quitting `app` ends: what its delivery came to decides.
    pub fn quitting(app: &App) -> Ended {
        if app.farewell().is_some_and(|f| f.not_all_delivered) {
            Ended::QuitNotAllDelivered
        } else {
            Ended::Quit
        }
    }
}

impl WizardError {
    /// Whether the user must fix an input (exit code 2) rather than something local (1).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, WizardError::Session(e) if e.is_invalid_input())
    }

    pub(crate) fn terminal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        WizardError::Terminal(io::Error::other(e))
    }
}

/// Runs the wizard until the user quits or a signal ends it. Errors that prevent starting (a
/// bad config file, `--endpoint` that does not parse, `--sandbox` with `--endpoint`) are
/// returned before the screen is touched; after that the terminal is restored on every way
/// out, and a build still going on is described once it is.
pub async fn run(opts: SessionOptions) -> Result<Ended, WizardError> {
    let loaded = Config::load(opts.config.as_deref()).map_err(SessionError::from)?;
    let _log_guard = init_logging();
    let mouse = loaded.config.ui.mouse;
    let (connector, opening) = Connector::open(&opts, loaded).await?;
    let theme = Theme::from_env();
    let (app, client) = match opening {
        Opening::Ready { client, connection } => {
            tracing::info!(region = %connection.region, endpoint = %connection.endpoint, sandbox = connection.sandbox, "wizard connected");
            (App::new(Some(connection), None, theme), Some(client))
        }
        Opening::NeedsCredentials(screen) => (App::new(None, Some(screen), theme), None),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let runner = Runner::new(tx, connector, client);
    let mut signals = Signals::wizard().map_err(WizardError::Signals)?;
    let mut wizard = EventLoop::new(app, runner, rx);
    let ended = {
        let mut guard = terminal::init(mouse).map_err(WizardError::Terminal)?;
        drive(&mut guard, &mut wizard, &mut signals).await
        // The guard drops here: the terminal is restored before anything is printed.
    };
    match &ended {
        Ok(how) => tracing::info!(?how, "wizard ended"),
        Err(e) => tracing::error!(error = %e, "wizard ended with an error"),
    }
    if let Some(farewell) = wizard.app().farewell() {
        // The terminal may be gone (SIGHUP): nothing to do about a failed write.
        let _ = write!(io::stderr(), "{farewell}");
    }
    let sandbox = wizard.app().connection.as_ref().is_some_and(|s| s.sandbox);
    if let Some(stopped) = wizard.app().restart.farewell(sandbox) {
        let _ = write!(io::stderr(), "{}", crate::text::escape_lines(&stopped));
    }
    ended
}

/// Runs the loop on the real terminal, and does what its pauses ask: stop the process with
/// the terminal given back, take it again when the process goes on, end on a signal.
async fn drive(
    guard: &mut terminal::TerminalGuard,
    wizard: &mut EventLoop,
    signals: &mut Signals,
) -> Result<Ended, WizardError> {
    let mut events = EventStream::new();
    loop {
        match wizard
            .run(&mut guard.terminal, &mut events, signals)
            .await?
        {
            Pause::Quit => return Ok(Ended::quitting(wizard.app())),
            Pause::Signal(caught) if caught.ends() => {
                tracing::info!(signal = caught.name(), "ended by signal");
                return Ok(Ended::Signal(caught));
            }
            Pause::SuspendKey => suspend_job(),
            Pause::Signal(Caught::Suspend) => {
                guard.suspend();
                if stop_self()
                    && let Some(ending) = continued(signals).await
                {
                    return Ok(Ended::Signal(ending));
                }
                guard.resume().map_err(WizardError::Terminal)?;
                wizard.repaint(&guard.terminal)?;
            }
            Pause::Signal(_) => {
                // SIGCONT after a stop this process did not ask for (SIGSTOP): whatever
                // happened to the terminal meanwhile, take it again.
                guard.resume().map_err(WizardError::Terminal)?;
                wizard.repaint(&guard.terminal)?;
            }
        }
    }
}

/// After the process ran again: waits for the notice of the SIGCONT that woke it (so the
/// terminal is taken once), or returns the signal that ends it meanwhile.
async fn continued(signals: &mut Signals) -> Option<Caught> {
    use futures::StreamExt;
    loop {
        match signals.next().await {
            Some(Caught::Continue) | None => return None,
            Some(caught) if caught.ends() => return Some(caught),
            Some(_) => {}
        }
    }
}

/// Ctrl-Z typed in the wizard: SIGTSTP to the job, as the terminal sends it outside raw mode;
/// this process then stops through its own handler (`Pause::Signal(Caught::Suspend)`).
fn suspend_job() {
    #[cfg(unix)]
    if let Err(e) = crate::signals::suspend_job() {
        tracing::warn!(error = %e, "cannot suspend");
    }
}

/// Stops until SIGCONT; `false` when the process could not be stopped.
fn stop_self() -> bool {
    #[cfg(unix)]
    return crate::signals::stop_self()
        .inspect_err(|e| tracing::warn!(error = %e, "cannot stop"))
        .is_ok();
    #[cfg(not(unix))]
    false
}

/// Logs go to `ecsimg.log` in the platform state directory, never to the screen. The level
/// comes from `RUST_LOG` (default `info`). Returns the writer's guard, which must live as long
/// as the wizard; `None` when there is no state directory or a logger is already installed.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::EnvFilter;
    let dir = crate::config::state_dir()?;
    let path = dir.join(LOG_FILE);
    let file = open_log(&path)
        .inspect_err(|e| {
            let _ = writeln!(io::stderr(), "warning: no log at {}: {e}", path.display());
        })
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    tracing::info!(log = %path.display(), "ecsimg wizard starting");
    Some(guard)
}

/// Opens the log for appending, readable by its owner only whatever the umask (it names
/// endpoints, regions and resources); a log left wider by an older version is narrowed. New
/// directories on the way are the owner's only too.
fn open_log(path: &Path) -> io::Result<std::fs::File> {
    let mut dirs = std::fs::DirBuilder::new();
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        options.mode(0o600);
    }
    if let Some(dir) = path.parent() {
        dirs.recursive(true).create(dir)?;
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}
