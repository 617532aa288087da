//! `ecsimg policy`: the least-privilege RAM policy of a recipe's build, as the JSON document
//! alone on stdout (ready for `> policy.json` or the RAM console); `--explain` adds, on
//! stderr, which step needs each statement.

use std::path::PathBuf;

use super::check_options;
use super::exit::{Exit, Failure};
use super::recipe::{self, Override};
use crate::policy::{Generated, for_spec};
use crate::session::SessionOptions;

/// Print the RAM policy a recipe's build needs, and nothing more (no credentials or network
/// needed).
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  ecsimg policy --recipe web.toml > web-policy.json
  ecsimg policy --recipe web.toml --account 1234567890123456 --explain")]
pub struct PolicyArgs {
    /// The recipe (TOML) to read.
    #[arg(long, value_name = "FILE")]
    pub recipe: PathBuf,
    /// Override a recipe value, as `ecsimg create --set` does (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Override>,
    /// The account ID (UID) to name in the resource ARNs; `*` when not given.
    #[arg(long, value_name = "ID", value_parser = account_id)]
    pub account: Option<String>,
    /// Say on stderr which step of the build needs each statement.
    #[arg(long)]
    pub explain: bool,
}

/// An account ID is digits (a 16-digit UID).
fn account_id(value: &str) -> Result<String, String> {
    if !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err("an account ID is its digits, e.g. 1234567890123456".into())
    }
}

/// Runs `ecsimg policy`.
pub fn run(args: PolicyArgs, options: &SessionOptions) -> Result<Exit, Failure> {
    check_options(options)?;
    let today = chrono::Local::now().date_naive();
    let spec = recipe::load(&args.recipe, &args.set, today).map_err(Failure::input)?;
    let generated = for_spec(&spec, args.account.as_deref());
    println!("{}", generated.json());
    if args.explain {
        eprint!("{}", explanation(&generated, args.account.is_some()));
    }
    Ok(Exit::Success)
}

/// Which step needs each statement, numbered as the document lists them.
pub fn explanation(generated: &Generated, account_known: bool) -> String {
    let mut text = String::from("Why each statement (RAM documents hold no comments):\n");
    for line in generated.notes() {
        text.push_str(&format!("  {line}\n"));
    }
    if !account_known {
        text.push_str("The account part of each ARN is *: give --account ID to name yours.\n");
    }
    text
}
