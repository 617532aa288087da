use super::*;
use crate::api::Credentials;
use crate::api::{ClientConfig, Endpoint, RetryPolicy};
use crate::secret::Secret;
use crate::sim::{self, Fault, FaultSpec, RunningSim, SimConfig};
use futures::StreamExt;

const SECOND: Duration = Duration::from_secs(1);

fn image(status: &str, usable: bool) -> Image {
    Image {
        image_id: "m-1".into(),
        status: status.into(),
        usable,
        progress: "50%".into(),
        ..Image::default()
    }
}

fn seen(latest: Option<&Image>, elapsed: Duration, polls: u32) -> Observation<'_> {
    Observation {
        latest,
        elapsed,
        polls,
        unusable_polls: 0,
    }
}

fn policy() -> WatchPolicy {
    WatchPolicy {
        timeout: Some(Duration::from_secs(600)),
        ..WatchPolicy::default()
    }
}

#[test]
fn in_flight_statuses_continue_quickly_then_at_the_interval() {
    let p = policy();
    for status in ["Creating", "Waiting", "SomethingNew", ""] {
        let img = image(status, false);
        assert_eq!(
            decide(&seen(Some(&img), SECOND, 1), &p),
            Decision::Continue(SECOND),
            "{status}"
        );
        assert_eq!(
            decide(&seen(Some(&img), SECOND, 5), &p),
            Decision::Continue(SECOND)
        );
        assert_eq!(
            decide(&seen(Some(&img), SECOND, 6), &p),
            Decision::Continue(Duration::from_secs(5))
        );
    }
    // A configured interval below the quick one is never slowed down.
    let fast = WatchPolicy {
        poll_interval: Duration::from_millis(200),
        ..policy()
    };
    let img = image("Creating", false);
    assert_eq!(
        decide(&seen(Some(&img), SECOND, 1), &fast),
        Decision::Continue(Duration::from_millis(200))
    );
}

#[test]
fn available_and_usable_is_done() {
    let img = image("Available", true);
    assert_eq!(
        decide(&seen(Some(&img), SECOND, 3), &policy()),
        Decision::Done(img.clone())
    );
    // Even after the timeout: a final state wins.
    assert_eq!(
        decide(&seen(Some(&img), Duration::from_secs(9999), 3), &policy()),
        Decision::Done(img)
    );
}

#[test]
fn available_but_not_usable_waits_a_few_polls_then_counts_as_done() {
    let p = policy();
    let img = image("Available", false);
    let mut obs = seen(Some(&img), SECOND, 10);
    for n in 1..=p.unusable_polls {
        obs.unusable_polls = n;
        assert_eq!(decide(&obs, &p), Decision::Continue(p.poll_interval), "{n}");
    }
    obs.unusable_polls = p.unusable_polls + 1;
    assert_eq!(decide(&obs, &p), Decision::Done(img.clone()));
}

#[test]
fn an_image_check_in_progress_can_be_waited_for() {
    let mut img = image("Available", true);
    img.detection_options.status = "Processing".into();
    let waiting = WatchPolicy {
        wait_for_image_check: true,
        ..policy()
    };
    assert_eq!(
        decide(&seen(Some(&img), SECOND, 9), &policy()),
        Decision::Done(img.clone())
    );
    assert_eq!(
        decide(&seen(Some(&img), SECOND, 9), &waiting),
        Decision::Continue(waiting.poll_interval)
    );
    img.detection_options.status = "Finished".into();
    assert_eq!(
        decide(&seen(Some(&img), SECOND, 9), &waiting),
        Decision::Done(img.clone())
    );
    img.detection_options.status = String::new();
    assert_eq!(
        decide(&seen(Some(&img), SECOND, 9), &waiting),
        Decision::Done(img)
    );
}

#[test]
fn create_failed_and_unavailable_end_at_once() {
    for (status, reason) in [
        ("CreateFailed", FailureReason::CreateFailed),
        ("UnAvailable", FailureReason::UnAvailable),
    ] {
        let img = image(status, false);
        assert_eq!(
            decide(&seen(Some(&img), SECOND, 1), &policy()),
            Decision::Failed {
                image: Some(img.clone()),
                reason: reason.clone()
            }
        );
        assert_eq!(reason.status(), status);
        assert!(!reason.meaning().is_empty() && !reason.advice("m-1").is_empty());
    }
}

