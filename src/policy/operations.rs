//! What each API operation ecsimg calls asks of RAM: the RAM action, the resources (ARNs) it
//! acts on and the condition keys it carries, read from the request's parameters.
//!
//! One table for three users: the policy generated for a build is made of the needs of the
//! calls the build makes, the simulator authorizes every request by its needs, and a denial
//! is explained by the needs of the refused call. Adding an operation is a row here.
//!
//! Resource ARNs follow the ECS authorization pages
//! (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-ram): a
//! listing acts on every resource of its type in the region (`instance/*`), a call on named
//! resources on each of them, CreateImage on the image to be made (`image/*`) and its source.
//! Operations that list account-wide things act on `*`.

use std::collections::BTreeMap;

use super::{Request, ecs_arn};
use crate::spec::params::touched;

/// What one call asks RAM to allow: `action` on every one of `resources`, with `context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    /// `ecs:CreateImage`.
    pub action: String,
    pub resources: Vec<String>,
    /// Condition keys the request carries (`acs:RequestTag/env` → `["prod"]`).
    pub context: BTreeMap<String, Vec<String>>,
}

impl Needs {
    /// One policy request per resource: RAM allows the call only if it allows each.
    pub fn requests(&self) -> impl Iterator<Item = Request> + '_ {
        self.resources.iter().map(|resource| Request {
            action: self.action.clone(),
            resource: resource.clone(),
            context: self.context.clone(),
        })
    }
}

/// A call as the table reads it.
struct Call<'a> {
    params: &'a [(String, String)],
    account: &'a str,
}

impl Call<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn region(&self) -> &str {
        self.get("RegionId").unwrap_or("*")
    }

    fn arn(&self, kind: &str, id: &str) -> String {
        ecs_arn(self.region(), self.account, kind, id)
    }

    /// The values of `Prefix.1`, `Prefix.2`, … (`InstanceId.N`).
    fn numbered(&self, prefix: &str) -> Vec<&str> {
        let mut found: Vec<(u32, &str)> = self
            .params
            .iter()
            .filter_map(|(name, value)| {
                let n = name.strip_prefix(prefix)?.strip_prefix('.')?.parse().ok()?;
                Some((n, value.as_str()))
            })
            .filter(|(_, value)| !value.is_empty())
            .collect();
        found.sort_unstable();
        found.into_iter().map(|(_, value)| value).collect()
    }
}

/// One operation: its API name, its RAM action, and how to read what it acts on.
struct Operation {
    name: &'static str,
    action: &'static str,
    resources: fn(&Call) -> Vec<String>,
    context: fn(&Call) -> BTreeMap<String, Vec<String>>,
}

fn everything(_: &Call) -> Vec<String> {
    vec!["*".into()]
}

/// No resource: the call is allowed to any caller that authenticates.
fn nothing(_: &Call) -> Vec<String> {
    Vec::new()
}

/// The role a call names (`RoleArn`), or every role when it names none.
fn role(call: &Call) -> Vec<String> {
    vec![call.get("RoleArn").unwrap_or("*").to_string()]
}

fn no_keys(_: &Call) -> BTreeMap<String, Vec<String>> {
    BTreeMap::new()
}

/// The condition key of a tag a request sets.
pub fn request_tag_key(tag_key: &str) -> String {
    format!("acs:RequestTag/{tag_key}")
}

/// Each named instance, or all of them when the request names none (it is refused later).
fn instances(call: &Call) -> Vec<String> {
    let ids = call.numbered("InstanceId");
    if ids.is_empty() {
        return vec![call.arn("instance", "*")];
    }
    ids.into_iter().map(|id| call.arn("instance", id)).collect()
}

/// The image to be made and its sources: the instance, or the snapshots.
fn create_image(call: &Call) -> Vec<String> {
    let source = touched(call.params);
    let mut resources = vec![call.arn("image", "*")];
    resources.extend(source.instance.iter().map(|id| call.arn("instance", id)));
    resources.extend(source.snapshots.iter().map(|id| call.arn("snapshot", id)));
    resources.dedup();
    resources
}

/// The image a call names by `ImageId`, in its `RegionId`.
fn image(call: &Call) -> Vec<String> {
    vec![call.arn("image", call.get("ImageId").unwrap_or("*"))]
}

/// CopyImage reads the source image (in `RegionId`) and makes an image in
/// `DestinationRegionId`. A `KMSKeyId` adds no statement: the references name only ECS's own
/// access to the key (`KMSUnauthorized`, `CMKUnauthorized`), nothing the caller's policy must
/// allow on KMS. Unconfirmed; if RAM turns out to check `kms:*` on the caller, it goes here.
fn copy_image(call: &Call) -> Vec<String> {
    let destination = call.get("DestinationRegionId").unwrap_or("*");
    vec![
        call.arn("image", call.get("ImageId").unwrap_or("*")),
        ecs_arn(destination, call.account, "image", "*"),
    ]
}

