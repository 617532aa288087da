//! Signature V1 (RPC, `HMAC-SHA1`): every parameter is canonicalised and signed; the result
//! travels as the `Signature` parameter.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{SigningKey, canonical_query, percent_encode};

/// `METHOD&%2F&enc(canonical_query)` over every parameter except `Signature`.
pub fn v1_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let unsigned = params.iter().filter(|(name, _)| name != "Signature");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&canonical_query(unsigned))
    )
}

/// `base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    use base64::Engine as _;
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Adds the V1 common parameters to an operation's parameters and signs them.
///
/// Returns the complete parameter list, `Signature` last, ready to be sent with
/// [`encode_pairs`] as a query string or a form body.
pub fn sign_v1(
    method: &str,
    action: &str,
    version: &str,
    operation_params: &[(String, String)],
    key: SigningKey<'_>,
    timestamp: &str,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = operation_params.to_vec();
    let common = [
        ("Action", action),
        ("Version", version),
        ("Format", "JSON"),
        ("AccessKeyId", key.access_key_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", timestamp),
    ];
    params.extend(common.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    if let Some(token) = key.security_token {
        params.push(("SecurityToken".into(), token.into()));
    }
    params.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let signature = v1_signature(key.access_key_secret, &v1_string_to_sign(method, &params));
    params.push(("Signature".into(), signature));
    params
}
