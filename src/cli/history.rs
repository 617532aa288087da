//! `ecsimg history`: every submission in the journal and its last known status. It only reads:
//! a submission whose answer was lost is marked, and `ecsimg watch --resume` recovers it.

use serde_json::json;

use super::exit::{Exit, Failure};
use super::output::{OutputFormat, print_json};
use super::{check_options, ecsimg_with, open_journal};
use crate::journal::Entry;
use crate::session::SessionOptions;
use crate::text::escape;

/// List every image submission: time, region, image name, ImageId and last known status.
///
/// The journal lives in the platform data directory (`ECSIMG_JOURNAL` names another file).
/// Nothing is sent anywhere: a submission whose answer was lost (the process died between
/// sending and recording, or the answer never came) is marked, and `ecsimg watch --resume`
/// recovers it.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// text: a table on stdout; json: one JSON object per submission on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Runs `ecsimg history`.
pub fn run(args: HistoryArgs, options: &SessionOptions) -> Result<Exit, Failure> {
    check_options(options)?;
    let journal =
        open_journal(options, &mut |w| eprintln!("{}", escape(w))).map_err(Failure::local)?;
    let history = journal.read().map_err(Failure::local)?;
    for problem in &history.problems {
        eprintln!(
            "warning: journal {}: {}",
            journal.path().display(),
            escape(&problem.to_string())
        );
    }
    let resume = format!("{} watch --resume", ecsimg_with(options));
    match args.output {
        OutputFormat::Json => {
            for entry in &history.entries {
                print_json(&entry_json(entry, &resume));
            }
        }
        OutputFormat::Text => print!("{}", table(&history.entries, &resume)),
    }
    let lost = history
        .entries
        .iter()
        .filter(|e| e.needs_recovery())
        .count();
    if lost > 0 {
        eprintln!(
            "{lost} submission(s) have no recorded answer; `{}` asks ECS again with the same \
             ClientToken (no second image) and follows them",
            escape(&resume)
        );
    }
    Ok(Exit::Success)
}

/// The status column for an entry whose answer was lost.
fn answer_lost(resume: &str) -> String {
    format!("answer lost — `{resume}` recovers it")
}

fn entry_json(entry: &Entry, resume: &str) -> serde_json::Value {
    let s = &entry.submission;
    let lost = entry.needs_recovery();
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
        "answer_lost": lost.then(|| json!({
            "reason": entry.unsettled.as_ref().map(|u| &u.reason),
            "recover_with": resume,
        })),
        "delivery": delivery_note(entry, resume).map(|note| json!({
            "state": note,
            "ended": entry.delivery_ended.is_some(),
            "failed": entry.delivery_ended,
            "actions": entry.deliveries.iter().map(|d| json!({
                "action": d.send.key,
                "outcome": d.outcome,
            })).collect::<Vec<_>>(),
        })),
    })
}

/// Where the delivery of a recipe with `[delivery]` stands, in a few words.
fn delivery_note(entry: &Entry, resume: &str) -> Option<String> {
    entry
        .submission
        .spec
        .delivery
        .as_ref()
        .filter(|d| !d.is_empty())?;
    Some(match entry.delivery_ended {
        Some(0) => "delivered".into(),
        Some(failed) => format!(
            "delivered, {failed} action(s) failed — fix the cause, then `{resume} \
             --retry-failed` sends them again"
        ),
        None if entry.delivery_due() => format!("delivery unfinished — `{resume}` finishes it"),
        None => "delivery once Available".into(),
    })
}

