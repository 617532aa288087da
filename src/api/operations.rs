//! The typed operations ecsimg calls: ECS's Describe calls, CreateImage and DeleteImage, and
//! Resource Manager's ListResourceGroups (StopInstances and StartInstances are in
//! `super::power`). Each is one [`Client`] method over the call and paging machinery.

use futures::{Stream, TryStreamExt};

use super::client::Client;
use super::error::ApiError;
use super::model::{
    CallerIdentity, CreateImageResponse, DescribeDisksResponse, DescribeImagesResponse,
    DescribeInstancesResponse, DescribeRegionsResponse, DescribeSnapshotsResponse, Disk, DiskQuery,
    Image, ImageQuery, Instance, InstanceQuery, ListResourceGroupsResponse, Region, RequestIdOnly,
    ResourceGroup, Snapshot, SnapshotQuery,
};
use super::product;
use crate::text::printable;

type Params = Vec<(String, String)>;

/// The result of a CreateImage call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateImageAnswer {
    /// The image is being built; poll DescribeImages for its progress.
    Created {
        image_id: String,
        request_id: String,
        /// The token every attempt carried; sending it again can never make a second image.
        client_token: String,
    },
    /// A `DryRun=true` request passed every check (the service's `DryRunOperation` answer).
    DryRunPassed { request_id: String },
}

impl Client {
    /// Every region the account can use (names in English).
    pub async fn describe_regions(&self) -> Result<Vec<Region>, ApiError> {
        let params = vec![("AcceptLanguage".to_string(), "en-US".to_string())];
        let response: DescribeRegionsResponse = self.call("DescribeRegions", &params, true).await?;
        Ok(response.regions.region)
    }

