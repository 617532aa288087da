//! `ecsimg history`: every submission in the journal, after recovering any whose ImageId was
//! never recorded.

use serde_json::json;

use super::exit::{Exit, Failure};
use super::output::{OutputFormat, print_json};
use crate::journal::{self, Entry, Journal, Recovery};
use crate::session::{Session, SessionOptions};

/// List every image submission: time, region, image name, ImageId and last known status.
///
/// The journal lives in the platform data directory (`ECSIMG_JOURNAL` names another file).
/// Submissions whose ImageId was never recorded — the process died between sending and
/// recording — are sent again first, with the same ClientToken, so ECS names the image it
/// already made instead of making a second one.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// text: a table on stdout; json: one JSON object per submission on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Runs `ecsimg history`.
pub async fn run(args: HistoryArgs, options: &SessionOptions) -> Result<Exit, Failure> {
    let journal = Journal::open_default(options.sandbox).map_err(Failure::local)?;
    let history = journal.read().map_err(Failure::local)?;
    for problem in &history.problems {
        eprintln!("warning: journal {}: {problem}", journal.path().display());
    }
    let mut note = |line: String| eprintln!("{line}");
    if history.entries.iter().any(Entry::needs_recovery) {
        match Session::open(options).await {
            Ok(session) => recover_pending(&session, &journal, &mut note).await?,
            Err(e) => note(format!(
                "warning: submissions without an ImageId cannot be recovered now: {e}"
            )),
        }
    }
    let history = journal.read().map_err(Failure::local)?;
    match args.output {
        OutputFormat::Json => {
            for entry in &history.entries {
                print_json(&entry_json(entry));
            }
        }
        OutputFormat::Text => print!("{}", table(&history.entries)),
    }
    Ok(Exit::Success)
}

/// Sends every journal submission that lacks an ImageId again (same parameters, same
/// ClientToken) and records the answer, reporting each through `note`.
pub async fn recover_pending(
    session: &Session,
    journal: &Journal,
    note: &mut dyn FnMut(String),
) -> Result<(), Failure> {
    let history = journal.read().map_err(Failure::local)?;
    for entry in history.entries.iter().filter(|e| e.needs_recovery()) {
        let s = &entry.submission;
        let what = format!(
            "submission {} ({} in {}, {})",
            s.id,
            s.image_name.as_deref().unwrap_or("unnamed image"),
            s.region,
            s.time.format("%Y-%m-%d %H:%M:%S UTC")
        );
        let client = session
            .client_for(&s.region)
            .map_err(|e| Failure::local(format!("cannot set up the ECS client: {e}")))?;
        let line = match journal::recover(journal, entry, &client)
            .await
            .map_err(Failure::local)?
        {
            Recovery::Created {
                image_id,
                request_id,
            } => format!(
                "recovered {what}: ImageId {image_id} (RequestId {request_id}; same \
                 ClientToken, so no second image)"
            ),
            Recovery::Refused(error) => format!("{what} was refused by ECS: {error}"),
            Recovery::Failed(error) => {
                format!("{what} could not be recovered now ({error}); it will be tried again")
            }
            Recovery::Skipped(reason) => format!("{what} not recovered: {reason}"),
        };
        note(line);
    }
    Ok(())
}

fn entry_json(entry: &Entry) -> serde_json::Value {
    let s = &entry.submission;
    json!({
        "submission_id": s.id,
        "time": s.time.to_rfc3339(),
        "region": s.region,
        "endpoint": s.endpoint,
        "credential_source": s.credential_source,
        "image_name": s.image_name,
        "image_id": entry.image_id(),
        "request_id": entry.created.as_ref().map(|c| &c.request_id),
        "client_token": s.client_token,
        "status": entry.last_status(),
        "progress": entry.status.as_ref().and_then(|st| st.progress.clone()),
        "refused": entry.not_created.as_ref().map(|n| json!({
            "reason": n.reason, "code": n.code, "request_id": n.request_id,
        })),
    })
}

/// Aligned columns: TIME (local), REGION, IMAGE NAME, IMAGE ID, STATUS.
fn table(entries: &[Entry]) -> String {
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| {
            let s = &e.submission;
            [
                s.time
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                s.region.clone(),
                s.image_name.clone().unwrap_or_else(|| "-".into()),
                e.image_id().unwrap_or("-").to_string(),
                e.last_status().to_string(),
            ]
        })
        .collect();
    let header = ["TIME", "REGION", "IMAGE NAME", "IMAGE ID", "STATUS"].map(String::from);
    let width = |col: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(|r| unicode_width::UnicodeWidthStr::width(r[col].as_str()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 4 {
                    cell.clone()
                } else {
                    let pad = w - unicode_width::UnicodeWidthStr::width(cell.as_str());
                    format!("{cell}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(&cells.join("  "));
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(no submissions yet)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Created, Submission};
    use crate::spec::{ImageSpec, to_params};

    fn entry(name: &str, image_id: Option<&str>) -> Entry {
        let mut spec = ImageSpec::default();
        spec.image.name = Some(name.into());
        Entry {
            submission: Submission::new(&spec, to_params(&spec), "e", "c"),
            created: image_id.map(|id| Created {
                time: chrono::Utc::now(),
                image_id: id.into(),
                request_id: "R".into(),
            }),
            not_created: None,
            status: None,
        }
    }

    #[test]
    fn the_table_aligns_wide_names() {
        let text = table(&[entry("web", Some("m-1")), entry("数据库", None)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("TIME "));
        let at = |line: &str, needle: &str| {
            unicode_width::UnicodeWidthStr::width(&line[..line.find(needle).expect(needle)])
        };
        assert_eq!(at(lines[0], "IMAGE ID"), at(lines[1], "m-1"));
        assert_eq!(at(lines[0], "STATUS"), at(lines[2], "Unknown"));
        assert!(lines[1].ends_with("Submitted"), "{text}");
        assert!(lines[2].ends_with("Unknown"), "{text}");
        assert_eq!(table(&[]).lines().last(), Some("(no submissions yet)"));
    }

    #[test]
    fn json_rows_name_everything_but_secrets() {
        let value = entry_json(&entry("web", Some("m-1")));
        assert_eq!(value["image_id"], "m-1");
        assert_eq!(value["status"], "Submitted");
        assert_eq!(value["image_name"], "web");
        assert_eq!(value["client_token"].as_str().map(str::len), Some(36));
    }
}
