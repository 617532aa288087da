//! Everything that can happen to the wizard, as data: terminal input, time, and the results of
//! the work [`Effect`](super::effect::Effect)s started.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::launch::Connection;
use super::step::Step;
use crate::api::model::{Disk, Image, Instance, InstanceResponse, Region, ResourceGroup, Snapshot};
use crate::api::{ApiError, CreateImageAnswer};
use crate::delivery::{ActionResult, Check, CheckOutcome, Event as DeliveryEvent, Summary};
use crate::submission::Submitted;
use crate::text::escape_in_place;
use crate::watch::{WatchEnd, WatchEvent};

/// Who asked for a piece of async work, so its result goes back to the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// The app itself (the region list).
    App,
    Step(Step),
    /// Starting again the instance ecsimg stopped ([`super::restart`]).
    Restart,
}

/// Identifies one request; results carry it back. A step keeps the ids it is waiting for and
/// drops results whose id it no longer expects (the user left, refreshed or switched region).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId {
    pub owner: Owner,
    pub seq: u64,
}

/// One page of a listing. Listings stream: every page arrives on its own (the first is shown at
/// once), then a final empty page with `last: true`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub last: bool,
}

/// A successful API result.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    Regions(Vec<Region>),
    Instances(Page<Instance>),
    Snapshots(Page<Snapshot>),
    Disks(Page<Disk>),
    /// DescribeImages: for [`Call::ImagesNamed`](super::effect::Call::ImagesNamed), the
    /// account's own images whose name *contains* the one asked for (the API matches fuzzily),
    /// in every status — compare names exactly before calling one a duplicate; for
    /// [`Call::Images`](super::effect::Call::Images), what its query matched.
    Images(Vec<Image>),
    /// StopInstances: one result per instance.
    Stopping(Vec<InstanceResponse>),
    /// StartInstances: one result per instance.
    Starting(Vec<InstanceResponse>),
    /// CreateImage sent with `DryRun=true`: `DryRunPassed`, or `Created` from an endpoint that
    /// ignored the flag.
    DryRun(CreateImageAnswer),
    /// The delivery's DryRun: one check per call, in the plan's order.
    DeliveryChecks(Vec<Check>),
    /// What became of a submission ([`Call::Submit`](super::effect::Call::Submit)).
    Submitted(Box<Submitted>),
    /// One event of a watch ([`Call::Watch`](super::effect::Call::Watch)); the last is
    /// `WatchEvent::Finished`.
    Watch(Box<WatchEvent>),
    /// One step of a delivery ([`Call::Deliver`](super::effect::Call::Deliver)).
    Delivery(Delivered),
    /// DeleteImage answered with this RequestId.
    Deleted {
        request_id: String,
    },
    /// What became of a file write ([`Call::SaveFile`](super::effect::Call::SaveFile)).
    Saved(Saved),
    /// A page of the account's resource groups (Resource Manager).
    ResourceGroups(Page<ResourceGroup>),
    /// The account ID (digits only, checked by the client) the credentials belong to.
    Account(String),
}

impl Loaded {
    /// The page of instances this is, if it is one.
    pub fn instances(self) -> Option<Page<Instance>> {
        match self {
            Loaded::Instances(page) => Some(page),
            _ => None,
        }
    }

    /// The page of snapshots this is, if it is one.
    pub fn snapshots(self) -> Option<Page<Snapshot>> {
        match self {
            Loaded::Snapshots(page) => Some(page),
            _ => None,
        }
    }

    /// The page of resource groups this is, if it is one.
    pub fn resource_groups(self) -> Option<Page<ResourceGroup>> {
        match self {
            Loaded::ResourceGroups(page) => Some(page),
            _ => None,
        }
    }
}

