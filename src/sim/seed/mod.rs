//! Seed data: the TOML file that fills the simulated account (`assets/sandbox.toml` by default,
//! `--data FILE` otherwise), and the `[generate]` section that adds a huge synthetic region.
//!
//! Loading checks every reference (an instance's image, a disk's instance, a snapshot's disk,
//! resource groups, regions) and reports problems as `file:line: what is wrong`.

mod account;
mod generate;
mod keys;
mod rows;

use super::metadata;
use super::state::{
    Account, DiskCondition, InstanceStatus, OsInfo, Quotas, RegionInfo, ResourceGroup, State,
    Timing,
};
use super::sts::{Directory, OidcProvider, Role};
use rows::SeedFile;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use toml::Spanned;

/// Snapshot categories as DescribeSnapshots spells them (archive snapshots cannot become
/// images).
const SNAPSHOT_CATEGORIES: &[&str] = &["Standard", "Flash", "archive"];

/// The sandbox's seed data, compiled in.
pub const SANDBOX_TOML: &str = include_str!("../../../assets/sandbox.toml");

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

    /// The roles and OIDC providers STS knows.
    pub(super) fn sts_directory(&self) -> Directory {
        let f = &self.file;
        Directory {
            account_id: f.owner_id,
            roles: f
                .roles
                .iter()
                .enumerate()
                .map(|(i, r)| Role {
                    arn: r.arn.get_ref().clone(),
                    role_id: format!("3{:017}", i + 1),
                    max_session_seconds: r.max_session_duration,
                    trusted_keys: r.trusted_keys.clone(),
                    trusted_roles: r.trusted_roles.clone(),
                    trusted_oidc: r
                        .trusted_oidc
                        .iter()
                        .map(|t| (t.provider.clone(), t.subjects.clone()))
                        .collect(),
                    external_id: r.external_id.clone(),
                    // Checked when the seed was parsed.
                    policy: r
                        .policy
                        .as_deref()
                        .and_then(|text| crate::policy::Document::parse(text).ok())
                        .map(std::sync::Arc::new),
                })
                .collect(),
            oidc_providers: f
                .oidc_providers
                .iter()
                .map(|p| OidcProvider {
                    arn: p.arn.get_ref().clone(),
                    issuer: p.issuer.clone(),
                    client_ids: p.client_ids.clone(),
                })
                .collect(),
        }
    }

    /// Builds the simulator state. `rng_seed` fixes the IDs of resources created later.
    pub fn into_state(self, speed: f64, rng_seed: u64) -> State {
        let f = self.file;
        let resource_groups: BTreeMap<String, ResourceGroup> = f
            .resource_groups
            .iter()
            .map(|g| (g.id.get_ref().clone(), g.to_group()))
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
                force_stop_seconds: f.timing.force_stop_seconds,
                start_seconds: f.timing.start_seconds,
                detection_seconds: f.timing.detection_seconds,
            },
            quotas: Quotas {
                images: f.quotas.images,
                images_per_family: f.quotas.images_per_family,
                families: f.quotas.families,
                snapshots: f.quotas.snapshots,
                unfinished_snapshots: f.quotas.unfinished_snapshots,
                concurrent_snapshots_per_disk: f.quotas.concurrent_snapshots_per_disk,
            },
            standing: f.standing.to_standing(),
            kms_keys: account::kms_keys(&f.kms_keys, &f.default_region),
            delivery: f.delivery.to_limits(),
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
            let instance =
                row.to_instance(os, zone.unwrap_or_default(), rg_of(&row.resource_group_id));
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
        self.check_sts()?;
        let mut region_ids = HashSet::new();
        for r in &f.regions {
            if !region_ids.insert(r.id.get_ref().as_str()) {
                return Err((
                    at(&r.id),
                    format!("region {:?} is listed twice", r.id.get_ref()),
                ));
            }
            if r.id_prefix.len() != 3
                || !r
                    .id_prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err((
                    at(&r.id),
                    format!(
                        "region {:?}: field `id_prefix` must be 3 lowercase letters or digits, like \"bp1\"",
                        r.id.get_ref()
                    ),
                ));
            }
        }
        if !region_ids.contains(f.default_region.as_str()) {
            return Err((
                None,
                format!(
                    "field `default_region`: {:?} is not one of the [[regions]]",
                    f.default_region
                ),
            ));
        }
        let region_ok = |row_id: &Spanned<String>, region: &Option<String>| match region {
            Some(r) if !region_ids.contains(r.as_str()) => Err((
                at(row_id),
                format!(
                    "{}: field `region`: {r:?} is not one of the [[regions]]",
                    row_id.get_ref()
                ),
            )),
            _ => Ok(()),
        };
        let mut groups: HashSet<&str> = HashSet::new();
        for g in &f.resource_groups {
            if !groups.insert(g.id.get_ref().as_str()) {
                return Err((
                    at(&g.id),
                    format!("resource group {:?} is listed twice", g.id.get_ref()),
                ));
            }
            let identifier = |c: char| c.is_ascii_alphanumeric() || c == '-';
            if g.name.is_empty() || g.name.len() > 50 || !g.name.chars().all(identifier) {
                return Err((
                    at(&g.id),
                    format!(
                        "{}: field `name` must be 1 to 50 letters, digits or hyphens (the group's identifier); put other text in `display_name`",
                        g.id.get_ref()
                    ),
                ));
            }
        }
        if groups.is_empty() {
            return Err((
                None,
                "at least one [[resource_groups]] entry is required".into(),
            ));
        }
        let group_ok = |row_id: &Spanned<String>, group: &Option<String>| match group {
            Some(g) if !groups.contains(g.as_str()) => Err((
                at(row_id),
                format!(
                    "{}: field `resource_group_id`: no resource group {g:?}",
                    row_id.get_ref()
                ),
            )),
            _ => Ok(()),
        };
        let region_of = |r: &Option<String>| r.clone().unwrap_or_else(|| f.default_region.clone());
        let mut images = HashSet::new();
        for row in &f.images {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let key = (region_of(&row.region), row.id.get_ref().clone());
            if !images.insert(key) {
                return Err((
                    at(&row.id),
                    format!("image {:?} is listed twice", row.id.get_ref()),
                ));
            }
            if !["system", "self", "others", "marketplace"].contains(&row.owner_alias.as_str()) {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `owner_alias` must be system, self, others or marketplace",
                        row.id.get_ref()
                    ),
                ));
            }
        }
        let image_exists = |region: &str, id: &str| {
            f.images.iter().any(|i| {
                i.id.get_ref() == id
                    && (i.owner_alias == "system" || region_of(&i.region) == region)
            })
        };
        let mut instances = HashSet::new();
        for row in &f.instances {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let region = region_of(&row.region);
            if !instances.insert((region.clone(), row.id.get_ref().clone())) {
                return Err((
                    at(&row.id),
                    format!("instance {:?} is listed twice", row.id.get_ref()),
                ));
            }
            if InstanceStatus::parse(&row.status).is_none() {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `status`: {:?} is not one of Pending, Running, Starting, Stopping, Stopped",
                        row.id.get_ref(),
                        row.status
                    ),
                ));
            }
            if !image_exists(&region, &row.image_id) {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `image_id`: no image {:?} in region {region}",
                        row.id.get_ref(),
                        row.image_id
                    ),
                ));
            }
            check_fail_at(&row.id, row.fail_image_at)?;
        }
        let mut disks = HashSet::new();
        for row in &f.disks {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let region = region_of(&row.region);
            if !disks.insert((region.clone(), row.id.get_ref().clone())) {
                return Err((
                    at(&row.id),
                    format!("disk {:?} is listed twice", row.id.get_ref()),
                ));
            }
            if let Some(instance) = &row.instance_id
                && !instances.contains(&(region.clone(), instance.clone()))
            {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `instance_id`: no instance {instance:?} in region {region}",
                        row.id.get_ref()
                    ),
                ));
            }
            if row.disk_type != "system" && row.disk_type != "data" {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `type` must be \"system\" or \"data\"",
                        row.id.get_ref()
                    ),
                ));
            }
            if let Some(condition) = &row.condition
                && DiskCondition::parse(condition.get_ref()).is_none()
            {
                let names: Vec<&str> = DiskCondition::NAMES.iter().map(|(n, _)| *n).collect();
                return Err((
                    Some(condition.span().start),
                    format!(
                        "{}: field `condition` must be one of {}",
                        row.id.get_ref(),
                        names.join(", ")
                    ),
                ));
            }
            if row.instance_id.is_some() && row.disk_type == "data" && row.device.is_none() {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `device` is required for an attached data disk, e.g. \"/dev/xvdb\"",
                        row.id.get_ref()
                    ),
                ));
            }
        }
        let mut snapshots = HashSet::new();
        for row in &f.snapshots {
            region_ok(&row.id, &row.region)?;
            group_ok(&row.id, &row.resource_group_id)?;
            let region = region_of(&row.region);
            if !snapshots.insert((region.clone(), row.id.get_ref().clone())) {
                return Err((
                    at(&row.id),
                    format!("snapshot {:?} is listed twice", row.id.get_ref()),
                ));
            }
            let disk_known = disks.contains(&(region.clone(), row.disk_id.clone()));
            if !disk_known && (row.source_disk_type.is_none() || row.source_disk_size.is_none()) {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `disk_id`: no disk {:?} in region {region}; a snapshot of a released disk needs `source_disk_type` and `source_disk_size`",
                        row.id.get_ref(),
                        row.disk_id
                    ),
                ));
            }
            if !["accomplished", "progressing", "failed"].contains(&row.status.as_str()) {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `status` must be accomplished, progressing or failed",
                        row.id.get_ref()
                    ),
                ));
            }
            if row
                .source_disk_type
                .as_deref()
                .is_some_and(|t| t != "system" && t != "data")
            {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `source_disk_type` must be \"system\" or \"data\"",
                        row.id.get_ref()
                    ),
                ));
            }
            if !SNAPSHOT_CATEGORIES.contains(&row.category.as_str()) {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `category` must be Standard, Flash or archive",
                        row.id.get_ref()
                    ),
                ));
            }
            check_fail_at(&row.id, row.fail_image_at)?;
            if row
                .storage_location
                .as_deref()
                .is_some_and(|l| l != "cloudbox" && l != "region")
            {
                return Err((
                    at(&row.id),
                    format!(
                        "{}: field `storage_location` must be \"region\" or \"cloudbox\"",
                        row.id.get_ref()
                    ),
                ));
            }
        }
        keys::check(&f.access_keys)?;
        account::check_kms_keys(&f.kms_keys, &region_ids)?;
        f.delivery.check()?;
        if let Some(g) = &f.generate {
            if !region_ids.contains(g.region.as_str()) {
                return Err((
                    None,
                    format!(
                        "[generate] field `region`: {:?} is not one of the [[regions]]",
                        g.region
                    ),
                ));
            }
            if g.snapshots > 0 && g.instances == 0 {
                return Err((
                    None,
                    "[generate] snapshots need at least one instance to come from".into(),
                ));
            }
            if !f.images.iter().any(|i| i.owner_alias == "system") {
                return Err((
                    None,
                    "[generate] needs at least one system image for its instances".into(),
                ));
            }
        }
        check_metadata(&f.metadata, &f.roles)
    }

    /// The instance metadata service's settings (`[metadata]`).
    pub fn metadata(&self) -> metadata::Settings {
        let m = &self.file.metadata;
        metadata::Settings {
            ram_role: m.ram_role.as_ref().map(|r| r.get_ref().clone()),
            http_tokens: m.http_tokens,
            credential_seconds: *m.credential_seconds.get_ref(),
        }
    }

    /// The regions the seed fills, by ID.
    pub fn region_ids(&self) -> impl Iterator<Item = &str> {
        self.file.regions.iter().map(|r| r.id.get_ref().as_str())
    }
}

