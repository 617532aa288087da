//! The lists two fields are picked from: the account's resource groups (Resource Manager
//! ListResourceGroups) and the image families already used in the region (the account's own
//! images, grouped by `ImageFamily`). Each loads when the step is entered, is cancelled when
//! it is left, and when it cannot be had (no permission, any failure) its field falls back to
//! typing with a one-line note saying why.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::api::ApiError;
use crate::api::model::{Image, ImageQuery, ResourceGroup, WATCH_STATUSES};
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, Page, RequestId};
use crate::tui::steps::StepCtx;
use crate::tui::widgets::picker::{Column, Picker, PickerKind, short_time};

/// Images one family can hold, and families one region can hold, as documented in "Image
/// family" (<https://www.alibabacloud.com/help/en/elastic-compute-service/latest/image-family-overview>):
/// CreateImage refuses more with `ImageQuotaExceed.ImageFamily` and `ImageFamilyQuotaExceed`.
pub(super) const IMAGES_PER_FAMILY: usize = 100;
pub(super) const FAMILIES_PER_REGION: usize = 100;

/// One image family of the region, as the account's images show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Family {
    pub(super) name: String,
    /// Images in the family, in any status.
    pub(super) images: usize,
    /// The family's newest image (by creation time): what an instance launched from the
    /// family gets once it is Available.
    pub(super) newest: String,
    pub(super) newest_created: String,
}

impl Family {
    pub(super) fn is_full(&self) -> bool {
        self.images >= IMAGES_PER_FAMILY
    }

    /// `3 of 100`.
    pub(super) fn count(&self) -> String {
        format!("{} of {IMAGES_PER_FAMILY}", self.images)
    }
}

/// The families among `images` (those without one are left out), by name.
pub(super) fn families_of(images: &[Image]) -> Vec<Family> {
    let mut families: BTreeMap<&str, Family> = BTreeMap::new();
    for image in images.iter().filter(|i| !i.image_family.is_empty()) {
        let family = families
            .entry(&image.image_family)
            .or_insert_with(|| Family {
                name: image.image_family.clone(),
                images: 0,
                newest: String::new(),
                newest_created: String::new(),
            });
        family.images += 1;
        // ISO 8601 times in UTC compare as text.
        if family.images == 1 || image.creation_time > family.newest_created {
            family.newest = image.image_name.clone();
            family.newest_created = image.creation_time.clone();
        }
    }
    families.into_values().collect()
}

static FAMILY_COLUMNS: [Column<Family>; 4] = [
    Column {
        title: "Family",
        min: 12,
        max: 28,
        priority: 0,
        right: false,
        cell: |f| Cow::Borrowed(&f.name),
        cmp: Some(|a, b| a.name.cmp(&b.name)),
    },
    Column {
        title: "Images",
        min: 10,
        max: 10,
        priority: 0,
        right: true,
        cell: |f| Cow::Owned(f.count()),
        cmp: Some(|a, b| a.images.cmp(&b.images)),
    },
    Column {
        title: "Newest image",
        min: 14,
        max: 40,
        priority: 1,
        right: false,
        cell: |f| Cow::Borrowed(&f.newest),
        cmp: Some(|a, b| a.newest.cmp(&b.newest)),
    },
    Column {
        title: "Created",
        min: 16,
        max: 16,
        priority: 1,
        right: false,
        cell: |f| short_time(&f.newest_created),
        cmp: Some(|a, b| a.newest_created.cmp(&b.newest_created)),
    },
];

pub(super) static FAMILIES: PickerKind<Family> = PickerKind {
    noun: "families",
    columns: &FAMILY_COLUMNS,
    key: |f| &f.name,
    haystack: |f| format!("{} {}", f.name, f.newest),
    unusable: |f| {
        f.is_full().then(|| {
            Cow::Owned(format!(
                "full: {} images, the most a family holds (ImageQuotaExceed.ImageFamily); \
                 delete old ones or choose another family",
                f.images
            ))
        })
    },
};

static GROUP_COLUMNS: [Column<ResourceGroup>; 4] = [
    Column {
        title: "ID",
        min: 18,
        max: 22,
        priority: 0,
        right: false,
        cell: |g| Cow::Borrowed(&g.id),
        cmp: Some(|a, b| a.id.cmp(&b.id)),
    },
    Column {
        title: "Name",
        min: 10,
        max: 20,
        priority: 0,
        right: false,
        cell: |g| Cow::Borrowed(&g.name),
        cmp: Some(|a, b| a.name.cmp(&b.name)),
    },
    Column {
        title: "Display name",
        min: 12,
        max: 30,
        priority: 1,
        right: false,
        cell: |g| Cow::Borrowed(&g.display_name),
        cmp: Some(|a, b| a.display_name.cmp(&b.display_name)),
    },
    Column {
        title: "Created",
        min: 16,
        max: 16,
        priority: 2,
        right: false,
        cell: |g| short_time(&g.create_date),
        cmp: Some(|a, b| a.create_date.cmp(&b.create_date)),
    },
];

