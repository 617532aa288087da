//! `ecsimg create --recipe FILE`: validate, confirm, journal, submit, and follow the build.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::deliver::Delivering;
use super::exit::{Exit, Failure, describe_api_error};
use super::follow::{Follow, Target};
use super::output::{OutputFormat, Progress, print_json};
use super::power::Power;
use super::recipe::{self, Override};
use super::{ecsimg_with, open_journal, session_failure};
use crate::api::{ApiError, CreateImageAnswer};
use crate::duration;
use crate::journal::{InstanceStop, Submission};
use crate::session::{Session, SessionOptions};
use crate::spec::stop::mode_name;
use crate::spec::{ImageSpec, RetireAction, Source, StopPlan, to_params};
use crate::submission::{Submitted, Submitter};
use crate::text::escape;

/// Build an image from a recipe.
///
/// Checks the recipe with the same rules as the wizard (every problem names the file, line,
/// key and rule), shows what will be sent and asks for confirmation, records the request in
/// the journal before sending it, then follows the build until the image is Available. With
/// `[source] stop`, a Running instance is stopped first and, with `restart = true`, started
/// again once the image is Available or has failed.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  ecsimg create --recipe web.toml                      # asks before submitting
  ecsimg create --recipe web.toml --dry-run            # ECS checks it; nothing is created
  ecsimg create --recipe web.toml --yes --set image.name=web-{date} --output json
  IMAGE=$(ecsimg create --recipe web.toml --yes --no-wait)

