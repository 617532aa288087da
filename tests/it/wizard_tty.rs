//! The wizard on a real pseudo-terminal: the real binary runs as the session leader of a pty
//! (as under a terminal emulator), gets keys and signals, and is checked by what it writes
//! (the escape sequences that enter and leave its modes) and by the terminal modes (termios)
//! it leaves behind: after every signal that stops or ends it, the shell's terminal is back.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use rustix::termios::{LocalModes, Winsize};

const BIN: &str = env!("CARGO_BIN_EXE_ecsimg");
/// An instance of the sandbox's seed data: on screen once the first listing arrived.
const DATA: &str = "web-server-01";
const WAIT: Duration = Duration::from_secs(20);

/// Leaving the alternate screen, bracketed paste, every mouse tracking mode; the cursor shown.
const LEFT: [&str; 6] = [
    "\x1b[?1049l",
    "\x1b[?2004l",
    "\x1b[?1000l",
    "\x1b[?1002l",
    "\x1b[?1003l",
    "\x1b[?25h",
];

/// `ecsimg ARGS` on a fresh pty of 80×24, with HOME and the XDG directories in a temp dir.
struct Wizard {
    child: Child,
    /// The pty's terminal side, kept open to read its modes.
    slave: File,
    master: File,
    output: Arc<Mutex<Vec<u8>>>,
    home: tempfile::TempDir,
}

/// How the child starts: its stdout (the pty unless given) and umask.
#[derive(Default)]
struct Start {
    stdout: Option<File>,
    umask: Option<u32>,
    home: Option<tempfile::TempDir>,
}

impl Wizard {
    fn sandbox() -> Wizard {
        Wizard::start(&["--sandbox"], Start::default())
    }

    fn start(args: &[&str], start: Start) -> Wizard {
        let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)
            .expect("a pseudo-terminal");
        rustix::pty::grantpt(&master).expect("grantpt");
        rustix::pty::unlockpt(&master).expect("unlockpt");
        let name = rustix::pty::ptsname(&master, Vec::new()).expect("ptsname");
        let slave = File::from(
            rustix::fs::open(
                name.as_c_str(),
                OFlags::RDWR | OFlags::NOCTTY,
                Mode::empty(),
            )
            .expect("the terminal side"),
        );
        let size = Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&slave, size).expect("window size");
        let home = start
            .home
            .unwrap_or_else(|| tempfile::tempdir().expect("tempdir"));
        let h = home.path();
        // A session of its own with the pty as its controlling terminal, as a shell gives it:
        // util-linux's `setsid --ctty` does that without unsafe code here (the crate forbids it);
        // `sh` sets the umask the test asks for before it becomes ecsimg.
        let mut cmd = Command::new("setsid");
        cmd.arg("--ctty");
        if let Some(mask) = start.umask {
            cmd.args(["sh", "-c", "umask \"$1\"; shift; exec \"$@\"", "sh"])
                .arg(format!("{mask:03o}"));
        }
        cmd.arg(BIN)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", h)
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_DATA_HOME", h.join("data"))
            .env("XDG_STATE_HOME", h.join("state"))
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(match start.stdout {
                Some(file) => Stdio::from(file),
                None => Stdio::from(slave.try_clone().expect("dup")),
            });
        let child = cmd.spawn().expect("ecsimg starts");
        let master = File::from(master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("dup");
        let mut answers = master.try_clone().expect("dup");
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 65536];
            // Ends with EIO once the test closes its side of the terminal.
            while let Ok(n @ 1..) = reader.read(&mut chunk) {
                // Answer the cursor-position query a terminal emulator answers.
                if chunk[..n].windows(4).any(|w| w == b"\x1b[6n") {
                    let _ = answers.write_all(b"\x1b[1;1R");
                }
                sink.lock().expect("output").extend_from_slice(&chunk[..n]);
            }
        });
        Wizard {
            child,
            slave,
            master,
            output,
            home,
        }
    }

    fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().expect("output")).into_owned()
    }

    /// Where the output is now: `since` looks at what came after.
    fn mark(&self) -> usize {
        self.output.lock().expect("output").len()
    }

    fn since(&self, mark: usize) -> String {
        String::from_utf8_lossy(&self.output.lock().expect("output")[mark..]).into_owned()
    }

    #[track_caller]
    fn wait_for(&self, what: &str, mut check: impl FnMut(&Wizard) -> bool) {
        within(what, &self.output, || check(self));
    }

    /// Waits until nothing was written for a while (loads and spinners done).
    fn wait_quiet(&self) {
        let mut last = self.mark();
        let mut quiet_since = Instant::now();
        self.wait_for("quiet", |w| {
            let now = w.mark();
            if now != last {
                last = now;
                quiet_since = Instant::now();
            }
            quiet_since.elapsed() > Duration::from_millis(500)
        });
    }

    #[track_caller]
    fn wait_for_text_since(&self, mark: usize, text: &str) {
        self.wait_for(text, |w| w.since(mark).contains(text));
    }

    /// The process state from /proc: `T` when stopped.
    fn state(&self) -> char {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .unwrap_or('?')
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{name}");
    }

    fn type_bytes(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("typing");
    }

    /// Whether the terminal is as a shell expects it: canonical input and echo.
    fn cooked(&self) -> bool {
        let modes = rustix::termios::tcgetattr(&self.slave).expect("terminal modes");
        modes
            .local_modes
            .contains(LocalModes::ICANON | LocalModes::ECHO)
    }

    /// Every mode left since `mark` (what the reader has not read yet is waited for), and
    /// the terminal cooked again.
    #[track_caller]
    fn assert_given_back(&self, mark: usize, after: &str) {
        self.wait_for(&format!("{after}: the modes left"), |w| {
            let out = w.since(mark);
            LEFT.iter().all(|sequence| out.contains(sequence))
        });
        assert!(self.cooked(), "{after}: the terminal is still raw");
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let child = &mut self.child;
        let mut status = None;
        within("the wizard to exit", &self.output, || {
            status = child.try_wait().expect("wait");
            status.is_some()
        });
        status.expect("exited")
    }

    fn state_dir(&self) -> PathBuf {
        self.home.path().join("state").join("ecsimg")
    }
}

