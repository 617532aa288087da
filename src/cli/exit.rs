//! Exit codes, and the failure type commands return so `main` can print it and pick the code.

use std::fmt;

use crate::api::ApiError;
use crate::policy;

/// What the process tells its caller. Scripts branch on these, so they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done: the image is Available (or the command had nothing to wait for).
    Success,
    /// Something local broke: the journal could not be written, the terminal failed.
    Failure,
    /// Invalid input: the recipe, arguments, config or credentials need fixing.
    InvalidInput,
    /// The ECS API refused or failed the request.
    Api,
    /// The image build ended in CreateFailed or UnAvailable (or the image was not found).
    BuildFailed,
    /// A wait timed out: the image is still being built, or an instance did not reach
    /// Stopped or Running in time.
    TimedOut,
    /// The image is Available but one or more delivery actions (`[delivery]`) failed; the
    /// others went ahead.
    DeliveryFailed,
    /// Interrupted by SIGINT or SIGTERM; the build, if submitted, goes on.
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::InvalidInput => 2,
            Exit::Api => 3,
            Exit::BuildFailed => 4,
            Exit::TimedOut => 5,
            Exit::DeliveryFailed => 6,
            Exit::Interrupted => 130,
        }
    }

    /// The more important of two results of one command watching several images: a failed
    /// build outranks an API error, which outranks a timeout, which outranks success.
    pub fn worst(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Success => 0,
            Exit::TimedOut => 1,
            Exit::DeliveryFailed => 2,
            Exit::Api => 3,
            Exit::BuildFailed => 4,
            Exit::Failure => 5,
            Exit::InvalidInput => 6,
            Exit::Interrupted => 7,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// The exit codes as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success (the image is Available, or nothing to wait for)
  1    local failure (journal or terminal)
  2    invalid input: recipe, arguments, config or credentials
  3    ECS API error (for create --dry-run: CreateImage or a delivery
       call refused)
  4    image build failed (CreateFailed, UnAvailable, not found)
  5    a wait timed out (the image keeps building, or an instance did not
       reach Stopped or Running in time)
  6    the image is Available but a delivery action failed ([delivery]:
       copy, share, snapshot tags, retirement); the others went ahead
       (the wizard too, when quit after such a delivery)
  130  interrupted (SIGINT/SIGTERM); a submitted build goes on";

/// A command that could not do its job: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }

    pub fn input(message: impl fmt::Display) -> Failure {
        Failure::new(Exit::InvalidInput, message.to_string())
    }

    pub fn local(message: impl fmt::Display) -> Failure {
        Failure::new(Exit::Failure, message.to_string())
    }

    /// An API error with what it means, how to fix it and the ids support asks for.
    pub fn api(context: &str, error: &ApiError) -> Failure {
        Failure::new(
            Exit::Api,
            format!("{context}: {}", describe_api_error(error)),
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The error, then (when `assets/errors.toml` knows the code) its meaning, the fix and the
/// field to change, then the troubleshooting link.
pub fn describe_api_error(error: &ApiError) -> String {
    let mut text = error.to_string();
    if let Some(denied) = policy::explain(error) {
        let meaning = error
            .explanation()
            .map(|e| format!("{} ", e.meaning))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n  what it means: {meaning}{}\n  what to do: {}",
            denied.missing(),
            denied.fix()
        ));
    } else if let Some(explanation) = error.explanation() {
        text.push_str(&format!(
            "\n  what it means: {}\n  what to do: {}",
            explanation.meaning, explanation.fix
        ));
        if let Some(field) = &explanation.field {
            text.push_str(&format!("\n  recipe field: {field}"));
        }
    }
    if let ApiError::Service(service) = error
        && !service.recommend.is_empty()
    {
        text.push_str(&format!("\n  troubleshooting: {}", service.recommend));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ServiceError;

    #[test]
    fn codes_are_the_documented_ones() {
        let all = [
            (Exit::Success, 0),
            (Exit::Failure, 1),
            (Exit::InvalidInput, 2),
            (Exit::Api, 3),
            (Exit::BuildFailed, 4),
            (Exit::TimedOut, 5),
            (Exit::DeliveryFailed, 6),
            (Exit::Interrupted, 130),
        ];
        for (exit, code) in all {
            assert_eq!(exit.code(), code);
            assert!(
                EXIT_CODES_HELP.contains(&format!("\n  {code} ")),
                "{code} is documented"
            );
        }
    }

    #[test]
    fn the_worst_result_wins() {
        assert_eq!(Exit::Success.worst(Exit::TimedOut), Exit::TimedOut);
        assert_eq!(Exit::BuildFailed.worst(Exit::TimedOut), Exit::BuildFailed);
        assert_eq!(Exit::TimedOut.worst(Exit::Api), Exit::Api);
        assert_eq!(Exit::Api.worst(Exit::BuildFailed), Exit::BuildFailed);
        assert_eq!(Exit::Success.worst(Exit::Success), Exit::Success);
    }

    #[test]
    fn api_errors_come_with_their_explanation() {
        let error = ApiError::Service(Box::new(ServiceError {
            http_status: 404,
            code: "InvalidInstanceId.NotFound".into(),
            message: "The specified InstanceId does not exist.".into(),
            request_id: "REQ-1".into(),
            recommend: "https://api.aliyun.com/troubleshoot?q=x".into(),
            host_id: String::new(),
            retry_after: None,
            access_denied: None,
            refused: None,
        }));
        let failure = Failure::api("CreateImage failed", &error);
        assert_eq!(failure.exit, Exit::Api);
        let text = failure.to_string();
        assert!(
            text.starts_with("CreateImage failed: InvalidInstanceId.NotFound"),
            "{text}"
        );
        assert!(text.contains("REQ-1"), "{text}");
        assert!(text.contains("what to do: "), "{text}");
        assert!(
            text.contains("troubleshooting: https://api.aliyun.com"),
            "{text}"
        );
    }

    #[test]
    fn permission_refusals_name_the_action_and_the_statement_to_add() {
        let body = br#"{"Code":"Forbidden.RAM","Message":"User not authorized to operate on the specified resource, or this API doesn't support RAM.","RequestId":"R-1",
            "AccessDeniedDetail":{"AuthAction":"ecs:StopInstances","NoPermissionType":"ImplicitDeny"}}"#;
        let params = vec![
            ("RegionId".to_string(), "cn-hangzhou".to_string()),
            ("InstanceId.1".to_string(), "i-1".to_string()),
        ];
        let error = ApiError::from_response(403, None, body, &crate::api::Redactor::default())
            .for_call("StopInstances", &params);
        let text = Failure::api("StopInstances failed", &error).to_string();
        assert!(
            text.contains(
                "Missing permission: ecs:StopInstances on acs:ecs:cn-hangzhou:*:instance/i-1."
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"{"Effect":"Allow","Action":"ecs:StopInstances","Resource":"acs:ecs:cn-hangzhou:*:instance/i-1"}"#
            ),
            "{text}"
        );
    }
}
