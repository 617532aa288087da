//! The DryRun: sending the request with `DryRun=true`, reading its answer, and showing the result.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::problems::field_of_error;
use super::{DryRun, Params, ReviewStep, Tab};
use crate::api::{ApiError, CreateImageAnswer};
use crate::spec::to_params;
use crate::tui::effect::Call;
use crate::tui::error_report::ErrorReport;
use crate::tui::msg::Loaded;
use crate::tui::step::Step;
use crate::tui::steps::{StepCtx, ViewCtx};

impl ReviewStep {
    pub(super) fn start_dry_run(&mut self, ctx: &mut StepCtx) {
        if let DryRun::Running { id, .. } = &self.dry_run {
            ctx.cancel(*id);
        }
        let params = to_params(ctx.spec);
        let id = ctx.call(Call::DryRun {
            params: params.clone(),
        });
        self.dry_run = DryRun::Running { id, params };
        self.start_delivery_check(ctx);
    }

    pub(super) fn dry_run_answer(&mut self, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let DryRun::Running { params, .. } = std::mem::replace(&mut self.dry_run, DryRun::NotRun)
        else {
            return;
        };
        self.dry_run = match result {
            Ok(Loaded::DryRun(CreateImageAnswer::DryRunPassed { request_id })) => {
                // The RequestId is in the DryRun block; the status line is too short for it.
                ctx.notify("DryRun passed: ECS accepted the request.");
                DryRun::Passed { request_id, params }
            }
            Ok(Loaded::DryRun(CreateImageAnswer::Created {
                image_id,
                request_id,
                ..
            })) => DryRun::Failed {
                report: Box::new(ErrorReport {
                    doing: "DryRun".into(),
                    message: format!(
                        "The endpoint ignored DryRun and created image {image_id} (RequestId \
                         {request_id})."
                    ),
                    code: None,
                    meaning: None,
                    fix: Some(format!(
                        "Delete {image_id} if it is not wanted (aliyun ecs DeleteImage --ImageId \
                         {image_id}), and check the --endpoint setting."
                    )),
                    request_id: Some(request_id),
                    recommend: None,
                    retry: false,
                }),
                field: None,
                params,
            },
            Ok(_) => return,
            Err(error) => {
                let field = field_of_error(&error, ctx.spec);
                self.tab = Tab::Summary;
                self.selected = 0;
                DryRun::Failed {
                    report: Box::new(ErrorReport::from_api("DryRun", &error, false)),
                    field,
                    params,
                }
            }
        };
    }

    /// The short DryRun state for the tab row.
    pub(super) fn dry_run_badge(&self, ctx: &ViewCtx, current: &Params) -> Span<'static> {
        let theme = ctx.theme;
        match &self.dry_run {
            DryRun::NotRun => Span::styled("DryRun: not run (d) ", theme.muted),
            DryRun::Running { .. } => Span::styled(
                format!("DryRun: {} checking ", ctx.spinner()),
                theme.warning,
            ),
            DryRun::Passed { params, .. } if params != current => {
                Span::styled("DryRun: passed, answers changed (d) ", theme.warning)
            }
            DryRun::Passed { .. } => match self.delivery_check.verdict(ctx.spec) {
                Some(false) => Span::styled("DryRun: ✗ delivery ", theme.error),
                Some(true) => Span::styled("DryRun: ✓ passed ", theme.ok),
                None => Span::styled(
                    format!("DryRun: {} delivery ", ctx.spinner()),
                    theme.warning,
                ),
            },
            DryRun::Failed { report, .. } => Span::styled(
                format!("DryRun: ✗ {} ", report.code.as_deref().unwrap_or("failed")),
                theme.error,
            ),
        }
    }

    /// The DryRun block above the summary; the failure's field line is item 0.
    pub(super) fn dry_run_lines(
        &self,
        ctx: &ViewCtx,
        current: &Params,
        selected: bool,
    ) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let head = |text: String, style: Style| {
            (
                Line::from(vec![
                    Span::styled("DryRun  ", theme.title),
                    Span::styled(text, style),
                ]),
                8,
                false,
            )
        };
        match &self.dry_run {
            DryRun::NotRun => vec![head(
                "not run yet: d has ECS check the request; nothing is created.".into(),
                theme.muted,
            )],
            DryRun::Running { .. } => vec![head(
                format!("{} ECS is checking the request…", ctx.spinner()),
                theme.warning,
            )],
            DryRun::Passed { request_id, params } if params != current => vec![head(
                format!(
                    "passed (RequestId {request_id}) for earlier answers; they changed since: d checks again."
                ),
                theme.warning,
            )],
            DryRun::Passed { request_id, .. } => vec![head(
                format!("✓ passed: ECS accepted the request (RequestId {request_id})."),
                theme.ok,
            )],
            DryRun::Failed {
                report,
                field,
                params,
            } => {
                let mut lines = vec![head(format!("✗ {}", report.message), theme.error)];
                if params != current {
                    lines.push((
                        Line::styled("        (for earlier answers: d checks again)", theme.muted),
                        8,
                        false,
                    ));
                }
                if let Some(meaning) = &report.meaning {
                    lines.push((
                        Line::styled(format!("        {meaning}"), theme.text),
                        8,
                        false,
                    ));
                }
                if let Some(fix) = &report.fix {
                    lines.push((
                        Line::from(vec![
                            Span::styled("        What to do: ", theme.label_focused),
                            Span::styled(fix.clone(), theme.text),
                        ]),
                        8,
                        false,
                    ));
                }
                if let Some(field) = field {
                    let style = if selected { theme.selected } else { theme.key };
                    lines.push((
                        Line::from(vec![
                            Span::raw("        "),
                            Span::styled(
                                format!(
                                    "Field to change: {} (step {}) — Enter goes there",
                                    field.label(),
                                    Step::of_field(*field).number()
                                ),
                                style,
                            ),
                        ]),
                        8,
                        true,
                    ));
                }
                if let Some(id) = &report.request_id {
                    lines.push((
                        Line::styled(format!("        RequestId {id}"), theme.muted),
                        8,
                        false,
                    ));
                }
                lines
            }
        }
    }
}
