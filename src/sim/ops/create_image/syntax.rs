//! Step 2 of CreateImage: the request's parameters, parsed and checked one by one (names,
//! lengths, tag and disk-mapping syntax) before any resource is looked at.

use crate::sim::error::SimError;
use crate::sim::params::Params;
use crate::spec::rules;
use std::collections::BTreeSet;

use super::{Mapping, Request, fail};

pub(super) fn parse(params: &Params) -> Result<Request, SimError> {
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

/// `Tag.N.Key`/`Tag.N.Value` a request sets (CreateImage, CopyImage, TagResources).
pub(in crate::sim::ops) fn parse_tags(params: &Params) -> Result<Vec<(String, String)>, SimError> {
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
    for (n, group) in params.groups("DiskDeviceMapping")? {
        if group.values().all(|v| v.trim().is_empty()) {
            return Err(fail(
                400,
                "InvalidParameter.AllEmpty",
                &format!("The parameters of DiskDeviceMapping.{n} are all empty."),
            ));
        }
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

pub(super) fn size_error() -> SimError {
    fail(
        400,
        "InvalidSize.ValueNotSupported",
        "The specified parameter DiskDeviceMapping.n.Size beyond the permitted range.",
    )
}

pub(super) fn device_in_use() -> SimError {
    fail(
        400,
        "InvalidDevice.InUse",
        "The specified parameter DiskDeviceMapping.n.Device has been occupied.",
    )
}
