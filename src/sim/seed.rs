//! Seed data: the TOML file that fills the simulated account (`assets/sandbox.toml` by default,
//! `--data FILE` otherwise), and the `[generate]` section that adds a huge synthetic region.
//!
//! Loading checks every reference (an instance's image, a disk's instance, a snapshot's disk,
//! resource groups, regions) and reports problems as `file:line: what is wrong`.

use super::state::{
    Account, Disk, Image, ImageDisk, Instance, InstanceStatus, OsInfo, Quotas, RegionInfo, Risk,
    ResourceGroup, Snapshot, SnapshotProgress, State, Timing,
};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use toml::Spanned;

/// The sandbox's seed data, compiled in.
pub const SANDBOX_TOML: &str = include_str!("../../assets/sandbox.toml");

/// A seed file that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SeedError {
    pub origin: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Parsed and checked seed data, ready to become a [`State`].
#[derive(Debug, Clone)]
pub struct Seed {
    file: SeedFile,
}

impl Seed {
    /// The embedded sandbox data.
    pub fn sandbox() -> Result<Self, SeedError> {
        Self::parse(SANDBOX_TOML, "assets/sandbox.toml")
    }

    pub fn from_file(path: &Path) -> Result<Self, SeedError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SeedError {
            origin: origin.clone(),
            line: None,
            message: format!("cannot read the seed file: {e}"),
        })?;
        Self::parse(&text, &origin)
    }

    /// Parses `text`; `origin` names it in errors (a path, or "assets/sandbox.toml").
    pub fn parse(text: &str, origin: &str) -> Result<Self, SeedError> {
        let file: SeedFile = toml::from_str(text).map_err(|e| SeedError {
            origin: origin.to_string(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
        let seed = Self { file };
        seed.check().map_err(|(span, message)| SeedError {
            origin: origin.to_string(),
            line: span.map(|s| line_of(text, s)),
            message,
        })?;
        Ok(seed)
    }

    /// Builds the simulator state. `rng_seed` fixes the IDs of resources created later.
    pub fn into_state(self, speed: f64, rng_seed: u64) -> State {
        let f = self.file;
        let resource_groups: Vec<ResourceGroup> = f
            .resource_groups
            .iter()
            .map(|g| ResourceGroup {
                id: g.id.get_ref().clone(),
                name: g.name.clone(),
            })
            .collect();
        let default_rg = f
            .resource_groups
            .iter()
            .find(|g| g.default)
            .or(f.resource_groups.first())
            .map(|g| g.id.get_ref().clone())
            .unwrap_or_default();
        let account = Account {
            owner_id: f.owner_id,
            timing: Timing {
                image_seconds: f.timing.image_seconds,
                stop_seconds: f.timing.stop_seconds,
                detection_seconds: f.timing.detection_seconds,
            },
            quotas: Quotas {
                images: f.quotas.images,
                images_per_family: f.quotas.images_per_family,
                families: f.quotas.families,
            },
            resource_groups,
            default_resource_group: default_rg.clone(),
        };
        let infos: Vec<RegionInfo> = f
            .regions
            .iter()
            .map(|r| RegionInfo {
                id: r.id.get_ref().clone(),
                local_name: r.local_name.clone(),
                local_name_en: r.local_name_en.clone(),
                endpoint: r.endpoint.clone(),
                status: r.status.clone(),
                zones: r.zones.clone(),
                id_prefix: r.id_prefix.clone(),
            })
            .collect();
        let mut state = State::new(account, infos, speed, rng_seed);
        let region_of = |r: &Option<String>| r.clone().unwrap_or_else(|| f.default_region.clone());
        let rg_of = |g: &Option<String>| g.clone().unwrap_or_else(|| default_rg.clone());

        // System images are public: every region has them.
        for row in &f.images {
            let image = row.to_image(&rg_of(&row.resource_group_id));
            if row.owner_alias == "system" {
                for region in state.regions.values_mut() {
                    region.images.insert(image.id.clone(), image.clone());
                }
            } else if let Some(region) = state.regions.get_mut(&region_of(&row.region)) {
                region.images.insert(image.id.clone(), image);
            }
        }
        for row in &f.instances {
            let region_id = region_of(&row.region);
            let Some(region) = state.regions.get_mut(&region_id) else {
                continue;
            };
            let os = region
                .images
                .get(&row.image_id)
                .map(|i| i.os.clone())
                .unwrap_or_else(default_os);
            let zone = row.zone_id.clone().or_else(|| first_zone(&f, &region_id));
            let instance = row.to_instance(os, zone.unwrap_or_default(), rg_of(&row.resource_group_id));
            region.instances.insert(instance.id.clone(), instance);
        }
        for row in &f.disks {
            let region_id = region_of(&row.region);
            let zone = row.zone_id.clone().or_else(|| first_zone(&f, &region_id));
            let Some(region) = state.regions.get_mut(&region_id) else {
                continue;
            };
            let disk = row.to_disk(zone.unwrap_or_default(), rg_of(&row.resource_group_id));
            region.disks.insert(disk.id.clone(), disk);
        }
        for row in &f.snapshots {
            let Some(region) = state.regions.get_mut(&region_of(&row.region)) else {
                continue;
            };
            let disk = region.disks.get(&row.disk_id);
            let snapshot = row.to_snapshot(disk, rg_of(&row.resource_group_id));
            region.snapshots.insert(snapshot.id.clone(), snapshot);
        }
        if let Some(generate) = &f.generate {
            generate.fill(&mut state, &f, &default_rg);
        }
        state
    }

    /// Every cross-reference and value check; `Err((byte offset, message))`.
    fn check(&self) -> Result<(), (Option<usize>, String)> {
        let f = &self.file;
        let at = |s: &Spanned<String>| Some(s.span().start);
        if f.regions.is_empty() {
            return Err((None, "at least one [[regions]] entry is required".into()));
        }
        let mut region_ids = HashSet::new();
        for r in &f.regions {
            if !region_ids.insert(r.id.get_ref().as_str()) {
                return Err((at(&r.id), format!("region {:?} is listed twice", r.id.get_ref())));
            }
            if r.id_prefix.len() != 3 || !r.id_prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
                return Err((at(&r.id), format!("region {:?}: field `id_prefix` must be 3 lowercase letters or digits, like \"bp1\"", r.id.get_ref())));
            }
        }
        if !region_ids.contains(f.default_region.as_str()) {
            return Err((None, format!("field `default_region`: {:?} is not one of the [[regions]]", f.default_region)));
        }
        let region_ok = |row_id: &Spanned<String>, region: &Option<String>| match region {
            Some(r) if !region_ids.contains(r.as_str()) => Err((at(row_id), format!("{}: field `region`: {r:?} is not one of the [[regions]]", row_id.get_ref()))),
            _ => Ok(()),
        };
        let groups: HashSet<&str> = f.resource_groups.iter().map(|g| g.id.get_ref().as_str()).collect();
        if groups.is_empty() {
            return Err((None, "at least one [[resource_groups]] entry is required".into()));
        }
        let group_ok = |row_id: &Spanned<String>, group: &Option<String>| match group {
            Some(g) if !groups.contains(g.as_str()) => Err((at(row_id), format!("{}: field `resource_group_id`: no resource group {g:?}", row_id.get_ref()))),
            _ => Ok(()),
        };
        let region_of = |r: &Option<String>| r.clone().unwrap_or_else(|| f.default_region.clone());
        let mut images = HashSet::new();
        for row in &f.images {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let key = (region_of(&row.region), row.id.get_ref().clone());
            if !images.insert(key) {
                return Err((at(&row.id), format!("image {:?} is listed twice", row.id.get_ref())));
            }
            if !["system", "self", "others", "marketplace"].contains(&row.owner_alias.as_str()) {
                return Err((at(&row.id), format!("{}: field `owner_alias` must be system, self, others or marketplace", row.id.get_ref())));
            }
        }
        let image_exists = |region: &str, id: &str| {
            f.images.iter().any(|i| i.id.get_ref() == id && (i.owner_alias == "system" || region_of(&i.region) == region))
        };
        let mut instances = HashSet::new();
        for row in &f.instances {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let region = region_of(&row.region);
            if !instances.insert((region.clone(), row.id.get_ref().clone())) {
                return Err((at(&row.id), format!("instance {:?} is listed twice", row.id.get_ref())));
            }
            if InstanceStatus::parse(&row.status).is_none() {
                return Err((at(&row.id), format!("{}: field `status`: {:?} is not one of Pending, Running, Starting, Stopping, Stopped", row.id.get_ref(), row.status)));
            }
            if !image_exists(&region, &row.image_id) {
                return Err((at(&row.id), format!("{}: field `image_id`: no image {:?} in region {region}", row.id.get_ref(), row.image_id)));
            }
            check_fail_at(&row.id, row.fail_image_at)?;
        }
        let mut disks = HashSet::new();
        for row in &f.disks {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let region = region_of(&row.region);
            if !disks.insert((region.clone(), row.id.get_ref().clone())) {
                return Err((at(&row.id), format!("disk {:?} is listed twice", row.id.get_ref())));
            }
            if let Some(instance) = &row.instance_id
                && !instances.contains(&(region.clone(), instance.clone()))
            {
                return Err((at(&row.id), format!("{}: field `instance_id`: no instance {instance:?} in region {region}", row.id.get_ref())));
            }
            if row.disk_type != "system" && row.disk_type != "data" {
                return Err((at(&row.id), format!("{}: field `type` must be \"system\" or \"data\"", row.id.get_ref())));
            }
            if row.instance_id.is_some() && row.disk_type == "data" && row.device.is_none() {
                return Err((at(&row.id), format!("{}: field `device` is required for an attached data disk, e.g. \"/dev/xvdb\"", row.id.get_ref())));
            }
        }
        let mut snapshots = HashSet::new();
        for row in &f.snapshots {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let region = region_of(&row.region);
            if !snapshots.insert((region.clone(), row.id.get_ref().clone())) {
                return Err((at(&row.id), format!("snapshot {:?} is listed twice", row.id.get_ref())));
            }
            let disk_known = disks.contains(&(region.clone(), row.disk_id.clone()));
            if !disk_known && (row.source_disk_type.is_none() || row.source_disk_size.is_none()) {
                return Err((at(&row.id), format!("{}: field `disk_id`: no disk {:?} in region {region}; a snapshot of a released disk needs `source_disk_type` and `source_disk_size`", row.id.get_ref(), row.disk_id)));
            }
            if !["accomplished", "progressing", "failed"].contains(&row.status.as_str()) {
                return Err((at(&row.id), format!("{}: field `status` must be accomplished, progressing or failed", row.id.get_ref())));
            }
            if row.source_disk_type.as_deref().is_some_and(|t| t != "system" && t != "data") {
                return Err((at(&row.id), format!("{}: field `source_disk_type` must be \"system\" or \"data\"", row.id.get_ref())));
            }
            check_fail_at(&row.id, row.fail_image_at)?;
        }
        if let Some(g) = &f.generate {
            if !region_ids.contains(g.region.as_str()) {
                return Err((None, format!("[generate] field `region`: {:?} is not one of the [[regions]]", g.region)));
            }
            if g.snapshots > 0 && g.instances == 0 {
                return Err((None, "[generate] snapshots need at least one instance to come from".into()));
            }
            if !f.images.iter().any(|i| i.owner_alias == "system") {
                return Err((None, "[generate] needs at least one system image for its instances".into()));
            }
        }
        Ok(())
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

fn check_fail_at(id: &Spanned<String>, fail_at: Option<u8>) -> Result<(), (Option<usize>, String)> {
    match fail_at {
        Some(p) if p >= 100 => Err((Some(id.span().start), format!("{}: field `fail_image_at` must be a percent below 100", id.get_ref()))),
        _ => Ok(()),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn first_zone(f: &SeedFile, region: &str) -> Option<String> {
    f.regions
        .iter()
        .find(|r| r.id.get_ref() == region)
        .and_then(|r| r.zones.first().cloned())
}

fn default_os() -> OsInfo {
    OsInfo {
        platform: crate::spec::rules::DEFAULT_PLATFORM.into(),
        architecture: crate::spec::rules::DEFAULT_ARCHITECTURE.into(),
        os_name: "Linux".into(),
        os_name_en: "Linux".into(),
        os_type: "linux".into(),
        boot_mode: "BIOS".into(),
        imds_support: "v1".into(),
    }
}

// --- the file format ---------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    owner_id: u64,
    default_region: String,
    #[serde(default)]
    timing: TimingRow,
    #[serde(default)]
    quotas: QuotasRow,
    #[serde(default)]
    regions: Vec<RegionRow>,
    #[serde(default)]
    resource_groups: Vec<ResourceGroupRow>,
    #[serde(default)]
    images: Vec<ImageRow>,
    #[serde(default)]
    instances: Vec<InstanceRow>,
    #[serde(default)]
    disks: Vec<DiskRow>,
    #[serde(default)]
    snapshots: Vec<SnapshotRow>,
    generate: Option<GenerateRow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TimingRow {
    image_seconds: f64,
    stop_seconds: f64,
    detection_seconds: f64,
}

impl Default for TimingRow {
    fn default() -> Self {
        Self {
            image_seconds: 20.0,
            stop_seconds: 5.0,
            detection_seconds: 6.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct QuotasRow {
    images: usize,
    images_per_family: usize,
    families: usize,
}

impl Default for QuotasRow {
    fn default() -> Self {
        Self {
            images: 100,
            images_per_family: 20,
            families: 20,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionRow {
    id: Spanned<String>,
    local_name: String,
    local_name_en: String,
    endpoint: String,
    id_prefix: String,
    #[serde(default = "available")]
    status: String,
    #[serde(default)]
    zones: Vec<String>,
}

fn available() -> String {
    "available".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceGroupRow {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    default: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskRow {
    name: String,
    value: String,
    risk_level: String,
    risk_code: String,
}

impl RiskRow {
    fn to_risk(&self) -> Risk {
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
struct ImageDiskRow {
    #[serde(default)]
    snapshot_id: String,
    device: String,
    #[serde(rename = "type")]
    disk_type: String,
    size: u32,
    #[serde(default)]
    encrypted: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageRow {
    id: Spanned<String>,
    region: Option<String>,
    name: Option<String>,
    #[serde(default = "self_owner")]
    owner_alias: String,
    #[serde(default)]
    family: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default = "available_image")]
    status: String,
    platform: String,
    #[serde(default = "x86_64")]
    architecture: String,
    os_name: String,
    os_name_en: String,
    #[serde(default = "bios")]
    boot_mode: String,
    #[serde(default = "v1")]
    imds_support: String,
    size: u32,
    #[serde(deserialize_with = "toml_time")]
    creation_time: DateTime<Utc>,
    #[serde(default)]
    disks: Vec<ImageDiskRow>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    resource_group_id: Option<String>,
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
    fn to_image(&self, resource_group_id: &str) -> Image {
        let os_type = if self.platform.starts_with("Windows") { "windows" } else { "linux" };
        Image {
            id: self.id.get_ref().clone(),
            name: self.name.clone().unwrap_or_else(|| self.id.get_ref().clone()),
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
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceRow {
    id: Spanned<String>,
    region: Option<String>,
    name: String,
    #[serde(default)]
    description: String,
    status: String,
    zone_id: Option<String>,
    #[serde(default = "default_instance_type")]
    instance_type: String,
    #[serde(default = "two")]
    cpu: u32,
    #[serde(default = "eight_gib")]
    memory: u32,
    image_id: String,
    #[serde(deserialize_with = "toml_time")]
    creation_time: DateTime<Utc>,
    #[serde(default)]
    lock_reasons: Vec<String>,
    resource_group_id: Option<String>,
    #[serde(default)]
    vpc_id: String,
    #[serde(default)]
    vswitch_id: String,
    #[serde(default)]
    private_ip: String,
    public_ip: Option<String>,
    #[serde(default)]
    security_group_id: String,
    #[serde(default = "post_paid")]
    charge_type: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    fail_image_at: Option<u8>,
    #[serde(default)]
    risks: Vec<RiskRow>,
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
    fn to_instance(&self, os: OsInfo, zone_id: String, resource_group_id: String) -> Instance {
        let id = self.id.get_ref().clone();
        Instance {
            host_name: format!("iZ{}Z", id.trim_start_matches("i-")),
            id,
            name: self.name.clone(),
            description: self.description.clone(),
            // `check` validated it; Running is only a fallback for the type system.
            status: InstanceStatus::parse(&self.status).unwrap_or(InstanceStatus::Running),
            stop: None,
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
            security_group_id: self.security_group_id.clone(),
            charge_type: self.charge_type.clone(),
            tags: tags(&self.tags),
            fail_image_at: self.fail_image_at,
            risks: risks(&self.risks),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiskRow {
    id: Spanned<String>,
    region: Option<String>,
    #[serde(default)]
    name: String,
    instance_id: Option<String>,
    device: Option<String>,
    #[serde(rename = "type")]
    disk_type: String,
    #[serde(default = "essd")]
    category: String,
    size: u32,
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    kms_key_id: String,
    zone_id: Option<String>,
    #[serde(default)]
    image_id: String,
    #[serde(default)]
    source_snapshot_id: String,
    #[serde(deserialize_with = "toml_time")]
    creation_time: DateTime<Utc>,
    resource_group_id: Option<String>,
}

fn essd() -> String {
    "cloud_essd".into()
}

impl DiskRow {
    fn to_disk(&self, zone_id: String, resource_group_id: String) -> Disk {
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
            performance_level: if self.category == "cloud_essd" { "PL0".into() } else { String::new() },
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotRow {
    id: Spanned<String>,
    region: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    disk_id: String,
    source_disk_type: Option<String>,
    source_disk_size: Option<u32>,
    #[serde(default = "accomplished")]
    status: String,
    progress: Option<u8>,
    #[serde(deserialize_with = "toml_time")]
    creation_time: DateTime<Utc>,
    encrypted: Option<bool>,
    #[serde(default)]
    kms_key_id: String,
    #[serde(default = "standard")]
    category: String,
    #[serde(default = "none")]
    usage: String,
    #[serde(default = "user")]
    snapshot_type: String,
    resource_group_id: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    fail_image_at: Option<u8>,
    #[serde(default)]
    risks: Vec<RiskRow>,
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
    fn to_snapshot(&self, disk: Option<&Disk>, resource_group_id: String) -> Snapshot {
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
            source_disk_size: self.source_disk_size.or(disk.map(|d| d.size)).unwrap_or_default(),
            progress: SnapshotProgress::Fixed {
                status: self.status.clone(),
                percent: percent.min(100),
            },
            creation_time: self.creation_time,
            encrypted: self.encrypted.or(disk.map(|d| d.encrypted)).unwrap_or(false),
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
        }
    }
}

/// Deterministic synthetic rows for load tests: `instances` instances (each with a system
/// disk) and `snapshots` snapshots spread over those disks, in `region`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateRow {
    region: String,
    #[serde(default)]
    instances: u32,
    #[serde(default)]
    snapshots: u32,
}

impl GenerateRow {
    fn fill(&self, state: &mut State, f: &SeedFile, default_rg: &str) {
        let Some(info) = state.region_info(&self.region).cloned() else {
            return;
        };
        let Some(image) = f.images.iter().find(|i| i.owner_alias == "system") else {
            return;
        };
        let image = image.to_image(default_rg);
        let zone = info.zones.first().cloned().unwrap_or_default();
        let Some(region) = state.regions.get_mut(&self.region) else {
            return;
        };
        let base = image.creation_time + TimeDelta::days(30);
        let mut disk_ids = Vec::with_capacity(self.instances as usize);
        for k in 0..u64::from(self.instances) {
            let id = synthetic_id("i", &info.id_prefix, k);
            let disk_id = synthetic_id("d", &info.id_prefix, k);
            let created = base + TimeDelta::minutes(k as i64);
            let status = if k % 7 == 3 { InstanceStatus::Stopped } else { InstanceStatus::Running };
            let instance = Instance {
                id: id.clone(),
                name: if k % 5 == 0 { format!("批量实例-{k:05}") } else { format!("load-{k:05}") },
                description: String::new(),
                host_name: format!("iZ{}Z", id.trim_start_matches("i-")),
                status,
                stop: None,
                zone_id: zone.clone(),
                instance_type: "ecs.g7.large".into(),
                cpu: 2,
                memory_mib: 8192,
                image_id: image.id.clone(),
                os: image.os.clone(),
                creation_time: created,
                lock_reasons: Vec::new(),
                resource_group_id: default_rg.into(),
                vpc_id: synthetic_id("vpc", &info.id_prefix, 0),
                vswitch_id: synthetic_id("vsw", &info.id_prefix, 0),
                private_ip: format!("10.{}.{}.{}", (k >> 16) & 255, (k >> 8) & 255, k & 255),
                public_ip: None,
                security_group_id: synthetic_id("sg", &info.id_prefix, 0),
                charge_type: "PostPaid".into(),
                tags: Vec::new(),
                fail_image_at: None,
                risks: Vec::new(),
            };
            let disk = Disk {
                id: disk_id.clone(),
                name: String::new(),
                instance_id: Some(id.clone()),
                device: Some(crate::spec::rules::SYSTEM_DEVICE.into()),
                disk_type: "system".into(),
                category: "cloud_essd".into(),
                size: 40,
                encrypted: false,
                kms_key_id: String::new(),
                zone_id: zone.clone(),
                image_id: image.id.clone(),
                source_snapshot_id: String::new(),
                creation_time: created,
                resource_group_id: default_rg.into(),
                performance_level: "PL0".into(),
            };
            region.instances.insert(id, instance);
            region.disks.insert(disk_id.clone(), disk);
            disk_ids.push(disk_id);
        }
        for k in 0..u64::from(self.snapshots) {
            let Some(disk_id) = disk_ids.get((k % disk_ids.len().max(1) as u64) as usize) else {
                break;
            };
            let id = synthetic_id("s", &info.id_prefix, k);
            let snapshot = Snapshot {
                id: id.clone(),
                name: format!("auto-{k:06}"),
                description: String::new(),
                source_disk_id: disk_id.clone(),
                source_disk_type: "system".into(),
                source_disk_size: 40,
                progress: SnapshotProgress::Fixed {
                    status: "accomplished".into(),
                    percent: 100,
                },
                creation_time: base + TimeDelta::minutes(k as i64),
                encrypted: false,
                kms_key_id: String::new(),
                category: "Standard".into(),
                usage: "none".into(),
                snapshot_type: if k % 2 == 0 { "auto".into() } else { "user".into() },
                resource_group_id: default_rg.into(),
                tags: Vec::new(),
                fail_image_at: None,
                risks: Vec::new(),
            };
            region.snapshots.insert(id, snapshot);
        }
    }
}

/// `kind-` + region prefix + 17 characters derived from `n` through a bijective mix, so IDs
/// look random but are distinct and stable.
fn synthetic_id(kind: &str, prefix: &str, n: u64) -> String {
    // splitmix64's finaliser is a bijection on u64: distinct n give distinct values.
    let mut x = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut tail = Vec::with_capacity(17);
    let mut v = x;
    for _ in 0..13 {
        tail.push(DIGITS[(v % 36) as usize]);
        v /= 36;
    }
    // Four more characters from the kind, so IDs of different kinds differ visibly.
    let salt = kind.bytes().fold(n, |acc, b| acc.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut s = salt;
    for _ in 0..4 {
        tail.push(DIGITS[(s % 36) as usize]);
        s /= 36;
    }
    format!("{kind}-{prefix}{}", String::from_utf8_lossy(&tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_seed_loads() {
        let state = Seed::sandbox().unwrap().into_state(1.0, 1);
        let hz = &state.regions["cn-hangzhou"];
        assert!(hz.instances.len() >= 4);
        assert!(hz.snapshots.len() >= 6);
        assert!(hz.images.values().any(|i| i.is_custom()));
        assert!(state.region_infos.len() >= 2);
        for id in hz.instances.keys().chain(hz.snapshots.keys()).chain(hz.disks.keys()) {
            let tail = id.split_once('-').map(|(_, t)| t).unwrap_or_default();
            assert_eq!(tail.len(), 20, "{id}");
            assert!(tail.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{id}");
        }
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let bad = SANDBOX_TOML.replacen("image_id = \"aliyun_3", "image_id = \"nope_3", 1);
        let err = Seed::parse(&bad, "x.toml").unwrap_err();
        assert!(err.message.contains("image_id"), "{err}");
        let line = err.line.unwrap();
        assert!(bad.lines().nth(line - 1).unwrap().contains("id = \"i-"), "{err}");
        let err = Seed::parse("owner_id = 1\ndefault_region = \"x\"\nbogus = 2\n", "y.toml").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.to_string().starts_with("y.toml:3: "), "{err}");
    }

    #[test]
    fn generated_ids_are_realistic_and_unique() {
        let ids: HashSet<String> = (0..50_000).map(|n| synthetic_id("s", "2ze", n)).collect();
        assert_eq!(ids.len(), 50_000);
        let one = synthetic_id("i", "2ze", 7);
        assert_eq!(one.len(), 2 + 20);
        assert!(one.starts_with("i-2ze"));
    }

    #[test]
    fn generate_section_fills_a_region() {
        let text = format!("{SANDBOX_TOML}\n[generate]\nregion = \"cn-beijing\"\ninstances = 300\nsnapshots = 1000\n");
        let state = Seed::parse(&text, "gen.toml").unwrap().into_state(1.0, 1);
        let bj = &state.regions["cn-beijing"];
        assert_eq!((bj.instances.len(), bj.snapshots.len(), bj.disks.len()), (300, 1000, 300));
    }
}
