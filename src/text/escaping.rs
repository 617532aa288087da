//! Text from outside — a server's answer, the journal, a file — made safe to print on a
//! terminal.
//!
//! A peer that can put an escape character (`ESC [ …`) on our terminal can recolour, move the
//! cursor, rewrite earlier lines, set the window title or worse. Every such string goes through
//! [`escape`] (or [`printable`], which also bounds it) before it is printed or drawn, in the
//! CLI and the wizard alike. Escaped text stays readable: `\u{1b}[31m`, `\n`.

use std::borrow::Cow;

/// Characters a terminal could act on or that could disguise the text around them: control
/// characters (C0, DEL, C1 — which include ESC and CSI) and the bidirectional overrides that
/// reorder what is shown.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    out.extend(c.escape_default());
}

/// `text` with every unsafe character escaped, line breaks included: one inert line.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_keeping(text, |_| false)
}

/// `text` with every unsafe character escaped except `\n`: for multi-line messages whose
/// layout is ours while parts of them came from outside.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_keeping(text, |c| c == '\n')
}

fn escape_keeping(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] in place, for values kept after they are checked (the wizard's loaded rows).
pub fn escape_in_place(text: &mut String) {
    if let Cow::Owned(escaped) = escape(text) {
        *text = escaped;
    }
}

/// At most `max` characters of [`escape`]d `text`; `…` marks a cut.
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        let mut piece = String::new();
        if is_unsafe(c) {
            push_escaped(&mut piece, c);
        } else {
            piece.push(c);
        }
        let piece_len = piece.chars().count();
        if len + piece_len > max {
            out.push('…');
            break;
        }
        out.push_str(&piece);
        len += piece_len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_control_and_bidi_character() {
        let hostile = "../../etc/passwd\u{1b}[31m\u{9b}2J\u{7f}\r\u{202e}txt.exe\u{7}";
        let shown = escape(hostile);
        assert_eq!(
            shown,
            "../../etc/passwd\\u{1b}[31m\\u{9b}2J\\u{7f}\\r\\u{202e}txt.exe\\u{7}"
        );
        assert!(!shown.chars().any(is_unsafe), "{shown}");
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape_lines("a\nb\u{1b}"), "a\nb\\u{1b}");
    }

    #[test]
    fn safe_text_is_borrowed_untouched() {
        for text in ["m-bp1x4r2ojecxks63w1aa", "数据库 · 45%", ""] {
            assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn printable_bounds_after_escaping() {
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(
            printable("ab\u{1b}", 3),
            "ab…",
            "an escape is never cut in half"
        );
        assert_eq!(printable("ab\u{1b}", 8), "ab\\u{1b}");
        assert_eq!(printable("short", 10), "short");
    }
}
