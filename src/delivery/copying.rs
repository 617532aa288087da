//! Copies: CopyImage to a region (a failed copy deleted first, so a retry makes a new one),
//! then the copy watched in its region until it is Available or failed.

use std::time::{Duration, Instant};

use super::retiring::retire_outcome;
use super::{ActionResult, Deliverer, Event, Run, plan};
use crate::api::ApiError;
use crate::api::model::Image;
use crate::journal::{DeliveryOutcome, Submission};
use crate::submission::is_definite;

impl Deliverer<'_> {
    /// CopyImage to `region`, with the ClientToken the journal recorded when there is one.
    pub(super) async fn copy(
        &self,
        run: &mut Run<'_>,
        submission: &Submission,
        image: &Image,
        region: &str,
    ) -> Option<String> {
        let key = plan::key("copy", region);
        let mut known = run.known.as_ref().and_then(|e| e.delivery(&key)).cloned();
        // A copy that ended CreateFailed goes first; the new one is a new request.
        if let Some(failed) = known.as_ref().and_then(|s| s.failed_copy()) {
            let failed = failed.to_string();
            let call = async {
                let answer = self.client(region)?.delete_image(&failed, false).await;
                retire_outcome(answer.map(drop))
            };
            let what = format!("delete the failed copy {failed} in {region}");
            let discard = format!("{} {failed}", plan::key("discard", region));
            self.step(run, discard, what, region, None, call).await?;
            known = None;
        }
        let client_token = known
            .as_ref()
            .and_then(|s| s.send.client_token.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        // `{date}` is the day the copy was first sent: a resend is the same request, as its
        // ClientToken requires.
        let date = known
            .as_ref()
            .map_or_else(chrono::Utc::now, |s| s.send.time)
            .date_naive();
        let spec = &submission.spec;
        let encrypted = image
            .disk_device_mappings
            .disk_device_mapping
            .iter()
            .any(|d| d.encrypted);
        let request = plan::copy_request(
            spec,
            region,
            &image.image_id,
            encrypted,
            Some(date),
            client_token.clone(),
        );
        let source = spec.region.clone();
        let call = async {
            let (copy, _request_id) = self.client(&source)?.copy_image(&request).await?;
            Ok(DeliveryOutcome::Done {
                image_id: Some(copy),
            })
        };
        let what = format!("copy {} to {region}", image.image_id);
        match self
            .step(run, key, what, &source, Some(client_token), call)
            .await
        {
            Some(DeliveryOutcome::Done { image_id }) => image_id,
            _ => None,
        }
    }

    /// Watches the copy `id` in `region` (one DescribeImages a poll) until it is Available,
    /// failed, or the wait times out.
    pub(super) async fn await_copy(
        &self,
        run: &mut Run<'_>,
        region: &str,
        id: &str,
    ) -> Option<Image> {
        let deadline = self.policy.timeout.map(|t| Instant::now() + t);
        let mut last: Option<(String, String)> = None;
        let mut polls = 0u32;
        let mut missing_since: Option<Instant> = None;
        loop {
            let polled = self.image(region, id).await;
            if !matches!(&polled, Err(ActionResult::Broken(_))) {
                missing_since = None;
            }
            match polled {
                Ok(image) => {
                    let seen = (image.status.clone(), image.progress.clone());
                    if last.as_ref() != Some(&seen) {
                        (run.on)(Event::Copy {
                            region: region.to_string(),
                            image_id: id.to_string(),
                            status: image.status.clone(),
                            progress: image.progress.clone(),
                        });
                        last = Some(seen);
                    }
                    match image.status.as_str() {
                        "Available" => return Some(image),
                        "CreateFailed" | "UnAvailable" => {
                            self.copy_failed(run, region, id, &image.status).await;
                            return None;
                        }
                        _ => {}
                    }
                }
                Err(ActionResult::Failed(ApiError::Cancelled)) => {
                    run.summary.interrupted = true;
                    return None;
                }
                // Refused for good (a permission, a bad region): waiting will not help.
                Err(ActionResult::Failed(e)) if is_definite(&e) => {
                    run.emit(
                        plan::key("copy", region),
                        format!("watch copy {id} in {region}"),
                        ActionResult::Failed(e),
                    );
                    run.summary.unfinished = true;
                    return None;
                }
                // Not listed: a new copy may take a moment to appear; one cancelled or
                // deleted since never will.
                Err(ActionResult::Broken(why)) => {
                    let since = *missing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= self.policy.not_found_grace {
                        run.emit(
                            plan::key("copy", region),
                            format!("watch copy {id} in {region}"),
                            ActionResult::Broken(why),
                        );
                        return None;
                    }
                }
                // A failed poll: look again.
                Err(_) => {}
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                run.emit(
                    plan::key("copy", region),
                    format!("copy {id} in {region}"),
                    ActionResult::Broken(
                        "still copying when the wait timed out; `watch --resume` finishes its \
                         delivery"
                            .into(),
                    ),
                );
                run.summary.unfinished = true;
                return None;
            }
            polls += 1;
            let pause = if polls <= self.policy.quick_polls {
                self.policy.quick_interval
            } else {
                self.policy.poll_interval
            };
            tokio::select! {
                () = self.interrupt.cancelled() => {
                    run.summary.interrupted = true;
                    return None;
                }
                () = tokio::time::sleep(pause.max(Duration::from_millis(50))) => {}
            }
        }
    }

    /// Records that the copy `id` in `region` ended `status`, so a retry replaces it.
    async fn copy_failed(&self, run: &mut Run<'_>, region: &str, id: &str, status: &str) {
        let key = plan::key("copy", region);
        let outcome = DeliveryOutcome::CopyFailed {
            image_id: id.to_string(),
            status: status.to_string(),
        };
        let (submission, k) = (run.submission.clone(), key.clone());
        let journaled = self
            .journal
            .off_runtime(move |j| j.delivery_answered(&submission, &k, &outcome))
            .await;
        let why = match journaled {
            Ok(()) => format!(
                "the copy ended {status}; `watch --resume --retry-failed` deletes it and copies \
                 again"
            ),
            Err(e) => format!("the copy ended {status} (and the journal could not record it: {e})"),
        };
        run.emit(
            key,
            format!("copy {id} in {region}"),
            ActionResult::Broken(why),
        );
    }
}
