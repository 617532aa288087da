//! Step 5 as it stands today: a summary of the answers (the spec as a recipe, and the problems
//! still to fix). Review with a DryRun check and submitting are the next issue; this screen says
//! so instead of pretending.

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{KeyHint, Outcome, Step, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::spec::to_recipe;
use crate::tui::msg::{Loaded, RequestId};

#[derive(Debug, Default)]
pub struct ReviewStep {
    scroll: u16,
}

impl StepScreen for ReviewStep {
    fn enter(&mut self, _ctx: &mut StepCtx) {
        self.scroll = 0;
    }

    fn leave(&mut self, _ctx: &mut StepCtx) {}

    fn key(&mut self, key: KeyEvent, _ctx: &mut StepCtx) -> Outcome {
        match key.code {
            KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::Down => self.scroll = self.scroll.saturating_add(1),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(10),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_add(10),
            KeyCode::Home => self.scroll = 0,
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Outcome {
        match event.kind {
            MouseEventKind::ScrollDown => self.scroll = self.scroll.saturating_add(3),
            MouseEventKind::ScrollUp => self.scroll = self.scroll.saturating_sub(3),
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn loaded(&mut self, _id: RequestId, _result: Result<Loaded, ApiError>, _ctx: &mut StepCtx) {}

    fn region_changed(&mut self, _ctx: &mut StepCtx) {}

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let mut lines = vec![
            Line::styled("Summary of your answers", theme.title),
            Line::styled(
                "Reviewing the request with a DryRun check and submitting it come with the next \
                 version of ecsimg (steps 5 and 6).",
                theme.muted,
            ),
            Line::raw(""),
        ];
        let errors: Vec<_> = ctx.findings.iter().filter(|f| f.is_error()).collect();
        if errors.is_empty() {
            lines.push(Line::styled("No problems found in your answers.", theme.ok));
        } else {
            lines.push(Line::styled(
                format!("{} problem(s) to fix:", errors.len()),
                theme.error,
            ));
            for finding in errors {
                let step = Step::of_field(finding.field);
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  step {} · {}: ", step.number(), finding.field.label()),
                        theme.error,
                    ),
                    Span::styled(finding.message.clone(), theme.text),
                ]));
            }
        }
        for warning in ctx.findings.iter().filter(|f| !f.is_error()) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  note · {}: ", warning.field.label()),
                    theme.warning,
                ),
                Span::styled(warning.message.clone(), theme.text),
            ]));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled("As a recipe:", theme.title));
        lines.extend(
            to_recipe(ctx.spec)
                .lines()
                .map(|l| Line::styled(format!("  {l}"), theme.text)),
        );
        let inner = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(2),
            ..area
        };
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            inner,
        );
    }

    fn footer(&self) -> Vec<KeyHint> {
        vec![("↑↓", "scroll")]
    }

    fn help(&self) -> &'static [KeyHint] {
        &[
            ("↑↓ PgUp PgDn", "scroll"),
            (
                "",
                "This summary shows your answers as a recipe and the problems left to fix.",
            ),
            (
                "",
                "Review with DryRun and submit arrive with the next version.",
            ),
        ]
    }
}
