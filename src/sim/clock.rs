//! The simulator's notion of "now", injectable so tests fast-forward instead of sleeping.
//!
//! Everything time-dependent (image progress, instance stop, signature time window, nonce
//! expiry) reads this clock, never `Utc::now()` directly.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

#[derive(Debug)]
enum Base {
    /// The wall clock.
    System,
    /// A fixed instant: time only moves when [`Clock::advance`] is called.
    Fixed(DateTime<Utc>),
}

/// A cloneable handle to one shared clock: the wall clock or a frozen one, plus an offset that
/// [`Clock::advance`] moves forward.
#[derive(Debug, Clone)]
pub struct Clock {
    base: Arc<Base>,
    offset: Arc<Mutex<chrono::Duration>>,
}

impl Clock {
    /// Wall-clock time (what `sim serve` uses).
    pub fn system() -> Self {
        Self::with_base(Base::System)
    }

    /// A clock stopped at `start`; only [`Clock::advance`] moves it. Tests sign their requests
    /// with [`Clock::now`] so the simulator's time window accepts them.
    pub fn fixed(start: DateTime<Utc>) -> Self {
        Self::with_base(Base::Fixed(start))
    }

    fn with_base(base: Base) -> Self {
        Self {
            base: Arc::new(base),
            offset: Arc::new(Mutex::new(chrono::Duration::zero())),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let base = match *self.base {
            Base::System => Utc::now(),
            Base::Fixed(at) => at,
        };
        base + *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.checked_add(&by).unwrap_or(*offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_advanced_and_clones_share_it() {
        let start = DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid literal");
        let clock = Clock::fixed(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start);
        other.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - start, chrono::Duration::seconds(90));
    }

    #[test]
    fn system_clock_follows_wall_time_plus_offset() {
        let clock = Clock::system();
        clock.advance(Duration::from_secs(3600));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > chrono::Duration::minutes(59), "{ahead:?}");
    }
}
