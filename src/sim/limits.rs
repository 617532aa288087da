//! The simulator's limits as a network server: how long a client may take, how many clients
//! are served at once and how many signature nonces are remembered. `ecsimg sim serve` sets
//! each with a flag; the defaults suit one developer machine. (Body sizes are fixed: see
//! `body`.)

use crate::duration::Bounds;
use std::ops::RangeInclusive;
use std::time::Duration;

/// Connections served at once by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Time for a request's headers by default (and for an idle keep-alive connection to send
/// its next request).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Time for a request's body by default, counted from the end of its headers.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Signature nonces remembered at once by default: about 36 MB at most (see `nonces`).
pub const DEFAULT_MAX_NONCES: usize = 1_000_000;

/// `--header-timeout` and `--body-timeout`.
pub const TIMEOUT_BOUNDS: Bounds =
    Bounds::new(Duration::from_millis(100), Duration::from_secs(600));
/// `--max-connections`.
pub const CONNECTIONS_RANGE: RangeInclusive<usize> = 1..=65_536;
/// `--max-nonces`: up to about 1.8 GB.
pub const NONCES_RANGE: RangeInclusive<usize> = 1..=50_000_000;

/// How much one simulator lets its clients take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Time to send a request's headers; an idle keep-alive connection is closed after it.
    pub header_timeout: Duration,
    /// Time to send a request's body, from the end of its headers.
    pub body_timeout: Duration,
    /// Signature nonces remembered at once; when all are still valid, requests are throttled.
    pub max_nonces: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_nonces: DEFAULT_MAX_NONCES,
        }
    }
}