pub(super) static GROUPS: PickerKind<ResourceGroup> = PickerKind {
    noun: "resource groups",
    columns: &GROUP_COLUMNS,
    key: |g| &g.id,
    haystack: |g| format!("{} {} {}", g.id, g.name, g.display_name),
    unusable: |g| {
        (!g.is_ready()).then(|| {
            Cow::Owned(format!(
                "status {}: only a group in status OK takes new resources",
                g.status
            ))
        })
    },
};

/// A list a field is picked from, and its load.
#[derive(Debug)]
pub(super) struct Listed<T: 'static> {
    pub(super) picker: Picker<T>,
    pub(super) request: Option<RequestId>,
    /// Why the list cannot be had: the field is typed instead, and says so.
    pub(super) unavailable: Option<String>,
}

impl<T> Listed<T> {
    pub(super) fn new(kind: &'static PickerKind<T>) -> Self {
        Listed {
            picker: Picker::new(kind),
            request: None,
            unavailable: None,
        }
    }

    /// Whether the field offers the list (else it is typed).
    pub(super) fn offered(&self) -> bool {
        self.unavailable.is_none()
    }

    /// Whether the list is still to be asked for (never asked, or interrupted).
    fn wanted(&self) -> bool {
        self.request.is_none() && self.offered() && self.picker.needs_load()
    }

    fn start(&mut self, call: Call, ctx: &mut StepCtx) {
        self.stop(ctx);
        self.unavailable = None;
        self.picker.start_loading();
        self.request = Some(ctx.call(call));
    }

    /// Cancels a load in flight; what arrived so far stays, marked partial.
    pub(super) fn stop(&mut self, ctx: &mut StepCtx) {
        if let Some(id) = self.request.take() {
            ctx.cancel(id);
            self.picker.interrupt();
        }
    }

    /// A load ended in `error`: the field falls back to typing.
    fn failed(&mut self, what: &str, error: &ApiError) {
        self.request = None;
        self.picker.fail(error.to_string());
        self.unavailable = Some(format!("{what} could not be listed ({}).", why(error)));
    }
}

/// Why a list could not be had, in a few words.
fn why(error: &ApiError) -> String {
    match error.code() {
        Some(code) if code.starts_with("Forbidden") || code.starts_with("NoPermission") => {
            format!("no permission: {code}")
        }
        Some(code) => code.to_owned(),
        None => match error {
            ApiError::Timeout { .. } => "no answer in time".to_owned(),
            ApiError::Transport { .. } => "no connection".to_owned(),
            _ => "an answer ecsimg could not read".to_owned(),
        },
    }
}

/// The two lists of the step.
#[derive(Debug)]
pub(super) struct Lists {
    pub(super) groups: Listed<ResourceGroup>,
    pub(super) families: Listed<Family>,
}

impl Default for Lists {
    fn default() -> Self {
        Lists {
            groups: Listed::new(&GROUPS),
            families: Listed::new(&FAMILIES),
        }
    }
}

/// Every image of the account's own in the region, whatever its status: a family's quota
/// counts them all.
fn own_images() -> Call {
    let mut statuses: Vec<String> = WATCH_STATUSES.iter().map(|s| s.to_string()).collect();
    statuses.push("Deprecated".into());
    Call::Images(ImageQuery {
        statuses,
        image_owner_alias: Some("self".into()),
        ..ImageQuery::default()
    })
}

impl Lists {
    /// Starts the loads not done yet (a failed one waits for [`Lists::reload_groups`] or
    /// [`Lists::reload_families`]).
    pub(super) fn load_missing(&mut self, ctx: &mut StepCtx) {
        if self.groups.wanted() {
            self.reload_groups(ctx);
        }
        if self.families.wanted() {
            self.reload_families(ctx);
        }
    }

    pub(super) fn reload_groups(&mut self, ctx: &mut StepCtx) {
        self.groups.start(Call::ResourceGroups, ctx);
    }

    pub(super) fn reload_families(&mut self, ctx: &mut StepCtx) {
        self.families.start(own_images(), ctx);
    }

