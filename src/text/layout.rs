//! Fitting text to a number of terminal columns. Widths are display widths: a CJK character
//! takes two columns, a combining mark none.

use textwrap::{Options, WordSeparator, WordSplitter, wrap_algorithms::WrapAlgorithm};
use unicode_truncate::UnicodeTruncateStr;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Greedy word wrap to `width` columns. Any run of whitespace (newlines too) separates words;
/// words wider than a line (and CJK runs, which have no spaces) are broken between characters.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        return Vec::new();
    }
    let options = Options::new(width.max(1))
        .word_separator(WordSeparator::AsciiSpace)
        .word_splitter(WordSplitter::NoHyphenation)
        .wrap_algorithm(WrapAlgorithm::FirstFit)
        .break_words(true);
    textwrap::wrap(&words, options)
        .into_iter()
        .map(|line| line.into_owned())
        .collect()
}

/// `text` cut to `width` columns, ending in `…` when it was longer. Wide characters are never
/// split, so the result may be a column short.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let (head, _) = text.unicode_truncate(width.saturating_sub(1));
    format!("{head}…")
}

/// `text` without its first `columns` display columns (a wide character straddling the edge
/// goes too).
pub fn skip_columns(text: &str, columns: usize) -> &str {
    let mut skipped = 0;
    for (i, c) in text.char_indices() {
        if skipped >= columns {
            return &text[i..];
        }
        skipped += c.width().unwrap_or(0);
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_counts_display_columns() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("镜像名称已经存在", 6), ["镜像名", "称已经", "存在"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("ab cdefgh", 3), ["ab", "cde", "fgh"]);
        assert_eq!(
            wrap("a\n\tb  c", 80),
            ["a b c"],
            "whitespace runs are one space"
        );
        assert!(wrap("", 5).is_empty());
        assert!(wrap(" \n ", 5).is_empty());
        assert_eq!(
            wrap("ab", 0),
            ["a", "b"],
            "a zero width wraps as one column"
        );
    }

    #[test]
    fn cutting_keeps_wide_characters_whole() {
        assert_eq!(ellipsize("镜像名称", 5), "镜像…");
        assert_eq!(ellipsize("镜像名称", 4), "镜…");
        assert_eq!(ellipsize("short", 5), "short");
        assert_eq!(ellipsize("longer", 1), "…");
        assert_eq!(skip_columns("ab镜像", 3), "像");
        assert_eq!(skip_columns("ab镜像", 2), "镜像");
        assert_eq!(skip_columns("镜像ab", 2), "像ab");
        assert_eq!(skip_columns("ab", 5), "");
    }
}
