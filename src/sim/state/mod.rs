//! The simulated account: regions with their instances, disks, snapshots and images.
//!
//! Time-dependent values (image progress, a stopping instance) are not advanced by a background
//! task: each record keeps when its work started and how long it takes, and the current status
//! is computed from the clock when read. That keeps the state deterministic under an injected
//! clock and costs nothing while idle.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};

mod account;
mod images;
mod resources;

pub use account::*;
pub use images::*;
pub use resources::*;

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
