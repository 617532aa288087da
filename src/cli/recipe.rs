//! Recipes as the scripted commands read them: `{date}` expanded, `--set key=value` applied,
//! then the shared recipe parser and validators — with every problem still located in the
//! file the user wrote (or blamed on the `--set` that caused it).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use toml::de::{DeTable, DeValue};

use crate::regular_file::{self, FileError, SMALL_FILE_LIMIT};
use crate::spec::{ImageSpec, RecipeError, RecipeProblem, parse_recipe, validate};
use crate::text::line_column;

use crate::spec::recipe::expand_recipe_date;
pub use crate::spec::recipe::{DATE_PLACEHOLDER, expand_date};

/// One `--set key=value`: a dotted recipe key (`image.name`, `source.disks[0].size`,
/// `tags.env`, `tags."app.tier"`) and its new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub key: String,
    pub value: String,
    path: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl FromStr for Override {
    type Err = String;

    fn from_str(text: &str) -> Result<Override, String> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?} is not key=value, e.g. image.name=web-{{date}}"))?;
        let key = key.trim();
        let path = parse_key(key)?;
        check_settable(key, &path)?;
        Ok(Override {
            key: key.to_string(),
            value: value.to_string(),
            path,
        })
    }
}

/// Splits `source.disks[1].size` / `tags."a.b"` into segments.
fn parse_key(key: &str) -> Result<Vec<Segment>, String> {
    let bad = |why: &str| format!("--set key {key:?}: {why}");
    let mut path = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        if rest.starts_with('"') {
            // A quoted key ends at the first unescaped quote.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.ok_or_else(|| bad("a quoted part has no closing quote"))?;
            let quoted = &rest[..=end];
            match DeValue::parse(quoted).map(|v| v.into_inner()) {
                Ok(DeValue::String(s)) => path.push(Segment::Key(s.into_owned())),
                _ => return Err(bad("a quoted part is not a valid TOML string")),
            }
            rest = &rest[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let bare = &rest[..end];
            if bare.is_empty()
                || !bare
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(bad(
                    "use letters, digits, _ and - between dots, or quote the part",
                ));
            }
            path.push(Segment::Key(bare.to_string()));
            rest = &rest[end..];
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(|| bad("[ without ]"))?;
            let index = inner[..close]
                .parse()
                .map_err(|_| bad("the part in [] must be a disk number from 0"))?;
            path.push(Segment::Index(index));
            rest = &inner[close + 1..];
        }
        if let Some(after) = rest.strip_prefix('.') {
            if after.is_empty() {
                return Err(bad("it ends with a dot"));
            }
            rest = after;
        } else if !rest.is_empty() {
            return Err(bad("expected a dot between parts"));
        }
    }
    Ok(path)
}

const IMAGE_KEYS: [&str; 8] = [
    "name",
    "family",
    "version",
    "description",
    "platform",
    "architecture",
    "boot_mode",
    "resource_group_id",
];
const DISK_KEYS: [&str; 4] = ["disk_type", "snapshot_id", "size", "device"];
const SOURCE_KEYS: [&str; 5] = [
    "instance_id",
    "snapshot_id",
    "stop",
    "force_stop",
    "restart",
];
/// Keys whose value is `true` or `false`.
const FLAG_KEYS: [&str; 2] = ["force_stop", "restart"];

/// Only keys a recipe can hold may be set, so a typo is an error, not a silent no-op.
fn check_settable(key: &str, path: &[Segment]) -> Result<(), String> {
    use Segment::{Index, Key};
    let k = |s: &Segment, set: &[&str]| matches!(s, Key(k) if set.contains(&k.as_str()));
    let ok = match path {
        [Key(top)] => top == "region" || top == "client_token",
        [Key(top), field] if top == "source" => k(field, &SOURCE_KEYS),
        [Key(top), Key(disks), Index(_), field] if top == "source" && disks == "disks" => {
            k(field, &DISK_KEYS)
        }
        [Key(top), field] if top == "image" => k(field, &IMAGE_KEYS),
        [Key(top), field] if top == "features" => k(field, &["imds_support", "detection_strategy"]),
        [Key(top), Key(_)] if top == "tags" => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--set key {key:?} is not a recipe key; use region, client_token, source.{{{}}}, \
             source.disks[N].{{{}}}, image.{{{}}}, features.imds_support, \
             features.detection_strategy or tags.KEY",
            SOURCE_KEYS.join(","),
            DISK_KEYS.join(","),
            IMAGE_KEYS.join(",")
        ))
    }
}

