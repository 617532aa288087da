//! What the wizard says about its submission after the terminal is restored: the ImageId, the
//! last status seen and the exact command that resumes watching, or, in the sandbox, that the
//! simulated build ended with the wizard.

use std::fmt;

use super::delivery_view::{finish_command, totals};
use super::{Build, End, Phase, SubmitStep};
use crate::text::escape;
use crate::tui::steps::ecsimg_command;

/// The lines printed when the wizard ends with a submission of this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Farewell {
    /// `None` when CreateImage was sent and never answered.
    pub image_id: Option<String>,
    /// The last status seen (`Creating 45%`, `Available`, `sent, no answer yet`).
    pub status: String,
    /// The command that follows the build from a shell, when there is one to follow.
    pub resume: Option<String>,
    /// What became of the build, in a sentence.
    pub note: String,
    /// The delivery's totals and what they mean, when the recipe asks for one.
    pub delivery: Option<String>,
    /// The image is Available and its delivery ended with failed actions: the wizard exits 6,
    /// as `ecsimg create` does.
    pub not_all_delivered: bool,
}

impl fmt::Display for Farewell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Printed straight to the terminal: server text is escaped again, whatever its way here.
        match &self.image_id {
            Some(id) => writeln!(f, "Image {}: {}.", escape(id), escape(&self.status))?,
            None => writeln!(f, "CreateImage: {}.", escape(&self.status))?,
        }
        writeln!(f, "{}", self.note)?;
        if let Some(command) = &self.resume {
            writeln!(f, "Resume watching with: {}", escape(command))?;
        }
        if let Some(delivery) = &self.delivery {
            writeln!(f, "{}", escape(delivery))?;
        }
        Ok(())
    }
}

impl SubmitStep {
    /// What to say about this session's submission once the wizard is gone, if there is one.
    pub fn farewell(&self) -> Option<Farewell> {
        let sandbox = self.target.sandbox;
        let history = ecsimg_command(sandbox, "history");
        match &self.phase {
            Phase::Ready | Phase::Refused { .. } => None,
            Phase::Sending { .. } if sandbox => Some(Farewell {
                image_id: None,
                status: "sent to the sandbox, no answer yet".into(),
                resume: None,
                note: format!(
                    "The sandbox ended with the wizard, and the simulated request with it;\n\
                     `{history}` lists the request."
                ),
                delivery: None,
                not_all_delivered: false,
            }),
            Phase::Sending { .. } => Some(Farewell {
                image_id: None,
                status: "sent, no answer yet".into(),
                resume: Some("ecsimg watch --resume".into()),
                note: "The request is in the journal without its ImageId; resuming asks ECS\n\
                       for it with the same ClientToken (no second image is made)."
                    .into(),
                delivery: None,
                not_all_delivered: false,
            }),
            Phase::Building(build) => {
                let status = match (&build.end, &build.image) {
                    (Some(End::Deleted { .. }), _) => "Deleted".to_owned(),
                    (_, Some(image)) if build.building() && !image.progress.is_empty() => {
                        format!("{} {}", image.status, image.progress)
                    }
                    (_, Some(image)) => image.status.clone(),
                    (_, None) => "Submitted".to_owned(),
                };
                let building =
                    build.building() || matches!(build.end, Some(End::TimedOut | End::Stopped(_)));
                let (resume, note) = match build.resume_command() {
                    Some(command) if building => (
                        Some(command),
                        "The build goes on in ECS; only the wizard's watching stopped.".to_owned(),
                    ),
                    None if building => (
                        None,
                        format!(
                            "The sandbox ended with the wizard, and the simulated build with it;\n\
                             `{history}` lists the request."
                        ),
                    ),
                    _ => (None, format!("`{history}` lists it.")),
                };
                Some(Farewell {
                    image_id: Some(build.image_id.clone()),
                    status,
                    resume,
                    note,
                    delivery: delivery_farewell(build),
                    not_all_delivered: not_all_delivered(build),
                })
            }
        }
    }
}

/// Whether the image is Available and its delivery ended, with failed actions.
fn not_all_delivered(build: &Build) -> bool {
    matches!(build.end, Some(End::Available))
        && build.delivery.as_ref().is_some_and(|delivery| {
            !delivery.running() && !delivery.unfinished() && delivery.counts().failed > 0
        })
}

/// The delivery in a line: its totals and what they mean (as `ecsimg create`'s exit code
/// would say it), or why it did not run.
fn delivery_farewell(build: &Build) -> Option<String> {
    let delivery = build.delivery.as_ref()?;
    let resume = finish_command(build.sandbox);
    let meaning = match (&build.end, &resume) {
        (Some(End::Failed(_) | End::Deleted { .. }), _) => {
            return Some("Delivery: not run (the image never became Available).".into());
        }
        _ if not_all_delivered(build) => "not all delivered (exit code 6, as for `ecsimg \
                                          create`); the journal keeps each action."
            .to_owned(),
        (Some(End::Available), _) if !delivery.running() && !delivery.unfinished() => {
            "delivered.".to_owned()
        }
        (Some(End::Available), Some(command)) => {
            format!("stopped with the wizard; `{command}` finishes it (nothing is done twice).")
        }
        (_, Some(command)) => {
            format!("runs once the image is Available; `{command}` follows it and delivers it.")
        }
        (_, None) if delivery.ended.is_none() && !delivery.running() => {
            "not run: the sandbox ended with the wizard.".to_owned()
        }
        (_, None) => "ended with the sandbox before it finished.".to_owned(),
    };
    Some(format!(
        "Delivery: {}; {meaning}",
        totals(delivery.counts())
    ))
}
