//! What can go wrong on a call, as data: the ECS error envelope, transport failures, bodies we
//! could not read, cancellation — plus a plain-words explanation per error code, looked up in
//! `assets/errors.toml`.
//!
//! Everything quoted from a peer is bounded and made printable (no terminal escapes), and the
//! client scrubs the caller's secrets out of it, so an error can be shown or logged as is.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use serde::Deserialize;

use super::model::lenient;

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
            ApiError::InvalidRequest { .. } | ApiError::Cancelled | ApiError::Setup { .. } => false,
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

    /// What the code means and how to fix it, from `assets/errors.toml`.
    pub fn explanation(&self) -> Option<&'static Explanation> {
        self.code().and_then(explain)
    }

    /// Builds the error for a non-success HTTP answer from its body.
    pub(crate) fn from_response(
        http_status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
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
        }
        match serde_json::from_slice::<Envelope>(body) {
            Ok(env) if !env.code.trim().is_empty() => ApiError::Service(Box::new(ServiceError {
                http_status,
                code: printable(env.code.trim(), MAX_TEXT),
                message: printable(&env.message, MAX_TEXT),
                request_id: printable(&env.request_id, MAX_TEXT),
                recommend: printable(&env.recommend, MAX_TEXT),
                host_id: printable(&env.host_id, MAX_TEXT),
                retry_after,
            })),
            Ok(_) => ApiError::decode(
                http_status,
                "an error status without an ECS error code",
                body,
            ),
            Err(e) => ApiError::decode(
                http_status,
                &format!("an error status whose body is not the ECS error envelope ({e})"),
                body,
            ),
        }
    }

    /// A [`ApiError::Decode`] naming `what` was wrong, with a short excerpt of `body`.
    pub(crate) fn decode(http_status: u16, what: &str, body: &[u8]) -> ApiError {
        let head = &body[..body.len().min(MAX_EXCERPT * 4)];
        let excerpt = if body.is_empty() {
            "(empty)".to_string()
        } else {
            let mut text = printable(&String::from_utf8_lossy(head), MAX_EXCERPT);
            if head.len() < body.len() && !text.ends_with('…') {
                text.push('…');
            }
            text
        };
        ApiError::Decode {
            http_status,
            what: printable(what, MAX_TEXT),
            excerpt,
        }
    }

    /// Replaces every occurrence of each secret (raw, percent-encoded once and twice, as a V1
    /// string-to-sign would hold it) in the error's text with `***`.
    pub(crate) fn scrub(self, secrets: &[&str]) -> ApiError {
        let clean = |text: String| scrub_text(text, secrets);
        match self {
            ApiError::Service(e) => {
                let e = *e;
                ApiError::Service(Box::new(ServiceError {
                    code: clean(e.code),
                    message: clean(e.message),
                    request_id: clean(e.request_id),
                    recommend: clean(e.recommend),
                    host_id: clean(e.host_id),
                    ..e
                }))
            }
            ApiError::Transport { kind, detail } => ApiError::Transport {
                kind,
                detail: clean(detail),
            },
            ApiError::Timeout { detail } => ApiError::Timeout {
                detail: clean(detail),
            },
            ApiError::Decode {
                http_status,
                what,
                excerpt,
            } => ApiError::Decode {
                http_status,
                what: clean(what),
                excerpt: clean(excerpt),
            },
            ApiError::InvalidRequest { detail } => ApiError::InvalidRequest {
                detail: clean(detail),
            },
            ApiError::Setup { detail } => ApiError::Setup {
                detail: clean(detail),
            },
            ApiError::Cancelled => ApiError::Cancelled,
        }
    }
}

fn scrub_text(mut text: String, secrets: &[&str]) -> String {
    use super::sign::percent_encode;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let once = percent_encode(secret);
        let twice = percent_encode(&once);
        for needle in [secret.to_string(), once, twice] {
            if text.contains(&needle) {
                text = text.replace(&needle, "***");
            }
        }
    }
    text
}

/// At most `max` characters of `text`, control characters escaped (`\n`, `\u{1b}`) so a
/// hostile peer cannot drive the terminal; `…` marks a cut.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        let piece: String = if c.is_control() {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
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

    fn reference_codes() -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/CreateImage-reference.txt"
        );
        let text = std::fs::read_to_string(path).expect("the CreateImage reference is in docs/");
        // Error table rows: `| 400 | Code | Message | Description |`.
        let codes: Vec<String> = text
            .lines()
            .filter_map(|line| {
                let mut cells = line.split('|').map(str::trim).skip(1);
                let status = cells.next()?;
                let code = cells.next()?;
                (status.len() == 3 && status.chars().all(|c| c.is_ascii_digit()))
                    .then(|| code.to_string())
            })
            .collect();
        assert!(codes.len() > 50, "error table not found: {codes:?}");
        codes
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
        )
    }

    #[test]
    fn the_envelope_becomes_a_service_error() {
        let body = br#"{"RequestId":"473469C7","HostId":"ecs.cn-hangzhou.aliyuncs.com",
            "Code":"InvalidSnapshotId.NotFound","Message":"The specified SnapshotId does not exist.",
            "Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidSnapshotId.NotFound"}"#;
        let err = ApiError::from_response(404, Some(Duration::from_millis(5)), body);
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
        let gateway = ApiError::from_response(502, None, b"<html>Bad Gateway</html>");
        assert!(matches!(
            gateway,
            ApiError::Decode {
                http_status: 502,
                ..
            }
        ));
        assert!(gateway.is_retryable());
        let client = ApiError::from_response(400, None, br#"{"Message":"no code"}"#);
        let ApiError::Decode { what, .. } = &client else {
            panic!("decode error")
        };
        assert!(what.contains("without an ECS error code"), "{what}");
        assert!(!client.is_retryable());
        let empty = ApiError::from_response(500, None, b"");
        assert!(empty.to_string().contains("(empty)"), "{empty}");
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        let mut body = b"\x1b[31mred\nline ".to_vec();
        body.extend(std::iter::repeat_n(b'x', 10_000));
        body.extend([0xff, 0xfe]);
        let ApiError::Decode { excerpt, .. } = ApiError::decode(200, "not JSON", &body) else {
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
    fn scrubbing_removes_secrets_in_every_encoding() {
        let token = "tok/en+=";
        let e = ApiError::from_response(
            400,
            None,
            br#"{"Code":"SignatureDoesNotMatch","Message":"sts: POST&%2F&SecurityToken%3Dtok%252Fen%252B%253D and tok%2Fen%2B%3D and tok/en+= secret123"}"#,
        )
        .scrub(&[token, "secret123", ""]);
        let text = e.to_string();
        assert!(!text.contains("tok"), "{text}");
        assert!(!text.contains("secret123"), "{text}");
        assert_eq!(text.matches("***").count(), 4, "{text}");
    }
}
