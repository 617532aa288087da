//! `ecsimg watch IMAGE_ID... [--resume]`: follow images until they are ready, and the follow-up
//! half of `ecsimg create`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::exit::{Exit, Failure};
use super::history::recover_pending;
use super::output::{OutputFormat, Progress};
use super::session_failure;
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
    /// submissions whose ImageId was never recorded (the same request is sent again with the
    /// same ClientToken, so ECS answers with the image it already made).
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

/// Runs `ecsimg watch`.
pub async fn run(
    args: WatchArgs,
    options: &SessionOptions,
    interrupt: CancellationToken,
) -> Result<Exit, Failure> {
    let session = Session::open(options).await.map_err(session_failure)?;
    let mut progress = Progress::new(args.output);
    let journal = match Journal::open_default(options.sandbox) {
        Ok(journal) => Some(journal),
        Err(e) if args.resume => return Err(Failure::local(e)),
        Err(e) => {
            progress.note(&format!("warning: end states will not be recorded: {e}"));
            None
        }
    };
    let region = session.region().to_string();
    let mut targets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if !args.image_ids.is_empty() {
        targets.insert(region, args.image_ids.clone());
    }
    if let (true, Some(journal)) = (args.resume, &journal) {
        recover_pending(&session, journal, &mut |line| progress.note(&line)).await?;
        let history = journal.read().map_err(Failure::local)?;
        for entry in history.entries.iter().filter(|e| e.is_unfinished()) {
            if let Some(id) = entry.image_id() {
                let ids = targets.entry(entry.submission.region.clone()).or_default();
                if !ids.iter().any(|i| i == id) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    if targets.is_empty() {
        progress.note("nothing to watch: every journal entry has reached an end state");
        return Ok(Exit::Success);
    }
    let mut policy = WatchPolicy {
        // The images named here exist already (or were created moments ago).
        not_found_grace: Duration::from_secs(10),
        ..session.watch_policy()
    };
    policy.timeout = args.timeout.or(policy.timeout);
    follow(
        &session,
        journal.as_ref(),
        targets,
        policy,
        args.output,
        &mut progress,
        interrupt,
    )
    .await
}

/// Watches `targets` (region → ImageIds), shows the events, records end states of journal
/// images, and returns the exit code of the worst outcome. On interrupt, records what was last
/// seen and says how to resume.
pub async fn follow(
    session: &Session,
    journal: Option<&Journal>,
    targets: BTreeMap<String, Vec<String>>,
    policy: WatchPolicy,
    format: OutputFormat,
    progress: &mut Progress,
    interrupt: CancellationToken,
) -> Result<Exit, Failure> {
    let known: HashSet<String> = journal
        .and_then(|j| j.read().ok())
        .map(|h| {
            h.entries
                .iter()
                .filter_map(|e| e.image_id().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let record = |image_id: &str, status: &str, image: Option<&Image>, is_final: bool| {
        if let Some(journal) = journal.filter(|_| known.contains(image_id)) {
            let percent = image.map(|i| i.progress.as_str());
            journal.status(image_id, status, percent, is_final)
        } else {
            Ok(())
        }
    };
    let cancel = CancellationToken::new();
    let mut streams = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for (region, ids) in targets {
        let client = session
            .client_for(&region)
            .map_err(|e| Failure::local(format!("cannot set up the ECS client: {e}")))?;
        pending.extend(ids.iter().cloned());
        streams.push(watch_images(client, ids, policy.clone(), cancel.child_token()).boxed());
    }
    let mut events = futures::stream::select_all(streams);
    let mut last: HashMap<String, Image> = HashMap::new();
    let mut exit = Exit::Success;
    loop {
        let event = tokio::select! {
            biased;
            () = interrupt.cancelled() => {
                cancel.cancel();
                for id in &pending {
                    let seen = last.get(id);
                    let status = seen.map_or("Unknown", |i| i.status.as_str());
                    record(id, status, seen, false).map_err(Failure::local)?;
                }
                return Err(Failure::new(
                    Exit::Interrupted,
                    format!(
                        "interrupted; the build goes on. Resume watching with `ecsimg watch {}`",
                        pending.join(" ")
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
                let image = match &outcome {
                    Outcome::Available(image) => Some(image),
                    Outcome::Failed { image, .. } => image.as_ref(),
                    Outcome::TimedOut { last } => last.as_ref(),
                    Outcome::Error(_) => last.get(&image_id),
                };
                record(&image_id, &outcome.status(), image, outcome.is_final())
                    .map_err(Failure::local)?;
                if format == OutputFormat::Text {
                    println!("{image_id}\t{}", outcome.status());
                }
                pending.retain(|id| *id != image_id);
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
