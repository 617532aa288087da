//! Where the access key comes from (the key itself is an [`api::Credentials`](Credentials)).
//!
//! Sources are tried in a fixed order and the first that yields a key wins:
//! 1. `--profile NAME` (looked up in the aliyun CLI config, then the credentials file);
//! 2. environment variables (`ALIBABA_CLOUD_ACCESS_KEY_ID`, ... and their legacy names);
//! 3. the aliyun CLI's `~/.aliyun/config.json`;
//! 4. the shared credentials INI file (`~/.alibabacloud/credentials[.ini]`);
//! 5. the `[credentials]` table of ecsimg's own config.
//!
//! Resolution is a pure function of an injected environment lookup, home directory and config
//! ([`resolve`]), so tests never touch the process environment; [`resolve_from_process`] is the
//! thin wrapper the binary uses. Nothing here formats a secret: [`Secret`] prints `***`, and
//! parse errors are phrased so they never echo a value from a credentials file.

mod aliyun_cli;
mod ini_file;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::api::Credentials;
use crate::config::{ConfigOrigin, DEFAULT_REGION, LoadedConfig};
use crate::secret::Secret;

// ---------------------------------------------------------------------------------------------
// Names of the places looked at
// ---------------------------------------------------------------------------------------------

/// Access key ID variables, in the order the aliyun CLI checks them.
pub const ACCESS_KEY_ID_VARS: [&str; 4] = [
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABACLOUD_ACCESS_KEY_ID",
    "ALICLOUD_ACCESS_KEY_ID",
    "ACCESS_KEY_ID",
];
pub const ACCESS_KEY_SECRET_VARS: [&str; 4] = [
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABACLOUD_ACCESS_KEY_SECRET",
    "ALICLOUD_ACCESS_KEY_SECRET",
    "ACCESS_KEY_SECRET",
];
pub const SECURITY_TOKEN_VARS: [&str; 4] = [
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABACLOUD_SECURITY_TOKEN",
    "ALICLOUD_SECURITY_TOKEN",
    "SECURITY_TOKEN",
];
pub const REGION_VARS: [&str; 5] = [
    "ALIBABA_CLOUD_REGION_ID",
    "ALIBABACLOUD_REGION_ID",
    "ALICLOUD_REGION_ID",
    "REGION_ID",
    "REGION",
];
/// Profile name variables; the SDKs' own name comes first.
pub const PROFILE_VARS: [&str; 3] = [
    "ALIBABA_CLOUD_PROFILE",
    "ALIBABACLOUD_PROFILE",
    "ALICLOUD_PROFILE",
];
/// `true` skips `~/.aliyun/config.json`, as in the official SDKs.
pub const CLI_PROFILE_DISABLED_VAR: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// Overrides the credentials INI path.
pub const CREDENTIALS_FILE_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";

const ALIYUN_CLI_CONFIG: &str = ".aliyun/config.json";
/// Go, Java and CLI tools read the first; the Python SDK the second.
const CREDENTIALS_FILES: [&str; 2] = [".alibabacloud/credentials", ".alibabacloud/credentials.ini"];

/// A file path as shown to people: under the home directory it reads `~/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPath {
    path: PathBuf,
    shown: String,
}

impl ShownPath {
    pub fn new(path: impl Into<PathBuf>, home: Option<&Path>) -> Self {
        let path = path.into();
        let shown = match home.and_then(|h| path.strip_prefix(h).ok()) {
            Some(rest) => format!("~/{}", rest.display()),
            None => path.display().to_string(),
        };
        Self { path, shown }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for ShownPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// The two profile files ecsimg shares with other Alibaba Cloud tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFile {
    /// `~/.aliyun/config.json`, written by `aliyun configure`.
    AliyunCli,
    /// The INI file read by the SDKs' credential providers.
    CredentialsFile,
}

impl ProfileFile {
    /// How the file names the kind of a profile.
    fn kind_key(self) -> &'static str {
        match self {
            Self::AliyunCli => "mode",
            Self::CredentialsFile => "type",
        }
    }

    /// How to get past a broken file without editing it.
    fn skip_hint(self) -> String {
        match self {
            Self::AliyunCli => format!("fix it, or set {CLI_PROFILE_DISABLED_VAR}=true to skip it"),
            Self::CredentialsFile => {
                format!("fix it, or point {CREDENTIALS_FILE_VAR} at another file")
            }
        }
    }

