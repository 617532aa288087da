//! What happens to an image once it is Available: copies to other regions, sharing with other
//! accounts, tags on its snapshots, and retiring older images of its family (README,
//! "Delivery"). The recipe's `[delivery]` table, checked in `validate`; the engine in
//! `crate::delivery` carries it out.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `[delivery]`: every list in the user's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySpec {
    /// Regions CopyImage copies the image to.
    pub copy_to: Vec<String>,
    /// Account IDs the image (and every copy) is shared with.
    pub share_with: Vec<String>,
    /// Put the image's tags on its snapshots and on its copies' snapshots.
    pub tag_snapshots: bool,
    pub retire: Option<RetirePlan>,
    /// `DestinationImageName` of each copy, [`REGION_PLACEHOLDER`] replaced by its region;
    /// `None` keeps the image's name.
    #[serde(default)]
    pub copy_name: Option<String>,
    /// `DestinationDescription`, likewise; `None` keeps the image's description.
    #[serde(default)]
    pub copy_description: Option<String>,
    /// Every copy is made encrypted (`Encrypted=true`), with its region's key from
    /// `kms_key_ids`. Without it a copy is encrypted only when the image is.
    #[serde(default)]
    pub encrypt_copies: bool,
    /// `[delivery.kms_key_ids]`: region → KMS key ID (`KMSKeyId`), in the user's order. A key
    /// belongs to one region, so each destination names its own.
    #[serde(default)]
    pub kms_key_ids: Vec<(String, String)>,
}

/// In `copy_name` and `copy_description`: the copy's region.
pub const REGION_PLACEHOLDER: &str = "{region}";
/// In `copy_name` and `copy_description`: the UTC date the copy was first sent, `YYYYMMDD`
/// (a resend keeps the first date, so it stays the same request for its ClientToken).
pub const COPY_DATE_PLACEHOLDER: &str = "{date}";

/// How a copy is encrypted: `Encrypted`, and `KMSKeyId` when the recipe names one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyEncryption {
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
}

impl DeliverySpec {
    /// The name and description of the copy in `region`, given the image's own, as a preview
    /// shows them: `{date}` stays until the copy is sent.
    pub fn copy_text(
        &self,
        region: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> (Option<String>, Option<String>) {
        self.copy_text_on(region, None, name, description)
    }

    /// The name and description of the copy in `region` sent on `date` (`None`: `{date}` is
    /// left as it is).
    pub fn copy_text_on(
        &self,
        region: &str,
        date: Option<chrono::NaiveDate>,
        name: Option<&str>,
        description: Option<&str>,
    ) -> (Option<String>, Option<String>) {
        let fill = |own: &Option<String>, image: Option<&str>| {
            own.as_deref()
                .map(|t| fill_copy_text(t, region, date))
                .or_else(|| image.map(str::to_string))
        };
        (
            fill(&self.copy_name, name),
            fill(&self.copy_description, description),
        )
    }

    /// The KMS key named for `region`.
    pub fn kms_key_id(&self, region: &str) -> Option<&str> {
        self.kms_key_ids
            .iter()
            .find(|(r, _)| r == region)
            .map(|(_, key)| key.as_str())
    }

    /// How the copy in `region` is encrypted. An image with encrypted snapshots can only be
    /// copied encrypted, with or without `encrypt_copies`; the key is the recipe's, else the
    /// one ECS picks (the service key, presumably: which one is not stated in the
    /// references).
    pub fn copy_encryption(&self, region: &str, image_encrypted: bool) -> CopyEncryption {
        let encrypted = self.encrypt_copies || image_encrypted;
        CopyEncryption {
            encrypted,
            kms_key_id: self
                .kms_key_id(region)
                .filter(|_| self.encrypt_copies)
                .map(str::to_string),
        }
    }
}

/// `text` with `{region}` and, given a date, `{date}` filled in.
pub fn fill_copy_text(text: &str, region: &str, date: Option<chrono::NaiveDate>) -> String {
    let text = text.replace(REGION_PLACEHOLDER, region);
    match date {
        Some(date) => text.replace(COPY_DATE_PLACEHOLDER, &date.format("%Y%m%d").to_string()),
        None => text,
    }
}

impl DeliverySpec {
    /// Whether the table asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.copy_to.is_empty()
            && self.share_with.is_empty()
            && !self.tag_snapshots
            && self.retire.is_none()
    }
}

/// `[delivery.retire]`: older images of the family, in every delivered region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetirePlan {
    /// Newest images of the family kept, the new one included (at least 1).
    pub keep: u32,
    pub action: RetireAction,
}

/// What happens to an image past `keep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetireAction {
    /// ModifyImageAttribute `Status=Deprecated`: still launches instances, leaves the family.
    Deprecate,
    /// DeleteImage without `Force`: an image instances use is refused and left alone.
    Delete,
}

impl RetireAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RetireAction::Deprecate => "deprecate",
            RetireAction::Delete => "delete",
        }
    }
}

impl FromStr for RetireAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "deprecate" => Ok(RetireAction::Deprecate),
            "delete" => Ok(RetireAction::Delete),
            other => Err(format!(
                "The retire action {other:?} is not one ecsimg knows; use \"deprecate\" (the \
                 image stays usable but leaves the family) or \"delete\"."
            )),
        }
    }
}

impl fmt::Display for RetireAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retire_actions_parse_exactly() {
        assert_eq!("delete".parse(), Ok(RetireAction::Delete));
        let err = "Delete".parse::<RetireAction>().unwrap_err();
        assert!(err.contains("\"deprecate\""), "{err}");
    }
}
