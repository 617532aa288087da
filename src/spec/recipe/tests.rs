use proptest::prelude::*;

use super::*;
use crate::spec::fixtures::{full_spec, parse_cli, valid_spec};
use crate::spec::{Architecture, BootMode, ImdsSupport, to_cli, to_params};

fn parse(text: &str) -> Result<ImageSpec, RecipeError> {
    parse_recipe(text, Path::new("r.toml"))
}

/// The single problem of a failed parse.
fn problem(text: &str) -> RecipeProblem {
    let err = parse(text).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    err.problems.into_iter().next().unwrap()
}

const DESIGN_EXAMPLE: &str = r#"region = "cn-hangzhou"

[source]                      # exactly one of: instance_id, snapshot_id, disks
instance_id = "i-bp1g6zv0ce8oghu7xxxx"

[image]
name = "web-nightly"
family = "web"
version = "2026.11.27"
description = "Nightly web tier image"
platform = "Aliyun"
architecture = "x86_64"
boot_mode = "UEFI"
resource_group_id = "rg-bp67acfmxazb4pxxxx"

[features]
imds_support = "v2"
detection_strategy = "Standard"

[tags]                        # up to 20; TOML itself forbids duplicate keys
env = "prod"
team = "platform"
"#;

#[test]
fn the_design_example_loads() {
    let spec = parse(DESIGN_EXAMPLE).unwrap();
    assert_eq!(
        spec.source,
        Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7xxxx".into()
        }
    );
    assert_eq!(spec.image.name.as_deref(), Some("web-nightly"));
    assert_eq!(spec.image.platform.as_deref(), Some("Aliyun"));
    assert_eq!(spec.image.architecture, Some(Architecture::X86_64));
    assert_eq!(spec.image.boot_mode, Some(BootMode::Uefi));
    assert_eq!(spec.features.imds_support, Some(ImdsSupport::V2));
    let tags: Vec<_> = spec.tags.iter().map(|t| (&*t.key, &*t.value)).collect();
    assert_eq!(tags, [("env", "prod"), ("team", "platform")]);
    assert_eq!(spec.client_token, None);
}

#[test]
fn full_spec_round_trips_and_looks_like_the_design() {
    let spec = full_spec();
    let text = to_recipe(&spec);
    assert!(
        text.contains("\n[[source.disks]]\ndisk_type = \"system\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\n[image]\nname = \"web-20261127\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\n[tags]\nteam = \"platform\"\n\"环境\" = \"生产 环境\"\n"),
        "{text}"
    );
    assert_eq!(parse(&text).unwrap(), spec);
}

#[test]
fn an_empty_spec_writes_a_recipe_that_asks_for_a_source() {
    let text = to_recipe(&ImageSpec::default());
    assert_eq!(
        text.lines().skip(1).collect::<Vec<_>>(),
        ["region = \"cn-hangzhou\"", "", "[source]"]
    );
    assert_eq!(problem(&text).field, Some(Field::Source));
}

#[test]
fn tags_keep_document_order() {
    let text = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n\
                [tags]\nzeta = \"1\"\nalpha = \"2\"\n\"m.n\" = \"3\"\n";
    let spec = parse(text).unwrap();
    let keys: Vec<_> = spec.tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["zeta", "alpha", "m.n"]);
    assert_eq!(parse(&to_recipe(&spec)).unwrap(), spec);
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let p = problem("region = \"cn-hangzhou\"\n[source\n");
    assert_eq!(p.position.map(|(line, _)| line), Some(2));
    assert_eq!(p.key, None);
    // TOML's own rule against duplicate keys covers duplicate tags.
    let p = problem("region = \"x\"\n[tags]\nenv = \"a\"\nenv = \"b\"\n");
    assert_eq!(p.position.map(|(line, _)| line), Some(4), "{p:?}");
}

