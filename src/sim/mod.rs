//! The embedded ECS simulator: a local server that speaks the real Alibaba Cloud RPC wire
//! protocol (V1 and V3 signatures, JSON envelopes) for ECS DescribeRegions, DescribeInstances,
//! DescribeDisks, DescribeSnapshots, DescribeImages, CreateImage, DeleteImage, StopInstances,
//! StartInstances, the delivery operations (CopyImage, CancelCopyImage,
//! Modify/DescribeImageSharePermission, Tag/Untag/ListTagResources, ModifyImageAttribute), and
//! Resource Manager ListResourceGroups (routed by API version, see `route`).
//!
//! It runs in-process ([`start`], used by `ecsimg --sandbox` and the tests) or standalone
//! (`ecsimg sim serve`). Its account comes from seed data ([`Seed`], `assets/sandbox.toml` by
//! default); time comes from an injectable [`Clock`], so tests fast-forward image progress.
//!
//! ```text
//! TCP ─▶ server (hyper, limits) ─▶ body ─▶ request (decode) ─▶ auth (V1/V3, route, nonces)
//!     ─▶ faults ─▶ ops::* ─▶ JSON
//!                    │
//!            state (one lock)
//! ```

mod auth;
mod body;
mod clock;
mod error;
mod faults;
mod keyring;
pub mod limits;
pub mod metadata;
mod nonces;
mod ops;
mod params;
mod permissions;
mod request;
mod route;
mod seed;
mod server;
mod state;
mod sts;
mod tls;

pub use auth::{Authorization, parse_authorization};
pub use clock::Clock;
pub use error::SimError;
pub use faults::{Fault, FaultSpec, FaultSpecError, Faults};
pub use keyring::KeyPair;
pub use limits::Limits;
pub use seed::{SANDBOX_TOML, Seed, SeedError};
pub use tls::TlsError;

use nonces::NonceStore;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use sts::Sts;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The sandbox's documented access key ID (not a secret: it only opens the simulator).
pub const SANDBOX_ACCESS_KEY_ID: &str = "LTAIsandbox";
/// The sandbox's documented access key secret.
pub const SANDBOX_ACCESS_KEY_SECRET: &str = "sandbox-secret";
/// The region the sandbox's seed data fills.
pub const SANDBOX_REGION: &str = "cn-hangzhou";

/// How to run a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    pub keys: KeyPair,
    /// Seed data; `None` is the embedded sandbox.
    pub seed: Option<Seed>,
    /// Multiplies simulated time (2.0 finishes images twice as fast).
    pub speed: f64,
    pub faults: FaultSpec,
    /// Seeds the fault RNG and the IDs of created resources: the same seed, the same IDs.
    pub rng_seed: u64,
    pub clock: Clock,
    pub limits: Limits,
    /// A second listener serving the same APIs over HTTPS, with a certificate from a CA made
    /// at start ([`RunningSim::ca_pem`]).
    pub tls_listen: Option<SocketAddr>,
    /// A listener for the instance metadata service (plain HTTP, as the real one).
    pub metadata_listen: Option<SocketAddr>,
}

impl Default for SimConfig {
    /// The sandbox: loopback, free port, documented keys, embedded data, wall clock, no faults,
    /// default limits, and a seed from the operating system's generator, so no two simulators
    /// hand out the same image IDs (a journal outlives them).
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            keys: KeyPair::sandbox(),
            seed: None,
            speed: 1.0,
            faults: FaultSpec::default(),
            rng_seed: random_seed(),
            clock: Clock::system(),
            limits: Limits::default(),
            tls_listen: None,
            metadata_listen: None,
        }
    }
}

/// A seed drawn from the operating system's generator (through the thread-local one it seeds).
pub fn random_seed() -> u64 {
    rand::random()
}

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("speed must be a positive number (got {0})")]
    Speed(f64),
    #[error("{0}")]
    Limit(String),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// Checks limits that did not come through the command line's own checks.
fn check_limits(limits: &Limits) -> Result<(), StartError> {
    let out_of = |what: &str, range: &std::ops::RangeInclusive<usize>, got: usize| {
        StartError::Limit(format!(
            "{what} must be {} to {} (got {got})",
            range.start(),
            range.end()
        ))
    };
    if !limits::CONNECTIONS_RANGE.contains(&limits.max_connections) {
        return Err(out_of(
            "max_connections",
            &limits::CONNECTIONS_RANGE,
            limits.max_connections,
        ));
    }
    if !limits::NONCES_RANGE.contains(&limits.max_nonces) {
        return Err(out_of(
            "max_nonces",
            &limits::NONCES_RANGE,
            limits.max_nonces,
        ));
    }
    for (what, value) in [
        ("header_timeout", limits.header_timeout),
        ("body_timeout", limits.body_timeout),
    ] {
        let bounds = limits::TIMEOUT_BOUNDS;
        if value < bounds.min || value > bounds.max {
            return Err(StartError::Limit(format!(
                "{what} must be {} to {} (got {})",
                crate::duration::humane(bounds.min),
                crate::duration::humane(bounds.max),
                crate::duration::humane(value)
            )));
        }
    }
    Ok(())
}

