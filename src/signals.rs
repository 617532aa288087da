//! The process signals every face listens for, behind one type: the CLI and the simulator stop
//! on SIGINT/SIGTERM; the wizard, whose Ctrl-C and Ctrl-Z are keys in raw mode, also ends on
//! SIGHUP and SIGQUIT and suspends on SIGTSTP, so it can give the terminal back first.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
#[cfg(unix)]
use tokio::signal::unix::{Signal, SignalKind, signal};

/// A signal that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// SIGINT (Ctrl-C outside raw mode, `kill -INT`).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP: the terminal went away.
    Hangup,
    /// SIGQUIT (`kill -QUIT`, Ctrl-\ outside raw mode).
    Quit,
    /// SIGTSTP: the job is asked to stop (Ctrl-Z outside raw mode, `kill -TSTP`).
    Suspend,
    /// SIGCONT: the process runs again after a stop.
    Continue,
}

impl Caught {
    /// Whether the process should end (rather than stop or go on).
    pub fn ends(self) -> bool {
        !matches!(self, Caught::Suspend | Caught::Continue)
    }

    /// The signal's name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            Caught::Interrupt => "SIGINT",
            Caught::Terminate => "SIGTERM",
            Caught::Hangup => "SIGHUP",
            Caught::Quit => "SIGQUIT",
            Caught::Suspend => "SIGTSTP",
            Caught::Continue => "SIGCONT",
        }
    }
}

/// Signals listened for from the moment the value is made, so none slips past between
/// installing and awaiting. Also a [`Stream`] of what arrives.
pub struct Signals {
    #[cfg(unix)]
    listening: Vec<(Caught, Signal)>,
    #[cfg(not(unix))]
    ctrl_c: Option<Pin<Box<dyn std::future::Future<Output = io::Result<()>> + Send>>>,
}

impl Signals {
    /// SIGINT or SIGTERM (Ctrl-C elsewhere).
    pub fn interrupt_or_terminate() -> io::Result<Signals> {
        #[cfg(unix)]
        return Signals::listen(&[Caught::Interrupt, Caught::Terminate]);
        #[cfg(not(unix))]
        Ok(Signals {
            ctrl_c: Some(Box::pin(tokio::signal::ctrl_c())),
        })
    }

    /// What the wizard reacts to: every signal that ends the process (SIGINT, SIGTERM, SIGHUP,
    /// SIGQUIT), SIGTSTP and SIGCONT. Never fires where there are no such signals.
    pub fn wizard() -> io::Result<Signals> {
        #[cfg(unix)]
        return Signals::listen(&[
            Caught::Interrupt,
            Caught::Terminate,
            Caught::Hangup,
            Caught::Quit,
            Caught::Suspend,
            Caught::Continue,
        ]);
        #[cfg(not(unix))]
        Ok(Signals { ctrl_c: None })
    }

    #[cfg(unix)]
    fn listen(which: &[Caught]) -> io::Result<Signals> {
        let listening = which
            .iter()
            .map(|&caught| {
                let kind = match caught {
                    Caught::Interrupt => SignalKind::interrupt(),
                    Caught::Terminate => SignalKind::terminate(),
                    Caught::Hangup => SignalKind::hangup(),
                    Caught::Quit => SignalKind::quit(),
                    Caught::Suspend => SignalKind::from_raw(rustix::process::Signal::TSTP.as_raw()),
                    Caught::Continue => {
                        SignalKind::from_raw(rustix::process::Signal::CONT.as_raw())
                    }
                };
                Ok((caught, signal(kind)?))
            })
            .collect::<io::Result<_>>()?;
        Ok(Signals { listening })
    }

    /// Resolves at the next signal.
    pub async fn recv(&mut self) -> Caught {
        futures::StreamExt::next(self)
            .await
            .unwrap_or(Caught::Terminate)
    }
}

impl Stream for Signals {
    type Item = Caught;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Caught>> {
        #[cfg(unix)]
        for (caught, signal) in &mut self.listening {
            if signal.poll_recv(cx).is_ready() {
                return Poll::Ready(Some(*caught));
            }
        }
        #[cfg(not(unix))]
        if let Some(ctrl_c) = &mut self.ctrl_c
            && ctrl_c.as_mut().poll(cx).is_ready()
        {
            self.ctrl_c = Some(Box::pin(tokio::signal::ctrl_c()));
            return Poll::Ready(Some(Caught::Interrupt));
        }
        Poll::Pending
    }
}

/// Stops this process until SIGCONT, as SIGTSTP would have by default. Returns once the
/// process runs again. (SIGSTOP, because the SIGTSTP handler stays installed.)
#[cfg(unix)]
pub fn stop_self() -> io::Result<()> {
    let me = rustix::process::getpid();
    rustix::process::kill_process(me, rustix::process::Signal::STOP).map_err(io::Error::from)
}

/// Sends SIGTSTP to this process's group, as the terminal does for Ctrl-Z outside raw mode:
/// the processes around this one (a `cargo run` above it) stop with it, and this one stops
/// through its own SIGTSTP handler.
#[cfg(unix)]
pub fn suspend_job() -> io::Result<()> {
    rustix::process::kill_current_process_group(rustix::process::Signal::TSTP)
        .map_err(io::Error::from)
}