    fn supported(self) -> &'static str {
        match self {
            Self::AliyunCli => "AK and StsToken",
            Self::CredentialsFile => "access_key and sts",
        }
    }
}

impl fmt::Display for ProfileFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AliyunCli => "aliyun CLI config",
            Self::CredentialsFile => "credentials file",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/// Command-line choices that outrank every other source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--profile NAME`: use this profile even when environment keys are set.
    pub profile: Option<String>,
    /// `--region ID`.
    pub region: Option<String>,
}

/// Everything resolution reads, injected so tests need no process environment.
pub struct Inputs<'a> {
    pub flags: &'a Flags,
    /// Looks up an environment variable (`std::env::var(name).ok()` in the binary).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The home directory holding `.aliyun/` and `.alibabacloud/`; `None` if unknown.
    pub home: Option<&'a Path>,
    pub config: &'a LoadedConfig,
}

/// The key pair to sign with, where it came from, and the region chosen alongside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub credentials: Credentials,
    pub source: CredentialSource,
    /// From `--region`, else the region variables, else the winning profile's `region_id`, else
    /// the config's `region`; `None` when none says (see [`Resolved::region_or_default`]).
    pub region: Option<String>,
}

impl Resolved {
    /// The region to use: [`Resolved::region`], or [`DEFAULT_REGION`].
    pub fn region_or_default(&self) -> &str {
        self.region.as_deref().unwrap_or(DEFAULT_REGION)
    }
}

/// Which source supplied the credentials. `Display` is for the status bar; it never shows a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Environment variables; the field names the variable the key ID came from.
    Environment {
        access_key_id_var: &'static str,
    },
    AliyunCli {
        profile: String,
        file: ShownPath,
    },
    CredentialsFile {
        profile: String,
        file: ShownPath,
    },
    /// The `[credentials]` table of ecsimg's config (the file is `None` only for a config built
    /// in memory).
    Config {
        file: Option<ShownPath>,
    },
}

impl CredentialSource {
    /// The profile name, for sources that have one (recorded in the journal).
    pub fn profile(&self) -> Option<&str> {
        match self {
            Self::AliyunCli { profile, .. } | Self::CredentialsFile { profile, .. } => {
                Some(profile)
            }
            Self::Environment { .. } | Self::Config { .. } => None,
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment { access_key_id_var } => {
                write!(f, "environment ({access_key_id_var})")
            }
            Self::AliyunCli { profile, file } => {
                write!(f, "aliyun CLI profile '{profile}' ({file})")
            }
            Self::CredentialsFile { profile, file } => {
                write!(f, "credentials file profile '{profile}' ({file})")
            }
            Self::Config { file: Some(file) } => write!(f, "config file [credentials] ({file})"),
            Self::Config { file: None } => f.write_str("config file [credentials]"),
        }
    }
}

/// Who named the profile being looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileOrigin {
    Flag,
    Env(&'static str),
    Config,
}

impl fmt::Display for ProfileOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag => f.write_str("--profile"),
            Self::Env(var) => write!(f, "environment variable {var}"),
            Self::Config => f.write_str("`profile` in the config file"),
        }
    }
}

/// One place the chain looked, and what it found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Looked {
    pub place: String,
    pub finding: String,
}

impl Looked {
    fn new(place: impl Into<String>, finding: impl Into<String>) -> Self {
        Self {
            place: place.into(),
            finding: finding.into(),
        }
    }
}

impl fmt::Display for Looked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.finding)
    }
}

/// Every place looked at, in order, when no credentials were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchReport {
    pub looked: Vec<Looked>,
}

impl fmt::Display for SearchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "No Alibaba Cloud credentials found. Looked in this order:"
        )?;
        for (i, looked) in self.looked.iter().enumerate() {
            writeln!(f, "  {}. {looked}", i + 1)?;
        }
        write!(
            f,
            "Set {} and {}, run `aliyun configure`, or add a [credentials] table to the config \
             file. To try ecsimg without an account, use --sandbox.",
            ACCESS_KEY_ID_VARS[0], ACCESS_KEY_SECRET_VARS[0]
        )
    }
}

