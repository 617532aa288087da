//! Response types in the JSON shapes ECS really sends (`"Images":{"Image":[…]}` and so on).
//!
//! Parsing is lenient on purpose: a real server omits fields freely, and the SDK models, the
//! docs and live responses disagree on whether some numbers are strings (`SourceDiskSize`,
//! `DiskDeviceMapping.Size`). Every field defaults when absent, numbers and booleans accept their
//! string spellings, and fields the wire declares as strings stay strings with typed accessors.
//! `Serialize` writes the same shapes back, so the simulator can answer with these types.

use serde::{Deserialize, Serialize};

use super::error::ApiError;

/// Lenient deserializers for fields whose JSON type varies between servers.
pub(crate) mod lenient {
    use serde::de::{self, Deserializer, Unexpected, Visitor};
    use std::fmt;

    /// A string, also from a number or boolean; `null` is empty.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_unit<E: de::Error>(self) -> Result<String, E> {
                Ok(String::new())
            }
        }
        d.deserialize_any(V)
    }

    /// A non-negative integer, also from a decimal string; `""` and `null` are 0.
    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = u64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer or a string holding one")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
                u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
                // Integral values only (some encoders write `40.0`).
                if v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 {
                    Ok(v as u64)
                } else {
                    Err(E::invalid_value(Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
                let t = v.trim();
                if t.is_empty() {
                    return Ok(0);
                }
                t.parse()
                    .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
                Ok(0)
            }
        }
        d.deserialize_any(V)
    }

    /// A boolean, also from `"true"`/`"False"` (any case); `""` and `null` are false.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or \"true\"/\"false\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                match v.trim().to_ascii_lowercase().as_str() {
                    "true" => Ok(true),
                    "false" | "" => Ok(false),
                    _ => Err(E::invalid_value(Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
        }
        d.deserialize_any(V)
    }
}

/// `"45%"` → 45. `""`, junk and values above 100 give `None`.
pub fn parse_percent(text: &str) -> Option<u8> {
    let t = text.trim();
    let digits = t.strip_suffix('%').unwrap_or(t).trim();
    digits.parse::<u8>().ok().filter(|p| *p <= 100)
}

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

// ---------------------------------------------------------------------------------------------
// Whole responses

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRegionsResponse {
    pub request_id: String,
    pub regions: Regions,
}

/// DescribeInstances pages by `NextToken` (as do disks and snapshots).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstancesResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    /// Empty or absent on the last page.
    #[serde(deserialize_with = "lenient::text")]
    pub next_token: String,
    pub instances: Instances,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeDisksResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::text")]
    pub next_token: String,
    pub disks: Disks,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSnapshotsResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::text")]
    pub next_token: String,
    pub snapshots: Snapshots,
}

/// DescribeImages pages by number, not token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeImagesResponse {
    pub request_id: String,
    pub region_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u64,
    pub images: Images,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateImageResponse {
    pub request_id: String,
    pub image_id: String,
}

/// The answer of StopInstances, and of StartInstances (the same shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StopInstancesResponse {
    pub request_id: String,
    pub instance_responses: InstanceResponses,
}

/// Answers that carry nothing but the request id (DeleteImage).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RequestIdOnly {
    pub request_id: String,
}

// ---------------------------------------------------------------------------------------------
// Listing filters

/// The most IDs one filter parameter takes (`InstanceIds`, `DiskIds`, `SnapshotIds`, `ImageId`).
pub const MAX_IDS: usize = 100;

/// The image statuses a watcher asks for: DescribeImages returns only `Available` ones unless
/// told otherwise, which would hide an image that is still being created or has failed.
pub const WATCH_STATUSES: [&str; 5] = [
    "Creating",
    "Waiting",
    "Available",
    "UnAvailable",
    "CreateFailed",
];

type Params = Vec<(String, String)>;

fn push(params: &mut Params, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        params.push((name.to_string(), v.clone()));
    }
}

fn check_ids(name: &str, ids: &[String]) -> Result<(), ApiError> {
    if ids.len() > MAX_IDS {
        return Err(ApiError::InvalidRequest {
            detail: format!(
                "{name} holds {} IDs but one request takes at most {MAX_IDS}; split the list",
                ids.len()
            ),
        });
    }
    Ok(())
}

