//! How fast the wizard's pickers keep up with a huge region.
//!
//! Starts the embedded simulator with a generated region of 20,000 instances and 100,000
//! snapshots, streams both listings through the real client into the real pickers (as the
//! wizard does), then types queries one key at a time and times every keystroke's re-filter
//! and re-rank. The goal is one frame (16 ms) per keystroke.
//!
//! Run: `cargo bench --bench picker_filter` (a plain binary; prints a table).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ecsimg::api::Credentials;
use ecsimg::api::model::{InstanceQuery, SnapshotQuery};
use ecsimg::api::{Client, ClientConfig, Endpoint};
use ecsimg::secret::Secret;
use ecsimg::sim::{self, Seed, SimConfig};
use ecsimg::tui::steps::source::{INSTANCES, SNAPSHOTS};
use ecsimg::tui::widgets::picker::{Picker, Sort};
use futures::StreamExt;

const INSTANCE_COUNT: u32 = 20_000;
const SNAPSHOT_COUNT: u32 = 100_000;
/// Each query is typed and erased this many times.
const ROUNDS: usize = 20;

/// Queries people type: parts of names and IDs, Chinese names, several words, nothing found.
const QUERIES: [&str; 6] = ["auto-0421", "s-bp1k", "auto 99", "批量", "load-1", "zzzq"];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let seed_text = format!(
        "{}\n[generate]\nregion = \"{}\"\ninstances = {INSTANCE_COUNT}\nsnapshots = {SNAPSHOT_COUNT}\n",
        sim::SANDBOX_TOML,
        sim::SANDBOX_REGION
    );
    let seed = Seed::parse(&seed_text, "bench seed").expect("the generated seed parses");
    let started = Instant::now();
    let running = sim::start(SimConfig {
        seed: Some(seed),
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts");
    println!(
        "simulator with {INSTANCE_COUNT} instances and {SNAPSHOT_COUNT} snapshots up in {:.1?}",
        started.elapsed()
    );
    let credentials = Credentials {
        access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
        access_key_secret: Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
        security_token: None,
    };
    let endpoint = Endpoint::parse(&running.url()).expect("loopback endpoint");
    let client =
        Client::new(ClientConfig::new(sim::SANDBOX_REGION, credentials).with_endpoint(endpoint))
            .expect("client");

    // Streaming: every page goes into the picker as it arrives, with a filter typed.
    let mut snapshots = Picker::new(&SNAPSHOTS);
    snapshots.start_loading();
    snapshots.set_query("auto");
    let mut page_times = Vec::new();
    let started = Instant::now();
    let mut pages = std::pin::pin!(client.describe_snapshots(&SnapshotQuery::default()));
    while let Some(page) = pages.next().await {
        let rows = page.expect("a page of snapshots");
        let t = Instant::now();
        snapshots.push_page(rows, false);
        page_times.push(t.elapsed());
    }
    snapshots.push_page(Vec::new(), true);
    let load = started.elapsed();
    println!(
        "loaded {} snapshots in {:.1?} ({} pages); adding a page to the filtered list (ms p50 p99 max n): {}",
        snapshots.rows().len(),
        load,
        page_times.len(),
        stats(&mut page_times).trim()
    );
    snapshots.set_query("");

    let mut instances = Picker::new(&INSTANCES);
    instances.start_loading();
    let mut pages = std::pin::pin!(client.describe_instances(&InstanceQuery::default()));
    while let Some(page) = pages.next().await {
        instances.push_page(page.expect("a page of instances"), false);
    }
    instances.push_page(Vec::new(), true);
    println!("loaded {} instances", instances.rows().len());

    println!();
    println!("per keystroke: type each query, then erase it ({ROUNDS} rounds); milliseconds");
    println!(
        "{:<36} {:>30} {:>30} {:>30}",
        "", "first key (all rows)", "next keys (earlier matches)", "Backspace"
    );
    println!(
        "{:<36} {}",
        "list / order",
        "   p50    p99    max     n".repeat(3)
    );
    for (name, sort) in [
        ("snapshots, best match", Sort::Relevance),
        (
            "snapshots, by created",
            Sort::Column {
                index: 5,
                descending: true,
            },
        ),
    ] {
        snapshots.set_sort(sort);
        let mut all = Timings::default();
        for query in QUERIES {
            let mut t = keystrokes(&mut snapshots, query);
            println!("{:<36} {}", format!("  {name} {query:?}"), t.report());
            all.extend(t);
        }
        println!("{:<36} {}", format!("{name} (all queries)"), all.report());
    }
    snapshots.set_sort(Sort::Relevance);
    let mut all = Timings::default();
    for query in QUERIES {
        all.extend(keystrokes(&mut instances, query));
    }
    println!(
        "{:<36} {}",
        "instances, best match (all queries)",
        all.report()
    );
    running.shutdown().await;
}

/// Keystroke times by kind.
#[derive(Default)]
struct Timings {
    first: Vec<Duration>,
    next: Vec<Duration>,
    back: Vec<Duration>,
}

impl Timings {
    fn extend(&mut self, other: Timings) {
        self.first.extend(other.first);
        self.next.extend(other.next);
        self.back.extend(other.back);
    }

    fn report(&mut self) -> String {
        format!(
            "{}{}{}",
            stats(&mut self.first),
            stats(&mut self.next),
            stats(&mut self.back)
        )
    }
}

/// Times every keystroke of typing `query` and erasing it again, `ROUNDS` times.
fn keystrokes<T>(picker: &mut Picker<T>, query: &str) -> Timings {
    let mut times = Timings::default();
    for _ in 0..ROUNDS {
        for (i, c) in query.chars().enumerate() {
            let t = Instant::now();
            picker.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            let took = t.elapsed();
            if i == 0 {
                times.first.push(took);
            } else {
                times.next.push(took);
            }
        }
        for _ in query.chars() {
            let t = Instant::now();
            picker.handle_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
            times.back.push(t.elapsed());
        }
    }
    times
}

/// `p50 p99 max count` in milliseconds.
fn stats(times: &mut [Duration]) -> String {
    times.sort_unstable();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or_default()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        " {:>6.2} {:>6.2} {:>6.2} {:>5}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times.last().copied().unwrap_or_default()),
        times.len()
    )
}
