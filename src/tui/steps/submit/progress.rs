//! The progress pane: the image's status and gauge, how the build ended, its disks, the image
//! check's findings and the log.

use std::time::Duration;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::build::took;
use super::{Build, End, SubmitStep, Tone};
use crate::api::model::Image;
use crate::spec::to_params;
use crate::tui::steps::ViewCtx;
use crate::tui::widgets::progress::{disk_table, gauge};
use crate::watch::format_duration;

/// Log entries shown (the newest); the journal keeps the statuses.
const LOG_SHOWN: usize = 12;

impl SubmitStep {
    pub(super) fn build_lines(
        &self,
        build: &Build,
        ctx: &ViewCtx,
        width: u16,
    ) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let image = build.image.as_ref();
        let status = match build.end {
            // DescribeImages last said Creating; the image is gone now.
            Some(End::Deleted { .. }) => "Deleted",
            _ => image.map_or("Submitted", |i| i.status.as_str()),
        };
        let name = image
            .map(|i| i.image_name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| ctx.spec.image.name.clone())
            // ECS names an image without a name after its ID; once is enough.
            .filter(|n| !n.is_empty() && *n != build.image_id)
            .map(|n| format!("{n} · "))
            .unwrap_or_default();
        let mut lines = Vec::new();
        let status_style = match build.end {
            Some(End::Available) => theme.ok,
            Some(End::Failed(_) | End::Deleted { .. }) => theme.error,
            _ => theme.warning,
        };
        let spin = if build.watch.is_some() || build.deleting.is_some() {
            format!(" {}", ctx.spinner())
        } else {
            String::new()
        };
        lines.push((
            Line::from(vec![
                Span::styled(format!("Image {} ", build.image_id), theme.title),
                Span::styled(name, theme.text),
                Span::styled(status.to_string(), status_style),
                Span::styled(spin, theme.muted),
            ]),
            2,
        ));
        let percent = match build.end {
            Some(End::Available) => Some(100),
            _ => image.and_then(Image::progress_percent),
        };
        let elapsed = took(build.submitted_at, build.ended_at.unwrap_or(ctx.now));
        let left = build.remaining.or_else(|| {
            image
                .and_then(|i| {
                    i.disk_device_mappings
                        .disk_device_mapping
                        .iter()
                        .map(|d| d.remain_time)
                        .max()
                })
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
        });
        let mut bar = gauge(percent, width.saturating_sub(40).clamp(10, 60), theme);
        bar.push(Span::styled(format!("   elapsed {elapsed}"), theme.text));
        if build.building()
            && let Some(left) = left
        {
            bar.push(Span::styled(
                format!(" · about {} left", format_duration(left)),
                theme.text,
            ));
        }
        lines.push((Line::from(bar), 2));
        lines.push((
            Line::styled(
                format!(
                    "RequestId {} · ClientToken {}",
                    build.request_id, build.client_token
                ),
                theme.muted,
            ),
            2,
        ));
        lines.push((
            Line::styled(
                format!("Recorded in {}", build.journal.display()),
                theme.muted,
            ),
            2,
        ));
        if to_params(ctx.spec) != build.params {
            lines.push((
                Line::styled(
                    "Your answers changed since this image was submitted: n makes a new request \
                     from them.",
                    theme.warning,
                ),
                0,
            ));
        }
        lines.push((Line::raw(""), 0));
        // Once the image is Available its delivery is what moves: first.
        let mut delivery = build.delivery_lines(ctx, width);
        if !build.building() {
            lines.append(&mut delivery);
        }
        lines.extend(self.end_lines(build, ctx));
        // Once the build is over, the check's findings matter more than the finished disks; a
        // build that failed or was deleted is never checked.
        let check_first = !build.building();
        let checked = build.check_requested
            && !matches!(build.end, Some(End::Failed(_) | End::Deleted { .. }));
        if checked && check_first {
            lines.extend(check_lines(build, ctx));
            lines.push((Line::raw(""), 0));
        }
        if let Some(image) = image
            && !image.disk_device_mappings.disk_device_mapping.is_empty()
        {
            lines.push((Line::styled("Disks", theme.title), 0));
            lines.extend(
                disk_table(
                    &image.disk_device_mappings.disk_device_mapping,
                    width,
                    build.building(),
                    theme,
                )
                .into_iter()
                .map(|l| (l, 0)),
            );
            lines.push((Line::raw(""), 0));
        }
        lines.append(&mut delivery);
        if checked && !check_first {
            lines.extend(check_lines(build, ctx));
            lines.push((Line::raw(""), 0));
        }
        lines.push((Line::styled("Log (UTC)", theme.title), 0));
        let skipped = build.log.len().saturating_sub(LOG_SHOWN);
        if skipped > 0 {
            lines.push((
                Line::styled(format!("  … {skipped} earlier"), theme.muted),
                2,
            ));
        }
        for entry in &build.log[skipped..] {
            let style = match entry.tone {
                Tone::Info => theme.text,
                Tone::Good => theme.ok,
                Tone::Warn => theme.warning,
                Tone::Bad => theme.error,
            };
            lines.push((
                Line::from(vec![
                    Span::styled(format!("  {}  ", entry.at.format("%H:%M:%S")), theme.muted),
                    Span::styled(entry.text.clone(), style),
                ]),
                12,
            ));
        }
        lines
    }

    /// The end state: what it means and what to do next.
    fn end_lines(&self, build: &Build, ctx: &ViewCtx) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let took = took(build.submitted_at, build.ended_at.unwrap_or(ctx.now));
        let text = |t: String, style: Style| (Line::styled(t, style), 2);
        let mut lines = match &build.end {
            None => return Vec::new(),
            Some(End::Available) => {
                let mut lines = vec![text(format!("✓ Available: built in {took}."), theme.ok)];
                if let Some(image) = &build.image {
                    let facts: Vec<String> = [
                        (image.size > 0).then(|| format!("{} GiB", image.size)),
                        Some(image.architecture.clone()).filter(|s| !s.is_empty()),
                        Some(image.platform.clone()).filter(|s| !s.is_empty()),
                        Some(image.boot_mode.clone())
                            .filter(|s| !s.is_empty())
                            .map(|b| format!("boot {b}")),
                        Some(image.features.imds_support.clone())
                            .filter(|s| !s.is_empty())
                            .map(|v| format!("IMDS {v}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    if !facts.is_empty() {
                        lines.push(text(format!("  {}", facts.join(" · ")), theme.text));
                    }
                }
                lines.push(text(
                    "  Launch an instance from it (set INSTANCE_TYPE, VSWITCH_ID and \
                     SECURITY_GROUP_ID first):"
                        .into(),
                    theme.text,
                ));
                let command = [
                    format!("aliyun ecs RunInstances --RegionId {} \\", build.region),
                    format!("  --ImageId {} \\", build.image_id),
                    "  --InstanceType \"$INSTANCE_TYPE\" --VSwitchId \"$VSWITCH_ID\" \\".into(),
                    "  --SecurityGroupId \"$SECURITY_GROUP_ID\"".into(),
                ];
                lines.extend(
                    command
                        .into_iter()
                        .map(|l| (Line::styled(format!("    {l}"), theme.key), 8)),
                );
                lines
            }
            Some(End::Failed(reason)) => {
                let at = build
                    .image
                    .as_ref()
                    .map(|i| i.progress.clone())
                    .filter(|p| !p.is_empty())
                    .map(|p| format!(" at {p}"))
                    .unwrap_or_default();
                vec![
                    text(
                        format!("✗ {}{at}, after {took}.", reason.status()),
                        theme.error,
                    ),
                    text(format!("  {}", reason.meaning()), theme.text),
                    (
                        Line::from(vec![
                            Span::styled("  What to try: ", theme.label_focused),
                            Span::styled(reason.advice(&build.image_id), theme.text),
                        ]),
                        2,
                    ),
                    text(
                        "  x deletes the failed image here (it asks first).".into(),
                        theme.muted,
                    ),
                ]
            }
            Some(End::TimedOut) => vec![
                text(
                    format!(
                        "Stopped watching after {took}: the watch timeout ([watch] timeout in the config) passed."
                    ),
                    theme.warning,
                ),
                text(
                    format!("  w watches again. {}", build.goes_on()),
                    theme.text,
                ),
            ],
            Some(End::Stopped(report)) => {
                let mut lines = vec![text(
                    format!("Stopped watching: {}", report.message),
                    theme.error,
                )];
                if let Some(meaning) = &report.meaning {
                    lines.push(text(format!("  {meaning}"), theme.text));
                }
                if let Some(fix) = &report.fix {
                    lines.push(text(format!("  What to do: {fix}"), theme.text));
                }
                lines.push(text(
                    format!("  w watches again. {}", build.goes_on()),
                    theme.text,
                ));
                lines
            }
            Some(End::Deleted { request_id }) => vec![text(
                format!(
                    "Deleted (RequestId {request_id}): nothing of this build remains. n starts a new request."
                ),
                theme.warning,
            )],
        };
        lines.push((Line::raw(""), 0));
        lines
    }
}

