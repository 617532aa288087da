//! When to try a failed call again, and how long to wait first.
//!
//! The delay is a pure function of the attempt number, the error and a random fraction the
//! caller supplies, so the arithmetic is tested without clocks or randomness.

use std::time::Duration;

use super::error::ApiError;

/// How many attempts a call gets and how the pauses between them grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included; 1 means "never retry".
    pub max_attempts: u32,
    /// The pause before the first retry, doubled for each one after.
    pub base_delay: Duration,
    /// No pause is longer than this, the server's `x-acs-retry-after` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            // The `[network] max_attempts` default that config.example.toml documents.
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

/// How the random fraction spreads a back-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Anywhere in `[0, backoff]`: spreads ordinary retries the most.
    Full,
    /// In `[backoff/2, backoff]`: always waits a little, which flow control wants.
    Equal,
}

impl RetryPolicy {
    /// A policy that sends each request once.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The exponential back-off before retry number `retry` (1 = after the first failure),
    /// `base * 2^(retry-1)` capped at `max_delay`, spread by `jitter` with `fraction` in [0, 1].
    pub fn backoff(&self, retry: u32, jitter: Jitter, fraction: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match jitter {
            Jitter::Full => ceiling.mul_f64(fraction),
            Jitter::Equal => ceiling / 2 + (ceiling / 2).mul_f64(fraction),
        }
    }

    /// The pause before retry number `retry` after `error`: the server's `x-acs-retry-after`
    /// when it sent one (capped at `max_delay`), else equal jitter for throttling and full
    /// jitter for everything else.
    pub fn delay_for(&self, retry: u32, error: &ApiError, fraction: f64) -> Duration {
        if let Some(asked) = error.retry_after() {
            return asked.min(self.max_delay);
        }
        let jitter = if error.is_throttling() {
            Jitter::Equal
        } else {
            Jitter::Full
        };
        self.backoff(retry, jitter, fraction)
    }
}

/// The longest pause a server can ask for; a bigger `x-acs-retry-after` is read as this, so no
/// deadline computed from it can overflow.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Parses `x-acs-retry-after`: a positive integer of milliseconds, at most
/// [`MAX_RETRY_AFTER`]. Anything else (zero, negative, a date, junk) is ignored.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|ms| *ms > 0)
        .map(|ms| Duration::from_millis(ms).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay: ms(100),
            max_delay: ms(1000),
        }
    }

    #[test]
    fn defaults_are_sane() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts, 3);
        assert_eq!(
            p.max_attempts,
            crate::config::Network::default().max_attempts
        );
        assert_eq!(p.base_delay, ms(200));
        assert_eq!(p.max_delay, Duration::from_secs(20));
        assert_eq!(RetryPolicy::never().max_attempts, 1);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy();
        let full = |n| p.backoff(n, Jitter::Full, 1.0);
        assert_eq!(
            [full(1), full(2), full(3), full(4), full(5)],
            [ms(100), ms(200), ms(400), ms(800), ms(1000)]
        );
        assert_eq!(full(1000), ms(1000));
        assert_eq!(p.backoff(3, Jitter::Full, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(3, Jitter::Full, 0.5), ms(200));
        assert_eq!(p.backoff(3, Jitter::Equal, 0.0), ms(200));
        assert_eq!(p.backoff(3, Jitter::Equal, 1.0), ms(400));
        assert_eq!(p.backoff(3, Jitter::Full, f64::NAN), Duration::ZERO);
        assert_eq!(p.backoff(3, Jitter::Full, 7.0), ms(400));
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let p = policy();
        assert_eq!(
            p.delay_for(
                1,
                &ApiError::service_for_test("Throttling", Some(ms(300))),
                0.0
            ),
            ms(300)
        );
        assert_eq!(
            p.delay_for(
                1,
                &ApiError::service_for_test("Throttling", Some(ms(60_000))),
                0.0
            ),
            ms(1000)
        );
        // Throttling without a hint still waits at least half the back-off.
        assert_eq!(
            p.delay_for(2, &ApiError::service_for_test("Throttling.User", None), 0.0),
            ms(100)
        );
        // Other errors use full jitter.
        assert_eq!(
            p.delay_for(2, &ApiError::service_for_test("InternalError", None), 0.0),
            ms(0)
        );
    }

    #[test]
    fn retry_after_header_parsing() {
        assert_eq!(parse_retry_after("1500"), Some(ms(1500)));
        assert_eq!(parse_retry_after(" 7 "), Some(ms(7)));
        assert_eq!(
            parse_retry_after(&u64::MAX.to_string()),
            Some(MAX_RETRY_AFTER)
        );
        for bad in [
            "0",
            "-5",
            "1.5",
            "",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "99999999999999999999",
        ] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn delays_stay_within_bounds(
            retry in 0u32..100,
            fraction in -1.0f64..2.0,
            base in 0u64..10_000,
            cap in 0u64..100_000,
        ) {
            let p = RetryPolicy { max_attempts: 5, base_delay: ms(base), max_delay: ms(cap) };
            for jitter in [Jitter::Full, Jitter::Equal] {
                let d = p.backoff(retry, jitter, fraction);
                prop_assert!(d <= ms(cap));
                prop_assert!(d <= ms(base).saturating_mul(1 << retry.saturating_sub(1).min(31)));
            }
            let equal = p.backoff(retry, Jitter::Equal, fraction);
            prop_assert!(equal >= p.backoff(retry, Jitter::Full, 1.0) / 2);
        }
    }
}
