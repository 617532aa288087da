//! Stopping the source instance before CreateImage and starting it again after, for `create`
//! and `watch --resume`.
//!
//! Only a Running instance is stopped, and only an instance ecsimg stopped is started again:
//! the stop is journaled (synced) before StopInstances is sent, the start once StartInstances
//! was accepted — both by [`Submitter`], the one path for requests that change the account.
//! Each wait polls DescribeInstances, is bounded by the watch timeout (or
//! [`DEFAULT_WAIT`]) and ends at the first interrupt. Progress goes through [`Progress`]:
//! lines on stderr, or JSON events with `--output json`.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::exit::{Exit, Failure, describe_api_error};
use super::output::{OutputFormat, Progress, print_json};
use crate::api::ApiError;
use crate::api::StoppedMode;
use crate::api::model::{Instance, InstanceQuery};
use crate::duration::humane;
use crate::journal::InstanceStop;
use crate::spec::StopPlan;
use crate::spec::stop::mode_meaning;
use crate::submission::{PowerAnswer, Submitter};
use crate::watch::WatchPolicy;

/// How long a stop or a start is waited for when no watch timeout is set.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10 * 60);

/// What the power calls work with.
pub struct Power<'a> {
    /// Sends the stop and the start through the journal; its client also looks.
    pub submitter: &'a Submitter,
    pub policy: &'a WatchPolicy,
    pub format: OutputFormat,
    pub interrupt: &'a CancellationToken,
    /// `ecsimg` with the global options, for hints.
    pub ecsimg: &'a str,
}

/// Why a wait ended without the status it waited for.
enum WaitEnd {
    TimedOut(String),
    Gone,
    Interrupted,
    Failed(ApiError),
}

