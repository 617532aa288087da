//! Everything that can happen to the wizard, as data: terminal input, time, and the results of
//! the work [`Effect`](super::effect::Effect)s started.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use super::launch::Session;
use super::steps::Step;
use crate::api::model::{Disk, Image, Instance, InstanceResponse, Region, Snapshot};
use crate::api::{ApiError, CreateImageOutcome};
use crate::watch::WatchEvent;

/// Who asked for a piece of async work, so its result goes back to the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// The app itself (the region list).
    App,
    Step(Step),
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
    /// CreateImage sent with `DryRun=true`: `DryRunPassed`, or `Created` from an endpoint that
    /// ignored the flag.
    DryRun(CreateImageOutcome),
    /// What became of a submission ([`Call::Submit`](super::effect::Call::Submit)).
    Submitted(Box<Submitted>),
    /// One event of a watch ([`Call::Watch`](super::effect::Call::Watch)); the last is
    /// `WatchEvent::Finished`.
    Watch(Box<WatchEvent>),
    /// DeleteImage answered with this RequestId.
    Deleted {
        request_id: String,
    },
    /// What became of a file write ([`Call::SaveFile`](super::effect::Call::SaveFile)).
    Saved(Saved),
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
}

/// The journal-then-send sequence of a submission, as it ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// The journal could not record the submission, so CreateImage was not sent.
    NotSent { reason: String },
    /// CreateImage was sent (after the journal recorded it); its answer.
    Sent {
        /// The journal's id of the submission; send it again under this id when `settled` is
        /// false.
        submission_id: String,
        /// The journal file.
        journal: PathBuf,
        answer: Result<CreateImageOutcome, ApiError>,
        /// Whether the journal holds the outcome. False after an answer that leaves open
        /// whether ECS acted (a timeout, a 5xx): the same request must be sent again.
        settled: bool,
        /// Why the journal could not record the answer (the image exists all the same).
        journal_problem: Option<String>,
    },
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
    SandboxStarted(Result<Session, String>),
}
