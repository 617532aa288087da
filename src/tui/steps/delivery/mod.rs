//! Step 5, delivery: what happens to the image once it is Available — copies to other regions
//! (picked from DescribeRegions, in the order chosen), accounts it is shared with (each ID
//! judged by the recipe's own rule as it is typed), its tags on its snapshots, the copies'
//! name and description, their encryption (a KMS key per copy region, `encryption`), and
//! retiring older images of its family.
//!
//! Every change goes straight into `spec.delivery` (`None` when it asks for nothing), so the
//! shared validators report here as for a recipe. Retiring lists the images it would take
//! (`retire`): the family's images in the build region and in each copy region, fed to
//! [`crate::delivery::retirements`]. Deleting cannot be undone, so a delete must be confirmed
//! against the list shown; until it is, the step adds a blocking finding of its own
//! ([`DeliveryStep::findings`]) that the review shows and that keeps Submit from going ahead.

mod encryption;
mod keys;
mod regions;
mod retire;
mod view;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use self::encryption::KeyRows;
use self::keys::Action;
use self::regions::RegionList;
use self::retire::Retirements;
use super::{Answers, Keys, Reaction, StepCtx, StepScreen, ViewCtx};
use crate::api::ApiError;
use crate::spec::validate::{MAX_SHARED_ACCOUNTS, account_id};
use crate::spec::{DeliverySpec, Field, Finding, ImageSpec, RetireAction, RetirePlan};
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::widgets::choice::{Choice, ChoiceOption};
use crate::tui::widgets::picker::PickerEvent;
use crate::tui::widgets::text_field::{Edit, TextField};

/// Images kept when retiring is switched on, the new one included.
const DEFAULT_KEEP: u32 = 3;

/// What has the focus, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Regions,
    CopyName,
    CopyDescription,
    /// Whether the copies are encrypted (shown once a copy is chosen).
    Encrypt,
    /// The KMS key for the copy region at this place in `copy_to` (while encrypting).
    Key(usize),
    /// A listed account.
    Account(usize),
    /// The input an account ID is typed into.
    AddAccount,
    TagSnapshots,
    Retire,
    Keep,
}

#[derive(Debug)]
pub struct DeliveryStep {
    focus: Focus,
    regions: RegionList,
    /// Whether the region list covers the form.
    picking: bool,
    copy_name: TextField,
    copy_description: TextField,
    /// Kept here like the copy texts: it asks for nothing until there is a copy.
    encrypt: Choice<bool>,
    keys: KeyRows,
    account: TextField,
    tag_snapshots: Choice<bool>,
    retire: Choice<RetireAction>,
    keep: TextField,
    retirements: Retirements,
}

impl Default for DeliveryStep {
    fn default() -> Self {
        Self {
            focus: Focus::Regions,
            regions: RegionList::default(),
            picking: false,
            copy_name: TextField::new("Copy name")
                .with_placeholder("not set: the image's name; {region}, {date} fill in per copy"),
            copy_description: TextField::new("Copy description")
                .with_placeholder("not set: the image's description"),
            encrypt: encryption::encrypt_choice(),
            keys: KeyRows::default(),
            account: TextField::new("Add account"),
            tag_snapshots: Choice::new(
                "Tag snapshots",
                vec![
                    ChoiceOption::new(Some(false), "no", "the snapshots keep no tags"),
                    ChoiceOption::new(
                        Some(true),
                        "yes",
                        "the image's tags go on its snapshots and its copies' snapshots",
                    ),
                ],
            ),
            retire: Choice::new(
                "Retire",
                vec![
                    ChoiceOption::new(None, "off", "older images of the family are left alone"),
                    ChoiceOption::new(
                        Some(RetireAction::Deprecate),
                        "deprecate",
                        "older images stay usable but leave the family (Status=Deprecated)",
                    ),
                    ChoiceOption::new(
                        Some(RetireAction::Delete),
                        "delete",
                        "older images are deleted for good (not those in use or shared)",
                    ),
                ],
            ),
            keep: TextField::new("Keep newest").with_value(DEFAULT_KEEP.to_string()),
            retirements: Retirements::default(),
        }
    }
}

