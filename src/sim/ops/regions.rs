//! DescribeRegions.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::State;
use serde_json::{Value, json};

/// Lists every region; `LocalName` is Chinese by default (`AcceptLanguage=zh-CN`) and English
/// for any other language. `RegionId`, `ResourceType` and `InstanceChargeType` are accepted and
/// ignored.
pub fn describe(state: &State, params: &Params) -> Result<Value, SimError> {
    let chinese = params
        .get("AcceptLanguage")
        .is_none_or(|l| l.eq_ignore_ascii_case("zh-CN"));
    super::finish_dry_run(params)?;
    let regions: Vec<Value> = state
        .region_infos
        .iter()
        .map(|r| {
            json!({
                "RegionId": r.id,
                "LocalName": if chinese { &r.local_name } else { &r.local_name_en },
                "RegionEndpoint": r.endpoint,
                "Status": r.status,
            })
        })
        .collect();
    Ok(json!({ "Regions": { "Region": regions } }))
}
