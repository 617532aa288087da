//! Progress of an image build: a text gauge that reads without colour (`████░░░░  45%`), and
//! one table row per disk of the image (device, snapshot, size, progress, time left), all as
//! lines a scrolling pane can place.

use std::time::Duration;

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::api::model::DiskDeviceMapping;
use crate::text::ellipsize;
use crate::tui::theme::Theme;
use crate::watch::format_duration;

/// `width` cells of bar followed by the percentage; `None` (not reported yet) draws an empty
/// bar with `—`.
pub fn gauge(percent: Option<u8>, width: u16, theme: &Theme) -> Vec<Span<'static>> {
    let width = usize::from(width.max(1));
    let filled = percent.map_or(0, |p| usize::from(p.min(100)) * width / 100);
    let label = percent.map_or_else(|| "   —".to_string(), |p| format!("{:>3}%", p.min(100)));
    vec![
        Span::styled("█".repeat(filled), theme.ok),
        Span::styled("░".repeat(width - filled), theme.muted),
        Span::styled(format!(" {label}"), theme.text),
    ]
}

/// Seconds as `8s`, `1m05s`; zero or unknown as `—`.
fn remaining(seconds: u64) -> String {
    if seconds == 0 {
        "—".into()
    } else {
        format_duration(Duration::from_secs(seconds))
    }
}

/// The disk table: a header and one row per disk, fitted to `width` columns (the gauge takes
/// what the fixed columns leave). Once the build is not `live` (it ended, or was deleted) no
/// time is left to show.
pub fn disk_table(
    disks: &[DiskDeviceMapping],
    width: u16,
    live: bool,
    theme: &Theme,
) -> Vec<Line<'static>> {
    const DEVICE: usize = 10;
    const SNAPSHOT: usize = 22;
    const SIZE: usize = 8;
    const LEFT: usize = 7;
    let fixed = 2 + DEVICE + 1 + SNAPSHOT + 1 + SIZE + 1 + 5 + 1 + LEFT;
    let bar = usize::from(width).saturating_sub(fixed).clamp(4, 30);
    let cell = |text: &str, w: usize| {
        let text = ellipsize(text, w);
        let pad = w.saturating_sub(text.width());
        format!("{text}{}", " ".repeat(pad))
    };
    let mut lines = vec![Line::styled(
        format!(
            "  {} {} {:>SIZE$} {} Left",
            cell("Device", DEVICE),
            cell("Snapshot", SNAPSHOT),
            "Size",
            cell("Progress", bar + 5),
        ),
        theme.column_header,
    )];
    for disk in disks {
        let snapshot = if disk.snapshot_id.is_empty() {
            "(empty disk)".to_string()
        } else {
            disk.snapshot_id.clone()
        };
        let size = disk
            .size_gib()
            .map_or_else(|| "—".to_string(), |s| format!("{s} GiB"));
        let kind = if disk.disk_type.is_empty() {
            ""
        } else {
            &disk.disk_type
        };
        let device = if disk.device.is_empty() {
            kind
        } else {
            &disk.device
        };
        let mut spans = vec![Span::styled(
            format!(
                "  {} {} {:>SIZE$} ",
                cell(device, DEVICE),
                cell(&snapshot, SNAPSHOT),
                size
            ),
            theme.text,
        )];
        spans.extend(gauge(
            disk.progress_percent(),
            u16::try_from(bar).unwrap_or(4),
            theme,
        ));
        let left = if live {
            remaining(disk.remain_time)
        } else {
            "—".into()
        };
        spans.push(Span::styled(format!(" {left:>LEFT$}"), theme.muted));
        lines.push(Line::from(spans));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn gauge_fills_in_proportion_and_reads_without_colour() {
        let theme = Theme::plain();
        let line = Line::from(gauge(Some(45), 20, &theme));
        assert_eq!(text(&line), "█████████░░░░░░░░░░░  45%");
        assert_eq!(text(&Line::from(gauge(Some(100), 4, &theme))), "████ 100%");
        assert_eq!(text(&Line::from(gauge(None, 4, &theme))), "░░░░    —");
    }

    #[test]
    fn disk_rows_show_device_snapshot_size_progress_and_time_left() {
        let disks = vec![
            DiskDeviceMapping {
                snapshot_id: "s-bp1k4wd2j0qmz7h5x3cv".into(),
                device: "/dev/xvda".into(),
                disk_type: "system".into(),
                size: "40".into(),
                progress: "60%".into(),
                remain_time: 65,
                ..DiskDeviceMapping::default()
            },
            DiskDeviceMapping {
                device: "/dev/xvdb".into(),
                disk_type: "data".into(),
                size: "".into(),
                ..DiskDeviceMapping::default()
            },
        ];
        let lines = disk_table(&disks, 76, true, &Theme::plain());
        let rows: Vec<String> = lines.iter().map(text).collect();
        assert!(rows[0].starts_with("  Device     Snapshot"), "{rows:?}");
        assert!(
            rows[1].contains("/dev/xvda  s-bp1k4wd2j0qmz7h5x3cv   40 GiB"),
            "{rows:?}"
        );
        assert!(rows[1].contains(" 60%"), "{rows:?}");
        assert!(rows[1].ends_with("1m05s"), "{rows:?}");
        assert!(rows[2].contains("(empty disk)"), "{rows:?}");
        assert!(rows[2].contains("   —"), "no progress reported: {rows:?}");
        assert!(rows.iter().all(|r| r.width() <= 76), "{rows:?}");
        let ended = disk_table(&disks, 76, false, &Theme::plain());
        assert!(text(&ended[1]).ends_with("—"), "no time left once it ended");
    }
}
