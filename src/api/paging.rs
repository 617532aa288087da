//! Listing pages: where each page starts (`NextToken` or `PageNumber`), and how each paged
//! answer (ECS's Describe*, Resource Manager's ListResourceGroups) says whether another page
//! follows.

use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::model::{
    DescribeDisksResponse, DescribeImagesResponse, DescribeInstancesResponse,
    DescribeSnapshotsResponse, Disk, Image, Instance, ListResourceGroupsResponse, ResourceGroup,
    Snapshot,
};
use super::product::{self, Product};
use super::redact::Redactor;

type Params = Vec<(String, String)>;

/// Items asked for per listing page (the documented maximum).
const PAGE_SIZE: u64 = 100;
/// A listing that has not ended after this many pages is treated as a server fault.
pub(super) const MAX_PAGES: u32 = 10_000;

/// Where a listing page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cursor {
    /// `NextToken` paging; empty for the first page.
    Token(String),
    /// `PageNumber` paging, from 1.
    Number(u64),
}

impl Cursor {
    pub(super) fn apply(&self, params: &mut Params) {
        match self {
            Cursor::Token(token) => {
                params.push(("MaxResults".into(), PAGE_SIZE.to_string()));
                if !token.is_empty() {
                    params.push(("NextToken".into(), token.clone()));
                }
            }
            Cursor::Number(page) => {
                params.push(("PageNumber".into(), page.to_string()));
                params.push(("PageSize".into(), PAGE_SIZE.to_string()));
            }
        }
    }
}

/// A paged listing answer.
pub(super) trait Listing: DeserializeOwned + Send + 'static {
    type Item: Send + 'static;
    /// The product whose API lists it.
    const PRODUCT: &'static Product = &product::ECS;
    const FIRST: Cursor;
    /// The page's items and the cursor of the next page, if any (`redactor` for errors that
    /// quote the server).
    fn into_page(
        self,
        cursor: &Cursor,
        redactor: &Redactor,
    ) -> Result<(Vec<Self::Item>, Option<Cursor>), ApiError>;
}

/// The next `NextToken` cursor; a server that hands back the token it was given would loop
/// forever, so that is an error.
fn next_token(
    action: &str,
    cursor: &Cursor,
    next: String,
    redactor: &Redactor,
) -> Result<Option<Cursor>, ApiError> {
    let next = next.trim().to_string();
    if next.is_empty() {
        return Ok(None);
    }
    if *cursor == Cursor::Token(next.clone()) {
        return Err(ApiError::decode(
            200,
            &format!("{action} returned the NextToken it was sent, so paging would never end"),
            next.as_bytes(),
            redactor,
        ));
    }
    Ok(Some(Cursor::Token(next)))
}

impl Listing for DescribeInstancesResponse {
    type Item = Instance;
    const FIRST: Cursor = Cursor::Token(String::new());
    fn into_page(
        self,
        cursor: &Cursor,
        redactor: &Redactor,
    ) -> Result<(Vec<Instance>, Option<Cursor>), ApiError> {
        let next = next_token("DescribeInstances", cursor, self.next_token, redactor)?;
        Ok((self.instances.instance, next))
    }
}

impl Listing for DescribeDisksResponse {
    type Item = Disk;
    const FIRST: Cursor = Cursor::Token(String::new());
    fn into_page(
        self,
        cursor: &Cursor,
        redactor: &Redactor,
    ) -> Result<(Vec<Disk>, Option<Cursor>), ApiError> {
        let next = next_token("DescribeDisks", cursor, self.next_token, redactor)?;
        Ok((self.disks.disk, next))
    }
}

impl Listing for DescribeSnapshotsResponse {
    type Item = Snapshot;
    const FIRST: Cursor = Cursor::Token(String::new());
    fn into_page(
        self,
        cursor: &Cursor,
        redactor: &Redactor,
    ) -> Result<(Vec<Snapshot>, Option<Cursor>), ApiError> {
        let next = next_token("DescribeSnapshots", cursor, self.next_token, redactor)?;
        Ok((self.snapshots.snapshot, next))
    }
}

