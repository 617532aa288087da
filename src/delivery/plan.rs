//! The pure half of delivery: action keys, the calls in order ([`plan`], which `ecsimg
//! preview`, `ecsimg create`'s question and the wizard's review all show), the requests they
//! send, and which images of the family a retirement takes.

use chrono::NaiveDate;

use crate::api::model::{Image, ImageQuery};
use crate::api::operations::delete_image_params;
use crate::api::{CopyRequest, ImageChange, share_calls, tag_calls};
use crate::spec::{ImageSpec, RetireAction, RetirePlan};

type Params = Vec<(String, String)>;

/// The journal key of an action in a region (`copy cn-beijing`).
pub fn key(action: &str, region: &str) -> String {
    format!("{action} {region}")
}

/// The journal key of retiring `image_id` in `region`.
pub fn retire_key(region: &str, image_id: &str) -> String {
    format!("retire {region} {image_id}")
}

/// Stands for the image CreateImage will make, in a plan.
pub const NEW_IMAGE: &str = "<new image>";

/// Stands for the copy in `region`, in a plan.
pub fn copy_placeholder(region: &str) -> String {
    format!("<copy in {region}>")
}

/// One call of a delivery, as the plan knows it before the image exists: IDs not known yet
/// are placeholders in angle brackets ([`NEW_IMAGE`], [`copy_placeholder`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCall {
    pub purpose: Purpose,
    pub operation: &'static str,
    /// The `RegionId` it is sent with.
    pub region: String,
    /// Its wire parameters after `RegionId`.
    pub params: Params,
    /// When it is made, if not simply once (`every poll until the copy is Available`).
    pub note: Option<String>,
}

/// What a planned call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Share the image or a copy (ModifyImageSharePermission).
    Share,
    /// Tag the snapshots of the image or a copy (TagResources).
    TagSnapshots,
    /// Start a copy (CopyImage).
    Copy,
    /// Watch a copy until it is Available (DescribeImages).
    WatchCopy,
    /// Put a copy in the image's family (ModifyImageAttribute).
    JoinFamily,
    /// List the family's images a retirement may take (DescribeImages).
    ListFamily,
    /// Retire each image the listing leaves past `keep`.
    Retire,
}

impl PlannedCall {
    fn new(purpose: Purpose, operation: &'static str, region: &str, params: Params) -> PlannedCall {
        PlannedCall {
            purpose,
            operation,
            region: region.to_string(),
            params,
            note: None,
        }
    }

    fn noted(self, note: impl Into<String>) -> PlannedCall {
        PlannedCall {
            note: Some(note.into()),
            ..self
        }
    }

    /// Every wire parameter, `RegionId` first.
    pub fn all_params(&self) -> Params {
        let mut p = vec![("RegionId".to_string(), self.region.clone())];
        p.extend(self.params.iter().cloned());
        p
    }

    /// One line: `Operation Name=Value ... (note)`.
    pub fn line(&self) -> String {
        let mut line = self.operation.to_string();
        for (name, value) in self.all_params() {
            line.push_str(&format!(" {name}={value}"));
        }
        if let Some(note) = &self.note {
            line.push_str(&format!(" ({note})"));
        }
        line
    }
}

/// CopyImage of `image_id` to `region` as delivery sends it on `date` (`None`: `{date}` stays
/// as it is): named, described and encrypted as `[delivery]` says, with the image's tags and
/// in its resource group.
pub fn copy_request(
    spec: &ImageSpec,
    region: &str,
    image_id: &str,
    image_encrypted: bool,
    date: Option<NaiveDate>,
    client_token: String,
) -> CopyRequest {
    let delivery = spec.delivery.clone().unwrap_or_default();
    let (name, description) = delivery.copy_text_on(
        region,
        date,
        spec.image.name.as_deref(),
        spec.image.description.as_deref(),
    );
    let encryption = delivery.copy_encryption(region, image_encrypted);
    CopyRequest {
        image_id: image_id.to_string(),
        destination_region: region.to_string(),
        name,
        description,
        encrypted: encryption.encrypted,
        kms_key_id: encryption.kms_key_id,
        // The copy belongs where the image does.
        resource_group_id: spec.image.resource_group_id.clone(),
        tags: spec.tags_as_pairs(),
        client_token,
    }
}