#[test]
fn not_found_is_not_visible_yet_during_the_grace_period() {
    let p = policy();
    assert_eq!(
        decide(&seen(None, Duration::ZERO, 1), &p),
        Decision::Continue(SECOND)
    );
    assert_eq!(
        decide(&seen(None, Duration::from_secs(29), 7), &p),
        Decision::Continue(Duration::from_secs(5))
    );
    let failed = decide(&seen(None, Duration::from_secs(30), 8), &p);
    let Decision::Failed {
        image: None,
        reason: reason @ FailureReason::NotFound { .. },
    } = failed
    else {
        panic!("{failed:?}")
    };
    assert!(reason.meaning().contains("30s"), "{}", reason.meaning());
    assert!(reason.advice("m-1").contains("--region"));
}

#[test]
fn the_timeout_ends_the_watch_and_is_never_overslept() {
    let p = WatchPolicy {
        timeout: Some(Duration::from_secs(12)),
        ..WatchPolicy::default()
    };
    let img = image("Creating", false);
    assert_eq!(
        decide(&seen(Some(&img), Duration::from_secs(9), 9), &p),
        Decision::Continue(Duration::from_secs(3))
    );
    assert_eq!(
        decide(&seen(Some(&img), Duration::from_secs(12), 10), &p),
        Decision::TimedOut
    );
    assert_eq!(
        decide(
            &seen(None, Duration::from_secs(12), 10),
            &WatchPolicy {
                not_found_grace: Duration::from_secs(60),
                ..p.clone()
            }
        ),
        Decision::TimedOut
    );
    // No timeout: never times out.
    let forever = WatchPolicy::default();
    assert_eq!(
        decide(
            &seen(Some(&img), Duration::from_secs(86_400 * 7), 9999),
            &forever
        ),
        Decision::Continue(forever.poll_interval)
    );
}

#[test]
fn error_delays_back_off_more_for_throttling_and_respect_the_server() {
    let p = WatchPolicy::default();
    let outage = ApiError::Timeout { detail: "x".into() };
    let secs = |s| Duration::from_secs(s);
    assert_eq!(error_delay(1, &outage, &p), secs(5));
    assert_eq!(error_delay(2, &outage, &p), secs(10));
    assert_eq!(error_delay(3, &outage, &p), secs(20));
    assert_eq!(error_delay(30, &outage, &p), secs(60), "capped");
    let throttled = ApiError::service_for_test("Throttling.User", None);
    assert_eq!(error_delay(1, &throttled, &p), secs(10));
    assert_eq!(error_delay(2, &throttled, &p), secs(20));
    let asked = ApiError::service_for_test("Throttling", Some(secs(45)));
    assert_eq!(error_delay(1, &asked, &p), secs(45));
    let greedy = ApiError::service_for_test("Throttling", Some(secs(3600)));
    assert_eq!(error_delay(1, &greedy, &p), p.max_backoff);
}

#[test]
fn estimates_follow_the_progress_rate() {
    let mut e = Estimate::default();
    assert_eq!(e.remaining(), None);
    e.record(SECOND * 10, 20);
    assert_eq!(e.remaining(), None, "one sample has no rate");
    e.record(SECOND * 10, 20);
    assert_eq!(e.remaining(), None);
    e.record(SECOND * 30, 60);
    // 40 % in 20 s: the remaining 40 % take 20 s.
    assert_eq!(e.remaining(), Some(SECOND * 20));
    // Going backwards starts over.
    e.record(SECOND * 40, 10);
    assert_eq!(e.remaining(), None);
    e.record(SECOND * 50, 55);
    assert_eq!(e.remaining(), Some(SECOND * 10));
    e.record(SECOND * 51, 100);
    assert_eq!(e.remaining(), Some(Duration::ZERO));
}

#[test]
fn outcomes_name_a_status() {
    assert_eq!(
        WatchEnd::Available(image("Available", true)).status(),
        "Available"
    );
    let failed = WatchEnd::Failed {
        image: None,
        reason: FailureReason::NotFound { waited: SECOND },
    };
    assert_eq!(failed.status(), "NotFound");
    assert!(failed.is_final());
    let timed = WatchEnd::TimedOut {
        last: Some(image("Creating", false)),
    };
    assert_eq!(timed.status(), "Creating");
    assert!(!timed.is_final());
    assert!(timed.to_string().contains("Creating 50%"));
    assert_eq!(WatchEnd::TimedOut { last: None }.status(), "TimedOut");
    assert_eq!(WatchEnd::Error(ApiError::Cancelled).status(), "WatchError");
}