/// Changes the spec's delivery table through `f`; a table that asks for nothing is dropped.
fn edit_delivery(spec: &mut ImageSpec, f: impl FnOnce(&mut DeliverySpec)) {
    let mut delivery = spec.delivery.take().unwrap_or_default();
    f(&mut delivery);
    spec.delivery = (!delivery.is_empty()).then_some(delivery);
}

/// The accounts the image is shared with.
fn accounts(spec: &ImageSpec) -> &[String] {
    spec.delivery.as_ref().map_or(&[], |d| &d.share_with)
}

/// Why `id` cannot be added to `listed`, in a sentence; `None` when it can.
fn refusal(id: &str, listed: &[String]) -> Option<String> {
    if let Err(message) = account_id(id) {
        return Some(message);
    }
    if listed.iter().any(|a| a == id) {
        return Some(format!("{id} is listed already."));
    }
    (listed.len() >= MAX_SHARED_ACCOUNTS)
        .then(|| format!("An image can be shared with at most {MAX_SHARED_ACCOUNTS} accounts."))
}

impl DeliveryStep {
    /// The rows Tab walks, in order (the keep row only while retiring is on).
    fn order(&self, spec: &ImageSpec) -> Vec<Focus> {
        let mut order = vec![Focus::Regions, Focus::CopyName, Focus::CopyDescription];
        // A recipe's encryption without copies still gets the row its findings land on.
        let copies = spec.delivery.as_ref().is_some_and(|d| {
            !d.copy_to.is_empty() || d.encrypt_copies || !d.kms_key_ids.is_empty()
        });
        if copies {
            order.push(Focus::Encrypt);
            if self.encrypting() {
                order.extend((0..self.keys.len()).map(Focus::Key));
            }
        }
        order.extend((0..accounts(spec).len()).map(Focus::Account));
        order.extend([Focus::AddAccount, Focus::TagSnapshots, Focus::Retire]);
        if self.retire.value().is_some() {
            order.push(Focus::Keep);
        }
        order
    }

    fn text_mut(&mut self, focus: Focus) -> Option<&mut TextField> {
        match focus {
            Focus::CopyName => Some(&mut self.copy_name),
            Focus::CopyDescription => Some(&mut self.copy_description),
            Focus::AddAccount => Some(&mut self.account),
            Focus::Keep => Some(&mut self.keep),
            Focus::Key(i) => self.keys.field_mut(i),
            _ => None,
        }
    }

    fn text(&self, focus: Focus) -> Option<&TextField> {
        match focus {
            Focus::CopyName => Some(&self.copy_name),
            Focus::CopyDescription => Some(&self.copy_description),
            Focus::AddAccount => Some(&self.account),
            Focus::Keep => Some(&self.keep),
            Focus::Key(i) => self.keys.field(i),
            _ => None,
        }
    }

    fn choice_open(&self) -> bool {
        self.tag_snapshots.is_open() || self.retire.is_open() || self.encrypt.is_open()
    }

    /// Whether "Encrypt copies" is on.
    fn encrypting(&self) -> bool {
        self.encrypt.value().copied().unwrap_or(false)
    }

    /// Follows a change of the copy regions: the list's marks and a key row per region.
    fn show_regions(&mut self, spec: &ImageSpec) {
        self.regions.show_choices(spec);
        self.keys.sync(spec);
    }

    /// The number typed as images kept, when it is one.
    fn keep_value(&self) -> Option<u32> {
        self.keep.value().trim().parse().ok()
    }

    /// What the account being typed would be refused for.
    fn account_refusal(&self, spec: &ImageSpec) -> Option<String> {
        let typed = self.account.value().trim();
        (!typed.is_empty())
            .then(|| refusal(typed, accounts(spec)))
            .flatten()
    }

    /// Changes the delivery table through `f`, with the copy texts and the encryption as
    /// chosen: they ask for nothing alone, so a table with only them is dropped, and they
    /// come back with the first copy.
    fn store(&self, spec: &mut ImageSpec, f: impl FnOnce(&mut DeliverySpec)) {
        let name = self.copy_name.optional();
        let description = self.copy_description.optional();
        let encrypt = self.encrypting();
        edit_delivery(spec, |d| {
            f(d);
            d.copy_name = name;
            d.copy_description = description;
            // Encrypting asks for nothing without a copy (and a recipe would say so).
            d.encrypt_copies = encrypt && !d.copy_to.is_empty();
        });
    }

