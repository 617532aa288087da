//! The least-privilege policy of one build: the calls the build makes, from the wizard's first
//! list to the abort key, each turned into a statement by the operation table
//! ([`super::operations`]), so the policy says exactly what the calls ask for.
//!
//! RAM documents have no comments, so each statement's reason ("which step needs it") is kept
//! beside it in [`Generated`].
//!
//! Left out on purpose: DescribeRegions (only the region picker, which a build does not need)
//! and any tagging action — CreateImage lists no dependent action, and the tags it sets are
//! pinned by `acs:RequestTag/<key>` conditions on the CreateImage statement instead.

use std::collections::BTreeMap;

use super::operations::needs;
use super::{Document, Effect, Operator, Scalar, Statement, Values};
use crate::spec::stop::power_calls;
use crate::spec::{ImageSpec, RetireAction, Source, to_params};

type Params = Vec<(String, String)>;

/// A call the build makes: its operation, its parameters and which step makes it.
type Planned = (&'static str, Params, String);

/// A statement and the step of the build that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    pub statement: Statement,
    /// One line: which step needs it.
    pub note: String,
}

/// The policy of a build, statement by statement with their reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub statements: Vec<Noted>,
}

impl Generated {
    /// The RAM policy document (version 1).
    pub fn document(&self) -> Document {
        Document::new(
            self.statements
                .iter()
                .map(|n| n.statement.clone())
                .collect(),
        )
    }

    /// The document as indented JSON, ready to paste into the RAM console.
    pub fn json(&self) -> String {
        // A document of strings always serializes.
        serde_json::to_string_pretty(&self.document()).unwrap_or_default()
    }

    /// The document without statement `index` (what the proof test binds keys to).
    pub fn without(&self, index: usize) -> Document {
        Document::new(
            self.statements
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index)
                .map(|(_, n)| n.statement.clone())
                .collect(),
        )
    }

    /// One line per statement: its action and its note.
    pub fn notes(&self) -> Vec<String> {
        self.statements
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}. {}: {}", i + 1, n.statement.action.join(", "), n.note))
            .collect()
    }
}

