//! From the raw document to a spec: every value converted and validated, every problem kept
//! with the key and position it came from.

use std::collections::HashMap;
use std::ops::Range;
use std::str::FromStr;

use toml::Spanned;

use crate::spec::stop::parse_mode;
use crate::spec::{
    DeliverySpec, DiskSpec, DiskType, Features, Field, ImageDetails, ImageSpec, RetirePlan, Source,
    StopPlan, Tag,
};
use crate::text::line_column;

use super::{RawDelivery, RawDisk, RawRecipe, RawRetire, RawSource, RawTags, RecipeProblem};

/// Turns the raw document into a spec, remembering where each field came from.
pub(super) struct Loader<'t> {
    pub(super) text: &'t str,
    pub(super) spans: HashMap<Field, Range<usize>>,
    pub(super) problems: Vec<RecipeProblem>,
    /// A disk's type could not be read, so rules about the mapping would judge a guess.
    pub(super) unknown_disk_type: bool,
}

impl Loader<'_> {
    pub(super) fn convert(&mut self, raw: RawRecipe) -> ImageSpec {
        let image = raw.image.unwrap_or_default();
        let features = raw.features.unwrap_or_default();
        let (source, stop) = self.source(raw.source);
        ImageSpec {
            region: self.take(Field::Region, raw.region),
            source,
            stop,
            image: ImageDetails {
                name: self.opt(Field::ImageName, image.name),
                family: self.opt(Field::ImageFamily, image.family),
                version: self.opt(Field::ImageVersion, image.version),
                description: self.opt(Field::Description, image.description),
                platform: self.opt(Field::Platform, image.platform),
                architecture: self.parsed(
                    Field::Architecture,
                    "InvalidArchitecture.Malformed",
                    image.architecture,
                ),
                boot_mode: self.parsed(
                    Field::BootMode,
                    "InvalidBootMode.Malformed",
                    image.boot_mode,
                ),
                resource_group_id: self.opt(Field::ResourceGroupId, image.resource_group_id),
            },
            tags: self.tags(raw.tags),
            features: Features {
                imds_support: self.parsed(
                    Field::ImdsSupport,
                    "InvalidParameter.FeaturesImdsSupport",
                    features.imds_support,
                ),
                detection_strategy: self.parsed(
                    Field::DetectionStrategy,
                    "InvalidDetectionStrategy.Malformed",
                    features.detection_strategy,
                ),
            },
            client_token: self.opt(Field::ClientToken, raw.client_token),
            delivery: raw.delivery.map(|d| self.delivery(d)),
        }
    }

    fn delivery(&mut self, raw: Spanned<RawDelivery>) -> DeliverySpec {
        self.spans.insert(Field::Delivery, raw.span());
        let raw = raw.into_inner();
        let list = |this: &mut Self, field: fn(usize) -> Field, raw: Option<Vec<Spanned<_>>>| {
            raw.unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, v)| this.take(field(i), v))
                .collect()
        };
        DeliverySpec {
            copy_to: list(self, Field::DeliveryCopyTo, raw.copy_to),
            share_with: list(self, Field::DeliveryShareWith, raw.share_with),
            tag_snapshots: self
                .opt(Field::DeliveryTagSnapshots, raw.tag_snapshots)
                .unwrap_or(false),
            retire: raw.retire.and_then(|r| self.retire(r)),
            copy_name: self.opt(Field::DeliveryCopyName, raw.copy_name),
            copy_description: self.opt(Field::DeliveryCopyDescription, raw.copy_description),
            encrypt_copies: self
                .opt(Field::DeliveryEncryptCopies, raw.encrypt_copies)
                .unwrap_or(false),
            kms_key_ids: self.kms_key_ids(raw.kms_key_ids),
        }
    }

    /// `[delivery.kms_key_ids]`, each entry located at its region.
    fn kms_key_ids(&mut self, raw: Option<Spanned<RawTags>>) -> Vec<(String, String)> {
        let Some(raw) = raw else {
            return Vec::new();
        };
        self.spans.insert(Field::DeliveryKmsKeyIds, raw.span());
        raw.into_inner()
            .0
            .into_iter()
            .enumerate()
            .map(|(i, (region, key))| {
                self.spans.insert(Field::DeliveryKmsKeyId(i), region.span());
                (region.into_inner(), key.into_inner())
            })
            .collect()
    }

    fn retire(&mut self, raw: Spanned<RawRetire>) -> Option<RetirePlan> {
        self.spans.insert(Field::DeliveryRetire, raw.span());
        let raw = raw.into_inner();
        let (keep_span, action_span) = (raw.keep.span(), raw.action.span());
        let keep = self.take(Field::DeliveryRetireKeep, raw.keep);
        let keep = u32::try_from(keep)
            .map_err(|_| {
                self.problem(
                    Field::DeliveryRetireKeep,
                    keep_span,
                    format!(
                        "keep is how many images of the family stay, the new one included:                          a number from 1, not {keep}."
                    ),
                    None,
                )
            })
            .ok();
        let action = self.take(Field::DeliveryRetireAction, raw.action);
        let action = action
            .parse()
            .map_err(|message| {
                self.problem(Field::DeliveryRetireAction, action_span, message, None)
            })
            .ok();
        Some(RetirePlan {
            keep: keep?,
            action: action?,
        })
    }

    fn take<T>(&mut self, field: Field, value: Spanned<T>) -> T {
        self.spans.insert(field, value.span());
        value.into_inner()
    }

    fn opt<T>(&mut self, field: Field, value: Option<Spanned<T>>) -> Option<T> {
        value.map(|v| self.take(field, v))
    }

    /// A closed-set value; a wrong one is reported here, with the choices.
    fn parsed<T: FromStr<Err = String>>(
        &mut self,
        field: Field,
        code: &'static str,
        value: Option<Spanned<String>>,
    ) -> Option<T> {
        let span = value.as_ref()?.span();
        let text = self.take(field, value?);
        text.parse()
            .map_err(|message| self.problem(field, span, message, Some(code)))
            .ok()
    }

    fn problem(
        &mut self,
        field: Field,
        span: Range<usize>,
        message: String,
        code: Option<&'static str>,
    ) {
        self.problems.push(RecipeProblem {
            position: Some(line_column(self.text, span.start)),
            // Only tag keys need the spec to be named, and tags are never reported from here.
            key: Some(field.recipe_key(&ImageSpec::default())),
            field: Some(field),
            message,
            code,
        });
    }

    /// The source, and the plan to stop its instance first.
    fn source(&mut self, raw: Option<Spanned<RawSource>>) -> (Source, Option<StopPlan>) {
        let Some(raw) = raw else {
            return (Source::default(), None);
        };
        self.spans.insert(Field::Source, raw.span());
        let mut raw = raw.into_inner();
        let stop = self.stop_plan(raw.stop.take(), raw.force_stop.take(), raw.restart.take());
        (self.one_source(raw), stop)
    }

    /// `stop`, `force_stop` and `restart`; the latter two mean nothing without the first.
    fn stop_plan(
        &mut self,
        stop: Option<Spanned<String>>,
        force: Option<Spanned<bool>>,
        restart: Option<Spanned<bool>>,
    ) -> Option<StopPlan> {
        let Some(stop) = stop else {
            for (field, span) in [
                (Field::ForceStop, force.map(|f| f.span())),
                (Field::Restart, restart.map(|r| r.span())),
            ] {
                if let Some(span) = span {
                    let key = field.recipe_key(&ImageSpec::default());
                    self.problem(
                        field,
                        span,
                        format!(
                            "{key} goes with source.stop, which says how to stop the instance; \
                             ecsimg only starts an instance it stopped. Add stop = \
                             \"keep-charging\" (or \"stop-charging\"), or remove it."
                        ),
                        None,
                    );
                }
            }
            return None;
        };
        let span = stop.span();
        let mode = parse_mode(&self.take(Field::Stop, stop))
            .map_err(|message| self.problem(Field::Stop, span, message, None))
            .ok()?;
        Some(StopPlan {
            mode,
            force: self.opt(Field::ForceStop, force).unwrap_or(false),
            restart: self.opt(Field::Restart, restart).unwrap_or(false),
        })
    }

    /// The one source a recipe must name.
    fn one_source(&mut self, raw: RawSource) -> Source {
        // In CreateImage's priority order; a recipe must name one.
        let mut given: Vec<(&str, Range<usize>)> = Vec::new();
        if let Some(id) = &raw.instance_id {
            given.push(("instance_id", id.span()));
        }
        if let Some(disk) = raw.disks.as_ref().and_then(|d| d.first()) {
            given.push(("[[source.disks]]", disk.span()));
        }
        if let Some(id) = &raw.snapshot_id {
            given.push(("snapshot_id", id.span()));
        }
        if let [(first, _), rest @ ..] = given.as_slice() {
            for (other, span) in rest {
                self.problem(
                    Field::Source,
                    span.clone(),
                    format!(
                        "The source names both {first} and {other}. {}",
                        Source::PRIORITY_NOTE
                    ),
                    None,
                );
            }
        }
        // Carry on with the highest-priority source so its own problems are reported too.
        if let Some(id) = raw.instance_id {
            Source::Instance {
                instance_id: self.take(Field::InstanceId, id),
            }
        } else if let Some(disks) = raw.disks {
            if let Some(first) = disks.first() {
                self.spans.insert(Field::SourceDisks, first.span());
            }
            let disks = disks
                .into_iter()
                .enumerate()
                .map(|(i, d)| self.disk(i, d))
                .collect();
            Source::Disks(disks)
        } else if let Some(id) = raw.snapshot_id {
            Source::Snapshot {
                snapshot_id: self.take(Field::SnapshotId, id),
            }
        } else {
            Source::default()
        }
    }

    fn disk(&mut self, i: usize, raw: Spanned<RawDisk>) -> DiskSpec {
        self.spans.insert(Field::SourceDisk(i), raw.span());
        let raw = raw.into_inner();
        let disk_type = self.parsed(
            Field::SourceDiskType(i),
            "InvalidDiskType.ValueNotSupported",
            Some(raw.disk_type),
        );
        // Keep the entry so later indexes still match the file; its type is unknown, which
        // `parse_recipe` accounts for.
        self.unknown_disk_type |= disk_type.is_none();
        let size = raw.size.and_then(|size| {
            let span = size.span();
            let gib = self.take(Field::SourceDiskSize(i), size);
            u32::try_from(gib)
                .map_err(|_| {
                    self.problem(
                        Field::SourceDiskSize(i),
                        span,
                        format!("A disk size is a number of GiB from 20 to 32768, not {gib}."),
                        Some("InvalidSize.ValueNotSupported"),
                    )
                })
                .ok()
        });
        DiskSpec {
            disk_type: disk_type.unwrap_or(DiskType::Data),
            snapshot_id: self.opt(Field::SourceDiskSnapshot(i), raw.snapshot_id),
            size,
            device: self.opt(Field::SourceDiskDevice(i), raw.device),
        }
    }

    fn tags(&mut self, raw: Option<Spanned<RawTags>>) -> Vec<Tag> {
        let Some(raw) = raw else {
            return Vec::new();
        };
        self.spans.insert(Field::Tags, raw.span());
        raw.into_inner()
            .0
            .into_iter()
            .enumerate()
            .map(|(i, (key, value))| {
                self.spans.insert(Field::Tag(i), key.span());
                Tag {
                    key: self.take(Field::TagKey(i), key),
                    value: self.take(Field::TagValue(i), value),
                }
            })
            .collect()
    }

    /// Where `field` is in the document, or failing that the nearest enclosing key.
    pub(super) fn spans_position(&self, field: Field) -> Option<(usize, usize)> {
        let mut field = Some(field);
        while let Some(f) = field {
            if let Some(span) = self.spans.get(&f) {
                return Some(line_column(self.text, span.start));
            }
            field = parent(f);
        }
        None
    }
}

