//! Instances, disks and snapshots, with their status computed from the clock when read.

use chrono::{DateTime, Utc};

use super::{Phase, Risk, Timeline};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceStatus {
    Pending,
    Running,
    Starting,
    Stopping,
    Stopped,
}

impl InstanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Starting => "Starting",
            Self::Stopping => "Stopping",
            Self::Stopped => "Stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Running,
            Self::Starting,
            Self::Stopping,
            Self::Stopped,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// How a stopped instance is billed (StopInstances' `StoppedMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoppedMode {
    /// Standard mode: resources and the public IP address are kept, billing goes on.
    KeepCharging,
    /// Economical mode: compute billing stops; a public IP that is not an EIP is released.
    StopCharging,
}

impl StoppedMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeepCharging => "KeepCharging",
            Self::StopCharging => "StopCharging",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::KeepCharging, Self::StopCharging]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// A stop or start under way: the instance reads as Stopping or Starting until the timeline
/// ends, then as `to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerChange {
    /// `Stopped` or `Running`.
    pub to: InstanceStatus,
    pub timeline: Timeline,
}

/// The operating system an instance runs and an image carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsInfo {
    pub platform: String,
    pub architecture: String,
    pub os_name: String,
    pub os_name_en: String,
    pub os_type: String,
    pub boot_mode: String,
    pub imds_support: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub description: String,
    pub host_name: String,
    /// The status before `change` (the seeded one until a stop or start).
    pub status: InstanceStatus,
    /// Set by StopInstances and StartInstances.
    pub change: Option<PowerChange>,
    /// How the instance is (or was last) stopped; reported while it is Stopped.
    pub stopped_mode: StoppedMode,
    pub zone_id: String,
    pub instance_type: String,
    pub cpu: u32,
    pub memory_mib: u32,
    pub image_id: String,
    pub os: OsInfo,
    pub creation_time: DateTime<Utc>,
    pub lock_reasons: Vec<String>,
    pub resource_group_id: String,
    pub vpc_id: String,
    pub vswitch_id: String,
    pub private_ip: String,
    pub public_ip: Option<String>,
    /// The public IP was released by an economical-mode stop: the next start assigns a new one.
    pub public_ip_released: bool,
    pub security_group_id: String,
    pub charge_type: String,
    pub tags: Vec<(String, String)>,
    /// Images made from this instance fail at this percent.
    pub fail_image_at: Option<u8>,
    /// Risks the image check reports for images made from this instance.
    pub risks: Vec<Risk>,
    /// Hibernation is configured: CreateImage refuses the instance.
    pub hibernation: bool,
}

impl Instance {
    pub fn status_at(&self, now: DateTime<Utc>, speed: f64) -> InstanceStatus {
        match self.change {
            None => self.status,
            Some(change) => match (change.timeline.phase(now, speed), change.to) {
                (Phase::Running { .. }, InstanceStatus::Stopped) => InstanceStatus::Stopping,
                (Phase::Running { .. }, _) => InstanceStatus::Starting,
                _ => change.to,
            },
        }
    }

    /// Starts a stop or start at `now`, from the status the instance has then.
    pub fn begin(&mut self, to: InstanceStatus, timeline: Timeline, speed: f64) {
        self.status = self.status_at(timeline.start, speed);
        self.change = Some(PowerChange { to, timeline });
    }

    /// Whether economical mode can apply (pay-as-you-go in a VPC); other instances stop in
    /// standard mode whatever the request asks.
    pub fn economical_mode_applies(&self) -> bool {
        self.charge_type == "PostPaid" && !self.vpc_id.is_empty()
    }

    pub fn security_locked(&self) -> bool {
        self.lock_reasons.iter().any(|r| r == "security")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    pub id: String,
    pub name: String,
    pub instance_id: Option<String>,
    pub device: Option<String>,
    /// `system` or `data`.
    pub disk_type: String,
    pub category: String,
    pub size: u32,
    pub encrypted: bool,
    pub kms_key_id: String,
    pub zone_id: String,
    pub image_id: String,
    pub source_snapshot_id: String,
    pub creation_time: DateTime<Utc>,
    pub resource_group_id: String,
    pub performance_level: String,
    /// What stands in the way of a snapshot of it.
    pub condition: DiskCondition,
}

impl Disk {
    pub fn status(&self) -> &'static str {
        match (self.condition, &self.instance_id) {
            (DiskCondition::ReIniting, _) => "ReIniting",
            (_, Some(_)) => "In_use",
            (_, None) => "Available",
        }
    }
}

