//! Fuzzy search over many short texts (one per row of a list), fast enough to re-rank 100,000
//! rows on every keystroke:
//! - each row's text is converted to nucleo's UTF-32 form once, when the row arrives, into two
//!   contiguous buffers;
//! - a per-row character mask skips the matcher for rows lacking a character of the query;
//! - many rows are scored on several threads, and very many with a linear-time greedy matcher;
//! - results are rank keys (score and row packed in a `u64`), sorted in linear time.
//!
//! What a list does with the results (filters, column sorts, selection) is its own business:
//! see `tui::widgets::picker`.

use std::cmp::Ordering;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// Score of a row the query does not match.
pub const NO_MATCH: u32 = u32::MAX;
/// Below this many rows to score, one thread does it; above, the work is split.
pub const PARALLEL_FROM: usize = 8192;
/// At most this many threads score a keystroke.
const MAX_THREADS: usize = 4;
/// From this many rows to score, fuzzy words are matched greedily (linear time) instead of
/// optimally: the same rows match, only the ranking of the matches is coarser.
const GREEDY_FROM: usize = 20_000;

/// The rows' texts and the query they are scored against.
pub struct Search {
    haystacks: Haystacks,
    pattern: Pattern,
    /// One per scoring thread (each holds a ~135 KB scratch matrix, so they are reused).
    matchers: Vec<Matcher>,
    /// Whether the latest [`Search::score_many`] matched greedily (new rows are scored alike).
    greedy: bool,
    /// Scratch space for sorting rank keys, kept to avoid a large allocation per keystroke.
    sort_buf: Vec<u64>,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            haystacks: Haystacks::default(),
            pattern: Pattern::default(),
            matchers: vec![Matcher::new(Config::DEFAULT)],
            greedy: false,
            sort_buf: Vec::new(),
        }
    }
}

impl Search {
    /// Adds the next row's text.
    pub fn push(&mut self, text: &str) {
        self.haystacks.push(text);
    }

    /// Forgets every row.
    pub fn clear(&mut self) {
        self.haystacks.clear();
    }

    /// Scores rows against `query` from now on (fzf syntax: words, `'exact`, `^prefix`,
    /// `suffix$`, `!not`).
    pub fn set_query(&mut self, query: &str) {
        self.pattern
            .reparse(query, CaseMatching::Smart, Normalization::Smart);
    }

    /// Whether the query is empty, so every row matches with the same score.
    pub fn is_unfiltered(&self) -> bool {
        self.pattern.atoms.is_empty()
    }

    /// Row `i`'s score for the query, or [`NO_MATCH`].
    pub fn score(&mut self, i: usize) -> u32 {
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

    /// Scores `rows` for the query, on several threads when there are many; returns the rank
    /// keys of those that match, in the order of `rows`.
    pub fn score_many(&mut self, rows: &[u32]) -> Vec<u64> {
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
                    Some(rank_key(s, i))
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

    /// Sorts rank keys that arrive in ascending row order (best score first, ties by row).
    pub fn sort_keys(&mut self, keys: &mut Vec<u64>) {
        sort_keys(keys, &mut self.sort_buf);
    }
}

/// A row's rank key: rows sort by score (best first), then by index.
pub fn rank_key(score: u32, row: u32) -> u64 {
    (u64::from(u32::MAX - score) << 32) | u64::from(row)
}

/// The row a rank key ranks.
pub fn key_row(key: u64) -> u32 {
    key as u32
}

/// The score a rank key holds.
pub fn key_score(key: u64) -> u32 {
    u32::MAX - (key >> 32) as u32
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
pub fn refines(old: &str, new: &str) -> bool {
    !old.is_empty()
        && new.len() > old.len()
        && new.starts_with(old)
        && !old.contains(['!', '$', '\\'])
}

/// Merges two sorted lists.
pub fn merge<K: Copy>(a: &[K], b: &[K], cmp: impl Fn(&K, &K) -> Ordering) -> Vec<K> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
