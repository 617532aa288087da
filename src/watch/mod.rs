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

mod rules;
#[cfg(test)]
mod tests;

pub use rules::{Decision, Estimate, FailureReason, Observation, WatchPolicy, decide, error_delay};

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use futures::Stream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::model::{Image, ImageQuery, MAX_IDS};
use crate::api::{ApiError, Client};

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
