//! Images: their disks, image check, copies and sharing, and the rendering kept once settled.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::{OsInfo, Phase, Risk, Timeline};

/// One disk of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDisk {
    /// Empty for an empty data disk.
    pub snapshot_id: String,
    pub device: String,
    /// `system` or `data`.
    pub disk_type: String,
    pub size: u32,
    pub encrypted: bool,
    /// This disk's share of the work (a created image), `None` for a seeded one.
    pub timeline: Option<Timeline>,
}

/// The image check requested with `DetectionStrategy=Standard`.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Runs after the image is ready; finished at the end of this timeline.
    pub timeline: Timeline,
    pub risks: Vec<Risk>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub id: String,
    pub name: String,
    pub family: String,
    pub version: String,
    pub description: String,
    /// Seeded status; for created images the timeline decides.
    pub status: String,
    pub timeline: Option<Timeline>,
    pub creation_time: DateTime<Utc>,
    pub owner_alias: String,
    pub os: OsInfo,
    pub size: u32,
    pub disks: Vec<ImageDisk>,
    pub tags: Vec<(String, String)>,
    pub resource_group_id: String,
    pub detection: Option<Detection>,
    pub secure_boot: String,
    /// What copying, sharing and attribute changes did to it.
    pub delivery: Delivery,
    /// The DescribeImages rendering, kept once nothing in it can change any more.
    pub rendered: RenderCache,
}

/// Where a copied image came from (CopyImage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    pub region: String,
    pub image_id: String,
}

/// An image's state after it was made: the delivery operations (CopyImage,
/// ModifyImageSharePermission, ModifyImageAttribute) change only this part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Set on a copy: the image it was copied from.
    pub copied_from: Option<CopySource>,
    /// Accounts the image is shared with, and since when.
    pub shared_with: BTreeMap<String, DateTime<Utc>>,
    /// Published as a community image (`IsPublic=true`).
    pub community: bool,
    /// `Status=Deprecated` (shown only while the image is otherwise Available).
    pub deprecated: bool,
    /// `BYOL` once set; `Auto` otherwise.
    pub license_type: Option<String>,
    /// `Features.NvmeSupport` once set; else derived from the architecture.
    pub nvme_support: Option<String>,
    /// The customer master key of an encrypted copy; empty means the service key.
    pub kms_key_id: String,
}

impl Delivery {
    pub fn is_shared(&self) -> bool {
        !self.shared_with.is_empty() || self.community
    }
}

/// A record's JSON, rendered once the record has settled (see `ops::images`): a listing then
/// copies bytes instead of serializing dozens of fields per row. Filled through a shared
/// reference, so readers holding the read lock can fill it; a clone starts from the same
/// rendering, and it never takes part in equality.
#[derive(Debug, Clone, Default)]
pub struct RenderCache(OnceLock<Box<RawValue>>);

impl RenderCache {
    pub fn get(&self) -> Option<&RawValue> {
        self.0.get().map(|raw| &**raw)
    }

    /// Keeps `raw` unless another reader got there first; returns what is kept.
    pub fn keep(&self, raw: Box<RawValue>) -> &RawValue {
        self.0.get_or_init(|| raw)
    }
}

impl PartialEq for RenderCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Image {
    /// `(status, percent)` at `now`.
    ///
    /// A timeline that starts in the future is a queued copy: `Waiting`. A deprecated image
    /// reads `Deprecated` once it would otherwise be `Available`.
    pub fn status_at(&self, now: DateTime<Utc>, speed: f64) -> (&str, u8) {
        let (status, percent) = match self.timeline {
            Some(t) if t.start > now => ("Waiting", 0),
            Some(t) => match t.phase(now, speed) {
                Phase::Running { percent, .. } => ("Creating", percent),
                Phase::Done => ("Available", 100),
                Phase::Failed { percent } => ("CreateFailed", percent),
            },
            None => {
                let percent = if self.status == "Available" { 100 } else { 0 };
                (self.status.as_str(), percent)
            }
        };
        if self.delivery.deprecated && status == "Available" {
            return ("Deprecated", percent);
        }
        (status, percent)
    }

    /// Whether the image is still being made (created, copied or queued to be copied).
    pub fn in_progress(&self, now: DateTime<Utc>, speed: f64) -> bool {
        matches!(self.status_at(now, speed).0, "Creating" | "Waiting")
    }

    /// Forgets the kept rendering after a change (tags, sharing, attributes).
    pub fn touch(&mut self) {
        self.rendered = RenderCache::default();
    }

    pub fn is_custom(&self) -> bool {
        self.owner_alias == "self"
    }
}
