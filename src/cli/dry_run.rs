//! `ecsimg create --dry-run`: ECS checks the CreateImage request, then every call of the
//! recipe's `[delivery]` that takes DryRun (`crate::delivery::dry_run`, as the wizard's review
//! does); nothing is created. One line per delivery check (a JSON object with `--output
//! json`), a refusal explained as any API error; any refusal exits 3, "the ECS API refused".

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::deliver::regional_clients;
use super::exit::{Exit, Failure, describe_api_error};
use super::output::{OutputFormat, Progress, print_json};
use crate::api::{ApiError, Client, CreateImageAnswer};
use crate::delivery::{Check, CheckOutcome};
use crate::session::Session;
use crate::spec::ImageSpec;

/// What the DryRun needs from `create`.
pub struct DryRun<'a> {
    pub spec: &'a ImageSpec,
    pub session: &'a Session,
    /// The client of the recipe's region, cancelled by the interrupt.
    pub client: &'a Client,
    pub format: OutputFormat,
    pub interrupt: &'a CancellationToken,
}

impl DryRun<'_> {
    /// Sends CreateImage's `params` with DryRun, then checks the delivery.
    pub async fn run(
        &self,
        mut params: Vec<(String, String)>,
        progress: &mut Progress,
    ) -> Result<Exit, Failure> {
        params.push(("DryRun".into(), "true".into()));
        let refused = match self.client.create_image(&params).await {
            Ok(CreateImageAnswer::DryRunPassed { request_id }) => {
                match self.format {
                    OutputFormat::Json => print_json(&json!({
                        "event": "dry_run_passed", "request_id": request_id,
                    })),
                    OutputFormat::Text => progress.note(&format!(
                        "DryRun passed: ECS accepted the request (RequestId {request_id}). \
                         Nothing was created."
                    )),
                }
                None
            }
            Ok(CreateImageAnswer::Created { image_id, .. }) => {
                return Err(Failure::new(
                    Exit::Api,
                    format!(
                        "the endpoint ignored DryRun and created image {image_id}; delete it if \
                         it is not wanted"
                    ),
                ));
            }
            Err(ApiError::Cancelled) => return Err(interrupted()),
            // ECS answered: the delivery is checked all the same, every refusal at once.
            Err(e @ ApiError::Service(_)) => Some(e),
            // No answer (the network, a timeout): the delivery's calls would fare no better.
            Err(e) => return Err(Failure::api("DryRun failed", &e)),
        };
        let checks = self.delivery(progress).await;
        if self.interrupt.is_cancelled() {
            return Err(interrupted());
        }
        let failed = checks.iter().filter(|c| c.outcome.failed()).count();
        let checked = checks
            .iter()
            .filter(|c| !matches!(c.outcome, CheckOutcome::NotChecked(_)))
            .count();
        let delivery = match failed {
            0 => String::new(),
            n => format!("{n} of the delivery's {checked} checked call(s) refused (above)"),
        };
        match (refused, delivery.is_empty()) {
            (None, true) => Ok(Exit::Success),
            (None, false) => Err(Failure::new(
                Exit::Api,
                format!("DryRun failed: {delivery}; nothing was created"),
            )),
            (Some(e), true) => Err(Failure::api("DryRun failed", &e)),
            (Some(e), false) => Err(Failure::new(
                Exit::Api,
                format!(
                    "DryRun failed: {}\n{delivery}; nothing was created",
                    describe_api_error(&e)
                ),
            )),
        }
    }

    /// The delivery's checks, shown in the plan's order once all have answered.
    async fn delivery(&self, progress: &mut Progress) -> Vec<Check> {
        if self.spec.delivery.as_ref().is_none_or(|d| d.is_empty()) {
            return Vec::new();
        }
        let regional = regional_clients(self.session, self.spec);
        let clients = |region: &str| {
            regional
                .get(region)
                .map(|c| c.with_cancel(self.interrupt.clone()))
        };
        let checks = crate::delivery::dry_run(self.spec, &clients).await;
        if self.interrupt.is_cancelled() {
            return checks;
        }
        for check in &checks {
            match self.format {
                OutputFormat::Json => print_json(&check_json(check)),
                OutputFormat::Text => progress.note(&check_line(check)),
            }
        }
        if self.format == OutputFormat::Text {
            progress.note(&summary(&checks));
        }
        checks
    }
}

