//! What can go wrong on a call, as data: the ECS error envelope, transport failures, bodies we
//! could not read, cancellation — plus a plain-words explanation per error code, looked up in
//! `assets/errors.toml`.
//!
//! Everything quoted from a peer has the caller's secrets masked (before anything is cut), is
//! bounded and made printable (no terminal escapes), so an error can be shown or logged as is.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use serde::Deserialize;

use super::denial::{AccessDeniedDetail, RefusedCall, is_permission_code};
use super::lenient;
use super::redact::Redactor;
/// Kept here for the callers that found it here first; the helper lives in [`crate::text`].
pub(crate) use crate::text::printable;

/// At most this many characters of a server's message, code or URL are kept.
const MAX_TEXT: usize = 1024;
/// At most this many characters of an unreadable body are quoted.
const MAX_EXCERPT: usize = 200;

/// How a request failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection was made (refused, DNS, TLS handshake): the server saw nothing.
    Connect,
    /// The connection broke after the request may have been sent.
    Dropped,
    /// The request could not even be built.
    Other,
}

/// The service's error envelope (`{"Code","Message","RequestId","Recommend","HostId"}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message} (HTTP {http_status}{})", request_suffix(.request_id))]
pub struct ServiceError {
    pub http_status: u16,
    pub code: String,
    pub message: String,
    pub request_id: String,
    /// Troubleshooting URL; opaque.
    pub recommend: String,
    /// The endpoint host that served the call.
    pub host_id: String,
    /// `x-acs-retry-after`, when the server asked for a pause.
    pub retry_after: Option<Duration>,
    /// A permission refusal's `AccessDeniedDetail`, when the answer carried one.
    pub access_denied: Option<Box<AccessDeniedDetail>>,
    /// The refused call, kept for permission refusals only (see [`ApiError::for_call`]).
    pub refused: Option<Box<RefusedCall>>,
}

impl ServiceError {
    /// Whether RAM refused the call: a permission code, or an `AccessDeniedDetail`.
    pub fn is_permission_denied(&self) -> bool {
        is_permission_code(&self.code) || self.access_denied.is_some()
    }
}

/// A failed ECS call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The service answered with its error envelope. Boxed to keep `Result<_, ApiError>`
    /// small on the happy path.
    #[error(transparent)]
    Service(Box<ServiceError>),
    #[error("{}: {detail}", transport_summary(*.kind))]
    Transport { kind: TransportKind, detail: String },
    #[error(
        "the ECS endpoint did not answer in time ({detail}); check the network or raise the timeout"
    )]
    Timeout { detail: String },
    /// A response we could not understand (not JSON, wrong shape, too large).
    #[error("unreadable response (HTTP {http_status}): {what}; body starts with: {excerpt}")]
    Decode {
        http_status: u16,
        what: String,
        excerpt: String,
    },
    /// Refused before sending: the arguments break a documented API limit.
    #[error("invalid request: {detail}")]
    InvalidRequest { detail: String },
    #[error("cancelled")]
    Cancelled,
    /// The HTTP client could not be created.
    #[error("could not set up the HTTP client: {detail}")]
    Setup { detail: String },
    /// No credentials to sign with (a temporary set could not be fetched); nothing was sent.
    #[error("no credentials to sign with: {detail}")]
    Credentials { detail: String },
}

fn request_suffix(request_id: &str) -> String {
    if request_id.is_empty() {
        String::new()
    } else {
        format!(", RequestId {request_id}")
    }
}

fn transport_summary(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Connect => "could not connect to the ECS endpoint",
        TransportKind::Dropped => "the connection to the ECS endpoint broke",
        TransportKind::Other => "the request could not be sent",
    }
}

