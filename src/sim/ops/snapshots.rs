//! DescribeSnapshots.

use super::super::clock::format_time;
use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Region, Snapshot, State};
use super::paging::{PageRequest, TokenLimits, paginate};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

const LIMITS: TokenLimits = TokenLimits { min: 10, max: 100 };

pub fn describe(state: &State, now: DateTime<Utc>, params: &Params) -> Result<Value, SimError> {
    let region_id = super::region_id(state, params)?;
    let region = super::region(state, params)?;
    let speed = state.speed;
    let ids = params.json_ids("SnapshotIds")?;
    let instance = params.get("InstanceId");
    let disk = params.get("DiskId");
    let name = params.get("SnapshotName");
    let status = params
        .get("Status")
        .filter(|s| !s.eq_ignore_ascii_case("all"));
    let kind = params
        .get("SnapshotType")
        .filter(|s| !s.eq_ignore_ascii_case("all"));
    let source_type = params.get("SourceDiskType").map(str::to_ascii_lowercase);
    let usage = params.get("Usage");
    let encrypted = params.bool("Encrypted")?;
    let category = params.get("Category");
    let group = params.get("ResourceGroupId");
    let tags = super::tag_filter(params)?;
    let request = PageRequest::from_params(params, Some(LIMITS))?;
    super::finish_dry_run(params)?;
    let filtered = instance.is_some()
        || disk.is_some()
        || name.is_some()
        || status.is_some()
        || kind.is_some()
        || source_type.is_some()
        || usage.is_some()
        || encrypted.is_some()
        || category.is_some()
        || group.is_some()
        || !tags.is_empty();
    let keep = |s: &Snapshot| {
        instance.is_none_or(|i| from_instance(region, s, i))
            && disk.is_none_or(|d| d == s.source_disk_id)
            && name.is_none_or(|n| n == s.name)
            && status.is_none_or(|want| want == s.status_at(now, speed).0)
            && kind.is_none_or(|k| k == s.snapshot_type)
            && source_type
                .as_deref()
                .is_none_or(|t| t == s.source_disk_type)
            && usage.is_none_or(|u| u == s.usage)
            && encrypted.is_none_or(|e| e == s.encrypted)
            && category.is_none_or(|c| c.eq_ignore_ascii_case(&s.category))
            && group.is_none_or(|g| g == s.resource_group_id)
            && super::tags_match(&tags, &s.tags)
    };
    let page = paginate(&region.snapshots, ids.as_deref(), keep, filtered, request)?;
    let items = page
        .rows
        .iter()
        .map(|s| render(s, &region_id, speed, now))
        .collect();
    Ok(page.to_json(true, "Snapshots", "Snapshot", items))
}

/// Whether the snapshot's source disk is attached to `instance_id`.
fn from_instance(region: &Region, snapshot: &Snapshot, instance_id: &str) -> bool {
    region
        .disks
        .get(&snapshot.source_disk_id)
        .is_some_and(|d| d.instance_id.as_deref() == Some(instance_id))
}

fn render(s: &Snapshot, region_id: &str, speed: f64, now: DateTime<Utc>) -> Value {
    let (status, percent, remain) = s.status_at(now, speed);
    json!({
        "SnapshotId": s.id,
        "SnapshotName": s.name,
        "Description": s.description,
        "Status": status,
        "Progress": format!("{percent}%"),
        "RemainTime": remain,
        "SourceDiskId": s.source_disk_id,
        "SourceDiskSize": s.source_disk_size.to_string(),
        "SourceDiskType": s.source_disk_type,
        "SourceStorageType": "disk",
        "Category": s.category,
        "InstantAccess": false,
        "InstantAccessRetentionDays": 0,
        "Encrypted": s.encrypted,
        "KMSKeyId": s.kms_key_id,
        "Usage": s.usage,
        "CreationTime": format_time(s.creation_time),
        "LastModifiedTime": format_time(s.creation_time),
        "SnapshotType": s.snapshot_type,
        "RetentionDays": 0,
        "Available": status == "accomplished",
        "ProductCode": "",
        "RegionId": region_id,
        "ResourceGroupId": s.resource_group_id,
        "SnapshotSN": format!("64{}", s.id.trim_start_matches("s-")),
        "SnapshotLinkId": format!("sl-{}", s.source_disk_id.trim_start_matches("d-")),
        "SourceRegionId": "",
        "SourceSnapshotId": "",
        "FullSnapshotSizeInBytes": u64::from(s.source_disk_size) * 1024 * 1024 * 1024,
        "Tags": super::tags_json(&s.tags),
    })
}
