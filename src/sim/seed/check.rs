//! Loading's checks: every cross-reference and value of a seed file, each refusal with the byte
//! offset it is about.

use super::*;

impl Seed {
    /// Every cross-reference and value check; `Err((byte offset, message))`.
    pub(super) fn check(&self) -> Result<(), (Option<usize>, String)> {
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
