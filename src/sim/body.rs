//! Reading a request body within bounds of size, time and memory.
//!
//! A form body (`application/x-www-form-urlencoded`) carries parameters, so it is kept, up to
//! [`MAX_FORM_BYTES`]. Any other body is only hashed on the way in: V3 signs its SHA-256 and no
//! operation reads it, so it may be as large as [`MAX_BODY_BYTES`] while the request holds
//! just the hash. A client that stalls mid-body is cut off at the body deadline, so a slow or
//! silent peer cannot hold memory or a connection slot for long.

use super::error::SimError;
use crate::api::sign;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::time::Duration;

/// Largest request body accepted; a bigger one is refused (413) without being buffered.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Largest form body kept in memory: parameters of the biggest CreateImage fit many times
/// over.
pub const MAX_FORM_BYTES: usize = 64 << 10;

/// What the pipeline keeps of a body.
#[derive(Debug)]
pub struct ReadBody {
    /// The whole body when it is a form, else `None`.
    pub form: Option<Bytes>,
    /// Lowercase hex SHA-256 of the body.
    pub sha256: Cow<'static, str>,
}

impl ReadBody {
    /// An empty body.
    pub fn empty() -> Self {
        Self {
            form: None,
            sha256: Cow::Borrowed(sign::EMPTY_BODY_SHA256),
        }
    }
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Over a limit: answer 413 with this error.
    TooLarge(SimError),
    /// Not finished before the deadline.
    TimedOut,
    /// The connection broke mid-body.
    Broken,
}

/// Reads `body` (a form when `is_form`), giving up after `deadline`.
pub async fn read(
    body: Incoming,
    is_form: bool,
    deadline: Duration,
) -> Result<ReadBody, BodyError> {
    if body.is_end_stream() {
        return Ok(ReadBody::empty());
    }
    tokio::time::timeout(deadline, collect(body, is_form))
        .await
        .map_err(|_| BodyError::TimedOut)?
}

async fn collect(mut body: Incoming, is_form: bool) -> Result<ReadBody, BodyError> {
    let limit = if is_form {
        MAX_FORM_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let mut hasher = Sha256::new();
    let mut form = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing the simulator reads
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(BodyError::TooLarge(SimError::body_too_large(limit)));
        }
        hasher.update(&data);
        if is_form {
            form.extend_from_slice(&data);
        }
    }
    if total == 0 {
        return Ok(ReadBody::empty());
    }
    Ok(ReadBody {
        form: is_form.then(|| form.freeze()),
        sha256: Cow::Owned(const_hex::encode(hasher.finalize())),
    })
}