/// What `spec`'s build needs, in `account` (`None`: not known, every account part is `*`).
pub fn for_spec(spec: &ImageSpec, account: Option<&str>) -> Generated {
    let account = account.filter(|a| !a.is_empty()).unwrap_or("*");
    let in_region = |extra: &[(&str, &str)]| -> Params {
        std::iter::once(("RegionId", spec.region.as_str()))
            .chain(extra.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let instance_source = matches!(spec.source, Source::Instance { .. });
    let power = power_calls(spec).ok().flatten();
    let mut calls: Vec<Planned> = vec![
        (
            "DescribeInstances",
            in_region(&[]),
            if power.is_some() {
                "Source step: the instance list and waiting for it to stop; review: its status; \
                 submit: waiting for it to run again"
                    .into()
            } else if instance_source {
                "Source step: the instance list; review: the source instance's status".into()
            } else {
                "Source step: the instance list beside the snapshots".into()
            },
        ),
        (
            "DescribeSnapshots",
            in_region(&[]),
            "Source and Disks steps: the snapshot lists and the chosen snapshots' facts".into(),
        ),
    ];
    // Step 1 also lists the region's system disks to mark instances without one; for a
    // snapshot source that is a courtesy the build does without (refused, nothing is marked).
    if instance_source {
        calls.push((
            "DescribeDisks",
            in_region(&[]),
            "Disks step and review: the source instance's disks; Source step: marking \
             instances without a system disk"
                .into(),
        ));
    }
    calls.push((
        "ListResourceGroups",
        Vec::new(),
        "Details step: the resource group list".into(),
    ));
    calls.push((
        "DescribeImages",
        in_region(&[]),
        "Details step: names and families already taken; submit: watching the build".into(),
    ));
    if let Some(power) = &power {
        calls.push((
            "StopInstances",
            power.stop.clone(),
            format!(
                "Source step: stopping {} before the image",
                power.instance_id
            ),
        ));
    }
    let mut create = to_params(spec);
    create.retain(|(name, _)| name != "ClientToken");
    calls.push((
        "CreateImage",
        create,
        if spec.tags.is_empty() {
            "Review: DryRun; submit: CreateImage".into()
        } else {
            "Review: DryRun; submit: CreateImage, with exactly these tags".into()
        },
    ));
    if let Some(start) = power.as_ref().and_then(|p| p.start.clone()) {
        calls.push((
            "StartInstances",
            start,
            "Submit: starting the instance again once the image is done".into(),
        ));
    }
    calls.push((
        "DeleteImage",
        in_region(&[("ImageId", "*")]),
        "Submit: x deletes the image this build made (abort)".into(),
    ));
    calls.extend(delivery_calls(spec));
    let statements = calls
        .into_iter()
        .filter_map(|(name, params, note)| {
            let needs = needs(name, &params, account)?;
            Some(Noted {
                statement: Statement {
                    effect: Effect::Allow,
                    action: vec![needs.action],
                    resource: needs.resources,
                    condition: condition(needs.context),
                },
                note,
            })
        })
        .collect();
    Generated { statements }
}

/// The calls `[delivery]` makes once the image is Available (`crate::delivery`), region by
/// region: the source region first, then each copy's.
fn delivery_calls(spec: &ImageSpec) -> Vec<Planned> {
    let Some(delivery) = &spec.delivery else {
        return Vec::new();
    };
    let at = |region: &str, extra: &[(&str, &str)]| -> Params {
        std::iter::once(("RegionId", region))
            .chain(extra.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut calls: Vec<Planned> = Vec::new();
    let regions = std::iter::once(&spec.region).chain(&delivery.copy_to);
    for (n, region) in regions.enumerate() {
        let copy = n > 0;
        if copy {
            let mut copy = at(
                &spec.region,
                &[("ImageId", "*"), ("DestinationRegionId", region)],
            );
            copy.extend(tag_params(spec));
            calls.push((
                "CopyImage",
                copy,
                format!("Delivery: copying the image to {region}, with its tags"),
            ));
            calls.push((
                "DescribeImages",
                at(region, &[]),
                format!("Delivery: watching the copy in {region}, finding older images there"),
            ));
            if spec.image.family.is_some() {
                calls.push((
                    "ModifyImageAttribute",
                    at(region, &[("ImageId", "*")]),
                    format!("Delivery: the copy's family in {region}, and deprecations there"),
                ));
            }
        }
        if !delivery.share_with.is_empty() {
            calls.push((
                "ModifyImageSharePermission",
                at(region, &[("ImageId", "*")]),
                format!("Delivery: sharing the image in {region}"),
            ));
        }
        if delivery.tag_snapshots && !spec.tags.is_empty() {
            let mut params = at(region, &[("ResourceType", "snapshot")]);
            params.extend(tag_params(spec));
            calls.push((
                "TagResources",
                params,
                format!("Delivery: the image's tags on its snapshots in {region}"),
            ));
        }
        if matches!(
            delivery.retire.map(|r| r.action),
            Some(RetireAction::Deprecate)
        ) && (!copy || spec.image.family.is_none())
        {
            calls.push((
                "ModifyImageAttribute",
                at(region, &[("ImageId", "*")]),
                format!("Delivery: deprecating older images of the family in {region}"),
            ));
        }
        // A copy that ended CreateFailed is deleted before it is made again (`watch --resume
        // --retry-failed`). The source region's DeleteImage statement is there already (abort).
        if copy {
            let why = match delivery.retire.map(|r| r.action) {
                Some(RetireAction::Delete) => format!(
                    "Delivery: deleting older images of the family in {region}, and a copy \
                     that failed there before it is made again"
                ),
                _ => format!(
                    "Delivery: only to delete a copy that failed in {region} before it is \
                     made again (--retry-failed)"
                ),
            };
            calls.push(("DeleteImage", at(region, &[("ImageId", "*")]), why));
        }
    }
    calls
}

/// The spec's tags as `Tag.N.Key`/`Tag.N.Value`, as CopyImage and TagResources send them.
fn tag_params(spec: &ImageSpec) -> Params {
    spec.tags
        .iter()
        .enumerate()
        .flat_map(|(i, tag)| {
            [
                (format!("Tag.{}.Key", i + 1), tag.key.clone()),
                (format!("Tag.{}.Value", i + 1), tag.value.clone()),
            ]
        })
        .collect()
}

/// The request's condition keys as `StringEquals` conditions (none: no condition).
pub(super) fn condition(
    context: BTreeMap<String, Vec<String>>,
) -> BTreeMap<Operator, BTreeMap<String, Values>> {
    if context.is_empty() {
        return BTreeMap::new();
    }
    let keys = context
        .into_iter()
        .map(|(key, values)| {
            let values = match <[String; 1]>::try_from(values) {
                Ok([one]) => Values::One(Scalar::Text(one)),
                Err(many) => Values::Many(many.into_iter().map(Scalar::Text).collect()),
            };
            (key, values)
        })
        .collect();
    BTreeMap::from([(Operator::StringEquals, keys)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::StoppedMode;
    use crate::policy::{Decision, Request, evaluate};
    use crate::spec::{DiskSpec, DiskType, StopPlan, Tag};

    fn instance(stop: Option<StopPlan>) -> ImageSpec {
        ImageSpec {
            source: Source::Instance {
                instance_id: "i-1".into(),
            },
            stop,
            client_token: Some("token".into()),
            ..ImageSpec::default()
        }
    }

    fn actions(generated: &Generated) -> Vec<&str> {
        generated
            .statements
            .iter()
            .map(|n| n.statement.action[0].as_str())
            .collect()
    }

    #[test]
    fn an_instance_build_needs_its_lists_create_and_delete() {
        let generated = for_spec(&instance(None), Some("123"));
        assert_eq!(
            actions(&generated),
            [
                "ecs:DescribeInstances",
                "ecs:DescribeSnapshots",
                "ecs:DescribeDisks",
                "resourcemanager:ListResourceGroups",
                "ecs:DescribeImages",
                "ecs:CreateImage",
                "ecs:DeleteImage"
            ]
        );
        let create = &generated.statements[5].statement;
        assert_eq!(
            create.resource,
            [
                "acs:ecs:cn-hangzhou:123:image/*",
                "acs:ecs:cn-hangzhou:123:instance/i-1"
            ]
        );
        assert!(create.condition.is_empty());
        assert!(generated.statements.iter().all(|n| !n.note.is_empty()));
        let json = generated.json();
        assert!(json.contains("\"Version\": \"1\""), "{json}");
        assert!(!json.contains("token"), "{json}");
        assert_eq!(
            Document::parse(&json).expect("the output parses"),
            generated.document()
        );
    }

    #[test]
    fn delivery_adds_its_calls_region_by_region() {
        let mut spec = instance(None);
        spec.image.family = Some("web".into());
        spec.tags = vec![Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        spec.delivery = Some(crate::spec::DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            share_with: vec!["1234567890123457".into()],
            tag_snapshots: true,
            copy_name: None,
            copy_description: None,
            retire: Some(crate::spec::RetirePlan {
                keep: 2,
                action: RetireAction::Delete,
            }),
            ..Default::default()
        });
        let generated = for_spec(&spec, Some("123"));
        let names = actions(&generated);
        assert_eq!(
            names[7..],
            [
                "ecs:ModifyImageSharePermission",
                "ecs:TagResources",
                "ecs:CopyImage",
                "ecs:DescribeImages",
                "ecs:ModifyImageAttribute",
                "ecs:ModifyImageSharePermission",
                "ecs:TagResources",
                "ecs:DeleteImage",
            ]
        );
        let copy = &generated.statements[9].statement;
        assert_eq!(
            copy.resource,
            [
                "acs:ecs:cn-hangzhou:123:image/*",
                "acs:ecs:cn-beijing:123:image/*"
            ]
        );
        let tag = &generated.statements[8].statement;
        assert_eq!(tag.resource, ["acs:ecs:cn-hangzhou:123:snapshot/*"]);
        assert!(!tag.condition.is_empty(), "the tags are pinned");

        // Without retirement, a copy region still gets DeleteImage: a copy that failed there
        // is deleted before it is made again.
        if let Some(delivery) = spec.delivery.as_mut() {
            delivery.retire = None;
        }
        let generated = for_spec(&spec, Some("123"));
        let delete = generated.statements.last().expect("statements");
        assert_eq!(delete.statement.action, ["ecs:DeleteImage"]);
        assert_eq!(
            delete.statement.resource,
            ["acs:ecs:cn-beijing:123:image/*"]
        );
        assert!(
            delete.note.contains("only to delete a copy that failed"),
            "{}",
            delete.note
        );
        let deletes = actions(&generated)
            .iter()
            .filter(|a| **a == "ecs:DeleteImage")
            .count();
        assert_eq!(
            deletes, 2,
            "the abort's in cn-hangzhou, the failed copy's in cn-beijing"
        );
    }

    #[test]
    fn stopping_adds_stop_and_restarting_start() {
        let stop = StopPlan {
            mode: StoppedMode::KeepCharging,
            force: false,
            restart: false,
        };
        let generated = for_spec(&instance(Some(stop)), None);
        let names = actions(&generated);
        assert!(names.contains(&"ecs:StopInstances"), "{names:?}");
        assert!(!names.contains(&"ecs:StartInstances"), "{names:?}");
        let generated = for_spec(&instance(Some(StopPlan::KEEP_AND_RESTART)), None);
        let start = generated
            .statements
            .iter()
            .find(|n| n.statement.action == ["ecs:StartInstances"])
            .expect("StartInstances");
        assert_eq!(
            start.statement.resource,
            ["acs:ecs:cn-hangzhou:*:instance/i-1"]
        );
    }

    #[test]
    fn a_mapping_names_its_snapshots_and_tags_become_conditions() {
        let spec = ImageSpec {
            source: Source::Disks(vec![
                DiskSpec {
                    disk_type: DiskType::System,
                    snapshot_id: Some("s-sys".into()),
                    size: None,
                    device: None,
                },
                DiskSpec {
                    disk_type: DiskType::Data,
                    snapshot_id: None,
                    size: Some(20),
                    device: None,
                },
            ]),
            tags: vec![Tag {
                key: "env".into(),
                value: "prod".into(),
            }],
            ..ImageSpec::default()
        };
        let generated = for_spec(&spec, None);
        assert!(!actions(&generated).contains(&"ecs:DescribeDisks"));
        let create = generated
            .statements
            .iter()
            .find(|n| n.statement.action == ["ecs:CreateImage"])
            .expect("CreateImage");
        assert_eq!(
            create.statement.resource,
            [
                "acs:ecs:cn-hangzhou:*:image/*",
                "acs:ecs:cn-hangzhou:*:snapshot/s-sys"
            ]
        );
        let document = generated.document();
        let request = |tag: &str| Request {
            action: "ecs:CreateImage".into(),
            resource: "acs:ecs:cn-hangzhou:1:snapshot/s-sys".into(),
            context: [("acs:RequestTag/env".to_string(), vec![tag.to_string()])].into(),
        };
        assert_eq!(evaluate([&document], &request("prod")), Decision::Allow);
        assert_eq!(
            evaluate([&document], &request("dev")),
            Decision::ImplicitDeny
        );
        assert_eq!(
            generated.without(0).statement.len(),
            generated.statements.len() - 1
        );
    }
}
