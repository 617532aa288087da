//! What every connected command needs: the config, the credentials, the endpoint and the
//! region chosen by the global options (`--config`, `--profile`, `--region`, `--endpoint`,
//! `--sandbox`), and clients built from them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::api::Credentials;
use crate::api::endpoint::EndpointError;
use crate::api::product::ECS;
use crate::api::provider::{SharedProvider, Static, system_now};
use crate::api::{ApiError, Client, ClientConfig, Endpoint, RetryPolicy};
use crate::config::{Config, ConfigError, LoadedConfig};
use crate::credentials::ecs_ram_role::MetadataSettings;
use crate::credentials::{self, CredentialsError, Flags, Wiring};
use crate::sim::{self, RunningSim, SimConfig, StartError};
use crate::watch::WatchPolicy;

/// The global options, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub sandbox: bool,
}

/// Why a session could not be opened. Every case is the user's to fix, except a sandbox that
/// fails to start.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("--endpoint: {0}")]
    Endpoint(EndpointError),
    /// `--sandbox` with `--endpoint URL`.
    #[error(
        "--sandbox runs the embedded simulator, so --endpoint {0} cannot be used with it; drop \
         one of the two"
    )]
    SandboxWithEndpoint(String),
    #[error("the sandbox could not start: {0}")]
    Sandbox(#[from] StartError),
    #[error("the sandbox's address: {0}")]
    SandboxAddress(EndpointError),
    /// The extra CA file (`[network] ca_file` or `ECSIMG_CA_FILE`) cannot be used.
    #[error("{origin} names {}: {reason}; point it at a PEM file of CA certificates", path.display())]
    CaFile {
        origin: &'static str,
        path: PathBuf,
        reason: String,
    },
}

/// Overrides `[network] ca_file`.
pub const CA_FILE_VAR: &str = "ECSIMG_CA_FILE";

impl SessionError {
    /// Whether the user must fix an input (flags, config, credentials) rather than retry.
    pub fn is_invalid_input(&self) -> bool {
        !matches!(
            self,
            SessionError::Sandbox(_) | SessionError::SandboxAddress(_)
        )
    }
}

