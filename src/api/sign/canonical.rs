//! Canonicalisation shared by both schemes (and the simulator's verification): RFC 3986
//! percent-encoding, sorted query strings, body hashes.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::EMPTY_BODY_SHA256;

/// RFC 3986 unreserved characters stay as they are; everything else is `%XX` (uppercase).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The one percent-encoding used for signing (V1 and V3 alike): space is `%20`, `*` is `%2A`,
/// `~` stays, non-ASCII is encoded as UTF-8 bytes.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// `enc(name)=enc(value)` pairs sorted by name (byte order) and joined with `&`.
///
/// Pairs with equal names keep their relative order, so the result is deterministic even for
/// the (unusual) repeated parameter.
pub fn canonical_query<'a>(params: impl IntoIterator<Item = &'a (String, String)>) -> String {
    let mut sorted: Vec<&(String, String)> = params.into_iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    encode_pairs(sorted.into_iter())
}

/// `enc(name)=enc(value)` joined with `&`, in the order given.
pub fn encode_pairs<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        // Encoded straight into `out`: signing runs on every request, client and simulator.
        out.extend(utf8_percent_encode(name, RFC3986));
        out.push('=');
        out.extend(utf8_percent_encode(value, RFC3986));
    }
    out
}

/// Lowercase hex SHA-256 of `bytes`. Most requests have no body, and its hash is a constant.
pub fn sha256_hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return EMPTY_BODY_SHA256.to_string();
    }
    const_hex::encode(Sha256::digest(bytes))
}
