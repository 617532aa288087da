//! `ecsimg watch IMAGE_ID... [--resume]`: follow images until they are ready, and the follow-up
//! half of `ecsimg create`.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::deliver::Delivering;
use super::exit::{Exit, Failure};
use super::follow::{Follow, Target, follow};
use super::output::{OutputFormat, Progress};
use super::resume::{
    deliver_due, recover_pending, restart_stopped, submission_of, unfinished_targets,
};
use super::{ecsimg_with, open_journal, session_failure};
use crate::duration;
use crate::session::{Session, SessionOptions};
use crate::watch::WatchPolicy;

/// Follow images until they are Available (or fail).
///
/// Polls DescribeImages with one call per 100 images, quickly at first and then at the
/// configured interval (`[watch] poll_interval`), backing off when throttled. A timeout ends
/// the watch, never the build.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  ecsimg watch m-bp1fyq7bo2ye0xkc9b1n
  ecsimg watch m-bp1aaa m-bp1bbb --region cn-shanghai --timeout 30m
  ecsimg watch --resume            # every unfinished submission in the journal
  ecsimg watch --resume --retry-failed   # and deliveries that ended with failures")]
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
    /// With --resume: also deliver again the images whose delivery ended with failed actions
    /// (`ecsimg history` counts them), once their cause is fixed. What was done is skipped;
    /// each failed action is sent again, a copy with its recorded ClientToken.
    #[arg(long, requires = "resume")]
    pub retry_failed: bool,
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
    // The instances ecsimg stopped for images that have ended now, then the deliveries of
    // Available images that have not run to their end.
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
        let delivering = Delivering {
            session: &session,
            journal,
            policy: &policy,
            format: args.output,
            interrupt: &interrupt,
            ecsimg: &ecsimg,
        };
        exit = exit.worst(deliver_due(&delivering, args.retry_failed, &mut progress).await?);
    }
    Ok(exit)
}
