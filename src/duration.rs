//! One duration syntax for every place a user writes a length of time: `config.toml`,
//! command-line flags (`--timeout`) and the simulator's `--faults`.
//!
//! The grammar is jiff's "friendly" format (`500ms`, `5s`, `1.5s`, `2m`, `1h30m`, `1h 30m`), which
//! also reads ISO 8601 (`PT90S`). Every value is checked against [`Bounds`] that belong to the
//! setting, so a typo such as `18446744073709551615s` is refused with a message naming the
//! accepted range instead of overflowing a deadline later.

use std::fmt;
use std::time::Duration;

use jiff::SignedDuration;

/// The range a setting accepts, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: Duration,
    pub max: Duration,
}

impl Bounds {
    pub const fn new(min: Duration, max: Duration) -> Self {
        Self { min, max }
    }
}

/// `[network] connect_timeout`.
pub const CONNECT_TIMEOUT: Bounds = Bounds::new(Duration::from_millis(1), Duration::from_secs(300));
/// `[network] read_timeout`.
pub const READ_TIMEOUT: Bounds = Bounds::new(Duration::from_millis(1), Duration::from_secs(3600));
/// `[network] call_timeout`: one call, every attempt included.
pub const CALL_TIMEOUT: Bounds = Bounds::new(Duration::from_secs(1), Duration::from_secs(3600));
/// `[watch] poll_interval`: at least 1 s to stay clear of throttling.
pub const POLL_INTERVAL: Bounds = Bounds::new(Duration::from_secs(1), Duration::from_secs(3600));
/// `[watch] timeout` and `--timeout`: a watch may last a week, no longer.
pub const WATCH_TIMEOUT: Bounds =
    Bounds::new(Duration::from_millis(1), Duration::from_secs(7 * 24 * 3600));
/// Simulator faults (`latency=`, `retry_after=`).
pub const FAULT_DELAY: Bounds = Bounds::new(Duration::ZERO, Duration::from_secs(3600));

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DurationError {}

const FORMAT: &str =
    "write a number with a unit: ms, s, m or h (e.g. \"500ms\", \"1.5s\", \"1m30s\")";

/// Parses `text` and checks it against `bounds`.
pub fn parse(text: &str, bounds: Bounds) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError(format!("empty duration; {FORMAT}")));
    }
    // Shown back to the user, so keep it short and printable.
    let shown: String = trimmed
        .chars()
        .take(40)
        .flat_map(char::escape_debug)
        .collect();
    let out_of_range = || {
        DurationError(format!(
            "\"{shown}\" is out of range; use {} to {}",
            humane(bounds.min),
            humane(bounds.max)
        ))
    };
    let signed: SignedDuration = trimmed.parse().map_err(|_| {
        // jiff refuses numbers beyond its range as malformed; say what is really wrong.
        let longest_number = trimmed
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        if longest_number > 15 {
            out_of_range()
        } else {
            DurationError(format!("\"{shown}\" is not a duration; {FORMAT}"))
        }
    })?;
    if signed.is_negative() {
        return Err(DurationError(format!(
            "\"{shown}\" is negative; a duration counts forward"
        )));
    }
    let duration = Duration::try_from(signed)
        .map_err(|_| DurationError(format!("\"{shown}\" is not a duration; {FORMAT}")))?;
    if duration < bounds.min || duration > bounds.max {
        return Err(out_of_range());
    }
    Ok(duration)
}

/// A clap value parser for a flag with these bounds.
pub fn flag(bounds: Bounds) -> impl Fn(&str) -> Result<Duration, DurationError> + Clone {
    move |text| parse(text, bounds)
}

/// Formats a duration in the same syntax, for messages: `500ms`, `5s`, `1h 30m`.
pub fn humane(d: Duration) -> String {
    SignedDuration::try_from(d).map_or_else(|_| format!("{}s", d.as_secs()), |s| format!("{s:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Bounds = Bounds::new(Duration::ZERO, Duration::from_secs(u32::MAX as u64));

    #[test]
    fn the_friendly_grammar_is_read() {
        for (text, ms) in [
            ("5s", 5_000),
            ("500ms", 500),
            ("1.5s", 1_500),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("1m30s", 90_000),
            ("1h30m", 5_400_000),
            (" 1m 30s ", 90_000),
            ("0s", 0),
            ("PT90S", 90_000),
        ] {
            assert_eq!(parse(text, ANY), Ok(Duration::from_millis(ms)), "{text}");
        }
    }

    #[test]
    fn bad_text_says_what_to_write() {
        for (text, needle) in [
            ("", "empty"),
            ("5", "not a duration"),
            ("5x", "not a duration"),
            ("s", "not a duration"),
            ("-5s", "negative"),
            ("5s ago", "negative"),
            ("\u{1b}[31m5s", "\\u{1b}"),
        ] {
            let e = parse(text, ANY).expect_err(text).to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn huge_values_are_refused_not_overflowed() {
        for text in [
            "18446744073709551615s",
            "9223372036854775807s",
            "5124095576030431h",
            "99999999999999999999s",
        ] {
            for bounds in [
                READ_TIMEOUT,
                CONNECT_TIMEOUT,
                CALL_TIMEOUT,
                WATCH_TIMEOUT,
                FAULT_DELAY,
            ] {
                let e = parse(text, bounds).expect_err(text).to_string();
                assert!(e.contains("out of range"), "{text}: {e}");
            }
        }
        let e = parse("2h", READ_TIMEOUT).expect_err("over an hour");
        assert!(e.to_string().contains("out of range; use 1ms to 1h"), "{e}");
        let e = parse("500ms", POLL_INTERVAL).expect_err("under a second");
        assert!(e.to_string().contains("use 1s to 1h"), "{e}");
    }

    #[test]
    fn humane_reads_back() {
        for d in [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_secs(5),
            Duration::from_secs(5400),
            Duration::from_millis(1500),
        ] {
            assert_eq!(parse(&humane(d), ANY), Ok(d), "{}", humane(d));
        }
    }
}