/// Why a recipe could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    Read {
        path: PathBuf,
        source: FileError,
    },
    /// Problems in the file or caused by a `--set`, each located.
    Recipe(RecipeError),
    /// A `--set` that cannot be applied to this recipe.
    Override(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { path, source } => {
                write!(f, "cannot read recipe {}: {source}", path.display())
            }
            LoadError::Recipe(error) => {
                // The shared Display plus the rule (the ECS code each check prevents).
                for (n, p) in error.problems.iter().enumerate() {
                    if n > 0 {
                        writeln!(f)?;
                    }
                    let single = RecipeError {
                        path: error.path.clone(),
                        problems: vec![p.clone()],
                    };
                    write!(f, "{single}")?;
                    if let Some(code) = p.code {
                        write!(f, " [rule: {code}]")?;
                    }
                }
                Ok(())
            }
            LoadError::Override(message) => f.write_str(message),
        }
    }
}

/// The recipe's warnings (findings that do not stop a build), each as the line `create` and
/// `preview` print on stderr: `warning: KEY: message`.
pub fn warnings(spec: &ImageSpec) -> Vec<String> {
    validate(spec)
        .iter()
        .filter(|w| !w.is_error())
        .map(|w| format!("warning: {}: {}", w.field.recipe_key(spec), w.message))
        .collect()
}

/// Reads `path` (a regular file of at most [`SMALL_FILE_LIMIT`] bytes), expands `{date}` (in
/// the file and in the overrides) and applies `overrides`.
pub fn load(path: &Path, overrides: &[Override], date: NaiveDate) -> Result<ImageSpec, LoadError> {
    let text =
        regular_file::read_to_string(path, SMALL_FILE_LIMIT).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    load_text(&text, path, overrides, date)
}

/// [`load`] on text already read.
pub fn load_text(
    text: &str,
    path: &Path,
    overrides: &[Override],
    date: NaiveDate,
) -> Result<ImageSpec, LoadError> {
    let text = expand_recipe_date(text, date);
    let plain = parse_recipe(&text, path);
    if overrides.is_empty() {
        return plain.map_err(LoadError::Recipe);
    }
    // Syntax and unknown keys are reported against the file as written; overrides cannot fix
    // them.
    if let Err(error) = &plain
        && error.problems.iter().any(|p| p.key.is_none())
    {
        return Err(LoadError::Recipe(error.clone()));
    }
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        LoadError::Override(format!(
            "cannot apply --set to {}: {}",
            path.display(),
            e.message()
        ))
    })?;
    for o in overrides {
        set(&mut table, o, &expand_date(&o.value, date)).map_err(LoadError::Override)?;
    }
    let edited = toml::to_string(&table).map_err(|e| {
        LoadError::Override(format!("cannot apply --set to {}: {e}", path.display()))
    })?;
    parse_recipe(&edited, path).map_err(|error| {
        let original = DeTable::parse(&text).ok();
        LoadError::Recipe(RecipeError {
            path: error.path,
            problems: error
                .problems
                .into_iter()
                .map(|p| relocate(p, overrides, original.as_ref().map(|t| t.get_ref()), &text))
                .collect(),
        })
    })
}

/// Points a problem found in the edited document back at the file, or at the `--set`.
fn relocate(
    mut problem: RecipeProblem,
    overrides: &[Override],
    original: Option<&DeTable<'_>>,
    text: &str,
) -> RecipeProblem {
    let path = problem.key.as_deref().and_then(|k| parse_key(k).ok());
    let from_set = overrides
        .iter()
        .find(|o| path.as_ref().is_some_and(|p| *p == o.path));
    problem.position = match (from_set, &path, original) {
        (Some(o), _, _) => {
            problem.message = format!("(from --set {}) {}", o.key, problem.message);
            None
        }
        (None, Some(path), Some(table)) => span_of(table, path).map(|at| line_column(text, at)),
        _ => None,
    };
    problem
}

/// Byte offset of the value at `path` in the parsed original document.
fn span_of(table: &DeTable<'_>, path: &[Segment]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let Segment::Key(key) = first else {
        return None;
    };
    let (_, value) = table.iter().find(|(k, _)| k.get_ref() == key)?;
    descend(value, rest)
}

fn descend(value: &toml::Spanned<DeValue<'_>>, path: &[Segment]) -> Option<usize> {
    let Some((first, rest)) = path.split_first() else {
        return Some(value.span().start);
    };
    match (value.get_ref(), first) {
        (DeValue::Table(table), Segment::Key(_)) => span_of(table, path),
        (DeValue::Array(items), Segment::Index(i)) => descend(items.get(*i)?, rest),
        _ => None,
    }
}

