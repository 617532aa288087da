//! Step 6, Review: exactly what will be sent, proved by a DryRun.
//!
//! The **Summary** tab lists the answers grouped by step, each group with its problems — the
//! shared validators' findings plus the warnings a careful operator wants (a Running source
//! instance, encrypted snapshots, a boot mode the source may not support, no image check);
//! Enter on a problem jumps to the field that causes it. **Request** shows the exact wire
//! parameters (`spec::to_params`), **CLI** the equivalent `aliyun` command, **Recipe** the TOML
//! that `ecsimg create --recipe` replays (`w` saves it, asking before replacing a file), and
//! **Policy** the RAM policy this build needs and nothing more (`w` on it saves the policy).
//! On wide screens the summary stays on the left and the other tabs show beside it.
//!
//! `d` sends the request with `DryRun=true`: ECS runs every check and creates nothing. A pass
//! shows the RequestId; a refusal shows the code, the message, what it means, how to fix it and
//! the field to change. With a `[delivery]`, the Request and CLI tabs go on with the calls the
//! delivery makes once the image is Available, and `d` checks those too, one row per call
//! (`delivery`).
//!
//! Entering the review gives the spec its ClientToken, once: it stays with these answers, so
//! however often they are submitted (a retry, a second press) at most one image is created.
//!
//! This module holds the step's state, its tabs and its [`StepScreen`] impl; the submodules hold
//! the keys (`keys`), the screen (`view`), the problems, the DryRun, the delivery's calls and
//! their DryRun, the source lookups, saving, and each tab's lines.

mod delivery;
mod dry_run;
mod keys;
mod policy_tab;
mod problems;
mod request;
mod save;
mod source_facts;
mod summary;
mod view;

pub(crate) use self::problems::field_of_error;
pub use self::problems::{Problem, warnings};

use std::path::PathBuf;

use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;

