//! The delivery in the review: its calls in the Request and CLI tabs (from `delivery::plan`,
//! as `ecsimg preview` lists them), and its DryRun, which `d` starts beside CreateImage's —
//! one row per call, passed or failed with the refusal explained.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::request::{name_width, param_line, shell_lines};
use super::{ReviewStep, Tab};
use crate::delivery::{Check, CheckOutcome, PLACEHOLDER_ID, PlannedCall, plan};
use crate::spec::{ImageSpec, cli_line};
use crate::tui::effect::Call;
use crate::tui::error_report::ErrorReport;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::steps::{StepCtx, ViewCtx};

type Lines = Vec<(Line<'static>, u16, bool)>;

/// The delivery's DryRun and what came of it, for the plan it checked (a later change of the
/// answers shows it as stale).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) enum DeliveryCheck {
    /// Not run, or no delivery to check.
    #[default]
    NotRun,
    Running {
        id: RequestId,
        plan: Vec<PlannedCall>,
    },
    Done {
        checks: Vec<Check>,
        plan: Vec<PlannedCall>,
    },
    /// The runner could not make the calls at all.
    Broken {
        report: Box<ErrorReport>,
        plan: Vec<PlannedCall>,
    },
}

impl DeliveryCheck {
    pub(super) fn running(&self) -> Option<RequestId> {
        match self {
            DeliveryCheck::Running { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Whether every check passed (or had nothing to check), for the current plan; `None`
    /// before it ran, while it runs, or for earlier answers.
    pub(super) fn verdict(&self, spec: &ImageSpec) -> Option<bool> {
        let current = plan(spec);
        match self {
            DeliveryCheck::NotRun if current.is_empty() => Some(true),
            DeliveryCheck::Done { checks, plan } if *plan == current => {
                Some(!checks.iter().any(|c| c.outcome.failed()))
            }
            DeliveryCheck::Broken { plan, .. } if *plan == current => Some(false),
            _ => None,
        }
    }
}

impl ReviewStep {
    /// Starts the delivery's DryRun when the spec has a delivery (`d`, with CreateImage's).
    pub(super) fn start_delivery_check(&mut self, ctx: &mut StepCtx) {
        if let Some(id) = self.delivery_check.running() {
            ctx.cancel(id);
        }
        let planned = plan(ctx.spec);
        self.delivery_check = if planned.is_empty() {
            DeliveryCheck::NotRun
        } else {
            let id = ctx.call(Call::DeliveryDryRun(Box::new(ctx.spec.clone())));
            DeliveryCheck::Running { id, plan: planned }
        };
    }

    pub(super) fn delivery_check_answer(&mut self, result: Result<Loaded, crate::api::ApiError>) {
        let DeliveryCheck::Running { plan, .. } = std::mem::take(&mut self.delivery_check) else {
            return;
        };
        self.delivery_check = match result {
            Ok(Loaded::DeliveryChecks(checks)) => {
                // The rows are at the top of the summary.
                if checks.iter().any(|c| c.outcome.failed()) {
                    self.tab = Tab::Summary;
                }
                DeliveryCheck::Done { checks, plan }
            }
            Ok(_) => return,
            Err(error) => DeliveryCheck::Broken {
                report: Box::new(ErrorReport::from_api(
                    "the delivery's DryRun",
                    &error,
                    false,
                )),
                plan,
            },
        };
    }

    /// The delivery's line in the DryRun block above the summary (none without a delivery).
    pub(super) fn delivery_check_head(&self, ctx: &ViewCtx) -> Option<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let current = plan(ctx.spec);
        let stale = |p: &Vec<PlannedCall>| *p != current;
        let (text, style) = match &self.delivery_check {
            DeliveryCheck::NotRun if current.is_empty() => return None,
            DeliveryCheck::NotRun => (
                "delivery not checked yet: d also checks its calls.".to_string(),
                theme.muted,
            ),
            DeliveryCheck::Running { .. } => (
                format!("{} checking the delivery's calls…", ctx.spinner()),
                theme.warning,
            ),
            DeliveryCheck::Broken { report, plan } => (
                format!(
                    "✗ not checked: {}{}",
                    report.message,
                    if stale(plan) {
                        " (earlier answers)"
                    } else {
                        ""
                    }
                ),
                theme.error,
            ),
            DeliveryCheck::Done { checks, plan } => {
                let failed = checks.iter().filter(|c| c.outcome.failed()).count();
                let earlier = if stale(plan) {
                    "; answers changed since: d checks again"
                } else {
                    ""
                };
                if failed == 0 {
                    (
                        format!("✓ no delivery call refused (rows below){earlier}."),
                        if earlier.is_empty() {
                            theme.ok
                        } else {
                            theme.warning
                        },
                    )
                } else {
                    (
                        format!(
                            "✗ {failed} of {} delivery calls refused (rows below){earlier}.",
                            checks.len()
                        ),
                        theme.error,
                    )
                }
            }
        };
        Some((
            Line::from(vec![Span::raw("        "), Span::styled(text, style)]),
            8,
            false,
        ))
    }

    /// One row per delivery call checked, with a failure's explanation under it: the top of
    /// the summary, once the check ran.
    pub(super) fn delivery_check_lines(&self, ctx: &ViewCtx) -> Lines {
        let theme = ctx.theme;
        let (checks, report) = match &self.delivery_check {
            DeliveryCheck::Done { checks, .. } => (checks.as_slice(), None),
            DeliveryCheck::Broken { report, .. } => (&[][..], Some(report)),
            _ => return Vec::new(),
        };
        let mut lines: Lines = vec![(
            Line::styled(
                format!(
                    "Delivery DryRun · the image and its copies do not exist yet: their calls \
                     name {PLACEHOLDER_ID}, and ECS not finding it counts as passing what can \
                     be checked before the image exists"
                ),
                theme.title,
            ),
            0,
            false,
        )];
        let indented = |label: &str, text: String, style: Style| {
            (
                Line::from(vec![
                    Span::styled(format!("      {label}"), theme.label_focused),
                    Span::styled(text, style),
                ]),
                6,
                false,
            )
        };
        if let Some(report) = report {
            lines.extend(report_lines(report, &indented, theme.text));
        }
        for check in checks {
            let report = match &check.outcome {
                CheckOutcome::Failed(error) => {
                    Some(ErrorReport::from_api(&check.what, error, false))
                }
                _ => None,
            };
            let (mark, result, style) = match &check.outcome {
                CheckOutcome::Failed(error) => (
                    "✗",
                    report
                        .as_ref()
                        .map_or_else(|| error.to_string(), |r| r.message.clone()),
                    theme.error,
                ),
                CheckOutcome::NotChecked(_) => ("·", check.outcome.words(), theme.muted),
                _ => ("✓", check.outcome.words(), theme.ok),
            };
            lines.push((
                Line::from(vec![
                    Span::styled(
                        format!("  {mark} {} · {}: ", check.operation, check.what),
                        style,
                    ),
                    Span::styled(result, theme.text),
                ]),
                6,
                false,
            ));
            if let Some(report) = &report {
                lines.extend(report_lines(report, &indented, theme.text));
            }
        }
        lines.push((Line::raw(""), 0, false));
        lines
    }

    /// The delivery's calls under the CreateImage request (Request tab).
    pub(super) fn delivery_request_lines(&self, ctx: &ViewCtx) -> Lines {
        let theme = ctx.theme;
        let planned = plan(ctx.spec);
        if planned.is_empty() {
            return Vec::new();
        }
        let mut lines = intro(
            "Then, once the image is Available, [delivery] makes these calls in order (IDs in \
             <…> do not exist yet):",
            theme.title,
        );
        for (n, call) in planned.iter().enumerate() {
            let note = call
                .note
                .as_ref()
                .map(|n| format!(" · {n}"))
                .unwrap_or_default();
            lines.push((Line::raw(""), 0, false));
            lines.push((
                Line::styled(
                    format!(
                        "{}. {} · region {}{note}",
                        n + 1,
                        call.operation,
                        call.region
                    ),
                    theme.label,
                ),
                4,
                false,
            ));
            let width = name_width(&call.params);
            lines.extend(call.params.iter().map(|p| param_line(p, width, theme)));
        }
        lines
    }

    /// The delivery's calls as `aliyun` commands (CLI tab).
    pub(super) fn delivery_cli_lines(&self, ctx: &ViewCtx) -> Lines {
        let theme = ctx.theme;
        let planned = plan(ctx.spec);
        if planned.is_empty() {
            return Vec::new();
        }
        let mut lines = intro(
            "Once the image is Available, [delivery] makes these calls; put the real IDs in \
             place of <…>:",
            theme.muted,
        );
        for call in &planned {
            lines.push((Line::raw(""), 0, false));
            if let Some(note) = &call.note {
                lines.push((Line::styled(format!("# {note}"), theme.muted), 2, false));
            }
            match cli_line(call.operation, &call.all_params())
                .map_err(|e| e.to_string())
                .and_then(|line| shell_lines(&line))
            {
                Ok(cli) => lines.extend(
                    cli.into_iter()
                        .map(|l| (Line::styled(l, theme.text), 4, false)),
                ),
                Err(e) => lines.push((Line::styled(e, theme.error), 0, false)),
            }
        }
        lines
    }
}

/// A blank line, then `text`: the delivery's part of a tab begins so.
fn intro(text: &str, style: Style) -> Lines {
    vec![
        (Line::raw(""), 0, false),
        (Line::styled(text.to_string(), style), 0, false),
    ]
}

/// What a refusal means, what to do, and its RequestId, each on a line of its own.
fn report_lines(
    report: &ErrorReport,
    indented: &impl Fn(&str, String, Style) -> (Line<'static>, u16, bool),
    style: Style,
) -> Lines {
    let mut lines = Vec::new();
    if let Some(meaning) = &report.meaning {
        lines.push(indented("", meaning.clone(), style));
    }
    if let Some(fix) = &report.fix {
        lines.push(indented("What to do: ", fix.clone(), style));
    }
    if let Some(id) = &report.request_id {
        lines.push(indented("RequestId ", id.clone(), style));
    }
    lines
}