impl ApiError {
    /// The ECS error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Service(e) => Some(&e.code),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Service(e) if !e.request_id.is_empty() => Some(&e.request_id),
            _ => None,
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            ApiError::Service(e) => Some(e.http_status),
            ApiError::Decode { http_status, .. } => Some(*http_status),
            _ => None,
        }
    }

    /// Flow control: `Throttling`, `Throttling.User`, `Throttling.Api`, `*.Throttling`, or an
    /// HTTP 429.
    pub fn is_throttling(&self) -> bool {
        match self {
            ApiError::Service(e) => {
                e.http_status == 429
                    || e.code == "Throttling"
                    || e.code.starts_with("Throttling.")
                    || e.code.ends_with(".Throttling")
            }
            _ => false,
        }
    }

    /// Worth another attempt: throttling, temporary server failures, 5xx, timeouts and broken
    /// connections. Whether a retry is *safe* also depends on the operation (see the client).
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Service(e) => {
                self.is_throttling()
                    || matches!(
                        e.code.as_str(),
                        "ServiceUnavailable" | "InternalError" | "UnknownError"
                    )
                    || e.http_status >= 500
            }
            ApiError::Transport { kind, .. } => {
                matches!(kind, TransportKind::Connect | TransportKind::Dropped)
            }
            ApiError::Timeout { .. } => true,
            ApiError::Decode { http_status, .. } => *http_status >= 500 || *http_status == 429,
            ApiError::InvalidRequest { .. }
            | ApiError::Cancelled
            | ApiError::Setup { .. }
            | ApiError::Credentials { .. } => false,
        }
    }

    /// True when the server certainly did not act on the request, so even an operation that is
    /// not idempotent may be sent again.
    pub fn is_unprocessed(&self) -> bool {
        self.is_throttling()
            || matches!(
                self,
                ApiError::Transport {
                    kind: TransportKind::Connect,
                    ..
                }
            )
    }

    /// The pause the server asked for with `x-acs-retry-after`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Service(e) => e.retry_after,
            _ => None,
        }
    }

    /// The error of a call to `operation` with `params`: a permission refusal keeps the call,
    /// so it can be explained as "this action on these resources" (`policy::denial`).
    pub fn for_call(self, operation: &str, params: &[(String, String)]) -> ApiError {
        match self {
            ApiError::Service(mut e) if e.is_permission_denied() => {
                e.refused = Some(Box::new(RefusedCall {
                    operation: operation.to_string(),
                    params: params.to_vec(),
                }));
                ApiError::Service(e)
            }
            other => other,
        }
    }

    /// What the code means and how to fix it, from `assets/errors.toml`.
    pub fn explanation(&self) -> Option<&'static Explanation> {
        self.code().and_then(explain)
    }

    /// Builds the error for a non-success HTTP answer from its body; `redactor` masks the
    /// caller's secrets in every quoted piece before it is cut to size.
    pub(crate) fn from_response(
        http_status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
        redactor: &Redactor,
    ) -> ApiError {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "PascalCase", default)]
        struct Envelope {
            #[serde(deserialize_with = "lenient::text")]
            code: String,
            #[serde(deserialize_with = "lenient::text")]
            message: String,
            #[serde(deserialize_with = "lenient::text")]
            request_id: String,
            #[serde(deserialize_with = "lenient::text")]
            recommend: String,
            #[serde(deserialize_with = "lenient::text")]
            host_id: String,
            #[serde(alias = "accessDeniedDetail")]
            access_denied_detail: Option<serde_json::Value>,
        }
        let quote = |text: &str| printable(&redactor.redact(text), MAX_TEXT);
        match serde_json::from_slice::<Envelope>(body) {
            Ok(env) if !env.code.trim().is_empty() => ApiError::Service(Box::new(ServiceError {
                http_status,
                code: quote(env.code.trim()),
                message: quote(&env.message),
                request_id: quote(&env.request_id),
                recommend: quote(&env.recommend),
                host_id: quote(&env.host_id),
                retry_after,
                access_denied: env
                    .access_denied_detail
                    .as_ref()
                    .and_then(|v| AccessDeniedDetail::from_value(v, quote))
                    .map(Box::new),
                refused: None,
            })),
            Ok(_) => ApiError::decode(
                http_status,
                "an error status without an ECS error code",
                body,
                redactor,
            ),
            Err(e) => ApiError::decode(
                http_status,
                &format!("an error status whose body is not the ECS error envelope ({e})"),
                body,
                redactor,
            ),
        }
    }

    /// A [`ApiError::Decode`] naming `what` was wrong, with a short excerpt of `body`; both
    /// may quote the peer, so `redactor` masks secrets in them before they are cut.
    pub(crate) fn decode(
        http_status: u16,
        what: &str,
        body: &[u8],
        redactor: &Redactor,
    ) -> ApiError {
        let excerpt = if body.is_empty() {
            "(empty)".to_string()
        } else {
            printable(
                &redactor.redact(&String::from_utf8_lossy(body)),
                MAX_EXCERPT,
            )
        };
        ApiError::Decode {
            http_status,
            what: printable(&redactor.redact(what), MAX_TEXT),
            excerpt,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Explanations

/// What an error code means and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    /// The problem in plain words.
    pub meaning: String,
    /// What to change or do next.
    pub fix: String,
    /// The spec field to change (`image.name`, `source.disks`, `tags`, …), when one is to blame.
    #[serde(default)]
    pub field: Option<String>,
}

static EXPLANATIONS: LazyLock<HashMap<String, Explanation>> = LazyLock::new(|| {
    toml::from_str(include_str!("../../assets/errors.toml")).unwrap_or_else(|e| {
        // Unreachable in a tested build (a unit test parses the file); degrade to "no
        // explanation" rather than take the program down.
        tracing::error!("assets/errors.toml does not parse: {e}");
        HashMap::new()
    })
});

/// The explanation for `code`; for an unlisted sub-code (`IncorrectDiskStatus.Foo`), the entry
/// of its nearest listed parent (`IncorrectDiskStatus`).
pub fn explain(code: &str) -> Option<&'static Explanation> {
    let mut key = code;
    loop {
        if let Some(found) = EXPLANATIONS.get(key) {
            return Some(found);
        }
        key = &key[..key.rfind('.')?];
    }
}