/// The image check: its state, each finding, and what the risk levels mean.
fn check_lines(build: &Build, ctx: &ViewCtx) -> Vec<(Line<'static>, u16)> {
    let theme = ctx.theme;
    let mut lines = vec![(Line::styled("Image check (Standard)", theme.title), 0)];
    let detection = build.image.as_ref().map(|i| &i.detection_options);
    match detection.map(|d| d.status.as_str()) {
        Some("Finished") => {}
        Some("Processing") => {
            lines.push((
                Line::styled(
                    format!(
                        "  {} Processing: findings appear when ECS finishes the check.",
                        ctx.spinner()
                    ),
                    theme.warning,
                ),
                2,
            ));
            return lines;
        }
        _ => {
            lines.push((
                Line::styled(
                    "  Requested: ECS checks the image once it is built.",
                    theme.muted,
                ),
                2,
            ));
            return lines;
        }
    }
    let mut items: Vec<_> = detection
        .map(|d| d.items.item.iter().collect())
        .unwrap_or_default();
    items.sort_by_key(|i| i.risk_level != "High");
    if items.is_empty() {
        lines.push((Line::styled("  ✓ Finished: no findings.", theme.ok), 2));
        return lines;
    }
    for item in &items {
        let style = if item.risk_level == "High" {
            theme.error
        } else {
            theme.warning
        };
        let code = if item.risk_code.is_empty() {
            String::new()
        } else {
            format!("  ({})", item.risk_code)
        };
        lines.push((
            Line::from(vec![
                Span::styled(format!("  {:<7} ", item.risk_level), style),
                Span::styled(format!("{} = {}{code}", item.name, item.value), theme.text),
            ]),
            10,
        ));
    }
    if items.iter().any(|i| i.risk_level == "High") {
        lines.push((
            Line::styled(
                "  High: instances launched from this image may fail to start or run badly \
                 (without the NVMe driver, for example, it cannot boot on NVMe instance types). \
                 Fix it on the source system and build the image again.",
                theme.text,
            ),
            2,
        ));
    }
    if items.iter().any(|i| i.risk_level == "Medium") {
        lines.push((
            Line::styled(
                "  Medium: instances start, but some features are limited (Cloud Assistant \
                 commands, for example); fixing it is recommended.",
                theme.text,
            ),
            2,
        ));
    }
    lines
}
