//! Step 1: where the image comes from — an instance, a system-disk snapshot, or a disk mapping
//! (edited in step 2).
//!
//! Instances and snapshots are listed live in pickers. Choosing a Running instance shows the
//! reference's data-consistency warning and offers to stop it first: StopInstances after an
//! explicit confirmation, then DescribeInstances polls until the instance is Stopped, with the
//! status on screen.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{KeyHint, Outcome, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::api::model::{Instance, InstanceQuery, Snapshot, SnapshotQuery};
use crate::spec::{DiskSpec, DiskType, Field, SnapshotFacts, Source, rules};
use crate::tui::effect::{Call, one_instance};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::dialog::Dialog;
use crate::tui::widgets::picker::{Column, Picker, PickerEvent, PickerKind, PickerStyle};

/// Delay between two status polls while an instance stops.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// Polls before giving up waiting (5 minutes).
const MAX_POLLS: u32 = 150;

/// The data-consistency warning of the CreateImage reference.
const RUNNING_WARNING: &str = "Data cached in memory on a running instance may not be written to \
    disk. This can cause data inconsistencies between the custom image and the instance. Stopping \
    the instance (StopInstances) before creating the image is recommended.";

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

/// The stop-first flow for a Running instance.
#[derive(Debug, Clone, PartialEq)]
enum Stop {
    /// The warning: stop first, use it running, or cancel.
    Warn(Box<Instance>),
    /// "Stop it now?" — the explicit confirmation before StopInstances.
    Confirm(Box<Instance>),
    /// StopInstances sent, or polling until Stopped.
    Waiting {
        instance: Box<Instance>,
        request: RequestId,
        /// Last status seen.
        status: String,
        since: DateTime<Utc>,
        polls: u32,
        /// The status of the poll in progress, once its page arrived.
        seen: Option<Box<Instance>>,
    },
}

/// What the error popup's retry repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failed {
    Instances,
    Snapshots,
    Stop,
}