    /// Writes the focused row's value into the spec.
    fn write(&self, focus: Focus, spec: &mut ImageSpec) {
        match focus {
            Focus::CopyName | Focus::CopyDescription => self.store(spec, |_| {}),
            Focus::Encrypt => {
                // Off, the spec names no key (ECS takes one only for an encrypted copy); the
                // rows keep the keys typed, and switching on names them again.
                let typed = self.keys.typed();
                let on = self.encrypting();
                self.store(spec, |d| {
                    if on {
                        for (region, key) in &typed {
                            encryption::set_key(d, region, key);
                        }
                    } else {
                        d.kms_key_ids.clear();
                    }
                });
            }
            Focus::Key(i) => {
                let (Some(region), Some(field)) = (self.keys.region(i), self.keys.field(i)) else {
                    return;
                };
                let key = field.value().trim();
                self.store(spec, |d| encryption::set_key(d, region, key));
            }
            Focus::TagSnapshots => {
                let on = self.tag_snapshots.value().copied().unwrap_or(false);
                self.store(spec, |d| d.tag_snapshots = on);
            }
            Focus::Retire | Focus::Keep => {
                let plan = self.retire.value().map(|&action| RetirePlan {
                    // A number not typed yet keeps the last good one (the row says so).
                    keep: self.keep_value().unwrap_or_else(|| {
                        spec.delivery
                            .as_ref()
                            .and_then(|d| d.retire)
                            .map_or(DEFAULT_KEEP, |r| r.keep)
                    }),
                    action,
                });
                self.store(spec, |d| d.retire = plan);
            }
            Focus::Regions | Focus::Account(_) | Focus::AddAccount => {}
        }
    }

    /// Shows what the spec holds (it may come from elsewhere, or have changed meanwhile).
    fn load(&mut self, spec: &ImageSpec) {
        let delivery = spec.delivery.clone().unwrap_or_default();
        let sync = |field: &mut TextField, value: Option<&str>| {
            let value = value.unwrap_or("");
            if field.value() != value {
                field.set_value(value);
            }
        };
        // Without a table (or, for the encryption, without a copy) what was chosen waits for
        // a copy (see `store`).
        if spec.delivery.is_some() {
            sync(&mut self.copy_name, delivery.copy_name.as_deref());
            sync(
                &mut self.copy_description,
                delivery.copy_description.as_deref(),
            );
            if !delivery.copy_to.is_empty() || delivery.encrypt_copies {
                self.encrypt.select(Some(&delivery.encrypt_copies));
            }
        }
        self.tag_snapshots.select(Some(&delivery.tag_snapshots));
        self.retire
            .select(delivery.retire.map(|r| r.action).as_ref());
        if let Some(retire) = delivery.retire
            && self.keep_value() != Some(retire.keep)
        {
            self.keep.set_value(retire.keep.to_string());
        }
        self.show_regions(spec);
        let order = self.order(spec);
        if !order.contains(&self.focus) {
            self.focus = Focus::AddAccount;
        }
    }

    /// Ends an edit or an open choice list on the focused row. An account left half typed
    /// is not added: the field keeps it, counted among the step's problems.
    fn settle(&mut self) {
        if let Some(field) = self.text_mut(self.focus) {
            field.stop_editing();
        }
        self.tag_snapshots.close();
        self.retire.close();
        self.encrypt.close();
    }

    fn move_to(&mut self, focus: Focus) {
        self.settle();
        self.focus = focus;
    }

    /// The next (or previous) row in Tab order, wrapping; or without wrapping for arrows.
    fn neighbour(&self, spec: &ImageSpec, forward: bool, wrap: bool) -> Focus {
        let order = self.order(spec);
        let n = order.len();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let to = match (forward, wrap) {
            (true, true) => (at + 1) % n,
            (false, true) => (at + n - 1) % n,
            (true, false) => (at + 1).min(n - 1),
            (false, false) => at.saturating_sub(1),
        };
        order[to]
    }

