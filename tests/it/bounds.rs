//! No value and no size panics: every duration from config, flags or a server stays inside its
//! bounds (`read_timeout = "18446744073709551615s"` once overflowed an `Instant`), and a
//! recipe or config file of any size is read or refused by its size alone.
//!
//! `PROPTEST_CASES=N` raises the number of cases.

use std::time::Duration;

use ecsimg::api::Credentials;
use ecsimg::api::error::ServiceError;
use ecsimg::api::retry::{MAX_RETRY_AFTER, parse_retry_after};
use ecsimg::api::{ApiError, Client, ClientConfig, Endpoint, RetryPolicy};
use ecsimg::duration::{self, Bounds};
use ecsimg::regular_file::{self, FileError};
use ecsimg::secret::Secret;
use ecsimg::watch::{WatchPolicy, error_delay};
use proptest::prelude::*;

const EVERY_SETTING: [Bounds; 6] = [
    duration::CONNECT_TIMEOUT,
    duration::READ_TIMEOUT,
    duration::CALL_TIMEOUT,
    duration::POLL_INTERVAL,
    duration::WATCH_TIMEOUT,
    duration::FAULT_DELAY,
];

fn cases() -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig::with_cases(n)
}

/// Text that looks like a duration more often than chance would make it.
fn duration_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[0-9]{1,30}(\\.[0-9]{1,12})?(ns|us|ms|s|m|h|d|w|y)?",
        "-?[0-9]{1,20}(h|m|s)[0-9]{1,20}(m|s|ms)",
        "PT[0-9]{1,25}(\\.[0-9]{1,9})?[HMS]",
    ]
}

fn throttled(retry_after: Option<Duration>) -> ApiError {
    ApiError::Service(Box::new(ServiceError {
        http_status: 400,
        code: "Throttling.User".into(),
        message: String::new(),
        request_id: String::new(),
        recommend: String::new(),
        host_id: String::new(),
        retry_after,
        access_denied: None,
        refused: None,
    }))
}

/// A pause is usable only if a deadline can be computed from it.
fn usable(pause: Duration) -> bool {
    tokio::time::Instant::now().checked_add(pause).is_some()
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn durations_are_within_their_bounds_or_refused_with_a_reason(text in duration_text()) {
        for bounds in EVERY_SETTING {
            match duration::parse(&text, bounds) {
                Ok(d) => prop_assert!(bounds.min <= d && d <= bounds.max, "{text:?} gave {d:?}"),
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(!message.is_empty());
                    prop_assert!(!message.chars().any(ecsimg::text::is_unsafe), "{message:?}");
                }
            }
        }
    }

    #[test]
    fn a_server_pause_of_any_size_is_bounded(
        header in prop_oneof![any::<u64>().prop_map(|n| n.to_string()), ".{0,30}"],
        millis in any::<u64>(),
        retry in any::<u32>(),
        fraction in any::<f64>(),
    ) {
        let asked = parse_retry_after(&header);
        prop_assert!(asked.is_none_or(|d| d <= MAX_RETRY_AFTER));
        let policy = RetryPolicy::default();
        let watch = WatchPolicy::default();
        // The header as parsed, and any value at all (a library caller's own error).
        for pause in [asked, Some(Duration::from_millis(millis)), Some(Duration::MAX)] {
            let error = throttled(pause);
            let delay = policy.delay_for(retry, &error, fraction);
            prop_assert!(delay <= policy.max_delay && usable(delay));
            let backoff = error_delay(retry, &error, &watch);
            prop_assert!(backoff <= watch.max_backoff && usable(backoff));
        }
    }

    #[test]
    fn files_are_read_or_refused_by_their_size(len in 0usize..3000, limit in 0u64..3000) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("recipe.toml");
        std::fs::write(&path, "x".repeat(len)).expect("write");
        match regular_file::read_to_string(&path, limit) {
            Ok(text) => prop_assert!(text.len() == len && len as u64 <= limit),
            Err(FileError::TooLarge(l)) => prop_assert!(l == limit && len as u64 > limit),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

/// A client built in code with absurd timeouts (config files cannot say so) still answers.
#[tokio::test]
async fn absurd_timeouts_in_code_do_not_panic() {
    let credentials = Credentials {
        access_key_id: "LTAIbounds".into(),
        access_key_secret: Secret::new("bounds-secret"),
        security_token: None,
    };
    // Nothing listens on port 1.
    let config = ClientConfig::new("cn-hangzhou", credentials)
        .with_endpoint(Endpoint::parse("http://127.0.0.1:1").expect("loopback"))
        .with_timeouts(Duration::MAX, Duration::MAX)
        .with_call_timeout(Duration::MAX)
        .with_retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
        });
    let client = Client::new(config).expect("a client");
    let answer = tokio::time::timeout(Duration::from_secs(30), client.describe_regions()).await;
    let error = answer
        .expect("refused at once, not waited on")
        .expect_err("nothing listens");
    assert!(error.to_string().contains("connect"), "{error}");
}
