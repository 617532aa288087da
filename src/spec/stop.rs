//! Stopping the source instance first, and starting it again after: the recipe's
//! `[source] stop`, `force_stop` and `restart`.
//!
//! CreateImage itself knows nothing of this; ecsimg sends StopInstances before it (only when
//! the instance is Running) and StartInstances after the build ended (only for an instance it
//! stopped itself).

use serde::{Deserialize, Serialize};

use super::{ImageSpec, Source};
use crate::api::model::StoppedMode;
use crate::api::power::{start_params, stop_params};
use crate::api::{ApiError, StopOptions};

/// What to do with a Running source instance around CreateImage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopPlan {
    /// StopInstances' `StoppedMode`.
    pub mode: StoppedMode,
    /// StopInstances' `ForceStop`: cut the power instead of shutting down.
    pub force: bool,
    /// StartInstances once the image is Available or failed.
    pub restart: bool,
}

impl StopPlan {
    /// The safe plan: keep the instance's resources, shut down cleanly, start it again.
    pub const KEEP_AND_RESTART: StopPlan = StopPlan {
        mode: StoppedMode::KeepCharging,
        force: false,
        restart: true,
    };

    pub fn options(self) -> StopOptions {
        StopOptions {
            mode: self.mode,
            force: self.force,
        }
    }
}

type Params = Vec<(String, String)>;

/// The calls a spec makes around CreateImage to stop its instance and start it again, with
/// their wire parameters (`RegionId` first, as the client sends them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerCalls {
    pub instance_id: String,
    /// StopInstances, sent only when the instance is Running.
    pub stop: Params,
    /// StartInstances once the image is Available or failed, only for an instance ecsimg
    /// stopped; `None` without `restart`.
    pub start: Option<Params>,
}

/// The power calls of `spec`, if it stops its instance first.
pub fn power_calls(spec: &ImageSpec) -> Result<Option<PowerCalls>, ApiError> {
    let (Source::Instance { instance_id }, Some(plan)) = (&spec.source, spec.stop) else {
        return Ok(None);
    };
    let ids = [instance_id.clone()];
    let region = |mut params: Params| {
        params.insert(0, ("RegionId".into(), spec.region.clone()));
        params
    };
    Ok(Some(PowerCalls {
        instance_id: instance_id.clone(),
        stop: region(stop_params(&ids, plan.options())?),
        start: if plan.restart {
            Some(region(start_params(&ids)?))
        } else {
            None
        },
    }))
}

/// A stop mode as a recipe spells it.
pub fn mode_name(mode: StoppedMode) -> &'static str {
    match mode {
        StoppedMode::KeepCharging => "keep-charging",
        StoppedMode::StopCharging => "stop-charging",
    }
}

/// Reads a recipe's `stop` value, or says what it may be.
pub fn parse_mode(value: &str) -> Result<StoppedMode, String> {
    StoppedMode::ALL
        .into_iter()
        .find(|m| mode_name(*m) == value)
        .ok_or_else(|| {
            format!(
                "The stop mode is \"keep-charging\" (the stopped instance keeps its resources \
                 and public IP and stays billed) or \"stop-charging\" (economical mode: vCPUs, \
                 memory and the public IP are released), not {value:?}."
            )
        })
}

/// What a stop mode means, in plain words, for the wizard and `create`'s confirmation.
pub fn mode_meaning(mode: StoppedMode) -> &'static str {
    match mode {
        StoppedMode::KeepCharging => {
            "Standard stop: the instance keeps its vCPUs, memory and public IP address while \
             stopped and is billed as before; it starts again as it was."
        }
        StoppedMode::StopCharging => {
            "Economical mode (pay-as-you-go instances in a VPC): vCPUs, memory and a \
             system-assigned public IP address are released and no longer billed (disks still \
             are). Starting again needs free capacity in the zone and can fail, and the \
             instance gets a new public IP address."
        }
    }
}

/// The warning that goes with `ForceStop`.
pub const FORCE_WARNING: &str = "A forced stop cuts the power like pulling the plug: data \
    not yet written to disk is lost, and the image may capture a damaged file system. Use it \
    only when a clean shutdown hangs.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_names_round_trip_and_wire_names_are_refused() {
        for mode in StoppedMode::ALL {
            assert_eq!(parse_mode(mode_name(mode)), Ok(mode));
        }
        let err = parse_mode("KeepCharging").unwrap_err();
        assert!(err.contains("\"keep-charging\""), "{err}");
        assert!(err.contains("not \"KeepCharging\""), "{err}");
    }
}
