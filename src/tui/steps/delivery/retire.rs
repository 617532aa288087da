//! Which images retiring would take: the family's own images (DescribeImages,
//! `ImageOwnerAlias=self`) in the build region and in each copy region, one call per region,
//! judged by [`retirements`] exactly as the delivery engine will judge them, with a stand-in
//! for the image not built yet. A delete is confirmed against the list shown; any change to the
//! answers or the lists makes the confirmation lapse.

use crate::api::ApiError;
use crate::api::model::Image;
use crate::delivery::{Retirement, family_query, retirements};
use crate::spec::{Field, Finding, ImageSpec, RetireAction, RetirePlan, Severity};
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::step::Step;
use crate::tui::steps::StepCtx;

/// Stands for the new image, which the family's listing cannot hold yet: it is always kept.
const NEW_IMAGE: &str = "<new image>";

/// Where one region's listing stands.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Listing {
    Loading(RequestId),
    Listed(Vec<Image>),
    Failed(String),
}

#[derive(Debug)]
struct RegionImages {
    region: String,
    listing: Listing,
}

/// What retiring takes now, region by region: what a confirmation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    family: String,
    retire: RetirePlan,
    regions: Vec<(String, Vec<Retirement>)>,
}

/// One region as the step shows it.
pub(super) struct RegionView<'a> {
    pub(super) region: &'a str,
    pub(super) listing: &'a Listing,
    /// With the listing: each retirement and the image it is about.
    pub(super) rows: Vec<(Retirement, Option<&'a Image>)>,
}

#[derive(Debug, Default)]
pub(super) struct Retirements {
    /// The family the lists are of.
    family: Option<String>,
    lists: Vec<RegionImages>,
    confirmed: Option<Plan>,
}

/// The family and the regions retiring looks in (the build's first), when it is on.
fn wanted(spec: &ImageSpec) -> Option<(String, RetirePlan, Vec<String>)> {
    let delivery = spec.delivery.as_ref()?;
    let retire = delivery.retire?;
    let family = spec.image.family.clone().filter(|f| !f.is_empty())?;
    let mut regions = vec![spec.region.clone()];
    for region in &delivery.copy_to {
        if !regions.contains(region) {
            regions.push(region.clone());
        }
    }
    Some((family, retire, regions))
}

impl Retirements {
    pub(super) fn busy(&self) -> bool {
        self.lists
            .iter()
            .any(|l| matches!(l.listing, Listing::Loading(_)))
    }

    /// Lists what the answers need and drops what they no longer do.
    pub(super) fn sync(&mut self, ctx: &mut StepCtx) {
        let Some((family, _, regions)) = wanted(ctx.spec) else {
            self.forget(ctx);
            return;
        };
        if self.family.as_deref() != Some(family.as_str()) {
            self.forget(ctx);
            self.family = Some(family.clone());
        }
        let mut lists = Vec::with_capacity(regions.len());
        for region in regions {
            let list = match self.lists.iter().position(|l| l.region == region) {
                Some(at) => self.lists.remove(at),
                None => RegionImages {
                    listing: Listing::Loading(list_family(&region, &family, ctx)),
                    region,
                },
            };
            lists.push(list);
        }
        for dropped in std::mem::replace(&mut self.lists, lists) {
            if let Listing::Loading(id) = dropped.listing {
                ctx.cancel(id);
            }
        }
    }

    /// Forgets every list (another region, retiring off).
    pub(super) fn forget(&mut self, ctx: &mut StepCtx) {
        for list in self.lists.drain(..) {
            if let Listing::Loading(id) = list.listing {
                ctx.cancel(id);
            }
        }
        self.family = None;
    }

    /// Lists every region again.
    pub(super) fn reload(&mut self, ctx: &mut StepCtx) {
        self.forget(ctx);
        self.sync(ctx);
    }

    /// Takes the answer to one region's call (answers for no list are dropped).
    pub(super) fn receive(&mut self, id: RequestId, result: Result<Loaded, ApiError>) {
        let Some(list) = self
            .lists
            .iter_mut()
            .find(|l| l.listing == Listing::Loading(id))
        else {
            return;
        };
        let family = self.family.as_deref().unwrap_or_default();
        list.listing = match result {
            // ImageFamily is matched by ECS; the engine keeps only exact matches, and so does
            // this list.
            Ok(Loaded::Images(images)) => Listing::Listed(
                images
                    .into_iter()
                    .filter(|i| i.image_family == family)
                    .collect(),
            ),
            Ok(_) => Listing::Failed("an unexpected answer".into()),
            Err(error) => Listing::Failed(error.to_string()),
        };
    }

