use chrono::{TimeZone, Utc};

use super::*;
use crate::spec::fixtures::full_spec;
use crate::spec::{Architecture, DiskSpec, Tag};

/// `(field, code)` of every error.
fn errors(spec: &ImageSpec) -> Vec<(Field, Option<&'static str>)> {
    findings(validate(spec), Severity::Error)
}

fn findings(all: Vec<Finding>, severity: Severity) -> Vec<(Field, Option<&'static str>)> {
    all.into_iter()
        .filter(|e| e.severity == severity)
        .map(|e| (e.field, e.code))
        .collect()
}

fn instance() -> ImageSpec {
    ImageSpec {
        source: Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7xxxx".into(),
        },
        ..ImageSpec::default()
    }
}

fn with_disks(disks: Vec<DiskSpec>) -> ImageSpec {
    ImageSpec {
        source: Source::Disks(disks),
        ..ImageSpec::default()
    }
}

fn disk(
    disk_type: DiskType,
    snapshot: Option<&str>,
    size: Option<u32>,
    device: Option<&str>,
) -> DiskSpec {
    DiskSpec {
        disk_type,
        snapshot_id: snapshot.map(str::to_owned),
        size,
        device: device.map(str::to_owned),
    }
}

fn system() -> DiskSpec {
    disk(DiskType::System, Some("s-sys"), None, None)
}

fn empty_data(size: Option<u32>) -> DiskSpec {
    disk(DiskType::Data, None, size, None)
}

#[test]
fn a_full_valid_spec_has_no_findings() {
    assert_eq!(validate(&full_spec()), []);
    assert_eq!(validate(&instance()), []);
}

#[test]
fn region_must_look_like_one() {
    for bad in ["", "CN-HANGZHOU", "cn hangzhou"] {
        let spec = ImageSpec {
            region: bad.into(),
            ..instance()
        };
        assert_eq!(
            errors(&spec),
            [(Field::Region, Some("InvalidRegionId.NotFound"))],
            "{bad:?}"
        );
    }
}

#[test]
fn a_source_is_required_and_ids_are_shaped() {
    let missing = [(Field::Source, Some("MissingParameter"))];
    assert_eq!(errors(&ImageSpec::default()), missing);
    assert_eq!(errors(&with_disks(vec![])), missing);
    for bad in ["x-1", "i-", "i-a b", "s-1"] {
        let spec = ImageSpec {
            source: Source::Instance {
                instance_id: bad.into(),
            },
            ..ImageSpec::default()
        };
        assert_eq!(
            errors(&spec),
            [(Field::InstanceId, Some("InvalidInstanceId.NotFound"))],
            "{bad:?}"
        );
    }
    let spec = ImageSpec {
        source: Source::Snapshot {
            snapshot_id: "i-1".into(),
        },
        ..ImageSpec::default()
    };
    assert_eq!(
        errors(&spec),
        [(Field::SnapshotId, Some("InvalidSnapshotId.NotFound"))]
    );
    let spec = with_disks(vec![disk(DiskType::System, Some("snap"), None, None)]);
    assert_eq!(
        errors(&spec),
        [(
            Field::SourceDiskSnapshot(0),
            Some("InvalidSnapshotId.NotFound")
        )]
    );
}

#[test]
fn a_mapping_has_exactly_one_system_disk_first() {
    assert_eq!(errors(&with_disks(vec![system(), empty_data(None)])), []);
    assert_eq!(
        errors(&with_disks(vec![empty_data(None)])),
        [(Field::SourceDisks, Some("OperationDenied"))]
    );
    assert_eq!(
        errors(&with_disks(vec![empty_data(None), system()])),
        [(Field::SourceDiskType(1), None)]
    );
    assert_eq!(
        errors(&with_disks(vec![system(), empty_data(None), system()])),
        [(Field::SourceDiskType(2), Some("OperationDenied"))]
    );
    // The system disk cannot be an empty disk.
    assert_eq!(
        errors(&with_disks(vec![disk(
            DiskType::System,
            None,
            Some(40),
            None
        )])),
        [(Field::SourceDiskSnapshot(0), Some("OperationDenied"))]
    );
}

