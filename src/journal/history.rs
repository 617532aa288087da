//! The journal read back: its records folded into one [`Entry`] per submission, damaged lines
//! reported and skipped.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{DeliveryState, InstanceStop, Record, Submission};

/// The ImageId an accepted submission got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub time: DateTime<Utc>,
    pub image_id: String,
    pub request_id: String,
}

/// Why a submission has no image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCreated {
    pub time: DateTime<Utc>,
    pub reason: String,
    pub code: Option<String>,
    pub request_id: Option<String>,
}

/// CreateImage was sent, but what it did is unknown: the answer never came, or made no sense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsettled {
    pub time: DateTime<Utc>,
    pub reason: String,
}

/// The last state a watcher recorded for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastStatus {
    pub time: DateTime<Utc>,
    pub status: String,
    pub progress: Option<String>,
    pub is_final: bool,
}

/// Everything the journal says about one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub submission: Submission,
    pub created: Option<Created>,
    pub not_created: Option<NotCreated>,
    /// The latest answer that left the outcome open, if nothing settled it since.
    pub unsettled: Option<Unsettled>,
    pub status: Option<LastStatus>,
    /// Delivery actions, in the order they were first sent.
    pub deliveries: Vec<DeliveryState>,
    /// The delivery ran to its end: how many actions failed. A call sent after it (a retry)
    /// opens the delivery again.
    pub delivery_ended: Option<usize>,
}

impl Entry {
    /// An entry for `submission` with nothing recorded about it yet.
    pub fn new(submission: Submission) -> Entry {
        Entry {
            submission,
            created: None,
            not_created: None,
            unsettled: None,
            status: None,
            deliveries: Vec::new(),
            delivery_ended: None,
        }
    }

    /// What the journal knows of the delivery action `key`.
    pub fn delivery(&self, key: &str) -> Option<&DeliveryState> {
        self.deliveries.iter().find(|d| d.send.key == key)
    }

    /// The recipe asks for delivery, the image is Available, and the delivery has not run
    /// to its end: `watch --resume` finishes it.
    pub fn delivery_due(&self) -> bool {
        self.delivers() && self.delivery_ended.is_none()
    }

    /// The delivery ran to its end with failed actions: `watch --resume --retry-failed`
    /// sends those again.
    pub fn delivery_failed(&self) -> bool {
        self.delivers() && self.delivery_ended.is_some_and(|failed| failed > 0)
    }

    /// The recipe asks for delivery and the image is Available.
    fn delivers(&self) -> bool {
        self.submission
            .spec
            .delivery
            .as_ref()
            .is_some_and(|d| !d.is_empty())
            && self
                .status
                .as_ref()
                .is_some_and(|s| s.is_final && s.status == "Available")
    }

    pub fn image_id(&self) -> Option<&str> {
        self.created.as_ref().map(|c| c.image_id.as_str())
    }

    /// The best-known status: the watcher's, else what the submission records imply.
    pub fn last_status(&self) -> &str {
        match (&self.status, &self.created, &self.not_created) {
            (Some(status), _, _) => &status.status,
            (None, Some(_), _) => "Submitted",
            (None, None, Some(_)) => "NotCreated",
            (None, None, None) => "Unknown",
        }
    }

    /// Sent (maybe) but its ImageId never recorded: [`crate::submission::Submitter::recover`]
    /// finds it out.
    pub fn needs_recovery(&self) -> bool {
        self.created.is_none() && self.not_created.is_none()
    }

    /// Has an image that no watcher has seen reach an end state.
    pub fn is_unfinished(&self) -> bool {
        self.created.is_some() && !self.status.as_ref().is_some_and(|s| s.is_final)
    }
}

/// A journal line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {} (skipped)", self.line, self.reason)
    }
}

/// The journal, folded per submission, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub entries: Vec<Entry>,
    /// Instances ecsimg stopped, oldest first.
    pub stops: Vec<StopEntry>,
    pub problems: Vec<LineProblem>,
}

