//! The rules of a recipe's `[delivery]` table that the spec alone decides.

use super::Finding;
use crate::spec::delivery::REGION_PLACEHOLDER;
use crate::spec::{Field, ImageSpec, rules};

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
        let problem = delivery
            .copy_to
            .iter()
            .find_map(|region| rule(&text.replace(REGION_PLACEHOLDER, region)).err());
        if let Some(message) = problem {
            out.push(Finding::error(field, Some(code), message));
        }
    }
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
}
