//! StopInstances and StartInstances: stopping an instance before it becomes an image, and
//! starting it again afterwards.
//!
//! The parameters are built here once, for the client and for `ecsimg preview`, so what a
//! preview shows is what is sent. Both calls name each instance as `InstanceId.N` and ask for a
//! result per instance (`BatchOptimization=SuccessFirst`).

use super::client::Client;
use super::error::ApiError;
use serde::{Deserialize, Serialize};

use super::model::{InstanceResponse, MAX_IDS, StopInstancesResponse};

type Params = Vec<(String, String)>;

/// StopInstances' `StoppedMode`: what a stopped pay-as-you-go VPC instance keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoppedMode {
    /// Standard mode: the instance keeps its vCPUs, memory and public IP address while
    /// stopped, and is billed as if running.
    #[default]
    KeepCharging,
    /// Economical mode: vCPUs, memory and a system-assigned public IP address are released and
    /// no longer billed (disks still are); starting again needs free capacity in the zone.
    StopCharging,
}

impl StoppedMode {
    pub const ALL: [StoppedMode; 2] = [StoppedMode::KeepCharging, StoppedMode::StopCharging];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            StoppedMode::KeepCharging => "KeepCharging",
            StoppedMode::StopCharging => "StopCharging",
        }
    }
}

impl std::fmt::Display for StoppedMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How StopInstances stops an instance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StopOptions {
    /// What a pay-as-you-go VPC instance keeps while stopped (other instances always keep
    /// everything).
    pub mode: StoppedMode,
    /// Cut the power instead of shutting the operating system down: data not yet written to
    /// disk is lost.
    pub force: bool,
}

/// The StopInstances parameters (without `RegionId`, which the client adds).
pub fn stop_params(instance_ids: &[String], options: StopOptions) -> Result<Params, ApiError> {
    let mut params = instance_params("StopInstances", instance_ids)?;
    params.push(("ForceStop".into(), options.force.to_string()));
    params.push(("StoppedMode".into(), options.mode.as_str().into()));
    params.push(("BatchOptimization".into(), "SuccessFirst".into()));
    Ok(params)
}

/// The StartInstances parameters (without `RegionId`).
pub fn start_params(instance_ids: &[String]) -> Result<Params, ApiError> {
    let mut params = instance_params("StartInstances", instance_ids)?;
    params.push(("BatchOptimization".into(), "SuccessFirst".into()));
    Ok(params)
}

/// `InstanceId.1` … `InstanceId.N` for 1 to [`MAX_IDS`] instances.
fn instance_params(action: &str, instance_ids: &[String]) -> Result<Params, ApiError> {
    if instance_ids.is_empty() || instance_ids.len() > MAX_IDS {
        return Err(ApiError::InvalidRequest {
            detail: format!(
                "{action} takes 1 to {MAX_IDS} instance IDs, not {}",
                instance_ids.len()
            ),
        });
    }
    Ok(instance_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("InstanceId.{}", i + 1), id.clone()))
        .collect())
}

impl Client {
    /// Stops instances (1 to 100), each on its own, and returns one result per instance.
    pub async fn stop_instances(
        &self,
        instance_ids: &[String],
        options: StopOptions,
    ) -> Result<Vec<InstanceResponse>, ApiError> {
        let params = stop_params(instance_ids, options)?;
        // Not idempotent in effect (a second stop reports a wrong status): retried only when
        // the service certainly did not act.
        let response: StopInstancesResponse = self.call("StopInstances", &params, false).await?;
        Ok(response.instance_responses.instance_response)
    }

    /// Starts stopped instances (1 to 100), each on its own, and returns one result per
    /// instance.
    pub async fn start_instances(
        &self,
        instance_ids: &[String],
    ) -> Result<Vec<InstanceResponse>, ApiError> {
        let params = start_params(instance_ids)?;
        // StartInstances answers in StopInstances' shape. Retried only when the service
        // certainly did not act, as for the stop.
        let response: StopInstancesResponse = self.call("StartInstances", &params, false).await?;
        Ok(response.instance_responses.instance_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("i-{i}")).collect()
    }

    #[test]
    fn stop_names_each_instance_its_mode_and_force() {
        let options = StopOptions {
            mode: StoppedMode::StopCharging,
            force: true,
        };
        let params = stop_params(&ids(2), options).expect("valid");
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("InstanceId.1", "i-0"),
                ("InstanceId.2", "i-1"),
                ("ForceStop", "true"),
                ("StoppedMode", "StopCharging"),
                ("BatchOptimization", "SuccessFirst"),
            ]
        );
        let start = start_params(&ids(1)).expect("valid");
        assert_eq!(
            start,
            [
                ("InstanceId.1".to_string(), "i-0".to_string()),
                ("BatchOptimization".to_string(), "SuccessFirst".to_string()),
            ]
        );
    }

    #[test]
    fn stopped_modes_are_their_wire_values() {
        for mode in StoppedMode::ALL {
            let json = serde_json::to_string(&mode).expect("serializes");
            assert_eq!(json, format!("\"{mode}\""));
        }
    }

    #[test]
    fn no_instance_or_too_many_are_refused_before_sending() {
        for n in [0, MAX_IDS + 1] {
            let err = start_params(&ids(n)).expect_err("refused");
            assert!(
                err.to_string().contains("StartInstances takes 1 to 100"),
                "{err}"
            );
            assert!(stop_params(&ids(n), StopOptions::default()).is_err());
        }
    }
}
