//! `Picker<T>`: a filterable, sortable table of API rows that stream in page by page.
//!
//! Built for large regions (100,000 snapshots):
//! - each row's filter text is converted to nucleo's UTF-32 form once, when the row arrives;
//! - a keystroke that only *extends* the query re-scores just the rows that matched before
//!   (a longer fuzzy query can only match fewer rows), anything else re-scores all rows;
//! - ranking sorts packed `u64` keys (score, index), column sorts keep one presorted index
//!   list that new pages are merged into, so a page never re-sorts the whole list;
//! - the view formats only the rows on screen.
//!
//! Rows that cannot be chosen stay visible, dimmed, with the reason for the selected one.
//!
//! Here: the picker's state, its data and selection; [`input`] handles keys and the mouse,
//! [`order`] keeps the filtered, sorted order (scoring is [`crate::search`]), [`view`] draws.

mod input;
mod order;
#[cfg(test)]
mod tests;
mod view;

pub use view::{put, short_time};

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use ratatui::layout::Rect;
use tui_input::Input;

use crate::search::Search;
use crate::tui::theme::Theme;

/// Rows a mouse wheel notch moves.
const WHEEL_ROWS: usize = 3;
/// Width of the gutter left of each row (selection / unusable marker).
const GUTTER: u16 = 2;
/// Earlier results kept for Backspace (each holds at most one key per row).
const MAX_CHECKPOINTS: usize = 12;

/// One column of a picker.
pub struct Column<T: 'static> {
    pub title: &'static str,
    /// Never narrower than this (columns are dropped instead, lowest priority first).
    pub min: u16,
    /// Grows up to this when there is room.
    pub max: u16,
    /// Lower is more important; 0 is never dropped.
    pub priority: u8,
    /// Right-aligned (numbers).
    pub right: bool,
    pub cell: for<'a> fn(&'a T) -> Cow<'a, str>,
    /// Column sort order; `None` for columns that cannot be sorted.
    pub cmp: Option<fn(&T, &T) -> Ordering>,
}

/// What a picker shows and how it judges rows. One `static` per use.
pub struct PickerKind<T: 'static> {
    /// Plural noun for messages ("instances").
    pub noun: &'static str,
    pub columns: &'static [Column<T>],
    /// Stable identity (the resource ID): the selection follows it across reloads.
    pub key: for<'a> fn(&'a T) -> &'a str,
    /// The text the filter matches (ID, name, ...).
    pub haystack: fn(&T) -> String,
    /// Why a row cannot be chosen, if it cannot (the default [`Picker::set_rule`]).
    pub unusable: Rule<T>,
}

/// Why a row cannot be chosen, if it cannot.
pub type Rule<T> = for<'a> fn(&'a T) -> Option<Cow<'a, str>>;

/// What a key does to a picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Choose,
    Refresh,
    Sort,
    Reverse,
    ClearFilter,
    /// A key for the filter's line editor.
    Filter,
}

/// How the rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best match first (arrival order while the filter is empty).
    Relevance,
    Column {
        index: usize,
        descending: bool,
    },
}

/// Where loading stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    /// Nothing asked yet.
    Idle,
    Loading,
    Complete,
    /// Stopped before the end (the user left); shown as partial.
    Interrupted,
    /// The message of the error that stopped loading.
    Failed(String),
}

/// What an input did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerEvent {
    Ignored,
    Handled,
    /// Enter on a usable row: its index in [`Picker::rows`].
    Chosen(usize),
    /// Enter on an unusable row: the reason.
    Refused(String),
    /// The user asked to load the list again.
    Refresh,
}

/// Display options the owner passes to [`Picker::render`].
pub struct PickerStyle<'a> {
    pub theme: &'a Theme,
    /// Spinner frame for the loading indicator.
    pub spinner: &'a str,
    /// Whether keys go to this picker (shows the filter cursor).
    pub focused: bool,
    /// Shown when the list loaded and is empty ("No instances in cn-hangzhou").
    pub empty: &'a str,
}

