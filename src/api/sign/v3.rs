//! Signature V3 (`ACS3-HMAC-SHA256`): a canonical request over the query and `x-acs-*` headers,
//! signed into an `Authorization` header.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{SigningKey, V3_ALGORITHM, canonical_query, sha256_hex};

/// A V3 canonical request and the `SignedHeaders` list it was built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    pub text: String,
    pub signed_headers: String,
}

/// Builds the V3 canonical request.
///
/// `headers` are the headers to sign, names in any case; they are lowercased, values trimmed,
/// sorted by name, and repeated names have their values sorted and joined with `,`.
pub fn v3_canonical_request<N: AsRef<str>, V: AsRef<str>>(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    headers: &[(N, V)],
    payload_sha256: &str,
) -> CanonicalRequest {
    // Sorting (name, value) pairs puts a repeated name's values next to each other, in order.
    // Names on the wire are already lowercase, so they are borrowed, not copied.
    let mut sorted: Vec<(Cow<'_, str>, &str)> = headers
        .iter()
        .map(|(name, value)| (lowercase(name.as_ref()), value.as_ref().trim()))
        .collect();
    sorted.sort_unstable();
    let mut canonical_headers = String::with_capacity(64 * sorted.len());
    let mut signed_headers = String::with_capacity(24 * sorted.len());
    for group in sorted.chunk_by(|a, b| a.0 == b.0) {
        let name = &group[0].0;
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        for (i, (_, value)) in group.iter().enumerate() {
            if i > 0 {
                canonical_headers.push(',');
            }
            canonical_headers.push_str(value);
        }
        canonical_headers.push('\n');
        if !signed_headers.is_empty() {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
    }
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        canonical_uri,
        canonical_query,
        canonical_headers,
        signed_headers,
        payload_sha256
    );
    CanonicalRequest {
        text,
        signed_headers,
    }
}

fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request)).
pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// hex(HMAC-SHA256(secret, string_to_sign)); the key is the bare secret, no `&`.
pub fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    const_hex::encode(mac.finalize().into_bytes())
}

/// What a V3 request carries once signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Signed {
    /// The canonical query string: send exactly these bytes after `?`.
    pub query: String,
    /// Every header to send, `Authorization` included (names lowercase).
    pub headers: Vec<(String, String)>,
}

/// The inputs of a V3 signature besides the key.
#[derive(Debug, Clone, Copy)]
pub struct V3Input<'a> {
    pub method: &'a str,
    /// `host` header value: the endpoint host, with `:port` when not the scheme's default.
    pub host: &'a str,
    pub action: &'a str,
    /// The product's API version (`x-acs-version`).
    pub version: &'a str,
    pub params: &'a [(String, String)],
    pub body: &'a [u8],
    /// `content-type` of the body, when there is one (it is signed).
    pub content_type: Option<&'a str>,
    /// UTC `yyyy-MM-ddTHH:mm:ssZ`.
    pub date: &'a str,
    pub nonce: &'a str,
}

/// Signs an RPC request with ACS3-HMAC-SHA256: operation parameters in the query, everything
/// else in signed headers.
pub fn sign_v3(input: V3Input<'_>, key: SigningKey<'_>) -> V3Signed {
    let query = canonical_query(input.params);
    let payload = sha256_hex(input.body);
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), input.host.into()),
        ("x-acs-action".into(), input.action.into()),
        ("x-acs-version".into(), input.version.into()),
        ("x-acs-date".into(), input.date.into()),
        ("x-acs-signature-nonce".into(), input.nonce.into()),
        ("x-acs-content-sha256".into(), payload.clone()),
    ];
    if let Some(token) = key.security_token {
        headers.push(("x-acs-security-token".into(), token.into()));
        headers.push(("x-acs-accesskey-id".into(), key.access_key_id.into()));
    }
    if let Some(content_type) = input.content_type {
        headers.push(("content-type".into(), content_type.into()));
    }
    let canonical = v3_canonical_request(input.method, "/", &query, &headers, &payload);
    let signature = v3_signature(key.access_key_secret, &v3_string_to_sign(&canonical.text));
    headers.push((
        "authorization".into(),
        format!(
            "{V3_ALGORITHM} Credential={},SignedHeaders={},Signature={signature}",
            key.access_key_id, canonical.signed_headers
        ),
    ));
    V3Signed { query, headers }
}
