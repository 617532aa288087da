//! Command-line surface: global options shared by every face, and the subcommands.
//!
//! `main.rs` parses and dispatches; each subcommand module is a thin shell over the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod sim;

/// Build Alibaba Cloud ECS custom images from a terminal.
#[derive(Debug, Parser)]
#[command(name = "ecsimg", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand understands, before or after its name.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Read this config file instead of the platform default.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Credentials profile (aliyun CLI config.json or credentials file section).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region to work in, e.g. cn-hangzhou.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// API endpoint URL; plain http is accepted only on a loopback address.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Run against the embedded ECS simulator instead of Alibaba Cloud.
    #[arg(long, global = true)]
    pub sandbox: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The embedded ECS simulator.
    #[command(subcommand)]
    Sim(SimCommand),
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the simulator over HTTP until interrupted.
    Serve(sim::SimServeArgs),
}

impl From<GlobalArgs> for crate::tui::RunOptions {
    fn from(g: GlobalArgs) -> Self {
        Self {
            config: g.config,
            profile: g.profile,
            region: g.region,
            endpoint: g.endpoint,
            sandbox: g.sandbox,
        }
    }
}
