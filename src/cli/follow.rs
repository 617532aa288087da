//! Following images to their end, shared by `ecsimg create` and `ecsimg watch`: the events
//! shown, the states recorded in the journal under each image's submission, the exit code.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::exit::{Exit, Failure};
use super::output::{OutputFormat, Progress};
use crate::api::model::Image;
use crate::journal::Journal;
use crate::session::Session;
use crate::watch::{WatchEnd, WatchEvent, WatchPolicy, watch_images};

/// One image to follow, and the journal submission it belongs to (its statuses are recorded
/// there and nowhere else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub region: String,
    pub image_id: String,
    pub submission: Option<String>,
}

/// What [`follow`] works with, besides the images.
pub struct Follow<'a> {
    pub session: &'a Session,
    pub journal: Option<&'a Journal>,
    /// `ecsimg` and the global options, for the hints printed.
    pub ecsimg: String,
    pub format: OutputFormat,
}

/// Watches `targets`, shows the events, records what is seen in the journal under each
/// target's submission, and returns the exit code of the worst outcome. On interrupt, records
/// what was last seen and says how to resume.
pub async fn follow(
    context: &Follow<'_>,
    targets: Vec<Target>,
    policy: WatchPolicy,
    progress: &mut Progress,
    interrupt: CancellationToken,
) -> Result<Exit, Failure> {
    let again = |region: &str, ids: &[&str]| {
        format!(
            "`{} watch {} --region {region}`",
            context.ecsimg,
            ids.join(" ")
        )
    };
    let cancel = CancellationToken::new();
    let mut by_region: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for target in &targets {
        by_region
            .entry(&target.region)
            .or_default()
            .push(target.image_id.clone());
    }
    let mut streams = Vec::new();
    for (region, ids) in by_region {
        let client = context
            .session
            .client_for(region)
            .map_err(|e| Failure::local(format!("cannot set up the ECS client: {e}")))?;
        streams.push(watch_images(client, ids, policy.clone(), cancel.child_token()).boxed());
    }
    let mut events = futures::stream::select_all(streams);
    let mut pending: Vec<&Target> = targets.iter().collect();
    let mut last: HashMap<String, Image> = HashMap::new();
    let mut exit = Exit::Success;
    loop {
        let event = tokio::select! {
            biased;
            () = interrupt.cancelled() => {
                cancel.cancel();
                for target in &pending {
                    let seen = last.get(&target.image_id);
                    let status = seen.map_or("Unknown", |i| i.status.as_str());
                    record_status(context.journal, target, status, seen, false).await?;
                }
                let mut regions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
                for target in &pending {
                    regions.entry(&target.region).or_default().push(&target.image_id);
                }
                let commands: Vec<String> =
                    regions.iter().map(|(region, ids)| again(region, ids)).collect();
                return Err(Failure::new(
                    Exit::Interrupted,
                    format!(
                        "interrupted; the build goes on. Resume watching with {}",
                        commands.join(" and ")
                    ),
                ));
            }
            event = events.next() => event,
        };
        let Some(event) = event else { break };
        progress.event(&event);
        match event {
            WatchEvent::Progress {
                image_id, image, ..
            } => {
                last.insert(image_id, image);
            }
            WatchEvent::Finished {
                image_id, outcome, ..
            } => {
                let Some(at) = pending.iter().position(|t| t.image_id == image_id) else {
                    continue;
                };
                let target = pending.remove(at);
                let image = match &outcome {
                    WatchEnd::Available(image) => Some(image),
                    WatchEnd::Failed { image, .. } => image.as_ref(),
                    WatchEnd::TimedOut { last } => last.as_ref(),
                    WatchEnd::Error(_) => last.get(&image_id),
                };
                record_status(
                    context.journal,
                    target,
                    &outcome.status(),
                    image,
                    outcome.is_final(),
                )
                .await?;
                if matches!(outcome, WatchEnd::TimedOut { .. } | WatchEnd::Error(_)) {
                    progress.note(&format!(
                        "  the image keeps building; follow it again with {}",
                        again(&target.region, &[image_id.as_str()])
                    ));
                }
                if context.format == OutputFormat::Text {
                    println!(
                        "{}\t{}",
                        crate::text::escape(&image_id),
                        crate::text::escape(&outcome.status())
                    );
                }
                exit = exit.worst(match outcome {
                    WatchEnd::Available(_) => Exit::Success,
                    WatchEnd::Failed { .. } => Exit::BuildFailed,
                    WatchEnd::TimedOut { .. } => Exit::TimedOut,
                    WatchEnd::Error(_) => Exit::Api,
                });
            }
            WatchEvent::StatusChanged { .. }
            | WatchEvent::Retrying { .. }
            | WatchEvent::NotVisibleYet { .. } => {}
        }
    }
    Ok(exit)
}

/// Records what was seen of `target`'s image under its submission (off the async runtime).
async fn record_status(
    journal: Option<&Journal>,
    target: &Target,
    status: &str,
    image: Option<&Image>,
    is_final: bool,
) -> Result<(), Failure> {
    let (Some(journal), Some(submission)) = (journal, target.submission.clone()) else {
        return Ok(());
    };
    let image_id = target.image_id.clone();
    let status = status.to_string();
    let percent = image.map(|i| i.progress.clone());
    journal
        .off_runtime(move |j| {
            j.status_for(
                &submission,
                &image_id,
                &status,
                percent.as_deref(),
                is_final,
            )
        })
        .await
        .map_err(Failure::local)
}
