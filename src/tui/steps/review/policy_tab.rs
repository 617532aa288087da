//! The Policy tab: the RAM policy this build needs and nothing more, ready to copy (the JSON
//! lines stand alone, unindented) or save with `w`, and below it which step needs each
//! statement (RAM documents hold no comments).

use ratatui::text::Line;

use super::{Account, ReviewStep};
use crate::policy;
use crate::tui::steps::{ViewCtx, ecsimg_command};

impl ReviewStep {
    pub(super) fn policy_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let generated = policy::for_spec(ctx.spec, self.account.id());
        let account = match &self.account {
            Account::Known(id) => format!("{id}, as STS GetCallerIdentity names it"),
            Account::NotAsked | Account::Asking(_) => {
                "* (any) until STS GetCallerIdentity answers".to_owned()
            }
            Account::Unknown(why) => format!("* (any): GetCallerIdentity failed ({why})"),
        };
        let mut lines = vec![
            (
                Line::styled(
                    format!(
                        "What this build needs in RAM, and nothing more: w saves it; `{}` prints \
                         it. The account in the ARNs is {account}.",
                        ecsimg_command(self.sandbox, "policy --recipe FILE")
                    ),
                    theme.muted,
                ),
                0,
                false,
            ),
            (Line::raw(""), 0, false),
        ];
        lines.extend(
            generated
                .json()
                .lines()
                .map(|l| (Line::styled(l.to_string(), theme.text), 0, false)),
        );
        lines.push((Line::raw(""), 0, false));
        lines.push((
            Line::styled("Which step needs each statement:", theme.title),
            0,
            false,
        ));
        lines.extend(
            generated
                .notes()
                .into_iter()
                .map(|note| (Line::styled(format!("  {note}"), theme.muted), 5, false)),
        );
        lines
    }
}
