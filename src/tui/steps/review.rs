//! Step 5, review: exactly what will be sent, proved by a DryRun.
//!
//! The **Summary** tab lists the answers grouped by step, each group with its problems — the
//! shared validators' findings plus the warnings a careful operator wants (a Running source
//! instance, encrypted snapshots, a boot mode the source may not support, no image check);
//! Enter on a problem jumps to the field that causes it. **Request** shows the exact wire
//! parameters (`spec::to_params`), **CLI** the equivalent `aliyun` command, **Recipe** the TOML
//! that `ecsimg create --recipe` replays (`w` saves it, asking before replacing a file). On wide
//! screens the summary stays on the left and the other tabs show beside it.
//!
//! `d` sends the request with `DryRun=true`: ECS runs every check and creates nothing. A pass
//! shows the RequestId; a refusal shows the code, the message, what it means, how to fix it and
//! the field to change.
//!
//! Entering the review gives the spec its ClientToken, once: it stays with these answers, so
//! however often they are submitted (a retry, a second press) at most one image is created.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::source::snapshot_facts;
use super::{KeyHint, Outcome, Step, StepCtx, StepScreen, ViewCtx};
use crate::api::model::{Disk, DiskQuery, Image, ImageQuery, Instance, SnapshotQuery};
use crate::api::{ApiError, CreateImageOutcome};
use crate::spec::{
    BootMode, Context, DiskType, Field, FieldError, ImageSpec, Severity, Source, rules, to_cli,
    to_params, to_recipe,
};
use crate::tui::effect::{Call, one_instance};
use crate::tui::msg::{Loaded, RequestId, Saved};
use crate::tui::theme::Theme;
use crate::tui::view::ErrorReport;
use crate::tui::widgets::dialog::{Dialog, input_box};
use crate::tui::widgets::tabs::{Scroll, tab_bar, wrap_line, wrap_lines};
use crate::tui::widgets::text_field::{Edit, TextField};

type Params = Vec<(String, String)>;

/// Below this width the summary and the request are tabs of one pane; from it on they sit side
/// by side.
const SIDE_BY_SIDE: u16 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Summary,
    Request,
    Cli,
    Recipe,
}

const TABS: [Tab; 4] = [Tab::Summary, Tab::Request, Tab::Cli, Tab::Recipe];

impl Tab {
    fn title(self) -> &'static str {
        match self {
            Tab::Summary => "Summary",
            Tab::Request => "Request",
            Tab::Cli => "CLI",
            Tab::Recipe => "Recipe",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A DryRun and what came of it, for the parameters it checked (so a later change of the
/// answers shows the result as stale).
#[derive(Debug, Clone, PartialEq)]
enum DryRun {
    NotRun,
    Running {
        id: RequestId,
        params: Params,
    },
    Passed {
        request_id: String,
        params: Params,
    },
    Failed {
        report: Box<ErrorReport>,
        /// The field the error code points at (`field` in `assets/errors.toml`).
        field: Option<Field>,
        params: Params,
    },
}

/// What the warnings need to know about the source beyond the spec, looked up on entering.
#[derive(Debug, Default)]
struct SourceFacts {
    /// The source instance as DescribeInstances lists it now.
    instance: Option<Instance>,
    instance_request: Option<RequestId>,
    /// The instance's disks.
    disks: Vec<Disk>,
    disks_request: Option<RequestId>,
    /// The image the instance runs (its boot mode and architecture).
    image: Option<Image>,
    image_request: Option<RequestId>,
    snapshots_request: Option<RequestId>,
    /// Why a lookup failed; the warnings may then be incomplete.
    failed: Option<String>,
}

impl SourceFacts {
    fn requests(&self) -> impl Iterator<Item = RequestId> {
        [
            self.instance_request,
            self.disks_request,
            self.image_request,
            self.snapshots_request,
        ]
        .into_iter()
        .flatten()
    }
}

/// Something to fix (an error) or to consider (a warning), about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub severity: Severity,
    pub text: String,
}

impl Problem {
    fn warning(field: Field, text: impl Into<String>) -> Problem {
        Problem {
            field,
            severity: Severity::Warning,
            text: text.into(),
        }
    }

    fn of(finding: &FieldError) -> Problem {
        Problem {
            field: finding.field,
            severity: finding.severity,
            text: finding.message.clone(),
        }
    }
}

/// "Save the recipe": the path prompt, the write, and the question before replacing a file.
#[derive(Debug)]
enum Save {
    Prompt {
        path: TextField,
        error: Option<String>,
    },
    Saving {
        id: RequestId,
    },
    ConfirmReplace {
        path: PathBuf,
    },
}

#[derive(Debug)]
pub struct ReviewStep {
    /// The tab with the focus.
    tab: Tab,
    /// The tab shown beside the summary on wide screens (the last one other than Summary).
    beside: Tab,
    /// The selected entry of [`ReviewStep::items`].
    selected: usize,
    scroll: [Scroll; 4],
    dry_run: DryRun,
    facts: SourceFacts,
    save: Option<Save>,
    /// Where requests go, for the Request tab (from the session on entering).
    endpoint: Option<String>,
    credential_source: Option<String>,
}

impl Default for ReviewStep {
    fn default() -> Self {
        ReviewStep {
            tab: Tab::Summary,
            beside: Tab::Request,
            selected: 0,
            scroll: Default::default(),
            dry_run: DryRun::NotRun,
            facts: SourceFacts::default(),
            save: None,
            endpoint: None,
            credential_source: None,
        }
    }
}

/// The warnings the review adds to the validators' findings.
pub fn warnings(
    spec: &ImageSpec,
    context: &Context,
    instance: Option<&Instance>,
    disks: &[Disk],
    source_image: Option<&Image>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(instance) = instance.filter(|i| i.status == "Running") {
        out.push(Problem::warning(
            Field::InstanceId,
            format!(
                "{} is Running: data cached in memory may not be on disk yet, so the image can \
                 differ from what the instance holds. Stop it first (step 1 offers \
                 StopInstances), or accept the risk.",
                instance.instance_id
            ),
        ));
    }
    for disk in disks.iter().filter(|d| d.encrypted) {
        out.push(Problem::warning(
            Field::InstanceId,
            format!(
                "Disk {} ({}) is encrypted: its snapshot in the image is encrypted too, and \
                 sharing or copying the image needs access to its KMS key.",
                disk.disk_id,
                if disk.device.is_empty() {
                    &disk.disk_type
                } else {
                    &disk.device
                }
            ),
        ));
    }
    let snapshots: Vec<(Field, &str)> = match &spec.source {
        Source::Snapshot { snapshot_id } => vec![(Field::SnapshotId, snapshot_id.as_str())],
        Source::Disks(disks) => disks
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((Field::SourceDiskSnapshot(i), d.snapshot_id.as_deref()?)))
            .collect(),
        Source::Instance { .. } => Vec::new(),
    };
    for (field, id) in &snapshots {
        if context.snapshots.get(*id).is_some_and(|f| f.encrypted) {
            out.push(Problem::warning(
                *field,
                format!(
                    "Snapshot {id} is encrypted: the image's disk is encrypted with the same KMS \
                     key, and sharing or copying the image needs access to that key."
                ),
            ));
        }
    }
    if let Some(mode) = spec.image.boot_mode {
        out.extend(
            boot_mode_warning(spec, mode, source_image)
                .map(|t| Problem::warning(Field::BootMode, t)),
        );
    }
    if spec.features.detection_strategy.is_none() {
        out.push(Problem::warning(
            Field::DetectionStrategy,
            "Not requested. With Standard, ECS checks the finished image for problems that stop \
             instances from starting (drivers, cloud-init, NVMe), as the CreateImage reference \
             recommends.",
        ));
    }
    out
}

/// Why `mode` may not boot: the architecture rules ECS enforces, and the source image's own
/// boot mode when the source is an instance; for snapshots ECS cannot tell, so say so.
fn boot_mode_warning(
    spec: &ImageSpec,
    mode: BootMode,
    source_image: Option<&Image>,
) -> Option<String> {
    let architecture = spec
        .image
        .architecture
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            source_image
                .map(|i| i.architecture.clone())
                .filter(|a| !a.is_empty())
        });
    match (architecture.as_deref(), mode) {
        (Some("arm64"), BootMode::Bios) => {
            return Some(
                "arm64 images boot only with UEFI: ECS refuses BIOS for them \
                 (InvalidBootMode.NotSupport). Choose UEFI or leave the boot mode unset."
                    .into(),
            );
        }
        (Some("i386"), BootMode::Uefi | BootMode::UefiPreferred) => {
            return Some(
                "32-bit (i386) systems boot with BIOS; UEFI is not available to them. Choose \
                 BIOS or leave the boot mode unset."
                    .into(),
            );
        }
        _ => {}
    }
    match (&spec.source, source_image.map(|i| i.boot_mode.as_str())) {
        (Source::Instance { .. }, Some(source)) if !source.is_empty() => {
            let fits = source == mode.as_str()
                || source == BootMode::UefiPreferred.as_str()
                || mode == BootMode::UefiPreferred;
            (!fits).then(|| {
                format!(
                    "The instance's image boots with {source}; with {mode} instances created \
                     from the new image fail to start unless its OS can boot that way too."
                )
            })
        }
        _ => Some(format!(
            "ECS cannot check which boot modes the system on the source supports: if it cannot \
             boot with {mode}, instances created from the image fail to start. Leave it unset \
             unless you know."
        )),
    }
}

