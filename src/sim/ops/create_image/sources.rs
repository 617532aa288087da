//! Steps 4-6 of CreateImage: the image's source (an instance, disk mappings or a system-disk
//! snapshot) resolved against the region, with the resource checks each kind needs.

use crate::sim::error::SimError;
use crate::sim::state::{Account, Disk, DiskCondition, InstanceStatus, OsInfo, Region, Snapshot};
use crate::spec::rules;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use super::{
    DiskSource, Plan, PlannedDisk, Request, device_in_use, fail, kms_key_usable, size_error,
};

/// Local disks: their data lives on the host and cannot be snapshotted into an image.
const LOCAL_CATEGORIES: &[&str] = &[
    "local_ssd_pro",
    "local_hdd_pro",
    "ephemeral",
    "ephemeral_ssd",
];
/// Elastic ephemeral disks take no snapshots at all
/// (https://www.alibabacloud.com/help/en/ecs/user-guide/elastic-ephemeral-disks).
const EPHEMERAL_CATEGORIES: &[&str] = &[
    "elastic_ephemeral_disk_standard",
    "elastic_ephemeral_disk_premium",
];

/// Resolves the image's source in one region at one instant.
pub(super) struct Sources<'a> {
    pub(super) region: &'a Region,
    pub(super) now: DateTime<Utc>,
    pub(super) speed: f64,
    pub(super) account: &'a Account,
}

