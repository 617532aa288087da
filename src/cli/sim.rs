//! `ecsimg sim serve`: the ECS simulator as a standalone server.
//!
//! Prints `listening on http://HOST:PORT` as its first stdout line (scripts read the port from
//! it), then serves until SIGINT or SIGTERM and exits 0. Everything else (the key to sign with,
//! warnings) goes to stderr.

use crate::duration;
use crate::secret::Secret;
use crate::signals::Signals;
use crate::sim::limits::{self, Limits};
use crate::sim::{self, FaultSpec, KeyPair, Seed, SimConfig};
use anyhow::Context as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `ecsimg sim serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimServeArgs {
    /// Address to listen on; port 0 picks a free port. An address other machines can reach
    /// needs your own key pair, or --allow-public-with-sandbox-key.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4600")]
    pub listen: SocketAddr,
    /// Also serve the APIs over HTTPS here, with a certificate from a CA made at start for
    /// loopback, 100.100.100.200 and the *.aliyuncs.com hosts (STS, ECS, ...).
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Option<SocketAddr>,
    /// Write the CA certificate of --tls-listen here (PEM), for clients to trust.
    #[arg(long, value_name = "PATH", requires = "tls_listen")]
    pub ca_out: Option<PathBuf>,
    /// Serve the instance metadata service here (the instance's RAM role credentials; the
    /// real one is http://100.100.100.200:80). The seed's [metadata] table sets the role and
    /// whether tokens are required.
    #[arg(long, value_name = "ADDR")]
    pub metadata_listen: Option<SocketAddr>,
    /// Listen on a non-loopback address even though clients sign with the published sandbox
    /// key, so anyone who can reach the port can use the simulator.
    #[arg(long)]
    pub allow_public_with_sandbox_key: bool,
    /// Access key ID clients must sign with (default: the documented sandbox key).
    #[arg(
        long,
        value_name = "ID",
        env = "ECSIMG_SIM_ACCESS_KEY_ID",
        requires = "access_key_secret"
    )]
    pub access_key_id: Option<String>,
    /// Access key secret for --access-key-id. Prefer the environment variable
    /// ECSIMG_SIM_ACCESS_KEY_SECRET: a value on the command line shows in `ps` and shell history.
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
    /// Seed of the fault RNG and of generated IDs: the same seed gives the same IDs. Without
    /// it each run draws a fresh seed (printed on stderr), so IDs never repeat across runs.
    #[arg(long, value_name = "N")]
    pub rng_seed: Option<u64>,
    /// Connections served at once (1 to 65536); more wait until one closes.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_MAX_CONNECTIONS,
          value_parser = count_in(limits::CONNECTIONS_RANGE))]
    pub max_connections: usize,
    /// Time a client has to send a request's headers; an idle keep-alive connection is closed
    /// after it (100ms to 10m).
    #[arg(long, value_name = "DURATION", default_value = "30s",
          value_parser = duration::flag(limits::TIMEOUT_BOUNDS))]
    pub header_timeout: Duration,
    /// Time a client has to send a request's body (100ms to 10m); a stalled upload is cut off.
    #[arg(long, value_name = "DURATION", default_value = "10s",
          value_parser = duration::flag(limits::TIMEOUT_BOUNDS))]
    pub body_timeout: Duration,
    /// Signature nonces remembered at once, about 36 bytes each (1 to 50000000). Each is kept
    /// for its 15-minute window; when all are, requests are throttled.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_MAX_NONCES,
          value_parser = count_in(limits::NONCES_RANGE))]
    pub max_nonces: usize,
}

/// A clap value parser for a count within `range`.
fn count_in(range: RangeInclusive<usize>) -> impl Fn(&str) -> Result<usize, String> + Clone {
    move |text| {
        text.trim()
            .parse::<usize>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "expected a whole number from {} to {}",
                    range.start(),
                    range.end()
                )
            })
    }
}

/// Who can reach the simulator and sign requests to it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exposure {
    /// Loopback: this machine only.
    Local,
    /// Reachable from the network; the message says what that means.
    Public(String),
}

/// Refuses a non-loopback address with the published sandbox key unless `allowed`; a public
/// address is always worth a warning.
fn exposure(listen: SocketAddr, keys: &KeyPair, allowed: bool) -> Result<Exposure, String> {
    if listen.ip().is_loopback() {
        return Ok(Exposure::Local);
    }
    if keys.is_sandbox() {
        if !allowed {
            return Err(format!(
                "refusing to listen on {listen}: other machines can reach it, and clients sign \
                 with the published sandbox key ({} / {}), so anyone who reaches the port could \
                 use this simulator. Listen on 127.0.0.1, or set your own key pair \
                 (--access-key-id with ECSIMG_SIM_ACCESS_KEY_SECRET), or pass \
                 --allow-public-with-sandbox-key if that is what you want.",
                sim::SANDBOX_ACCESS_KEY_ID,
                sim::SANDBOX_ACCESS_KEY_SECRET
            ));
        }
        return Ok(Exposure::Public(format!(
            "WARNING: listening on {listen}, reachable from other machines, with the published \
             sandbox key: anyone who can reach this port can use the simulator."
        )));
    }
    Ok(Exposure::Public(format!(
        "warning: listening on {listen}, reachable from other machines, over plain HTTP: \
         requests and answers cross the network unencrypted."
    )))
}

/// The TLS listener: traffic is encrypted, but the sandbox key still opens it to anyone who
/// reaches the port.
fn exposure_tls(listen: SocketAddr, keys: &KeyPair, allowed: bool) -> Result<Exposure, String> {
    match exposure(listen, keys, allowed)? {
        Exposure::Local => Ok(Exposure::Local),
        Exposure::Public(_) if keys.is_sandbox() => Ok(Exposure::Public(format!(
            "WARNING: serving HTTPS on {listen}, reachable from other machines, with the \
             published sandbox key: anyone who can reach this port can use the simulator."
        ))),
        Exposure::Public(_) => Ok(Exposure::Public(format!(
            "warning: serving HTTPS on {listen}, reachable from other machines."
        ))),
    }
}

/// The metadata service hands role credentials to whoever asks, as the real one does to any
/// process on the instance: loopback or the metadata address itself is expected, anything
/// else is worth a warning.
fn metadata_warning(listen: SocketAddr) -> Option<String> {
    let metadata_ip = std::net::IpAddr::from([100, 100, 100, 200]);
    (!listen.ip().is_loopback() && listen.ip() != metadata_ip).then(|| {
        format!(
            "warning: the metadata service listens on {listen}: anyone who reaches it gets the \
             simulated role's credentials."
        )
    })
}

/// Writes a public file (a CA certificate) whole: a temporary file beside it, then a rename,
/// so a reader never sees half of it. Mode 0644: it holds nothing secret.
fn write_public_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    let temporary = path.with_file_name(name);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
        let mut file = options.open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The key pair clients must sign with.
fn key_pair(id: Option<String>, secret: Option<String>) -> Result<KeyPair, String> {
    match (id, secret) {
        (Some(id), Some(secret)) => {
            if id.is_empty() || secret.is_empty() {
                return Err(
                    "--access-key-id and the secret must not be empty; leave both out for the sandbox key pair"
                        .into(),
                );
            }
            Ok(KeyPair {
                id,
                secret: Secret::new(secret),
            })
        }
        _ => Ok(KeyPair::sandbox()),
    }
}

/// The stderr line that says how to sign: the ID in use; the secret only for the published
/// sandbox pair, never one given by the user.
fn key_banner(keys: &KeyPair) -> String {
    if keys.is_sandbox() {
        format!(
            "sign requests with the sandbox key pair: {} / {}",
            sim::SANDBOX_ACCESS_KEY_ID,
            sim::SANDBOX_ACCESS_KEY_SECRET
        )
    } else {
        format!(
            "sign requests with access key ID {} and the secret you set",
            keys.id.escape_debug()
        )
    }
}

/// The simulator `serve` runs, built from the arguments: what the tests start in-process to
/// compare with a served one.
pub fn config(args: &SimServeArgs) -> anyhow::Result<SimConfig> {
    let seed = match &args.data {
        Some(path) => Some(Seed::from_file(path)?),
        None => None,
    };
    let keys = key_pair(args.access_key_id.clone(), args.access_key_secret.clone())
        .map_err(anyhow::Error::msg)?;
    Ok(SimConfig {
        listen: args.listen,
        keys,
        seed,
        speed: args.speed,
        faults: args.faults.unwrap_or_default(),
        rng_seed: args.rng_seed.unwrap_or_else(sim::random_seed),
        tls_listen: args.tls_listen,
        metadata_listen: args.metadata_listen,
        limits: Limits {
            max_connections: args.max_connections,
            header_timeout: args.header_timeout,
            body_timeout: args.body_timeout,
            max_nonces: args.max_nonces,
        },
        ..SimConfig::default()
    })
}

/// Runs the simulator until SIGINT/SIGTERM.
pub async fn serve(args: SimServeArgs) -> anyhow::Result<()> {
    let keys = key_pair(args.access_key_id.clone(), args.access_key_secret.clone())
        .unwrap_or_else(|refusal| invalid_arguments(&refusal));
    let exposure = exposure(args.listen, &keys, args.allow_public_with_sandbox_key)
        .unwrap_or_else(|refusal| invalid_arguments(&refusal));
    if let Exposure::Public(warning) = &exposure {
        eprintln!("{warning}");
    }
    if let Some(listen) = args.tls_listen
        && let Exposure::Public(warning) =
            exposure_tls(listen, &keys, args.allow_public_with_sandbox_key)
                .unwrap_or_else(|refusal| invalid_arguments(&refusal))
    {
        eprintln!("{warning}");
    }
    if let Some(warning) = args.metadata_listen.and_then(metadata_warning) {
        eprintln!("{warning}");
    }
    let config = config(&args)?;
    let rng_seed = config.rng_seed;
    // Handlers go in before the banner: a script may signal as soon as it reads it.
    let mut signals =
        Signals::interrupt_or_terminate().context("installing the SIGINT/SIGTERM handlers")?;
    let running = sim::start(config).await?;
    // The CA is on disk before the banner, so a client that read the banner can trust it.
    if let (Some(path), Some(pem)) = (&args.ca_out, running.ca_pem()) {
        write_public_file(path, pem)
            .with_context(|| format!("writing the CA certificate to {}", path.display()))?;
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", running.url()).context("writing to stdout")?;
        if let Some(url) = running.tls_url() {
            writeln!(out, "listening on {url}").context("writing to stdout")?;
        }
        if let Some(addr) = running.metadata_addr() {
            writeln!(out, "metadata service on http://{addr}").context("writing to stdout")?;
        }
        out.flush().context("flushing stdout")?;
    }
    eprintln!("{}", key_banner(&keys));
    if args.rng_seed.is_none() {
        eprintln!("rng seed {rng_seed} (--rng-seed {rng_seed} repeats this run's IDs and faults)");
    }
    signals.recv().await;
    running.shutdown().await;
    Ok(())
}

/// Ends the process as clap does for bad arguments: the message on stderr, exit code 2.
fn invalid_arguments(message: &str) -> ! {
    clap::Error::raw(
        clap::error::ErrorKind::ArgumentConflict,
        format!("{message}\n"),
    )
    .exit()
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

    fn parse(args: &[&str]) -> Result<SimServeArgs, clap::Error> {
        Harness::try_parse_from(std::iter::once("x").chain(args.iter().copied())).map(|h| h.args)
    }

    #[test]
    fn flags_parse_and_defaults_hold() {
        let args = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "20",
            "--faults",
            "throttle=0.5",
            "--body-timeout",
            "1.5s",
            "--max-connections",
            "8",
        ])
        .unwrap();
        assert_eq!(args.listen.port(), 0);
        assert_eq!(args.speed, 20.0);
        assert_eq!(args.faults.map(|f| f.throttle), Some(0.5));
        assert_eq!(args.body_timeout, Duration::from_millis(1500));
        assert_eq!(args.max_connections, 8);
        assert_eq!(args.rng_seed, None);
        let defaults = parse(&[]).unwrap();
        let limits = config(&defaults).unwrap().limits;
        assert_eq!(limits, Limits::default());
    }

    #[test]
    fn bad_values_and_lone_key_id_are_refused() {
        let err = parse(&["--faults", "throttle=0.5,nope=1"]).unwrap_err();
        assert!(err.to_string().contains("nope=1"), "{err}");
        assert!(parse(&["--access-key-id", "a"]).is_err());
        for (flag, value) in [
            ("--max-connections", "0"),
            ("--max-nonces", "99999999999"),
            ("--body-timeout", "18446744073709551615s"),
            ("--header-timeout", "1ms"),
        ] {
            let err = parse(&[flag, value]).unwrap_err().to_string();
            assert!(err.contains(flag), "{flag}: {err}");
        }
    }

    #[test]
    fn a_public_address_with_the_sandbox_key_needs_the_flag() {
        let public: SocketAddr = "0.0.0.0:4600".parse().unwrap();
        let v6: SocketAddr = "[::]:4600".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:4600".parse().unwrap();
        let sandbox = KeyPair::sandbox();
        for addr in [public, v6] {
            let refusal = exposure(addr, &sandbox, false).unwrap_err();
            assert!(
                refusal.contains("--allow-public-with-sandbox-key"),
                "{refusal}"
            );
            match exposure(addr, &sandbox, true) {
                Ok(Exposure::Public(warning)) => {
                    assert!(warning.starts_with("WARNING"), "{warning}")
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(exposure(local, &sandbox, false), Ok(Exposure::Local));
        // Their own key pair only warns: the port is still open to the network.
        let own = key_pair(Some("LTAIown".into()), Some("s3cret".into())).unwrap();
        assert!(
            matches!(exposure(public, &own, false), Ok(Exposure::Public(w)) if w.contains("plain HTTP"))
        );
        // The sandbox ID with another secret is not the published pair.
        let same_id = key_pair(Some("LTAIsandbox".into()), Some("other".into())).unwrap();
        assert!(!same_id.is_sandbox());
    }

    #[test]
    fn the_tls_and_metadata_listeners_follow_the_same_exposure_rules() {
        let public: SocketAddr = "0.0.0.0:443".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:443".parse().unwrap();
        let sandbox = KeyPair::sandbox();
        let refusal = exposure_tls(public, &sandbox, false).unwrap_err();
        assert!(
            refusal.contains("--allow-public-with-sandbox-key"),
            "{refusal}"
        );
        assert!(matches!(exposure_tls(public, &sandbox, true),
            Ok(Exposure::Public(w)) if w.starts_with("WARNING: serving HTTPS")));
        assert_eq!(exposure_tls(local, &sandbox, false), Ok(Exposure::Local));
        let own = key_pair(Some("LTAIown".into()), Some("s3cret".into())).unwrap();
        assert!(matches!(exposure_tls(public, &own, false),
            Ok(Exposure::Public(w)) if !w.contains("plain HTTP")));
        for quiet in ["127.0.0.1:80", "100.100.100.200:80", "[::1]:80"] {
            assert_eq!(metadata_warning(quiet.parse().unwrap()), None, "{quiet}");
        }
        assert!(metadata_warning("0.0.0.0:80".parse().unwrap()).is_some());
        // The CA is only written for a TLS listener.
        let err = parse(&["--ca-out", "ca.pem"]).unwrap_err().to_string();
        assert!(err.contains("--tls-listen"), "{err}");
        let args = parse(&["--tls-listen", "127.0.0.1:0", "--ca-out", "ca.pem"]).unwrap();
        assert!(config(&args).unwrap().tls_listen.is_some());
    }

    #[test]
    fn the_banner_names_the_key_in_use_and_never_a_given_secret() {
        assert_eq!(
            key_banner(&KeyPair::sandbox()),
            "sign requests with the sandbox key pair: LTAIsandbox / sandbox-secret"
        );
        for id in ["LTAIown", "LTAIsandbox"] {
            let keys = key_pair(Some(id.into()), Some("do-not-print-me".into())).unwrap();
            let banner = key_banner(&keys);
            assert!(banner.contains(id), "{banner}");
            assert!(!banner.contains("do-not-print-me") && !banner.contains("sandbox-secret"));
        }
        let hostile = key_pair(Some("id\u{1b}[31m".into()), Some("s".into())).unwrap();
        assert!(!key_banner(&hostile).contains('\u{1b}'));
        assert!(key_pair(Some(String::new()), Some("s".into())).is_err());
    }
}
