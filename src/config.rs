//! ecsimg's own settings: `config.toml` in the platform config directory, or `--config PATH`.
//!
//! Every key is optional and documented in `config.example.toml`. Unknown keys and bad values are
//! errors naming the file, line, column and key: a typo must never fall back to a default
//! silently.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use directories::ProjectDirs;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::api::Credentials;
use crate::api::endpoint::Endpoint;
use crate::api::sign::SignatureVersion;
use crate::duration;
use crate::regular_file::{self, FileError, SMALL_FILE_LIMIT};
use crate::secret::Secret;

/// The region used when neither a flag, the environment, a profile nor the config names one.
pub const DEFAULT_REGION: &str = "cn-hangzhou";
/// File name of the config inside [`config_dir`].
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// Everything `config.toml` can say. Missing keys take the defaults documented on each field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Region for API calls when no flag, environment variable or profile names one
    /// (see [`Config::region`] for the default).
    #[serde(deserialize_with = "region_id")]
    pub region: Option<String>,
    /// Where requests go instead of the regional ECS endpoint (a simulator, a VPC endpoint).
    /// Validated by [`Endpoint::parse`]: https anywhere, plain http only to a loopback host.
    #[serde(deserialize_with = "endpoint")]
    pub endpoint: Option<Endpoint>,
    /// Profile to use from the aliyun CLI config or the credentials file, below
    /// `--profile` and `ALIBABA_CLOUD_PROFILE`.
    #[serde(deserialize_with = "profile_name")]
    pub profile: Option<String>,
    /// Signature scheme for requests; V3 unless a gateway needs V1.
    pub signature_version: SignatureVersion,
    /// Access key kept in this file: the last source in the credential chain.
    #[serde(deserialize_with = "credentials_table")]
    pub credentials: Option<Credentials>,
    pub network: Network,
    pub watch: Watch,
    pub ui: Ui,
}

impl Config {
    /// The configured region, or [`DEFAULT_REGION`].
    pub fn region(&self) -> &str {
        self.region.as_deref().unwrap_or(DEFAULT_REGION)
    }
}

/// HTTP client behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    /// Time allowed to open a connection (default 5 s, as the official SDKs).
    #[serde(deserialize_with = "connect_timeout")]
    pub connect_timeout: Duration,
    /// Longest silence while a response arrives, per read (default 10 s, as the official
    /// SDKs); [`Network::call_timeout`] bounds the whole call.
    #[serde(deserialize_with = "read_timeout")]
    pub read_timeout: Duration,
    /// Longest time one API call may take, every attempt and pause included (default 1 min):
    /// bounds a server that answers slowly byte by byte.
    #[serde(deserialize_with = "call_timeout")]
    pub call_timeout: Duration,
    /// Attempts per retryable call, the first included (default 3; 1 disables retries).
    #[serde(deserialize_with = "max_attempts")]
    pub max_attempts: u32,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            call_timeout: Duration::from_secs(60),
            max_attempts: 3,
        }
    }
}

/// How an image being built is followed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Watch {
    /// Delay between two DescribeImages polls (default 5 s, at least 1 s to stay clear of
    /// throttling).
    #[serde(deserialize_with = "poll_interval")]
    pub poll_interval: Duration,
    /// Give up watching after this long (the image keeps building); `None` waits forever.
    #[serde(deserialize_with = "watch_timeout")]
    pub timeout: Option<Duration>,
}

impl Default for Watch {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            timeout: None,
        }
    }
}

/// Terminal UI preferences.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ui {
    /// Capture the mouse (click to focus, wheel to scroll). Turn off to keep the terminal's own
    /// text selection.
    pub mouse: bool,
}

impl Default for Ui {
    fn default() -> Self {
        Self { mouse: true }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// A config together with where it came from, so messages can name the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedConfig {
    pub config: Config,
    pub origin: ConfigOrigin,
}

/// Which file, if any, a [`LoadedConfig`] was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// The file was read.
    File(PathBuf),
    /// No file at the default location: defaults are in use.
    Missing(PathBuf),
    /// The platform has no config directory (no home directory): defaults are in use.
    NoConfigDir,
}

impl LoadedConfig {
    /// Default settings, labelled with where a file was (not) found.
    pub fn defaults(origin: ConfigOrigin) -> Self {
        Self {
            config: Config::default(),
            origin,
        }
    }