#[derive(Debug)]
pub struct SourceStep {
    kind: SourceKind,
    instances: Picker<Instance>,
    snapshots: Picker<Snapshot>,
    instances_request: Option<RequestId>,
    snapshots_request: Option<RequestId>,
    stop: Option<Stop>,
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
            stop: None,
            failed: None,
        }
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

    fn choose_instance(&mut self, index: usize, ctx: &mut StepCtx) -> Outcome {
        let instance = self.instances.rows()[index].clone();
        if instance.status == "Running" {
            self.stop = Some(Stop::Warn(Box::new(instance)));
            return Outcome::Handled;
        }
        self.use_instance(&instance, ctx)
    }

    fn use_instance(&mut self, instance: &Instance, ctx: &mut StepCtx) -> Outcome {
        ctx.spec.source = Source::Instance {
            instance_id: instance.instance_id.clone(),
        };
        Outcome::Next
    }

    fn choose_snapshot(&mut self, index: usize, ctx: &mut StepCtx) -> Outcome {
        let snapshot = &self.snapshots.rows()[index];
        if let Some(facts) = snapshot_facts(snapshot) {
            ctx.facts
                .snapshots
                .insert(snapshot.snapshot_id.clone(), facts);
        }
        ctx.spec.source = Source::Snapshot {
            snapshot_id: snapshot.snapshot_id.clone(),
        };
        Outcome::Next
    }

    fn choose_mapping(&mut self, ctx: &mut StepCtx) -> Outcome {
        if !matches!(ctx.spec.source, Source::Disks(_)) {
            ctx.spec.source = Source::Disks(vec![DiskSpec {
                disk_type: DiskType::System,
                snapshot_id: None,
                size: None,
                device: None,
            }]);
        }
        Outcome::Next
    }

    fn send_stop(&mut self, instance: Box<Instance>, ctx: &mut StepCtx) {
        let request = ctx.call(Call::StopInstance {
            instance_id: instance.instance_id.clone(),
        });
        self.stop = Some(Stop::Waiting {
            status: instance.status.clone(),
            instance,
            request,
            since: ctx.now,
            polls: 0,
            seen: None,
        });
    }

    /// Keys while the stop flow has the screen.
    fn stop_key(&mut self, stop: Stop, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        match (stop, key.code) {
            (Stop::Warn(instance), KeyCode::Char('s')) => self.stop = Some(Stop::Confirm(instance)),
            (Stop::Warn(instance), KeyCode::Char('u')) => return self.use_instance(&instance, ctx),
            (Stop::Confirm(instance), KeyCode::Char('y')) => self.send_stop(instance, ctx),
            (Stop::Confirm(instance), KeyCode::Char('n')) => self.stop = Some(Stop::Warn(instance)),
            (Stop::Warn(_) | Stop::Confirm(_), KeyCode::Esc) => {}
            (
                Stop::Waiting {
                    instance, request, ..
                },
                KeyCode::Esc,
            ) => {
                ctx.cancel(request);
                ctx.notify(format!(
                    "Stopped waiting; {} keeps stopping on its own.",
                    instance.instance_id
                ));
            }
            (stop, _) => self.stop = Some(stop),
        }
        Outcome::Handled
    }

    fn stop_result(&mut self, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let Some(Stop::Waiting {
            instance,
            request,
            status,
            since,
            polls,
            seen,
        }) = self.stop.take()
        else {
            return;
        };
        let poll = |ctx: &mut StepCtx| {
            ctx.call_after(
                Call::Instances(one_instance(&instance.instance_id)),
                POLL_EVERY,
            )
        };
        let waiting = |request, status: String, polls, seen| {
            Some(Stop::Waiting {
                instance: instance.clone(),
                request,
                status,
                since,
                polls,
                seen,
            })
        };
        match result {
            Ok(Loaded::Stopping(responses)) => {
                match responses
                    .iter()
                    .find(|r| r.instance_id == instance.instance_id)
                {
                    Some(r) if !r.is_success() => {
                        ctx.notify(format!(
                            "StopInstances refused {}: {} {}",
                            instance.instance_id, r.code, r.message
                        ));
                    }
                    answer => {
                        let now = answer
                            .map(|r| r.current_status.clone())
                            .filter(|s| !s.is_empty())
                            .unwrap_or(status);
                        self.stop = waiting(poll(ctx), now, polls, None);
                    }
                }
            }
            Ok(Loaded::Instances(page)) if !page.last => {
                let row = page
                    .rows
                    .into_iter()
                    .find(|i| i.instance_id == instance.instance_id);
                let status = row.as_ref().map_or(status, |r| r.status.clone());
                self.stop = waiting(request, status, polls, row.map(Box::new).or(seen));
            }
            Ok(Loaded::Instances(_)) => match seen {
                Some(row) if row.status == "Stopped" => {
                    self.instances.update_row((*row).clone());
                    ctx.notify(format!(
                        "{} is Stopped and chosen as the source. ^N: next step.",
                        row.instance_id
                    ));
                    ctx.spec.source = Source::Instance {
                        instance_id: row.instance_id,
                    };
                    self.failed = None;
                }
                Some(row) if polls + 1 >= MAX_POLLS => {
                    self.instances.update_row((*row).clone());
                    ctx.notify(format!(
                        "{} is still {} after {} minutes; check it in the console, then ^R.",
                        row.instance_id,
                        row.status,
                        POLL_EVERY.as_secs() * u64::from(MAX_POLLS) / 60
                    ));
                }
                Some(row) => {
                    self.instances.update_row((*row).clone());
                    self.stop = waiting(poll(ctx), row.status, polls + 1, None);
                }
                None => ctx.notify(format!(
                    "{} is no longer listed; it may have been released.",
                    instance.instance_id
                )),
            },
            Ok(_) => self.stop = waiting(request, status, polls, seen),
            Err(error) => {
                tracing::warn!(instance = %instance.instance_id, %error, "stopping failed");
                // Retry re-sends from here; Esc gives up.
                self.failed = Some(Failed::Stop);
                self.stop = Some(Stop::Confirm(instance));
                ctx.show_error("Stopping the instance", &error, true);
            }
        }
    }

    fn render_tabs(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let mut spans = vec![Span::raw(" ")];
        for kind in SourceKind::ALL {
            let style = if kind == self.kind {
                theme.selected
            } else {
                theme.muted
            };
            spans.push(Span::styled(format!(" {} ", kind.title()), style));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled("(Tab switches)", theme.muted));
        frame.render_widget(Line::from(spans), area);
    }

    fn render_chosen(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let chosen = match &ctx.spec.source {
            s if s.is_empty() => Span::styled("Nothing chosen yet.", theme.muted),
            Source::Instance { instance_id } => {
                let name = self
                    .instances
                    .rows()
                    .iter()
                    .find(|i| &i.instance_id == instance_id)
                    .map(|i| format!(" ({}, {})", i.instance_name, i.status))
                    .unwrap_or_default();
                Span::styled(format!("instance {instance_id}{name}"), theme.ok)
            }
            Source::Snapshot { snapshot_id } => {
                Span::styled(format!("system-disk snapshot {snapshot_id}"), theme.ok)
            }
            Source::Disks(disks) => Span::styled(
                format!("disk mapping of {} disk(s) (edit in step 2)", disks.len()),
                theme.ok,
            ),
        };
        let mut spans = vec![Span::styled(" Chosen: ", theme.label), chosen];
        let field_error = ctx
            .findings
            .iter()
            .find(|f| f.is_error() && matches!(f.field, Field::InstanceId | Field::SnapshotId));
        if let Some(finding) = field_error {
            spans.push(Span::styled(
                format!("  ✗ {}", finding.message),
                theme.error,
            ));
        }
        frame.render_widget(Line::from(spans), area);
    }

    fn render_stop(&self, stop: &Stop, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        let name = |i: &Instance| {
            if i.instance_name.is_empty() {
                i.instance_id.clone()
            } else {
                format!("{} ({})", i.instance_id, i.instance_name)
            }
        };
        let (title, lines, keys): (&str, Vec<Line>, &[KeyHint]) = match stop {
            Stop::Warn(i) => (
                "This instance is Running",
                vec![
                    Line::styled(name(i), theme.title),
                    Line::raw(""),
                    Line::raw(RUNNING_WARNING),
                ],
                &[
                    ("s", "stop it first"),
                    ("u", "use it running"),
                    ("Esc", "cancel"),
                ],
            ),
            Stop::Confirm(i) => (
                "Stop the instance?",
                vec![Line::raw(format!(
                    "Stop {} now with StopInstances (a clean OS shutdown)? Its services are \
                         down until you start it again.",
                    name(i)
                ))],
                &[("y", "stop it"), ("n", "back")],
            ),
            Stop::Waiting {
                instance,
                status,
                since,
                ..
            } => {
                let elapsed = (ctx.now - *since).num_seconds().max(0);
                (
                    "Stopping the instance",
                    vec![
                        Line::raw(name(instance)),
                        Line::raw(""),
                        Line::from(vec![
                            Span::raw(format!("{} Status: ", ctx.spinner())),
                            Span::styled(status.clone(), theme.warning),
                            Span::styled(format!("  ({elapsed} s)"), theme.muted),
                        ]),
                        Line::styled(
                            "Waiting for Stopped; then it becomes the source.",
                            theme.muted,
                        ),
                    ],
                    &[("Esc", "stop waiting")],
                )
            }
        };
        Dialog {
            title,
            lines,
            keys,
            accent: theme.warning,
            width: 64,
            scroll: 0,
        }
        .render(theme, frame, area);
    }
}

