//! The pure rules of a watch: how it polls, what one poll's observation means ([`decide`]), how
//! long to wait after an error, and how much time a build has left. No clock, no I/O.

use std::time::Duration;

use crate::api::ApiError;
use crate::api::model::Image;
use crate::config;

use super::format_duration;

/// How a watch polls and when it gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPolicy {
    /// The delay between polls once the first quick ones are done (config `[watch]
    /// poll_interval`).
    pub poll_interval: Duration,
    /// The delay during the first [`WatchPolicy::quick_polls`] polls: a new image changes
    /// fastest (and appears) right after CreateImage.
    pub quick_interval: Duration,
    pub quick_polls: u32,
    /// How long an image may be missing from DescribeImages before the watch fails: a freshly
    /// created image can take a moment to become visible.
    pub not_found_grace: Duration,
    /// Polls that may report an image `Available` but `Usable=false` before it is taken as
    /// done anyway (a server that never reports `Usable` must not hang the watch).
    pub unusable_polls: u32,
    /// Stop watching after this long (config `[watch] timeout`, `--timeout`); the image keeps
    /// building. `None` waits as long as the build takes.
    pub timeout: Option<Duration>,
    /// The longest pause after failed polls (throttling, outages).
    pub max_backoff: Duration,
    /// Keep polling an Available image while its image check (`DetectionStrategy`) still
    /// runs, so its findings are seen; the timeout still applies.
    pub wait_for_image_check: bool,
}

impl Default for WatchPolicy {
    fn default() -> Self {
        WatchPolicy {
            poll_interval: Duration::from_secs(5),
            quick_interval: Duration::from_secs(1),
            quick_polls: 5,
            not_found_grace: Duration::from_secs(30),
            unusable_polls: 3,
            timeout: None,
            max_backoff: Duration::from_secs(60),
            wait_for_image_check: false,
        }
    }
}

impl WatchPolicy {
    /// The defaults with the configured interval and timeout.
    pub fn from_config(watch: &config::Watch) -> Self {
        WatchPolicy {
            poll_interval: watch.poll_interval,
            timeout: watch.timeout,
            ..WatchPolicy::default()
        }
    }

    /// The pause after poll number `polls` (1-based) when all is well.
    fn interval_after(&self, polls: u32) -> Duration {
        if polls <= self.quick_polls {
            self.quick_interval.min(self.poll_interval)
        } else {
            self.poll_interval
        }
    }

    /// `delay`, shortened so the watch wakes up when the timeout falls due.
    pub(super) fn within_timeout(&self, delay: Duration, elapsed: Duration) -> Duration {
        match self.timeout {
            Some(limit) => delay.min(limit.saturating_sub(elapsed)),
            None => delay,
        }
    }

    pub(super) fn timed_out(&self, elapsed: Duration) -> bool {
        self.timeout.is_some_and(|limit| elapsed >= limit)
    }
}

/// What one poll said about one image, with what the watcher remembers.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The image's DescribeImages row; `None` when the answer did not include it.
    pub latest: Option<&'a Image>,
    /// Since the watch started.
    pub elapsed: Duration,
    /// Polls so far, this one included.
    pub polls: u32,
    /// Consecutive polls, this one included, that saw the image `Available` but not `Usable`.
    pub unusable_polls: u32,
}

/// What to do after a poll.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Still building (or not visible yet): poll again after this pause.
    Continue(Duration),
    /// Available (and usable): done.
    Done(Image),
    /// The build failed, or the image never appeared.
    Failed {
        image: Option<Image>,
        reason: FailureReason,
    },
    /// The watch's time is up; the build goes on.
    TimedOut,
}

/// Why a watched image will never become available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// `CreateFailed`: ECS could not build it.
    CreateFailed,
    /// `UnAvailable`: it exists but cannot launch instances.
    UnAvailable,
    /// DescribeImages never returned it within the grace period.
    NotFound { waited: Duration },
}

impl FailureReason {
    /// The status word recorded in the journal and printed in tables.
    pub fn status(&self) -> &'static str {
        match self {
            FailureReason::CreateFailed => "CreateFailed",
            FailureReason::UnAvailable => "UnAvailable",
            FailureReason::NotFound { .. } => "NotFound",
        }
    }

    /// What the end state means, in plain words.
    pub fn meaning(&self) -> String {
        match self {
            FailureReason::CreateFailed => "ECS could not build the image (status CreateFailed). \
                The failed image stays in the account and counts against the image quota until \
                it is deleted."
                .into(),
            FailureReason::UnAvailable => "The image exists but ECS marks it UnAvailable: no \
                instance can be created from it."
                .into(),
            FailureReason::NotFound { waited } => format!(
                "DescribeImages did not return the image for {}: it does not exist in this \
                 region, was deleted, or belongs to another account.",
                format_duration(*waited)
            ),
        }
    }

    /// What to try next, for image `image_id`.
    pub fn advice(&self, image_id: &str) -> String {
        match self {
            FailureReason::CreateFailed => format!(
                "Check that the source instance or snapshots are healthy (no disk being resized, \
                 re-initialised or deleted, snapshots accomplished), delete the failed image \
                 (`aliyun ecs DeleteImage --ImageId {image_id}`) and submit again. If it fails \
                 again, open a ticket quoting {image_id}."
            ),
            FailureReason::UnAvailable => format!(
                "Look at {image_id} in the ECS console (Images > Custom Images) for the reason, \
                 for example a deleted snapshot it relies on; delete it and build it again."
            ),
            FailureReason::NotFound { .. } => format!(
                "Check the ImageId ({image_id}) and the region (--region); `aliyun ecs \
                 DescribeImages --ImageOwnerAlias self` lists your images."
            ),
        }
    }
}

