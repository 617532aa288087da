//! Step 1: where the image comes from — an instance, a system-disk snapshot, or a disk mapping
//! (edited in step 2).
//!
//! Instances and snapshots are listed live in pickers, rows that cannot be used marked with the
//! reason (`spec::usable`). Choosing a Running instance shows the reference's data-consistency
//! warning and offers to stop it first ([`stop`]). Choosing an instance or a snapshot while the
//! source is a disk mapping the user edited asks before the mapping is discarded.

mod keys;
mod kinds;
mod stop;
mod system_disks;
mod view;

pub use self::kinds::{
    INSTANCES, SNAPSHOT_COLUMNS, SNAPSHOTS, data_disk_problem, system_disk_problem,
};

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use self::keys::Action;
use self::stop::Stop;
use self::system_disks::SystemDiskScan;
use super::{Answers, Keys, Reaction, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::api::model::{Instance, InstanceQuery, Snapshot, SnapshotQuery};
use crate::spec::usable;
use crate::spec::{DiskSpec, DiskType, SnapshotFacts, Source};
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::picker::{Picker, PickerAction, PickerEvent};

/// The three kinds of source, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Instance,
    Snapshot,
    Mapping,
}

impl SourceKind {
    const ALL: [SourceKind; 3] = [
        SourceKind::Instance,
        SourceKind::Snapshot,
        SourceKind::Mapping,
    ];

    fn title(self) -> &'static str {
        match self {
            SourceKind::Instance => "Instance",
            SourceKind::Snapshot => "System-disk snapshot",
            SourceKind::Mapping => "Disk mapping",
        }
    }

    fn of(source: &Source) -> SourceKind {
        match source {
            Source::Instance { .. } => SourceKind::Instance,
            Source::Snapshot { .. } => SourceKind::Snapshot,
            Source::Disks(_) => SourceKind::Mapping,
        }
    }
}

/// What the error popup's retry repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failed {
    Instances,
    Snapshots,
    Stop,
}

/// A choice that would replace a disk mapping the user edited, waiting for a yes.
#[derive(Debug, Clone, PartialEq)]
enum Replacing {
    Instance(Box<Instance>),
    Snapshot(Box<Snapshot>),
}

#[derive(Debug)]
pub struct SourceStep {
    kind: SourceKind,
    instances: Picker<Instance>,
    snapshots: Picker<Snapshot>,
    instances_request: Option<RequestId>,
    snapshots_request: Option<RequestId>,
    system_disks: SystemDiskScan,
    stop: Option<Stop>,
    replacing: Option<Replacing>,
    failed: Option<Failed>,
}

impl Default for SourceStep {
    fn default() -> Self {
        SourceStep {
            kind: SourceKind::Instance,
            instances: Picker::new(&INSTANCES),
            snapshots: Picker::new(&SNAPSHOTS),
            instances_request: None,
            snapshots_request: None,
            system_disks: SystemDiskScan::default(),
            stop: None,
            replacing: None,
            failed: None,
        }
    }
}

/// Whether `source` is a disk mapping with more in it than the fresh one (a system disk
/// without a snapshot): discarding it loses work.
fn edited_mapping(source: &Source) -> bool {
    match source {
        Source::Disks(disks) => disks.as_slice() != [fresh_system_disk()],
        Source::Instance { .. } | Source::Snapshot { .. } => false,
    }
}

fn fresh_system_disk() -> DiskSpec {
    DiskSpec {
        disk_type: DiskType::System,
        snapshot_id: None,
        size: None,
        device: None,
    }
}

impl SourceStep {
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    pub fn instances(&self) -> &Picker<Instance> {
        &self.instances
    }

    pub fn snapshots(&self) -> &Picker<Snapshot> {
        &self.snapshots
    }

    /// Loads the current tab's list when it has not been (completely) loaded.
    fn load_missing(&mut self, ctx: &mut StepCtx) {
        match self.kind {
            SourceKind::Instance if self.instances.needs_load() => self.load_instances(ctx),
            SourceKind::Snapshot if self.snapshots.needs_load() => self.load_snapshots(ctx),
            _ => {}
        }
    }

    fn load_instances(&mut self, ctx: &mut StepCtx) {
        if let Some(old) = self.instances_request.take() {
            ctx.cancel(old);
        }
        self.instances.start_loading();
        self.instances_request = Some(ctx.call(Call::Instances(InstanceQuery::default())));
        self.system_disks.start(ctx);
    }

