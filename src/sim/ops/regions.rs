//! DescribeRegions.

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::State;
use super::json::Wrapped;
use serde::Serialize;

/// Lists every region; `LocalName` is Chinese by default (`AcceptLanguage=zh-CN`) and English
/// for any other language. `RegionId`, `ResourceType` and `InstanceChargeType` are accepted and
/// ignored.
pub fn describe<'a>(state: &'a State, params: &Params) -> Result<Answer<'a>, SimError> {
    let chinese = params
        .get("AcceptLanguage")
        .is_none_or(|l| l.eq_ignore_ascii_case("zh-CN"));
    super::finish_dry_run(params)?;
    let regions = state
        .region_infos
        .iter()
        .map(|r| RegionJson {
            region_id: &r.id,
            local_name: if chinese {
                &r.local_name
            } else {
                &r.local_name_en
            },
            region_endpoint: &r.endpoint,
            status: &r.status,
        })
        .collect();
    Ok(Answer {
        regions: Wrapped::new("Region", regions),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Answer<'a> {
    regions: Wrapped<Vec<RegionJson<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RegionJson<'a> {
    region_id: &'a str,
    local_name: &'a str,
    region_endpoint: &'a str,
    status: &'a str,
}
