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
        for p in share_calls(image_id, accounts) {
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
        for p in tag_calls(resource_type, ids, tags) {
            let _: RequestIdOnly = self.call("TagResources", &p, true).await?;
        }
        Ok(())
    }

    /// ModifyImageAttribute with one change.
    pub async fn modify_image(&self, image_id: &str, change: &ImageChange) -> Result<(), ApiError> {
        let _: RequestIdOnly = self
            .call("ModifyImageAttribute", &change.to_params(image_id), true)
            .await?;
        Ok(())
    }

    /// `action` with `params` and `DryRun=true`: ECS checks the call and does nothing. The
    /// RequestId of its `DryRunOperation` answer when every check passed; the refusal
    /// otherwise. Only for the calls that take `DryRun` ([`ACCEPTS_DRY_RUN`]).
    pub async fn dry_run(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<String, ApiError> {
        if !ACCEPTS_DRY_RUN.contains(&action) {
            return Err(ApiError::InvalidRequest {
                detail: format!("{action} takes no DryRun parameter; it cannot be checked so"),
            });
        }
        let mut p: Params = params
            .iter()
            .filter(|(name, _)| name != "DryRun")
            .cloned()
            .collect();
        p.push(("DryRun".into(), "true".into()));
        match self.call::<RequestIdOnly>(action, &p, true).await {
            Err(ApiError::Service(e)) if e.code == "DryRunOperation" => {
                Ok(printable(&self.redactor().redact(&e.request_id), 128))
            }
            Err(e) => Err(e),
            // A success means the endpoint ignored DryRun and acted.
            Ok(r) => {
                let what = format!(
                    "{action} with DryRun=true was carried out (RequestId {}): the endpoint \
                     ignored DryRun; check the endpoint setting and what the call changed",
                    r.request_id
                );
                Err(ApiError::decode(200, &what, b"", &self.redactor()))
            }
        }
    }
}

/// The delivery calls that take `DryRun` (CancelCopyImage, the tag calls and
/// DescribeImageSharePermission do not).
pub const ACCEPTS_DRY_RUN: [&str; 4] = [
    "CopyImage",
    "ModifyImageSharePermission",
    "ModifyImageAttribute",
    "DeleteImage",
];

impl ImageChange {
    /// ModifyImageAttribute's parameters for this change of `image_id`.
    pub fn to_params(&self, image_id: &str) -> Params {
        let (name, value) = match self {
            ImageChange::Family(family) => ("ImageFamily", family.as_str()),
            ImageChange::Deprecate => ("Status", "Deprecated"),
        };
        vec![
            ("ImageId".into(), image_id.into()),
            (name.into(), value.into()),
        ]
    }
}

/// ModifyImageSharePermission's parameters sharing `image_id` with `accounts`: one call per
/// ten accounts (ECS ignores the ones past the tenth without a word).
pub fn share_calls(image_id: &str, accounts: &[String]) -> Vec<Params> {
    accounts
        .chunks(SHARE_ACCOUNTS_PER_CALL)
        .map(|batch| {
            let mut p: Params = vec![("ImageId".into(), image_id.into())];
            p.extend(
                batch
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (format!("AddAccount.{}", i + 1), a.clone())),
            );
            p
        })
        .collect()
}

/// TagResources' parameters tagging `ids` of `resource_type` with `tags`: one call per 50
/// resources and 20 tags.
pub fn tag_calls(resource_type: &str, ids: &[String], tags: &[(String, String)]) -> Vec<Params> {
    let mut calls = Vec::new();
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
            calls.push(p);
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::client::ClientConfig;
    use crate::api::endpoint::Endpoint;
    use crate::api::sign::Credentials;
    use crate::secret::Secret;

    #[tokio::test]
    async fn a_call_without_dry_run_is_refused_before_it_is_sent() {
        let credentials = Credentials {
            access_key_id: "testid".into(),
            access_key_secret: Secret::new("testsecret"),
            security_token: None,
        };
        // Nothing listens there: an attempt to send would be a transport error.
        let config = ClientConfig::new("cn-hangzhou", credentials)
            .with_endpoint(Endpoint::parse("http://127.0.0.1:9").expect("endpoint"));
        let client = Client::new(config).expect("client");
        let err = client
            .dry_run(
                "TagResources",
                &[("ResourceType".into(), "snapshot".into())],
            )
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, ApiError::InvalidRequest { detail } if detail.contains("takes no DryRun")),
            "{err:?}"
        );
    }

    #[test]
    fn shares_go_ten_accounts_a_call_and_tags_twenty_a_call() {
        let accounts: Vec<String> = (0..21).map(|i| format!("1{i:015}")).collect();
        let calls = share_calls("m-1", &accounts);
        assert_eq!(calls.len(), 3);
        assert_eq!(
            calls[2],
            [
                ("ImageId".into(), "m-1".into()),
                ("AddAccount.1".into(), accounts[20].clone())
            ]
        );
        let tags: Vec<(String, String)> =
            (0..21).map(|i| (format!("k{i}"), String::new())).collect();
        let calls = tag_calls("snapshot", &["s-1".into()], &tags);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1][2], ("Tag.1.Key".into(), "k20".into()));
        assert_eq!(
            calls[1][3],
            ("Tag.1.Value".into(), String::new()),
            "an empty value is sent"
        );
    }

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
