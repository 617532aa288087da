//! Step 1's screen: the source tabs, the chosen source, the list (or the mapping's
//! explanation) and the questions drawn over it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Replacing, SourceKind, SourceStep};
use crate::spec::{Field, Source};
use crate::tui::steps::ViewCtx;
use crate::tui::widgets::dialog::{Dialog, unindented};
use crate::tui::widgets::picker::PickerStyle;

impl SourceStep {
    pub(super) fn draw(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        if area.height < 6 {
            return;
        }
        let tabs = Rect { height: 1, ..area };
        let chosen = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        let body = Rect {
            y: area.y + 3,
            height: area.height - 3,
            ..area
        };
        self.render_tabs(ctx, frame, tabs);
        self.render_chosen(ctx, frame, chosen);
        let region = format!("No {{}} in {}.", ctx.spec.region);
        let focused = ctx.focused && self.stop.is_none() && self.replacing.is_none();
        match self.kind {
            SourceKind::Instance => self.instances.render(
                &PickerStyle {
                    theme,
                    spinner: ctx.spinner(),
                    focused,
                    empty: &region.replace("{}", "instances"),
                },
                frame,
                body,
            ),
            SourceKind::Snapshot => self.snapshots.render(
                &PickerStyle {
                    theme,
                    spinner: ctx.spinner(),
                    focused,
                    empty: &region.replace("{}", "snapshots"),
                },
                frame,
                body,
            ),
            SourceKind::Mapping => {
                let text = vec![
                    Line::styled("Build the image from a list of disks", theme.title),
                    Line::raw(""),
                    Line::raw(
                        "A disk mapping names exactly one system disk and up to 16 data disks. \
                         Each disk comes from a snapshot (system or data) or is an empty data \
                         disk of a size you choose. A data-disk snapshot can become the system \
                         disk; then give the platform and architecture in step 3.",
                    ),
                    Line::raw(""),
                    Line::from(vec![
                        Span::styled("Enter", theme.key),
                        Span::raw(" opens the disk editor (step 2)."),
                    ]),
                ];
                let inner = Rect {
                    x: body.x + 2,
                    width: body.width.saturating_sub(4),
                    ..body
                };
                frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
            }
        }
        if let Some(stop) = &self.stop {
            self.render_stop(stop, ctx, frame, area);
        }
        if let Some(choice) = &self.replacing {
            self.render_replacing(choice, ctx, frame, area);
        }
    }

    fn render_tabs(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let mut spans = vec![Span::raw(" ")];
        for kind in SourceKind::ALL {
            let style = if kind == self.kind {
                theme.selected
            } else {
                theme.muted
            };
            spans.push(Span::styled(format!(" {} ", kind.title()), style));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled("(Tab switches)", theme.muted));
        frame.render_widget(Line::from(spans), area);
    }

    fn render_chosen(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let chosen = match &ctx.spec.source {
            s if s.is_empty() => Span::styled("Nothing chosen yet.", theme.muted),
            Source::Instance { instance_id } => {
                let name = self
                    .instances
                    .rows()
                    .iter()
                    .find(|i| &i.instance_id == instance_id)
                    .map(|i| format!(" ({}, {})", i.instance_name, i.status))
                    .unwrap_or_default();
                Span::styled(format!("instance {instance_id}{name}"), theme.ok)
            }
            Source::Snapshot { snapshot_id } => {
                Span::styled(format!("system-disk snapshot {snapshot_id}"), theme.ok)
            }
            Source::Disks(disks) => Span::styled(
                format!("disk mapping of {} disk(s) (edit in step 2)", disks.len()),
                theme.ok,
            ),
        };
        let mut spans = vec![Span::styled(" Chosen: ", theme.label), chosen];
        let field_error = ctx
            .findings
            .iter()
            .find(|f| f.is_error() && matches!(f.field, Field::InstanceId | Field::SnapshotId));
        if let Some(finding) = field_error {
            spans.push(Span::styled(
                format!("  ✗ {}", finding.message),
                theme.error,
            ));
        }
        frame.render_widget(Line::from(spans), area);
    }

    fn render_replacing(&self, choice: &Replacing, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let disks = match &ctx.spec.source {
            Source::Disks(disks) => disks.len(),
            _ => 0,
        };
        let what = match choice {
            Replacing::Instance(i) => format!("instance {}", i.instance_id),
            Replacing::Snapshot(s) => format!("snapshot {}", s.snapshot_id),
        };
        let lines = vec![Line::raw(format!(
            "The source is a disk mapping of {disks} disk(s) you edited in step 2. Using {what} \
             instead discards the mapping."
        ))];
        Dialog {
            title: "Replace the disk mapping?",
            lines: unindented(lines),
            keys: self.keymap().footer(),
            accent: theme.warning,
            width: 64,
            scroll: 0,
        }
        .render(theme, frame, area);
    }
}