/// Whether `field` is the disk mapping or part of it.
pub(super) fn within_disks(field: Field) -> bool {
    std::iter::successors(Some(field), |f| parent(*f)).any(|f| f == Field::SourceDisks)
}

fn parent(field: Field) -> Option<Field> {
    match field {
        Field::SourceDiskType(i)
        | Field::SourceDiskSnapshot(i)
        | Field::SourceDiskSize(i)
        | Field::SourceDiskDevice(i) => Some(Field::SourceDisk(i)),
        Field::SourceDisk(_) => Some(Field::SourceDisks),
        Field::SourceDisks
        | Field::InstanceId
        | Field::SnapshotId
        | Field::Stop
        | Field::ForceStop
        | Field::Restart => Some(Field::Source),
        Field::TagKey(i) | Field::TagValue(i) => Some(Field::Tag(i)),
        Field::Tag(_) => Some(Field::Tags),
        Field::DeliveryRetireKeep | Field::DeliveryRetireAction => Some(Field::DeliveryRetire),
        Field::DeliveryKmsKeyId(_) => Some(Field::DeliveryKmsKeyIds),
        Field::DeliveryCopyTo(_)
        | Field::DeliveryEncryptCopies
        | Field::DeliveryKmsKeyIds
        | Field::DeliveryShareWith(_)
        | Field::DeliveryTagSnapshots
        | Field::DeliveryCopyName
        | Field::DeliveryCopyDescription
        | Field::DeliveryRetire => Some(Field::Delivery),
        _ => None,
    }
}
