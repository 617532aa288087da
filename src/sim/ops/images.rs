//! DescribeImages and DeleteImage.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{Image, Phase, Region, State, Timeline};
use super::delivery::copy;
use super::json::{self, OrEmpty, Percent, Time, Wrapped};
use super::paging::{PageAnswer, PageRequest, paginate};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

const STATUSES: &[&str] = &[
    "Creating",
    "Waiting",
    "Available",
    "UnAvailable",
    "CreateFailed",
    "Deprecated",
];
const OWNER_ALIASES: &[&str] = &["system", "self", "others", "marketplace"];

pub fn describe<'a>(
    state: &'a State,
    now: DateTime<Utc>,
    params: &'a Params,
) -> Result<Answer<'a>, SimError> {
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
    let created = creation_filter(params)?;
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
            && is_public.is_none_or(|p| p == (i.owner_alias == "system" || i.delivery.community))
            && created.contains(&i.creation_time)
            && group.is_none_or(|g| g == i.resource_group_id)
            && super::tags_match(&tags, &i.tags)
    };
    let page = paginate(&region.images, ids.as_deref(), keep, true, request)?;
    let items = page
        .rows
        .iter()
        .map(|i| row(i, region, state.account.owner_id, speed, now))
        .collect::<Vec<_>>();
    Ok(Answer {
        page: page.answer(false, "Images", "Image", items),
        region_id,
    })
}

/// `Filter.N.Key`/`Filter.N.Value`: `CreationStartTime` and `CreationEndTime` bound the
/// creation time (`yyyy-MM-ddTHH:mmZ`, UTC); the other documented keys (network type, CPU and
/// memory hot-plug) are accepted and match every image here.
fn creation_filter(params: &Params) -> Result<std::ops::RangeInclusive<DateTime<Utc>>, SimError> {
    const OTHER_KEYS: &[&str] = &[
        "NetworkType",
        "CpuOnlineUpgrade",
        "CpuOnlineDowngrade",
        "MemoryOnlineUpgrade",
        "MemoryOnlineDowngrade",
    ];
    let (mut start, mut end) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    for group in params.groups("Filter")?.values() {
        let key = group.get("Key").map(String::as_str).unwrap_or_default();
        let value = group.get("Value").map(String::as_str).unwrap_or_default();
        let time = || {
            parse_filter_time(value).ok_or_else(|| {
                SimError::new(
                    404,
                    "InvalidFilterValue",
                    format!("The specified filter value {value:?} is not a time such as 2024-01-01T00:00Z."),
                )
            })
        };
        match key {
            "CreationStartTime" => start = time()?,
            "CreationEndTime" => end = time()?,
            k if OTHER_KEYS.contains(&k) => {}
            _ => {
                return Err(SimError::new(
                    404,
                    "InvalidFilterKey.NotFound",
                    "The specified filter key is not found.",
                ));
            }
        }
    }
    Ok(start..=end)
}

/// `yyyy-MM-ddTHH:mmZ`, or with seconds.
fn parse_filter_time(value: &str) -> Option<DateTime<Utc>> {
    ["%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(value, format).ok())
        .map(|t| t.and_utc())
}

/// DescribeImages' answer: a page of images and the region.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Answer<'a> {
    #[serde(flatten)]
    page: PageAnswer<'a, Vec<Row<'a>>>,
    region_id: &'a str,
}

/// `instance` when an instance in the region runs the image, else `none`.
fn image_usage(region: &Region, image_id: &str) -> &'static str {
    if region.instances.values().any(|i| i.image_id == image_id) {
        "instance"
    } else {
        "none"
    }
}