/// The rules of a watch, for one image after one poll. Pure: same inputs, same answer.
///
/// - `Available` is success once ECS reports `Usable`, or after [`WatchPolicy::unusable_polls`]
///   polls that do not (some servers never fill `Usable`).
/// - `CreateFailed` and `UnAvailable` end the watch at once.
/// - Missing from the answer: "not visible yet" during [`WatchPolicy::not_found_grace`], then
///   a failure.
/// - With [`WatchPolicy::wait_for_image_check`], an Available image whose check still runs
///   keeps being polled.
/// - Anything else (`Creating`, `Waiting`, a status this version does not know) is in flight:
///   poll again, quickly at first, never sleeping past the timeout.
/// - A final state seen at the timeout wins over the timeout.
pub fn decide(seen: &Observation<'_>, policy: &WatchPolicy) -> Decision {
    match seen.latest {
        Some(image) => match image.status.as_str() {
            "Available"
                if (image.usable || seen.unusable_polls > policy.unusable_polls)
                    && !(policy.wait_for_image_check && image_check_running(image)) =>
            {
                return Decision::Done(image.clone());
            }
            "CreateFailed" => {
                return Decision::Failed {
                    image: Some(image.clone()),
                    reason: FailureReason::CreateFailed,
                };
            }
            "UnAvailable" => {
                return Decision::Failed {
                    image: Some(image.clone()),
                    reason: FailureReason::UnAvailable,
                };
            }
            _ => {}
        },
        None if seen.elapsed >= policy.not_found_grace => {
            return Decision::Failed {
                image: None,
                reason: FailureReason::NotFound {
                    waited: policy.not_found_grace,
                },
            };
        }
        None => {}
    }
    if policy.timed_out(seen.elapsed) {
        return Decision::TimedOut;
    }
    let delay = policy.interval_after(seen.polls);
    Decision::Continue(policy.within_timeout(delay, seen.elapsed))
}

/// Whether DescribeImages reports an image check that has not finished.
fn image_check_running(image: &Image) -> bool {
    let status = &image.detection_options.status;
    !status.is_empty() && status != "Finished"
}

/// The pause after `streak` consecutive failed polls (1 = the first): the interval doubled per
/// failure, doubled once more for throttling, at least what the server asked for
/// (`x-acs-retry-after`), at most [`WatchPolicy::max_backoff`].
pub fn error_delay(streak: u32, error: &ApiError, policy: &WatchPolicy) -> Duration {
    let exponent = streak.saturating_sub(1).min(16) + u32::from(error.is_throttling());
    let backoff = policy
        .poll_interval
        .max(policy.quick_interval)
        .saturating_mul(1u32 << exponent);
    backoff
        .max(error.retry_after().unwrap_or_default())
        .min(policy.max_backoff)
}

/// Time left for a build, from how fast its progress moved since it was first seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    first: Option<(Duration, u8)>,
    latest: Option<(Duration, u8)>,
}

impl Estimate {
    /// Adds a sample: `percent` done at `elapsed`. Progress that goes backwards (a server
    /// restarting the copy) starts the estimate over.
    pub fn record(&mut self, elapsed: Duration, percent: u8) {
        match self.latest {
            Some((_, last)) if percent < last => {
                self.first = Some((elapsed, percent));
            }
            None => self.first = Some((elapsed, percent)),
            Some(_) => {}
        }
        self.latest = Some((elapsed, percent));
    }

    /// The remaining time at the observed rate; `None` until progress has moved.
    pub fn remaining(&self) -> Option<Duration> {
        let ((t0, p0), (t1, p1)) = (self.first?, self.latest?);
        if p1 >= 100 {
            return Some(Duration::ZERO);
        }
        if p1 <= p0 || t1 <= t0 {
            return None;
        }
        let per_percent = (t1 - t0).as_secs_f64() / f64::from(p1 - p0);
        Duration::try_from_secs_f64(per_percent * f64::from(100 - p1)).ok()
    }
}
