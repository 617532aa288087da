//! Where the access key comes from (the key itself is an [`api::Credentials`](Credentials)).
//!
//! Sources are tried in a fixed order (the official credential libraries' default chain, with
//! ecsimg's own config last) and the first that yields something wins:
//! 1. `--profile NAME` (looked up in the aliyun CLI config, then the credentials file);
//! 2. environment variables (`ALIBABA_CLOUD_ACCESS_KEY_ID`, ... and their legacy names);
//! 3. OIDC from the environment (`ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
//!    `ALIBABA_CLOUD_OIDC_TOKEN_FILE`);
//! 4. the aliyun CLI's `~/.aliyun/config.json` (every mode that yields an AccessKey or STS
//!    credentials: AK, StsToken, RamRoleArn, ChainableRamRoleArn, OIDC, External,
//!    CredentialsURI, EcsRamRole);
//! 5. the shared credentials INI file (`~/.alibabacloud/credentials[.ini]`);
//! 6. the ECS instance's RAM role, when `ALIBABA_CLOUD_ECS_METADATA` names it;
//! 7. `ALIBABA_CLOUD_CREDENTIALS_URI`;
//! 8. the `[credentials]` table of ecsimg's own config;
//! 9. the ECS instance's RAM role as the metadata service names it ([`instance_role_last`]:
//!    the only step that asks the network, so it comes after every local source).
//!
//! Resolution only decides *how* ([`Plan`]); [`Resolved::provider`] builds the provider that
//! fetches and refreshes temporary credentials when a request needs them.
//!
//! Resolution is a pure function of an injected environment lookup, home directory and config
//! ([`resolve`]), so tests never touch the process environment; [`resolve_from_process`] is the
//! thin wrapper the binary uses. Nothing here formats a secret: [`Secret`] prints `***`, and
//! parse errors are phrased so they never echo a value from a credentials file.

mod aliyun_cli;
pub mod ecs_ram_role;
mod fetch;
mod ini_file;
mod places;
mod plan;
mod report;
mod wiring;

use std::io;
use std::path::Path;

use crate::api::Credentials;
use crate::api::provider::SharedProvider;
use crate::api::sts::RoleSession;
use crate::config::{ConfigOrigin, DEFAULT_REGION, LoadedConfig};
use crate::secret::Secret;

pub use places::{
    ACCESS_KEY_ID_VARS, ACCESS_KEY_SECRET_VARS, CLI_PROFILE_DISABLED_VAR, CREDENTIALS_FILE_VAR,
    CREDENTIALS_URI_VAR, DISABLE_EXTERNAL_PROCESS_VAR, ECS_METADATA_VAR, OIDC_PROVIDER_ARN_VAR,
    OIDC_TOKEN_FILE_VAR, PROFILE_VARS, ProfileFile, REGION_VARS, ROLE_ARN_VAR,
    ROLE_SESSION_NAME_VAR, SECURITY_TOKEN_VARS, STS_ENDPOINT_VAR, STS_REGION_VAR, ShownPath,
    VPC_ENDPOINT_VAR,
};
use places::{ALIYUN_CLI_CONFIG, CREDENTIALS_FILES};
pub use plan::Plan;
pub use report::{CredentialSource, CredentialsError, Looked, ProfileOrigin, SearchReport};
pub use wiring::{StsPlace, Wiring};

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

/// How to get the key to sign with, where that came from, and the region chosen alongside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub plan: Plan,
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

    /// The fixed key, when the source gave one (not temporary credentials to fetch).
    pub fn static_credentials(&self) -> Option<&Credentials> {
        match &self.plan {
            Plan::Static(credentials) => Some(credentials),
            _ => None,
        }
    }

    /// Which source won, for the status bar and the journal: the source alone for a fixed
    /// key, "RamRoleArn via aliyun CLI profile 'dev' (…)" for fetched ones. Never a secret.
    pub fn label(&self) -> String {
        match &self.plan {
            Plan::Static(_) => self.source.to_string(),
            plan => format!("{} via {}", plan.mode(), self.source),
        }
    }

    /// The provider that signs requests with these credentials (fetching and refreshing
    /// temporary ones as needed).
    pub fn provider(&self, wiring: &Wiring) -> Result<SharedProvider, CredentialsError> {
        self.plan.provider(wiring, &self.label())
    }
}

