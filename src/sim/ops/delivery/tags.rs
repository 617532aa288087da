//! TagResources, UntagResources and ListTagResources for the resources the simulator keeps
//! tags on: custom images, snapshots and instances.
//!
//! https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-tagresources
//! https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-untagresources
//! https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-listtagresources
//!
//! The missing-parameter codes of these operations are 404, as their error tables say. Choices
//! where the references are silent: a key already on a resource is overwritten; removing an
//! absent key succeeds; a resource carries at most `[delivery] tags_per_resource` tags (20);
//! ListTagResources pages 50 entries and ends with an empty `NextToken`. Other documented
//! resource types are accepted by name, but the simulator has no such resources (404
//! `InvalidResourceId.NotFound`).

use serde::Serialize;

use super::{Done, fail};
use crate::sim::error::SimError;
use crate::sim::ops::create_image::parse_tags;
use crate::sim::params::Params;
use crate::sim::state::{Region, State};

/// Every `ResourceType` the reference lists, exactly as spelled (lowercase).
const RESOURCE_TYPES: &[&str] = &[
    "instance",
    "disk",
    "snapshot",
    "image",
    "securitygroup",
    "volume",
    "eni",
    "ddh",
    "ddhcluster",
    "keypair",
    "launchtemplate",
    "reservedinstance",
    "snapshotpolicy",
    "elasticityassurance",
    "capacityreservation",
    "command",
    "invocation",
    "activation",
    "managedinstance",
];
const MAX_RESOURCES: usize = 50;
const MAX_TAGS: usize = 20;
const PAGE: usize = 50;

fn missing(what: &str, parameter: &str) -> SimError {
    fail(
        404,
        &format!("MissingParameter.{what}"),
        format!(
            "The input parameter {parameter} that is mandatory for processing this request is not supplied."
        ),
    )
}

/// The kinds of resource the simulator keeps tags on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Snapshot,
    Instance,
    /// A documented type the simulator has no resources of.
    Other,
}

/// `RegionId` and `ResourceType` of a tag call, with their 404s.
fn region_and_kind(params: &Params) -> Result<(&str, Kind), SimError> {
    let region_id = params
        .get("RegionId")
        .ok_or_else(|| missing("RegionId", "RegionId"))?;
    Ok((region_id, kind(params)?))
}

/// The region and resource type a tagging call changes.
fn target<'s>(state: &'s mut State, params: &Params) -> Result<(&'s mut Region, Kind), SimError> {
    let (region_id, kind) = region_and_kind(params)?;
    let region = state
        .regions
        .get_mut(region_id)
        .ok_or_else(SimError::region_not_found)?;
    Ok((region, kind))
}

fn kind(params: &Params) -> Result<Kind, SimError> {
    let name = params
        .get("ResourceType")
        .ok_or_else(|| missing("ResourceType", "ResourceType"))?;
    if !RESOURCE_TYPES.contains(&name) {
        return Err(fail(
            404,
            "InvalidResourceType.NotFound",
            "The specified ResourceType does not exist.",
        ));
    }
    Ok(match name {
        "image" => Kind::Image,
        "snapshot" => Kind::Snapshot,
        "instance" => Kind::Instance,
        _ => Kind::Other,
    })
}

fn tags_mut<'r>(
    region: &'r mut Region,
    kind: Kind,
    id: &str,
) -> Option<&'r mut Vec<(String, String)>> {
    match kind {
        Kind::Image => region
            .images
            .get_mut(id)
            .filter(|i| i.is_custom())
            .map(|i| {
                i.touch();
                &mut i.tags
            }),
        Kind::Snapshot => region.snapshots.get_mut(id).map(|s| &mut s.tags),
        Kind::Instance => region.instances.get_mut(id).map(|i| &mut i.tags),
        Kind::Other => None,
    }
}

