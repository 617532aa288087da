//! The places the credential chain looks: the environment variables, the profile files shared
//! with other Alibaba Cloud tools, and how their paths are shown.

use std::fmt;
use std::path::{Path, PathBuf};

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
/// OIDC from the environment (all three needed), with an optional session name.
pub const ROLE_ARN_VAR: &str = "ALIBABA_CLOUD_ROLE_ARN";
pub const OIDC_PROVIDER_ARN_VAR: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
pub const OIDC_TOKEN_FILE_VAR: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
pub const ROLE_SESSION_NAME_VAR: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
/// Where STS is for credentials from the environment (the endpoint variable is the aliyun
/// CLI's; region and VPC are the SDKs').
pub const STS_ENDPOINT_VAR: &str = "ALIBABA_CLOUD_STS_ENDPOINT";
pub const STS_REGION_VAR: &str = "ALIBABA_CLOUD_STS_REGION";
pub const VPC_ENDPOINT_VAR: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
/// A URI answering credentials as JSON.
pub const CREDENTIALS_URI_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";
/// `1` or `true` refuses the External and CredentialsURI modes (as the aliyun CLI does).
pub const DISABLE_EXTERNAL_PROCESS_VAR: &str = "ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS";
/// The ECS instance RAM role's name.
pub const ECS_METADATA_VAR: &str = "ALIBABA_CLOUD_ECS_METADATA";

pub(super) const ALIYUN_CLI_CONFIG: &str = ".aliyun/config.json";
/// Go, Java and CLI tools read the first; the Python SDK the second.
pub(super) const CREDENTIALS_FILES: [&str; 2] =
    [".alibabacloud/credentials", ".alibabacloud/credentials.ini"];

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
    pub(super) fn kind_key(self) -> &'static str {
        match self {
            Self::AliyunCli => "mode",
            Self::CredentialsFile => "type",
        }
    }

    /// How to get past a broken file without editing it.
    pub(super) fn skip_hint(self) -> String {
        match self {
            Self::AliyunCli => format!("fix it, or set {CLI_PROFILE_DISABLED_VAR}=true to skip it"),
            Self::CredentialsFile => {
                format!("fix it, or point {CREDENTIALS_FILE_VAR} at another file")
            }
        }
    }

    pub(super) fn supported(self) -> &'static str {
        match self {
            Self::AliyunCli => {
                "AK, StsToken, RamRoleArn, ChainableRamRoleArn, OIDC, External, CredentialsURI \
                 and EcsRamRole"
            }
            Self::CredentialsFile => {
                "access_key, sts, ram_role_arn, oidc_role_arn and ecs_ram_role"
            }
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
