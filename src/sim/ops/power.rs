//! StopInstances and StartInstances: batches of 1–100 `InstanceId.N`. With
//! `BatchOptimization=SuccessFirst` each instance gets its own result; with `AllTogether` (the
//! default) the first refusal fails the call and nothing changes.
//!
//! References (ECS 2014-05-26):
//! <https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-stopinstances>,
//! <https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-startinstances>
//! and, for the error codes StartInstances shares with it, StartInstance
//! <https://www.alibabacloud.com/help/doc-detail/25500.htm>.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Instance, InstanceStatus, Region, State, StoppedMode, Timeline};
use super::json::Wrapped;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Most instances one call may name.
const MAX_INSTANCES: usize = 100;

/// StopInstances: Running → Stopping → Stopped over `stop_seconds` (`force_stop_seconds` with
/// `ForceStop=true`). `StoppedMode=StopCharging` (economical mode) applies to pay-as-you-go VPC
/// instances and releases a public IP that is not an EIP; other instances stop in
/// `KeepCharging`, without an error, as ECS does. Without `StoppedMode` the sandbox account has
/// economical mode off, so the default is `KeepCharging`.
pub fn stop(
    state: &mut State,
    now: DateTime<Utc>,
    params: &Params,
) -> Result<BatchAnswer, SimError> {
    let batch = Batch::read(state, params)?;
    let force = params.bool("ForceStop")?.unwrap_or(false);
    let requested = match params.get("StoppedMode") {
        None => StoppedMode::KeepCharging,
        Some(mode) => StoppedMode::parse(mode).ok_or_else(|| {
            SimError::invalid_parameter("StoppedMode", "use StopCharging or KeepCharging")
        })?,
    };
    let timing = state.account.timing;
    let timeline = Timeline {
        start: now,
        seconds: if force {
            timing.force_stop_seconds
        } else {
            timing.stop_seconds
        },
        fail_at: None,
    };
    let speed = state.speed;
    let region = batch.region_mut(state)?;
    let outcomes = batch.check(region, |_, i| {
        if i.security_locked() {
            return Err(SimError::instance_locked_for_security());
        }
        match i.status_at(now, speed) {
            InstanceStatus::Running => Ok(InstanceStatus::Running),
            _ => Err(SimError::incorrect_instance_status()),
        }
    })?;
    super::finish_dry_run(params)?;
    Ok(
        batch.apply(region, outcomes, now, speed, "Stopping", |instance| {
            let mode = if instance.economical_mode_applies() {
                requested
            } else {
                StoppedMode::KeepCharging
            };
            if mode == StoppedMode::StopCharging && instance.public_ip.take().is_some() {
                instance.public_ip_released = true;
            }
            instance.stopped_mode = mode;
            instance.begin(InstanceStatus::Stopped, timeline, speed);
        }),
    )
}

/// StartInstances: Stopped → Starting → Running over `start_seconds`. An instance that lost
/// its public IP to an economical-mode stop gets a new one, as ECS assigns a static public IP
/// again on start.
pub fn start(
    state: &mut State,
    now: DateTime<Utc>,
    params: &Params,
) -> Result<BatchAnswer, SimError> {
    let batch = Batch::read(state, params)?;
    let timeline = Timeline {
        start: now,
        seconds: state.account.timing.start_seconds,
        fail_at: None,
    };
    let speed = state.speed;
    let outcomes = batch.check(batch.region(state)?, |region, i| {
        if i.security_locked() {
            return Err(SimError::instance_locked_for_security().with_status(403));
        }
        if i.status_at(now, speed) != InstanceStatus::Stopped {
            return Err(SimError::new(
                403,
                "IncorrectInstanceStatus",
                "The current status of the resource does not support this operation.",
            ));
        }
        if !region.has_system_disk(&i.id) {
            return Err(SimError::no_system_disk());
        }
        Ok(InstanceStatus::Stopped)
    })?;
    super::finish_dry_run(params)?;
    // Drawn before the region is borrowed for writing: the generator lives in the state.
    let mut new_ips: BTreeMap<String, String> = BTreeMap::new();
    for (id, outcome) in &outcomes {
        let released = batch
            .region(state)?
            .instances
            .get(id)
            .is_some_and(|i| i.public_ip_released);
        if outcome.is_ok() && released {
            new_ips.insert(id.clone(), state.new_public_ip());
        }
    }
    let region = batch.region_mut(state)?;
    Ok(
        batch.apply(region, outcomes, now, speed, "Starting", |instance| {
            if let Some(ip) = new_ips.remove(&instance.id) {
                instance.public_ip = Some(ip);
                instance.public_ip_released = false;
            }
            instance.begin(InstanceStatus::Running, timeline, speed);
        }),
    )
}

