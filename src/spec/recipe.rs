//! Recipes: the wizard's answers as TOML (README, "Recipes").
//!
//! The document is read into spanned raw types, so every problem — TOML syntax, an unknown
//! key, a bad value, a failed validation rule — is reported with the file, line and column of
//! the key it concerns. The same raw types write recipes back, so load → save round-trips.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::Spanned;

use super::stop::{mode_name, parse_mode};
use super::{
    DiskSpec, DiskType, Features, Field, ImageDetails, ImageSpec, Source, StopPlan, Tag, validate,
};
use crate::text::line_column;

/// A recipe that cannot be used, with every problem found (not just the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RecipeError {
    pub path: PathBuf,
    pub problems: Vec<RecipeProblem>,
}

/// One problem, located in the file when the key is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeProblem {
    /// 1-based line and column (in characters).
    pub position: Option<(usize, usize)>,
    /// The recipe key, e.g. `image.name`; `None` for TOML syntax errors.
    pub key: Option<String>,
    pub field: Option<Field>,
    pub message: String,
    /// The ECS error code the rule prevents, when there is one.
    pub code: Option<&'static str>,
}

impl fmt::Display for RecipeError {
    /// One line per problem: `r.toml:7:8: image.name: The image name must ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, p) in self.problems.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.path.display())?;
            if let Some((line, column)) = p.position {
                write!(f, ":{line}:{column}")?;
            }
            if let Some(key) = &p.key {
                write!(f, ": {key}")?;
            }
            write!(f, ": {}", p.message)?;
        }
        Ok(())
    }
}

/// Read a recipe. `path` is only used to name the file in errors. Warnings from validation do
/// not fail the load; call [`validate`] to show them.
pub fn parse_recipe(text: &str, path: &Path) -> Result<ImageSpec, RecipeError> {
    let fail = |problems| RecipeError {
        path: path.to_owned(),
        problems,
    };
    let raw: RawRecipe = toml::from_str(text).map_err(|e| {
        fail(vec![RecipeProblem {
            position: e.span().map(|s| line_column(text, s.start)),
            key: None,
            field: None,
            message: e.message().trim().to_owned(),
            code: None,
        }])
    })?;
    let mut loader = Loader {
        text,
        spans: HashMap::new(),
        problems: Vec::new(),
        unknown_disk_type: false,
    };
    let spec = loader.convert(raw);
    let mut problems = std::mem::take(&mut loader.problems);
    let judged = |field: Field| !(loader.unknown_disk_type && within_disks(field));
    for error in validate(&spec)
        .into_iter()
        .filter(|e| e.is_error() && judged(e.field))
    {
        problems.push(RecipeProblem {
            position: loader.spans_position(error.field),
            key: Some(error.field.recipe_key(&spec)),
            field: Some(error.field),
            message: error.message,
            code: error.code,
        });
    }
    if problems.is_empty() {
        Ok(spec)
    } else {
        problems.sort_by_key(|p| p.position);
        Err(fail(problems))
    }
}

/// The placeholder expanded to the local date (in a recipe, a `--set` value and the wizard's
/// name field), so a weekly build gets a fresh name.
pub const DATE_PLACEHOLDER: &str = "{date}";

/// `{date}` → `YYYYMMDD`.
pub fn expand_date(text: &str, date: NaiveDate) -> String {
    text.replace(DATE_PLACEHOLDER, &date.format("%Y%m%d").to_string())
}

