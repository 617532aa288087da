//! The one path every request that changes the account takes, for every face (the wizard,
//! `ecsimg create`, `ecsimg watch --resume`): record in the journal, send, record the answer.
//!
//! The guarantees live here and nowhere else (each has a test below):
//!
//! - **Journal first.** A CreateImage submission — or a stop of the source instance — is in the
//!   journal, synced to disk, before the request is sent; when the journal cannot record it,
//!   nothing is sent.
//! - **One ClientToken.** Every send of a submission, the first or a later one, carries the
//!   parameters the journal recorded, ClientToken included, so sending again never builds a
//!   second image.
//! - **The answer is recorded.** An ImageId; a refusal that settles it for good; or — a timeout,
//!   a broken connection, a 5xx, an interrupt, an answer without a usable ImageId — that the
//!   outcome is still open.
//! - **A lost answer is recovered** by sending the recorded parameters again, only to the
//!   endpoint and region they were sent to ([`Submitter::recover`]).
//!
//! The journal's file work (a lock, an fsync) runs on tokio's blocking pool, never on a
//! runtime worker.

use crate::api::model::InstanceResponse;
use crate::api::{ApiError, Client, CreateImageAnswer, StopOptions};
use chrono::Utc;

use crate::journal::{Entry, InstanceStop, Journal, JournalError, Record, Submission};

/// Test-only hook (documented in the report, not in `--help`): when set, a send stops for good
/// right after CreateImage answered and before the answer is journaled, after printing
/// [`PAUSE_MARKER`] on stderr, so a test can `kill -9` the process at exactly that point.
pub const PAUSE_AFTER_SEND_ENV: &str = "ECSIMG_TEST_PAUSE_AFTER_SEND";
pub const PAUSE_MARKER: &str = "test hook: paused after CreateImage was sent";

/// What became of a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// The journal could not record the submission, so CreateImage was not sent.
    NotSent { reason: String },
    /// CreateImage was sent (after the journal recorded it); its answer.
    Sent {
        /// The journal's id of the submission; [`Submitter::resend`] it under this id when
        /// `settled` is false.
        submission_id: String,
        /// The journal file.
        journal: std::path::PathBuf,
        answer: Result<CreateImageAnswer, ApiError>,
        /// Whether the journal holds the outcome. False after an answer that leaves open
        /// whether ECS acted (a timeout, a 5xx): the same request must be sent again.
        settled: bool,
        /// Why the journal could not record the answer (the image exists all the same).
        journal_problem: Option<String>,
    },
}

/// What [`Submitter::recover`] did for one submission without an ImageId.
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

/// What StopInstances or StartInstances answered for the one instance it was sent for.
#[derive(Debug, Clone, PartialEq)]
pub enum PowerAnswer {
    /// Accepted: the instance is on its way.
    Accepted,
    /// The call succeeded but refused this instance: its code and message.
    Refused { code: String, message: String },
    /// The call failed (an interrupt is [`ApiError::Cancelled`]).
    Failed(ApiError),
}

/// Sends requests through the journal: a client and the journal its sends are recorded in.
#[derive(Debug, Clone)]
pub struct Submitter {
    journal: Journal,
    client: Client,
}

