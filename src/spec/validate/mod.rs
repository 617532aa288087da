//! Field-level checks of an [`ImageSpec`]: [`validate`] needs the spec alone, [`validate_with`]
//! adds the rules that need live data (snapshot facts, names already taken). The wizard, the
//! recipe loader and the review screen all call these; single-value rules come from [`rules`].

mod delivery;

pub use delivery::{MAX_SHARED_ACCOUNTS, account_id};
#[cfg(test)]
mod tests;

use super::facts::{Facts, SnapshotFacts};
use super::usable::{self, SnapshotRole};
use super::{DiskType, Field, ImageSpec, Source, rules};

/// Whether a finding stops the request or only deserves attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub field: Field,
    /// Plain language: what is wrong and how to fix it.
    pub message: String,
    pub severity: Severity,
    /// The ECS error code this check prevents (see `assets/errors.toml`), if there is one.
    pub code: Option<&'static str>,
}

impl Finding {
    pub(in crate::spec) fn error(
        field: Field,
        code: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field,
            message: message.into(),
            severity: Severity::Error,
            code,
        }
    }

    fn warning(field: Field, code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(field, code, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every rule of the CreateImage reference that the spec alone can decide.
pub fn validate(spec: &ImageSpec) -> Vec<Finding> {
    let mut out = Vec::new();
    check_region(&spec.region, &mut out);
    check_source(&spec.source, &mut out);
    check_image(spec, &mut out);
    check_tags(spec, &mut out);
    check_stop(spec, &mut out);
    delivery::check(spec, &mut out);
    if let Some(token) = &spec.client_token {
        rule(
            &mut out,
            Field::ClientToken,
            "InvalidClientToken.ValueNotSupported",
            rules::client_token(token),
        );
    }
    out
}

/// [`validate`] plus the rules that need live data.
pub fn validate_with(spec: &ImageSpec, live: &Facts) -> Vec<Finding> {
    let mut out = validate(spec);
    if let Some(name) = &spec.image.name
        && live.image_names_in_region.contains(name)
    {
        out.push(Finding::error(
            Field::ImageName,
            Some("InvalidImageName.Duplicated"),
            format!(
                "You already have an image named {name:?} in {}; choose another name.",
                spec.region
            ),
        ));
    }
    match &spec.source {
        Source::Instance { instance_id } => {
            if live.instances_without_system_disk.contains(instance_id)
                && let Some(problem) = usable::instance_disks(&[])
            {
                out.push(Finding::error(
                    Field::Source,
                    Some(problem.code),
                    format!("Instance {instance_id} cannot be used: {}.", problem.reason),
                ));
            }
        }
        Source::Snapshot { snapshot_id } => {
            if let Some(facts) = live.snapshots.get(snapshot_id) {
                snapshot_findings(snapshot_id, facts, SnapshotRole::Alone, &mut out, |_| {
                    Field::SnapshotId
                });
            }
        }
        Source::Disks(disks) => {
            for (i, disk) in disks.iter().enumerate() {
                let Some(id) = &disk.snapshot_id else {
                    continue;
                };
                let Some(facts) = live.snapshots.get(id) else {
                    continue;
                };
                let role = match disk.disk_type {
                    DiskType::System => SnapshotRole::SystemDisk,
                    DiskType::Data => SnapshotRole::DataDisk,
                };
                snapshot_findings(id, facts, role, &mut out, |code| match code {
                    "InvalidParameter.DiskType" => Field::SourceDiskType(i),
                    _ => Field::SourceDiskSnapshot(i),
                });
                // An out-of-range size is already reported by `validate`.
                if let Some(size) = disk.size
                    && rules::disk_size(size, None).is_ok()
                {
                    rule(
                        &mut out,
                        Field::SourceDiskSize(i),
                        "InvalidSize.ValueNotSupported",
                        rules::disk_size(size, facts.size_gib),
                    );
                }
                if disk.disk_type == DiskType::System
                    && facts.source_disk_type == DiskType::Data
                    && !facts.encrypted
                {
                    check_promotion(spec, id, &mut out);
                }
            }
        }
    }
    delivery::check_sharing(spec, live, &mut out);
    out
}

/// The reasons a snapshot cannot play its role, as errors on the field `field_of` names.
fn snapshot_findings(
    id: &str,
    facts: &SnapshotFacts,
    role: SnapshotRole,
    out: &mut Vec<Finding>,
    field_of: impl Fn(&str) -> Field,
) {
    for problem in usable::snapshot_problems(facts, role) {
        out.push(Finding::error(
            field_of(problem.code),
            Some(problem.code),
            format!("Snapshot {id} cannot be used: {}.", problem.reason),
        ));
    }
}

/// Stopping first is for an instance source only (a missing source is reported as such).
fn check_stop(spec: &ImageSpec, out: &mut Vec<Finding>) {
    let other_source = !spec.source.is_empty() && !matches!(spec.source, Source::Instance { .. });
    if spec.stop.is_some() && other_source {
        out.push(Finding::error(
            Field::Stop,
            None,
            "stop, force_stop and restart are for an instance source (instance_id): ecsimg \
             stops that instance before CreateImage and starts it again after. A snapshot or \
             a disk mapping has no instance to stop; remove them.",
        ));
    }
}

/// Push `Err` of a single-value rule as an error on `field`.
fn rule(out: &mut Vec<Finding>, field: Field, code: &'static str, result: Result<(), String>) {
    if let Err(message) = result {
        out.push(Finding::error(field, Some(code), message));
    }
}

fn check_region(region: &str, out: &mut Vec<Finding>) {
    let shaped = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !shaped {
        out.push(Finding::error(
            Field::Region,
            Some("InvalidRegionId.NotFound"),
            format!(
                "{region:?} is not a region ID; use one such as cn-hangzhou (lowercase letters, \
                 digits and hyphens)."
            ),
        ));
    }
}

/// `prefix` followed by at least one ASCII letter, digit, `-` or `_`: what ECS IDs look like.
fn id_shaped(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

fn check_id(
    field: Field,
    id: &str,
    prefix: &str,
    what: &str,
    code: &'static str,
) -> Option<Finding> {
    (!id_shaped(id, prefix)).then(|| {
        Finding::error(
            field,
            Some(code),
            format!("{id:?} is not {what} ID: those start with {prefix:?}, like {prefix}bp1g6zv0ce8oghu7xxxx."),
        )
    })
}

fn check_source(source: &Source, out: &mut Vec<Finding>) {
    if source.is_empty() {
        out.push(Finding::error(
            Field::Source,
            Some("MissingParameter"),
            "Choose a source: an instance, a system-disk snapshot, or a set of disks.",
        ));
        return;
    }
    match source {
        Source::Instance { instance_id } => out.extend(check_id(
            Field::InstanceId,
            instance_id,
            "i-",
            "an instance",
            "InvalidInstanceId.NotFound",
        )),
        Source::Snapshot { snapshot_id } => out.extend(check_id(
            Field::SnapshotId,
            snapshot_id,
            "s-",
            "a snapshot",
            "InvalidSnapshotId.NotFound",
        )),
        Source::Disks(disks) => check_disks(source, disks, out),
    }
}

fn check_disks(source: &Source, disks: &[super::DiskSpec], out: &mut Vec<Finding>) {
    let systems: Vec<usize> = (0..disks.len())
        .filter(|&i| disks[i].disk_type == DiskType::System)
        .collect();
    match systems.as_slice() {
        [] => out.push(Finding::error(
            Field::SourceDisks,
            Some("OperationDenied"),
            "The disks include no system disk: mark the snapshot the image boots from as the \
             system disk.",
        )),
        [0] => {}
        [i] => out.push(Finding::error(
            Field::SourceDiskType(*i),
            None,
            format!(
                "The system disk is disk {}; put it first, before the data disks.",
                i + 1
            ),
        )),
        [_, extra @ ..] => {
            for i in extra {
                out.push(Finding::error(
                    Field::SourceDiskType(*i),
                    Some("OperationDenied"),
                    format!(
                        "Disk {} is a second system disk; an image has exactly one. Make it a \
                         data disk.",
                        i + 1
                    ),
                ));
            }
        }
    }
    let data_count = disks.len() - systems.len();
    if data_count > rules::MAX_DATA_DISKS {
        out.push(Finding::error(
            Field::SourceDisks,
            Some("InvalidParameter"),
            format!(
                "There are {data_count} data disks; an image can carry at most {}. Remove {}.",
                rules::MAX_DATA_DISKS,
                data_count - rules::MAX_DATA_DISKS
            ),
        ));
    }

    let devices = source.devices();
    for (i, disk) in disks.iter().enumerate() {
        match &disk.snapshot_id {
            Some(id) => out.extend(check_id(
                Field::SourceDiskSnapshot(i),
                id,
                "s-",
                "a snapshot",
                "InvalidSnapshotId.NotFound",
            )),
            None if disk.disk_type == DiskType::System => out.push(Finding::error(
                Field::SourceDiskSnapshot(i),
                Some("OperationDenied"),
                "The system disk needs a snapshot to boot from; only data disks can be empty.",
            )),
            None => {}
        }
        if let Some(size) = disk.size {
            // The snapshot's own size is checked by `validate_with`, which knows it.
            rule(
                out,
                Field::SourceDiskSize(i),
                "InvalidSize.ValueNotSupported",
                rules::disk_size(size, None),
            );
        }
        let Some(device) = disk.device.as_deref() else {
            continue;
        };
        let shape = match disk.disk_type {
            DiskType::System if device != rules::SYSTEM_DEVICE => Err(format!(
                "The system disk's device must be {}, not {device:?}; or leave it out.",
                rules::SYSTEM_DEVICE
            )),
            DiskType::System => Ok(()),
            DiskType::Data => rules::data_device(device),
        };
        if let Err(message) = shape {
            out.push(Finding::error(
                Field::SourceDiskDevice(i),
                Some("InvalidDevice.Malformed"),
                message,
            ));
        } else if let Some(first) = devices[..i]
            .iter()
            .position(|d| d.as_deref() == Some(device))
        {
            let how = if disks[first].device.is_some() {
                "also uses"
            } else {
                "is assigned"
            };
            out.push(Finding::error(
                Field::SourceDiskDevice(i),
                Some("InvalidDevice.InUse"),
                format!(
                    "Disk {} {how} {device}; give each disk its own device.",
                    first + 1
                ),
            ));
        }
    }
}

fn check_image(spec: &ImageSpec, out: &mut Vec<Finding>) {
    let image = &spec.image;
    type TextRule = fn(&str) -> Result<(), String>;
    let text_rules: [(Field, &Option<String>, &str, TextRule); 4] = [
        (
            Field::ImageName,
            &image.name,
            "InvalidImageName.Malformed",
            rules::image_name,
        ),
        (
            Field::ImageFamily,
            &image.family,
            "InvalidImageFamily.Malformed",
            rules::image_family,
        ),
        (
            Field::ImageVersion,
            &image.version,
            "InvalidImageVersion.Malformed",
            rules::image_version,
        ),
        (
            Field::Description,
            &image.description,
            "InvalidDescription.Malformed",
            rules::description,
        ),
    ];
    for (field, value, code, check) in text_rules {
        if let Some(value) = value {
            rule(out, field, code, check(value));
        }
    }
    if let Some(platform) = &image.platform {
        rule(
            out,
            Field::Platform,
            "InvalidPlatform.Malformed",
            rules::one_of("Platform", platform, rules::PLATFORMS),
        );
    }
    if let Some(group) = &image.resource_group_id {
        out.extend(check_id(
            Field::ResourceGroupId,
            group,
            "rg-",
            "a resource group",
            "InvalidResourceGroup.NotFound",
        ));
    }
}

fn check_tags(spec: &ImageSpec, out: &mut Vec<Finding>) {
    if spec.tags.len() > rules::MAX_TAGS {
        out.push(Finding::error(
            Field::Tags,
            Some("QuotaExceed.Tags"),
            format!(
                "There are {} tags; an image can get at most {}. Remove {}.",
                spec.tags.len(),
                rules::MAX_TAGS,
                spec.tags.len() - rules::MAX_TAGS
            ),
        ));
    }
    for (i, tag) in spec.tags.iter().enumerate() {
        rule(
            out,
            Field::TagKey(i),
            "InvalidTagKey.Malformed",
            rules::tag_key(&tag.key),
        );
        rule(
            out,
            Field::TagValue(i),
            "InvalidTagValue.Malformed",
            rules::tag_value(&tag.value),
        );
        if let Some(first) = spec.tags[..i].iter().position(|t| t.key == tag.key) {
            out.push(Finding::error(
                Field::TagKey(i),
                Some("Duplicate.TagKey"),
                format!(
                    "Tag key {:?} is already used by tag {}; each key may appear once.",
                    tag.key,
                    first + 1
                ),
            ));
        }
    }
}

/// A data-disk snapshot made the system disk: ECS cannot tell its OS, so platform and
/// architecture should be said.
fn check_promotion(spec: &ImageSpec, id: &str, out: &mut Vec<Finding>) {
    if spec.image.platform.is_none() {
        out.push(Finding::warning(
            Field::Platform,
            None,
            format!(
                "Snapshot {id} comes from a data disk, so ECS cannot tell its operating system: \
                 set the platform, or it will be recorded as {:?}.",
                rules::DEFAULT_PLATFORM
            ),
        ));
    }
    if spec.image.architecture.is_none() {
        out.push(Finding::warning(
            Field::Architecture,
            None,
            format!(
                "Snapshot {id} comes from a data disk, so ECS cannot tell its architecture: set \
                 it, or it will be recorded as {}.",
                rules::DEFAULT_ARCHITECTURE
            ),
        ));
    }
}