/// Sets one override in the document, creating tables as needed.
fn set(table: &mut toml::Table, o: &Override, value: &str) -> Result<(), String> {
    let is_size = matches!(o.path.last(), Some(Segment::Key(k)) if k == "size");
    let is_flag = matches!(o.path.as_slice(), [Segment::Key(top), Segment::Key(k)]
        if top == "source" && FLAG_KEYS.contains(&k.as_str()));
    let value = if is_flag {
        match value.trim() {
            "true" => toml::Value::Boolean(true),
            "false" => toml::Value::Boolean(false),
            other => return Err(format!("--set {}: use true or false, not {other:?}", o.key)),
        }
    } else if is_size {
        value
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| {
                format!(
                    "--set {}: a disk size is a whole number of GiB, not {value:?}",
                    o.key
                )
            })?
    } else {
        toml::Value::String(value.to_string())
    };
    let mut current = table;
    let (last, parents) = o.path.split_last().ok_or("empty key")?;
    let mut segments = parents.iter().peekable();
    while let Some(segment) = segments.next() {
        let Segment::Key(key) = segment else {
            return Err(format!("--set {}: unexpected [index]", o.key));
        };
        if let Some(Segment::Index(i)) = segments.peek() {
            let i = *i;
            segments.next();
            let count = current
                .get(key.as_str())
                .and_then(toml::Value::as_array)
                .map_or(0, Vec::len);
            current = current
                .get_mut(key.as_str())
                .and_then(toml::Value::as_array_mut)
                .and_then(|items| items.get_mut(i))
                .and_then(toml::Value::as_table_mut)
                .ok_or_else(|| {
                    format!(
                        "--set {}: the recipe has {count} [[source.disks]] entries (numbered \
                         from 0), so there is no disk {i} to change",
                        o.key
                    )
                })?;
            continue;
        }
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| format!("--set {}: {key} is not a table in the recipe", o.key))?;
    }
    let Segment::Key(last) = last else {
        return Err(format!("--set {}: a key cannot end with [index]", o.key));
    };
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Field, Source};

    const RECIPE: &str = "region = \"cn-hangzhou\"\n\
        [source]\n\
        instance_id = \"i-bp1g6zv0ce8oghu7k2a1\"\n\
        [image]\n\
        name = \"web-{date}\"\n\
        family = \"web\"\n\
        [tags]\n\
        env = \"prod\"\n";

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn load(text: &str, sets: &[&str]) -> Result<ImageSpec, LoadError> {
        let overrides: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        load_text(text, Path::new("r.toml"), &overrides, date())
    }

    #[test]
    fn the_date_expands_in_the_file_and_in_overrides() {
        let spec = load(RECIPE, &[]).unwrap();
        assert_eq!(spec.image.name.as_deref(), Some("web-20261127"));
        let spec = load(RECIPE, &["image.description=built {date}"]).unwrap();
        assert_eq!(spec.image.description.as_deref(), Some("built 20261127"));
    }

    #[test]
    fn a_copys_date_waits_for_the_copy() {
        let text = format!(
            "{RECIPE}[delivery]\ncopy_to = [\"cn-beijing\"]\n\
             copy_name = \"web-{{region}}-{{date}}\"\ncopy_description = \"{{date}}\"\n"
        );
        let spec = load(&text, &[]).unwrap();
        assert_eq!(spec.image.name.as_deref(), Some("web-20261127"));
        let delivery = spec.delivery.expect("delivery");
        assert_eq!(delivery.copy_name.as_deref(), Some("web-{region}-{date}"));
        assert_eq!(delivery.copy_description.as_deref(), Some("{date}"));
    }

    #[test]
    fn overrides_replace_add_and_create_tables() {
        let spec = load(
            RECIPE,
            &[
                "image.name=api-{date}",
                "tags.env=staging",
                "tags.\"app.tier\"=web",
                "features.imds_support=v2",
                "region=cn-shanghai",
            ],
        )
        .unwrap();
        assert_eq!(spec.image.name.as_deref(), Some("api-20261127"));
        assert_eq!(spec.region, "cn-shanghai");
        let tags: Vec<_> = spec.tags.iter().map(|t| (&*t.key, &*t.value)).collect();
        assert!(tags.contains(&("env", "staging")) && tags.contains(&("app.tier", "web")));
        assert_eq!(spec.features.imds_support.map(|v| v.as_str()), Some("v2"));
    }

    #[test]
    fn overrides_keep_the_tag_order_of_the_recipe() {
        let text = format!("{RECIPE}zeta = \"1\"\nalpha = \"2\"\n\"m.n\" = \"3\"\n");
        let keys = |sets: &[&str]| -> Vec<(String, String)> {
            load(&text, sets)
                .unwrap()
                .tags
                .into_iter()
                .map(|t| (t.key, t.value))
                .collect()
        };
        let written = [("env", "prod"), ("zeta", "1"), ("alpha", "2"), ("m.n", "3")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(keys(&[]), written);
        assert_eq!(
            keys(&["image.name=other"]),
            written,
            "any --set keeps the order"
        );
        let mut changed = written.to_vec();
        changed[2].1 = "changed".into();
        changed.push(("new".into(), "x".into()));
        assert_eq!(
            keys(&["tags.alpha=changed", "tags.new=x"]),
            changed,
            "a changed tag stays in place, a new one comes last"
        );
    }

    #[test]
    fn disk_overrides_need_an_existing_disk_and_a_number() {
        let disks = "region = \"cn-hangzhou\"\n[[source.disks]]\ndisk_type = \"system\"\n\
                     snapshot_id = \"s-bp1k4wd2j0qmz7h5x3cv\"\n";
        let spec = load(disks, &["source.disks[0].size=80"]).unwrap();
        let Source::Disks(d) = &spec.source else {
            panic!()
        };
        assert_eq!(d[0].size, Some(80));
        let err = load(disks, &["source.disks[3].size=80"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("has 1 [[source.disks]] entries"), "{err}");
        let err = load(disks, &["source.disks[0].size=big"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("whole number of GiB"), "{err}");
    }

    #[test]
    fn the_stop_keys_can_be_set_and_flags_are_booleans() {
        let spec = load(
            RECIPE,
            &[
                "source.stop=stop-charging",
                "source.restart=true",
                "source.force_stop=false",
            ],
        )
        .unwrap();
        assert_eq!(
            spec.stop,
            Some(crate::spec::StopPlan {
                mode: crate::api::StoppedMode::StopCharging,
                force: false,
                restart: true,
            })
        );
        let err = load(RECIPE, &["source.restart=yes"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--set source.restart: use true or false"),
            "{err}"
        );
        let err = load(RECIPE, &["source.stop=halt"]).unwrap_err().to_string();
        assert!(
            err.starts_with("r.toml: source.stop: (from --set source.stop)"),
            "{err}"
        );
        assert!(err.contains("\"keep-charging\""), "{err}");
    }

    #[test]
    fn unknown_or_malformed_keys_are_refused_up_front() {
        for bad in [
            "image.nmae=x",
            "imag=x",
            "source.disks.size=1",
            "tags=x",
            "noequals",
            "image..name=x",
            "tags.\"open=x",
        ] {
            let err = bad.parse::<Override>().unwrap_err();
            assert!(
                err.contains("--set") || err.contains("key=value"),
                "{bad}: {err}"
            );
        }
        let ok: Override = "tags.\"a b\"=c=d".parse().unwrap();
        assert_eq!(ok.value, "c=d");
        assert_eq!(
            ok.path,
            [Segment::Key("tags".into()), Segment::Key("a b".into())]
        );
    }

    #[test]
    fn problems_point_at_the_file_or_at_the_set_that_caused_them() {
        // The file's own problem keeps its line even when overrides are applied.
        let text = RECIPE.replace("family = \"web\"", "family = \"aliyun-web\"");
        let err = load(&text, &["tags.team=platform"]).unwrap_err();
        let LoadError::Recipe(e) = &err else {
            panic!("{err}")
        };
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].field, Some(Field::ImageFamily));
        assert_eq!(e.problems[0].position.map(|p| p.0), Some(6));
        let shown = err.to_string();
        assert!(shown.starts_with("r.toml:6:"), "{shown}");
        assert!(
            shown.contains("[rule: InvalidImageFamily.Malformed]"),
            "{shown}"
        );
        // A bad value from --set is blamed on the --set.
        let err = load(RECIPE, &["image.name=1bad"]).unwrap_err();
        let LoadError::Recipe(e) = &err else {
            panic!("{err}")
        };
        assert_eq!(e.problems[0].position, None);
        assert!(
            e.problems[0]
                .message
                .starts_with("(from --set image.name) "),
            "{err}"
        );
        // A --set cannot hide a syntax error.
        let err = load("region = \n", &["image.name=ok"]).unwrap_err();
        assert!(err.to_string().starts_with("r.toml:1:"), "{err}");
    }
}