/// Every resource of `kind` in the region with its tags, by ID.
fn all_tags(region: &Region, kind: Kind) -> Vec<(&str, &[(String, String)])> {
    match kind {
        Kind::Image => region
            .images
            .values()
            .filter(|i| i.is_custom())
            .map(|i| (i.id.as_str(), i.tags.as_slice()))
            .collect(),
        Kind::Snapshot => region
            .snapshots
            .values()
            .map(|s| (s.id.as_str(), s.tags.as_slice()))
            .collect(),
        Kind::Instance => region
            .instances
            .values()
            .map(|i| (i.id.as_str(), i.tags.as_slice()))
            .collect(),
        Kind::Other => Vec::new(),
    }
}

fn not_found() -> SimError {
    fail(
        404,
        "InvalidResourceId.NotFound",
        "The specified ResourceIds are not found in our records.",
    )
}

/// `ResourceId.N`: required, at most 50.
fn resource_ids(params: &Params) -> Result<Vec<&str>, SimError> {
    let ids = params.indexed("ResourceId")?;
    if ids.is_empty() {
        return Err(missing("ResourceIds", "ResourceId.N"));
    }
    if ids.len() > MAX_RESOURCES {
        return Err(fail(
            400,
            "NumberExceed.ResourceIds",
            format!("The maximum number of ResourceIds is {MAX_RESOURCES}."),
        ));
    }
    Ok(ids)
}

pub fn tag(state: &mut State, params: &Params) -> Result<Done, SimError> {
    let cap = state.account.delivery.tags_per_resource;
    let (region, kind) = target(state, params)?;
    let ids = resource_ids(params)?;
    let count = params.groups("Tag")?.len();
    if count == 0 {
        return Err(missing("Tags", "Tag.N"));
    }
    if count > MAX_TAGS {
        return Err(fail(
            400,
            "NumberExceed.Tags",
            format!("The maximum number of Tags is {MAX_TAGS}."),
        ));
    }
    let tags = parse_tags(params)?;
    // Check every resource before changing any: a refused call changes nothing.
    for id in &ids {
        let current = tags_mut(region, kind, id).ok_or_else(not_found)?;
        let added = tags
            .iter()
            .filter(|(k, _)| !current.iter().any(|(c, _)| c == k))
            .count();
        if current.len() + added > cap {
            return Err(fail(
                400,
                "OperationDenied.QuotaExceed",
                format!("A resource can carry at most {cap} tags."),
            ));
        }
    }
    for id in &ids {
        if let Some(current) = tags_mut(region, kind, id) {
            for (key, value) in &tags {
                match current.iter_mut().find(|(k, _)| k == key) {
                    Some(existing) => existing.1.clone_from(value),
                    None => current.push((key.clone(), value.clone())),
                }
            }
        }
    }
    Ok(Done {})
}

pub fn untag(state: &mut State, params: &Params) -> Result<Done, SimError> {
    let (region, kind) = target(state, params)?;
    let ids = resource_ids(params)?;
    let keys = params.indexed("TagKey")?;
    if keys.len() > MAX_TAGS {
        return Err(fail(
            400,
            "NumberExceed.TagKeys",
            format!("The maximum number of TagKeys is {MAX_TAGS}."),
        ));
    }
    // `All` counts only when no key is named.
    let all = keys.is_empty() && params.bool("All")?.unwrap_or(false);
    for id in &ids {
        tags_mut(region, kind, id).ok_or_else(not_found)?;
    }
    for id in &ids {
        if let Some(current) = tags_mut(region, kind, id) {
            current.retain(|(k, _)| !all && !keys.contains(&k.as_str()));
        }
    }
    Ok(Done {})
}

/// ListTagResources' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listed<'a> {
    next_token: String,
    tag_resources: super::super::json::Wrapped<Vec<Entry<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry<'a> {
    resource_id: &'a str,
    resource_type: &'static str,
    tag_key: &'a str,
    tag_value: &'a str,
}

/// A `TagFilter.N`: a key and values, each exact or a prefix ending in `*`.
struct Fuzzy {
    key: String,
    values: Vec<String>,
}

impl Fuzzy {
    fn matches(&self, tags: &[(String, String)]) -> bool {
        tags.iter().any(|(k, v)| {
            k == &self.key
                && (self.values.is_empty()
                    || self.values.iter().any(|want| match want.strip_suffix('*') {
                        Some(prefix) => v.starts_with(prefix),
                        None => v == want,
                    }))
        })
    }
}

