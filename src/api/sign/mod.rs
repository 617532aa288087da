//! Request signing for the RPC APIs (ECS, Resource Manager, …), as pure functions: the API
//! version a request names is an input, like the action (see `super::product`).
//!
//! Two schemes exist and both are implemented byte for byte:
//! - **V1** (`HMAC-SHA1`, "signature version 1.0"): every parameter, common ones included, is
//!   canonicalised into a query string and signed; the result travels as the `Signature`
//!   parameter.
//! - **V3** (`ACS3-HMAC-SHA256`): operation parameters stay in the query string, the action,
//!   version, date and nonce travel as `x-acs-*` headers, and the signature goes into an
//!   `Authorization` header.
//!
//! Nothing here reads the clock, draws random numbers or does I/O: the timestamp and nonce are
//! inputs, so the published vectors are plain unit tests. The simulator verifies with the same
//! canonicalisation; independent vectors and the official SDKs keep a shared bug from hiding.

mod canonical;
#[cfg(test)]
mod tests;
mod v1;
mod v3;

pub use canonical::{canonical_query, encode_pairs, percent_encode, sha256_hex};
pub use v1::{sign_v1, v1_signature, v1_string_to_sign};
pub use v3::{
    CanonicalRequest, V3Input, V3Signed, sign_v3, v3_canonical_request, v3_signature,
    v3_string_to_sign,
};

use crate::secret::Secret;

/// The V3 algorithm name, as it appears in the `Authorization` header.
pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// SHA-256 of the empty body, the `x-acs-content-sha256` of every body-less request.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Which signature scheme requests carry. V3 is what every current SDK sends; V1 is kept for
/// gateways and tools that only speak the older scheme (`signature_version = "v1"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureVersion {
    V1,
    #[default]
    V3,
}

/// An access key pair, optionally with an STS security token: what requests are signed with.
/// Where it comes from is [`crate::credentials`]' business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
}

impl Credentials {
    /// Borrows the key material for one signature.
    pub fn signing_key(&self) -> SigningKey<'_> {
        SigningKey {
            access_key_id: &self.access_key_id,
            access_key_secret: self.access_key_secret.expose(),
            security_token: self.security_token.as_ref().map(Secret::expose),
        }
    }
}

/// The key material a signature needs. Borrowed, so callers keep secrets in their own
/// redacting types.
#[derive(Clone, Copy)]
pub struct SigningKey<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    pub security_token: Option<&'a str>,
}

impl std::fmt::Debug for SigningKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"***")
            .field("security_token", &self.security_token.map(|_| "***"))
            .finish()
    }
}
