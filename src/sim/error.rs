//! The ECS error envelope and the codes the simulator answers with.
//!
//! Codes, statuses and messages follow the official error tables (CreateImage's is kept as data in
//! tests/data/create_image_errors.toml); the
//! constructors below are the only place they are spelled, so every operation reports a given
//! failure the same way.

use serde_json::{Value, json};

/// A failed call: what goes into the ECS error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// `x-acs-retry-after` in milliseconds (throttling only).
    pub retry_after_ms: Option<u64>,
    /// `AccessDeniedDetail` of a RAM denial.
    pub access_denied: Option<Box<Value>>,
}

impl SimError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after_ms: None,
            access_denied: None,
        }
    }

    /// The same failure under another HTTP status: operations document some codes with
    /// different statuses (`IncorrectInstanceStatus` is 400 for CreateImage, 403 for
    /// StartInstances).
    pub fn with_status(self, status: u16) -> Self {
        Self { status, ..self }
    }

    /// The JSON body: `RequestId`, `HostId`, `Code`, `Message`, `Recommend` (whose link names
    /// the product that answered, `Ecs` or `ResourceManager`).
    pub fn envelope(&self, request_id: &str, host_id: &str, product: &str) -> Value {
        let mut envelope = json!({
            "RequestId": request_id,
            "HostId": host_id,
            "Code": self.code,
            "Message": self.message,
            "Recommend": format!(
                "https://api.aliyun.com/troubleshoot?q={}&product={product}&requestId={request_id}",
                self.code
            ),
        });
        if let (Some(detail), Value::Object(fields)) = (&self.access_denied, &mut envelope) {
            fields.insert("AccessDeniedDetail".into(), (**detail).clone());
        }
        envelope
    }

    // --- protocol and authentication (§5.3) -------------------------------------------------

    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// A parameter whose value cannot be understood at all (bad integer, bad JSON list, ...).
    pub fn invalid_parameter(name: &str, why: &str) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            format!("The specified parameter \"{name}\" is not valid: {why}."),
        )
    }

    /// The request itself cannot be read (encoding, size, shape).
    pub fn malformed_request(why: impl Into<String>) -> Self {
        Self::new(400, "InvalidParameter", why)
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body exceeds the limit of {limit} bytes."),
        )
    }

    /// The body did not arrive in time (a stalled or very slow client).
    pub fn body_timeout(limit: std::time::Duration) -> Self {
        Self::new(
            408,
            "RequestTimeout",
            format!(
                "The request body was not received within {}.",
                crate::duration::humane(limit)
            ),
        )
    }

    pub fn access_key_not_found() -> Self {
        Self::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    }

    // --- security tokens ------------------------------------------------------------------
    // Codes and the expired message from Alibaba Cloud's public error list, as other products'
    // API references print them (e.g. the DTS reference:
    // https://www.alibabacloud.com/help/en/dts/developer-reference/api-dts-2020-01-01-modifydtsjobendpoint).
    // ECS documents neither statuses nor the other messages: 403 for an expired token as
    // there, 400 for a token that does not fit the request.

    pub fn security_token_expired() -> Self {
        Self::new(
            403,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        )
    }

    pub fn security_token_malformed() -> Self {
        Self::new(
            400,
            "InvalidSecurityToken.Malformed",
            "Specified SecurityToken is malformed.",
        )
    }

    pub fn security_token_mismatch() -> Self {
        Self::new(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )
    }

    pub fn missing_security_token() -> Self {
        Self::new(
            400,
            "MissingSecurityToken",
            "SecurityToken is mandatory for this action.",
        )
    }

    // --- STS (https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole)

    pub fn sts_invalid(name: &str, message: impl Into<String>) -> Self {
        Self::new(400, &format!("InvalidParameter.{name}"), message)
    }

    pub fn sts_no_permission() -> Self {
        Self::new(
            403,
            "NoPermission",
            "You are not authorized to do this action. You should be authorized by RAM.",
        )
    }

    pub fn role_not_found() -> Self {
        Self::new(
            404,
            "EntityNotExist.Role",
            "The specified Role not exists .",
        )
    }

    /// An `AuthenticationFail.*` of AssumeRoleWithOIDC (the ACK RRSA page lists the codes; the
    /// status is not documented: 400 for the token, 403 for trust).
    pub fn oidc_failed(status: u16, code: &str, message: &str) -> Self {
        Self::new(status, &format!("AuthenticationFail.{code}"), message)
    }

    pub fn signature_mismatch(string_to_sign: &str) -> Self {
        Self::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        )
    }

    pub fn content_hash_mismatch() -> Self {
        Self::new(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation: x-acs-content-sha256 is not the SHA-256 of the request body.",
        )
    }

    pub fn incomplete_signature() -> Self {
        Self::new(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Alibaba Cloud standards.",
        )
    }

    pub fn nonce_used() -> Self {
        Self::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        )
    }

    pub fn timestamp_expired() -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        )
    }

    pub fn timestamp_format() -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    }

    pub fn action_not_found() -> Self {
        Self::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    }

    pub fn invalid_version() -> Self {
        Self::new(
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        )
    }

    pub fn unsupported_method() -> Self {
        Self::new(
            403,
            "UnsupportedHTTPMethod",
            "This HTTP method is not supported.",
        )
    }

    pub fn region_not_found() -> Self {
        Self::new(
            404,
            "InvalidRegionId.NotFound",
            "The specified RegionId does not exist.",
        )
    }

    pub fn dry_run_passed() -> Self {
        Self::new(
            400,
            "DryRunOperation",
            "Request validation has been passed with DryRun flag set.",
        )
    }

    // --- injected faults ------------------------------------------------------------------------

    pub fn throttling(retry_after_ms: u64) -> Self {
        Self {
            retry_after_ms: Some(retry_after_ms),
            ..Self::new(
                400,
                "Throttling",
                "Request was denied due to request throttling.",
            )
        }
    }

    pub fn internal_error() -> Self {
        Self::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    pub fn service_unavailable() -> Self {
        Self::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    }

    pub fn forbidden_ram() -> Self {
        Self::new(
            403,
            "Forbidden.RAM",
            "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
        )
    }

    /// A RAM denial with its `AccessDeniedDetail`.
    pub fn access_denied(detail: Option<Value>) -> Self {
        Self {
            access_denied: detail.map(Box::new),
            ..Self::forbidden_ram()
        }
    }

    // --- resources --------------------------------------------------------------------------

    pub fn instance_not_found(id: &str) -> Self {
        Self::new(
            404,
            "InvalidInstanceId.NotFound",
            format!("The specified instance {id} does not exist."),
        )
    }

    pub fn snapshot_not_found() -> Self {
        Self::new(
            404,
            "InvalidSnapshotId.NotFound",
            "The specified SnapshotId does not exist.",
        )
    }

    pub fn image_not_found() -> Self {
        Self::new(
            404,
            "InvalidImageId.NotFound",
            "The specified ImageId does not exist.",
        )
    }

    pub fn incorrect_instance_status() -> Self {
        Self::new(
            400,
            "IncorrectInstanceStatus",
            "The current status of the instance does not support this operation.",
        )
    }

    pub fn no_system_disk() -> Self {
        Self::new(
            400,
            "InvalidInstance.NotFoundSystemDisk",
            "The specified instance does not have system disk.",
        )
    }

    pub fn instance_locked_for_security() -> Self {
        Self::new(
            400,
            "InstanceLockedForSecurity",
            "The specified operation is denied as your instance is locked for security reasons.",
        )
    }
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for SimError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_ecs_fields() {
        let body = SimError::snapshot_not_found().envelope("ABC-1", "127.0.0.1:1", "Ecs");
        assert_eq!(body["Code"], "InvalidSnapshotId.NotFound");
        assert_eq!(body["RequestId"], "ABC-1");
        assert_eq!(body["HostId"], "127.0.0.1:1");
        assert_eq!(body["Message"], "The specified SnapshotId does not exist.");
        assert!(
            body["Recommend"]
                .as_str()
                .is_some_and(|r| r.contains("q=InvalidSnapshotId.NotFound") && r.ends_with("ABC-1"))
        );
    }

    #[test]
    fn throttling_carries_retry_after() {
        let err = SimError::throttling(250);
        assert_eq!((err.status, err.retry_after_ms), (400, Some(250)));
    }
}
