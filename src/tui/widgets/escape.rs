//! Text from a server, made safe and visible before the wizard keeps it.
//!
//! ratatui already drops C0/C1 control characters when it fills cells (an ESC never reaches
//! the terminal), but it drops them silently and leaves the rest of an escape sequence as text
//! (`]52;c;…`), and it passes bidi overrides (U+202E …) through to the terminal, which may
//! honour them and show a name reordered. Every
//! string a server sends is passed through [`escape`] where API results enter the wizard
//! (`Loaded::escaped`): control and bidi formatting characters become visible `\u{…}`
//! escapes, so a name shows what it really holds and lays out at the width the wizard
//! computed.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself: C0 and C1 controls and DEL, and the
/// characters that reorder text (bidi embeddings, overrides and isolates, marks).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every unsafe character written as a Rust escape (`\n`, `\u{1b}`, `\u{202e}`).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] in place.
pub fn escape_in_place(text: &mut String) {
    if let Cow::Owned(escaped) = escape(text) {
        *text = escaped;
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::text::Line;

    use super::*;

    const HOSTILE: &str = "web\u{1b}]52;c;ZXZpbA==\u{7}\r\u{9b}31m\u{202e}gnp.exe\u{7f}";

    fn cells(text: &str) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(60, 1)).expect("terminal");
        terminal
            .draw(|f| f.render_widget(Line::raw(text), f.area()))
            .expect("draws");
        let buffer = terminal.backend().buffer().clone();
        (0..60)
            .map(|x| buffer[(x, 0)].symbol().to_owned())
            .collect()
    }

    #[test]
    fn controls_and_bidi_overrides_become_visible_escapes() {
        let escaped = escape(HOSTILE);
        assert_eq!(
            escaped,
            "web\\u{1b}]52;c;ZXZpbA==\\u{7}\\r\\u{9b}31m\\u{202e}gnp.exe\\u{7f}"
        );
        assert!(!escaped.chars().any(unsafe_char));
        assert!(matches!(escape("数据库-01 ok"), Cow::Borrowed(_)));
        let mut s = String::from("a\nb");
        escape_in_place(&mut s);
        assert_eq!(s, "a\\nb");
    }

    #[test]
    fn what_ratatui_does_with_them_unescaped() {
        // ratatui keeps C0/C1 controls out of the cells, leaving the rest of the sequence as
        // text with no sign that anything was there; a bidi override goes through to the
        // terminal as it is. Hence the escapes.
        let raw: String = cells(HOSTILE).concat();
        assert!(!raw.chars().any(char::is_control), "{raw:?}");
        assert!(
            raw.starts_with("web]52;c;ZXZpbA==31m\u{202e}gnp.exe"),
            "{raw:?}"
        );
        let shown: String = cells(&escape(HOSTILE)).concat();
        assert!(shown.starts_with("web\\u{1b}]52;c;"), "{shown:?}");
    }
}
