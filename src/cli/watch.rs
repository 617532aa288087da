//! `ecsimg watch IMAGE_ID... [--resume]`: follow images until they are ready, and the follow-up
//! half of `ecsimg create`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::exit::{Exit, Failure};
use super::output::{OutputFormat, Progress};
use super::resume::{recover_pending, restart_stopped, submission_of, unfinished_targets};
use super::{ecsimg_with, open_journal, session_failure};
use crate::api::model::Image;
use crate::duration;
use crate::journal::Journal;
use crate::session::{Session, SessionOptions};
use crate::watch::{Outcome, WatchEvent, WatchPolicy, watch_images};

/// Follow images until they are Available (or fail).
///
/// Polls DescribeImages with one call per 100 images, quickly at first and then at the
/// configured interval (`[watch] poll_interval`), backing off when throttled. A timeout ends
/// the watch, never the build.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  ecsimg watch m-bp1fyq7bo2ye0xkc9b1n
  ecsimg watch m-bp1aaa m-bp1bbb --region cn-shanghai --timeout 30m
  ecsimg watch --resume            # every unfinished submission in the journal")]
pub struct WatchArgs {
    /// ImageIds to follow (all in --region, or the default region).
    #[arg(value_name = "IMAGE_ID", required_unless_present = "resume")]
    pub image_ids: Vec<String>,
    /// Also follow every journal entry that has not reached an end state, after recovering
    /// submissions whose answer was lost (the same request is sent again with the same
    /// ClientToken, so ECS answers with the image it already made), then start again the
    /// instances ecsimg stopped for images that have ended, when their recipe said
    /// restart = true. The only command that sends anything on the journal's behalf.
    #[arg(long)]
    pub resume: bool,
    /// Stop watching after this long, e.g. 45m or 1h30m (default: `[watch] timeout` in the
    /// config, else no limit). The image keeps building.
    #[arg(long, value_name = "DURATION", value_parser = duration::flag(duration::WATCH_TIMEOUT))]
    pub timeout: Option<Duration>,
    /// text: progress on stderr and `IMAGE_ID STATUS` lines on stdout; json: one JSON object
    /// per event on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

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

/// Runs `ecsimg watch`.
pub async fn run(
    args: WatchArgs,
    options: &SessionOptions,
    interrupt: CancellationToken,
) -> Result<Exit, Failure> {
    let session = Session::open(options).await.map_err(session_failure)?;
    let mut progress = Progress::new(args.output);
    let journal = match open_journal(options, &mut |w| progress.note(w)) {
        Ok(journal) => Some(journal),
        Err(e) if args.resume => return Err(Failure::local(e)),
        Err(e) => {
            progress.note(&format!("warning: end states will not be recorded: {e}"));
            None
        }
    };
    let ecsimg = ecsimg_with(options);
    let region = session.region().to_string();
    let mut targets: Vec<Target> = Vec::new();
    for id in &args.image_ids {
        if targets.iter().any(|t| t.image_id == *id) {
            continue;
        }
        let submission = match &journal {
            Some(j) => submission_of(&session, j, &region, id).await,
            None => None,
        };
        targets.push(Target {
            region: region.clone(),
            image_id: id.clone(),
            submission,
        });
    }
    if let (true, Some(journal)) = (args.resume, &journal) {
        let mut note = |line: String| progress.note(&line);
        recover_pending(&session, journal, &interrupt, &mut note).await?;
        for target in unfinished_targets(&session, journal, &mut note).await? {
            targets.retain(|t| !(t.region == target.region && t.image_id == target.image_id));
            targets.push(target);
        }
    }
    let mut policy = WatchPolicy {
        // The images named here exist already (or were created moments ago).
        not_found_grace: Duration::from_secs(10),
        ..session.watch_policy()
    };
    policy.timeout = args.timeout.or(policy.timeout);
    let mut exit = Exit::Success;
    if targets.is_empty() {
        progress.note("nothing to watch: every journal entry has reached an end state");
    } else {
        let context = Follow {
            session: &session,
            journal: journal.as_ref(),
            ecsimg: ecsimg.clone(),
            format: args.output,
        };
        exit = follow(
            &context,
            targets,
            policy.clone(),
            &mut progress,
            interrupt.clone(),
        )
        .await?;
    }
    // The instances ecsimg stopped for images that have ended now.
    if let (true, Some(journal)) = (args.resume, &journal) {
        let restarted = restart_stopped(
            &session,
            journal,
            &policy,
            args.output,
            &interrupt,
            &ecsimg,
            &mut progress,
        )
        .await?;
        exit = exit.worst(restarted);
    }
    Ok(exit)
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
                    Outcome::Available(image) => Some(image),
                    Outcome::Failed { image, .. } => image.as_ref(),
                    Outcome::TimedOut { last } => last.as_ref(),
                    Outcome::Error(_) => last.get(&image_id),
                };
                record_status(
                    context.journal,
                    target,
                    &outcome.status(),
                    image,
                    outcome.is_final(),
                )
                .await?;
                if matches!(outcome, Outcome::TimedOut { .. } | Outcome::Error(_)) {
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
                    Outcome::Available(_) => Exit::Success,
                    Outcome::Failed { .. } => Exit::BuildFailed,
                    Outcome::TimedOut { .. } => Exit::TimedOut,
                    Outcome::Error(_) => Exit::Api,
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