    /// Cancels both loads (the step is left).
    pub(super) fn stop(&mut self, ctx: &mut StepCtx) {
        self.groups.stop(ctx);
        self.families.stop(ctx);
    }

    /// Another region: its families are others; resource groups are the account's, but their
    /// load was cancelled with every other call.
    pub(super) fn region_changed(&mut self, ctx: &mut StepCtx) {
        self.groups.stop(ctx);
        self.families.stop(ctx);
        self.families = Listed::new(&FAMILIES);
    }

    pub(super) fn busy(&self) -> bool {
        self.groups.request.is_some() || self.families.request.is_some()
    }

    /// Takes an answer if it belongs to one of the lists; returns it otherwise.
    pub(super) fn receive(
        &mut self,
        id: RequestId,
        result: Result<Loaded, ApiError>,
        ctx: &mut StepCtx,
    ) -> Option<Result<Loaded, ApiError>> {
        if self.groups.request == Some(id) {
            match result.map(Loaded::resource_groups) {
                Ok(Some(Page { rows, last })) => {
                    if last {
                        self.groups.request = None;
                    }
                    self.groups.picker.push_page(rows, last);
                }
                Ok(None) => {}
                Err(error) => self.groups.failed("Resource groups", &error),
            }
        } else if self.families.request == Some(id) {
            match result {
                Ok(Loaded::Images(images)) => {
                    self.families.request = None;
                    // The account's every image name in the region: a name taken is known
                    // without asking again.
                    ctx.facts
                        .image_names_in_region
                        .extend(images.iter().map(|i| i.image_name.clone()));
                    self.families.picker.push_page(families_of(&images), true);
                }
                Ok(_) => {}
                Err(error) => self.families.failed("Your image families", &error),
            }
        } else {
            return Some(result);
        }
        None
    }

    /// The family named `name`, when the list has it.
    pub(super) fn family(&self, name: &str) -> Option<&Family> {
        self.families.picker.rows().iter().find(|f| f.name == name)
    }

    /// The resource group with ID `id`, when the list has it.
    pub(super) fn group(&self, id: &str) -> Option<&ResourceGroup> {
        self.groups.picker.rows().iter().find(|g| g.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_enforces_the_family_limits_the_picker_counts_against() {
        let seed = crate::sim::Seed::sandbox().expect("the built-in seed parses");
        let quotas = seed.into_state(1.0, 1).account.quotas;
        assert_eq!(quotas.images_per_family, IMAGES_PER_FAMILY);
        assert_eq!(quotas.families, FAMILIES_PER_REGION);
    }

    fn image(name: &str, family: &str, created: &str) -> Image {
        Image {
            image_name: name.into(),
            image_family: family.into(),
            creation_time: created.into(),
            ..Image::default()
        }
    }

    #[test]
    fn images_are_grouped_by_family_with_the_newest_of_each() {
        let images = [
            image("web-2", "web", "2026-02-01T00:00:00Z"),
            image("db-1", "db", "2025-01-01T00:00:00Z"),
            image("loose", "", "2026-03-01T00:00:00Z"),
            image("web-3", "web", "2026-03-01T00:00:00Z"),
            image("web-1", "web", "2026-01-01T00:00:00Z"),
        ];
        let families = families_of(&images);
        let shown: Vec<(&str, usize, &str)> = families
            .iter()
            .map(|f| (f.name.as_str(), f.images, f.newest.as_str()))
            .collect();
        assert_eq!(shown, [("db", 1, "db-1"), ("web", 3, "web-3")]);
        assert_eq!(families[1].count(), "3 of 100");
        assert!(!families[1].is_full());
    }

    #[test]
    fn a_full_family_cannot_be_chosen() {
        let images: Vec<Image> = (0..IMAGES_PER_FAMILY)
            .map(|i| image(&format!("web-{i}"), "web", "2026-01-01T00:00:00Z"))
            .collect();
        let family = &families_of(&images)[0];
        assert!(family.is_full());
        let reason = (FAMILIES.unusable)(family).expect("unusable");
        assert!(reason.contains("ImageQuotaExceed.ImageFamily"), "{reason}");
    }

    #[test]
    fn why_a_list_failed_in_a_few_words() {
        let service = |code: &str| crate::tui::testing::service_error(code, "denied");
        assert_eq!(
            why(&service("Forbidden.RAM")),
            "no permission: Forbidden.RAM"
        );
        assert_eq!(why(&service("NoPermission")), "no permission: NoPermission");
        assert_eq!(why(&service("Throttling")), "Throttling");
        let timeout = ApiError::Timeout {
            detail: "60 s".into(),
        };
        assert_eq!(why(&timeout), "no answer in time");
    }
}
