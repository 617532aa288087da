//! CopyImage (called in the source region, the copy lives in `DestinationRegionId`) and
//! CancelCopyImage (called in the copy's region).
//!
//! https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-copyimage
//! https://www.alibabacloud.com/help/en/ecs/api-cancelcopyimage
//!
//! Choices where the reference is silent: `DestinationRegionId` is required (400
//! `MissingParameter`); a copy without `DestinationImageName` is named after its own ID, as
//! CreateImage names an image without a name; the description defaults to the source's; the
//! copy inherits neither family, tags nor resource group (the copy guide says they are set when
//! copying); a same-region copy is allowed only to change encryption; `Encrypted` omitted keeps
//! the source's encryption (with the service key); queued copies count against the image
//! quota; the copy's ClientToken is remembered per source region, apart from CreateImage's.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Done, fail, own_image};
use crate::sim::error::SimError;
use crate::sim::ops::create_image::{kms_key_usable, parse_tags};
use crate::sim::params::Params;
use crate::sim::state::{
    CopySource, Delivery, Image, ImageDisk, KmsKey, RenderCache, Snapshot, State, Timeline,
    TokenRecord,
};
use crate::spec::rules;

/// Larger images must go through CopySnapshot and CreateImage (copy guide: 2 TiB).
const MAX_COPY_GIB: u32 = 2048;

/// CopyImage's answer: the new image, in the destination region.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Copied {
    image_id: String,
}

/// The encryption a copy asks for.
struct Encryption {
    encrypted: Option<bool>,
    kms_key_id: Option<String>,
}

pub fn copy(state: &mut State, now: DateTime<Utc>, params: &Params) -> Result<Copied, SimError> {
    let source_region = super::super::region_id(state, params)?.to_string();
    let image_id = params.require("ImageId")?;
    let destination = params.require("DestinationRegionId")?.to_string();
    let name = checked(params, "DestinationImageName", rules::image_name, || {
        fail(
            400,
            "InvalidImageName.Malformed",
            "The specified Image name is wrongly formed.",
        )
    })?;
    let description = checked(params, "DestinationDescription", rules::description, || {
        fail(
            400,
            "InvalidDescription.Malformed",
            "The specified description is wrongly formed.",
        )
    })?;
    let client_token = checked(params, "ClientToken", rules::client_token, || {
        fail(
            400,
            "InvalidClientToken.ValueNotSupported",
            "The ClientToken provided is invalid.",
        )
    })?;
    let tags = parse_tags(params)?;
    let encryption = Encryption {
        encrypted: params.bool("Encrypted")?,
        kms_key_id: params.get("KMSKeyId").map(str::to_string),
    };
    let dry_run = params.dry_run()?;
    let destination_info = state.region_info(&destination).ok_or_else(|| {
        fail(
            400,
            "DestinationRegion.NotFound",
            "The specified destination region does not exist.",
        )
    })?;
    if destination_info.status != "available" {
        return Err(fail(
            403,
            "RegionNotSupportCopy",
            "The destination region does not support copying images.",
        ));
    }
    // The key and the resource group are parameters that name other resources: checked with
    // the parameters, before the image is looked up, so a DryRun finds them (see mod.rs).
    let kms_key = check_encryption(state, &encryption, &destination)?;
    let resource_group_id = match params.get("ResourceGroupId") {
        Some(id) if !state.account.resource_groups.contains_key(id) => {
            return Err(fail(
                404,
                "InvalidResourceGroup.NotFound",
                "The ResourceGroup provided does not exist in our records.",
            ));
        }
        Some(id) => id.to_string(),
        None => state.account.default_resource_group.clone(),
    };
    let fingerprint = params.fingerprint();
    if !dry_run
        && let Some(token) = &client_token
        && let Some(record) = state.regions[&source_region].copy_tokens.get(token)
    {
        return if record.fingerprint == fingerprint {
            Ok(Copied {
                image_id: record.image_id.clone(),
            })
        } else {
            Err(fail(
                400,
                "IdempotentParameterMismatch",
                "The specified parameters are different from before with the same ClientToken.",
            ))
        };
    }
    let source = state.regions[&source_region]
        .images
        .get(image_id)
        .filter(|i| i.owner_alias == "self" || i.owner_alias == "others")
        .ok_or_else(SimError::image_not_found)?;
    if source.owner_alias == "others" && destination != source_region {
        return Err(fail(
            403,
            "OperationDenied.SameRegionOnly",
            "An image shared with you can be copied only within its own region.",
        ));
    }
    if source.delivery.community {
        return Err(fail(
            400,
            "OperationDenied.CommunityImage",
            "A community image cannot be copied.",
        ));
    }
    if destination == source_region && encryption.encrypted.is_none() {
        return Err(fail(
            403,
            "IncorrectDestinationRegion",
            "The source region must be different from the destination region.",
        ));
    }
    if source.status_at(now, state.speed).0 != "Available" {
        return Err(fail(
            400,
            "IncorrectImageStatus",
            "The image not available.",
        ));
    }
    if running_from(state, &source_region, image_id, now) {
        return Err(fail(
            400,
            "OperationDenied.ImageCopyConflict",
            "The specified image is being copied; wait for that copy to finish.",
        ));
    }
    let source_encrypted = source.disks.iter().any(|d| d.encrypted);
    if source_encrypted && encryption.encrypted == Some(false) {
        return Err(fail(
            403,
            "OperationDeined.EncryptedSnapshot",
            "An image with encrypted snapshots cannot be copied to an unencrypted image.",
        ));
    }
    if source.disks.iter().map(|d| d.size).sum::<u32>() > MAX_COPY_GIB {
        return Err(fail(
            403,
            "SizeExceed.Image",
            "The image is too large to be copied; copy its snapshots with CopySnapshot and create an image from them.",
        ));
    }
    if state.account.standing.in_arrears {
        return Err(fail(
            400,
            "Account.Arrearage",
            "Your account has an outstanding payment.",
        ));
    }
    let target = &state.regions[&destination];
    let custom = target.images.values().filter(|i| i.is_custom()).count();
    if let Some(name) = &name
        && target
            .images
            .values()
            .any(|i| i.is_custom() && &i.name == name)
    {
        return Err(fail(
            400,
            "InvalidImageName.Duplicated",
            "The specified image name is already in use.",
        ));
    }
    let quota = state.account.quotas.images;
    if custom >= quota {
        return Err(fail(
            403,
            "QuotaExceed.Image",
            format!("The number of images exceeds the limit ({quota})."),
        ));
    }
    let snapshots = source.disks.iter().filter(|d| !d.snapshot_id.is_empty());
    if state
        .account
        .quotas
        .snapshots
        .is_some_and(|quota| target.snapshots.len() + snapshots.count() > quota)
    {
        return Err(fail(
            403,
            "QuotaExceed.Snapshot",
            "The snapshot quota exceeds.",
        ));
    }
    if dry_run {
        return Err(SimError::dry_run_passed());
    }
    let encrypted = encryption.encrypted.unwrap_or(source_encrypted);
    let token_region = source_region.clone();
    let plan = Plan {
        source: source.clone(),
        source_region,
        destination,
        name,
        description,
        tags,
        resource_group_id,
        encrypted,
        kms_key_id: kms_key.map(|k| k.id.clone()).unwrap_or_default(),
    };
    let new_id = commit(state, now, plan);
    if let Some(token) = client_token
        && let Some(region) = state.regions.get_mut(&token_region)
    {
        region.copy_tokens.insert(
            token,
            TokenRecord {
                fingerprint,
                image_id: new_id.clone(),
            },
        );
    }
    Ok(Copied { image_id: new_id })
}

