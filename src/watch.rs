//! Following images while ECS builds them: a pure decision per poll, and a stream of events
//! around it that the wizard's progress pane and `ecsimg watch` both consume.
//!
//! ```text
//! watch_images ──poll (one DescribeImages per ≤100 ids)──▶ Observation ──decide──▶ Decision
//!      │                                                                          │
//!      └──────────────── WatchEvent (Progress, StatusChanged, Retrying, ...) ◀────┘
//! ```
//!
//! [`decide`] holds every rule (success, failure, "not visible yet", timeout, adaptive delay) and
//! never touches a clock; the async loop only polls, remembers and sleeps. A watch that ends —
//! by timeout, cancellation or an API error — never touches the image itself: the build goes on.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use futures::Stream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::model::{Image, ImageQuery, MAX_IDS};
use crate::api::{ApiError, Client};
use crate::config;

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
    fn within_timeout(&self, delay: Duration, elapsed: Duration) -> Duration {
        match self.timeout {
            Some(limit) => delay.min(limit.saturating_sub(elapsed)),
            None => delay,
        }
    }

    fn timed_out(&self, elapsed: Duration) -> bool {
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

/// Something a watch has to report.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// The image's latest DescribeImages row (progress, per-disk `DiskDeviceMappings` progress
    /// and `RemainTime`, `DetectionOptions`), emitted after every poll that saw it.
    Progress {
        image_id: String,
        image: Image,
        /// Since the watch started.
        elapsed: Duration,
        /// Estimated time to completion, from the progress rate.
        remaining: Option<Duration>,
    },
    /// The image's status changed (`from` is `None` the first time it is seen).
    StatusChanged {
        image_id: String,
        from: Option<String>,
        to: String,
        elapsed: Duration,
    },
    /// A poll failed with a transient error; the next poll comes after `delay`.
    Retrying {
        error: ApiError,
        delay: Duration,
        /// Consecutive failed polls so far.
        attempt: u32,
    },
    /// The image is not in DescribeImages' answer yet (normal right after CreateImage).
    NotVisibleYet { image_id: String, elapsed: Duration },
    /// The watch of this image is over; no more events about it follow.
    Finished {
        image_id: String,
        outcome: WatchEnd,
        elapsed: Duration,
    },
}

/// How the watch of one image ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEnd {
    Available(Image),
    Failed {
        image: Option<Image>,
        reason: FailureReason,
    },
    /// The timeout ran out; the build goes on. `last` is the last row seen.
    TimedOut {
        last: Option<Image>,
    },
    /// DescribeImages failed in a way retrying cannot fix (credentials, permissions, region);
    /// the build goes on, but this watch cannot follow it.
    Error(ApiError),
}

impl WatchEnd {
    /// The status word for the journal and tables: the image's status for final states,
    /// `TimedOut`/`WatchError` (or the last status seen) otherwise.
    pub fn status(&self) -> String {
        match self {
            WatchEnd::Available(image) => image.status.clone(),
            WatchEnd::Failed { reason, .. } => reason.status().to_string(),
            WatchEnd::TimedOut { last: Some(image) } => image.status.clone(),
            WatchEnd::TimedOut { last: None } => "TimedOut".to_string(),
            WatchEnd::Error(_) => "WatchError".to_string(),
        }
    }

    /// Whether the image reached an end state (it will not change any more by itself).
    pub fn is_final(&self) -> bool {
        matches!(self, WatchEnd::Available(_) | WatchEnd::Failed { .. })
    }
}

/// Watches `image_ids` (all in the client's region) until each one finished or `cancel`
/// fires. Every poll asks for all unfinished images at once — one DescribeImages call per 100
/// ids — naming the in-flight statuses ([`ImageQuery::watching`]). Transient errors are retried
/// with back-off; the stream ends after the last `Finished` event, or at once when cancelled.
pub fn watch_images(
    client: Client,
    image_ids: Vec<String>,
    policy: WatchPolicy,
    cancel: CancellationToken,
) -> impl Stream<Item = WatchEvent> + Send + 'static {
    let mut seen = HashSet::new();
    let tracked = image_ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .map(Tracked::new)
        .collect();
    let watcher = Watcher {
        client: client.with_cancel(cancel.clone()),
        images: tracked,
        policy,
        cancel,
        start: Instant::now(),
        next_poll: None,
        error_streak: 0,
        queue: VecDeque::new(),
    };
    futures::stream::unfold(watcher, |mut watcher| async move {
        watcher.next().await.map(|event| (event, watcher))
    })
}

/// What the loop remembers about one image.
struct Tracked {
    id: String,
    last: Option<Image>,
    polls: u32,
    unusable_polls: u32,
    estimate: Estimate,
    /// The pause its last decision asked for.
    delay: Duration,
    finished: bool,
}

impl Tracked {
    fn new(id: String) -> Tracked {
        Tracked {
            id,
            last: None,
            polls: 0,
            unusable_polls: 0,
            estimate: Estimate::default(),
            delay: Duration::ZERO,
            finished: false,
        }
    }
}

struct Watcher {
    client: Client,
    images: Vec<Tracked>,
    policy: WatchPolicy,
    cancel: CancellationToken,
    start: Instant,
    next_poll: Option<Instant>,
    error_streak: u32,
    queue: VecDeque<WatchEvent>,
}

