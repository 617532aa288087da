//! Which instances and snapshots CreateImage can build from, judged from what DescribeInstances,
//! DescribeDisks and DescribeSnapshots list. The wizard's pickers mark a row before it is chosen
//! and [`validate_with`](super::validate_with) refuses a spec that names one, with the same
//! words; every rule here is one the CreateImage reference states.

use std::fmt;

use super::facts::SnapshotFacts;
use super::{DiskType, rules};
use crate::api::model::{Disk, Instance, Snapshot};

/// Why a resource cannot be used, and the error code CreateImage would answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub code: &'static str,
    /// A clause without a subject ("still being created (43%); …"), short enough for one row
    /// of a list at 80 columns.
    pub reason: String,
}

impl Unusable {
    fn new(code: &'static str, reason: impl Into<String>) -> Unusable {
        Unusable {
            code,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// What a snapshot is to become in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotRole {
    /// `SnapshotId`: the image's only disk, its system disk.
    Alone,
    /// The system disk of a disk mapping.
    SystemDisk,
    /// A data disk of a disk mapping.
    DataDisk,
}

/// Why an instance cannot become an image, as DescribeInstances lists it.
pub fn instance(i: &Instance) -> Option<Unusable> {
    if i.is_security_locked() {
        Some(Unusable::new(
            "InstanceLockedForSecurity",
            "locked for security reasons (InstanceLockedForSecurity)",
        ))
    } else if !i.can_create_image() {
        Some(Unusable::new(
            "IncorrectInstanceStatus",
            format!(
                "{}: only Running or Stopped instances can become images",
                i.status
            ),
        ))
    } else {
        None
    }
}

/// Why an instance with these disks (DescribeDisks, complete) cannot become an image.
pub fn instance_disks(disks: &[Disk]) -> Option<Unusable> {
    (!disks.iter().any(Disk::is_system)).then(|| {
        Unusable::new(
            "InvalidInstance.NotFoundSystemDisk",
            "no system disk (DescribeDisks lists none); build from snapshots instead",
        )
    })
}

/// Why a listed snapshot cannot play `role`: the first reason.
pub fn snapshot(s: &Snapshot, role: SnapshotRole) -> Option<Unusable> {
    snapshot_problems(&SnapshotFacts::of(s), role)
        .into_iter()
        .next()
}

/// Every reason a snapshot with these facts cannot play `role`.
pub fn snapshot_problems(facts: &SnapshotFacts, role: SnapshotRole) -> Vec<Unusable> {
    let mut out = Vec::new();
    match facts.status.as_str() {
        SnapshotFacts::READY_STATUS => {}
        "progressing" => out.push(Unusable::new(
            "InvalidSnapshotId.NotReady",
            format!(
                "still being created ({}); only finished snapshots can become images",
                facts
                    .progress
                    .map_or("in progress".to_owned(), |p| format!("{p}%"))
            ),
        )),
        "failed" => out.push(Unusable::new(
            "InvalidSnapshotId.NotReady",
            "the snapshot failed; it cannot become an image",
        )),
        other => out.push(Unusable::new(
            "InvalidSnapshotId.NotReady",
            format!("status {other}; only finished (accomplished) snapshots can become images"),
        )),
    }
    if let Some(created) = facts.creation_time
        && !rules::snapshot_date_allowed(created)
    {
        out.push(Unusable::new(
            "InvalidSnapshot.TooOld",
            format!(
                "created on {}; snapshots from 2013-07-15 or before cannot be used",
                created.format("%Y-%m-%d")
            ),
        ));
    }
    if facts.category.eq_ignore_ascii_case("archive") {
        out.push(Unusable::new(
            "InvalidSnapshotCategory.NotSupportImageCreation",
            "an archive snapshot; only standard snapshots can become images",
        ));
    }
    let data = facts.source_disk_type == DiskType::Data;
    match role {
        SnapshotRole::Alone if data => out.push(Unusable::new(
            "OperationDenied",
            "taken of a data disk; to boot from it, use a disk mapping",
        )),
        SnapshotRole::SystemDisk if data && facts.encrypted => out.push(Unusable::new(
            "InvalidParameter.DiskType",
            "of an encrypted data disk, which cannot become the system disk",
        )),
        SnapshotRole::Alone | SnapshotRole::SystemDisk | SnapshotRole::DataDisk => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::{InstanceLocks, OperationLock};

    fn row(status: &str, disk: &str, created: &str) -> Snapshot {
        Snapshot {
            snapshot_id: "s-1".into(),
            status: status.into(),
            progress: "43%".into(),
            source_disk_type: disk.into(),
            source_disk_size: "40".into(),
            creation_time: created.into(),
            ..Snapshot::default()
        }
    }

    const NEW: &str = "2026-11-20T02:00:00Z";

    #[test]
    fn snapshots_that_cannot_be_used_say_why() {
        let ready = row("accomplished", "system", NEW);
        for role in [
            SnapshotRole::Alone,
            SnapshotRole::SystemDisk,
            SnapshotRole::DataDisk,
        ] {
            assert_eq!(snapshot(&ready, role), None, "{role:?}");
        }
        let code = |s: &Snapshot, role| snapshot(s, role).map(|u| u.code);
        let progressing = row("progressing", "system", NEW);
        let reason = snapshot(&progressing, SnapshotRole::DataDisk).expect("refused");
        assert!(reason.reason.contains("43%"), "{reason}");
        for role in [SnapshotRole::Alone, SnapshotRole::SystemDisk] {
            let data = Snapshot {
                encrypted: true,
                category: "archive".into(),
                ..row("progressing", "data", "2013-07-01T00:00:00Z")
            };
            for problem in snapshot_problems(&SnapshotFacts::of(&data), role) {
                assert!(problem.reason.chars().count() <= 76, "{problem}");
            }
        }
        assert_eq!(
            code(
                &row("accomplished", "system", "2013-07-01T00:00:00Z"),
                SnapshotRole::Alone
            ),
            Some("InvalidSnapshot.TooOld")
        );
        let archive = Snapshot {
            category: "Archive".into(),
            ..ready.clone()
        };
        assert_eq!(
            code(&archive, SnapshotRole::DataDisk),
            Some("InvalidSnapshotCategory.NotSupportImageCreation")
        );
        // A data-disk snapshot: not alone; as a system disk only unencrypted.
        let data = row("accomplished", "data", NEW);
        assert_eq!(code(&data, SnapshotRole::Alone), Some("OperationDenied"));
        assert_eq!(code(&data, SnapshotRole::SystemDisk), None);
        let encrypted = Snapshot {
            encrypted: true,
            ..data
        };
        assert_eq!(
            code(&encrypted, SnapshotRole::SystemDisk),
            Some("InvalidParameter.DiskType")
        );
        assert_eq!(code(&encrypted, SnapshotRole::DataDisk), None);
        let encrypted_system = Snapshot {
            encrypted: true,
            ..ready
        };
        assert_eq!(code(&encrypted_system, SnapshotRole::Alone), None);
    }

    #[test]
    fn garbled_rows_are_judged_on_what_they_say() {
        let s = Snapshot {
            status: "accomplished".into(),
            source_disk_type: "SYSTEM".into(),
            creation_time: "yesterday".into(),
            source_disk_size: "forty".into(),
            ..Snapshot::default()
        };
        let facts = SnapshotFacts::of(&s);
        assert_eq!((facts.size_gib, facts.creation_time), (None, None));
        assert!(snapshot(&s, SnapshotRole::Alone).is_none());
    }

    #[test]
    fn instances_that_cannot_be_used_say_why() {
        let mut i = Instance {
            status: "Stopped".into(),
            ..Instance::default()
        };
        assert_eq!(instance(&i), None);
        i.status = "Starting".into();
        assert_eq!(
            instance(&i).map(|u| u.code),
            Some("IncorrectInstanceStatus")
        );
        i.status = "Stopped".into();
        i.operation_locks = InstanceLocks::from(vec![OperationLock {
            lock_reason: "security".into(),
            lock_msg: String::new(),
        }]);
        assert_eq!(
            instance(&i).map(|u| u.code),
            Some("InstanceLockedForSecurity")
        );
        let data = Disk {
            disk_type: "data".into(),
            ..Disk::default()
        };
        let system = Disk {
            disk_type: "system".into(),
            ..Disk::default()
        };
        assert_eq!(
            instance_disks(std::slice::from_ref(&data)).map(|u| u.code),
            Some("InvalidInstance.NotFoundSystemDisk")
        );
        assert_eq!(instance_disks(&[system, data]), None);
    }
}