/// Aligned columns: TIME (local), REGION, IMAGE NAME, IMAGE ID, STATUS. Every cell is
/// escaped: the journal is a file anyone with access could have edited.
fn table(entries: &[Entry], resume: &str) -> String {
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| {
            let s = &e.submission;
            let status = if e.needs_recovery() {
                answer_lost(resume)
            } else {
                match delivery_note(e, resume) {
                    Some(note) => format!("{} · {note}", e.last_status()),
                    None => e.last_status().to_string(),
                }
            };
            [
                s.time
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                s.region.clone(),
                s.image_name.clone().unwrap_or_else(|| "-".into()),
                e.image_id().unwrap_or("-").to_string(),
                status,
            ]
            .map(|cell| escape(&cell).into_owned())
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

    const RESUME: &str = "ecsimg --sandbox watch --resume";

    fn entry(name: &str, image_id: Option<&str>) -> Entry {
        let mut spec = ImageSpec::default();
        spec.image.name = Some(name.into());
        let mut entry = Entry::new(Submission::new(&spec, to_params(&spec), "e", "c"));
        entry.created = image_id.map(|id| Created {
            time: chrono::Utc::now(),
            image_id: id.into(),
            request_id: "R".into(),
        });
        entry
    }

    #[test]
    fn the_table_aligns_wide_names_and_marks_lost_answers() {
        let text = table(&[entry("web", Some("m-1")), entry("数据库", None)], RESUME);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("TIME "));
        let at = |line: &str, needle: &str| {
            unicode_width::UnicodeWidthStr::width(&line[..line.find(needle).expect(needle)])
        };
        assert_eq!(at(lines[0], "IMAGE ID"), at(lines[1], "m-1"));
        assert_eq!(at(lines[0], "STATUS"), at(lines[2], "answer lost"));
        assert!(lines[1].ends_with("Submitted"), "{text}");
        assert!(
            lines[2].ends_with("answer lost — `ecsimg --sandbox watch --resume` recovers it"),
            "{text}"
        );
        assert_eq!(
            table(&[], RESUME).lines().last(),
            Some("(no submissions yet)")
        );
    }

    #[test]
    fn the_status_says_where_a_delivery_stands() {
        let mut e = entry("web", Some("m-1"));
        e.submission.spec.delivery = Some(crate::spec::DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            ..Default::default()
        });
        assert!(
            table(std::slice::from_ref(&e), RESUME).contains("Submitted · delivery once Available")
        );
        e.status = Some(crate::journal::LastStatus {
            time: chrono::Utc::now(),
            status: "Available".into(),
            progress: None,
            is_final: true,
        });
        let text = table(std::slice::from_ref(&e), RESUME);
        assert!(
            text.contains("Available · delivery unfinished — `ecsimg --sandbox watch --resume`"),
            "{text}"
        );
        e.delivery_ended = Some(1);
        let text = table(std::slice::from_ref(&e), RESUME);
        assert!(text.contains("1 action(s) failed"), "{text}");
        assert!(
            text.contains("`ecsimg --sandbox watch --resume --retry-failed`"),
            "{text}"
        );
        assert_eq!(entry_json(&e, RESUME)["delivery"]["failed"], 1);
        assert!(entry_json(&entry("x", None), RESUME)["delivery"].is_null());
    }

    #[test]
    fn journal_text_is_escaped_in_the_table() {
        let mut hostile = entry("web\u{1b}[31m", Some("m-1"));
        hostile.submission.region = "cn\u{9b}2J".into();
        let text = table(&[hostile], RESUME);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}'),
            "{text:?}"
        );
        assert!(text.contains("web\\u{1b}[31m"), "{text}");
    }

    #[test]
    fn json_rows_name_everything_but_secrets() {
        let value = entry_json(&entry("web", Some("m-1")), RESUME);
        assert_eq!(value["image_id"], "m-1");
        assert_eq!(value["status"], "Submitted");
        assert_eq!(value["image_name"], "web");
        assert_eq!(value["answer_lost"], serde_json::Value::Null);
        assert_eq!(value["client_token"].as_str().map(str::len), Some(36));
        let lost = entry_json(&entry("web", None), RESUME);
        assert_eq!(lost["answer_lost"]["recover_with"], RESUME);
    }
}
