//! The delivery's DryRun, before the image exists: every planned call that takes `DryRun`
//! sent with `DryRun=true`, so ECS checks permissions, regions and parameters now rather than
//! after a long build.
//!
//! The image and its copies do not exist yet, so those calls name [`PLACEHOLDER_ID`], a
//! well-formed ImageId no image has. ECS answers `DryRunOperation` when every check passed,
//! and `InvalidImageId.NotFound` when it got as far as looking the image up: that counts as
//! passing what can be checked before the image exists (the order of ECS's checks is not
//! documented; the simulator's is in `sim::ops::delivery`). Any other refusal is a real one.
//!
//! Retirements are checked on the images they would take today: the family is listed in every
//! delivered region and [`retirements`] picks from it as it will once the new image (a
//! placeholder here) is counted, so permissions and image states are really checked.
//!
//! The calls run concurrently, [`AT_ONCE`] at a time; one failing does not stop the others.

use futures::StreamExt;
use futures::future::BoxFuture;

use super::plan::{self, PlannedCall, Purpose, Retirement, retirements};
use crate::api::ApiError;
use crate::api::model::Image;
use crate::spec::{ImageSpec, RetirePlan};

/// The ImageId the DryRun names for the image and copies that do not exist yet.
pub const PLACEHOLDER_ID: &str = "m-ecsimgdryrun00000000";

/// DryRun calls in flight at once.
pub const AT_ONCE: usize = 4;

/// One delivery call checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub operation: &'static str,
    pub region: String,
    /// The call in words: `copy to cn-beijing`, `deprecate m-… in cn-hangzhou`.
    pub what: String,
    pub outcome: CheckOutcome,
}

/// What a check came to.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckOutcome {
    /// ECS answered `DryRunOperation`: every check passed.
    Passed {
        request_id: String,
    },
    /// ECS found no image by the placeholder ID after checking what it checks before looking
    /// the image up.
    PassedBeforeImage {
        request_id: String,
    },
    /// Not sent, and why (a call without DryRun, an image a retirement leaves alone).
    NotChecked(String),
    Failed(ApiError),
}

impl CheckOutcome {
    pub fn failed(&self) -> bool {
        matches!(self, CheckOutcome::Failed(_))
    }

    /// The outcome in the words every face shows (a face explains a refusal further).
    pub fn words(&self) -> String {
        match self {
            CheckOutcome::Passed { .. } => "passed".into(),
            CheckOutcome::PassedBeforeImage { .. } => {
                "passed what can be checked before the image exists".into()
            }
            CheckOutcome::NotChecked(why) => format!("not checked: {why}"),
            CheckOutcome::Failed(e) => format!("refused: {e}"),
        }
    }

    /// The RequestId of the answer, when one came.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            CheckOutcome::Passed { request_id }
            | CheckOutcome::PassedBeforeImage { request_id } => Some(request_id),
            CheckOutcome::NotChecked(_) => None,
            CheckOutcome::Failed(e) => e.request_id(),
        }
    }
}

/// The clients per region (see [`super::Clients`]).
type Clients<'a> = super::Clients<'a>;

/// Checks every call of the spec's delivery that can be checked now, in the plan's order.
/// Empty without `[delivery]`.
pub async fn dry_run(spec: &ImageSpec, clients: Clients<'_>) -> Vec<Check> {
    let retire = spec.delivery.as_ref().and_then(|d| d.retire);
    let jobs: Vec<BoxFuture<'_, Vec<Check>>> = plan::plan(spec)
        .into_iter()
        .filter_map(|call| job(spec, call, retire, clients))
        .collect();
    futures::stream::iter(jobs)
        .buffered(AT_ONCE)
        .flat_map(futures::stream::iter)
        .collect()
        .await
}

