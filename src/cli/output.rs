//! How commands show a watch: progress bars on a terminal, plain timestamped lines otherwise
//! (logs, CI), JSON lines with `--output json`.
//!
//! Human output goes to stderr and machine output (JSON lines, the ImageId in text mode) to
//! stdout, so `IMAGE=$(ecsimg create --recipe r.toml --yes --no-wait)` just works.
//!
//! Everything printed here passes through [`crate::text`]: a server's or the journal's text
//! never reaches the terminal with its escape sequences live.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use crossterm::{cursor, queue, terminal};
use serde_json::{Value, json};

use crate::api::model::Image;
use crate::text;
use crate::watch::{WatchEnd, WatchEvent, format_duration};

/// `--output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Progress for people on stderr; results on stdout.
    #[default]
    Text,
    /// One JSON object per line on stdout.
    Json,
}

/// Prints a JSON value as one line on stdout.
pub fn print_json(value: &Value) {
    let mut out = io::stdout().lock();
    // A closed stdout (`| head`) is the reader's choice, not an error to report.
    let _ = writeln!(out, "{}", terminal_safe_json(&value.to_string()));
    let _ = out.flush();
}

/// JSON text with the characters a terminal could act on written as `\uXXXX` escapes.
/// serde_json already escapes C0 controls; DEL, C1 controls (CSI among them) and bidi
/// overrides would otherwise pass raw. They only occur inside strings, where the escape means
/// the same character, so the JSON is unchanged for a parser.
fn terminal_safe_json(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.chars().any(text::is_unsafe) {
        return json.into();
    }
    json.chars()
        .map(|c| {
            if text::is_unsafe(c) {
                format!("\\u{:04x}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
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

fn timestamp() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// One watch event as a JSON line.
pub fn event_json(event: &WatchEvent) -> Value {
    match event {
        WatchEvent::Progress {
            image_id,
            image,
            elapsed,
            remaining,
        } => json!({
            "event": "progress",
            "image_id": image_id,
            "status": image.status,
            "progress": image.progress_percent(),
            "elapsed_secs": secs(*elapsed),
            "remaining_secs": remaining.map(secs),
            "image": image,
        }),
        WatchEvent::StatusChanged {
            image_id,
            from,
            to,
            elapsed,
        } => json!({
            "event": "status_changed",
            "image_id": image_id,
            "from": from,
            "to": to,
            "elapsed_secs": secs(*elapsed),
        }),
        WatchEvent::Retrying {
            error,
            delay,
            attempt,
        } => json!({
            "event": "retrying",
            "error": error.to_string(),
            "code": error.code(),
            "delay_secs": secs(*delay),
            "attempt": attempt,
        }),
        WatchEvent::NotVisibleYet { image_id, elapsed } => json!({
            "event": "not_visible_yet",
            "image_id": image_id,
            "elapsed_secs": secs(*elapsed),
        }),
        WatchEvent::Finished {
            image_id,
            outcome,
            elapsed,
        } => {
            let mut value = json!({
                "event": "finished",
                "image_id": image_id,
                "outcome": outcome_word(outcome),
                "status": outcome.status(),
                "elapsed_secs": secs(*elapsed),
            });
            match outcome {
                WatchEnd::Available(image) => value["image"] = json!(image),
                WatchEnd::Failed { image, reason } => {
                    value["meaning"] = json!(reason.meaning());
                    value["advice"] = json!(reason.advice(image_id));
                    value["image"] = json!(image);
                }
                WatchEnd::TimedOut { last } => value["image"] = json!(last),
                WatchEnd::Error(error) => {
                    value["error"] = json!(error.to_string());
                    value["code"] = json!(error.code());
                }
            }
            value
        }
    }
}

/// `available`, `failed`, `timed_out` or `error`.
fn outcome_word(outcome: &WatchEnd) -> &'static str {
    match outcome {
        WatchEnd::Available(_) => "available",
        WatchEnd::Failed { .. } => "failed",
        WatchEnd::TimedOut { .. } => "timed_out",
        WatchEnd::Error(_) => "error",
    }
}

/// `Creating 45% · elapsed 12s · about 30s left`, then one part per disk and the image check.
pub fn progress_line(image: &Image, elapsed: Duration, remaining: Option<Duration>) -> String {
    let mut line = image.status.clone();
    if let Some(percent) = image.progress_percent() {
        line.push_str(&format!(" {percent}%"));
    }
    line.push_str(&format!(" · elapsed {}", format_duration(elapsed)));
    if let Some(left) = remaining.filter(|l| image.status != "Available" && !l.is_zero()) {
        line.push_str(&format!(" · about {} left", format_duration(left)));
    }
    let disks: Vec<String> = image
        .disk_device_mappings
        .disk_device_mapping
        .iter()
        .map(|d| {
            let mut part = d.device.clone();
            if let Some(gib) = d.size_gib() {
                part.push_str(&format!(" {gib} GiB"));
            }
            if let Some(p) = d.progress_percent() {
                part.push_str(&format!(" {p}%"));
            }
            if d.remain_time > 0 {
                part.push_str(&format!(
                    " ({} left)",
                    format_duration(Duration::from_secs(d.remain_time))
                ));
            }
            part
        })
        .collect();
    if !disks.is_empty() {
        line.push_str(&format!(" · disks: {}", disks.join(", ")));
    }
    let check = &image.detection_options;
    if !check.status.is_empty() {
        line.push_str(&format!(" · image check: {}", check.status));
    }
    line
}

/// The image check's findings, one line each, with what a High risk means.
fn detection_lines(image_id: &str, image: &Image) -> Vec<String> {
    image
        .detection_options
        .items
        .item
        .iter()
        .map(|item| {
            let mut line = format!(
                "{image_id} image check: {} risk: {}",
                item.risk_level, item.name
            );
            if !item.value.is_empty() {
                line.push_str(&format!(" = {}", item.value));
            }
            if item.risk_level.eq_ignore_ascii_case("High") {
                line.push_str(
                    " (High: instances launched from this image may fail to start or lose \
                     features; fix the source and rebuild)",
                );
            }
            line
        })
        .collect()
}

/// Plain lines: printed only when something changed, so logs stay readable.
#[derive(Default)]
struct Lines {
    /// The last progress text printed per image.
    printed: HashMap<String, String>,
    /// Images already reported as not visible yet.
    invisible: HashMap<String, ()>,
}

impl Lines {
    fn lines_for(&mut self, event: &WatchEvent) -> Vec<String> {
        match event {
            WatchEvent::Progress {
                image_id,
                image,
                elapsed,
                remaining,
            } => {
                // Compare without the clock, or every poll would print.
                let key = progress_line(image, Duration::ZERO, None);
                if self.printed.get(image_id) == Some(&key) {
                    return Vec::new();
                }
                self.printed.insert(image_id.clone(), key);
                vec![format!(
                    "{image_id} {}",
                    progress_line(image, *elapsed, *remaining)
                )]
            }
            WatchEvent::NotVisibleYet { image_id, .. } => {
                if self.invisible.insert(image_id.clone(), ()).is_some() {
                    return Vec::new();
                }
                Lines::log_lines(event)
            }
            _ => Lines::log_lines(event),
        }
    }

    /// The lines every display logs for an event (status changes, retries, end states).
    fn log_lines(event: &WatchEvent) -> Vec<String> {
        match event {
            WatchEvent::Progress { .. } => Vec::new(),
            WatchEvent::StatusChanged {
                image_id, from, to, ..
            } => vec![match from {
                Some(from) => format!("{image_id} status {from} -> {to}"),
                None => format!("{image_id} status {to}"),
            }],
            WatchEvent::Retrying { error, delay, .. } => vec![format!(
                "DescribeImages failed ({error}); retrying in {}",
                format_duration(*delay)
            )],
            WatchEvent::NotVisibleYet { image_id, .. } => vec![format!(
                "{image_id} is not visible in DescribeImages yet (normal right after \
                 CreateImage); waiting"
            )],
            WatchEvent::Finished {
                image_id,
                outcome,
                elapsed,
            } => {
                let mut lines = vec![format!(
                    "{image_id} finished after {}: {outcome}",
                    format_duration(*elapsed)
                )];
                match outcome {
                    WatchEnd::Available(image) => lines.extend(detection_lines(image_id, image)),
                    WatchEnd::Failed { reason, image } => {
                        if let Some(image) = image {
                            lines.extend(detection_lines(image_id, image));
                        }
                        lines.push(format!("  what it means: {}", reason.meaning()));
                        lines.push(format!("  what to try: {}", reason.advice(image_id)));
                    }
                    // The command to follow it again is the caller's to give: it knows the
                    // region and the session.
                    WatchEnd::TimedOut { .. } | WatchEnd::Error(_) => {}
                }
                lines
            }
        }
    }
}

/// Live bars, redrawn in place below the log.
#[derive(Default)]
struct Bars {
    /// In first-seen order.
    order: Vec<String>,
    rows: HashMap<String, BarRow>,
    /// Lines the last draw printed (to move back over).
    drawn: u16,
}

struct BarRow {
    image: Option<Image>,
    elapsed: Duration,
    remaining: Option<Duration>,
    done: Option<String>,
}

const BAR_WIDTH: usize = 24;

impl Bars {
    fn row(&mut self, image_id: &str) -> &mut BarRow {
        if !self.rows.contains_key(image_id) {
            self.order.push(image_id.to_string());
        }
        self.rows.entry(image_id.to_string()).or_insert(BarRow {
            image: None,
            elapsed: Duration::ZERO,
            remaining: None,
            done: None,
        })
    }

    fn update(&mut self, event: &WatchEvent) {
        match event {
            WatchEvent::Progress {
                image_id,
                image,
                elapsed,
                remaining,
            } => {
                let row = self.row(image_id);
                row.image = Some(image.clone());
                row.elapsed = *elapsed;
                row.remaining = *remaining;
            }
            WatchEvent::NotVisibleYet { image_id, elapsed } => {
                self.row(image_id).elapsed = *elapsed
            }
            WatchEvent::Finished {
                image_id,
                outcome,
                elapsed,
            } => {
                let row = self.row(image_id);
                row.elapsed = *elapsed;
                row.done = Some(outcome.status());
            }
            WatchEvent::StatusChanged { .. } | WatchEvent::Retrying { .. } => {}
        }
    }

    /// The block of bars: one line per image, one per disk.
    fn block(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for id in &self.order {
            let Some(row) = self.rows.get(id) else {
                continue;
            };
            let percent = row.image.as_ref().and_then(Image::progress_percent);
            let status = match (&row.done, &row.image) {
                (Some(done), _) => done.clone(),
                (None, Some(image)) => image.status.clone(),
                (None, None) => "not visible yet".into(),
            };
            let mut line = format!(
                "{id} {} {:>3}% {status} · {}",
                bar(percent.unwrap_or(0), BAR_WIDTH),
                percent.unwrap_or(0),
                format_duration(row.elapsed)
            );
            let building = row.done.is_none() && status != "Available";
            if let Some(left) = row.remaining.filter(|l| building && !l.is_zero()) {
                line.push_str(&format!(" · about {} left", format_duration(left)));
            }
            lines.push(line);
            let disks = row
                .image
                .iter()
                .flat_map(|i| &i.disk_device_mappings.disk_device_mapping);
            for disk in disks {
                let p = disk.progress_percent();
                let mut line = format!(
                    "    {:<10} {:>6} {} {}",
                    disk.device,
                    disk.size_gib()
                        .map(|g| format!("{g} GiB"))
                        .unwrap_or_default(),
                    bar(p.unwrap_or(0), BAR_WIDTH / 2),
                    p.map(|p| format!("{p:>3}%"))
                        .unwrap_or_else(|| "   -".into()),
                );
                if disk.remain_time > 0 {
                    line.push_str(&format!(
                        " · {} left",
                        format_duration(Duration::from_secs(disk.remain_time))
                    ));
                }
                lines.push(line);
            }
        }
        lines
    }

    /// Erases the previous block, prints `log` lines (timestamped), then the block again.
    fn draw(&mut self, out: &mut impl Write, log: &[String]) -> io::Result<()> {
        if self.drawn > 0 {
            queue!(
                out,
                cursor::MoveToPreviousLine(self.drawn),
                terminal::Clear(terminal::ClearType::FromCursorDown)
            )?;
        }
        for line in log {
            writeln!(out, "{} {}", timestamp(), text::escape_lines(line))?;
        }
        let block = self.block();
        for line in &block {
            writeln!(out, "{}", text::escape(line))?;
        }
        self.drawn = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.flush()
    }
}

/// `[██████░░░░]` for `percent` in `width` cells.
pub fn bar(percent: u8, width: usize) -> String {
    let filled = (usize::from(percent.min(100)) * width).div_ceil(100);
    format!("[{}{}]", "█".repeat(filled), "░".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::{DetectionItem, DiskDeviceMapping};
    use crate::watch::FailureReason;

    fn image(status: &str, progress: &str) -> Image {
        Image {
            image_id: "m-1".into(),
            status: status.into(),
            progress: progress.into(),
            disk_device_mappings: vec![DiskDeviceMapping {
                device: "/dev/xvda".into(),
                size: "40".into(),
                progress: "30%".into(),
                remain_time: 12,
                ..DiskDeviceMapping::default()
            }]
            .into(),
            ..Image::default()
        }
    }

    fn progress(status: &str, p: &str, elapsed: u64) -> WatchEvent {
        WatchEvent::Progress {
            image_id: "m-1".into(),
            image: image(status, p),
            elapsed: Duration::from_secs(elapsed),
            remaining: Some(Duration::from_secs(30)),
        }
    }

    #[test]
    fn progress_lines_show_status_disks_and_estimate() {
        let line = progress_line(
            &image("Creating", "45%"),
            Duration::from_secs(62),
            Some(Duration::from_secs(30)),
        );
        assert_eq!(
            line,
            "Creating 45% · elapsed 1m02s · about 30s left · disks: /dev/xvda 40 GiB 30% (12s left)"
        );
    }

    #[test]
    fn plain_lines_print_only_changes() {
        let mut lines = Lines::default();
        assert_eq!(lines.lines_for(&progress("Creating", "45%", 1)).len(), 1);
        assert!(
            lines.lines_for(&progress("Creating", "45%", 2)).is_empty(),
            "same progress"
        );
        assert_eq!(lines.lines_for(&progress("Creating", "46%", 3)).len(), 1);
        let invisible = WatchEvent::NotVisibleYet {
            image_id: "m-2".into(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(lines.lines_for(&invisible).len(), 1);
        assert!(lines.lines_for(&invisible).is_empty(), "said once");
    }

    #[test]
    fn end_states_say_what_they_mean_and_what_to_do() {
        let mut failed = image("CreateFailed", "60%");
        failed.detection_options.items.item.push(DetectionItem {
            name: "GuestOS.Agent".into(),
            risk_level: "High".into(),
            ..DetectionItem::default()
        });
        let event = WatchEvent::Finished {
            image_id: "m-1".into(),
            outcome: WatchEnd::Failed {
                image: Some(failed),
                reason: FailureReason::CreateFailed,
            },
            elapsed: Duration::from_secs(5),
        };
        let lines = Lines::log_lines(&event).join("\n");
        assert!(
            lines.starts_with("m-1 finished after 5s: CreateFailed"),
            "{lines}"
        );
        assert!(
            lines.contains("High risk: GuestOS.Agent (High: instances"),
            "{lines}"
        );
        assert!(lines.contains("what to try: "), "{lines}");
        let timed = WatchEvent::Finished {
            image_id: "m-1".into(),
            outcome: WatchEnd::TimedOut { last: None },
            elapsed: Duration::from_secs(5),
        };
        assert_eq!(
            Lines::log_lines(&timed),
            ["m-1 finished after 5s: watch timed out before the image was seen"]
        );
        let json = event_json(&event);
        assert_eq!(json["outcome"], "failed");
        assert_eq!(json["status"], "CreateFailed");
        assert!(json["advice"].as_str().unwrap().contains("DeleteImage"));
    }

    #[test]
    fn json_lines_carry_the_whole_row() {
        let json = event_json(&progress("Creating", "45%", 2));
        assert_eq!(json["event"], "progress");
        assert_eq!(json["progress"], 45);
        assert_eq!(json["remaining_secs"], 30.0);
        assert_eq!(
            json["image"]["DiskDeviceMappings"]["DiskDeviceMapping"][0]["Device"],
            "/dev/xvda"
        );
        let retry = event_json(&WatchEvent::Retrying {
            error: crate::api::ApiError::Timeout {
                detail: "slow".into(),
            },
            delay: Duration::from_millis(1500),
            attempt: 2,
        });
        assert_eq!(retry["delay_secs"], 1.5);
        assert_eq!(retry["code"], Value::Null);
    }

    #[test]
    fn json_lines_escape_what_a_terminal_would_act_on() {
        let hostile = json!({"status": "ok\u{1b}[31m\u{9b}2J\u{202e}"});
        let line = terminal_safe_json(&hostile.to_string()).into_owned();
        assert_eq!(line, r#"{"status":"ok\u001b[31m\u009b2J\u202e"}"#);
        let back: Value = serde_json::from_str(&line).expect("still JSON");
        assert_eq!(back, hostile);
    }

    #[test]
    fn bars_and_logs_escape_server_text() {
        let mut bars = Bars::default();
        let mut event = progress("Creating\u{1b}[2J", "45%", 2);
        if let WatchEvent::Progress { image, .. } = &mut event {
            image.disk_device_mappings.disk_device_mapping[0].device =
                "/dev/\u{1b}]0;x\u{7}".into();
        }
        bars.update(&event);
        let mut out = Vec::new();
        bars.draw(&mut out, &["log \u{1b}[31m".into()]).unwrap();
        let drawn = String::from_utf8(out).unwrap();
        assert!(!drawn.contains('\u{7}'), "{drawn:?}");
        assert_eq!(drawn.matches('\u{1b}').count(), 0, "{drawn:?}");
        assert!(drawn.contains("Creating\\u{1b}[2J"), "{drawn}");
    }

    #[test]
    fn bars_redraw_in_place_below_the_log() {
        assert_eq!(bar(0, 4), "[░░░░]");
        assert_eq!(bar(50, 4), "[██░░]");
        assert_eq!(bar(100, 4), "[████]");
        assert_eq!(bar(1, 4), "[█░░░]");
        let mut bars = Bars::default();
        bars.update(&progress("Creating", "45%", 2));
        let mut out = Vec::new();
        bars.draw(&mut out, &["m-1 status Creating".into()])
            .unwrap();
        let first = String::from_utf8(out).unwrap();
        assert!(first.contains("m-1 status Creating\n"), "{first}");
        assert!(
            first.contains(" 45% Creating · 2s · about 30s left\n"),
            "{first}"
        );
        assert!(first.contains("/dev/xvda"), "{first}");
        assert_eq!(bars.drawn, 2);
        let mut out = Vec::new();
        bars.draw(&mut out, &[]).unwrap();
        let second = String::from_utf8(out).unwrap();
        // Moves up over the two lines drawn before and clears them.
        assert!(second.starts_with("\u{1b}[2F\u{1b}[J"), "{second:?}");
    }
}