impl Power<'_> {
    fn event(&self, progress: &mut Progress, value: serde_json::Value, line: &str) {
        match self.format {
            OutputFormat::Json => print_json(&value),
            OutputFormat::Text => progress.note(line),
        }
    }

    fn bound(&self) -> Duration {
        self.policy.timeout.unwrap_or(DEFAULT_WAIT)
    }

    /// The instance as DescribeInstances lists it now (`None`: not listed).
    async fn look(&self, instance_id: &str) -> Result<Option<Instance>, ApiError> {
        let rows = self
            .submitter
            .client()
            .describe_instances_all(&InstanceQuery::one(instance_id))
            .await?;
        Ok(rows.into_iter().find(|i| i.instance_id == instance_id))
    }

    /// Polls until the instance is `target`, showing each status it passes through.
    async fn wait_for(
        &self,
        instance_id: &str,
        target: &str,
        mut last: String,
        progress: &mut Progress,
    ) -> Result<Instance, WaitEnd> {
        let started = Instant::now();
        let deadline = started + self.bound();
        let mut polls: u32 = 0;
        loop {
            let pause = if polls < self.policy.quick_polls {
                self.policy.quick_interval
            } else {
                self.policy.poll_interval
            };
            if Instant::now() + pause > deadline {
                return Err(WaitEnd::TimedOut(last));
            }
            tokio::select! {
                biased;
                () = self.interrupt.cancelled() => return Err(WaitEnd::Interrupted),
                () = tokio::time::sleep(pause) => {}
            }
            polls += 1;
            let row = match self.look(instance_id).await {
                Ok(Some(row)) => row,
                Ok(None) => return Err(WaitEnd::Gone),
                Err(ApiError::Cancelled) => return Err(WaitEnd::Interrupted),
                Err(e) => return Err(WaitEnd::Failed(e)),
            };
            if row.status != last {
                let elapsed = started.elapsed().as_secs_f64();
                self.event(
                    progress,
                    json!({"event": "instance_status", "instance_id": instance_id,
                           "status": row.status, "elapsed_secs": (elapsed * 10.0).round() / 10.0}),
                    &format!("instance {instance_id}: {}", row.status),
                );
                last = row.status.clone();
            }
            if row.status == target {
                return Ok(row);
            }
        }
    }

    /// Stops the source instance when it is Running; returns the journaled stop, or `None`
    /// when ecsimg did not stop it (it was not Running), so it will not start it either.
    pub async fn stop_first(
        &self,
        region: &str,
        instance_id: &str,
        plan: StopPlan,
        progress: &mut Progress,
    ) -> Result<Option<InstanceStop>, Failure> {
        let Some(now) = self
            .look(instance_id)
            .await
            .map_err(|e| self.failed("Looking at the instance before stopping it", e))?
        else {
            return Err(Failure::new(
                Exit::Api,
                format!(
                    "DescribeInstances does not list {instance_id} in {region}; check \
                     source.instance_id and the region"
                ),
            ));
        };
        match now.status.as_str() {
            "Running" => {}
            "Stopping" => {
                self.left_alone(progress, instance_id, &now.status, "it is stopping already (not by ecsimg); waiting for Stopped, and it will not be started again");
                self.wait_for(instance_id, "Stopped", now.status, progress)
                    .await
                    .map_err(|end| self.wait_failure(instance_id, "Stopped", end, None))?;
                return Ok(None);
            }
            status => {
                let why = if status == "Stopped" {
                    "it is Stopped already, so ecsimg neither stops it nor starts it again"
                } else {
                    "ecsimg stops only a Running instance; CreateImage decides"
                };
                self.left_alone(progress, instance_id, status, why);
                return Ok(None);
            }
        }
        let endpoint = self.submitter.client().config().endpoint.to_string();
        let stop = InstanceStop::new(region, &endpoint, instance_id, plan);
        let applies = plan.mode == StoppedMode::KeepCharging || now.economical_mode_applies();
        let mut line = format!(
            "stopping {instance_id} (StopInstances, {}, {}): {}",
            plan.mode,
            if plan.force {
                "forced"
            } else {
                "clean shutdown"
            },
            mode_meaning(plan.mode)
        );
        if !applies {
            line.push_str(" It is not pay-as-you-go in a VPC, so it stops in KeepCharging.");
        }
        let said = json!({"event": "instance_stopping", "instance_id": instance_id,
                          "stopped_mode": plan.mode.as_str(), "force": plan.force,
                          "restart": plan.restart, "stop_id": stop.id});
        // Journaled, then said, then sent; a refusal for good is recorded.
        match self
            .submitter
            .stop_instance(&stop, || self.event(progress, said, &line))
            .await
            .map_err(Failure::local)?
        {
            PowerAnswer::Accepted => {}
            PowerAnswer::Refused { code, message } => {
                return Err(Failure::new(
                    Exit::Api,
                    format!(
                        "StopInstances refused {instance_id}: {code} {message}; nothing was \
                         created"
                    ),
                ));
            }
            PowerAnswer::Failed(ApiError::Cancelled) => {
                return Err(Failure::new(
                    Exit::Interrupted,
                    format!(
                        "interrupted while StopInstances was in flight; {instance_id} may be \
                         stopping. Nothing was created.{}",
                        self.resume_hint(&stop)
                    ),
                ));
            }
            PowerAnswer::Failed(e) => {
                return Err(self.failed("StopInstances failed; nothing was created", e));
            }
        }
        let stopped = self
            .wait_for(instance_id, "Stopped", "Running".into(), progress)
            .await
            .map_err(|end| self.wait_failure(instance_id, "Stopped", end, Some(&stop)))?;
        self.event(
            progress,
            json!({"event": "instance_stopped", "instance_id": instance_id,
                   "stopped_mode": stopped.stopped_mode}),
            &format!(
                "{instance_id} is Stopped ({}); creating the image",
                if stopped.stopped_mode.is_empty() {
                    plan.mode.as_str()
                } else {
                    &stopped.stopped_mode
                }
            ),
        );
        Ok(Some(stop))
    }

    /// Starts the instance of `stop` again and waits until it is Running; records the start
    /// in the journal once StartInstances was accepted (or the instance runs already).
    pub async fn restart(
        &self,
        stop: &InstanceStop,
        progress: &mut Progress,
    ) -> Result<(), Failure> {
        let id = stop.instance_id.as_str();
        let mut now = match self.look(id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                self.record_started(stop).await?;
                self.left_alone(
                    progress,
                    id,
                    "",
                    "DescribeInstances no longer lists it (released?); nothing to start",
                );
                return Ok(());
            }
            Err(e) => return Err(self.failed("Looking at the instance before starting it", e)),
        };
        if now.status == "Stopping" {
            now = self
                .wait_for(id, "Stopped", now.status, progress)
                .await
                .map_err(|end| self.wait_failure(id, "Stopped", end, Some(stop)))?;
        }
        if now.status != "Stopped" {
            self.record_started(stop).await?;
            self.left_alone(
                progress,
                id,
                &now.status,
                "it is not Stopped any more (started elsewhere?); nothing to start",
            );
            return Ok(());
        }
        self.event(
            progress,
            json!({"event": "instance_starting", "instance_id": id, "stop_id": stop.id}),
            &format!("starting {id} again (StartInstances), as the recipe asks"),
        );
        // Recorded as started once it was accepted.
        match self
            .submitter
            .start_instance(stop)
            .await
            .map_err(Failure::local)?
        {
            PowerAnswer::Accepted => {}
            PowerAnswer::Refused { code, message } => {
                return Err(Failure::new(
                    Exit::Api,
                    format!(
                        "StartInstances refused {id}: {code} {message}; it stays Stopped.{}",
                        self.resume_hint(stop)
                    ),
                ));
            }
            PowerAnswer::Failed(ApiError::Cancelled) => {
                return Err(Failure::new(
                    Exit::Interrupted,
                    format!(
                        "interrupted while StartInstances was in flight; {id} may be starting.{}",
                        self.resume_hint(stop)
                    ),
                ));
            }
            PowerAnswer::Failed(e) => {
                return Err(self.failed(
                    &format!(
                        "StartInstances failed; {id} stays Stopped.{}",
                        self.resume_hint(stop)
                    ),
                    e,
                ));
            }
        }
        self.wait_for(id, "Running", "Stopped".into(), progress)
            .await
            .map_err(|end| self.wait_failure(id, "Running", end, None))?;
        self.event(
            progress,
            json!({"event": "instance_running", "instance_id": id}),
            &format!("{id} is Running again"),
        );
        Ok(())
    }

    /// Says that the instance of `stop` stays stopped, and why.
    pub fn left_stopped(&self, stop: &InstanceStop, why: &str, progress: &mut Progress) {
        let id = &stop.instance_id;
        self.event(
            progress,
            json!({"event": "instance_left_stopped", "instance_id": id, "reason": why}),
            &format!("{id} stays Stopped: {why}"),
        );
    }

    fn left_alone(&self, progress: &mut Progress, instance_id: &str, status: &str, why: &str) {
        self.event(
            progress,
            json!({"event": "instance_left_alone", "instance_id": instance_id,
                   "status": status, "reason": why}),
            &format!("instance {instance_id}: {why}"),
        );
    }

    /// The instance runs already, or is gone: ecsimg will not start it.
    async fn record_started(&self, stop: &InstanceStop) -> Result<(), Failure> {
        self.submitter
            .no_start_needed(stop)
            .await
            .map_err(Failure::local)
    }

    /// ` \`ecsimg watch --resume\` starts it again …` when the recipe asked for a restart.
    pub fn resume_hint(&self, stop: &InstanceStop) -> String {
        if stop.restart {
            format!(
                " `{} watch --resume` starts {} again once its image is done (ecsimg stopped it \
                 and the recipe asks for restart).",
                self.ecsimg, stop.instance_id
            )
        } else {
            String::new()
        }
    }

    fn failed(&self, doing: &str, error: ApiError) -> Failure {
        match error {
            ApiError::Cancelled => Failure::new(Exit::Interrupted, format!("interrupted: {doing}")),
            e => Failure::new(Exit::Api, format!("{doing}: {}", describe_api_error(&e))),
        }
    }

    fn wait_failure(
        &self,
        instance_id: &str,
        target: &str,
        end: WaitEnd,
        stop: Option<&InstanceStop>,
    ) -> Failure {
        let hint = stop.map(|s| self.resume_hint(s)).unwrap_or_default();
        match end {
            WaitEnd::TimedOut(last) => Failure::new(
                Exit::TimedOut,
                format!(
                    "{instance_id} is still {last} after {}, not {target}; stopped waiting.{hint}",
                    humane(self.bound())
                ),
            ),
            WaitEnd::Gone => Failure::new(
                Exit::Api,
                format!("{instance_id} is no longer listed by DescribeInstances (released?)"),
            ),
            WaitEnd::Interrupted => Failure::new(
                Exit::Interrupted,
                format!("interrupted while waiting for {instance_id} to be {target}.{hint}"),
            ),
            WaitEnd::Failed(e) => Failure::new(
                Exit::Api,
                format!(
                    "Waiting for {instance_id} to be {target} failed: {}{hint}",
                    describe_api_error(&e)
                ),
            ),
        }
    }
}
