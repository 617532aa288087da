//! The seed file format: serde rows (unknown keys are errors) and their conversion into state
//! records.
//!
//! Long on purpose: it is the whole TOML schema, one row type per table, in file order.

use super::super::metadata::{DEFAULT_CREDENTIAL_SECONDS, HttpTokens};
use super::super::state::{
    Disk, DiskCondition, Image, ImageDisk, Instance, InstanceStatus, OsInfo, RenderCache,
    ResourceGroup, Risk, Snapshot, SnapshotFlags, SnapshotProgress, StoppedMode,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SeedFile {
    pub(super) owner_id: u64,
    pub(super) default_region: String,
    #[serde(default)]
    pub(super) timing: TimingRow,
    #[serde(default)]
    pub(super) quotas: QuotasRow,
    #[serde(default)]
    pub(super) regions: Vec<RegionRow>,
    #[serde(default)]
    pub(super) resource_groups: Vec<ResourceGroupRow>,
    #[serde(default)]
    pub(super) images: Vec<ImageRow>,
    #[serde(default)]
    pub(super) instances: Vec<InstanceRow>,
    #[serde(default)]
    pub(super) disks: Vec<DiskRow>,
    #[serde(default)]
    pub(super) snapshots: Vec<SnapshotRow>,
    #[serde(default)]
    pub(super) roles: Vec<RoleRow>,
    #[serde(default)]
    pub(super) oidc_providers: Vec<OidcProviderRow>,
    pub(super) generate: Option<GenerateRow>,
    #[serde(default)]
    pub(super) access_keys: Vec<super::keys::AccessKeyRow>,
    #[serde(default)]
    pub(super) metadata: MetadataRow,
    #[serde(default)]
    pub(super) standing: super::account::StandingRow,
    #[serde(default)]
    pub(super) kms_keys: Vec<super::account::KmsKeyRow>,
    #[serde(default)]
    pub(super) delivery: super::account::DeliveryRow,
}

/// The instance metadata service (`sim serve --metadata-listen`): the instance's RAM role and
/// whether reading it needs a token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct MetadataRow {
    pub(super) ram_role: Option<Spanned<String>>,
    pub(super) http_tokens: HttpTokens,
    pub(super) credential_seconds: Spanned<u32>,
}

impl Default for MetadataRow {
    fn default() -> Self {
        Self {
            ram_role: None,
            http_tokens: HttpTokens::default(),
            credential_seconds: Spanned::new(0..0, DEFAULT_CREDENTIAL_SECONDS),
        }
    }
}

/// A RAM role for the simulated STS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleRow {
    pub(super) arn: Spanned<String>,
    /// 3600–43200 seconds.
    #[serde(default = "default_max_session")]
    pub(super) max_session_duration: u32,
    #[serde(default)]
    pub(super) trusted_keys: Vec<String>,
    #[serde(default)]
    pub(super) trusted_roles: Vec<String>,
    #[serde(default)]
    pub(super) trusted_oidc: Vec<TrustedOidcRow>,
    pub(super) external_id: Option<String>,
    /// A RAM policy document (JSON text) bounding the role's sessions; none: unbounded.
    pub(super) policy: Option<String>,
}

