//! Work `update` asks for, as data: `update` stays pure by returning [`Effect`]s, and the
//! [`Runner`](super::runner::Runner) does them.

use std::path::PathBuf;
use std::time::Duration;

use super::msg::RequestId;
#[cfg(doc)]
use super::msg::{Loaded, Msg};
use crate::api::StopOptions;
use crate::api::model::{DiskQuery, ImageQuery, InstanceQuery, SnapshotQuery};
use crate::spec::ImageSpec;
#[cfg(doc)]
use crate::submission::Submitter;

/// An API call a step wants made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// DescribeRegions → [`Loaded::Regions`].
    Regions,
    /// DescribeInstances, streamed → [`Loaded::Instances`] pages.
    Instances(InstanceQuery),
    /// DescribeSnapshots, streamed → [`Loaded::Snapshots`] pages.
    Snapshots(SnapshotQuery),
    /// DescribeDisks, streamed → [`Loaded::Disks`] pages (e.g. `instance_id` for an instance's
    /// disks).
    Disks(DiskQuery),
    /// DescribeImages of the account's own images whose name contains `name`, in every status
    /// → [`Loaded::Images`]. Used to flag a name already taken (`InvalidImageName.Duplicated`).
    ImagesNamed { name: String },
    /// StopInstances for one instance → [`Loaded::Stopping`].
    StopInstance {
        instance_id: String,
        options: StopOptions,
    },
    /// StartInstances for one instance → [`Loaded::Starting`].
    StartInstance { instance_id: String },
    /// DescribeImages, all pages → [`Loaded::Images`] (e.g. the image an instance runs).
    Images(ImageQuery),
    /// DescribeImages, all pages, in `region` (a copy's region as well as the wizard's own)
    /// → [`Loaded::Images`]: the images of a family a retirement would take.
    ImagesIn { region: String, query: ImageQuery },
    /// CreateImage with these parameters plus `DryRun=true` → [`Loaded::DryRun`].
    DryRun { params: Vec<(String, String)> },
    /// The delivery's calls checked with `DryRun=true` before the image exists
    /// (`delivery::dry_run`) → [`Loaded::DeliveryChecks`].
    DeliveryDryRun(Box<ImageSpec>),
    /// Record the submission in the journal, send CreateImage, record the answer
    /// ([`Submitter`]) → [`Loaded::Submitted`]. Nothing is sent when the journal cannot
    /// record it.
    Submit(Box<SubmitCall>),
    /// Follow an image with the watch engine (the configured polling policy) → one
    /// [`Loaded::Watch`] per event; statuses are recorded in the journal.
    Watch { image_id: String },
    /// Deliver the Available image `image_id` of the journal's submission `submission_id` as
    /// its spec's `[delivery]` says (`crate::delivery`), with a client for each of `regions`
    /// → one [`Loaded::Delivery`] per event, then its totals. What the journal has done is
    /// skipped, so running it again retries what failed and finishes what was cut short.
    Deliver {
        submission_id: String,
        image_id: String,
        regions: Vec<String>,
    },
    /// DeleteImage → [`Loaded::Deleted`]; the journal records the image as deleted.
    DeleteImage { image_id: String },
    /// Write a text file → [`Loaded::Saved`]. Without `replace` an existing file is left alone.
    SaveFile {
        path: PathBuf,
        contents: String,
        replace: bool,
    },
    /// Resource Manager ListResourceGroups, streamed → [`Loaded::ResourceGroups`] pages.
    ResourceGroups,
    /// STS GetCallerIdentity → [`Loaded::Account`]: the account a build's policy names.
    CallerIdentity,
}

/// A CreateImage submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitCall {
    pub spec: ImageSpec,
    /// `spec::to_params(spec)`, ClientToken included.
    pub params: Vec<(String, String)>,
    /// Which credential source signs it (recorded in the journal, never a secret).
    pub credential_source: String,
    /// The journal id of an earlier send of these parameters whose outcome is unknown: send
    /// again under it instead of recording a new submission.
    pub journaled: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Make `call`, after waiting `delay` (zero: at once; polls use a delay).
    Call {
        id: RequestId,
        call: Call,
        delay: Duration,
    },
    /// Stop a call (and its remaining pages); nothing more arrives for `id`.
    Cancel(RequestId),
    /// Work against another region from now on: the client is rebuilt and every call in
    /// flight is cancelled, then [`Msg::RegionSwitched`] says so. When no client can be made
    /// for the region, the old one stays and the message carries the reason.
    SwitchRegion(String),
    /// Start the embedded simulator and connect to it ([`Msg::SandboxStarted`] follows).
    StartSandbox,
    /// Leave the wizard (terminal restored by the caller).
    Quit,
}

/// `InstanceQuery` for one instance (status polls).
pub fn one_instance(instance_id: &str) -> InstanceQuery {
    InstanceQuery::one(instance_id)
}
