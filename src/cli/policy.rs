//! `ecsimg policy`: the least-privilege RAM policy of a recipe's build, as the JSON document
//! alone on stdout (ready for `> policy.json` or the RAM console); `--explain` adds, on
//! stderr, which step needs each statement. The account in the ARNs is `--account`, else
//! the one STS GetCallerIdentity names for the credentials in use, else `*`.

use std::path::PathBuf;
use std::time::Duration;

use super::check_options;
use super::exit::{Exit, Failure};
use super::recipe::{self, Override};
use crate::policy::{Generated, for_spec};
use crate::session::Session;
use crate::session::SessionOptions;

/// Print the RAM policy a recipe's build needs, and nothing more. The account in its ARNs is
/// asked of STS (GetCallerIdentity) when credentials are at hand; `--account` skips that.
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
    /// The account ID (UID) to name in the resource ARNs, or `*` for any account; without it,
    /// STS GetCallerIdentity is asked, and `*` is used if it cannot answer.
    #[arg(long, value_name = "ID", value_parser = account_id)]
    pub account: Option<String>,
    /// Say on stderr which step of the build needs each statement.
    #[arg(long)]
    pub explain: bool,
}

/// An account ID is digits (a 16-digit UID).
fn account_id(value: &str) -> Result<String, String> {
    if value == "*"
        || !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit())
    {
        Ok(value.to_string())
    } else {
        Err("an account ID is its digits, e.g. 1234567890123456".into())
    }
}

/// How long the account lookup may take: the policy is worth printing without it.
const LOOKUP_WITHIN: Duration = Duration::from_secs(10);

/// Runs `ecsimg policy`.
pub async fn run(args: PolicyArgs, options: &SessionOptions) -> Result<Exit, Failure> {
    check_options(options)?;
    let today = chrono::Local::now().date_naive();
    let spec = recipe::load(&args.recipe, &args.set, today).map_err(Failure::input)?;
    let account = match args.account {
        Some(given) => Some(given).filter(|a| a != "*"),
        None => match lookup_account(options, &spec.region).await {
            Ok(account) => Some(account),
            Err(why) => {
                // The first line says it; a credential search report runs on for a page.
                let why = why.lines().next().unwrap_or_default().trim_end_matches('.');
                eprintln!(
                    "The account part of each ARN is * (GetCallerIdentity: {why}); give \
                     --account ID to name yours."
                );
                None
            }
        },
    };
    let generated = for_spec(&spec, account.as_deref());
    println!("{}", generated.json());
    if args.explain {
        eprint!("{}", explanation(&generated));
    }
    Ok(Exit::Success)
}

/// The account the session's credentials belong to, or why it is not known.
async fn lookup_account(options: &SessionOptions, region: &str) -> Result<String, String> {
    let ask = async {
        let session = Session::open(options).await.map_err(|e| e.to_string())?;
        let client = session.client_for(region).map_err(|e| e.to_string())?;
        let identity = client.caller_identity().await.map_err(|e| e.to_string())?;
        Ok(identity.account_id)
    };
    tokio::time::timeout(LOOKUP_WITHIN, ask)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", LOOKUP_WITHIN.as_secs())))
}

/// Which step needs each statement, numbered as the document lists them.
pub fn explanation(generated: &Generated) -> String {
    let mut text = String::from("Why each statement (RAM documents hold no comments):\n");
    for line in generated.notes() {
        text.push_str(&format!("  {line}\n"));
    }
    text
}