impl Watcher {
    async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            if self.cancel.is_cancelled() || self.images.iter().all(|t| t.finished) {
                return None;
            }
            if let Some(at) = self.next_poll {
                tokio::select! {
                    biased;
                    () = self.cancel.cancelled() => return None,
                    () = tokio::time::sleep_until(at) => {}
                }
            }
            self.poll().await;
        }
    }

    /// One round: DescribeImages for every unfinished image, then a decision for each.
    async fn poll(&mut self) {
        let pending: Vec<String> = self
            .images
            .iter()
            .filter(|t| !t.finished)
            .map(|t| t.id.clone())
            .collect();
        let mut rows: HashMap<String, Image> = HashMap::new();
        for chunk in pending.chunks(MAX_IDS) {
            match self
                .client
                .describe_images_all(&ImageQuery::watching(chunk.iter().cloned()))
                .await
            {
                Ok(images) => {
                    rows.extend(images.into_iter().map(|i| (i.image_id.clone(), i)));
                }
                Err(ApiError::Cancelled) => return,
                Err(error) => return self.failed_poll(error),
            }
        }
        self.error_streak = 0;
        let elapsed = self.start.elapsed();
        let policy = &self.policy;
        let queue = &mut self.queue;
        for tracked in self.images.iter_mut().filter(|t| !t.finished) {
            tracked.polls += 1;
            let row = rows.remove(&tracked.id);
            match &row {
                Some(image) => {
                    let from = tracked.last.as_ref().map(|i| i.status.clone());
                    if from.as_deref() != Some(image.status.as_str()) {
                        queue.push_back(WatchEvent::StatusChanged {
                            image_id: tracked.id.clone(),
                            from,
                            to: image.status.clone(),
                            elapsed,
                        });
                    }
                    let unusable = image.status == "Available" && !image.usable;
                    tracked.unusable_polls = if unusable {
                        tracked.unusable_polls + 1
                    } else {
                        0
                    };
                    if let Some(percent) = image.progress_percent() {
                        tracked.estimate.record(elapsed, percent);
                    }
                    queue.push_back(WatchEvent::Progress {
                        image_id: tracked.id.clone(),
                        image: image.clone(),
                        elapsed,
                        remaining: tracked.estimate.remaining(),
                    });
                }
                None => queue.push_back(WatchEvent::NotVisibleYet {
                    image_id: tracked.id.clone(),
                    elapsed,
                }),
            }
            let decision = decide(
                &Observation {
                    latest: row.as_ref(),
                    elapsed,
                    polls: tracked.polls,
                    unusable_polls: tracked.unusable_polls,
                },
                policy,
            );
            if row.is_some() {
                tracked.last = row;
            }
            let outcome = match decision {
                Decision::Continue(delay) => {
                    tracked.delay = delay;
                    continue;
                }
                Decision::Done(image) => WatchEnd::Available(image),
                Decision::Failed { image, reason } => WatchEnd::Failed { image, reason },
                Decision::TimedOut => WatchEnd::TimedOut {
                    last: tracked.last.clone(),
                },
            };
            tracked.finished = true;
            queue.push_back(WatchEvent::Finished {
                image_id: tracked.id.clone(),
                outcome,
                elapsed,
            });
        }
        self.next_poll = self
            .images
            .iter()
            .filter(|t| !t.finished)
            .map(|t| t.delay)
            .min()
            .map(|delay| Instant::now() + delay);
    }

    /// A poll that failed: retry transient errors with back-off (within the timeout); end the
    /// watch of every image on errors that retrying cannot fix.
    fn failed_poll(&mut self, error: ApiError) {
        let elapsed = self.start.elapsed();
        if !error.is_retryable() {
            return self.finish_remaining(elapsed, |_| WatchEnd::Error(error.clone()));
        }
        if self.policy.timed_out(elapsed) {
            return self.finish_remaining(elapsed, |t| WatchEnd::TimedOut {
                last: t.last.clone(),
            });
        }
        self.error_streak += 1;
        let delay = self.policy.within_timeout(
            error_delay(self.error_streak, &error, &self.policy),
            elapsed,
        );
        self.queue.push_back(WatchEvent::Retrying {
            error,
            delay,
            attempt: self.error_streak,
        });
        self.next_poll = Some(Instant::now() + delay);
    }

    fn finish_remaining(&mut self, elapsed: Duration, outcome: impl Fn(&Tracked) -> WatchEnd) {
        for tracked in self.images.iter_mut().filter(|t| !t.finished) {
            tracked.finished = true;
            self.queue.push_back(WatchEvent::Finished {
                image_id: tracked.id.clone(),
                outcome: outcome(tracked),
                elapsed,
            });
        }
    }
}

/// `1h02m`, `3m05s`, `42s`, `350ms`: short and stable, for progress lines and messages.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 if d.subsec_millis() > 0 => format!("{}ms", d.subsec_millis()),
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

impl fmt::Display for WatchEnd {
    /// One line for humans: what happened, without advice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchEnd::Available(_) => f.write_str("Available"),
            WatchEnd::Failed { reason, .. } => f.write_str(reason.status()),
            WatchEnd::TimedOut { last } => match last {
                Some(image) => write!(
                    f,
                    "watch timed out (last seen {} {})",
                    image.status, image.progress
                ),
                None => f.write_str("watch timed out before the image was seen"),
            },
            WatchEnd::Error(error) => write!(f, "watch stopped: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
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
                WatchEvent::Retrying { error, attempt, .. } => {
                    Some((*attempt, error.is_throttling()))
                }
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
}
