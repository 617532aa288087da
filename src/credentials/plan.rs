//! How the winning source's credentials are obtained ([`Plan`]), and the provider that does
//! it ([`Plan::provider`]): a fixed key, or temporary credentials fetched and refreshed by
//! `api::provider::Refreshing` (AssumeRole, AssumeRoleWithOIDC, a credentials URI, an external
//! process).

use std::path::PathBuf;
use std::sync::Arc;

use super::CredentialsError;
use super::fetch::{ExternalFetch, OidcFetch, RoleFetch, UriFetch};
use super::wiring::{StsPlace, Wiring, sts_client, sts_endpoint};
use crate::api::Credentials;
use crate::api::provider::{Refreshing, SharedProvider, Static};
use crate::api::sts::RoleSession;

/// What resolution settled on, before anything is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// A long-term AccessKey, or an STS token obtained elsewhere (no refresh).
    Static(Credentials),
    /// AssumeRole with the credentials of `source` (`RamRoleArn`; `ChainableRamRoleArn` when
    /// the source is another profile).
    AssumeRole {
        source: Box<Plan>,
        session: RoleSession,
        external_id: Option<String>,
        sts: StsPlace,
        /// `RamRoleArn` or `ChainableRamRoleArn`, as the profile says.
        mode: &'static str,
    },
    /// AssumeRoleWithOIDC with the token in `token_file`, read again at every refresh.
    Oidc {
        session: RoleSession,
        provider_arn: String,
        token_file: PathBuf,
        sts: StsPlace,
    },
    /// `GET uri` answers the credentials.
    Uri { uri: String },
    /// A command prints the credentials as JSON.
    External { command: String },
    /// The ECS instance's RAM role, from the instance metadata service.
    EcsRamRole { role_name: Option<String> },
}

impl Plan {
    /// The mode's name as the aliyun CLI spells it (the status bar says "RamRoleArn via …").
    pub fn mode(&self) -> &'static str {
        match self {
            Plan::Static(c) if c.security_token.is_some() => "StsToken",
            Plan::Static(_) => "AK",
            Plan::AssumeRole { mode, .. } => mode,
            Plan::Oidc { .. } => "OIDC",
            Plan::Uri { .. } => "CredentialsURI",
            Plan::External { .. } => "External",
            Plan::EcsRamRole { .. } => "EcsRamRole",
        }
    }

    /// The mode, anywhere in a chain, that runs a command or asks a URI (External,
    /// CredentialsURI), which `ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS` forbids.
    pub fn runs_something_else(&self) -> Option<&'static str> {
        match self {
            Plan::External { .. } | Plan::Uri { .. } => Some(self.mode()),
            Plan::AssumeRole { source, .. } => source.runs_something_else(),
            Plan::Static(_) | Plan::Oidc { .. } | Plan::EcsRamRole { .. } => None,
        }
    }

    /// The provider that yields this plan's credentials, labelled `label` (never a secret).
    pub fn provider(
        &self,
        wiring: &Wiring,
        label: &str,
    ) -> Result<SharedProvider, CredentialsError> {
        let label = label.to_string();
        Ok(match self {
            Plan::Static(credentials) => Arc::new(Static::new(credentials.clone(), label)),
            Plan::AssumeRole {
                source,
                session,
                external_id,
                sts,
                ..
            } => {
                let source = source.provider(wiring, &format!("source of {label}"))?;
                let endpoint = sts_endpoint(sts, wiring)?;
                let fetch = RoleFetch {
                    client: sts_client(wiring, &endpoint, source)?,
                    endpoint,
                    session: session.clone(),
                    external_id: external_id.clone(),
                    label,
                };
                Arc::new(Refreshing::with_clock(fetch, wiring.now.clone()))
            }
            Plan::Oidc {
                session,
                provider_arn,
                token_file,
                sts,
            } => {
                let endpoint = sts_endpoint(sts, wiring)?;
                let fetch = OidcFetch {
                    wiring: wiring.clone(),
                    endpoint,
                    session: session.clone(),
                    provider_arn: provider_arn.clone(),
                    token_file: token_file.clone(),
                    label,
                };
                Arc::new(Refreshing::with_clock(fetch, wiring.now.clone()))
            }
            Plan::Uri { uri } => {
                let fetch = UriFetch::new(uri, label)?;
                Arc::new(Refreshing::with_clock(fetch, wiring.now.clone()))
            }
            Plan::External { command } => {
                let fetch = ExternalFetch::new(command, label)?;
                Arc::new(Refreshing::with_clock(fetch, wiring.now.clone()))
            }
            Plan::EcsRamRole { role_name } => super::ecs_ram_role::provider(
                role_name.as_deref(),
                &wiring.metadata,
                wiring.now.clone(),
            )
            .map_err(|e| CredentialsError::Incomplete {
                origin: label,
                problem: e.to_string(),
            })?,
        })
    }
}