/// The tag operations act on each `ResourceId.N` of `ResourceType` (its lowercase name is
/// the ARN's resource type), or on every resource of the type when none is named.
fn tagged(call: &Call) -> Vec<String> {
    let kind = call.get("ResourceType").unwrap_or("*");
    let ids = call.numbered("ResourceId");
    if ids.is_empty() {
        return vec![call.arn(kind, "*")];
    }
    ids.into_iter().map(|id| call.arn(kind, id)).collect()
}

/// CreateImage's, CopyImage's and TagResources' `Tag.N` are tags the request sets:
/// `acs:RequestTag/<key>`. (On a Describe or List call they are filters, and set nothing.)
fn request_tags(call: &Call) -> BTreeMap<String, Vec<String>> {
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in touched(call.params).tags {
        keys.entry(request_tag_key(&key)).or_default().push(value);
    }
    keys
}

const OPERATIONS: &[Operation] = &[
    Operation {
        name: "DescribeRegions",
        action: "ecs:DescribeRegions",
        resources: everything,
        context: no_keys,
    },
    Operation {
        name: "DescribeInstances",
        action: "ecs:DescribeInstances",
        resources: |call| vec![call.arn("instance", "*")],
        context: no_keys,
    },
    Operation {
        name: "DescribeDisks",
        action: "ecs:DescribeDisks",
        resources: |call| vec![call.arn("disk", "*")],
        context: no_keys,
    },
    Operation {
        name: "DescribeSnapshots",
        action: "ecs:DescribeSnapshots",
        resources: |call| vec![call.arn("snapshot", "*")],
        context: no_keys,
    },
    Operation {
        name: "DescribeImages",
        action: "ecs:DescribeImages",
        resources: |call| vec![call.arn("image", "*")],
        context: no_keys,
    },
    Operation {
        name: "CreateImage",
        action: "ecs:CreateImage",
        resources: create_image,
        context: request_tags,
    },
    Operation {
        name: "DeleteImage",
        action: "ecs:DeleteImage",
        resources: |call| vec![call.arn("image", call.get("ImageId").unwrap_or("*"))],
        context: no_keys,
    },
    Operation {
        name: "StopInstances",
        action: "ecs:StopInstances",
        resources: instances,
        context: no_keys,
    },
    Operation {
        name: "StartInstances",
        action: "ecs:StartInstances",
        resources: instances,
        context: no_keys,
    },
    Operation {
        name: "CopyImage",
        action: "ecs:CopyImage",
        resources: copy_image,
        context: request_tags,
    },
    Operation {
        name: "CancelCopyImage",
        action: "ecs:CancelCopyImage",
        resources: image,
        context: no_keys,
    },
    Operation {
        name: "ModifyImageSharePermission",
        action: "ecs:ModifyImageSharePermission",
        resources: image,
        context: no_keys,
    },
    Operation {
        name: "DescribeImageSharePermission",
        action: "ecs:DescribeImageSharePermission",
        resources: image,
        context: no_keys,
    },
    Operation {
        name: "ModifyImageAttribute",
        action: "ecs:ModifyImageAttribute",
        resources: image,
        context: no_keys,
    },
    Operation {
        name: "TagResources",
        action: "ecs:TagResources",
        resources: tagged,
        context: request_tags,
    },
    Operation {
        name: "UntagResources",
        action: "ecs:UntagResources",
        resources: tagged,
        context: no_keys,
    },
    Operation {
        name: "ListTagResources",
        action: "ecs:ListTagResources",
        resources: tagged,
        context: no_keys,
    },
    Operation {
        name: "ListResourceGroups",
        action: "resourcemanager:ListResourceGroups",
        resources: everything,
        context: no_keys,
    },
    // STS: assuming a role is allowed on the role's ARN; the caller's identity needs no
    // permission, and AssumeRoleWithOIDC is unsigned (the role's trust decides).
    Operation {
        name: "AssumeRole",
        action: "sts:AssumeRole",
        resources: role,
        context: no_keys,
    },
    Operation {
        name: "AssumeRoleWithOIDC",
        action: "sts:AssumeRoleWithOIDC",
        resources: nothing,
        context: no_keys,
    },
    Operation {
        name: "GetCallerIdentity",
        action: "sts:GetCallerIdentity",
        resources: nothing,
        context: no_keys,
    },
];

/// The RAM action of the API operation `name` (`CreateImage` → `ecs:CreateImage`).
pub fn ram_action(name: &str) -> Option<&'static str> {
    operation(name).map(|o| o.action)
}

/// What the call `name` with `params` (as sent, `RegionId` included) asks of RAM, in an
/// account (`*` when it is not known); `None` for an operation the table does not know.
pub fn needs(name: &str, params: &[(String, String)], account: &str) -> Option<Needs> {
    let operation = operation(name)?;
    let call = Call { params, account };
    Some(Needs {
        action: operation.action.to_string(),
        resources: (operation.resources)(&call),
        context: (operation.context)(&call),
    })
}

