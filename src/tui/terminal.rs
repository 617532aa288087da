//! Owning the terminal: raw mode, the alternate screen, bracketed paste and mouse reporting on
//! the way in; everything undone on the way out — on quit, on every error (the modes are left
//! when their owner is dropped, so an early return from setting up restores too), on panic (a
//! hook that restores before the panic message prints), before the process stops (SIGTSTP)
//! and on the signals that end it (the loop returns normally). After a stop the same modes are
//! entered again and the screen is repainted.

use std::io::{self, Stdout, Write, stdout};
use std::sync::Once;

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste};
use crossterm::queue;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::backend::CrosstermBackend;
use ratatui::{Terminal, TerminalOptions};

pub type Backend = CrosstermBackend<Stdout>;

/// Mouse reporting as the wizard uses it: presses, releases and the wheel (?1000), in the SGR
/// encoding so columns past 223 work (?1006). Not drags (?1002) or all motion (?1003), which
/// crossterm's `EnableMouseCapture` also asks for: nothing in the wizard follows the pointer,
/// so the terminal need not send an event for every cell it crosses.
const MOUSE_ON: &[u8] = b"\x1b[?1000h\x1b[?1006h";

/// The terminal underneath the wizard: bytes go to it, and it switches raw mode on and off.
pub trait Tty: Write {
    fn set_raw(&mut self, on: bool) -> io::Result<()>;
}

impl Tty for Stdout {
    fn set_raw(&mut self, on: bool) -> io::Result<()> {
        if on {
            enable_raw_mode()
        } else {
            disable_raw_mode()
        }
    }
}

/// Raw mode, the alternate screen, bracketed paste and (optionally) the mouse: entered
/// together, left together — at the latest when dropped.
pub struct Modes<T: Tty> {
    tty: T,
    mouse: bool,
    entered: bool,
}

impl<T: Tty> Modes<T> {
    /// Enters the modes; on failure whatever was entered is left again.
    pub fn enter(tty: T, mouse: bool) -> io::Result<Modes<T>> {
        let mut modes = Modes {
            tty,
            mouse,
            entered: false,
        };
        modes.resume()?;
        Ok(modes)
    }

    /// Enters the modes again after [`Modes::leave`] (after a stop). On failure the terminal is
    /// left as the shell expects it.
    pub fn resume(&mut self) -> io::Result<()> {
        self.tty.set_raw(true)?;
        self.entered = true;
        let entered = self.write_enter();
        if entered.is_err() {
            self.leave();
        }
        entered
    }

    fn write_enter(&mut self) -> io::Result<()> {
        queue!(
            self.tty,
            EnterAlternateScreen,
            Clear(ClearType::All),
            EnableBracketedPaste
        )?;
        if self.mouse {
            self.tty.write_all(MOUSE_ON)?;
        }
        self.tty.flush()
    }

    /// Gives the terminal back as the shell expects it. Errors are ignored: there is nothing
    /// better to do on the way out.
    pub fn leave(&mut self) {
        if std::mem::take(&mut self.entered) {
            let _ = write_leave(&mut self.tty);
            let _ = self.tty.set_raw(false);
        }
    }
}

impl<T: Tty> Drop for Modes<T> {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Every mode the wizard may have entered, off again (mouse: every tracking mode, whoever
/// turned it on), and the cursor shown.
fn write_leave(out: &mut impl Write) -> io::Result<()> {
    queue!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    )?;
    out.flush()
}

/// The terminal while the wizard owns it. Fields drop in order: the modes are left last.
pub struct TerminalGuard<T: Tty = Stdout, W: Write = Stdout> {
    pub terminal: Terminal<CrosstermBackend<W>>,
    modes: Modes<T>,
}

static PANIC_HOOK: Once = Once::new();

/// Takes over the terminal. `mouse` reports clicks and the wheel (`ui.mouse = false` in the
/// config keeps the terminal's own text selection).
pub fn init(mouse: bool) -> io::Result<TerminalGuard> {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    take_over(stdout(), stdout(), mouse, TerminalOptions::default())
}

/// Enters the modes on `tty` (which clears the screen), then sets up ratatui on `out` (the same
/// terminal). An early return drops the modes, which gives the terminal back.
///
/// ratatui's `Terminal::clear` is not used: it first asks the terminal where the cursor is
/// and waits for the answer, a round trip that fails on terminals that do not answer.
fn take_over<T: Tty, W: Write>(
    tty: T,
    out: W,
    mouse: bool,
    options: TerminalOptions,
) -> io::Result<TerminalGuard<T, W>> {
    let modes = Modes::enter(tty, mouse)?;
    let terminal = Terminal::with_options(CrosstermBackend::new(out), options)?;
    Ok(TerminalGuard { terminal, modes })
}

impl<T: Tty, W: Write> TerminalGuard<T, W> {
    /// Gives the terminal back before the process stops.
    pub fn suspend(&mut self) {
        self.modes.leave();
    }