impl Submitter {
    pub fn new(journal: Journal, client: Client) -> Submitter {
        Submitter { journal, client }
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A new submission: records it (synced), calls `recorded` (to tell the user it is on its
    /// way), sends CreateImage and records the answer.
    pub async fn submit(&self, submission: &Submission, recorded: impl FnOnce()) -> Submitted {
        let record = submission.clone();
        if let Err(e) = self.journal.off_runtime(move |j| j.submit(&record)).await {
            return Submitted::NotSent {
                reason: e.to_string(),
            };
        }
        recorded();
        self.resend(&submission.id, &submission.params).await
    }

    /// Sends again the journaled submission `submission_id` — `params` are the ones it
    /// recorded, so the ClientToken is the same — and records the answer.
    pub async fn resend(&self, submission_id: &str, params: &[(String, String)]) -> Submitted {
        let answer = self.client.create_image(params).await;
        if std::env::var_os(PAUSE_AFTER_SEND_ENV).is_some() {
            eprintln!("{PAUSE_MARKER}");
            std::future::pending::<()>().await;
        }
        let (settled, journal_problem) = match self.record_answer(submission_id, &answer).await {
            Ok(settled) => (settled, None),
            Err(e) => (false, Some(e.to_string())),
        };
        Submitted::Sent {
            submission_id: submission_id.to_string(),
            journal: self.journal.path().to_path_buf(),
            answer,
            settled,
            journal_problem,
        }
    }

    /// Sends a journaled submission that lacks an ImageId again — the same parameters, the
    /// same ClientToken — and records the answer. The client must be for the submission's
    /// endpoint and region; another endpoint is refused (it may be another account, where the
    /// token means nothing and a second image would be built).
    pub async fn recover(&self, entry: &Entry) -> Result<Recovery, JournalError> {
        let submission = &entry.submission;
        if !entry.needs_recovery() {
            return Ok(Recovery::Skipped("its outcome is already recorded".into()));
        }
        let config = self.client.config();
        let endpoint = config.endpoint.to_string();
        if endpoint != submission.endpoint {
            return Ok(Recovery::Skipped(format!(
                "it was sent to {}, not {endpoint}; run again with --endpoint {}",
                submission.endpoint, submission.endpoint
            )));
        }
        if config.region != submission.region {
            return Ok(Recovery::Skipped(format!(
                "it was sent to region {}, and this client works in {}",
                submission.region, config.region
            )));
        }
        let answer = self.client.create_image(&submission.params).await;
        self.record_answer(&submission.id, &answer).await?;
        Ok(match answer {
            Ok(CreateImageAnswer::Created {
                image_id,
                request_id,
                ..
            }) => Recovery::Created {
                image_id,
                request_id,
            },
            Ok(CreateImageAnswer::DryRunPassed { .. }) => {
                Recovery::Skipped("it was recorded as a DryRun, which creates nothing".into())
            }
            Err(error) if is_definite(&error) => Recovery::Refused(error),
            Err(error) => Recovery::Failed(error),
        })
    }

    /// Records what CreateImage answered for `submission_id`: the ImageId, a refusal that
    /// settles it for good, or that the outcome is still open. Returns whether it is settled.
    async fn record_answer(
        &self,
        submission_id: &str,
        answer: &Result<CreateImageAnswer, ApiError>,
    ) -> Result<bool, JournalError> {
        let (id, time) = (submission_id.to_string(), Utc::now());
        let settled = match answer {
            Ok(_) => true,
            Err(error) => is_definite(error),
        };
        let record = match answer {
            Ok(CreateImageAnswer::Created {
                image_id,
                request_id,
                ..
            }) => Record::Created {
                id,
                time,
                image_id: image_id.clone(),
                request_id: request_id.clone(),
            },
            Ok(CreateImageAnswer::DryRunPassed { request_id }) => Record::NotCreated {
                id,
                time,
                reason: "sent as a DryRun, which creates nothing".into(),
                code: Some("DryRunOperation".into()),
                request_id: Some(request_id.clone()),
            },
            Err(error) if settled => Record::NotCreated {
                id,
                time,
                reason: error.to_string(),
                code: error.code().map(str::to_string),
                request_id: error.request_id().map(str::to_string),
            },
            Err(ApiError::Cancelled) => Record::Unsettled {
                id,
                time,
                reason: "interrupted before ECS answered".into(),
            },
            Err(error) => Record::Unsettled {
                id,
                time,
                reason: error.to_string(),
            },
        };
        self.journal.off_runtime(move |j| j.append(&record)).await?;
        Ok(settled)
    }

    /// Stops the instance of `stop` (StopInstances with its mode): the stop is journaled,
    /// synced, then `recorded` is called, then the request is sent; a refusal for good is
    /// recorded, so only an instance ecsimg really stopped is ever started again. An interrupt
    /// or a transient failure leaves the stop recorded (the instance may be stopping).
    pub async fn stop_instance(
        &self,
        stop: &InstanceStop,
        recorded: impl FnOnce(),
    ) -> Result<PowerAnswer, JournalError> {
        let record = stop.clone();
        self.journal
            .off_runtime(move |j| j.stopping(&record))
            .await?;
        recorded();
        let options = StopOptions {
            mode: stop.mode,
            force: stop.force,
        };
        let answer = power_answer(
            self.client
                .stop_instances(std::slice::from_ref(&stop.instance_id), options)
                .await,
            &stop.instance_id,
        );
        let refusal = match &answer {
            PowerAnswer::Refused { code, message } => Some(format!("{code} {message}")),
            PowerAnswer::Failed(e) if !matches!(e, ApiError::Cancelled) && is_definite(e) => {
                Some(e.to_string())
            }
            _ => None,
        };
        if let Some(reason) = refusal {
            let id = stop.id.clone();
            self.journal
                .off_runtime(move |j| j.not_stopped(&id, &reason))
                .await?;
        }
        Ok(answer)
    }

    /// Starts the instance of `stop` again (StartInstances); once it was accepted the journal
    /// records it, so `watch --resume` never starts it a second time.
    pub async fn start_instance(&self, stop: &InstanceStop) -> Result<PowerAnswer, JournalError> {
        let answer = power_answer(
            self.client
                .start_instances(std::slice::from_ref(&stop.instance_id))
                .await,
            &stop.instance_id,
        );
        if answer == PowerAnswer::Accepted {
            self.no_start_needed(stop).await?;
        }
        Ok(answer)
    }

    /// Records that the instance of `stop` needs no start from ecsimg any more (it runs
    /// already, or it is gone).
    pub async fn no_start_needed(&self, stop: &InstanceStop) -> Result<(), JournalError> {
        let id = stop.id.clone();
        self.journal.off_runtime(move |j| j.started(&id)).await
    }
}

/// The answer for `instance_id` among a StopInstances or StartInstances call's rows.
fn power_answer(answer: Result<Vec<InstanceResponse>, ApiError>, instance_id: &str) -> PowerAnswer {
    match answer {
        Ok(rows) => match rows
            .into_iter()
            .find(|r| r.instance_id == instance_id && !r.is_success())
        {
            Some(row) => PowerAnswer::Refused {
                code: row.code,
                message: row.message,
            },
            None => PowerAnswer::Accepted,
        },
        Err(e) => PowerAnswer::Failed(e),
    }
}

/// An error after which ECS certainly did not act: the service refused the request (not a
/// throttle or a 5xx, which may hide a success), or it never reached the service.
pub fn is_definite(error: &ApiError) -> bool {
    match error {
        ApiError::Service(_) => !error.is_retryable(),
        ApiError::InvalidRequest { .. } | ApiError::Setup { .. } | ApiError::Credentials { .. } => {
            true
        }
        _ => error.is_unprocessed(),
    }
}

#[cfg(test)]
mod tests;
