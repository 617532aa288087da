//! Recipes: the wizard's answers as TOML (README, "Recipes").
//!
//! The document is read into spanned raw types, so every problem — TOML syntax, an unknown
//! key, a bad value, a failed validation rule — is reported with the file, line and column of
//! the key it concerns. The same raw types write recipes back, so load → save round-trips.

mod loader;
mod raw;
#[cfg(test)]
mod tests;

use loader::{Loader, within_disks};
use raw::{RawDelivery, RawDisk, RawFeatures, RawImage, RawRecipe, RawRetire, RawSource, RawTags};

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use toml::Spanned;

use super::stop::mode_name;
use super::{Field, ImageSpec, Source, validate};
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

/// A recipe document with `{date}` expanded everywhere but in `delivery.copy_name` and
/// `delivery.copy_description`, whose `{date}` is the day each copy is sent (filled in by
/// delivery). A document that does not parse is expanded everywhere: its errors are reported
/// anyway.
pub fn expand_recipe_date(text: &str, date: NaiveDate) -> String {
    #[derive(serde::Deserialize)]
    struct Doc {
        delivery: Option<CopyTexts>,
    }
    #[derive(serde::Deserialize)]
    struct CopyTexts {
        copy_name: Option<Spanned<String>>,
        copy_description: Option<Spanned<String>>,
    }
    let mut kept: Vec<std::ops::Range<usize>> = toml::from_str::<Doc>(text)
        .ok()
        .and_then(|d| d.delivery)
        .map(|d| {
            [d.copy_name, d.copy_description]
                .into_iter()
                .flatten()
                .map(|t| t.span())
                .collect()
        })
        .unwrap_or_default();
    kept.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in kept {
        let (Some(before), Some(inside)) = (text.get(at..span.start), text.get(span.clone()))
        else {
            return expand_date(text, date);
        };
        out.push_str(&expand_date(before, date));
        out.push_str(inside);
        at = span.end;
    }
    out.push_str(&expand_date(text.get(at..).unwrap_or_default(), date));
    out
}

/// An ordered table of strings, as written.
fn pairs<'a>(items: impl Iterator<Item = (&'a String, &'a String)>) -> Spanned<RawTags> {
    let spanned = |v: &String| Spanned::new(0..0, v.clone());
    Spanned::new(
        0..0,
        RawTags(items.map(|(k, v)| (spanned(k), spanned(v))).collect()),
    )
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
        tags: (!spec.tags.is_empty()).then(|| pairs(spec.tags.iter().map(|t| (&t.key, &t.value)))),
        delivery: spec.delivery.as_ref().map(|d| {
            let list = |v: &[String]| {
                (!v.is_empty()).then(|| v.iter().map(|r| Spanned::new(0..0, r.clone())).collect())
            };
            Spanned::new(
                0..0,
                RawDelivery {
                    copy_to: list(&d.copy_to),
                    share_with: list(&d.share_with),
                    tag_snapshots: d.tag_snapshots.then(|| Spanned::new(0..0, true)),
                    copy_name: opt(&d.copy_name),
                    copy_description: opt(&d.copy_description),
                    encrypt_copies: d.encrypt_copies.then(|| Spanned::new(0..0, true)),
                    kms_key_ids: (!d.kms_key_ids.is_empty())
                        .then(|| pairs(d.kms_key_ids.iter().map(|(r, k)| (r, k)))),
                    retire: d.retire.map(|r| {
                        Spanned::new(
                            0..0,
                            RawRetire {
                                keep: Spanned::new(0..0, i64::from(r.keep)),
                                action: Spanned::new(0..0, r.action.as_str().to_owned()),
                            },
                        )
                    }),
                },
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