/// Starts a simulator on the current tokio runtime.
pub async fn start(config: SimConfig) -> Result<RunningSim, StartError> {
    if !(config.speed.is_finite() && config.speed > 0.0) {
        return Err(StartError::Speed(config.speed));
    }
    check_limits(&config.limits)?;
    let seed = match config.seed {
        Some(seed) => seed,
        None => Seed::sandbox()?,
    };
    let metadata = seed.metadata();
    let names = tls::names_for_regions(seed.region_ids());
    let keys = keyring::Keyring::new(&config.keys, seed.access_keys());
    let sts = Sts::new(seed.sts_directory(), config.rng_seed);
    let state = seed.into_state(config.speed, config.rng_seed);
    let api = bind(config.listen).await?;
    let addr = local_addr(&api, config.listen)?;
    let mut listeners = vec![server::Listener {
        tcp: api,
        face: server::Face::Api,
        tls: None,
    }];
    let mut tls_addr = None;
    let mut ca_pem = None;
    if let Some(listen) = config.tls_listen {
        let tcp = bind(listen).await?;
        tls_addr = Some(local_addr(&tcp, listen)?);
        let authority = tls::Authority::generate(&names)?;
        ca_pem = Some(authority.ca_pem().to_string());
        listeners.push(server::Listener {
            tcp,
            face: server::Face::Api,
            tls: Some(authority.acceptor()),
        });
    }
    let mut metadata_addr = None;
    if let Some(listen) = config.metadata_listen {
        let tcp = bind(listen).await?;
        metadata_addr = Some(local_addr(&tcp, listen)?);
        listeners.push(server::Listener {
            tcp,
            face: server::Face::Metadata,
            tls: None,
        });
    }
    let shared = Arc::new(server::Shared {
        keys,
        sts: Mutex::new(sts),
        clock: config.clock,
        state: RwLock::new(state),
        nonces: Mutex::new(NonceStore::new(config.limits.max_nonces)),
        faults: Arc::new(Faults::new(config.faults, config.rng_seed)),
        limits: config.limits,
        metadata: metadata::Metadata::new(metadata),
    });
    let shutdown = CancellationToken::new();
    let tasks = listeners
        .into_iter()
        .map(|listener| tokio::spawn(server::serve(listener, shared.clone(), shutdown.clone())))
        .collect();
    tracing::info!(%addr, ?tls_addr, ?metadata_addr, "simulator listening");
    Ok(RunningSim {
        addr,
        tls_addr,
        metadata_addr,
        ca_pem,
        shared,
        shutdown,
        tasks,
    })
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

fn local_addr(
    listener: &tokio::net::TcpListener,
    asked: SocketAddr,
) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind {
        addr: asked,
        source,
    })
}

/// A summary of one image, for tests and the sandbox banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub id: String,
    pub name: String,
    pub status: String,
    pub progress: u8,
    pub owner_alias: String,
}

/// A simulator serving in the background; stops on [`RunningSim::shutdown`] or drop.
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    metadata_addr: Option<SocketAddr>,
    ca_pem: Option<String>,
    shared: Arc<server::Shared>,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSim {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, the endpoint to give a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://HOST:PORT` of the TLS listener, when there is one.
    pub fn tls_url(&self) -> Option<String> {
        self.tls_addr.map(|addr| format!("https://{addr}"))
    }

    /// The TLS listener's CA certificate (PEM), which clients must trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The metadata service's address, when it listens.
    pub fn metadata_addr(&self) -> Option<SocketAddr> {
        self.metadata_addr
    }

    /// The simulator's clock: tests sign with [`Clock::now`] and fast-forward with
    /// [`Clock::advance`].
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Moves simulated time forward.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Accepts `access_key_id` with `secret` and `token` as temporary credentials, as if STS
    /// had issued them, for `valid_for` on the simulator's clock: for clients whose token is
    /// fixed in advance (tests of what a token may never leak into).
    pub fn grant_session(
        &self,
        access_key_id: &str,
        secret: crate::secret::Secret,
        token: crate::secret::Secret,
        valid_for: Duration,
    ) {
        let until = self.shared.clock.now()
            + chrono::Duration::from_std(valid_for).unwrap_or(chrono::Duration::MAX);
        self.shared
            .sts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .grant(access_key_id, secret, token, until);
    }

    /// How many AssumeRole and AssumeRoleWithOIDC calls issued credentials so far.
    pub fn sts_issued(&self) -> (u64, u64) {
        self.shared
            .sts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .issued_counts()
    }

    /// Copies started from now on end in CreateFailed at `percent` (`None`: they succeed), as
    /// the seed's `[delivery] fail_copies_at` sets at the start: a test fixes the cause of a
    /// failed copy with it.
    pub fn fail_copies_at(&self, percent: Option<u8>) {
        self.shared
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .account
            .delivery
            .fail_copies_at = percent;
    }

    /// Scripted faults (fail the next N calls, fault call K) and the call counter.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every image visible in `region` (system and custom), with status as of now.
    pub fn images(&self, region: &str) -> Vec<ImageInfo> {
        let now = self.shared.clock.now();
        let state = self.shared.state();
        let speed = state.speed;
        state
            .regions
            .get(region)
            .map(|r| {
                r.images
                    .values()
                    .map(|i| {
                        let (status, progress) = i.status_at(now, speed);
                        ImageInfo {
                            id: i.id.clone(),
                            name: i.name.clone(),
                            status: status.to_string(),
                            progress,
                            owner_alias: i.owner_alias.clone(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Number of snapshots in `region`.
    pub fn snapshot_count(&self, region: &str) -> usize {
        self.shared
            .state()
            .regions
            .get(region)
            .map_or(0, |r| r.snapshots.len())
    }

    /// An instance's status as of now (`Running`, `Stopping`, ...).
    pub fn instance_status(&self, region: &str, instance_id: &str) -> Option<String> {
        let now = self.shared.clock.now();
        let state = self.shared.state();
        let speed = state.speed;
        state
            .regions
            .get(region)?
            .instances
            .get(instance_id)
            .map(|i| i.status_at(now, speed).as_str().to_string())
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.shutdown.cancel();
        for task in &self.tasks {
            task.abort();
        }
    }
}
