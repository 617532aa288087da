//! The screens around a build: the entry that draws every phase, the request ready to send, a
//! refusal, and the questions asked before acting.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Ask, Phase, SubmitStep};
use crate::spec::{Field, ImageSpec, RetireAction, Source};
use crate::tui::error_report::ErrorReport;
use crate::tui::steps::{ViewCtx, ecsimg_command};
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog::{Dialog, unindented};
use crate::tui::widgets::tabs::wrap_line;

fn source_text(source: &Source) -> String {
    match source {
        source if source.is_empty() => "no source".into(),
        Source::Instance { instance_id } => format!("instance {instance_id}"),
        Source::Snapshot { snapshot_id } => format!("snapshot {snapshot_id}"),
        Source::Disks(disks) => format!("a mapping of {} disk(s)", disks.len()),
    }
}

/// What `[delivery]` does once the image is Available, for the confirmation: deleting older
/// images cannot be undone, so it is said in the error colour.
fn delivery_promise(spec: &ImageSpec, theme: &Theme) -> Vec<Line<'static>> {
    let Some(delivery) = spec.delivery.as_ref().filter(|d| !d.is_empty()) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    if !delivery.copy_to.is_empty() {
        parts.push(format!("copies it to {}", delivery.copy_to.join(", ")));
    }
    if !delivery.share_with.is_empty() {
        parts.push(format!("shares it with {}", delivery.share_with.join(", ")));
    }
    if delivery.tag_snapshots && !spec.tags.is_empty() {
        parts.push("tags its snapshots".into());
    }
    let mut lines = vec![Line::raw("")];
    if !parts.is_empty() {
        lines.push(Line::raw(format!(
            "Once Available, ecsimg {}.",
            parts.join("; ")
        )));
    }
    if let (Some(retire), Some(family)) = (delivery.retire, &spec.image.family) {
        let text = format!(
            "It then {}s the images of family {family} past the newest {}{}",
            retire.action,
            retire.keep,
            match retire.action {
                RetireAction::Delete => ": deleting cannot be undone.",
                RetireAction::Deprecate => ".",
            }
        );
        let style = match retire.action {
            RetireAction::Delete => theme.error,
            RetireAction::Deprecate => theme.text,
        };
        lines.push(Line::styled(text, style));
    }
    lines
}

