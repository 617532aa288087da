//! What happens to an image once it is made: CopyImage and CancelCopyImage (`copy`), sharing
//! (`share`), tags on images, snapshots and instances (`tags`), ModifyImageAttribute
//! (`attribute`). DeleteImage and DescribeImages, which read what these change, are in
//! `images`.
//!
//! The rules follow the API references
//! (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-copyimage
//! and the pages of the other operations, named in each module); where a reference leaves a
//! behaviour open, the module says which choice the simulator makes.
//!
//! The order of checks, `DryRun=true` included, is the same in every operation here: the
//! signature and RAM (before the handler), then the parameters' form (and, for CopyImage, the
//! destination region, the KMS key and the resource group it names), then the resources named — the image must exist and be in a state
//! that allows the call — and only then `DryRunOperation`. So a DryRun with an ImageId that
//! does not exist yet answers 404 `InvalidImageId.NotFound` once everything checkable without
//! the image has passed; ecsimg's review relies on this to check delivery calls before the
//! image is made. ECS documents no such order: whether it looks the image up before answering
//! `DryRunOperation`, and whether it checks the parameters before the image, is UNCONFIRMED.

pub mod attribute;
pub mod copy;
pub mod share;
pub mod tags;

use crate::sim::error::SimError;
use crate::sim::state::{Image, Region};
use serde::Serialize;

/// A refusal with the service's status, code and message.
fn fail(status: u16, code: &str, message: impl Into<String>) -> SimError {
    SimError::new(status, code, message)
}

/// An answer with nothing but its `RequestId`.
#[derive(Serialize)]
pub struct Done {}

/// The account's own image `id` in `region`, to change; anything else (a public image, an
/// unknown ID) is 404 `InvalidImageId.NotFound`.
fn own_image<'a>(region: &'a mut Region, id: &str) -> Result<&'a mut Image, SimError> {
    region
        .images
        .get_mut(id)
        .filter(|i| i.is_custom())
        .ok_or_else(SimError::image_not_found)
}
