//! The `[generate]` section: deterministic synthetic rows for load tests (e.g. 20,000 instances
//! and 100,000 snapshots in one region).

use super::super::state::{
    Disk, Instance, InstanceStatus, Snapshot, SnapshotProgress, State, StoppedMode,
};
use super::rows::{GenerateRow, SeedFile};
use chrono::TimeDelta;

impl GenerateRow {
    pub(super) fn fill(&self, state: &mut State, f: &SeedFile, default_rg: &str) {
        let Some(info) = state.region_info(&self.region).cloned() else {
            return;
        };
        let Some(image) = f.images.iter().find(|i| i.owner_alias == "system") else {
            return;
        };
        let image = image.to_image(default_rg);
        let zone = info.zones.first().cloned().unwrap_or_default();
        let Some(region) = state.regions.get_mut(&self.region) else {
            return;
        };
        let base = image.creation_time + TimeDelta::days(30);
        let mut disk_ids = Vec::with_capacity(self.instances as usize);
        for k in 0..u64::from(self.instances) {
            let id = synthetic_id("i", &info.id_prefix, k);
            let disk_id = synthetic_id("d", &info.id_prefix, k);
            let created = base + TimeDelta::minutes(k as i64);
            let status = if k % 7 == 3 {
                InstanceStatus::Stopped
            } else {
                InstanceStatus::Running
            };
            let instance = Instance {
                id: id.clone(),
                name: if k % 5 == 0 {
                    format!("批量实例-{k:05}")
                } else {
                    format!("load-{k:05}")
                },
                description: String::new(),
                host_name: format!("iZ{}Z", id.trim_start_matches("i-")),
                status,
                change: None,
                stopped_mode: StoppedMode::KeepCharging,
                zone_id: zone.clone(),
                instance_type: "ecs.g7.large".into(),
                cpu: 2,
                memory_mib: 8192,
                image_id: image.id.clone(),
                os: image.os.clone(),
                creation_time: created,
                lock_reasons: Vec::new(),
                resource_group_id: default_rg.into(),
                vpc_id: synthetic_id("vpc", &info.id_prefix, 0),
                vswitch_id: synthetic_id("vsw", &info.id_prefix, 0),
                private_ip: format!("10.{}.{}.{}", (k >> 16) & 255, (k >> 8) & 255, k & 255),
                public_ip: None,
                public_ip_released: false,
                security_group_id: synthetic_id("sg", &info.id_prefix, 0),
                charge_type: "PostPaid".into(),
                tags: Vec::new(),
                fail_image_at: None,
                risks: Vec::new(),
                hibernation: false,
            };
            let disk = Disk {
                id: disk_id.clone(),
                name: String::new(),
                instance_id: Some(id.clone()),
                device: Some(crate::spec::rules::SYSTEM_DEVICE.into()),
                disk_type: "system".into(),
                category: "cloud_essd".into(),
                size: 40,
                encrypted: false,
                kms_key_id: String::new(),
                zone_id: zone.clone(),
                image_id: image.id.clone(),
                source_snapshot_id: String::new(),
                creation_time: created,
                resource_group_id: default_rg.into(),
                performance_level: "PL0".into(),
                condition: Default::default(),
            };
            region.instances.insert(id, instance);
            region.disks.insert(disk_id.clone(), disk);
            disk_ids.push(disk_id);
        }
        for k in 0..u64::from(self.snapshots) {
            let Some(disk_id) = disk_ids.get((k % disk_ids.len().max(1) as u64) as usize) else {
                break;
            };
            let id = synthetic_id("s", &info.id_prefix, k);
            let snapshot = Snapshot {
                id: id.clone(),
                name: format!("auto-{k:06}"),
                description: String::new(),
                source_disk_id: disk_id.clone(),
                source_disk_type: "system".into(),
                source_disk_size: 40,
                progress: SnapshotProgress::Fixed {
                    status: "accomplished".into(),
                    percent: 100,
                },
                creation_time: base + TimeDelta::minutes(k as i64),
                encrypted: false,
                kms_key_id: String::new(),
                category: "Standard".into(),
                usage: "none".into(),
                snapshot_type: if k % 2 == 0 {
                    "auto".into()
                } else {
                    "user".into()
                },
                resource_group_id: default_rg.into(),
                tags: Vec::new(),
                fail_image_at: None,
                risks: Vec::new(),
                flags: Default::default(),
            };
            region.snapshots.insert(id, snapshot);
        }
    }
}

/// `kind-` + region prefix + 17 characters derived from `n` through a bijective mix, so IDs
/// look random but are distinct and stable.
fn synthetic_id(kind: &str, prefix: &str, n: u64) -> String {
    // splitmix64's finaliser is a bijection on u64: distinct n give distinct values.
    let mut x = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut tail = Vec::with_capacity(17);
    let mut v = x;
    for _ in 0..13 {
        tail.push(DIGITS[(v % 36) as usize]);
        v /= 36;
    }
    // Four more characters from the kind, so IDs of different kinds differ visibly.
    let salt = kind
        .bytes()
        .fold(n, |acc, b| acc.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut s = salt;
    for _ in 0..4 {
        tail.push(DIGITS[(s % 36) as usize]);
        s /= 36;
    }
    format!("{kind}-{prefix}{}", String::from_utf8_lossy(&tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_ids_are_realistic_and_unique() {
        let ids: HashSet<String> = (0..50_000).map(|n| synthetic_id("s", "2ze", n)).collect();
        assert_eq!(ids.len(), 50_000);
        let one = synthetic_id("i", "2ze", 7);
        assert_eq!(one.len(), 2 + 20);
        assert!(one.starts_with("i-2ze"));
    }
}