    /// The file the settings were read from, if one was.
    pub fn file(&self) -> Option<&Path> {
        match &self.origin {
            ConfigOrigin::File(path) => Some(path),
            ConfigOrigin::Missing(_) | ConfigOrigin::NoConfigDir => None,
        }
    }
}

impl fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "config file {}", path.display()),
            Self::Missing(path) => write!(f, "no config file (looked for {})", path.display()),
            Self::NoConfigDir => f.write_str("no config file (no home directory to look in)"),
        }
    }
}

impl Config {
    /// Reads `explicit` (from `--config`; it must exist) or else `config.toml` in
    /// [`config_dir`] (a missing file means defaults).
    ///
    /// Only a regular file of at most [`SMALL_FILE_LIMIT`] bytes is read: a device or a FIFO
    /// is refused at once.
    pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
        let read = |path: &Path| regular_file::read_to_string(path, SMALL_FILE_LIMIT);
        match explicit {
            Some(path) => match read(path) {
                Ok(text) => Self::from_file_text(path, &text),
                Err(FileError::NotFound) => Err(ConfigError::NotFound {
                    path: path.to_path_buf(),
                }),
                Err(source) => Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                }),
            },
            None => match default_config_path() {
                None => Ok(LoadedConfig::defaults(ConfigOrigin::NoConfigDir)),
                Some(path) => match read(&path) {
                    Ok(text) => Self::from_file_text(&path, &text),
                    Err(FileError::NotFound) => {
                        Ok(LoadedConfig::defaults(ConfigOrigin::Missing(path)))
                    }
                    Err(source) => Err(ConfigError::Read { path, source }),
                },
            },
        }
    }

    /// Parses config text that was read from `path` (the path only labels errors).
    pub fn from_file_text(path: &Path, text: &str) -> Result<LoadedConfig, ConfigError> {
        let config = toml::from_str::<Config>(text)
            .map_err(|e| ConfigError::Invalid(InvalidConfig::new(path, text, &e)))?;
        Ok(LoadedConfig {
            config,
            origin: ConfigOrigin::File(path.to_path_buf()),
        })
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {} does not exist; create it (config.example.toml documents every key) or \
         leave out --config to use the default location",
        path.display()
    )]
    NotFound { path: PathBuf },
    #[error("cannot read config file {}: {source}", path.display())]
    Read { path: PathBuf, source: FileError },
    #[error("{0}")]
    Invalid(InvalidConfig),
}

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
    fn new(path: &Path, text: &str, err: &toml::de::Error) -> Self {
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

/// 1-based line and column (in characters) of byte offset `at`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
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

// ---------------------------------------------------------------------------------------------
// Directories
// ---------------------------------------------------------------------------------------------

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "ecsimg")
}

/// Where `config.toml` lives (e.g. `~/.config/ecsimg` on Linux); `None` without a home
/// directory.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// The config file read when `--config` is not given.
pub fn default_config_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join(CONFIG_FILE_NAME))
}

/// Durable user data: the submission journal (e.g. `~/.local/share/ecsimg` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().to_path_buf())
}

/// Disposable state such as logs (e.g. `~/.local/state/ecsimg` on Linux). Platforms without a
/// state directory (macOS, Windows) use the local data directory instead.
pub fn state_dir() -> Option<PathBuf> {
    project_dirs().map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .to_path_buf()
    })
}

// ---------------------------------------------------------------------------------------------
// Durations (the grammar and each key's range live in `crate::duration`)
// ---------------------------------------------------------------------------------------------

/// Deserializes a duration string within `bounds`.
struct DurationVisitor(duration::Bounds);

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration string such as \"5s\", \"1.5s\" or \"2m\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        duration::parse(v, self.0).map_err(E::custom)
    }
}

fn connect_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::CONNECT_TIMEOUT))
}

fn read_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::READ_TIMEOUT))
}

fn call_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::CALL_TIMEOUT))
}

fn watch_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    d.deserialize_str(DurationVisitor(duration::WATCH_TIMEOUT))
        .map(Some)
}

fn poll_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_str(DurationVisitor(duration::POLL_INTERVAL))
}