pub fn list<'a>(state: &'a State, params: &Params) -> Result<Listed<'a>, SimError> {
    let (region_id, kind) = region_and_kind(params)?;
    let region = state
        .regions
        .get(region_id)
        .ok_or_else(SimError::region_not_found)?;
    let ids = params.indexed("ResourceId")?;
    if ids.len() > MAX_RESOURCES {
        return Err(fail(
            400,
            "NumberExceed.ResourceIds",
            format!("The maximum number of ResourceIds is {MAX_RESOURCES}."),
        ));
    }
    let mut exact = Vec::new();
    for group in params.groups("Tag")?.values() {
        match (
            group.get("Key").filter(|k| !k.is_empty()),
            group.get("Value"),
        ) {
            (Some(key), value) => exact.push((key.clone(), value.cloned())),
            (None, _) => {
                return Err(fail(
                    400,
                    "InvalidParameter.TagValue",
                    "Tag.N.Value cannot be given without Tag.N.Key.",
                ));
            }
        }
    }
    if exact.len() > MAX_TAGS {
        return Err(fail(
            400,
            "NumberExceed.Tags",
            format!("The maximum number of Tags is {MAX_TAGS}."),
        ));
    }
    let fuzzy = tag_filters(params)?;
    if !fuzzy.is_empty() && !exact.is_empty() {
        return Err(SimError::invalid_parameter(
            "TagFilter.N",
            "TagFilter cannot be combined with Tag.N",
        ));
    }
    if ids.is_empty() && exact.is_empty() && fuzzy.is_empty() {
        return Err(missing("ResourceIds", "ResourceId.N, Tag.N or TagFilter.N"));
    }
    let type_name = match kind {
        Kind::Image => "image",
        Kind::Snapshot => "snapshot",
        Kind::Instance => "instance",
        Kind::Other => "",
    };
    let entries: Vec<Entry> = all_tags(region, kind)
        .into_iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, tags)| {
            exact.iter().all(|(key, value)| {
                tags.iter()
                    .any(|(k, v)| k == key && value.as_ref().is_none_or(|want| want == v))
            }) && fuzzy.iter().all(|f| f.matches(tags))
        })
        .flat_map(|(id, tags)| {
            tags.iter().map(move |(k, v)| Entry {
                resource_id: id,
                resource_type: type_name,
                tag_key: k,
                tag_value: v,
            })
        })
        .collect();
    let start = match params.get("NextToken") {
        None => 0,
        Some(token) => usize::from_str_radix(token, 16)
            .ok()
            .filter(|n| *n <= entries.len())
            .ok_or_else(|| {
                SimError::invalid_parameter(
                    "NextToken",
                    "pass the NextToken of the previous page unchanged",
                )
            })?,
    };
    let end = (start + PAGE).min(entries.len());
    let next_token = if end < entries.len() {
        format!("{end:032x}")
    } else {
        String::new()
    };
    let page = entries.into_iter().skip(start).take(PAGE).collect();
    Ok(Listed {
        next_token,
        tag_resources: super::super::json::Wrapped::new("TagResource", page),
    })
}

/// `TagFilter.N.TagKey` with `TagFilter.N.TagValues.M`, at most 5 of each.
fn tag_filters(params: &Params) -> Result<Vec<Fuzzy>, SimError> {
    let groups = params.groups("TagFilter")?;
    if groups.len() > 5 {
        return Err(SimError::invalid_parameter(
            "TagFilter.N",
            "at most 5 filters",
        ));
    }
    groups
        .values()
        .map(|group| {
            let key = group
                .get("TagKey")
                .filter(|k| !k.is_empty())
                .ok_or_else(|| SimError::missing_parameter("TagFilter.N.TagKey"))?;
            let values: Vec<String> = group
                .iter()
                .filter(|(field, v)| field.starts_with("TagValues.") && !v.is_empty())
                .map(|(_, v)| v.clone())
                .collect();
            if values.len() > 5 {
                return Err(SimError::invalid_parameter(
                    "TagFilter.N.TagValues.N",
                    "at most 5 values",
                ));
            }
            Ok(Fuzzy {
                key: key.clone(),
                values,
            })
        })
        .collect()
}