/// Everything the journal says about one stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopEntry {
    pub stop: InstanceStop,
    /// StopInstances refused it for good: ecsimg did not stop the instance.
    pub not_stopped: Option<String>,
    /// StartInstances was accepted (or the instance was found running again).
    pub started: Option<DateTime<Utc>>,
    /// The submission built from the stopped instance, once CreateImage was journaled.
    pub submission: Option<String>,
}

impl StopEntry {
    /// Stopped by ecsimg (as far as the journal knows) and not started again.
    pub fn is_down(&self) -> bool {
        self.not_stopped.is_none() && self.started.is_none()
    }
}

/// Whether a stopped instance should be started now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartDue {
    /// Its image has ended, or CreateImage was never sent.
    Now,
    /// Not yet: the reason (its image still builds, its answer was lost).
    Later(String),
}

impl History {
    /// The stops whose instance is still down and whose recipe asked for a restart, each with
    /// whether it is due now.
    pub fn restarts_due(&self) -> Vec<(&StopEntry, RestartDue)> {
        self.stops
            .iter()
            .filter(|s| s.is_down() && s.stop.restart)
            .map(|s| {
                let entry = s
                    .submission
                    .as_deref()
                    .and_then(|id| self.entries.iter().find(|e| e.submission.id == id));
                (s, due(entry))
            })
            .collect()
    }
}

fn due(entry: Option<&Entry>) -> RestartDue {
    match entry {
        None => RestartDue::Now,
        Some(e) if e.needs_recovery() => RestartDue::Later(
            "the answer to its CreateImage was lost; it is recovered first".into(),
        ),
        Some(e) if e.is_unfinished() => RestartDue::Later(format!(
            "its image {} is still being built",
            e.image_id().unwrap_or("?")
        )),
        Some(_) => RestartDue::Now,
    }
}

/// Folds the journal's bytes into entries, in submission order.
pub(super) fn fold(bytes: &[u8]) -> History {
    let mut folder = Folder::default();
    let complete = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = lines.len();
    for (n, raw) in lines.into_iter().enumerate() {
        let line = n + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = match std::str::from_utf8(raw) {
            Err(_) => Err("not UTF-8 text".to_string()),
            Ok(text) => serde_json::from_str::<Record>(text).map_err(|e| {
                if e.is_eof() || (line == last && !complete) {
                    format!("truncated record (a writer was probably killed mid-write): {e}")
                } else {
                    format!("not a journal record: {e}")
                }
            }),
        };
        if let Err(reason) = record.and_then(|record| folder.apply(record)) {
            folder.history.problems.push(LineProblem { line, reason });
        }
    }
    folder.history
}

#[derive(Default)]
struct Folder {
    history: History,
    /// Submission id → entry.
    index: HashMap<String, usize>,
    /// ImageId → the newest entry that got it so far: where a status that names no
    /// submission (older journals, callers that know only the ImageId) belongs.
    newest: HashMap<String, usize>,
    /// Stop id → its entry in `history.stops`.
    stops: HashMap<String, usize>,
}

impl Folder {
    fn entry(&mut self, id: &str, what: &str) -> Result<&mut Entry, String> {
        match self.index.get(id) {
            Some(&i) => Ok(&mut self.history.entries[i]),
            None => Err(format!("{what} for unknown submission {id}")),
        }
    }

    fn stop(&mut self, id: &str, what: &str) -> Result<&mut StopEntry, String> {
        match self.stops.get(id) {
            Some(&i) => Ok(&mut self.history.stops[i]),
            None => Err(format!("{what} for unknown stop {id}")),
        }
    }

