//! The ECS client: request signing, typed operations, errors and retries.

pub mod client;
pub mod endpoint;
pub mod error;
pub mod model;
mod paging;
pub mod power;
pub mod redact;
pub mod retry;
pub mod sign;

pub use client::{Client, ClientConfig, CreateImageOutcome};
pub use endpoint::Endpoint;
pub use error::{ApiError, ServiceError};
pub use power::{StopOptions, StoppedMode};
pub use redact::Redactor;
pub use retry::RetryPolicy;