#[test]
fn unknown_keys_are_errors_at_their_line() {
    let err = parse("region = \"cn-hangzhou\"\n[image]\nnmae = \"web\"\n").unwrap_err();
    let p = &err.problems[0];
    assert_eq!(p.position, Some((3, 1)));
    assert!(p.message.contains("unknown field `nmae`"), "{}", p.message);
    assert!(
        err.to_string()
            .starts_with("r.toml:3:1: unknown field `nmae`"),
        "{err}"
    );
}

#[test]
fn validation_errors_point_at_the_key_line() {
    let text = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n\
                [image]\nfamily = \"web\"\nname = \"1web\"\n";
    let p = problem(text);
    assert_eq!(p.position, Some((6, 8)));
    assert_eq!(p.key.as_deref(), Some("image.name"));
    assert_eq!(p.field, Some(Field::ImageName));
    assert_eq!(p.code, Some("InvalidImageName.Malformed"));
    let shown = parse(text).unwrap_err().to_string();
    assert!(
        shown.starts_with("r.toml:6:8: image.name: The image name must start with a letter"),
        "{shown}"
    );
}

#[test]
fn every_problem_is_reported_in_line_order() {
    let text = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n\
                [image]\nname = \"x\"\narchitecture = \"amd64\"\n\
                [tags]\nok = \"fine\"\n\"acs:bad\" = \"v\"\n";
    let err = parse(text).unwrap_err();
    let found: Vec<_> = err
        .problems
        .iter()
        .map(|p| (p.position.unwrap().0, p.key.clone().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (5, "image.name".to_owned()),
            (6, "image.architecture".to_owned()),
            (9, "tags.\"acs:bad\"".to_owned())
        ]
    );
    assert!(err.problems[1].message.contains("x86_64, i386, arm64"));
    assert_eq!(err.to_string().lines().count(), 3);
}

#[test]
fn two_sources_are_refused_with_the_priority_explained() {
    let text = "region = \"cn-hangzhou\"\n[source]\nsnapshot_id = \"s-1\"\n\
                instance_id = \"i-1\"\n";
    let p = problem(text);
    assert_eq!(p.position.map(|(line, _)| line), Some(3), "the ignored one");
    assert_eq!(p.key.as_deref(), Some("source"));
    assert!(
        p.message.contains("both instance_id and snapshot_id"),
        "{}",
        p.message
    );
    assert!(
        p.message
            .contains("InstanceId, then DiskDeviceMapping, then SnapshotId")
    );

    let text = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n\
                [[source.disks]]\ndisk_type = \"system\"\nsnapshot_id = \"s-1\"\n";
    let p = problem(text);
    assert_eq!(p.position.map(|(line, _)| line), Some(4));
    assert!(p.message.contains("both instance_id and [[source.disks]]"));
}

#[test]
fn a_missing_source_points_at_the_source_table() {
    let p = problem("region = \"cn-hangzhou\"\n\n[source]\n");
    assert_eq!(p.position.map(|(line, _)| line), Some(3));
    assert_eq!(p.code, Some("MissingParameter"));
    let p = problem("region = \"cn-hangzhou\"\n");
    assert_eq!(p.position, None);
    assert_eq!(p.key.as_deref(), Some("source"));
    assert_eq!(
        parse("region = \"cn-hangzhou\"\n").unwrap_err().to_string(),
        format!("r.toml: source: {}", p.message)
    );
}