{date} anywhere in the recipe or in --set values becomes today's date (YYYYMMDD).")]
pub struct CreateArgs {
    /// The recipe (TOML) to build; the wizard's review screen saves one.
    #[arg(long, value_name = "FILE")]
    pub recipe: PathBuf,
    /// Override a recipe value by its dotted key, e.g. image.name=web-{date},
    /// tags.env=prod, source.disks[1].size=200 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Override>,
    /// Ask ECS to check the request and the `[delivery]` calls that take DryRun; create
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Submit without asking; required when standard input is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the ImageId and exit once ECS accepted the request; follow the build later with
    /// `ecsimg watch`.
    #[arg(long)]
    pub no_wait: bool,
    /// Stop waiting after this long, e.g. 30m (default: `[watch] timeout` in the config, else
    /// no limit). The image keeps building.
    #[arg(long, value_name = "DURATION", value_parser = duration::flag(duration::WATCH_TIMEOUT))]
    pub timeout: Option<Duration>,
    /// text: progress on stderr and the ImageId on stdout; json: one JSON object per event on
    /// stdout.
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Runs `ecsimg create`.
pub async fn run(
    args: CreateArgs,
    options: &SessionOptions,
    interrupt: CancellationToken,
) -> Result<Exit, Failure> {
    let today = chrono::Local::now().date_naive();
    let spec = recipe::load(&args.recipe, &args.set, today).map_err(Failure::input)?;
    if let Some(region) = options.region.as_deref().filter(|r| *r != spec.region) {
        return Err(Failure::input(format!(
            "the recipe builds in {} but --region says {region}; edit the recipe or pass \
             --set region={region}",
            spec.region
        )));
    }
    if let Some(retire) = spec.delivery.as_ref().and_then(|d| d.retire)
        && retire.action == RetireAction::Delete
        && !args.yes
        && !args.dry_run
    {
        return Err(Failure::input(format!(
            "the recipe's [delivery.retire] deletes older images of the family (keep = {});              deleting cannot be undone, so it runs only with --yes given explicitly. Pass --yes,              or use action = \"deprecate\"",
            retire.keep
        )));
    }
    let mut progress = Progress::new(args.output);
    for warning in recipe::warnings(&spec) {
        progress.note(&warning);
    }
    let session = Session::open(options).await.map_err(session_failure)?;
    // The first interrupt cancels the call in flight at once.
    let client = session
        .client_for(&spec.region)
        .map_err(|e| Failure::local(format!("cannot set up the ECS client: {e}")))?
        .with_cancel(interrupt.clone());
    let endpoint = client.config().endpoint.to_string();
    let params = to_params(&spec);
    let ecsimg = ecsimg_with(options);
    let stop_plan = stop_plan(&spec);

    if args.dry_run {
        if let Some((id, plan)) = &stop_plan {
            progress.note(&format!(
                "note: the recipe stops {id} first when it is Running (StopInstances, {}); \
                 --dry-run checks CreateImage and the delivery only, and stops nothing",
                plan.mode
            ));
        }
        let dry_run = super::dry_run::DryRun {
            spec: &spec,
            session: &session,
            client: &client,
            format: args.output,
            interrupt: &interrupt,
        };
        return dry_run.run(params, &mut progress).await;
    }

    if !args.yes {
        confirm(&spec, &session, &endpoint, &interrupt).await?;
    }
    if interrupt.is_cancelled() {
        return Err(Failure::new(
            Exit::Interrupted,
            "interrupted; nothing was sent to ECS",
        ));
    }
    let journal = open_journal(options, &mut |w| progress.note(w)).map_err(Failure::local)?;
    let mut policy = session.watch_policy();
    policy.timeout = args.timeout.or(policy.timeout);
    // An image check was asked for: its findings are part of the result.
    policy.wait_for_image_check = spec.features.detection_strategy.is_some();
    let submitter = Submitter::new(journal.clone(), client.clone());
    let power = Power {
        submitter: &submitter,
        policy: &policy,
        format: args.output,
        interrupt: &interrupt,
        ecsimg: &ecsimg,
    };
    let stopped = match &stop_plan {
        Some((id, plan)) => {
            power
                .stop_first(&spec.region, id, *plan, &mut progress)
                .await?
        }
        None => None,
    };
    let resume_hint = |stopped: &Option<InstanceStop>| {
        stopped
            .as_ref()
            .map(|s| power.resume_hint(s))
            .unwrap_or_default()
    };
    if interrupt.is_cancelled() {
        return Err(Failure::new(
            Exit::Interrupted,
            format!(
                "interrupted; nothing was sent to ECS.{}",
                resume_hint(&stopped)
            ),
        ));
    }
    let mut submission = Submission::new(&spec, params, endpoint, session.credential_source());
    submission.stop = stopped.as_ref().map(|s| s.id.clone());
    // An interrupt cancels the call; the journal then records that the outcome is open, and
    // `watch --resume` learns it with the same ClientToken.
    let submitted = submitter
        .submit(&submission, || match args.output {
            OutputFormat::Json => print_json(&json!({
                "event": "submitted",
                "submission_id": submission.id,
                "client_token": submission.client_token,
                "region": submission.region,
                "image_name": submission.image_name,
                "journal": journal.path(),
            })),
            OutputFormat::Text => progress.note(&format!(
                "submitting (ClientToken {}, journal {})",
                submission.client_token,
                journal.path().display()
            )),
        })
        .await;
    let (answer, settled) = match submitted {
        Submitted::NotSent { reason } => return Err(Failure::local(reason)),
        Submitted::Sent {
            journal_problem: Some(problem),
            ..
        } => return Err(Failure::local(problem)),
        Submitted::Sent {
            answer, settled, ..
        } => (answer, settled),
    };
    let image_id = match answer {
        Ok(CreateImageAnswer::Created {
            image_id,
            request_id,
            ..
        }) => {
            match args.output {
                OutputFormat::Json => print_json(&json!({
                    "event": "created",
                    "submission_id": submission.id,
                    "image_id": image_id,
                    "request_id": request_id,
                })),
                OutputFormat::Text => {
                    println!("{}", escape(&image_id));
                    progress.note(&format!(
                        "image {image_id} is being created in {} (RequestId {request_id})",
                        spec.region
                    ));
                }
            }
            image_id
        }
        Ok(CreateImageAnswer::DryRunPassed { request_id }) => {
            return Err(Failure::new(
                Exit::Api,
                format!("ECS answered DryRunOperation (RequestId {request_id}) to a real request"),
            ));
        }
        Err(ApiError::Cancelled) => {
            return Err(Failure::new(
                Exit::Interrupted,
                format!(
                    "interrupted while CreateImage was in flight; ECS may have received it. \
                     `{ecsimg} watch --resume` learns its ImageId (same ClientToken, so no \
                     second image).{}",
                    resume_hint(&stopped)
                ),
            ));
        }
        Err(error) => {
            let mut failure = submit_failure(&error, settled, &ecsimg);
            // Refused for good: no image is being built, so the instance may start again.
            let restart = after_build(&power, stopped.as_ref(), settled, &mut progress).await;
            if let Err(more) = restart {
                failure.message.push_str(&format!("\n{}", more.message));
            }
            return Err(failure);
        }
    };
    let resume_hint = format!(
        "follow it with `{ecsimg} watch {image_id} --region {}`",
        spec.region
    );
    if interrupt.is_cancelled() {
        return Err(Failure::new(
            Exit::Interrupted,
            format!("interrupted; the image keeps building: {resume_hint}"),
        ));
    }
    if args.no_wait {
        if args.output == OutputFormat::Text {
            progress.note(&resume_hint);
            if delivers(&spec) {
                progress.note(&format!(
                    "[delivery] runs once the image is Available: `{ecsimg} watch --resume` \
                     follows it and delivers it"
                ));
            }
        }
        after_build(&power, stopped.as_ref(), false, &mut progress).await?;
        return Ok(Exit::Success);
    }
    let target_id = image_id.clone();
    let target = Target {
        region: spec.region.clone(),
        image_id,
        submission: Some(submission.id.clone()),
    };
    let context = Follow {
        session: &session,
        journal: Some(&journal),
        ecsimg: ecsimg.clone(),
        format: args.output,
    };
    let built = super::follow::follow(
        &context,
        vec![target],
        policy.clone(),
        &mut progress,
        interrupt.clone(),
    )
    .await;
    match built {
        Ok(exit) => {
            // Available or failed: the image no longer needs the instance down.
            let ended = matches!(exit, Exit::Success | Exit::BuildFailed);
            let restarted = after_build(&power, stopped.as_ref(), ended, &mut progress).await;
            // The instance first (it waits for nothing more), then delivery, which may take
            // as long as the copies do.
            let delivered = if exit == Exit::Success && delivers(&spec) {
                Delivering {
                    session: &session,
                    journal: &journal,
                    policy: &policy,
                    format: args.output,
                    interrupt: &interrupt,
                    ecsimg: &ecsimg,
                }
                .run(&submission, &target_id, &mut progress)
                .await
            } else {
                exit
            };
            match restarted {
                Ok(()) => Ok(delivered),
                Err(failure) => Err(Failure::new(delivered.worst(failure.exit), failure.message)),
            }
        }
        Err(mut failure) => {
            if let Some(stop) = &stopped {
                failure.message.push_str(&format!(
                    "\n{} stays Stopped.{}",
                    stop.instance_id,
                    power.resume_hint(stop)
                ));
            }
            Err(failure)
        }
    }
}

/// Whether the recipe asks for anything once the image is Available.
fn delivers(spec: &ImageSpec) -> bool {
    spec.delivery.as_ref().is_some_and(|d| !d.is_empty())
}

/// The instance a recipe stops first, and how.
fn stop_plan(spec: &ImageSpec) -> Option<(String, StopPlan)> {
    match (&spec.source, spec.stop) {
        (Source::Instance { instance_id }, Some(plan)) => Some((instance_id.clone(), plan)),
        _ => None,
    }
}

/// After the build (`ended`: the image is Available or failed, or CreateImage was refused):
/// starts the instance ecsimg stopped when the recipe asks for it; otherwise says why it
/// stays stopped.
async fn after_build(
    power: &Power<'_>,
    stopped: Option<&InstanceStop>,
    ended: bool,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let Some(stop) = stopped else {
        return Ok(());
    };
    if !stop.restart {
        power.left_stopped(stop, "the recipe does not say restart = true", progress);
        Ok(())
    } else if !ended {
        let why = format!("its image is still being built.{}", power.resume_hint(stop));
        power.left_stopped(stop, why.trim_end_matches('.'), progress);
        Ok(())
    } else {
        power.restart(stop, progress).await
    }
}

/// The CreateImage failure, with what the journal now knows.
fn submit_failure(error: &ApiError, settled: bool, ecsimg: &str) -> Failure {
    let mut message = format!("CreateImage failed: {}", describe_api_error(error));
    if !settled {
        message.push_str(&format!(
            "\n  ECS may have received the request before this failure. `{ecsimg} watch \
             --resume` sends it again with the same ClientToken and learns its ImageId without \
             creating a second image."
        ));
    }
    Failure::new(Exit::Api, message)
}

/// Shows what will be built and asks; refuses when nobody can answer.
async fn confirm(
    spec: &ImageSpec,
    session: &Session,
    endpoint: &str,
    interrupt: &CancellationToken,
) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::input(
            "refusing to create an image without confirmation: standard input is not a \
             terminal. Pass --yes to submit from a script (check the request first with \
             `ecsimg preview` or --dry-run)",
        ));
    }
    let source = match &spec.source {
        Source::Instance { instance_id } => format!("instance {instance_id}"),
        Source::Snapshot { snapshot_id } => format!("snapshot {snapshot_id}"),
        Source::Disks(disks) => format!("{} mapped disk(s)", disks.len()),
    };
    let power = match stop_plan(spec) {
        Some((id, plan)) => format!(
            "  first, if {id} is Running: StopInstances ({}{}), wait for Stopped\n{}",
            mode_name(plan.mode),
            if plan.force {
                ", FORCED: data not on disk is lost"
            } else {
                ""
            },
            if plan.restart {
                "  after the build (Available or failed): StartInstances, wait for Running\n"
            } else {
                "  the instance stays stopped afterwards (no restart = true)\n"
            }
        ),
        None => String::new(),
    };
    let delivery = crate::delivery::preview(spec);
    let delivery = if delivery.is_empty() {
        String::new()
    } else {
        format!(
            "  once Available, delivery:\n{}",
            delivery
                .iter()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        )
    };
    let summary = format!(
        "Create image {} from {source}\n{power}{delivery}  region {} via {endpoint}\n  credentials: {}\n\
         Submit? [y/N] ",
        spec.image.name.as_deref().unwrap_or("(unnamed)"),
        spec.region,
        session.credential_source(),
    );
    eprint!("{}", crate::text::escape_lines(&summary));
    let _ = std::io::stderr().flush();
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    });
    let line = tokio::select! {
        () = interrupt.cancelled() => None,
        read = answer => read.ok().and_then(Result::ok),
    };
    match line.as_deref().map(|l| l.trim().to_ascii_lowercase()) {
        Some(yes) if yes == "y" || yes == "yes" => Ok(()),
        _ => Err(Failure::new(
            Exit::Interrupted,
            "not submitted; nothing was sent to ECS",
        )),
    }
}
