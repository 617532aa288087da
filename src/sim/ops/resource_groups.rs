//! Resource Manager ListResourceGroups (API version 2020-03-31, RPC style): the account's
//! resource groups, the same ones CreateImage's `ResourceGroupId` accepts.
//!
//! Reference: <https://www.alibabacloud.com/help/en/resource-management/resource-group/developer-reference/api-resourcemanager-2020-03-31-listresourcegroups-rg>

use super::super::error::SimError;
use super::super::params::Params;
use super::super::state::{ResourceGroup, State};
use super::json::{Time, Wrapped};
use super::paging::{PageAnswer, PageRequest, paginate};
use serde::Serialize;

const STATUSES: &[&str] = &["Creating", "OK", "PendingDelete"];
/// Every seeded group exists already.
const STATUS: &str = "OK";
/// Most IDs `ResourceGroupIds.N` may list.
const MAX_IDS: usize = 100;

/// Groups are listed by ID. Filters combine with AND: `Status`, `ResourceGroupIds.N` (which prevails over
/// `ResourceGroupId`), `Name` and `DisplayName` (fuzzy: a substring matches) and `Tag.N` (the
/// seeded groups carry no tags, so a tag filter matches none). Paged by `PageNumber` and
/// `PageSize` (1–100, default 10).
pub fn list<'a>(
    state: &'a State,
    params: &'a Params,
) -> Result<PageAnswer<'a, Vec<GroupJson<'a>>>, SimError> {
    let status = params.get("Status");
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(SimError::invalid_parameter(
            "Status",
            "use Creating, OK or PendingDelete",
        ));
    }
    let listed = params.indexed("ResourceGroupIds")?;
    if listed.len() > MAX_IDS {
        return Err(SimError::invalid_parameter(
            "ResourceGroupIds.N",
            &format!("at most {MAX_IDS} IDs are allowed"),
        ));
    }
    let ids: Option<Vec<String>> = if listed.is_empty() {
        params.get("ResourceGroupId").map(|id| vec![id.to_string()])
    } else {
        Some(listed.into_iter().map(str::to_string).collect())
    };
    let name = params.get("Name");
    let display_name = params.get("DisplayName");
    let tagged = !super::tag_filter(params)?.is_empty();
    let include_tags = params.bool("IncludeTags")?.unwrap_or(false) || tagged;
    let request = PageRequest::from_params(params, None)?;
    let keep = |g: &ResourceGroup| {
        status.is_none_or(|s| s == STATUS)
            && name.is_none_or(|n| g.name.contains(n))
            && display_name.is_none_or(|d| g.display_name.contains(d))
            && !tagged
    };
    let groups = &state.account.resource_groups;
    let page = paginate(groups, ids.as_deref(), keep, true, request)?;
    let account_id = state.account.owner_id.to_string();
    let items = page
        .rows
        .iter()
        .map(|g| GroupJson {
            id: &g.id,
            name: &g.name,
            display_name: &g.display_name,
            account_id: account_id.clone(),
            status: STATUS,
            create_date: Time::seconds(g.created),
            tags: include_tags.then(|| super::json::empty("Tag")),
        })
        .collect();
    Ok(page.answer(false, "ResourceGroups", "ResourceGroup", items))
}

/// One resource group as ListResourceGroups lists it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupJson<'a> {
    id: &'a str,
    name: &'a str,
    display_name: &'a str,
    account_id: String,
    status: &'static str,
    /// UTC, `yyyy-MM-ddTHH:mm:ssZ`.
    create_date: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Wrapped<[(); 0]>>,
}