/// `InstanceIds`-style filters: one parameter holding a JSON array (`["i-a","i-b"]`).
/// `Some(vec![])` is a real filter that matches nothing.
fn push_json_ids(
    params: &mut Params,
    name: &str,
    ids: &Option<Vec<String>>,
) -> Result<(), ApiError> {
    if let Some(ids) = ids {
        check_ids(name, ids)?;
        params.push((
            name.to_string(),
            serde_json::Value::from(ids.clone()).to_string(),
        ));
    }
    Ok(())
}

/// DescribeInstances filters (combined with AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceQuery {
    pub instance_ids: Option<Vec<String>>,
    /// `Pending`, `Running`, `Starting`, `Stopping`, `Stopped`.
    pub status: Option<String>,
    /// `*` is a wildcard.
    pub instance_name: Option<String>,
}

impl InstanceQuery {
    /// One instance by its ID (status polls).
    pub fn one(instance_id: &str) -> InstanceQuery {
        InstanceQuery {
            instance_ids: Some(vec![instance_id.to_string()]),
            ..InstanceQuery::default()
        }
    }

    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        push_json_ids(&mut p, "InstanceIds", &self.instance_ids)?;
        push(&mut p, "Status", &self.status);
        push(&mut p, "InstanceName", &self.instance_name);
        Ok(p)
    }
}

/// DescribeDisks filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskQuery {
    pub instance_id: Option<String>,
    pub disk_ids: Option<Vec<String>>,
}

impl DiskQuery {
    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        push(&mut p, "InstanceId", &self.instance_id);
        push_json_ids(&mut p, "DiskIds", &self.disk_ids)?;
        Ok(p)
    }
}

/// DescribeSnapshots filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotQuery {
    pub snapshot_ids: Option<Vec<String>>,
    /// `progressing`, `accomplished`, `failed`, `all`.
    pub status: Option<String>,
    /// `system` or `data`.
    pub source_disk_type: Option<String>,
    pub instance_id: Option<String>,
    pub snapshot_name: Option<String>,
}

impl SnapshotQuery {
    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        push_json_ids(&mut p, "SnapshotIds", &self.snapshot_ids)?;
        push(&mut p, "Status", &self.status);
        push(&mut p, "SourceDiskType", &self.source_disk_type);
        push(&mut p, "InstanceId", &self.instance_id);
        push(&mut p, "SnapshotName", &self.snapshot_name);
        Ok(p)
    }
}

/// DescribeImages filters. Empty lists send nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageQuery {
    /// Sent as one comma-separated `ImageId`.
    pub image_ids: Vec<String>,
    /// Sent as one comma-separated `Status`; empty means the server default (`Available`).
    pub statuses: Vec<String>,
    /// Fuzzy match.
    pub image_name: Option<String>,
    /// `system`, `self`, `others`, `marketplace`.
    pub image_owner_alias: Option<String>,
}

impl ImageQuery {
    /// The query a watcher polls with: these images in every in-flight or final status.
    pub fn watching(image_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ImageQuery {
            image_ids: image_ids.into_iter().map(Into::into).collect(),
            statuses: WATCH_STATUSES.iter().map(|s| s.to_string()).collect(),
            ..ImageQuery::default()
        }
    }

    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        if !self.image_ids.is_empty() {
            check_ids("ImageId", &self.image_ids)?;
            p.push(("ImageId".into(), self.image_ids.join(",")));
        }
        if !self.statuses.is_empty() {
            p.push(("Status".into(), self.statuses.join(",")));
        }
        push(&mut p, "ImageName", &self.image_name);
        push(&mut p, "ImageOwnerAlias", &self.image_owner_alias);
        Ok(p)
    }
}

// ---------------------------------------------------------------------------------------------
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

