//! Delivery: what happens to an image once it is Available, as the recipe's `[delivery]` asks
//! (README, "Delivery"): CopyImage to each region (then the copy watched in its region until
//! Available, and given the image's family there), the image and every copy shared, their
//! snapshots tagged with the image's tags, and older images of the family retired in every
//! region the image was delivered to.
//!
//! Every call goes through [`Deliverer::step`], the one place that records it in the journal
//! (synced) before it is sent and records what it came to after, as `crate::submission` does
//! for CreateImage. A CopyImage carries a ClientToken the journal keeps, so a resend — after a
//! crash, by `ecsimg watch --resume` — is the same copy, never a second one. Shares and tags
//! are idempotent; retirements are decided afresh from DescribeImages on every run. A failed
//! action is sent again by `watch --resume --retry-failed`; a copy that ended CreateFailed is
//! deleted first and made again under a new ClientToken.
//!
//! One action failing is reported (with its ApiError, for the caller to explain) and does not
//! stop or undo the others.

mod clients;
mod copying;
mod dry_run;
mod plan;
mod retiring;
/// The journal key of an action, for a face that shows the plan before it runs.
pub use plan::key;

pub use clients::RegionalClients;
pub use dry_run::{AT_ONCE, Check, CheckOutcome, PLACEHOLDER_ID, dry_run};
pub use plan::{
    NEW_IMAGE, PlannedCall, Purpose, Retirement, copy_placeholder, family_query, plan, preview,
    regions, retirements,
};

use std::future::Future;

use tokio_util::sync::CancellationToken;

use crate::api::model::{Image, ImageQuery};
use crate::api::{ApiError, Client, ImageChange};
use crate::journal::{DeliveryOutcome, DeliverySend, Entry, Journal, Submission};
use crate::spec::DeliverySpec;
use crate::submission::is_definite;
use crate::watch::WatchPolicy;

/// Test-only hook (documented in the report, not in `--help`): when set, delivery stops for
/// good right after a CopyImage answered and before the answer is journaled, after printing
/// [`PAUSE_COPY_MARKER`] on stderr, so a test can `kill -9` the process at exactly that point.
pub const PAUSE_AFTER_COPY_ENV: &str = "ECSIMG_TEST_PAUSE_AFTER_COPY";
pub const PAUSE_COPY_MARKER: &str = "test hook: paused after CopyImage was sent";

/// The client for a region: the same credentials and endpoint rules, that region's `RegionId`.
pub type Clients<'a> = &'a (dyn Fn(&str) -> Result<Client, ApiError> + Sync);

/// What one action came to.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionResult {
    /// Done now; for a copy, the new image's ID.
    Done(Option<String>),
    /// The journal says an earlier run did it.
    AlreadyDone(Option<String>),
    /// A retirement candidate left alone, and why.
    LeftAlone(String),
    /// The call failed (an ApiError the caller explains).
    Failed(ApiError),
    /// It failed without a call failing (a copy that ended in CreateFailed, a wait that timed
    /// out, the journal refusing a record).
    Broken(String),
}

/// What delivery reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An action ended. `key` names it (`copy cn-beijing`), `what` says it in words.
    Action {
        key: String,
        what: String,
        result: ActionResult,
    },
    /// A copy's state changed while it was watched.
    Copy {
        region: String,
        image_id: String,
        status: String,
        progress: String,
    },
}

/// The totals of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub done: usize,
    pub failed: usize,
    pub left_alone: usize,
    /// Something is left for `watch --resume`: an answer that left open whether ECS acted, a
    /// copy still building at the timeout, an interrupt.
    pub unfinished: bool,
    pub interrupted: bool,
}

/// Delivers images: the journal its calls are recorded in, clients per region, how copies
/// are watched.
pub struct Deliverer<'a> {
    pub journal: &'a Journal,
    pub clients: Clients<'a>,
    pub policy: &'a WatchPolicy,
    pub interrupt: &'a CancellationToken,
}

/// One run's state: what the journal knew when it began, the totals, where events go.
struct Run<'r> {
    submission: String,
    known: Option<Entry>,
    summary: Summary,
    on: &'r mut (dyn FnMut(Event) + Send),
}

impl Run<'_> {
    fn emit(&mut self, key: String, what: String, result: ActionResult) {
        match &result {
            ActionResult::Done(_) | ActionResult::AlreadyDone(_) => self.summary.done += 1,
            ActionResult::LeftAlone(_) => self.summary.left_alone += 1,
            ActionResult::Failed(_) | ActionResult::Broken(_) => self.summary.failed += 1,
        }
        (self.on)(Event::Action { key, what, result });
    }
}