/// The Field a recipe key names (`field` in `assets/errors.toml`), for whole fields only.
pub(crate) fn field_of_key(key: &str, spec: &ImageSpec) -> Option<Field> {
    const FIELDS: [Field; 15] = [
        Field::Region,
        Field::Source,
        Field::SourceDisks,
        Field::ImageName,
        Field::ImageFamily,
        Field::ImageVersion,
        Field::Description,
        Field::Platform,
        Field::Architecture,
        Field::BootMode,
        Field::ResourceGroupId,
        Field::Tags,
        Field::ImdsSupport,
        Field::DetectionStrategy,
        Field::ClientToken,
    ];
    FIELDS.into_iter().find(|f| f.recipe_key(spec) == key)
}

/// The recipe as saved: without the ClientToken, so every replay is a request of its own (a
/// replay with another `{date}` in the name would otherwise be refused as a token reuse).
fn recipe_text(spec: &ImageSpec) -> String {
    to_recipe(&ImageSpec {
        client_token: None,
        ..spec.clone()
    })
}

/// The `aliyun` command on several lines (` \` continuations), one parameter per line, so it
/// pastes into a shell as is. The words are exactly `to_cli`'s.
fn cli_lines(spec: &ImageSpec) -> Result<Vec<String>, String> {
    let line = to_cli(spec).map_err(|e| e.to_string())?;
    let words = shlex::split(&line).ok_or("the command line does not split back into words")?;
    let quote = |w: &str| {
        shlex::try_quote(w)
            .map(|q| q.into_owned())
            .map_err(|e| e.to_string())
    };
    let mut lines = vec![words.iter().take(3).cloned().collect::<Vec<_>>().join(" ")];
    for pair in words[3.min(words.len())..].chunks(2) {
        let mut text = format!("  {}", quote(&pair[0])?);
        if let Some(value) = pair.get(1) {
            text.push(' ');
            text.push_str(&quote(value)?);
        }
        lines.push(text);
    }
    let last = lines.len() - 1;
    for line in &mut lines[..last] {
        line.push_str(" \\");
    }
    Ok(lines)
}

impl ReviewStep {
    /// The selectable entries of the summary, in screen order: the DryRun's field (when it
    /// failed on one), then each step's problems, errors first.
    fn items(&self, spec: &ImageSpec, findings: &[FieldError], context: &Context) -> Vec<Problem> {
        let mut items = Vec::new();
        if let DryRun::Failed {
            field: Some(field),
            report,
            ..
        } = &self.dry_run
        {
            items.push(Problem {
                field: *field,
                severity: Severity::Error,
                text: report.message.clone(),
            });
        }
        let problems = self.problems(spec, findings, context);
        for step in Step::ALL {
            items.extend(
                problems
                    .iter()
                    .filter(|p| Step::of_field(p.field) == step)
                    .cloned(),
            );
        }
        items
    }

    /// Findings and warnings, errors first.
    fn problems(
        &self,
        spec: &ImageSpec,
        findings: &[FieldError],
        context: &Context,
    ) -> Vec<Problem> {
        let mut problems: Vec<Problem> = findings.iter().map(Problem::of).collect();
        problems.extend(warnings(
            spec,
            context,
            self.facts.instance.as_ref(),
            &self.facts.disks,
            self.facts.image.as_ref(),
        ));
        problems.sort_by_key(|p| p.severity != Severity::Error);
        problems
    }

    fn scroll(&self, tab: Tab) -> &Scroll {
        &self.scroll[tab.index()]
    }

    fn switch_tab(&mut self, forward: bool) {
        let i = self.tab.index();
        let next = if forward {
            (i + 1) % TABS.len()
        } else {
            (i + TABS.len() - 1) % TABS.len()
        };
        self.tab = TABS[next];
        if self.tab != Tab::Summary {
            self.beside = self.tab;
        }
    }

