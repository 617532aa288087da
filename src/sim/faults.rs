//! Fault injection: random faults at configured rates (`--faults`) and scripted ones for tests.
//!
//! Rates are drawn from a seeded RNG so a test run is reproducible. Scripted faults take
//! precedence over random ones: "fail the next N calls" and "fault call K".

use super::error::SimError;
use super::route::Action;
use crate::duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, VecDeque};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Random fault rates, parsed from `throttle=0.2,error=0.05,latency=200ms,drop=0.02,lost=0.01`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    /// Share of calls answered 400 `Throttling` with `x-acs-retry-after`.
    pub throttle: f64,
    /// Share of calls answered 500 `InternalError` or 503 `ServiceUnavailable`.
    pub error: f64,
    /// Share of connections closed without an answer, before the operation acts.
    pub drop: f64,
    /// Share of calls that act (a CreateImage creates its image) and then close the connection
    /// without the answer, as a network that loses the reply would.
    pub lost: f64,
    /// Added to every call.
    pub latency: Duration,
    /// The `x-acs-retry-after` of throttled calls.
    pub retry_after: Duration,
}

impl Default for FaultSpec {
    fn default() -> Self {
        Self {
            throttle: 0.0,
            error: 0.0,
            drop: 0.0,
            lost: 0.0,
            latency: Duration::ZERO,
            retry_after: Duration::from_millis(1000),
        }
    }
}

/// A `--faults` value that cannot be used; names the bad item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault item {item:?}: {reason}")]
pub struct FaultSpecError {
    pub item: String,
    pub reason: String,
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = Self::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let err = |reason: &str| FaultSpecError {
                item: item.to_string(),
                reason: reason.to_string(),
            };
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| err("expected name=value, e.g. throttle=0.2"))?;
            let rate = || -> Result<f64, FaultSpecError> {
                value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| err("the rate must be a number from 0 to 1, e.g. 0.05"))
            };
            match name.trim() {
                "throttle" => spec.throttle = rate()?,
                "error" => spec.error = rate()?,
                "drop" => spec.drop = rate()?,
                "lost" => spec.lost = rate()?,
                "latency" => {
                    spec.latency = duration::parse(value, duration::FAULT_DELAY)
                        .map_err(|e| err(&e.to_string()))?
                }
                "retry_after" => {
                    spec.retry_after = duration::parse(value, duration::FAULT_DELAY)
                        .map_err(|e| err(&e.to_string()))?
                }
                _ => {
                    return Err(err(
                        "unknown fault; use throttle, error, drop, lost, latency or retry_after",
                    ));
                }
            }
        }
        if spec.fault_rate() > 1.0 {
            return Err(FaultSpecError {
                item: s.to_string(),
                reason: "throttle + error + drop + lost must not exceed 1".into(),
            });
        }
        Ok(spec)
    }
}

impl FaultSpec {
    /// The share of calls that meet some fault.
    fn fault_rate(&self) -> f64 {
        self.throttle + self.error + self.drop + self.lost
    }
}

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 400 `Throttling` with `x-acs-retry-after`.
    Throttle,
    /// 500 `InternalError`.
    InternalError,
    /// 503 `ServiceUnavailable`.
    ServiceUnavailable,
    /// 403 `Forbidden.RAM`.
    Forbidden,
    /// The connection closes without an answer; the operation does not act.
    Drop,
    /// The operation acts, then the connection closes without its answer.
    LoseAnswer,
}

/// What to do with one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Proceed,
    Fail(SimError),
    /// Close the connection before acting.
    Drop,
    /// Act, then close the connection instead of answering.
    LoseAnswer,
}

#[derive(Debug, Default)]
struct Script {
    /// Faults for the next calls (optionally only calls of one action), first in first out.
    next: VecDeque<(Option<Action>, Fault)>,
    /// Faults for the call with this 1-based number.
    at_call: BTreeMap<u64, Fault>,
}

/// The fault injector shared by all connections. Tests reach it through
/// [`super::RunningSim::faults`].
#[derive(Debug)]
pub struct Faults {
    spec: FaultSpec,
    rng: Mutex<StdRng>,
    script: Mutex<Script>,
    calls: AtomicU64,
}

impl Faults {
    pub fn new(spec: FaultSpec, seed: u64) -> Self {
        Self {
            spec,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            script: Mutex::default(),
            calls: AtomicU64::new(0),
        }
    }

    /// Latency added to every call.
    pub fn latency(&self) -> Duration {
        self.spec.latency
    }

