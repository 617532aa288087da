//! A failed call as the error popup shows it: what was being done, the code's meaning and fix,
//! and the ids support asks for. State, shared by the app and the steps; the view draws it.

use crate::api::ApiError;
use crate::policy;

/// A failed call as shown in the error popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// What was being done ("Loading instances").
    pub doing: String,
    pub message: String,
    pub code: Option<String>,
    /// The code's plain-language meaning and fix, from `assets/errors.toml`.
    pub meaning: Option<String>,
    pub fix: Option<String>,
    /// For support: the RequestId and troubleshooting link.
    pub request_id: Option<String>,
    pub recommend: Option<String>,
    /// Whether `r` retries.
    pub retry: bool,
}

impl ErrorReport {
    pub fn from_api(doing: &str, error: &ApiError, retry: bool) -> ErrorReport {
        let explanation = error.explanation();
        let (message, recommend) = match error {
            ApiError::Service(e) => (
                format!("{}: {}", e.code, e.message),
                Some(e.recommend.clone()).filter(|r| !r.is_empty()),
            ),
            other => (other.to_string(), None),
        };
        // A permission refusal says what was missing and the statement that grants it.
        let denied = policy::explain(error);
        let meaning = match (&denied, explanation) {
            (Some(denied), Some(e)) => Some(format!("{} {}", e.meaning, denied.missing())),
            (Some(denied), None) => Some(denied.missing()),
            (None, e) => e.map(|e| e.meaning.clone()),
        };
        let fix = match &denied {
            Some(denied) => Some(denied.fix()),
            None => explanation.map(|e| e.fix.clone()),
        };
        ErrorReport {
            doing: doing.to_string(),
            message,
            code: error.code().map(str::to_string),
            meaning,
            fix,
            request_id: error.request_id().map(str::to_string),
            recommend,
            retry,
        }
    }
}
