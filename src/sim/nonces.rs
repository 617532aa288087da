//! Replay protection: a signature nonce is refused for as long as its request could still pass
//! the time check, and is never forgotten earlier. The store has a fixed capacity; when it is
//! full of nonces that are all still valid, new requests are refused with a throttling error
//! until the oldest expire, so a replay can never slip through because the server forgot.

use chrono::{DateTime, Utc};
use nohash_hasher::IntSet;
use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

/// How far a request's time may be from the simulator's clock, either way: the time check
/// refuses requests outside it, so a nonce must be remembered for as long.
pub const TIME_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Why a nonce was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Seen before, inside its validity window.
    Used,
    /// The store is full of nonces that are still valid; the oldest expires after this long.
    Full { retry_after: Duration },
}

/// Nonces as 64-bit hashes under a key drawn at start-up: a huge nonce costs no more memory
/// than a short one, peers cannot aim collisions without the key, and two different nonces
/// share a hash with a chance of about one in 10^13 per request at a million stored, far below
/// any network error rate. The set is keyed by those hashes directly; they are uniform
/// already. Each nonce costs about 36 bytes (a set slot and a queue entry, both grown in powers
/// of two), so [`NonceStore::new`]'s capacity bounds the memory: 1,000,000 nonces, the default,
/// take about 36 MB.
#[derive(Debug)]
pub struct NonceStore {
    key: RandomState,
    seen: IntSet<u64>,
    /// `(expires, hash)` in arrival order; `expires` is the last second (Unix time) at which
    /// the nonce's request passes the time check.
    order: VecDeque<(i64, u64)>,
    capacity: usize,
}

impl NonceStore {
    /// A store that holds at most `capacity` nonces at once.
    pub fn new(capacity: usize) -> Self {
        Self {
            key: RandomState::new(),
            seen: IntSet::default(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Records `nonce` of a request signed at `signed_at`, arriving at clock reading `now`.
    pub fn insert(
        &mut self,
        nonce: &str,
        signed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let now_s = now.timestamp();
        // Entries leave in arrival order. One signed far ahead of the clock may hold back a
        // few that expire sooner: they stay a little longer, which is safe.
        while let Some(&(expires, hash)) = self.order.front() {
            if expires >= now_s {
                break;
            }
            self.seen.remove(&hash);
            self.order.pop_front();
        }
        let hash = self.key.hash_one(nonce);
        if self.seen.contains(&hash) {
            return Err(Refusal::Used);
        }
        if self.seen.len() >= self.capacity {
            let oldest = self.order.front().map_or(now_s, |(expires, _)| *expires);
            let wait = u64::try_from(oldest - now_s + 1).unwrap_or(1);
            return Err(Refusal::Full {
                retry_after: Duration::from_secs(wait),
            });
        }
        self.seen.insert(hash);
        let expires = (signed_at + TIME_WINDOW).timestamp().max(now_s);
        self.order.push_back((expires, hash));
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }

    /// Bytes held by the two tables, for the documented bound.
    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        // A hashbrown slot is the value plus one control byte.
        self.seen.capacity() * (std::mem::size_of::<u64>() + 1)
            + self.order.capacity() * std::mem::size_of::<(i64, u64)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn nonces_are_single_use_within_the_window_and_forgotten_after() {
        let mut store = NonceStore::new(10);
        let t0 = at("2024-01-01T00:00:00Z");
        assert_eq!(store.insert("n1", t0, t0), Ok(()));
        let later = t0 + TimeDelta::minutes(15);
        assert_eq!(store.insert("n1", t0, later), Err(Refusal::Used));
        // A second after its window the request fails the time check; the nonce may go.
        assert_eq!(
            store.insert("n2", later, later + TimeDelta::seconds(1)),
            Ok(())
        );
        assert_eq!(store.len(), 1);
        // A request signed ahead of the clock is remembered until its own window ends.
        let ahead = later + TimeDelta::minutes(14);
        assert_eq!(store.insert("n3", ahead, later), Ok(()));
        assert_eq!(
            store.insert("n3", ahead, ahead + TimeDelta::minutes(15)),
            Err(Refusal::Used)
        );
    }

    /// Replay at the store: a captured request replayed after the store
    /// saw more requests than it holds. The default capacity, filled for real.
    #[test]
    fn a_full_store_throttles_instead_of_forgetting() {
        let capacity = crate::sim::limits::DEFAULT_MAX_NONCES;
        let mut store = NonceStore::new(capacity);
        let t0 = at("2024-01-01T00:00:00Z");
        assert_eq!(store.insert("captured", t0, t0), Ok(()));
        for i in 1..capacity {
            assert_eq!(store.insert(&i.to_string(), t0, t0), Ok(()));
        }
        let now = t0 + TimeDelta::seconds(20);
        assert_eq!(
            store.insert("one more", now, now),
            Err(Refusal::Full {
                retry_after: Duration::from_secs(15 * 60 - 20 + 1)
            })
        );
        assert_eq!(store.insert("captured", t0, now), Err(Refusal::Used));
        assert!(
            store.heap_bytes() <= 40 * 1024 * 1024,
            "{} bytes",
            store.heap_bytes()
        );
        // Once the window has passed, room comes back.
        let after = t0 + TIME_WINDOW + TimeDelta::seconds(1);
        assert_eq!(store.insert("one more", after, after), Ok(()));
        assert_eq!(store.len(), 1);
    }
}
