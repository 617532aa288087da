//! Where a config file went wrong: the line, the column and the key of a parse or validation
//! error, with advice for serde's standard messages.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::text::line_column;

/// A config file that parsed badly or holds a bad value, located as precisely as TOML allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConfig {
    pub path: PathBuf,
    /// 1-based line and column of the offending text, when the parser knows it.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted key path (`network.read_timeout`), when the error is about a key or its value.
    pub key: Option<String>,
    /// The parser's or validator's description of the problem.
    pub message: String,
    pub hint: Option<&'static str>,
}

impl InvalidConfig {
    pub(super) fn new(path: &Path, text: &str, err: &toml::de::Error) -> Self {
        let span = err.span();
        let (line, column) = span.as_ref().map(|s| line_column(text, s.start)).unzip();
        let key = span.and_then(|s| key_at(text, s.start));
        let message = err.message().trim_end().to_string();
        Self {
            path: path.to_path_buf(),
            line,
            column,
            key,
            hint: hint_for(&message),
            message,
        }
    }
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config file {}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = self.hint {
            write!(f, ". Hint: {hint}")?;
        }
        Ok(())
    }
}

/// Advice matching serde's standard messages; our own validators already say what to write.
fn hint_for(message: &str) -> Option<&'static str> {
    if message.starts_with("unknown field") {
        Some("remove the key or fix its spelling; config.example.toml documents every key")
    } else if message.starts_with("unknown variant") {
        Some("use one of the values listed above")
    } else if message.starts_with("missing field") {
        Some("add the key; config.example.toml shows every table with its keys")
    } else if message.starts_with("invalid type") {
        Some(
            "strings need quotes, numbers and true/false do not; durations are strings like \"5s\"",
        )
    } else {
        None
    }
}

/// The dotted path of the innermost key whose name or value covers byte offset `at`.
/// Re-parses the text with spans; `None` if it does not parse (a syntax error has no key).
fn key_at(text: &str, at: usize) -> Option<String> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut best: Vec<String> = Vec::new();
    let mut path = Vec::new();
    innermost_key(doc.get_ref(), at, &mut path, &mut best);
    (!best.is_empty()).then(|| best.join("."))
}

fn innermost_key(
    table: &toml::de::DeTable<'_>,
    at: usize,
    path: &mut Vec<String>,
    best: &mut Vec<String>,
) {
    for (key, value) in table.iter() {
        path.push(key.get_ref().to_string());
        if (key.span().contains(&at) || value.span().contains(&at)) && path.len() > best.len() {
            *best = path.clone();
        }
        // Tables opened by a `[header]` have a span that may not cover their keys, so every
        // table is searched, not only those whose span contains `at`.
        if let toml::de::DeValue::Table(inner) = value.get_ref() {
            innermost_key(inner, at, path, best);
        }
        path.pop();
    }
}
