//! ecsimg's own settings: `config.toml` in the platform config directory, or `--config PATH`.
//!
//! Every key is optional and documented in `config.example.toml`. Unknown keys and bad values are
//! errors naming the file, line, column and key ([`InvalidConfig`]): a typo must never fall back
//! to a default silently.
//!
//! Here: the schema and loading. Beside it: where the error is in the file (`invalid`), the
//! platform directories (`dirs`), and the validators each key's value goes through (`values`).

mod dirs;
mod invalid;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::api::Credentials;
use crate::api::endpoint::Endpoint;
use crate::api::sign::SignatureVersion;
use crate::regular_file::{self, FileError, SMALL_FILE_LIMIT};

pub use dirs::{config_dir, data_dir, default_config_path, state_dir};
pub use invalid::InvalidConfig;

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
    #[serde(deserialize_with = "values::region_id")]
    pub region: Option<String>,
    /// Where requests go instead of the regional ECS endpoint (a simulator, a VPC endpoint).
    /// Validated by [`Endpoint::parse`]: https anywhere, plain http only to a loopback host.
    #[serde(deserialize_with = "values::endpoint")]
    pub endpoint: Option<Endpoint>,
    /// Where STS requests (AssumeRole, AssumeRoleWithOIDC) go when the profile names no
    /// `sts_endpoint`; same rules as [`Config::endpoint`].
    #[serde(deserialize_with = "values::endpoint")]
    pub sts_endpoint: Option<Endpoint>,
    /// Where the ECS instance metadata service is asked for RAM role credentials instead of
    /// `http://100.100.100.200` (a simulator's `--metadata-listen`); plain http only to a
    /// loopback host. `ECSIMG_METADATA_ENDPOINT` overrides it.
    #[serde(deserialize_with = "values::endpoint")]
    pub metadata_endpoint: Option<Endpoint>,
    /// Profile to use from the aliyun CLI config or the credentials file, below
    /// `--profile` and `ALIBABA_CLOUD_PROFILE`.
    #[serde(deserialize_with = "values::profile_name")]
    pub profile: Option<String>,
    /// Signature scheme for requests; V3 unless a gateway needs V1.
    pub signature_version: SignatureVersion,
    /// Access key kept in this file: the last source in the credential chain.
    #[serde(deserialize_with = "values::credentials_table")]
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
    #[serde(deserialize_with = "values::connect_timeout")]
    pub connect_timeout: Duration,
    /// Longest silence while a response arrives, per read (default 10 s, as the official
    /// SDKs); [`Network::call_timeout`] bounds the whole call.
    #[serde(deserialize_with = "values::read_timeout")]
    pub read_timeout: Duration,
    /// Longest time one API call may take, every attempt and pause included (default 1 min):
    /// bounds a server that answers slowly byte by byte.
    #[serde(deserialize_with = "values::call_timeout")]
    pub call_timeout: Duration,
    /// Attempts per retryable call, the first included (default 3; 1 disables retries).
    #[serde(deserialize_with = "values::max_attempts")]
    pub max_attempts: u32,
    /// A PEM file of extra certificate authorities to trust besides the system's (a TLS
    /// simulator's CA, a corporate proxy's); a relative path is relative to the config file.
    /// `ECSIMG_CA_FILE` overrides it.
    pub ca_file: Option<PathBuf>,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            call_timeout: Duration::from_secs(60),
            max_attempts: 3,
            ca_file: None,
        }
    }
}

/// How an image being built is followed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Watch {
    /// Delay between two DescribeImages polls (default 5 s, at least 1 s to stay clear of
    /// throttling).
    #[serde(deserialize_with = "values::poll_interval")]
    pub poll_interval: Duration,
    /// Give up watching after this long (the image keeps building); `None` waits forever.
    #[serde(deserialize_with = "values::watch_timeout")]
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

#[cfg(test)]
mod tests;
