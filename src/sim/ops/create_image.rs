//! CreateImage: every rule of the CreateImage reference a simulator can know, in this order
//! (ours; the service's own order is not documented): syntax → source (InstanceId > DiskDeviceMapping > SnapshotId) →
//! resource checks → resource group → ClientToken → name and quotas → DryRun → create.
//!
//! Single-value rules come from `spec::rules`, the same functions the wizard and recipes use;
//! this module maps their failures to the real ECS codes.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{
    Detection, Image, ImageDisk, InstanceStatus, OsInfo, Region, RenderCache, Risk, Snapshot,
    SnapshotProgress, State, Timeline, TokenRecord,
};
use crate::spec::rules;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

fn fail(status: u16, code: &str, message: &str) -> SimError {
    SimError::new(status, code, message)
}

/// The request after syntax checks.
#[derive(Debug)]
struct Request {
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
struct Mapping {
    snapshot_id: Option<String>,
    size: Option<u32>,
    device: Option<String>,
    disk_type: Option<String>,
}

/// What the image will be made of.
#[derive(Debug)]
struct Plan {
    disks: Vec<PlannedDisk>,
    os: OsInfo,
    risks: Vec<Risk>,
    fail_at: Option<u8>,
}

#[derive(Debug)]
struct PlannedDisk {
    source: DiskSource,
    device: String,
    disk_type: String,
    size: u32,
    encrypted: bool,
}

#[derive(Debug)]
enum DiskSource {
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
    let at = Sources {
        region,
        now,
        speed: state.speed,
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

// --- step 2: syntax ------------------------------------------------------------------------------

fn parse(params: &Params) -> Result<Request, SimError> {
    let checked =
        |name: &str, rule: fn(&str) -> Result<(), String>, err: SimError| match params.get(name) {
            Some(v) => rule(v).map(|()| Some(v.to_string())).map_err(|why| {
                tracing::debug!(parameter = name, reason = %why, "CreateImage rule failed");
                err
            }),
            None => Ok(None),
        };
    let one_of = |name: &str, allowed: &[&str], err: SimError| match params.get(name) {
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
        Some(_) => Err(err),
        None => Ok(None),
    };
    let name = checked(
        "ImageName",
        rules::image_name,
        fail(
            400,
            "InvalidImageName.Malformed",
            "The specified Image name is wrongly formed.",
        ),
    )?;
    let description = checked(
        "Description",
        rules::description,
        fail(
            400,
            "InvalidDescription.Malformed",
            "The specified description is wrongly formed.",
        ),
    )?;
    let family = checked(
        "ImageFamily",
        rules::image_family,
        fail(
            400,
            "InvalidImageFamily.Malformed",
            "The format of the specified image family is invalid.",
        ),
    )?;
    let version = checked(
        "ImageVersion",
        rules::image_version,
        fail(
            400,
            "InvalidImageVersion.Malformed",
            "The specified ImageVersion is wrongly formed.",
        ),
    )?;
    let platform = one_of(
        "Platform",
        rules::PLATFORMS,
        fail(
            400,
            "InvalidPlatform.Malformed",
            "The specified Platform is wrongly formed.",
        ),
    )?;
    let architecture = one_of(
        "Architecture",
        rules::ARCHITECTURES,
        fail(
            400,
            "InvalidArchitecture.Malformed",
            "The specified Architecture is wrongly formed.",
        ),
    )?;
    let boot_mode = one_of(
        "BootMode",
        rules::BOOT_MODES,
        fail(
            400,
            "InvalidBootMode.Malformed",
            "The specified parameter BootMode is invalid. Valid options are BIOS, UEFI, and UEFI-Preferred.",
        ),
    )?;
    let client_token = checked(
        "ClientToken",
        rules::client_token,
        fail(
            400,
            "InvalidClientToken.ValueNotSupported",
            "The ClientToken provided is invalid.",
        ),
    )?;
    let detection = one_of(
        "DetectionStrategy",
        rules::DETECTION_STRATEGIES,
        fail(
            400,
            "InvalidDetectionStrategy.Malformed",
            "The specified value for parameter DetectionStrategy is not supported. Please refer to the documentation for accepted values.",
        ),
    )?;
    let imds_support = one_of(
        "Features.ImdsSupport",
        rules::IMDS_SUPPORT,
        fail(
            400,
            "InvalidParameter.FeaturesImdsSupport",
            "The specified parameter Features.ImdsSupport is not supported.",
        ),
    )?;
    let secure_boot = one_of(
        "SecureBootOptions.SecureBootSupport",
        &["supported", "unsupported"],
        SimError::invalid_parameter(
            "SecureBootOptions.SecureBootSupport",
            "use supported or unsupported",
        ),
    )?;
    Ok(Request {
        name,
        description: description.unwrap_or_default(),
        family: family.unwrap_or_default(),
        version: version.unwrap_or_default(),
        platform,
        architecture,
        boot_mode,
        imds_support,
        detection: detection.is_some(),
        secure_boot: secure_boot.unwrap_or_default(),
        client_token,
        resource_group_id: params.get("ResourceGroupId").map(str::to_string),
        tags: parse_tags(params)?,
        instance_id: params.get("InstanceId").map(str::to_string),
        mappings: parse_mappings(params)?,
        snapshot_id: params.get("SnapshotId").map(str::to_string),
        dry_run: params.dry_run()?,
    })
}

fn parse_tags(params: &Params) -> Result<Vec<(String, String)>, SimError> {
    let key_err = || {
        fail(
            400,
            "InvalidTagKey.Malformed",
            "The specified Tag.n.Key is not valid.",
        )
    };
    let value_err = || {
        fail(
            400,
            "InvalidTagValue.Malformed",
            "The specified Tag.n.Value is not valid.",
        )
    };
    let mut tags = Vec::new();
    let mut keys = BTreeSet::new();
    for group in params.groups("Tag")?.values() {
        // `Tag.N.key`/`Tag.N.value` are the legacy spellings of the same fields.
        let key = group
            .get("Key")
            .or_else(|| group.get("key"))
            .ok_or_else(key_err)?;
        let value = group
            .get("Value")
            .or_else(|| group.get("value"))
            .cloned()
            .unwrap_or_default();
        rules::tag_key(key).map_err(|_| key_err())?;
        rules::tag_value(&value).map_err(|_| value_err())?;
        if !keys.insert(key.clone()) {
            return Err(fail(
                400,
                "Duplicate.TagKey",
                "The Tag.N.Key contain duplicate key.",
            ));
        }
        tags.push((key.clone(), value));
    }
    if tags.len() > rules::MAX_TAGS {
        return Err(fail(
            403,
            "QuotaExceed.Tags",
            &format!(
                "The maximum number of tags is {}; this request has {}.",
                rules::MAX_TAGS,
                tags.len()
            ),
        ));
    }
    Ok(tags)
}

fn parse_mappings(params: &Params) -> Result<Vec<Mapping>, SimError> {
    let mut mappings = Vec::new();
    let mut devices = BTreeSet::new();
    for group in params.groups("DiskDeviceMapping")?.values() {
        let field = |name: &str| group.get(name).filter(|v| !v.is_empty()).cloned();
        let disk_type = field("DiskType");
        if let Some(t) = &disk_type
            && t != "system"
            && t != "data"
        {
            return Err(fail(
                400,
                "InvalidDiskType.ValueNotSupported",
                "The specified disk type is not supported.",
            ));
        }
        let device = field("Device");
        if let Some(device) = &device {
            let valid = match disk_type.as_deref() {
                Some("system") => device == rules::SYSTEM_DEVICE,
                Some(_) => rules::data_device(device).is_ok(),
                None => device == rules::SYSTEM_DEVICE || rules::data_device(device).is_ok(),
            };
            if !valid {
                return Err(fail(
                    400,
                    "InvalidDevice.Malformed",
                    "The specified parameter DiskDeviceMapping.n.Device is not valid.",
                ));
            }
            if !devices.insert(device.clone()) {
                return Err(device_in_use());
            }
        }
        let size = match field("Size") {
            Some(s) => Some(s.trim().parse::<u32>().map_err(|_| size_error())?),
            None => None,
        };
        mappings.push(Mapping {
            snapshot_id: field("SnapshotId"),
            size,
            device,
            disk_type,
        });
    }
    Ok(mappings)
}

fn size_error() -> SimError {
    fail(
        400,
        "InvalidSize.ValueNotSupported",
        "The specified parameter DiskDeviceMapping.n.Size beyond the permitted range.",
    )
}

fn device_in_use() -> SimError {
    fail(
        400,
        "InvalidDevice.InUse",
        "The specified parameter DiskDeviceMapping.n.Device has been occupied.",
    )
}

// --- steps 4-6: sources ----------------------------------------------------------------------------

/// Resolves the image's source in one region at one instant.
struct Sources<'a> {
    region: &'a Region,
    now: DateTime<Utc>,
    speed: f64,
}

impl<'a> Sources<'a> {
    fn instance_plan(&self, instance_id: &str, request: &Request) -> Result<Plan, SimError> {
        let instance = self
            .region
            .instances
            .get(instance_id)
            .ok_or_else(|| SimError::instance_not_found(instance_id))?;
        if !matches!(
            instance.status_at(self.now, self.speed),
            InstanceStatus::Running | InstanceStatus::Stopped
        ) {
            return Err(SimError::incorrect_instance_status());
        }
        if instance.security_locked() {
            return Err(SimError::instance_locked_for_security());
        }
        let disks = self.region.instance_disks(instance_id);
        if !disks.iter().any(|d| d.disk_type == "system") {
            return Err(SimError::no_system_disk());
        }
        let planned = disks
            .iter()
            .map(|d| PlannedDisk {
                source: DiskSource::InstanceDisk(d.id.clone()),
                device: if d.disk_type == "system" {
                    rules::SYSTEM_DEVICE.to_string()
                } else {
                    d.device.clone().unwrap_or_default()
                },
                disk_type: d.disk_type.clone(),
                size: d.size,
                encrypted: d.encrypted,
            })
            .collect();
        let mut os = instance.os.clone();
        if let Some(mode) = &request.boot_mode {
            os.boot_mode = mode.clone();
        }
        if let Some(imds) = &request.imds_support {
            os.imds_support = imds.clone();
        }
        Ok(Plan {
            disks: planned,
            os,
            risks: instance.risks.clone(),
            fail_at: instance.fail_image_at,
        })
    }

