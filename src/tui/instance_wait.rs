//! Following an instance on its way to a status after StopInstances or StartInstances: the
//! answer of the call, then DescribeInstances polls until the instance is Stopped (or Running),
//! with the last status and the time since the call was sent, for the screen.
//!
//! Shared by the stop dialog of step 1 and the start offer ([`super::restart`]); `update`
//! stays pure: the next poll is asked for through a callback that returns its request id.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::effect::{Call, one_instance};
use super::msg::{Loaded, RequestId};
use crate::api::ApiError;
use crate::api::model::{Instance, InstanceResponse};

/// Delay between two status polls.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// Polls before giving up waiting (5 minutes).
pub const MAX_POLLS: u32 = 150;

/// An instance expected to reach `target`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceWait {
    pub instance: Box<Instance>,
    /// `Stopped` or `Running`.
    pub target: &'static str,
    /// The call whose answer is awaited: the stop or start itself, then each poll.
    pub request: RequestId,
    /// The last status seen.
    pub status: String,
    /// The first tick after the call was sent (the time of the key press that sent it is not
    /// known: `now` is only as fresh as the last tick).
    since: Option<DateTime<Utc>>,
    polls: u32,
    /// The row of the poll in progress, once its page arrived.
    seen: Option<Box<Instance>>,
}

/// What an answer meant.
#[derive(Debug, Clone, PartialEq)]
pub enum Waited {
    /// Not there yet: the next poll is asked for.
    Waiting,
    /// The instance reached the target status; its fresh row.
    Reached(Box<Instance>),
    /// Still not there after [`MAX_POLLS`]; the last row.
    GaveUp(Box<Instance>),
    /// DescribeInstances no longer lists it.
    Gone,
    /// The stop or start was refused for this instance.
    Refused(InstanceResponse),
    /// The call or a poll failed.
    Failed(ApiError),
}

impl InstanceWait {
    /// Waiting for the answer of `request`, the stop or start just sent.
    pub fn new(instance: Box<Instance>, target: &'static str, request: RequestId) -> Self {
        InstanceWait {
            status: instance.status.clone(),
            instance,
            target,
            request,
            since: None,
            polls: 0,
            seen: None,
        }
    }

    pub fn instance_id(&self) -> &str {
        &self.instance.instance_id
    }

    /// The timer starts with the first tick after the call was sent.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.since.get_or_insert(now);
    }

    /// Seconds since the call was sent.
    pub fn elapsed_secs(&self, now: DateTime<Utc>) -> i64 {
        self.since
            .map_or(0, |since| (now - since).num_seconds().max(0))
    }

    /// How long it waits before giving up, in minutes.
    pub fn patience_minutes() -> u64 {
        POLL_EVERY.as_secs() * u64::from(MAX_POLLS) / 60
    }

    /// Takes the answer to [`InstanceWait::request`]; `call` starts the next poll (after a
    /// delay) and returns its id.
    pub fn feed(
        &mut self,
        result: Result<Loaded, ApiError>,
        call: impl FnOnce(Call, Duration) -> RequestId,
    ) -> Waited {
        let poll = Call::Instances(one_instance(self.instance_id()));
        match result {
            Ok(Loaded::Stopping(responses) | Loaded::Starting(responses)) => {
                match responses
                    .into_iter()
                    .find(|r| r.instance_id == self.instance.instance_id)
                {
                    Some(r) if !r.is_success() => return Waited::Refused(r),
                    answer => {
                        if let Some(now) =
                            answer.map(|r| r.current_status).filter(|s| !s.is_empty())
                        {
                            self.status = now;
                        }
                        self.request = call(poll, POLL_EVERY);
                    }
                }
            }
            Ok(Loaded::Instances(page)) if !page.last => {
                if let Some(row) = page
                    .rows
                    .into_iter()
                    .find(|i| i.instance_id == self.instance.instance_id)
                {
                    self.status = row.status.clone();
                    self.seen = Some(Box::new(row));
                }
            }
            Ok(Loaded::Instances(_)) => {
                return match self.seen.take() {
                    Some(row) if row.status == self.target => Waited::Reached(row),
                    Some(row) if self.polls + 1 >= MAX_POLLS => Waited::GaveUp(row),
                    Some(row) => {
                        self.instance = row;
                        self.polls += 1;
                        self.request = call(poll, POLL_EVERY);
                        Waited::Waiting
                    }
                    None => Waited::Gone,
                };
            }
            Ok(_) => {}
            Err(error) => return Waited::Failed(error),
        }
        Waited::Waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::msg::{Owner, Page};
    use crate::tui::step::Step;

    fn id(seq: u64) -> RequestId {
        RequestId {
            owner: Owner::Step(Step::Source),
            seq,
        }
    }

    fn row(status: &str) -> Instance {
        Instance {
            instance_id: "i-1".into(),
            status: status.into(),
            ..Instance::default()
        }
    }

    fn page(rows: Vec<Instance>, last: bool) -> Result<Loaded, ApiError> {
        Ok(Loaded::Instances(Page { rows, last }))
    }

    #[test]
    fn follows_the_answer_then_polls_until_the_target() {
        let mut wait = InstanceWait::new(Box::new(row("Stopped")), "Running", id(1));
        let mut asked = Vec::new();
        let mut next = 1;
        let mut call = |c: Call, delay: Duration| {
            asked.push((c, delay));
            next += 1;
            id(next)
        };
        let started = InstanceResponse {
            instance_id: "i-1".into(),
            current_status: "Starting".into(),
            code: "200".into(),
            ..InstanceResponse::default()
        };
        let fed = wait.feed(Ok(Loaded::Starting(vec![started])), &mut call);
        assert_eq!((fed, wait.status.as_str()), (Waited::Waiting, "Starting"));
        assert_eq!(wait.request, id(2));
        assert_eq!(
            wait.feed(page(vec![row("Starting")], false), &mut call),
            Waited::Waiting
        );
        assert_eq!(wait.feed(page(vec![], true), &mut call), Waited::Waiting);
        assert_eq!(wait.request, id(3));
        wait.feed(page(vec![row("Running")], false), &mut call);
        assert_eq!(
            wait.feed(page(vec![], true), &mut call),
            Waited::Reached(Box::new(row("Running")))
        );
        assert_eq!(asked.len(), 2);
        assert!(asked.iter().all(|(_, delay)| *delay == POLL_EVERY));
        assert_eq!(asked[0].0, Call::Instances(one_instance("i-1")));
    }

    #[test]
    fn refusals_disappearance_and_patience() {
        let mut wait = InstanceWait::new(Box::new(row("Running")), "Stopped", id(1));
        let refused = InstanceResponse {
            instance_id: "i-1".into(),
            code: "IncorrectInstanceStatus".into(),
            ..InstanceResponse::default()
        };
        let fed = wait.feed(Ok(Loaded::Stopping(vec![refused.clone()])), |_, _| id(2));
        assert_eq!(fed, Waited::Refused(refused));
        assert_eq!(wait.feed(page(vec![], true), |_, _| id(3)), Waited::Gone);
        wait.polls = MAX_POLLS - 1;
        wait.feed(page(vec![row("Stopping")], false), |_, _| id(4));
        assert_eq!(
            wait.feed(page(vec![], true), |_, _| id(5)),
            Waited::GaveUp(Box::new(row("Stopping")))
        );
    }
}
