//! Loading: the instance's disks, the snapshot list for the picker, lookups of the snapshots
//! the spec names, and what their answers change.

use super::{DisksStep, Failed, InstanceDisks};
use crate::api::ApiError;
use crate::api::model::{DiskQuery, Snapshot, SnapshotQuery};
use crate::spec::usable;
use crate::spec::{SnapshotFacts, Source};
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::steps::StepCtx;
use crate::tui::widgets::picker::LoadState;

impl DisksStep {
    pub(super) fn load_instance_disks(&mut self, instance_id: &str, ctx: &mut StepCtx) {
        if let Some(old) = self.instance.request.take() {
            ctx.cancel(old);
        }
        self.instance = InstanceDisks {
            instance_id: instance_id.to_owned(),
            disks: Vec::new(),
            request: Some(ctx.call(Call::Disks(DiskQuery {
                instance_id: Some(instance_id.to_owned()),
                ..DiskQuery::default()
            }))),
            load: LoadState::Loading,
        };
        self.scroll = 0;
    }

    pub(super) fn load_snapshots(&mut self, ctx: &mut StepCtx) {
        if let Some(old) = self.picker_request.take() {
            ctx.cancel(old);
        }
        self.picker.start_loading();
        self.picker_request = Some(ctx.call(Call::Snapshots(SnapshotQuery::default())));
    }

    /// Looks up the snapshots the spec names but this step has not seen (for their names,
    /// sizes and the validators' facts).
    pub(super) fn look_up_missing(&mut self, ctx: &mut StepCtx) {
        if self.lookup.is_some() {
            return;
        }
        let ids: Vec<String> = match &ctx.spec.source {
            Source::Snapshot { snapshot_id } => vec![snapshot_id.clone()],
            Source::Disks(disks) => disks.iter().filter_map(|d| d.snapshot_id.clone()).collect(),
            Source::Instance { .. } => Vec::new(),
        };
        let mut missing: Vec<String> = ids
            .into_iter()
            .filter(|id| !id.is_empty() && !self.known.contains_key(id) && !self.asked.contains(id))
            .collect();
        missing.dedup();
        if missing.is_empty() {
            return;
        }
        self.asked.extend(missing.iter().cloned());
        self.lookup = Some(ctx.call(Call::Snapshots(SnapshotQuery {
            snapshot_ids: Some(missing),
            ..SnapshotQuery::default()
        })));
    }

    /// Remembers a snapshot and gives the validators its facts.
    pub(super) fn learn(&mut self, snapshot: Snapshot, ctx: &mut StepCtx) {
        ctx.facts
            .snapshots
            .insert(snapshot.snapshot_id.clone(), SnapshotFacts::of(&snapshot));
        self.known.insert(snapshot.snapshot_id.clone(), snapshot);
    }

    /// An answer to one of this step's calls; answers it no longer expects are dropped.
    pub(super) fn receive(
        &mut self,
        id: RequestId,
        result: Result<Loaded, ApiError>,
        ctx: &mut StepCtx,
    ) {
        if self.instance.request == Some(id) {
            match result {
                Ok(Loaded::Disks(page)) => {
                    self.instance.disks.extend(page.rows);
                    if page.last {
                        self.instance.request = None;
                        self.instance.load = LoadState::Complete;
                        // An instance without a system disk cannot become an image: the
                        // validators and step 1's picker learn it here.
                        if usable::instance_disks(&self.instance.disks).is_some() {
                            ctx.facts
                                .instances_without_system_disk
                                .insert(self.instance.instance_id.clone());
                        }
                        // How each disk is encrypted decides whether the image can be
                        // shared: step 5 and the review warn from it.
                        ctx.facts
                            .learn_instance_disks(&self.instance.instance_id, &self.instance.disks);
                        // System disk first, then data disks by device.
                        self.instance.disks.sort_by(|a, b| {
                            (!a.is_system(), &a.device).cmp(&(!b.is_system(), &b.device))
                        });
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.instance.request = None;
                    self.instance.load = LoadState::Failed(error.to_string());
                    self.failed = Some(Failed::InstanceDisks);
                    ctx.show_error("Loading the instance's disks", &error, true);
                }
            }
        } else if self.picker_request == Some(id) {
            let page = result.map(Loaded::snapshots);
            let doing = "Loading snapshots";
            if ctx.feed_picker(&mut self.picker, &mut self.picker_request, page, doing) {
                self.failed = Some(Failed::Snapshots);
            }
        } else if self.lookup == Some(id) {
            match result {
                Ok(Loaded::Snapshots(page)) => {
                    if page.last {
                        self.lookup = None;
                    }
                    for snapshot in page.rows {
                        self.learn(snapshot, ctx);
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.lookup = None;
                    self.asked.clear();
                    self.failed = Some(Failed::Lookup);
                    ctx.show_error("Looking up the chosen snapshots", &error, true);
                }
            }
        }
    }
}
