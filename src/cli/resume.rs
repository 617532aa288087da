//! `ecsimg watch --resume`: the one command that acts on the journal. It asks ECS again for
//! every submission whose answer was lost (same parameters, same ClientToken, so no second
//! image), lists the images no watcher has seen finish, and starts again the instances ecsimg
//! stopped for images that have ended, when their recipe asked for it.

use std::collections::BTreeSet;

use tokio_util::sync::CancellationToken;

use super::deliver::Delivering;
use super::exit::{Exit, Failure};
use super::follow::Target;
use super::output::{OutputFormat, Progress};
use super::power::Power;
use crate::api::ApiError;
use crate::journal::{Entry, History, Journal, RestartDue};
use crate::session::Session;
use crate::submission::{Recovery, Submitter};
use crate::watch::WatchPolicy;

/// Sends every journal submission that lacks an ImageId again (same parameters, same
/// ClientToken) and records the answer, reporting each through `note`. Submissions sent to
/// another endpoint than this session's are counted and left alone (another endpoint may be
/// another account, where the token means nothing). The first interrupt stops it.
pub async fn recover_pending(
    session: &Session,
    journal: &Journal,
    interrupt: &CancellationToken,
    note: &mut dyn FnMut(String),
) -> Result<(), Failure> {
    let history = read(journal).await?;
    let (here, elsewhere): (Vec<&Entry>, Vec<&Entry>) = history
        .entries
        .iter()
        .filter(|e| e.needs_recovery())
        .partition(|e| sent_here(session, e));
    if let Some(line) = left_alone(session, &elsewhere, "whose answer was lost") {
        note(line);
    }
    for entry in here {
        let s = &entry.submission;
        let what = format!(
            "submission {} ({} in {}, {})",
            s.id,
            s.image_name.as_deref().unwrap_or("unnamed image"),
            s.region,
            s.time.format("%Y-%m-%d %H:%M:%S UTC")
        );
        let client = session
            .client_for(&s.region)
            .map_err(|e| Failure::local(format!("cannot set up the ECS client: {e}")))?
            .with_cancel(interrupt.clone());
        let submitter = Submitter::new(journal.clone(), client);
        let line = match submitter.recover(entry).await.map_err(Failure::local)? {
            Recovery::Created {
                image_id,
                request_id,
            } => format!(
                "recovered {what}: ImageId {image_id} (RequestId {request_id}; same \
                 ClientToken, so no second image)"
            ),
            Recovery::Refused(error) => format!("{what} was refused by ECS: {error}"),
            Recovery::Failed(ApiError::Cancelled) => {
                return Err(Failure::new(
                    Exit::Interrupted,
                    format!("interrupted while recovering {what}; run the command again"),
                ));
            }
            Recovery::Failed(error) => {
                format!("{what} could not be recovered now ({error}); it will be tried again")
            }
            Recovery::Skipped(reason) => format!("{what} not recovered: {reason}"),
        };
        note(line);
    }
    Ok(())
}

/// The images of unfinished journal entries that this session can follow: those sent to the
/// endpoint it talks to. The others are named through `note` (another endpoint, account or
/// simulator; following them here would poll the wrong service).
pub async fn unfinished_targets(
    session: &Session,
    journal: &Journal,
    note: &mut dyn FnMut(String),
) -> Result<Vec<Target>, Failure> {
    let history = read(journal).await?;
    let (here, elsewhere): (Vec<&Entry>, Vec<&Entry>) = history
        .entries
        .iter()
        .filter(|e| e.is_unfinished())
        .partition(|e| sent_here(session, e));
    if let Some(line) = left_alone(session, &elsewhere, "still building") {
        note(line);
    }
    let mut targets: Vec<Target> = Vec::new();
    for entry in here {
        let (s, Some(image_id)) = (&entry.submission, entry.image_id()) else {
            continue;
        };
        // A later submission that got the same ImageId at the same endpoint supersedes.
        targets.retain(|t| !(t.region == s.region && t.image_id == image_id));
        targets.push(Target {
            region: s.region.clone(),
            image_id: image_id.to_string(),
            submission: Some(s.id.clone()),
        });
    }
    Ok(targets)
}