#[test]
fn durations_print_short() {
    assert_eq!(format_duration(Duration::from_millis(350)), "350ms");
    assert_eq!(format_duration(Duration::ZERO), "0s");
    assert_eq!(format_duration(SECOND * 42), "42s");
    assert_eq!(format_duration(SECOND * 185), "3m05s");
    assert_eq!(format_duration(SECOND * 3720), "1h02m");
}

// ---------------------------------------------------------------------------------------
// The loop, against the simulator over real HTTP.

const RUNNING: &str = "i-bp1g6zv0ce8oghu7k2a1";
const FAILS_AT_60: &str = "i-bp1r7w2m5k9tq3xn8yce";

async fn simulator(speed: f64) -> RunningSim {
    sim::start(SimConfig {
        speed,
        faults: FaultSpec {
            retry_after: Duration::from_millis(20),
            ..FaultSpec::default()
        },
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn client(sim: &RunningSim, retry: RetryPolicy) -> Client {
    let credentials = Credentials {
        access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
        access_key_secret: Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
        security_token: None,
    };
    let config = ClientConfig::new(sim::SANDBOX_REGION, credentials)
        .with_endpoint(Endpoint::parse(&sim.url()).expect("loopback url"))
        .with_retry(retry);
    Client::new(config).expect("client")
}

async fn create(client: &Client, instance: &str, name: &str) -> String {
    let params = vec![
        ("InstanceId".to_string(), instance.to_string()),
        ("ImageName".to_string(), name.to_string()),
    ];
    match client.create_image(&params).await.expect("created") {
        crate::api::CreateImageAnswer::Created { image_id, .. } => image_id,
        other => panic!("{other:?}"),
    }
}

fn fast() -> WatchPolicy {
    WatchPolicy {
        poll_interval: Duration::from_millis(40),
        quick_interval: Duration::from_millis(10),
        quick_polls: 3,
        not_found_grace: Duration::from_millis(100),
        unusable_polls: 3,
        timeout: Some(Duration::from_secs(20)),
        max_backoff: Duration::from_millis(200),
        wait_for_image_check: false,
    }
}

async fn run(client: Client, ids: &[&str], policy: WatchPolicy) -> Vec<WatchEvent> {
    let ids = ids.iter().map(|s| s.to_string()).collect();
    watch_images(client, ids, policy, CancellationToken::new())
        .collect()
        .await
}

fn finished(events: &[WatchEvent]) -> Vec<(&str, &WatchEnd)> {
    events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Finished {
                image_id, outcome, ..
            } => Some((image_id.as_str(), outcome)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_build_is_followed_to_available_with_progress_and_status_changes() {
    let sim = simulator(40.0).await;
    let client = client(&sim, RetryPolicy::default());
    let id = create(&client, RUNNING, "watch-ok").await;
    let events = run(client, &[&id], fast()).await;
    let [(done_id, WatchEnd::Available(image))] = finished(&events)[..] else {
        panic!("{events:#?}")
    };
    assert_eq!(done_id, id);
    assert!(image.usable && image.status == "Available");
    assert!(matches!(
        events.first(),
        Some(WatchEvent::StatusChanged { from: None, to, .. }) if to == "Creating"
    ));
    assert!(events.iter().any(|e| matches!(
        e,
        WatchEvent::StatusChanged { from: Some(f), to, .. } if f == "Creating" && to == "Available"
    )));
    let progress: Vec<&Image> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Progress { image, .. } => Some(image),
            _ => None,
        })
        .collect();
    assert!(progress.len() >= 2, "{events:#?}");
    assert!(
        progress
            .iter()
            .any(|i| !i.disk_device_mappings.disk_device_mapping.is_empty()),
        "per-disk rows are passed on"
    );
    assert!(matches!(events.last(), Some(WatchEvent::Finished { .. })));
}

#[tokio::test]
async fn a_failing_build_ends_at_once_and_not_found_after_the_grace() {
    let sim = simulator(40.0).await;
    let client = client(&sim, RetryPolicy::default());
    let failing = create(&client, FAILS_AT_60, "watch-fails").await;
    let events = run(client, &[&failing, "m-bp1doesnotexist00000"], fast()).await;
    let outcomes = finished(&events);
    assert_eq!(outcomes.len(), 2, "{events:#?}");
    let by_id: HashMap<&str, &WatchEnd> = outcomes.into_iter().collect();
    assert!(matches!(
        by_id[failing.as_str()],
        WatchEnd::Failed {
            image: Some(_),
            reason: FailureReason::CreateFailed
        }
    ));
    assert!(matches!(
        by_id["m-bp1doesnotexist00000"],
        WatchEnd::Failed {
            image: None,
            reason: FailureReason::NotFound { .. }
        }
    ));
    assert!(events.iter().any(|e| matches!(
        e,
        WatchEvent::NotVisibleYet { image_id, .. } if image_id == "m-bp1doesnotexist00000"
    )));
}

#[tokio::test]
async fn transient_errors_are_survived_and_reported() {
    let sim = simulator(40.0).await;
    let client = client(&sim, RetryPolicy::never());
    let id = create(&client, RUNNING, "watch-retry").await;
    assert!(
        sim.faults()
            .fail_next_action("DescribeImages", 1, Fault::Throttle)
    );
    assert!(
        sim.faults()
            .fail_next_action("DescribeImages", 1, Fault::ServiceUnavailable)
    );
    let events = run(client, &[&id], fast()).await;
    let retries: Vec<(u32, bool)> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Retrying { error, attempt, .. } => Some((*attempt, error.is_throttling())),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [(1, true), (2, false)]);
    assert!(matches!(
        finished(&events)[..],
        [(_, WatchEnd::Available(_))]
    ));
}

#[tokio::test]
async fn permanent_errors_end_the_watch_without_touching_the_image() {
    let sim = simulator(1.0).await;
    let good = client(&sim, RetryPolicy::never());
    let id = create(&good, RUNNING, "watch-forbidden").await;
    assert!(
        sim.faults()
            .fail_next_action("DescribeImages", 1, Fault::Forbidden)
    );
    let events = run(good, &[&id], fast()).await;
    let [(_, WatchEnd::Error(error))] = finished(&events)[..] else {
        panic!("{events:#?}")
    };
    assert_eq!(error.code(), Some("Forbidden.RAM"));
    let images = sim.images(sim::SANDBOX_REGION);
    assert!(images.iter().any(|i| i.id == id && i.status == "Creating"));
}

#[tokio::test]
async fn the_timeout_ends_the_watch_and_the_build_goes_on() {
    let sim = simulator(1.0).await;
    let client = client(&sim, RetryPolicy::default());
    let id = create(&client, RUNNING, "watch-timeout").await;
    let policy = WatchPolicy {
        timeout: Some(Duration::from_millis(150)),
        ..fast()
    };
    let started = std::time::Instant::now();
    let events = run(client, &[&id], policy).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let [(_, WatchEnd::TimedOut { last: Some(last) })] = finished(&events)[..] else {
        panic!("{events:#?}")
    };
    assert_eq!(last.status, "Creating");
    assert!(sim.images(sim::SANDBOX_REGION).iter().any(|i| i.id == id));
}

#[tokio::test]
async fn one_describe_call_per_hundred_images_per_poll() {
    let sim = simulator(1.0).await;
    let client = client(&sim, RetryPolicy::default());
    let ids: Vec<String> = (0..150).map(|n| format!("m-bp1missing{n:09}")).collect();
    let policy = WatchPolicy {
        not_found_grace: Duration::ZERO,
        ..fast()
    };
    let before = sim.faults().calls();
    let events: Vec<WatchEvent> = watch_images(client, ids, policy, CancellationToken::new())
        .collect()
        .await;
    assert_eq!(sim.faults().calls() - before, 2, "two chunks, one poll");
    assert_eq!(finished(&events).len(), 150);
}

#[tokio::test]
async fn cancelling_ends_the_stream_and_duplicates_are_watched_once() {
    let sim = simulator(1.0).await;
    let watcher = client(&sim, RetryPolicy::default());
    let id = create(&watcher, RUNNING, "watch-cancel").await;
    let cancel = CancellationToken::new();
    let mut stream = Box::pin(watch_images(
        watcher,
        vec![id.clone(), id.clone()],
        WatchPolicy {
            timeout: None,
            ..fast()
        },
        cancel.clone(),
    ));
    let first = stream.next().await;
    assert!(matches!(first, Some(WatchEvent::StatusChanged { .. })));
    let second = stream.next().await;
    assert!(matches!(second, Some(WatchEvent::Progress { .. })));
    // One image, so the poll queued nothing more.
    cancel.cancel();
    assert_eq!(stream.next().await, None);
    let empty: Vec<WatchEvent> = watch_images(
        client(&sim, RetryPolicy::never()),
        Vec::new(),
        fast(),
        CancellationToken::new(),
    )
    .collect()
    .await;
    assert!(empty.is_empty());
}