/// A checked optional string parameter.
fn checked(
    params: &Params,
    name: &str,
    rule: fn(&str) -> Result<(), String>,
    err: impl Fn() -> SimError,
) -> Result<Option<String>, SimError> {
    params
        .get(name)
        .map(|v| rule(v).map(|()| v.to_string()).map_err(|_| err()))
        .transpose()
}

/// Whether a copy of `image_id` from `region` is still being made anywhere.
pub fn running_from(state: &State, region: &str, image_id: &str, now: DateTime<Utc>) -> bool {
    state.regions.values().any(|r| {
        r.images.values().any(|i| {
            i.delivery
                .copied_from
                .as_ref()
                .is_some_and(|c| c.region == region && c.image_id == image_id)
                && i.in_progress(now, state.speed)
        })
    })
}

/// The key a copy is encrypted with: `KMSKeyId` needs `Encrypted=true` and a usable key in the
/// destination region.
fn check_encryption<'s>(
    state: &'s State,
    encryption: &Encryption,
    destination: &str,
) -> Result<Option<&'s KmsKey>, SimError> {
    if encryption.encrypted == Some(true) && state.account.standing.kms_off {
        return Err(fail(
            400,
            "InvalidParameter.KmsNotEnabled",
            "The KMS service is not enabled for your account.",
        ));
    }
    let Some(key_id) = &encryption.kms_key_id else {
        return Ok(None);
    };
    if encryption.encrypted != Some(true) {
        return Err(fail(
            400,
            "InvalidParameter.EncryptedIllegal",
            "KMSKeyId can be specified only when Encrypted is true.",
        ));
    }
    let key = state
        .account
        .kms_keys
        .get(key_id)
        .filter(|k| k.region == destination)
        .ok_or_else(|| {
            fail(
                404,
                "InvalidParameter.KMSKeyId.NotFound",
                "The specified KMSKeyId does not exist.",
            )
        })?;
    kms_key_usable(key)?;
    Ok(Some(key))
}

