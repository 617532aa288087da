//! Delivering the image once it is Available, as the submitted spec's `[delivery]` asks: the
//! actions planned up front (so the pane lists what is still to come), then each one moved
//! along by the engine's events (`crate::delivery`), which the runner forwards. Running the
//! engine again — a retry, or coming back to the Submit step after leaving — skips what the journal
//! has done.

use chrono::{DateTime, Utc};

use super::{Build, SubmitStep, Tone};
use crate::api::ApiError;
use crate::api::lenient::parse_percent;
use crate::delivery::{self, ActionResult, Event, Purpose, Summary, key};
use crate::spec::ImageSpec;
use crate::tui::effect::Call;
use crate::tui::error_report::ErrorReport;
use crate::tui::msg::{Delivered, Loaded, RequestId};
use crate::tui::steps::StepCtx;
use crate::watch::Estimate;

/// Where one action stands.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum State {
    /// Not reached yet.
    Pending,
    /// A copy CopyImage accepted, building in its region.
    Running,
    /// Done in this run; for a copy, the copy's ID.
    Done(Option<String>),
    /// The journal says an earlier run did it.
    AlreadyDone(Option<String>),
    /// A retirement candidate kept, and why.
    LeftAlone(String),
    /// The call failed, explained as the error popup explains it.
    Failed(Box<ErrorReport>),
    /// Nothing to do after all (no older image to retire, no snapshot to tag), and why.
    Nothing(String),
    /// The run ended without it, and why.
    Skipped(String),
}

/// A copy as it builds in its region.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Copy {
    pub(super) image_id: String,
    pub(super) status: String,
    pub(super) percent: Option<u8>,
    /// When it was first seen in this run: the estimate's zero.
    since: DateTime<Utc>,
    estimate: Estimate,
    /// Made by an earlier run (the journal's), watched again by this one.
    earlier: bool,
}

impl Copy {
    /// The time left at the rate the copy has moved.
    pub(super) fn remaining(&self) -> Option<std::time::Duration> {
        self.estimate.remaining()
    }
}

/// One action of the delivery.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    /// The engine's journal key (`copy cn-beijing`, `retire cn-hangzhou m-…`).
    pub(super) key: String,
    pub(super) region: String,
    /// What it does, in words: planned, then the engine's own words once it reports.
    pub(super) what: String,
    pub(super) state: State,
    pub(super) copy: Option<Copy>,
}

impl Row {
    fn planned(action: &str, region: &str, what: String) -> Row {
        Row {
            key: key(action, region),
            region: region.to_string(),
            what,
            state: State::Pending,
            copy: None,
        }
    }

    fn is_copy(&self) -> bool {
        self.key.starts_with("copy ")
    }
}

/// The totals the pane, the farewell and the log show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) done: usize,
    pub(super) failed: usize,
    pub(super) left_alone: usize,
    /// Pending, running or skipped.
    pub(super) not_run: usize,
}

/// The delivery of one build.
#[derive(Debug)]
pub(super) struct Delivery {
    /// The journal's submission, which the engine reads the spec from.
    submission_id: String,
    /// The image's region, then the copies': a client for each.
    regions: Vec<String>,
    pub(super) rows: Vec<Row>,
    /// The engine at work.
    pub(super) run: Option<RequestId>,
    /// How the last run ended; `None` before one did.
    pub(super) ended: Option<Summary>,
    /// The failed row whose explanation Enter shows.
    pub(super) selected: Option<usize>,
}