#[test]
fn disk_problems_point_into_their_entry() {
    let head = "region = \"cn-hangzhou\"\n[[source.disks]]\ndisk_type = \"system\"\n\
                snapshot_id = \"s-1\"\n[[source.disks]]\n";
    let p = problem(&format!("{head}disk_type = \"data\"\nsize = -5\n"));
    assert_eq!(
        (p.position, p.key.as_deref()),
        (Some((7, 8)), Some("source.disks[1].size"))
    );
    let p = problem(&format!("{head}disk_type = \"data\"\nsize = 10\n"));
    assert_eq!(p.position.map(|(line, _)| line), Some(7));
    assert_eq!(p.code, Some("InvalidSize.ValueNotSupported"));
    let p = problem(&format!("{head}disk_type = \"Data\"\n"));
    assert_eq!(p.position, Some((6, 13)));
    assert!(p.message.contains("system, data"), "{}", p.message);
    let p = problem(&format!(
        "{head}disk_type = \"data\"\ndevice = \"/dev/xvda\"\n"
    ));
    assert_eq!(
        (p.position.map(|(l, _)| l), p.code),
        (Some(7), Some("InvalidDevice.Malformed"))
    );
    // An unreadable type is reported alone, not also as "no system disk".
    let p = problem(
        "region = \"cn-hangzhou\"\n[[source.disks]]\ndisk_type = \"System\"\n\
                     snapshot_id = \"s-1\"\n[[source.disks]]\ndisk_type = \"data\"\n",
    );
    assert_eq!(p.key.as_deref(), Some("source.disks[0].disk_type"));
    let p = problem(&format!("{head}size = 20\n"));
    assert!(
        p.message.contains("missing field `disk_type`"),
        "{}",
        p.message
    );
    assert_eq!(p.position.map(|(line, _)| line), Some(5));
}

#[test]
fn dotted_tag_keys_get_a_hint() {
    let p = problem("region = \"cn-hangzhou\"\n[tags]\napp.tier = \"web\"\n");
    assert_eq!(p.position.map(|(line, _)| line), Some(3));
    assert!(
        p.message.contains("quote keys that contain dots"),
        "{}",
        p.message
    );
    let p = problem("region = \"cn-hangzhou\"\n[tags]\nport = 80\n");
    assert!(
        p.message.contains("invalid type: integer `80`"),
        "{}",
        p.message
    );
}

#[test]
fn columns_count_characters() {
    let p = problem(
        "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n[tags]\n\"环境\" = \"acs:x\"\n",
    );
    assert_eq!(p.position, Some((5, 8)));
    assert_eq!(p.key.as_deref(), Some("tags.\"环境\""));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn valid_specs_survive_recipe_params_and_cli(spec in valid_spec()) {
        let text = to_recipe(&spec);
        let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &spec);
        prop_assert_eq!(to_params(&back), to_params(&spec));
        prop_assert_eq!(to_recipe(&back), text);
        let line = to_cli(&spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parse_cli(&line), to_params(&spec));
    }
}

#[test]
fn delivery_reads_and_its_problems_point_at_their_line() {
    let head = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n\
                [image]\nfamily = \"web\"\n";
    let good = format!(
        "{head}[delivery]\ncopy_to = [\"cn-shanghai\", \"cn-beijing\"]\n\
         share_with = [\"1234567890123457\"]\ntag_snapshots = true\n\
         [delivery.retire]\nkeep = 3\naction = \"delete\"\n"
    );
    let spec = parse(&good).unwrap();
    let delivery = spec.delivery.clone().unwrap();
    assert_eq!(delivery.copy_to, ["cn-shanghai", "cn-beijing"]);
    assert!(delivery.tag_snapshots);
    assert_eq!(
        delivery.retire.map(|r| (r.keep, r.action)),
        Some((3, crate::spec::RetireAction::Delete))
    );
    assert_eq!(parse(&to_recipe(&spec)).unwrap(), spec);

    let p = problem(&format!(
        "{head}[delivery]\ncopy_to = [\"cn-shanghai\",\n  \"cn-hangzhou\"]\n"
    ));
    assert_eq!(p.key.as_deref(), Some("delivery.copy_to[1]"));
    assert_eq!(p.position, Some((8, 3)), "{p:?}");
    let p = problem(&format!(
        "{head}[delivery.retire]\nkeep = -1\naction = \"deprecate\"\n"
    ));
    assert_eq!(p.key.as_deref(), Some("delivery.retire.keep"));
    assert_eq!(p.position.map(|(line, _)| line), Some(7), "{p:?}");
    let p = problem(&format!("{head}[delivery]\nshare_with = [\"42\"]\n"));
    assert!(p.message.contains("16 digits"), "{p:?}");
    let p = problem(&format!("{head}[delivery]\ncopy = [\"cn-beijing\"]\n"));
    assert_eq!(p.position.map(|(line, _)| line), Some(7), "{p:?}");
}