impl StepScreen for SourceStep {
    fn enter(&mut self, ctx: &mut StepCtx) {
        if !ctx.spec.source.is_empty() {
            self.kind = SourceKind::of(&ctx.spec.source);
        }
        self.load_missing(ctx);
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        for request in [self.instances_request.take(), self.snapshots_request.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel(request);
        }
        self.instances.interrupt();
        self.snapshots.interrupt();
        if let Some(Stop::Waiting { request, .. }) = self.stop.take() {
            ctx.cancel(request);
        }
        self.stop = None;
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        if let Some(stop) = self.stop.take() {
            let outcome = self.stop_key(stop, key, ctx);
            return outcome;
        }
        match key.code {
            KeyCode::Tab => {
                self.switch_tab(true, ctx);
                return Outcome::Handled;
            }
            KeyCode::BackTab => {
                self.switch_tab(false, ctx);
                return Outcome::Handled;
            }
            _ => {}
        }
        let event = match self.kind {
            SourceKind::Instance => self.instances.handle_key(key),
            SourceKind::Snapshot => self.snapshots.handle_key(key),
            SourceKind::Mapping => {
                return match key.code {
                    KeyCode::Enter => self.choose_mapping(ctx),
                    _ => Outcome::Ignored,
                };
            }
        };
        match event {
            PickerEvent::Chosen(i) => match self.kind {
                SourceKind::Instance => self.choose_instance(i, ctx),
                _ => self.choose_snapshot(i, ctx),
            },
            PickerEvent::Refused(reason) => {
                ctx.notify(format!("Cannot use this one: {reason}"));
                Outcome::Handled
            }
            PickerEvent::Refresh => {
                match self.kind {
                    SourceKind::Instance => self.load_instances(ctx),
                    _ => self.load_snapshots(ctx),
                }
                Outcome::Handled
            }
            PickerEvent::Handled => Outcome::Handled,
            PickerEvent::Ignored => Outcome::Ignored,
        }
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Outcome {
        if self.stop.is_some() {
            return Outcome::Ignored;
        }
        let event = match self.kind {
            SourceKind::Instance => self.instances.handle_mouse(event),
            SourceKind::Snapshot => self.snapshots.handle_mouse(event),
            SourceKind::Mapping => PickerEvent::Ignored,
        };
        if event == PickerEvent::Ignored {
            Outcome::Ignored
        } else {
            Outcome::Handled
        }
    }

    fn paste(&mut self, text: &str, _ctx: &mut StepCtx) -> Outcome {
        let event = match (self.kind, &self.stop) {
            (SourceKind::Instance, None) => self.instances.handle_paste(text),
            (SourceKind::Snapshot, None) => self.snapshots.handle_paste(text),
            _ => PickerEvent::Ignored,
        };
        if event == PickerEvent::Ignored {
            Outcome::Ignored
        } else {
            Outcome::Handled
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        if matches!(&self.stop, Some(Stop::Waiting { request, .. }) if *request == id) {
            self.stop_result(result, ctx);
            return;
        }
        if self.instances_request == Some(id) {
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
                if let Some(Stop::Confirm(instance)) = self.stop.take() {
                    self.send_stop(instance, ctx);
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

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let theme = ctx.theme;
        if area.height < 6 {
            return;
        }
        let tabs = Rect { height: 1, ..area };
        let chosen = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        let body = Rect {
            y: area.y + 3,
            height: area.height - 3,
            ..area
        };
        self.render_tabs(ctx, frame, tabs);
        self.render_chosen(ctx, frame, chosen);
        let region = format!("No {{}} in {}.", ctx.spec.region);
        match self.kind {
            SourceKind::Instance => self.instances.render(
                &PickerStyle {
                    theme,
                    spinner: ctx.spinner(),
                    focused: ctx.focused && self.stop.is_none(),
                    empty: &region.replace("{}", "instances"),
                },
                frame,
                body,
            ),
            SourceKind::Snapshot => self.snapshots.render(
                &PickerStyle {
                    theme,
                    spinner: ctx.spinner(),
                    focused: ctx.focused && self.stop.is_none(),
                    empty: &region.replace("{}", "snapshots"),
                },
                frame,
                body,
            ),
            SourceKind::Mapping => {
                let text = vec![
                    Line::styled("Build the image from a list of disks", theme.title),
                    Line::raw(""),
                    Line::raw(
                        "A disk mapping names exactly one system disk and up to 16 data disks. \
                         Each disk comes from a snapshot (system or data) or is an empty data \
                         disk of a size you choose. A data-disk snapshot can become the system \
                         disk; then give the platform and architecture in step 3.",
                    ),
                    Line::raw(""),
                    Line::from(vec![
                        Span::styled("Enter", theme.key),
                        Span::raw(" opens the disk editor (step 2)."),
                    ]),
                ];
                let inner = Rect {
                    x: body.x + 2,
                    width: body.width.saturating_sub(4),
                    ..body
                };
                frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
            }
        }
        if let Some(stop) = &self.stop {
            self.render_stop(stop, ctx, frame, area);
        }
    }

    fn footer(&self) -> Vec<KeyHint> {
        match (&self.stop, self.kind) {
            (Some(_), _) => Vec::new(),
            (None, SourceKind::Mapping) => vec![("Enter", "edit disks"), ("Tab", "source type")],
            (None, _) => vec![
                ("↑↓", "move"),
                ("Enter", "choose"),
                ("Tab", "source type"),
                ("^R", "refresh"),
                ("^S", "sort"),
                ("^G", "region"),
            ],
        }
    }

    fn help(&self) -> &'static [KeyHint] {
        &[
            (
                "Tab / Shift+Tab",
                "instance, system-disk snapshot, or disk mapping",
            ),
            (
                "type",
                "filter the list (fuzzy; several words must all match)",
            ),
            (
                "↑↓ PgUp PgDn",
                "move; Home / End jump to the first / last row",
            ),
            ("Enter", "use the selected row"),
            ("^R / F5", "reload the list"),
            (
                "^S / ^O",
                "sort by the next column / reverse (or click a header)",
            ),
            ("Esc", "clear the filter"),
            (
                "",
                "Rows marked ✗ cannot become an image; the reason shows below the list.",
            ),
            (
                "",
                "A Running instance works; stopping it first keeps its data consistent.",
            ),
            (
                "",
                "ecsimg offers StopInstances and waits until the instance is Stopped.",
            ),
            ("", "Filter syntax: 'exact  ^prefix  suffix$  !exclude"),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Picker kinds

/// `2024-01-02T03:04Z` or `2024-01-02T03:04:05Z` → `2024-01-02 03:04`.
fn short_time(time: &str) -> Cow<'_, str> {
    match time.get(..16) {
        Some(head) if head.as_bytes().get(10) == Some(&b'T') => {
            Cow::Owned(format!("{} {}", &head[..10], &head[11..]))
        }
        _ => Cow::Borrowed(time),
    }
}

static INSTANCE_COLUMNS: [Column<Instance>; 7] = [
    Column {
        title: "ID",
        min: 22,
        max: 24,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.instance_id),
        cmp: Some(|a, b| a.instance_id.cmp(&b.instance_id)),
    },
    Column {
        title: "Name",
        min: 10,
        max: 32,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.instance_name),
        cmp: Some(|a, b| a.instance_name.cmp(&b.instance_name)),
    },
    Column {
        title: "Status",
        min: 8,
        max: 8,
        priority: 0,
        right: false,
        cell: |i| Cow::Borrowed(&i.status),
        cmp: Some(|a, b| a.status.cmp(&b.status)),
    },
    Column {
        title: "OS",
        min: 12,
        max: 30,
        priority: 2,
        right: false,
        cell: |i| Cow::Borrowed(i.os_display_name()),
        cmp: Some(|a, b| a.os_display_name().cmp(b.os_display_name())),
    },
    Column {
        title: "Type",
        min: 14,
        max: 18,
        priority: 4,
        right: false,
        cell: |i| Cow::Borrowed(&i.instance_type),
        cmp: Some(|a, b| a.instance_type.cmp(&b.instance_type)),
    },
    Column {
        title: "Zone",
        min: 14,
        max: 16,
        priority: 3,
        right: false,
        cell: |i| Cow::Borrowed(&i.zone_id),
        cmp: Some(|a, b| a.zone_id.cmp(&b.zone_id)),
    },
    Column {
        title: "Created",
        min: 16,
        max: 16,
        priority: 1,
        right: false,
        cell: |i| short_time(&i.creation_time),
        cmp: Some(|a, b| a.creation_time.cmp(&b.creation_time)),
    },
];

/// Why an instance cannot become an image.
fn instance_problem(i: &Instance) -> Option<Cow<'_, str>> {
    if i.is_security_locked() {
        Some(Cow::Borrowed(
            "locked for security reasons: CreateImage refuses it (InstanceLockedForSecurity)",
        ))
    } else if !i.can_create_image() {
        Some(Cow::Owned(format!(
            "{}: CreateImage needs a Running or Stopped instance; refresh (^R) later",
            i.status
        )))
    } else {
        None
    }
}

pub static INSTANCES: PickerKind<Instance> = PickerKind {
    noun: "instances",
    columns: &INSTANCE_COLUMNS,
    key: |i| &i.instance_id,
    haystack: |i| {
        format!(
            "{} {} {} {}",
            i.instance_id,
            i.instance_name,
            i.status,
            i.os_display_name()
        )
    },
    unusable: instance_problem,
};

/// Snapshot columns, shared with the disk editor's snapshot picker.
pub static SNAPSHOT_COLUMNS: [Column<Snapshot>; 6] = [
    Column {
        title: "ID",
        min: 22,
        max: 24,
        priority: 0,
        right: false,
        cell: |s| Cow::Borrowed(&s.snapshot_id),
        cmp: Some(|a, b| a.snapshot_id.cmp(&b.snapshot_id)),
    },
    Column {
        title: "Name",
        min: 10,
        max: 32,
        priority: 0,
        right: false,
        cell: |s| Cow::Borrowed(&s.snapshot_name),
        cmp: Some(|a, b| a.snapshot_name.cmp(&b.snapshot_name)),
    },
    Column {
        title: "Status",
        min: 9,
        max: 12,
        priority: 0,
        right: false,
        cell: |s| match s.status.as_str() {
            "accomplished" => Cow::Borrowed("ready"),
            "progressing" => Cow::Owned(match s.progress_percent() {
                Some(p) => format!("{p}%"),
                None => "creating".to_string(),
            }),
            other => Cow::Borrowed(other),
        },
        cmp: Some(|a, b| a.status.cmp(&b.status)),
    },
    Column {
        title: "Disk",
        min: 6,
        max: 6,
        priority: 1,
        right: false,
        cell: |s| Cow::Borrowed(&s.source_disk_type),
        cmp: Some(|a, b| a.source_disk_type.cmp(&b.source_disk_type)),
    },
    Column {
        title: "Size",
        min: 8,
        max: 9,
        priority: 1,
        right: true,
        cell: |s| match s.source_disk_size_gib() {
            Some(gib) => Cow::Owned(format!("{gib} GiB")),
            None => Cow::Borrowed(""),
        },
        cmp: Some(|a, b| a.source_disk_size_gib().cmp(&b.source_disk_size_gib())),
    },
    Column {
        title: "Created",
        min: 16,
        max: 16,
        priority: 1,
        right: false,
        cell: |s| short_time(&s.creation_time),
        cmp: Some(|a, b| a.creation_time.cmp(&b.creation_time)),
    },
];

/// Why a snapshot cannot become (part of) an image: not finished, failed, or too old.
pub fn snapshot_problem(s: &Snapshot) -> Option<Cow<'_, str>> {
    match s.status.as_str() {
        "accomplished" => {}
        "progressing" => {
            return Some(Cow::Owned(format!(
                "still being created ({}); only finished snapshots can be used",
                s.progress_percent()
                    .map_or("in progress".to_string(), |p| format!("{p}%"))
            )));
        }
        "failed" => return Some(Cow::Borrowed("the snapshot failed; it cannot be used")),
        other => {
            return Some(Cow::Owned(format!(
                "status {other}; only finished snapshots can be used"
            )));
        }
    }
    let created = DateTime::parse_from_rfc3339(&s.creation_time).ok()?;
    if !rules::snapshot_date_allowed(created.with_timezone(&Utc)) {
        return Some(Cow::Borrowed(
            "created on or before 2013-07-15; CreateImage refuses snapshots that old",
        ));
    }
    None
}

/// A snapshot used alone must also come from a system disk.
fn system_snapshot_problem(s: &Snapshot) -> Option<Cow<'_, str>> {
    snapshot_problem(s).or_else(|| {
        (!s.is_system_disk()).then_some(Cow::Borrowed(
            "taken of a data disk; use a disk mapping to make it a system disk",
        ))
    })
}