    /// What retiring takes now, when every region is listed for the current answers.
    fn plan(&self, spec: &ImageSpec) -> Option<Plan> {
        let (family, retire, regions) = wanted(spec)?;
        if self.family.as_ref() != Some(&family) || self.lists.len() != regions.len() {
            return None;
        }
        let mut planned = Vec::new();
        for (list, region) in self.lists.iter().zip(regions) {
            let Listing::Listed(images) = &list.listing else {
                return None;
            };
            if list.region != region {
                return None;
            }
            planned.push((region, retirements(images, NEW_IMAGE, retire)));
        }
        Some(Plan {
            family,
            retire,
            regions: planned,
        })
    }

    /// The regions as the step shows them, with what retiring does in each.
    pub(super) fn view<'a>(&'a self, spec: &ImageSpec) -> Vec<RegionView<'a>> {
        let Some((_, retire, _)) = wanted(spec) else {
            return Vec::new();
        };
        self.lists
            .iter()
            .map(|list| {
                let rows = match &list.listing {
                    Listing::Listed(images) => retirements(images, NEW_IMAGE, retire)
                        .into_iter()
                        .map(|r| {
                            let id = match &r {
                                Retirement::Retire(id) | Retirement::LeaveAlone(id, _) => id,
                            };
                            let image = images.iter().find(|i| i.image_id == *id);
                            (r, image)
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                RegionView {
                    region: &list.region,
                    listing: &list.listing,
                    rows,
                }
            })
            .collect()
    }

    /// Whether a delete waits for `y`: the list is complete and not confirmed as it is.
    pub(super) fn awaiting(&self, spec: &ImageSpec) -> bool {
        is_delete(spec) && self.plan(spec).is_some_and(|p| self.confirmed != Some(p))
    }

    /// Whether the delete shown is confirmed as it is.
    pub(super) fn confirmed(&self, spec: &ImageSpec) -> bool {
        self.confirmed.is_some() && self.confirmed == self.plan(spec)
    }

    /// Confirms the list shown (when it is complete).
    pub(super) fn confirm(&mut self, spec: &ImageSpec) {
        if let Some(plan) = self.plan(spec) {
            self.confirmed = Some(plan);
        }
    }

    /// The blocking finding of a delete not confirmed as listed now.
    pub(super) fn unconfirmed(&self, spec: &ImageSpec) -> Option<Finding> {
        if !is_delete(spec) || wanted(spec).is_none() || self.confirmed(spec) {
            return None;
        }
        let step = Step::Delivery.number();
        let failed = self.lists.iter().find_map(|l| match &l.listing {
            Listing::Failed(reason) => Some((l.region.as_str(), reason.as_str())),
            _ => None,
        });
        let message = match (self.plan(spec), failed) {
            (Some(_), _) if self.confirmed.is_some() => format!(
                "The images retiring would delete changed since you confirmed them; check the \
                 list on step {step} and press y again."
            ),
            (Some(_), _) => format!(
                "Deleting cannot be undone: check the images listed on step {step} and press y \
                 to confirm them (or choose deprecate)."
            ),
            (None, Some((region, reason))) => format!(
                "Deleting cannot be undone, and the family's images in {region} could not be \
                 listed ({reason}); ^R on step {step} lists them again, or choose deprecate."
            ),
            (None, None) => format!(
                "Deleting cannot be undone: the images it would delete are not listed yet; \
                 confirm them with y on step {step} once they show."
            ),
        };
        Some(Finding {
            field: Field::DeliveryRetireAction,
            message,
            severity: Severity::Error,
            code: None,
        })
    }
}

fn is_delete(spec: &ImageSpec) -> bool {
    spec.delivery
        .as_ref()
        .and_then(|d| d.retire)
        .is_some_and(|r| r.action == RetireAction::Delete)
}

/// DescribeImages of the account's images of `family` in `region`, as a delete lists them
/// (Available and Deprecated) whatever the action: [`retirements`] keeps the ones each action
/// takes, so switching between deprecate and delete needs no new call.
fn list_family(region: &str, family: &str, ctx: &mut StepCtx) -> RequestId {
    ctx.call(Call::ImagesIn {
        region: region.to_string(),
        query: family_query(family, RetireAction::Delete),
    })
}