    /// Instances page by page, so a picker can show page 1 while the rest load.
    pub fn describe_instances(
        &self,
        query: &InstanceQuery,
    ) -> impl Stream<Item = Result<Vec<Instance>, ApiError>> + Send + 'static {
        self.pages::<DescribeInstancesResponse>("DescribeInstances", query.to_params())
    }

    pub async fn describe_instances_all(
        &self,
        query: &InstanceQuery,
    ) -> Result<Vec<Instance>, ApiError> {
        self.describe_instances(query).try_concat().await
    }

    pub fn describe_disks(
        &self,
        query: &DiskQuery,
    ) -> impl Stream<Item = Result<Vec<Disk>, ApiError>> + Send + 'static {
        self.pages::<DescribeDisksResponse>("DescribeDisks", query.to_params())
    }

    pub async fn describe_disks_all(&self, query: &DiskQuery) -> Result<Vec<Disk>, ApiError> {
        self.describe_disks(query).try_concat().await
    }

    pub fn describe_snapshots(
        &self,
        query: &SnapshotQuery,
    ) -> impl Stream<Item = Result<Vec<Snapshot>, ApiError>> + Send + 'static {
        self.pages::<DescribeSnapshotsResponse>("DescribeSnapshots", query.to_params())
    }

    pub async fn describe_snapshots_all(
        &self,
        query: &SnapshotQuery,
    ) -> Result<Vec<Snapshot>, ApiError> {
        self.describe_snapshots(query).try_concat().await
    }

    pub fn describe_images(
        &self,
        query: &ImageQuery,
    ) -> impl Stream<Item = Result<Vec<Image>, ApiError>> + Send + 'static {
        self.pages::<DescribeImagesResponse>("DescribeImages", query.to_params())
    }

    pub async fn describe_images_all(&self, query: &ImageQuery) -> Result<Vec<Image>, ApiError> {
        self.describe_images(query).try_concat().await
    }

    /// Sends CreateImage with the flattened parameters of a spec (`spec::to_params()`).
    ///
    /// Without a (non-empty) `ClientToken` one is generated, and every retry of this call
    /// reuses it, so retries can never create a second image. `DryRun=true` requests end in
    /// [`CreateImageAnswer::DryRunPassed`] when every check passes.
    pub async fn create_image(
        &self,
        params: &[(String, String)],
    ) -> Result<CreateImageAnswer, ApiError> {
        let mut params = params.to_vec();
        let given = params
            .iter()
            .find(|(name, value)| name == "ClientToken" && !value.is_empty())
            .map(|(_, value)| value.clone());
        let client_token = match given {
            Some(token) => token,
            None => {
                params.retain(|(name, _)| name != "ClientToken");
                let token = uuid::Uuid::new_v4().to_string();
                params.push(("ClientToken".into(), token.clone()));
                token
            }
        };
        match self
            .call::<CreateImageResponse>("CreateImage", &params, true)
            .await
        {
            Ok(r) if is_custom_image_id(&r.image_id) => Ok(CreateImageAnswer::Created {
                image_id: r.image_id,
                request_id: printable(&self.redactor().redact(&r.request_id), 128),
                client_token,
            }),
            Ok(r) => {
                let answer = if r.image_id.is_empty() {
                    "named no ImageId".to_string()
                } else {
                    format!(
                        "named ImageId \"{}\", which is not a custom image ID (m- followed by \
                         lowercase letters and digits)",
                        r.image_id
                    )
                };
                let what = format!(
                    "CreateImage was accepted (RequestId {}) but its answer {answer}; ECS may \
                     have built an image under ClientToken {client_token}",
                    r.request_id
                );
                Err(ApiError::decode(200, &what, b"", &self.redactor()))
            }
            Err(ApiError::Service(e)) if e.code == "DryRunOperation" => {
                Ok(CreateImageAnswer::DryRunPassed {
                    request_id: e.request_id,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Deletes a custom image; `force` deletes it even while instances use it. Returns the
    /// RequestId.
    pub async fn delete_image(&self, image_id: &str, force: bool) -> Result<String, ApiError> {
        let response: RequestIdOnly = self
            .call("DeleteImage", &delete_image_params(image_id, force), false)
            .await?;
        Ok(response.request_id)
    }

    // Resource Manager

    /// The account's resource groups (ListResourceGroups, every status), page by page: the
    /// IDs CreateImage's `ResourceGroupId` takes. Account-wide, so no region is sent.
    /// STS GetCallerIdentity: the account (and principal) these credentials belong to. Any
    /// caller may ask; the answer names the account in a build's RAM policy.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, ApiError> {
        let identity: CallerIdentity = self
            .call_to(&product::STS, "GetCallerIdentity", &[], true)
            .await?;
        // The account is put into ARNs: only digits are taken for one.
        if identity.account_id.is_empty()
            || !identity.account_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ApiError::decode(
                200,
                "the GetCallerIdentity answer has no account ID of digits",
                identity.account_id.as_bytes(),
                &self.redactor(),
            ));
        }
        Ok(identity)
    }

    pub fn list_resource_groups(
        &self,
    ) -> impl Stream<Item = Result<Vec<ResourceGroup>, ApiError>> + Send + 'static {
        self.pages::<ListResourceGroupsResponse>("ListResourceGroups", Ok(Params::new()))
    }
}

/// DeleteImage's parameters.
pub fn delete_image_params(image_id: &str, force: bool) -> Params {
    vec![
        ("ImageId".to_string(), image_id.to_string()),
        ("Force".to_string(), force.to_string()),
    ]
}

/// The ImageId CreateImage gives a custom image: `m-` and lowercase letters and digits (the
/// length varies). Only for that answer: public images' IDs follow no such pattern.
pub fn is_custom_image_id(id: &str) -> bool {
    id.strip_prefix("m-").is_some_and(|rest| {
        (1..=64).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_image_ids_have_one_shape() {
        for good in ["m-bp1x4r2ojecxks63w1aa", "m-2ze0gqe1d6ykh6zz9g", "m-1"] {
            assert!(is_custom_image_id(good), "{good}");
        }
        for bad in [
            "",
            "m-",
            "M-bp1abc",
            "m-BP1ABC",
            "m-bp1_abc",
            "m-bp1abc\u{1b}[31m",
            "../../etc/passwd",
            "ubuntu_22_04_x64_20G_alibase_20240101.vhd",
            &format!("m-{}", "a".repeat(65)),
        ] {
            assert!(!is_custom_image_id(bad), "{bad:?}");
        }
    }
}
