//! The Request, CLI and Recipe tabs: the request as wire parameters, as an `aliyun` command and
//! as the recipe that replays it.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::ReviewStep;
use crate::spec::{ImageSpec, to_cli, to_params, to_recipe};
use crate::tui::steps::{ViewCtx, ecsimg_command};
use crate::tui::theme::Theme;

/// The recipe as saved: without the ClientToken, so every replay is a request of its own (a
/// replay with another `{date}` in the name would otherwise be refused as a token reuse).
pub(super) fn recipe_text(spec: &ImageSpec) -> String {
    to_recipe(&ImageSpec {
        client_token: None,
        ..spec.clone()
    })
}

/// The column the Request tab's values start in, after the parameters' names.
pub(super) fn name_width(params: &[(String, String)]) -> usize {
    params.iter().map(|(k, _)| k.width()).max().unwrap_or(0) + 2
}

/// One parameter of the Request tab: its name in a column `width` wide, then its value (`""`
/// for an empty one).
pub(super) fn param_line(
    (name, value): &(String, String),
    width: usize,
    theme: &Theme,
) -> (Line<'static>, u16, bool) {
    let value = if value.is_empty() {
        "\"\"".to_string()
    } else {
        value.clone()
    };
    (
        Line::from(vec![
            Span::styled(format!("  {name:<width$}"), theme.label_focused),
            Span::styled(value, theme.text),
        ]),
        u16::try_from(width + 2).unwrap_or(0),
        false,
    )
}

/// The `aliyun` command on several lines (` \` continuations), one parameter per line, so it
/// pastes into a shell as is. The words are exactly `to_cli`'s.
fn cli_lines(spec: &ImageSpec) -> Result<Vec<String>, String> {
    shell_lines(&to_cli(spec).map_err(|e| e.to_string())?)
}

/// An `aliyun ecs Action --Name value ...` line on several lines, one parameter a line.
pub(super) fn shell_lines(line: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(line).ok_or("the command line does not split back into words")?;
    let quote = |w: &str| {
        shlex::try_quote(w)
            .map(|q| q.into_owned())
            .map_err(|e| e.to_string())
    };
    let mut lines = vec![words.iter().take(3).cloned().collect::<Vec<_>>().join(" ")];
    for pair in words[3.min(words.len())..].chunks(2) {
        let mut text = format!("  {}", quote(&pair[0])?);
        if let Some(value) = pair.get(1) {
            text.push(' ');
            text.push_str(&quote(value)?);
        }
        lines.push(text);
    }
    let last = lines.len() - 1;
    for line in &mut lines[..last] {
        line.push_str(" \\");
    }
    Ok(lines)
}

impl ReviewStep {
    pub(super) fn request_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let params = to_params(ctx.spec);
        // "DryRun" is the last row's name.
        let width = name_width(&params).max(8);
        let mut lines = vec![
            (
                Line::styled(
                    format!(
                        "CreateImage · API version 2014-05-26 · region {}",
                        ctx.spec.region
                    ),
                    theme.title,
                ),
                0,
                false,
            ),
            (
                Line::styled(
                    format!(
                        "Sent to {} and signed with {}. The AccessKey, signature, nonce and time are \
                         added when it is signed and are not shown.",
                        self.endpoint.as_deref().unwrap_or("the ECS endpoint"),
                        self.credential_source
                            .as_deref()
                            .unwrap_or("your access key"),
                    ),
                    theme.muted,
                ),
                0,
                false,
            ),
            (Line::raw(""), 0, false),
        ];
        lines.extend(params.iter().map(|p| param_line(p, width, theme)));
        let indent = u16::try_from(width + 2).unwrap_or(0);
        lines.push((
            Line::from(vec![
                Span::styled(format!("  {:<width$}", "DryRun"), theme.muted),
                Span::styled("true — added only when d checks the request", theme.muted),
            ]),
            indent,
            false,
        ));
        lines.extend(self.delivery_request_lines(ctx));
        lines
    }

    pub(super) fn cli_view_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let mut lines = vec![
            (
                Line::styled(
                    "The same request with the aliyun CLI, ready to paste (add --DryRun true to \
                     only check it):",
                    theme.muted,
                ),
                0,
                false,
            ),
            (Line::raw(""), 0, false),
        ];
        match cli_lines(ctx.spec) {
            Ok(cli) => lines.extend(
                cli.into_iter()
                    .map(|l| (Line::styled(l, theme.text), 4, false)),
            ),
            Err(e) => lines.push((Line::styled(e, theme.error), 0, false)),
        }
        lines.extend(self.delivery_cli_lines(ctx));
        lines
    }

    pub(super) fn recipe_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let mut lines = vec![
            (
                Line::styled(
                    format!(
                        "w saves this recipe; `{}` replays it. The ClientToken is left out, so \
                         each replay is a request of its own.",
                        ecsimg_command(self.sandbox, "create --recipe FILE")
                    ),
                    theme.muted,
                ),
                0,
                false,
            ),
            (Line::raw(""), 0, false),
        ];
        lines.extend(
            recipe_text(ctx.spec)
                .lines()
                .map(|l| (Line::styled(l.to_string(), theme.text), 2, false)),
        );
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Source;
    use crate::tui::steps::review::tests::TOKEN;

    #[test]
    fn the_cli_tab_is_to_cli_on_several_lines() {
        let mut spec = ImageSpec {
            source: Source::Instance {
                instance_id: "i-bp1".into(),
            },
            client_token: Some(TOKEN.into()),
            ..ImageSpec::default()
        };
        spec.image.description = Some("it's a --test $HOME".into());
        let lines = cli_lines(&spec).expect("lines");
        assert_eq!(lines[0], "aliyun ecs CreateImage \\");
        assert!(
            lines[1..lines.len() - 1]
                .iter()
                .all(|l| l.starts_with("  --") && l.ends_with(" \\")),
            "{lines:?}"
        );
        let joined = lines.join("\n").replace(" \\\n", " ");
        assert_eq!(shlex::split(&joined), shlex::split(&to_cli(&spec).unwrap()));
    }
}
