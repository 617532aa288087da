//! Owning the terminal: raw mode, the alternate screen, mouse capture and bracketed paste on
//! the way in; everything undone on the way out — on quit, on error (the guard's `Drop`), on
//! panic (a hook that restores before the panic message prints) and on SIGTERM (the loop
//! listens for it and returns normally).

use std::io::{self, Stdout, Write, stdout};
use std::sync::Once;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Backend = CrosstermBackend<Stdout>;

/// The terminal while the wizard owns it; restores it when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
}

static PANIC_HOOK: Once = Once::new();

/// Takes over the terminal. `mouse` captures the mouse (wheel and clicks; `ui.mouse = false`
/// in the config keeps the terminal's own text selection).
pub fn init(mouse: bool) -> io::Result<TerminalGuard> {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    enable_raw_mode()?;
    let mut out = stdout();
    let entered = execute!(out, EnterAlternateScreen, EnableBracketedPaste).and_then(|()| {
        if mouse {
            execute!(out, EnableMouseCapture)
        } else {
            Ok(())
        }
    });
    if let Err(e) = entered {
        restore();
        return Err(e);
    }
    match Terminal::new(CrosstermBackend::new(stdout())) {
        Ok(mut terminal) => {
            terminal.clear()?;
            Ok(TerminalGuard { terminal })
        }
        Err(e) => {
            restore();
            Err(e)
        }
    }
}

/// Puts the terminal back as the shell expects it. Safe to call more than once; errors are
/// ignored because there is nothing better to do on the way out.
pub fn restore() {
    let mut out = stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