/// The instance's role is one of the `[[roles]]` (by name); the credentials' lifetime is
/// within STS's session bounds.
fn check_metadata(
    m: &rows::MetadataRow,
    roles: &[rows::RoleRow],
) -> Result<(), (Option<usize>, String)> {
    if let Some(role) = &m.ram_role {
        let name = role.get_ref();
        let known = roles
            .iter()
            .any(|r| r.arn.get_ref().rsplit('/').next() == Some(name.as_str()));
        if !known {
            return Err((
                Some(role.span().start),
                format!(
                    "[metadata] field `ram_role`: no [[roles]] entry has the name {name:?} \
                     (the last part of its arn)"
                ),
            ));
        }
    }
    let seconds = *m.credential_seconds.get_ref();
    let range = metadata::CREDENTIAL_SECONDS_RANGE;
    if !range.contains(&seconds) {
        return Err((
            Some(m.credential_seconds.span().start),
            format!(
                "[metadata] field `credential_seconds` must be {} to {} (got {seconds})",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(())
}

impl Seed {
    /// Roles and OIDC providers: ARNs of the seed's account, each once, durations in range,
    /// trusted providers that exist.
    fn check_sts(&self) -> Result<(), (Option<usize>, String)> {
        let f = &self.file;
        let at = |s: &Spanned<String>| Some(s.span().start);
        let account = format!("acs:ram::{}:", f.owner_id);
        let mut seen = HashSet::new();
        for p in &f.oidc_providers {
            let arn = p.arn.get_ref();
            if !arn.starts_with(&format!("{account}oidc-provider/")) || !seen.insert(arn.as_str()) {
                return Err((
                    at(&p.arn),
                    format!(
                        "OIDC provider {arn:?}: the arn must be {account}oidc-provider/NAME and \
                         appear once"
                    ),
                ));
            }
        }
        for r in &f.roles {
            let arn = r.arn.get_ref();
            if let Some(policy) = &r.policy {
                crate::policy::Document::parse(policy)
                    .map_err(|e| (at(&r.arn), format!("role {arn:?}: field `policy`: {e}")))?;
            }
            if !arn.starts_with(&format!("{account}role/")) || !seen.insert(arn.as_str()) {
                return Err((
                    at(&r.arn),
                    format!("role {arn:?}: the arn must be {account}role/NAME and appear once"),
                ));
            }
            if !(3600..=43200).contains(&r.max_session_duration) {
                return Err((
                    at(&r.arn),
                    format!("role {arn:?}: max_session_duration must be 3600 to 43200 seconds"),
                ));
            }
            if let Some(t) = r.trusted_oidc.iter().find(|t| {
                !f.oidc_providers
                    .iter()
                    .any(|p| *p.arn.get_ref() == t.provider)
            }) {
                return Err((
                    at(&r.arn),
                    format!(
                        "role {arn:?} trusts OIDC provider {:?}, which no [[oidc_providers]] \
                         entry defines",
                        t.provider
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn check_fail_at(id: &Spanned<String>, fail_at: Option<u8>) -> Result<(), (Option<usize>, String)> {
    match fail_at {
        Some(p) if p >= 100 => Err((
            Some(id.span().start),
            format!(
                "{}: field `fail_image_at` must be a percent below 100",
                id.get_ref()
            ),
        )),
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
        for id in hz
            .instances
            .keys()
            .chain(hz.snapshots.keys())
            .chain(hz.disks.keys())
        {
            let tail = id.split_once('-').map(|(_, t)| t).unwrap_or_default();
            assert_eq!(tail.len(), 20, "{id}");
            assert!(
                tail.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{id}"
            );
        }
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let bad = SANDBOX_TOML.replacen("image_id = \"aliyun_3", "image_id = \"nope_3", 1);
        let err = Seed::parse(&bad, "x.toml").unwrap_err();
        assert!(err.message.contains("image_id"), "{err}");
        let line = err.line.unwrap();
        assert!(
            bad.lines().nth(line - 1).unwrap().contains("id = \"i-"),
            "{err}"
        );
        let err = Seed::parse(
            "owner_id = 1\ndefault_region = \"x\"\nbogus = 2\n",
            "y.toml",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.to_string().starts_with("y.toml:3: "), "{err}");
    }

    #[test]
    fn account_and_resource_states_are_checked_and_loaded() {
        let bad = [
            (
                "[[disks]]\nid = \"d-x\"\ntype = \"data\"\nsize = 20\ncreation_time = 2024-01-01T00:00:00Z\ncondition = \"wobbly\"\n",
                "field `condition`",
            ),
            (
                "[[kms_keys]]\nid = \"k\"\nstatus = \"Sleeping\"\n",
                "field `status`",
            ),
            (
                "[[kms_keys]]\nid = \"k\"\nregion = \"mars-1\"\n",
                "field `region`",
            ),
            ("[delivery]\ncopy_concurrency = 0\n", "copy_concurrency"),
            ("[standing]\nbankrupt = true\n", "bankrupt"),
        ];
        for (addition, named) in bad {
            let err = Seed::parse(&format!("{SANDBOX_TOML}\n{addition}"), "s.toml").unwrap_err();
            assert!(err.message.contains(named), "{addition}: {err}");
        }
        let good = format!(
            "{SANDBOX_TOML}\n[standing]\nin_arrears = true\n[[kms_keys]]\nid = \"k\"\nstatus = \"Disabled\"\n[delivery]\nshare_accounts = 3\n"
        );
        let state = Seed::parse(&good, "s.toml").unwrap().into_state(1.0, 1);
        assert!(state.account.standing.in_arrears);
        assert_eq!(state.account.kms_keys["k"].region, "cn-hangzhou");
        assert_eq!(state.account.kms_keys["k"].status, "Disabled");
        assert_eq!(state.account.delivery.share_accounts, 3);
        assert_eq!(state.account.delivery.copy_concurrency, 5);
    }

    #[test]
    fn generate_section_fills_a_region() {
        let text = format!(
            "{SANDBOX_TOML}\n[generate]\nregion = \"cn-beijing\"\ninstances = 300\nsnapshots = 1000\n"
        );
        let state = Seed::parse(&text, "gen.toml").unwrap().into_state(1.0, 1);
        let bj = &state.regions["cn-beijing"];
        assert_eq!(
            (bj.instances.len(), bj.snapshots.len(), bj.disks.len()),
            (300, 1000, 300)
        );
    }
}