/// Credentials, endpoint and region, resolved once per command.
pub struct Session {
    config: LoadedConfig,
    credentials: SharedProvider,
    credential_source: String,
    region: String,
    /// `--endpoint`, the config's `endpoint`, or the sandbox; `None` uses the regional one.
    endpoint: Option<Endpoint>,
    /// Keeps an in-process simulator (`--sandbox`) alive as long as the session.
    sandbox: Option<RunningSim>,
    /// Extra CAs to trust (PEM), from `[network] ca_file` or `ECSIMG_CA_FILE`.
    extra_roots: Option<Arc<str>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("credential_source", &self.credential_source)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint.as_ref().map(ToString::to_string))
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Reads the config (`--config` or the default file).
    pub fn load_config(options: &SessionOptions) -> Result<LoadedConfig, ConfigError> {
        Config::load(options.config.as_deref())
    }

    /// Resolves everything; `--sandbox` starts the embedded simulator in this process.
    pub async fn open(options: &SessionOptions) -> Result<Session, SessionError> {
        let config = Session::load_config(options)?;
        Session::open_with(options, config).await
    }

    /// Checks the options without connecting or reading credentials: the config loads, the
    /// flags agree and the endpoint is usable. For commands that need no connection, so bad
    /// input is refused by every command alike.
    pub fn check(options: &SessionOptions) -> Result<LoadedConfig, SessionError> {
        let config = Session::load_config(options)?;
        check_endpoint(options)?;
        Ok(config)
    }

    /// [`Session::open`] with the config already read (the wizard needs its settings first).
    pub async fn open_with(
        options: &SessionOptions,
        config: LoadedConfig,
    ) -> Result<Session, SessionError> {
        let flag_endpoint = check_endpoint(options)?;
        let flags = Flags {
            profile: options.profile.clone(),
            region: options.region.clone(),
        };
        if options.sandbox {
            let region = options.region.as_deref().unwrap_or(sim::SANDBOX_REGION);
            let mut session = Session::open_sandbox(config, SimConfig::default(), region).await?;
            // `--sandbox --profile NAME`: that profile's credentials, with its STS calls
            // answered by the simulator too (the sandbox key as their source, say).
            if options.profile.is_some() {
                let resolved = credentials::resolve_from_process(&flags, &session.config)?;
                let sts = session.endpoint.clone();
                let env = |name: &str| std::env::var(name).ok();
                let metadata = MetadataSettings::from_env(
                    &env,
                    session.config.config.metadata_endpoint.as_ref(),
                );
                session.credentials =
                    resolved.provider(&wiring(&session.config, sts, None, metadata))?;
                session.credential_source = resolved.label();
            }
            return Ok(session);
        }
        let endpoint = flag_endpoint.or_else(|| config.config.endpoint.clone());
        let env = |name: &str| std::env::var(name).ok();
        let extra_roots = extra_roots(&config, &env)?;
        let metadata = MetadataSettings::from_env(&env, config.config.metadata_endpoint.as_ref());
        let resolved = match credentials::resolve_from_process(&flags, &config) {
            // Nothing else: the instance's role, as the official chain ends.
            Err(CredentialsError::NotFound(report)) => {
                credentials::instance_role_last(report, &flags, &config, &metadata).await?
            }
            other => other?,
        };
        let wiring = wiring(&config, None, extra_roots.clone(), metadata);
        Ok(Session {
            region: resolved.region_or_default().to_string(),
            credential_source: resolved.label(),
            credentials: resolved.provider(&wiring)?,
            config,
            endpoint,
            sandbox: None,
            extra_roots,
        })
    }

    /// A session on an embedded simulator started from `simulator` in this process, working
    /// in `region`: `--sandbox`, the wizard's start screen, and tests (a faster clock, faults).
    pub async fn open_sandbox(
        config: LoadedConfig,
        simulator: SimConfig,
        region: &str,
    ) -> Result<Session, SessionError> {
        let key = simulator.keys.clone();
        Session::open_sandbox_as(config, simulator, region, key).await
    }

    /// [`Session::open_sandbox`] signing with `key`: the simulator's own pair, or one of its
    /// seed's `[[access_keys]]` (tests of what a RAM policy allows).
    pub async fn open_sandbox_as(
        config: LoadedConfig,
        simulator: SimConfig,
        region: &str,
        key: sim::KeyPair,
    ) -> Result<Session, SessionError> {
        let running = sim::start(simulator).await?;
        let endpoint = Endpoint::parse(&running.url()).map_err(SessionError::SandboxAddress)?;
        let credential_source = if key.is_sandbox() {
            "sandbox key pair (built in)".to_string()
        } else {
            format!("simulator key {}", key.id)
        };
        let credentials = Credentials {
            access_key_id: key.id,
            access_key_secret: key.secret,
            security_token: None,
        };
        Ok(Session {
            config,
            credentials: Arc::new(Static::new(credentials, credential_source.clone())),
            credential_source,
            region: region.into(),
            endpoint: Some(endpoint),
            sandbox: Some(running),
            extra_roots: None,
        })
    }

    pub fn config(&self) -> &LoadedConfig {
        &self.config
    }

    /// The region to work in when the command does not name one.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Which credential source won, for messages and the journal; never a secret.
    pub fn credential_source(&self) -> &str {
        &self.credential_source
    }

    /// The in-process simulator this session talks to (`--sandbox`), if any.
    pub fn sandbox(&self) -> Option<&RunningSim> {
        self.sandbox.as_ref()
    }

    /// The endpoint requests for `region` go to.
    pub fn endpoint_for(&self, region: &str) -> Endpoint {
        self.endpoint
            .clone()
            .unwrap_or_else(|| ECS.public_endpoint(region))
    }

    /// A client for `region` with the configured network settings.
    pub fn client_for(&self, region: &str) -> Result<Client, ApiError> {
        let network = &self.config.config.network;
        let mut config = ClientConfig::new(region, Arc::clone(&self.credentials))
            .with_endpoint(self.endpoint_for(region))
            .with_signature_version(self.config.config.signature_version)
            .with_timeouts(network.connect_timeout, network.read_timeout)
            .with_call_timeout(network.call_timeout)
            .with_retry(RetryPolicy {
                max_attempts: network.max_attempts,
                ..RetryPolicy::default()
            });
        if let Some(pem) = &self.extra_roots {
            config = config.with_extra_roots(pem.clone());
        }
        Client::new(config)
    }

    /// The watch policy from the config's `[watch]` table.
    pub fn watch_policy(&self) -> WatchPolicy {
        WatchPolicy::from_config(&self.config.config.watch)
    }
}

