//! The API client: request signing, the products it calls (ECS, Resource Manager), typed
//! operations, errors and retries.

pub mod client;
pub mod delivery;
pub mod denial;
pub mod endpoint;
pub mod error;
pub mod lenient;
pub mod model;
pub mod operations;
mod paging;
pub mod power;
pub mod product;
pub mod provider;
pub mod redact;
pub mod retry;
pub mod sign;
pub mod sts;

pub use client::{Client, ClientConfig};
pub use delivery::{ACCEPTS_DRY_RUN, CopyRequest, ImageChange, share_calls, tag_calls};
pub use endpoint::Endpoint;
pub use error::{ApiError, ServiceError};
pub use operations::CreateImageAnswer;
pub use power::{StopOptions, StoppedMode};
pub use product::Product;
pub use provider::{CredentialProvider, SharedProvider};
pub use redact::Redactor;
pub use retry::RetryPolicy;
pub use sign::Credentials;