#[cfg(test)]
impl ApiError {
    /// An HTTP 400 error answer with only `code` (and the server's pause, if any) filled in:
    /// what retry and watch decisions look at.
    pub(crate) fn service_for_test(code: &str, retry_after: Option<Duration>) -> ApiError {
        ApiError::Service(Box::new(ServiceError {
            http_status: 400,
            code: code.into(),
            message: String::new(),
            request_id: String::new(),
            recommend: String::new(),
            host_id: String::new(),
            retry_after,
            access_denied: None,
            refused: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec fields an explanation may point at (the recipe's dotted names).
    const SPEC_FIELDS: &[&str] = &[
        "source",
        "source.disks",
        "image.name",
        "image.family",
        "image.version",
        "image.description",
        "image.platform",
        "image.architecture",
        "image.boot_mode",
        "image.resource_group_id",
        "tags",
        "features.imds_support",
        "features.detection_strategy",
        "client_token",
        "region",
    ];

    /// The codes of CreateImage's documented error table (tests/data/create_image_errors.toml).
    fn reference_codes() -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Table {
            error: Vec<Row>,
        }
        #[derive(serde::Deserialize)]
        struct Row {
            code: String,
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/create_image_errors.toml"
        );
        let text = std::fs::read_to_string(path).expect("the error table is in tests/data/");
        let table: Table = toml::from_str(&text).expect("the error table parses");
        assert_eq!(table.error.len(), 64, "CreateImage documents 64 error rows");
        table.error.into_iter().map(|row| row.code).collect()
    }

    #[test]
    fn every_create_image_error_code_is_explained() {
        let missing: Vec<String> = reference_codes()
            .into_iter()
            .filter(|code| {
                EXPLANATIONS
                    .get(code)
                    .is_none_or(|e| e.meaning.trim().is_empty() || e.fix.trim().is_empty())
            })
            .collect();
        assert!(missing.is_empty(), "no explanation for {missing:?}");
    }

    #[test]
    fn protocol_codes_are_explained() {
        for code in [
            "SignatureDoesNotMatch",
            "IncompleteSignature",
            "SignatureNonceUsed",
            "InvalidTimeStamp.Expired",
            "InvalidTimeStamp.Format",
            "InvalidAccessKeyId.NotFound",
            "InvalidAccessKeyId.Inactive",
            "InvalidSecurityToken.Expired",
            "InvalidSecurityToken.Malformed",
            "InvalidSecurityToken.MismatchWithAccessKey",
            "MissingSecurityToken",
            "Forbidden.RAM",
            "InvalidAction.NotFound",
            "InvalidVersion",
            "UnsupportedHTTPMethod",
            "InvalidRegionId.NotFound",
            "Throttling",
            "Throttling.User",
            "Throttling.Api",
            "InternalError",
            "ServiceUnavailable",
            "OperationConflict",
            "MissingParameter",
            "InvalidParameter",
            "IdempotentParameterMismatch",
            "InvalidImageId.NotFound",
            "ImageUsingByInstance",
            "DryRunOperation",
            "InvalidClientToken.ValueNotSupported",
        ] {
            assert!(EXPLANATIONS.contains_key(code), "{code}");
        }
    }

    #[test]
    fn explanations_are_complete_and_point_at_real_fields() {
        assert!(!EXPLANATIONS.is_empty(), "assets/errors.toml parses");
        toml::from_str::<HashMap<String, Explanation>>(include_str!("../../assets/errors.toml"))
            .expect("assets/errors.toml parses");
        for (code, e) in EXPLANATIONS.iter() {
            assert!(!e.meaning.trim().is_empty(), "{code}: meaning");
            assert!(!e.fix.trim().is_empty(), "{code}: fix");
            if let Some(field) = &e.field {
                assert!(
                    SPEC_FIELDS.contains(&field.as_str()),
                    "{code}: field {field}"
                );
            }
        }
        assert_eq!(
            explain("InvalidImageName.Malformed").and_then(|e| e.field.as_deref()),
            Some("image.name")
        );
    }

    /// The codes a simulator source refuses with: each `fail(STATUS, "Code"` and
    /// `SimError::new(STATUS, "Code"`.
    fn refusals(source: &str) -> Vec<String> {
        let mut codes = Vec::new();
        for call in ["fail(", "SimError::new("] {
            for (at, _) in source.match_indices(call) {
                let rest = source[at + call.len()..].trim_start();
                let Some(rest) = rest
                    .strip_prefix(|c: char| c.is_ascii_digit())
                    .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()))
                    .and_then(|r| r.strip_prefix(','))
                    .map(str::trim_start)
                    .and_then(|r| r.strip_prefix('"'))
                else {
                    continue;
                };
                if let Some(end) = rest.find('"') {
                    codes.push(rest[..end].to_string());
                }
            }
        }
        codes
    }

    #[test]
    fn every_refusal_of_the_delivery_operations_is_explained() {
        // The simulator's CopyImage, CancelCopyImage, sharing, tags, ModifyImageAttribute and
        // DeleteImage, and the KMS key checks CopyImage shares with CreateImage.
        let sources = [
            include_str!("../sim/ops/delivery/copy.rs"),
            include_str!("../sim/ops/delivery/share.rs"),
            include_str!("../sim/ops/delivery/tags.rs"),
            include_str!("../sim/ops/delivery/attribute.rs"),
            include_str!("../sim/ops/images.rs"),
            include_str!("../sim/ops/create_image/mod.rs"),
        ];
        let codes: Vec<String> = sources.iter().flat_map(|s| refusals(s)).collect();
        assert!(codes.len() > 40, "the sources were read: {codes:?}");
        assert!(
            codes
                .iter()
                .any(|c| c == "InvalidParameter.KMSKeyId.NotFound")
        );
        let missing: Vec<&String> = codes
            .iter()
            .filter(|c| !EXPLANATIONS.contains_key(c.as_str()))
            .collect();
        assert!(missing.is_empty(), "not in assets/errors.toml: {missing:?}");
    }

    #[test]
    fn unknown_sub_codes_fall_back_to_their_parent() {
        assert_eq!(explain("Throttling.Whatever"), explain("Throttling"));
        assert!(explain("Throttling").is_some());
        assert_eq!(explain("NoSuchCode"), None);
        assert_eq!(explain(""), None);
    }

    fn service(code: &str, status: u16) -> ApiError {
        ApiError::from_response(
            status,
            None,
            format!(r#"{{"Code":"{code}","Message":"m","RequestId":"R"}}"#).as_bytes(),
            &Redactor::default(),
        )
    }

    #[test]
    fn the_envelope_becomes_a_service_error() {
        let body = br#"{"RequestId":"473469C7","HostId":"ecs.cn-hangzhou.aliyuncs.com",
            "Code":"InvalidSnapshotId.NotFound","Message":"The specified SnapshotId does not exist.",
            "Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidSnapshotId.NotFound"}"#;
        let err = ApiError::from_response(
            404,
            Some(Duration::from_millis(5)),
            body,
            &Redactor::default(),
        );
        assert_eq!(err.code(), Some("InvalidSnapshotId.NotFound"));
        assert_eq!(err.request_id(), Some("473469C7"));
        assert_eq!(err.http_status(), Some(404));
        assert_eq!(err.retry_after(), Some(Duration::from_millis(5)));
        assert!(!err.is_retryable());
        assert_eq!(
            err.to_string(),
            "InvalidSnapshotId.NotFound: The specified SnapshotId does not exist. (HTTP 404, RequestId 473469C7)"
        );
        assert!(err.explanation().is_some());
        let ApiError::Service(service) = &err else {
            panic!("service error")
        };
        assert_eq!(service.host_id, "ecs.cn-hangzhou.aliyuncs.com");
    }

    #[test]
    fn classification() {
        for code in [
            "Throttling",
            "Throttling.User",
            "Throttling.Api",
            "Foo.Throttling",
        ] {
            let e = service(code, 400);
            assert!(
                e.is_throttling() && e.is_retryable() && e.is_unprocessed(),
                "{code}"
            );
        }
        assert!(service("Anything", 429).is_throttling());
        for (code, status) in [
            ("ServiceUnavailable", 503),
            ("InternalError", 500),
            ("Weird", 502),
        ] {
            let e = service(code, status);
            assert!(e.is_retryable() && !e.is_throttling() && !e.is_unprocessed());
        }
        for code in [
            "InvalidImageName.Malformed",
            "ThrottlingX",
            "DryRunOperation",
        ] {
            assert!(!service(code, 400).is_retryable(), "{code}");
        }
        let connect = ApiError::Transport {
            kind: TransportKind::Connect,
            detail: "refused".into(),
        };
        assert!(connect.is_retryable() && connect.is_unprocessed());
        let dropped = ApiError::Transport {
            kind: TransportKind::Dropped,
            detail: "reset".into(),
        };
        assert!(dropped.is_retryable() && !dropped.is_unprocessed());
        assert!(
            ApiError::Timeout {
                detail: "read".into()
            }
            .is_retryable()
        );
        assert!(!ApiError::Cancelled.is_retryable());
        assert_eq!(ApiError::Cancelled.code(), None);
    }

    #[test]
    fn bodies_that_are_not_the_envelope_are_decode_errors() {
        let gateway =
            ApiError::from_response(502, None, b"<html>Bad Gateway</html>", &Redactor::default());
        assert!(matches!(
            gateway,
            ApiError::Decode {
                http_status: 502,
                ..
            }
        ));
        assert!(gateway.is_retryable());
        let client =
            ApiError::from_response(400, None, br#"{"Message":"no code"}"#, &Redactor::default());
        let ApiError::Decode { what, .. } = &client else {
            panic!("decode error")
        };
        assert!(what.contains("without an ECS error code"), "{what}");
        assert!(!client.is_retryable());
        let empty = ApiError::from_response(500, None, b"", &Redactor::default());
        assert!(empty.to_string().contains("(empty)"), "{empty}");
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        let mut body = b"\x1b[31mred\nline ".to_vec();
        body.extend(std::iter::repeat_n(b'x', 10_000));
        body.extend([0xff, 0xfe]);
        let ApiError::Decode { excerpt, .. } =
            ApiError::decode(200, "not JSON", &body, &Redactor::default())
        else {
            panic!("decode error")
        };
        assert!(excerpt.starts_with("\\u{1b}[31mred\\nline x"), "{excerpt}");
        assert!(excerpt.chars().count() <= MAX_EXCERPT + 1);
        assert!(excerpt.ends_with('…'));
        assert!(!excerpt.contains('\x1b'));
        let long_code = "C".repeat(5000);
        let e = service(&long_code, 400);
        assert!(e.code().is_some_and(|c| c.chars().count() <= MAX_TEXT + 1));
    }

    #[test]
    fn secrets_are_masked_in_every_encoding() {
        let token = "tok/en+=";
        let redactor = Redactor::new([token, "secret123", ""]);
        let e = ApiError::from_response(
            400,
            None,
            br#"{"Code":"SignatureDoesNotMatch","Message":"sts: POST&%2F&SecurityToken%3Dtok%252Fen%252B%253D and tok%2Fen%2B%3D and tok/en+= secret123"}"#,
            &redactor,
        );
        let text = e.to_string();
        assert!(!text.contains("tok"), "{text}");
        assert!(!text.contains("secret123"), "{text}");
        assert_eq!(text.matches("***").count(), 4, "{text}");
    }

    /// A long STS token echoed twice-encoded near the end of a long
    /// message. Cutting first would leave half a token that no longer matches.
    #[test]
    fn a_long_token_is_masked_before_the_message_is_cut() {
        let token: String = "CAIS/Long+Token=".repeat(40);
        let twice = crate::api::sign::percent_encode(&crate::api::sign::percent_encode(&token));
        let redactor = Redactor::new([token.as_str()]);
        let message = format!(
            "{}server string to sign is:POST&%2F&SecurityToken%3D{twice}",
            "x".repeat(900)
        );
        let body = serde_json::json!({"Code": "SignatureDoesNotMatch", "Message": message});
        let e = ApiError::from_response(400, None, body.to_string().as_bytes(), &redactor);
        let text = e.to_string();
        assert!(!text.contains("CAIS"), "{text}");
        assert!(!text.contains("Long"), "{text}");
        // Not JSON at all: the excerpt is masked before it is cut, too.
        let raw = format!("{}{token}", "y".repeat(150));
        let e = ApiError::decode(502, &format!("echo {token}"), raw.as_bytes(), &redactor);
        let text = e.to_string();
        assert!(!text.contains("CAIS") && !text.contains("Long"), "{text}");
    }
}
