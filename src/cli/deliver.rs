//! Delivery from the command line: `ecsimg create` runs it once the image is Available, and
//! `ecsimg watch --resume` finishes the ones a crash or a timeout cut short. One line per
//! action (a JSON object with `--output json`), and the exit code says whether all went.

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::exit::{Exit, describe_api_error};
use super::output::{OutputFormat, Progress, print_json};
use crate::delivery::{ActionResult, Deliverer, Event, RegionalClients, Summary};
use crate::journal::{Journal, Submission};
use crate::session::Session;
use crate::spec::ImageSpec;
use crate::watch::WatchPolicy;

/// What delivering needs from the command.
pub struct Delivering<'a> {
    pub session: &'a Session,
    pub journal: &'a Journal,
    pub policy: &'a WatchPolicy,
    pub format: OutputFormat,
    pub interrupt: &'a CancellationToken,
    pub ecsimg: &'a str,
}

impl Delivering<'_> {
    /// Delivers `image_id` of `submission`; the exit this part of the command ends with.
    pub async fn run(
        &self,
        submission: &Submission,
        image_id: &str,
        progress: &mut Progress,
    ) -> Exit {
        let regional = regional_clients(self.session, &submission.spec);
        let clients = |region: &str| regional.get(region);
        let deliverer = Deliverer {
            journal: self.journal,
            clients: &clients,
            policy: self.policy,
            interrupt: self.interrupt,
        };
        let format = self.format;
        let summary = deliverer
            .deliver(submission, image_id, &mut |event| {
                line(&event, format).print(progress)
            })
            .await;
        self.finish(summary, image_id, progress)
    }

    fn finish(&self, summary: Summary, image_id: &str, progress: &mut Progress) -> Exit {
        let Summary {
            done,
            failed,
            left_alone,
            unfinished,
            interrupted,
        } = summary;
        match self.format {
            OutputFormat::Json => print_json(&json!({
                "event": "delivery_ended",
                "image_id": image_id,
                "done": done,
                "failed": failed,
                "left_alone": left_alone,
                "unfinished": unfinished || interrupted,
            })),
            OutputFormat::Text => progress.note(&format!(
                "delivery of {image_id}: {done} done, {failed} failed, {left_alone} left alone{}",
                if unfinished || interrupted {
                    format!("; `{} watch --resume` finishes what is left", self.ecsimg)
                } else if failed > 0 {
                    format!(
                        "; once the cause is fixed, `{} watch --resume --retry-failed` sends \
                         the failed actions again",
                        self.ecsimg
                    )
                } else {
                    String::new()
                }
            )),
        }
        if interrupted {
            Exit::Interrupted
        } else if failed > 0 {
            Exit::DeliveryFailed
        } else {
            Exit::Success
        }
    }
}

/// A client for each region the delivery of `spec` works in, for the whole delivery (or its
/// DryRun), so each region's connections are reused.
pub fn regional_clients(session: &Session, spec: &ImageSpec) -> RegionalClients {
    RegionalClients::new(crate::delivery::regions(spec), |region| {
        session.client_for(region)
    })
}

/// One event, ready to print.
enum Line {
    Text(String),
    Json(Value),
}

impl Line {
    fn print(self, progress: &mut Progress) {
        match self {
            Line::Text(text) => progress.note(&text),
            Line::Json(value) => print_json(&value),
        }
    }
}

fn line(event: &Event, format: OutputFormat) -> Line {
    match (event, format) {
        (
            Event::Copy {
                region,
                image_id,
                status,
                progress,
            },
            OutputFormat::Text,
        ) => Line::Text(format!(
            "delivery: copy {image_id} in {region}: {status} {progress}"
        )),
        (
            Event::Copy {
                region,
                image_id,
                status,
                progress,
            },
            OutputFormat::Json,
        ) => Line::Json(json!({
            "event": "delivery_copy", "region": region, "image_id": image_id,
            "status": status, "progress": progress,
        })),
        (Event::Action { what, result, .. }, OutputFormat::Text) => {
            let outcome = match result {
                ActionResult::Done(Some(id)) => format!("done ({id})"),
                ActionResult::Done(None) => "done".into(),
                ActionResult::AlreadyDone(Some(id)) => format!("done earlier ({id})"),
                ActionResult::AlreadyDone(None) => "done earlier".into(),
                ActionResult::LeftAlone(why) => format!("left alone: {why}"),
                ActionResult::Failed(e) => format!("FAILED: {}", describe_api_error(e)),
                ActionResult::Broken(why) => format!("FAILED: {why}"),
            };
            Line::Text(format!("delivery: {what}: {outcome}"))
        }
        (Event::Action { key, what, result }, OutputFormat::Json) => {
            let (name, image_id, reason, code) = match result {
                ActionResult::Done(id) => ("done", id.clone(), None, None),
                ActionResult::AlreadyDone(id) => ("already_done", id.clone(), None, None),
                ActionResult::LeftAlone(why) => ("left_alone", None, Some(why.clone()), None),
                ActionResult::Failed(e) => (
                    "failed",
                    None,
                    Some(describe_api_error(e)),
                    e.code().map(str::to_string),
                ),
                ActionResult::Broken(why) => ("failed", None, Some(why.clone()), None),
            };
            Line::Json(json!({
                "event": "delivery", "action": key, "what": what, "result": name,
                "image_id": image_id, "reason": reason, "code": code,
            }))
        }
    }
}