impl Delivery {
    /// The actions `spec`'s `[delivery]` asks for, in the engine's order, all pending; `None`
    /// when it asks for nothing. A retirement is one row per region until the engine lists
    /// the images it takes.
    pub(super) fn plan(spec: &ImageSpec, submission_id: &str) -> Option<Delivery> {
        let delivery = spec.delivery.as_ref().filter(|d| !d.is_empty())?;
        let source = spec.region.as_str();
        // Family calls are planned only when there is one.
        let family = spec.image.family.as_deref().unwrap_or_default();
        let image = |region: &str| {
            if region == source {
                "the image"
            } else {
                "the copy"
            }
        };
        let mut rows: Vec<Row> = Vec::new();
        // The engine's plan, one row per journaled action: a share of many accounts is
        // several calls but one action, and a copy's row is where it is watched.
        for call in delivery::plan(spec) {
            let region = call.region.as_str();
            let (action, what) = match call.purpose {
                Purpose::Share => (
                    "share",
                    format!(
                        "share {} in {region} with {}",
                        image(region),
                        delivery.share_with.join(", ")
                    ),
                ),
                Purpose::TagSnapshots => (
                    "tag",
                    format!("tag the snapshots of {} in {region}", image(region)),
                ),
                Purpose::WatchCopy => ("copy", format!("copy the image to {region}")),
                Purpose::JoinFamily => (
                    "family",
                    format!("put the copy in family {family} in {region}"),
                ),
                Purpose::ListFamily => {
                    let Some(retire) = delivery.retire else {
                        continue;
                    };
                    (
                        "retire",
                        format!(
                            "{} the images of family {family} in {region} past the newest {}",
                            retire.action, retire.keep
                        ),
                    )
                }
                Purpose::Copy | Purpose::Retire => continue,
            };
            let row = Row::planned(action, region, what);
            if rows.last().is_none_or(|last| last.key != row.key) {
                rows.push(row);
            }
        }
        Some(Delivery {
            submission_id: submission_id.to_string(),
            regions: delivery::regions(spec),
            rows,
            run: None,
            ended: None,
            selected: None,
        })
    }

    pub(super) fn running(&self) -> bool {
        self.run.is_some()
    }

    /// A run was cut short (the step left, an answer left open whether ECS acted): running
    /// the engine again finishes it.
    pub(super) fn unfinished(&self) -> bool {
        !self.running() && self.ended.is_some_and(|s| s.interrupted || s.unfinished)
    }

    /// The last run ended with failures `r` can send again, or before its end.
    pub(super) fn retryable(&self) -> bool {
        !self.running() && self.ended.is_some() && (self.counts().failed > 0 || self.unfinished())
    }