/// One image of the answer: a settled image's kept rendering, or a fresh one.
#[derive(Serialize)]
#[serde(untagged)]
enum Row<'a> {
    Settled(&'a RawValue),
    Changing(Box<ImageJson<'a>>),
}

fn row<'a>(
    i: &'a Image,
    region: &Region,
    owner_id: u64,
    speed: f64,
    now: DateTime<Utc>,
) -> Row<'a> {
    if let Some(raw) = i.rendered.get() {
        return Row::Settled(raw);
    }
    let fresh = render(i, region, owner_id, speed, now);
    if settled(i, now, speed)
        && let Ok(raw) = serde_json::value::to_raw_value(&fresh)
    {
        return Row::Settled(i.rendered.keep(raw));
    }
    Row::Changing(Box::new(fresh))
}

/// Whether nothing in the image's rendering can change any more: its status, every disk's
/// progress and the image check have all reached their end. (`Usage` depends on which
/// instances run the image, which no simulated operation changes.)
fn settled(i: &Image, now: DateTime<Utc>, speed: f64) -> bool {
    let ended = |t: &Timeline| !matches!(t.phase(now, speed), Phase::Running { .. });
    i.timeline.as_ref().is_none_or(ended)
        && i.disks
            .iter()
            .all(|d| d.timeline.as_ref().is_none_or(ended))
        && i.detection
            .as_ref()
            .is_none_or(|d| ended(&d.timeline) || i.status_at(now, speed).0 == "CreateFailed")
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImageJson<'a> {
    image_id: &'a str,
    image_name: &'a str,
    image_family: &'a str,
    image_version: &'a str,
    description: &'a str,
    status: &'a str,
    progress: Percent,
    creation_time: Time,
    size: u32,
    architecture: &'a str,
    platform: &'a str,
    #[serde(rename = "OSName")]
    os_name: &'a str,
    #[serde(rename = "OSNameEn")]
    os_name_en: &'a str,
    #[serde(rename = "OSType")]
    os_type: &'a str,
    boot_mode: &'a str,
    license_type: &'a str,
    product_code: &'static str,
    supplier_name: &'static str,
    resource_group_id: &'a str,
    image_owner_alias: &'a str,
    image_owner_id: u64,
    is_public: bool,
    is_copied: bool,
    is_subscribed: bool,
    is_self_shared: &'static str,
    is_support_cloudinit: bool,
    is_support_io_optimized: bool,
    login_as_non_root_supported: bool,
    usable: bool,
    usage: &'static str,
    features: Features<'a>,
    secure_boot_options: SecureBootOptions<'a>,
    tags: Wrapped<Vec<json::Tag<'a>>>,
    disk_device_mappings: Wrapped<Vec<MappingJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detection_options: Option<DetectionJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Features<'a> {
    imds_support: &'a str,
    nvme_support: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SecureBootOptions<'a> {
    secure_boot_support: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MappingJson<'a> {
    snapshot_id: &'a str,
    device: &'a str,
    #[serde(rename = "Type")]
    disk_type: &'a str,
    /// A string in GiB, unlike the image's numeric `Size`.
    size: String,
    progress: OrEmpty<Percent>,
    remain_time: u64,
    format: &'static str,
    #[serde(rename = "ImportOSSBucket")]
    import_oss_bucket: &'static str,
    #[serde(rename = "ImportOSSObject")]
    import_oss_object: &'static str,
    encrypted: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DetectionJson<'a> {
    status: &'static str,
    items: Wrapped<Vec<RiskJson<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RiskJson<'a> {
    name: &'a str,
    value: &'a str,
    risk_level: &'a str,
    risk_code: &'a str,
}

