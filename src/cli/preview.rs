//! `ecsimg preview`: what `ecsimg create` would send, without sending anything.

use std::path::PathBuf;

use clap::ValueEnum;
use serde_json::{Map, Value};

use super::check_options;
use super::exit::{Exit, Failure};
use super::recipe::{self, Override};
use crate::session::SessionOptions;
use crate::spec::{to_cli, to_params, to_recipe};

/// Show the CreateImage request a recipe makes (no credentials or network needed).
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  ecsimg preview --recipe web.toml
  ecsimg preview --recipe web.toml --format cli --set image.name=web-{date}")]
pub struct PreviewArgs {
    /// The recipe (TOML) to read.
    #[arg(long, value_name = "FILE")]
    pub recipe: PathBuf,
    /// Override a recipe value, as `ecsimg create --set` does (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Override>,
    /// What to print.
    #[arg(long, value_enum, default_value_t)]
    pub format: PreviewFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    /// The wire parameters, one `Name=Value` per line.
    #[default]
    Params,
    /// The equivalent `aliyun ecs CreateImage ...` command.
    Cli,
    /// The wire parameters as one JSON object.
    Json,
    /// The recipe after `{date}` and `--set`, normalised.
    Recipe,
}

/// Runs `ecsimg preview`. The global options are checked as every command checks them,
/// though preview neither connects nor reads credentials.
pub fn run(args: PreviewArgs, options: &SessionOptions) -> Result<Exit, Failure> {
    check_options(options)?;
    let today = chrono::Local::now().date_naive();
    let spec = recipe::load(&args.recipe, &args.set, today).map_err(Failure::input)?;
    let params = to_params(&spec);
    let text = match args.format {
        PreviewFormat::Params => params
            .iter()
            .map(|(name, value)| format!("{name}={value}\n"))
            .collect(),
        PreviewFormat::Cli => format!("{}\n", to_cli(&spec).map_err(Failure::input)?),
        PreviewFormat::Json => {
            let object: Map<String, Value> = params
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                .collect();
            format!("{}\n", Value::Object(object))
        }
        PreviewFormat::Recipe => to_recipe(&spec),
    };
    print!("{text}");
    if spec.client_token.is_none() && args.format != PreviewFormat::Recipe {
        eprintln!(
            "note: `ecsimg create` adds a fresh ClientToken to each submission (set client_token \
             in the recipe to pin one)"
        );
    }
    Ok(Exit::Success)
}