    fn load_snapshots(&mut self, ctx: &mut StepCtx) {
        if let Some(old) = self.snapshots_request.take() {
            ctx.cancel(old);
        }
        self.snapshots.start_loading();
        self.snapshots_request = Some(ctx.call(Call::Snapshots(SnapshotQuery::default())));
    }

    fn switch_tab(&mut self, forward: bool, ctx: &mut StepCtx) {
        let i = SourceKind::ALL
            .iter()
            .position(|k| *k == self.kind)
            .unwrap_or(0);
        let n = SourceKind::ALL.len();
        self.kind = SourceKind::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
        self.load_missing(ctx);
    }

    /// Marks the instances other steps found unusable (no system disk).
    fn mark_known_problems(&mut self, ctx: &StepCtx) {
        if let Some(problem) = usable::instance_disks(&[]) {
            for id in &ctx.facts.instances_without_system_disk {
                self.instances.mark(id, problem.to_string());
            }
        }
    }

    fn choose_instance(&mut self, instance: Instance, ctx: &mut StepCtx) -> Reaction {
        if edited_mapping(&ctx.spec.source) {
            self.replacing = Some(Replacing::Instance(Box::new(instance)));
            return Reaction::Handled;
        }
        if instance.status == "Running" {
            self.stop = Some(Stop::Warn(Box::new(instance)));
            return Reaction::Handled;
        }
        self.use_instance(&instance, ctx)
    }

    fn use_instance(&mut self, instance: &Instance, ctx: &mut StepCtx) -> Reaction {
        // How an instance was stopped is kept only for the one this wizard stopped.
        if !ctx.restart.stopped_by_us(&instance.instance_id) {
            ctx.spec.stop = None;
        }
        ctx.spec.source = Source::Instance {
            instance_id: instance.instance_id.clone(),
        };
        Reaction::Next
    }

    fn choose_snapshot(&mut self, snapshot: Snapshot, ctx: &mut StepCtx) -> Reaction {
        if edited_mapping(&ctx.spec.source) {
            self.replacing = Some(Replacing::Snapshot(Box::new(snapshot)));
            return Reaction::Handled;
        }
        ctx.facts
            .snapshots
            .insert(snapshot.snapshot_id.clone(), SnapshotFacts::of(&snapshot));
        ctx.spec.stop = None;
        ctx.spec.source = Source::Snapshot {
            snapshot_id: snapshot.snapshot_id,
        };
        Reaction::Next
    }

    fn choose_mapping(&mut self, ctx: &mut StepCtx) -> Reaction {
        if !matches!(ctx.spec.source, Source::Disks(_)) {
            ctx.spec.source = Source::Disks(vec![fresh_system_disk()]);
            ctx.spec.stop = None;
        }
        Reaction::Next
    }

    /// The answer to "replace the disk mapping?".
    fn replace(&mut self, yes: bool, ctx: &mut StepCtx) -> Reaction {
        let Some(choice) = self.replacing.take() else {
            return Reaction::Handled;
        };
        if !yes {
            return Reaction::Handled;
        }
        // Forget the mapping first, so the choice goes through as on a fresh source.
        ctx.spec.source = Source::default();
        match choice {
            Replacing::Instance(instance) => self.choose_instance(*instance, ctx),
            Replacing::Snapshot(snapshot) => self.choose_snapshot(*snapshot, ctx),
        }
    }

    fn picker_act(&mut self, action: PickerAction, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let event = match self.kind {
            SourceKind::Instance => self.instances.act(action, key),
            SourceKind::Snapshot => self.snapshots.act(action, key),
            SourceKind::Mapping => PickerEvent::Ignored,
        };
        match event {
            PickerEvent::Chosen(i) => match self.kind {
                SourceKind::Instance => {
                    let instance = self.instances.rows()[i].clone();
                    self.choose_instance(instance, ctx)
                }
                _ => {
                    let snapshot = self.snapshots.rows()[i].clone();
                    self.choose_snapshot(snapshot, ctx)
                }
            },
            PickerEvent::Refused(reason) => {
                ctx.notify(format!("Cannot use this one: {reason}"));
                Reaction::Handled
            }
            PickerEvent::Refresh => {
                match self.kind {
                    SourceKind::Instance => self.load_instances(ctx),
                    _ => self.load_snapshots(ctx),
                }
                Reaction::Handled
            }
            PickerEvent::Handled => Reaction::Handled,
            PickerEvent::Ignored => Reaction::Ignored,
        }
    }
}