    pub(super) fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for row in &self.rows {
            match row.state {
                State::Done(_) | State::AlreadyDone(_) | State::Nothing(_) => counts.done += 1,
                State::Failed(_) => counts.failed += 1,
                State::LeftAlone(_) => counts.left_alone += 1,
                State::Pending | State::Running | State::Skipped(_) => counts.not_run += 1,
            }
        }
        counts
    }

    /// Failed and skipped actions become pending again, for a run that sends them.
    fn reopen(&mut self) {
        for row in &mut self.rows {
            if matches!(row.state, State::Failed(_) | State::Skipped(_)) {
                row.state = State::Pending;
                if row.is_copy() {
                    row.copy = None;
                }
            }
        }
        self.selected = None;
    }

    /// The run stopped without its end (cancelled): what was under way is pending again.
    pub(super) fn interrupt(&mut self) {
        self.run = None;
        for row in &mut self.rows {
            if row.state == State::Running {
                row.state = State::Pending;
            }
        }
        let mut summary = self.ended.unwrap_or_default();
        summary.interrupted = true;
        self.ended = Some(summary);
    }

    /// One engine event, seen at `now`.
    pub(super) fn event(&mut self, event: Event, now: DateTime<Utc>) {
        match event {
            Event::Copy {
                region,
                image_id,
                status,
                progress,
            } => {
                let Some(row) = self.rows.iter_mut().find(|r| r.key == key("copy", &region)) else {
                    return;
                };
                let copy = row.copy.get_or_insert_with(|| Copy {
                    image_id: image_id.clone(),
                    status: String::new(),
                    percent: None,
                    since: now,
                    estimate: Estimate::default(),
                    earlier: false,
                });
                let available = status == "Available";
                copy.percent = if available {
                    Some(100)
                } else {
                    parse_percent(&progress)
                };
                if let Some(percent) = copy.percent {
                    let elapsed = (now - copy.since).to_std().unwrap_or_default();
                    copy.estimate.record(elapsed, percent);
                }
                copy.image_id = image_id;
                copy.status = status;
                let id = Some(copy.image_id.clone());
                row.state = match (available, copy.earlier) {
                    (true, true) => State::AlreadyDone(id),
                    (true, false) => State::Done(id),
                    (false, _) => State::Running,
                };
            }
            Event::Action { key, what, result } => self.action(key, what, result, now),
        }
    }

    fn action(&mut self, key: String, what: String, result: ActionResult, now: DateTime<Utc>) {
        let at = self.place(&key);
        self.pass_over(at);
        let row = &mut self.rows[at];
        let done_before = matches!(row.state, State::Done(_));
        let earlier = !done_before && matches!(result, ActionResult::AlreadyDone(_));
        row.state = match result {
            // CopyImage answered: the copy builds now, and its events follow.
            ActionResult::Done(Some(id)) | ActionResult::AlreadyDone(Some(id)) if row.is_copy() => {
                row.copy = Some(Copy {
                    image_id: id,
                    status: "Submitted".into(),
                    percent: None,
                    since: now,
                    estimate: Estimate::default(),
                    earlier,
                });
                State::Running
            }
            ActionResult::Done(id) => State::Done(id),
            // Done by this wizard's earlier run: still simply done.
            ActionResult::AlreadyDone(_) if done_before => row.state.clone(),
            ActionResult::AlreadyDone(id) => State::AlreadyDone(id),
            ActionResult::LeftAlone(why) => State::LeftAlone(why),
            // Explained as the error popup explains any failed call.
            ActionResult::Failed(error) => {
                State::Failed(Box::new(ErrorReport::from_api(&what, &error, false)))
            }
            ActionResult::Broken(why) => State::Failed(Box::new(ErrorReport {
                doing: what.clone(),
                message: why,
                code: None,
                meaning: None,
                fix: None,
                request_id: None,
                recommend: None,
                retry: false,
            })),
        };
        row.what = what;
        if matches!(row.state, State::Failed(_)) && self.selected.is_none() {
            self.selected = Some(at);
        }
    }

    /// The row of `key`: the planned one, else a new one — a retirement's image goes where
    /// its region's retirement is planned (the plan's row makes way for the first), any other
    /// action the plan did not know of where the engine is, before the first pending row.
    fn place(&mut self, key: &str) -> usize {
        if let Some(at) = self.rows.iter().position(|r| r.key == key) {
            return at;
        }
        let mut words = key.splitn(3, ' ');
        let (action, region) = (words.next().unwrap_or_default(), words.next());
        let region = region.unwrap_or_default().to_string();
        let row = Row {
            key: key.to_string(),
            region: region.clone(),
            what: key.to_string(),
            state: State::Pending,
            copy: None,
        };
        if action == "retire" && words.next().is_some() {
            let prefix = format!("retire {region} ");
            if let Some(last) = self.rows.iter().rposition(|r| r.key.starts_with(&prefix)) {
                self.rows.insert(last + 1, row);
                return last + 1;
            }
            let planned = crate::delivery::key("retire", &region);
            if let Some(at) = self
                .rows
                .iter()
                .position(|r| r.key == planned && r.state == State::Pending)
            {
                self.rows[at] = row;
                return at;
            }
        }
        let at = self
            .rows
            .iter()
            .position(|r| r.state == State::Pending)
            .unwrap_or(self.rows.len());
        self.rows.insert(at, row);
        at
    }

    /// The engine goes in order: actions before `at` still pending were passed over, and a
    /// copy it moved on from is Available (it leaves a copy only then, or with a failure).
    fn pass_over(&mut self, at: usize) {
        for i in 0..at {
            match &self.rows[i].state {
                State::Pending => self.rows[i].state = self.passed_over(i),
                State::Running => {
                    let copy = self.rows[i].copy.as_ref();
                    let id = copy.map(|c| c.image_id.clone());
                    self.rows[i].state = if copy.is_some_and(|c| c.earlier) {
                        State::AlreadyDone(id)
                    } else {
                        State::Done(id)
                    };
                }
                _ => {}
            }
        }
    }

    /// Why the engine passed over row `i`: something it depends on failed, or it had nothing
    /// to do.
    fn passed_over(&self, i: usize) -> State {
        let row = &self.rows[i];
        let failed_in_region = |action: &str| {
            self.rows.iter().any(|r| {
                r.key == key(action, &row.region)
                    && matches!(r.state, State::Failed(_) | State::Skipped(_))
            })
        };
        if row.key != key("copy", &row.region) && failed_in_region("copy") {
            State::Skipped(format!("the copy to {} did not finish", row.region))
        } else if row.key.starts_with("retire ") && failed_in_region("family") {
            State::Skipped(format!(
                "the copy in {} did not join the family",
                row.region
            ))
        } else if row.key.starts_with("retire ") {
            State::Nothing("no image of the family is past the ones kept".into())
        } else if row.key.starts_with("tag ") {
            State::Nothing("the image lists no snapshots to tag".into())
        } else {
            State::Skipped("an earlier failure stopped it".into())
        }
    }

    /// The run's totals arrived: it is over.
    fn ended(&mut self, summary: Summary) {
        self.run = None;
        self.ended = Some(summary);
        if summary.interrupted {
            for row in &mut self.rows {
                if row.state == State::Running {
                    row.state = State::Pending;
                }
            }
        } else {
            self.pass_over(self.rows.len());
        }
    }

    /// Moves the selection to the next failed row (after the last, the first).
    pub(super) fn select_next_failure(&mut self) {
        let failed: Vec<usize> = (0..self.rows.len())
            .filter(|&i| matches!(self.rows[i].state, State::Failed(_)))
            .collect();
        self.selected = match self.selected {
            Some(now) => failed
                .iter()
                .copied()
                .find(|&i| i > now)
                .or(failed.first().copied()),
            None => failed.first().copied(),
        };
    }

    /// The explanation of the selected failed row.
    pub(super) fn selected_report(&self) -> Option<&ErrorReport> {
        match &self.rows.get(self.selected?)?.state {
            State::Failed(report) => Some(report),
            _ => None,
        }
    }
}

