//! Step 10 of CreateImage: the image name is free and the region's image quotas allow one more.

use crate::sim::error::SimError;
use crate::sim::state::{Image, Region};
use std::collections::BTreeSet;

use super::{Request, fail};

pub(super) fn check_name_and_quotas(
    region: &Region,
    request: &Request,
    quotas: crate::sim::state::Quotas,
) -> Result<(), SimError> {
    let custom: Vec<&Image> = region.images.values().filter(|i| i.is_custom()).collect();
    if let Some(name) = &request.name
        && custom.iter().any(|i| &i.name == name)
    {
        return Err(fail(
            400,
            "InvalidImageName.Duplicated",
            "The specified image name is already in use.",
        ));
    }
    if custom.len() >= quotas.images {
        return Err(fail(403, "QuotaExceed.Image", "The Image Quota exceeds."));
    }
    if !request.family.is_empty() {
        let in_family = custom.iter().filter(|i| i.family == request.family).count();
        if in_family >= quotas.images_per_family {
            return Err(fail(
                400,
                "ImageQuotaExceed.ImageFamily",
                "The specified image family exceeds the maximum number of images for one image family.",
            ));
        }
        let families: BTreeSet<&str> = custom
            .iter()
            .map(|i| i.family.as_str())
            .filter(|f| !f.is_empty())
            .collect();
        if in_family == 0 && families.len() >= quotas.families {
            return Err(fail(
                400,
                "ImageFamilyQuotaExceed",
                "The number of image families exceeds the limit in the region.",
            ));
        }
    }
    Ok(())
}