pub struct Picker<T: 'static> {
    kind: &'static PickerKind<T>,
    /// Why a row cannot be chosen: the kind's rule unless the owner set another.
    rule: Rule<T>,
    /// Rows found unusable after they were listed (by their key), with the reason.
    marks: HashMap<String, String>,
    rows: Vec<T>,
    /// The rows' filter texts and the query they are scored against.
    search: Search,
    /// Per row: score for the current query, or `NO_MATCH`.
    scores: Vec<u32>,
    /// Indices of matching rows, in display order.
    order: Vec<u32>,
    /// With a column sort: every row sorted ascending by that column (ties by index).
    sorted: Vec<u32>,
    sort: Sort,
    query: Input,
    /// The query `scores` and `order` were computed for.
    applied_query: String,
    /// Results of the shorter queries typed on the way to the current one, so Backspace
    /// restores instead of re-scoring. Cleared when rows or the sort change.
    checkpoints: Vec<Checkpoint>,
    /// Position in `order` of the selected row.
    cursor: usize,
    /// After a reload, the key of the row to select again when it arrives.
    reselect: Option<String>,
    load: LoadState,
    // Render-time state: the view is read-only, so scrolling and hit areas live in cells.
    offset: Cell<usize>,
    body: Cell<Rect>,
    header: Cell<Rect>,
    header_columns: Cell<[(u16, u16); 12]>,
}

/// The result of one query: its matches in display order as rank keys (score and row).
struct Checkpoint {
    query: String,
    keys: Vec<u64>,
}

impl<T> fmt::Debug for Picker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Picker")
            .field("noun", &self.kind.noun)
            .field("rows", &self.rows.len())
            .field("matches", &self.order.len())
            .field("query", &self.query.value())
            .field("sort", &self.sort)
            .field("cursor", &self.cursor)
            .field("load", &self.load)
            .finish()
    }
}