/// The DescribeImages query that lists the family's images a retirement may take.
pub fn family_query(family: &str, action: RetireAction) -> ImageQuery {
    let statuses: &[&str] = match action {
        RetireAction::Deprecate => &["Available"],
        RetireAction::Delete => &["Available", "Deprecated"],
    };
    ImageQuery {
        statuses: statuses.iter().map(|s| s.to_string()).collect(),
        image_owner_alias: Some("self".into()),
        image_family: Some(family.to_string()),
        ..ImageQuery::default()
    }
}

/// The retirement call for `image_id`: its operation and parameters.
pub fn retire_call(image_id: &str, action: RetireAction) -> (&'static str, Params) {
    match action {
        RetireAction::Deprecate => (
            "ModifyImageAttribute",
            ImageChange::Deprecate.to_params(image_id),
        ),
        // Never Force: an image instances use is refused and left alone.
        RetireAction::Delete => ("DeleteImage", delete_image_params(image_id, false)),
    }
}

/// The regions a delivery works in: the image's own, then each copy's.
pub fn regions(spec: &ImageSpec) -> Vec<String> {
    let mut regions = vec![spec.region.clone()];
    if let Some(delivery) = &spec.delivery {
        regions.extend(delivery.copy_to.iter().cloned());
    }
    regions
}

/// The calls a recipe's delivery makes once its image is Available, in the order the engine
/// makes them. Empty without `[delivery]`.
pub fn plan(spec: &ImageSpec) -> Vec<PlannedCall> {
    let Some(delivery) = &spec.delivery else {
        return Vec::new();
    };
    let source = &spec.region;
    let tags = spec.tags_as_pairs();
    let regional = |calls: &mut Vec<PlannedCall>, region: &str, image: &str| {
        for p in share_calls(image, &delivery.share_with) {
            calls.push(PlannedCall::new(
                Purpose::Share,
                "ModifyImageSharePermission",
                region,
                p,
            ));
        }
        if delivery.tag_snapshots {
            let snapshots = [format!("<snapshots of {image}>")];
            for p in tag_calls("snapshot", &snapshots, &tags) {
                calls.push(PlannedCall::new(
                    Purpose::TagSnapshots,
                    "TagResources",
                    region,
                    p,
                ));
            }
        }
    };
    let mut calls = Vec::new();
    regional(&mut calls, source, NEW_IMAGE);
    // One copy at a time: ECS refuses a second copy of an image while one runs.
    for region in &delivery.copy_to {
        let copy = copy_placeholder(region);
        let request = copy_request(spec, region, NEW_IMAGE, false, None, String::new());
        let params = request
            .to_params()
            .into_iter()
            .map(|(name, value)| match name.as_str() {
                "Encrypted" if value == "false" => {
                    (name, "<true if the new image is encrypted>".into())
                }
                "ClientToken" => (name, "<kept in the journal for resends>".into()),
                _ => (name, value),
            })
            .collect();
        calls.push(PlannedCall::new(Purpose::Copy, "CopyImage", source, params));
        let watch = ImageQuery::watching([copy.clone()]);
        calls.push(
            PlannedCall::new(
                Purpose::WatchCopy,
                "DescribeImages",
                region,
                query_params(&watch),
            )
            .noted("every poll until the copy is Available"),
        );
        if let Some(family) = &spec.image.family {
            let change = ImageChange::Family(family.clone());
            calls.push(PlannedCall::new(
                Purpose::JoinFamily,
                "ModifyImageAttribute",
                region,
                change.to_params(&copy),
            ));
        }
        regional(&mut calls, region, &copy);
    }
    if let (Some(retire), Some(family)) = (delivery.retire, &spec.image.family) {
        let taken = match retire.action {
            RetireAction::Deprecate => "not shared",
            RetireAction::Delete => "not shared, not in use",
        };
        for region in regions(spec) {
            calls.push(PlannedCall::new(
                Purpose::ListFamily,
                "DescribeImages",
                &region,
                query_params(&family_query(family, retire.action)),
            ));
            let (operation, params) = retire_call("<each older image>", retire.action);
            calls.push(
                PlannedCall::new(Purpose::Retire, operation, &region, params).noted(format!(
                    "each image of {family} past the newest {}, the new one counted; {taken}",
                    retire.keep
                )),
            );
        }
    }
    calls
}

/// A query's parameters; a query of placeholders and names cannot be refused.
fn query_params(query: &ImageQuery) -> Params {
    query.to_params().unwrap_or_default()
}

/// [`plan`] as text, one call a line (`ecsimg preview`, `ecsimg create`'s question).
pub fn preview(spec: &ImageSpec) -> Vec<String> {
    plan(spec).iter().map(PlannedCall::line).collect()
}

