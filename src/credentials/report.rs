//! What resolution reports: where the key came from, or every place it looked and why each
//! gave nothing, as an error that tells what to do.

use std::fmt;
use std::io;

use super::places::{
    ACCESS_KEY_ID_VARS, ACCESS_KEY_SECRET_VARS, CREDENTIALS_FILE_VAR, ProfileFile,
    SECURITY_TOKEN_VARS, ShownPath,
};

/// Which source supplied the credentials. `Display` is for the status bar; it never shows a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Environment variables; the field names the variable the key ID came from.
    Environment {
        access_key_id_var: &'static str,
    },
    /// The environment variable that chose a source other than a key pair (OIDC, a
    /// credentials URI, an instance role).
    Variable(&'static str),
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
    /// Nothing else was found, and the ECS instance metadata service at `endpoint` named a
    /// role.
    InstanceMetadata {
        endpoint: String,
    },
}

impl CredentialSource {
    /// The profile name, for sources that have one (recorded in the journal).
    pub fn profile(&self) -> Option<&str> {
        match self {
            Self::AliyunCli { profile, .. } | Self::CredentialsFile { profile, .. } => {
                Some(profile)
            }
            Self::Environment { .. }
            | Self::Variable(_)
            | Self::Config { .. }
            | Self::InstanceMetadata { .. } => None,
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment {
                access_key_id_var: var,
            }
            | Self::Variable(var) => write!(f, "environment ({var})"),
            Self::AliyunCli { profile, file } => {
                write!(f, "aliyun CLI profile '{profile}' ({file})")
            }
            Self::CredentialsFile { profile, file } => {
                write!(f, "credentials file profile '{profile}' ({file})")
            }
            Self::Config { file: Some(file) } => write!(f, "config file [credentials] ({file})"),
            Self::Config { file: None } => f.write_str("config file [credentials]"),
            Self::InstanceMetadata { endpoint } => {
                write!(
                    f,
                    "ECS instance metadata ({})",
                    crate::text::escape(endpoint)
                )
            }
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
    pub(super) fn new(place: impl Into<String>, finding: impl Into<String>) -> Self {
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
    /// ChainableRamRoleArn profiles whose `source_profile`s lead back to one of them.
    #[error(
        "the profiles in {file} form a loop through source_profile: {}. Make the last profile \
         of the chain one with keys (mode AK, StsToken or RamRoleArn)",
        chain.join(" → ")
    )]
    ChainCycle { chain: Vec<String>, file: ShownPath },
}

fn join_looked(looked: &[Looked]) -> String {
    looked
        .iter()
        .map(Looked::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
