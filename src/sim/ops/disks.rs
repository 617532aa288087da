//! DescribeDisks.

use super::super::clock::format_time;
use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Disk, State};
use super::paging::{PageRequest, TokenLimits, paginate};
use serde_json::{Value, json};

const LIMITS: TokenLimits = TokenLimits { min: 10, max: 500 };

pub fn describe(state: &State, params: &Params) -> Result<Value, SimError> {
    let region_id = super::region_id(state, params)?;
    let region = super::region(state, params)?;
    let ids = params.json_ids("DiskIds")?;
    let instance = params.get("InstanceId");
    let disk_type = params
        .get("DiskType")
        .filter(|t| !t.eq_ignore_ascii_case("all"));
    let category = params
        .get("Category")
        .filter(|c| !c.eq_ignore_ascii_case("all"));
    let status = params
        .get("Status")
        .filter(|s| !s.eq_ignore_ascii_case("All"));
    let encrypted = params.bool("Encrypted")?;
    let snapshot = params.get("SnapshotId");
    let name = params.get("DiskName");
    // The simulated disks carry no tags, so any tag filter matches nothing.
    let tag_filtered = !super::tag_filter(params)?.is_empty();
    let request = PageRequest::from_params(params, Some(LIMITS))?;
    super::finish_dry_run(params)?;
    let filtered = instance.is_some()
        || disk_type.is_some()
        || category.is_some()
        || status.is_some()
        || encrypted.is_some()
        || snapshot.is_some()
        || name.is_some()
        || tag_filtered;
    let keep = |d: &Disk| {
        instance.is_none_or(|i| d.instance_id.as_deref() == Some(i))
            && disk_type.is_none_or(|t| t == d.disk_type)
            && category.is_none_or(|c| c == d.category)
            && status.is_none_or(|s| s == d.status())
            && encrypted.is_none_or(|e| e == d.encrypted)
            && snapshot.is_none_or(|s| s == d.source_snapshot_id)
            && name.is_none_or(|n| n == d.name)
            && !tag_filtered
    };
    let page = paginate(&region.disks, ids.as_deref(), keep, filtered, request)?;
    let items = page.rows.iter().map(|d| render(d, &region_id)).collect();
    Ok(page.to_json(true, "Disks", "Disk", items))
}

fn render(d: &Disk, region_id: &str) -> Value {
    let attachments: Vec<Value> = match (&d.instance_id, &d.device) {
        (Some(instance), device) => vec![json!({
            "InstanceId": instance,
            "Device": device.clone().unwrap_or_default(),
            "AttachedTime": format_time(d.creation_time),
        })],
        _ => Vec::new(),
    };
    json!({
        "DiskId": d.id,
        "DiskName": d.name,
        "Description": "",
        "Type": d.disk_type,
        "Category": d.category,
        "Size": d.size,
        "Device": d.device.clone().unwrap_or_default(),
        "InstanceId": d.instance_id.clone().unwrap_or_default(),
        "Status": d.status(),
        "Encrypted": d.encrypted,
        "KMSKeyId": d.kms_key_id,
        "ImageId": d.image_id,
        "SourceSnapshotId": d.source_snapshot_id,
        "ZoneId": d.zone_id,
        "RegionId": region_id,
        "CreationTime": format_time(d.creation_time),
        "AttachedTime": if d.instance_id.is_some() { format_time(d.creation_time) } else { String::new() },
        "DetachedTime": "",
        "ExpiredTime": "2999-09-08T16:00Z",
        "DeleteWithInstance": d.disk_type == "system",
        "DeleteAutoSnapshot": false,
        "Portable": d.disk_type == "data",
        "EnableAutoSnapshot": true,
        "PerformanceLevel": d.performance_level,
        "DiskChargeType": "PostPaid",
        "SerialNumber": d.id.trim_start_matches("d-"),
        "ResourceGroupId": d.resource_group_id,
        "MultiAttach": "Disabled",
        "IOPS": 1800 + 50 * d.size.min(1000),
        "Throughput": 120,
        "Attachments": { "Attachment": attachments },
        "OperationLocks": { "OperationLock": [] },
        "Tags": { "Tag": [] },
    })
}
