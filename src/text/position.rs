//! Where a byte offset lies in a text, for error messages that point into a file.

/// 1-based line and column (in characters, not bytes) of byte offset `at`; an offset past the
/// end or inside a character counts as the end of the text.
pub fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let text = "a = 1\n名前 = x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        // After the two three-byte characters and a space: the fourth character.
        assert_eq!(line_column(text, 13), (2, 4));
        assert_eq!(line_column(text, 999), (3, 1), "past the end");
    }
}
