//! The simulated account: regions with their instances, disks, snapshots and images.
//!
//! Time-dependent values (image progress, a stopping instance) are not advanced by a background
//! task: each record keeps when its work started and how long it takes, and the current status
//! is computed from the clock when read. That keeps the state deterministic under an injected
//! clock and costs nothing while idle.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Simulated durations, in seconds at `--speed 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// How long the largest disk of an image takes; smaller disks finish proportionally sooner.
    pub image_seconds: f64,
    /// A clean shutdown (StopInstances); a forced one takes `force_stop_seconds`.
    pub stop_seconds: f64,
    pub force_stop_seconds: f64,
    /// Stopped -> Starting -> Running (StartInstances).
    pub start_seconds: f64,
    /// How long the image check runs after the image is ready.
    pub detection_seconds: f64,
}

/// Per-region limits CreateImage enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub images: usize,
    pub images_per_family: usize,
    pub families: usize,
    /// Snapshots in a region (QuotaExceed.Snapshot); `None` is no limit.
    pub snapshots: Option<usize>,
    /// Snapshots being created at once in a region (TooManySnapshot.Unfinished).
    pub unfinished_snapshots: Option<usize>,
    /// Snapshots being created at once for one disk (QuotaExceed.ConcurrentSnapshotQuota).
    pub concurrent_snapshots_per_disk: Option<usize>,
}

/// The account's standing with billing and verification: each flag, when set, makes the
/// operations that create billed resources refuse with the code the service uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    /// Overdue payment: InvalidAccountStatus.NotEnoughBalance, Account.Arrearage.
    pub in_arrears: bool,
    /// Risk control stopped orders: AccountForbidden.CreateOrder.
    pub orders_forbidden: bool,
    /// The snapshot service was never activated: InvalidAccountStatus.SnapshotServiceUnavailable.
    pub snapshot_service_off: bool,
    /// The enterprise registration is revoked: AccountEnterpriseStatusInvalid.
    pub enterprise_revoked: bool,
    /// Not allowed to make a system disk from a data-disk snapshot: UserNotInTheWhiteList.
    pub no_data_disk_system_images: bool,
    /// KMS not activated: InvalidParameter.KmsNotEnabled when encryption is asked for.
    pub kms_off: bool,
}

/// A KMS customer master key, as ECS sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKey {
    pub id: String,
    pub region: String,
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    pub status: String,
    /// Keys ECS may use carry the tag `acs:ecs:protected=true`; without it: CMKUnauthorized.
    pub ecs_tagged: bool,
    /// ECS's service role may use KMS; without it: KMSUnauthorized.
    pub ecs_authorized: bool,
}

/// Limits and pace of the delivery operations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveryLimits {
    /// Simulated seconds a copy takes at `--speed 1`.
    pub copy_seconds: f64,
    /// Copies that run at once in a destination region; more wait (`Waiting`).
    pub copy_concurrency: usize,
    /// Accounts one image may be shared with.
    pub share_accounts: usize,
    /// Tags one resource may carry.
    pub tags_per_resource: usize,
    /// Copies fail (CreateFailed) at this percent.
    pub fail_copies_at: Option<u8>,
}

/// A unit of simulated work: started at `start`, done after `seconds` of simulated time, or
/// failed on reaching `fail_at` percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeline {
    pub start: DateTime<Utc>,
    pub seconds: f64,
    pub fail_at: Option<u8>,
}

/// Where a [`Timeline`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running { percent: u8, remain_seconds: u64 },
    Done,
    Failed { percent: u8 },
}

impl Timeline {
    /// Fraction of the work done at `now`, 0.0 to 1.0; `speed` multiplies elapsed time.
    fn fraction(&self, now: DateTime<Utc>, speed: f64) -> f64 {
        let elapsed = (now - self.start).as_seconds_f64().max(0.0) * speed;
        if self.seconds <= 0.0 {
            1.0
        } else {
            (elapsed / self.seconds).clamp(0.0, 1.0)
        }
    }

    pub fn phase(&self, now: DateTime<Utc>, speed: f64) -> Phase {
        let fraction = self.fraction(now, speed);
        // Whole percent, never showing 100% before the work is done.
        let percent = ((fraction * 100.0).floor() as u8).min(99);
        if let Some(fail) = self.fail_at.filter(|f| percent >= *f) {
            return Phase::Failed { percent: fail };
        }
        if fraction >= 1.0 {
            return Phase::Done;
        }
        let remain = (1.0 - fraction) * self.seconds / speed.max(f64::MIN_POSITIVE);
        Phase::Running {
            percent,
            remain_seconds: remain.ceil() as u64,
        }
    }

    /// When the work completes (ignoring failure), in wall/clock time.
    pub fn end(&self, speed: f64) -> DateTime<Utc> {
        let real = self.seconds / speed.max(f64::MIN_POSITIVE);
        self.start + chrono::TimeDelta::milliseconds((real * 1000.0).min(1e15) as i64)
    }
}

/// A detected image risk, as DescribeImages reports it under `DetectionOptions.Items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub name: String,
    pub value: String,
    pub risk_level: String,
    pub risk_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    pub id: String,
    pub local_name: String,
    pub local_name_en: String,
    pub endpoint: String,
    pub status: String,
    pub zones: Vec<String>,
    /// Three characters after the resource prefix in this region's IDs (`bp1` in Hangzhou).
    pub id_prefix: String,
}