impl SubmitStep {
    /// Starts the delivery engine on the build's image (again: what is done is skipped).
    pub(super) fn deliver(build: &mut Build, ctx: &mut StepCtx) {
        let Some(delivery) = &mut build.delivery else {
            return;
        };
        if delivery.running() {
            return;
        }
        let again = delivery.ended.is_some();
        delivery.reopen();
        delivery.run = Some(ctx.call(Call::Deliver {
            submission_id: delivery.submission_id.clone(),
            image_id: build.image_id.clone(),
            regions: delivery.regions.clone(),
        }));
        let text = if again {
            "Delivering again: what the journal has done is skipped"
        } else {
            "Delivering: the actions of [delivery]"
        };
        build.log(ctx.now, Tone::Info, text);
    }

    pub(super) fn delivered(
        build: &mut Build,
        result: Result<Loaded, ApiError>,
        ctx: &mut StepCtx,
    ) {
        let Some(delivery) = &mut build.delivery else {
            return;
        };
        match result {
            Ok(Loaded::Delivery(Delivered::Event(event))) => delivery.event(*event, ctx.now),
            Ok(Loaded::Delivery(Delivered::Ended(summary))) => {
                delivery.ended(summary);
                let Counts {
                    done,
                    failed,
                    left_alone,
                    ..
                } = delivery.counts();
                let (tone, how) = if summary.interrupted {
                    (Tone::Warn, "stopped")
                } else if failed > 0 {
                    (Tone::Bad, "ended with failures")
                } else {
                    (Tone::Good, "ended")
                };
                build.log(
                    ctx.now,
                    tone,
                    format!(
                        "Delivery {how}: {done} done, {failed} failed, {left_alone} left alone"
                    ),
                );
            }
            Ok(_) => {}
            // The runner reports its own failures as events; nothing else comes as an error.
            Err(error) => {
                delivery.interrupt();
                build.log(ctx.now, Tone::Bad, format!("Delivery stopped: {error}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{DeliverySpec, RetireAction, RetirePlan, Tag};
    use crate::tui::testing::now;

    fn spec() -> ImageSpec {
        let mut spec = ImageSpec {
            region: "cn-hangzhou".into(),
            ..ImageSpec::default()
        };
        spec.image.family = Some("web".into());
        spec.tags = vec![Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        spec.delivery = Some(DeliverySpec {
            copy_to: vec!["cn-beijing".into()],
            tag_snapshots: true,
            retire: Some(RetirePlan {
                keep: 1,
                action: RetireAction::Delete,
            }),
            ..DeliverySpec::default()
        });
        spec
    }

    fn keys(delivery: &Delivery) -> Vec<&str> {
        delivery.rows.iter().map(|r| r.key.as_str()).collect()
    }

    fn act(delivery: &mut Delivery, key: &str, result: ActionResult) {
        delivery.event(
            Event::Action {
                key: key.into(),
                what: key.into(),
                result,
            },
            now(),
        );
    }

    #[test]
    fn nothing_asked_plans_nothing() {
        let mut spec = spec();
        assert!(Delivery::plan(&spec, "s").is_some());
        spec.delivery = Some(DeliverySpec::default());
        assert!(Delivery::plan(&spec, "s").is_none());
        spec.delivery = None;
        assert!(Delivery::plan(&spec, "s").is_none());
    }

    #[test]
    fn the_plan_is_the_engines_order_with_its_keys() {
        let delivery = Delivery::plan(&spec(), "s").expect("a plan");
        assert_eq!(
            keys(&delivery),
            [
                "tag cn-hangzhou",
                "copy cn-beijing",
                "family cn-beijing",
                "tag cn-beijing",
                "retire cn-hangzhou",
                "retire cn-beijing",
            ]
        );
        assert_eq!(delivery.regions, ["cn-hangzhou", "cn-beijing"]);
        assert_eq!(delivery.counts().not_run, 6);
    }

    #[test]
    fn retirements_take_their_regions_place_in_the_engines_order() {
        let mut delivery = Delivery::plan(&spec(), "s").expect("a plan");
        // No snapshots in the source region: the engine goes straight to the copy.
        act(
            &mut delivery,
            "copy cn-beijing",
            ActionResult::Done(Some("m-copy".into())),
        );
        assert_eq!(
            delivery.rows[0].state,
            State::Nothing("the image lists no snapshots to tag".into())
        );
        assert_eq!(delivery.rows[1].state, State::Running);
        act(&mut delivery, "family cn-beijing", ActionResult::Done(None));
        act(&mut delivery, "tag cn-beijing", ActionResult::Done(None));
        act(
            &mut delivery,
            "retire cn-hangzhou m-a",
            ActionResult::Done(None),
        );
        act(
            &mut delivery,
            "retire cn-hangzhou m-b",
            ActionResult::LeftAlone("in use".into()),
        );
        act(
            &mut delivery,
            "retire cn-beijing m-c",
            ActionResult::Done(None),
        );
        assert_eq!(
            keys(&delivery)[4..],
            [
                "retire cn-hangzhou m-a",
                "retire cn-hangzhou m-b",
                "retire cn-beijing m-c",
            ]
        );
        delivery.ended(Summary::default());
        assert_eq!(
            delivery.counts(),
            Counts {
                done: 6,
                failed: 0,
                left_alone: 1,
                not_run: 0,
            }
        );
        assert!(!delivery.retryable());
    }

    #[test]
    fn an_action_the_plan_did_not_know_goes_where_the_engine_is() {
        let mut delivery = Delivery::plan(&spec(), "s").expect("a plan");
        act(&mut delivery, "tag cn-hangzhou", ActionResult::Done(None));
        act(
            &mut delivery,
            "discard cn-beijing m-failed",
            ActionResult::Done(None),
        );
        assert_eq!(
            keys(&delivery)[..3],
            [
                "tag cn-hangzhou",
                "discard cn-beijing m-failed",
                "copy cn-beijing"
            ]
        );
        assert_eq!(delivery.rows[2].state, State::Pending, "not passed over");
        act(
            &mut delivery,
            "copy cn-beijing",
            ActionResult::Done(Some("m-copy".into())),
        );
        assert_eq!(delivery.rows[2].state, State::Running);
    }

    #[test]
    fn an_interrupt_leaves_the_rest_pending_for_the_next_run() {
        let mut delivery = Delivery::plan(&spec(), "s").expect("a plan");
        act(&mut delivery, "tag cn-hangzhou", ActionResult::Done(None));
        act(
            &mut delivery,
            "copy cn-beijing",
            ActionResult::Done(Some("m-copy".into())),
        );
        delivery.ended(Summary {
            interrupted: true,
            ..Summary::default()
        });
        assert_eq!(delivery.rows[1].state, State::Pending, "the copy waits");
        assert_eq!(delivery.rows[2].state, State::Pending);
        assert!(delivery.unfinished());
        assert!(delivery.retryable());
        // The next run finds the copy in the journal and watches it again.
        act(
            &mut delivery,
            "copy cn-beijing",
            ActionResult::AlreadyDone(Some("m-copy".into())),
        );
        delivery.event(
            Event::Copy {
                region: "cn-beijing".into(),
                image_id: "m-copy".into(),
                status: "Available".into(),
                progress: "100%".into(),
            },
            now(),
        );
        assert_eq!(
            delivery.rows[1].state,
            State::AlreadyDone(Some("m-copy".into()))
        );
    }
}
