//! ModifyImageAttribute: name, description, family, boot mode, license type, features, and
//! deprecation (`Status=Deprecated`, back with `Status=Available`).
//!
//! https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-modifyimageattribute
//! Family limits: https://www.alibabacloud.com/help/en/ecs/user-guide/overview-37
//!
//! Choices where the reference is silent: a value equal to the current one succeeds;
//! deprecating an image that is not Available is 403 `ImageStatus.NotAvailable`, restoring one
//! that is not Deprecated is 403 `ImageStatus.NotDeprecated`; an image still being made (or
//! copied) refuses every change with 403 `InvalidStatus.ImageIsCreating`.

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use super::{Done, fail, own_image};
use crate::sim::error::SimError;
use crate::sim::params::Params;
use crate::sim::state::State;
use crate::spec::rules;

/// A parameter that must be one of `allowed`.
fn one_of<'p>(
    params: &'p Params,
    name: &str,
    allowed: &[&str],
    err: impl Fn() -> SimError,
) -> Result<Option<&'p str>, SimError> {
    match params.get(name) {
        Some(v) if allowed.contains(&v) => Ok(Some(v)),
        Some(_) => Err(err()),
        None => Ok(None),
    }
}

/// A parameter that must pass a `spec::rules` check.
fn checked<'p>(
    params: &'p Params,
    name: &str,
    rule: fn(&str) -> Result<(), String>,
    err: impl Fn() -> SimError,
) -> Result<Option<&'p str>, SimError> {
    params
        .get(name)
        .map(|v| rule(v).map(|()| v).map_err(|_| err()))
        .transpose()
}

pub fn modify(state: &mut State, now: DateTime<Utc>, params: &Params) -> Result<Done, SimError> {
    let region_id = super::super::region_id(state, params)?.to_string();
    let image_id = params.require("ImageId")?;
    let name = checked(params, "ImageName", rules::image_name, || {
        fail(
            400,
            "InvalidImageName.Malformed",
            "The specified Image name is wrongly formed.",
        )
    })?;
    let description = checked(params, "Description", rules::description, || {
        fail(
            400,
            "InvalidDescription.Malformed",
            "The specified description is wrongly formed.",
        )
    })?;
    let family = checked(params, "ImageFamily", rules::image_family, || {
        fail(
            400,
            "InvalidImageFamily.Malformed",
            "The format of the specified image family is invalid.",
        )
    })?;
    let status = one_of(params, "Status", &["Deprecated", "Available"], || {
        SimError::invalid_parameter("Status", "use Deprecated or Available")
    })?;
    let boot_mode = one_of(params, "BootMode", rules::BOOT_MODES, || {
        fail(
            400,
            "InvalidBootMode.NotSupport",
            "The specified parameter BootMode is not supported.",
        )
    })?;
    let license = one_of(params, "LicenseType", &["BYOL"], || {
        fail(
            400,
            "InvalidLicenseType.NotSupported",
            "The specified LicenseType is not supported.",
        )
    })?;
    let imds = one_of(params, "Features.ImdsSupport", rules::IMDS_SUPPORT, || {
        fail(
            400,
            "InvalidParameter.FeaturesImdsSupport",
            "The specified parameter Features.ImdsSupport is not supported.",
        )
    })?;
    let nvme = one_of(
        params,
        "Features.NvmeSupport",
        &["supported", "unsupported"],
        || SimError::invalid_parameter("Features.NvmeSupport", "use supported or unsupported"),
    )?;
    let quotas = state.account.quotas;
    let speed = state.speed;
    let region = state
        .regions
        .get_mut(&region_id)
        .ok_or_else(SimError::region_not_found)?;
    let in_use = region.instances.values().any(|i| i.image_id == image_id);
    let others: Vec<(String, String)> = region
        .images
        .values()
        .filter(|i| i.is_custom() && i.id != image_id)
        .map(|i| (i.name.clone(), i.family.clone()))
        .collect();
    let image = own_image(region, image_id)?;
    let current = image.status_at(now, speed).0.to_string();
    if matches!(current.as_str(), "Creating" | "Waiting") {
        return Err(fail(
            403,
            "InvalidStatus.ImageIsCreating",
            "The image is being created; try again once it is Available.",
        ));
    }
    if let Some(name) = name
        && others.iter().any(|(n, _)| n == name)
    {
        return Err(fail(
            400,
            "InvalidImageName.Duplicated",
            "The specified image name has already bean used.",
        ));
    }
    if let Some(family) = family
        && family != image.family
    {
        let in_family = others.iter().filter(|(_, f)| f == family).count();
        if in_family >= quotas.images_per_family {
            return Err(fail(
                400,
                "ImageQuotaFull.ImageFamily",
                "The specified image family already holds the most images it may.",
            ));
        }
        let families: BTreeSet<&str> = others
            .iter()
            .map(|(_, f)| f.as_str())
            .filter(|f| !f.is_empty())
            .collect();
        if in_family == 0 && families.len() >= quotas.families {
            return Err(fail(
                400,
                "ImageFamilyQuotaFull",
                "The region already holds the most image families it may.",
            ));
        }
    }
    match status {
        Some("Deprecated") if current != "Deprecated" && current != "Available" => {
            return Err(fail(
                403,
                "ImageStatus.NotAvailable",
                "Only an Available image can be deprecated.",
            ));
        }
        Some("Deprecated") if image.delivery.is_shared() => {
            return Err(fail(
                403,
                "ImageUseShared",
                "The image is shared; cancel the sharing before this operation.",
            ));
        }
        Some("Available") if current != "Deprecated" && current != "Available" => {
            return Err(fail(
                403,
                "ImageStatus.NotDeprecated",
                "Only a Deprecated image can be made Available again.",
            ));
        }
        _ => {}
    }
    if let Some(mode) = boot_mode {
        if image.os.architecture == "arm64" && mode == "BIOS" {
            return Err(fail(
                400,
                "InvalidBootMode.NotSupport",
                "The specified parameter BootMode is not supported for current image architecture.",
            ));
        }
        if in_use && mode != image.os.boot_mode {
            return Err(fail(
                403,
                "OperationDeined.ImageUsingByInstance",
                "The boot mode of an image that instances use cannot be changed.",
            ));
        }
    }
    if imds == Some("v1") && image.os.imds_support == "v2" {
        return Err(fail(
            403,
            "InvalidOperation.FeaturesImdsSupportNotMatch",
            "An image that supports IMDS v2 only cannot be set back to v1.",
        ));
    }
    super::super::finish_dry_run(params)?;
    if let Some(name) = name {
        image.name = name.to_string();
    }
    if let Some(description) = description {
        image.description = description.to_string();
    }
    if let Some(family) = family {
        image.family = family.to_string();
    }
    if let Some(status) = status {
        image.delivery.deprecated = status == "Deprecated";
    }
    if let Some(mode) = boot_mode {
        image.os.boot_mode = mode.to_string();
    }
    if let Some(license) = license {
        image.delivery.license_type = Some(license.to_string());
    }
    if let Some(imds) = imds {
        image.os.imds_support = imds.to_string();
    }
    if let Some(nvme) = nvme {
        image.delivery.nvme_support = Some(nvme.to_string());
    }
    image.touch();
    Ok(Done {})
}
