//! The resources ECS lists (regions, instances, disks, snapshots, images, their parts) and
//! Resource Manager's resource groups, in the JSON shapes the services send.

use serde::{Deserialize, Serialize};

use crate::api::lenient::{self, parse_percent};

/// Declares the one-key list wrappers ECS puts around every array:
/// `{"Image":[…]}` becomes a struct with a single `Vec` field renamed to `Image`.
macro_rules! list_wrapper {
    ($(#[$doc:meta])* $name:ident, $key:literal, $field:ident: $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            #[serde(rename = $key, default)]
            pub $field: Vec<$item>,
        }

        impl From<Vec<$item>> for $name {
            fn from($field: Vec<$item>) -> Self {
                Self { $field }
            }
        }
    };
}

list_wrapper!(
    /// `{"Region":[…]}`
    Regions, "Region", region: Region);
list_wrapper!(
    /// `{"Instance":[…]}`
    Instances, "Instance", instance: Instance);
list_wrapper!(
    /// `{"Disk":[…]}`
    Disks, "Disk", disk: Disk);
list_wrapper!(
    /// `{"Snapshot":[…]}`
    Snapshots, "Snapshot", snapshot: Snapshot);
list_wrapper!(
    /// `{"Image":[…]}`
    Images, "Image", image: Image);
list_wrapper!(
    /// `{"Tag":[…]}`
    Tags, "Tag", tag: Tag);
list_wrapper!(
    /// Instance locks: `{"LockReason":[…]}`.
    InstanceLocks, "LockReason", lock_reason: OperationLock);
list_wrapper!(
    /// Disk locks: `{"OperationLock":[…]}`.
    DiskLocks, "OperationLock", operation_lock: OperationLock);
list_wrapper!(
    /// `{"DiskDeviceMapping":[…]}`
    DiskDeviceMappings, "DiskDeviceMapping", disk_device_mapping: DiskDeviceMapping);
list_wrapper!(
    /// `{"Item":[…]}` inside `DetectionOptions`.
    DetectionItems, "Item", item: DetectionItem);
list_wrapper!(
    /// `{"IpAddress":[…]}`
    IpAddresses, "IpAddress", ip_address: String);
list_wrapper!(
    /// `{"SecurityGroupId":[…]}`
    SecurityGroupIds, "SecurityGroupId", security_group_id: String);
list_wrapper!(
    /// `{"InstanceResponse":[…]}` in a StopInstances or StartInstances answer.
    InstanceResponses, "InstanceResponse", instance_response: InstanceResponse);

/// A resource tag as responses spell it (`TagKey`/`TagValue`, not `Key`/`Value`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    #[serde(deserialize_with = "lenient::text")]
    pub tag_key: String,
    #[serde(deserialize_with = "lenient::text")]
    pub tag_value: String,
}

/// One entry of `OperationLocks` (instances and disks share the shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OperationLock {
    /// `financial`, `security`, `recycling`, `dedicatedhostfinancial`, `refunded`.
    pub lock_reason: String,
    pub lock_msg: String,
}

/// DescribeRegions row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Region {
    pub region_id: String,
    pub local_name: String,
    pub region_endpoint: String,
    /// `available` or `soldOut`.
    pub status: String,
}

/// `VpcAttributes` of an instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcAttributes {
    pub vpc_id: String,
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    pub private_ip_address: IpAddresses,
}

/// DescribeInstances row (the fields the product shows or decides on).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    pub instance_id: String,
    pub instance_name: String,
    pub description: String,
    pub host_name: String,
    /// `Pending`, `Running`, `Starting`, `Stopping`, `Stopped`.
    pub status: String,
    pub region_id: String,
    pub zone_id: String,
    pub instance_type: String,
    pub instance_type_family: String,
    #[serde(deserialize_with = "lenient::number")]
    pub cpu: u64,
    /// MiB.
    #[serde(deserialize_with = "lenient::number")]
    pub memory: u64,
    pub image_id: String,
    #[serde(rename = "OSName")]
    pub os_name: String,
    #[serde(rename = "OSNameEn")]
    pub os_name_en: String,
    #[serde(rename = "OSType")]
    pub os_type: String,
    /// Minute precision: `yyyy-MM-ddTHH:mmZ`.
    pub creation_time: String,
    pub start_time: String,
    pub expired_time: String,
    pub instance_charge_type: String,
    pub instance_network_type: String,
    pub stopped_mode: String,
    pub resource_group_id: String,
    #[serde(deserialize_with = "lenient::flag")]
    pub deletion_protection: bool,
    #[serde(deserialize_with = "lenient::flag")]
    pub io_optimized: bool,
    pub operation_locks: InstanceLocks,
    pub tags: Tags,
    pub vpc_attributes: VpcAttributes,
    pub public_ip_address: IpAddresses,
    pub inner_ip_address: IpAddresses,
    pub security_group_ids: SecurityGroupIds,
}

