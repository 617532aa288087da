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

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use tui_input::{Input, InputRequest};
use unicode_width::UnicodeWidthStr;

use crate::text::{ellipsize, skip_columns};
use crate::tui::theme::Theme;
use crate::tui::widgets::keymap::{Key, Keymap};

/// Score of a row the query does not match.
const NO_MATCH: u32 = u32::MAX;
/// Rows a mouse wheel notch moves.
const WHEEL_ROWS: usize = 3;
/// Width of the gutter left of each row (selection / unusable marker).
const GUTTER: u16 = 2;
/// Below this many rows to score, one thread does it; above, the work is split.
const PARALLEL_FROM: usize = 8192;
/// At most this many threads score a keystroke.
const MAX_THREADS: usize = 4;
/// From this many rows to score, fuzzy words are matched greedily (linear time) instead of
/// optimally: the same rows match, only the ranking of the matches is coarser.
const GREEDY_FROM: usize = 20_000;
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
    haystacks: Haystacks,
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
    pattern: Pattern,
    /// One per scoring thread (each holds a ~135 KB scratch matrix, so they are reused).
    matchers: Vec<Matcher>,
    /// Results of the shorter queries typed on the way to the current one, so Backspace
    /// restores instead of re-scoring. Cleared when rows or the sort change.
    checkpoints: Vec<Checkpoint>,
    /// Whether the current scores came from greedy matching (new rows are scored alike).
    greedy: bool,
    /// Scratch space for sorting rank keys, kept to avoid a large allocation per keystroke.
    sort_buf: Vec<u64>,
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

/// Every row's filter text in two contiguous buffers (ASCII bytes, and code points for the
/// rest), so scoring reads memory front to back instead of chasing one allocation per row.
#[derive(Default)]
struct Haystacks {
    bytes: Vec<u8>,
    chars: Vec<char>,
    /// Per row: start, length, and whether it lives in `chars`.
    spans: Vec<(usize, usize, bool)>,
    /// Per row: the characters it contains, as a [`char_mask`] (all ones when it holds
    /// non-ASCII text, which normalisation may match to ASCII letters).
    masks: Vec<u64>,
    /// Scratch space for converting non-ASCII text.
    scratch: Vec<char>,
}

impl Haystacks {
    fn push(&mut self, text: &str) {
        self.masks.push(if text.is_ascii() {
            text.bytes().fold(0, |mask, b| mask | char_mask(b))
        } else {
            u64::MAX
        });
        match Utf32Str::new(text, &mut self.scratch) {
            Utf32Str::Ascii(bytes) => {
                self.spans.push((self.bytes.len(), bytes.len(), false));
                self.bytes.extend_from_slice(bytes);
            }
            Utf32Str::Unicode(chars) => {
                self.spans.push((self.chars.len(), chars.len(), true));
                self.chars.extend_from_slice(chars);
            }
        }
    }

