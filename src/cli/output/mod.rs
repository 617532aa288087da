//! How commands show a watch: progress bars on a terminal, plain timestamped lines otherwise
//! (logs, CI), JSON lines with `--output json`.
//!
//! Human output goes to stderr and machine output (JSON lines, the ImageId in text mode) to
//! stdout, so `IMAGE=$(ecsimg create --recipe r.toml --yes --no-wait)` just works.
//!
//! Everything printed here passes through [`crate::text`]: a server's or the journal's text
//! never reaches the terminal with its escape sequences live.

mod bars;
mod json;
mod lines;
#[cfg(test)]
mod tests;

use bars::Bars;
pub use bars::bar;
pub use json::{event_json, print_json};
use lines::Lines;
pub use lines::progress_line;

use std::io::{self, IsTerminal};

use crate::text;
use crate::watch::WatchEvent;

/// `--output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Progress for people on stderr; results on stdout.
    #[default]
    Text,
    /// One JSON object per line on stdout.
    Json,
}

/// The progress display for one command.
pub struct Progress {
    mode: Mode,
}

enum Mode {
    Json,
    Lines(Lines),
    Bars(Bars),
}

impl Progress {
    /// Bars when stderr is a terminal and the output is text; lines otherwise.
    pub fn new(format: OutputFormat) -> Progress {
        let mode = match format {
            OutputFormat::Json => Mode::Json,
            OutputFormat::Text if io::stderr().is_terminal() => Mode::Bars(Bars::default()),
            OutputFormat::Text => Mode::Lines(Lines::default()),
        };
        Progress { mode }
    }

    /// Shows one watch event.
    pub fn event(&mut self, event: &WatchEvent) {
        match &mut self.mode {
            Mode::Json => print_json(&event_json(event)),
            Mode::Lines(lines) => {
                for line in lines.lines_for(event) {
                    eprintln!("{} {}", timestamp(), text::escape(&line));
                }
            }
            Mode::Bars(bars) => {
                let log = Lines::log_lines(event);
                bars.update(event);
                let _ = bars.draw(&mut io::stderr().lock(), &log);
            }
        }
    }

    /// A message for people (stderr), kept clear of the bars. Its line breaks are kept; any
    /// other control character is escaped.
    pub fn note(&mut self, message: &str) {
        let message = text::escape_lines(message);
        match &mut self.mode {
            Mode::Bars(bars) => {
                let _ = bars.draw(&mut io::stderr().lock(), &[message.into_owned()]);
            }
            Mode::Lines(_) | Mode::Json => eprintln!("{} {message}", timestamp()),
        }
    }
}

pub(super) fn timestamp() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}