impl StepScreen for SourceStep {
    fn enter(&mut self, ctx: &mut StepCtx) {
        if !ctx.spec.source.is_empty() {
            self.kind = SourceKind::of(&ctx.spec.source);
        }
        self.mark_known_problems(ctx);
        self.load_missing(ctx);
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        for request in [
            self.instances_request.take(),
            self.snapshots_request.take(),
            self.system_disks.stop(),
        ]
        .into_iter()
        .flatten()
        {
            ctx.cancel(request);
        }
        self.instances.interrupt();
        self.snapshots.interrupt();
        if let Some(Stop::Waiting { wait, .. }) = self.stop.take() {
            ctx.cancel(wait.request);
        }
        self.stop = None;
        self.replacing = None;
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let Some(action) = self.keymap().action(&key) else {
            return Reaction::Ignored;
        };
        match action {
            Action::NextKind | Action::PreviousKind => {
                self.switch_tab(action == Action::NextKind, ctx);
                Reaction::Handled
            }
            Action::Picker(action) => self.picker_act(action, key, ctx),
            Action::EditDisks => self.choose_mapping(ctx),
            Action::Stop(action) => match self.stop.take() {
                Some(stop) => self.stop_act(stop, action, ctx),
                None => Reaction::Handled,
            },
            Action::Replace => self.replace(true, ctx),
            Action::KeepMapping => self.replace(false, ctx),
            Action::Nothing => Reaction::Handled,
        }
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Reaction {
        if self.stop.is_some() || self.replacing.is_some() {
            return Reaction::Ignored;
        }
        let event = match self.kind {
            SourceKind::Instance => self.instances.handle_mouse(event),
            SourceKind::Snapshot => self.snapshots.handle_mouse(event),
            SourceKind::Mapping => PickerEvent::Ignored,
        };
        if event == PickerEvent::Ignored {
            Reaction::Ignored
        } else {
            Reaction::Handled
        }
    }

    fn paste(&mut self, text: &str, _ctx: &mut StepCtx) -> Reaction {
        let modal = self.stop.is_some() || self.replacing.is_some();
        let event = match self.kind {
            _ if modal => PickerEvent::Ignored,
            SourceKind::Instance => self.instances.handle_paste(text),
            SourceKind::Snapshot => self.snapshots.handle_paste(text),
            SourceKind::Mapping => PickerEvent::Ignored,
        };
        if event == PickerEvent::Ignored {
            Reaction::Ignored
        } else {
            Reaction::Handled
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        if matches!(&self.stop, Some(Stop::Waiting { wait, .. }) if wait.request == id) {
            self.stop_result(result, ctx);
            return;
        }
        if self.system_disks.is(id) {
            self.system_disks.answer(result);
            self.system_disks.mark(&mut self.instances, ctx);
        } else if self.instances_request == Some(id) {
            let page = result.map(Loaded::instances);
            let doing = "Loading instances";
            if ctx.feed_picker(
                &mut self.instances,
                &mut self.instances_request,
                page,
                doing,
            ) {
                self.failed = Some(Failed::Instances);
            }
            self.system_disks.mark(&mut self.instances, ctx);
        } else if self.snapshots_request == Some(id) {
            let page = result.map(Loaded::snapshots);
            let doing = "Loading snapshots";
            if ctx.feed_picker(
                &mut self.snapshots,
                &mut self.snapshots_request,
                page,
                doing,
            ) {
                self.failed = Some(Failed::Snapshots);
            }
        }
    }

    fn region_changed(&mut self, ctx: &mut StepCtx) {
        self.leave(ctx);
        self.instances.clear();
        self.snapshots.clear();
    }

    fn retry(&mut self, ctx: &mut StepCtx) {
        match self.failed.take() {
            Some(Failed::Instances) => self.load_instances(ctx),
            Some(Failed::Snapshots) => self.load_snapshots(ctx),
            Some(Failed::Stop) => {
                if let Some(Stop::Confirm { instance, options }) = self.stop.take() {
                    self.send_stop(instance, options, ctx);
                }
            }
            None => {}
        }
    }

    fn busy(&self) -> bool {
        self.instances.is_loading()
            || self.snapshots.is_loading()
            || matches!(self.stop, Some(Stop::Waiting { .. }))
    }

    fn tick(&mut self, ctx: &mut StepCtx) {
        self.stop_tick(ctx);
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        self.draw(ctx, frame, area);
    }

    fn keys(&self, _answers: Answers) -> Keys {
        self.keymap().keys()
    }
}

#[cfg(test)]
mod tests;