fn render<'a>(
    i: &'a Image,
    region: &Region,
    owner_id: u64,
    speed: f64,
    now: DateTime<Utc>,
) -> ImageJson<'a> {
    let (status, percent) = i.status_at(now, speed);
    let mappings = i
        .disks
        .iter()
        .map(|d| {
            let (progress, remain_time) = match d.timeline.map(|t| t.phase(now, speed)) {
                None => (None, 0),
                Some(Phase::Done) => (Some(100), 0),
                Some(Phase::Running {
                    percent,
                    remain_seconds,
                }) => (Some(percent), remain_seconds),
                Some(Phase::Failed { percent }) => (Some(percent), 0),
            };
            MappingJson {
                snapshot_id: &d.snapshot_id,
                device: &d.device,
                disk_type: &d.disk_type,
                size: d.size.to_string(),
                progress: OrEmpty(progress.map(Percent)),
                remain_time,
                format: "",
                import_oss_bucket: "",
                import_oss_object: "",
                encrypted: d.encrypted,
            }
        })
        .collect();
    let detection_options = i.detection.as_ref().map(|detection| {
        let failed = status == "CreateFailed";
        let finished = failed
            || matches!(
                detection.timeline.phase(now, speed),
                Phase::Done | Phase::Failed { .. }
            );
        let items = if finished && !failed {
            detection
                .risks
                .iter()
                .map(|r| RiskJson {
                    name: &r.name,
                    value: &r.value,
                    risk_level: &r.risk_level,
                    risk_code: &r.risk_code,
                })
                .collect()
        } else {
            Vec::new()
        };
        DetectionJson {
            status: if finished { "Finished" } else { "Processing" },
            items: Wrapped::new("Item", items),
        }
    });
    ImageJson {
        image_id: &i.id,
        image_name: &i.name,
        image_family: &i.family,
        image_version: &i.version,
        description: &i.description,
        status,
        progress: Percent(percent),
        creation_time: Time::seconds(i.creation_time),
        size: i.size,
        architecture: &i.os.architecture,
        platform: &i.os.platform,
        os_name: &i.os.os_name,
        os_name_en: &i.os.os_name_en,
        os_type: &i.os.os_type,
        boot_mode: &i.os.boot_mode,
        license_type: i.delivery.license_type.as_deref().unwrap_or("Auto"),
        product_code: "",
        supplier_name: "",
        resource_group_id: &i.resource_group_id,
        image_owner_alias: &i.owner_alias,
        image_owner_id: if i.is_custom() { owner_id } else { 0 },
        is_public: i.owner_alias == "system" || i.delivery.community,
        is_copied: i.delivery.copied_from.is_some(),
        is_subscribed: false,
        // A string, capitalised as the reference's samples show it.
        is_self_shared: if i.delivery.is_shared() {
            "True"
        } else {
            "False"
        },
        is_support_cloudinit: true,
        is_support_io_optimized: true,
        login_as_non_root_supported: false,
        // Deprecated images still launch instances.
        usable: status == "Available" || status == "Deprecated",
        usage: image_usage(region, &i.id),
        features: Features {
            imds_support: &i.os.imds_support,
            nvme_support: match &i.delivery.nvme_support {
                Some(set) => set,
                None if i.os.architecture == "arm64" => "supported",
                None => "unsupported",
            },
        },
        secure_boot_options: SecureBootOptions {
            secure_boot_support: &i.secure_boot,
        },
        tags: json::tags(&i.tags),
        disk_device_mappings: Wrapped::new("DiskDeviceMapping", mappings),
        detection_options,
    }
}