/// Why no credentials could be used. Messages name files and profiles, never values.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{0}")]
    NotFound(SearchReport),
    #[error(
        "profile '{profile}' (named by {origin}) was not found. Searched: {}. Check the \
         spelling, or create it with `aliyun configure --profile {profile}`",
        join_looked(searched)
    )]
    ProfileNotFound {
        profile: String,
        origin: ProfileOrigin,
        searched: Vec<Looked>,
    },
    #[error(
        "profile '{profile}' in {file_kind} {file} has {} {kind}, which ecsimg cannot use (it \
         supports {}). Choose a profile of a supported {} with --profile, or obtain temporary \
         credentials yourself (for example with `aliyun sts AssumeRole`) and export {}, {} and {}",
        file_kind.kind_key(),
        file_kind.supported(),
        file_kind.kind_key(),
        ACCESS_KEY_ID_VARS[0],
        ACCESS_KEY_SECRET_VARS[0],
        SECURITY_TOKEN_VARS[0]
    )]
    Unsupported {
        profile: String,
        /// The mode or type as written in the file.
        kind: String,
        file_kind: ProfileFile,
        file: ShownPath,
    },
    /// A source was chosen but lacks something (an ID without a secret, an empty field).
    #[error("{origin}: {problem}")]
    Incomplete { origin: String, problem: String },
    #[error("{file_kind} {file} is malformed: {reason}; {}", file_kind.skip_hint())]
    Malformed {
        file_kind: ProfileFile,
        file: ShownPath,
        reason: String,
    },
    #[error("cannot read {file_kind} {file}: {error}")]
    Unreadable {
        file_kind: ProfileFile,
        file: ShownPath,
        error: io::Error,
    },
    #[error(
        "{CREDENTIALS_FILE_VAR} names {file}, which does not exist; point it at your credentials \
         file or unset it"
    )]
    CredentialsFileMissing { file: ShownPath },
}