// ---------------------------------------------------------------------------------------------
// Other validated values
// ---------------------------------------------------------------------------------------------

fn max_attempts<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u32::deserialize(d)?;
    if !(1..=10).contains(&n) {
        return Err(de::Error::custom(format!(
            "max_attempts is {n}; use 1 (no retries) to 10"
        )));
    }
    Ok(n)
}

/// Region IDs are lowercase words joined by hyphens (`cn-hangzhou`, `ap-southeast-1`); checking
/// the shape catches `cn_hangzhou` or `CN-Hangzhou` before the API rejects them.
fn region_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let id = String::deserialize(d)?;
    let well_formed = !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !well_formed {
        return Err(de::Error::custom(format!(
            "\"{id}\" is not a region ID; write it like \"cn-hangzhou\" or \"ap-southeast-1\" \
             (lowercase, hyphens)"
        )));
    }
    Ok(Some(id))
}

fn endpoint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Endpoint>, D::Error> {
    let text = String::deserialize(d)?;
    Endpoint::parse(&text).map(Some).map_err(de::Error::custom)
}

fn profile_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    if name.trim().is_empty() {
        return Err(de::Error::custom(
            "profile is empty; name a profile or remove the key",
        ));
    }
    Ok(Some(name))
}

/// The `[credentials]` table as written; converted to [`Credentials`] once validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsTable {
    #[serde(deserialize_with = "access_key_id")]
    access_key_id: String,
    #[serde(deserialize_with = "secret")]
    access_key_secret: Secret,
    #[serde(default, deserialize_with = "optional_secret")]
    security_token: Option<Secret>,
}

fn credentials_table<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Credentials>, D::Error> {
    let t = CredentialsTable::deserialize(d)?;
    Ok(Some(Credentials {
        access_key_id: t.access_key_id,
        access_key_secret: t.access_key_secret,
        security_token: t.security_token,
    }))
}

fn access_key_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = String::deserialize(d)?;
    if id.trim().is_empty() {
        return Err(de::Error::custom("access_key_id is empty"));
    }
    Ok(id)
}

/// Deserializes a non-empty secret string. Unlike `String`'s own errors, a wrong type is
/// reported without echoing the value, which may be the secret itself.
struct SecretVisitor;

impl Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quoted string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
        if v.trim().is_empty() {
            return Err(E::custom("the value is empty"));
        }
        Ok(Secret::new(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(E::custom("expected a quoted string, found a number"))
    }
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    d.deserialize_str(SecretVisitor)
}

