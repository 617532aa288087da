//! The only place that knows CreateImage's wire names: the spec flattened into
//! `(name, value)` pairs, in a fixed order, without `DryRun` (the caller adds it).

use super::{ImageSpec, Source};

/// The CreateImage parameters for `spec`. Exactly one source is sent (the spec cannot hold
/// two); unset fields are left out so the API applies its defaults; mapped disks without a
/// device get the one [`Source::devices`] assigns, so the request shows where each disk lands.
pub fn to_params(spec: &ImageSpec) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, value: &str| out.push((name.to_owned(), value.to_owned()));

    push("RegionId", &spec.region);
    match &spec.source {
        Source::Instance { instance_id } if !instance_id.is_empty() => {
            push("InstanceId", instance_id)
        }
        Source::Snapshot { snapshot_id } if !snapshot_id.is_empty() => {
            push("SnapshotId", snapshot_id)
        }
        Source::Disks(disks) => {
            for ((disk, device), n) in disks.iter().zip(spec.source.devices()).zip(1..) {
                let key = |field: &str| format!("DiskDeviceMapping.{n}.{field}");
                if let Some(id) = &disk.snapshot_id {
                    push(&key("SnapshotId"), id);
                }
                if let Some(size) = disk.size {
                    push(&key("Size"), &size.to_string());
                }
                if let Some(device) = &device {
                    push(&key("Device"), device);
                }
                push(&key("DiskType"), disk.disk_type.as_str());
            }
        }
        Source::Instance { .. } | Source::Snapshot { .. } => {}
    }

    let image = &spec.image;
    let optional = [
        ("ImageName", image.name.as_deref()),
        ("ImageFamily", image.family.as_deref()),
        ("ImageVersion", image.version.as_deref()),
        ("Description", image.description.as_deref()),
        ("Platform", image.platform.as_deref()),
        ("Architecture", image.architecture.map(|a| a.as_str())),
        ("BootMode", image.boot_mode.map(|b| b.as_str())),
        ("ResourceGroupId", image.resource_group_id.as_deref()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            push(name, value);
        }
    }
    for (tag, n) in spec.tags.iter().zip(1..) {
        push(&format!("Tag.{n}.Key"), &tag.key);
        push(&format!("Tag.{n}.Value"), &tag.value);
    }
    if let Some(strategy) = spec.features.detection_strategy {
        push("DetectionStrategy", strategy.as_str());
    }
    if let Some(imds) = spec.features.imds_support {
        push("Features.ImdsSupport", imds.as_str());
    }
    if let Some(token) = &spec.client_token {
        push("ClientToken", token);
    }
    out
}

/// What a CreateImage request acts on, read back from its parameters: the source instance, the
/// snapshots it names, and the tags it sets (in `Tag.N` order). RAM authorizes the request
/// against these, so the policy ecsimg generates and the simulator that enforces one read the
/// same names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub instance: Option<String>,
    pub snapshots: Vec<String>,
    pub tags: Vec<(String, String)>,
}

pub fn touched(params: &[(String, String)]) -> Touched {
    let mut touched = Touched::default();
    let mut tags: std::collections::BTreeMap<u32, (Option<&str>, &str)> = Default::default();
    for (name, value) in params {
        if value.is_empty() && !name.starts_with("Tag.") {
            continue;
        }
        let indexed = |prefix: &str, field: &str| {
            name.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(field))
                .and_then(|n| n.parse::<u32>().ok())
        };
        if name == "InstanceId" {
            touched.instance = Some(value.clone());
        } else if name == "SnapshotId" || indexed("DiskDeviceMapping.", ".SnapshotId").is_some() {
            touched.snapshots.push(value.clone());
        } else if let Some(n) = indexed("Tag.", ".Key") {
            tags.entry(n).or_insert((None, "")).0 = Some(value);
        } else if let Some(n) = indexed("Tag.", ".Value") {
            tags.entry(n).or_insert((None, "")).1 = value;
        }
    }
    touched.tags = tags
        .into_values()
        .filter_map(|(key, value)| Some((key?.to_owned(), value.to_owned())))
        .collect();
    touched
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::fixtures::full_spec;

    fn pairs(params: &[(String, String)]) -> Vec<(&str, &str)> {
        params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn full_spec_flattens_to_the_golden_list() {
        let params = to_params(&full_spec());
        assert_eq!(
            pairs(&params),
            [
                ("RegionId", "cn-hangzhou"),
                ("DiskDeviceMapping.1.SnapshotId", "s-bp1sys"),
                ("DiskDeviceMapping.1.Size", "40"),
                ("DiskDeviceMapping.1.Device", "/dev/xvda"),
                ("DiskDeviceMapping.1.DiskType", "system"),
                ("DiskDeviceMapping.2.SnapshotId", "s-bp1data"),
                ("DiskDeviceMapping.2.Device", "/dev/xvdc"),
                ("DiskDeviceMapping.2.DiskType", "data"),
                ("DiskDeviceMapping.3.Size", "100"),
                ("DiskDeviceMapping.3.Device", "/dev/xvdb"),
                ("DiskDeviceMapping.3.DiskType", "data"),
                ("ImageName", "web-20261127"),
                ("ImageFamily", "web"),
                ("ImageVersion", "2026.11.27"),
                (
                    "Description",
                    "Nightly web tier image, it's \"fresh\" $HOME"
                ),
                ("Platform", "Rocky Linux"),
                ("Architecture", "x86_64"),
                ("BootMode", "UEFI"),
                ("ResourceGroupId", "rg-bp67acfmxazb4pxxxx"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "platform"),
                ("Tag.2.Key", "环境"),
                ("Tag.2.Value", "生产 环境"),
                ("Tag.3.Key", "empty"),
                ("Tag.3.Value", ""),
                ("DetectionStrategy", "Standard"),
                ("Features.ImdsSupport", "v2"),
                ("ClientToken", "123e4567-e89b-12d3-a456-426655440000"),
            ]
        );
    }

    #[test]
    fn single_sources_and_unset_fields() {
        let mut spec = ImageSpec {
            source: Source::Instance {
                instance_id: "i-bp1g6zv0ce8oghu7xxxx".into(),
            },
            ..ImageSpec::default()
        };
        assert_eq!(
            pairs(&to_params(&spec)),
            [
                ("RegionId", "cn-hangzhou"),
                ("InstanceId", "i-bp1g6zv0ce8oghu7xxxx")
            ]
        );
        spec.source = Source::Snapshot {
            snapshot_id: "s-bp17441ohwkdca0xxxx".into(),
        };
        assert_eq!(
            pairs(&to_params(&spec)),
            [
                ("RegionId", "cn-hangzhou"),
                ("SnapshotId", "s-bp17441ohwkdca0xxxx")
            ]
        );
        // No source chosen: nothing is invented (validation reports it).
        assert_eq!(
            pairs(&to_params(&ImageSpec::default())),
            [("RegionId", "cn-hangzhou")]
        );
    }

    #[test]
    fn touched_reads_back_the_sources_and_tags() {
        let touched = touched(&to_params(&full_spec()));
        assert_eq!(touched.instance, None);
        assert_eq!(touched.snapshots, ["s-bp1sys", "s-bp1data"]);
        let tags: Vec<(&str, &str)> = touched
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            tags,
            [("team", "platform"), ("环境", "生产 环境"), ("empty", "")]
        );
        let instance = [("InstanceId".to_string(), "i-1".to_string())];
        assert_eq!(super::touched(&instance).instance.as_deref(), Some("i-1"));
    }
}
