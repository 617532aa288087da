//! Secrets out of text a server sends back.
//!
//! A server (or anything in between) may quote the request it received — a V1 string-to-sign
//! holds the security token percent-encoded twice, a V3 canonical request holds it raw, a debug
//! echo may hold the whole request base64-encoded. [`Redactor::redact`] replaces every form the
//! caller's secrets can take on the wire with `***`, also when line breaks split it (base64
//! wrapped at 76 columns, a wrapped log line). It must run on the whole text, before any cut: a
//! long STS token cut in the middle no longer matches, and its first half would show.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::sign::percent_encode;

/// What replaces a secret.
const MASK: &str = "***";
/// Base64 pieces shorter than this (six secret bytes) are not looked for: they would match
/// innocent text by chance.
const MIN_BASE64: usize = 8;

/// Every wire form of a set of secrets, ready to be searched for.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a form that contains another is replaced whole.
    needles: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} forms)", self.needles.len())
    }
}

impl Redactor {
    /// A redactor for `secrets`; empty ones are ignored.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut needles: Vec<String> = secrets
            .into_iter()
            .filter(|s| !s.is_empty())
            .flat_map(wire_forms)
            .collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Redactor { needles }
    }

    /// `text` with every form of every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for needle in &self.needles {
            if text.contains(needle.as_str()) {
                text = text.replace(needle.as_str(), MASK);
            }
        }
        if text.contains(['\r', '\n']) {
            text = self.redact_wrapped(&text);
        }
        text
    }

    /// Masks the forms that line breaks split: searched with the breaks left out, masked in
    /// `text` from the first character of a match to its last, breaks included. Needs five
    /// bytes per byte of `text` while it runs (a response body is at most 8 MiB).
    fn redact_wrapped(&self, text: &str) -> String {
        if u32::try_from(text.len()).is_err() {
            return text.to_string();
        }
        // The text without line breaks, and for each of its bytes the offset in `text` (in
        // range: `text` is shorter than 4 GiB).
        let mut joined = String::with_capacity(text.len());
        let mut origin: Vec<u32> = Vec::with_capacity(text.len());
        for (at, c) in text
            .char_indices()
            .filter(|(_, c)| !matches!(c, '\r' | '\n'))
        {
            joined.push(c);
            origin.extend((at..at + c.len_utf8()).map(|b| b as u32));
        }
        let at = |offset: usize| origin[offset] as usize;
        let mut ranges: Vec<(usize, usize)> = self
            .needles
            .iter()
            .flat_map(|needle| {
                joined
                    .match_indices(needle.as_str())
                    .map(|(start, found)| (at(start), at(start + found.len() - 1) + 1))
                    .collect::<Vec<_>>()
            })
            .collect();
        if ranges.is_empty() {
            return text.to_string();
        }
        ranges.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        for (start, end) in ranges {
            if end <= done {
                continue;
            }
            if start >= done {
                out.push_str(&text[done..start]);
                out.push_str(MASK);
            }
            done = end;
        }
        out.push_str(&text[done..]);
        out
    }
}

/// Raw; percent-encoded once (a query string) and twice (a V1 string-to-sign); with JSON's
/// optional `\/`; and each of the first three base64-encoded at each of the three byte
/// alignments it can have inside a longer encoded text (an echoed request), both alphabets.
fn wire_forms(secret: &str) -> Vec<String> {
    let once = percent_encode(secret);
    let twice = percent_encode(&once);
    let mut forms: Vec<String> = [secret, &once, &twice]
        .iter()
        .flat_map(|form| base64_cores(form.as_bytes()))
        .collect();
    forms.extend([secret.replace('/', "\\/"), secret.to_string(), once, twice]);
    forms
}

/// The base64 characters that depend on `secret`'s bytes alone, wherever it starts: with `k`
/// bytes before it (k = 0, 1, 2 modulo 3), the 4-character groups that cover secret bytes only.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    let mut cores = Vec::new();
    for k in 0..3usize {
        let mut input = vec![0u8; k];
        input.extend_from_slice(secret);
        let first_group = k.div_ceil(3);
        let end_group = input.len() / 3;
        if end_group <= first_group {
            continue;
        }
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(&input);
            let core = &encoded[4 * first_group..4 * end_group];
            if core.len() >= MIN_BASE64 {
                cores.push(core.to_string());
            }
        }
    }
    cores
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "CAIS/tok+en=x9Hq3Lw8Nz5Vb1Xc7Jd0";

    #[test]
    fn every_wire_form_is_masked() {
        let r = Redactor::new([TOKEN, "", "s3cret-key"]);
        let once = percent_encode(TOKEN);
        let twice = percent_encode(&once);
        for form in [TOKEN.to_string(), once, twice, TOKEN.replace('/', "\\/")] {
            let text = format!("before {form} after s3cret-key");
            assert_eq!(r.redact(&text), "before *** after ***", "{form}");
        }
    }

    #[test]
    fn base64_at_any_offset_is_masked() {
        let r = Redactor::new([TOKEN]);
        let once = percent_encode(TOKEN);
        for (prefix, token) in [
            ("", TOKEN),
            ("a", TOKEN),
            ("ab", TOKEN),
            ("abc", TOKEN),
            ("SecurityToken=", TOKEN),
            ("GET /?SecurityToken=", once.as_str()),
        ] {
            for engine in [&STANDARD, &URL_SAFE] {
                let encoded = engine.encode(format!("{prefix}{token}&Signature=x"));
                let shown = r.redact(&encoded);
                assert!(shown.contains(MASK), "{prefix:?}: {shown}");
                // What is left of the token is at most the two partial groups at its ends.
                let leftover = shown.split(MASK).map(str::len).sum::<usize>();
                assert!(leftover < encoded.len() - 30, "{shown}");
            }
        }
    }

    #[test]
    fn secrets_split_by_line_breaks_are_masked() {
        let r = Redactor::new([TOKEN]);
        let encoded = STANDARD.encode(format!("SecurityToken={TOKEN}&Signature=x").repeat(3));
        let wrapped: Vec<String> = encoded
            .as_bytes()
            .chunks(76)
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect();
        let shown = r.redact(&wrapped.join("\r\n"));
        let left: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
        for core in base64_cores(TOKEN.as_bytes()) {
            assert!(!left.contains(&core[..12]), "{shown}");
        }
        assert_eq!(
            r.redact(&format!("a {}\n{} b", &TOKEN[..10], &TOKEN[10..])),
            "a *** b"
        );
        assert_eq!(r.redact("line one\nline two"), "line one\nline two");
    }

    #[test]
    fn nothing_to_hide_changes_nothing() {
        let r = Redactor::new(["", "x"]);
        assert_eq!(r.redact("text"), "te***t");
        assert_eq!(Redactor::default().redact("a b"), "a b");
        assert!(!format!("{:?}", Redactor::new([TOKEN])).contains("CAIS"));
    }
}