impl Loaded {
    /// The same answer with every string the server sent escaped for the terminal
    /// ([`escape`](crate::text::escape)): done once, where answers enter the wizard,
    /// so no step can show a raw one.
    pub fn escaped(self) -> Loaded {
        match self {
            Loaded::Regions(rows) => Loaded::Regions(escaped(rows)),
            Loaded::Instances(page) => Loaded::Instances(page.escaped()),
            Loaded::Snapshots(page) => Loaded::Snapshots(page.escaped()),
            Loaded::Disks(page) => Loaded::Disks(page.escaped()),
            Loaded::Images(rows) => Loaded::Images(escaped(rows)),
            Loaded::Stopping(rows) => Loaded::Stopping(escaped(rows)),
            Loaded::Starting(rows) => Loaded::Starting(escaped(rows)),
            Loaded::DryRun(outcome) => Loaded::DryRun(escaped_outcome(outcome)),
            Loaded::DeliveryChecks(checks) => {
                Loaded::DeliveryChecks(checks.into_iter().map(escaped_check).collect())
            }
            Loaded::Submitted(submitted) => Loaded::Submitted(Box::new(match *submitted {
                Submitted::Sent {
                    submission_id,
                    journal,
                    answer,
                    settled,
                    journal_problem,
                } => Submitted::Sent {
                    submission_id,
                    journal,
                    answer: answer.map(escaped_outcome).map_err(escaped_error),
                    settled,
                    journal_problem,
                },
                not_sent @ Submitted::NotSent { .. } => not_sent,
            })),
            Loaded::Watch(event) => Loaded::Watch(Box::new(escaped_event(*event))),
            Loaded::Delivery(Delivered::Event(event)) => {
                Loaded::Delivery(Delivered::Event(Box::new(escaped_delivery(*event))))
            }
            ended @ Loaded::Delivery(Delivered::Ended(_)) => ended,
            Loaded::Deleted { mut request_id } => {
                escape_in_place(&mut request_id);
                Loaded::Deleted { request_id }
            }
            saved @ Loaded::Saved(_) => saved,
            Loaded::ResourceGroups(page) => Loaded::ResourceGroups(page.escaped()),
            // Digits only: the client refuses any other answer.
            account @ Loaded::Account(_) => account,
        }
    }
}

impl<T: Serialize + DeserializeOwned> Page<T> {
    fn escaped(self) -> Page<T> {
        Page {
            rows: escaped(self.rows),
            last: self.last,
        }
    }
}

/// Escapes every string of a model value. The model types are the wire's own shapes and all
/// serialize, so one pass over their JSON reaches every field, including fields added later;
/// a value that does not survive the round trip (none should) is kept as it was.
fn escaped<T: Serialize + DeserializeOwned>(value: T) -> T {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => escape_in_place(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(walk),
            _ => {}
        }
    }
    let Ok(mut json) = serde_json::to_value(&value) else {
        return value;
    };
    walk(&mut json);
    serde_json::from_value(json).unwrap_or(value)
}

fn escaped_outcome(outcome: CreateImageAnswer) -> CreateImageAnswer {
    match outcome {
        CreateImageAnswer::Created {
            mut image_id,
            mut request_id,
            mut client_token,
        } => {
            for s in [&mut image_id, &mut request_id, &mut client_token] {
                escape_in_place(s);
            }
            CreateImageAnswer::Created {
                image_id,
                request_id,
                client_token,
            }
        }
        CreateImageAnswer::DryRunPassed { mut request_id } => {
            escape_in_place(&mut request_id);
            CreateImageAnswer::DryRunPassed { request_id }
        }
    }
}

/// A delivery check with what the server named in it escaped (image IDs from a listing, the
/// RequestId, the refusal).
fn escaped_check(mut check: Check) -> Check {
    escape_in_place(&mut check.what);
    check.outcome = match check.outcome {
        CheckOutcome::Passed { mut request_id } => {
            escape_in_place(&mut request_id);
            CheckOutcome::Passed { request_id }
        }
        CheckOutcome::PassedBeforeImage { mut request_id } => {
            escape_in_place(&mut request_id);
            CheckOutcome::PassedBeforeImage { request_id }
        }
        CheckOutcome::NotChecked(mut reason) => {
            escape_in_place(&mut reason);
            CheckOutcome::NotChecked(reason)
        }
        CheckOutcome::Failed(error) => CheckOutcome::Failed(escaped_error(error)),
    };
    check
}

/// An error with the text a server (or a broken answer) put in it escaped.
pub fn escaped_error(error: ApiError) -> ApiError {
    match error {
        ApiError::Service(mut e) => {
            for s in [
                &mut e.code,
                &mut e.message,
                &mut e.request_id,
                &mut e.recommend,
                &mut e.host_id,
            ] {
                escape_in_place(s);
            }
            ApiError::Service(e)
        }
        ApiError::Decode {
            http_status,
            mut what,
            mut excerpt,
        } => {
            escape_in_place(&mut what);
            escape_in_place(&mut excerpt);
            ApiError::Decode {
                http_status,
                what,
                excerpt,
            }
        }
        ApiError::Transport { kind, mut detail } => {
            escape_in_place(&mut detail);
            ApiError::Transport { kind, detail }
        }
        ApiError::Timeout { mut detail } => {
            escape_in_place(&mut detail);
            ApiError::Timeout { detail }
        }
        other => other,
    }
}

