//! The Summary tab: the answers grouped by step, each group with its problems.

use ratatui::text::{Line, Span};

use super::{DryRun, ReviewStep};
use crate::api::model::Disk;
use crate::spec::{DiskType, Severity, Source, rules};
use crate::tui::step::Step;
use crate::tui::steps::ViewCtx;

impl ReviewStep {
    /// The summary: answers by step with their problems. Each line comes with its wrap indent
    /// and whether it starts a selectable item.
    pub(super) fn summary_lines(
        &self,
        ctx: &ViewCtx,
        focused: bool,
    ) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let spec = ctx.spec;
        let items = self.items(spec, ctx.findings, ctx.facts);
        // Item 0 is the DryRun's field when it failed on one (drawn above the summary).
        let mut item = usize::from(matches!(
            self.dry_run,
            DryRun::Failed { field: Some(_), .. }
        ));
        let mut lines = Vec::new();
        let problems = self.problems(spec, ctx.findings, ctx.facts);
        let value = |label: &str, text: String| -> (Line<'static>, u16, bool) {
            (
                Line::from(vec![
                    Span::styled(format!("  {label:<15} "), theme.label),
                    Span::styled(text, theme.text),
                ]),
                18,
                false,
            )
        };
        for step in Step::ALL {
            if step == Step::Submit {
                continue;
            }
            if !lines.is_empty() {
                lines.push((Line::raw(""), 0, false));
            }
            lines.push((
                Line::styled(format!("{} {}", step.number(), step.title()), theme.title),
                0,
                false,
            ));
            lines.extend(self.step_values(step, ctx, &value));
            for problem in problems.iter().filter(|p| Step::of_field(p.field) == step) {
                let (marker, style) = match problem.severity {
                    Severity::Error => ("✗", theme.error),
                    Severity::Warning => ("!", theme.warning),
                };
                let chosen = focused && item == self.selected && item < items.len();
                let label_style = if chosen { theme.selected } else { style };
                lines.push((
                    Line::from(vec![
                        Span::styled(
                            format!("  {marker} {}:", problem.field.label()),
                            label_style,
                        ),
                        Span::styled(format!(" {}", problem.text), theme.text),
                    ]),
                    4,
                    true,
                ));
                item += 1;
            }
        }
        if let Some(failed) = &self.facts.failed {
            lines.push((Line::raw(""), 0, false));
            lines.push((
                Line::styled(format!("{failed} (r checks again)"), theme.muted),
                0,
                false,
            ));
        }
        lines
    }

    /// What one step answered, as label/value lines.
    fn step_values(
        &self,
        step: Step,
        ctx: &ViewCtx,
        value: &dyn Fn(&str, String) -> (Line<'static>, u16, bool),
    ) -> Vec<(Line<'static>, u16, bool)> {
        let spec = ctx.spec;
        let muted = |text: String| (Line::styled(format!("  {text}"), ctx.theme.muted), 2, false);
        let loading = self.facts.instance_request.is_some() || self.facts.disks_request.is_some();
        match step {
            Step::Source => match &spec.source {
                source if source.is_empty() => vec![muted("No source chosen.".into())],
                Source::Instance { instance_id } => {
                    let detail = match &self.facts.instance {
                        Some(i) => format!(" · {} · {}", i.instance_name, i.status),
                        None if loading => format!(" · {} checking", ctx.spinner()),
                        None => String::new(),
                    };
                    let mut lines = vec![value("Instance", format!("{instance_id}{detail}"))];
                    // How ecsimg stopped it: what a saved recipe does again.
                    if let Some(plan) = spec.stop {
                        let force = if plan.force {
                            "forced"
                        } else {
                            "clean shutdown"
                        };
                        let after = if plan.restart {
                            "started again after the build"
                        } else {
                            "left stopped"
                        };
                        lines.push(value(
                            "Stop first",
                            format!("{}, {force}; {after}", plan.mode),
                        ));
                    }
                    lines
                }
                Source::Snapshot { snapshot_id } => {
                    vec![value("Snapshot", format!("{snapshot_id} (system disk)"))]
                }
                Source::Disks(disks) => vec![value(
                    "Disk mapping",
                    format!("{} disk(s), see step 2", disks.len()),
                )],
            },
            Step::Disks => match &spec.source {
                source if source.is_empty() => Vec::new(),
                Source::Instance { .. } if self.facts.disks.is_empty() => {
                    vec![muted(if loading {
                        format!("{} listing the instance's disks", ctx.spinner())
                    } else {
                        "Every disk of the instance, as it is when the request is sent.".into()
                    })]
                }
                Source::Instance { .. } => {
                    let mut disks: Vec<&Disk> = self.facts.disks.iter().collect();
                    disks.sort_by_key(|d| (!d.is_system(), d.device.clone()));
                    disks
                        .into_iter()
                        .map(|d| {
                            let device = if d.device.is_empty() {
                                "—"
                            } else {
                                &d.device
                            };
                            let encrypted = if d.encrypted { " · encrypted" } else { "" };
                            value(
                                device,
                                format!(
                                    "{} {} GiB · {}{encrypted}",
                                    d.disk_type, d.size, d.disk_id
                                ),
                            )
                        })
                        .collect()
                }
                Source::Snapshot { snapshot_id } => vec![value(
                    rules::SYSTEM_DEVICE,
                    format!("system from {snapshot_id}"),
                )],
                Source::Disks(disks) => disks
                    .iter()
                    .zip(spec.source.devices())
                    .map(|(d, device)| {
                        let from = match &d.snapshot_id {
                            Some(id) => format!("from {id}"),
                            None => "empty".into(),
                        };
                        let size = match d.size {
                            Some(size) => format!("{size} GiB"),
                            None if d.snapshot_id.is_some() => "snapshot's size".into(),
                            None => "20 GiB".into(),
                        };
                        let kind = match d.disk_type {
                            DiskType::System => "system",
                            DiskType::Data => "data",
                        };
                        value(
                            device.as_deref().unwrap_or("—"),
                            format!("{kind} {from} · {size}"),
                        )
                    })
                    .collect(),
            },
            Step::Details => {
                let image = &spec.image;
                let fields: [(&str, Option<String>); 8] = [
                    ("Name", image.name.clone()),
                    ("Family", image.family.clone()),
                    ("Version", image.version.clone()),
                    ("Description", image.description.clone()),
                    ("Platform", image.platform.clone()),
                    ("Architecture", image.architecture.map(|a| a.to_string())),
                    ("Boot mode", image.boot_mode.map(|b| b.to_string())),
                    ("Resource group", image.resource_group_id.clone()),
                ];
                let mut lines: Vec<_> = fields
                    .iter()
                    .filter_map(|(label, v)| v.clone().map(|v| value(label, v)))
                    .collect();
                let unset: Vec<String> = fields
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(label, _)| label.to_lowercase())
                    .collect();
                if !unset.is_empty() {
                    lines.push(muted(format!(
                        "Not set (ECS decides): {}.",
                        unset.join(", ")
                    )));
                }
                lines
            }
            Step::Tags => {
                let tags = if spec.tags.is_empty() {
                    "none".to_string()
                } else {
                    spec.tags
                        .iter()
                        .map(|t| format!("{}={}", t.key, t.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let imds = spec
                    .features
                    .imds_support
                    .map_or("not set".to_string(), |v| v.to_string());
                let check = spec
                    .features
                    .detection_strategy
                    .map_or("off".to_string(), |v| v.to_string());
                vec![
                    value("Tags", tags),
                    value("IMDS support", imds),
                    value("Image check", check),
                ]
            }
            Step::Delivery => {
                let Some(delivery) = spec.delivery.as_ref().filter(|d| !d.is_empty()) else {
                    return vec![muted("No delivery: the image stays in its region.".into())];
                };
                let listed = |items: &[String]| {
                    if items.is_empty() {
                        "none".to_string()
                    } else {
                        items.join(", ")
                    }
                };
                let retire = delivery.retire.map_or("off".to_string(), |r| {
                    format!("{} past the newest {}", r.action, r.keep)
                });
                let mut rows = vec![value("Copy to", listed(&delivery.copy_to))];
                if delivery.encrypt_copies {
                    let keys: Vec<String> = delivery
                        .copy_to
                        .iter()
                        .map(|r| match delivery.kms_key_id(r) {
                            Some(key) => format!("{r} {key}"),
                            None => format!("{r} with the key ECS picks"),
                        })
                        .collect();
                    rows.push(value(
                        "Encrypt copies",
                        format!("yes · {}", keys.join(", ")),
                    ));
                }
                rows.extend([
                    value("Share with", listed(&delivery.share_with)),
                    value(
                        "Tag snapshots",
                        if delivery.tag_snapshots { "yes" } else { "no" }.into(),
                    ),
                    value("Retire", retire),
                ]);
                rows
            }
            Step::Review => vec![value(
                "ClientToken",
                format!(
                    "{} (kept with these answers: sending them again never makes a second image)",
                    spec.client_token.as_deref().unwrap_or("—")
                ),
            )],
            Step::Submit => Vec::new(),
        }
    }
}
