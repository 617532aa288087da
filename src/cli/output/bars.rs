//! Live progress bars on a terminal, redrawn in place below the log.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use crossterm::{cursor, queue, terminal};

use crate::api::model::Image;
use crate::text;
use crate::watch::{WatchEvent, format_duration};

use super::timestamp;

/// Live bars, redrawn in place below the log.
#[derive(Default)]
pub(super) struct Bars {
    /// In first-seen order.
    order: Vec<String>,
    rows: HashMap<String, BarRow>,
    /// Lines the last draw printed (to move back over).
    pub(super) drawn: u16,
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

    pub(super) fn update(&mut self, event: &WatchEvent) {
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
    pub(super) fn block(&self) -> Vec<String> {
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
    pub(super) fn draw(&mut self, out: &mut impl Write, log: &[String]) -> io::Result<()> {
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