/// The facts `spec::validate_with` checks for a chosen snapshot.
pub fn snapshot_facts(s: &Snapshot) -> Option<SnapshotFacts> {
    Some(SnapshotFacts {
        size_gib: u32::try_from(s.source_disk_size_gib()?).ok()?,
        status: s.status.clone(),
        creation_time: DateTime::parse_from_rfc3339(&s.creation_time)
            .ok()?
            .with_timezone(&Utc),
        source_disk_type: if s.is_system_disk() {
            DiskType::System
        } else {
            DiskType::Data
        },
        encrypted: s.encrypted,
    })
}

pub static SNAPSHOTS: PickerKind<Snapshot> = PickerKind {
    noun: "snapshots",
    columns: &SNAPSHOT_COLUMNS,
    key: |s| &s.snapshot_id,
    haystack: |s| format!("{} {}", s.snapshot_id, s.snapshot_name),
    unusable: system_snapshot_problem,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::InstanceResponse;
    use crate::tui::app::{App, Overlay};
    use crate::tui::effect::Effect;
    use crate::tui::msg::{Owner, Page};
    use crate::tui::steps::Step;
    use crate::tui::testing::*;

    /// A wizard showing the sample instances.
    fn with_instances() -> App {
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer_instances(&mut app, id, sample_instances());
        app
    }

    /// The same, switched to the snapshot tab with the sample snapshots.
    fn with_snapshots() -> App {
        let mut app = with_instances();
        let effects = key(&mut app, KeyCode::Tab);
        let (id, call) = only_call(&effects);
        assert_eq!(call, Call::Snapshots(SnapshotQuery::default()));
        answer_snapshots(&mut app, id, sample_snapshots());
        app
    }

    fn stopping(app: &App) -> Option<&Stop> {
        app.steps.source.stop.as_ref()
    }

    #[test]
    fn choosing_a_stopped_instance_moves_on() {
        let mut app = with_instances();
        type_text(&mut app, "build");
        // Fuzzy matching is generous; the best match comes first and is selected.
        let best = app
            .steps
            .source
            .instances()
            .selected()
            .map(|i| i.instance_name.clone());
        assert_eq!(best.as_deref(), Some("build-agent"));
        let effects = key(&mut app, KeyCode::Enter);
        assert_eq!(
            app.spec.source,
            Source::Instance {
                instance_id: "i-bp1g6zv0ce8oghu7k005".into()
            }
        );
        assert_eq!(app.step, Step::Disks);
        assert!(effects.iter().all(
            |e| !matches!(e, Effect::Call { id, .. } if id.owner == Owner::Step(Step::Source))
        ));
    }

    #[test]
    fn unusable_instances_are_refused_with_the_reason() {
        let mut app = with_instances();
        type_text(&mut app, "batch");
        key(&mut app, KeyCode::Enter);
        assert!(app.spec.source.is_empty());
        assert_eq!(app.step, Step::Source);
        let notice = app.notice.clone().unwrap_or_default();
        assert!(notice.contains("Starting"), "{notice}");
        key(&mut app, KeyCode::Esc);
        type_text(&mut app, "quarantined");
        key(&mut app, KeyCode::Enter);
        assert!(
            app.notice
                .clone()
                .unwrap_or_default()
                .contains("InstanceLockedForSecurity")
        );
        assert!(app.spec.source.is_empty());
    }

    #[test]
    fn a_running_instance_can_be_used_after_the_warning() {
        let mut app = with_instances();
        key(&mut app, KeyCode::Enter); // web-prod-01, Running
        assert!(matches!(stopping(&app), Some(Stop::Warn(_))));
        assert!(app.spec.source.is_empty());
        assert!(screen_text(&app, 80, 24).contains("Data cached in memory"));
        key(&mut app, KeyCode::Char('u'));
        assert_eq!(app.step, Step::Disks);
        assert_eq!(
            app.spec.source,
            Source::Instance {
                instance_id: "i-bp1g6zv0ce8oghu7k001".into()
            }
        );
    }

    #[test]
    fn stopping_a_running_instance_needs_a_second_yes_and_waits_for_stopped() {
        let mut app = with_instances();
        key(&mut app, KeyCode::Enter);
        assert!(calls(&key(&mut app, KeyCode::Char('s'))).is_empty());
        assert!(matches!(stopping(&app), Some(Stop::Confirm(_))));
        // `n` goes back to the warning; nothing was sent.
        assert!(calls(&key(&mut app, KeyCode::Char('n'))).is_empty());
        key(&mut app, KeyCode::Char('s'));
        let (stop_id, call) = only_call(&key(&mut app, KeyCode::Char('y')));
        assert_eq!(
            call,
            Call::StopInstance {
                instance_id: "i-bp1g6zv0ce8oghu7k001".into()
            }
        );
        assert!(app.busy());
        let response = InstanceResponse {
            instance_id: "i-bp1g6zv0ce8oghu7k001".into(),
            previous_status: "Running".into(),
            current_status: "Stopping".into(),
            code: "200".into(),
            message: String::new(),
        };
        let effects = answer(&mut app, stop_id, Ok(Loaded::Stopping(vec![response])));
        let Effect::Call {
            id: poll,
            call,
            delay,
        } = &effects[0]
        else {
            panic!("a delayed poll, got {effects:?}")
        };
        assert_eq!(*delay, POLL_EVERY);
        assert_eq!(
            *call,
            Call::Instances(one_instance("i-bp1g6zv0ce8oghu7k001"))
        );
        assert!(screen_text(&app, 80, 24).contains("Stopping"));
        // Still stopping: another poll.
        let mut row = instance("i-bp1g6zv0ce8oghu7k001", "web-prod-01", "Stopping");
        answer(
            &mut app,
            *poll,
            Ok(Loaded::Instances(Page {
                rows: vec![row.clone()],
                last: false,
            })),
        );
        let effects = answer(
            &mut app,
            *poll,
            Ok(Loaded::Instances(Page {
                rows: vec![],
                last: true,
            })),
        );
        let (poll2, _) = only_call(&effects);
        assert!(app.spec.source.is_empty());
        // Stopped: chosen, and the row shows the new status.
        row.status = "Stopped".into();
        answer(
            &mut app,
            poll2,
            Ok(Loaded::Instances(Page {
                rows: vec![row],
                last: false,
            })),
        );
        let effects = answer(
            &mut app,
            poll2,
            Ok(Loaded::Instances(Page {
                rows: vec![],
                last: true,
            })),
        );
        assert!(calls(&effects).is_empty());
        assert!(stopping(&app).is_none());
        assert_eq!(
            app.spec.source,
            Source::Instance {
                instance_id: "i-bp1g6zv0ce8oghu7k001".into()
            }
        );
        assert_eq!(app.steps.source.instances().rows()[0].status, "Stopped");
        assert!(app.notice.clone().unwrap_or_default().contains("Stopped"));
    }

    #[test]
    fn a_refused_stop_is_reported_and_a_failed_one_can_be_retried() {
        let mut app = with_instances();
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('s'));
        let (stop_id, _) = only_call(&key(&mut app, KeyCode::Char('y')));
        answer(
            &mut app,
            stop_id,
            Err(service_error(
                "IncorrectInstanceStatus",
                "The current status of the instance does not support this operation.",
            )),
        );
        assert!(matches!(app.overlay, Some(Overlay::Error { .. })));
        let (again, call) = only_call(&key(&mut app, KeyCode::Char('r')));
        assert!(matches!(call, Call::StopInstance { .. }));
        let refused = InstanceResponse {
            instance_id: "i-bp1g6zv0ce8oghu7k001".into(),
            code: "InstanceLockedForSecurity".into(),
            message: "locked".into(),
            ..InstanceResponse::default()
        };
        answer(&mut app, again, Ok(Loaded::Stopping(vec![refused])));
        assert!(stopping(&app).is_none());
        assert!(
            app.notice
                .clone()
                .unwrap_or_default()
                .contains("InstanceLockedForSecurity")
        );
    }

    #[test]
    fn esc_stops_waiting_without_choosing() {
        let mut app = with_instances();
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('s'));
        let (stop_id, _) = only_call(&key(&mut app, KeyCode::Char('y')));
        let effects = key(&mut app, KeyCode::Esc);
        assert_eq!(effects, vec![Effect::Cancel(stop_id)]);
        assert!(stopping(&app).is_none());
        assert_eq!(app.step, Step::Source);
        assert!(app.spec.source.is_empty());
    }

    #[test]
    fn a_system_snapshot_becomes_the_source_with_its_facts() {
        let mut app = with_snapshots();
        assert_eq!(app.steps.source.kind(), SourceKind::Snapshot);
        key(&mut app, KeyCode::Enter);
        assert_eq!(
            app.spec.source,
            Source::Snapshot {
                snapshot_id: "s-bp17441ohwkdca0k0001".into()
            }
        );
        assert_eq!(app.facts.snapshots["s-bp17441ohwkdca0k0001"].size_gib, 40);
        assert_eq!(app.step, Step::Disks);
    }

    #[test]
    fn data_in_progress_and_old_snapshots_are_refused() {
        let mut app = with_snapshots();
        for (row, reason) in [(1, "data disk"), (2, "43%"), (3, "2013-07-15")] {
            key(&mut app, KeyCode::Home);
            for _ in 0..row {
                key(&mut app, KeyCode::Down);
            }
            key(&mut app, KeyCode::Enter);
            let notice = app.notice.clone().unwrap_or_default();
            assert!(notice.contains(reason), "row {row}: {notice}");
            assert!(app.spec.source.is_empty());
        }
    }

    #[test]
    fn a_disk_mapping_starts_with_a_system_disk_and_opens_the_editor() {
        let mut app = with_instances();
        key(&mut app, KeyCode::BackTab);
        assert_eq!(app.steps.source.kind(), SourceKind::Mapping);
        key(&mut app, KeyCode::Enter);
        let Source::Disks(disks) = &app.spec.source else {
            panic!("a mapping")
        };
        assert_eq!(disks.len(), 1);
        assert_eq!(disks[0].disk_type, DiskType::System);
        assert_eq!(app.step, Step::Disks);
        // Back on step 1, the tab follows the chosen source.
        ctrl(&mut app, 'p');
        assert_eq!(app.steps.source.kind(), SourceKind::Mapping);
    }

    #[test]
    fn refresh_reloads_and_keeps_the_selection() {
        let mut app = with_instances();
        key(&mut app, KeyCode::Down);
        let (id, _) = only_call(&ctrl(&mut app, 'r'));
        assert!(app.steps.source.instances().is_loading());
        answer_instances(&mut app, id, sample_instances());
        let selected = app
            .steps
            .source
            .instances()
            .selected()
            .map(|i| i.instance_id.clone());
        assert_eq!(selected.as_deref(), Some("i-bp1g6zv0ce8oghu7k002"));
    }

    #[test]
    fn snapshots_of_step_one() {
        let mut app = with_instances();
        insta::assert_snapshot!("source_instances_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("source_instances_160x48", render(&app, 160, 48));
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!("source_running_warning_80x24", render(&app, 80, 24));
        let mut app = with_snapshots();
        key(&mut app, KeyCode::Down);
        insta::assert_snapshot!("source_snapshots_80x24", render(&app, 80, 24));
        key(&mut app, KeyCode::Tab);
        insta::assert_snapshot!("source_mapping_80x24", render(&app, 80, 24));
        let (mut app, _) = wizard();
        insta::assert_snapshot!("source_loading_80x24", render(&app, 80, 24));
        key(&mut app, KeyCode::Char('?'));
        insta::assert_snapshot!("help_80x24", render(&app, 80, 24));
    }
}
