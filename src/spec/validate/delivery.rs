//! The rules of a recipe's `[delivery]` table that the spec alone decides.

use super::Finding;
use crate::spec::delivery::fill_copy_text;
use crate::spec::{DeliverySpec, Facts, Field, ImageSpec, Source, rules};

/// An account ID as ECS gives one: 16 digits. The wizard judges an ID with it as it is typed.
pub fn account_id(id: &str) -> Result<(), String> {
    if id.len() == 16 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not an Alibaba Cloud account ID; an account ID is 16 digits (the \
             account's UID, shown in the console's account menu)."
        ))
    }
}

/// A region ID's shape: lowercase letters, digits and hyphens, two parts at least.
fn region_shaped(region: &str) -> bool {
    region.contains('-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The rules of `[delivery]` that the spec alone decides.
pub(super) fn check(spec: &ImageSpec, out: &mut Vec<Finding>) {
    let Some(delivery) = &spec.delivery else {
        return;
    };
    for (i, region) in delivery.copy_to.iter().enumerate() {
        let field = Field::DeliveryCopyTo(i);
        if !region_shaped(region) {
            out.push(Finding::error(
                field,
                Some("DestinationRegion.NotFound"),
                format!(
                    "{region:?} is not a region ID; use one such as cn-shanghai (lowercase \
                     letters, digits and hyphens)."
                ),
            ));
        } else if *region == spec.region {
            out.push(Finding::error(
                field,
                Some("IncorrectDestinationRegion"),
                format!(
                    "The image is built in {region}; copy_to lists the other regions to copy \
                     it to. Remove {region}."
                ),
            ));
        } else if delivery.copy_to[..i].contains(region) {
            out.push(Finding::error(
                field,
                None,
                format!("{region} is listed twice; one copy per region is made, remove one."),
            ));
        }
    }
    for (i, id) in delivery.share_with.iter().enumerate() {
        let field = Field::DeliveryShareWith(i);
        if let Err(message) = account_id(id) {
            out.push(Finding::error(
                field,
                Some("InvalidAccount.NotFound"),
                message,
            ));
        } else if delivery.share_with[..i].contains(id) {
            out.push(Finding::error(
                field,
                None,
                format!("Account {id} is listed twice; remove one."),
            ));
        }
    }
    if delivery.share_with.len() > MAX_SHARED_ACCOUNTS {
        out.push(Finding::error(
            Field::DeliveryShareWith(MAX_SHARED_ACCOUNTS),
            Some("QuotaExceed.ShareImageUser"),
            format!(
                "An image can be shared with at most {MAX_SHARED_ACCOUNTS} accounts; \
                 share_with lists {}.",
                delivery.share_with.len()
            ),
        ));
    }
    // Each copy's text as it will be sent, judged by CreateImage's rules (CopyImage has the
    // same ones); reported once, for the first region it fails in.
    let texts = [
        (
            Field::DeliveryCopyName,
            &delivery.copy_name,
            "InvalidImageName.Malformed",
            rules::image_name as fn(&str) -> Result<(), String>,
        ),
        (
            Field::DeliveryCopyDescription,
            &delivery.copy_description,
            "InvalidDescription.Malformed",
            rules::description,
        ),
    ];
    for (field, text, code, rule) in texts {
        let Some(text) = text else { continue };
        // `{date}` as eight digits, as any date fills it.
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1);
        let problem = delivery
            .copy_to
            .iter()
            .find_map(|region| rule(&fill_copy_text(text, region, date)).err());
        if let Some(message) = problem {
            out.push(Finding::error(field, Some(code), message));
        }
    }
    check_encryption(spec, delivery, out);
    if let Some(retire) = &delivery.retire {
        if retire.keep == 0 {
            out.push(Finding::error(
                Field::DeliveryRetireKeep,
                None,
                "keep counts the images of the family that stay, the new one included; it is \
                 1 or more.",
            ));
        }
        if spec.image.family.as_deref().is_none_or(str::is_empty) {
            out.push(Finding::error(
                Field::DeliveryRetire,
                None,
                "Retiring needs the image's family to find the older images; set image.family \
                 or remove [delivery.retire].",
            ));
        }
    }
}

/// `encrypt_copies` and `[delivery.kms_key_ids]`: a key for each copy's region, in no other.
fn check_encryption(spec: &ImageSpec, delivery: &DeliverySpec, out: &mut Vec<Finding>) {
    for (i, (region, key)) in delivery.kms_key_ids.iter().enumerate() {
        let field = Field::DeliveryKmsKeyId(i);
        if !delivery.copy_to.contains(region) {
            out.push(Finding::error(
                field,
                None,
                format!(
                    "No copy goes to {region}: a KMS key serves the copy in its own region. \
                     Add {region} to copy_to or remove its key."
                ),
            ));
        } else if key.trim().is_empty() {
            out.push(Finding::error(
                field,
                Some("InvalidParameter.KMSKeyId.NotFound"),
                format!("The KMS key ID for {region} is empty; give the key's ID or remove it."),
            ));
        } else if let Err(message) = kms_key_id(key) {
            out.push(Finding::error(
                field,
                Some("InvalidParameter.KMSKeyId.NotFound"),
                message,
            ));
        } else if delivery.kms_key_ids[..i].iter().any(|(r, _)| r == region) {
            out.push(Finding::error(
                field,
                None,
                format!("{region} has two keys; keep one."),
            ));
        }
    }
    if !delivery.kms_key_ids.is_empty() && !delivery.encrypt_copies {
        out.push(Finding::error(
            Field::DeliveryKmsKeyIds,
            Some("InvalidParameter.EncryptedIllegal"),
            "ECS takes a KMS key only for an encrypted copy; add encrypt_copies = true, or \
             remove [delivery.kms_key_ids].",
        ));
    }
    if !delivery.encrypt_copies {
        return;
    }
    if !delivery.share_with.is_empty()
        && matches!(&spec.source, Source::Disks(disks) if disks.len() > 1)
    {
        out.push(Finding::error(
            Field::DeliveryEncryptCopies,
            Some("OperationDeined.FullImage"),
            "ECS shares an encrypted image only when it has one snapshot, and this image has \
             several disks. Remove share_with or encrypt_copies, or build from one disk.",
        ));
    }
    let keyless: Vec<&str> = delivery
        .copy_to
        .iter()
        .filter(|r| delivery.kms_key_id(r).is_none())
        .map(String::as_str)
        .collect();
    if keyless.is_empty() {
        return;
    }
    let regions = keyless.join(", ");
    // Which key ECS picks without KMSKeyId is not stated in the references; the service key
    // is the likely one, and ECS refuses to share an image encrypted with it.
    if delivery.share_with.is_empty() {
        out.push(Finding::warning(
            Field::DeliveryEncryptCopies,
            None,
            format!(
                "The copies to {regions} name no KMS key: ECS encrypts them with a key it \
                 picks (the service key, presumably), and such an image cannot be shared \
                 later. Name a key per region in [delivery.kms_key_ids] to choose it."
            ),
        ));
    } else {
        out.push(Finding::error(
            Field::DeliveryEncryptCopies,
            Some("InvalidOperation.ServiceKeyEncryptedImageUnsupported"),
            format!(
                "The copies to {regions} would be encrypted with a key ECS picks (the service \
                 key, presumably), and ECS refuses to share such an image with share_with. \
                 Name a KMS key for each of them in [delivery.kms_key_ids]."
            ),
        ));
    }
}

/// The image's snapshots as the live facts tell them: how many, and the encrypted ones by
/// name with their key (empty: the service key). `None` while a fact is missing.
fn image_snapshots(spec: &ImageSpec, live: &Facts) -> Option<(usize, Vec<(String, String)>)> {
    let keys: Vec<(String, bool, String)> = match &spec.source {
        Source::Instance { instance_id } => live
            .instance_disks
            .get(instance_id)?
            .iter()
            .map(|d| {
                (
                    format!("disk {}", d.disk),
                    d.encrypted,
                    d.kms_key_id.clone(),
                )
            })
            .collect(),
        Source::Snapshot { snapshot_id } => {
            let facts = live.snapshots.get(snapshot_id)?;
            vec![(
                format!("snapshot {snapshot_id}"),
                facts.encrypted,
                facts.kms_key_id.clone(),
            )]
        }
        Source::Disks(disks) => disks
            .iter()
            .filter_map(|d| d.snapshot_id.as_ref())
            .map(|id| {
                let facts = live.snapshots.get(id)?;
                Some((
                    format!("snapshot {id}"),
                    facts.encrypted,
                    facts.kms_key_id.clone(),
                ))
            })
            .collect::<Option<_>>()?,
    };
    let count = keys.len();
    let encrypted = keys
        .into_iter()
        .filter(|(_, encrypted, _)| *encrypted)
        .map(|(name, _, key)| (name, key))
        .collect();
    Some((count, encrypted))
}

/// Sharing an image that will hold an encrypted snapshot, as the source's facts tell: ECS
/// refuses to share an image encrypted with the service key, and an encrypted image of more
/// than one snapshot (ModifyImageSharePermission's reference). The build and the copies still
/// go ahead, and a copy encrypted with a key of the user's can be shared, so this warns on
/// the share row instead of stopping the request.
pub(super) fn check_sharing(spec: &ImageSpec, live: &Facts, out: &mut Vec<Finding>) {
    let Some(delivery) = spec.delivery.as_ref().filter(|d| !d.share_with.is_empty()) else {
        return;
    };
    let Some((count, encrypted)) = image_snapshots(spec, live) else {
        return;
    };
    if encrypted.is_empty() {
        return;
    }
    let names: Vec<&str> = encrypted.iter().map(|(name, _)| name.as_str()).collect();
    let verb = if names.len() == 1 { "is" } else { "are" };
    let names = names.join(", ");
    let region = &spec.region;
    let (code, build) = if encrypted.iter().any(|(_, key)| key.is_empty()) {
        (
            "InvalidOperation.ServiceKeyEncryptedImageUnsupported",
            format!(
                "ECS refuses to share the image in {region}: {names} {verb} encrypted with the \
                 service key."
            ),
        )
    } else if count > 1 {
        (
            "OperationDeined.FullImage",
            format!(
                "ECS refuses to share the image in {region}: it has {count} snapshots, \
                 {names} encrypted, and an encrypted image is shared only with one."
            ),
        )
    } else {
        // One snapshot encrypted with the user's key: ECS shares it.
        return;
    };
    let copies = if count > 1 {
        " Its copies cannot be either."
    } else if delivery.encrypt_copies {
        " Copies encrypted with your KMS keys can be."
    } else {
        " A copy can be, if encrypted with a KMS key of yours (Encrypt copies)."
    };
    out.push(Finding::warning(
        Field::DeliveryShareWith(0),
        Some(code),
        format!("{build}{copies}"),
    ));
}

/// A KMS key ID's shape: printable ASCII without spaces, as key IDs and aliases are.
fn kms_key_id(key: &str) -> Result<(), String> {
    if key.len() <= MAX_KMS_KEY_ID && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(format!(
            "{key:?} is not a KMS key ID; a key ID is letters, digits and punctuation without \
             spaces (e.g. key-hzz65f3b1c6e7x9a0k2m), at most {MAX_KMS_KEY_ID} characters."
        ))
    }
}