    fn apply(&mut self, record: Record) -> Result<(), String> {
        match record {
            Record::Submitted(submission) => {
                if self.index.contains_key(&submission.id) {
                    return Err(format!("submission {} appears twice", submission.id));
                }
                // A link to a stop the journal lost is dropped; the submission still counts.
                if let Some(&i) = submission.stop.as_ref().and_then(|s| self.stops.get(s)) {
                    self.history.stops[i].submission = Some(submission.id.clone());
                }
                self.index
                    .insert(submission.id.clone(), self.history.entries.len());
                self.history.entries.push(Entry::new(*submission));
            }
            Record::Created {
                id,
                time,
                image_id,
                request_id,
            } => {
                let what = format!("ImageId {image_id}");
                let entry = self.entry(&id, &what)?;
                // Recovery may record the same ImageId again; the first record stands.
                if entry.created.is_none() {
                    entry.created = Some(Created {
                        time,
                        image_id: image_id.clone(),
                        request_id,
                    });
                    entry.unsettled = None;
                    let i = self.index[&id];
                    self.newest.insert(image_id, i);
                }
            }
            Record::NotCreated {
                id,
                time,
                reason,
                code,
                request_id,
            } => {
                let entry = self.entry(&id, "refusal")?;
                entry.not_created.get_or_insert(NotCreated {
                    time,
                    reason,
                    code,
                    request_id,
                });
                entry.unsettled = None;
            }
            Record::Unsettled { id, time, reason } => {
                let entry = self.entry(&id, "unsettled answer")?;
                if entry.needs_recovery() {
                    entry.unsettled = Some(Unsettled { time, reason });
                }
            }
            Record::Status {
                id,
                image_id,
                time,
                status,
                progress,
                is_final,
            } => {
                let entry = match &id {
                    Some(id) => {
                        let entry = self.entry(id, &format!("status of {image_id}"))?;
                        if entry.image_id() != Some(image_id.as_str()) {
                            return Err(format!(
                                "status of {image_id} for submission {id}, which has another \
                                 ImageId"
                            ));
                        }
                        entry
                    }
                    // An image the journal does not know: nothing to record.
                    None => match self.newest.get(&image_id) {
                        Some(&i) => &mut self.history.entries[i],
                        None => return Ok(()),
                    },
                };
                // A final state is never overwritten by a later non-final one (a second
                // watcher that timed out earlier but wrote later).
                if !entry
                    .status
                    .as_ref()
                    .is_some_and(|old| old.is_final && !is_final)
                {
                    entry.status = Some(LastStatus {
                        time,
                        status,
                        progress,
                        is_final,
                    });
                }
            }
            Record::Stopping(stop) => {
                if self.stops.contains_key(&stop.id) {
                    return Err(format!("stop {} appears twice", stop.id));
                }
                self.stops.insert(stop.id.clone(), self.history.stops.len());
                self.history.stops.push(StopEntry {
                    stop: *stop,
                    not_stopped: None,
                    started: None,
                    submission: None,
                });
            }
            Record::NotStopped { id, reason, .. } => {
                self.stop(&id, "a refused stop")?
                    .not_stopped
                    .get_or_insert(reason);
            }
            Record::Started { id, time } => {
                self.stop(&id, "a start")?.started.get_or_insert(time);
            }
            Record::DeliverySending(send) => {
                let entry = self.entry(&send.submission.clone(), "a delivery call")?;
                // A call after the end of a delivery is a retry: the delivery is open again
                // until it ends anew, so a plain resume finishes a retry cut short.
                entry.delivery_ended = None;
                // A resend keeps the first record: its ClientToken is the one that counts. A
                // new copy after a failed one is a new action, with its own token.
                match entry.deliveries.iter_mut().find(|d| d.send.key == send.key) {
                    None => entry.deliveries.push(DeliveryState {
                        send: *send,
                        outcome: None,
                    }),
                    Some(state) if state.failed_copy().is_some() => {
                        *state = DeliveryState {
                            send: *send,
                            outcome: None,
                        };
                    }
                    Some(_) => {}
                }
            }
            Record::DeliveryAnswered {
                submission,
                key,
                outcome,
                ..
            } => {
                let entry = self.entry(&submission, "a delivery answer")?;
                match entry.deliveries.iter_mut().find(|d| d.send.key == key) {
                    Some(state) => state.outcome = Some(outcome),
                    None => return Err(format!("an answer to delivery call {key:?} never sent")),
                }
            }
            Record::DeliveryEnded {
                submission,
                failures,
                ..
            } => {
                self.entry(&submission, "the end of a delivery")?
                    .delivery_ended = Some(failures);
            }
        }
        Ok(())
    }
}
