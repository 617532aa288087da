//! Seed data: the TOML file that fills the simulated account (`assets/sandbox.toml` by default,
//! `--data FILE` otherwise), and the `[generate]` section that adds a huge synthetic region.
//!
//! Loading checks every reference (an instance's image, a disk's instance, a snapshot's disk,
//! resource groups, regions) and reports problems as `file:line: what is wrong`.

mod account;
mod check;
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
            line: e.span().map(|s| crate::text::line_column(text, s.start).0),
            message: e.message().to_string(),
        })?;
        let seed = Self { file };
        seed.check().map_err(|(span, message)| SeedError {
            origin: origin.to_string(),
            line: span.map(|s| crate::text::line_column(text, s).0),
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
