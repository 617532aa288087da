//! What the account is and may do: simulated durations, quotas, standing, KMS keys, delivery
//! limits, regions and resource groups.

use chrono::{DateTime, Utc};

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
