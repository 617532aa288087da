//! DescribeDisks.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Disk, State};
use super::json::{self, OrEmpty, Time, Wrapped};
use super::paging::{PageAnswer, PageRequest, TokenLimits, paginate};
use serde::Serialize;

const LIMITS: TokenLimits = TokenLimits { min: 10, max: 500 };

pub fn describe<'a>(
    state: &'a State,
    params: &'a Params,
) -> Result<PageAnswer<'a, Vec<DiskJson<'a>>>, SimError> {
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
    let items = page.rows.iter().map(|d| render(d, region_id)).collect();
    Ok(page.answer(true, "Disks", "Disk", items))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskJson<'a> {
    disk_id: &'a str,
    disk_name: &'a str,
    description: &'static str,
    #[serde(rename = "Type")]
    disk_type: &'a str,
    category: &'a str,
    size: u32,
    device: &'a str,
    instance_id: &'a str,
    status: &'static str,
    encrypted: bool,
    #[serde(rename = "KMSKeyId")]
    kms_key_id: &'a str,
    image_id: &'a str,
    source_snapshot_id: &'a str,
    zone_id: &'a str,
    region_id: &'a str,
    creation_time: Time,
    attached_time: OrEmpty<Time>,
    detached_time: &'static str,
    expired_time: &'static str,
    delete_with_instance: bool,
    delete_auto_snapshot: bool,
    portable: bool,
    enable_auto_snapshot: bool,
    performance_level: &'a str,
    disk_charge_type: &'static str,
    serial_number: &'a str,
    resource_group_id: &'a str,
    multi_attach: &'static str,
    #[serde(rename = "IOPS")]
    iops: u32,
    throughput: u32,
    attachments: Wrapped<Vec<AttachmentJson<'a>>>,
    operation_locks: Wrapped<[(); 0]>,
    tags: Wrapped<[(); 0]>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttachmentJson<'a> {
    instance_id: &'a str,
    device: &'a str,
    attached_time: Time,
}

fn render<'a>(d: &'a Disk, region_id: &'a str) -> DiskJson<'a> {
    let device = d.device.as_deref().unwrap_or_default();
    let attached = d
        .instance_id
        .is_some()
        .then(|| Time::seconds(d.creation_time));
    let attachment = d.instance_id.as_deref().map(|instance_id| AttachmentJson {
        instance_id,
        device,
        attached_time: Time::seconds(d.creation_time),
    });
    DiskJson {
        disk_id: &d.id,
        disk_name: &d.name,
        description: "",
        disk_type: &d.disk_type,
        category: &d.category,
        size: d.size,
        device,
        instance_id: d.instance_id.as_deref().unwrap_or_default(),
        status: d.status(),
        encrypted: d.encrypted,
        kms_key_id: &d.kms_key_id,
        image_id: &d.image_id,
        source_snapshot_id: &d.source_snapshot_id,
        zone_id: &d.zone_id,
        region_id,
        creation_time: Time::seconds(d.creation_time),
        attached_time: OrEmpty(attached),
        detached_time: "",
        expired_time: "2999-09-08T16:00Z",
        delete_with_instance: d.disk_type == "system",
        delete_auto_snapshot: false,
        portable: d.disk_type == "data",
        enable_auto_snapshot: true,
        performance_level: &d.performance_level,
        disk_charge_type: "PostPaid",
        serial_number: d.id.trim_start_matches("d-"),
        resource_group_id: &d.resource_group_id,
        multi_attach: "Disabled",
        iops: 1800 + 50 * d.size.min(1000),
        throughput: 120,
        attachments: Wrapped::new("Attachment", attachment.into_iter().collect()),
        operation_locks: json::empty("OperationLock"),
        tags: json::empty("Tag"),
    }
}