    /// Adds the typed account when it is good; otherwise it stays, with the reason shown.
    fn add_account(&mut self, ctx: &mut StepCtx) {
        let typed = self.account.value().trim().to_owned();
        if typed.is_empty() {
            self.account.stop_editing();
            return;
        }
        if let Some(reason) = self.account_refusal(ctx.spec) {
            ctx.notify(format!("Not added: {reason}"));
            return;
        }
        self.store(ctx.spec, |d| d.share_with.push(typed));
        self.account.set_value("");
        self.account.start_editing();
    }

    fn remove_account(&mut self, i: usize, ctx: &mut StepCtx) {
        self.store(ctx.spec, |d| {
            if i < d.share_with.len() {
                d.share_with.remove(i);
            }
        });
        let left = accounts(ctx.spec).len();
        self.focus = match left {
            0 => Focus::AddAccount,
            _ => Focus::Account(i.min(left - 1)),
        };
    }

    /// Adds the region at `i` of the list to the copies, or takes it out.
    fn toggle_region(&mut self, i: usize, ctx: &mut StepCtx) {
        let Some(region) = self.regions.region_at(i) else {
            return;
        };
        self.store(ctx.spec, |d| {
            match d.copy_to.iter().position(|r| *r == region) {
                Some(at) => {
                    d.copy_to.remove(at);
                    encryption::drop_keys(d, &region);
                }
                None => d.copy_to.push(region),
            }
        });
        self.show_regions(ctx.spec);
    }

    fn picker_key(&mut self, action: Action, key: KeyEvent, ctx: &mut StepCtx) {
        match action {
            Action::Picker(action) => match self.regions.picker.act(action, key) {
                PickerEvent::Chosen(i) => self.toggle_region(i, ctx),
                PickerEvent::Refused(reason) => ctx.notify(format!("Not a copy region: {reason}.")),
                PickerEvent::Refresh => self.regions.reload(ctx),
                PickerEvent::Handled | PickerEvent::Ignored => {}
            },
            Action::ClosePicker => self.picking = false,
            Action::UseTyped => {
                let typed = self.regions.picker.query().trim().to_owned();
                if !typed.is_empty() {
                    // The validators judge it like a recipe's, under the Copy to row.
                    self.store(ctx.spec, |d| {
                        if !d.copy_to.contains(&typed) {
                            d.copy_to.push(typed);
                        }
                    });
                    self.regions.picker.set_query("");
                    self.show_regions(ctx.spec);
                }
            }
            _ => {}
        }
    }

    /// Regions the copy list holds (loaded or not).
    pub fn regions_listed(&self) -> usize {
        self.regions.picker.rows().len()
    }

    /// The wizard's own findings about delivery, on top of the validators': a delete whose
    /// list of images was not confirmed blocks the request.
    pub fn findings(&self, spec: &ImageSpec) -> Vec<Finding> {
        self.retirements.unconfirmed(spec).into_iter().collect()
    }
}

impl StepScreen for DeliveryStep {
    fn focus(&mut self, field: Field) {
        self.picking = false;
        self.focus = match field {
            Field::Delivery | Field::DeliveryCopyTo(_) => Focus::Regions,
            // A finding names an account that is listed.
            Field::DeliveryShareWith(i) => Focus::Account(i),
            Field::DeliveryTagSnapshots => Focus::TagSnapshots,
            Field::DeliveryRetire | Field::DeliveryRetireAction => Focus::Retire,
            Field::DeliveryRetireKeep if self.retire.value().is_some() => Focus::Keep,
            Field::DeliveryRetireKeep => Focus::Retire,
            Field::DeliveryCopyName => Focus::CopyName,
            Field::DeliveryCopyDescription => Focus::CopyDescription,
            Field::DeliveryKmsKeyId(i) => match self.keys.row_of_key(i) {
                Some(row) if self.encrypting() => Focus::Key(row),
                _ => Focus::Encrypt,
            },
            Field::DeliveryEncryptCopies | Field::DeliveryKmsKeyIds => Focus::Encrypt,
            _ => return,
        };
    }

    fn enter(&mut self, ctx: &mut StepCtx) {
        // The regions are listed when their list is first opened: passing through the step
        // asks nothing of the API.
        self.load(ctx.spec);
        self.retirements.sync(ctx);
    }