impl<'a> Sources<'a> {
    pub(super) fn instance_plan(
        &self,
        instance_id: &str,
        request: &Request,
    ) -> Result<Plan, SimError> {
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
        if instance.hibernation {
            return Err(fail(
                403,
                "HibernationConfigured.InstanceOperationForbidden",
                "The operation is not permitted due to limit of the hibernation configured instance.",
            ));
        }
        let disks = self.region.instance_disks(instance_id);
        if !disks.iter().any(|d| d.disk_type == "system") {
            return Err(SimError::no_system_disk());
        }
        if self.account.standing.snapshot_service_off {
            return Err(fail(
                403,
                "InvalidAccountStatus.SnapshotServiceUnavailable",
                "Snapshot service has not been opened yet.",
            ));
        }
        for disk in &disks {
            self.disk_can_be_snapshotted(disk)?;
        }
        self.room_for_snapshots(disks.len())?;
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
                kms_key_id: d.kms_key_id.clone(),
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

    /// The checks a disk of the instance passes before its snapshot is taken: category, state,
    /// encryption key, and the snapshots already being made of it.
    fn disk_can_be_snapshotted(&self, disk: &Disk) -> Result<(), SimError> {
        if LOCAL_CATEGORIES.contains(&disk.category.as_str()) {
            return Err(fail(
                400,
                "InvalidDiskCategory.CreateImage",
                "The specified diskCategory is not allowed to create image.",
            ));
        }
        if EPHEMERAL_CATEGORIES.contains(&disk.category.as_str()) {
            return Err(fail(
                400,
                "InvalidOperation.DiskCategoryUnsupported",
                "The current category of the disk does not support this operation.",
            ));
        }
        let refusal = match disk.condition {
            DiskCondition::Normal => None,
            DiskCondition::NeverAttached => Some((
                403,
                "IncorrectDiskStatus.NeverAttached",
                "The specified disk has never been attached to instance.",
            )),
            DiskCondition::Invalid => Some((
                403,
                "IncorrectDiskStatus.Invalid",
                "Device status is invalid, please restart instance and try again.",
            )),
            DiskCondition::Transferring => Some((
                403,
                "IncorrectDiskStatus.Transferring",
                "The specified device is transferring, you can retry after the process is finished.",
            )),
            DiskCondition::ReIniting => Some((
                403,
                "IncorrectDiskStatus",
                "The current disk status does not support this operation.",
            )),
            DiskCondition::CreatingSnapshot => Some((
                403,
                "IncorrectDiskStatus.CreatingSnapshot",
                "A previous snapshot creation is in process.",
            )),
            DiskCondition::NeedsRestart => Some((
                403,
                "IncorrectInstanceStatus.NeedRestart",
                "The instance needs to be restarted after adding a disk in a shutdown status.",
            )),
            DiskCondition::SnapshotFails => Some((
                500,
                "InternalError",
                "The process of creating snapshot has failed due to some unknown error.",
            )),
        };
        if let Some((status, code, message)) = refusal {
            return Err(fail(status, code, message));
        }
        self.key_usable(disk.encrypted, &disk.kms_key_id)?;
        let running = self
            .region
            .snapshots
            .values()
            .filter(|s| s.source_disk_id == disk.id && self.unfinished(s))
            .count();
        if let Some(quota) = self.account.quotas.concurrent_snapshots_per_disk
            && running >= quota
        {
            return Err(fail(
                403,
                "QuotaExceed.ConcurrentSnapshotQuota",
                &format!(
                    "The number of snapshots being created for the disk {} has exceeded the concurrent quota ({quota}). Please wait for the previous snapshots to complete before trying again.",
                    disk.id
                ),
            ));
        }
        Ok(())
    }

    fn unfinished(&self, snapshot: &Snapshot) -> bool {
        snapshot.status_at(self.now, self.speed).0 == "progressing"
    }

    /// The region's snapshot quotas leave room for `new` more.
    fn room_for_snapshots(&self, new: usize) -> Result<(), SimError> {
        let quotas = self.account.quotas;
        let unfinished = self
            .region
            .snapshots
            .values()
            .filter(|s| self.unfinished(s))
            .count();
        if quotas.unfinished_snapshots.is_some_and(|q| unfinished >= q) {
            return Err(fail(
                403,
                "TooManySnapshot.Unfinished",
                "There are too many snapshots being created, please wait for them to be created done.",
            ));
        }
        if quotas
            .snapshots
            .is_some_and(|q| self.region.snapshots.len() + new > q)
        {
            return Err(fail(
                403,
                "QuotaExceed.Snapshot",
                "The snapshot quota exceeds.",
            ));
        }
        Ok(())
    }

    /// An encrypted disk or snapshot whose key the seed lists must be usable by ECS; keys the
    /// seed does not list are taken as healthy.
    fn key_usable(&self, encrypted: bool, key_id: &str) -> Result<(), SimError> {
        match self.account.kms_keys.get(key_id) {
            Some(key) if encrypted => kms_key_usable(key),
            _ => Ok(()),
        }
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
        let flags = snapshot.flags;
        if flags.flash_only {
            return Err(fail(
                403,
                "OperationDenied.InvalidSnapshotCategory",
                &format!(
                    "The snapshot {id} is an instant-access snapshot without a standard copy yet; it cannot create an image until the copy exists."
                ),
            ));
        }
        if flags.unavailable {
            return Err(fail(
                403,
                "SnapshotNotReady",
                "The specified snapshot is not ready.",
            ));
        }
        if flags.cloudbox {
            return Err(fail(
                403,
                "InvalidOperation.SnapshotStorageLocationUnsupported",
                "Snapshots with storage location in CloudBox do not support the current operation.",
            ));
        }
        if flags.default_free {
            return Err(fail(
                403,
                "InvalidOperation.DefaultFreeSnapshotNotSupport",
                "The specified snapshot is a default free snapshot and does not support this operation.",
            ));
        }
        self.key_usable(snapshot.encrypted, &snapshot.kms_key_id)?;
        Ok(snapshot)
    }

    pub(super) fn snapshot_plan(
        &self,
        snapshot_id: &str,
        request: &Request,
    ) -> Result<Plan, SimError> {
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
            kms_key_id: snapshot.kms_key_id.clone(),
        };
        Ok(Plan {
            disks: vec![disk],
            os: snapshot_os(self.region, snapshot, request),
            risks: snapshot.risks.clone(),
            fail_at: snapshot.fail_image_at,
        })
    }

    pub(super) fn mappings_plan(&self, request: &Request) -> Result<Plan, SimError> {
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
                    return Err(fail(
                        403,
                        "InvalidSystemSnapshot.Missing",
                        &format!(
                            "DiskDeviceMapping.{} is the system disk but names no SnapshotId.",
                            index + 1
                        ),
                    ));
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
                if snapshot.source_disk_type == "data"
                    && self.account.standing.no_data_disk_system_images
                {
                    return Err(fail(
                        403,
                        "UserNotInTheWhiteList",
                        "The user is not in the white list of create image by data disk snapshot.",
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
                kms_key_id: snapshot.map(|s| s.kms_key_id.clone()).unwrap_or_default(),
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