/// The longest KMS key ID accepted (the references give no limit; ARNs stay well under it).
const MAX_KMS_KEY_ID: usize = 256;

/// Accounts one image can be shared with (the default quota).
pub const MAX_SHARED_ACCOUNTS: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::validate;
    use crate::spec::{DeliverySpec, RetireAction, RetirePlan};

    fn spec(delivery: DeliverySpec) -> ImageSpec {
        let mut spec = ImageSpec {
            delivery: Some(delivery),
            ..ImageSpec::default()
        };
        spec.image.family = Some("web".into());
        spec
    }

    fn delivery_findings(spec: &ImageSpec) -> Vec<(Field, String)> {
        validate(spec)
            .into_iter()
            .filter(|f| {
                matches!(
                    f.field,
                    Field::DeliveryCopyTo(_)
                        | Field::DeliveryShareWith(_)
                        | Field::DeliveryRetire
                        | Field::DeliveryRetireKeep
                )
            })
            .map(|f| (f.field, f.message))
            .collect()
    }

    #[test]
    fn a_good_table_passes() {
        let spec = spec(DeliverySpec {
            copy_to: vec!["cn-shanghai".into(), "cn-beijing".into()],
            share_with: vec!["1234567890123457".into()],
            tag_snapshots: true,
            copy_name: None,
            copy_description: None,
            retire: Some(RetirePlan {
                keep: 3,
                action: RetireAction::Delete,
            }),
            ..DeliverySpec::default()
        });
        assert_eq!(delivery_findings(&spec), []);
    }

    #[test]
    fn bad_regions_accounts_and_keep_are_named() {
        let mut spec = spec(DeliverySpec {
            copy_to: vec![
                "cn-hangzhou".into(),
                "Shanghai".into(),
                "cn-beijing".into(),
                "cn-beijing".into(),
            ],
            share_with: vec![
                "12345".into(),
                "1234567890123457".into(),
                "1234567890123457".into(),
            ],
            tag_snapshots: false,
            copy_name: None,
            copy_description: None,
            retire: Some(RetirePlan {
                keep: 0,
                action: RetireAction::Deprecate,
            }),
            ..DeliverySpec::default()
        });
        spec.image.family = None;
        let found = delivery_findings(&spec);
        let fields: Vec<Field> = found.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                Field::DeliveryCopyTo(0),
                Field::DeliveryCopyTo(1),
                Field::DeliveryCopyTo(3),
                Field::DeliveryShareWith(0),
                Field::DeliveryShareWith(2),
                Field::DeliveryRetireKeep,
                Field::DeliveryRetire,
            ]
        );
        assert!(found[0].1.contains("built in cn-hangzhou"), "{found:?}");
        assert!(found[3].1.contains("16 digits"), "{found:?}");
        assert!(found[6].1.contains("image.family"), "{found:?}");
    }

    #[test]
    fn copy_names_are_judged_as_each_copy_will_be_named() {
        let mut delivery = DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            copy_name: Some("web-{region}".into()),
            copy_description: Some("copy in {region}".into()),
            ..DeliverySpec::default()
        };
        assert_eq!(delivery_findings(&spec(delivery.clone())), []);
        assert_eq!(
            delivery.copy_text("cn-beijing", Some("web"), None),
            (
                Some("web-cn-beijing".into()),
                Some("copy in cn-beijing".into())
            )
        );
        delivery.copy_name = Some("_{region}".into());
        let found = validate(&spec(delivery))
            .into_iter()
            .find(|f| f.field == Field::DeliveryCopyName)
            .expect("a name must start with a letter");
        assert_eq!(found.code, Some("InvalidImageName.Malformed"));
    }

    #[test]
    fn copies_are_encrypted_with_their_regions_key() {
        let delivery = DeliverySpec {
            copy_to: vec!["cn-beijing".into(), "cn-shanghai".into()],
            encrypt_copies: true,
            kms_key_ids: vec![("cn-beijing".into(), "key-bj".into())],
            ..DeliverySpec::default()
        };
        let with_key = delivery.copy_encryption("cn-beijing", false);
        assert!(with_key.encrypted);
        assert_eq!(with_key.kms_key_id.as_deref(), Some("key-bj"));
        // No key named: encrypted with the key ECS picks.
        assert_eq!(
            delivery.copy_encryption("cn-shanghai", false).kms_key_id,
            None
        );
        // Without encrypt_copies: encrypted only when the image is, and never with a key.
        let plain = DeliverySpec {
            encrypt_copies: false,
            ..delivery
        };
        assert!(!plain.copy_encryption("cn-beijing", false).encrypted);
        let inherited = plain.copy_encryption("cn-beijing", true);
        assert!(inherited.encrypted);
        assert_eq!(inherited.kms_key_id, None);
    }

    #[test]
    fn a_key_id_with_spaces_is_refused() {
        let found = validate(&spec(DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            encrypt_copies: true,
            kms_key_ids: vec![("cn-beijing".into(), "key bj".into())],
            ..DeliverySpec::default()
        }));
        let problem = found
            .iter()
            .find(|f| f.field == Field::DeliveryKmsKeyId(0))
            .expect("the key is judged");
        assert!(problem.message.contains("without spaces"), "{found:?}");
    }

    #[test]
    fn the_copy_date_fills_in_as_eight_digits() {
        let delivery = DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            copy_name: Some("web-{region}-{date}".into()),
            ..DeliverySpec::default()
        };
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 6);
        assert_eq!(
            delivery.copy_text_on("cn-beijing", date, None, None).0,
            Some("web-cn-beijing-20261206".into())
        );
        // The preview leaves it for the day the copy is sent.
        assert_eq!(
            delivery.copy_text("cn-beijing", None, None).0,
            Some("web-cn-beijing-{date}".into())
        );
        assert_eq!(delivery_findings(&spec(delivery)), []);
    }

    #[test]
    fn an_encrypted_copy_of_several_disks_cannot_be_shared() {
        use crate::spec::{DiskSpec, DiskType};
        let disk = |disk_type| DiskSpec {
            disk_type,
            snapshot_id: Some("s-1".into()),
            size: None,
            device: None,
        };
        let mut spec = spec(DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            share_with: vec!["1234567890123457".into()],
            encrypt_copies: true,
            kms_key_ids: vec![("cn-beijing".into(), "key-bj".into())],
            ..DeliverySpec::default()
        });
        spec.source = Source::Disks(vec![disk(DiskType::System), disk(DiskType::Data)]);
        let found = validate(&spec);
        assert!(
            found
                .iter()
                .any(|f| f.code == Some("OperationDeined.FullImage") && f.is_error()),
            "{found:?}"
        );
        spec.source = Source::Disks(vec![disk(DiskType::System)]);
        assert!(
            !validate(&spec)
                .iter()
                .any(|f| f.field == Field::DeliveryEncryptCopies)
        );
    }

    /// A spec built from instance `i-1` (its disks as `disks`) shared with one account.
    fn shared_instance(disks: &[(bool, &str)]) -> (ImageSpec, crate::spec::Facts) {
        let mut spec = spec(DeliverySpec {
            share_with: vec!["1234567890123457".into()],
            ..DeliverySpec::default()
        });
        spec.source = Source::Instance {
            instance_id: "i-1".into(),
        };
        let mut live = crate::spec::Facts::default();
        let disks = disks
            .iter()
            .enumerate()
            .map(|(n, (encrypted, key))| crate::spec::DiskKey {
                disk: format!("disk-{n}"),
                encrypted: *encrypted,
                kms_key_id: (*key).into(),
            })
            .collect();
        live.instance_disks.insert("i-1".into(), disks);
        (spec, live)
    }

    fn share_warnings(spec: &ImageSpec, live: &crate::spec::Facts) -> Vec<Finding> {
        crate::spec::validate_with(spec, live)
            .into_iter()
            .filter(|f| f.field == Field::DeliveryShareWith(0))
            .collect()
    }

    #[test]
    fn sharing_an_image_encrypted_with_the_service_key_is_foretold() {
        let (mut spec, live) = shared_instance(&[(true, "")]);
        let found = share_warnings(&spec, &live);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, crate::spec::Severity::Warning);
        assert_eq!(
            found[0].code,
            Some("InvalidOperation.ServiceKeyEncryptedImageUnsupported")
        );
        assert!(found[0].message.contains("disk disk-0"), "{found:?}");
        assert!(
            found[0].message.contains("A copy can be, if encrypted"),
            "{found:?}"
        );
        // Copies encrypted with keys of the user's can be shared: said so.
        if let Some(d) = spec.delivery.as_mut() {
            d.encrypt_copies = true;
        }
        let found = share_warnings(&spec, &live);
        assert!(
            found[0].message.contains("your KMS keys can be."),
            "{found:?}"
        );
        // Without accounts, or before the disks are known, nothing is said.
        if let Some(d) = spec.delivery.as_mut() {
            d.share_with.clear();
            d.copy_to = vec!["cn-beijing".into()];
        }
        assert!(share_warnings(&spec, &live).is_empty());
        let (spec, _) = shared_instance(&[(true, "")]);
        assert!(share_warnings(&spec, &crate::spec::Facts::default()).is_empty());
    }

    #[test]
    fn an_encrypted_image_of_several_snapshots_is_foretold_too() {
        let (spec, live) = shared_instance(&[(false, ""), (true, "key-1")]);
        let found = share_warnings(&spec, &live);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, Some("OperationDeined.FullImage"));
        assert!(
            found[0]
                .message
                .contains("it has 2 snapshots, disk disk-1 encrypted"),
            "{found:?}"
        );
        assert!(
            found[0].message.contains("Its copies cannot be either."),
            "{found:?}"
        );
        // One snapshot encrypted with a key of the user's: ECS shares it.
        let (spec, live) = shared_instance(&[(true, "key-1")]);
        assert!(share_warnings(&spec, &live).is_empty());
        // Nothing encrypted: nothing to say.
        let (spec, live) = shared_instance(&[(false, ""), (false, "")]);
        assert!(share_warnings(&spec, &live).is_empty());
    }

    #[test]
    fn a_snapshot_source_is_judged_by_its_snapshot_facts() {
        let (mut spec, mut live) = shared_instance(&[]);
        spec.source = Source::Snapshot {
            snapshot_id: "s-1".into(),
        };
        assert!(share_warnings(&spec, &live).is_empty(), "not known yet");
        live.snapshots.insert(
            "s-1".into(),
            crate::spec::SnapshotFacts {
                size_gib: Some(40),
                status: "accomplished".into(),
                progress: Some(100),
                creation_time: None,
                source_disk_type: crate::spec::DiskType::System,
                encrypted: true,
                kms_key_id: String::new(),
                category: "standard".into(),
            },
        );
        let found = share_warnings(&spec, &live);
        assert!(found[0].message.contains("snapshot s-1"), "{found:?}");
    }
}