/// Waits until `check` holds; fails after [`WAIT`] with the end of what the wizard wrote.
#[track_caller]
fn within(what: &str, output: &Mutex<Vec<u8>>, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        if Instant::now() >= deadline {
            let out = output.lock().expect("output");
            let tail = String::from_utf8_lossy(&out[out.len().saturating_sub(3000)..]);
            panic!("waited {WAIT:?} for {what}; the wizard wrote last:\n{tail:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Wizard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Started, drawn, the sandbox's data on screen, in raw mode with the mouse on.
fn ready() -> Wizard {
    let wizard = Wizard::sandbox();
    wizard.wait_for("the sandbox's data", |w| w.output().contains(DATA));
    assert!(!wizard.cooked(), "raw mode");
    wizard
}

#[track_caller]
fn assert_stops(wizard: &Wizard, mark: usize, how: &str) {
    wizard.wait_for("the process to stop", |w| w.state() == 'T');
    wizard.assert_given_back(mark, how);
}

#[track_caller]
fn assert_comes_back(wizard: &Wizard) {
    let mark = wizard.mark();
    wizard.signal("CONT");
    // Raw mode, the alternate screen and the mouse again, and the whole screen redrawn.
    wizard.wait_for_text_since(mark, DATA);
    let out = wizard.since(mark);
    for sequence in ["\x1b[?1049h", "\x1b[?2004h", "\x1b[?1000h", "\x1b[?1006h"] {
        assert!(
            out.contains(sequence),
            "{sequence:?} after SIGCONT: {out:?}"
        );
    }
    assert_ne!(wizard.state(), 'T');
    assert!(!wizard.cooked(), "raw mode again");
}

#[test]
fn mouse_reporting_asks_for_clicks_and_the_wheel_not_motion() {
    let mut wizard = ready();
    let out = wizard.output();
    assert!(out.contains("\x1b[?1000h") && out.contains("\x1b[?1006h"));
    for motion in ["\x1b[?1002h", "\x1b[?1003h"] {
        assert!(!out.contains(motion), "{motion:?} asks for motion: {out:?}");
    }
    // Motion reports sent anyway (SGR: button 35 = motion, no button pressed) draw nothing.
    // They go in bursts of 3 KB, more than the event reader takes in one read: all of each
    // burst must be read, not only what the reader took before it went back to waiting.
    // Each report is one write, as a terminal sends it: a single 3 KB write can reach the
    // reader cut after an ESC on a loaded machine, and a lone ESC is the Esc key.
    wizard.wait_quiet();
    let mark = wizard.mark();
    let reports: Vec<String> = (0..1000)
        .map(|i| format!("\x1b[<35;{};{}M", 1 + i % 80, 5 + i % 15))
        .collect();
    for burst in reports.chunks(250) {
        for report in burst {
            wizard.type_bytes(report.as_bytes());
        }
        wizard.wait_for("the wizard to read every report", |w| {
            rustix::io::ioctl_fionread(&w.slave).expect("FIONREAD") == 0
        });
    }
    wizard.wait_quiet();
    assert_eq!(wizard.since(mark), "", "drawn for 1,000 motion events");
    // Keys still work.
    wizard.type_bytes(b"?");
    wizard.wait_for_text_since(mark, "Help");
}

#[test]
fn sigtstp_gives_the_terminal_back_and_sigcont_takes_it_again() {
    let mut wizard = ready();
    let mark = wizard.mark();
    wizard.signal("TSTP");
    assert_stops(&wizard, mark, "stopped by SIGTSTP");
    assert_comes_back(&wizard);
    // Twice: the second stop works as the first.
    let mark = wizard.mark();
    wizard.signal("TSTP");
    assert_stops(&wizard, mark, "stopped by SIGTSTP again");
    assert_comes_back(&wizard);
    let mark = wizard.mark();
    wizard.signal("INT");
    let status = wizard.wait_exit();
    wizard.assert_given_back(mark, "ended by SIGINT");
    assert_eq!(status.code(), Some(130), "{status:?}");
}

#[test]
fn ctrl_z_typed_in_the_wizard_stops_it_as_sigtstp_does() {
    let mut wizard = ready();
    let mark = wizard.mark();
    wizard.type_bytes(b"\x1a");
    assert_stops(&wizard, mark, "stopped by Ctrl-Z");
    assert_comes_back(&wizard);
    // The key typed nothing into the picker's filter.
    assert!(!wizard.output().contains("Filter: \u{1a}"));
    let mark = wizard.mark();
    wizard.signal("QUIT");
    let status = wizard.wait_exit();
    wizard.assert_given_back(mark, "ended by SIGQUIT");
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert_eq!(
        status.signal(),
        None,
        "no core dump: the wizard ended itself"
    );
}

#[test]
fn sigterm_and_ctrl_c_give_the_terminal_back() {
    let mut wizard = ready();
    let mark = wizard.mark();
    wizard.signal("TERM");
    let status = wizard.wait_exit();
    wizard.assert_given_back(mark, "ended by SIGTERM");
    assert_eq!(status.code(), Some(130));
    let mut wizard = ready();
    let mark = wizard.mark();
    wizard.type_bytes(b"\x03");
    let status = wizard.wait_exit();
    wizard.assert_given_back(mark, "Ctrl-C");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_terminal_that_fails_while_starting_is_given_back() {
    // Raw mode is set on the pty (standard input); writing the modes to /dev/full fails.
    let full = File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut wizard = Wizard::start(
        &["--sandbox"],
        Start {
            stdout: Some(full),
            ..Start::default()
        },
    );
    let status = wizard.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", wizard.output());
    assert!(wizard.cooked(), "raw mode was left");
    wizard.wait_for("the error", |w| w.output().contains("error: the terminal"));
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_log_is_private_whatever_the_umask() {
    let umask_000 = || Start {
        umask: Some(0),
        ..Start::default()
    };
    let mut wizard = Wizard::start(&["--sandbox"], umask_000());
    wizard.wait_for("the sandbox's data", |w| w.output().contains(DATA));
    wizard.type_bytes(b"\x03");
    assert_eq!(wizard.wait_exit().code(), Some(0));
    let log = wizard.state_dir().join("ecsimg.log");
    assert_eq!(mode(&log), 0o600, "a new log under umask 000");
    assert_eq!(mode(&wizard.state_dir()), 0o700, "its new directory");
    // A log that an older version left readable by everyone is narrowed.
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let home = std::mem::replace(&mut wizard.home, tempfile::tempdir().expect("tempdir"));
    let mut again = Wizard::start(
        &["--sandbox"],
        Start {
            home: Some(home),
            ..umask_000()
        },
    );
    again.wait_for("the sandbox's data", |w| w.output().contains(DATA));
    again.type_bytes(b"\x03");
    assert_eq!(again.wait_exit().code(), Some(0));
    assert_eq!(mode(&log), 0o600, "an existing log");
    let text = std::fs::read_to_string(&log).expect("the log");
    assert_eq!(text.matches("ecsimg wizard starting").count(), 2, "{text}");
}
