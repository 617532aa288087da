//! What the live account says that the rules need: facts about the snapshots a spec uses and
//! the names already taken, gathered by the wizard (or a caller) and handed to
//! [`validate_with`](super::validate_with).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::DiskType;
use crate::api::model::{Disk, Snapshot};

/// What `DescribeSnapshots` says about a snapshot the spec uses ([`SnapshotFacts::of`] reads a
/// row); `None` where the row did not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFacts {
    /// `SourceDiskSize`, GiB.
    pub size_gib: Option<u32>,
    /// `Status`: only `accomplished` can become an image.
    pub status: String,
    /// `Progress`, percent.
    pub progress: Option<u8>,
    pub creation_time: Option<DateTime<Utc>>,
    /// `SourceDiskType`.
    pub source_disk_type: DiskType,
    pub encrypted: bool,
    /// `KMSKeyId`: the key an encrypted snapshot is encrypted with; empty for the service key.
    pub kms_key_id: String,
    /// `Category`: `standard`, `flash` or `archive` (empty when not listed).
    pub category: String,
}

impl SnapshotFacts {
    pub const READY_STATUS: &'static str = "accomplished";

    /// What a DescribeSnapshots row says; fields it lacks or garbles stay unknown.
    pub fn of(s: &Snapshot) -> SnapshotFacts {
        SnapshotFacts {
            size_gib: s.source_disk_size_gib().and_then(|g| u32::try_from(g).ok()),
            status: s.status.clone(),
            progress: s.progress_percent(),
            creation_time: DateTime::parse_from_rfc3339(&s.creation_time)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            source_disk_type: if s.is_system_disk() {
                DiskType::System
            } else {
                DiskType::Data
            },
            encrypted: s.encrypted,
            kms_key_id: s.kms_key_id.clone(),
            category: s.category.clone(),
        }
    }
}

/// Live data for [`validate_with`](super::validate_with). Snapshots missing from the map are not checked: the caller
/// may have loaded only some.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub snapshots: HashMap<String, SnapshotFacts>,
    /// Instances whose disks DescribeDisks listed, without a system disk among them.
    pub instances_without_system_disk: HashSet<String>,
    /// Names of the account's custom images in the spec's region.
    pub image_names_in_region: HashSet<String>,
    /// The disks of instances DescribeDisks listed (all of them), as CreateImage takes them
    /// into an image: how each is encrypted.
    pub instance_disks: HashMap<String, Vec<DiskKey>>,
}

/// How one disk of a source is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskKey {
    /// The disk's name, else its ID.
    pub disk: String,
    pub encrypted: bool,
    /// `KMSKeyId`; empty for the service key.
    pub kms_key_id: String,
}

impl Facts {
    /// Remembers every disk of `instance_id` as DescribeDisks listed them.
    pub fn learn_instance_disks(&mut self, instance_id: &str, disks: &[Disk]) {
        let keys = disks
            .iter()
            .map(|d| DiskKey {
                disk: if d.disk_name.is_empty() {
                    d.disk_id.clone()
                } else {
                    d.disk_name.clone()
                },
                encrypted: d.encrypted,
                kms_key_id: d.kms_key_id.clone(),
            })
            .collect();
        self.instance_disks.insert(instance_id.to_string(), keys);
    }
}