fn escaped_event(event: WatchEvent) -> WatchEvent {
    let image = |image: Option<Image>| image.map(escaped);
    match event {
        WatchEvent::Progress {
            image_id,
            image,
            elapsed,
            remaining,
        } => WatchEvent::Progress {
            image_id,
            image: escaped(image),
            elapsed,
            remaining,
        },
        WatchEvent::StatusChanged {
            image_id,
            mut from,
            mut to,
            elapsed,
        } => {
            if let Some(from) = &mut from {
                escape_in_place(from);
            }
            escape_in_place(&mut to);
            WatchEvent::StatusChanged {
                image_id,
                from,
                to,
                elapsed,
            }
        }
        WatchEvent::Retrying {
            error,
            delay,
            attempt,
        } => WatchEvent::Retrying {
            error: escaped_error(error),
            delay,
            attempt,
        },
        WatchEvent::Finished {
            image_id,
            outcome,
            elapsed,
        } => WatchEvent::Finished {
            image_id,
            outcome: match outcome {
                WatchEnd::Available(i) => WatchEnd::Available(escaped(i)),
                WatchEnd::Failed { image: i, reason } => WatchEnd::Failed {
                    image: image(i),
                    reason,
                },
                WatchEnd::TimedOut { last } => WatchEnd::TimedOut { last: image(last) },
                WatchEnd::Error(e) => WatchEnd::Error(escaped_error(e)),
            },
            elapsed,
        },
        not_visible @ WatchEvent::NotVisibleYet { .. } => not_visible,
    }
}

/// What a delivery reports: its events as they come, then its totals.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    Event(Box<DeliveryEvent>),
    Ended(Summary),
}

/// A delivery event with every string from a server (image IDs, statuses, errors, reasons)
/// escaped.
fn escaped_delivery(event: DeliveryEvent) -> DeliveryEvent {
    let text = |mut s: String| {
        escape_in_place(&mut s);
        s
    };
    match event {
        DeliveryEvent::Action { key, what, result } => DeliveryEvent::Action {
            key: text(key),
            what: text(what),
            result: match result {
                ActionResult::Done(id) => ActionResult::Done(id.map(text)),
                ActionResult::AlreadyDone(id) => ActionResult::AlreadyDone(id.map(text)),
                ActionResult::LeftAlone(why) => ActionResult::LeftAlone(text(why)),
                ActionResult::Failed(e) => ActionResult::Failed(escaped_error(e)),
                ActionResult::Broken(why) => ActionResult::Broken(text(why)),
            },
        },
        DeliveryEvent::Copy {
            region,
            image_id,
            status,
            progress,
        } => DeliveryEvent::Copy {
            region: text(region),
            image_id: text(image_id),
            status: text(status),
            progress: text(progress),
        },
    }
}

