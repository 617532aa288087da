//! The pure half of delivery: action keys, the calls in order (for `ecsimg preview`), and
//! which images of the family a retirement takes.

use crate::api::model::Image;
use crate::spec::{ImageSpec, RetireAction, RetirePlan};

/// The journal key of an action in a region (`copy cn-beijing`).
pub fn key(action: &str, region: &str) -> String {
    format!("{action} {region}")
}

/// The journal key of retiring `image_id` in `region`.
pub fn retire_key(region: &str, image_id: &str) -> String {
    format!("retire {region} {image_id}")
}

/// The delivery calls a recipe makes once its image is Available, in order, one line each
/// (`ecsimg preview`). Empty without `[delivery]`.
pub fn preview(spec: &ImageSpec) -> Vec<String> {
    let Some(delivery) = &spec.delivery else {
        return Vec::new();
    };
    let source = &spec.region;
    let regional = |lines: &mut Vec<String>, region: &str, image: &str| {
        if !delivery.share_with.is_empty() {
            lines.push(format!(
                "ModifyImageSharePermission RegionId={region} ImageId={image} AddAccount={}",
                delivery.share_with.join(",")
            ));
        }
        if delivery.tag_snapshots && !spec.tags.is_empty() {
            let tags: Vec<String> = spec
                .tags
                .iter()
                .map(|t| format!("{}={}", t.key, t.value))
                .collect();
            lines.push(format!(
                "TagResources RegionId={region} ResourceType=snapshot ResourceId=<{image}'s \
                 snapshots> Tag={}",
                tags.join(",")
            ));
        }
    };
    let mut lines = Vec::new();
    regional(&mut lines, source, "<new image>");
    // One copy at a time: ECS refuses a second copy of an image while one runs.
    for region in &delivery.copy_to {
        let (name, _) = delivery.copy_text(region, spec.image.name.as_deref(), None);
        let name = name
            .map(|n| format!(" DestinationImageName={n}"))
            .unwrap_or_default();
        lines.push(format!(
            "CopyImage RegionId={source} ImageId=<new image> DestinationRegionId={region}{name}{}",
            delivery.encryption_preview(region)
        ));
        lines.push(format!(
            "DescribeImages RegionId={region} ImageId=<copy> (until Available)"
        ));
        if let Some(family) = &spec.image.family {
            lines.push(format!(
                "ModifyImageAttribute RegionId={region} ImageId=<copy> ImageFamily={family}"
            ));
        }
        regional(&mut lines, region, "<copy>");
    }
    if let (Some(retire), Some(family)) = (delivery.retire, &spec.image.family) {
        let call = match retire.action {
            RetireAction::Deprecate => "ModifyImageAttribute Status=Deprecated",
            RetireAction::Delete => "DeleteImage Force=false",
        };
        for region in std::iter::once(source).chain(&delivery.copy_to) {
            lines.push(format!(
                "DescribeImages RegionId={region} ImageFamily={family}, then {call} on each \
                 image past the newest {} (not shared, not in use)",
                retire.keep
            ));
        }
    }
    lines
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

    #[test]
    fn preview_lists_the_calls_in_order() {
        let mut spec = crate::spec::ImageSpec::default();
        spec.image.family = Some("web".into());
        spec.tags = vec![crate::spec::Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        spec.delivery = Some(crate::spec::DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            share_with: vec!["1234567890123457".into()],
            tag_snapshots: true,
            copy_name: None,
            copy_description: None,
            retire: Some(RetirePlan {
                keep: 2,
                action: RetireAction::Deprecate,
            }),
            ..Default::default()
        });
        let calls: Vec<String> = preview(&spec)
            .iter()
            .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(
            calls,
            [
                "ModifyImageSharePermission RegionId=cn-hangzhou",
                "TagResources RegionId=cn-hangzhou",
                "CopyImage RegionId=cn-hangzhou",
                "DescribeImages RegionId=cn-beijing",
                "ModifyImageAttribute RegionId=cn-beijing",
                "ModifyImageSharePermission RegionId=cn-beijing",
                "TagResources RegionId=cn-beijing",
                "DescribeImages RegionId=cn-hangzhou",
                "DescribeImages RegionId=cn-beijing",
            ]
        );
    }
}
