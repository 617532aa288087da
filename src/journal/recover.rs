//! Learning the outcome of a submission whose answer was lost, by asking again with the same
//! ClientToken. Only `ecsimg watch --resume` (and the wizard's own retry) do this: listing the
//! journal never sends anything.

use super::{Entry, Journal, JournalError, is_definite};
use crate::api::{ApiError, Client, CreateImageOutcome};

/// What [`recover`] did for one submission without an ImageId.
#[derive(Debug, Clone, PartialEq)]
pub enum Recovery {
    /// ECS named the image (the one the first send created, thanks to the ClientToken); the
    /// ImageId is now recorded.
    Created {
        image_id: String,
        request_id: String,
    },
    /// ECS refused the request; recorded, so it is never sent again.
    Refused(ApiError),
    /// Could not find out now (a transient error, or interrupted); try again later.
    Failed(ApiError),
    /// Not attempted, for the reason given.
    Skipped(String),
}

/// Sends a submission that lacks an ImageId again — the same parameters, the same ClientToken —
/// and records the answer. `client` must be for the submission's region; a client for another
/// endpoint is refused (another endpoint may be another account, where the token means
/// nothing and a second image would be built).
pub async fn recover(
    journal: &Journal,
    entry: &Entry,
    client: &Client,
) -> Result<Recovery, JournalError> {
    let submission = &entry.submission;
    if !entry.needs_recovery() {
        return Ok(Recovery::Skipped("its outcome is already recorded".into()));
    }
    let endpoint = client.config().endpoint.to_string();
    if endpoint != submission.endpoint {
        return Ok(Recovery::Skipped(format!(
            "it was sent to {}, not {endpoint}; run again with --endpoint {}",
            submission.endpoint, submission.endpoint
        )));
    }
    if client.config().region != submission.region {
        return Ok(Recovery::Skipped(format!(
            "it was sent to region {}, and this client works in {}",
            submission.region,
            client.config().region
        )));
    }
    let answer = client.create_image(&submission.params).await;
    journal.settle(&submission.id, &answer)?;
    Ok(match answer {
        Ok(CreateImageOutcome::Created {
            image_id,
            request_id,
            ..
        }) => Recovery::Created {
            image_id,
            request_id,
        },
        Ok(CreateImageOutcome::DryRunPassed { .. }) => {
            Recovery::Skipped("it was recorded as a DryRun, which creates nothing".into())
        }
        Err(error) if is_definite(&error) => Recovery::Refused(error),
        Err(error) => Recovery::Failed(error),
    })
}