/// A disk state that makes CreateImage refuse its instance (seed `condition`). Each is a
/// condition the CreateImage error table names; the service does not document how a disk gets
/// there, so the seed says it outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiskCondition {
    #[default]
    Normal,
    /// Attached while the instance was stopped and never started since.
    NeverAttached,
    /// Its device is in an invalid state until the instance restarts.
    Invalid,
    /// Being moved (a category change or a migration).
    Transferring,
    /// Being re-initialized (DescribeDisks shows `ReIniting`).
    ReIniting,
    /// A snapshot of it is being created.
    CreatingSnapshot,
    /// Added while the instance was stopped: the instance needs a restart.
    NeedsRestart,
    /// Its snapshot fails inside the service (500 InternalError).
    SnapshotFails,
}

impl DiskCondition {
    pub const NAMES: &[(&str, Self)] = &[
        ("normal", Self::Normal),
        ("never_attached", Self::NeverAttached),
        ("invalid", Self::Invalid),
        ("transferring", Self::Transferring),
        ("reiniting", Self::ReIniting),
        ("creating_snapshot", Self::CreatingSnapshot),
        ("needs_restart", Self::NeedsRestart),
        ("snapshot_fails", Self::SnapshotFails),
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, c)| *c)
    }
}

/// Where a snapshot's status comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotProgress {
    /// As seeded: a fixed status and percent (a "progressing" snapshot stays so).
    Fixed { status: String, percent: u8 },
    /// Made by CreateImage from an instance: follows the image's disk timeline.
    Timed(Timeline),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub id: String,
    pub name: String,
    pub description: String,
    pub source_disk_id: String,
    pub source_disk_type: String,
    pub source_disk_size: u32,
    pub progress: SnapshotProgress,
    pub creation_time: DateTime<Utc>,
    pub encrypted: bool,
    pub kms_key_id: String,
    /// `Standard`, `Flash` or `archive` (archive snapshots cannot become images).
    pub category: String,
    pub usage: String,
    pub snapshot_type: String,
    pub resource_group_id: String,
    pub tags: Vec<(String, String)>,
    pub fail_image_at: Option<u8>,
    pub risks: Vec<Risk>,
    pub flags: SnapshotFlags,
}

/// Snapshot states that keep it from becoming an image (seed fields of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SnapshotFlags {
    /// Finished but not yet usable (DescribeSnapshots `Available=false`).
    pub unavailable: bool,
    /// Stored in a CloudBox.
    pub cloudbox: bool,
    /// A default free snapshot (kept by the service at no charge).
    pub default_free: bool,
    /// An instant-access (Flash) snapshot without a standard copy yet.
    pub flash_only: bool,
}

impl Snapshot {
    /// A snapshot an image build makes (`Usage=image`), taken over `timeline`: the fields a
    /// caller varies are given, the rest are those of every such snapshot.
    pub fn for_image(
        id: String,
        description: String,
        source_disk: (&str, &str, u32),
        timeline: Timeline,
        created: DateTime<Utc>,
        encryption: (bool, &str),
        resource_group_id: &str,
    ) -> Snapshot {
        let (source_disk_id, source_disk_type, source_disk_size) = source_disk;
        let (encrypted, kms_key_id) = encryption;
        Snapshot {
            id,
            name: String::new(),
            description,
            source_disk_id: source_disk_id.into(),
            source_disk_type: source_disk_type.into(),
            source_disk_size,
            progress: SnapshotProgress::Timed(timeline),
            creation_time: created,
            encrypted,
            kms_key_id: kms_key_id.into(),
            category: "Standard".into(),
            usage: "image".into(),
            snapshot_type: "user".into(),
            resource_group_id: resource_group_id.into(),
            tags: Vec::new(),
            fail_image_at: None,
            risks: Vec::new(),
            flags: SnapshotFlags::default(),
        }
    }

    /// `(status, percent, remain seconds)` at `now`.
    pub fn status_at(&self, now: DateTime<Utc>, speed: f64) -> (&str, u8, u64) {
        match &self.progress {
            SnapshotProgress::Fixed { status, percent } => (status.as_str(), *percent, 0),
            SnapshotProgress::Timed(timeline) => match timeline.phase(now, speed) {
                Phase::Running {
                    percent,
                    remain_seconds,
                } => ("progressing", percent, remain_seconds),
                Phase::Done => ("accomplished", 100, 0),
                Phase::Failed { percent } => ("failed", percent, 0),
            },
        }
    }
}
