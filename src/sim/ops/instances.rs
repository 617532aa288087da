//! DescribeInstances and StopInstances.

use super::super::clock::format_minute;
use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Instance, InstanceStatus, State, Timeline};
use super::paging::{PageRequest, TokenLimits, paginate};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

const LIMITS: TokenLimits = TokenLimits { min: 10, max: 100 };

pub fn describe(state: &State, now: DateTime<Utc>, params: &Params) -> Result<Value, SimError> {
    let region_id = super::region_id(state, params)?;
    let region = super::region(state, params)?;
    let speed = state.speed;
    let ids = params.json_ids("InstanceIds")?;
    let status = match params.get("Status") {
        Some(s) => Some(InstanceStatus::parse(s).ok_or_else(|| {
            SimError::invalid_parameter(
                "Status",
                "use Pending, Running, Starting, Stopping or Stopped",
            )
        })?),
        None => None,
    };
    let name = params.get("InstanceName");
    let zone = params.get("ZoneId");
    let image = params.get("ImageId");
    let group = params.get("ResourceGroupId");
    let lock = params.get("LockReason");
    let tags = super::tag_filter(params)?;
    let request = PageRequest::from_params(params, Some(LIMITS))?;
    super::finish_dry_run(params)?;
    let filtered = status.is_some()
        || name.is_some()
        || zone.is_some()
        || image.is_some()
        || group.is_some()
        || lock.is_some()
        || !tags.is_empty();
    let keep = |i: &Instance| {
        status.is_none_or(|s| i.status_at(now, speed) == s)
            && name.is_none_or(|n| wildcard_match(n, &i.name))
            && zone.is_none_or(|z| z == i.zone_id)
            && image.is_none_or(|m| m == i.image_id)
            && group.is_none_or(|g| g == i.resource_group_id)
            && lock.is_none_or(|l| i.lock_reasons.iter().any(|r| r == l))
            && super::tags_match(&tags, &i.tags)
    };
    let page = paginate(&region.instances, ids.as_deref(), keep, filtered, request)?;
    let items = page
        .rows
        .iter()
        .map(|i| render(i, &region_id, speed, now))
        .collect();
    Ok(page.to_json(true, "Instances", "Instance", items))
}

/// `InstanceName` filter: `*` matches any run of characters; otherwise exact.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

fn render(i: &Instance, region_id: &str, speed: f64, now: DateTime<Utc>) -> Value {
    let status = i.status_at(now, speed);
    let locks: Vec<Value> = i
        .lock_reasons
        .iter()
        .map(|r| json!({"LockReason": r, "LockMsg": ""}))
        .collect();
    let family = i
        .instance_type
        .rsplit_once('.')
        .map(|(f, _)| f.to_string())
        .unwrap_or_default();
    let public: Vec<&String> = i.public_ip.iter().collect();
    json!({
        "InstanceId": i.id,
        "InstanceName": i.name,
        "Description": i.description,
        "HostName": i.host_name,
        "Status": status.as_str(),
        "RegionId": region_id,
        "ZoneId": i.zone_id,
        "InstanceType": i.instance_type,
        "InstanceTypeFamily": family,
        "Cpu": i.cpu,
        "Memory": i.memory_mib,
        "ImageId": i.image_id,
        "OSName": i.os.os_name,
        "OSNameEn": i.os.os_name_en,
        "OSType": i.os.os_type,
        "CreationTime": format_minute(i.creation_time),
        "StartTime": format_minute(i.creation_time),
        "ExpiredTime": "2099-12-31T15:59Z",
        "AutoReleaseTime": "",
        "InstanceChargeType": i.charge_type,
        "InternetChargeType": "PayByTraffic",
        "InstanceNetworkType": "vpc",
        "IoOptimized": true,
        "DeletionProtection": false,
        "StoppedMode": if status == InstanceStatus::Stopped { "KeepCharging" } else { "Not-applicable" },
        "ResourceGroupId": i.resource_group_id,
        "SerialNumber": format!("{:x}", stable_hash(&i.id)),
        "KeyPairName": "",
        "OperationLocks": { "LockReason": locks },
        "Tags": super::tags_json(&i.tags),
        "VpcAttributes": {
            "VpcId": i.vpc_id,
            "VSwitchId": i.vswitch_id,
            "NatIpAddress": "",
            "PrivateIpAddress": { "IpAddress": [i.private_ip] },
        },
        "PublicIpAddress": { "IpAddress": public },
        "InnerIpAddress": { "IpAddress": [] },
        "EipAddress": { "IpAddress": "", "AllocationId": "", "Bandwidth": 0, "InternetChargeType": "" },
        "SecurityGroupIds": { "SecurityGroupId": if i.security_group_id.is_empty() { vec![] } else { vec![&i.security_group_id] } },
        "NetworkInterfaces": { "NetworkInterface": [] },
        "MetadataOptions": { "HttpEndpoint": "enabled", "HttpTokens": if i.os.imds_support == "v2" { "required" } else { "optional" } },
        "ImageOptions": { "LoginAsNonRoot": false },
        "SecurityOptions": { "EnableSecureBoot": false },
    })
}