#[test]
fn at_most_sixteen_data_disks() {
    let mut disks = vec![system()];
    disks.extend((0..16).map(|_| empty_data(None)));
    assert_eq!(errors(&with_disks(disks.clone())), []);
    disks.push(empty_data(None));
    assert_eq!(
        errors(&with_disks(disks)),
        [(Field::SourceDisks, Some("InvalidParameter"))]
    );
}

#[test]
fn disk_sizes_are_in_range() {
    for ok in [20, 32768] {
        assert_eq!(
            errors(&with_disks(vec![system(), empty_data(Some(ok))])),
            [],
            "{ok}"
        );
    }
    for bad in [0, 19, 32769] {
        assert_eq!(
            errors(&with_disks(vec![system(), empty_data(Some(bad))])),
            [(
                Field::SourceDiskSize(1),
                Some("InvalidSize.ValueNotSupported")
            )],
            "{bad}"
        );
    }
    let small_system = disk(DiskType::System, Some("s-sys"), Some(10), None);
    assert_eq!(
        errors(&with_disks(vec![small_system])),
        [(
            Field::SourceDiskSize(0),
            Some("InvalidSize.ValueNotSupported")
        )]
    );
}

#[test]
fn devices_are_valid_and_unique() {
    let named = |t, dev| disk(t, Some("s-1"), None, Some(dev));
    assert_eq!(
        errors(&with_disks(vec![
            named(DiskType::System, "/dev/xvda"),
            named(DiskType::Data, "/dev/xvdz"),
        ])),
        []
    );
    for (spec, field) in [
        (vec![named(DiskType::System, "/dev/xvdb")], 0),
        (vec![system(), named(DiskType::Data, "/dev/xvda")], 1),
        (vec![system(), named(DiskType::Data, "/dev/sdb")], 1),
    ] {
        assert_eq!(
            errors(&with_disks(spec)),
            [(
                Field::SourceDiskDevice(field),
                Some("InvalidDevice.Malformed")
            )]
        );
    }
    let spec = with_disks(vec![
        system(),
        named(DiskType::Data, "/dev/xvdc"),
        named(DiskType::Data, "/dev/xvdc"),
    ]);
    let found = validate(&spec);
    assert_eq!(
        findings(found.clone(), Severity::Error),
        [(Field::SourceDiskDevice(2), Some("InvalidDevice.InUse"))]
    );
    assert!(
        found[0].message.contains("Disk 2 also uses /dev/xvdc"),
        "{}",
        found[0].message
    );
    // Unnamed disks are assigned around named ones, so they never collide.
    let spec = with_disks(vec![
        system(),
        empty_data(None),
        named(DiskType::Data, "/dev/xvdb"),
    ]);
    assert_eq!(errors(&spec), []);
}

fn image_errors(edit: impl FnOnce(&mut ImageSpec)) -> Vec<(Field, Option<&'static str>)> {
    let mut spec = instance();
    edit(&mut spec);
    errors(&spec)
}

#[test]
fn image_names() {
    let name = |s: &str| image_errors(|spec| spec.image.name = Some(s.to_owned()));
    let bad = [(Field::ImageName, Some("InvalidImageName.Malformed"))];
    for ok in [
        "镜像-测试",
        "ab",
        "web:v1_2.0",
        &"a".repeat(128),
        &"镜".repeat(128),
    ] {
        assert_eq!(name(ok), [], "{ok:?}");
    }
    for wrong in [
        "a",
        "",
        "1web",
        "http://web",
        "https://web",
        "web image",
        &"a".repeat(129),
        &"镜".repeat(129),
    ] {
        assert_eq!(name(wrong), bad, "{wrong:?}");
    }
    let mut spec = instance();
    spec.image.name = Some("1web".into());
    let message = &validate(&spec)[0].message;
    assert!(message.contains("must start with a letter"), "{message}");
}