/// What retiring does with one older image of the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retirement {
    /// Deprecate or delete it.
    Retire(String),
    /// Leave it, for this reason.
    LeaveAlone(String, String),
}

/// The images of the family past the newest `plan.keep` (the new image `new_id` always kept,
/// counted among them), newest first, each retired or left alone with the reason. `images`
/// are the family's images in one region, as DescribeImages listed them.
pub fn retirements(images: &[Image], new_id: &str, plan: RetirePlan) -> Vec<Retirement> {
    let mut older: Vec<&Image> = images
        .iter()
        .filter(|i| i.image_id != new_id)
        .filter(|i| match plan.action {
            // A Deprecated image is retired already.
            RetireAction::Deprecate => i.status == "Available",
            RetireAction::Delete => i.status == "Available" || i.status == "Deprecated",
        })
        .collect();
    // ISO 8601 UTC times sort as text; the ID breaks ties so the order is stable.
    older.sort_by(|a, b| {
        (b.creation_time.as_str(), b.image_id.as_str())
            .cmp(&(a.creation_time.as_str(), a.image_id.as_str()))
    });
    let kept_others = plan.keep.saturating_sub(1) as usize;
    older
        .into_iter()
        .skip(kept_others)
        .map(|image| {
            let id = image.image_id.clone();
            if image.is_self_shared.eq_ignore_ascii_case("true") {
                Retirement::LeaveAlone(
                    id,
                    "it is shared with other accounts (ECS refuses to deprecate or delete a \
                     shared image); unshare it first if it should go"
                        .into(),
                )
            } else if plan.action == RetireAction::Delete && image.usage == "instance" {
                Retirement::LeaveAlone(
                    id,
                    "instances were created from it; ecsimg never deletes an image in use \
                     (DeleteImage without Force)"
                        .into(),
                )
            } else {
                Retirement::Retire(id)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, created: &str, status: &str) -> Image {
        Image {
            image_id: id.into(),
            creation_time: created.into(),
            status: status.into(),
            usage: "none".into(),
            is_self_shared: "false".into(),
            ..Image::default()
        }
    }

    #[test]
    fn the_newest_are_kept_the_new_one_among_them() {
        let mut used = image("m-used", "2024-01-01T00:00:00Z", "Available");
        used.usage = "instance".into();
        let mut shared = image("m-shared", "2024-02-01T00:00:00Z", "Available");
        shared.is_self_shared = "True".into();
        let images = vec![
            image("m-old", "2024-03-01T00:00:00Z", "Available"),
            // The new image's clock may run behind; it is kept all the same.
            image("m-new", "2023-01-01T00:00:00Z", "Available"),
            image("m-mid", "2024-04-01T00:00:00Z", "Available"),
            image("m-gone", "2024-05-01T00:00:00Z", "Deprecated"),
            used,
            shared,
        ];
        let deprecate = RetirePlan {
            keep: 2,
            action: RetireAction::Deprecate,
        };
        let got = retirements(&images, "m-new", deprecate);
        assert_eq!(got[0], Retirement::Retire("m-old".into()));
        assert!(
            matches!(&got[1], Retirement::LeaveAlone(id, why) if id == "m-shared" && why.contains("shared"))
        );
        // Deprecating an image in use is harmless: its instances keep running.
        assert_eq!(got[2], Retirement::Retire("m-used".into()));
        assert_eq!(got.len(), 3);

        let delete = RetirePlan {
            keep: 1,
            action: RetireAction::Delete,
        };
        let got = retirements(&images, "m-new", delete);
        let ids: Vec<&str> = got
            .iter()
            .map(|r| match r {
                Retirement::Retire(id) | Retirement::LeaveAlone(id, _) => id.as_str(),
            })
            .collect();
        assert_eq!(ids, ["m-gone", "m-mid", "m-old", "m-shared", "m-used"]);
        assert!(matches!(&got[4], Retirement::LeaveAlone(_, why) if why.contains("in use")));
    }

    fn delivering_spec() -> ImageSpec {
        let mut spec = ImageSpec::default();
        spec.image.name = Some("web-1".into());
        spec.image.family = Some("web".into());
        spec.tags = vec![crate::spec::Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        spec.delivery = Some(crate::spec::DeliverySpec {
            copy_to: vec!["cn-beijing".into(), "cn-shanghai".into()],
            share_with: vec!["1234567890123457".into()],
            tag_snapshots: true,
            copy_name: Some("web-1-{region}".into()),
            copy_description: None,
            retire: Some(RetirePlan {
                keep: 2,
                action: RetireAction::Deprecate,
            }),
            ..Default::default()
        });
        spec
    }

    fn param<'a>(call: &'a PlannedCall, name: &str) -> Option<&'a str> {
        call.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_plan_lists_the_calls_in_the_engines_order() {
        let spec = delivering_spec();
        let planned = plan(&spec);
        let calls: Vec<(&str, &str)> = planned
            .iter()
            .map(|c| (c.operation, c.region.as_str()))
            .collect();
        assert_eq!(
            calls,
            [
                ("ModifyImageSharePermission", "cn-hangzhou"),
                ("TagResources", "cn-hangzhou"),
                ("CopyImage", "cn-hangzhou"),
                ("DescribeImages", "cn-beijing"),
                ("ModifyImageAttribute", "cn-beijing"),
                ("ModifyImageSharePermission", "cn-beijing"),
                ("TagResources", "cn-beijing"),
                ("CopyImage", "cn-hangzhou"),
                ("DescribeImages", "cn-shanghai"),
                ("ModifyImageAttribute", "cn-shanghai"),
                ("ModifyImageSharePermission", "cn-shanghai"),
                ("TagResources", "cn-shanghai"),
                ("DescribeImages", "cn-hangzhou"),
                ("ModifyImageAttribute", "cn-hangzhou"),
                ("DescribeImages", "cn-beijing"),
                ("ModifyImageAttribute", "cn-beijing"),
                ("DescribeImages", "cn-shanghai"),
                ("ModifyImageAttribute", "cn-shanghai"),
            ]
        );
    }

    #[test]
    fn ids_not_known_yet_are_placeholders_and_copies_are_named_per_region() {
        let planned = plan(&delivering_spec());
        let copy = &planned[2];
        assert_eq!(param(copy, "ImageId"), Some(NEW_IMAGE));
        assert_eq!(param(copy, "DestinationRegionId"), Some("cn-beijing"));
        assert_eq!(
            param(copy, "DestinationImageName"),
            Some("web-1-cn-beijing")
        );
        assert_eq!(param(copy, "Tag.1.Key"), Some("env"));
        assert!(param(copy, "Encrypted").is_some_and(|v| v.starts_with('<')));
        assert!(param(copy, "ClientToken").is_some_and(|v| v.starts_with('<')));
        assert_eq!(param(&planned[3], "ImageId"), Some("<copy in cn-beijing>"));
        assert!(planned[3].note.is_some(), "the watch polls");
        assert_eq!(param(&planned[4], "ImageFamily"), Some("web"));
        assert_eq!(param(&planned[5], "ImageId"), Some("<copy in cn-beijing>"));
        assert_eq!(param(&planned[5], "AddAccount.1"), Some("1234567890123457"));
        assert_eq!(
            param(&planned[6], "ResourceId.1"),
            Some("<snapshots of <copy in cn-beijing>>")
        );
        let retire = &planned[13];
        assert_eq!(param(retire, "Status"), Some("Deprecated"));
        assert!(
            retire
                .note
                .as_deref()
                .is_some_and(|n| n.contains("newest 2")),
            "{retire:?}"
        );
        assert!(
            copy.line().starts_with(
                "CopyImage RegionId=cn-hangzhou ImageId=<new image> DestinationRegionId=cn-beijing"
            ),
            "{}",
            copy.line()
        );
    }

    #[test]
    fn eleven_accounts_are_shared_in_two_calls_and_nothing_without_delivery() {
        let mut spec = delivering_spec();
        let delivery = spec.delivery.as_mut().expect("delivery");
        delivery.share_with = (0..11).map(|i| format!("12345678901234{i:02}")).collect();
        delivery.copy_to.clear();
        delivery.retire = Some(RetirePlan {
            keep: 1,
            action: RetireAction::Delete,
        });
        let planned = plan(&spec);
        let shares: Vec<&PlannedCall> = planned
            .iter()
            .filter(|c| c.operation == "ModifyImageSharePermission")
            .collect();
        assert_eq!(shares.len(), 2);
        assert_eq!(param(shares[1], "AddAccount.1"), Some("1234567890123410"));
        let delete = planned.last().expect("a retirement");
        assert_eq!(delete.operation, "DeleteImage");
        assert_eq!(param(delete, "Force"), Some("false"));
        spec.delivery = None;
        assert!(plan(&spec).is_empty());
    }
}
