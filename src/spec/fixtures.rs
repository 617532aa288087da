//! Test fixtures shared by the spec's test modules: a spec using every field, a proptest
//! strategy for valid specs, and a shell-side parser for `to_cli` output.

use proptest::prelude::*;
use proptest::sample::select;

use super::{
    Architecture, BootMode, DeliverySpec, DetectionStrategy, DiskSpec, DiskType, Features,
    ImageDetails, ImageSpec, ImdsSupport, RetireAction, RetirePlan, Source, StopPlan, Tag, rules,
    validate,
};
use crate::api::StoppedMode;

/// A spec using every field, with quoting hazards in its text.
pub fn full_spec() -> ImageSpec {
    ImageSpec {
        region: "cn-hangzhou".into(),
        source: Source::Disks(vec![
            DiskSpec {
                disk_type: DiskType::System,
                snapshot_id: Some("s-bp1sys".into()),
                size: Some(40),
                device: None,
            },
            DiskSpec {
                disk_type: DiskType::Data,
                snapshot_id: Some("s-bp1data".into()),
                size: None,
                device: Some("/dev/xvdc".into()),
            },
            DiskSpec {
                disk_type: DiskType::Data,
                snapshot_id: None,
                size: Some(100),
                device: None,
            },
        ]),
        image: ImageDetails {
            name: Some("web-20261127".into()),
            family: Some("web".into()),
            version: Some("2026.11.27".into()),
            description: Some("Nightly web tier image, it's \"fresh\" $HOME".into()),
            platform: Some("Rocky Linux".into()),
            architecture: Some(Architecture::X86_64),
            boot_mode: Some(BootMode::Uefi),
            resource_group_id: Some("rg-bp67acfmxazb4pxxxx".into()),
        },
        tags: vec![
            Tag {
                key: "team".into(),
                value: "platform".into(),
            },
            Tag {
                key: "环境".into(),
                value: "生产 环境".into(),
            },
            Tag {
                key: "empty".into(),
                value: String::new(),
            },
        ],
        features: Features {
            imds_support: Some(ImdsSupport::V2),
            detection_strategy: Some(DetectionStrategy::Standard),
        },
        client_token: Some("123e4567-e89b-12d3-a456-426655440000".into()),
        stop: None,
        delivery: Some(DeliverySpec {
            copy_to: vec!["cn-shanghai".into(), "cn-beijing".into()],
            share_with: vec!["1234567890123457".into()],
            tag_snapshots: true,
            copy_name: Some("web-{region}".into()),
            copy_description: None,
            retire: Some(RetirePlan {
                keep: 3,
                action: RetireAction::Deprecate,
            }),
            ..Default::default()
        }),
    }
}

/// Split a `to_cli` line as a shell would and pair `--Name value` back up.
pub fn parse_cli(line: &str) -> Vec<(String, String)> {
    let words = shlex::split(line).expect("to_cli output is valid shell");
    assert_eq!(words[..3], ["aliyun", "ecs", "CreateImage"]);
    words[3..]
        .chunks(2)
        .map(|pair| {
            let name = pair[0].strip_prefix("--").expect("a --Name word");
            (name.to_owned(), pair[1].clone())
        })
        .collect()
}

/// Text from `pattern` that passes `rule`.
fn text(pattern: &'static str, rule: fn(&str) -> Result<(), String>) -> BoxedStrategy<String> {
    pattern
        .prop_filter("passes its rule", move |s| rule(s).is_ok())
        .boxed()
}

fn size() -> impl Strategy<Value = Option<u32>> {
    proptest::option::of(rules::MIN_DISK_SIZE..=rules::MAX_DISK_SIZE)
}