#[test]
fn image_families() {
    let family = |s: &str| image_errors(|spec| spec.image.family = Some(s.to_owned()));
    let bad = [(Field::ImageFamily, Some("InvalidImageFamily.Malformed"))];
    for ok in ["hangzhou-daily-update", "镜像族", "ab"] {
        assert_eq!(family(ok), [], "{ok:?}");
    }
    for wrong in [
        "aliyun-web",
        "acs:web",
        "web-http://x",
        "9web",
        "w",
        &"f".repeat(129),
    ] {
        assert_eq!(family(wrong), bad, "{wrong:?}");
    }
}

#[test]
fn descriptions_and_versions() {
    let description = |s: &str| image_errors(|spec| spec.image.description = Some(s.to_owned()));
    let bad = [(Field::Description, Some("InvalidDescription.Malformed"))];
    for ok in ["说明", "Nightly web tier", &"d".repeat(256)] {
        assert_eq!(description(ok), [], "{ok:?}");
    }
    for wrong in ["d", "http://x", "https://x", &"d".repeat(257), "nul\0byte"] {
        assert_eq!(description(wrong), bad, "{wrong:?}");
    }
    let version = |s: &str| image_errors(|spec| spec.image.version = Some(s.to_owned()));
    assert_eq!(version("2017011017"), []);
    assert_eq!(
        version(""),
        [(Field::ImageVersion, Some("InvalidImageVersion.Malformed"))]
    );
}

#[test]
fn platform_and_resource_group() {
    let platform = |s: &str| image_errors(|spec| spec.image.platform = Some(s.to_owned()));
    assert_eq!(platform("CentOS Stream"), []);
    assert_eq!(platform("Windows Server 2022"), []);
    for wrong in ["Windows 7", "centos", ""] {
        assert_eq!(
            platform(wrong),
            [(Field::Platform, Some("InvalidPlatform.Malformed"))],
            "{wrong:?}"
        );
    }
    let group = |s: &str| image_errors(|spec| spec.image.resource_group_id = Some(s.to_owned()));
    assert_eq!(group("rg-bp67acfmxazb4pxxxx"), []);
    assert_eq!(
        group("bp67acfm"),
        [(
            Field::ResourceGroupId,
            Some("InvalidResourceGroup.NotFound")
        )]
    );
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn tag_errors(tags: Vec<Tag>) -> Vec<(Field, Option<&'static str>)> {
    image_errors(|spec| spec.tags = tags)
}

#[test]
fn tag_keys_and_values() {
    let ok = [
        tag("env", ""),
        tag("环境", "生产"),
        tag(&"k".repeat(128), &"v".repeat(128)),
        tag("owner", "aliyun-is-fine-in-values"),
    ];
    assert_eq!(tag_errors(ok.to_vec()), []);
    let key = Some("InvalidTagKey.Malformed");
    let value = Some("InvalidTagValue.Malformed");
    for (bad, expected) in [
        (tag("", "v"), (Field::TagKey(0), key)),
        (tag("aliyun:x", "v"), (Field::TagKey(0), key)),
        (tag("acs:x", "v"), (Field::TagKey(0), key)),
        (tag("see http://x", "v"), (Field::TagKey(0), key)),
        (tag(&"键".repeat(129), "v"), (Field::TagKey(0), key)),
        (tag("k", "acs:v"), (Field::TagValue(0), value)),
        (tag("k", "https://v"), (Field::TagValue(0), value)),
        (tag("k", &"值".repeat(129)), (Field::TagValue(0), value)),
    ] {
        assert_eq!(tag_errors(vec![bad.clone()]), [expected], "{bad:?}");
    }
}

#[test]
fn tag_count_and_duplicates() {
    let many = |n: usize| {
        (0..n)
            .map(|i| tag(&format!("k{i}"), "v"))
            .collect::<Vec<_>>()
    };
    assert_eq!(tag_errors(many(20)), []);
    assert_eq!(
        tag_errors(many(21)),
        [(Field::Tags, Some("QuotaExceed.Tags"))]
    );
    assert_eq!(
        tag_errors(vec![tag("env", "a"), tag("team", "b"), tag("env", "c")]),
        [(Field::TagKey(2), Some("Duplicate.TagKey"))]
    );
    // Keys are case-sensitive.
    assert_eq!(tag_errors(vec![tag("env", "a"), tag("Env", "b")]), []);
}

#[test]
fn client_tokens() {
    let token = |s: &str| image_errors(|spec| spec.client_token = Some(s.to_owned()));
    let bad = [(
        Field::ClientToken,
        Some("InvalidClientToken.ValueNotSupported"),
    )];
    assert_eq!(token(&"t".repeat(64)), []);
    for wrong in ["", &"t".repeat(65), "tök", "a b"] {
        assert_eq!(token(wrong), bad, "{wrong:?}");
    }
}

#[test]
fn stopping_first_needs_an_instance_source() {
    let mut spec = instance();
    spec.stop = Some(crate::spec::StopPlan::KEEP_AND_RESTART);
    assert_eq!(findings(validate(&spec), Severity::Error), []);
    spec.source = Source::Snapshot {
        snapshot_id: "s-1".into(),
    };
    let errors = validate(&spec);
    assert_eq!(
        findings(errors.clone(), Severity::Error),
        [(Field::Stop, None)]
    );
    assert!(errors[0].message.contains("for an instance source"));
}

fn facts(size_gib: u32, source: DiskType) -> SnapshotFacts {
    SnapshotFacts {
        size_gib: Some(size_gib),
        status: SnapshotFacts::READY_STATUS.into(),
        progress: Some(100),
        creation_time: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).single(),
        source_disk_type: source,
        encrypted: false,
        kms_key_id: String::new(),
        category: "standard".into(),
    }
}

