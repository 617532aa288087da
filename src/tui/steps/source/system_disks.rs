//! Which listed instances have no system disk, learned before one is picked: a region-wide
//! DescribeDisks (`DiskType=system`) runs beside the instance list, and once it is complete every
//! listed instance that owns none of those disks is marked, with CreateImage's own reason.
//!
//! The scan only ever adds marks: a failed or partial scan proves nothing, and the Disks step
//! still checks the chosen instance's own disks.

use std::collections::HashSet;

use crate::api::ApiError;
use crate::api::model::{DiskQuery, Instance};
use crate::spec::usable;
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::steps::StepCtx;
use crate::tui::widgets::picker::Picker;

#[derive(Debug, Default)]
pub(super) struct SystemDiskScan {
    request: Option<RequestId>,
    /// Instances that own a system disk, from the pages seen so far.
    owners: HashSet<String>,
    complete: bool,
}

impl SystemDiskScan {
    pub(super) fn start(&mut self, ctx: &mut StepCtx) {
        if let Some(old) = self.stop() {
            ctx.cancel(old);
        }
        *self = SystemDiskScan {
            request: Some(ctx.call(Call::Disks(DiskQuery {
                disk_type: Some("system".into()),
                ..DiskQuery::default()
            }))),
            ..SystemDiskScan::default()
        };
    }

    /// Forgets the scan in flight, returning its request to cancel.
    pub(super) fn stop(&mut self) -> Option<RequestId> {
        self.request.take()
    }

    pub(super) fn is(&self, id: RequestId) -> bool {
        self.request == Some(id)
    }

    pub(super) fn answer(&mut self, result: Result<Loaded, ApiError>) {
        match result {
            Ok(Loaded::Disks(page)) => {
                self.owners
                    .extend(page.rows.into_iter().map(|disk| disk.instance_id));
                if page.last {
                    self.request = None;
                    self.complete = true;
                }
            }
            Ok(_) => {}
            Err(error) => {
                // Not worth an error popup: the rows simply stay unmarked until picked.
                tracing::info!("listing system disks failed: {error}");
                self.request = None;
            }
        }
    }

    /// Marks the listed instances without a system disk, and tells the validators.
    pub(super) fn mark(&self, instances: &mut Picker<Instance>, ctx: &mut StepCtx) {
        let Some(problem) = usable::instance_disks(&[]).filter(|_| self.complete) else {
            return;
        };
        let missing: Vec<String> = instances
            .rows()
            .iter()
            .filter(|i| !self.owners.contains(&i.instance_id))
            .map(|i| i.instance_id.clone())
            .collect();
        for id in missing {
            instances.mark(&id, problem.to_string());
            ctx.facts.instances_without_system_disk.insert(id);
        }
    }
}