fn optional_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    secret(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "/cfg/config.toml";

    fn parse(text: &str) -> Result<Config, InvalidConfig> {
        match Config::from_file_text(Path::new(FILE), text) {
            Ok(loaded) => Ok(loaded.config),
            Err(ConfigError::Invalid(e)) => Err(e),
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }

    fn invalid(text: &str) -> InvalidConfig {
        match parse(text) {
            Ok(config) => panic!("accepted {text:?} as {config:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn empty_file_means_defaults() {
        let c = parse("").expect("valid");
        assert_eq!(c, Config::default());
        assert_eq!(c.region(), "cn-hangzhou");
        assert_eq!(c.region, None);
        assert_eq!(c.endpoint, None);
        assert_eq!(c.signature_version, SignatureVersion::V3);
        assert_eq!(c.credentials, None);
        assert_eq!(c.network.connect_timeout, Duration::from_secs(5));
        assert_eq!(c.network.read_timeout, Duration::from_secs(10));
        assert_eq!(c.network.call_timeout, Duration::from_secs(60));
        assert_eq!(c.network.max_attempts, 3);
        assert_eq!(c.watch.poll_interval, Duration::from_secs(5));
        assert_eq!(c.watch.timeout, None);
        assert!(c.ui.mouse);
    }

    #[test]
    fn every_key_is_read() {
        let c = parse(
            r#"
region = "ap-southeast-1"
endpoint = "http://127.0.0.1:8080"
profile = "work"
signature_version = "v1"

[credentials]
access_key_id = "LTAIcfg"
access_key_secret = "cfg-secret"
security_token = "cfg-token"

[network]
connect_timeout = "500ms"
read_timeout = "1m30s"
call_timeout = "3m"
max_attempts = 1

[watch]
poll_interval = "2s"
timeout = "2h"

[ui]
mouse = false
"#,
        )
        .expect("valid");
        assert_eq!(c.region(), "ap-southeast-1");
        assert_eq!(
            c.endpoint.as_ref().map(ToString::to_string).as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(c.profile.as_deref(), Some("work"));
        assert_eq!(c.signature_version, SignatureVersion::V1);
        let creds = c.credentials.expect("credentials");
        assert_eq!(creds.access_key_id, "LTAIcfg");
        assert_eq!(creds.access_key_secret.expose(), "cfg-secret");
        assert_eq!(
            creds.security_token.as_ref().map(Secret::expose),
            Some("cfg-token")
        );
        assert_eq!(c.network.connect_timeout, Duration::from_millis(500));
        assert_eq!(c.network.read_timeout, Duration::from_secs(90));
        assert_eq!(c.network.call_timeout, Duration::from_secs(180));
        assert_eq!(c.network.max_attempts, 1);
        assert_eq!(c.watch.poll_interval, Duration::from_secs(2));
        assert_eq!(c.watch.timeout, Some(Duration::from_secs(7200)));
        assert!(!c.ui.mouse);
    }

    /// The example file documents real keys with their real defaults: it parses as is, and
    /// again with every commented-out `key = value` line and `[table]` header switched on.
    #[test]
    fn example_file_matches_the_code() {
        let example = include_str!("../config.example.toml");
        assert_eq!(parse(example).expect("example parses"), Config::default());

        let uncommented: String = example
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if looks_like_setting(rest) => rest,
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        let d = Config::default();
        assert_eq!(c.region(), d.region());
        assert_eq!(c.signature_version, d.signature_version);
        assert_eq!(c.network, d.network);
        assert_eq!(c.watch.poll_interval, d.watch.poll_interval);
        assert_eq!(c.ui, d.ui);
        // Keys without a default are shown with sample values.
        assert!(c.endpoint.is_some() && c.profile.is_some() && c.credentials.is_some());
        assert!(c.watch.timeout.is_some());
    }

    fn looks_like_setting(line: &str) -> bool {
        let is_key =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        match line.split_once(" = ") {
            Some((key, _)) => is_key(key),
            None => line
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .is_some_and(is_key),
        }
    }

    #[test]
    fn unknown_key_names_file_line_column_and_key() {
        let e = invalid("region = \"cn-beijing\"\nregoin = \"x\"\n");
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert_eq!(e.key.as_deref(), Some("regoin"));
        let text = e.to_string();
        for needle in [
            FILE,
            "line 2",
            "column 1",
            "`regoin`",
            "`region`",
            "config.example.toml",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from: {text}");
        }

        let e = invalid("[network]\nconnect_timeout = \"1s\"\n\n  retries = 3\n");
        assert_eq!((e.line, e.column), (Some(4), Some(3)));
        assert_eq!(e.key.as_deref(), Some("network.retries"));
        assert!(e.message.contains("`max_attempts`"), "{}", e.message);
    }

    #[test]
    fn bad_values_are_located_and_explained() {
        let e = invalid("# comment\nsignature_version = \"v2\"\n");
        assert_eq!((e.line, e.column), (Some(2), Some(21)));
        assert_eq!(e.key.as_deref(), Some("signature_version"));
        assert!(
            e.message.contains("`v1`") && e.message.contains("`v3`"),
            "{}",
            e.message
        );

        let e = invalid("endpoint = \"http://example.com\"\n");
        assert_eq!(e.line, Some(1));
        assert_eq!(e.key.as_deref(), Some("endpoint"));
        assert!(e.message.contains("loopback"), "{}", e.message);
        assert!(parse("endpoint = \"http://[::1]:9000\"").is_ok());
        assert!(parse("endpoint = \"https://ecs.example.com\"").is_ok());

        let e = invalid("[watch]\npoll_interval = \"500ms\"\n");
        assert_eq!(e.key.as_deref(), Some("watch.poll_interval"));
        assert!(e.message.contains("use 1s to 1h"), "{}", e.message);

        for text in [
            "18446744073709551615s",
            "9223372036854775807s",
            "5124095576030431h",
        ] {
            let e = invalid(&format!("[network]\nread_timeout = \"{text}\"\n"));
            assert_eq!(e.key.as_deref(), Some("network.read_timeout"), "{text}");
            assert!(e.message.contains("out of range"), "{}", e.message);
        }
        let e = invalid("[network]\ncall_timeout = \"500ms\"\n");
        assert_eq!(e.key.as_deref(), Some("network.call_timeout"));
        assert!(e.message.contains("use 1s to 1h"), "{}", e.message);
        let e = invalid("[watch]\ntimeout = \"200h\"\n");
        assert_eq!(e.key.as_deref(), Some("watch.timeout"));
        assert!(e.message.contains("to 168h"), "{}", e.message);
        assert_eq!(
            parse("[network]\nread_timeout = \"1.5s\"\n").map(|c| c.network.read_timeout),
            Ok(Duration::from_millis(1500))
        );

        let e = invalid("network = { read_timeout = 10 }\n");
        assert_eq!(e.key.as_deref(), Some("network.read_timeout"));
        assert!(e.to_string().contains("\"5s\""), "{e}");

        let e = invalid("[network]\nmax_attempts = 0\n");
        assert_eq!(e.key.as_deref(), Some("network.max_attempts"));
        assert_eq!(e.line, Some(2));

        let e = invalid("region = \"CN_Hangzhou\"\n");
        assert_eq!(e.key.as_deref(), Some("region"));
        assert!(e.message.contains("cn-hangzhou"), "{}", e.message);

        let e = invalid("[ui]\nmouse = \"yes\"\n");
        assert_eq!(e.key.as_deref(), Some("ui.mouse"));

        let e = invalid("[credentials]\naccess_key_id = \"LTAI\"\n");
        assert_eq!(e.key.as_deref(), Some("credentials"));
        assert!(e.message.contains("access_key_secret"), "{}", e.message);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = invalid("profile = \"é\"\nx = 1\n");
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        let e = invalid("# déjà vu\nsignature_version = \"v9\"");
        assert_eq!((e.line, e.column), (Some(2), Some(21)));
        assert_eq!(line_column("ab\ncdé", 7), (2, 4));
    }

    #[test]
    fn syntax_errors_have_a_position_but_no_key() {
        let e = invalid("[ui\nmouse = true\n");
        assert_eq!(e.line, Some(1));
        assert_eq!(e.key, None);
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn secrets_in_bad_values_are_not_echoed() {
        let secret = "98765432123456789";
        for text in [
            format!("[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = {secret}\n"),
            format!(
                "[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"x\"\n\
                 security_token = {secret}\n"
            ),
            format!("[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"{secret}\n"),
        ] {
            let e = invalid(&text);
            assert!(!e.to_string().contains(secret), "{e}");
            assert!(!format!("{e:?}").contains(secret), "{e:?}");
        }
        let c = parse(&format!(
            "[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"{secret}\"\n"
        ))
        .expect("valid");
        assert!(!format!("{c:?}").contains(secret));
        let e = invalid("[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"  \"\n");
        assert_eq!(e.key.as_deref(), Some("credentials.access_key_secret"));
    }

    #[test]
    fn explicit_file_must_exist_but_default_may_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.toml");
        match Config::load(Some(&missing)) {
            Err(e @ ConfigError::NotFound { .. }) => {
                assert!(e.to_string().contains("nope.toml"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "region = \"cn-shanghai\"\n").expect("write");
        let loaded = Config::load(Some(&path)).expect("loads");
        assert_eq!(loaded.file(), Some(path.as_path()));
        assert_eq!(loaded.config.region(), "cn-shanghai");

        std::fs::write(&path, "bogus = 1\n").expect("write");
        match Config::load(Some(&path)) {
            Err(ConfigError::Invalid(e)) => assert_eq!(e.path, path),
            other => panic!("{other:?}"),
        }
        // A directory cannot be read as a file.
        assert!(matches!(
            Config::load(Some(dir.path())),
            Err(ConfigError::Read { .. })
        ));
    }

    #[test]
    fn origin_is_described() {
        let missing =
            LoadedConfig::defaults(ConfigOrigin::Missing(PathBuf::from("/x/config.toml")));
        assert_eq!(missing.file(), None);
        assert_eq!(
            missing.origin.to_string(),
            "no config file (looked for /x/config.toml)"
        );
    }
}