impl Deliverer<'_> {
    /// Delivers the image `image_id` of `submission` (Available in the submission's region)
    /// as its spec's `[delivery]` says, skipping what the journal records as done. Records
    /// the end of the delivery unless something is left for a resume.
    pub async fn deliver(
        &self,
        submission: &Submission,
        image_id: &str,
        on: &mut (dyn FnMut(Event) + Send),
    ) -> Summary {
        let spec = &submission.spec;
        let Some(delivery) = spec.delivery.as_ref().filter(|d| !d.is_empty()) else {
            return Summary::default();
        };
        // What earlier runs did, a copy's ClientToken above all: without it a resend could
        // make a second copy, so an unreadable journal stops the delivery here.
        let history = self.journal.off_runtime(|j| j.read()).await;
        let known = match history {
            Ok(history) => history
                .entries
                .into_iter()
                .find(|e| e.submission.id == submission.id),
            Err(e) => {
                let mut summary = Summary {
                    failed: 1,
                    unfinished: true,
                    ..Summary::default()
                };
                summary.interrupted = self.interrupt.is_cancelled();
                on(Event::Action {
                    key: "journal".into(),
                    what: "read the journal before delivering".into(),
                    result: ActionResult::Broken(e.to_string()),
                });
                return summary;
            }
        };
        let mut run = Run {
            submission: submission.id.clone(),
            known,
            summary: Summary::default(),
            on,
        };
        let source = &spec.region;
        let image = match self.image(source, image_id).await {
            Ok(image) => image,
            Err(result) => {
                run.emit(
                    plan::key("read", source),
                    format!("read image {image_id} in {source}"),
                    result,
                );
                run.summary.unfinished = true;
                return run.summary;
            }
        };

        self.in_region(&mut run, delivery, source, &image, spec.tags_as_pairs())
            .await;
        let mut delivered = vec![(source.clone(), image.image_id.clone())];
        // One copy at a time: ECS refuses a second copy of an image while one is running
        // (OperationDenied.ImageCopyConflict).
        for region in &delivery.copy_to {
            if self.interrupt.is_cancelled() {
                break;
            }
            let Some(copy_id) = self.copy(&mut run, submission, &image, region).await else {
                continue;
            };
            let Some(copy) = self.await_copy(&mut run, region, &copy_id).await else {
                if run.summary.interrupted {
                    break;
                }
                continue;
            };
            // A copy does not inherit the family; it joins it here, so that the family
            // resolves in that region too.
            let family = spec.image.family.as_ref();
            let in_family = match family {
                Some(family) => {
                    let change = ImageChange::Family(family.clone());
                    let call = async {
                        self.client(region)?
                            .modify_image(&copy.image_id, &change)
                            .await
                    };
                    let what = format!("put copy {} in family {family} in {region}", copy.image_id);
                    self.step(
                        &mut run,
                        plan::key("family", region),
                        what,
                        region,
                        None,
                        done(call),
                    )
                    .await
                    .is_some()
                }
                None => false,
            };
            self.in_region(&mut run, delivery, region, &copy, spec.tags_as_pairs())
                .await;
            if in_family {
                delivered.push((region.clone(), copy.image_id.clone()));
            }
        }
        if let (Some(retire), Some(family)) = (delivery.retire, &spec.image.family) {
            for (region, new_id) in &delivered {
                if self.interrupt.is_cancelled() {
                    break;
                }
                self.retire(&mut run, region, family, new_id, retire).await;
            }
        }

        run.summary.interrupted |= self.interrupt.is_cancelled();
        let summary = run.summary;
        if !summary.unfinished && !summary.interrupted {
            let (id, failed) = (submission.id.clone(), summary.failed);
            if let Err(e) = self
                .journal
                .off_runtime(move |j| j.delivery_ended(&id, failed))
                .await
            {
                run.emit(
                    "end".into(),
                    "record the end of the delivery".into(),
                    ActionResult::Broken(e.to_string()),
                );
                return run.summary;
            }
        }
        summary
    }

    fn client(&self, region: &str) -> Result<Client, ApiError> {
        Ok((self.clients)(region)?.with_cancel(self.interrupt.clone()))
    }

    /// The image `image_id` in `region`, in whatever state it is.
    async fn image(&self, region: &str, image_id: &str) -> Result<Image, ActionResult> {
        let client = self.client(region).map_err(ActionResult::Failed)?;
        let rows = client
            .describe_images_all(&ImageQuery::watching([image_id]))
            .await
            .map_err(ActionResult::Failed)?;
        rows.into_iter()
            .find(|i| i.image_id == image_id)
            .ok_or_else(|| ActionResult::Broken(format!("{image_id} is not listed in {region}")))
    }

    /// Sharing and snapshot tags of `image` (the new image, or its copy) in `region`.
    async fn in_region(
        &self,
        run: &mut Run<'_>,
        delivery: &DeliverySpec,
        region: &str,
        image: &Image,
        tags: Vec<(String, String)>,
    ) {
        let id = &image.image_id;
        if !delivery.share_with.is_empty() {
            let call = async {
                self.client(region)?
                    .share_image(id, &delivery.share_with)
                    .await
            };
            let what = format!(
                "share {id} in {region} with {}",
                delivery.share_with.join(", ")
            );
            self.step(
                run,
                plan::key("share", region),
                what,
                region,
                None,
                done(call),
            )
            .await;
        }
        let snapshots: Vec<String> = image
            .disk_device_mappings
            .disk_device_mapping
            .iter()
            .map(|d| d.snapshot_id.clone())
            .filter(|s| !s.is_empty())
            .collect();
        if delivery.tag_snapshots && !tags.is_empty() && !snapshots.is_empty() {
            let call = async {
                self.client(region)?
                    .tag_resources("snapshot", &snapshots, &tags)
                    .await
            };
            let what = format!(
                "tag the snapshots of {id} in {region} ({})",
                snapshots.join(", ")
            );
            self.step(
                run,
                plan::key("tag", region),
                what,
                region,
                None,
                done(call),
            )
            .await;
        }
    }

    /// The one place a delivery call is made: skipped when the journal has it done, else
    /// recorded (synced) before `call` is sent and its outcome recorded after.
    async fn step(
        &self,
        run: &mut Run<'_>,
        key: String,
        what: String,
        region: &str,
        client_token: Option<String>,
        call: impl Future<Output = Result<DeliveryOutcome, ApiError>>,
    ) -> Option<DeliveryOutcome> {
        if let Some(state) = run
            .known
            .as_ref()
            .and_then(|e| e.delivery(&key))
            .filter(|s| s.is_settled())
        {
            let outcome = state.outcome.clone();
            let detail = state.copy_id().map(str::to_string);
            run.emit(key, what, ActionResult::AlreadyDone(detail));
            return outcome;
        }
        if self.interrupt.is_cancelled() {
            run.summary.interrupted = true;
            return None;
        }
        let send = DeliverySend {
            submission: run.submission.clone(),
            key: key.clone(),
            time: chrono::Utc::now(),
            region: region.to_string(),
            client_token,
        };
        if let Err(e) = self
            .journal
            .off_runtime(move |j| j.delivery_sending(&send))
            .await
        {
            let why = format!("not sent: the journal could not record it ({e})");
            run.emit(key, what, ActionResult::Broken(why));
            return None;
        }
        let answer = call.await;
        if key.starts_with("copy ") && std::env::var_os(PAUSE_AFTER_COPY_ENV).is_some() {
            eprintln!("{PAUSE_COPY_MARKER}");
            std::future::pending::<()>().await;
        }
        let outcome = match &answer {
            Ok(outcome) => outcome.clone(),
            Err(e) if is_definite(e) => DeliveryOutcome::Failed {
                reason: e.to_string(),
                code: e.code().map(str::to_string),
            },
            Err(e) => DeliveryOutcome::Unsettled {
                reason: e.to_string(),
            },
        };
        let (id, k, recorded) = (run.submission.clone(), key.clone(), outcome.clone());
        let journaled = self
            .journal
            .off_runtime(move |j| j.delivery_answered(&id, &k, &recorded))
            .await;
        if matches!(outcome, DeliveryOutcome::Unsettled { .. }) || journaled.is_err() {
            run.summary.unfinished = true;
        }
        if matches!(answer, Err(ApiError::Cancelled)) {
            run.summary.interrupted = true;
        }
        let result = match (answer, &outcome) {
            (Err(e), _) => ActionResult::Failed(e),
            (Ok(_), DeliveryOutcome::LeftAlone { reason }) => {
                ActionResult::LeftAlone(reason.clone())
            }
            (Ok(_), DeliveryOutcome::Done { image_id }) => ActionResult::Done(image_id.clone()),
            (Ok(_), _) => ActionResult::Done(None),
        };
        run.emit(key, what, result);
        match outcome {
            DeliveryOutcome::Done { .. } | DeliveryOutcome::LeftAlone { .. } => Some(outcome),
            _ => None,
        }
    }
}

/// A call that answers nothing but success.
async fn done(
    call: impl Future<Output = Result<(), ApiError>>,
) -> Result<DeliveryOutcome, ApiError> {
    call.await?;
    Ok(DeliveryOutcome::Done { image_id: None })
}
