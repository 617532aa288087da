//! The account's standing, its KMS keys and the delivery limits: the seed sections that let a
//! simulator refuse as the service does for reasons outside the request.
//!
//! ```toml
//! [standing]                      # every flag defaults to a healthy account
//! in_arrears = true               # overdue payment
//! orders_forbidden = true         # risk control stopped orders
//! snapshot_service_off = true     # the snapshot service was never activated
//! enterprise_revoked = true       # the enterprise registration is revoked
//! no_data_disk_system_images = true  # no system disk from a data-disk snapshot
//! kms_off = true                  # KMS not activated
//!
//! [[kms_keys]]
//! id = "key-hzz65f3b1c6e7x9a0k2m"
//! region = "cn-hangzhou"          # default_region when absent
//! status = "Disabled"             # Enabled (default), Disabled or PendingDeletion
//! ecs_tagged = false              # missing the acs:ecs:protected tag ECS needs
//! ecs_authorized = false          # ECS's service role may not use KMS
//!
//! [delivery]
//! copy_seconds = 30               # one copy at --speed 1
//! copy_concurrency = 5            # copies running at once per destination region
//! share_accounts = 50             # accounts one image may be shared with
//! tags_per_resource = 20
//! fail_copies_at = 50             # copies end in CreateFailed at 50%
//! ```

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use crate::sim::state::{DeliveryLimits, KmsKey, Standing};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct StandingRow {
    in_arrears: bool,
    orders_forbidden: bool,
    snapshot_service_off: bool,
    enterprise_revoked: bool,
    no_data_disk_system_images: bool,
    kms_off: bool,
}

impl StandingRow {
    pub(super) fn to_standing(&self) -> Standing {
        Standing {
            in_arrears: self.in_arrears,
            orders_forbidden: self.orders_forbidden,
            snapshot_service_off: self.snapshot_service_off,
            enterprise_revoked: self.enterprise_revoked,
            no_data_disk_system_images: self.no_data_disk_system_images,
            kms_off: self.kms_off,
        }
    }
}

const KEY_STATUSES: &[&str] = &["Enabled", "Disabled", "PendingDeletion"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KmsKeyRow {
    id: Spanned<String>,
    region: Option<String>,
    #[serde(default = "enabled")]
    status: String,
    #[serde(default = "yes")]
    ecs_tagged: bool,
    #[serde(default = "yes")]
    ecs_authorized: bool,
}

fn enabled() -> String {
    "Enabled".into()
}

fn yes() -> bool {
    true
}

/// The keys by ID, each in its region.
pub(super) fn kms_keys(rows: &[KmsKeyRow], default_region: &str) -> BTreeMap<String, KmsKey> {
    rows.iter()
        .map(|row| {
            let key = KmsKey {
                id: row.id.get_ref().clone(),
                region: row
                    .region
                    .clone()
                    .unwrap_or_else(|| default_region.to_string()),
                status: row.status.clone(),
                ecs_tagged: row.ecs_tagged,
                ecs_authorized: row.ecs_authorized,
            };
            (key.id.clone(), key)
        })
        .collect()
}

/// Each key is named once, in a known region, with a known status.
pub(super) fn check_kms_keys(
    rows: &[KmsKeyRow],
    regions: &HashSet<&str>,
) -> Result<(), (Option<usize>, String)> {
    let mut ids = HashSet::new();
    for row in rows {
        let id = row.id.get_ref();
        let at = Some(row.id.span().start);
        if id.is_empty() || !ids.insert(id.as_str()) {
            return Err((
                at,
                format!("[[kms_keys]] id {id:?} is empty or listed twice"),
            ));
        }
        if let Some(region) = &row.region
            && !regions.contains(region.as_str())
        {
            return Err((
                at,
                format!("{id}: field `region`: {region:?} is not one of the [[regions]]"),
            ));
        }
        if !KEY_STATUSES.contains(&row.status.as_str()) {
            return Err((
                at,
                format!("{id}: field `status` must be Enabled, Disabled or PendingDeletion"),
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct DeliveryRow {
    copy_seconds: f64,
    copy_concurrency: usize,
    share_accounts: usize,
    tags_per_resource: usize,
    fail_copies_at: Option<u8>,
}

impl Default for DeliveryRow {
    /// Five copies at once per region and 50 accounts per image are the documented limits
    /// (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-copyimage,
    /// https://www.alibabacloud.com/help/en/ecs/user-guide/limitations); the per-resource tag
    /// cap is not stated for TagResources, 20 is our choice.
    fn default() -> Self {
        Self {
            copy_seconds: 30.0,
            copy_concurrency: 5,
            share_accounts: 50,
            tags_per_resource: 20,
            fail_copies_at: None,
        }
    }
}

impl DeliveryRow {
    pub(super) fn to_limits(&self) -> DeliveryLimits {
        DeliveryLimits {
            copy_seconds: self.copy_seconds,
            copy_concurrency: self.copy_concurrency,
            share_accounts: self.share_accounts,
            tags_per_resource: self.tags_per_resource,
            fail_copies_at: self.fail_copies_at,
        }
    }

    pub(super) fn check(&self) -> Result<(), (Option<usize>, String)> {
        let bad = |why: &str| Err((None, format!("[delivery] {why}")));
        if !(self.copy_seconds.is_finite() && self.copy_seconds >= 0.0) {
            return bad("field `copy_seconds` must be a number of seconds, 0 or more");
        }
        if self.copy_concurrency == 0 || self.share_accounts == 0 || self.tags_per_resource == 0 {
            return bad(
                "fields `copy_concurrency`, `share_accounts` and `tags_per_resource` must be 1 or more",
            );
        }
        if self.fail_copies_at.is_some_and(|p| p >= 100) {
            return bad("field `fail_copies_at` must be a percent below 100");
        }
        Ok(())
    }
}