/// A stable number for `SerialNumber`-like fields (FNV-1a).
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// StopInstances: `InstanceId.N` (1–100). With `BatchOptimization=SuccessFirst` each instance
/// gets its own result; otherwise (`AllTogether`) the first failure fails the call and nothing
/// stops.
pub fn stop(state: &mut State, now: DateTime<Utc>, params: &Params) -> Result<Value, SimError> {
    let region_id = super::region_id(state, params)?;
    let ids = params.indexed("InstanceId")?;
    if ids.is_empty() {
        return Err(SimError::missing_parameter("InstanceId.1"));
    }
    if ids.len() > 100 {
        return Err(SimError::invalid_parameter(
            "InstanceId.N",
            "at most 100 instances per call",
        ));
    }
    params.bool("ForceStop")?;
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
    let speed = state.speed;
    let stop_seconds = state.account.timing.stop_seconds;
    let region = state
        .regions
        .get_mut(&region_id)
        .ok_or_else(SimError::region_not_found)?;
    let check = |id: &str| -> Result<InstanceStatus, SimError> {
        let instance = region
            .instances
            .get(id)
            .ok_or_else(|| SimError::instance_not_found(id))?;
        if instance.security_locked() {
            return Err(SimError::instance_locked_for_security());
        }
        match instance.status_at(now, speed) {
            InstanceStatus::Running => Ok(InstanceStatus::Running),
            _ => Err(SimError::incorrect_instance_status()),
        }
    };
    let outcomes: Vec<(String, Result<InstanceStatus, SimError>)> =
        ids.iter().map(|id| (id.to_string(), check(id))).collect();
    if !success_first && let Some((_, Err(e))) = outcomes.iter().find(|(_, r)| r.is_err()) {
        return Err(e.clone());
    }
    super::finish_dry_run(params)?;
    let mut responses = Vec::new();
    for (id, outcome) in outcomes {
        let response = match outcome {
            Ok(previous) => {
                if let Some(instance) = region.instances.get_mut(&id) {
                    instance.stop = Some(Timeline {
                        start: now,
                        seconds: stop_seconds,
                        fail_at: None,
                    });
                }
                json!({
                    "InstanceId": id,
                    "PreviousStatus": previous.as_str(),
                    "CurrentStatus": "Stopping",
                    "Code": "200",
                    "Message": "success",
                })
            }
            Err(e) => {
                let current = region
                    .instances
                    .get(&id)
                    .map(|i| i.status_at(now, speed).as_str())
                    .unwrap_or("");
                json!({
                    "InstanceId": id,
                    "PreviousStatus": current,
                    "CurrentStatus": current,
                    "Code": e.code,
                    "Message": e.message,
                })
            }
        };
        responses.push(response);
    }
    Ok(json!({ "InstanceResponses": { "InstanceResponse": responses } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("web-*", "web-server-01"));
        assert!(wildcard_match("*server*", "web-server-01"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("数据*", "数据库服务器"));
        assert!(!wildcard_match("web-*-02", "web-server-01"));
        assert!(!wildcard_match("web", "web-server"));
        assert!(!wildcard_match("a*a", "a"));
    }
}