    /// A snapshot that may become part of an image: exists, finished, recent enough, not archived.
    fn usable_snapshot(&self, id: &str) -> Result<&'a Snapshot, SimError> {
        let snapshot = self
            .region
            .snapshots
            .get(id)
            .ok_or_else(SimError::snapshot_not_found)?;
        if snapshot.status_at(self.now, self.speed).0 != "accomplished" {
            return Err(fail(
                403,
                "InvalidSnapshotId.NotReady",
                "The current status of the DiskDeviceMapping.n.SnapshotId or SnapshotId does not support this operation.",
            ));
        }
        if !rules::snapshot_date_allowed(snapshot.creation_time) {
            return Err(fail(
                403,
                "InvalidSnapshot.TooOld",
                "This operation is denied because the specified snapshot by DiskDeviceMapping.n.SnapshotId or SnapshotId is created before 2013-07-15.",
            ));
        }
        if snapshot.category.eq_ignore_ascii_case("archive") {
            return Err(fail(
                403,
                "InvalidSnapshotCategory.NotSupportImageCreation",
                "The specified snapshot category does not support create image.",
            ));
        }
        Ok(snapshot)
    }

    fn snapshot_plan(&self, snapshot_id: &str, request: &Request) -> Result<Plan, SimError> {
        let snapshot = self.usable_snapshot(snapshot_id)?;
        if snapshot.source_disk_type != "system" {
            return Err(fail(
                403,
                "OperationDenied",
                "The specified snapshot is not allowed to create image.",
            ));
        }
        let disk = PlannedDisk {
            source: DiskSource::Snapshot(snapshot.id.clone()),
            device: rules::SYSTEM_DEVICE.into(),
            disk_type: "system".into(),
            size: snapshot.source_disk_size,
            encrypted: snapshot.encrypted,
        };
        Ok(Plan {
            disks: vec![disk],
            os: snapshot_os(self.region, snapshot, request),
            risks: snapshot.risks.clone(),
            fail_at: snapshot.fail_image_at,
        })
    }

