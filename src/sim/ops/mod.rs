//! The operations the simulator implements, one module each (or a few related ones).
//!
//! Every operation is a function of the state, the clock reading and the parameters, returning
//! its answer as a typed struct that borrows from the state (see `json`), or a [`SimError`];
//! [`dispatch`] adds `RequestId` and serializes it.

mod create_image;
mod delivery;
mod disks;
mod images;
mod instances;
mod json;
mod paging;
mod power;
mod regions;
mod resource_groups;
mod snapshots;

use super::error::SimError;
use super::params::Params;
use super::route::Action;
use super::state::{Region, State};
use super::sts::{self, Caller, Sts};
use chrono::{DateTime, Utc};
use json::reply;
use std::sync::{Mutex, PoisonError, RwLock};

/// Runs `action` at clock reading `now` and returns the answer's bytes, `RequestId` included.
///
/// Queries share a read lock, so connections render their answers in parallel; only
/// the operations that change the account take the write lock. Answers are serialized while
/// the lock is held because they borrow from the state instead of copying it.
pub fn dispatch(
    state: &RwLock<State>,
    sts: &Mutex<Sts>,
    now: DateTime<Utc>,
    action: Action,
    caller: &Caller,
    params: &Params,
    request_id: &str,
) -> Result<Vec<u8>, SimError> {
    let read = || state.read().unwrap_or_else(PoisonError::into_inner);
    let write = || state.write().unwrap_or_else(PoisonError::into_inner);
    match action {
        Action::DescribeRegions => reply(request_id, regions::describe(&read(), params)?),
        Action::DescribeInstances => reply(request_id, instances::describe(&read(), now, params)?),
        Action::DescribeDisks => reply(request_id, disks::describe(&read(), params)?),
        Action::DescribeSnapshots => reply(request_id, snapshots::describe(&read(), now, params)?),
        Action::DescribeImages => reply(request_id, images::describe(&read(), now, params)?),
        Action::StopInstances => reply(request_id, power::stop(&mut write(), now, params)?),
        Action::StartInstances => reply(request_id, power::start(&mut write(), now, params)?),
        Action::DeleteImage => reply(request_id, images::delete(&mut write(), now, params)?),
        Action::CopyImage => reply(request_id, delivery::copy::copy(&mut write(), now, params)?),
        Action::CancelCopyImage => reply(
            request_id,
            delivery::copy::cancel(&mut write(), now, params)?,
        ),
        Action::ModifyImageSharePermission => reply(
            request_id,
            delivery::share::modify(&mut write(), now, params)?,
        ),
        Action::DescribeImageSharePermission => {
            reply(request_id, delivery::share::describe(&read(), params)?)
        }
        Action::TagResources => reply(request_id, delivery::tags::tag(&mut write(), params)?),
        Action::UntagResources => reply(request_id, delivery::tags::untag(&mut write(), params)?),
        Action::ListTagResources => reply(request_id, delivery::tags::list(&read(), params)?),
        Action::ModifyImageAttribute => reply(
            request_id,
            delivery::attribute::modify(&mut write(), now, params)?,
        ),
        Action::CreateImage => reply(request_id, create_image::create(&mut write(), now, params)?),
        Action::ListResourceGroups => reply(request_id, resource_groups::list(&read(), params)?),
        Action::AssumeRole | Action::AssumeRoleWithOIDC | Action::GetCallerIdentity => {
            let mut sts = sts.lock().unwrap_or_else(PoisonError::into_inner);
            sts::ops::answer(&mut sts, now, action, caller, params, request_id)
        }
    }
}

/// The `RegionId` parameter, required and known.
fn region_id<'p>(state: &State, params: &'p Params) -> Result<&'p str, SimError> {
    let id = params.require("RegionId")?;
    if state.regions.contains_key(id) {
        Ok(id)
    } else {
        Err(SimError::region_not_found())
    }
}

/// The region named by `RegionId`, for reading.
fn region<'a>(state: &'a State, params: &Params) -> Result<&'a Region, SimError> {
    state
        .regions
        .get(params.require("RegionId")?)
        .ok_or_else(SimError::region_not_found)
}

/// `DryRun=true` on an operation whose checks all passed.
fn finish_dry_run(params: &Params) -> Result<(), SimError> {
    if params.dry_run()? {
        Err(SimError::dry_run_passed())
    } else {
        Ok(())
    }
}

/// `Tag.N.Key`/`Tag.N.Value` filters (legacy lowercase `key`/`value` too): every pair must be
/// on the resource; a key without value matches any value.
fn tag_filter(params: &Params) -> Result<Vec<(String, Option<String>)>, SimError> {
    let groups = params.groups("Tag")?;
    Ok(groups
        .values()
        .filter_map(|g| {
            let key = g.get("Key").or_else(|| g.get("key"))?;
            let value = g.get("Value").or_else(|| g.get("value")).cloned();
            Some((key.clone(), value))
        })
        .collect())
}

fn tags_match(filter: &[(String, Option<String>)], tags: &[(String, String)]) -> bool {
    filter.iter().all(|(key, value)| {
        tags.iter()
            .any(|(k, v)| k == key && value.as_ref().is_none_or(|want| want == v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_filters_match_key_and_optional_value() {
        let tags = vec![("env".to_string(), "prod".to_string())];
        assert!(tags_match(&[("env".into(), None)], &tags));
        assert!(tags_match(&[("env".into(), Some("prod".into()))], &tags));
        assert!(!tags_match(&[("env".into(), Some("dev".into()))], &tags));
        assert!(!tags_match(&[("team".into(), None)], &tags));
    }
}
