//! The step's screen: the tab bar with the DryRun badge, the summary beside the other tabs on
//! wide screens (one tab at a time on narrow ones), and the save prompt on top. Each tab's lines
//! come from its own module (`summary`, `request`, `policy_tab`, `dry_run`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::{DryRun, ReviewStep, TABS, Tab};
use crate::spec::to_params;
use crate::tui::steps::ViewCtx;
use crate::tui::widgets::tabs::{Scroll, tab_bar, wrap_line};

/// Below this width the summary and the request are tabs of one pane; from it on they sit side
/// by side.
const SIDE_BY_SIDE: u16 = 120;

impl ReviewStep {
    /// The tab bar, the tabs (side by side when wide) and the save prompt over them.
    pub(super) fn draw(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        if area.height < 3 {
            return;
        }
        let theme = ctx.theme;
        let current = to_params(ctx.spec);
        let bar = Rect { height: 1, ..area };
        let mut spans = tab_bar(&TABS.map(Tab::title), self.tab.index(), theme).spans;
        let badge = self.dry_run_badge(ctx, &current);
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        let width = usize::from(area.width);
        // The badge goes beside the tabs, or on the blank row under them when a long error
        // code does not fit there.
        let (badge_row, room) = match width.checked_sub(used + badge.content.width()) {
            Some(room) => (bar, room),
            None => (
                Rect {
                    y: bar.y + 1,
                    ..bar
                },
                width.saturating_sub(badge.content.width()),
            ),
        };
        if badge_row == bar {
            spans.push(Span::raw(" ".repeat(room)));
            spans.push(badge);
        } else {
            frame.render_widget(
                Line::from(vec![Span::raw(" ".repeat(room)), badge]),
                badge_row,
            );
        }
        frame.render_widget(Line::from(spans), bar);
        let body = Rect {
            y: area.y + 2,
            height: area.height - 2,
            ..area
        };
        if area.width >= SIDE_BY_SIDE {
            let left_width = area.width / 2;
            let left = Rect {
                width: left_width - 1,
                ..body
            };
            let right = Rect {
                x: body.x + left_width + 1,
                width: body.width - left_width - 1,
                ..body
            };
            self.render_tab(
                Tab::Summary,
                self.tab == Tab::Summary,
                ctx,
                frame,
                Rect {
                    x: left.x + 1,
                    width: left.width.saturating_sub(1),
                    ..left
                },
            );
            let buf = frame.buffer_mut();
            for y in body.y..body.bottom() {
                buf.set_string(body.x + left_width, y, "│", theme.border);
            }
            let beside = if self.tab == Tab::Summary {
                self.beside
            } else {
                self.tab
            };
            self.render_tab(beside, self.tab != Tab::Summary, ctx, frame, right);
        } else {
            let inner = Rect {
                x: body.x + 1,
                width: body.width.saturating_sub(2),
                ..body
            };
            self.render_tab(self.tab, true, ctx, frame, inner);
        }
        if let Some(save) = &self.save {
            self.render_save(save, theme, frame, area);
        }
    }

    fn render_tab(&self, tab: Tab, focused: bool, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let mut area = area;
        // The DryRun block stays above the summary, whatever is scrolled: before a DryRun it
        // says how to run one, after it what came of it.
        let mut first_item = 0;
        if tab == Tab::Summary {
            let current = to_params(ctx.spec);
            let failed_on_field = matches!(self.dry_run, DryRun::Failed { field: Some(_), .. });
            let chosen = focused && self.selected == 0 && failed_on_field;
            let head: Vec<Line> = self
                .dry_run_lines(ctx, &current, chosen)
                .into_iter()
                .chain(self.delivery_check_head(ctx))
                .flat_map(|(line, indent, _)| wrap_line(&line, area.width, indent))
                .collect();
            let height = u16::try_from(head.len())
                .unwrap_or(u16::MAX)
                .min(area.height / 2);
            frame.render_widget(
                ratatui::widgets::Paragraph::new(head),
                Rect { height, ..area },
            );
            area = Rect {
                y: area.y + height + 1,
                height: area.height.saturating_sub(height + 1),
                ..area
            };
            first_item = usize::from(failed_on_field);
        }
        // The delivery's DryRun rows head the summary; on the first item they stay in view.
        let mut rows_above = 0;
        let lines = match tab {
            Tab::Summary => {
                let mut lines = self.delivery_check_lines(ctx);
                rows_above = lines.len();
                lines.extend(self.summary_lines(ctx, focused));
                lines
            }
            Tab::Request => self.request_lines(ctx),
            Tab::Cli => self.cli_view_lines(ctx),
            Tab::Recipe => self.recipe_lines(ctx),
            Tab::Policy => self.policy_lines(ctx),
        };
        let mut rows = Vec::new();
        let mut item_rows: Vec<(u16, u16)> = Vec::new();
        for (line, indent, starts_item) in lines {
            let wrapped = wrap_line(&line, area.width, indent);
            let first = u16::try_from(rows.len()).unwrap_or(u16::MAX);
            let last = first + u16::try_from(wrapped.len()).unwrap_or(1).saturating_sub(1);
            if starts_item {
                item_rows.push((first, last));
            }
            rows.extend(wrapped);
        }
        let scroll = self.scroll(tab);
        if tab == Tab::Summary
            && focused
            && let Some(selected) = self.selected.checked_sub(first_item)
            && let Some((first, last)) = item_rows.get(selected)
        {
            let first = if selected == 0 && rows_above > 0 {
                0
            } else {
                *first
            };
            scroll.reveal(first, *last, Scroll::viewport(rows.len(), area.height));
        }
        scroll.render(rows, ctx.theme, frame, area);
    }
}
