//! The delivery in the progress pane: a heading with the totals and what they mean, then one
//! row per action — a copy with its gauge, status and time left, a failure with its
//! explanation (Enter shows all of it), a retirement left alone with its reason.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::delivery::{Counts, Delivery, Row, State};
use super::{Build, End};
use crate::text::ellipsize;
use crate::tui::steps::{ViewCtx, ecsimg_command};
use crate::tui::widgets::progress::gauge;
use crate::watch::format_duration;

/// Where a row's text starts: after the mark and the state's word.
const TEXT_AT: u16 = 18;

/// The totals in words (`3 done, 1 failed, 1 left alone`), with what was not run if any.
pub(super) fn totals(counts: Counts) -> String {
    let Counts {
        done,
        failed,
        left_alone,
        not_run,
    } = counts;
    let mut text = format!("{done} done, {failed} failed, {left_alone} left alone");
    if not_run > 0 {
        text.push_str(&format!(", {not_run} not run"));
    }
    text
}

impl Build {
    /// The delivery section; empty when the recipe asks for none, or the image will never be
    /// delivered (it failed, or was deleted).
    pub(super) fn delivery_lines(&self, ctx: &ViewCtx, width: u16) -> Vec<(Line<'static>, u16)> {
        let Some(delivery) = &self.delivery else {
            return Vec::new();
        };
        if matches!(self.end, Some(End::Failed(_) | End::Deleted { .. })) {
            return Vec::new();
        }
        let theme = ctx.theme;
        let counts = delivery.counts();
        let (state, style) = if delivery.running() {
            (format!("delivering {}", ctx.spinner()), theme.warning)
        } else if delivery.ended.is_none() {
            ("once the image is Available".to_string(), theme.muted)
        } else {
            let style = match (counts.failed, delivery.unfinished()) {
                (0, false) => theme.ok,
                (0, true) => theme.warning,
                _ => theme.error,
            };
            (totals(counts), style)
        };
        let mut lines = vec![(
            Line::from(vec![
                Span::styled("Delivery ", theme.title),
                Span::styled(format!("· {state}"), style),
            ]),
            2,
        )];
        let current = delivery.running().then(|| current_row(delivery)).flatten();
        for (i, row) in delivery.rows.iter().enumerate() {
            let selected = delivery.selected == Some(i);
            lines.extend(row_lines(row, current == Some(i), selected, ctx, width));
        }
        if let Some(meaning) = self.delivery_meaning(delivery, ctx) {
            lines.push((Line::styled(meaning.0, meaning.1), 2));
        }
        lines.push((Line::raw(""), 0));
        lines
    }

    /// What the end of a run means, and what to do next.
    fn delivery_meaning(&self, delivery: &Delivery, ctx: &ViewCtx) -> Option<(String, Style)> {
        let theme = ctx.theme;
        if delivery.running() || delivery.ended.is_none() {
            return None;
        }
        let failed = delivery.counts().failed;
        Some(if delivery.unfinished() {
            let shell = finish_command(self.sandbox)
                .map(|c| format!(", or `{c}` from a shell"))
                .unwrap_or_default();
            (
                format!(
                    "Stopped before the end: r (or coming back to the Submit step) finishes it{shell}; \
                     the journal keeps every call, so nothing is done twice."
                ),
                theme.warning,
            )
        } else if failed > 0 {
            (
                format!(
                    "{failed} action(s) failed; the others went ahead. r sends the failed ones \
                     again (what is done is skipped); Tab and Enter explain each failure."
                ),
                theme.error,
            )
        } else {
            ("✓ Delivered.".into(), theme.ok)
        })
    }
}

/// The row the engine works on: a copy building, else the first one not reached yet.
fn current_row(delivery: &Delivery) -> Option<usize> {
    let rows = &delivery.rows;
    rows.iter()
        .position(|r| r.state == State::Running)
        .or_else(|| rows.iter().position(|r| r.state == State::Pending))
}

fn row_lines(
    row: &Row,
    current: bool,
    selected: bool,
    ctx: &ViewCtx,
    width: u16,
) -> Vec<(Line<'static>, u16)> {
    let theme = ctx.theme;
    let (mark, word, style) = match &row.state {
        State::Pending if current => (ctx.spinner(), "running", theme.warning),
        State::Pending => ("·", "pending", theme.muted),
        State::Running => (ctx.spinner(), "copying", theme.warning),
        State::Done(_) => ("✓", "done", theme.ok),
        State::AlreadyDone(_) => ("✓", "done before", theme.ok),
        State::LeftAlone(_) => ("–", "left alone", theme.warning),
        State::Failed(_) => ("✗", "failed", theme.error),
        State::Nothing(_) => ("✓", "nothing to do", theme.ok),
        State::Skipped(_) => ("·", "not run", theme.muted),
    };
    let made = match &row.state {
        State::Done(Some(id)) | State::AlreadyDone(Some(id)) => format!(" → {id}"),
        _ => String::new(),
    };
    let pointer = if selected { "▶" } else { " " };
    let mut lines = vec![(
        Line::from(vec![
            Span::styled(format!("{pointer} {mark} "), style),
            Span::styled(format!("{word:<13} "), style),
            Span::styled(format!("{}{made}", row.what), theme.text),
        ]),
        TEXT_AT,
    )];
    let indent = " ".repeat(usize::from(TEXT_AT));
    let room = usize::from(width.saturating_sub(TEXT_AT)).max(10);
    match &row.state {
        State::Running | State::Pending if row.copy.is_some() => {
            if let Some(copy) = &row.copy {
                let mut spans = vec![Span::raw(indent)];
                spans.extend(gauge(
                    copy.percent,
                    width.saturating_sub(TEXT_AT + 36).clamp(8, 40),
                    theme,
                ));
                // The time left before the copy's ID: on a narrow screen the ID wraps.
                let mut status = format!("  {}", copy.status);
                if row.state == State::Running
                    && let Some(left) = copy.remaining()
                {
                    status.push_str(&format!(" · about {} left", format_duration(left)));
                }
                status.push_str(&format!(" · {}", copy.image_id));
                spans.push(Span::styled(status, theme.text));
                lines.push((Line::from(spans), TEXT_AT));
            }
        }
        State::LeftAlone(why) | State::Nothing(why) | State::Skipped(why) => {
            lines.push((Line::styled(format!("{indent}{why}"), theme.muted), TEXT_AT));
        }
        State::Failed(report) => {
            let style = if selected {
                theme.label_focused
            } else {
                theme.error
            };
            lines.push((
                Line::styled(
                    format!("{indent}{}", ellipsize(&report.message, room)),
                    style,
                ),
                TEXT_AT,
            ));
            if let Some(fix) = report.fix.as_ref().or(report.meaning.as_ref()) {
                lines.push((
                    Line::styled(format!("{indent}{}", ellipsize(fix, room)), theme.text),
                    TEXT_AT,
                ));
            }
        }
        _ => {}
    }
    lines
}

/// The command that finishes a delivery from a shell, if there is one (not in the sandbox).
pub(super) fn finish_command(sandbox: bool) -> Option<String> {
    (!sandbox).then(|| ecsimg_command(false, "watch --resume"))
}
