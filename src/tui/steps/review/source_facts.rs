//! Looking up what the warnings need beyond the spec: the source instance, its disks and image,
//! or the facts of the snapshots the spec names.

use super::{ReviewStep, SourceFacts};
use crate::api::ApiError;
use crate::api::model::{DiskQuery, ImageQuery, SnapshotQuery};
use crate::spec::usable;
use crate::spec::{SnapshotFacts, Source};
use crate::tui::effect::{Call, one_instance};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::steps::StepCtx;

impl ReviewStep {
    /// Refreshes what the warnings need: the instance (status, disks, image) or the facts of
    /// snapshots the validators have not seen.
    pub(super) fn look_up(&mut self, ctx: &mut StepCtx) {
        for id in self.facts.requests() {
            ctx.cancel(id);
        }
        self.facts = SourceFacts::default();
        match &ctx.spec.source {
            source if source.is_empty() => {}
            Source::Instance { instance_id } => {
                let id = instance_id.clone();
                self.facts.instance_request = Some(ctx.call(Call::Instances(one_instance(&id))));
                self.facts.disks_request = Some(ctx.call(Call::Disks(DiskQuery {
                    instance_id: Some(id),
                    ..DiskQuery::default()
                })));
            }
            Source::Snapshot { .. } | Source::Disks(_) => {
                let mut missing: Vec<String> = match &ctx.spec.source {
                    Source::Snapshot { snapshot_id } => vec![snapshot_id.clone()],
                    Source::Disks(disks) => {
                        disks.iter().filter_map(|d| d.snapshot_id.clone()).collect()
                    }
                    Source::Instance { .. } => Vec::new(),
                };
                missing.retain(|id| !id.is_empty() && !ctx.facts.snapshots.contains_key(id));
                missing.sort();
                missing.dedup();
                missing.truncate(crate::api::model::MAX_IDS);
                if !missing.is_empty() {
                    self.facts.snapshots_request = Some(ctx.call(Call::Snapshots(SnapshotQuery {
                        snapshot_ids: Some(missing),
                        ..SnapshotQuery::default()
                    })));
                }
            }
        }
    }

    pub(super) fn lookup_answer(
        &mut self,
        id: RequestId,
        result: Result<Loaded, ApiError>,
        ctx: &mut StepCtx,
    ) {
        let facts = &mut self.facts;
        let result = match result {
            Ok(loaded) => loaded,
            Err(error) => {
                facts.instance_request.take_if(|r| *r == id);
                facts.disks_request.take_if(|r| *r == id);
                facts.image_request.take_if(|r| *r == id);
                facts.snapshots_request.take_if(|r| *r == id);
                facts.failed = Some(format!("Some checks of the source could not run: {error}"));
                return;
            }
        };
        match result {
            Loaded::Instances(page) if facts.instance_request == Some(id) => {
                let wanted = match &ctx.spec.source {
                    Source::Instance { instance_id } => instance_id.clone(),
                    _ => String::new(),
                };
                if let Some(row) = page.rows.into_iter().find(|i| i.instance_id == wanted) {
                    facts.instance = Some(row);
                }
                if page.last {
                    facts.instance_request = None;
                    match &facts.instance {
                        Some(instance) if !instance.image_id.is_empty() => {
                            facts.image_request = Some(ctx.call(Call::Images(ImageQuery {
                                image_ids: vec![instance.image_id.clone()],
                                ..ImageQuery::default()
                            })));
                        }
                        Some(_) => {}
                        None => {
                            facts.failed = Some(format!(
                                "Instance {wanted} is not listed in {}: it may have been released.",
                                ctx.spec.region
                            ));
                        }
                    }
                }
            }
            Loaded::Disks(page) if facts.disks_request == Some(id) => {
                facts.disks.extend(page.rows);
                if page.last {
                    facts.disks_request = None;
                    if let Source::Instance { instance_id } = &ctx.spec.source {
                        ctx.facts.learn_instance_disks(instance_id, &facts.disks);
                        if usable::instance_disks(&facts.disks).is_some() {
                            ctx.facts
                                .instances_without_system_disk
                                .insert(instance_id.clone());
                        }
                    }
                }
            }
            Loaded::Images(images) if facts.image_request == Some(id) => {
                facts.image_request = None;
                let wanted = facts
                    .instance
                    .as_ref()
                    .map(|i| i.image_id.clone())
                    .unwrap_or_default();
                facts.image = images.into_iter().find(|i| i.image_id == wanted);
            }
            Loaded::Snapshots(page) if facts.snapshots_request == Some(id) => {
                for snapshot in &page.rows {
                    ctx.facts
                        .snapshots
                        .insert(snapshot.snapshot_id.clone(), SnapshotFacts::of(snapshot));
                }
                if page.last {
                    facts.snapshots_request = None;
                }
            }
            _ => {}
        }
    }
}
