//! The picker's order: which rows match the query and in what order they are shown, kept up to
//! date as the query, the sort and the rows change. Scoring itself is [`crate::search`].

use super::{Checkpoint, MAX_CHECKPOINTS, Picker, Sort};
use crate::search::{self, NO_MATCH, merge, refines};

impl<T> Picker<T> {
    /// Re-filters after the query changed; the best match becomes selected.
    pub(super) fn apply_query(&mut self) {
        let query = self.query.value().to_string();
        if query == self.applied_query {
            return;
        }
        if let Some(pos) = self.checkpoints.iter().rposition(|c| c.query == query) {
            // Backspace to a query seen on the way here: its result is still valid.
            self.checkpoints.truncate(pos + 1);
            if let Some(checkpoint) = self.checkpoints.pop() {
                self.search.set_query(&query);
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
            self.search.set_query(&query);
            if self.search.is_unfiltered() {
                self.scores.fill(0);
                self.reorder();
            } else {
                // In row order, so the haystacks are read front to back.
                let candidates: Vec<u32> = (0..self.rows.len() as u32)
                    .filter(|&i| !narrowing || self.scores[i as usize] != NO_MATCH)
                    .collect();
                let mut keys = self.search.score_many(&candidates);
                match self.sort {
                    Sort::Relevance => {
                        self.search.sort_keys(&mut keys);
                        self.restore(&keys);
                    }
                    Sort::Column { .. } => {
                        self.scores.fill(NO_MATCH);
                        for key in keys {
                            self.scores[search::key_row(key) as usize] = search::key_score(key);
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
    pub(super) fn restore(&mut self, keys: &[u64]) {
        self.scores.fill(NO_MATCH);
        self.order.clear();
        for &key in keys {
            let row = search::key_row(key);
            self.scores[row as usize] = search::key_score(key);
            self.order.push(row);
        }
    }

    /// Rebuilds `order` from `scores` and the sort.
    pub(super) fn reorder(&mut self) {
        self.order.clear();
        match self.sort {
            Sort::Relevance => {
                self.order.extend(
                    (0..self.rows.len() as u32).filter(|&i| self.scores[i as usize] != NO_MATCH),
                );
                // Unfiltered, arrival order is the order; else best score first.
                if !self.search.is_unfiltered() {
                    let mut keys: Vec<u64> = self.order.iter().map(|&i| self.rank_key(i)).collect();
                    keys.sort_unstable();
                    self.order.clear();
                    self.order.extend(keys.iter().map(|k| search::key_row(*k)));
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

    pub(super) fn rank_key(&self, i: u32) -> u64 {
        search::rank_key(self.scores[i as usize], i)
    }

    /// Sorts every row by the sort column into `sorted`.
    pub(super) fn presort(&mut self) {
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
    pub(super) fn place_new(&mut self, new: std::ops::Range<u32>) {
        match self.sort {
            Sort::Relevance if self.search.is_unfiltered() => self.order.extend(new),
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
                    .map(search::key_row)
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
}
