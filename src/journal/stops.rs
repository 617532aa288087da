//! Instances ecsimg stopped for an image, so one is started again even after a crash — and
//! never one ecsimg did not stop.
//!
//! `ecsimg create` writes an [`InstanceStop`] (synced) *before* it sends StopInstances, links
//! the submission to it ([`super::Submission::stop`]), and records [`Record::Started`] once
//! StartInstances was accepted. A stop whose instance was never started again and whose recipe
//! asked for a restart is due once its image has ended (or when CreateImage was never sent):
//! `ecsimg watch --resume` starts it then ([`History::restarts_due`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Entry, History, Journal, JournalError, Record};
use crate::api::StoppedMode;

/// ecsimg is about to stop an instance (written before StopInstances is sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStop {
    /// This stop's own id (a UUID), which later records refer to.
    pub id: String,
    pub time: DateTime<Utc>,
    pub region: String,
    /// Where StopInstances goes; the restart goes to the same endpoint only.
    pub endpoint: String,
    pub instance_id: String,
    pub mode: StoppedMode,
    pub force: bool,
    /// The recipe asked for StartInstances once the image is Available or failed.
    pub restart: bool,
}

impl InstanceStop {
    pub fn new(
        region: &str,
        endpoint: &str,
        instance_id: &str,
        plan: crate::spec::StopPlan,
    ) -> InstanceStop {
        InstanceStop {
            id: uuid::Uuid::new_v4().to_string(),
            time: Utc::now(),
            region: region.to_string(),
            endpoint: endpoint.to_string(),
            instance_id: instance_id.to_string(),
            mode: plan.mode,
            force: plan.force,
            restart: plan.restart,
        }
    }
}

/// Everything the journal says about one stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopEntry {
    pub stop: InstanceStop,
    /// StopInstances refused it for good: ecsimg did not stop the instance.
    pub not_stopped: Option<String>,
    /// StartInstances was accepted (or the instance was found running again).
    pub started: Option<DateTime<Utc>>,
    /// The submission built from the stopped instance, once CreateImage was journaled.
    pub submission: Option<String>,
}

impl StopEntry {
    /// Stopped by ecsimg (as far as the journal knows) and not started again.
    pub fn is_down(&self) -> bool {
        self.not_stopped.is_none() && self.started.is_none()
    }
}

/// Whether a stopped instance should be started now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartDue {
    /// Its image has ended, or CreateImage was never sent.
    Now,
    /// Not yet: the reason (its image still builds, its answer was lost).
    Later(String),
}

impl History {
    /// The stops whose instance is still down and whose recipe asked for a restart, each with
    /// whether it is due now.
    pub fn restarts_due(&self) -> Vec<(&StopEntry, RestartDue)> {
        self.stops
            .iter()
            .filter(|s| s.is_down() && s.stop.restart)
            .map(|s| {
                let entry = s
                    .submission
                    .as_deref()
                    .and_then(|id| self.entries.iter().find(|e| e.submission.id == id));
                (s, due(entry))
            })
            .collect()
    }
}

fn due(entry: Option<&Entry>) -> RestartDue {
    match entry {
        None => RestartDue::Now,
        Some(e) if e.needs_recovery() => RestartDue::Later(
            "the answer to its CreateImage was lost; it is recovered first".into(),
        ),
        Some(e) if e.is_unfinished() => RestartDue::Later(format!(
            "its image {} is still being built",
            e.image_id().unwrap_or("?")
        )),
        Some(_) => RestartDue::Now,
    }
}

impl Journal {
    /// Records that ecsimg is stopping an instance; call it before sending StopInstances.
    pub fn stopping(&self, stop: &InstanceStop) -> Result<(), JournalError> {
        self.append(&Record::Stopping(Box::new(stop.clone())))
    }

    /// Records that StopInstances refused the stop `stop_id`: the instance was not stopped.
    pub fn not_stopped(&self, stop_id: &str, reason: &str) -> Result<(), JournalError> {
        self.append(&Record::NotStopped {
            id: stop_id.to_string(),
            time: Utc::now(),
            reason: reason.to_string(),
        })
    }

    /// Records that the instance of stop `stop_id` was started again (StartInstances was
    /// accepted, or it was found running already): nothing is left to restart.
    pub fn started(&self, stop_id: &str) -> Result<(), JournalError> {
        self.append(&Record::Started {
            id: stop_id.to_string(),
            time: Utc::now(),
        })
    }
}
