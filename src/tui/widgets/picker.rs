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
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use tui_input::{Input, InputRequest};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::tui::theme::Theme;

/// Score of a row the query does not match.
const NO_MATCH: u32 = u32::MAX;
/// Rows a mouse wheel notch moves.
const WHEEL_ROWS: usize = 3;
/// Width of the gutter left of each row (selection / unusable marker).
const GUTTER: u16 = 2;

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
    /// Why a row cannot be chosen, if it cannot.
    pub unusable: for<'a> fn(&'a T) -> Option<Cow<'a, str>>,
}

/// How the rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best match first (arrival order while the filter is empty).
    Relevance,
    Column { index: usize, descending: bool },
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
    rows: Vec<T>,
    haystacks: Vec<Utf32String>,
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
    matcher: Matcher,
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
            rows: Vec::new(),
            haystacks: Vec::new(),
            scores: Vec::new(),
            order: Vec::new(),
            sorted: Vec::new(),
            sort: Sort::Relevance,
            query: Input::default(),
            applied_query: String::new(),
            pattern: Pattern::default(),
            matcher: Matcher::new(Config::DEFAULT),
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
        self.cursor = 0;
        self.offset.set(0);
        self.load = LoadState::Loading;
    }

    /// Appends a page of rows; `last` ends loading.
    pub fn push_page(&mut self, rows: Vec<T>, last: bool) {
        let start = self.rows.len() as u32;
        let keep = self.selected_index();
        for row in rows {
            let haystack = Utf32String::from((self.kind.haystack)(&row));
            let score = self.score(&haystack);
            self.haystacks.push(haystack);
            self.scores.push(score);
            self.rows.push(row);
        }
        let end = self.rows.len() as u32;
        self.place_new(start..end);
        let reselect = self.reselect.as_deref().and_then(|key| {
            (start..end).find(|&i| (self.kind.key)(&self.rows[i as usize]) == key)
        });
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
        self.selected().and_then(|r| (self.kind.unusable)(r))
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

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerEvent {
        if key.kind == KeyEventKind::Release {
            return PickerEvent::Ignored;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let page = usize::from(self.body.get().height.max(1));
        match key.code {
            KeyCode::Up => self.move_by(-1),
            KeyCode::Down => self.move_by(1),
            KeyCode::PageUp => self.move_by(-(page as isize)),
            KeyCode::PageDown => self.move_by(page as isize),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.order.len().saturating_sub(1),
            KeyCode::Enter => return self.choose(),
            KeyCode::F(5) => return PickerEvent::Refresh,
            KeyCode::Char('r') if ctrl => return PickerEvent::Refresh,
            KeyCode::Char('s') if ctrl => self.cycle_sort(),
            KeyCode::Char('o') if ctrl => self.reverse_sort(),
            KeyCode::Esc if !self.query().is_empty() => self.set_query(""),
            // `?` opens help: no ECS name or ID contains it.
            KeyCode::Char('?') => return PickerEvent::Ignored,
            _ => {
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
            Some(row) => match (self.kind.unusable)(row) {
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

    fn score(&mut self, haystack: &Utf32String) -> u32 {
        if self.pattern.atoms.is_empty() {
            return 0;
        }
        self.pattern
            .score(haystack.slice(..), &mut self.matcher)
            .unwrap_or(NO_MATCH)
    }

    /// Re-filters after the query changed; the best match becomes selected.
    fn apply_query(&mut self) {
        let query = self.query.value().to_string();
        if query == self.applied_query {
            return;
        }
        let narrowing = refines(&self.applied_query, &query);
        self.pattern
            .reparse(&query, CaseMatching::Smart, Normalization::Smart);
        if narrowing {
            // Only rows that matched the shorter query can match this one.
            let candidates = std::mem::take(&mut self.order);
            let mut kept = Vec::with_capacity(candidates.len());
            for i in candidates {
                let score = self.score_row(i as usize);
                if score != NO_MATCH {
                    kept.push(i);
                } 
            }
            self.order = kept;
            if self.sort == Sort::Relevance {
                self.rank_order();
            }
        } else {
            for i in 0..self.rows.len() {
                self.score_row(i);
            }
            self.reorder();
        }
        self.applied_query = query;
        self.cursor = 0;
        self.offset.set(0);
    }

    /// Scores row `i` for the current pattern and records it.
    fn score_row(&mut self, i: usize) -> u32 {
        let score = if self.pattern.atoms.is_empty() {
            0
        } else {
            self.pattern
                .score(self.haystacks[i].slice(..), &mut self.matcher)
                .unwrap_or(NO_MATCH)
        };
        self.scores[i] = score;
        score
    }

    /// Rebuilds `order` from `scores` and the sort.
    fn reorder(&mut self) {
        self.order.clear();
        match self.sort {
            Sort::Relevance => {
                self.order.extend(
                    (0..self.rows.len() as u32).filter(|&i| self.scores[i as usize] != NO_MATCH),
                );
                self.rank_order();
            }
            Sort::Column { descending, .. } => {
                let scores = &self.scores;
                let matching = |i: &u32| scores[*i as usize] != NO_MATCH;
                if descending {
                    self.order.extend(self.sorted.iter().rev().copied().filter(matching));
                } else {
                    self.order.extend(self.sorted.iter().copied().filter(matching));
                }
            }
        }
    }

    /// Sorts `order` best score first, ties in arrival order. Arrival order when unfiltered.
    fn rank_order(&mut self) {
        if self.pattern.atoms.is_empty() {
            self.order.sort_unstable();
            return;
        }
        let mut keys: Vec<u64> = self.order.iter().map(|&i| self.rank_key(i)).collect();
        keys.sort_unstable();
        self.order.clear();
        self.order.extend(keys.iter().map(|k| *k as u32));
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
        let filter = Rect { height: 1, ..area };
        let header = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        let body = Rect {
            y: area.y + 2,
            height: area.height - 3,
            ..area
        };
        let status = Rect {
            y: area.bottom() - 1,
            height: 1,
            ..area
        };
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
            (LoadState::Loading, true) => format!("{} {} loaded", style.spinner, group(self.rows.len())),
            (LoadState::Loading, false) => format!(
                "{} {} of {} loaded",
                style.spinner,
                group(self.order.len()),
                group(self.rows.len())
            ),
            (_, true) => format!("{} {}", group(self.rows.len()), self.kind.noun),
            (_, false) => format!("{} of {}", group(self.order.len()), group(self.rows.len())),
        };
        let buf = frame.buffer_mut();
        let count_width = count.width() as u16;
        let prompt = "Filter: ";
        put(buf, area.x, area.y, prompt, area.width, theme.muted);
        let input_x = area.x + prompt.len() as u16;
        let input_width = area.width.saturating_sub(prompt.len() as u16 + count_width + 1);
        let value = self.query.value();
        let scroll = self.query.visual_scroll(input_width.saturating_sub(1) as usize);
        let shown: String = skip_width(value, scroll);
        if value.is_empty() && !style.focused {
            put(buf, input_x, area.y, "", input_width, theme.muted);
        } else if value.is_empty() {
            put(buf, input_x, area.y, "type to filter", input_width, theme.muted);
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

    fn render_header(&self, theme: &Theme, buf: &mut Buffer, area: Rect, layout: &[(u16, u16); 12]) {
        let mut spans = [(0u16, 0u16); 12];
        for (i, column) in self.kind.columns.iter().enumerate() {
            let (x, w) = layout[i];
            if w == 0 {
                continue;
            }
            let arrow = match self.sort {
                Sort::Column { index, descending } if index == i => {
                    if descending { " ↓" } else { " ↑" }
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

    fn render_body(&self, style: &PickerStyle, buf: &mut Buffer, area: Rect, layout: &[(u16, u16); 12]) {
        let theme = style.theme;
        let height = usize::from(area.height);
        if self.order.is_empty() {
            let text = match &self.load {
                LoadState::Loading | LoadState::Idle => format!("{} loading {}…", style.spinner, self.kind.noun),
                LoadState::Failed(_) => "Loading failed; press ^R to try again.".to_string(),
                _ if !self.query().is_empty() => format!("Nothing matches “{}”.", self.query()),
                _ => style.empty.to_string(),
            };
            put(buf, area.x + GUTTER, area.y, &text, area.width - GUTTER, theme.muted);
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
            let usable = (self.kind.unusable)(row).is_none();
            let mut row_style = if usable { theme.text } else { theme.unusable };
            if selected {
                row_style = theme.selected;
                if !usable {
                    row_style = row_style.add_modifier(Modifier::DIM);
                }
            }
            let row_area = Rect { y, height: 1, ..area };
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
            put(buf, area.x + GUTTER, y, &text, area.width - GUTTER, theme.muted);
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
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text after its first `skip` display columns.
fn skip_width(text: &str, skip: usize) -> String {
    let mut seen = 0;
    text.chars()
        .skip_while(|c| {
            let skip_it = seen < skip;
            seen += c.width().unwrap_or(0);
            skip_it
        })
        .collect()
}

/// Writes `text` at (x, y) in at most `width` columns, cut with `…` when longer. Wide (CJK)
/// characters are never split, so columns stay aligned.
pub fn put(buf: &mut Buffer, x: u16, y: u16, text: &str, width: u16, style: Style) {
    put_aligned(buf, x, y, text, width, style, false);
}

fn put_aligned(buf: &mut Buffer, x: u16, y: u16, text: &str, width: u16, style: Style, right: bool) {
    if width == 0 {
        return;
    }
    let width_usize = usize::from(width);
    let full = text.width();
    if full <= width_usize {
        let pad = if right { (width_usize - full) as u16 } else { 0 };
        buf.set_stringn(x + pad, y, text, width_usize, style);
        return;
    }
    // Cut to width-1 columns and add an ellipsis.
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width_usize - 1 {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    let (next_x, _) = buf.set_stringn(x, y, &text[..end], width_usize - 1, style);
    buf.set_stringn(next_x, y, "…", 1, style);
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
        p.order.iter().map(|&i| p.rows[i as usize].id.as_str()).collect()
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
        let names = ["alpha", "alphabet", "beta", "Alpine", "lap", "palace", "al pha", "ALP"];
        let items: Vec<Item> = names
            .iter()
            .enumerate()
            .map(|(i, n)| item(&format!("r{i}"), n, i as u64))
            .collect();
        for query in ["a", "al", "alp", "alph", "al p", "Alp", "^al", "'lp", "alp$"] {
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
        let mut p = picker(vec![item("c", "x", 3), item("a", "y", 1), item("b", "z", 2)]);
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
        p.set_sort(Sort::Column { index: 2, descending: false });
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
        let mut p = picker(vec![item("a", "x", 1), item("b", "y", 2), item("c", "z", 3)]);
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
        let items: Vec<Item> = (0..30).map(|i| item(&format!("r{i:02}"), "n", 30 - i)).collect();
        let mut p = picker(items);
        let theme = Theme::plain();
        let mut terminal = Terminal::new(TestBackend::new(40, 10)).expect("terminal");
        let style = PickerStyle { theme: &theme, spinner: "*", focused: true, empty: "none" };
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
        assert_eq!(p.sort(), Sort::Column { index: 2, descending: false });
        assert_eq!(ids(&p)[0], "r29");
        p.handle_mouse(click);
        assert_eq!(p.sort(), Sort::Column { index: 2, descending: true });
    }

    #[test]
    fn renders_aligned_wide_text_and_loading_row() {
        let mut p = Picker::new(&KIND);
        p.start_loading();
        p.push_page(
            vec![item("i-1", "测试服务器", 40), item("i-2", "web-server-with-a-long-name", 8)],
            false,
        );
        let theme = Theme::plain();
        let mut terminal = Terminal::new(TestBackend::new(40, 8)).expect("terminal");
        let style = PickerStyle { theme: &theme, spinner: "*", focused: true, empty: "none" };
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
