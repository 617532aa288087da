//! CreateImage: every rule of the CreateImage reference a simulator can know, in this order
//! (ours; the service's own order is not documented): syntax → source (InstanceId > DiskDeviceMapping > SnapshotId) →
//! resource checks → resource group → ClientToken → name and quotas → DryRun → create.
//!
//! Single-value rules come from `spec::rules`, the same functions the wizard and recipes use;
//! this module maps their failures to the real ECS codes.

mod quotas;
mod sources;
mod syntax;

use quotas::check_name_and_quotas;
use sources::Sources;
pub(super) use syntax::parse_tags;

use syntax::{device_in_use, parse, size_error};

use crate::sim::error::SimError;
use crate::sim::params::Params;
use crate::sim::state::{
    Delivery, Detection, Image, ImageDisk, OsInfo, RenderCache, Risk, Snapshot, State, Timeline,
    TokenRecord,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

pub(super) fn fail(status: u16, code: &str, message: &str) -> SimError {
    SimError::new(status, code, message)
}

/// A key ECS may encrypt with: enabled, tagged for ECS, and ECS authorized to use KMS. The
/// same three refusals as CreateImage's error table.
pub(super) fn kms_key_usable(key: &crate::sim::state::KmsKey) -> Result<(), SimError> {
    if key.status != "Enabled" {
        return Err(fail(
            403,
            "InvalidParameter.KMSKeyId.CMKNotEnabled",
            "The CMK needs to be enabled.",
        ));
    }
    if !key.ecs_authorized {
        return Err(fail(
            403,
            "InvalidParameter.KMSKeyId.KMSUnauthorized",
            "ECS service have no right to access your KMS.",
        ));
    }
    if !key.ecs_tagged {
        return Err(fail(
            403,
            "InvalidParameter.KMSKeyId.CMKUnauthorized",
            "The CMK needs to be added ECS tag.",
        ));
    }
    Ok(())
}

/// The request after syntax checks.
#[derive(Debug)]
pub(super) struct Request {
    name: Option<String>,
    description: String,
    family: String,
    version: String,
    platform: Option<String>,
    architecture: Option<String>,
    boot_mode: Option<String>,
    imds_support: Option<String>,
    detection: bool,
    secure_boot: String,
    client_token: Option<String>,
    resource_group_id: Option<String>,
    tags: Vec<(String, String)>,
    instance_id: Option<String>,
    mappings: Vec<Mapping>,
    snapshot_id: Option<String>,
    dry_run: bool,
}

/// One `DiskDeviceMapping.N` entry.
#[derive(Debug)]
pub(super) struct Mapping {
    snapshot_id: Option<String>,
    size: Option<u32>,
    device: Option<String>,
    disk_type: Option<String>,
}

/// What the image will be made of.
#[derive(Debug)]
pub(super) struct Plan {
    disks: Vec<PlannedDisk>,
    os: OsInfo,
    risks: Vec<Risk>,
    fail_at: Option<u8>,
}

#[derive(Debug)]
pub(super) struct PlannedDisk {
    source: DiskSource,
    device: String,
    disk_type: String,
    size: u32,
    encrypted: bool,
    /// The key an encrypted disk's snapshot is encrypted with (its disk's or snapshot's);
    /// empty for the service key.
    kms_key_id: String,
}

#[derive(Debug)]
pub(super) enum DiskSource {
    Snapshot(String),
    /// A new snapshot of this instance disk is taken.
    InstanceDisk(String),
    Empty,
}

/// CreateImage's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Created {
    image_id: String,
}

pub fn create(state: &mut State, now: DateTime<Utc>, params: &Params) -> Result<Created, SimError> {
    let region_id = super::region_id(state, params)?;
    let request = parse(params)?;
    let region = state
        .regions
        .get(region_id)
        .ok_or_else(SimError::region_not_found)?;
    check_standing(state.account.standing)?;
    let at = Sources {
        region,
        now,
        speed: state.speed,
        account: &state.account,
    };
    let plan = if let Some(instance_id) = &request.instance_id {
        at.instance_plan(instance_id, &request)?
    } else if !request.mappings.is_empty() {
        at.mappings_plan(&request)?
    } else if let Some(snapshot_id) = &request.snapshot_id {
        at.snapshot_plan(snapshot_id, &request)?
    } else {
        return Err(fail(
            400,
            "MissingParameter",
            "The input parameter SnapshotId or InstanceId or DiskDeviceMapping that is mandatory for processing this request is not supplied.",
        ));
    };
    if plan.os.architecture == "arm64" && plan.os.boot_mode == "BIOS" {
        return Err(fail(
            400,
            "InvalidBootMode.NotSupport",
            "The specified parameter BootMode is not supported for current image architecture.",
        ));
    }
    let resource_group_id = match &request.resource_group_id {
        Some(id) if !state.account.resource_groups.contains_key(id) => {
            return Err(fail(
                404,
                "InvalidResourceGroup.NotFound",
                "The ResourceGroup provided does not exist in our records.",
            ));
        }
        Some(id) => id.clone(),
        None => state.account.default_resource_group.clone(),
    };
    let fingerprint = params.fingerprint();
    if !request.dry_run
        && let Some(token) = &request.client_token
        && state
            .regions
            .iter()
            .any(|(id, r)| id != region_id && r.client_tokens.contains_key(token))
    {
        // Which of the table's two token conflicts is which is not documented: the simulator
        // answers this one for a token already used in another region of the account.
        return Err(fail(
            403,
            "InvalidParamter.Conflict",
            "The specified same token is trying to make requests with different parameters.",
        ));
    }
    if !request.dry_run
        && let Some(token) = &request.client_token
        && let Some(record) = region.client_tokens.get(token)
    {
        return if record.fingerprint == fingerprint {
            Ok(Created {
                image_id: record.image_id.clone(),
            })
        } else {
            Err(fail(
                400,
                "IdempotenceParamNotMatch",
                "Request uses a client token in a previous request but is not identical to that request.",
            ))
        };
    }
    check_name_and_quotas(region, &request, state.account.quotas)?;
    if request.dry_run {
        return Err(SimError::dry_run_passed());
    }
    let image_id = commit(
        state,
        region_id,
        now,
        request,
        plan,
        resource_group_id,
        fingerprint,
    );
    Ok(Created { image_id })
}

