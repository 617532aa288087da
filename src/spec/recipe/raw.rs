//! The recipe document as TOML has it: raw, spanned values in the file's shape, before any rule
//! is applied; also what a spec is written back as.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::Spanned;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecipe {
    pub(super) region: Spanned<String>,
    // Plain keys before tables, as TOML requires when writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) client_token: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) source: Option<Spanned<RawSource>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) image: Option<RawImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) features: Option<RawFeatures>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tags: Option<Spanned<RawTags>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) delivery: Option<Spanned<RawDelivery>>,
}

/// `[delivery]`.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelivery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) copy_to: Option<Vec<Spanned<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) share_with: Option<Vec<Spanned<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tag_snapshots: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) copy_name: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) copy_description: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) encrypt_copies: Option<Spanned<bool>>,
    // Tables after plain keys, as TOML requires when writing.
    /// `[delivery.kms_key_ids]`: region → key ID, in document order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) kms_key_ids: Option<Spanned<RawTags>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) retire: Option<Spanned<RawRetire>>,
}

/// `[delivery.retire]`: both keys are needed, as retiring is not something to default into.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetire {
    /// Signed so a negative count gets our message, not serde's.
    pub(super) keep: Spanned<i64>,
    pub(super) action: Spanned<String>,
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) instance_id: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) snapshot_id: Option<Spanned<String>>,
    /// `keep-charging` or `stop-charging`: stop a Running instance before CreateImage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) stop: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) force_stop: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) restart: Option<Spanned<bool>>,
    // Arrays of tables after plain keys, as TOML requires when writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) disks: Option<Vec<Spanned<RawDisk>>>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisk {
    pub(super) disk_type: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) snapshot_id: Option<Spanned<String>>,
    /// Signed so a negative size gets our message, not serde's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) size: Option<Spanned<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) device: Option<Spanned<String>>,
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) family: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) version: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) platform: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) architecture: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) boot_mode: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) resource_group_id: Option<Spanned<String>>,
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeatures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) imds_support: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) detection_strategy: Option<Spanned<String>>,
}

/// `[tags]` (and `[delivery.kms_key_ids]`) as ordered pairs. TOML tables are unordered and the
/// parser hands keys over sorted, so document order is recovered from the key spans.
#[derive(Debug, Default, PartialEq)]
pub(super) struct RawTags(pub(super) Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for RawTags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = RawTags;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of keys and string values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTags, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) =
                    map.next_entry::<Spanned<String>, Spanned<TagValue>>()?
                {
                    let span = value.span();
                    pairs.push((key, Spanned::new(span, value.into_inner().0)));
                }
                pairs.sort_by_key(|(k, _)| k.span().start);
                Ok(RawTags(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// A tag value, with a hint for the easy mistake of an unquoted dotted key (`a.b = "x"`
/// makes a nested table in TOML).
struct TagValue(pub(super) String);

impl<'de> Deserialize<'de> for TagValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = TagValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string value (quote keys that contain dots: \"app.tier\" = \"web\")")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TagValue, E> {
                Ok(TagValue(v.to_owned()))
            }
        }
        d.deserialize_str(Text)
    }
}

impl Serialize for RawTags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.get_ref(), v.get_ref())?;
        }
        map.end()
    }
}
