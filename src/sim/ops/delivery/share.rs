//! ModifyImageSharePermission and DescribeImageSharePermission.
//!
//! https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-modifyimagesharepermission
//! https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeimagesharepermission
//!
//! As documented, `AddAccount.N` and `RemoveAccount.N` beyond the tenth are ignored without an
//! error. Choices where the reference is silent: adding an account already shared with, or
//! removing one that is not, succeeds and changes nothing; removals apply before additions;
//! an account ID is 1 to 20 digits, and any such ID other than the owner's exists.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::json::{Time, Wrapped};
use super::{Done, fail, own_image};
use crate::sim::error::SimError;
use crate::sim::params::Params;
use crate::sim::state::{Image, State};

/// Accounts read from each of `AddAccount.N` and `RemoveAccount.N`.
const ACCOUNTS_PER_CALL: usize = 10;

pub fn modify(state: &mut State, now: DateTime<Utc>, params: &Params) -> Result<Done, SimError> {
    let region_id = super::super::region_id(state, params)?.to_string();
    let image_id = params.require("ImageId")?;
    let add = accounts(params, "AddAccount")?;
    let remove = accounts(params, "RemoveAccount")?;
    let public = params.bool("IsPublic")?;
    if params.get("LaunchPermission").is_some() && !(add.is_empty() && remove.is_empty()) {
        return Err(fail(
            400,
            "UnnecessaryParameter.LaunchPermission",
            "LaunchPermission cannot be combined with AddAccount.N or RemoveAccount.N.",
        ));
    }
    // The accounts are parameters: checked before the image is looked up (see the
    // module `delivery` on the order of checks).
    let owner = state.account.owner_id.to_string();
    for account in add.iter().chain(&remove) {
        if *account == owner {
            return Err(fail(
                404,
                "InvalidAccount.Forbbiden",
                "An image cannot be shared with its own account.",
            ));
        }
        if account.is_empty() || account.len() > 20 || !account.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(fail(
                404,
                "InvalidAccount.NotFound",
                format!(
                    "The specified account {account} in parameter \"AddAccount.n\" or \"RemoveAccount.n\" does not exist."
                ),
            ));
        }
    }
    let limit = state.account.delivery.share_accounts;
    let speed = state.speed;
    let region = state
        .regions
        .get_mut(&region_id)
        .ok_or_else(SimError::region_not_found)?;
    let image = own_image(region, image_id)?;
    if image.status_at(now, speed).0 != "Available" {
        return Err(fail(
            403,
            "OperationDenied.InvalidImageStatus",
            "The current status of the image does not support this operation.",
        ));
    }
    if !add.is_empty() || public == Some(true) {
        check_shareable(image)?;
    }
    let mut shared = image.delivery.shared_with.clone();
    for account in &remove {
        shared.remove(*account);
    }
    for account in &add {
        shared.entry((*account).to_string()).or_insert(now);
    }
    if shared.len() > limit {
        return Err(fail(
            403,
            "QuotaExceed.ShareImageUser",
            format!("An image can be shared with at most {limit} accounts."),
        ));
    }
    super::super::finish_dry_run(params)?;
    image.delivery.shared_with = shared;
    if let Some(public) = public {
        image.delivery.community = public;
    }
    image.touch();
    Ok(Done {})
}

/// Only images encrypted with a customer master key, on one snapshot, may be shared.
fn check_shareable(image: &Image) -> Result<(), SimError> {
    if !image.disks.iter().any(|d| d.encrypted) {
        return Ok(());
    }
    if image.delivery.kms_key_id.is_empty() {
        return Err(fail(
            403,
            "InvalidOperation.ServiceKeyEncryptedImageUnsupported",
            "An image encrypted with the service key cannot be shared.",
        ));
    }
    if image.disks.len() > 1 {
        return Err(fail(
            403,
            "OperationDeined.FullImage",
            "An encrypted image with more than one snapshot cannot be shared.",
        ));
    }
    Ok(())
}

/// The first ten values of `Prefix.N`, in N order.
fn accounts<'p>(params: &'p Params, prefix: &str) -> Result<Vec<&'p str>, SimError> {
    let mut all = params.indexed(prefix)?;
    all.truncate(ACCOUNTS_PER_CALL);
    Ok(all)
}

/// DescribeImageSharePermission's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Permissions<'a> {
    region_id: &'a str,
    image_id: &'a str,
    total_count: usize,
    page_number: usize,
    page_size: usize,
    share_groups: Wrapped<Vec<ShareGroup>>,
    accounts: Wrapped<Vec<Account<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ShareGroup {
    group: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Account<'a> {
    aliyun_id: &'a str,
    shared_time: Time,
}

pub fn describe<'a>(state: &'a State, params: &'a Params) -> Result<Permissions<'a>, SimError> {
    let region_id = super::super::region_id(state, params)?;
    let region = super::super::region(state, params)?;
    let image_id = params.require("ImageId")?;
    let number = params.u32("PageNumber")?.unwrap_or(1).max(1) as usize;
    let size = params.u32("PageSize")?.unwrap_or(10).clamp(1, 100) as usize;
    let image = region
        .images
        .get(image_id)
        .filter(|i| i.is_custom())
        .ok_or_else(SimError::image_not_found)?;
    let shared = &image.delivery.shared_with;
    let accounts = shared
        .iter()
        .skip((number - 1).saturating_mul(size))
        .take(size)
        .map(|(id, at)| Account {
            aliyun_id: id,
            shared_time: Time::seconds(*at),
        })
        .collect();
    let groups = if image.delivery.community {
        vec![ShareGroup { group: "all" }]
    } else {
        Vec::new()
    };
    Ok(Permissions {
        region_id,
        image_id: &image.id,
        total_count: shared.len(),
        page_number: number,
        page_size: size,
        share_groups: Wrapped::new("ShareGroup", groups),
        accounts: Wrapped::new("Account", accounts),
    })
}