    /// Fails the next `n` calls with `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        self.queue(None, n, fault);
    }

    /// Fails the next `n` calls of `action` (e.g. `"CreateImage"`) with `fault`; other calls
    /// pass. An unknown action name is ignored and reported as `false`.
    pub fn fail_next_action(&self, action: &str, n: usize, fault: Fault) -> bool {
        match Action::from_name(action) {
            Ok(a) => {
                self.queue(Some(a), n, fault);
                true
            }
            Err(_) => false,
        }
    }

    fn queue(&self, action: Option<Action>, n: usize, fault: Fault) {
        let mut script = self.script.lock().unwrap_or_else(PoisonError::into_inner);
        script.next.extend(std::iter::repeat_n((action, fault), n));
    }

    /// Applies `fault` to call number `k` (1-based, counting authenticated calls).
    pub fn fault_call(&self, k: u64, fault: Fault) {
        let mut script = self.script.lock().unwrap_or_else(PoisonError::into_inner);
        script.at_call.insert(k, fault);
    }

    /// Authenticated calls seen so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Decides the fate of an authenticated call of `action`.
    pub fn decide(&self, action: Action) -> Decision {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let scripted = {
            let mut script = self.script.lock().unwrap_or_else(PoisonError::into_inner);
            let at = script.at_call.remove(&call);
            at.or_else(|| {
                let pos = script
                    .next
                    .iter()
                    .position(|(only, _)| only.is_none_or(|a| a == action))?;
                script.next.remove(pos).map(|(_, fault)| fault)
            })
        };
        let fault = scripted.or_else(|| self.random());
        match fault {
            None => Decision::Proceed,
            Some(Fault::Drop) => Decision::Drop,
            Some(Fault::LoseAnswer) => Decision::LoseAnswer,
            Some(Fault::Throttle) => Decision::Fail(SimError::throttling(
                u64::try_from(self.spec.retry_after.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )),
            Some(Fault::InternalError) => Decision::Fail(SimError::internal_error()),
            Some(Fault::ServiceUnavailable) => Decision::Fail(SimError::service_unavailable()),
            Some(Fault::Forbidden) => Decision::Fail(SimError::forbidden_ram()),
        }
    }

    fn random(&self) -> Option<Fault> {
        let spec = self.spec;
        if spec.fault_rate() <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let draw: f64 = rng.random();
        // Consecutive bands of [0, 1); `lost` comes last so that specs without it draw the
        // same faults from the same seed as before it existed.
        let mut ceiling = 0.0;
        let mut within = |rate: f64| {
            ceiling += rate;
            draw < ceiling
        };
        if within(spec.drop) {
            Some(Fault::Drop)
        } else if within(spec.throttle) {
            Some(Fault::Throttle)
        } else if within(spec.error) {
            Some(if rng.random_bool(0.5) {
                Fault::InternalError
            } else {
                Fault::ServiceUnavailable
            })
        } else if within(spec.lost) {
            Some(Fault::LoseAnswer)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let spec: FaultSpec = "throttle=0.2,error=0.05,latency=200ms,drop=0.02"
            .parse()
            .unwrap();
        assert_eq!(spec.throttle, 0.2);
        assert_eq!(spec.error, 0.05);
        assert_eq!(spec.drop, 0.02);
        assert_eq!(spec.latency, Duration::from_millis(200));
        assert_eq!("".parse::<FaultSpec>().unwrap(), FaultSpec::default());
        // The same duration syntax as config.toml and the command line.
        let spec: FaultSpec = "latency=2m,retry_after=1.5s".parse().unwrap();
        assert_eq!(spec.latency, Duration::from_secs(120));
        assert_eq!(spec.retry_after, Duration::from_millis(1500));
    }

    #[test]
    fn errors_name_the_bad_item() {
        for (input, item) in [
            ("throttle=2", "throttle=2"),
            ("throttle=0.1,bogus=1", "bogus=1"),
            ("latency=fast", "latency=fast"),
            (
                "latency=18446744073709551615s",
                "latency=18446744073709551615s",
            ),
            ("drop", "drop"),
        ] {
            let err = input.parse::<FaultSpec>().unwrap_err();
            assert_eq!(err.item, item, "{input}");
        }
        assert!("throttle=0.6,error=0.6".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn rates_are_roughly_honoured_and_reproducible() {
        let spec: FaultSpec = "throttle=0.2,error=0.1,drop=0.05,lost=0.05"
            .parse()
            .unwrap();
        let run = |seed| {
            let faults = Faults::new(spec, seed);
            (0..10_000)
                .map(|_| faults.decide(Action::DescribeRegions))
                .collect::<Vec<_>>()
        };
        let decisions = run(7);
        assert_eq!(decisions, run(7));
        let share =
            |f: fn(&Decision) -> bool| decisions.iter().filter(|d| f(d)).count() as f64 / 10_000.0;
        let throttled = share(|d| matches!(d, Decision::Fail(e) if e.code == "Throttling"));
        let errors = share(|d| matches!(d, Decision::Fail(e) if e.status >= 500));
        let dropped = share(|d| matches!(d, Decision::Drop));
        let lost = share(|d| matches!(d, Decision::LoseAnswer));
        assert!((throttled - 0.2).abs() < 0.02, "{throttled}");
        assert!((errors - 0.1).abs() < 0.02, "{errors}");
        assert!((dropped - 0.05).abs() < 0.015, "{dropped}");
        assert!((lost - 0.05).abs() < 0.015, "{lost}");
    }

    #[test]
    fn scripted_faults_come_first_and_can_target_an_action() {
        let faults = Faults::new(FaultSpec::default(), 1);
        faults.fault_call(3, Fault::Drop);
        assert!(faults.fail_next_action("CreateImage", 1, Fault::InternalError));
        assert!(faults.fail_next_action("CreateImage", 1, Fault::LoseAnswer));
        assert!(!faults.fail_next_action("Nope", 1, Fault::InternalError));
        assert_eq!(faults.decide(Action::DescribeImages), Decision::Proceed);
        assert!(
            matches!(faults.decide(Action::CreateImage), Decision::Fail(e) if e.code == "InternalError")
        );
        assert_eq!(faults.decide(Action::CreateImage), Decision::Drop);
        assert_eq!(faults.decide(Action::DescribeImages), Decision::Proceed);
        assert_eq!(faults.decide(Action::CreateImage), Decision::LoseAnswer);
        assert_eq!(faults.decide(Action::CreateImage), Decision::Proceed);
        assert_eq!(faults.calls(), 6);
    }
}
