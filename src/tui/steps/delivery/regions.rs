//! The regions a copy can go to: DescribeRegions in a picker, each row marked with its place
//! in the copy order, the build's own region shown but refused.

use std::borrow::Cow;

use crate::api::ApiError;
use crate::api::model::Region;
use crate::spec::ImageSpec;
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::steps::StepCtx;
use crate::tui::widgets::picker::{Column, Picker, PickerKind};

/// A region as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RegionRow {
    region: Region,
    /// Its place in `copy_to` (from 1), when chosen.
    order: Option<usize>,
    /// The region the image is built in.
    own: bool,
}

impl RegionRow {
    fn mark(&self) -> Cow<'_, str> {
        match (self.own, self.order) {
            (true, _) => Cow::Borrowed("built here"),
            (false, Some(n)) => Cow::Owned(format!("✓ {n}")),
            (false, None) => Cow::Borrowed(""),
        }
    }
}

static COLUMNS: [Column<RegionRow>; 4] = [
    Column {
        title: "Copy",
        min: 10,
        max: 10,
        priority: 0,
        right: false,
        cell: RegionRow::mark,
        // The marks change as regions are chosen: sorting by them would go stale.
        cmp: None,
    },
    Column {
        title: "Region",
        min: 14,
        max: 22,
        priority: 0,
        right: false,
        cell: |r| Cow::Borrowed(&r.region.region_id),
        cmp: Some(|a, b| a.region.region_id.cmp(&b.region.region_id)),
    },
    Column {
        title: "Name",
        min: 12,
        max: 30,
        priority: 0,
        right: false,
        cell: |r| Cow::Borrowed(&r.region.local_name),
        cmp: Some(|a, b| a.region.local_name.cmp(&b.region.local_name)),
    },
    Column {
        title: "Status",
        min: 9,
        max: 10,
        priority: 1,
        right: false,
        cell: |r| Cow::Borrowed(&r.region.status),
        cmp: Some(|a, b| a.region.status.cmp(&b.region.status)),
    },
];

static REGIONS: PickerKind<RegionRow> = PickerKind {
    noun: "regions",
    columns: &COLUMNS,
    key: |r| &r.region.region_id,
    haystack: |r| format!("{} {}", r.region.region_id, r.region.local_name),
    unusable: |r| {
        r.own.then_some(Cow::Borrowed(
            "the image is built in this region; copies go to the others",
        ))
    },
};

#[derive(Debug)]
pub(super) struct RegionList {
    pub(super) picker: Picker<RegionRow>,
    request: Option<RequestId>,
}

impl Default for RegionList {
    fn default() -> Self {
        Self {
            picker: Picker::new(&REGIONS),
            request: None,
        }
    }
}

impl RegionList {
    pub(super) fn busy(&self) -> bool {
        self.request.is_some()
    }

    /// Loads the list unless it is loaded or loading.
    pub(super) fn load_missing(&mut self, ctx: &mut StepCtx) {
        if self.picker.needs_load() && self.request.is_none() {
            self.reload(ctx);
        }
    }

    pub(super) fn reload(&mut self, ctx: &mut StepCtx) {
        if let Some(id) = self.request.take() {
            ctx.cancel(id);
        }
        self.picker.start_loading();
        self.request = Some(ctx.call(Call::Regions));
    }

    /// Opens the list: loaded if it is not, the filter empty.
    pub(super) fn open(&mut self, ctx: &mut StepCtx) {
        self.load_missing(ctx);
        self.picker.set_query("");
        self.skip_own();
    }

    /// Moves the selection off the build's own region, which cannot be chosen.
    fn skip_own(&mut self) {
        if !self.picker.selected().is_some_and(|r| r.own) {
            return;
        }
        let other = self.picker.rows().iter().find(|r| !r.own);
        if let Some(id) = other.map(|r| r.region.region_id.clone()) {
            self.picker.select_key(&id);
        }
    }

    /// Takes the answer to the list's call; any other answer comes back.
    pub(super) fn receive(
        &mut self,
        id: RequestId,
        result: Result<Loaded, ApiError>,
        ctx: &mut StepCtx,
    ) -> Result<(), Result<Loaded, ApiError>> {
        if self.request != Some(id) {
            return Err(result);
        }
        self.request = None;
        match result {
            Ok(Loaded::Regions(regions)) => {
                let rows = regions
                    .into_iter()
                    .map(|region| RegionRow {
                        region,
                        order: None,
                        own: false,
                    })
                    .collect();
                self.picker.push_page(rows, true);
                self.show_choices(ctx.spec);
                self.skip_own();
            }
            Ok(_) => self.picker.fail("an unexpected answer"),
            Err(error) => {
                self.picker.fail(error.to_string());
                ctx.show_error("Loading regions", &error, true);
            }
        }
        Ok(())
    }

    /// Marks each row with its place among the copies and the build's own region.
    pub(super) fn show_choices(&mut self, spec: &ImageSpec) {
        let copy_to: &[String] = spec.delivery.as_ref().map_or(&[], |d| &d.copy_to);
        let changed: Vec<RegionRow> = self
            .picker
            .rows()
            .iter()
            .filter_map(|row| {
                let id = &row.region.region_id;
                let order = copy_to.iter().position(|r| r == id).map(|i| i + 1);
                let own = *id == spec.region;
                (row.order != order || row.own != own).then(|| RegionRow {
                    order,
                    own,
                    ..row.clone()
                })
            })
            .collect();
        for row in changed {
            self.picker.update_row(row);
        }
    }

    /// The region ID of row `i` of [`Picker::rows`].
    pub(super) fn region_at(&self, i: usize) -> Option<String> {
        self.picker
            .rows()
            .get(i)
            .map(|r| r.region.region_id.clone())
    }

    /// A region's name as DescribeRegions gives it, when listed.
    pub(super) fn name_of(&self, id: &str) -> Option<&str> {
        self.picker
            .rows()
            .iter()
            .find(|r| r.region.region_id == id)
            .map(|r| r.region.local_name.as_str())
    }
}