/// Starts again every instance ecsimg stopped for an image whose recipe asked for a restart,
/// once that image has ended (or when CreateImage was never sent) — never an instance ecsimg
/// did not stop. Stops recorded for another endpoint are left alone. Returns the worst exit of
/// the starts; the first interrupt ends it.
pub async fn restart_stopped(
    session: &Session,
    journal: &Journal,
    policy: &WatchPolicy,
    format: OutputFormat,
    interrupt: &CancellationToken,
    ecsimg: &str,
    progress: &mut Progress,
) -> Result<Exit, Failure> {
    let history = read(journal).await?;
    let mut exit = Exit::Success;
    for (entry, due) in history.restarts_due() {
        let stop = &entry.stop;
        let id = &stop.instance_id;
        if session.endpoint_for(&stop.region).to_string() != stop.endpoint {
            progress.note(&format!(
                "{id} (stopped by ecsimg at {}) was stopped through {}; run the command with \
                 that --endpoint to start it again",
                stop.time.format("%Y-%m-%d %H:%M:%S UTC"),
                stop.endpoint
            ));
            continue;
        }
        if let RestartDue::Later(why) = due {
            progress.note(&format!("{id} stays Stopped for now: {why}"));
            continue;
        }
        let client = session
            .client_for(&stop.region)
            .map_err(|e| Failure::local(format!("cannot set up the ECS client: {e}")))?
            .with_cancel(interrupt.clone());
        let submitter = Submitter::new(journal.clone(), client);
        let power = Power {
            submitter: &submitter,
            policy,
            format,
            interrupt,
            ecsimg,
        };
        match power.restart(stop, progress).await {
            Ok(()) => {}
            Err(failure) if failure.exit == Exit::Interrupted => return Err(failure),
            Err(failure) => {
                progress.note(&failure.message);
                exit = exit.worst(failure.exit);
            }
        }
    }
    Ok(exit)
}

/// Finishes every delivery the journal has due (the image Available, `[delivery]` not run to
/// its end) for submissions sent to this session's endpoint — with `retry_failed`, also those
/// that ended with failed actions: what is recorded as done is skipped, failed actions and
/// lost answers are sent again (a copy with its recorded ClientToken), retirements are
/// decided afresh. Returns the worst exit of the deliveries.
pub async fn deliver_due(
    delivering: &Delivering<'_>,
    retry_failed: bool,
    progress: &mut Progress,
) -> Result<Exit, Failure> {
    let history = read(delivering.journal).await?;
    let mut exit = Exit::Success;
    let due = |e: &&Entry| e.delivery_due() || (retry_failed && e.delivery_failed());
    for entry in history.entries.iter().filter(due) {
        let Some(image_id) = entry.image_id() else {
            continue;
        };
        if !sent_here(delivering.session, entry) {
            progress.note(&format!(
                "the delivery of {image_id} is left alone: it was sent to {}",
                entry.submission.endpoint
            ));
            continue;
        }
        if entry.delivery_ended.is_some() {
            progress.note(&format!(
                "retrying the failed delivery actions of {image_id}"
            ));
        } else {
            progress.note(&format!("finishing the delivery of {image_id}"));
        }
        let delivered = delivering.run(&entry.submission, image_id, progress).await;
        if delivered == Exit::Interrupted {
            return Ok(delivered);
        }
        exit = exit.worst(delivered);
    }
    Ok(exit)
}

/// The journal read back, off the async runtime.
async fn read(journal: &Journal) -> Result<History, Failure> {
    journal
        .off_runtime(Journal::read)
        .await
        .map_err(Failure::local)
}

/// Whether this session talks to the endpoint the entry was sent to.
fn sent_here(session: &Session, entry: &Entry) -> bool {
    let s = &entry.submission;
    session.endpoint_for(&s.region).to_string() == s.endpoint
}

/// One line about the entries (`what` they are) that this session leaves alone.
fn left_alone(session: &Session, elsewhere: &[&Entry], what: &str) -> Option<String> {
    if elsewhere.is_empty() {
        return None;
    }
    let count = elsewhere.len();
    Some(if session.sandbox().is_some() {
        format!(
            "{count} submission(s) {what} came from earlier sandbox sessions; their images \
             ended with those sessions' simulators, so they are left alone"
        )
    } else {
        let endpoints: BTreeSet<&str> = elsewhere
            .iter()
            .map(|e| e.submission.endpoint.as_str())
            .collect();
        let endpoints: Vec<&str> = endpoints.into_iter().collect();
        format!(
            "{count} submission(s) {what} were sent to another endpoint ({}); run the command \
             with that --endpoint to reach them",
            endpoints.join(", ")
        )
    })
}

/// The journal submission an ImageId named on the command line belongs to: the newest one
/// sent to this session's endpoint in `region` that got it.
pub async fn submission_of(
    session: &Session,
    journal: &Journal,
    region: &str,
    image_id: &str,
) -> Option<String> {
    let endpoint = session.endpoint_for(region).to_string();
    let history = read(journal).await.ok()?;
    history
        .entries
        .iter()
        .rev()
        .find(|e| {
            e.image_id() == Some(image_id)
                && e.submission.region == region
                && e.submission.endpoint == endpoint
        })
        .map(|e| e.submission.id.clone())
}
