use std::time::Duration;

use serde_json::{Value, json};

use super::json::terminal_safe_json;
use super::*;
use crate::api::model::{DetectionItem, DiskDeviceMapping, Image};
use crate::watch::{FailureReason, WatchEnd};

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
        image.disk_device_mappings.disk_device_mapping[0].device = "/dev/\u{1b}]0;x\u{7}".into();
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