/// Refusals about the account rather than the request: orders stopped by risk control, a
/// revoked enterprise registration, an overdue payment.
fn check_standing(standing: crate::sim::state::Standing) -> Result<(), SimError> {
    if standing.orders_forbidden {
        return Err(fail(
            400,
            "AccountForbidden.CreateOrder",
            "Order cannot be created due to abnormal account.",
        ));
    }
    if standing.enterprise_revoked {
        return Err(fail(
            403,
            "AccountEnterpriseStatusInvalid",
            "Your enterprise registration is marked as revoked/deregistered in the National Enterprise Credit Information Publicity System. Account transaction features (purchase/renewal/recharge) are disabled. Please update real-name certification via Account Center. Restrictions will auto-remove after verification.",
        ));
    }
    if standing.in_arrears {
        return Err(fail(
            403,
            "InvalidAccountStatus.NotEnoughBalance",
            "Your account does not have enough balance.",
        ));
    }
    Ok(())
}

fn commit(
    state: &mut State,
    region_id: &str,
    now: DateTime<Utc>,
    request: Request,
    plan: Plan,
    resource_group_id: String,
    fingerprint: Vec<(String, String)>,
) -> String {
    let image_id = state.new_id("m", region_id);
    let timing = state.account.timing;
    let speed = state.speed;
    let largest = plan.disks.iter().map(|d| d.size).max().unwrap_or(1).max(1);
    let image_timeline = Timeline {
        start: now,
        seconds: timing.image_seconds,
        fail_at: plan.fail_at,
    };
    let mut disks = Vec::with_capacity(plan.disks.len());
    let mut new_snapshots = Vec::new();
    for disk in &plan.disks {
        // Smaller disks finish sooner; the largest one sets the image's pace.
        let share = 0.4 + 0.6 * f64::from(disk.size) / f64::from(largest);
        let timeline = Timeline {
            seconds: timing.image_seconds * share,
            ..image_timeline
        };
        let snapshot_id = match &disk.source {
            DiskSource::Snapshot(id) => id.clone(),
            DiskSource::Empty => String::new(),
            DiskSource::InstanceDisk(disk_id) => {
                let id = state.new_id("s", region_id);
                new_snapshots.push(Snapshot::for_image(
                    id.clone(),
                    format!("Created for image {image_id}"),
                    (disk_id, &disk.disk_type, disk.size),
                    timeline,
                    now,
                    (disk.encrypted, &disk.kms_key_id),
                    &resource_group_id,
                ));
                id
            }
        };
        disks.push(ImageDisk {
            snapshot_id,
            device: disk.device.clone(),
            disk_type: disk.disk_type.clone(),
            size: disk.size,
            encrypted: disk.encrypted,
            timeline: Some(timeline),
        });
    }
    let size = plan
        .disks
        .iter()
        .find(|d| d.disk_type == "system")
        .map_or(0, |d| d.size);
    let detection = request.detection.then(|| Detection {
        timeline: Timeline {
            start: image_timeline.end(speed),
            seconds: timing.detection_seconds,
            fail_at: None,
        },
        risks: plan.risks.clone(),
    });
    let image = Image {
        id: image_id.clone(),
        name: request.name.clone().unwrap_or_else(|| image_id.clone()),
        family: request.family,
        version: request.version,
        description: request.description,
        status: "Creating".into(),
        timeline: Some(image_timeline),
        creation_time: now,
        owner_alias: "self".into(),
        os: plan.os,
        size,
        disks,
        tags: request.tags,
        resource_group_id,
        detection,
        secure_boot: request.secure_boot,
        delivery: Delivery {
            kms_key_id: image_key(&plan.disks),
            ..Delivery::default()
        },
        rendered: RenderCache::default(),
    };
    if let Some(region) = state.regions.get_mut(region_id) {
        for snapshot in new_snapshots {
            region.snapshots.insert(snapshot.id.clone(), snapshot);
        }
        region.images.insert(image_id.clone(), image);
        if let Some(token) = request.client_token {
            region.client_tokens.insert(
                token,
                TokenRecord {
                    fingerprint,
                    image_id: image_id.clone(),
                },
            );
        }
    }
    image_id
}

/// The key an image's encrypted snapshots are encrypted with, as the share rules read it:
/// empty (the service key) when any of them is encrypted with the service key.
fn image_key(disks: &[PlannedDisk]) -> String {
    let mut keys = disks.iter().filter(|d| d.encrypted).map(|d| &d.kms_key_id);
    match keys.next() {
        Some(first) if !keys.any(String::is_empty) => first.clone(),
        _ => String::new(),
    }
}