/// The recipe for `spec`, in the layout README shows. Tags keep the spec's order.
pub fn to_recipe(spec: &ImageSpec) -> String {
    let s = |v: &str| Some(Spanned::new(0..0, v.to_owned()));
    let opt = |v: &Option<String>| v.as_deref().and_then(s);
    let source = match &spec.source {
        source if source.is_empty() => RawSource::default(),
        Source::Instance { instance_id } => RawSource {
            instance_id: s(instance_id),
            ..RawSource::default()
        },
        Source::Snapshot { snapshot_id } => RawSource {
            snapshot_id: s(snapshot_id),
            ..RawSource::default()
        },
        Source::Disks(disks) => RawSource {
            disks: Some(
                disks
                    .iter()
                    .map(|d| {
                        Spanned::new(
                            0..0,
                            RawDisk {
                                disk_type: Spanned::new(0..0, d.disk_type.as_str().to_owned()),
                                snapshot_id: opt(&d.snapshot_id),
                                size: d.size.map(|v| Spanned::new(0..0, i64::from(v))),
                                device: opt(&d.device),
                            },
                        )
                    })
                    .collect(),
            ),
            ..RawSource::default()
        },
    };
    let source = RawSource {
        stop: spec
            .stop
            .map(|p| Spanned::new(0..0, mode_name(p.mode).to_owned())),
        // Written only when set: a clean shutdown is the default.
        force_stop: spec
            .stop
            .filter(|p| p.force)
            .map(|_| Spanned::new(0..0, true)),
        restart: spec.stop.map(|p| Spanned::new(0..0, p.restart)),
        ..source
    };
    let image = &spec.image;
    let raw = RawRecipe {
        region: Spanned::new(0..0, spec.region.clone()),
        client_token: opt(&spec.client_token),
        source: Some(Spanned::new(0..0, source)),
        image: Some(RawImage {
            name: opt(&image.name),
            family: opt(&image.family),
            version: opt(&image.version),
            description: opt(&image.description),
            platform: opt(&image.platform),
            architecture: image.architecture.and_then(|v| s(v.as_str())),
            boot_mode: image.boot_mode.and_then(|v| s(v.as_str())),
            resource_group_id: opt(&image.resource_group_id),
        })
        .filter(|i| *i != RawImage::default()),
        features: Some(RawFeatures {
            imds_support: spec.features.imds_support.and_then(|v| s(v.as_str())),
            detection_strategy: spec.features.detection_strategy.and_then(|v| s(v.as_str())),
        })
        .filter(|f| *f != RawFeatures::default()),
        tags: (!spec.tags.is_empty()).then(|| {
            Spanned::new(
                0..0,
                RawTags(
                    spec.tags
                        .iter()
                        .map(|t| {
                            (
                                Spanned::new(0..0, t.key.clone()),
                                Spanned::new(0..0, t.value.clone()),
                            )
                        })
                        .collect(),
                ),
            )
        }),
    };
    let body = toml::to_string(&raw).unwrap_or_else(|e| {
        // The raw types hold only strings, integers, tables and arrays of tables, which TOML
        // always represents; this arm exists to avoid a panic path, not because it happens.
        format!("# ecsimg could not write this recipe: {e}\n")
    });
    format!("# ecsimg recipe: replay with `ecsimg create --recipe FILE`\n{body}")
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipe {
    region: Spanned<String>,
    // Plain keys before tables, as TOML requires when writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_token: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<Spanned<RawSource>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image: Option<RawImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    features: Option<RawFeatures>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<Spanned<RawTags>>,
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance_id: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snapshot_id: Option<Spanned<String>>,
    /// `keep-charging` or `stop-charging`: stop a Running instance before CreateImage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stop: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    force_stop: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    restart: Option<Spanned<bool>>,
    // Arrays of tables after plain keys, as TOML requires when writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disks: Option<Vec<Spanned<RawDisk>>>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisk {
    disk_type: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snapshot_id: Option<Spanned<String>>,
    /// Signed so a negative size gets our message, not serde's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<Spanned<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<Spanned<String>>,
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    family: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    architecture: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    boot_mode: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_group_id: Option<Spanned<String>>,
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeatures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    imds_support: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detection_strategy: Option<Spanned<String>>,
}

/// `[tags]` as ordered pairs. TOML tables are unordered and the parser hands keys over
/// sorted, so document order is recovered from the key spans.
#[derive(Debug, Default, PartialEq)]
struct RawTags(Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for RawTags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = RawTags;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of tag keys and string values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTags, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) =
                    map.next_entry::<Spanned<String>, Spanned<TagValue>>()?
                {
                    let span = value.span();
                    pairs.push((key, Spanned::new(span, value.into_inner().0)));
                }
                pairs.sort_by_key(|(k, _)| k.span().start);
                Ok(RawTags(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// A tag value, with a hint for the easy mistake of an unquoted dotted key (`a.b = "x"`
/// makes a nested table in TOML).
struct TagValue(String);

impl<'de> Deserialize<'de> for TagValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = TagValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a string tag value (quote keys that contain dots: \"app.tier\" = \"web\")",
                )
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TagValue, E> {
                Ok(TagValue(v.to_owned()))
            }
        }
        d.deserialize_str(Text)
    }
}

impl Serialize for RawTags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.get_ref(), v.get_ref())?;
        }
        map.end()
    }
}

/// Turns the raw document into a spec, remembering where each field came from.
struct Loader<'t> {
    text: &'t str,
    spans: HashMap<Field, Range<usize>>,
    problems: Vec<RecipeProblem>,
    /// A disk's type could not be read, so rules about the mapping would judge a guess.
    unknown_disk_type: bool,
}

impl Loader<'_> {
    fn convert(&mut self, raw: RawRecipe) -> ImageSpec {
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
        }
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
    fn spans_position(&self, field: Field) -> Option<(usize, usize)> {
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
fn within_disks(field: Field) -> bool {
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
        _ => None,
    }
}

#[cfg(test)]
mod tests {
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
}