/// What became of a file write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Written {
        path: PathBuf,
    },
    /// Not replaced: the file exists and the write did not say to replace it.
    Exists {
        path: PathBuf,
    },
    Failed {
        path: PathBuf,
        reason: String,
    },
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// Time passes (sent only while something is in flight: spinners and timeouts).
    Tick(DateTime<Utc>),
    /// The answer to [`Effect::Call`](super::effect::Effect::Call) (or one page of it).
    Api {
        id: RequestId,
        result: Result<Loaded, ApiError>,
    },
    /// The sandbox the start screen asked for is up (or could not start: the reason).
    SandboxStarted(Result<Connection, String>),
    /// The runner has a client for `region` now (or could not make one, and kept the old
    /// region's: the reason).
    RegionSwitched {
        region: String,
        result: Result<(), String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::{DetectionItem, DetectionOptions, DiskDeviceMapping};
    use crate::tui::testing::{
        answer_instances, instance, only_call, sample_instances, sample_snapshots, screen_text,
        service_error, wizard,
    };

    fn image() -> Image {
        let mut image = Image {
            image_id: "m-1".into(),
            image_name: "web".into(),
            status: "Creating".into(),
            progress: "45%".into(),
            size: 40,
            ..Image::default()
        };
        image
            .disk_device_mappings
            .disk_device_mapping
            .push(DiskDeviceMapping {
                snapshot_id: "s-1".into(),
                size: "40".into(),
                remain_time: 12,
                ..DiskDeviceMapping::default()
            });
        image.detection_options = DetectionOptions {
            status: "Finished".into(),
            ..DetectionOptions::default()
        };
        image.detection_options.items.item.push(DetectionItem {
            name: "NvmeDriver".into(),
            risk_level: "High".into(),
            ..DetectionItem::default()
        });
        image
    }

    #[test]
    fn escaping_keeps_clean_answers_as_they_are() {
        let instances = sample_instances();
        assert_eq!(escaped(instances.clone()), instances);
        let snapshots = sample_snapshots();
        assert_eq!(escaped(snapshots.clone()), snapshots);
        assert_eq!(escaped(vec![image()]), vec![image()]);
    }

    #[test]
    fn server_strings_are_escaped_where_answers_enter() {
        let mut evil = instance("i-bp1evil", "web\u{1b}[2J\u{202e}cod.exe", "Stopped");
        evil.os_name_en = "Linux\r\u{9b}".into();
        let Loaded::Instances(page) = Loaded::Instances(Page {
            rows: vec![evil],
            last: true,
        })
        .escaped() else {
            unreachable!("the same variant")
        };
        assert_eq!(page.rows[0].instance_name, "web\\u{1b}[2J\\u{202e}cod.exe");
        assert_eq!(page.rows[0].os_name_en, "Linux\\r\\u{9b}");

        let error = escaped_error(service_error("Bad\u{7}", "no\u{1b}]0;pwned\u{7}"));
        assert_eq!(error.code(), Some("Bad\\u{7}"));

        // Through `update`: the picker holds and shows the escaped name.
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer_instances(
            &mut app,
            id,
            vec![instance("i-bp1evil", "a\u{1b}]52;c;eA==\u{7}b", "Stopped")],
        );
        assert_eq!(
            app.steps.source.instances().rows()[0].instance_name,
            "a\\u{1b}]52;c;eA==\\u{7}b"
        );
        assert!(screen_text(&app, 160, 48).contains("a\\u{1b}]52;c;eA==\\u{7}b"));
    }

    #[test]
    fn delivery_events_are_escaped_where_they_enter() {
        let event = DeliveryEvent::Action {
            key: "retire cn-hangzhou m-\u{1b}[2J".into(),
            what: "deprecate m-\u{1b}[2J".into(),
            result: ActionResult::LeftAlone("shared\u{202e}".into()),
        };
        let Loaded::Delivery(Delivered::Event(event)) =
            Loaded::Delivery(Delivered::Event(Box::new(event))).escaped()
        else {
            unreachable!("the same variant")
        };
        assert_eq!(
            *event,
            DeliveryEvent::Action {
                key: "retire cn-hangzhou m-\\u{1b}[2J".into(),
                what: "deprecate m-\\u{1b}[2J".into(),
                result: ActionResult::LeftAlone("shared\\u{202e}".into()),
            }
        );
        let failed = DeliveryEvent::Action {
            key: "share cn-hangzhou".into(),
            what: "share".into(),
            result: ActionResult::Failed(service_error("Bad\u{7}", "no")),
        };
        let Loaded::Delivery(Delivered::Event(event)) =
            Loaded::Delivery(Delivered::Event(Box::new(failed))).escaped()
        else {
            unreachable!("the same variant")
        };
        let DeliveryEvent::Action {
            result: ActionResult::Failed(error),
            ..
        } = *event
        else {
            unreachable!("the same event")
        };
        assert_eq!(error.code(), Some("Bad\\u{7}"));
        let copy = DeliveryEvent::Copy {
            region: "cn-beijing".into(),
            image_id: "m-1".into(),
            status: "Creating\r".into(),
            progress: "4\u{9b}%".into(),
        };
        let Loaded::Delivery(Delivered::Event(event)) =
            Loaded::Delivery(Delivered::Event(Box::new(copy))).escaped()
        else {
            unreachable!("the same variant")
        };
        assert!(
            matches!(&*event, DeliveryEvent::Copy { status, progress, .. }
                if status == "Creating\\r" && progress == "4\\u{9b}%"),
            "{event:?}"
        );
    }

    #[test]
    fn what_ratatui_does_with_server_text_unescaped() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        use ratatui::text::Line;
        const HOSTILE: &str = "web\u{1b}]52;c;ZXZpbA==\u{7}\r\u{9b}31m\u{202e}gnp.exe\u{7f}";
        let cells = |text: &str| -> String {
            let mut terminal = Terminal::new(TestBackend::new(60, 1)).expect("terminal");
            terminal
                .draw(|f| f.render_widget(Line::raw(text), f.area()))
                .expect("draws");
            let buffer = terminal.backend().buffer().clone();
            (0..60)
                .map(|x| buffer[(x, 0)].symbol().to_owned())
                .collect()
        };
        // ratatui keeps C0/C1 controls out of the cells, leaving the rest of the sequence as
        // text with no sign that anything was there; a bidi override goes through to the
        // terminal as it is. Hence the escapes where answers enter.
        let raw = cells(HOSTILE);
        assert!(!raw.chars().any(char::is_control), "{raw:?}");
        assert!(
            raw.starts_with("web]52;c;ZXZpbA==31m\u{202e}gnp.exe"),
            "{raw:?}"
        );
        let shown = cells(&crate::text::escape(HOSTILE));
        assert!(shown.starts_with("web\\u{1b}]52;c;"), "{shown:?}");
    }
}
