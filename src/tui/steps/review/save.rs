//! Saving the recipe: the path prompt, the write, and the question before replacing a file.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::request::recipe_text;
use super::{ReviewStep, Savable, Save, Tab};
use crate::policy;
use crate::spec::ImageSpec;
use crate::tui::effect::Call;
use crate::tui::msg::Saved;
use crate::tui::steps::{StepCtx, ecsimg_command};
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog::{Dialog, input_box, unindented};
use crate::tui::widgets::keymap::{Key, Keymap};
use crate::tui::widgets::tabs::wrap_lines;
use crate::tui::widgets::text_field::{Edit, TextField};

/// What a key does while saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SaveAction {
    Write,
    Cancel,
    /// A key for the path's editor.
    Edit,
    Replace,
    OtherName,
    /// The write is under way, or a question is open: other keys wait.
    Nothing,
}

/// The keys of the save prompt, its question, or the write in progress.
pub(super) fn keymap(save: &Save) -> Keymap<SaveAction> {
    use KeyCode::*;
    let wait = |k: Keymap<SaveAction>| {
        k.bind([Key::Any], SaveAction::Nothing, "nothing")
            .help("other keys wait")
            .quiet()
    };
    match save {
        Save::Prompt { .. } => Keymap::new()
            .bind([Key::plain(Enter)], SaveAction::Write, "save")
            .help("write the recipe to this path")
            .bind([Key::plain(Esc)], SaveAction::Cancel, "cancel")
            .with(
                crate::tui::widgets::keymap::line_editing(SaveAction::Edit),
                |a| a,
            ),
        Save::ConfirmReplace { .. } => wait(
            Keymap::new()
                .bind([Key::char('y')], SaveAction::Replace, "replace")
                .help("replace the file with this recipe")
                .bind(
                    [Key::char('n'), Key::plain(Esc)],
                    SaveAction::OtherName,
                    "another name",
                ),
        ),
        Save::Saving { .. } => wait(Keymap::new()),
    }
}

impl ReviewStep {
    pub(super) fn open_save(&mut self, spec: &ImageSpec) {
        self.saving = if self.tab == Tab::Policy {
            Savable::Policy
        } else {
            Savable::Recipe
        };
        let extension = match self.saving {
            Savable::Recipe => "recipe.toml",
            Savable::Policy => "policy.json",
        };
        let name = spec
            .image
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| n.replace(['/', '\\', ' '], "_"))
            .unwrap_or_else(|| "ecsimg".into());
        let mut path = TextField::new("Path").with_value(format!("{name}.{extension}"));
        path.start_editing();
        self.save = Some(Save::Prompt { path, error: None });
    }

    pub(super) fn save_act(
        &mut self,
        save: Save,
        action: SaveAction,
        key: KeyEvent,
        ctx: &mut StepCtx,
    ) {
        self.save = match (save, action) {
            (Save::Prompt { .. }, SaveAction::Cancel) => None,
            (Save::Prompt { path, .. }, SaveAction::Write) => {
                let target = path.value().trim().to_string();
                if target.is_empty() {
                    Some(Save::Prompt {
                        path,
                        error: Some("Type a file name.".into()),
                    })
                } else {
                    Some(self.write(PathBuf::from(target), false, ctx))
                }
            }
            (Save::Prompt { mut path, error }, SaveAction::Edit) => {
                let error = match path.handle_key(key) {
                    Edit::Changed => None,
                    _ => error,
                };
                path.start_editing();
                Some(Save::Prompt { path, error })
            }
            (Save::ConfirmReplace { path }, SaveAction::Replace) => {
                Some(self.write(path, true, ctx))
            }
            (Save::ConfirmReplace { path }, SaveAction::OtherName) => {
                let mut field = TextField::new("Path").with_value(path.display().to_string());
                field.start_editing();
                Some(Save::Prompt {
                    path: field,
                    error: None,
                })
            }
            (save, _) => Some(save),
        };
    }

    fn write(&mut self, path: PathBuf, replace: bool, ctx: &mut StepCtx) -> Save {
        let contents = match self.saving {
            Savable::Recipe => recipe_text(ctx.spec),
            Savable::Policy => {
                format!("{}\n", policy::for_spec(ctx.spec, self.account.id()).json())
            }
        };
        let id = ctx.call(Call::SaveFile {
            path,
            contents,
            replace,
        });
        Save::Saving { id }
    }

    pub(super) fn saved(&mut self, saved: Saved, ctx: &mut StepCtx) {
        self.save = match saved {
            Saved::Written { path } => {
                ctx.notify(match self.saving {
                    Savable::Recipe => {
                        let replay = format!("create --recipe {}", path.display());
                        format!(
                            "Saved; replay with: {}",
                            ecsimg_command(self.sandbox, &replay)
                        )
                    }
                    Savable::Policy => format!(
                        "Saved the policy to {}; attach it to the RAM user or role that builds",
                        path.display()
                    ),
                });
                None
            }
            Saved::Exists { path } => Some(Save::ConfirmReplace { path }),
            Saved::Failed { path, reason } => {
                let mut field = TextField::new("Path").with_value(path.display().to_string());
                field.start_editing();
                Some(Save::Prompt {
                    path: field,
                    error: Some(format!("Could not write it: {reason}")),
                })
            }
        };
    }

    pub(super) fn render_save(&self, save: &Save, theme: &Theme, frame: &mut Frame, area: Rect) {
        match save {
            Save::Prompt { path, error } => {
                let width = area.width.saturating_sub(4).min(72);
                let inner_width = width.saturating_sub(4);
                let what = match self.saving {
                    Savable::Recipe => "The recipe (Recipe tab)",
                    Savable::Policy => "The policy (Policy tab)",
                };
                let mut notes = vec![Line::styled(
                    format!(
                        "{what} is written here; a relative path is relative to the directory \
                         ecsimg was started in. An existing file is not replaced without asking."
                    ),
                    theme.muted,
                )];
                if let Some(error) = error {
                    notes.push(Line::styled(error.clone(), theme.error));
                }
                let notes = wrap_lines(notes.into_iter().map(|l| (l, 0)), inner_width);
                let height = (u16::try_from(notes.len()).unwrap_or(0) + 4).min(area.height);
                let inner = input_box(
                    frame,
                    area,
                    (width, height),
                    match self.saving {
                        Savable::Recipe => "Save the recipe",
                        Savable::Policy => "Save the policy",
                    },
                    &keymap(save).footer(),
                    theme,
                );
                if inner.height == 0 || inner.width < 4 {
                    return;
                }
                let field = Rect::new(inner.x + 1, inner.y, inner.width - 2, 1);
                path.render_input(frame, field, true, theme);
                let text = Rect::new(
                    inner.x + 1,
                    inner.y + 2,
                    inner.width - 2,
                    inner.height.saturating_sub(2),
                );
                frame.render_widget(ratatui::widgets::Paragraph::new(notes), text);
            }
            Save::Saving { .. } => {}
            Save::ConfirmReplace { path } => Dialog {
                title: "Replace the file?",
                lines: unindented(vec![Line::raw(format!(
                    "{} exists. Replace it with this {}?",
                    path.display(),
                    match self.saving {
                        Savable::Recipe => "recipe",
                        Savable::Policy => "policy",
                    }
                ))]),
                keys: keymap(save).footer(),
                accent: theme.warning,
                width: 64,
                scroll: 0,
            }
            .render(theme, frame, area),
        }
    }
}
