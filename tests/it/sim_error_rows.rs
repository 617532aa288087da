//! Every row of CreateImage's documented error table, met over HTTP: each row of
//! tests/data/create_image_errors.toml names a seed (the sandbox's, with the row's additions)
//! and a request, and the simulator must answer with the row's HTTP status, code and message.
//! The client must also explain every code (assets/errors.toml).

use crate::sim_harness::*;
use ecsimg::sim::SANDBOX_TOML;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Table {
    error: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    status: u16,
    code: String,
    message: String,
    #[serde(default)]
    seed: String,
    #[serde(default)]
    before: Option<BTreeMap<String, String>>,
    request: BTreeMap<String, String>,
}

fn rows() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/create_image_errors.toml"
    );
    let text = std::fs::read_to_string(path).expect("the error table is in tests/data/");
    let table: Table = toml::from_str(&text).expect("the error table parses");
    assert_eq!(table.error.len(), 64, "CreateImage documents 64 error rows");
    table.error
}

/// `base` with `overlay` merged in: tables key by key, arrays extended, other values replaced.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => merge(old, new),
            (Some(toml::Value::Array(old)), toml::Value::Array(new)) => old.extend(new),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn seed_text(addition: &str) -> String {
    let mut seed: toml::Table = toml::from_str(SANDBOX_TOML).expect("the sandbox seed parses");
    let addition: toml::Table = toml::from_str(addition).expect("a row's seed parses");
    merge(&mut seed, addition);
    toml::to_string(&seed).expect("a seed serializes")
}

/// Whether `message` is `template` with each `%s` filled by some non-empty text.
fn fills(template: &str, message: &str) -> bool {
    let pieces: Vec<&str> = template.split("%s").collect();
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return false;
    };
    if pieces.len() == 1 {
        return template == message;
    }
    let Some(mut rest) = message
        .strip_prefix(first)
        .and_then(|m| m.strip_suffix(last))
    else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        // Each value is at least one character long.
        let Some(skip) = rest.chars().next().map(char::len_utf8) else {
            return false;
        };
        let Some(at) = rest[skip..].find(piece) else {
            return false;
        };
        rest = &rest[skip + at + piece.len()..];
    }
    !rest.is_empty()
}

async fn create(h: &Harness, params: &BTreeMap<String, String>) -> Resp {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !params.contains_key("RegionId") {
        pairs.push(("RegionId", REGION));
    }
    h.call("CreateImage", &pairs).await
}

#[test]
fn message_templates_match_filled_messages_only() {
    assert!(fills(
        "The specified instance %s does not exist.",
        "The specified instance i-1 does not exist."
    ));
    assert!(!fills(
        "The specified instance %s does not exist.",
        "The specified instance  does not exist."
    ));
    assert!(!fills(
        "The specified instance %s does not exist.",
        "The specified instance i-1 is gone."
    ));
    assert!(fills("%s", "anything"));
    assert!(!fills("%s", ""));
    assert!(fills("a %s b (%s). c", "a x b (5). c"));
    assert!(!fills("a %s b (%s). c", "a x b (5). d"));
    assert!(fills("plain", "plain"));
    assert!(!fills("plain", "plain!"));
}

#[tokio::test]
async fn every_create_image_error_row_is_met_with_its_status_code_and_message() {
    let mut failures = Vec::new();
    for (n, row) in rows().iter().enumerate() {
        let n = n + 1;
        let h = if row.seed.is_empty() {
            Harness::new().await
        } else {
            Harness::seeded(&seed_text(&row.seed)).await
        };
        if let Some(before) = &row.before {
            let first = create(&h, before).await;
            if first.status != 200 {
                failures.push(format!(
                    "row {n} {}: the earlier request failed: {}",
                    row.code, first.body
                ));
                continue;
            }
        }
        let answer = create(&h, &row.request).await;
        let message = answer.body["Message"].as_str().unwrap_or_default();
        if (answer.status, answer.code()) != (row.status, row.code.as_str())
            || !fills(&row.message, message)
        {
            failures.push(format!(
                "row {n}: expected {} {} {:?}, got {} {}",
                row.status, row.code, row.message, answer.status, answer.body
            ));
        }
        if answer.status != 200 {
            assert_request_id(&answer.body);
        }
        if ecsimg::api::error::explain(&row.code)
            .is_none_or(|e| e.meaning.trim().is_empty() || e.fix.trim().is_empty())
        {
            failures.push(format!("row {n}: no explanation for {}", row.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
