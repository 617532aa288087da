//! The `ecsimg` binary: parse arguments, dispatch, map failures to an exit code.

use std::process::ExitCode;

use clap::Parser;
use ecsimg::cli::{Cli, Command, SimCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            None => ecsimg::tui::run(cli.global.into()).await,
            Some(Command::Sim(SimCommand::Serve(args))) => ecsimg::cli::sim::serve(args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