/// The check of one planned call, if it gets one.
fn job<'a>(
    spec: &'a ImageSpec,
    call: PlannedCall,
    retire: Option<RetirePlan>,
    clients: Clients<'a>,
) -> Option<BoxFuture<'a, Vec<Check>>> {
    let region = call.region.clone();
    let (what, params) = match call.purpose {
        Purpose::Share => (format!("share in {region}"), with_placeholder(&call.params)),
        Purpose::JoinFamily => (
            format!("join the family in {region}"),
            with_placeholder(&call.params),
        ),
        Purpose::Copy => {
            let to = call
                .params
                .iter()
                .find(|(name, _)| name == "DestinationRegionId")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let token = uuid::Uuid::new_v4().to_string();
            let today = chrono::Utc::now().date_naive();
            // The image's encryption is not known yet; it matters only once it exists.
            let request = plan::copy_request(spec, &to, PLACEHOLDER_ID, false, Some(today), token);
            (format!("copy to {to}"), request.to_params())
        }
        Purpose::TagSnapshots => {
            let check = Check {
                operation: call.operation,
                what: format!("tag snapshots in {region}"),
                region,
                outcome: CheckOutcome::NotChecked("TagResources takes no DryRun".into()),
            };
            return Some(Box::pin(async move { vec![check] }));
        }
        Purpose::ListFamily => {
            let family = spec.image.family.clone()?;
            let retire = retire?;
            return Some(Box::pin(retirement(clients, region, family, retire)));
        }
        // A read, and the retirements, which the listing's check covers.
        Purpose::WatchCopy | Purpose::Retire => return None,
    };
    Some(Box::pin(async move {
        let outcome = match send(clients, &region, call.operation, &params).await {
            Ok(request_id) => CheckOutcome::Passed { request_id },
            // Looking the image up comes last: everything else passed.
            Err(e) if e.code() == Some("InvalidImageId.NotFound") => {
                CheckOutcome::PassedBeforeImage {
                    request_id: e.request_id().unwrap_or_default().to_string(),
                }
            }
            Err(e) => CheckOutcome::Failed(e),
        };
        vec![Check {
            operation: call.operation,
            region,
            what,
            outcome,
        }]
    }))
}

/// The parameters with each placeholder ImageId replaced by [`PLACEHOLDER_ID`].
fn with_placeholder(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(name, value)| {
            if name == "ImageId" && value.starts_with('<') {
                (name.clone(), PLACEHOLDER_ID.to_string())
            } else {
                (name.clone(), value.clone())
            }
        })
        .collect()
}

async fn send(
    clients: Clients<'_>,
    region: &str,
    operation: &str,
    params: &[(String, String)],
) -> Result<String, ApiError> {
    clients(region)?.dry_run(operation, params).await
}

/// The retirements in `region` as they would be today, each checked with DryRun.
async fn retirement(
    clients: Clients<'_>,
    region: String,
    family: String,
    retire: RetirePlan,
) -> Vec<Check> {
    let query = plan::family_query(&family, retire.action);
    let listed = match clients(&region) {
        Ok(client) => client.describe_images_all(&query).await,
        Err(e) => Err(e),
    };
    let images = match listed {
        Ok(images) => images,
        Err(e) => {
            return vec![Check {
                operation: "DescribeImages",
                what: format!("list the images of family {family} in {region}"),
                region,
                outcome: CheckOutcome::Failed(e),
            }];
        }
    };
    let images: Vec<Image> = images
        .into_iter()
        .filter(|i| i.image_family == family)
        .collect();
    let planned = retirements(&images, PLACEHOLDER_ID, retire);
    if planned.is_empty() {
        return vec![Check {
            operation: "DescribeImages",
            what: format!("list family {family} in {region}"),
            region,
            outcome: CheckOutcome::NotChecked(format!(
                "nothing to {} today: {} image(s) of the family, within the newest {} kept",
                retire.action,
                images.len(),
                retire.keep
            )),
        }];
    }
    let mut checks = Vec::new();
    for retirement in planned {
        let (id, left_alone) = match retirement {
            Retirement::Retire(id) => (id, None),
            Retirement::LeaveAlone(id, reason) => (id, Some(reason)),
        };
        let (operation, params) = plan::retire_call(&id, retire.action);
        let outcome = match left_alone {
            Some(reason) => CheckOutcome::NotChecked(reason),
            None => match send(clients, &region, operation, &params).await {
                Ok(request_id) => CheckOutcome::Passed { request_id },
                Err(e) => CheckOutcome::Failed(e),
            },
        };
        checks.push(Check {
            operation,
            what: format!("{} {id} in {region}", retire.action),
            region: region.clone(),
            outcome,
        });
    }
    checks
}
