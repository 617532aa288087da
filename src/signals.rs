//! The process signals that end a command, behind one type for every face: the CLI and the
//! simulator stop on SIGINT/SIGTERM; the wizard, whose Ctrl-C is a key in raw mode, on
//! SIGTERM/SIGHUP.

use std::io;

#[cfg(unix)]
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Two signals listened for from the moment the value is made, so none slips past between
/// installing and awaiting.
pub struct Signals {
    #[cfg(unix)]
    pair: (Signal, Signal),
    #[cfg(not(unix))]
    ctrl_c: bool,
}

impl Signals {
    /// SIGINT or SIGTERM (Ctrl-C elsewhere).
    pub fn interrupt_or_terminate() -> io::Result<Signals> {
        #[cfg(unix)]
        return Signals::pair(SignalKind::interrupt(), SignalKind::terminate());
        #[cfg(not(unix))]
        Ok(Signals { ctrl_c: true })
    }

    /// SIGTERM or SIGHUP (the terminal closing); never fires where there are no such signals.
    pub fn terminate_or_hangup() -> io::Result<Signals> {
        #[cfg(unix)]
        return Signals::pair(SignalKind::terminate(), SignalKind::hangup());
        #[cfg(not(unix))]
        Ok(Signals { ctrl_c: false })
    }

    #[cfg(unix)]
    fn pair(a: SignalKind, b: SignalKind) -> io::Result<Signals> {
        Ok(Signals {
            pair: (signal(a)?, signal(b)?),
        })
    }

    /// Resolves at the next signal.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.pair.0.recv() => {}
            _ = self.pair.1.recv() => {}
        }
        #[cfg(not(unix))]
        if self.ctrl_c {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            std::future::pending::<()>().await;
        }
    }
}