    /// Takes the terminal again after a stop (the screen is cleared on the way in); the next
    /// draw repaints the whole screen.
    pub fn resume(&mut self) -> io::Result<()> {
        self.modes.resume()?;
        // Forget the last frame: swapping twice leaves both buffers blank, like the screen,
        // so the next draw's diff is every cell that is not blank.
        self.terminal.swap_buffers();
        self.terminal.swap_buffers();
        Ok(())
    }
}

/// Puts the terminal back as the shell expects it, whatever state the wizard left it in (the
/// panic hook). Safe to call more than once; errors are ignored.
pub fn restore() {
    let _ = write_leave(&mut stdout());
    let _ = disable_raw_mode();
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ratatui::Viewport;
    use ratatui::layout::Rect;

    use super::*;

    /// A terminal that records what it is sent and fails its `fail_at`-th operation (each
    /// write, flush and raw-mode switch counts one).
    #[derive(Clone, Default)]
    struct Fake(Rc<RefCell<Log>>);

    #[derive(Default)]
    struct Log {
        bytes: Vec<u8>,
        raw: bool,
        ops: usize,
        fail_at: Option<usize>,
    }

    impl Fake {
        fn failing_at(op: usize) -> Fake {
            let fake = Fake::default();
            fake.0.borrow_mut().fail_at = Some(op);
            fake
        }

        fn op(&self) -> io::Result<()> {
            let mut log = self.0.borrow_mut();
            log.ops += 1;
            if log.fail_at == Some(log.ops) {
                return Err(io::Error::other("the terminal went away"));
            }
            Ok(())
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.borrow().bytes).into_owned()
        }

        fn raw(&self) -> bool {
            self.0.borrow().raw
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.op()?;
            self.0.borrow_mut().bytes.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            self.op()
        }
    }

    impl Tty for Fake {
        fn set_raw(&mut self, on: bool) -> io::Result<()> {
            self.op()?;
            self.0.borrow_mut().raw = on;
            Ok(())
        }
    }

    fn take_over_fake(fake: &Fake) -> io::Result<TerminalGuard<Fake, Fake>> {
        let options = TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 20, 4)),
        };
        take_over(fake.clone(), fake.clone(), true, options)
    }

    /// The terminal as the shell expects it: raw mode off and, if anything was sent, every
    /// mode left again after it.
    fn assert_given_back(fake: &Fake, when: &str) {
        assert!(!fake.raw(), "{when}: raw mode is still on");
        let text = fake.text();
        if text.is_empty() {
            return;
        }
        let after = text
            .rfind("\x1b[?1049h")
            .map_or(&text[..], |at| &text[at..]);
        for off in [
            "\x1b[?1049l",
            "\x1b[?2004l",
            "\x1b[?1000l",
            "\x1b[?1003l",
            "\x1b[?25h",
        ] {
            assert!(after.contains(off), "{when}: {off:?} missing in {text:?}");
        }
    }

    #[test]
    fn every_failure_while_taking_over_gives_the_terminal_back() {
        let fine = Fake::default();
        let guard = take_over_fake(&fine).expect("a working terminal");
        let ops = fine.0.borrow().ops;
        assert!(fine.raw());
        assert!(
            fine.text().contains("\x1b[?1049h\x1b[2J"),
            "entered and cleared"
        );
        drop(guard);
        assert_given_back(&fine, "after a normal exit");
        // Fail each step in turn: raw mode, then each write and flush.
        for fail_at in 1..=ops {
            let fake = Fake::failing_at(fail_at);
            let result = take_over_fake(&fake);
            assert!(result.is_err(), "operation {fail_at} of {ops} failed");
            assert_given_back(&fake, &format!("failure at operation {fail_at} of {ops}"));
        }
    }

    #[test]
    fn mouse_reporting_asks_for_clicks_and_wheel_only() {
        let fake = Fake::default();
        let guard = take_over_fake(&fake).expect("works");
        let text = fake.text();
        assert!(text.contains("\x1b[?1000h") && text.contains("\x1b[?1006h"));
        for motion in ["\x1b[?1002h", "\x1b[?1003h", "\x1b[?1015h"] {
            assert!(!text.contains(motion), "{motion:?} asks for motion events");
        }
        drop(guard);
        let quiet = Fake::default();
        let options = TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 20, 4)),
        };
        drop(take_over(quiet.clone(), quiet.clone(), false, options).expect("works"));
        assert!(!quiet.text().contains("\x1b[?1000h"), "ui.mouse = false");
    }

    #[test]
    fn suspend_gives_the_terminal_back_and_resume_repaints_everything() {
        let fake = Fake::default();
        let mut guard = take_over_fake(&fake).expect("works");
        let hello = |guard: &mut TerminalGuard<Fake, Fake>| {
            guard
                .terminal
                .draw(|frame| frame.render_widget("hello", frame.area()))
                .expect("draws");
        };
        hello(&mut guard);
        assert!(fake.text().contains("hello"));
        guard.suspend();
        assert_given_back(&fake, "suspended");
        let left = fake.text().len();
        guard.suspend();
        assert_eq!(fake.text().len(), left, "leaving twice writes nothing more");
        guard.resume().expect("resumes");
        assert!(fake.raw());
        hello(&mut guard);
        let again = fake.text()[left..].to_string();
        assert!(again.contains("\x1b[?1049h\x1b[2J") && again.contains("\x1b[?1000h"));
        assert!(
            again.contains("hello"),
            "the same frame is drawn again in full"
        );
        // A failure while resuming gives the terminal back again.
        guard.suspend();
        let ops = fake.0.borrow().ops;
        fake.0.borrow_mut().fail_at = Some(ops + 2);
        assert!(guard.resume().is_err());
        assert_given_back(&fake, "a failed resume");
    }
}
