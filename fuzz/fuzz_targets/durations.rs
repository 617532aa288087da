//! Every duration a user or a server can write: the one syntax of config keys, flags and
//! `--faults` against each setting's bounds, and the server's `x-acs-retry-after` through the
//! client's and the watch's back-off. Nothing panics; every accepted value is in its bounds;
//! every pause leaves a computable deadline.

#![no_main]

use ecsimg::api::error::ServiceError;
use ecsimg::api::retry::{MAX_RETRY_AFTER, parse_retry_after};
use ecsimg::api::{ApiError, RetryPolicy};
use ecsimg::duration;
use ecsimg::watch::{WatchPolicy, error_delay};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, u32, f64)| {
    let (text, retry, fraction) = input;
    for bounds in [
        duration::CONNECT_TIMEOUT,
        duration::READ_TIMEOUT,
        duration::CALL_TIMEOUT,
        duration::POLL_INTERVAL,
        duration::WATCH_TIMEOUT,
        duration::FAULT_DELAY,
    ] {
        match duration::parse(text, bounds) {
            Ok(d) => assert!(bounds.min <= d && d <= bounds.max, "{text:?} -> {d:?}"),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    let asked = parse_retry_after(text);
    assert!(asked.is_none_or(|d| d <= MAX_RETRY_AFTER));
    let error = ApiError::Service(Box::new(ServiceError {
        http_status: 503,
        code: "ServiceUnavailable".into(),
        message: String::new(),
        request_id: String::new(),
        recommend: String::new(),
        host_id: String::new(),
        retry_after: asked,
        access_denied: None,
        refused: None,
    }));
    let policy = RetryPolicy::default();
    let delay = policy.delay_for(retry, &error, fraction);
    assert!(delay <= policy.max_delay);
    let watch = WatchPolicy::default();
    let backoff = error_delay(retry, &error, &watch);
    assert!(backoff <= watch.max_backoff);
    assert!(std::time::Instant::now().checked_add(delay.max(backoff)).is_some());
});