fn disks() -> impl Strategy<Value = Vec<DiskSpec>> {
    let system =
        (size(), any::<bool>(), "s-[a-z0-9]{1,20}").prop_map(|(size, named, id)| DiskSpec {
            disk_type: DiskType::System,
            snapshot_id: Some(id),
            size,
            device: named.then(|| rules::SYSTEM_DEVICE.to_owned()),
        });
    let data = (
        proptest::option::of("s-[a-z0-9]{1,20}"),
        size(),
        any::<bool>(),
    );
    // Distinct explicit devices: data disk k may take the k-th letter of a shuffled list.
    let letters = Just(('b'..='z').collect::<Vec<char>>()).prop_shuffle();
    (
        system,
        proptest::collection::vec(data, 0..=rules::MAX_DATA_DISKS),
        letters,
    )
        .prop_map(|(system, data, letters)| {
            let data = data
                .into_iter()
                .zip(letters)
                .map(|((snapshot_id, size, named), letter)| DiskSpec {
                    disk_type: DiskType::Data,
                    snapshot_id,
                    size,
                    device: named.then(|| format!("/dev/xvd{letter}")),
                });
            std::iter::once(system).chain(data).collect()
        })
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        "i-[a-z0-9]{1,20}".prop_map(|instance_id| Source::Instance { instance_id }),
        "s-[a-z0-9]{1,20}".prop_map(|snapshot_id| Source::Snapshot { snapshot_id }),
        disks().prop_map(Source::Disks),
    ]
}

fn tags() -> impl Strategy<Value = Vec<Tag>> {
    let key = text(
        "[a-zA-Z0-9 ._:/\"'\\\\=\\[\\]#\u{4e00}-\u{4e0f}-]{1,16}",
        rules::tag_key,
    );
    let value = text("[ -~\u{4e00}-\u{4e0f}]{0,24}", rules::tag_value);
    proptest::collection::vec((key, value), 0..=rules::MAX_TAGS).prop_map(|pairs| {
        let mut tags: Vec<Tag> = Vec::new();
        for (key, value) in pairs {
            if !tags.iter().any(|t| t.key == key) {
                tags.push(Tag { key, value });
            }
        }
        tags
    })
}

fn details() -> impl Strategy<Value = ImageDetails> {
    let name_like = "[a-zA-Z\u{4e00}-\u{4e0f}][a-zA-Z0-9.:_\u{4e00}-\u{4e0f}-]{1,30}";
    (
        proptest::option::of(text(name_like, rules::image_name)),
        proptest::option::of(text(name_like, rules::image_family)),
        proptest::option::of(text("[ -~]{1,40}", rules::image_version)),
        proptest::option::of(text("[ -~\u{4e00}-\u{4e0f}]{2,60}", rules::description)),
        proptest::option::of(select(rules::PLATFORMS).prop_map(str::to_owned)),
        proptest::option::of(select(Architecture::ALL)),
        proptest::option::of(select(BootMode::ALL)),
        proptest::option::of("rg-[a-z0-9]{4,20}"),
    )
        .prop_map(
            |(name, family, version, description, platform, architecture, boot_mode, rg)| {
                ImageDetails {
                    name,
                    family,
                    version,
                    description,
                    platform,
                    architecture,
                    boot_mode,
                    resource_group_id: rg,
                }
            },
        )
}

/// Specs that pass [`validate`] with no error.
pub fn valid_spec() -> impl Strategy<Value = ImageSpec> {
    (
        select(&["cn-hangzhou", "cn-beijing", "ap-southeast-1"][..]),
        source(),
        details(),
        tags(),
        proptest::option::of(select(ImdsSupport::ALL)),
        proptest::option::of(select(DetectionStrategy::ALL)),
        proptest::option::of("[!-~]{1,64}"),
        proptest::option::of((select(&StoppedMode::ALL[..]), any::<bool>(), any::<bool>())),
    )
        .prop_map(
            |(region, source, image, tags, imds, detection, client_token, stop)| ImageSpec {
                region: region.to_owned(),
                // Stopping first is for instance sources only.
                stop: stop
                    .filter(|_| matches!(source, Source::Instance { .. }))
                    .map(|(mode, force, restart)| StopPlan {
                        mode,
                        force,
                        restart,
                    }),
                source,
                image,
                tags,
                features: Features {
                    imds_support: imds,
                    detection_strategy: detection,
                },
                client_token,
                delivery: None,
            },
        )
        .prop_filter("valid", |spec| validate(spec).iter().all(|e| !e.is_error()))
}
