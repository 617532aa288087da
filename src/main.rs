//! The `ecsimg` binary: parse arguments, dispatch, map failures to an exit code.

use std::process::ExitCode;

use clap::Parser;
use ecsimg::cli::exit::{Exit, Failure};
use ecsimg::cli::{self, Cli, Command, SimCommand};
use ecsimg::session::SessionOptions;
use ecsimg::signals::Signals;
use ecsimg::tui::Ended;
use tokio_util::sync::CancellationToken;

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
    runtime.block_on(async {
        let options = SessionOptions::from(&cli.global);
        let result = match cli.command {
            // The wizard and the simulator handle their own signals.
            None => return exit_after_wizard(ecsimg::tui::run((&cli.global).into()).await),
            Some(Command::Sim(SimCommand::Serve(args))) => {
                return exit_after_simulator(cli::sim::serve(*args).await);
            }
            Some(Command::Completions { shell }) => cli::completions(shell),
            Some(Command::Preview(args)) => cli::preview::run(args, &options),
            Some(Command::Policy(args)) => cli::policy::run(args, &options).await,
            Some(Command::Create(args)) => {
                cli::create::run(args, &options, interrupt_token()).await
            }
            Some(Command::Watch(args)) => cli::watch::run(args, &options, interrupt_token()).await,
            Some(Command::History(args)) => cli::history::run(args, &options),
        };
        let exit = result.unwrap_or_else(|failure: Failure| {
            // Its layout is ours; any text inside it from a server or a file is made inert.
            eprintln!(
                "error: {}",
                ecsimg::text::escape_lines(&failure.to_string())
            );
            failure.exit
        });
        ExitCode::from(exit.code())
    })
}

/// The wizard's ending as an exit code: 0 after a quit, 6 after a quit once a delivery ended
/// with failed actions, 130 when a signal ended it, 2 for input to fix (flags, config,
/// credentials), 1 for anything else.
fn exit_after_wizard(ended: Result<Ended, ecsimg::tui::WizardError>) -> ExitCode {
    let exit = match ended {
        Ok(ended) => wizard_exit(ended),
        Err(err) => {
            eprintln!("error: {err}");
            if err.is_invalid_input() {
                Exit::InvalidInput
            } else {
                Exit::Failure
            }
        }
    };
    ExitCode::from(exit.code())
}

/// The code of a wizard that ended without an error.
fn wizard_exit(ended: Ended) -> Exit {
    match ended {
        Ended::Quit => Exit::Success,
        Ended::QuitNotAllDelivered => Exit::DeliveryFailed,
        Ended::Signal(_) => Exit::Interrupted,
    }
}

/// `ecsimg sim serve`'s ending (its errors are `anyhow`) as an exit code: 0 or 1.
fn exit_after_simulator(served: anyhow::Result<()>) -> ExitCode {
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", ecsimg::text::escape_lines(&format!("{err:#}")));
            ExitCode::from(Exit::Failure.code())
        }
    }
}

/// Cancelled by the first SIGINT/SIGTERM, so the command can record what it knows and exit
/// 130; a second signal exits at once. The handlers are installed before this returns, so no
/// signal can slip past them.
fn interrupt_token() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    match Signals::interrupt_or_terminate() {
        Ok(mut signals) => {
            tokio::spawn(async move {
                signals.recv().await;
                cancel.cancel();
                signals.recv().await;
                eprintln!("error: interrupted again; exiting now");
                std::process::exit(i32::from(Exit::Interrupted.code()));
            });
        }
        Err(e) => eprintln!("warning: cannot handle SIGINT/SIGTERM gracefully: {e}"),
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecsimg::signals::Caught;

    #[test]
    fn the_wizard_exits_6_after_a_delivery_with_failures_as_create_does() {
        assert_eq!(wizard_exit(Ended::Quit).code(), 0);
        assert_eq!(wizard_exit(Ended::QuitNotAllDelivered).code(), 6);
        assert_eq!(wizard_exit(Ended::Signal(Caught::Interrupt)).code(), 130);
    }
}
