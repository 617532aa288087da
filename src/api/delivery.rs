//! The calls that deliver an Available image: CopyImage, ModifyImageSharePermission,
//! TagResources, ModifyImageAttribute (family, deprecation). DeleteImage and DescribeImages are
//! in `super::operations`. Each client works in one region: CopyImage goes to the source
//! region's client, everything about a copy to its destination region's client.

use super::client::Client;
use super::error::ApiError;
use super::model::{CreateImageResponse, RequestIdOnly};
use super::operations::is_custom_image_id;
use crate::text::printable;

type Params = Vec<(String, String)>;

/// Accounts read from one ModifyImageSharePermission call: ECS ignores the ones past the
/// tenth without a word, so longer lists are sent in several calls.
pub const SHARE_ACCOUNTS_PER_CALL: usize = 10;
/// Resources and tags one TagResources call takes.
pub const TAG_RESOURCES_PER_CALL: usize = 50;
pub const TAGS_PER_CALL: usize = 20;

/// A CopyImage request, sent in the source image's region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRequest {
    pub image_id: String,
    pub destination_region: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Encrypted`: an image with encrypted snapshots can only be copied encrypted (ECS picks
    /// the key, and an image encrypted with the service key cannot be shared).
    pub encrypted: bool,
    /// `KMSKeyId` (capital KMS on the wire): the key in the destination region the copy is
    /// encrypted with; only with `encrypted`.
    pub kms_key_id: Option<String>,
    /// `ResourceGroupId`: a copy joins the default resource group unless told.
    pub resource_group_id: Option<String>,
    /// `Tag.N`: a copy has only the tags its request names.
    pub tags: Vec<(String, String)>,
    /// Every send of this copy carries it, so a resend never starts a second copy.
    pub client_token: String,
}

impl CopyRequest {
    pub fn to_params(&self) -> Params {
        let mut p: Params = vec![
            ("ImageId".into(), self.image_id.clone()),
            (
                "DestinationRegionId".into(),
                self.destination_region.clone(),
            ),
        ];
        if let Some(name) = &self.name {
            p.push(("DestinationImageName".into(), name.clone()));
        }
        if let Some(description) = &self.description {
            p.push(("DestinationDescription".into(), description.clone()));
        }
        for (i, (key, value)) in self.tags.iter().enumerate() {
            p.push((format!("Tag.{}.Key", i + 1), key.clone()));
            p.push((format!("Tag.{}.Value", i + 1), value.clone()));
        }
        // Its default is not settled in the references: always say it.
        p.push(("Encrypted".into(), self.encrypted.to_string()));
        if let Some(key) = &self.kms_key_id {
            p.push(("KMSKeyId".into(), key.clone()));
        }
        if let Some(group) = &self.resource_group_id {
            p.push(("ResourceGroupId".into(), group.clone()));
        }
        p.push(("ClientToken".into(), self.client_token.clone()));
        p
    }
}

/// What ModifyImageAttribute changes here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageChange {
    /// A copy does not inherit its source's family.
    Family(String),
    /// `Status=Deprecated`.
    Deprecate,
}

impl Client {
    /// CopyImage: the new image's ID (it exists in the destination region only) and the
    /// RequestId. Retried safely: the request's ClientToken makes a resend the same copy.
    pub async fn copy_image(&self, request: &CopyRequest) -> Result<(String, String), ApiError> {
        let r: CreateImageResponse = self.call("CopyImage", &request.to_params(), true).await?;
        if !is_custom_image_id(&r.image_id) {
            let what = format!(
                "CopyImage was accepted (RequestId {}) but named no usable ImageId; ECS may \
                 have started a copy under ClientToken {}",
                r.request_id, request.client_token
            );
            return Err(ApiError::decode(200, &what, b"", &self.redactor()));
        }
        let request_id = printable(&self.redactor().redact(&r.request_id), 128);
        Ok((r.image_id, request_id))
    }

    /// Shares `image_id` (in this client's region) with `accounts`, ten a call. Adding an
    /// account that has it already changes nothing, so a resend is harmless.
    pub async fn share_image(&self, image_id: &str, accounts: &[String]) -> Result<(), ApiError> {
        for batch in accounts.chunks(SHARE_ACCOUNTS_PER_CALL) {
            let mut p: Params = vec![("ImageId".into(), image_id.into())];
            p.extend(
                batch
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (format!("AddAccount.{}", i + 1), a.clone())),
            );
            let _: RequestIdOnly = self.call("ModifyImageSharePermission", &p, true).await?;
        }
        Ok(())
    }

    /// TagResources on `resource_type` (lowercase, e.g. `snapshot`) `ids` with `tags`, in
    /// calls of at most 50 resources and 20 tags. Setting a tag again overwrites it with the
    /// same value, so a resend is harmless.
    pub async fn tag_resources(
        &self,
        resource_type: &str,
        ids: &[String],
        tags: &[(String, String)],
    ) -> Result<(), ApiError> {
        for resources in ids.chunks(TAG_RESOURCES_PER_CALL) {
            for pairs in tags.chunks(TAGS_PER_CALL) {
                let mut p: Params = vec![("ResourceType".into(), resource_type.into())];
                for (i, id) in resources.iter().enumerate() {
                    p.push((format!("ResourceId.{}", i + 1), id.clone()));
                }
                for (i, (key, value)) in pairs.iter().enumerate() {
                    p.push((format!("Tag.{}.Key", i + 1), key.clone()));
                    p.push((format!("Tag.{}.Value", i + 1), value.clone()));
                }
                let _: RequestIdOnly = self.call("TagResources", &p, true).await?;
            }
        }
        Ok(())
    }

    /// ModifyImageAttribute with one change.
    pub async fn modify_image(&self, image_id: &str, change: &ImageChange) -> Result<(), ApiError> {
        let (name, value) = match change {
            ImageChange::Family(family) => ("ImageFamily", family.as_str()),
            ImageChange::Deprecate => ("Status", "Deprecated"),
        };
        let p: Params = vec![
            ("ImageId".into(), image_id.into()),
            (name.into(), value.into()),
        ];
        let _: RequestIdOnly = self.call("ModifyImageAttribute", &p, true).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_always_says_encrypted_and_carries_its_token() {
        let request = CopyRequest {
            image_id: "m-1".into(),
            destination_region: "cn-beijing".into(),
            name: Some("web-bj".into()),
            description: None,
            encrypted: false,
            kms_key_id: None,
            resource_group_id: None,
            tags: vec![("env".into(), "prod".into())],
            client_token: "tok".into(),
        };
        let p = request.to_params();
        let get = |n: &str| p.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("DestinationRegionId"), Some("cn-beijing"));
        assert_eq!(get("DestinationImageName"), Some("web-bj"));
        assert_eq!(get("DestinationDescription"), None);
        assert_eq!(get("Encrypted"), Some("false"));
        assert_eq!(get("Tag.1.Key"), Some("env"));
        assert_eq!(get("ClientToken"), Some("tok"));
        assert_eq!(get("KMSKeyId"), None);
        assert_eq!(get("ResourceGroupId"), None);

        let encrypted = CopyRequest {
            encrypted: true,
            kms_key_id: Some("key-bj".into()),
            resource_group_id: Some("rg-1".into()),
            ..request
        }
        .to_params();
        let get = |n: &str| {
            encrypted
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Encrypted"), Some("true"));
        assert_eq!(get("KMSKeyId"), Some("key-bj"));
        assert_eq!(get("ResourceGroupId"), Some("rg-1"));
    }
}
