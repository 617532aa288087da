//! Building blocks of ECS JSON answers, shared by every operation.
//!
//! Answers are typed structs serialized straight into the response bytes: no intermediate
//! `serde_json::Value` tree (building one and copying it into the next level cost more than all
//! the rest of a DescribeImages call), and each struct documents a shape the official SDK
//! models read.

use super::super::error::SimError;
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;

/// ECS wraps every list in an object with one key named for the item:
/// `"Tags": {"Tag": [...]}`, `"Images": {"Image": [...]}`.
#[derive(Debug)]
pub struct Wrapped<T> {
    key: &'static str,
    items: T,
}

impl<T> Wrapped<T> {
    pub fn new(key: &'static str, items: T) -> Self {
        Self { key, items }
    }
}

impl<T: Serialize> Serialize for Wrapped<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.key, &self.items)?;
        map.end()
    }
}

/// An empty ECS list: `{"OperationLock": []}`.
pub fn empty(item: &'static str) -> Wrapped<[(); 0]> {
    Wrapped::new(item, [])
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag<'a> {
    tag_key: &'a str,
    tag_value: &'a str,
}

/// `{"Tag": [{"TagKey": .., "TagValue": ..}]}`.
pub fn tags(tags: &[(String, String)]) -> Wrapped<Vec<Tag<'_>>> {
    let tags = tags
        .iter()
        .map(|(key, value)| Tag {
            tag_key: key,
            tag_value: value,
        })
        .collect();
    Wrapped::new("Tag", tags)
}

/// A resource time as ECS writes it: `yyyy-MM-ddTHH:mm:ssZ`, or `yyyy-MM-ddTHH:mmZ` where ECS
/// gives minutes only (DescribeInstances). Written digit by digit: parsing a strftime pattern
/// for every field of every row showed up in profiles.
#[derive(Debug, Clone, Copy)]
pub struct Time {
    at: DateTime<Utc>,
    seconds: bool,
}

impl Time {
    pub fn seconds(at: DateTime<Utc>) -> Self {
        Self { at, seconds: true }
    }

    pub fn minutes(at: DateTime<Utc>) -> Self {
        Self { at, seconds: false }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.at;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        )?;
        if self.seconds {
            write!(f, ":{:02}", t.second())?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A progress string: `42%`.
#[derive(Debug, Clone, Copy)]
pub struct Percent(pub u8);

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}%", self.0))
    }
}

/// A value ECS leaves as an empty string when there is none (a detached disk's `AttachedTime`,
/// a seeded image disk's `Progress`), where JSON would say `null`.
#[derive(Debug, Clone, Copy)]
pub struct OrEmpty<T>(pub Option<T>);

impl<T: Serialize> Serialize for OrEmpty<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(value) => value.serialize(serializer),
            None => serializer.serialize_str(""),
        }
    }
}

/// A whole answer: the operation's fields plus `RequestId`.
#[derive(serde::Serialize)]
struct Reply<'a, T> {
    #[serde(rename = "RequestId")]
    request_id: &'a str,
    #[serde(flatten)]
    body: T,
}

/// Serializes `body` with `RequestId` into response bytes. Writing into a Vec has no I/O to
/// fail, so an error here is a bug in a `Serialize` impl: it becomes `InternalError`.
pub fn reply<T: Serialize>(request_id: &str, body: T) -> Result<Vec<u8>, SimError> {
    // A page of ten images is about 6.5 KB: one allocation serves most answers.
    let mut out = Vec::with_capacity(8 * 1024);
    serde_json::to_writer(&mut out, &Reply { request_id, body }).map_err(|e| {
        tracing::error!(error = %e, "serializing an answer failed");
        SimError::internal_error()
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_written_as_ecs_does() {
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 0, 1, 30).unwrap();
        assert_eq!(Time::seconds(at).to_string(), "2024-05-01T00:01:30Z");
        assert_eq!(Time::minutes(at).to_string(), "2024-05-01T00:01Z");
    }

    #[test]
    fn replies_carry_the_request_id_beside_the_wrapped_lists() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Body<'a> {
            progress: Percent,
            pending: OrEmpty<Percent>,
            tags: Wrapped<Vec<Tag<'a>>>,
            locks: Wrapped<[(); 0]>,
        }
        let tags = vec![("env".to_string(), "prod".to_string())];
        let body = Body {
            progress: Percent(42),
            pending: OrEmpty(None),
            tags: super::tags(&tags),
            locks: empty("Lock"),
        };
        let json: serde_json::Value = serde_json::from_slice(&reply("R-1", body).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "RequestId": "R-1",
                "Progress": "42%",
                "Pending": "",
                "Tags": {"Tag": [{"TagKey": "env", "TagValue": "prod"}]},
                "Locks": {"Lock": []},
            })
        );
    }
}
