//! Pagination in both ECS styles: `NextToken` + `MaxResults` and `PageNumber` + `PageSize`.
//!
//! Rows live in `BTreeMap`s keyed by ID, so a page is a range scan from the token (the ID of
//! the next row) that stops after one row past the page: no clone of the table, no scan for the
//! token. Only `TotalCount` with filters walks the whole table.

use super::super::error::SimError;
use super::super::params::Params;
use super::json::Wrapped;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Bound;

/// How a request asked to page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    Token { after: Option<String>, max: usize },
    Number { number: usize, size: usize },
}

/// `MaxResults` bounds of an operation: values below `min` become `min`, above `max` become
/// `max`, as the Describe operations that page by token document.
#[derive(Debug, Clone, Copy)]
pub struct TokenLimits {
    pub min: usize,
    pub max: usize,
}

impl PageRequest {
    /// Reads the paging parameters. `token` is `None` for operations without `NextToken`
    /// (DescribeImages). With a `NextToken` or `MaxResults`, `PageNumber`/`PageSize` are ignored.
    pub fn from_params(params: &Params, token: Option<TokenLimits>) -> Result<Self, SimError> {
        if let Some(limits) = token {
            let next = params.get("NextToken");
            let max = params.u32("MaxResults")?;
            if next.is_some() || max.is_some() {
                let max = max.map_or(limits.min, |m| (m as usize).clamp(limits.min, limits.max));
                return Ok(Self::Token {
                    after: next.map(str::to_string),
                    max,
                });
            }
        }
        let number = params.u32("PageNumber")?.unwrap_or(1) as usize;
        if number == 0 {
            return Err(SimError::invalid_parameter("PageNumber", "it starts at 1"));
        }
        let size = params.u32("PageSize")?.unwrap_or(10) as usize;
        if !(1..=100).contains(&size) {
            return Err(SimError::invalid_parameter(
                "PageSize",
                "it must be 1 to 100",
            ));
        }
        Ok(Self::Number { number, size })
    }
}

/// One page of rows.
#[derive(Debug)]
pub struct Page<'a, T> {
    pub rows: Vec<&'a T>,
    pub total: usize,
    /// ID of the first row of the next page, when there is one.
    pub next_token: Option<&'a str>,
    pub request: PageRequest,
}

impl<'a, T> Page<'a, T> {
    /// The answer: `TotalCount`, `PageSize`, `PageNumber` (page style only) and, when
    /// `with_token`, `NextToken` (empty on the last page), plus `{list_key: {item_key: items}}`.
    pub fn answer<I: Serialize>(
        &self,
        with_token: bool,
        list_key: &'static str,
        item_key: &'static str,
        items: I,
    ) -> PageAnswer<'a, I> {
        let (page_number, page_size) = match &self.request {
            PageRequest::Number { number, size } => (Some(*number), *size),
            PageRequest::Token { max, .. } => (None, *max),
        };
        PageAnswer {
            total_count: self.total,
            page_number,
            page_size,
            next_token: with_token.then(|| self.next_token.unwrap_or_default()),
            list: Wrapped::new(list_key, Wrapped::new(item_key, items)),
        }
    }
}

/// One page of a listing as ECS answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PageAnswer<'a, I> {
    total_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_number: Option<usize>,
    page_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<&'a str>,
    /// `{list_key: {item_key: items}}`, beside the counts.
    #[serde(flatten)]
    list: Wrapped<Wrapped<I>>,
}

