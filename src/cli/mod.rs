//! Command-line surface: global options shared by every face, and the subcommands.
//!
//! `main.rs` parses and dispatches; each subcommand module is a thin shell over the library
//! (`spec`, `api`, `watch`, `journal`, `session`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod create;
pub mod deliver;
pub mod dry_run;
pub mod exit;
pub mod follow;
pub mod history;
pub mod output;
pub mod policy;
pub mod power;
pub mod preview;
pub mod recipe;
pub mod resume;
pub mod sim;
pub mod watch;

use crate::config::LoadedConfig;
use crate::journal::Journal;
use crate::session::{Session, SessionError, SessionOptions};
use exit::{EXIT_CODES_HELP, Exit, Failure};

/// Build Alibaba Cloud ECS custom images from a terminal.
///
/// Without a subcommand, ecsimg opens the interactive wizard. The subcommands replay a
/// wizard-made recipe from scripts and pipelines, follow builds, and serve the simulator.
#[derive(Debug, Parser)]
#[command(name = "ecsimg", version, about, after_help = EXIT_CODES_HELP)]
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
    Create(create::CreateArgs),
    Watch(watch::WatchArgs),
    Preview(preview::PreviewArgs),
    Policy(policy::PolicyArgs),
    History(history::HistoryArgs),
    /// Print a shell completion script, e.g. `ecsimg completions bash > ~/.local/share/bash-completion/completions/ecsimg`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The embedded ECS simulator.
    #[command(subcommand)]
    Sim(SimCommand),
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the simulator over HTTP until interrupted.
    Serve(Box<sim::SimServeArgs>),
}

impl From<&GlobalArgs> for SessionOptions {
    fn from(g: &GlobalArgs) -> Self {
        Self {
            config: g.config.clone(),
            profile: g.profile.clone(),
            region: g.region.clone(),
            endpoint: g.endpoint.clone(),
            sandbox: g.sandbox,
        }
    }
}

/// A session that could not be opened: bad input (exit 2), or a sandbox that did not start.
fn session_failure(error: SessionError) -> Failure {
    if error.is_invalid_input() {
        Failure::input(error)
    } else {
        Failure::local(error)
    }
}

/// The global options checked without connecting (config, flags, endpoint), for commands
/// that need no session: bad input exits 2 from every command.
fn check_options(options: &SessionOptions) -> Result<LoadedConfig, Failure> {
    Session::check(options).map_err(session_failure)
}

/// `ecsimg` with the global options that choose where requests go, as given (`--sandbox`,
/// `--endpoint`, `--profile`, `--config`), for every hint that names a command to run next.
pub fn ecsimg_with(options: &SessionOptions) -> String {
    let quote = |value: &str| {
        shlex::try_quote(value).map_or_else(|_| format!("{value:?}"), |q| q.into_owned())
    };
    let mut command = "ecsimg".to_string();
    if options.sandbox {
        command.push_str(" --sandbox");
    }
    let path = options.config.as_ref().map(|p| p.display().to_string());
    for (flag, value) in [
        ("--config", path.as_deref()),
        ("--profile", options.profile.as_deref()),
        ("--endpoint", options.endpoint.as_deref()),
    ] {
        if let Some(value) = value {
            command.push_str(&format!(" {flag} {}", quote(value)));
        }
    }
    command
}

/// The journal of this kind of session (real or sandbox); says so when it had to make the
/// file private, or could not.
fn open_journal(
    options: &SessionOptions,
    warn: &mut dyn FnMut(&str),
) -> Result<Journal, crate::journal::JournalError> {
    let journal = Journal::open_default(options.sandbox)?;
    if let Some(message) = journal.ensure_private() {
        warn(&format!("warning: {message}"));
    }
    Ok(journal)
}

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut Cli::command(), "ecsimg", &mut std::io::stdout());
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_before_or_after_the_subcommand() {
        for argv in [
            &["ecsimg", "--region", "cn-shanghai", "watch", "m-1"][..],
            &["ecsimg", "watch", "m-1", "--region", "cn-shanghai"][..],
        ] {
            let cli = Cli::try_parse_from(argv).expect("parses");
            assert_eq!(cli.global.region.as_deref(), Some("cn-shanghai"));
            assert!(matches!(cli.command, Some(Command::Watch(_))));
        }
    }

    #[test]
    fn watch_needs_ids_or_resume_and_create_needs_a_recipe() {
        assert!(Cli::try_parse_from(["ecsimg", "watch"]).is_err());
        assert!(Cli::try_parse_from(["ecsimg", "watch", "--resume"]).is_ok());
        assert!(Cli::try_parse_from(["ecsimg", "create"]).is_err());
        let cli = Cli::try_parse_from([
            "ecsimg",
            "create",
            "--recipe",
            "r.toml",
            "--set",
            "image.name=x",
            "--set",
            "tags.env=prod",
            "-y",
            "--timeout",
            "1m30s",
            "--output",
            "json",
        ])
        .expect("parses");
        let Some(Command::Create(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.set.len(), 2);
        assert_eq!(args.timeout, Some(std::time::Duration::from_secs(90)));
        assert!(args.yes);
        let err =
            Cli::try_parse_from(["ecsimg", "create", "--recipe", "r", "--set", "image.nmae=x"])
                .unwrap_err();
        assert!(err.to_string().contains("not a recipe key"), "{err}");

        // One duration syntax everywhere, bounded.
        let cli =
            Cli::try_parse_from(["ecsimg", "watch", "m-1", "--timeout", "1.5s"]).expect("1.5s");
        let Some(Command::Watch(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.timeout, Some(std::time::Duration::from_millis(1500)));
        let err = Cli::try_parse_from([
            "ecsimg",
            "watch",
            "m-1",
            "--timeout",
            "9223372036854775807s",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }

    #[test]
    fn hints_reach_the_same_place_again() {
        assert_eq!(ecsimg_with(&SessionOptions::default()), "ecsimg");
        let options = SessionOptions {
            sandbox: true,
            config: Some("/tmp/my config.toml".into()),
            profile: Some("work".into()),
            region: Some("cn-shanghai".into()),
            endpoint: None,
        };
        assert_eq!(
            ecsimg_with(&options),
            "ecsimg --sandbox --config '/tmp/my config.toml' --profile work"
        );
    }

    #[test]
    fn help_documents_the_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("130  interrupted"), "{help}");
    }
}