#[test]
fn kms_keys_read_in_order_write_back_and_problems_point_at_their_region() {
    let head = "region = \"cn-hangzhou\"\n[source]\ninstance_id = \"i-1\"\n";
    let good = format!(
        "{head}[delivery]\ncopy_to = [\"cn-shanghai\", \"cn-beijing\"]\n\
         share_with = [\"1234567890123457\"]\nencrypt_copies = true\n\
         [delivery.kms_key_ids]\ncn-shanghai = \"key-sh\"\ncn-beijing = \"key-bj\"\n"
    );
    let spec = parse(&good).unwrap();
    let delivery = spec.delivery.clone().unwrap();
    assert!(delivery.encrypt_copies);
    assert_eq!(
        delivery.kms_key_ids,
        [
            ("cn-shanghai".to_string(), "key-sh".to_string()),
            ("cn-beijing".to_string(), "key-bj".to_string())
        ]
    );
    let written = to_recipe(&spec);
    assert!(written.contains("[delivery.kms_key_ids]"), "{written}");
    assert_eq!(parse(&written).unwrap(), spec);

    // A key for a region no copy goes to, at its line.
    let p = problem(&format!(
        "{head}[delivery]\ncopy_to = [\"cn-beijing\"]\nencrypt_copies = true\n\
         [delivery.kms_key_ids]\ncn-beijing = \"key-bj\"\ncn-wuhan-lr = \"key-wh\"\n"
    ));
    assert_eq!(p.key.as_deref(), Some("delivery.kms_key_ids.cn-wuhan-lr"));
    assert_eq!(p.position, Some((9, 1)), "{p:?}");
    assert!(p.message.contains("No copy goes to cn-wuhan-lr"), "{p:?}");
    // An empty ID.
    let p = problem(&format!(
        "{head}[delivery]\ncopy_to = [\"cn-beijing\"]\nencrypt_copies = true\n\
         [delivery.kms_key_ids]\ncn-beijing = \"\"\n"
    ));
    assert_eq!(p.key.as_deref(), Some("delivery.kms_key_ids.cn-beijing"));
    assert!(p.message.contains("empty"), "{p:?}");
    // Keys without encrypt_copies.
    let p = problem(&format!(
        "{head}[delivery]\ncopy_to = [\"cn-beijing\"]\n\
         [delivery.kms_key_ids]\ncn-beijing = \"key-bj\"\n"
    ));
    assert_eq!(p.key.as_deref(), Some("delivery.kms_key_ids"));
    assert_eq!(p.code, Some("InvalidParameter.EncryptedIllegal"));
    // Encrypted, shared, and a region without a key: the copy could not be shared.
    let p = problem(&format!(
        "{head}[delivery]\ncopy_to = [\"cn-beijing\"]\nencrypt_copies = true\n\
         share_with = [\"1234567890123457\"]\n"
    ));
    assert_eq!(p.key.as_deref(), Some("delivery.encrypt_copies"));
    assert_eq!(p.position.map(|(line, _)| line), Some(6), "{p:?}");
    assert!(p.message.contains("cn-beijing"), "{p:?}");
    // Not shared: the key ECS picks is allowed, with a warning only.
    let unshared = format!("{head}[delivery]\ncopy_to = [\"cn-beijing\"]\nencrypt_copies = true\n");
    let spec = parse(&unshared).unwrap();
    let warned = validate(&spec);
    assert!(
        warned
            .iter()
            .any(|f| f.field == Field::DeliveryEncryptCopies && !f.is_error()),
        "{warned:?}"
    );
}
