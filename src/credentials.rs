//! Where the access key comes from (the key itself is an [`api::Credentials`](Credentials)).
//!
//! Sources are tried in a fixed order and the first that yields a key wins:
//! 1. `--profile NAME` (looked up in the aliyun CLI config, then the credentials file);
//! 2. environment variables (`ALIBABA_CLOUD_ACCESS_KEY_ID`, ... and their legacy names);
//! 3. the aliyun CLI's `~/.aliyun/config.json`;
//! 4. the shared credentials INI file (`~/.alibabacloud/credentials[.ini]`);
//! 5. the `[credentials]` table of ecsimg's own config;
//! 6. the RAM role of the ECS instance, from its metadata service ([`choose_from_process`],
//!    `ecs_ram_role`).
//!
//! Resolution is a pure function of an injected environment lookup, home directory and config
//! ([`resolve`]), so tests never touch the process environment; [`resolve_from_process`] is the
//! thin wrapper the binary uses. Nothing here formats a secret: [`Secret`] prints `***`, and
//! parse errors are phrased so they never echo a value from a credentials file.

mod aliyun_cli;
pub mod ecs_ram_role;
mod ini_file;
mod places;
mod report;

use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::api::Credentials;
use crate::api::provider::{SharedProvider, Static};
use crate::config::{ConfigOrigin, LoadedConfig};
use crate::secret::Secret;

pub use places::{
    ACCESS_KEY_ID_VARS, ACCESS_KEY_SECRET_VARS, CLI_PROFILE_DISABLED_VAR, CREDENTIALS_FILE_VAR,
    PROFILE_VARS, ProfileFile, REGION_VARS, SECURITY_TOKEN_VARS, ShownPath,
};
use places::{ALIYUN_CLI_CONFIG, CREDENTIALS_FILES};
pub use report::{
    CredentialSource, CredentialsError, Looked, ProfileOrigin, Resolved, SearchReport,
};

// ---------------------------------------------------------------------------------------------
// Inputs
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
    Ok(Resolved {
        credentials: found.credentials,
        source: found.source,
        region: region(input, found.profile_region),
    })
}

/// `--region`, else the region variables, else the winning profile's, else the config's.
fn region(input: &Inputs<'_>, profile_region: Option<String>) -> Option<String> {
    non_empty(input.flags.region.clone())
        .or_else(|| first_set(input.env, &REGION_VARS).map(|(_, v)| v))
        .or(profile_region)
        .or_else(|| input.config.config.region.clone())
}

/// The key a session signs with: the chain's fixed key, or, when the chain found none, the
/// RAM role of the ECS instance ecsimg runs on (last, as in the official libraries' chain,
/// which read instance metadata after every file).
pub struct Chosen {
    pub provider: SharedProvider,
    /// Where the key comes from, for the status bar and the journal; never a secret.
    pub source: String,
    pub region: Option<String>,
}

/// [`resolve_from_process`], then the instance's RAM role when nothing else was found: its
/// credentials are read once here, so a machine that is no ECS instance (or has no role) gets
/// the report of every place looked, with the metadata service last.
pub async fn choose_from_process(
    flags: &Flags,
    config: &LoadedConfig,
) -> Result<Chosen, CredentialsError> {
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let env = |name: &str| std::env::var(name).ok();
    let input = Inputs {
        flags,
        env: &env,
        home: home.as_deref(),
        config,
    };
    match resolve(&input) {
        Ok(resolved) => {
            let source = resolved.source.to_string();
            Ok(Chosen {
                region: resolved.region,
                provider: Arc::new(Static::new(resolved.credentials, source.clone())),
                source,
            })
        }
        Err(CredentialsError::NotFound(mut report)) => {
            let settings = ecs_ram_role::MetadataSettings::from_env(
                &env,
                config.config.metadata_endpoint.as_ref(),
            );
            match ecs_ram_role::from_chain(&settings).await {
                Ok(provider) => Ok(Chosen {
                    source: provider.label(),
                    provider,
                    region: region(&input, None),
                }),
                Err(finding) => {
                    report
                        .looked
                        .push(Looked::new("ECS instance metadata", finding));
                    Err(CredentialsError::NotFound(report))
                }
            }
        }
        Err(e) => Err(e),
    }
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
