//! The records of delivery (copies, shares, snapshot tags, retirements after an image is
//! Available), so `watch --resume` finishes a delivery a crash cut short without doing
//! anything twice.
//!
//! [`crate::delivery`] writes a [`DeliverySend`] (synced) before each call, and a
//! [`Record::DeliveryAnswered`] after it; [`Record::DeliveryEnded`] closes the delivery of a
//! submission. Each action has a key that names it within its submission (`copy cn-beijing`),
//! so a resumed delivery knows what is done and which ClientToken a copy was sent with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError, Record};

/// A delivery call about to be sent (written before it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySend {
    /// The submission whose image is delivered.
    pub submission: String,
    /// The action, unique within the submission: `copy cn-beijing`, `share cn-hangzhou`,
    /// `retire cn-hangzhou m-…`.
    pub key: String,
    pub time: DateTime<Utc>,
    /// The region the call goes to.
    pub region: String,
    /// CopyImage's ClientToken: every send of this copy carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// What a delivery call came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// Done; for a copy, the new image's ID.
    Done {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_id: Option<String>,
    },
    /// Not done, on purpose: a retirement candidate left alone, and why.
    LeftAlone { reason: String },
    /// Refused for good, or failed in a way that leaves it undone.
    Failed {
        reason: String,
        code: Option<String>,
    },
    /// Sent, but whether ECS acted is not known (a timeout, an interrupt): a resume sends it
    /// again (a copy with the same ClientToken).
    Unsettled { reason: String },
    /// CopyImage made the copy `image_id`, which then ended `status` (CreateFailed,
    /// UnAvailable): a retry deletes it and makes a new copy, under a new ClientToken (the old
    /// one would name the failed copy again).
    CopyFailed { image_id: String, status: String },
}

/// One action as the journal knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    pub send: DeliverySend,
    /// The latest answer; `None` when the process ended before one was recorded.
    pub outcome: Option<DeliveryOutcome>,
}

impl DeliveryState {
    /// The failed copy to discard before this copy is made again.
    pub fn failed_copy(&self) -> Option<&str> {
        match &self.outcome {
            Some(DeliveryOutcome::CopyFailed { image_id, .. }) => Some(image_id),
            _ => None,
        }
    }

    /// Whether a resume has nothing more to do for it.
    pub fn is_settled(&self) -> bool {
        matches!(
            self.outcome,
            Some(DeliveryOutcome::Done { .. } | DeliveryOutcome::LeftAlone { .. })
        )
    }

    /// The copy made by this action, when it was recorded.
    pub fn copy_id(&self) -> Option<&str> {
        match &self.outcome {
            Some(DeliveryOutcome::Done { image_id }) => image_id.as_deref(),
            _ => None,
        }
    }
}

impl Journal {
    /// Records a delivery call; call it before sending. Synced to disk when it returns.
    pub fn delivery_sending(&self, send: &DeliverySend) -> Result<(), JournalError> {
        self.append(&Record::DeliverySending(Box::new(send.clone())))
    }

    /// Records what the delivery call `key` of `submission` came to.
    pub fn delivery_answered(
        &self,
        submission: &str,
        key: &str,
        outcome: &DeliveryOutcome,
    ) -> Result<(), JournalError> {
        self.append(&Record::DeliveryAnswered {
            submission: submission.to_string(),
            key: key.to_string(),
            time: Utc::now(),
            outcome: outcome.clone(),
        })
    }

    /// Records that the delivery of `submission` ran to its end (`failures` actions failed).
    pub fn delivery_ended(&self, submission: &str, failures: usize) -> Result<(), JournalError> {
        self.append(&Record::DeliveryEnded {
            submission: submission.to_string(),
            time: Utc::now(),
            failures,
        })
    }
}
