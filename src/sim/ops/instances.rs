//! DescribeInstances.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Instance, InstanceStatus, State};
use super::json::{self, Time, Wrapped};
use super::paging::{PageAnswer, PageRequest, TokenLimits, paginate};
use chrono::{DateTime, Utc};
use serde::Serialize;

const LIMITS: TokenLimits = TokenLimits { min: 10, max: 100 };

pub fn describe<'a>(
    state: &'a State,
    now: DateTime<Utc>,
    params: &'a Params,
) -> Result<PageAnswer<'a, Vec<InstanceJson<'a>>>, SimError> {
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
        .map(|i| render(i, region_id, speed, now))
        .collect();
    Ok(page.answer(true, "Instances", "Instance", items))
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

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceJson<'a> {
    instance_id: &'a str,
    instance_name: &'a str,
    description: &'a str,
    host_name: &'a str,
    status: &'static str,
    region_id: &'a str,
    zone_id: &'a str,
    instance_type: &'a str,
    instance_type_family: &'a str,
    cpu: u32,
    memory: u32,
    image_id: &'a str,
    #[serde(rename = "OSName")]
    os_name: &'a str,
    #[serde(rename = "OSNameEn")]
    os_name_en: &'a str,
    #[serde(rename = "OSType")]
    os_type: &'a str,
    creation_time: Time,
    start_time: Time,
    expired_time: &'static str,
    auto_release_time: &'static str,
    instance_charge_type: &'a str,
    internet_charge_type: &'static str,
    instance_network_type: &'static str,
    io_optimized: bool,
    deletion_protection: bool,
    stopped_mode: &'static str,
    resource_group_id: &'a str,
    serial_number: String,
    key_pair_name: &'static str,
    operation_locks: Wrapped<Vec<LockJson<'a>>>,
    tags: Wrapped<Vec<json::Tag<'a>>>,
    vpc_attributes: VpcAttributes<'a>,
    public_ip_address: Wrapped<Vec<&'a str>>,
    inner_ip_address: Wrapped<[(); 0]>,
    eip_address: EipAddress,
    security_group_ids: Wrapped<Vec<&'a str>>,
    network_interfaces: Wrapped<[(); 0]>,
    metadata_options: MetadataOptions,
    image_options: ImageOptions,
    security_options: SecurityOptions,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LockJson<'a> {
    lock_reason: &'a str,
    lock_msg: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VpcAttributes<'a> {
    vpc_id: &'a str,
    #[serde(rename = "VSwitchId")]
    vswitch_id: &'a str,
    nat_ip_address: &'static str,
    private_ip_address: Wrapped<[&'a str; 1]>,
}

/// No elastic IP: every field empty.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EipAddress {
    ip_address: &'static str,
    allocation_id: &'static str,
    bandwidth: u32,
    internet_charge_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetadataOptions {
    http_endpoint: &'static str,
    http_tokens: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImageOptions {
    login_as_non_root: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SecurityOptions {
    enable_secure_boot: bool,
}

fn render<'a>(
    i: &'a Instance,
    region_id: &'a str,
    speed: f64,
    now: DateTime<Utc>,
) -> InstanceJson<'a> {
    let status = i.status_at(now, speed);
    let locks = i
        .lock_reasons
        .iter()
        .map(|r| LockJson {
            lock_reason: r,
            lock_msg: "",
        })
        .collect();
    let family = i
        .instance_type
        .rsplit_once('.')
        .map_or("", |(family, _)| family);
    // Lists of zero or one: `Option` iterates as such.
    let list = |item: &'static str, value: Option<&'a str>| {
        Wrapped::new(item, value.into_iter().collect::<Vec<_>>())
    };
    InstanceJson {
        instance_id: &i.id,
        instance_name: &i.name,
        description: &i.description,
        host_name: &i.host_name,
        status: status.as_str(),
        region_id,
        zone_id: &i.zone_id,
        instance_type: &i.instance_type,
        instance_type_family: family,
        cpu: i.cpu,
        memory: i.memory_mib,
        image_id: &i.image_id,
        os_name: &i.os.os_name,
        os_name_en: &i.os.os_name_en,
        os_type: &i.os.os_type,
        creation_time: Time::minutes(i.creation_time),
        start_time: Time::minutes(i.creation_time),
        expired_time: "2099-12-31T15:59Z",
        auto_release_time: "",
        instance_charge_type: &i.charge_type,
        internet_charge_type: "PayByTraffic",
        instance_network_type: "vpc",
        io_optimized: true,
        deletion_protection: false,
        stopped_mode: if status == InstanceStatus::Stopped {
            i.stopped_mode.as_str()
        } else {
            "Not-applicable"
        },
        resource_group_id: &i.resource_group_id,
        serial_number: format!("{:x}", stable_hash(&i.id)),
        key_pair_name: "",
        operation_locks: Wrapped::new("LockReason", locks),
        tags: json::tags(&i.tags),
        vpc_attributes: VpcAttributes {
            vpc_id: &i.vpc_id,
            vswitch_id: &i.vswitch_id,
            nat_ip_address: "",
            private_ip_address: Wrapped::new("IpAddress", [i.private_ip.as_str()]),
        },
        public_ip_address: list("IpAddress", i.public_ip.as_deref()),
        inner_ip_address: json::empty("IpAddress"),
        eip_address: EipAddress {
            ip_address: "",
            allocation_id: "",
            bandwidth: 0,
            internet_charge_type: "",
        },
        security_group_ids: list(
            "SecurityGroupId",
            Some(i.security_group_id.as_str()).filter(|id| !id.is_empty()),
        ),
        network_interfaces: json::empty("NetworkInterface"),
        metadata_options: MetadataOptions {
            http_endpoint: "enabled",
            http_tokens: if i.os.imds_support == "v2" {
                "required"
            } else {
                "optional"
            },
        },
        image_options: ImageOptions {
            login_as_non_root: false,
        },
        security_options: SecurityOptions {
            enable_secure_boot: false,
        },
    }
}

/// A stable number for `SerialNumber`-like fields (FNV-1a).
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
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