    fn leave(&mut self, _ctx: &mut StepCtx) {
        // The lists keep loading: the review needs the retirement list to judge a delete.
        self.settle();
        self.picking = false;
    }

    fn key(&mut self, key: KeyEvent, ctx: &mut StepCtx) -> Reaction {
        let Some(action) = self.keymap(ctx.spec).action(&key) else {
            return Reaction::Ignored;
        };
        if self.picking {
            self.picker_key(action, key, ctx);
            self.retirements.sync(ctx);
            return Reaction::Handled;
        }
        let focus = self.focus;
        match action {
            Action::Field => {
                let edit = match focus {
                    Focus::TagSnapshots => self.tag_snapshots.handle_key(key),
                    Focus::Retire => self.retire.handle_key(key),
                    Focus::Encrypt => self.encrypt.handle_key(key),
                    _ => self
                        .text_mut(focus)
                        .map_or(Edit::Ignored, |f| f.handle_key(key)),
                };
                if edit == Edit::Changed {
                    self.write(focus, ctx.spec);
                }
            }
            Action::Next => self.move_to(self.neighbour(ctx.spec, true, true)),
            Action::Previous => self.move_to(self.neighbour(ctx.spec, false, true)),
            Action::Down => self.move_to(self.neighbour(ctx.spec, true, false)),
            Action::Up => self.move_to(self.neighbour(ctx.spec, false, false)),
            Action::OpenRegions => {
                self.regions.open(ctx);
                self.picking = true;
            }
            Action::AddAccount => self.add_account(ctx),
            Action::RemoveAccount => {
                if let Focus::Account(i) = focus {
                    self.remove_account(i, ctx);
                }
            }
            Action::Confirm => self.retirements.confirm(ctx.spec),
            Action::Reload => self.retirements.reload(ctx),
            Action::Picker(_) | Action::ClosePicker | Action::UseTyped => {}
        }
        self.keys.sync(ctx.spec);
        self.retirements.sync(ctx);
        Reaction::Handled
    }

    fn mouse(&mut self, event: MouseEvent, _ctx: &mut StepCtx) -> Reaction {
        if !self.picking {
            return Reaction::Ignored;
        }
        match self.regions.picker.handle_mouse(event) {
            PickerEvent::Ignored => Reaction::Ignored,
            _ => Reaction::Handled,
        }
    }

    fn paste(&mut self, text: &str, ctx: &mut StepCtx) -> Reaction {
        if self.picking {
            self.regions.picker.handle_paste(text);
            return Reaction::Handled;
        }
        let focus = self.focus;
        match self.text_mut(focus) {
            Some(field) => {
                if field.paste(text) {
                    self.write(focus, ctx.spec);
                    self.keys.sync(ctx.spec);
                    self.retirements.sync(ctx);
                }
                Reaction::Handled
            }
            None => Reaction::Ignored,
        }
    }

    fn loaded(&mut self, id: RequestId, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let Err(result) = self.regions.receive(id, result, ctx) else {
            return;
        };
        self.retirements.receive(id, result);
    }

    fn region_changed(&mut self, ctx: &mut StepCtx) {
        // The regions stay (DescribeRegions lists them all); which one is the build's moves.
        self.show_regions(ctx.spec);
        self.retirements.forget(ctx);
    }

    fn retry(&mut self, ctx: &mut StepCtx) {
        self.regions.reload(ctx);
    }

    fn busy(&self) -> bool {
        self.regions.busy() || self.retirements.busy()
    }

    fn input_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let typed = self.account.value().trim();
        if !typed.is_empty() {
            problems.push(format!(
                "Share with: {typed:?} is typed but not added; Enter adds a good ID, ^U clears \
                 the field."
            ));
        }
        if self.retire.value().is_some() && self.keep_value().is_none() {
            problems.push(format!(
                "Keep newest: {:?} is not a number; type how many images of the family stay, \
                 the new one included.",
                self.keep.value()
            ));
        }
        problems
    }

    fn view(&self, ctx: &ViewCtx, frame: &mut Frame, area: Rect) {
        self.draw(ctx, frame, area);
    }

    fn keys(&self, answers: Answers) -> Keys {
        self.keymap(answers.spec).keys()
    }
}

#[cfg(test)]
mod tests;
