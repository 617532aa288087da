//! Plain progress: one timestamped line per change, for logs and CI.

use std::collections::HashMap;
use std::time::Duration;

use crate::api::model::Image;
use crate::watch::{WatchEnd, WatchEvent, format_duration};

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
pub(super) struct Lines {
    /// The last progress text printed per image.
    printed: HashMap<String, String>,
    /// Images already reported as not visible yet.
    invisible: HashMap<String, ()>,
}

impl Lines {
    pub(super) fn lines_for(&mut self, event: &WatchEvent) -> Vec<String> {
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
    pub(super) fn log_lines(event: &WatchEvent) -> Vec<String> {
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