/// What credential providers are built with: the network settings, config.toml's
/// `sts_endpoint`, `sts_override` (the sandbox) above every other STS endpoint, the extra CAs
/// STS is trusted through, and where the instance metadata service is.
fn wiring(
    config: &LoadedConfig,
    sts_override: Option<Endpoint>,
    extra_roots: Option<Arc<str>>,
    metadata: MetadataSettings,
) -> Wiring {
    let network = &config.config.network;
    Wiring {
        sts_override,
        config_sts: config.config.sts_endpoint.clone(),
        extra_roots,
        metadata,
        connect_timeout: network.connect_timeout,
        read_timeout: network.read_timeout,
        call_timeout: network.call_timeout,
        max_attempts: network.max_attempts,
        now: system_now(),
    }
}

/// The extra CA certificates: `ECSIMG_CA_FILE`, else `[network] ca_file` (relative to the
/// config file's directory), read as a small regular file and checked to hold certificates.
pub fn extra_roots(
    config: &LoadedConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Arc<str>>, SessionError> {
    let (origin, path) = match env(CA_FILE_VAR).filter(|v| !v.trim().is_empty()) {
        Some(path) => (CA_FILE_VAR, PathBuf::from(path)),
        None => match &config.config.network.ca_file {
            Some(path) => {
                let base = config.file().and_then(Path::parent);
                let path = match base {
                    Some(dir) if path.is_relative() => dir.join(path),
                    _ => path.clone(),
                };
                ("[network] ca_file", path)
            }
            None => return Ok(None),
        },
    };
    let failed = |reason: String| SessionError::CaFile {
        origin,
        path: path.clone(),
        reason,
    };
    let pem = crate::regular_file::read_to_string(&path, crate::regular_file::SMALL_FILE_LIMIT)
        .map_err(|e| failed(e.to_string()))?;
    crate::api::client::extra_roots(&pem).map_err(failed)?;
    Ok(Some(Arc::from(pem)))
}

/// `--endpoint`, parsed; refused with `--sandbox`.
fn check_endpoint(options: &SessionOptions) -> Result<Option<Endpoint>, SessionError> {
    match (&options.endpoint, options.sandbox) {
        (Some(text), true) => Err(SessionError::SandboxWithEndpoint(text.clone())),
        (Some(text), false) => Endpoint::parse(text)
            .map(Some)
            .map_err(SessionError::Endpoint),
        (None, _) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sandbox_is_a_complete_session() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "[watch]\npoll_interval = \"2s\"\n").expect("write");
        let options = SessionOptions {
            config: Some(config),
            sandbox: true,
            ..SessionOptions::default()
        };
        let session = Session::open(&options).await.expect("opens");
        assert_eq!(session.region(), sim::SANDBOX_REGION);
        assert!(session.credential_source().contains("sandbox"));
        let running = session.sandbox().expect("the simulator runs");
        assert_eq!(
            session.endpoint_for(sim::SANDBOX_REGION).to_string(),
            running.url()
        );
        assert_eq!(
            session.watch_policy().poll_interval,
            std::time::Duration::from_secs(2)
        );
        let client = session.client_for("cn-shanghai").expect("client");
        assert_eq!(client.config().region, "cn-shanghai");
        assert!(client.config().endpoint.is_loopback());
        assert!(!format!("{session:?}").contains(sim::SANDBOX_ACCESS_KEY_SECRET));
        let regions = client
            .describe_regions()
            .await
            .expect("the sandbox answers");
        assert!(!regions.is_empty());
    }

    #[tokio::test]
    async fn bad_options_are_input_errors() {
        let both = SessionOptions {
            sandbox: true,
            endpoint: Some("http://127.0.0.1:1".into()),
            config: Some(PathBuf::from("/nonexistent/ecsimg/config.toml")),
            ..SessionOptions::default()
        };
        let err = Session::open(&both).await.unwrap_err();
        assert!(matches!(err, SessionError::Config(_)), "{err}");
        assert!(err.is_invalid_input());
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "").expect("write");
        let both = SessionOptions {
            config: Some(config.clone()),
            ..both
        };
        let err = Session::open(&both).await.unwrap_err();
        assert!(matches!(err, SessionError::SandboxWithEndpoint(_)), "{err}");
        assert!(
            err.to_string().contains("--endpoint http://127.0.0.1:1"),
            "{err}"
        );
        let plain_http = SessionOptions {
            config: Some(config),
            endpoint: Some("http://ecs.example.com".into()),
            ..SessionOptions::default()
        };
        let err = Session::open(&plain_http).await.unwrap_err();
        assert!(err.to_string().starts_with("--endpoint: "), "{err}");
        assert!(err.is_invalid_input());
    }
}