fn join_looked(looked: &[Looked]) -> String {
    looked
        .iter()
        .map(Looked::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------

/// Credentials and region from one profile of a profile file.
struct ProfileHit {
    credentials: Credentials,
    region: Option<String>,
}

/// A profile's AccessKey pair, plus the STS token stored under `token_key` when the profile's
/// kind carries one. `required` reads a key or explains how to fill it in; both profile files
/// name their pair alike.
fn profile_credentials(
    required: impl Fn(&str) -> Result<String, CredentialsError>,
    token_key: Option<&str>,
) -> Result<Credentials, CredentialsError> {
    let access_key_id = required("access_key_id")?;
    let access_key_secret = Secret::new(required("access_key_secret")?);
    let security_token = match token_key {
        Some(key) => Some(Secret::new(required(key)?)),
        None => None,
    };
    Ok(Credentials {
        access_key_id,
        access_key_secret,
        security_token,
    })
}

/// What a profile file holds for the profile asked for.
enum Lookup {
    Found {
        profile: String,
        hit: ProfileHit,
    },
    /// The file has no such profile; `available` lists the names it does have.
    Absent {
        profile: String,
        available: Vec<String>,
    },
}

/// Where a winning source's credentials came from, before the region is settled.
struct Found {
    credentials: Credentials,
    source: CredentialSource,
    profile_region: Option<String>,
}

/// Resolves credentials and region from the process environment and the real home directory.
pub fn resolve_from_process(
    flags: &Flags,
    config: &LoadedConfig,
) -> Result<Resolved, CredentialsError> {
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let env = |name: &str| std::env::var(name).ok();
    resolve(&Inputs {
        flags,
        env: &env,
        home: home.as_deref(),
        config,
    })
}

/// Walks the chain described in the module docs.
pub fn resolve(input: &Inputs<'_>) -> Result<Resolved, CredentialsError> {
    let found = find(input)?;
    let region = non_empty(input.flags.region.clone())
        .or_else(|| first_set(input.env, &REGION_VARS).map(|(_, v)| v))
        .or(found.profile_region)
        .or_else(|| input.config.config.region.clone());
    Ok(Resolved {
        credentials: found.credentials,
        source: found.source,
        region,
    })
}

fn find(input: &Inputs<'_>) -> Result<Found, CredentialsError> {
    if let Some(profile) = non_empty(input.flags.profile.clone()) {
        return find_named_profile(input, profile, ProfileOrigin::Flag);
    }
    let mut looked = Vec::new();
    if let Some(found) = from_env(input.env, &mut looked)? {
        return Ok(found);
    }
    let named = first_set(input.env, &PROFILE_VARS)
        .map(|(var, name)| (name, ProfileOrigin::Env(var)))
        .or_else(|| {
            input
                .config
                .config
                .profile
                .clone()
                .map(|name| (name, ProfileOrigin::Config))
        });
    if let Some((profile, origin)) = named {
        return find_named_profile(input, profile, origin);
    }
    if let Some(found) = find_profile(input, None, &mut looked)? {
        return Ok(found);
    }
    if let Some(found) = from_config(input, &mut looked) {
        return Ok(found);
    }
    Err(CredentialsError::NotFound(SearchReport { looked }))
}

/// A profile the user named must exist: falling through to another source would sign with
/// keys they did not choose.
fn find_named_profile(
    input: &Inputs<'_>,
    profile: String,
    origin: ProfileOrigin,
) -> Result<Found, CredentialsError> {
    let mut searched = Vec::new();
    match find_profile(input, Some(&profile), &mut searched)? {
        Some(found) => Ok(found),
        None => Err(CredentialsError::ProfileNotFound {
            profile,
            origin,
            searched,
        }),
    }
}

/// Reads an environment variable; an empty value counts as unset, as a blank `export X=` means
/// "nothing" to anyone reading their shell setup.
fn var(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    non_empty(env(name))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn first_set(
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<(&'static str, String)> {
    names
        .iter()
        .find_map(|&name| var(env, name).map(|v| (name, v)))
}

fn from_env(
    env: &dyn Fn(&str) -> Option<String>,
    looked: &mut Vec<Looked>,
) -> Result<Option<Found>, CredentialsError> {
    let id = first_set(env, &ACCESS_KEY_ID_VARS);
    let secret = first_set(env, &ACCESS_KEY_SECRET_VARS);
    match (id, secret) {
        (Some((id_var, access_key_id)), Some((_, secret))) => Ok(Some(Found {
            credentials: Credentials {
                access_key_id,
                access_key_secret: Secret::new(secret),
                security_token: first_set(env, &SECURITY_TOKEN_VARS).map(|(_, t)| Secret::new(t)),
            },
            source: CredentialSource::Environment {
                access_key_id_var: id_var,
            },
            profile_region: None,
        })),
        (Some((id_var, _)), None) => Err(CredentialsError::Incomplete {
            origin: "environment".into(),
            problem: format!(
                "{id_var} is set but no access key secret is; set {} as well (or unset {id_var})",
                ACCESS_KEY_SECRET_VARS[0]
            ),
        }),
        (None, Some((secret_var, _))) => Err(CredentialsError::Incomplete {
            origin: "environment".into(),
            problem: format!(
                "{secret_var} is set but no access key ID is; set {} as well (or unset \
                 {secret_var})",
                ACCESS_KEY_ID_VARS[0]
            ),
        }),
        (None, None) => {
            looked.push(Looked::new(
                "environment",
                format!(
                    "none of {} is set (with {})",
                    ACCESS_KEY_ID_VARS.join(", "),
                    ACCESS_KEY_SECRET_VARS.join(", ")
                ),
            ));
            Ok(None)
        }
    }
}

/// Looks `wanted` (or each file's own default) up in the aliyun CLI config, then in the
/// credentials file, noting each file in `looked`.
fn find_profile(
    input: &Inputs<'_>,
    wanted: Option<&str>,
    looked: &mut Vec<Looked>,
) -> Result<Option<Found>, CredentialsError> {
    if let Some(found) = from_aliyun_cli(input, wanted, looked)? {
        return Ok(Some(found));
    }
    from_credentials_file(input, wanted, looked)
}

fn from_aliyun_cli(
    input: &Inputs<'_>,
    wanted: Option<&str>,
    looked: &mut Vec<Looked>,
) -> Result<Option<Found>, CredentialsError> {
    let kind = ProfileFile::AliyunCli;
    if var(input.env, CLI_PROFILE_DISABLED_VAR).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        looked.push(Looked::new(
            kind.to_string(),
            format!("skipped ({CLI_PROFILE_DISABLED_VAR}=true)"),
        ));
        return Ok(None);
    }
    let Some(home) = input.home else {
        looked.push(Looked::new(
            kind.to_string(),
            "no home directory to look in",
        ));
        return Ok(None);
    };
    let file = ShownPath::new(home.join(ALIYUN_CLI_CONFIG), Some(home));
    let Some(text) = read_if_exists(kind, &file)? else {
        looked.push(Looked::new(format!("{kind} {file}"), "does not exist"));
        return Ok(None);
    };
    let lookup = aliyun_cli::lookup(&text, wanted, &file)?;
    Ok(settle(kind, file, lookup, looked))
}

fn from_credentials_file(
    input: &Inputs<'_>,
    wanted: Option<&str>,
    looked: &mut Vec<Looked>,
) -> Result<Option<Found>, CredentialsError> {
    let kind = ProfileFile::CredentialsFile;
    let (file, text) = if let Some(path) = var(input.env, CREDENTIALS_FILE_VAR) {
        let file = ShownPath::new(path, input.home);
        match read_if_exists(kind, &file)? {
            Some(text) => (file, text),
            None => return Err(CredentialsError::CredentialsFileMissing { file }),
        }
    } else {
        let Some(home) = input.home else {
            looked.push(Looked::new(
                kind.to_string(),
                "no home directory to look in",
            ));
            return Ok(None);
        };
        let mut existing = None;
        for name in CREDENTIALS_FILES {
            let file = ShownPath::new(home.join(name), Some(home));
            match read_if_exists(kind, &file)? {
                Some(text) => {
                    existing = Some((file, text));
                    break;
                }
                None => looked.push(Looked::new(format!("{kind} {file}"), "does not exist")),
            }
        }
        match existing {
            Some(found) => found,
            None => return Ok(None),
        }
    };
    let lookup = ini_file::lookup(&text, wanted, &file)?;
    Ok(settle(kind, file, lookup, looked))
}

/// Turns a profile-file lookup into a winning source, or a note of what the file lacked.
fn settle(
    kind: ProfileFile,
    file: ShownPath,
    lookup: Lookup,
    looked: &mut Vec<Looked>,
) -> Option<Found> {
    match lookup {
        Lookup::Found { profile, hit } => Some(Found {
            credentials: hit.credentials,
            source: match kind {
                ProfileFile::AliyunCli => CredentialSource::AliyunCli { profile, file },
                ProfileFile::CredentialsFile => CredentialSource::CredentialsFile { profile, file },
            },
            profile_region: hit.region,
        }),
        Lookup::Absent { profile, available } => {
            let has = if available.is_empty() {
                "it has no profiles".to_string()
            } else {
                format!("it has: {}", available.join(", "))
            };
            looked.push(Looked::new(
                format!("{kind} {file}"),
                format!("exists, but has no profile '{profile}' ({has})"),
            ));
            None
        }
    }
}

fn read_if_exists(kind: ProfileFile, file: &ShownPath) -> Result<Option<String>, CredentialsError> {
    match std::fs::read_to_string(file.path()) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(CredentialsError::Unreadable {
            file_kind: kind,
            file: file.clone(),
            error,
        }),
    }
}

fn from_config(input: &Inputs<'_>, looked: &mut Vec<Looked>) -> Option<Found> {
    let loaded = input.config;
    match &loaded.config.credentials {
        Some(credentials) => Some(Found {
            credentials: credentials.clone(),
            source: CredentialSource::Config {
                file: loaded.file().map(|p| ShownPath::new(p, input.home)),
            },
            profile_region: None,
        }),
        None => {
            let finding = match &loaded.origin {
                ConfigOrigin::File(path) => format!(
                    "{} has no [credentials] table",
                    ShownPath::new(path.as_path(), input.home)
                ),
                ConfigOrigin::Missing(path) => format!(
                    "no config file ({} does not exist)",
                    ShownPath::new(path.as_path(), input.home)
                ),
                ConfigOrigin::NoConfigDir => "no config file (no config directory)".to_string(),
            };
            looked.push(Looked::new("config file [credentials]", finding));
            None
        }
    }
}