/// How to get credentials, and the region, from one profile of a profile file.
struct ProfileHit {
    plan: Plan,
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
    plan: Plan,
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
    let blocked = var(input.env, DISABLE_EXTERNAL_PROCESS_VAR)
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    if blocked && let Some(mode) = found.plan.runs_something_else() {
        return Err(CredentialsError::Incomplete {
            origin: found.source.to_string(),
            problem: format!(
                "it uses mode {mode}, which {DISABLE_EXTERNAL_PROCESS_VAR} blocks; unset it, or \
                 choose another profile"
            ),
        });
    }
    Ok(Resolved {
        plan: found.plan,
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

fn find(input: &Inputs<'_>) -> Result<Found, CredentialsError> {
    if let Some(profile) = non_empty(input.flags.profile.clone()) {
        return find_named_profile(input, profile, ProfileOrigin::Flag);
    }
    let mut looked = Vec::new();
    if let Some(found) = from_env(input.env, &mut looked)? {
        return Ok(found);
    }
    if let Some(found) = oidc_from_env(input.env, &mut looked)? {
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
    if let Some(role_name) = var(input.env, ECS_METADATA_VAR) {
        return Ok(Found {
            plan: Plan::EcsRamRole {
                role_name: Some(role_name),
            },
            source: CredentialSource::Variable(ECS_METADATA_VAR),
            profile_region: None,
        });
    }
    looked.push(Looked::new(
        "ECS instance RAM role",
        format!("{ECS_METADATA_VAR} is not set"),
    ));
    if let Some(uri) = var(input.env, CREDENTIALS_URI_VAR) {
        return Ok(Found {
            plan: Plan::Uri { uri },
            source: CredentialSource::Variable(CREDENTIALS_URI_VAR),
            profile_region: None,
        });
    }
    looked.push(Looked::new(
        "credentials URI",
        format!("{CREDENTIALS_URI_VAR} is not set"),
    ));
    if let Some(found) = from_config(input, &mut looked) {
        return Ok(found);
    }
    Err(CredentialsError::NotFound(SearchReport { looked }))
}

/// The chain's last step, after `report` says nothing else was found: the instance's RAM role
/// if the metadata service (`metadata`) names one now, else `report` with its finding added.
pub async fn instance_role_last(
    mut report: SearchReport,
    flags: &Flags,
    config: &LoadedConfig,
    metadata: &ecs_ram_role::MetadataSettings,
) -> Result<Resolved, CredentialsError> {
    match ecs_ram_role::probe(metadata).await {
        Ok(()) => {
            let env = |name: &str| std::env::var(name).ok();
            let input = Inputs {
                flags,
                env: &env,
                home: None,
                config,
            };
            Ok(Resolved {
                plan: Plan::EcsRamRole { role_name: None },
                source: CredentialSource::InstanceMetadata {
                    endpoint: metadata.endpoint.clone(),
                },
                region: region(&input, None),
            })
        }
        Err(finding) => {
            report
                .looked
                .push(Looked::new("ECS instance metadata", finding));
            Err(CredentialsError::NotFound(report))
        }
    }
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
            plan: Plan::Static(Credentials {
                access_key_id,
                access_key_secret: Secret::new(secret),
                security_token: first_set(env, &SECURITY_TOKEN_VARS).map(|(_, t)| Secret::new(t)),
            }),
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

/// OIDC from the environment: the role, the provider and the token file, all three (as the
/// Python library requires); the provider or the token file alone is a mistake worth naming.
fn oidc_from_env(
    env: &dyn Fn(&str) -> Option<String>,
    looked: &mut Vec<Looked>,
) -> Result<Option<Found>, CredentialsError> {
    let vars = [ROLE_ARN_VAR, OIDC_PROVIDER_ARN_VAR, OIDC_TOKEN_FILE_VAR];
    let [role, provider, file] = vars.map(|name| var(env, name));
    match (role, provider, file) {
        (Some(role_arn), Some(provider_arn), Some(token_file)) => Ok(Some(Found {
            plan: Plan::Oidc {
                session: RoleSession {
                    role_arn,
                    session_name: var(env, ROLE_SESSION_NAME_VAR)
                        .unwrap_or_else(default_session_name),
                    duration_seconds: None,
                    policy: None,
                },
                provider_arn,
                token_file: token_file.into(),
                sts: sts_from_env(env),
            },
            source: CredentialSource::Variable(OIDC_PROVIDER_ARN_VAR),
            profile_region: None,
        })),
        (_, None, None) => {
            looked.push(Looked::new(
                "OIDC (environment)",
                format!("{OIDC_PROVIDER_ARN_VAR} and {OIDC_TOKEN_FILE_VAR} are not set"),
            ));
            Ok(None)
        }
        (role, provider, file) => {
            let missing: Vec<&str> = [role.is_none(), provider.is_none(), file.is_none()]
                .iter()
                .zip(vars)
                .filter_map(|(missing, name)| missing.then_some(name))
                .collect();
            Err(CredentialsError::Incomplete {
                origin: "OIDC (environment)".into(),
                problem: format!(
                    "{} must be set as well (or unset the other OIDC variables)",
                    missing.join(" and ")
                ),
            })
        }
    }
}

/// Where STS is, from `ALIBABA_CLOUD_STS_ENDPOINT`, `ALIBABA_CLOUD_STS_REGION` and
/// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`.
fn sts_from_env(env: &dyn Fn(&str) -> Option<String>) -> StsPlace {
    StsPlace {
        endpoint: var(env, STS_ENDPOINT_VAR),
        region: var(env, STS_REGION_VAR),
        vpc: var(env, VPC_ENDPOINT_VAR).is_some_and(|v| v.eq_ignore_ascii_case("true")),
    }
}

/// A session name when none is configured, like the official libraries' own
/// (`credentials-python-<seconds>`).
fn default_session_name() -> String {
    format!("ecsimg-{}", chrono::Utc::now().timestamp())
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
            plan: hit.plan,
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
            plan: Plan::Static(credentials.clone()),
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