/// Pages through `map`, optionally restricted to `ids` (a JSON-array ID filter), keeping rows
/// for which `keep` holds. `filtered` says whether `keep` can reject rows (when not, the total
/// is the table size, found without a scan).
pub fn paginate<'a, T>(
    map: &'a BTreeMap<String, T>,
    ids: Option<&[String]>,
    keep: impl Fn(&T) -> bool,
    filtered: bool,
    request: PageRequest,
) -> Result<Page<'a, T>, SimError> {
    let (skip, take, after) = match &request {
        PageRequest::Token { after, max } => (0, *max, after.clone()),
        PageRequest::Number { number, size } => ((number - 1).saturating_mul(*size), *size, None),
    };
    if let Some(token) = &after
        && !map.contains_key(token)
    {
        return Err(SimError::invalid_parameter(
            "NextToken",
            "pass the NextToken of the previous page unchanged",
        ));
    }
    let total;
    let mut window: Vec<(&'a String, &'a T)>;
    match ids {
        Some(ids) => {
            let mut wanted: Vec<&String> = ids.iter().collect();
            wanted.sort();
            wanted.dedup();
            let matched: Vec<(&'a String, &'a T)> = wanted
                .into_iter()
                .filter_map(|id| map.get_key_value(id.as_str()))
                .filter(|(_, row)| keep(row))
                .collect();
            total = matched.len();
            window = matched
                .into_iter()
                .filter(|(id, _)| after.as_ref().is_none_or(|t| *id >= t))
                .skip(skip)
                .take(take + 1)
                .collect();
        }
        None => {
            total = if filtered {
                map.values().filter(|row| keep(row)).count()
            } else {
                map.len()
            };
            let start = match &after {
                Some(token) => Bound::Included(token.as_str()),
                None => Bound::Unbounded,
            };
            window = map
                .range::<str, _>((start, Bound::Unbounded))
                .filter(|(_, row)| keep(row))
                .skip(skip)
                .take(take + 1)
                .collect();
        }
    }
    let next_token = if window.len() > take {
        window.pop().map(|(id, _)| id.as_str())
    } else {
        None
    };
    Ok(Page {
        rows: window.into_iter().map(|(_, row)| row).collect(),
        total,
        next_token,
        request,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: usize) -> BTreeMap<String, usize> {
        (0..n).map(|i| (format!("r{i:03}"), i)).collect()
    }

    #[test]
    fn token_pages_walk_the_table_once() {
        let map = table(25);
        let mut after = None;
        let mut seen = Vec::new();
        loop {
            let page = paginate(
                &map,
                None,
                |_| true,
                false,
                PageRequest::Token { after, max: 10 },
            )
            .unwrap();
            assert_eq!(page.total, 25);
            seen.extend(page.rows.iter().map(|r| **r));
            match page.next_token {
                Some(t) => after = Some(t.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, (0..25).collect::<Vec<_>>());
    }

    #[test]
    fn numbered_pages_and_filters() {
        let map = table(25);
        let even = |v: &usize| v.is_multiple_of(2);
        let page = paginate(
            &map,
            None,
            even,
            true,
            PageRequest::Number { number: 2, size: 5 },
        )
        .unwrap();
        assert_eq!(page.total, 13);
        assert_eq!(
            page.rows.iter().map(|r| **r).collect::<Vec<_>>(),
            vec![10, 12, 14, 16, 18]
        );
        let past = paginate(
            &map,
            None,
            even,
            true,
            PageRequest::Number { number: 9, size: 5 },
        )
        .unwrap();
        assert!(past.rows.is_empty() && past.next_token.is_none());
    }

    #[test]
    fn id_lists_and_bad_tokens() {
        let map = table(25);
        let ids = vec![
            "r007".to_string(),
            "r003".into(),
            "nope".into(),
            "r003".into(),
        ];
        let page = paginate(
            &map,
            Some(&ids),
            |_| true,
            false,
            PageRequest::Number {
                number: 1,
                size: 10,
            },
        )
        .unwrap();
        assert_eq!(
            page.rows.iter().map(|r| **r).collect::<Vec<_>>(),
            vec![3, 7]
        );
        assert_eq!(page.total, 2);
        let err = paginate(
            &map,
            None,
            |_| true,
            false,
            PageRequest::Token {
                after: Some("zz".into()),
                max: 10,
            },
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
    }

    #[test]
    fn max_results_is_clamped_and_page_size_checked() {
        let p = |items: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = items
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Params::from_pairs(&pairs).unwrap()
        };
        let limits = Some(TokenLimits { min: 10, max: 100 });
        assert_eq!(
            PageRequest::from_params(&p(&[("MaxResults", "5")]), limits).unwrap(),
            PageRequest::Token {
                after: None,
                max: 10
            }
        );
        assert_eq!(
            PageRequest::from_params(&p(&[("MaxResults", "500"), ("PageSize", "3")]), limits)
                .unwrap(),
            PageRequest::Token {
                after: None,
                max: 100
            }
        );
        assert_eq!(
            PageRequest::from_params(&p(&[("PageSize", "3")]), limits).unwrap(),
            PageRequest::Number { number: 1, size: 3 }
        );
        assert!(PageRequest::from_params(&p(&[("PageSize", "101")]), None).is_err());
        assert!(PageRequest::from_params(&p(&[("PageNumber", "0")]), None).is_err());
    }
}