/// ListResourceGroups pages by number, as DescribeImages does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListResourceGroupsResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u64,
    pub resource_groups: ResourceGroupList,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_parsing() {
        assert_eq!(parse_percent("45%"), Some(45));
        assert_eq!(parse_percent(" 100% "), Some(100));
        assert_eq!(parse_percent("7"), Some(7));
        assert_eq!(parse_percent(""), None);
        assert_eq!(parse_percent("%"), None);
        assert_eq!(parse_percent("101%"), None);
        assert_eq!(parse_percent("-1%"), None);
        assert_eq!(parse_percent("abc"), None);
    }

    #[test]
    fn image_in_the_documented_shape() {
        let body = r#"{
          "RequestId":"473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E","RegionId":"cn-hangzhou",
          "TotalCount":1,"PageNumber":1,"PageSize":10,
          "Images":{"Image":[{
            "ImageId":"m-bp146shijn7hujku0000","ImageName":"web-20261127","Status":"Creating",
            "Progress":"45%","Size":40,"Usable":false,"IsSelfShared":"False",
            "OSName":"Alibaba Cloud Linux 3","OSNameEn":"Alibaba Cloud Linux 3","ImageOwnerId":"1234",
            "Features":{"ImdsSupport":"v2","NvmeSupport":"supported"},
            "Tags":{"Tag":[{"TagKey":"env","TagValue":"prod"}]},
            "DiskDeviceMappings":{"DiskDeviceMapping":[
              {"Device":"/dev/xvda","Type":"system","Size":"40","Progress":"","RemainTime":0,
               "SnapshotId":"s-1","Encrypted":false},
              {"Device":"/dev/xvdb","Type":"data","Size":100,"Progress":"32%","RemainTime":"60"}
            ]},
            "DetectionOptions":{"Status":"Processing","Items":{"Item":[
              {"Name":"GuestOS.Agent","Value":"","RiskLevel":"High","RiskCode":"UNSUPPORTED"}]}}
          }]}
        }"#;
        let page: DescribeImagesResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(page.total_count, 1);
        let image = &page.images.image[0];
        assert_eq!(image.progress_percent(), Some(45));
        assert_eq!(image.image_owner_id, 1234);
        assert!(!image.is_ready() && !image.is_failed());
        assert_eq!(image.features.imds_support, "v2");
        assert_eq!(image.tags.tag[0].tag_key, "env");
        let disks = &image.disk_device_mappings.disk_device_mapping;
        assert_eq!(disks[0].size_gib(), Some(40));
        assert_eq!(disks[0].progress_percent(), None);
        assert_eq!(disks[1].size_gib(), Some(100));
        assert_eq!(disks[1].progress_percent(), Some(32));
        assert_eq!(disks[1].remain_time, 60);
        assert_eq!(image.detection_options.items.item[0].risk_level, "High");
    }

    #[test]
    fn missing_fields_default_and_empty_lists_parse() {
        let page: DescribeImagesResponse =
            serde_json::from_str(r#"{"RequestId":"r","Images":{"Image":[{}]}}"#).expect("parses");
        assert_eq!(page.images.image[0], Image::default());
        let page: DescribeImagesResponse =
            serde_json::from_str(r#"{"Images":{"Image":[]}}"#).expect("parses");
        assert!(page.images.image.is_empty());
        let page: DescribeImagesResponse = serde_json::from_str("{}").expect("parses");
        assert!(page.images.image.is_empty());
        let page: DescribeImagesResponse =
            serde_json::from_str(r#"{"Images":{}}"#).expect("parses");
        assert!(page.images.image.is_empty());
    }

    #[test]
    fn instance_locks_and_status() {
        let body = r#"{"Instances":{"Instance":[
          {"InstanceId":"i-1","Status":"Running","Cpu":2,"Memory":"4096",
           "OperationLocks":{"LockReason":[{"LockReason":"security","LockMsg":"x"}]},
           "VpcAttributes":{"VpcId":"vpc-1","VSwitchId":"vsw-1",
              "PrivateIpAddress":{"IpAddress":["10.0.0.1"]}},
           "DeletionProtection":"true"},
          {"InstanceId":"i-2","Status":"Stopped","OperationLocks":{"LockReason":[]},
           "OSName":"中文名","OSNameEn":""}
        ]},"NextToken":"abc","TotalCount":2}"#;
        let page: DescribeInstancesResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(page.next_token, "abc");
        let [locked, free] = &page.instances.instance[..] else {
            panic!("two instances")
        };
        assert!(locked.is_security_locked());
        assert!(!locked.can_create_image());
        assert_eq!(locked.memory, 4096);
        assert!(locked.deletion_protection);
        assert_eq!(
            locked.vpc_attributes.private_ip_address.ip_address,
            ["10.0.0.1"]
        );
        assert!(!free.is_security_locked());
        assert!(free.can_create_image());
        assert_eq!(free.os_display_name(), "中文名");
    }

    #[test]
    fn snapshot_size_is_number_or_string() {
        for size in [r#""40""#, "40"] {
            let body = format!(
                r#"{{"Snapshots":{{"Snapshot":[{{"SnapshotId":"s-1","SourceDiskSize":{size},
                   "SourceDiskType":"System","Status":"accomplished","Progress":"100%",
                   "Encrypted":"False"}}]}}}}"#
            );
            let page: DescribeSnapshotsResponse = serde_json::from_str(&body).expect("parses");
            let s = &page.snapshots.snapshot[0];
            assert_eq!(s.source_disk_size_gib(), Some(40));
            assert!(s.is_system_disk() && s.is_accomplished() && !s.encrypted);
            assert_eq!(s.progress_percent(), Some(100));
        }
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        for bad in [
            r#"{"Images":"oops"}"#,
            r#"{"TotalCount":-3}"#,
            r#"{"TotalCount":"many"}"#,
            r#"{"Images":{"Image":[{"Usable":"maybe"}]}}"#,
        ] {
            assert!(
                serde_json::from_str::<DescribeImagesResponse>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn serialization_keeps_the_wire_shape() {
        let resp = DescribeRegionsResponse {
            request_id: "r".into(),
            regions: vec![Region {
                region_id: "cn-hangzhou".into(),
                ..Region::default()
            }]
            .into(),
        };
        let json = serde_json::to_value(&resp).expect("serializes");
        assert_eq!(json["Regions"]["Region"][0]["RegionId"], "cn-hangzhou");
        let back: DescribeRegionsResponse = serde_json::from_value(json).expect("round-trips");
        assert_eq!(back, resp);
    }

    #[test]
    fn stop_instances_results() {
        let body = r#"{"RequestId":"r","InstanceResponses":{"InstanceResponse":[
            {"InstanceId":"i-1","Code":"200","PreviousStatus":"Running","CurrentStatus":"Stopping"},
            {"InstanceId":"i-2","Code":"IncorrectInstanceStatus","Message":"no"}]}}"#;
        let resp: StopInstancesResponse = serde_json::from_str(body).expect("parses");
        let r = &resp.instance_responses.instance_response;
        assert!(r[0].is_success());
        assert!(!r[1].is_success());
    }

    #[test]
    fn economical_mode_needs_pay_as_you_go_in_a_vpc() {
        let mut i = Instance {
            instance_charge_type: "PostPaid".into(),
            ..Instance::default()
        };
        assert!(!i.economical_mode_applies(), "no VPC");
        i.vpc_attributes.vpc_id = "vpc-1".into();
        assert!(i.economical_mode_applies());
        i.instance_charge_type = "PrePaid".into();
        assert!(!i.economical_mode_applies(), "subscription");
    }

    #[test]
    fn queries_flatten_to_wire_parameters() {
        let q = InstanceQuery {
            instance_ids: Some(vec!["i-a".into(), "i-b".into()]),
            status: Some("Running".into()),
            instance_name: None,
        };
        assert_eq!(
            q.to_params().expect("valid"),
            vec![
                ("InstanceIds".to_string(), r#"["i-a","i-b"]"#.to_string()),
                ("Status".to_string(), "Running".to_string()),
            ]
        );
        let empty = DiskQuery {
            disk_ids: Some(vec![]),
            ..DiskQuery::default()
        };
        assert_eq!(
            empty.to_params().expect("valid"),
            vec![("DiskIds".to_string(), "[]".to_string())]
        );
        let images = ImageQuery::watching(["m-1", "m-2"])
            .to_params()
            .expect("valid");
        assert_eq!(
            images,
            vec![
                ("ImageId".to_string(), "m-1,m-2".to_string()),
                (
                    "Status".to_string(),
                    "Creating,Waiting,Available,UnAvailable,CreateFailed".to_string()
                ),
            ]
        );
        assert!(ImageQuery::default().to_params().expect("valid").is_empty());
    }

    #[test]
    fn too_many_ids_are_refused_before_sending() {
        let ids: Vec<String> = (0..=MAX_IDS).map(|i| format!("s-{i}")).collect();
        let q = SnapshotQuery {
            snapshot_ids: Some(ids.clone()),
            ..SnapshotQuery::default()
        };
        let err = q.to_params().expect_err("101 ids");
        assert!(err.to_string().contains("at most 100"), "{err}");
        let q = ImageQuery {
            image_ids: ids,
            ..ImageQuery::default()
        };
        assert!(matches!(
            q.to_params(),
            Err(ApiError::InvalidRequest { .. })
        ));
    }
}