/// The instances one call names and how to treat refusals.
struct Batch<'p> {
    region_id: &'p str,
    ids: Vec<&'p str>,
    success_first: bool,
}

/// Each named instance with its status before the call, or why it is refused.
type PerInstance = Vec<(String, Result<InstanceStatus, SimError>)>;

impl<'p> Batch<'p> {
    fn read(state: &State, params: &'p Params) -> Result<Self, SimError> {
        let region_id = super::region_id(state, params)?;
        let ids = params.indexed("InstanceId")?;
        if ids.is_empty() {
            return Err(SimError::missing_parameter("InstanceId.1"));
        }
        if ids.len() > MAX_INSTANCES {
            return Err(SimError::invalid_parameter(
                "InstanceId.N",
                &format!("at most {MAX_INSTANCES} instances per call"),
            ));
        }
        let success_first = match params.get("BatchOptimization") {
            None | Some("AllTogether") => false,
            Some("SuccessFirst") => true,
            Some(_) => {
                return Err(SimError::invalid_parameter(
                    "BatchOptimization",
                    "use SuccessFirst or AllTogether",
                ));
            }
        };
        Ok(Self {
            region_id,
            ids,
            success_first,
        })
    }

    fn region<'s>(&self, state: &'s State) -> Result<&'s Region, SimError> {
        state
            .regions
            .get(self.region_id)
            .ok_or_else(SimError::region_not_found)
    }

    fn region_mut<'s>(&self, state: &'s mut State) -> Result<&'s mut Region, SimError> {
        state
            .regions
            .get_mut(self.region_id)
            .ok_or_else(SimError::region_not_found)
    }

    /// Checks every instance (unknown IDs are 404 `InvalidInstanceId.NotFound`). With
    /// `AllTogether` the first refusal is the answer.
    fn check(
        &self,
        region: &Region,
        rule: impl Fn(&Region, &Instance) -> Result<InstanceStatus, SimError>,
    ) -> Result<PerInstance, SimError> {
        let outcomes: PerInstance = self
            .ids
            .iter()
            .map(|id| {
                let outcome = region
                    .instances
                    .get(*id)
                    .ok_or_else(|| SimError::instance_not_found(id))
                    .and_then(|instance| rule(region, instance));
                (id.to_string(), outcome)
            })
            .collect();
        if !self.success_first
            && let Some((_, Err(e))) = outcomes.iter().find(|(_, r)| r.is_err())
        {
            return Err(e.clone());
        }
        Ok(outcomes)
    }

    /// Applies `act` to every accepted instance and reports each one as `InstanceResponses`
    /// lists it: accepted ones move to `current` with code `200`, refused ones keep their
    /// status and carry the refusal.
    fn apply(
        &self,
        region: &mut Region,
        outcomes: PerInstance,
        now: DateTime<Utc>,
        speed: f64,
        current: &'static str,
        mut act: impl FnMut(&mut Instance),
    ) -> BatchAnswer {
        let responses = outcomes
            .into_iter()
            .map(|(id, outcome)| {
                let instance = region.instances.get_mut(&id);
                match (outcome, instance) {
                    (Ok(previous), Some(instance)) => {
                        act(instance);
                        InstanceResponse {
                            instance_id: id,
                            previous_status: previous.as_str(),
                            current_status: current,
                            code: "200".into(),
                            message: "success".into(),
                        }
                    }
                    (outcome, instance) => {
                        let status = instance.map_or("", |i| i.status_at(now, speed).as_str());
                        let refusal = outcome
                            .err()
                            .unwrap_or_else(|| SimError::instance_not_found(&id));
                        InstanceResponse {
                            instance_id: id,
                            previous_status: status,
                            current_status: status,
                            code: refusal.code,
                            message: refusal.message,
                        }
                    }
                }
            })
            .collect();
        BatchAnswer {
            instance_responses: Wrapped::new("InstanceResponse", responses),
        }
    }
}

/// The answer of StopInstances and StartInstances.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchAnswer {
    instance_responses: Wrapped<Vec<InstanceResponse>>,
}

/// One instance's outcome.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceResponse {
    instance_id: String,
    previous_status: &'static str,
    current_status: &'static str,
    code: String,
    message: String,
}