/// A Resource Manager resource group of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGroup {
    pub id: String,
    /// The unique identifier (letters, digits, hyphens).
    pub name: String,
    pub display_name: String,
    pub created: DateTime<Utc>,
}

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

/// A remembered CreateImage ClientToken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub fingerprint: Vec<(String, String)>,
    pub image_id: String,
}

#[derive(Debug, Clone, Default)]
pub struct Region {
    pub instances: BTreeMap<String, Instance>,
    pub disks: BTreeMap<String, Disk>,
    pub snapshots: BTreeMap<String, Snapshot>,
    pub images: BTreeMap<String, Image>,
    pub client_tokens: HashMap<String, TokenRecord>,
    /// CopyImage's ClientTokens (called in the source region), apart from CreateImage's.
    pub copy_tokens: HashMap<String, TokenRecord>,
}

impl Region {
    /// The disks attached to an instance, system disk first, then data disks by device.
    pub fn instance_disks(&self, instance_id: &str) -> Vec<&Disk> {
        let mut disks: Vec<&Disk> = self
            .disks
            .values()
            .filter(|d| d.instance_id.as_deref() == Some(instance_id))
            .collect();
        disks.sort_by_key(|d| (d.disk_type != "system", d.device.clone()));
        disks
    }

    /// Whether a system disk is attached to the instance.
    pub fn has_system_disk(&self, instance_id: &str) -> bool {
        self.disks
            .values()
            .any(|d| d.disk_type == "system" && d.instance_id.as_deref() == Some(instance_id))
    }
}

/// Account-wide settings from the seed data.
#[derive(Debug, Clone)]
pub struct Account {
    pub owner_id: u64,
    pub timing: Timing,
    pub quotas: Quotas,
    pub standing: Standing,
    /// By key ID.
    pub kms_keys: BTreeMap<String, KmsKey>,
    pub delivery: DeliveryLimits,
    /// By ID.
    pub resource_groups: BTreeMap<String, ResourceGroup>,
    pub default_resource_group: String,
}

/// Everything the simulator knows; one lock guards it.
#[derive(Debug)]
pub struct State {
    pub account: Account,
    pub speed: f64,
    /// In the order DescribeRegions lists them.
    pub region_infos: Vec<RegionInfo>,
    pub regions: BTreeMap<String, Region>,
    rng: StdRng,
}

/// ID alphabet: 20 lowercase alphanumerics after `<prefix>-`.
const ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl State {
    /// An account with empty regions; `rng_seed` makes generated IDs reproducible.
    pub fn new(account: Account, region_infos: Vec<RegionInfo>, speed: f64, rng_seed: u64) -> Self {
        let regions = region_infos
            .iter()
            .map(|r| (r.id.clone(), Region::default()))
            .collect();
        Self {
            account,
            speed,
            region_infos,
            regions,
            rng: StdRng::seed_from_u64(rng_seed),
        }
    }

    pub fn region_info(&self, id: &str) -> Option<&RegionInfo> {
        self.region_infos.iter().find(|r| r.id == id)
    }

    /// A public IP address for an instance that lost its own to an economical-mode stop.
    pub fn new_public_ip(&mut self) -> String {
        let [a, b, c] = [
            self.rng.random_range(96..=101u8),
            self.rng.random_range(0..=255u8),
            self.rng.random_range(1..=254u8),
        ];
        format!("47.{a}.{b}.{c}")
    }

    /// A fresh ID such as `m-bp1` + 17 random characters, unique in the region.
    pub fn new_id(&mut self, kind: &str, region: &str) -> String {
        let prefix = self
            .region_info(region)
            .map(|r| r.id_prefix.clone())
            .unwrap_or_default();
        loop {
            let mut id = format!("{kind}-{prefix}");
            while id.len() < kind.len() + 1 + 20 {
                id.push(ID_CHARS[self.rng.random_range(0..ID_CHARS.len())] as char);
            }
            let taken = self
                .regions
                .get(region)
                .is_some_and(|r| r.images.contains_key(&id) || r.snapshots.contains_key(&id));
            if !taken {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn timeline_progresses_with_speed_and_finishes() {
        let timeline = Timeline {
            start: t0(),
            seconds: 20.0,
            fail_at: None,
        };
        let at = |s: i64| t0() + chrono::TimeDelta::seconds(s);
        assert_eq!(
            timeline.phase(at(5), 1.0),
            Phase::Running {
                percent: 25,
                remain_seconds: 15
            }
        );
        assert_eq!(
            timeline.phase(at(5), 2.0),
            Phase::Running {
                percent: 50,
                remain_seconds: 5
            }
        );
        assert_eq!(timeline.phase(at(20), 1.0), Phase::Done);
        assert_eq!(timeline.end(2.0), at(10));
    }

    #[test]
    fn timeline_fails_at_the_given_percent() {
        let timeline = Timeline {
            start: t0(),
            seconds: 10.0,
            fail_at: Some(40),
        };
        let at = |s: i64| t0() + chrono::TimeDelta::seconds(s);
        assert!(matches!(
            timeline.phase(at(3), 1.0),
            Phase::Running { percent: 30, .. }
        ));
        assert_eq!(timeline.phase(at(4), 1.0), Phase::Failed { percent: 40 });
        assert_eq!(timeline.phase(at(60), 1.0), Phase::Failed { percent: 40 });
    }
}
