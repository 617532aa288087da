//! The pickers of instances and snapshots: their columns, filter text and the rules (from
//! `spec::usable`) that mark rows which cannot be used.

use std::borrow::Cow;

use crate::api::model::{Instance, Snapshot};
use crate::spec::usable::{self, SnapshotRole};
use crate::tui::widgets::picker::{Column, PickerKind, short_time};

static INSTANCE_COLUMNS: [Column<Instance>; 7] = [
    Column {
        title: "ID",
        min: 22,
        max: 24,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.instance_id),
        cmp: Some(|a, b| a.instance_id.cmp(&b.instance_id)),
    },
    Column {
        title: "Name",
        min: 10,
        max: 32,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.instance_name),
        cmp: Some(|a, b| a.instance_name.cmp(&b.instance_name)),
    },
    Column {
        title: "Status",
        min: 8,
        max: 8,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.status),
        cmp: Some(|a, b| a.status.cmp(&b.status)),
    },
    Column {
        title: "OS",
        min: 12,
        max: 30,
        priority: 2,
        right: false,
        cell: |i| Cow::Borrowed(i.os_display_name()),
        cmp: Some(|a, b| a.os_display_name().cmp(b.os_display_name())),
    },
    Column {
        title: "Type",
        min: 14,
        max: 18,
        priority: 4,
        right: false,
        cell: |i| Cow::Borrowed(&i.instance_type),
        cmp: Some(|a, b| a.instance_type.cmp(&b.instance_type)),
    },
    Column {
        title: "Zone",
        min: 14,
        max: 16,
        priority: 3,
        right: false,
        cell: |i| Cow::Borrowed(&i.zone_id),
        cmp: Some(|a, b| a.zone_id.cmp(&b.zone_id)),
    },
    Column {
        title: "Created",
        min: 16,
        max: 16,
        priority: 1,
        right: false,
        cell: |i| short_time(&i.creation_time),
        cmp: Some(|a, b| a.creation_time.cmp(&b.creation_time)),
    },
];

/// Why an instance cannot become an image.
fn instance_problem(i: &Instance) -> Option<Cow<'_, str>> {
    usable::instance(i).map(|u| Cow::Owned(u.to_string()))
}

pub static INSTANCES: PickerKind<Instance> = PickerKind {
    noun: "instances",
    columns: &INSTANCE_COLUMNS,
    key: |i| &i.instance_id,
    haystack: |i| {
        format!(
            "{} {} {} {}",
            i.instance_id,
            i.instance_name,
            i.status,
            i.os_display_name()
        )
    },
    unusable: instance_problem,
};

/// Snapshot columns, shared with the disk editor's snapshot picker.
pub static SNAPSHOT_COLUMNS: [Column<Snapshot>; 6] = [
    Column {
        title: "ID",
        min: 22,
        max: 24,
        priority: 0,
        right: false,
        cell: |s| Cow::Borrowed(&s.snapshot_id),
        cmp: Some(|a, b| a.snapshot_id.cmp(&b.snapshot_id)),
    },
    Column {
        title: "Name",
        min: 10,
        max: 32,
        priority: 0,
        right: false,
        cell: |s| Cow::Borrowed(&s.snapshot_name),
        cmp: Some(|a, b| a.snapshot_name.cmp(&b.snapshot_name)),
    },
    Column {
        title: "Status",
        min: 9,
        max: 12,
        priority: 0,
        right: false,
        cell: |s| match s.status.as_str() {
            "accomplished" => Cow::Borrowed("ready"),
            "progressing" => Cow::Owned(match s.progress_percent() {
                Some(p) => format!("{p}%"),
                None => "creating".to_string(),
            }),
            other => Cow::Borrowed(other),
        },
        cmp: Some(|a, b| a.status.cmp(&b.status)),
    },
    Column {
        title: "Disk",
        min: 6,
        max: 6,
        priority: 1,
        right: false,
        cell: |s| Cow::Borrowed(&s.source_disk_type),
        cmp: Some(|a, b| a.source_disk_type.cmp(&b.source_disk_type)),
    },
    Column {
        title: "Size",
        min: 8,
        max: 9,
        priority: 1,
        right: true,
        cell: |s| match s.source_disk_size_gib() {
            Some(gib) => Cow::Owned(format!("{gib} GiB")),
            None => Cow::Borrowed(""),
        },
        cmp: Some(|a, b| a.source_disk_size_gib().cmp(&b.source_disk_size_gib())),
    },
    Column {
        title: "Created",
        min: 16,
        max: 16,
        priority: 1,
        right: false,
        cell: |s| short_time(&s.creation_time),
        cmp: Some(|a, b| a.creation_time.cmp(&b.creation_time)),
    },
];

fn snapshot_problem(s: &Snapshot, role: SnapshotRole) -> Option<Cow<'_, str>> {
    usable::snapshot(s, role).map(|u| Cow::Owned(u.to_string()))
}

/// A snapshot used alone: the image's system disk.
fn alone_problem(s: &Snapshot) -> Option<Cow<'_, str>> {
    snapshot_problem(s, SnapshotRole::Alone)
}

/// The rule for the system disk of a disk mapping.
pub fn system_disk_problem(s: &Snapshot) -> Option<Cow<'_, str>> {
    snapshot_problem(s, SnapshotRole::SystemDisk)
}

/// The rule for a data disk of a disk mapping.
pub fn data_disk_problem(s: &Snapshot) -> Option<Cow<'_, str>> {
    snapshot_problem(s, SnapshotRole::DataDisk)
}

pub static SNAPSHOTS: PickerKind<Snapshot> = PickerKind {
    noun: "snapshots",
    columns: &SNAPSHOT_COLUMNS,
    key: |s| &s.snapshot_id,
    haystack: |s| format!("{} {}", s.snapshot_id, s.snapshot_name),
    unusable: alone_problem,
};
