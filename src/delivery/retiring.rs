//! Retirement: the family's images past `keep` in a region, deprecated or deleted; decided
//! afresh from DescribeImages on every run, so a resume never acts on a stale list.

use super::{ActionResult, Deliverer, Retirement, Run, plan, retirements};
use crate::api::model::Image;
use crate::api::{ApiError, ImageChange};
use crate::journal::DeliveryOutcome;
use crate::spec::{RetireAction, RetirePlan};

impl Deliverer<'_> {
    /// Retires the images of `family` in `region` past the newest `plan.keep`, `new_id`
    /// always kept; decided afresh from DescribeImages on every run.
    pub(super) async fn retire(
        &self,
        run: &mut Run<'_>,
        region: &str,
        family: &str,
        new_id: &str,
        plan: RetirePlan,
    ) {
        let query = plan::family_query(family, plan.action);
        let listed = match self.client(region) {
            Ok(client) => client.describe_images_all(&query).await,
            Err(e) => Err(e),
        };
        let images = match listed {
            Ok(images) => images,
            Err(e) => {
                let what = format!("list the images of family {family} in {region}");
                run.emit(plan::key("retire", region), what, ActionResult::Failed(e));
                return;
            }
        };
        let images: Vec<Image> = images
            .into_iter()
            .filter(|i| i.image_family == family)
            .collect();
        for retirement in retirements(&images, new_id, plan) {
            match retirement {
                Retirement::LeaveAlone(id, reason) => run.emit(
                    plan::retire_key(region, &id),
                    format!("{} {id} in {region}", plan.action),
                    ActionResult::LeftAlone(reason),
                ),
                Retirement::Retire(id) => {
                    let call = async {
                        let client = self.client(region)?;
                        let answer = match plan.action {
                            RetireAction::Deprecate => {
                                client.modify_image(&id, &ImageChange::Deprecate).await
                            }
                            RetireAction::Delete => client.delete_image(&id, false).await.map(drop),
                        };
                        retire_outcome(answer)
                    };
                    let what = format!("{} {id} in {region}", plan.action);
                    self.step(run, plan::retire_key(region, &id), what, region, None, call)
                        .await;
                }
            }
        }
    }
}

/// A retirement's answer: refusals that protect the image leave it alone, an image already
/// gone counts as done.
pub(super) fn retire_outcome(answer: Result<(), ApiError>) -> Result<DeliveryOutcome, ApiError> {
    match answer {
        Ok(()) => Ok(DeliveryOutcome::Done { image_id: None }),
        Err(e) => match e.code() {
            Some("InvalidImageId.NotFound") => Ok(DeliveryOutcome::Done { image_id: None }),
            Some("ImageUsingByInstance" | "ImageUseShared") => Ok(DeliveryOutcome::LeftAlone {
                reason: format!("ECS refused and the image stays: {e}"),
            }),
            _ => Err(e),
        },
    }
}