fn interrupted() -> Failure {
    Failure::new(
        Exit::Interrupted,
        "interrupted; the DryRun was abandoned and nothing was created",
    )
}

/// `delivery check: CopyImage, copy to cn-beijing: passed (RequestId …)`.
fn check_line(check: &Check) -> String {
    let outcome = match (&check.outcome, check.outcome.request_id()) {
        (CheckOutcome::Failed(e), _) => format!("REFUSED: {}", describe_api_error(e)),
        (other, Some(request_id)) => format!("{} (RequestId {request_id})", other.words()),
        (other, None) => other.words(),
    };
    format!(
        "delivery check: {}, {}: {outcome}",
        check.operation, check.what
    )
}

fn check_json(check: &Check) -> Value {
    let (result, reason, code) = match &check.outcome {
        CheckOutcome::Passed { .. } => ("passed", None, None),
        CheckOutcome::PassedBeforeImage { .. } => ("passed_before_image", None, None),
        CheckOutcome::NotChecked(why) => ("not_checked", Some(why.clone()), None),
        CheckOutcome::Failed(e) => ("refused", Some(describe_api_error(e)), e.code()),
    };
    let request_id = check.outcome.request_id();
    json!({
        "event": "delivery_check", "operation": check.operation, "region": check.region,
        "what": check.what, "result": result, "request_id": request_id, "reason": reason,
        "code": code,
    })
}

/// `delivery DryRun: 5 passed, 2 not checked, 0 refused`.
fn summary(checks: &[Check]) -> String {
    let count = |f: fn(&CheckOutcome) -> bool| checks.iter().filter(|c| f(&c.outcome)).count();
    format!(
        "delivery DryRun: {} passed, {} not checked, {} refused",
        count(|o| matches!(
            o,
            CheckOutcome::Passed { .. } | CheckOutcome::PassedBeforeImage { .. }
        )),
        count(|o| matches!(o, CheckOutcome::NotChecked(_))),
        count(CheckOutcome::failed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: CheckOutcome) -> Check {
        Check {
            operation: "CopyImage",
            region: "cn-hangzhou".into(),
            what: "copy to cn-beijing".into(),
            outcome,
        }
    }

    #[test]
    fn each_outcome_has_its_line_and_json_result() {
        let cases = [
            (
                CheckOutcome::Passed {
                    request_id: "R-1".into(),
                },
                "delivery check: CopyImage, copy to cn-beijing: passed (RequestId R-1)",
                "passed",
            ),
            (
                CheckOutcome::PassedBeforeImage {
                    request_id: "R-2".into(),
                },
                "delivery check: CopyImage, copy to cn-beijing: passed what can be checked \
                 before the image exists (RequestId R-2)",
                "passed_before_image",
            ),
            (
                CheckOutcome::NotChecked("TagResources takes no DryRun".into()),
                "delivery check: CopyImage, copy to cn-beijing: not checked: TagResources \
                 takes no DryRun",
                "not_checked",
            ),
        ];
        for (outcome, line, result) in cases {
            let check = check(outcome);
            assert_eq!(check_line(&check), line);
            let value = check_json(&check);
            assert_eq!(value["result"], result);
            assert_eq!(value["region"], "cn-hangzhou");
        }
    }

    #[test]
    fn the_summary_counts_each_kind() {
        let checks = [
            check(CheckOutcome::Passed {
                request_id: "R".into(),
            }),
            check(CheckOutcome::PassedBeforeImage {
                request_id: "R".into(),
            }),
            check(CheckOutcome::NotChecked("no DryRun".into())),
            check(CheckOutcome::Failed(ApiError::Cancelled)),
        ];
        assert_eq!(
            summary(&checks),
            "delivery DryRun: 2 passed, 1 not checked, 1 refused"
        );
    }
}