impl Instance {
    /// A security lock forbids creating an image from the instance
    /// (`InstanceLockedForSecurity`).
    pub fn is_security_locked(&self) -> bool {
        self.operation_locks
            .lock_reason
            .iter()
            .any(|l| l.lock_reason.eq_ignore_ascii_case("security"))
    }

    /// CreateImage accepts an instance only in these states.
    pub fn can_create_image(&self) -> bool {
        matches!(self.status.as_str(), "Running" | "Stopped") && !self.is_security_locked()
    }

    /// Whether StopInstances' economical mode (`StoppedMode=StopCharging`) can apply: only
    /// pay-as-you-go instances in a VPC; others stop in `KeepCharging` whatever is asked.
    pub fn economical_mode_applies(&self) -> bool {
        self.instance_charge_type == "PostPaid" && !self.vpc_attributes.vpc_id.is_empty()
    }

    /// The English OS name when the server gave one, else the (localised) `OSName`.
    pub fn os_display_name(&self) -> &str {
        if self.os_name_en.is_empty() {
            &self.os_name
        } else {
            &self.os_name_en
        }
    }
}

/// DescribeDisks row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Disk {
    pub disk_id: String,
    pub disk_name: String,
    pub description: String,
    /// `system` or `data`.
    #[serde(rename = "Type")]
    pub disk_type: String,
    pub category: String,
    /// GiB.
    #[serde(deserialize_with = "lenient::number")]
    pub size: u64,
    /// Set only while attached (`In_use`/`Detaching`).
    pub device: String,
    pub instance_id: String,
    pub status: String,
    #[serde(deserialize_with = "lenient::flag")]
    pub encrypted: bool,
    #[serde(rename = "KMSKeyId")]
    pub kms_key_id: String,
    pub image_id: String,
    pub source_snapshot_id: String,
    pub zone_id: String,
    pub region_id: String,
    pub creation_time: String,
    pub performance_level: String,
    pub resource_group_id: String,
    #[serde(deserialize_with = "lenient::flag")]
    pub delete_with_instance: bool,
    #[serde(deserialize_with = "lenient::flag")]
    pub portable: bool,
    pub operation_locks: DiskLocks,
    pub tags: Tags,
}

impl Disk {
    pub fn is_system(&self) -> bool {
        self.disk_type.eq_ignore_ascii_case("system")
    }
}

/// DescribeSnapshots row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Snapshot {
    pub snapshot_id: String,
    pub snapshot_name: String,
    pub description: String,
    /// `progressing`, `accomplished`, `failed`.
    pub status: String,
    /// `"100%"`.
    #[serde(deserialize_with = "lenient::text")]
    pub progress: String,
    /// Seconds.
    #[serde(deserialize_with = "lenient::number")]
    pub remain_time: u64,
    pub source_disk_id: String,
    /// GiB; a string in the SDK model, a number in the docs' sample.
    #[serde(deserialize_with = "lenient::text")]
    pub source_disk_size: String,
    /// `system` or `data` (case varies).
    pub source_disk_type: String,
    /// `standard`, `flash` or `archive` (case varies); archived snapshots cannot become
    /// images. Empty when not listed.
    #[serde(deserialize_with = "lenient::text")]
    pub category: String,
    #[serde(deserialize_with = "lenient::flag")]
    pub encrypted: bool,
    #[serde(rename = "KMSKeyId")]
    pub kms_key_id: String,
    /// `image`, `disk`, `image_disk`, `none`.
    pub usage: String,
    /// `yyyy-MM-ddTHH:mm:ssZ`.
    pub creation_time: String,
    pub last_modified_time: String,
    pub snapshot_type: String,
    #[serde(deserialize_with = "lenient::number")]
    pub retention_days: u64,
    #[serde(deserialize_with = "lenient::flag")]
    pub available: bool,
    #[serde(deserialize_with = "lenient::flag")]
    pub instant_access: bool,
    pub resource_group_id: String,
    pub tags: Tags,
}

impl Snapshot {
    pub fn source_disk_size_gib(&self) -> Option<u64> {
        self.source_disk_size.trim().parse().ok()
    }

    pub fn progress_percent(&self) -> Option<u8> {
        parse_percent(&self.progress)
    }

    pub fn is_system_disk(&self) -> bool {
        self.source_disk_type.eq_ignore_ascii_case("system")
    }

    /// Only finished snapshots can become images (`InvalidSnapshotId.NotReady`).
    pub fn is_accomplished(&self) -> bool {
        self.status.eq_ignore_ascii_case("accomplished")
    }
}

/// `Features` of an image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageFeatures {
    /// `v1` or `v2`.
    pub imds_support: String,
    /// `supported` or `unsupported`.
    pub nvme_support: String,
}