impl SubmitStep {
    /// The phase's lines in a scrolling pane, the open question over it.
    pub(super) fn draw(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let inner = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(2),
            ..area
        };
        let lines = match &self.phase {
            Phase::Ready => self.ready_lines(ctx),
            Phase::Sending { .. } => vec![
                (Line::styled("Submitting", ctx.theme.title), 0),
                (Line::raw(""), 0),
                (
                    Line::styled(
                        format!(
                            "{} Recording the request in the journal, then sending CreateImage…",
                            ctx.spinner()
                        ),
                        ctx.theme.warning,
                    ),
                    2,
                ),
            ],
            Phase::Refused {
                report,
                field,
                journaled,
                ..
            } => self.refused_lines(report, *field, journaled.is_some(), ctx),
            Phase::Building(build) => self.build_lines(build, ctx, inner.width),
        };
        let rows = lines
            .into_iter()
            .flat_map(|(line, indent)| wrap_line(&line, inner.width, indent))
            .collect();
        self.scroll.render(rows, ctx.theme, frame, inner);
        if let Some(ask) = self.ask {
            self.render_ask(ask, ctx, frame, area);
        }
    }

    pub(super) fn ready_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let spec = ctx.spec;
        let row = |label: &str, text: String| {
            (
                Line::from(vec![
                    Span::styled(format!("  {label:<13}"), theme.label),
                    Span::styled(text, theme.text),
                ]),
                15,
            )
        };
        let name = spec
            .image
            .name
            .clone()
            .unwrap_or_else(|| "(no name: ECS names it)".into());
        let mut lines = vec![
            (Line::styled("Submit the request", theme.title), 0),
            (Line::raw(""), 0),
            row("Image", name),
            row("From", source_text(&spec.source)),
            row(
                "Region",
                if self.target.sandbox {
                    format!(
                        "{} · SANDBOX: the embedded simulator, nothing real is created",
                        spec.region
                    )
                } else {
                    spec.region.clone()
                },
            ),
            row(
                "Endpoint",
                format!(
                    "{} · key: {}",
                    self.target.endpoint, self.target.credential_source
                ),
            ),
            row(
                "ClientToken",
                format!(
                    "{} (sending it again never creates a second image)",
                    spec.client_token
                        .as_deref()
                        .unwrap_or("made when you submit")
                ),
            ),
            row(
                "Journal",
                format!(
                    "the request is recorded before it is sent ({})",
                    ecsimg_command(self.target.sandbox, "history")
                ),
            ),
            (Line::raw(""), 0),
        ];
        let errors = ctx.findings.iter().filter(|f| f.is_error()).count();
        lines.push(if errors > 0 {
            (
                Line::styled(
                    format!(
                        "✗ {errors} problem(s) must be fixed first: Esc goes back to the review."
                    ),
                    theme.error,
                ),
                2,
            )
        } else {
            (Line::styled("Enter submits; it asks first.", theme.ok), 0)
        });
        lines
    }

    pub(super) fn refused_lines(
        &self,
        report: &ErrorReport,
        field: Option<Field>,
        journaled: bool,
        ctx: &ViewCtx,
    ) -> Vec<(Line<'static>, u16)> {
        let theme = ctx.theme;
        let mut lines = vec![
            (Line::styled("The request was not accepted", theme.title), 0),
            (Line::raw(""), 0),
            (
                Line::styled(format!("✗ {}", report.message), theme.error),
                2,
            ),
        ];
        if let Some(meaning) = &report.meaning {
            lines.push((Line::styled(format!("  {meaning}"), theme.text), 2));
        }
        if let Some(fix) = &report.fix {
            lines.push((
                Line::from(vec![
                    Span::styled("  What to do: ", theme.label_focused),
                    Span::styled(fix.clone(), theme.text),
                ]),
                2,
            ));
        }
        if let Some(field) = field {
            lines.push((
                Line::styled(
                    format!("  Field to change: {} (Enter goes there)", field.label()),
                    theme.key,
                ),
                2,
            ));
        }
        if let Some(id) = &report.request_id {
            lines.push((Line::styled(format!("  RequestId {id}"), theme.muted), 2));
        }
        lines.push((Line::raw(""), 0));
        lines.push((
            Line::styled(
                if journaled {
                    "Whether ECS acted is unknown: r sends the same request again with the same \
                     ClientToken, and ECS answers with the image if it made one."
                } else {
                    "No image was created. r sends the request again; n gives the answers a new \
                     ClientToken (after IdempotenceParamNotMatch)."
                },
                theme.muted,
            ),
            0,
        ));
        lines
    }

    pub(super) fn render_ask(&self, ask: Ask, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let spec: &ImageSpec = ctx.spec;
        let (title, lines, accent): (&str, Vec<Line>, Style) = match (ask, &self.phase) {
            (Ask::Submit, _) => {
                let name = spec
                    .image
                    .name
                    .as_deref()
                    .map_or("an image".to_string(), |n| format!("image {n:?}"));
                let mut lines = vec![
                    Line::raw(format!(
                        "CreateImage builds {name} from {} in {}.",
                        source_text(&spec.source),
                        spec.region
                    )),
                    Line::raw(""),
                    if self.target.sandbox {
                        Line::styled(
                            "SANDBOX: the embedded simulator answers; nothing is created in a real account.",
                            theme.warning,
                        )
                    } else {
                        Line::styled(
                            format!(
                                "This uses your Alibaba Cloud account ({}) at {}; the image's snapshots are billed as snapshot storage.",
                                self.target.credential_source, self.target.endpoint
                            ),
                            theme.warning,
                        )
                    },
                    Line::raw(format!(
                        "ClientToken {}: however often this is sent, at most one image is made.",
                        spec.client_token.as_deref().unwrap_or("(new)")
                    )),
                ];
                lines.extend(delivery_promise(spec, theme));
                let warnings = ctx.findings.iter().filter(|f| !f.is_error()).count();
                if warnings > 0 {
                    lines.push(Line::styled(
                        format!("{warnings} warning(s) in the review."),
                        theme.muted,
                    ));
                }
                ("Create the image?", lines, theme.border_focused)
            }
            (Ask::Delete, Phase::Building(build)) => (
                "Delete the image?",
                vec![
                    Line::styled(format!("Delete image {} now?", build.image_id), theme.title),
                    Line::raw(""),
                    Line::raw(
                        "DeleteImage stops the build and removes the image from your account. This \
                         cannot be undone.",
                    ),
                ],
                theme.error,
            ),
            (Ask::Leave, Phase::Building(build)) if !build.building() => (
                "Leave while it is delivered?",
                vec![
                    Line::raw(format!(
                        "The delivery of {} stops when you leave: the actions done stay done.",
                        build.image_id
                    )),
                    Line::raw(""),
                    Line::raw(
                        "Come back to the Submit step to finish it: the journal keeps every call, so \
                         what is done is skipped and nothing is done twice.",
                    ),
                ],
                theme.warning,
            ),
            (Ask::Leave, Phase::Building(build)) => (
                "Leave while it builds?",
                match build.resume_command() {
                    Some(command) => vec![
                        Line::raw(format!(
                            "Image {} keeps building in ECS when you leave: only this wizard's \
                             polling stops.",
                            build.image_id
                        )),
                        Line::raw(""),
                        Line::raw(format!(
                            "Come back to step 7 to watch again, or run `{command}`."
                        )),
                    ],
                    None => vec![
                        Line::raw(format!(
                            "Image {} keeps building in the sandbox while the wizard runs: come \
                             back to step 7 to watch it.",
                            build.image_id
                        )),
                        Line::raw(""),
                        Line::raw("Quitting the wizard ends the sandbox and its simulated build."),
                    ],
                },
                theme.warning,
            ),
            _ => return,
        };
        Dialog {
            title,
            lines: unindented(lines),
            keys: self.keymap(ctx.answers()).footer(),
            accent,
            width: 68,
            scroll: 0,
        }
        .render(theme, frame, area);
    }
}