    fn mappings_plan(&self, request: &Request) -> Result<Plan, SimError> {
        let mut planned = Vec::new();
        let mut system: Option<&Snapshot> = None;
        let mut risks = Vec::new();
        let mut fail_at: Option<u8> = None;
        for (index, mapping) in request.mappings.iter().enumerate() {
            let snapshot = match &mapping.snapshot_id {
                Some(id) => Some(self.usable_snapshot(id)?),
                None => None,
            };
            let disk_type = mapping
                .disk_type
                .clone()
                .or_else(|| snapshot.map(|s| s.source_disk_type.clone()))
                .unwrap_or_else(|| "data".into());
            let size = match snapshot {
                Some(s) => {
                    let size = mapping.size.unwrap_or(s.source_disk_size);
                    rules::disk_size(size, Some(s.source_disk_size)).map_err(|_| size_error())?;
                    size
                }
                None => {
                    let size = mapping.size.unwrap_or(rules::DEFAULT_EMPTY_DISK_SIZE);
                    rules::empty_disk_size(size).map_err(|_| size_error())?;
                    size
                }
            };
            if disk_type == "system" {
                let Some(snapshot) = snapshot else {
                    return Err(SimError::missing_parameter(&format!(
                        "DiskDeviceMapping.{}.SnapshotId",
                        index + 1
                    )));
                };
                if system.is_some() {
                    return Err(fail(
                        400,
                        "OperationDenied",
                        "The specified parameter DiskDeviceMapping.n.SnapshotId contains two or more system disk snapshots.",
                    ));
                }
                if snapshot.source_disk_type == "data" && snapshot.encrypted {
                    return Err(fail(
                        400,
                        "InvalidParameter.DiskType",
                        "The specified disk type which has kms key can't convert to system disk.",
                    ));
                }
                if mapping
                    .device
                    .as_deref()
                    .is_some_and(|d| d != rules::SYSTEM_DEVICE)
                {
                    return Err(fail(
                        400,
                        "InvalidDevice.Malformed",
                        "The specified parameter DiskDeviceMapping.n.Device is not valid.",
                    ));
                }
                system = Some(snapshot);
            } else if mapping.device.as_deref() == Some(rules::SYSTEM_DEVICE) {
                return Err(fail(
                    400,
                    "InvalidDevice.Malformed",
                    "The specified parameter DiskDeviceMapping.n.Device is not valid.",
                ));
            }
            if let Some(s) = snapshot {
                risks.extend(s.risks.iter().cloned());
                fail_at = match (fail_at, s.fail_image_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            planned.push(PlannedDisk {
                source: snapshot.map_or(DiskSource::Empty, |s| DiskSource::Snapshot(s.id.clone())),
                device: mapping.device.clone().unwrap_or_default(),
                disk_type,
                size,
                encrypted: snapshot.is_some_and(|s| s.encrypted),
            });
        }
        let Some(system) = system else {
            return Err(fail(
                400,
                "OperationDenied",
                "The specified parameter DiskDeviceMapping.n.SnapshotId does not contain system disk snapshot.",
            ));
        };
        let data_disks = planned.iter().filter(|d| d.disk_type == "data").count();
        if data_disks > rules::MAX_DATA_DISKS {
            return Err(SimError::invalid_parameter(
                "DiskDeviceMapping",
                &format!(
                    "an image has at most {} data disks; this request has {data_disks}",
                    rules::MAX_DATA_DISKS
                ),
            ));
        }
        assign_devices(&mut planned)?;
        // System disk first, data disks in device order, as DescribeImages lists them.
        planned.sort_by(|a, b| {
            (a.disk_type != "system", &a.device).cmp(&(b.disk_type != "system", &b.device))
        });
        Ok(Plan {
            disks: planned,
            os: snapshot_os(self.region, system, request),
            risks,
            fail_at,
        })
    }
}

/// System disk on `/dev/xvda`; data disks without a device get the first free of
/// `/dev/xvdb`...`/dev/xvdz` in request order.
fn assign_devices(disks: &mut [PlannedDisk]) -> Result<(), SimError> {
    let mut used: BTreeSet<String> = disks
        .iter()
        .filter(|d| !d.device.is_empty())
        .map(|d| d.device.clone())
        .collect();
    let mut next = 0;
    for disk in disks.iter_mut().filter(|d| d.device.is_empty()) {
        if disk.disk_type == "system" {
            if !used.insert(rules::SYSTEM_DEVICE.into()) {
                return Err(device_in_use());
            }
            disk.device = rules::SYSTEM_DEVICE.into();
            continue;
        }
        loop {
            let device = rules::default_data_device(next).ok_or_else(device_in_use)?;
            next += 1;
            if used.insert(device.clone()) {
                disk.device = device;
                break;
            }
        }
    }
    Ok(())
}

/// The OS of an image made from snapshots: the request's Platform/Architecture when given,
/// else the image the source disk was created from, else the documented defaults.
fn snapshot_os(region: &Region, system: &Snapshot, request: &Request) -> OsInfo {
    let inherited = region
        .disks
        .get(&system.source_disk_id)
        .filter(|_| system.source_disk_type == "system")
        .and_then(|d| region.images.get(&d.image_id))
        .map(|i| i.os.clone());
    let mut os = inherited.unwrap_or_else(|| OsInfo {
        platform: rules::DEFAULT_PLATFORM.into(),
        architecture: rules::DEFAULT_ARCHITECTURE.into(),
        os_name: String::new(),
        os_name_en: String::new(),
        os_type: String::new(),
        boot_mode: "BIOS".into(),
        imds_support: "v1".into(),
    });
    if let Some(platform) = &request.platform {
        os.platform = platform.clone();
    }
    if let Some(architecture) = &request.architecture {
        os.architecture = architecture.clone();
    }
    if os.os_name.is_empty() || request.platform.is_some() {
        os.os_name = format!("{} {}", os.platform, os.architecture);
        os.os_name_en = os.os_name.clone();
    }
    os.os_type = if os.platform.starts_with("Windows") {
        "windows"
    } else {
        "linux"
    }
    .into();
    if let Some(mode) = &request.boot_mode {
        os.boot_mode = mode.clone();
    }
    // Images from snapshots default to IMDS v1 unless the request says otherwise.
    os.imds_support = request.imds_support.clone().unwrap_or_else(|| "v1".into());
    os
}

// --- step 10: names and quotas -------------------------------------------------------------------

fn check_name_and_quotas(
    region: &Region,
    request: &Request,
    quotas: super::super::state::Quotas,
) -> Result<(), SimError> {
    let custom: Vec<&Image> = region.images.values().filter(|i| i.is_custom()).collect();
    if let Some(name) = &request.name
        && custom.iter().any(|i| &i.name == name)
    {
        return Err(fail(
            400,
            "InvalidImageName.Duplicated",
            "The specified image name is already in use.",
        ));
    }
    if custom.len() >= quotas.images {
        return Err(fail(403, "QuotaExceed.Image", "The Image Quota exceeds."));
    }
    if !request.family.is_empty() {
        let in_family = custom.iter().filter(|i| i.family == request.family).count();
        if in_family >= quotas.images_per_family {
            return Err(fail(
                400,
                "ImageQuotaExceed.ImageFamily",
                "The specified image family exceeds the maximum number of images for one image family.",
            ));
        }
        let families: BTreeSet<&str> = custom
            .iter()
            .map(|i| i.family.as_str())
            .filter(|f| !f.is_empty())
            .collect();
        if in_family == 0 && families.len() >= quotas.families {
            return Err(fail(
                400,
                "ImageFamilyQuotaExceed",
                "The number of image families exceeds the limit in the region.",
            ));
        }
    }
    Ok(())
}

// --- step 11: create -------------------------------------------------------------------------------

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
                new_snapshots.push(Snapshot {
                    id: id.clone(),
                    name: String::new(),
                    description: format!("Created for image {image_id}"),
                    source_disk_id: disk_id.clone(),
                    source_disk_type: disk.disk_type.clone(),
                    source_disk_size: disk.size,
                    progress: SnapshotProgress::Timed(timeline),
                    creation_time: now,
                    encrypted: disk.encrypted,
                    kms_key_id: String::new(),
                    category: "Standard".into(),
                    usage: "image".into(),
                    snapshot_type: "user".into(),
                    resource_group_id: resource_group_id.clone(),
                    tags: Vec::new(),
                    fail_image_at: None,
                    risks: Vec::new(),
                });
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