    /// Refreshes what the warnings need: the instance (status, disks, image) or the facts of
    /// snapshots the validators have not seen.
    fn look_up(&mut self, ctx: &mut StepCtx) {
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

    fn start_dry_run(&mut self, ctx: &mut StepCtx) {
        if let DryRun::Running { id, .. } = &self.dry_run {
            ctx.cancel(*id);
        }
        let params = to_params(ctx.spec);
        let id = ctx.call(Call::DryRun {
            params: params.clone(),
        });
        self.dry_run = DryRun::Running { id, params };
    }

    fn dry_run_answer(&mut self, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let DryRun::Running { params, .. } = std::mem::replace(&mut self.dry_run, DryRun::NotRun)
        else {
            return;
        };
        self.dry_run = match result {
            Ok(Loaded::DryRun(CreateImageOutcome::DryRunPassed { request_id })) => {
                ctx.notify(format!(
                    "DryRun passed: ECS accepted the request (RequestId {request_id})."
                ));
                DryRun::Passed { request_id, params }
            }
            Ok(Loaded::DryRun(CreateImageOutcome::Created {
                image_id,
                request_id,
                ..
            })) => DryRun::Failed {
                report: Box::new(ErrorReport {
                    doing: "DryRun".into(),
                    message: format!(
                        "The endpoint ignored DryRun and created image {image_id} (RequestId \
                         {request_id})."
                    ),
                    code: None,
                    meaning: None,
                    fix: Some(format!(
                        "Delete {image_id} if it is not wanted (aliyun ecs DeleteImage --ImageId \
                         {image_id}), and check the --endpoint setting."
                    )),
                    request_id: Some(request_id),
                    recommend: None,
                    retry: false,
                }),
                field: None,
                params,
            },
            Ok(_) => return,
            Err(error) => {
                let field = error
                    .explanation()
                    .and_then(|e| e.field.as_deref())
                    .and_then(|key| field_of_key(key, ctx.spec));
                self.tab = Tab::Summary;
                self.selected = 0;
                DryRun::Failed {
                    report: Box::new(ErrorReport::from_api("DryRun", &error, false)),
                    field,
                    params,
                }
            }
        };
    }

    fn lookup_answer(
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
                    if let Some(f) = snapshot_facts(snapshot) {
                        ctx.facts.snapshots.insert(snapshot.snapshot_id.clone(), f);
                    }
                }
                if page.last {
                    facts.snapshots_request = None;
                }
            }
            _ => {}
        }
    }

    fn open_save(&mut self, spec: &ImageSpec) {
        let name = spec
            .image
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| n.replace(['/', '\\', ' '], "_"))
            .unwrap_or_else(|| "ecsimg".into());
        let mut path = TextField::new("Path").with_value(format!("{name}.recipe.toml"));
        path.start_editing();
        self.save = Some(Save::Prompt { path, error: None });
    }

    fn save_key(&mut self, save: Save, key: KeyEvent, ctx: &mut StepCtx) {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        self.save = match (save, key.code) {
            (Save::Prompt { .. }, KeyCode::Esc) => None,
            (Save::Prompt { path, .. }, KeyCode::Enter) => {
                let target = path.value().trim().to_string();
                if target.is_empty() {
                    Some(Save::Prompt {
                        path,
                        error: Some("Type a file name.".into()),
                    })
                } else {
                    Some(self.write(PathBuf::from(target), false, ctx))
                }
            }
            (Save::Prompt { mut path, error }, _) => {
                let error = match path.handle_key(key) {
                    Edit::Changed => None,
                    _ => error,
                };
                path.start_editing();
                Some(Save::Prompt { path, error })
            }
            (Save::ConfirmReplace { path }, KeyCode::Char('y' | 'Y')) if plain => {
                Some(self.write(path, true, ctx))
            }
            (Save::ConfirmReplace { path }, KeyCode::Char('n' | 'N') | KeyCode::Esc) => {
                let mut field = TextField::new("Path").with_value(path.display().to_string());
                field.start_editing();
                Some(Save::Prompt {
                    path: field,
                    error: None,
                })
            }
            (save, _) => Some(save),
        };
    }

    fn write(&mut self, path: PathBuf, replace: bool, ctx: &mut StepCtx) -> Save {
        let id = ctx.call(Call::SaveFile {
            path,
            contents: recipe_text(ctx.spec),
            replace,
        });
        Save::Saving { id }
    }

    fn saved(&mut self, saved: Saved, ctx: &mut StepCtx) {
        self.save = match saved {
            Saved::Written { path } => {
                ctx.notify(format!(
                    "Saved; replay with: ecsimg create --recipe {}",
                    path.display()
                ));
                None
            }
            Saved::Exists { path } => Some(Save::ConfirmReplace { path }),
            Saved::Failed { path, reason } => {
                let mut field = TextField::new("Path").with_value(path.display().to_string());
                field.start_editing();
                Some(Save::Prompt {
                    path: field,
                    error: Some(format!("Could not write it: {reason}")),
                })
            }
        };
    }

    // -----------------------------------------------------------------------------------------
    // Views

    /// The short DryRun state for the tab row.
    fn dry_run_badge(&self, ctx: &ViewCtx, current: &Params) -> Span<'static> {
        let theme = ctx.theme;
        match &self.dry_run {
            DryRun::NotRun => Span::styled("DryRun: not run (d) ", theme.muted),
            DryRun::Running { .. } => Span::styled(
                format!("DryRun: {} checking ", ctx.spinner()),
                theme.warning,
            ),
            DryRun::Passed { params, .. } if params != current => {
                Span::styled("DryRun: passed, answers changed (d) ", theme.warning)
            }
            DryRun::Passed { .. } => Span::styled("DryRun: ✓ passed ", theme.ok),
            DryRun::Failed { report, .. } => Span::styled(
                format!("DryRun: ✗ {} ", report.code.as_deref().unwrap_or("failed")),
                theme.error,
            ),
        }
    }

    /// The DryRun block at the top of the summary; the failure's field line is item 0.
    fn dry_run_lines(
        &self,
        ctx: &ViewCtx,
        current: &Params,
        selected: bool,
    ) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let head = |text: String, style: Style| {
            (
                Line::from(vec![
                    Span::styled("DryRun  ", theme.title),
                    Span::styled(text, style),
                ]),
                8,
                false,
            )
        };
        match &self.dry_run {
            DryRun::NotRun => vec![head(
                "not run yet: d has ECS check the request; nothing is created.".into(),
                theme.muted,
            )],
            DryRun::Running { .. } => vec![head(
                format!("{} ECS is checking the request…", ctx.spinner()),
                theme.warning,
            )],
            DryRun::Passed { request_id, params } if params != current => vec![head(
                format!(
                    "passed (RequestId {request_id}) for earlier answers; they changed since: d checks again."
                ),
                theme.warning,
            )],
            DryRun::Passed { request_id, .. } => vec![head(
                format!("✓ passed: ECS accepted the request (RequestId {request_id})."),
                theme.ok,
            )],
            DryRun::Failed {
                report,
                field,
                params,
            } => {
                let mut lines = vec![head(format!("✗ {}", report.message), theme.error)];
                if params != current {
                    lines.push((
                        Line::styled("        (for earlier answers: d checks again)", theme.muted),
                        8,
                        false,
                    ));
                }
                if let Some(meaning) = &report.meaning {
                    lines.push((
                        Line::styled(format!("        {meaning}"), theme.text),
                        8,
                        false,
                    ));
                }
                if let Some(fix) = &report.fix {
                    lines.push((
                        Line::from(vec![
                            Span::styled("        What to do: ", theme.label_focused),
                            Span::styled(fix.clone(), theme.text),
                        ]),
                        8,
                        false,
                    ));
                }
                if let Some(field) = field {
                    let style = if selected { theme.selected } else { theme.key };
                    lines.push((
                        Line::from(vec![
                            Span::raw("        "),
                            Span::styled(
                                format!(
                                    "Field to change: {} (step {}) — Enter goes there",
                                    field.label(),
                                    Step::of_field(*field).number()
                                ),
                                style,
                            ),
                        ]),
                        8,
                        true,
                    ));
                }
                if let Some(id) = &report.request_id {
                    lines.push((
                        Line::styled(format!("        RequestId {id}"), theme.muted),
                        8,
                        false,
                    ));
                }
                lines
            }
        }
    }

    /// The summary: answers by step with their problems. Each line comes with its wrap indent
    /// and whether it starts a selectable item.
    fn summary_lines(&self, ctx: &ViewCtx, focused: bool) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let spec = ctx.spec;
        let current = to_params(spec);
        let items = self.items(spec, ctx.findings, ctx.facts);
        let mut item = 0;
        let mut lines = Vec::new();
        let dry_run_item = matches!(self.dry_run, DryRun::Failed { field: Some(_), .. });
        lines.extend(self.dry_run_lines(
            ctx,
            &current,
            focused && self.selected == 0 && dry_run_item,
        ));
        if dry_run_item {
            item += 1;
        }
        let problems = self.problems(spec, ctx.findings, ctx.facts);
        let value = |label: &str, text: String| -> (Line<'static>, u16, bool) {
            (
                Line::from(vec![
                    Span::styled(format!("  {label:<15} "), theme.label),
                    Span::styled(text, theme.text),
                ]),
                18,
                false,
            )
        };
        for step in Step::ALL {
            if step == Step::Submit {
                continue;
            }
            lines.push((Line::raw(""), 0, false));
            lines.push((
                Line::styled(format!("{} {}", step.number(), step.title()), theme.title),
                0,
                false,
            ));
            lines.extend(self.step_values(step, ctx, &value));
            for problem in problems.iter().filter(|p| Step::of_field(p.field) == step) {
                let (marker, style) = match problem.severity {
                    Severity::Error => ("✗", theme.error),
                    Severity::Warning => ("!", theme.warning),
                };
                let chosen = focused && item == self.selected && item < items.len();
                let label_style = if chosen { theme.selected } else { style };
                lines.push((
                    Line::from(vec![
                        Span::styled(
                            format!("  {marker} {}:", problem.field.label()),
                            label_style,
                        ),
                        Span::styled(format!(" {}", problem.text), theme.text),
                    ]),
                    4,
                    true,
                ));
                item += 1;
            }
        }
        if let Some(failed) = &self.facts.failed {
            lines.push((Line::raw(""), 0, false));
            lines.push((
                Line::styled(format!("{failed} (r checks again)"), theme.muted),
                0,
                false,
            ));
        }
        lines
    }

    /// What one step answered, as label/value lines.
    fn step_values(
        &self,
        step: Step,
        ctx: &ViewCtx,
        value: &dyn Fn(&str, String) -> (Line<'static>, u16, bool),
    ) -> Vec<(Line<'static>, u16, bool)> {
        let spec = ctx.spec;
        let muted = |text: String| (Line::styled(format!("  {text}"), ctx.theme.muted), 2, false);
        let loading = self.facts.instance_request.is_some() || self.facts.disks_request.is_some();
        match step {
            Step::Source => match &spec.source {
                source if source.is_empty() => vec![muted("No source chosen.".into())],
                Source::Instance { instance_id } => {
                    let detail = match &self.facts.instance {
                        Some(i) => format!(" · {} · {}", i.instance_name, i.status),
                        None if loading => format!(" · {} checking", ctx.spinner()),
                        None => String::new(),
                    };
                    vec![value("Instance", format!("{instance_id}{detail}"))]
                }
                Source::Snapshot { snapshot_id } => {
                    vec![value("Snapshot", format!("{snapshot_id} (system disk)"))]
                }
                Source::Disks(disks) => vec![value(
                    "Disk mapping",
                    format!("{} disk(s), see step 2", disks.len()),
                )],
            },
            Step::Disks => match &spec.source {
                source if source.is_empty() => Vec::new(),
                Source::Instance { .. } if self.facts.disks.is_empty() => {
                    vec![muted(if loading {
                        format!("{} listing the instance's disks", ctx.spinner())
                    } else {
                        "Every disk of the instance, as it is when the request is sent.".into()
                    })]
                }
                Source::Instance { .. } => {
                    let mut disks: Vec<&Disk> = self.facts.disks.iter().collect();
                    disks.sort_by_key(|d| (!d.is_system(), d.device.clone()));
                    disks
                        .into_iter()
                        .map(|d| {
                            let device = if d.device.is_empty() {
                                "—"
                            } else {
                                &d.device
                            };
                            let encrypted = if d.encrypted { " · encrypted" } else { "" };
                            value(
                                device,
                                format!(
                                    "{} {} GiB · {}{encrypted}",
                                    d.disk_type, d.size, d.disk_id
                                ),
                            )
                        })
                        .collect()
                }
                Source::Snapshot { snapshot_id } => vec![value(
                    rules::SYSTEM_DEVICE,
                    format!("system from {snapshot_id}"),
                )],
                Source::Disks(disks) => disks
                    .iter()
                    .zip(spec.source.devices())
                    .map(|(d, device)| {
                        let from = match &d.snapshot_id {
                            Some(id) => format!("from {id}"),
                            None => "empty".into(),
                        };
                        let size = match d.size {
                            Some(size) => format!("{size} GiB"),
                            None if d.snapshot_id.is_some() => "snapshot's size".into(),
                            None => "20 GiB".into(),
                        };
                        let kind = match d.disk_type {
                            DiskType::System => "system",
                            DiskType::Data => "data",
                        };
                        value(
                            device.as_deref().unwrap_or("—"),
                            format!("{kind} {from} · {size}"),
                        )
                    })
                    .collect(),
            },
            Step::Details => {
                let image = &spec.image;
                let fields: [(&str, Option<String>); 8] = [
                    ("Name", image.name.clone()),
                    ("Family", image.family.clone()),
                    ("Version", image.version.clone()),
                    ("Description", image.description.clone()),
                    ("Platform", image.platform.clone()),
                    ("Architecture", image.architecture.map(|a| a.to_string())),
                    ("Boot mode", image.boot_mode.map(|b| b.to_string())),
                    ("Resource group", image.resource_group_id.clone()),
                ];
                let mut lines: Vec<_> = fields
                    .iter()
                    .filter_map(|(label, v)| v.clone().map(|v| value(label, v)))
                    .collect();
                let unset: Vec<String> = fields
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(label, _)| label.to_lowercase())
                    .collect();
                if !unset.is_empty() {
                    lines.push(muted(format!(
                        "Not set (ECS decides): {}.",
                        unset.join(", ")
                    )));
                }
                lines
            }
            Step::Tags => {
                let tags = if spec.tags.is_empty() {
                    "none".to_string()
                } else {
                    spec.tags
                        .iter()
                        .map(|t| format!("{}={}", t.key, t.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let imds = spec
                    .features
                    .imds_support
                    .map_or("not set".to_string(), |v| v.to_string());
                let check = spec
                    .features
                    .detection_strategy
                    .map_or("off".to_string(), |v| v.to_string());
                vec![
                    value("Tags", tags),
                    value("IMDS support", imds),
                    value("Image check", check),
                ]
            }
            Step::Review => vec![value(
                "ClientToken",
                format!(
                    "{} (kept with these answers: sending them again never makes a second image)",
                    spec.client_token.as_deref().unwrap_or("—")
                ),
            )],
            Step::Submit => Vec::new(),
        }
    }

    fn request_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let params = to_params(ctx.spec);
        let width = params
            .iter()
            .map(|(k, _)| k.width())
            .max()
            .unwrap_or(0)
            .max(6)
            + 2;
        let mut lines = vec![
            (
                Line::styled(
                    format!(
                        "CreateImage · API version 2014-05-26 · region {}",
                        ctx.spec.region
                    ),
                    theme.title,
                ),
                0,
                false,
            ),
            (
                Line::styled(
                    format!(
                        "Sent to {} and signed with {}. The AccessKey, signature, nonce and time are \
                         added when it is signed and are not shown.",
                        self.endpoint.as_deref().unwrap_or("the ECS endpoint"),
                        self.credential_source
                            .as_deref()
                            .unwrap_or("your access key"),
                    ),
                    theme.muted,
                ),
                0,
                false,
            ),
            (Line::raw(""), 0, false),
        ];
        let indent = u16::try_from(width + 2).unwrap_or(0);
        for (name, value) in params {
            lines.push((
                Line::from(vec![
                    Span::styled(format!("  {name:<width$}"), theme.label_focused),
                    Span::styled(
                        if value.is_empty() {
                            "\"\"".into()
                        } else {
                            value
                        },
                        theme.text,
                    ),
                ]),
                indent,
                false,
            ));
        }
        lines.push((
            Line::from(vec![
                Span::styled(format!("  {:<width$}", "DryRun"), theme.muted),
                Span::styled("true — added only when d checks the request", theme.muted),
            ]),
            indent,
            false,
        ));
        lines
    }

    fn cli_view_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let mut lines = vec![
            (
                Line::styled(
                    "The same request with the aliyun CLI, ready to paste (add --DryRun true to \
                     only check it):",
                    theme.muted,
                ),
                0,
                false,
            ),
            (Line::raw(""), 0, false),
        ];
        match cli_lines(ctx.spec) {
            Ok(cli) => lines.extend(
                cli.into_iter()
                    .map(|l| (Line::styled(l, theme.text), 4, false)),
            ),
            Err(e) => lines.push((Line::styled(e, theme.error), 0, false)),
        }
        lines
    }

    fn recipe_lines(&self, ctx: &ViewCtx) -> Vec<(Line<'static>, u16, bool)> {
        let theme = ctx.theme;
        let mut lines = vec![
            (
                Line::styled(
                    "w saves this recipe; `ecsimg create --recipe FILE` replays it. The \
                     ClientToken is left out, so each replay is a request of its own.",
                    theme.muted,
                ),
                0,
                false,
            ),
            (Line::raw(""), 0, false),
        ];
        lines.extend(
            recipe_text(ctx.spec)
                .lines()
                .map(|l| (Line::styled(l.to_string(), theme.text), 2, false)),
        );
        lines
    }

    fn render_tab(&self, tab: Tab, focused: bool, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        let lines = match tab {
            Tab::Summary => self.summary_lines(ctx, focused),
            Tab::Request => self.request_lines(ctx),
            Tab::Cli => self.cli_view_lines(ctx),
            Tab::Recipe => self.recipe_lines(ctx),
        };
        let mut rows = Vec::new();
        let mut item_rows: Vec<(u16, u16)> = Vec::new();
        for (line, indent, starts_item) in lines {
            let wrapped = wrap_line(&line, area.width, indent);
            let first = u16::try_from(rows.len()).unwrap_or(u16::MAX);
            let last = first + u16::try_from(wrapped.len()).unwrap_or(1).saturating_sub(1);
            if starts_item {
                item_rows.push((first, last));
            }
            rows.extend(wrapped);
        }
        let scroll = self.scroll(tab);
        if tab == Tab::Summary
            && focused
            && let Some((first, last)) = item_rows.get(self.selected)
        {
            scroll.reveal(*first, *last, area.height);
        }
        scroll.render(rows, ctx.theme, frame, area);
    }

    fn render_save(&self, save: &Save, theme: &Theme, frame: &mut Frame, area: Rect) {
        match save {
            Save::Prompt { path, error } => {
                let width = area.width.saturating_sub(4).min(72);
                let inner_width = width.saturating_sub(4);
                let mut notes = vec![Line::styled(
                    "The recipe (Recipe tab) is written here; a relative path is relative to the \
                     directory ecsimg was started in. An existing file is not replaced without \
                     asking.",
                    theme.muted,
                )];
                if let Some(error) = error {
                    notes.push(Line::styled(error.clone(), theme.error));
                }
                let notes = wrap_lines(notes.into_iter().map(|l| (l, 0)), inner_width);
                let height = (u16::try_from(notes.len()).unwrap_or(0) + 4).min(area.height);
                let inner = input_box(
                    frame,
                    area,
                    (width, height),
                    "Save the recipe",
                    "save",
                    theme,
                );
                if inner.height == 0 || inner.width < 4 {
                    return;
                }
                let field = Rect::new(inner.x + 1, inner.y, inner.width - 2, 1);
                path.render_input(frame, field, true, theme);
                let text = Rect::new(
                    inner.x + 1,
                    inner.y + 2,
                    inner.width - 2,
                    inner.height.saturating_sub(2),
                );
                frame.render_widget(ratatui::widgets::Paragraph::new(notes), text);
            }
            Save::Saving { .. } => {}
            Save::ConfirmReplace { path } => Dialog {
                title: "Replace the file?",
                lines: vec![Line::raw(format!(
                    "{} exists. Replace it with this recipe?",
                    path.display()
                ))],
                keys: &[("y", "replace"), ("n", "another name")],
                accent: theme.warning,
                width: 64,
                scroll: 0,
            }
            .render(theme, frame, area),
        }
    }
}

