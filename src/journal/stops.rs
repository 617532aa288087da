//! The records of instances ecsimg stopped for an image, so one is started again even after a
//! crash — and never one ecsimg did not stop.
//!
//! [`crate::submission`] writes an [`InstanceStop`] (synced) *before* StopInstances is sent,
//! the submission names it ([`super::Submission::stop`]), and [`Record::Started`] follows once
//! StartInstances was accepted. Which stops are due for a restart is read back in
//! [`super::History::restarts_due`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError, Record};
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