/// One disk of an image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DiskDeviceMapping {
    pub snapshot_id: String,
    /// `/dev/xvda`, …
    pub device: String,
    /// `system` or `data`.
    #[serde(rename = "Type")]
    pub disk_type: String,
    /// GiB as a string (`"60"`).
    #[serde(deserialize_with = "lenient::text")]
    pub size: String,
    /// `"32%"`, often `""`.
    #[serde(deserialize_with = "lenient::text")]
    pub progress: String,
    /// Seconds.
    #[serde(deserialize_with = "lenient::number")]
    pub remain_time: u64,
    pub format: String,
    #[serde(rename = "ImportOSSBucket")]
    pub import_oss_bucket: String,
    #[serde(rename = "ImportOSSObject")]
    pub import_oss_object: String,
    #[serde(deserialize_with = "lenient::flag")]
    pub encrypted: bool,
}

impl DiskDeviceMapping {
    pub fn size_gib(&self) -> Option<u64> {
        self.size.trim().parse().ok()
    }

    pub fn progress_percent(&self) -> Option<u8> {
        parse_percent(&self.progress)
    }
}

/// One finding of the image check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DetectionItem {
    pub name: String,
    pub value: String,
    /// `High` or `Medium`.
    pub risk_level: String,
    pub risk_code: String,
}

/// The image check (`DetectionStrategy=Standard`) state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DetectionOptions {
    /// `Processing` or `Finished`.
    pub status: String,
    pub items: DetectionItems,
}

/// DescribeImages row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Image {
    pub image_id: String,
    pub image_name: String,
    pub image_family: String,
    pub image_version: String,
    pub description: String,
    /// `Creating`, `Waiting`, `Available`, `UnAvailable`, `CreateFailed`, `Deprecated`.
    pub status: String,
    /// `"45%"`.
    #[serde(deserialize_with = "lenient::text")]
    pub progress: String,
    pub creation_time: String,
    /// GiB.
    #[serde(deserialize_with = "lenient::number")]
    pub size: u64,
    pub architecture: String,
    pub platform: String,
    #[serde(rename = "OSName")]
    pub os_name: String,
    #[serde(rename = "OSNameEn")]
    pub os_name_en: String,
    #[serde(rename = "OSType")]
    pub os_type: String,
    pub boot_mode: String,
    pub image_owner_alias: String,
    #[serde(deserialize_with = "lenient::number")]
    pub image_owner_id: u64,
    pub resource_group_id: String,
    /// `instance` or `none`.
    pub usage: String,
    #[serde(deserialize_with = "lenient::flag")]
    pub usable: bool,
    #[serde(deserialize_with = "lenient::flag")]
    pub is_public: bool,
    #[serde(deserialize_with = "lenient::flag")]
    pub is_copied: bool,
    /// A string on the wire (`"False"`).
    #[serde(deserialize_with = "lenient::text")]
    pub is_self_shared: String,
    #[serde(deserialize_with = "lenient::flag")]
    pub is_support_cloudinit: bool,
    #[serde(deserialize_with = "lenient::flag")]
    pub is_support_io_optimized: bool,
    pub license_type: String,
    pub product_code: String,
    pub features: ImageFeatures,
    pub tags: Tags,
    pub disk_device_mappings: DiskDeviceMappings,
    pub detection_options: DetectionOptions,
}

impl Image {
    pub fn progress_percent(&self) -> Option<u8> {
        parse_percent(&self.progress)
    }

    /// Available and usable: the image can launch instances.
    pub fn is_ready(&self) -> bool {
        self.status == "Available" && self.usable
    }

    pub fn is_failed(&self) -> bool {
        self.status == "CreateFailed"
    }
}

/// StopInstances (and StartInstances) per-instance result (`Code` is `200` on success).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceResponse {
    pub instance_id: String,
    pub previous_status: String,
    pub current_status: String,
    #[serde(deserialize_with = "lenient::text")]
    pub code: String,
    pub message: String,
}

impl InstanceResponse {
    pub fn is_success(&self) -> bool {
        self.code == "200"
    }
}

// Resource Manager (API version 2020-03-31)

list_wrapper!(
    /// `{"ResourceGroup":[…]}`
    ResourceGroupList, "ResourceGroup", resource_group: ResourceGroup);

/// A resource group as ListResourceGroups lists it. `name` is the unique identifier (letters,
/// digits, hyphens); `display_name` is what consoles show, and may repeat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ResourceGroup {
    /// `rg-…`: what CreateImage's `ResourceGroupId` takes.
    pub id: String,
    pub name: String,
    pub display_name: String,
    #[serde(deserialize_with = "lenient::text")]
    pub account_id: String,
    /// `Creating`, `OK` or `PendingDelete`.
    pub status: String,
    /// UTC, `yyyy-MM-ddTHH:mm:ssZ`.
    pub create_date: String,
}

impl ResourceGroup {
    /// Whether resources can be put in the group now (it exists and is not being deleted).
    pub fn is_ready(&self) -> bool {
        self.status.is_empty() || self.status == "OK"
    }
}
