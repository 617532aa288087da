//! `--output json`: one JSON object per line on stdout, escaped for the terminal.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};

use crate::text;
use crate::watch::{WatchEnd, WatchEvent};

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
pub(super) fn terminal_safe_json(json: &str) -> std::borrow::Cow<'_, str> {
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