/// Everything a copy is made from.
struct Plan {
    source: Image,
    source_region: String,
    destination: String,
    name: Option<String>,
    description: Option<String>,
    tags: Vec<(String, String)>,
    resource_group_id: String,
    encrypted: bool,
    kms_key_id: String,
}

/// Makes the copy and its snapshots in the destination; a copy beyond the region's
/// concurrency starts when a running one ends, and reads `Waiting` until then.
fn commit(state: &mut State, now: DateTime<Utc>, plan: Plan) -> String {
    let limits = state.account.delivery;
    let start = queue_start(state, &plan.destination, now);
    let timeline = Timeline {
        start,
        seconds: limits.copy_seconds,
        fail_at: limits.fail_copies_at,
    };
    let image_id = state.new_id("m", &plan.destination);
    let mut disks = Vec::with_capacity(plan.source.disks.len());
    let mut snapshots = Vec::new();
    for disk in &plan.source.disks {
        let snapshot_id = if disk.snapshot_id.is_empty() {
            String::new()
        } else {
            let id = state.new_id("s", &plan.destination);
            snapshots.push(Snapshot::for_image(
                id.clone(),
                format!("Copied for image {image_id} from {}", disk.snapshot_id),
                ("", &disk.disk_type, disk.size),
                timeline,
                now,
                (plan.encrypted, &plan.kms_key_id),
                &plan.resource_group_id,
            ));
            id
        };
        disks.push(ImageDisk {
            snapshot_id,
            encrypted: plan.encrypted,
            timeline: Some(timeline),
            ..disk.clone()
        });
    }
    let source = plan.source;
    let image = Image {
        id: image_id.clone(),
        name: plan.name.unwrap_or_else(|| image_id.clone()),
        family: String::new(),
        version: source.version.clone(),
        description: plan.description.unwrap_or(source.description),
        status: "Creating".into(),
        timeline: Some(timeline),
        creation_time: now,
        owner_alias: "self".into(),
        os: source.os,
        size: source.size,
        disks,
        tags: plan.tags,
        resource_group_id: plan.resource_group_id,
        detection: None,
        secure_boot: source.secure_boot,
        delivery: Delivery {
            copied_from: Some(CopySource {
                region: plan.source_region,
                image_id: source.id,
            }),
            kms_key_id: plan.kms_key_id,
            nvme_support: source.delivery.nvme_support,
            license_type: source.delivery.license_type,
            ..Delivery::default()
        },
        rendered: RenderCache::default(),
    };
    tracing::debug!(%image_id, %start, "copy started or queued");
    if let Some(region) = state.regions.get_mut(&plan.destination) {
        for snapshot in snapshots {
            region.snapshots.insert(snapshot.id.clone(), snapshot);
        }
        region.images.insert(image_id.clone(), image);
    }
    image_id
}

/// When a new copy into `region` can start: now, or when enough running copies have ended
/// to leave a free slot.
fn queue_start(state: &State, region: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let concurrency = state.account.delivery.copy_concurrency.max(1);
    let mut ends: Vec<DateTime<Utc>> = state.regions[region]
        .images
        .values()
        .filter(|i| i.delivery.copied_from.is_some())
        .filter_map(|i| i.timeline)
        .map(|t| t.end(state.speed))
        .filter(|end| *end > now)
        .collect();
    if ends.len() < concurrency {
        return now;
    }
    ends.sort();
    ends[ends.len() - concurrency]
}

/// CancelCopyImage: removes a copy still being made, with the snapshots made for it.
pub fn cancel(state: &mut State, now: DateTime<Utc>, params: &Params) -> Result<Done, SimError> {
    let region_id = super::super::region_id(state, params)?.to_string();
    let image_id = params.require("ImageId")?;
    let speed = state.speed;
    let region = state
        .regions
        .get_mut(&region_id)
        .ok_or_else(SimError::region_not_found)?;
    let image = own_image(region, image_id)?;
    if image.delivery.copied_from.is_none() {
        return Err(fail(
            400,
            "ImageCreatedNotFromCopy",
            "The specified image is not created from copy.",
        ));
    }
    match image.status_at(now, speed).0 {
        "Creating" | "Waiting" => {}
        "CreateFailed" => {
            return Err(fail(
                400,
                "IncorrectImageStatus",
                "The Image copy has been failed.",
            ));
        }
        _ => {
            return Err(fail(
                400,
                "IncorrectImageStatus",
                "The image copy has completed.",
            ));
        }
    }
    let snapshots: Vec<String> = image
        .disks
        .iter()
        .map(|d| d.snapshot_id.clone())
        .filter(|id| !id.is_empty())
        .collect();
    region.images.remove(image_id);
    for id in snapshots {
        region.snapshots.remove(&id);
    }
    Ok(Done {})
}