fn context(snapshots: Vec<(&str, SnapshotFacts)>) -> Facts {
    Facts {
        snapshots: snapshots
            .into_iter()
            .map(|(id, f)| (id.to_owned(), f))
            .collect(),
        ..Facts::default()
    }
}

fn live_errors(spec: &ImageSpec, ctx: &Facts) -> Vec<(Field, Option<&'static str>)> {
    findings(validate_with(spec, ctx), Severity::Error)
}

#[test]
fn names_already_taken() {
    let mut spec = instance();
    spec.image.name = Some("web".into());
    let mut ctx = Facts::default();
    assert_eq!(live_errors(&spec, &ctx), []);
    ctx.image_names_in_region.insert("web".into());
    assert_eq!(
        live_errors(&spec, &ctx),
        [(Field::ImageName, Some("InvalidImageName.Duplicated"))]
    );
}

#[test]
fn snapshots_must_be_ready_recent_and_from_a_system_disk() {
    let spec = ImageSpec {
        source: Source::Snapshot {
            snapshot_id: "s-1".into(),
        },
        ..ImageSpec::default()
    };
    assert_eq!(
        live_errors(&spec, &context(vec![("s-1", facts(40, DiskType::System))])),
        []
    );
    // Unknown to the context: not checked here.
    assert_eq!(live_errors(&spec, &context(vec![])), []);

    let mut pending = facts(40, DiskType::System);
    pending.status = "progressing".into();
    assert_eq!(
        live_errors(&spec, &context(vec![("s-1", pending)])),
        [(Field::SnapshotId, Some("InvalidSnapshotId.NotReady"))]
    );
    let mut old = facts(40, DiskType::System);
    old.creation_time = Utc.with_ymd_and_hms(2013, 7, 15, 12, 0, 0).single();
    assert_eq!(
        live_errors(&spec, &context(vec![("s-1", old)])),
        [(Field::SnapshotId, Some("InvalidSnapshot.TooOld"))]
    );
    assert_eq!(
        live_errors(&spec, &context(vec![("s-1", facts(40, DiskType::Data))])),
        [(Field::SnapshotId, Some("OperationDenied"))]
    );
    let mut archived = facts(40, DiskType::System);
    archived.category = "archive".into();
    assert_eq!(
        live_errors(&spec, &context(vec![("s-1", archived.clone())])),
        [(
            Field::SnapshotId,
            Some("InvalidSnapshotCategory.NotSupportImageCreation")
        )]
    );
    // The same rule in a mapping, on the disk's snapshot.
    let mapped = with_disks(vec![
        system(),
        disk(DiskType::Data, Some("s-1"), None, None),
    ]);
    let ctx = context(vec![
        ("s-sys", facts(40, DiskType::System)),
        ("s-1", archived),
    ]);
    assert_eq!(
        live_errors(&mapped, &ctx),
        [(
            Field::SourceDiskSnapshot(1),
            Some("InvalidSnapshotCategory.NotSupportImageCreation")
        )]
    );
}

