//! DescribeImages and DeleteImage.

use super::super::clock::format_time;
use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Image, Phase, Region, State};
use super::paging::{PageRequest, paginate};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

const STATUSES: &[&str] = &[
    "Creating",
    "Waiting",
    "Available",
    "UnAvailable",
    "CreateFailed",
    "Deprecated",
];
const OWNER_ALIASES: &[&str] = &["system", "self", "others", "marketplace"];

pub fn describe(state: &State, now: DateTime<Utc>, params: &Params) -> Result<Value, SimError> {
    let region_id = super::region_id(state, params)?;
    let region = super::region(state, params)?;
    let speed = state.speed;
    let ids: Option<Vec<String>> = params
        .comma_list("ImageId")
        .map(|ids| ids.into_iter().map(str::to_string).collect());
    // The documented default is Available only: callers polling a new image must ask for
    // Creating explicitly.
    let statuses = params
        .comma_list("Status")
        .unwrap_or_else(|| vec!["Available"]);
    let all_statuses = statuses.iter().any(|s| s.eq_ignore_ascii_case("ALL"));
    if !all_statuses && let Some(bad) = statuses.iter().find(|s| !STATUSES.contains(s)) {
        return Err(SimError::invalid_parameter(
            "Status",
            &format!(
                "{bad:?} is not an image status; use a comma list of {}",
                STATUSES.join(", ")
            ),
        ));
    }
    let owners: Vec<&str> = match params.get("ImageOwnerAlias") {
        Some(alias) if OWNER_ALIASES.contains(&alias) => vec![alias],
        Some(_) => {
            return Err(SimError::invalid_parameter(
                "ImageOwnerAlias",
                "use system, self, others or marketplace",
            ));
        }
        None => vec!["system", "self", "others"],
    };
    let name = params.get("ImageName");
    let family = params.get("ImageFamily");
    let snapshot = params.get("SnapshotId");
    let architecture = params.get("Architecture");
    let os_type = params.get("OSType");
    let usage = params.get("Usage");
    let is_public = params.bool("IsPublic")?;
    let group = params.get("ResourceGroupId");
    let tags = super::tag_filter(params)?;
    let request = PageRequest::from_params(params, None)?;
    super::finish_dry_run(params)?;
    let keep = |i: &Image| {
        (all_statuses || statuses.contains(&i.status_at(now, speed).0))
            && owners.contains(&i.owner_alias.as_str())
            && name.is_none_or(|n| i.name.contains(n))
            && family.is_none_or(|f| f == i.family)
            && snapshot.is_none_or(|s| i.disks.iter().any(|d| d.snapshot_id == s))
            && architecture.is_none_or(|a| a == i.os.architecture)
            && os_type.is_none_or(|o| o.eq_ignore_ascii_case(&i.os.os_type))
            && usage.is_none_or(|u| u == image_usage(region, &i.id))
            && is_public.is_none_or(|p| p == (i.owner_alias == "system"))
            && group.is_none_or(|g| g == i.resource_group_id)
            && super::tags_match(&tags, &i.tags)
    };
    let page = paginate(&region.images, ids.as_deref(), keep, true, request)?;
    let items = page
        .rows
        .iter()
        .map(|i| render(i, region, state.account.owner_id, speed, now))
        .collect();
    let mut body = page.to_json(false, "Images", "Image", items);
    body["RegionId"] = json!(region_id);
    Ok(body)
}

/// `instance` when an instance in the region runs the image, else `none`.
fn image_usage(region: &Region, image_id: &str) -> &'static str {
    if region.instances.values().any(|i| i.image_id == image_id) {
        "instance"
    } else {
        "none"
    }
}