impl StepScreen for ReviewStep {
    fn enter(&mut self, ctx: &mut StepCtx) {
        if ctx.spec.client_token.is_none() {
            ctx.spec.client_token = Some(uuid::Uuid::new_v4().to_string());
        }
        if let Some(session) = ctx.session {
            self.endpoint = Some(session.endpoint.clone());
            self.credential_source = Some(session.credential_source.clone());
        }
        self.look_up(ctx);
    }

    fn leave(&mut self, ctx: &mut StepCtx) {
        for id in self.facts.requests() {
            ctx.cancel(id);
        }
        self.facts.instance_request = None;
        self.facts.disks_request = None;
        self.facts.image_request = None;
        self.facts.snapshots_request = None;
        if let DryRun::Running { id, .. } = &self.dry_run {
            ctx.cancel(*id);
            self.dry_run = DryRun::NotRun;
        }
        if let Some(Save::Saving { id }) = &self.save {
            ctx.cancel(*id);
        }
        self.save = None;
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Outcome {
        if let Some(save) = self.save.take() {
            self.save_key(save, key, ctx);
            return Outcome::Handled;
        }
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Outcome::Ignored;
        }
        let scroll = self.scroll(self.tab);
        let items = self.items(ctx.spec, ctx.findings, ctx.facts).len();
        let selecting = self.tab == Tab::Summary && items > 0;
        match key.code {
            KeyCode::Tab | KeyCode::Right => self.switch_tab(true),
            KeyCode::BackTab | KeyCode::Left => self.switch_tab(false),
            KeyCode::Down if selecting => self.selected = (self.selected + 1).min(items - 1),
            KeyCode::Up if selecting => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => scroll.by(1),
            KeyCode::Up => scroll.by(-1),
            KeyCode::PageDown => scroll.page_down(),
            KeyCode::PageUp => scroll.page_up(),
            KeyCode::Home => scroll.home(),
            KeyCode::End => scroll.end(),
            KeyCode::Enter if selecting => {
                let items = self.items(ctx.spec, ctx.findings, ctx.facts);
                if let Some(item) = items.get(self.selected.min(items.len() - 1)) {
                    return Outcome::Goto(item.field);
                }
            }
            KeyCode::Char('d') => self.start_dry_run(ctx),
            KeyCode::Char('w') => self.open_save(ctx.spec),
            KeyCode::Char('r') => self.look_up(ctx),
            KeyCode::Char('s') => return Outcome::Next,
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Outcome {
        let scroll = self.scroll(self.tab);
        match event.kind {
            MouseEventKind::ScrollDown => scroll.by(3),
            MouseEventKind::ScrollUp => scroll.by(-3),
            _ => return Outcome::Ignored,
        }
        Outcome::Handled
    }

    fn paste(&mut self, text: &str, _ctx: &mut StepCtx) -> Outcome {
        match &mut self.save {
            Some(Save::Prompt { path, error }) => {
                if path.paste(text) {
                    *error = None;
                }
                Outcome::Handled
            }
            _ => Outcome::Ignored,
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        if matches!(&self.dry_run, DryRun::Running { id: running, .. } if *running == id) {
            return self.dry_run_answer(result, ctx);
        }
        if matches!(&self.save, Some(Save::Saving { id: saving }) if *saving == id) {
            match result {
                Ok(Loaded::Saved(saved)) => self.saved(saved, ctx),
                Ok(_) => {}
                Err(error) => self.saved(
                    Saved::Failed {
                        path: PathBuf::new(),
                        reason: error.to_string(),
                    },
                    ctx,
                ),
            }
            return;
        }
        if self.facts.requests().any(|r| r == id) {
            self.lookup_answer(id, result, ctx);
        }
    }

    fn region_changed(&mut self, ctx: &mut StepCtx) {
        self.leave(ctx);
        self.facts = SourceFacts::default();
        self.dry_run = DryRun::NotRun;
    }

    fn busy(&self) -> bool {
        matches!(self.dry_run, DryRun::Running { .. })
            || matches!(self.save, Some(Save::Saving { .. }))
            || self.facts.requests().next().is_some()
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        if area.height < 3 {
            return;
        }
        let theme = ctx.theme;
        let current = to_params(ctx.spec);
        let bar = Rect { height: 1, ..area };
        let mut spans = tab_bar(&TABS.map(Tab::title), self.tab.index(), theme).spans;
        let badge = self.dry_run_badge(ctx, &current);
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        let room = usize::from(area.width).saturating_sub(used + badge.content.width());
        spans.push(Span::raw(" ".repeat(room)));
        spans.push(badge);
        frame.render_widget(Line::from(spans), bar);
        let body = Rect {
            y: area.y + 2,
            height: area.height - 2,
            ..area
        };
        if area.width >= SIDE_BY_SIDE {
            let left_width = area.width / 2;
            let left = Rect {
                width: left_width - 1,
                ..body
            };
            let right = Rect {
                x: body.x + left_width + 1,
                width: body.width - left_width - 1,
                ..body
            };
            self.render_tab(
                Tab::Summary,
                self.tab == Tab::Summary,
                ctx,
                frame,
                Rect {
                    x: left.x + 1,
                    width: left.width.saturating_sub(1),
                    ..left
                },
            );
            let buf = frame.buffer_mut();
            for y in body.y..body.bottom() {
                buf.set_string(body.x + left_width, y, "│", theme.border);
            }
            let beside = if self.tab == Tab::Summary {
                self.beside
            } else {
                self.tab
            };
            self.render_tab(beside, self.tab != Tab::Summary, ctx, frame, right);
        } else {
            let inner = Rect {
                x: body.x + 1,
                width: body.width.saturating_sub(2),
                ..body
            };
            self.render_tab(self.tab, true, ctx, frame, inner);
        }
        if let Some(save) = &self.save {
            self.render_save(save, theme, frame, area);
        }
    }

    fn footer(&self) -> Vec<KeyHint> {
        match &self.save {
            Some(Save::Prompt { .. }) => return vec![("Enter", "save"), ("Esc", "cancel")],
            Some(Save::ConfirmReplace { .. }) => {
                return vec![("y", "replace"), ("n", "another name")];
            }
            Some(Save::Saving { .. }) | None => {}
        }
        let mut keys = vec![("d", "DryRun"), ("s", "submit")];
        if self.tab == Tab::Summary {
            keys.push(("Enter", "go to field"));
        } else {
            keys.push(("↑↓", "scroll"));
        }
        keys.extend([("w", "save recipe"), ("Tab", "tabs")]);
        keys
    }

    fn help(&self) -> &'static [KeyHint] {
        &[
            (
                "Tab / ← →",
                "switch between Summary, Request, CLI and Recipe",
            ),
            ("↑↓", "Summary: select a problem; other tabs: scroll"),
            ("Enter", "go to the field the selected problem is about"),
            ("PgUp PgDn", "scroll"),
            ("d", "DryRun: ECS checks the request and creates nothing"),
            ("w", "save the recipe to a file (asks before replacing one)"),
            (
                "r",
                "check the source again (instance status, disks, snapshots)",
            ),
            ("s / ^N", "go on to submit (it asks before sending)"),
            (
                "",
                "✗ problems stop the request; ! warnings deserve a look.",
            ),
            (
                "",
                "The ClientToken is made once for these answers: submitting them again, or a \
                  retry, can never create a second image.",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::Snapshot;
    use crate::spec::{Architecture, DetectionStrategy, DiskSpec, SnapshotFacts, parse_recipe};
    use crate::tui::app::App;
    use crate::tui::effect::Effect;
    use crate::tui::msg::Page;
    use crate::tui::testing::*;

    pub(crate) const TOKEN: &str = "123e4567-e89b-12d3-a456-426655440000";

    /// The wizard entering step 5 with the Stopped instance of `sample_instances` as the
    /// source and a fixed ClientToken; returns the effects of entering.
    fn at_review() -> (App, Vec<Effect>) {
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer_instances(&mut app, id, sample_instances());
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Enter);
        app.spec.client_token = Some(TOKEN.into());
        ctrl(&mut app, 'n');
        ctrl(&mut app, 'n');
        let effects = ctrl(&mut app, 'n');
        assert_eq!(app.step, Step::Review);
        (app, effects)
    }

    fn source_image(boot_mode: &str, architecture: &str) -> Image {
        Image {
            image_id: "aliyun_3_x64_20G_alibase_20240819.vhd".into(),
            boot_mode: boot_mode.into(),
            architecture: architecture.into(),
            status: "Available".into(),
            ..Image::default()
        }
    }

    /// Answers the review's lookups: the instance (with `status`), its disks, its image.
    fn answer_lookups(app: &mut App, effects: &[Effect], status: &str) {
        let mut instance = instance("i-bp1g6zv0ce8oghu7k002", "数据库主节点", status);
        instance.image_id = "aliyun_3_x64_20G_alibase_20240819.vhd".into();
        let mut image_call = Vec::new();
        for (id, call) in calls(effects) {
            match call {
                Call::Instances(_) => {
                    image_call = answer_instances(app, id, vec![instance.clone()])
                }
                Call::Disks(_) => {
                    let disks = vec![
                        Disk {
                            disk_id: "d-bp1a3fn8rvl2nqw0t5x0".into(),
                            disk_type: "system".into(),
                            device: "/dev/xvda".into(),
                            size: 40,
                            ..Disk::default()
                        },
                        Disk {
                            disk_id: "d-bp1a3fn8rvl2nqw0t5x2".into(),
                            disk_type: "data".into(),
                            device: "/dev/xvdc".into(),
                            size: 100,
                            encrypted: true,
                            ..Disk::default()
                        },
                    ];
                    answer(
                        app,
                        id,
                        Ok(Loaded::Disks(Page {
                            rows: disks,
                            last: false,
                        })),
                    );
                    answer(
                        app,
                        id,
                        Ok(Loaded::Disks(Page {
                            rows: Vec::new(),
                            last: true,
                        })),
                    );
                }
                other => panic!("unexpected lookup {other:?}"),
            }
        }
        let (id, call) = only_call(&image_call);
        let Call::Images(query) = call else {
            panic!("the instance's image, got {call:?}")
        };
        assert_eq!(query.image_ids, ["aliyun_3_x64_20G_alibase_20240819.vhd"]);
        answer(
            app,
            id,
            Ok(Loaded::Images(vec![source_image("BIOS", "x86_64")])),
        );
    }

    /// Screen text with every run of whitespace made one space, so wrapped sentences read on.
    fn flat(app: &App, width: u16, height: u16) -> String {
        screen_text(app, width, height)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn dry_run_call(effects: &[Effect]) -> (RequestId, Params) {
        match only_call(effects) {
            (id, Call::DryRun { params }) => (id, params),
            other => panic!("a DryRun, got {other:?}"),
        }
    }

    #[test]
    fn entering_gives_the_spec_one_client_token_for_good() {
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer_instances(&mut app, id, sample_instances());
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.spec.client_token, None);
        for _ in 0..3 {
            ctrl(&mut app, 'n');
        }
        let token = app
            .spec
            .client_token
            .clone()
            .expect("a token on entering the review");
        assert!(crate::spec::rules::client_token(&token).is_ok(), "{token}");
        key(&mut app, KeyCode::Esc);
        ctrl(&mut app, 'n');
        assert_eq!(
            app.spec.client_token.as_deref(),
            Some(token.as_str()),
            "kept"
        );
        let params = to_params(&app.spec);
        assert!(params.contains(&("ClientToken".into(), token)));
    }

    #[test]
    fn the_source_is_looked_up_and_warnings_show_under_their_step() {
        let (mut app, effects) = at_review();
        assert!(app.busy());
        answer_lookups(&mut app, &effects, "Running");
        assert!(!app.busy());
        let text = flat(&app, 80, 60);
        assert!(text.contains("Instance i-bp1g6zv0ce8oghu7k002 ·"), "{text}");
        assert!(
            text.contains(
                "· Running ! Instance: i-bp1g6zv0ce8oghu7k002 is Running: data cached in memory"
            ),
            "{text}"
        );
        assert!(
            text.contains("Disk d-bp1a3fn8rvl2nqw0t5x2 (/dev/xvdc) is encrypted"),
            "{text}"
        );
        assert!(
            text.contains("/dev/xvdc data 100 GiB · d-bp1a3fn8rvl2nqw0t5x2 · encrypted"),
            "{text}"
        );
        assert!(text.contains("! Image check: Not requested."), "{text}");
        // Entering again checks again (the instance may have been stopped meanwhile).
        key(&mut app, KeyCode::Esc);
        let effects = ctrl(&mut app, 'n');
        assert_eq!(calls(&effects).len(), 2, "{effects:?}");
    }

    #[test]
    fn warnings_cover_running_encryption_boot_mode_and_the_image_check() {
        let mut spec = ImageSpec {
            source: Source::Instance {
                instance_id: "i-1".into(),
            },
            ..ImageSpec::default()
        };
        let running = instance("i-1", "web", "Running");
        let fields = |w: Vec<Problem>| w.into_iter().map(|p| p.field).collect::<Vec<_>>();
        let context = Context::default();
        assert_eq!(
            fields(warnings(&spec, &context, Some(&running), &[], None)),
            [Field::InstanceId, Field::DetectionStrategy]
        );
        spec.features.detection_strategy = Some(DetectionStrategy::Standard);
        let stopped = instance("i-1", "web", "Stopped");
        assert!(warnings(&spec, &context, Some(&stopped), &[], None).is_empty());

        // Boot mode against the source image and the architecture.
        spec.image.boot_mode = Some(BootMode::Uefi);
        let bios = source_image("BIOS", "x86_64");
        let w = warnings(&spec, &context, Some(&stopped), &[], Some(&bios));
        assert_eq!(fields(w.clone()), [Field::BootMode]);
        assert!(w[0].text.contains("boots with BIOS"), "{w:?}");
        let either = source_image("UEFI-Preferred", "x86_64");
        assert!(warnings(&spec, &context, Some(&stopped), &[], Some(&either)).is_empty());
        spec.image.boot_mode = Some(BootMode::Bios);
        let arm = source_image("UEFI", "arm64");
        let w = warnings(&spec, &context, Some(&stopped), &[], Some(&arm));
        assert!(w[0].text.contains("InvalidBootMode.NotSupport"), "{w:?}");
        spec.image.boot_mode = Some(BootMode::Uefi);
        spec.image.architecture = Some(Architecture::I386);
        let w = warnings(&spec, &context, None, &[], None);
        assert!(w[0].text.contains("i386"), "{w:?}");

        // Snapshots: ECS cannot tell the boot mode; encrypted ones are named.
        spec.image.architecture = None;
        spec.source = Source::Disks(vec![
            DiskSpec {
                disk_type: DiskType::System,
                snapshot_id: Some("s-sys".into()),
                size: None,
                device: None,
            },
            DiskSpec {
                disk_type: DiskType::Data,
                snapshot_id: Some("s-enc".into()),
                size: None,
                device: None,
            },
        ]);
        let mut context = Context::default();
        let facts = |encrypted| SnapshotFacts {
            size_gib: 40,
            status: "accomplished".into(),
            creation_time: now(),
            source_disk_type: DiskType::Data,
            encrypted,
        };
        context.snapshots.insert("s-sys".into(), facts(false));
        context.snapshots.insert("s-enc".into(), facts(true));
        let w = warnings(&spec, &context, None, &[], None);
        assert_eq!(
            fields(w.clone()),
            [Field::SourceDiskSnapshot(1), Field::BootMode]
        );
        assert!(w[0].text.contains("s-enc is encrypted"), "{w:?}");
        assert!(w[1].text.contains("cannot check which boot modes"), "{w:?}");
    }

    #[test]
    fn snapshots_the_spec_uses_are_looked_up_for_the_validators() {
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer_instances(&mut app, id, sample_instances());
        app.spec.source = Source::Disks(vec![DiskSpec {
            disk_type: DiskType::System,
            snapshot_id: Some("s-bp17441ohwkdca0k0002".into()),
            size: None,
            device: None,
        }]);
        app.facts = Context::default();
        ctrl(&mut app, 'n');
        ctrl(&mut app, 'n');
        ctrl(&mut app, 'n');
        let effects = ctrl(&mut app, 'n');
        assert_eq!(app.step, Step::Review);
        let Some((id, Call::Snapshots(query))) = calls(&effects)
            .into_iter()
            .find(|(_, c)| matches!(c, Call::Snapshots(q) if q.snapshot_ids.is_some()))
        else {
            panic!("a snapshot lookup in {effects:?}")
        };
        assert_eq!(
            query.snapshot_ids,
            Some(vec!["s-bp17441ohwkdca0k0002".to_string()])
        );
        // A data-disk snapshot as the system disk, without platform or architecture.
        let data: Snapshot = sample_snapshots().remove(1);
        answer_snapshots(&mut app, id, vec![data]);
        let text = screen_text(&app, 160, 48);
        assert!(
            text.contains("! Platform: Snapshot s-bp17441ohwkdca0k0002 comes from a data disk"),
            "{text}"
        );
        assert!(text.contains("! Architecture:"), "{text}");
    }

    #[test]
    fn enter_on_a_problem_jumps_to_its_field() {
        let (mut app, effects) = at_review();
        answer_lookups(&mut app, &effects, "Stopped");
        app.spec.image.name = Some("1-bad".into());
        app.revalidate();
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("✗ Image name:"), "{text}");
        // Items: the name error first (step 3), then the encrypted disk (step 1 is first in
        // order, but errors of every step come... by step): walk to the name.
        let fields: Vec<Field> = app
            .steps
            .review
            .items(&app.spec, &app.findings, &app.facts)
            .iter()
            .map(|p| p.field)
            .collect();
        let at = fields
            .iter()
            .position(|f| *f == Field::ImageName)
            .expect("the name problem");
        for _ in 0..at {
            key(&mut app, KeyCode::Down);
        }
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.step, Step::Details);
        // The name field has the focus: Enter edits it.
        key(&mut app, KeyCode::Enter);
        type_text(&mut app, "x");
        assert_eq!(app.spec.image.name.as_deref(), Some("1-badx"));

        // A tag value and the image check land on their rows too.
        app.spec.tags = vec![crate::spec::Tag {
            key: "env".into(),
            value: "acs:x".into(),
        }];
        key(&mut app, KeyCode::Enter);
        ctrl(&mut app, 'n');
        ctrl(&mut app, 'n');
        let fields: Vec<Field> = app
            .steps
            .review
            .items(&app.spec, &app.findings, &app.facts)
            .iter()
            .map(|p| p.field)
            .collect();
        let at = fields
            .iter()
            .position(|f| *f == Field::TagValue(0))
            .expect("the tag value problem");
        key(&mut app, KeyCode::Home);
        for _ in 0..fields.len() {
            key(&mut app, KeyCode::Up);
        }
        for _ in 0..at {
            key(&mut app, KeyCode::Down);
        }
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.step, Step::Tags);
        key(&mut app, KeyCode::Enter);
        for _ in 0.."acs:x".len() {
            key(&mut app, KeyCode::Backspace);
        }
        type_text(&mut app, "prod");
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.spec.tags[0].value, "prod");
    }