#[test]
fn an_instance_without_a_system_disk() {
    let spec = instance();
    let Source::Instance { instance_id } = &spec.source else {
        unreachable!("an instance source")
    };
    let mut ctx = Facts::default();
    assert_eq!(live_errors(&spec, &ctx), []);
    ctx.instances_without_system_disk
        .insert(instance_id.clone());
    assert_eq!(
        live_errors(&spec, &ctx),
        [(Field::Source, Some("InvalidInstance.NotFoundSystemDisk"))]
    );
}

#[test]
fn mapped_disks_are_at_least_their_snapshot() {
    let spec = with_disks(vec![
        disk(DiskType::System, Some("s-sys"), Some(40), None),
        disk(DiskType::Data, Some("s-data"), Some(100), None),
    ]);
    let ctx = |data_size| {
        context(vec![
            ("s-sys", facts(40, DiskType::System)),
            ("s-data", facts(data_size, DiskType::Data)),
        ])
    };
    assert_eq!(live_errors(&spec, &ctx(100)), []);
    let mut tiny = spec.clone();
    if let Source::Disks(disks) = &mut tiny.source {
        disks[1].size = Some(10);
    }
    assert_eq!(
        live_errors(&tiny, &ctx(100)),
        [(
            Field::SourceDiskSize(1),
            Some("InvalidSize.ValueNotSupported")
        )],
        "reported once"
    );
    assert_eq!(
        live_errors(&spec, &ctx(120)),
        [(
            Field::SourceDiskSize(1),
            Some("InvalidSize.ValueNotSupported")
        )]
    );
}

#[test]
fn promoting_a_data_disk_snapshot() {
    let mut spec = with_disks(vec![system()]);
    let data_snapshot = facts(40, DiskType::Data);
    let ctx = context(vec![("s-sys", data_snapshot.clone())]);
    // Allowed, but ECS cannot tell the OS: warn about both.
    assert_eq!(live_errors(&spec, &ctx), []);
    assert_eq!(
        findings(validate_with(&spec, &ctx), Severity::Warning),
        [(Field::Platform, None), (Field::Architecture, None)]
    );
    spec.image.platform = Some("Ubuntu".into());
    spec.image.architecture = Some(Architecture::Arm64);
    assert_eq!(validate_with(&spec, &ctx), []);

    let encrypted = SnapshotFacts {
        encrypted: true,
        ..data_snapshot
    };
    assert_eq!(
        live_errors(&spec, &context(vec![("s-sys", encrypted)])),
        [(Field::SourceDiskType(0), Some("InvalidParameter.DiskType"))]
    );
}