use self::delivery::DeliveryCheck;
use self::keys::Action;
use super::{Answers, Keys, Reaction, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::api::model::{Disk, Image, Instance};
use crate::spec::{Field, to_params};
use crate::tui::error_report::ErrorReport;
use crate::tui::msg::{Loaded, RequestId, Saved};
use crate::tui::widgets::tabs::Scroll;
use crate::tui::widgets::text_field::TextField;

type Params = Vec<(String, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Summary,
    Request,
    Cli,
    Recipe,
    Policy,
}

const TABS: [Tab; 5] = [
    Tab::Summary,
    Tab::Request,
    Tab::Cli,
    Tab::Recipe,
    Tab::Policy,
];

impl Tab {
    fn title(self) -> &'static str {
        match self {
            Tab::Summary => "Summary",
            Tab::Request => "Request",
            Tab::Cli => "CLI",
            Tab::Recipe => "Recipe",
            Tab::Policy => "Policy",
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

/// "Save the recipe" (or the policy): the path prompt, the write, and the question before
/// replacing a file.
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

/// Which text `w` saves: the recipe, or the policy from the Policy tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savable {
    Recipe,
    Policy,
}

#[derive(Debug)]
pub struct ReviewStep {
    /// The tab with the focus.
    tab: Tab,
    /// The tab shown beside the summary on wide screens (the last one other than Summary).
    beside: Tab,
    /// The selected entry of [`ReviewStep::items`].
    selected: usize,
    scroll: [Scroll; TABS.len()],
    dry_run: DryRun,
    /// The delivery's DryRun, which `d` starts with CreateImage's.
    delivery_check: DeliveryCheck,
    facts: SourceFacts,
    save: Option<Save>,
    /// What the open save prompt writes.
    saving: Savable,
    /// Where requests go, for the Request tab (from the session on entering).
    endpoint: Option<String>,
    credential_source: Option<String>,
    /// A sandbox session: commands it suggests need `--sandbox`.
    sandbox: bool,
    /// The account the Policy tab names in its ARNs.
    account: Account,
}

/// The account of the session's credentials, as STS GetCallerIdentity tells it (asked once:
/// the account does not change with the region).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum Account {
    #[default]
    NotAsked,
    Asking(RequestId),
    Known(String),
    /// Why it is not known (the ARNs then name any account, `*`).
    Unknown(String),
}

impl Account {
    pub(super) fn id(&self) -> Option<&str> {
        match self {
            Account::Known(id) => Some(id),
            _ => None,
        }
    }
}

impl Default for ReviewStep {
    fn default() -> Self {
        ReviewStep {
            tab: Tab::Summary,
            beside: Tab::Request,
            selected: 0,
            scroll: Default::default(),
            dry_run: DryRun::NotRun,
            delivery_check: DeliveryCheck::NotRun,
            facts: SourceFacts::default(),
            save: None,
            saving: Savable::Recipe,
            endpoint: None,
            credential_source: None,
            sandbox: false,
            account: Account::NotAsked,
        }
    }
}

impl ReviewStep {
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
}

impl StepScreen for ReviewStep {
    fn enter(&mut self, ctx: &mut StepCtx) {
        if ctx.spec.client_token.is_none() {
            ctx.spec.client_token = Some(uuid::Uuid::new_v4().to_string());
        }
        if let Some(connection) = ctx.connection {
            self.endpoint = Some(connection.endpoint.clone());
            self.credential_source = Some(connection.credential_source.clone());
            self.sandbox = connection.sandbox;
        }
        self.look_up(ctx);
        if self.account == Account::NotAsked {
            self.account = Account::Asking(ctx.call(crate::tui::effect::Call::CallerIdentity));
        }
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
        if let Some(id) = self.delivery_check.running() {
            ctx.cancel(id);
            self.delivery_check = DeliveryCheck::NotRun;
        }
        if let Some(Save::Saving { id }) = &self.save {
            ctx.cancel(*id);
        }
        self.save = None;
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let Some(action) = self.keymap(ctx.answers()).action(&key) else {
            return Reaction::Ignored;
        };
        let items = self.items(ctx.spec, ctx.findings, ctx.facts).len();
        match action {
            Action::SaveKey(action) => {
                if let Some(save) = self.save.take() {
                    self.save_act(save, action, key, ctx);
                }
            }
            Action::NextTab => self.switch_tab(true),
            Action::PreviousTab => self.switch_tab(false),
            Action::SelectDown => self.selected = (self.selected + 1).min(items.saturating_sub(1)),
            Action::SelectUp => self.selected = self.selected.saturating_sub(1),
            Action::GoToField => {
                let items = self.items(ctx.spec, ctx.findings, ctx.facts);
                if let Some(item) = items.get(self.selected.min(items.len().saturating_sub(1))) {
                    return Reaction::Goto(item.field);
                }
            }
            Action::Scroll => {
                self.scroll(self.tab).key(key.code);
            }
            Action::DryRun => self.start_dry_run(ctx),
            Action::Save => self.open_save(ctx.spec),
            Action::LookUp => self.look_up(ctx),
            Action::Submit => return Reaction::Next,
        }
        Reaction::Handled
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Reaction {
        let scroll = self.scroll(self.tab);
        match event.kind {
            MouseEventKind::ScrollDown => scroll.by(3),
            MouseEventKind::ScrollUp => scroll.by(-3),
            _ => return Reaction::Ignored,
        }
        Reaction::Handled
    }

    fn paste(&mut self, text: &str, _ctx: &mut StepCtx) -> Reaction {
        match &mut self.save {
            Some(Save::Prompt { path, error }) => {
                if path.paste(text) {
                    *error = None;
                }
                Reaction::Handled
            }
            _ => Reaction::Ignored,
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        if matches!(&self.dry_run, DryRun::Running { id: running, .. } if *running == id) {
            return self.dry_run_answer(result, ctx);
        }
        if self.delivery_check.running() == Some(id) {
            return self.delivery_check_answer(result);
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
        if self.account == Account::Asking(id) {
            self.account = match result {
                Ok(Loaded::Account(account)) => Account::Known(account),
                Ok(_) => Account::Unknown("an unexpected answer".into()),
                Err(error) => Account::Unknown(error.to_string()),
            };
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
        self.delivery_check = DeliveryCheck::NotRun;
    }

    fn busy(&self) -> bool {
        matches!(self.dry_run, DryRun::Running { .. })
            || self.delivery_check.running().is_some()
            || matches!(self.save, Some(Save::Saving { .. }))
            || self.facts.requests().next().is_some()
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        self.draw(ctx, frame, area);
    }

    fn keys(&self, answers: Answers) -> Keys {
        self.keymap(answers).keys()
    }

    fn verdict(&self, answers: Answers) -> Option<bool> {
        let current = to_params(answers.spec);
        let create = match &self.dry_run {
            DryRun::Passed { params, .. } if *params == current => Some(true),
            DryRun::Failed { params, .. } if *params == current => Some(false),
            _ => None,
        };
        match (create, self.delivery_check.verdict(answers.spec)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
