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

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

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

// ---------------------------------------------------------------------------------------------
// V1 (RPC, HMAC-SHA1)

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

// ---------------------------------------------------------------------------------------------
// V3 (ACS3-HMAC-SHA256)

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

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn percent_encoding_follows_rfc3986() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("*~+/:é"), "%2A~%2B%2F%3A%C3%A9");
        assert_eq!(percent_encode("!'()"), "%21%27%28%29");
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    }

    fn v1_a_params(timestamp_key: &str) -> Vec<(String, String)> {
        pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            (timestamp_key, "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ])
    }

    #[test]
    fn v1_vector_a() {
        let sts = v1_string_to_sign("GET", &v1_a_params("Timestamp"));
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            v1_signature("testsecret", &sts),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
        assert_eq!(
            percent_encode("OLeaidS1JvxuMvnyHOwuJ+uX5qY="),
            "OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"
        );
    }

    #[test]
    fn v1_vector_b_signs_names_as_received() {
        let sts = v1_string_to_sign("GET", &v1_a_params("TimeStamp"));
        assert_eq!(
            v1_signature("testsecret", &sts),
            "CT9X0VtwR86fNWSnsc6v8YGOjuE="
        );
    }

    fn create_image_operation_params() -> Vec<(String, String)> {
        pairs(&[
            ("DiskDeviceMapping.1.Device", "/dev/xvda"),
            ("DiskDeviceMapping.1.SnapshotId", "s-bp1abc"),
            ("DryRun", "true"),
            ("Features.ImdsSupport", "v2"),
            ("ImageName", "my image~v1*+/é"),
            ("RegionId", "cn-hangzhou"),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "a b"),
        ])
    }

    #[test]
    fn v1_vector_c_through_sign_v1() {
        let key = SigningKey {
            access_key_id: "testid",
            access_key_secret: "testsecret",
            security_token: None,
        };
        let signed = sign_v1(
            "POST",
            "CreateImage",
            "2014-05-26",
            &create_image_operation_params(),
            key,
            "2024-01-02T03:04:05Z",
            "d1b2c3d4e5f60718293a4b5c6d7e8f90",
        );
        let (last_name, last_value) = signed.last().expect("signature appended");
        assert_eq!(last_name, "Signature");
        assert_eq!(last_value, "jbiryTD6RIPa7FXeouA6GEU1xj4=");
        assert_eq!(
            canonical_query(&signed[..signed.len() - 1]),
            "AccessKeyId=testid&Action=CreateImage&DiskDeviceMapping.1.Device=%2Fdev%2Fxvda&DiskDeviceMapping.1.SnapshotId=s-bp1abc&DryRun=true&Features.ImdsSupport=v2&Format=JSON&ImageName=my%20image~v1%2A%2B%2F%C3%A9&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=d1b2c3d4e5f60718293a4b5c6d7e8f90&SignatureVersion=1.0&Tag.1.Key=env&Tag.1.Value=a%20b&Timestamp=2024-01-02T03%3A04%3A05Z&Version=2014-05-26"
        );
    }

    #[test]
    fn v1_security_token_is_signed() {
        let with = |token| {
            let key = SigningKey {
                access_key_id: "testid",
                access_key_secret: "testsecret",
                security_token: token,
            };
            sign_v1(
                "GET",
                "DescribeRegions",
                "2014-05-26",
                &[],
                key,
                "2024-01-02T03:04:05Z",
                "n",
            )
        };
        let signed = with(Some("sts-token"));
        assert!(signed.contains(&("SecurityToken".into(), "sts-token".into())));
        let sig = |p: &[(String, String)]| p.last().map(|(_, v)| v.clone());
        assert_ne!(sig(&signed), sig(&with(None)));
        // The signature verifies over the full set, token included.
        let sts = v1_string_to_sign("GET", &signed);
        assert_eq!(Some(v1_signature("testsecret", &sts)), sig(&signed));
    }

    fn v3_a_headers(date: &str, nonce: &str) -> Vec<(String, String)> {
        pairs(&[
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-content-sha256", EMPTY_BODY_SHA256),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", nonce),
            ("x-acs-version", "2014-05-26"),
        ])
    }

    fn v3_a_query() -> String {
        canonical_query(&pairs(&[
            ("RegionId", "cn-shanghai"),
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
        ]))
    }

    #[test]
    fn v3_vector_a() {
        let canonical = v3_canonical_request(
            "POST",
            "/",
            &v3_a_query(),
            &v3_a_headers("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"),
            EMPTY_BODY_SHA256,
        );
        assert_eq!(
            canonical.signed_headers,
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
        );
        let sts = v3_string_to_sign(&canonical.text);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(
            v3_signature("YourAccessKeySecret", &sts),
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    #[test]
    fn v3_vector_b() {
        let canonical = v3_canonical_request(
            "POST",
            "/",
            &v3_a_query(),
            &v3_a_headers("2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0"),
            EMPTY_BODY_SHA256,
        );
        assert_eq!(
            v3_signature("YourAccessKeySecret", &v3_string_to_sign(&canonical.text)),
            "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
        );
    }

    #[test]
    fn v3_vector_c_through_sign_v3() {
        let params = create_image_operation_params();
        let key = SigningKey {
            access_key_id: "testid",
            access_key_secret: "testsecret",
            security_token: None,
        };
        let signed = sign_v3(
            V3Input {
                method: "POST",
                host: "ecs.cn-hangzhou.aliyuncs.com",
                action: "CreateImage",
                version: "2014-05-26",
                params: &params,
                body: b"",
                content_type: None,
                date: "2024-01-02T03:04:05Z",
                nonce: "d1b2c3d4e5f60718293a4b5c6d7e8f90",
            },
            key,
        );
        assert_eq!(
            signed.query,
            "DiskDeviceMapping.1.Device=%2Fdev%2Fxvda&DiskDeviceMapping.1.SnapshotId=s-bp1abc&DryRun=true&Features.ImdsSupport=v2&ImageName=my%20image~v1%2A%2B%2F%C3%A9&RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=a%20b"
        );
        let canonical = v3_canonical_request(
            "POST",
            "/",
            &signed.query,
            &signed.headers[..signed.headers.len() - 1],
            EMPTY_BODY_SHA256,
        );
        assert_eq!(
            sha256_hex(canonical.text.as_bytes()),
            "82a1361e34f08e24ca36f075425487913bb57f0dd4303e900d9db557fa0480ce"
        );
        let (name, value) = signed.headers.last().expect("authorization appended");
        assert_eq!(name, "authorization");
        assert_eq!(
            value,
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=274dca7fc00435f108d54aa6716f9ec50d9131aafe6155a61b367d2c0aeac255"
        );
    }

    #[test]
    fn v3_security_token_headers_are_signed() {
        let key = SigningKey {
            access_key_id: "STS.id",
            access_key_secret: "testsecret",
            security_token: Some("tok"),
        };
        let signed = sign_v3(
            V3Input {
                method: "POST",
                host: "127.0.0.1:8080",
                action: "DescribeRegions",
                version: "2014-05-26",
                params: &[],
                body: b"",
                content_type: None,
                date: "2024-01-02T03:04:05Z",
                nonce: "n",
            },
            key,
        );
        let (_, auth) = signed
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .expect("present");
        let signed_headers = auth
            .split(',')
            .find_map(|part| part.strip_prefix("SignedHeaders="))
            .expect("names the signed headers");
        let names: Vec<&str> = signed_headers.split(';').collect();
        assert!(names.contains(&"x-acs-security-token"), "{auth}");
        assert!(names.contains(&"x-acs-accesskey-id"), "{auth}");
        assert_eq!(signed.query, "");
    }

    #[test]
    fn the_api_version_is_an_input_and_is_signed() {
        let key = SigningKey {
            access_key_id: "testid",
            access_key_secret: "testsecret",
            security_token: None,
        };
        let (date, nonce) = ("2024-01-02T03:04:05Z", "n");
        let v1 = |version| sign_v1("POST", "ListResourceGroups", version, &[], key, date, nonce);
        let resource_manager = v1("2020-03-31");
        assert!(resource_manager.contains(&("Version".into(), "2020-03-31".into())));
        assert_ne!(resource_manager.last(), v1("2014-05-26").last());
        let v3 = |version| {
            sign_v3(
                V3Input {
                    method: "POST",
                    host: "resourcemanager.aliyuncs.com",
                    action: "ListResourceGroups",
                    version,
                    params: &[],
                    body: b"",
                    content_type: None,
                    date,
                    nonce,
                },
                key,
            )
            .headers
        };
        let headers = v3("2020-03-31");
        assert!(headers.contains(&("x-acs-version".into(), "2020-03-31".into())));
        assert_ne!(
            headers.last(),
            v3("2014-05-26").last(),
            "the version is signed"
        );
    }

    #[test]
    fn the_empty_body_hash_is_the_real_one() {
        assert_eq!(const_hex::encode(Sha256::digest(b"")), EMPTY_BODY_SHA256);
        assert_eq!(sha256_hex(b""), EMPTY_BODY_SHA256);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn repeated_headers_are_sorted_and_joined() {
        let canonical = v3_canonical_request(
            "GET",
            "/",
            "",
            &pairs(&[("X-B", " 2 "), ("x-a", "z"), ("x-b", "1")]),
            EMPTY_BODY_SHA256,
        );
        assert_eq!(
            canonical.text,
            format!("GET\n/\n\nx-a:z\nx-b:1,2\n\nx-a;x-b\n{EMPTY_BODY_SHA256}")
        );
    }
}
