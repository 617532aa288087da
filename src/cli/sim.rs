//! `ecsimg sim serve`: the ECS simulator as a standalone server.
//!
//! Prints `listening on http://HOST:PORT` as its first stdout line (scripts read the port from
//! it), then serves until SIGINT or SIGTERM and exits 0.

use crate::secret::Secret;
use crate::signals::Signals;
use crate::sim::{self, FaultSpec, KeyPair, Seed, SimConfig};
use anyhow::Context as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Options of `ecsimg sim serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4600")]
    pub listen: SocketAddr,
    /// Access key ID clients must sign with (default: the documented sandbox key).
    #[arg(long, value_name = "ID", requires = "access_key_secret")]
    pub access_key_id: Option<String>,
    /// Access key secret for --access-key-id (or set ECSIMG_SIM_ACCESS_KEY_SECRET).
    #[arg(
        long,
        value_name = "SECRET",
        env = "ECSIMG_SIM_ACCESS_KEY_SECRET",
        hide_env_values = true,
        requires = "access_key_id"
    )]
    pub access_key_secret: Option<String>,
    /// Seed data file (TOML, same shape as the built-in sandbox data).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Simulated-time factor: 10 makes images finish ten times faster.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub speed: f64,
    /// Random faults, e.g. throttle=0.2,error=0.05,latency=200ms,drop=0.02,lost=0.01
    /// (drop: the connection closes before the call acts; lost: after it acted)
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<FaultSpec>,
    /// Seed of the fault RNG and of generated IDs (same seed, same run).
    #[arg(long, value_name = "N", default_value_t = 0x5eed)]
    pub rng_seed: u64,
}

/// Runs the simulator until SIGINT/SIGTERM.
pub async fn serve(args: SimServeArgs) -> anyhow::Result<()> {
    let seed = match &args.data {
        Some(path) => Some(Seed::from_file(path)?),
        None => None,
    };
    let keys = match (args.access_key_id, args.access_key_secret) {
        (Some(id), Some(secret)) => KeyPair {
            id,
            secret: Secret::new(secret),
        },
        _ => SimConfig::default().keys,
    };
    let key_id = keys.id.clone();
    let config = SimConfig {
        listen: args.listen,
        keys,
        seed,
        speed: args.speed,
        faults: args.faults.unwrap_or_default(),
        rng_seed: args.rng_seed,
        ..SimConfig::default()
    };
    // Handlers go in before the banner: a script may signal as soon as it reads it.
    let mut signals =
        Signals::interrupt_or_terminate().context("installing the SIGINT/SIGTERM handlers")?;
    let running = sim::start(config).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", running.url()).context("writing to stdout")?;
        out.flush().context("flushing stdout")?;
    }
    if key_id == sim::SANDBOX_ACCESS_KEY_ID {
        eprintln!(
            "sign requests with the sandbox key pair: {} / {}",
            sim::SANDBOX_ACCESS_KEY_ID,
            sim::SANDBOX_ACCESS_KEY_SECRET
        );
    } else {
        eprintln!("sign requests with access key ID {key_id}");
    }
    signals.recv().await;
    running.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Harness {
        #[command(flatten)]
        args: SimServeArgs,
    }

    #[test]
    fn flags_parse_and_defaults_hold() {
        let h = Harness::try_parse_from([
            "x",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "20",
            "--faults",
            "throttle=0.5",
        ])
        .unwrap();
        assert_eq!(h.args.listen.port(), 0);
        assert_eq!(h.args.speed, 20.0);
        assert_eq!(h.args.faults.map(|f| f.throttle), Some(0.5));
        assert!(h.args.access_key_id.is_none());
    }

    #[test]
    fn bad_faults_and_lone_key_id_are_refused() {
        let err = Harness::try_parse_from(["x", "--faults", "throttle=0.5,nope=1"]).unwrap_err();
        assert!(err.to_string().contains("nope=1"), "{err}");
        assert!(Harness::try_parse_from(["x", "--access-key-id", "a"]).is_err());
    }
}
