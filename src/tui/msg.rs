//! Everything that can happen to the wizard, as data: terminal input, time, and the results of
//! the work [`Effect`](super::effect::Effect)s started.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use super::launch::Session;
use super::steps::Step;
use crate::api::ApiError;
use crate::api::model::{Disk, Image, Instance, InstanceResponse, Region, Snapshot};

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
    /// DescribeImages for [`Call::ImagesNamed`](super::effect::Call::ImagesNamed): the
    /// account's own images whose name *contains* the one asked for (the API matches fuzzily),
    /// in every status. Compare names exactly before calling one a duplicate.
    Images(Vec<Image>),
    /// StopInstances: one result per instance.
    Stopping(Vec<InstanceResponse>),
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
