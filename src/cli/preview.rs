//! `ecsimg preview`: what `ecsimg create` would send, without sending anything — CreateImage,
//! and around it StopInstances and StartInstances when the recipe stops its instance first.

use std::path::PathBuf;

use clap::ValueEnum;
use serde_json::{Map, Value};

use super::check_options;
use super::exit::{Exit, Failure};
use super::recipe::{self, Override};
use crate::policy;
use crate::session::SessionOptions;
use crate::spec::stop::{PowerCalls, power_calls};
use crate::spec::{cli_line, to_params, to_recipe};

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
    /// The wire parameters, one `Name=Value` per line (each call under a `# Action` line
    /// when the recipe stops the instance first).
    #[default]
    Params,
    /// The equivalent `aliyun ecs CreateImage ...` command (and StopInstances and
    /// StartInstances commands around it when the recipe stops the instance first).
    Cli,
    /// The CreateImage wire parameters as one JSON object.
    Json,
    /// The recipe after `{date}` and `--set`, normalised.
    Recipe,
    /// The RAM policy the build needs, as `ecsimg policy` prints it.
    Policy,
}

/// Runs `ecsimg preview`. The global options are checked as every command checks them,
/// though preview neither connects nor reads credentials.
pub fn run(args: PreviewArgs, options: &SessionOptions) -> Result<Exit, Failure> {
    check_options(options)?;
    let today = chrono::Local::now().date_naive();
    let spec = recipe::load(&args.recipe, &args.set, today).map_err(Failure::input)?;
    // On stderr, as `create` prints them: stdout stays what scripts read.
    for warning in recipe::warnings(&spec) {
        eprintln!("{}", crate::text::escape_lines(&warning));
    }
    let params = to_params(&spec);
    let power = power_calls(&spec).map_err(Failure::input)?;
    let calls = sequence(&params, power.as_ref());
    // A `# Action` line before each call only when there is more than CreateImage.
    let header = |call: &Call| match &power {
        Some(_) => format!("# {}\n", call.comment),
        None => String::new(),
    };
    let text = match args.format {
        PreviewFormat::Params => calls
            .iter()
            .map(|call| {
                let lines: String = call
                    .params
                    .iter()
                    .map(|(name, value)| format!("{name}={value}\n"))
                    .collect();
                format!("{}{lines}", header(call))
            })
            .collect(),
        PreviewFormat::Cli => {
            let mut text = String::new();
            for call in &calls {
                let line = cli_line(call.action, &call.params).map_err(Failure::input)?;
                text.push_str(&format!("{}{line}\n", header(call)));
            }
            text
        }
        PreviewFormat::Json => {
            let object: Map<String, Value> = params
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                .collect();
            format!("{}\n", Value::Object(object))
        }
        PreviewFormat::Recipe => to_recipe(&spec),
        PreviewFormat::Policy => format!("{}\n", policy::for_spec(&spec, None).json()),
    };
    print!("{text}");
    // The delivery calls, in order, as comments after the build's: they name IDs that exist
    // only once the image does. With `--format cli`, as `aliyun` commands.
    let delivery = crate::delivery::plan(&spec);
    if !delivery.is_empty() {
        let mut lines = String::new();
        for call in &delivery {
            let line = match args.format {
                PreviewFormat::Cli => {
                    let line =
                        cli_line(call.operation, &call.all_params()).map_err(Failure::input)?;
                    match &call.note {
                        Some(note) => format!("{line}   # {note}"),
                        None => line,
                    }
                }
                _ => call.line(),
            };
            lines.push_str(&format!("#   {line}\n"));
        }
        let text = format!("# once the image is Available, [delivery] calls:\n{lines}");
        match args.format {
            PreviewFormat::Params | PreviewFormat::Cli => print!("{text}"),
            PreviewFormat::Json => eprint!("{text}"),
            PreviewFormat::Recipe | PreviewFormat::Policy => {}
        }
    }
    if power.is_some() && args.format == PreviewFormat::Json {
        eprintln!(
            "note: the recipe also stops the instance first (StopInstances) and may start it \
             again after (StartInstances); --format params or cli shows those calls"
        );
    }
    let about_requests = !matches!(args.format, PreviewFormat::Recipe | PreviewFormat::Policy);
    if spec.client_token.is_none() && about_requests {
        eprintln!(
            "note: `ecsimg create` adds a fresh ClientToken to each submission (set client_token \
             in the recipe to pin one)"
        );
    }
    Ok(Exit::Success)
}

/// One call `ecsimg create` makes.
struct Call {
    action: &'static str,
    /// When it is sent, for the `# ...` line above it.
    comment: String,
    params: Vec<(String, String)>,
}

/// The calls in the order `create` makes them: StopInstances, CreateImage, StartInstances.
fn sequence(create: &[(String, String)], power: Option<&PowerCalls>) -> Vec<Call> {
    let mut calls = Vec::new();
    if let Some(p) = power {
        calls.push(Call {
            action: "StopInstances",
            comment: format!(
                "StopInstances, only if {} is Running; then DescribeInstances until it is Stopped",
                p.instance_id
            ),
            params: p.stop.clone(),
        });
    }
    calls.push(Call {
        action: "CreateImage",
        comment: "CreateImage; then DescribeImages until the image is Available or failed".into(),
        params: create.to_vec(),
    });
    if let Some(p) = power {
        match &p.start {
            Some(start) => calls.push(Call {
                action: "StartInstances",
                comment: format!(
                    "StartInstances once the image is Available or failed, only if ecsimg \
                     stopped {}; then DescribeInstances until it is Running",
                    p.instance_id
                ),
                params: start.clone(),
            }),
            None => {
                if let Some(create) = calls.last_mut() {
                    create.comment.push_str(&format!(
                        ". {} stays stopped afterwards: the recipe has no restart = true",
                        p.instance_id
                    ));
                }
            }
        }
    }
    calls
}