fn default_max_session() -> u32 {
    3600
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TrustedOidcRow {
    pub(super) provider: String,
    pub(super) subjects: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OidcProviderRow {
    pub(super) arn: Spanned<String>,
    pub(super) issuer: String,
    pub(super) client_ids: Vec<String>,
}

/// Deterministic synthetic rows for load tests: `instances` instances (each with a system
/// disk) and `snapshots` snapshots spread over those disks, in `region`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GenerateRow {
    pub(super) region: String,
    #[serde(default)]
    pub(super) instances: u32,
    #[serde(default)]
    pub(super) snapshots: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct TimingRow {
    pub(super) image_seconds: f64,
    pub(super) stop_seconds: f64,
    pub(super) force_stop_seconds: f64,
    pub(super) start_seconds: f64,
    pub(super) detection_seconds: f64,
}

impl Default for TimingRow {
    fn default() -> Self {
        Self {
            image_seconds: 20.0,
            stop_seconds: 5.0,
            force_stop_seconds: 1.0,
            start_seconds: 5.0,
            detection_seconds: 6.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct QuotasRow {
    pub(super) images: usize,
    pub(super) images_per_family: usize,
    pub(super) families: usize,
    /// These three have no limit unless the seed sets one.
    pub(super) snapshots: Option<usize>,
    pub(super) unfinished_snapshots: Option<usize>,
    pub(super) concurrent_snapshots_per_disk: Option<usize>,
}

impl Default for QuotasRow {
    fn default() -> Self {
        Self {
            images: 100,
            images_per_family: 20,
            families: 20,
            snapshots: None,
            unfinished_snapshots: None,
            concurrent_snapshots_per_disk: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegionRow {
    pub(super) id: Spanned<String>,
    pub(super) local_name: String,
    pub(super) local_name_en: String,
    pub(super) endpoint: String,
    pub(super) id_prefix: String,
    #[serde(default = "available")]
    pub(super) status: String,
    #[serde(default)]
    pub(super) zones: Vec<String>,
}

fn available() -> String {
    "available".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResourceGroupRow {
    pub(super) id: Spanned<String>,
    /// The unique identifier: letters, digits and hyphens.
    pub(super) name: String,
    /// What consoles show; defaults to `name`.
    pub(super) display_name: Option<String>,
    #[serde(default)]
    pub(super) default: bool,
    /// When the group was made (ListResourceGroups' `CreateDate`).
    #[serde(default = "groups_began", deserialize_with = "toml_time")]
    pub(super) created: DateTime<Utc>,
}

/// The creation time of a group whose row gives none: the day Resource Manager's API version
/// dates from.
fn groups_began() -> DateTime<Utc> {
    DateTime::from_timestamp(1_585_612_800, 0).unwrap_or_default()
}

impl ResourceGroupRow {
    pub(super) fn to_group(&self) -> ResourceGroup {
        ResourceGroup {
            id: self.id.get_ref().clone(),
            name: self.name.clone(),
            display_name: self
                .display_name
                .clone()
                .unwrap_or_else(|| self.name.clone()),
            created: self.created,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RiskRow {
    pub(super) name: String,
    pub(super) value: String,
    pub(super) risk_level: String,
    pub(super) risk_code: String,
}

impl RiskRow {
    pub(super) fn to_risk(&self) -> Risk {
        Risk {
            name: self.name.clone(),
            value: self.value.clone(),
            risk_level: self.risk_level.clone(),
            risk_code: self.risk_code.clone(),
        }
    }
}

fn risks(rows: &[RiskRow]) -> Vec<Risk> {
    rows.iter().map(RiskRow::to_risk).collect()
}

fn tags(map: &BTreeMap<String, String>) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImageDiskRow {
    #[serde(default)]
    pub(super) snapshot_id: String,
    pub(super) device: String,
    #[serde(rename = "type")]
    pub(super) disk_type: String,
    pub(super) size: u32,
    #[serde(default)]
    pub(super) encrypted: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImageRow {
    pub(super) id: Spanned<String>,
    pub(super) region: Option<String>,
    pub(super) name: Option<String>,
    #[serde(default = "self_owner")]
    pub(super) owner_alias: String,
    #[serde(default)]
    pub(super) family: String,
    #[serde(default)]
    pub(super) version: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default = "available_image")]
    pub(super) status: String,
    pub(super) platform: String,
    #[serde(default = "x86_64")]
    pub(super) architecture: String,
    pub(super) os_name: String,
    pub(super) os_name_en: String,
    #[serde(default = "bios")]
    pub(super) boot_mode: String,
    #[serde(default = "v1")]
    pub(super) imds_support: String,
    pub(super) size: u32,
    #[serde(deserialize_with = "toml_time")]
    pub(super) creation_time: DateTime<Utc>,
    #[serde(default)]
    pub(super) disks: Vec<ImageDiskRow>,
    #[serde(default)]
    pub(super) tags: BTreeMap<String, String>,
    pub(super) resource_group_id: Option<String>,
}

fn self_owner() -> String {
    "self".into()
}
fn available_image() -> String {
    "Available".into()
}
fn x86_64() -> String {
    "x86_64".into()
}
fn bios() -> String {
    "BIOS".into()
}
fn v1() -> String {
    "v1".into()
}

impl ImageRow {
    pub(super) fn to_image(&self, resource_group_id: &str) -> Image {
        let os_type = if self.platform.starts_with("Windows") {
            "windows"
        } else {
            "linux"
        };
        Image {
            id: self.id.get_ref().clone(),
            name: self
                .name
                .clone()
                .unwrap_or_else(|| self.id.get_ref().clone()),
            family: self.family.clone(),
            version: self.version.clone(),
            description: self.description.clone(),
            status: self.status.clone(),
            timeline: None,
            creation_time: self.creation_time,
            owner_alias: self.owner_alias.clone(),
            os: OsInfo {
                platform: self.platform.clone(),
                architecture: self.architecture.clone(),
                os_name: self.os_name.clone(),
                os_name_en: self.os_name_en.clone(),
                os_type: os_type.into(),
                boot_mode: self.boot_mode.clone(),
                imds_support: self.imds_support.clone(),
            },
            size: self.size,
            disks: self
                .disks
                .iter()
                .map(|d| ImageDisk {
                    snapshot_id: d.snapshot_id.clone(),
                    device: d.device.clone(),
                    disk_type: d.disk_type.clone(),
                    size: d.size,
                    encrypted: d.encrypted,
                    timeline: None,
                })
                .collect(),
            tags: tags(&self.tags),
            resource_group_id: resource_group_id.into(),
            detection: None,
            secure_boot: String::new(),
            delivery: Default::default(),
            rendered: RenderCache::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InstanceRow {
    pub(super) id: Spanned<String>,
    pub(super) region: Option<String>,
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    pub(super) status: String,
    pub(super) zone_id: Option<String>,
    #[serde(default = "default_instance_type")]
    pub(super) instance_type: String,
    #[serde(default = "two")]
    pub(super) cpu: u32,
    #[serde(default = "eight_gib")]
    pub(super) memory: u32,
    pub(super) image_id: String,
    #[serde(deserialize_with = "toml_time")]
    pub(super) creation_time: DateTime<Utc>,
    #[serde(default)]
    pub(super) lock_reasons: Vec<String>,
    pub(super) resource_group_id: Option<String>,
    #[serde(default)]
    pub(super) vpc_id: String,
    #[serde(default)]
    pub(super) vswitch_id: String,
    #[serde(default)]
    pub(super) private_ip: String,
    public_ip: Option<String>,
    #[serde(default)]
    pub(super) security_group_id: String,
    #[serde(default = "post_paid")]
    pub(super) charge_type: String,
    #[serde(default)]
    pub(super) tags: BTreeMap<String, String>,
    pub(super) fail_image_at: Option<u8>,
    #[serde(default)]
    pub(super) risks: Vec<RiskRow>,
    #[serde(default)]
    pub(super) hibernation: bool,
}

fn default_instance_type() -> String {
    "ecs.g7.large".into()
}
fn two() -> u32 {
    2
}
fn eight_gib() -> u32 {
    8192
}
fn post_paid() -> String {
    "PostPaid".into()
}

impl InstanceRow {
    pub(super) fn to_instance(
        &self,
        os: OsInfo,
        zone_id: String,
        resource_group_id: String,
    ) -> Instance {
        let id = self.id.get_ref().clone();
        Instance {
            host_name: format!("iZ{}Z", id.trim_start_matches("i-")),
            id,
            name: self.name.clone(),
            description: self.description.clone(),
            // `check` validated it; Running is only a fallback for the type system.
            status: InstanceStatus::parse(&self.status).unwrap_or(InstanceStatus::Running),
            change: None,
            stopped_mode: StoppedMode::KeepCharging,
            zone_id,
            instance_type: self.instance_type.clone(),
            cpu: self.cpu,
            memory_mib: self.memory,
            image_id: self.image_id.clone(),
            os,
            creation_time: self.creation_time,
            lock_reasons: self.lock_reasons.clone(),
            resource_group_id,
            vpc_id: self.vpc_id.clone(),
            vswitch_id: self.vswitch_id.clone(),
            private_ip: self.private_ip.clone(),
            public_ip: self.public_ip.clone(),
            public_ip_released: false,
            security_group_id: self.security_group_id.clone(),
            charge_type: self.charge_type.clone(),
            tags: tags(&self.tags),
            fail_image_at: self.fail_image_at,
            risks: risks(&self.risks),
            hibernation: self.hibernation,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DiskRow {
    pub(super) id: Spanned<String>,
    pub(super) region: Option<String>,
    #[serde(default)]
    pub(super) name: String,
    pub(super) instance_id: Option<String>,
    pub(super) device: Option<String>,
    #[serde(rename = "type")]
    pub(super) disk_type: String,
    #[serde(default = "essd")]
    pub(super) category: String,
    pub(super) size: u32,
    #[serde(default)]
    pub(super) encrypted: bool,
    #[serde(default)]
    pub(super) kms_key_id: String,
    pub(super) zone_id: Option<String>,
    #[serde(default)]
    pub(super) image_id: String,
    #[serde(default)]
    pub(super) source_snapshot_id: String,
    #[serde(deserialize_with = "toml_time")]
    pub(super) creation_time: DateTime<Utc>,
    pub(super) resource_group_id: Option<String>,
    /// A [`DiskCondition`] by its seed name; checked when the seed is loaded.
    #[serde(default)]
    pub(super) condition: Option<Spanned<String>>,
}

fn essd() -> String {
    "cloud_essd".into()
}

impl DiskRow {
    pub(super) fn to_disk(&self, zone_id: String, resource_group_id: String) -> Disk {
        let device = match (&self.device, &self.instance_id, self.disk_type.as_str()) {
            (Some(d), _, _) => Some(d.clone()),
            (None, Some(_), "system") => Some(crate::spec::rules::SYSTEM_DEVICE.into()),
            _ => None,
        };
        Disk {
            id: self.id.get_ref().clone(),
            name: self.name.clone(),
            instance_id: self.instance_id.clone(),
            device: device.filter(|_| self.instance_id.is_some()),
            disk_type: self.disk_type.clone(),
            category: self.category.clone(),
            size: self.size,
            encrypted: self.encrypted,
            kms_key_id: self.kms_key_id.clone(),
            zone_id,
            image_id: self.image_id.clone(),
            source_snapshot_id: self.source_snapshot_id.clone(),
            creation_time: self.creation_time,
            resource_group_id,
            performance_level: if self.category == "cloud_essd" {
                "PL0".into()
            } else {
                String::new()
            },
            condition: self
                .condition
                .as_ref()
                .and_then(|c| DiskCondition::parse(c.get_ref()))
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SnapshotRow {
    pub(super) id: Spanned<String>,
    pub(super) region: Option<String>,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    pub(super) disk_id: String,
    pub(super) source_disk_type: Option<String>,
    pub(super) source_disk_size: Option<u32>,
    #[serde(default = "accomplished")]
    pub(super) status: String,
    pub(super) progress: Option<u8>,
    #[serde(deserialize_with = "toml_time")]
    pub(super) creation_time: DateTime<Utc>,
    pub(super) encrypted: Option<bool>,
    #[serde(default)]
    pub(super) kms_key_id: String,
    #[serde(default = "standard")]
    pub(super) category: String,
    #[serde(default = "none")]
    pub(super) usage: String,
    #[serde(default = "user")]
    pub(super) snapshot_type: String,
    pub(super) resource_group_id: Option<String>,
    #[serde(default)]
    pub(super) tags: BTreeMap<String, String>,
    pub(super) fail_image_at: Option<u8>,
    #[serde(default)]
    pub(super) risks: Vec<RiskRow>,
    /// DescribeSnapshots' `Available`; false keeps a finished snapshot from images.
    #[serde(default = "yes")]
    pub(super) available: bool,
    /// `cloudbox` for a snapshot kept in a CloudBox; the region otherwise.
    #[serde(default)]
    pub(super) storage_location: Option<String>,
    #[serde(default)]
    pub(super) default_free: bool,
    /// An instant-access snapshot whose standard copy does not exist yet.
    #[serde(default)]
    pub(super) flash_only: bool,
}

fn yes() -> bool {
    true
}

fn accomplished() -> String {
    "accomplished".into()
}
fn standard() -> String {
    "Standard".into()
}
fn none() -> String {
    "none".into()
}
fn user() -> String {
    "user".into()
}

impl SnapshotRow {
    pub(super) fn to_snapshot(&self, disk: Option<&Disk>, resource_group_id: String) -> Snapshot {
        let percent = self.progress.unwrap_or(match self.status.as_str() {
            "accomplished" => 100,
            _ => 0,
        });
        Snapshot {
            id: self.id.get_ref().clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            source_disk_id: self.disk_id.clone(),
            source_disk_type: self
                .source_disk_type
                .clone()
                .or_else(|| disk.map(|d| d.disk_type.clone()))
                .unwrap_or_default(),
            source_disk_size: self
                .source_disk_size
                .or(disk.map(|d| d.size))
                .unwrap_or_default(),
            progress: SnapshotProgress::Fixed {
                status: self.status.clone(),
                percent: percent.min(100),
            },
            creation_time: self.creation_time,
            encrypted: self
                .encrypted
                .or(disk.map(|d| d.encrypted))
                .unwrap_or(false),
            kms_key_id: if self.kms_key_id.is_empty() {
                disk.map(|d| d.kms_key_id.clone()).unwrap_or_default()
            } else {
                self.kms_key_id.clone()
            },
            category: self.category.clone(),
            usage: self.usage.clone(),
            snapshot_type: self.snapshot_type.clone(),
            resource_group_id,
            tags: tags(&self.tags),
            fail_image_at: self.fail_image_at,
            risks: risks(&self.risks),
            flags: SnapshotFlags {
                unavailable: !self.available,
                cloudbox: self.storage_location.as_deref() == Some("cloudbox"),
                default_free: self.default_free,
                flash_only: self.flash_only,
            },
        }
    }
}

/// A TOML offset date-time (`2024-06-01T02:00:00Z`, unquoted) as a UTC instant.
fn toml_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let value = toml::value::Datetime::deserialize(d)?;
    DateTime::parse_from_rfc3339(&value.to_string())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            serde::de::Error::custom(format!(
                "{value} is not a full date and time with offset; write e.g. 2024-06-01T02:00:00Z"
            ))
        })
}