impl<T> Picker<T> {
    pub fn new(kind: &'static PickerKind<T>) -> Self {
        assert!(kind.columns.len() <= 12, "a picker has at most 12 columns");
        Picker {
            kind,
            rule: kind.unusable,
            marks: HashMap::new(),
            rows: Vec::new(),
            search: Search::default(),
            scores: Vec::new(),
            order: Vec::new(),
            sorted: Vec::new(),
            sort: Sort::Relevance,
            query: Input::default(),
            applied_query: String::new(),
            checkpoints: Vec::new(),
            cursor: 0,
            reselect: None,
            load: LoadState::Idle,
            offset: Cell::new(0),
            body: Cell::new(Rect::default()),
            header: Cell::new(Rect::default()),
            header_columns: Cell::new([(0, 0); 12]),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Data

    pub fn rows(&self) -> &[T] {
        &self.rows
    }

    pub fn load_state(&self) -> &LoadState {
        &self.load
    }

    pub fn is_loading(&self) -> bool {
        self.load == LoadState::Loading
    }

    /// Whether the list needs (re)loading when its screen is entered.
    pub fn needs_load(&self) -> bool {
        matches!(self.load, LoadState::Idle | LoadState::Interrupted)
    }

    /// A load starts: the rows are dropped, the selected row is selected again when it
    /// reappears.
    pub fn start_loading(&mut self) {
        self.reselect = self.selected().map(|r| (self.kind.key)(r).to_string());
        self.rows.clear();
        self.search.clear();
        self.scores.clear();
        self.order.clear();
        self.sorted.clear();
        self.checkpoints.clear();
        self.cursor = 0;
        self.offset.set(0);
        self.load = LoadState::Loading;
    }

    /// Appends a page of rows; `last` ends loading.
    pub fn push_page(&mut self, rows: Vec<T>, last: bool) {
        let start = self.rows.len() as u32;
        let keep = self.selected_index();
        for row in rows {
            self.search.push(&(self.kind.haystack)(&row));
            let score = self.search.score(self.rows.len());
            self.scores.push(score);
            self.rows.push(row);
        }
        let end = self.rows.len() as u32;
        if end > start {
            self.checkpoints.clear();
        }
        self.place_new(start..end);
        let reselect = self
            .reselect
            .as_deref()
            .and_then(|key| (start..end).find(|&i| (self.kind.key)(&self.rows[i as usize]) == key));
        match reselect {
            Some(i) => {
                self.reselect = None;
                self.select_index(i as usize);
            }
            None => self.follow(keep),
        }
        if last {
            self.load = LoadState::Complete;
            self.reselect = None;
        }
    }

    /// Loading stopped by an error; the rows so far stay.
    pub fn fail(&mut self, message: impl Into<String>) {
        self.load = LoadState::Failed(message.into());
    }

    /// Loading was cancelled before the end (the rows so far stay, marked partial).
    pub fn interrupt(&mut self) {
        if self.load == LoadState::Loading {
            self.load = LoadState::Interrupted;
        }
    }

    /// Forgets every row (another region).
    pub fn clear(&mut self) {
        self.start_loading();
        self.marks.clear();
        self.reselect = None;
        self.load = LoadState::Idle;
    }

    /// Replaces one row in place (a status that changed), keeping its position.
    pub fn update_row(&mut self, row: T) {
        let key = (self.kind.key)(&row).to_string();
        if let Some(i) = self.rows.iter().position(|r| (self.kind.key)(r) == key) {
            self.rows[i] = row;
        }
    }

    // -----------------------------------------------------------------------------------------
    // Selection and query

    /// The selected row.
    pub fn selected(&self) -> Option<&T> {
        self.selected_index().map(|i| &self.rows[i])
    }

    /// Index in [`Picker::rows`] of the selected row.
    pub fn selected_index(&self) -> Option<usize> {
        self.order.get(self.cursor).map(|&i| i as usize)
    }

    /// Why the selected row cannot be chosen.
    pub fn selected_reason(&self) -> Option<Cow<'_, str>> {
        self.selected().and_then(|r| self.reason(r))
    }

    /// Why `row` cannot be chosen, if it cannot.
    pub fn reason<'a>(&'a self, row: &'a T) -> Option<Cow<'a, str>> {
        (self.rule)(row).or_else(|| {
            self.marks
                .get((self.kind.key)(row))
                .map(|r| Cow::Borrowed(r.as_str()))
        })
    }

    /// Judges rows by `rule` from now on (the same list serves several purposes).
    pub fn set_rule(&mut self, rule: Rule<T>) {
        self.rule = rule;
    }

    /// Marks the row with this key unusable, for a reason learned after it was listed.
    pub fn mark(&mut self, key: &str, reason: impl Into<String>) {
        self.marks.insert(key.to_owned(), reason.into());
    }

    /// Selects the row with this key, if it is shown.
    pub fn select_key(&mut self, key: &str) -> bool {
        let found = self
            .order
            .iter()
            .position(|&i| (self.kind.key)(&self.rows[i as usize]) == key);
        if let Some(pos) = found {
            self.cursor = pos;
        }
        found.is_some()
    }

    pub fn query(&self) -> &str {
        self.query.value()
    }

    /// Rows matching the query.
    pub fn match_count(&self) -> usize {
        self.order.len()
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// Sets the filter text (as if typed).
    pub fn set_query(&mut self, query: &str) {
        self.query = Input::new(query.to_string());
        self.apply_query();
    }

    pub fn set_sort(&mut self, sort: Sort) {
        let sort = match sort {
            Sort::Column { index, .. }
                if self.kind.columns.get(index).is_none_or(|c| c.cmp.is_none()) =>
            {
                Sort::Relevance
            }
            s => s,
        };
        let keep = self.selected_index();
        let column_changed = match (self.sort, sort) {
            (Sort::Column { index: a, .. }, Sort::Column { index: b, .. }) => a != b,
            (_, Sort::Column { .. }) => true,
            _ => false,
        };
        self.sort = sort;
        self.checkpoints.clear();
        if column_changed {
            self.presort();
        }
        self.reorder();
        self.follow(keep);
    }

    /// Next sortable column (relevance after the last one), ascending.
    pub fn cycle_sort(&mut self) {
        let start = match self.sort {
            Sort::Relevance => 0,
            Sort::Column { index, .. } => index + 1,
        };
        let next = (start..self.kind.columns.len()).find(|&i| self.kind.columns[i].cmp.is_some());
        self.set_sort(match next {
            Some(index) => Sort::Column {
                index,
                descending: false,
            },
            None => Sort::Relevance,
        });
    }

    /// Flips a column sort's direction.
    pub fn reverse_sort(&mut self) {
        if let Sort::Column { index, descending } = self.sort {
            self.set_sort(Sort::Column {
                index,
                descending: !descending,
            });
        }
    }
}