/// The cursor after a `PageNumber` page of `count` items: more pages while fewer than
/// `total_count` items were seen; when the server leaves `TotalCount` out, while pages come
/// back full.
fn next_number(cursor: &Cursor, count: usize, total_count: u64, page_size: u64) -> Option<Cursor> {
    let page = match cursor {
        Cursor::Number(page) => *page,
        Cursor::Token(_) => 1,
    };
    let count = count as u64;
    let page_size = if page_size > 0 {
        page_size.min(PAGE_SIZE)
    } else {
        PAGE_SIZE
    };
    let seen = (page - 1) * page_size + count;
    let more = count > 0
        && if total_count > 0 {
            seen < total_count
        } else {
            count >= page_size
        };
    more.then_some(Cursor::Number(page + 1))
}

impl Listing for DescribeImagesResponse {
    type Item = Image;
    const FIRST: Cursor = Cursor::Number(1);
    fn into_page(
        self,
        cursor: &Cursor,
        _: &Redactor,
    ) -> Result<(Vec<Image>, Option<Cursor>), ApiError> {
        let items = self.images.image;
        let next = next_number(cursor, items.len(), self.total_count, self.page_size);
        Ok((items, next))
    }
}

impl Listing for ListResourceGroupsResponse {
    type Item = ResourceGroup;
    const PRODUCT: &'static Product = &product::RESOURCE_MANAGER;
    const FIRST: Cursor = Cursor::Number(1);
    fn into_page(
        self,
        cursor: &Cursor,
        _: &Redactor,
    ) -> Result<(Vec<ResourceGroup>, Option<Cursor>), ApiError> {
        let items = self.resource_groups.resource_group;
        let next = next_number(cursor, items.len(), self.total_count, self.page_size);
        Ok((items, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_pages_follow_total_count() {
        let page = |n: usize, total: u64, page_size: u64| DescribeImagesResponse {
            total_count: total,
            page_size,
            images: vec![Image::default(); n].into(),
            ..DescribeImagesResponse::default()
        };
        let next = |r: DescribeImagesResponse, at| {
            r.into_page(&Cursor::Number(at), &Redactor::default())
                .expect("ok")
                .1
        };
        assert_eq!(next(page(100, 250, 100), 1), Some(Cursor::Number(2)));
        assert_eq!(next(page(100, 250, 100), 2), Some(Cursor::Number(3)));
        assert_eq!(next(page(50, 250, 100), 3), None);
        assert_eq!(next(page(0, 250, 100), 3), None);
        // No TotalCount: full pages mean "maybe more".
        assert_eq!(next(page(100, 0, 0), 1), Some(Cursor::Number(2)));
        assert_eq!(next(page(99, 0, 0), 1), None);
    }

    #[test]
    fn resource_groups_in_the_documented_shape_page_by_number() {
        let body = r#"{"RequestId":"FB2B1F9B-8C0E-4D53-9C0A-6F1E1D1E4C31","TotalCount":12,
          "PageNumber":1,"PageSize":10,"ResourceGroups":{"ResourceGroup":[{
            "Id":"rg-9gLOoK****","Name":"my-project","DisplayName":"项目组",
            "AccountId":123456789012,"Status":"OK","CreateDate":"2021-06-30T09:20:08Z"}]}}"#;
        let response: ListResourceGroupsResponse = serde_json::from_str(body).expect("parses");
        let (groups, next) = response
            .into_page(&Cursor::Number(1), &Redactor::default())
            .expect("ok");
        assert_eq!(next, Some(Cursor::Number(2)), "1 of 12 seen");
        let group = &groups[0];
        assert_eq!(
            (
                group.id.as_str(),
                group.name.as_str(),
                group.display_name.as_str()
            ),
            ("rg-9gLOoK****", "my-project", "项目组")
        );
        assert_eq!(group.account_id, "123456789012", "a number on the wire");
        assert!(group.is_ready());
        let gone = ResourceGroup {
            status: "PendingDelete".into(),
            ..group.clone()
        };
        assert!(!gone.is_ready());
    }

    #[test]
    fn a_repeated_next_token_is_an_error() {
        let c = Cursor::Token("abc".into());
        let r = Redactor::default();
        assert!(next_token("X", &c, "abc".into(), &r).is_err());
        assert_eq!(
            next_token("X", &c, "def".into(), &r).expect("ok"),
            Some(Cursor::Token("def".into()))
        );
        assert_eq!(next_token("X", &c, " ".into(), &r).expect("ok"), None);
    }
}