/// Every operation the table knows, by API name.
pub fn known() -> impl Iterator<Item = &'static str> {
    OPERATIONS.iter().map(|o| o.name)
}

fn operation(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn create_image_acts_on_the_image_and_its_sources_with_its_tags() {
        let needs = needs(
            "CreateImage",
            &params(&[
                ("RegionId", "cn-hangzhou"),
                ("DiskDeviceMapping.1.SnapshotId", "s-1"),
                ("DiskDeviceMapping.2.Size", "20"),
                ("DiskDeviceMapping.3.SnapshotId", "s-2"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "prod"),
            ]),
            "123",
        )
        .expect("known");
        assert_eq!(needs.action, "ecs:CreateImage");
        assert_eq!(
            needs.resources,
            [
                "acs:ecs:cn-hangzhou:123:image/*",
                "acs:ecs:cn-hangzhou:123:snapshot/s-1",
                "acs:ecs:cn-hangzhou:123:snapshot/s-2"
            ]
        );
        assert_eq!(needs.context["acs:RequestTag/env"], ["prod"]);
        let by_instance = super::needs(
            "CreateImage",
            &params(&[("RegionId", "r"), ("InstanceId", "i-1")]),
            "*",
        )
        .expect("known");
        assert_eq!(
            by_instance.resources,
            ["acs:ecs:r:*:image/*", "acs:ecs:r:*:instance/i-1"]
        );
        assert!(by_instance.context.is_empty());
    }

    #[test]
    fn calls_on_named_resources_act_on_each_and_listings_on_all() {
        let stop = needs(
            "StopInstances",
            &params(&[
                ("RegionId", "r"),
                ("InstanceId.2", "i-2"),
                ("InstanceId.1", "i-1"),
            ]),
            "9",
        )
        .expect("known");
        assert_eq!(
            stop.resources,
            ["acs:ecs:r:9:instance/i-1", "acs:ecs:r:9:instance/i-2"]
        );
        let delete = needs(
            "DeleteImage",
            &params(&[("RegionId", "r"), ("ImageId", "m-1")]),
            "9",
        );
        assert_eq!(
            delete.map(|n| n.resources),
            Some(vec!["acs:ecs:r:9:image/m-1".to_string()])
        );
        let list = needs(
            "DescribeSnapshots",
            &params(&[("RegionId", "r"), ("Tag.1.Key", "env")]),
            "9",
        )
        .expect("known");
        assert_eq!(list.resources, ["acs:ecs:r:9:snapshot/*"]);
        assert!(
            list.context.is_empty(),
            "a Describe's tags filter, set nothing"
        );
        assert_eq!(
            ram_action("ListResourceGroups"),
            Some("resourcemanager:ListResourceGroups")
        );
        assert_eq!(needs("RunInstances", &[], "*"), None);
    }

    #[test]
    fn delivery_calls_act_on_their_images_and_tagged_resources() {
        let copy = needs(
            "CopyImage",
            &params(&[
                ("RegionId", "cn-hangzhou"),
                ("ImageId", "m-1"),
                ("DestinationRegionId", "cn-beijing"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "prod"),
            ]),
            "9",
        )
        .expect("known");
        assert_eq!(
            copy.resources,
            [
                "acs:ecs:cn-hangzhou:9:image/m-1",
                "acs:ecs:cn-beijing:9:image/*"
            ]
        );
        assert_eq!(copy.context["acs:RequestTag/env"], ["prod"]);
        let tag = needs(
            "TagResources",
            &params(&[
                ("RegionId", "r"),
                ("ResourceType", "snapshot"),
                ("ResourceId.1", "s-1"),
                ("ResourceId.2", "s-2"),
                ("Tag.1.Key", "k"),
            ]),
            "9",
        )
        .expect("known");
        assert_eq!(
            tag.resources,
            ["acs:ecs:r:9:snapshot/s-1", "acs:ecs:r:9:snapshot/s-2"]
        );
        let list = needs(
            "ListTagResources",
            &params(&[
                ("RegionId", "r"),
                ("ResourceType", "image"),
                ("Tag.1.Key", "k"),
            ]),
            "9",
        )
        .expect("known");
        assert_eq!(list.resources, ["acs:ecs:r:9:image/*"]);
        assert!(list.context.is_empty(), "ListTagResources' tags filter");
        for name in [
            "CancelCopyImage",
            "ModifyImageSharePermission",
            "DescribeImageSharePermission",
            "ModifyImageAttribute",
        ] {
            let one =
                needs(name, &params(&[("RegionId", "r"), ("ImageId", "m-2")]), "9").expect("known");
            assert_eq!(one.action, format!("ecs:{name}"));
            assert_eq!(one.resources, ["acs:ecs:r:9:image/m-2"]);
        }
    }
}
