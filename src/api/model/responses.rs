//! Whole answers: the envelope each operation answers with around the resources.

use serde::{Deserialize, Serialize};

use super::resources::{
    Disks, Images, InstanceResponses, Instances, Regions, ResourceGroupList, Snapshots,
};
use crate::api::lenient;

// Whole responses

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRegionsResponse {
    pub request_id: String,
    pub regions: Regions,
}

/// DescribeInstances pages by `NextToken` (as do disks and snapshots).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstancesResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    /// Empty or absent on the last page.
    #[serde(deserialize_with = "lenient::text")]
    pub next_token: String,
    pub instances: Instances,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeDisksResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::text")]
    pub next_token: String,
    pub disks: Disks,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSnapshotsResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::text")]
    pub next_token: String,
    pub snapshots: Snapshots,
}

/// DescribeImages pages by number, not token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeImagesResponse {
    pub request_id: String,
    pub region_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u64,
    pub images: Images,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateImageResponse {
    pub request_id: String,
    pub image_id: String,
}

/// The answer of StopInstances, and of StartInstances (the same shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StopInstancesResponse {
    pub request_id: String,
    pub instance_responses: InstanceResponses,
}

/// Answers that carry nothing but the request id (DeleteImage).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RequestIdOnly {
    pub request_id: String,
}

/// STS GetCallerIdentity: whose credentials signed the call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CallerIdentity {
    /// The account's UID (digits), what resource ARNs name.
    pub account_id: String,
    /// `acs:ram::<account>:user/<name>`, `…:assumed-role/<role>/<session>`, or `…:root`.
    pub arn: String,
    /// `Account`, `RAMUser` or `AssumedRoleUser`.
    pub identity_type: String,
}

/// ListResourceGroups pages by number, as DescribeImages does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListResourceGroupsResponse {
    pub request_id: String,
    #[serde(deserialize_with = "lenient::number")]
    pub total_count: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_number: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub page_size: u64,
    pub resource_groups: ResourceGroupList,
}