    fn get(&self, i: usize) -> Utf32Str<'_> {
        let (start, len, wide) = self.spans[i];
        if wide {
            Utf32Str::Unicode(&self.chars[start..start + len])
        } else {
            Utf32Str::Ascii(&self.bytes[start..start + len])
        }
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.chars.clear();
        self.spans.clear();
        self.masks.clear();
    }
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
            haystacks: Haystacks::default(),
            scores: Vec::new(),
            order: Vec::new(),
            sorted: Vec::new(),
            sort: Sort::Relevance,
            query: Input::default(),
            applied_query: String::new(),
            pattern: Pattern::default(),
            matchers: vec![Matcher::new(Config::DEFAULT)],
            checkpoints: Vec::new(),
            greedy: false,
            sort_buf: Vec::new(),
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
        self.haystacks.clear();
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
            self.haystacks.push(&(self.kind.haystack)(&row));
            let score = self.score(self.rows.len());
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

    // -----------------------------------------------------------------------------------------
    // Input

    /// The picker's keys; `choose` says what Enter does ("choose", "switch").
    pub fn keymap(&self, choose: &'static str) -> Keymap<PickerAction> {
        use KeyCode::*;
        use PickerAction as A;
        Keymap::new()
            .bind_each(
                [(Key::plain(Up), A::Up), (Key::plain(Down), A::Down)],
                "move",
            )
            .bind([Key::plain(Enter)], A::Choose, choose)
            .help(format!("{choose} the selected row"))
            .bind([Key::Text { except: "?" }], A::Filter, "filter")
            .help("filter the list (fuzzy; several words must all match)")
            .when(!self.query().is_empty(), |k| {
                k.bind([Key::plain(Esc)], A::ClearFilter, "clear filter")
            })
            .bind([Key::ctrl('r'), Key::plain(F(5))], A::Refresh, "reload")
            .help("load the list again")
            .bind([Key::ctrl('s')], A::Sort, "sort")
            .help("sort by the next column (or click a header)")
            .bind([Key::ctrl('o')], A::Reverse, "reverse")
            .help("reverse the order")
            .quiet()
            .bind_each(
                [
                    (Key::plain(PageUp), A::PageUp),
                    (Key::plain(PageDown), A::PageDown),
                    (Key::plain(Home), A::Home),
                    (Key::plain(End), A::End),
                ],
                "page",
            )
            .help("a page up / down; the first / last row")
            .quiet()
            .bind(
                [
                    Key::plain(Backspace),
                    Key::plain(Delete),
                    Key::plain(Left),
                    Key::plain(Right),
                    Key::ctrl('a'),
                    Key::ctrl('e'),
                    Key::ctrl('u'),
                    Key::ctrl('w'),
                    Key::ctrl_code(Backspace),
                    Key::alt(Backspace),
                ],
                A::Filter,
                "edit filter",
            )
            .help("edit the filter (^U clears it, ^W deletes a word)")
            .quiet()
            .note("Filter syntax: 'exact  ^prefix  suffix$  !exclude")
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerEvent {
        if key.kind == KeyEventKind::Release {
            return PickerEvent::Ignored;
        }
        match self.keymap("choose").action(&key) {
            Some(action) => self.act(action, key),
            None => PickerEvent::Ignored,
        }
    }

    /// Carries out a keymap action (`key` is the press, for the filter's editor).
    pub fn act(&mut self, action: PickerAction, key: KeyEvent) -> PickerEvent {
        let page = usize::from(self.body.get().height.max(1));
        match action {
            PickerAction::Up => self.move_by(-1),
            PickerAction::Down => self.move_by(1),
            PickerAction::PageUp => self.move_by(-(page as isize)),
            PickerAction::PageDown => self.move_by(page as isize),
            PickerAction::Home => self.cursor = 0,
            PickerAction::End => self.cursor = self.order.len().saturating_sub(1),
            PickerAction::Choose => return self.choose(),
            PickerAction::Refresh => return PickerEvent::Refresh,
            PickerAction::Sort => self.cycle_sort(),
            PickerAction::Reverse => self.reverse_sort(),
            PickerAction::ClearFilter => self.set_query(""),
            PickerAction::Filter => {
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                let alt = key.modifiers.contains(KeyModifiers::ALT);
                let request = match key.code {
                    KeyCode::Char(c) if !ctrl && !alt => InputRequest::InsertChar(c),
                    KeyCode::Backspace if ctrl || alt => InputRequest::DeletePrevWord,
                    KeyCode::Backspace => InputRequest::DeletePrevChar,
                    KeyCode::Delete => InputRequest::DeleteNextChar,
                    KeyCode::Left => InputRequest::GoToPrevChar,
                    KeyCode::Right => InputRequest::GoToNextChar,
                    KeyCode::Char('a') if ctrl => InputRequest::GoToStart,
                    KeyCode::Char('e') if ctrl => InputRequest::GoToEnd,
                    KeyCode::Char('u') if ctrl => InputRequest::DeleteLine,
                    KeyCode::Char('w') if ctrl => InputRequest::DeletePrevWord,
                    _ => return PickerEvent::Ignored,
                };
                let changed = self.query.handle(request).is_some_and(|c| c.value);
                if changed {
                    self.apply_query();
                }
            }
        }
        PickerEvent::Handled
    }

    /// Pasted text goes into the filter (first line only).
    pub fn handle_paste(&mut self, text: &str) -> PickerEvent {
        let line = text.lines().next().unwrap_or("");
        let clean: String = line.chars().filter(|c| !c.is_control()).collect();
        if clean.is_empty() {
            return PickerEvent::Ignored;
        }
        for c in clean.chars() {
            self.query.handle(InputRequest::InsertChar(c));
        }
        self.apply_query();
        PickerEvent::Handled
    }

    /// Wheel scrolls, a click selects a row or sorts by a column.
    pub fn handle_mouse(&mut self, event: MouseEvent) -> PickerEvent {
        let at = Position::new(event.column, event.row);
        let body = self.body.get();
        let header = self.header.get();
        match event.kind {
            MouseEventKind::ScrollDown if body.contains(at) || header.contains(at) => {
                self.move_by(WHEEL_ROWS as isize)
            }
            MouseEventKind::ScrollUp if body.contains(at) || header.contains(at) => {
                self.move_by(-(WHEEL_ROWS as isize))
            }
            MouseEventKind::Down(MouseButton::Left) if body.contains(at) => {
                let pos = self.offset.get() + usize::from(event.row - body.y);
                if pos >= self.order.len() {
                    return PickerEvent::Ignored;
                }
                self.cursor = pos;
            }
            MouseEventKind::Down(MouseButton::Left) if header.contains(at) => {
                let spans = self.header_columns.get();
                let Some(index) = spans
                    .iter()
                    .take(self.kind.columns.len())
                    .position(|&(x, w)| w > 0 && event.column >= x && event.column < x + w)
                else {
                    return PickerEvent::Ignored;
                };
                let descending = matches!(
                    self.sort,
                    Sort::Column { index: i, descending: false } if i == index
                );
                self.set_sort(Sort::Column { index, descending });
            }
            _ => return PickerEvent::Ignored,
        }
        PickerEvent::Handled
    }

    fn choose(&self) -> PickerEvent {
        match self.selected() {
            None => PickerEvent::Handled,
            Some(row) => match self.reason(row) {
                Some(reason) => PickerEvent::Refused(reason.into_owned()),
                None => PickerEvent::Chosen(self.order[self.cursor] as usize),
            },
        }
    }

    fn move_by(&mut self, delta: isize) {
        let last = self.order.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    fn select_index(&mut self, row: usize) {
        if let Some(pos) = self.order.iter().position(|&i| i as usize == row) {
            self.cursor = pos;
        }
    }

    /// Keeps `row` selected after a re-rank when it is still shown; else keeps the position.
    fn follow(&mut self, row: Option<usize>) {
        match row {
            Some(r) => {
                if self.order.get(self.cursor).is_none_or(|&i| i as usize != r) {
                    match self.order.iter().position(|&i| i as usize == r) {
                        Some(pos) => self.cursor = pos,
                        None => self.cursor = self.cursor.min(self.order.len().saturating_sub(1)),
                    }
                }
            }
            None => self.cursor = self.cursor.min(self.order.len().saturating_sub(1)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Filtering and ordering

    /// Row `i`'s score for the current pattern.
    fn score(&mut self, i: usize) -> u32 {
        if self.pattern.atoms.is_empty() {
            return 0;
        }
        let haystack = self.haystacks.get(i);
        let matcher = &mut self.matchers[0];
        let score = if self.greedy {
            score_greedy(&self.pattern, haystack, matcher)
        } else {
            self.pattern.score(haystack, matcher)
        };
        score.unwrap_or(NO_MATCH)
    }

    /// Re-filters after the query changed; the best match becomes selected.
    fn apply_query(&mut self) {
        let query = self.query.value().to_string();
        if query == self.applied_query {
            return;
        }
        if let Some(pos) = self.checkpoints.iter().rposition(|c| c.query == query) {
            // Backspace to a query seen on the way here: its result is still valid.
            self.checkpoints.truncate(pos + 1);
            if let Some(checkpoint) = self.checkpoints.pop() {
                self.pattern
                    .reparse(&query, CaseMatching::Smart, Normalization::Smart);
                self.restore(&checkpoint.keys);
            }
        } else {
            // A longer query only matches rows the shorter one matched: score just those.
            let narrowing = refines(&self.applied_query, &query);
            if narrowing {
                let keys: Vec<u64> = self.order.iter().map(|&i| self.rank_key(i)).collect();
                if self.checkpoints.len() == MAX_CHECKPOINTS {
                    self.checkpoints.remove(0);
                }
                self.checkpoints.push(Checkpoint {
                    query: self.applied_query.clone(),
                    keys,
                });
            } else {
                self.checkpoints.clear();
            }
            self.pattern
                .reparse(&query, CaseMatching::Smart, Normalization::Smart);
            if self.pattern.atoms.is_empty() {
                self.scores.fill(0);
                self.reorder();
            } else {
                // In row order, so the haystacks are read front to back.
                let candidates: Vec<u32> = (0..self.rows.len() as u32)
                    .filter(|&i| !narrowing || self.scores[i as usize] != NO_MATCH)
                    .collect();
                let mut keys = self.score_many(&candidates);
                match self.sort {
                    Sort::Relevance => {
                        sort_keys(&mut keys, &mut self.sort_buf);
                        self.restore(&keys);
                    }
                    Sort::Column { .. } => {
                        self.scores.fill(NO_MATCH);
                        for key in keys {
                            self.scores[key as u32 as usize] = u32::MAX - (key >> 32) as u32;
                        }
                        self.reorder();
                    }
                }
            }
        }
        self.applied_query = query;
        self.cursor = 0;
        self.offset.set(0);
    }

    /// Sets `order` (and the scores) from rank keys in display order; rows without a key do
    /// not match.
    fn restore(&mut self, keys: &[u64]) {
        self.scores.fill(NO_MATCH);
        self.order.clear();
        for &key in keys {
            let row = key as u32;
            self.scores[row as usize] = u32::MAX - (key >> 32) as u32;
            self.order.push(row);
        }
    }

    /// Scores `rows` for the current pattern, on several threads when there are many; returns
    /// the rank keys of those that match, in the order of `rows`.
    fn score_many(&mut self, rows: &[u32]) -> Vec<u64> {
        let threads = if rows.len() < PARALLEL_FROM {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, MAX_THREADS)
        };
        while self.matchers.len() < threads {
            self.matchers.push(Matcher::new(Config::DEFAULT));
        }
        self.greedy = rows.len() >= GREEDY_FROM;
        let greedy = self.greedy;
        let pattern = &self.pattern;
        let haystacks = &self.haystacks;
        let needs = needle_mask(pattern);
        let score = |matcher: &mut Matcher, chunk: &[u32]| -> Vec<u64> {
            chunk
                .iter()
                .filter_map(|&i| {
                    // A row lacking a character of the query cannot match: skip the matcher.
                    if haystacks.masks[i as usize] & needs != needs {
                        return None;
                    }
                    let haystack = haystacks.get(i as usize);
                    let s = if greedy {
                        score_greedy(pattern, haystack, matcher)?
                    } else {
                        pattern.score(haystack, matcher)?
                    };
                    Some((u64::from(u32::MAX - s) << 32) | u64::from(i))
                })
                .collect()
        };
        if threads == 1 {
            return score(&mut self.matchers[0], rows);
        }
        let chunk = rows.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = rows
                .chunks(chunk)
                .zip(self.matchers.iter_mut())
                .map(|(part, matcher)| scope.spawn(move || score(matcher, part)))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    /// Rebuilds `order` from `scores` and the sort.
    fn reorder(&mut self) {
        self.order.clear();
        match self.sort {
            Sort::Relevance => {
                self.order.extend(
                    (0..self.rows.len() as u32).filter(|&i| self.scores[i as usize] != NO_MATCH),
                );
                // Unfiltered, arrival order is the order; else best score first.
                if !self.pattern.atoms.is_empty() {
                    let mut keys: Vec<u64> = self.order.iter().map(|&i| self.rank_key(i)).collect();
                    keys.sort_unstable();
                    self.order.clear();
                    self.order.extend(keys.iter().map(|k| *k as u32));
                }
            }
            Sort::Column { descending, .. } => {
                let scores = &self.scores;
                let matching = |i: &u32| scores[*i as usize] != NO_MATCH;
                if descending {
                    self.order
                        .extend(self.sorted.iter().rev().copied().filter(matching));
                } else {
                    self.order
                        .extend(self.sorted.iter().copied().filter(matching));
                }
            }
        }
    }

    fn rank_key(&self, i: u32) -> u64 {
        (u64::from(u32::MAX - self.scores[i as usize]) << 32) | u64::from(i)
    }

    /// Sorts every row by the sort column into `sorted`.
    fn presort(&mut self) {
        let Sort::Column { index, .. } = self.sort else {
            self.sorted.clear();
            return;
        };
        let Some(cmp) = self.kind.columns[index].cmp else {
            return;
        };
        let rows = &self.rows;
        self.sorted = (0..rows.len() as u32).collect();
        self.sorted
            .sort_by(|&a, &b| cmp(&rows[a as usize], &rows[b as usize]).then(a.cmp(&b)));
    }

    /// Places rows `new` (just appended and scored) into the ordering without re-sorting
    /// everything.
    fn place_new(&mut self, new: std::ops::Range<u32>) {
        match self.sort {
            Sort::Relevance if self.pattern.atoms.is_empty() => self.order.extend(new),
            Sort::Relevance => {
                let mut fresh: Vec<u64> = new
                    .filter(|&i| self.scores[i as usize] != NO_MATCH)
                    .map(|i| self.rank_key(i))
                    .collect();
                if fresh.is_empty() {
                    return;
                }
                fresh.sort_unstable();
                let old: Vec<u64> = self.order.iter().map(|&i| self.rank_key(i)).collect();
                self.order = merge(&old, &fresh, |a, b| a.cmp(b))
                    .into_iter()
                    .map(|k| k as u32)
                    .collect();
            }
            Sort::Column { index, .. } => {
                if let Some(cmp) = self.kind.columns[index].cmp {
                    let rows = &self.rows;
                    let by = |a: &u32, b: &u32| {
                        cmp(&rows[*a as usize], &rows[*b as usize]).then(a.cmp(b))
                    };
                    let mut fresh: Vec<u32> = new.collect();
                    fresh.sort_by(by);
                    self.sorted = merge(&self.sorted, &fresh, by);
                }
                self.reorder();
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // View

    /// Draws the filter line, the column header, the visible rows and a status line.
    pub fn render(&self, style: &PickerStyle, frame: &mut Frame, area: Rect) {
        if area.height < 4 || area.width < 10 {
            return;
        }
        let theme = style.theme;
        let [filter, header, body, status] = super::bars_around(area);
        self.body.set(body);
        self.header.set(header);
        self.render_filter(style, frame, filter);
        let layout = self.layout(area.width);
        let buf = frame.buffer_mut();
        self.render_header(theme, buf, header, &layout);
        self.render_body(style, buf, body, &layout);
        self.render_status(style, buf, status);
    }

    fn render_filter(&self, style: &PickerStyle, frame: &mut Frame, area: Rect) {
        let theme = style.theme;
        let count = match (&self.load, self.query().is_empty()) {
            (LoadState::Loading, true) => {
                format!("{} {} loaded", style.spinner, group(self.rows.len()))
            }
            (LoadState::Loading, false) => format!(
                "{} {} of {} loaded",
                style.spinner,
                group(self.order.len()),
                group(self.rows.len())
            ),
            (_, true) if self.rows.len() == 1 => {
                format!(
                    "1 {}",
                    self.kind.noun.strip_suffix('s').unwrap_or(self.kind.noun)
                )
            }
            (_, true) => format!("{} {}", group(self.rows.len()), self.kind.noun),
            (_, false) => format!("{} of {}", group(self.order.len()), group(self.rows.len())),
        };
        let buf = frame.buffer_mut();
        let count_width = count.width() as u16;
        let prompt = "Filter: ";
        put(buf, area.x, area.y, prompt, area.width, theme.muted);
        let input_x = area.x + prompt.len() as u16;
        let input_width = area
            .width
            .saturating_sub(prompt.len() as u16 + count_width + 1);
        let value = self.query.value();
        let scroll = self
            .query
            .visual_scroll(input_width.saturating_sub(1) as usize);
        let shown = skip_columns(value, scroll);
        if value.is_empty() && !style.focused {
            put(buf, input_x, area.y, "", input_width, theme.muted);
        } else if value.is_empty() {
            put(
                buf,
                input_x,
                area.y,
                "type to filter",
                input_width,
                theme.muted,
            );
        } else {
            put(buf, input_x, area.y, &shown, input_width, theme.text);
        }
        put(
            buf,
            area.right().saturating_sub(count_width),
            area.y,
            &count,
            count_width,
            theme.muted,
        );
        if style.focused {
            let cursor = (self.query.visual_cursor().saturating_sub(scroll)) as u16;
            frame.set_cursor_position(Position::new(
                (input_x + cursor).min(area.right().saturating_sub(1)),
                area.y,
            ));
        }
    }

    /// `(x offset, width)` of each column, 0 width for dropped ones.
    fn layout(&self, width: u16) -> [(u16, u16); 12] {
        let columns = self.kind.columns;
        let avail = width.saturating_sub(GUTTER);
        let mut shown: Vec<bool> = vec![true; columns.len()];
        let need = |shown: &[bool]| -> u16 {
            columns
                .iter()
                .zip(shown)
                .filter(|(_, s)| **s)
                .map(|(c, _)| c.min + 1)
                .sum::<u16>()
        };
        while need(&shown) > avail {
            let drop = (0..columns.len())
                .filter(|&i| shown[i] && columns[i].priority > 0)
                .max_by_key(|&i| (columns[i].priority, i));
            match drop {
                Some(i) => shown[i] = false,
                None => break,
            }
        }
        let mut widths: Vec<u16> = columns
            .iter()
            .zip(&shown)
            .map(|(c, s)| if *s { c.min } else { 0 })
            .collect();
        let mut spare = avail.saturating_sub(need(&shown));
        for (i, c) in columns.iter().enumerate() {
            if shown[i] && spare > 0 {
                let grow = (c.max.saturating_sub(c.min)).min(spare);
                widths[i] += grow;
                spare -= grow;
            }
        }
        let mut out = [(0u16, 0u16); 12];
        let mut x = GUTTER;
        for (i, w) in widths.iter().enumerate() {
            if *w > 0 {
                out[i] = (x, *w);
                x += w + 1;
            }
        }
        out
    }

    fn render_header(
        &self,
        theme: &Theme,
        buf: &mut Buffer,
        area: Rect,
        layout: &[(u16, u16); 12],
    ) {
        let mut spans = [(0u16, 0u16); 12];
        for (i, column) in self.kind.columns.iter().enumerate() {
            let (x, w) = layout[i];
            if w == 0 {
                continue;
            }
            let arrow = match self.sort {
                Sort::Column { index, descending } if index == i => {
                    if descending {
                        " ↓"
                    } else {
                        " ↑"
                    }
                }
                _ => "",
            };
            let title = format!("{}{arrow}", column.title);
            let style = if arrow.is_empty() {
                theme.column_header
            } else {
                theme.column_header.add_modifier(Modifier::BOLD)
            };
            put_aligned(buf, area.x + x, area.y, &title, w, style, column.right);
            spans[i] = (area.x + x, w);
        }
        self.header_columns.set(spans);
    }

    fn render_body(
        &self,
        style: &PickerStyle,
        buf: &mut Buffer,
        area: Rect,
        layout: &[(u16, u16); 12],
    ) {
        let theme = style.theme;
        let height = usize::from(area.height);
        if self.order.is_empty() {
            let text = match &self.load {
                LoadState::Loading | LoadState::Idle => {
                    format!("{} loading {}…", style.spinner, self.kind.noun)
                }
                LoadState::Failed(_) => "Loading failed; press ^R to try again.".to_string(),
                _ if !self.query().is_empty() => format!("Nothing matches “{}”.", self.query()),
                _ => style.empty.to_string(),
            };
            put(
                buf,
                area.x + GUTTER,
                area.y,
                &text,
                area.width - GUTTER,
                theme.muted,
            );
            return;
        }
        // Keep the cursor on screen, moving the window as little as possible.
        let mut offset = self.offset.get().min(self.order.len().saturating_sub(1));
        if self.cursor < offset {
            offset = self.cursor;
        } else if self.cursor >= offset + height {
            offset = self.cursor + 1 - height;
        }
        self.offset.set(offset);
        let visible = &self.order[offset..(offset + height).min(self.order.len())];
        for (line, &row_index) in visible.iter().enumerate() {
            let y = area.y + line as u16;
            let row = &self.rows[row_index as usize];
            let selected = offset + line == self.cursor;
            let usable = self.reason(row).is_none();
            let mut row_style = if usable { theme.text } else { theme.unusable };
            if selected {
                row_style = theme.selected;
                if !usable {
                    row_style = row_style.add_modifier(Modifier::DIM);
                }
            }
            let row_area = Rect {
                y,
                height: 1,
                ..area
            };
            buf.set_style(row_area, row_style);
            let marker = match (selected, usable) {
                (true, _) => "›",
                (false, false) => "✗",
                (false, true) => " ",
            };
            put(buf, area.x, y, marker, GUTTER, row_style);
            for (i, column) in self.kind.columns.iter().enumerate() {
                let (x, w) = layout[i];
                if w > 0 {
                    let text = (column.cell)(row);
                    put_aligned(buf, area.x + x, y, &text, w, row_style, column.right);
                }
            }
        }
        // The loading row follows the last row once it is in view.
        if self.load == LoadState::Loading && visible.len() < height {
            let y = area.y + visible.len() as u16;
            let text = format!("{} loading more…", style.spinner);
            put(
                buf,
                area.x + GUTTER,
                y,
                &text,
                area.width - GUTTER,
                theme.muted,
            );
        }
    }

    fn render_status(&self, style: &PickerStyle, buf: &mut Buffer, area: Rect) {
        let theme = style.theme;
        let (text, line_style) = if let Some(reason) = self.selected_reason() {
            (format!("✗ {reason}"), theme.warning)
        } else {
            match &self.load {
                LoadState::Failed(message) => (format!("Loading failed: {message}"), theme.error),
                LoadState::Interrupted => (
                    "Loading was interrupted: the list is partial (^R reloads)".to_string(),
                    theme.warning,
                ),
                _ => {
                    let sort = match self.sort {
                        Sort::Relevance if self.query().is_empty() => String::new(),
                        Sort::Relevance => "sorted by best match".to_string(),
                        Sort::Column { index, descending } => format!(
                            "sorted by {} {}",
                            self.kind.columns[index].title,
                            if descending { "↓" } else { "↑" }
                        ),
                    };
                    (sort, theme.muted)
                }
            }
        };
        put(buf, area.x, area.y, &text, area.width, line_style);
    }
}

/// A time column's cell: `2024-01-02T03:04Z` or `2024-01-02T03:04:05Z` → `2024-01-02 03:04`.
pub fn short_time(time: &str) -> Cow<'_, str> {
    match time.get(..16) {
        Some(head) if head.as_bytes().get(10) == Some(&b'T') => {
            Cow::Owned(format!("{} {}", &head[..10], &head[11..]))
        }
        _ => Cow::Borrowed(time),
    }
}

/// A bit for an ASCII byte, case-folded; distinct characters may share a bit, which only makes
/// the mask test let more rows through to the matcher.
fn char_mask(b: u8) -> u64 {
    let bit = match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => c - b'a',
        c @ b'0'..=b'9' => 26 + c - b'0',
        c => 36 + c % 28,
    };
    1 << bit
}

/// The bits every matching row's mask must have: the ASCII characters of the query's positive
/// words (whatever their kind, all of a word's characters appear in a match).
fn needle_mask(pattern: &Pattern) -> u64 {
    pattern
        .atoms
        .iter()
        .filter(|atom| !atom.negative)
        .flat_map(|atom| atom.needle_text().chars())
        .filter(char::is_ascii)
        .fold(0, |mask, c| mask | char_mask(c as u8))
}

/// Sorts rank keys that arrive in ascending row order. Scores span a small range, so a stable
/// counting sort on the score half gives the same order as sorting whole keys, in linear time;
/// `buf` is reused scratch space.
fn sort_keys(keys: &mut Vec<u64>, buf: &mut Vec<u64>) {
    let high = |k: &u64| (k >> 32) as usize;
    let (Some(min), Some(max)) = (keys.iter().map(high).min(), keys.iter().map(high).max()) else {
        return;
    };
    if keys.len() < 4096 || max - min >= 1 << 16 {
        keys.sort_unstable();
        return;
    }
    let mut starts = vec![0usize; max - min + 2];
    for k in keys.iter() {
        starts[high(k) - min + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    buf.clear();
    buf.resize(keys.len(), 0);
    for &k in keys.iter() {
        let slot = &mut starts[high(&k) - min];
        buf[*slot] = k;
        *slot += 1;
    }
    std::mem::swap(keys, buf);
}

/// `Pattern::score`, except that fuzzy words with an ASCII needle use nucleo's linear-time
/// greedy matcher. A greedy match exists exactly when an optimal one does, so the same rows
/// match; a match's score can only be lower than the optimal one.
fn score_greedy(pattern: &Pattern, haystack: Utf32Str<'_>, matcher: &mut Matcher) -> Option<u32> {
    let mut total = 0u32;
    for atom in &pattern.atoms {
        let score = match (atom.kind, atom.needle_text()) {
            (AtomKind::Fuzzy, needle @ Utf32Str::Ascii(bytes)) => {
                // The settings `Atom::score` applies to an ASCII needle parsed with smart case
                // and smart normalization (negated fuzzy words are parsed as substrings).
                matcher.config.ignore_case = !bytes.iter().any(u8::is_ascii_uppercase);
                matcher.config.normalize = true;
                matcher.fuzzy_match_greedy(haystack, needle)?
            }
            _ => atom.score(haystack, matcher)?,
        };
        total += u32::from(score);
    }
    Some(total)
}

/// Whether the matches of `new` are a subset of those of `old`, so only `old`'s matches need
/// scoring: `new` extends `old`, and `old` holds none of the characters whose meaning a longer
/// query can turn around (`!` negation, `$` anchoring, `\` escapes).
fn refines(old: &str, new: &str) -> bool {
    !old.is_empty()
        && new.len() > old.len()
        && new.starts_with(old)
        && !old.contains(['!', '$', '\\'])
}

/// Merges two sorted lists.
fn merge<K: Copy>(a: &[K], b: &[K], cmp: impl Fn(&K, &K) -> Ordering) -> Vec<K> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if cmp(&b[j], &a[i]) == Ordering::Less {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `12345` → `12,345`.
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Writes `text` at (x, y) in at most `width` columns, cut with `…` when longer. Wide (CJK)
/// characters are never split, so columns stay aligned.
pub fn put(buf: &mut Buffer, x: u16, y: u16, text: &str, width: u16, style: Style) {
    put_aligned(buf, x, y, text, width, style, false);
}

fn put_aligned(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    text: &str,
    width: u16,
    style: Style,
    right: bool,
) {
    if width == 0 {
        return;
    }
    let width_usize = usize::from(width);
    let full = text.width();
    if full <= width_usize {
        let pad = if right {
            (width_usize - full) as u16
        } else {
            0
        };
        buf.set_stringn(x + pad, y, text, width_usize, style);
        return;
    }
    buf.set_stringn(x, y, ellipsize(text, width_usize), width_usize, style);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[derive(Debug, Clone, PartialEq)]
    struct Item {
        id: String,
        name: String,
        size: u64,
        broken: bool,
    }

    static COLUMNS: [Column<Item>; 3] = [
        Column {
            title: "ID",
            min: 6,
            max: 8,
            priority: 0,
            right: false,
            cell: |i| Cow::Borrowed(&i.id),
            cmp: Some(|a, b| a.id.cmp(&b.id)),
        },
        Column {
            title: "Name",
            min: 6,
            max: 20,
            priority: 0,
            right: false,
            cell: |i| Cow::Borrowed(&i.name),
            cmp: Some(|a, b| a.name.cmp(&b.name)),
        },
        Column {
            title: "Size",
            min: 5,
            max: 6,
            priority: 1,
            right: true,
            cell: |i| Cow::Owned(i.size.to_string()),
            cmp: Some(|a, b| a.size.cmp(&b.size)),
        },
    ];

    static KIND: PickerKind<Item> = PickerKind {
        noun: "items",
        columns: &COLUMNS,
        key: |i| &i.id,
        haystack: |i| format!("{} {}", i.id, i.name),
        unusable: |i| i.broken.then_some(Cow::Borrowed("broken")),
    };

    fn item(id: &str, name: &str, size: u64) -> Item {
        Item {
            id: id.into(),
            name: name.into(),
            size,
            broken: false,
        }
    }

    fn picker(items: Vec<Item>) -> Picker<Item> {
        let mut p = Picker::new(&KIND);
        p.start_loading();
        p.push_page(items, true);
        p
    }

    fn ids(p: &Picker<Item>) -> Vec<&str> {
        p.order
            .iter()
            .map(|&i| p.rows[i as usize].id.as_str())
            .collect()
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn type_text(p: &mut Picker<Item>, text: &str) {
        for c in text.chars() {
            p.handle_key(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn filter_ranks_best_match_first_and_selects_it() {
        let mut p = picker(vec![
            item("a1", "database", 10),
            item("a2", "web-frontend", 20),
            item("a3", "web", 30),
        ]);
        p.handle_key(key(KeyCode::Down));
        type_text(&mut p, "web");
        assert_eq!(ids(&p).len(), 2);
        assert_eq!(p.selected().map(|i| i.id.as_str()), Some(ids(&p)[0]));
        p.set_query("zzz");
        assert!(ids(&p).is_empty());
        assert_eq!(p.selected(), None);
        p.handle_key(key(KeyCode::Esc));
        assert_eq!(ids(&p), ["a1", "a2", "a3"]);
    }

    #[test]
    fn incremental_filtering_equals_a_fresh_filter() {
        let names = [
            "alpha", "alphabet", "beta", "Alpine", "lap", "palace", "al pha", "ALP",
        ];
        let items: Vec<Item> = names
            .iter()
            .enumerate()
            .map(|(i, n)| item(&format!("r{i}"), n, i as u64))
            .collect();
        for query in [
            "a", "al", "alp", "alph", "al p", "Alp", "^al", "'lp", "alp$",
        ] {
            let mut typed = picker(items.clone());
            type_text(&mut typed, query);
            let mut fresh = picker(items.clone());
            fresh.set_query(query);
            assert_eq!(ids(&typed), ids(&fresh), "query {query:?}");
        }
        // Shrinking and non-monotonic edits fall back to a full filter.
        let mut p = picker(items.clone());
        type_text(&mut p, "!alp");
        let negated = ids(&p).len();
        p.handle_key(key(KeyCode::Backspace));
        let mut fresh = picker(items);
        fresh.set_query("!al");
        assert_eq!(ids(&p), ids(&fresh));
        assert!(ids(&fresh).len() <= negated || negated <= ids(&fresh).len());
    }

    #[test]
    fn backspace_restores_the_earlier_result() {
        let items: Vec<Item> = ["alpha", "alphabet", "beta", "Alpine", "lap", "palace"]
            .iter()
            .enumerate()
            .map(|(i, n)| item(&format!("r{i}"), n, i as u64))
            .collect();
        let mut p = picker(items.clone());
        type_text(&mut p, "alph");
        p.handle_key(key(KeyCode::Backspace));
        p.handle_key(key(KeyCode::Backspace));
        let mut fresh = picker(items.clone());
        fresh.set_query("al");
        assert_eq!(ids(&p), ids(&fresh));
        assert_eq!(p.scores, fresh.scores);
        // Typing on from a restored result still narrows correctly.
        type_text(&mut p, "pi");
        fresh.set_query("alpi");
        assert_eq!(ids(&p), ids(&fresh));
        // New rows invalidate the saved results.
        p.push_page(vec![item("r9", "alps", 9)], false);
        p.handle_key(key(KeyCode::Backspace));
        p.handle_key(key(KeyCode::Backspace));
        assert!(ids(&p).contains(&"r9"));
    }

    #[test]
    fn many_rows_are_scored_in_parallel_with_the_same_result() {
        let items: Vec<Item> = (0..PARALLEL_FROM as u64 * 2)
            .map(|i| {
                item(
                    &format!("s-{i:06}"),
                    &format!("auto-{:06}", i * 7919 % 100_000),
                    i,
                )
            })
            .collect();
        let mut p = picker(items.clone());
        type_text(&mut p, "auto-12");
        let mut matcher = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::parse("auto-12", CaseMatching::Smart, Normalization::Smart);
        let mut buf = Vec::new();
        let mut expected: Vec<(u32, usize)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                let hay = format!("{} {}", it.id, it.name);
                let score =
                    pattern.score(nucleo_matcher::Utf32Str::new(&hay, &mut buf), &mut matcher)?;
                Some((u32::MAX - score, i))
            })
            .collect();
        expected.sort_unstable();
        let expected: Vec<&str> = expected
            .iter()
            .map(|(_, i)| items[*i].id.as_str())
            .collect();
        assert!(expected.len() > 100, "{}", expected.len());
        assert_eq!(ids(&p), expected);
    }

    #[test]
    fn greedy_and_optimal_matching_accept_the_same_rows() {
        let haystacks = [
            "s-bp1k4wd2j0qmz7h5x3cv auto-000123 system",
            "i-bp1g6zv0ce8oghu7k2a1 web-server-01 Running Alibaba Cloud Linux",
            "i-bp1a3fn8rvl2nqw0t5xk 数据库服务器 Stopped",
            "Snapshot-ÉTÉ-2024 data",
            "",
        ];
        let queries = [
            "auto", "a0123", "AUTO", "web 01", "^s-bp", "'server", "linux$", "!web", "数据", "ete",
            "xyzzy", "bp1 ru", "W",
        ];
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        for query in queries {
            let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
            for hay in haystacks {
                let h = Utf32Str::new(hay, &mut buf);
                let optimal = pattern.score(h, &mut matcher);
                let greedy = score_greedy(&pattern, h, &mut matcher);
                assert_eq!(optimal.is_some(), greedy.is_some(), "{query:?} in {hay:?}");
                if let (Some(o), Some(g)) = (optimal, greedy) {
                    assert!(g <= o, "{query:?} in {hay:?}: greedy {g} > optimal {o}");
                }
            }
        }
    }

    #[test]
    fn radix_sort_equals_a_plain_sort() {
        let mut keys: Vec<u64> = (0..10_000u64)
            .map(|i| ((u64::from(u32::MAX) - (i * 7919 % 5_003)) << 32) | i)
            .collect();
        let mut expected = keys.clone();
        expected.sort_unstable();
        sort_keys(&mut keys, &mut Vec::new());
        assert_eq!(keys, expected);
    }

    #[test]
    fn the_character_mask_never_rejects_a_match() {
        let pattern = Pattern::parse("Web 01 !zz", CaseMatching::Smart, Normalization::Smart);
        let needs = needle_mask(&pattern);
        let mask = |t: &str| t.bytes().fold(0, |m, b| m | char_mask(b));
        assert_eq!(mask("web-server-01") & needs, needs);
        assert_ne!(mask("db-server-1") & needs, needs, "no 0 in it");
        assert_eq!(needs & char_mask(b'z'), 0, "negated words add nothing");
    }

    #[test]
    fn refinement_rule() {
        assert!(refines("ab", "abc"));
        assert!(refines("ab", "ab c"));
        assert!(!refines("", "a"));
        assert!(!refines("abc", "ab"));
        assert!(!refines("!a", "!ab"));
        assert!(!refines("a$", "a$b"));
        assert!(!refines("a\\", "a\\ b"));
        assert!(!refines("ab", "xab"));
    }

    #[test]
    fn column_sort_and_reverse_keep_the_selection() {
        let mut p = picker(vec![
            item("c", "x", 3),
            item("a", "y", 1),
            item("b", "z", 2),
        ]);
        p.handle_key(key(KeyCode::Down)); // "a"
        assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
        p.handle_key(ctrl('s')); // by ID
        assert_eq!(ids(&p), ["a", "b", "c"]);
        assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
        p.handle_key(ctrl('o'));
        assert_eq!(ids(&p), ["c", "b", "a"]);
        assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
        p.handle_key(ctrl('s')); // by name
        p.handle_key(ctrl('s')); // by size
        assert_eq!(ids(&p), ["a", "b", "c"]);
        p.handle_key(ctrl('s')); // back to arrival order
        assert_eq!(p.sort(), Sort::Relevance);
        assert_eq!(ids(&p), ["c", "a", "b"]);
    }

    #[test]
    fn pages_merge_into_filters_and_sorts() {
        let mut p = Picker::new(&KIND);
        p.start_loading();
        p.set_sort(Sort::Column {
            index: 2,
            descending: false,
        });
        p.set_query("w");
        p.push_page(vec![item("1", "web", 5), item("2", "db", 1)], false);
        assert!(p.is_loading());
        p.push_page(vec![item("3", "www", 2), item("4", "web2", 9)], false);
        assert_eq!(ids(&p), ["3", "1", "4"]);
        p.set_sort(Sort::Relevance);
        let relevance = ids(&p).len();
        p.push_page(vec![item("5", "w", 0)], true);
        assert_eq!(p.load_state(), &LoadState::Complete);
        let mut fresh = picker(p.rows.clone());
        fresh.set_query("w");
        assert_eq!(ids(&p), ids(&fresh));
        assert_eq!(relevance + 1, ids(&p).len());
    }

    #[test]
    fn selection_survives_a_reload_by_key() {
        let mut p = picker(vec![
            item("a", "x", 1),
            item("b", "y", 2),
            item("c", "z", 3),
        ]);
        p.handle_key(key(KeyCode::End));
        p.start_loading();
        p.push_page(vec![item("a", "x", 1)], false);
        assert_eq!(p.selected().map(|i| i.id.as_str()), Some("a"));
        p.push_page(vec![item("c", "z", 3)], true);
        assert_eq!(p.selected().map(|i| i.id.as_str()), Some("c"));
    }

    #[test]
    fn unusable_rows_are_refused_with_the_reason() {
        let mut broken = item("b", "bad", 1);
        broken.broken = true;
        let mut p = picker(vec![broken, item("g", "good", 2)]);
        assert_eq!(
            p.handle_key(key(KeyCode::Enter)),
            PickerEvent::Refused("broken".into())
        );
        p.handle_key(key(KeyCode::Down));
        assert_eq!(p.handle_key(key(KeyCode::Enter)), PickerEvent::Chosen(1));
        assert_eq!(p.handle_key(ctrl('r')), PickerEvent::Refresh);
        assert_eq!(p.handle_key(key(KeyCode::Char('?'))), PickerEvent::Ignored);
    }

    #[test]
    fn mouse_scrolls_selects_and_sorts() {
        let items: Vec<Item> = (0..30)
            .map(|i| item(&format!("r{i:02}"), "n", 30 - i))
            .collect();
        let mut p = picker(items);
        let theme = Theme::plain();
        let mut terminal = Terminal::new(TestBackend::new(40, 10)).expect("terminal");
        let style = PickerStyle {
            theme: &theme,
            spinner: "*",
            focused: true,
            empty: "none",
        };
        terminal
            .draw(|f| p.render(&style, f, f.area()))
            .expect("draws");
        let wheel = |kind| MouseEvent {
            kind,
            column: 5,
            row: 4,
            modifiers: KeyModifiers::NONE,
        };
        p.handle_mouse(wheel(MouseEventKind::ScrollDown));
        assert_eq!(p.selected_index(), Some(3));
        // Row 4 of the screen is the third body row (filter and header come first).
        p.handle_mouse(wheel(MouseEventKind::Down(MouseButton::Left)));
        assert_eq!(p.selected_index(), Some(2));
        // Clicking the Size header sorts by size, twice reverses.
        let (x, _) = p.header_columns.get()[2];
        let click = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: 1,
            modifiers: KeyModifiers::NONE,
        };
        p.handle_mouse(click);
        assert_eq!(
            p.sort(),
            Sort::Column {
                index: 2,
                descending: false
            }
        );
        assert_eq!(ids(&p)[0], "r29");
        p.handle_mouse(click);
        assert_eq!(
            p.sort(),
            Sort::Column {
                index: 2,
                descending: true
            }
        );
    }

    #[test]
    fn renders_aligned_wide_text_and_loading_row() {
        let mut p = Picker::new(&KIND);
        p.start_loading();
        p.push_page(
            vec![
                item("i-1", "测试服务器", 40),
                item("i-2", "web-server-with-a-long-name", 8),
            ],
            false,
        );
        let theme = Theme::plain();
        let mut terminal = Terminal::new(TestBackend::new(40, 8)).expect("terminal");
        let style = PickerStyle {
            theme: &theme,
            spinner: "*",
            focused: true,
            empty: "none",
        };
        terminal
            .draw(|f| p.render(&style, f, f.area()))
            .expect("draws");
        insta::assert_snapshot!(terminal.backend());
    }

    #[test]
    fn grouping_digits() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }
}