/// DeleteImage: custom images only. Shared, published and copying images are refused whatever
/// `Force` says; an image instances run needs `Force=true`. The image's snapshots stay (the API
/// has no way to delete them with it).
///
/// https://www.alibabacloud.com/help/en/ecs/api-deleteimage — an unknown ID is 404 (the error
/// table's answer; the parameter text says such a request is ignored). "Used by instances" is
/// taken as any instance in the region whose image it is (the reference does not define it).
pub fn delete(state: &mut State, now: DateTime<Utc>, params: &Params) -> Result<Deleted, SimError> {
    let region_id = super::region_id(state, params)?.to_string();
    let image_id = params.require("ImageId")?;
    let force = params.bool("Force")?.unwrap_or(false);
    let region = state
        .regions
        .get(&region_id)
        .ok_or_else(SimError::region_not_found)?;
    let image = match region.images.get(image_id) {
        Some(image) if image.is_custom() => image,
        _ => return Err(SimError::image_not_found()),
    };
    if image.delivery.community {
        return Err(SimError::new(
            403,
            "ImageIsPublic",
            "The image is published as a community image; unpublish it first.",
        ));
    }
    if !image.delivery.shared_with.is_empty() {
        return Err(SimError::new(
            403,
            "ImageUseShared",
            "The image is shared; cancel the sharing before this operation.",
        ));
    }
    let copying = image.delivery.copied_from.is_some() && image.in_progress(now, state.speed);
    if copying || copy::running_from(state, &region_id, image_id, now) {
        return Err(SimError::new(
            403,
            "OperationDenied.ImageCopying",
            "The image is being copied; please use the CancelCopyImage API to cancel the copy first.",
        ));
    }
    if !force && image_usage(region, image_id) == "instance" {
        return Err(SimError::new(
            403,
            "ImageUsingByInstance",
            "The specified image is being used by instances. Set Force=true to delete it anyway.",
        ));
    }
    super::finish_dry_run(params)?;
    if let Some(region) = state.regions.get_mut(&region_id) {
        region.images.remove(image_id);
    }
    Ok(Deleted {})
}

/// DeleteImage answers with nothing but its `RequestId`.
#[derive(Serialize)]
pub struct Deleted {}

#[cfg(test)]
mod tests {
    use super::super::create_image;
    use super::*;
    use crate::sim::seed::Seed;
    use chrono::TimeDelta;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::from_pairs(&pairs).unwrap()
    }

    #[test]
    fn an_image_is_kept_rendered_only_once_nothing_in_it_can_change() {
        let mut state = Seed::sandbox().unwrap().into_state(1.0, 7);
        let t0 = Utc::now();
        let create = params(&[
            ("RegionId", "cn-hangzhou"),
            ("SnapshotId", "s-bp1d2yx8e5w7b0n4m6qa"),
            ("ImageName", "render-cache"),
            ("DetectionStrategy", "Standard"),
        ]);
        let created = create_image::create(&mut state, t0, &create).unwrap();
        let id = serde_json::to_value(&created).unwrap()["ImageId"]
            .as_str()
            .unwrap()
            .to_string();
        let query = params(&[
            ("RegionId", "cn-hangzhou"),
            ("ImageId", &id),
            ("Status", "All"),
        ]);
        let list = |now| {
            let answer = serde_json::to_value(describe(&state, now, &query).unwrap()).unwrap();
            answer["Images"]["Image"][0].clone()
        };
        let image = || &state.regions["cn-hangzhou"].images[&id];

        let building = list(t0 + TimeDelta::seconds(1));
        assert_eq!(building["Status"], "Creating");
        assert!(image().rendered.get().is_none(), "a building image changes");
        // Ready, but the image check still runs after it: not settled yet.
        let checking = (0..)
            .map(|seconds| list(t0 + TimeDelta::seconds(seconds)))
            .find(|i| i["Status"] == "Available")
            .unwrap();
        assert_eq!(checking["DetectionOptions"]["Status"], "Processing");
        assert!(
            image().rendered.get().is_none(),
            "the check is still running"
        );

        let later = t0 + TimeDelta::days(1);
        let settled = list(later);
        assert_eq!(settled["DetectionOptions"]["Status"], "Finished");
        assert_eq!(settled["Progress"], "100%");
        let kept = image().rendered.get().expect("a settled image is kept");
        let region = &state.regions["cn-hangzhou"];
        let fresh = render(image(), region, state.account.owner_id, 1.0, later);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(kept.get()).unwrap(),
            serde_json::to_value(fresh).unwrap(),
            "the kept rendering is exactly a fresh one"
        );
        assert_eq!(list(later + TimeDelta::days(30)), settled);
    }
}
