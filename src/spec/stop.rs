//! Stopping the source instance first, and starting it again after: the recipe's
//! `[source] stop`, `force_stop` and `restart`.
//!
//! CreateImage itself knows nothing of this; ecsimg sends StopInstances before it (only when
//! the instance is Running) and StartInstances after the build ended (only for an instance it
//! stopped itself).

use serde::{Deserialize, Serialize};

use super::{ImageSpec, Source};
use crate::api::StoppedMode;
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
    use std::path::Path;

    use super::*;
    use crate::spec::{RecipeError, RecipeProblem, StopPlan, parse_recipe, to_recipe};

    fn parse(text: &str) -> Result<ImageSpec, RecipeError> {
        parse_recipe(text, Path::new("r.toml"))
    }

    /// The single problem of a failed parse.
    fn problem(text: &str) -> RecipeProblem {
        let err = parse(text).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        err.problems.into_iter().next().unwrap()
    }

    const STOPPING: &str = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n";

    #[test]
    fn stop_keys_load_and_round_trip() {
        let text =
            format!("{STOPPING}stop = \"stop-charging\"\nforce_stop = true\nrestart = true\n");
        let spec = parse(&text).unwrap();
        assert_eq!(
            spec.stop,
            Some(StopPlan {
                mode: StoppedMode::StopCharging,
                force: true,
                restart: true
            })
        );
        let saved = to_recipe(&spec);
        assert!(
            saved.contains(
                "[source]\ninstance_id = \"i-1\"\nstop = \"stop-charging\"\nforce_stop = true\n\
                 restart = true\n"
            ),
            "{saved}"
        );
        assert_eq!(parse(&saved).unwrap(), spec);
        assert_eq!(to_recipe(&parse(&saved).unwrap()), saved);
        // The defaults: a clean shutdown, no restart; restart is written either way.
        let spec = parse(&format!("{STOPPING}stop = \"keep-charging\"\n")).unwrap();
        assert_eq!(
            spec.stop,
            Some(StopPlan {
                mode: StoppedMode::KeepCharging,
                force: false,
                restart: false
            })
        );
        let saved = to_recipe(&spec);
        assert!(
            saved.contains("stop = \"keep-charging\"\nrestart = false\n"),
            "{saved}"
        );
        assert!(!saved.contains("force_stop"), "{saved}");
    }

    #[test]
    fn bad_stop_values_are_errors_at_their_place() {
        let p = problem(&format!("{STOPPING}stop = \"halt\"\n"));
        assert_eq!(p.position, Some((4, 8)));
        assert_eq!(p.key.as_deref(), Some("source.stop"));
        assert!(p.message.contains("not \"halt\""), "{}", p.message);
        let p = problem(&format!("{STOPPING}stop = true\n"));
        assert_eq!(p.position.map(|(line, _)| line), Some(4));
        let p = problem(&format!(
            "{STOPPING}stop = \"keep-charging\"\nrestart = \"yes\"\n"
        ));
        assert_eq!(p.position.map(|(line, _)| line), Some(5));
        let p = problem(&format!(
            "{STOPPING}stop = \"keep-charging\"\nstart = true\n"
        ));
        assert!(p.message.contains("unknown field `start`"), "{}", p.message);
        assert_eq!(p.position.map(|(line, _)| line), Some(5));
    }

    #[test]
    fn stop_and_restart_need_an_instance_and_each_other() {
        let err = parse(&format!("{STOPPING}restart = true\nforce_stop = true\n")).unwrap_err();
        let shown = err.to_string();
        assert_eq!(err.problems.len(), 2, "{shown}");
        assert!(
            shown.starts_with("r.toml:4:11: source.restart: source.restart goes with source.stop"),
            "{shown}"
        );
        assert!(
            shown.contains("r.toml:5:14: source.force_stop: "),
            "{shown}"
        );
        assert!(
            shown.contains("ecsimg only starts an instance it stopped"),
            "{shown}"
        );
        let text = "region = \"cn-hangzhou\"\n[source]\nsnapshot_id = \"s-1\"\n\
                    stop = \"keep-charging\"\n";
        let p = problem(text);
        assert_eq!(
            (p.position, p.key.as_deref()),
            (Some((4, 8)), Some("source.stop"))
        );
        assert!(
            p.message.contains("for an instance source (instance_id)"),
            "{}",
            p.message
        );
    }

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