    #[test]
    fn dry_run_passes_with_the_request_id() {
        let (mut app, effects) = at_review();
        answer_lookups(&mut app, &effects, "Stopped");
        let (id, params) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
        assert_eq!(
            params,
            to_params(&app.spec),
            "exactly the request's parameters"
        );
        assert!(params.contains(&("ClientToken".to_string(), TOKEN.to_string())));
        assert!(app.busy());
        answer(
            &mut app,
            id,
            Ok(Loaded::DryRun(CreateImageOutcome::DryRunPassed {
                request_id: "0F2B8C3E-1111-4A5B-9C0D-0123456789AB".into(),
            })),
        );
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("DryRun: ✓ passed"), "{text}");
        assert!(
            text.contains("✓ passed: ECS accepted the request (RequestId"),
            "{text}"
        );
        // Changing the answers makes the pass stale.
        app.spec.image.family = Some("db".into());
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("answers changed"), "{text}");
    }

    #[test]
    fn dry_run_failures_explain_the_code_and_lead_to_the_field() {
        let cases = [
            (
                "InvalidResourceGroup.NotFound",
                "The ResourceGroup provided does not exist in our records.",
                Some(Field::ResourceGroupId),
            ),
            (
                "InvalidImageName.Duplicated",
                "The specified image name is already in use.",
                Some(Field::ImageName),
            ),
            (
                "InvalidBootMode.NotSupport",
                "The specified parameter BootMode is not supported for current image architecture.",
                Some(Field::BootMode),
            ),
            (
                "IncorrectInstanceStatus",
                "The current status of the instance does not support this operation.",
                Some(Field::Source),
            ),
        ];
        for (code, message, field) in cases {
            let (mut app, effects) = at_review();
            answer_lookups(&mut app, &effects, "Stopped");
            key(&mut app, KeyCode::Tab);
            let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
            answer(&mut app, id, Err(service_error(code, message)));
            let explanation = crate::api::error::explain(code).expect("explained");
            let text = flat(&app, 80, 60);
            assert!(text.contains(&format!("DryRun: ✗ {code}")), "{text}");
            assert!(text.contains(&format!("✗ {code}: {message}")), "{text}");
            assert!(text.contains(&explanation.meaning), "{code}: {text}");
            assert!(
                text.contains(&format!("What to do: {}", explanation.fix)),
                "{text}"
            );
            assert!(
                text.contains("473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"),
                "{text}"
            );
            let field = field.expect("a field");
            assert!(
                text.contains(&format!("Field to change: {}", field.label())),
                "{code}: {text}"
            );
            // The failure took the focus back to the summary; Enter goes to the field.
            key(&mut app, KeyCode::Enter);
            assert_eq!(app.step, Step::of_field(field), "{code}");
        }
    }

    #[test]
    fn the_recipe_is_saved_without_overwriting_silently() {
        let (mut app, effects) = at_review();
        answer_lookups(&mut app, &effects, "Stopped");
        app.spec.image.name = Some("db-golden".into());
        key(&mut app, KeyCode::Char('w'));
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("Save the recipe"), "{text}");
        assert!(text.contains("db-golden.recipe.toml"), "{text}");
        // Esc closes the prompt and stays on the step.
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.step, Step::Review);
        key(&mut app, KeyCode::Char('w'));
        let effects = key(&mut app, KeyCode::Enter);
        let (id, call) = only_call(&effects);
        let Call::SaveFile {
            path,
            contents,
            replace,
        } = call
        else {
            panic!("{call:?}")
        };
        assert_eq!(path, PathBuf::from("db-golden.recipe.toml"));
        assert!(!replace, "never replaces without asking");
        assert!(
            !contents.contains(TOKEN),
            "the token stays out of recipes: {contents}"
        );
        let replayed = parse_recipe(&contents, &path).expect("the recipe parses");
        assert_eq!(
            replayed,
            ImageSpec {
                client_token: None,
                ..app.spec.clone()
            }
        );
        let absolute = PathBuf::from("/work/db-golden.recipe.toml");
        answer(
            &mut app,
            id,
            Ok(Loaded::Saved(Saved::Exists {
                path: absolute.clone(),
            })),
        );
        let text = screen_text(&app, 80, 24);
        assert!(
            text.contains("/work/db-golden.recipe.toml exists. Replace it"),
            "{text}"
        );
        // n goes back to the prompt; Enter asks again; y replaces.
        key(&mut app, KeyCode::Char('n'));
        let (id, _) = only_call(&key(&mut app, KeyCode::Enter));
        answer(
            &mut app,
            id,
            Ok(Loaded::Saved(Saved::Exists {
                path: absolute.clone(),
            })),
        );
        let (id, call) = only_call(&key(&mut app, KeyCode::Char('y')));
        assert!(
            matches!(call, Call::SaveFile { replace: true, .. }),
            "{call:?}"
        );
        answer(
            &mut app,
            id,
            Ok(Loaded::Saved(Saved::Written { path: absolute })),
        );
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("ecsimg create --recipe /work/db-golden.recipe.toml")),
            "{:?}",
            app.notice
        );
        // A failed write keeps the prompt open with the reason.
        key(&mut app, KeyCode::Char('w'));
        let (id, _) = only_call(&key(&mut app, KeyCode::Enter));
        answer(
            &mut app,
            id,
            Ok(Loaded::Saved(Saved::Failed {
                path: "/ro/x.toml".into(),
                reason: "Permission denied (os error 13)".into(),
            })),
        );
        let text = screen_text(&app, 80, 24);
        assert!(
            text.contains("Could not write it: Permission denied"),
            "{text}"
        );
    }

    #[test]
    fn the_cli_tab_is_to_cli_on_several_lines() {
        let mut spec = ImageSpec {
            source: Source::Instance {
                instance_id: "i-bp1".into(),
            },
            client_token: Some(TOKEN.into()),
            ..ImageSpec::default()
        };
        spec.image.description = Some("it's a --test $HOME".into());
        let lines = cli_lines(&spec).expect("lines");
        assert_eq!(lines[0], "aliyun ecs CreateImage \\");
        assert!(
            lines[1..lines.len() - 1]
                .iter()
                .all(|l| l.starts_with("  --") && l.ends_with(" \\")),
            "{lines:?}"
        );
        let joined = lines.join("\n").replace(" \\\n", " ");
        assert_eq!(shlex::split(&joined), shlex::split(&to_cli(&spec).unwrap()));
    }

    #[test]
    fn snapshots_of_the_tabs() {
        let (mut app, effects) = at_review();
        answer_lookups(&mut app, &effects, "Running");
        app.spec.image.name = Some("db-golden".into());
        app.spec.image.family = Some("db".into());
        app.spec.tags = vec![crate::spec::Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        app.spec.image.resource_group_id = Some("rg-doesnotexist00000".into());
        app.revalidate();
        insta::assert_snapshot!("review_summary_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("review_summary_160x48", render(&app, 160, 48));
        for (tab, name) in [
            (Tab::Request, "request"),
            (Tab::Cli, "cli"),
            (Tab::Recipe, "recipe"),
        ] {
            key(&mut app, KeyCode::Tab);
            assert_eq!(app.steps.review.tab, tab);
            insta::assert_snapshot!(format!("review_{name}_80x24"), render(&app, 80, 24));
        }
        insta::assert_snapshot!("review_recipe_beside_160x48", render(&app, 160, 48));
        let (id, _) = dry_run_call(&key(&mut app, KeyCode::Char('d')));
        answer(
            &mut app,
            id,
            Err(service_error(
                "InvalidResourceGroup.NotFound",
                "The ResourceGroup provided does not exist in our records.",
            )),
        );
        insta::assert_snapshot!("review_dry_run_failed_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("review_dry_run_failed_160x48", render(&app, 160, 48));
    }
}