fn render(i: &Image, region: &Region, owner_id: u64, speed: f64, now: DateTime<Utc>) -> Value {
    let (status, percent) = i.status_at(now, speed);
    let mappings: Vec<Value> = i
        .disks
        .iter()
        .map(|d| {
            let (progress, remain) = match d.timeline.map(|t| t.phase(now, speed)) {
                None => (String::new(), 0),
                Some(Phase::Done) => ("100%".to_string(), 0),
                Some(Phase::Running {
                    percent,
                    remain_seconds,
                }) => (format!("{percent}%"), remain_seconds),
                Some(Phase::Failed { percent }) => (format!("{percent}%"), 0),
            };
            json!({
                "SnapshotId": d.snapshot_id,
                "Device": d.device,
                "Type": d.disk_type,
                "Size": d.size.to_string(),
                "Progress": progress,
                "RemainTime": remain,
                "Format": "",
                "ImportOSSBucket": "",
                "ImportOSSObject": "",
                "Encrypted": d.encrypted,
            })
        })
        .collect();
    let mut out = json!({
        "ImageId": i.id,
        "ImageName": i.name,
        "ImageFamily": i.family,
        "ImageVersion": i.version,
        "Description": i.description,
        "Status": status,
        "Progress": format!("{percent}%"),
        "CreationTime": format_time(i.creation_time),
        "Size": i.size,
        "Architecture": i.os.architecture,
        "Platform": i.os.platform,
        "OSName": i.os.os_name,
        "OSNameEn": i.os.os_name_en,
        "OSType": i.os.os_type,
        "BootMode": i.os.boot_mode,
        "LicenseType": "Auto",
        "ProductCode": "",
        "SupplierName": "",
        "ResourceGroupId": i.resource_group_id,
        "ImageOwnerAlias": i.owner_alias,
        "ImageOwnerId": if i.is_custom() { owner_id } else { 0 },
        "IsPublic": i.owner_alias == "system",
        "IsCopied": false,
        "IsSubscribed": false,
        "IsSelfShared": "False",
        "IsSupportCloudinit": true,
        "IsSupportIoOptimized": true,
        "LoginAsNonRootSupported": false,
        "Usable": status == "Available",
        "Usage": image_usage(region, &i.id),
        "Features": {
            "ImdsSupport": i.os.imds_support,
            "NvmeSupport": if i.os.architecture == "arm64" { "supported" } else { "unsupported" },
        },
        "SecureBootOptions": { "SecureBootSupport": i.secure_boot },
        "Tags": super::tags_json(&i.tags),
        "DiskDeviceMappings": { "DiskDeviceMapping": mappings },
    });
    if let Some(detection) = &i.detection {
        let finished = status == "CreateFailed"
            || matches!(
                detection.timeline.phase(now, speed),
                Phase::Done | Phase::Failed { .. }
            );
        let items: Vec<Value> = if finished && status != "CreateFailed" {
            detection
                .risks
                .iter()
                .map(|r| {
                    json!({
                        "Name": r.name,
                        "Value": r.value,
                        "RiskLevel": r.risk_level,
                        "RiskCode": r.risk_code,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        out["DetectionOptions"] = json!({
            "Status": if finished { "Finished" } else { "Processing" },
            "Items": { "Item": items },
        });
    }
    out
}

/// DeleteImage: custom images only; an image an instance runs needs `Force=true`.
pub fn delete(state: &mut State, params: &Params) -> Result<Value, SimError> {
    let region_id = super::region_id(state, params)?;
    let image_id = params.require("ImageId")?;
    let force = params.bool("Force")?.unwrap_or(false);
    let region = state
        .regions
        .get_mut(&region_id)
        .ok_or_else(SimError::region_not_found)?;
    match region.images.get(image_id) {
        Some(image) if image.is_custom() => {}
        _ => return Err(SimError::image_not_found()),
    }
    if !force && image_usage(region, image_id) == "instance" {
        return Err(SimError::new(
            403,
            "ImageUsingByInstance",
            "The specified image is being used by instances. Set Force=true to delete it anyway.",
        ));
    }
    super::finish_dry_run(params)?;
    region.images.remove(image_id);
    Ok(json!({}))
}
