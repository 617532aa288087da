//! DescribeSnapshots.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Region, Snapshot, State};
use super::json::{self, Percent, Time, Wrapped};
use super::paging::{PageAnswer, PageRequest, TokenLimits, paginate};
use chrono::{DateTime, Utc};
use serde::Serialize;

const LIMITS: TokenLimits = TokenLimits { min: 10, max: 100 };

pub fn describe<'a>(
    state: &'a State,
    now: DateTime<Utc>,
    params: &'a Params,
) -> Result<PageAnswer<'a, Vec<SnapshotJson<'a>>>, SimError> {
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
        .map(|s| render(s, region_id, speed, now))
        .collect();
    Ok(page.answer(true, "Snapshots", "Snapshot", items))
}

/// Whether the snapshot's source disk is attached to `instance_id`.
fn from_instance(region: &Region, snapshot: &Snapshot, instance_id: &str) -> bool {
    region
        .disks
        .get(&snapshot.source_disk_id)
        .is_some_and(|d| d.instance_id.as_deref() == Some(instance_id))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotJson<'a> {
    snapshot_id: &'a str,
    snapshot_name: &'a str,
    description: &'a str,
    status: &'a str,
    progress: Percent,
    remain_time: u64,
    source_disk_id: &'a str,
    /// A string in GiB, as ECS sends it.
    source_disk_size: String,
    source_disk_type: &'a str,
    source_storage_type: &'static str,
    category: &'a str,
    instant_access: bool,
    instant_access_retention_days: u32,
    encrypted: bool,
    #[serde(rename = "KMSKeyId")]
    kms_key_id: &'a str,
    usage: &'a str,
    creation_time: Time,
    last_modified_time: Time,
    snapshot_type: &'a str,
    retention_days: u32,
    available: bool,
    product_code: &'static str,
    region_id: &'a str,
    resource_group_id: &'a str,
    #[serde(rename = "SnapshotSN")]
    snapshot_sn: String,
    snapshot_link_id: String,
    source_region_id: &'static str,
    source_snapshot_id: &'static str,
    full_snapshot_size_in_bytes: u64,
    tags: Wrapped<Vec<json::Tag<'a>>>,
}

fn render<'a>(
    s: &'a Snapshot,
    region_id: &'a str,
    speed: f64,
    now: DateTime<Utc>,
) -> SnapshotJson<'a> {
    let (status, percent, remain_time) = s.status_at(now, speed);
    SnapshotJson {
        snapshot_id: &s.id,
        snapshot_name: &s.name,
        description: &s.description,
        status,
        progress: Percent(percent),
        remain_time,
        source_disk_id: &s.source_disk_id,
        source_disk_size: s.source_disk_size.to_string(),
        source_disk_type: &s.source_disk_type,
        source_storage_type: "disk",
        category: &s.category,
        instant_access: false,
        instant_access_retention_days: 0,
        encrypted: s.encrypted,
        kms_key_id: &s.kms_key_id,
        usage: &s.usage,
        creation_time: Time::seconds(s.creation_time),
        last_modified_time: Time::seconds(s.creation_time),
        snapshot_type: &s.snapshot_type,
        retention_days: 0,
        available: status == "accomplished",
        product_code: "",
        region_id,
        resource_group_id: &s.resource_group_id,
        snapshot_sn: format!("64{}", s.id.trim_start_matches("s-")),
        snapshot_link_id: format!("sl-{}", s.source_disk_id.trim_start_matches("d-")),
        source_region_id: "",
        source_snapshot_id: "",
        full_snapshot_size_in_bytes: u64::from(s.source_disk_size) * 1024 * 1024 * 1024,
        tags: json::tags(&s.tags),
    }
}
