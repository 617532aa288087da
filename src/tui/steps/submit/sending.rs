//! Sending CreateImage: the confirmations, the submission with the spec's ClientToken, and what
//! its answer makes of the step.

use std::time::Duration;

use super::delivery::Delivery;
use super::{Ask, Build, End, Params, Phase, SubmitStep, Tone};
use crate::api::{ApiError, CreateImageAnswer};
use crate::spec::to_params;
use crate::submission::Submitted;
use crate::tui::effect::{Call, SubmitCall};
use crate::tui::error_report::ErrorReport;
use crate::tui::msg::Loaded;
use crate::tui::steps::review::field_of_error;
use crate::tui::steps::{Reaction, StepCtx};

impl SubmitStep {
    pub(super) fn send(&mut self, params: Params, journaled: Option<String>, ctx: &mut StepCtx) {
        let id = ctx.call(Call::Submit(Box::new(SubmitCall {
            spec: ctx.spec.clone(),
            params: params.clone(),
            credential_source: self.target.credential_source.clone(),
            journaled,
        })));
        self.phase = Phase::Sending { id, params };
    }

    /// A new submission of the current answers.
    pub(super) fn submit(&mut self, ctx: &mut StepCtx) {
        // The review gives the spec its token; a spec that never went through it gets one here,
        // and keeps it.
        if ctx.spec.client_token.is_none() {
            ctx.spec.client_token = Some(uuid::Uuid::new_v4().to_string());
        }
        let params = to_params(ctx.spec);
        self.send(params, None, ctx);
    }

    /// Forgets the build or refusal and gives the answers a new ClientToken: the next submit
    /// is a request of its own (the explicit way to make another image from these answers).
    pub(super) fn new_request(&mut self, ctx: &mut StepCtx) {
        if let Phase::Building(build) = &mut self.phase {
            build.stop_polling(ctx);
            // The image made from these answers holds its name now: a new request with the
            // same name is a duplicate, flagged before it is sent.
            // (A deleted image gives its name back.)
            if let Some(name) = &build.name
                && !matches!(build.end, Some(End::Deleted { .. }))
            {
                ctx.facts.image_names_in_region.insert(name.clone());
            }
        }
        ctx.spec.client_token = Some(uuid::Uuid::new_v4().to_string());
        self.phase = Phase::Ready;
        ctx.notify("New ClientToken: the next submit is a new request.");
    }

    pub(super) fn submitted(&mut self, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let result = match result {
            Ok(Loaded::Submitted(submitted)) => Ok(*submitted),
            Ok(_) => return,
            Err(error) => Err(error),
        };
        let Phase::Sending { params, .. } = std::mem::replace(&mut self.phase, Phase::Ready) else {
            return;
        };
        let refused = |report: ErrorReport, field, params, journaled| Phase::Refused {
            report: Box::new(report),
            field,
            params,
            journaled,
        };
        // An ECS error: explained, and pointing at the field its code is about.
        let api_refused = |error: &ApiError, params: Params, journaled: Option<String>| {
            let field = field_of_error(error, ctx.spec);
            let report = ErrorReport::from_api("Submitting", error, true);
            refused(report, field, params, journaled)
        };
        self.phase = match result {
            Ok(submitted) => match submitted {
                Submitted::NotSent { reason } => refused(
                    ErrorReport {
                        doing: "Submitting".into(),
                        message: format!(
                            "Nothing was sent: the journal could not record the request ({reason})."
                        ),
                        code: None,
                        meaning: Some(
                            "ecsimg records every request before sending it, so no image is ever \
                             lost or built twice."
                                .into(),
                        ),
                        fix: Some(format!(
                            "Make the journal writable, or set {} to a writable file, then r.",
                            crate::journal::JOURNAL_ENV
                        )),
                        request_id: None,
                        recommend: None,
                        retry: true,
                    },
                    None,
                    params,
                    None,
                ),
                Submitted::Sent {
                    submission_id,
                    journal,
                    answer,
                    settled,
                    journal_problem,
                } => match answer {
                    Ok(CreateImageAnswer::Created {
                        image_id,
                        request_id,
                        client_token,
                    }) => {
                        let name = params
                            .iter()
                            .find(|(k, _)| k == "ImageName")
                            .map(|(_, v)| v.clone());
                        let delivery = Delivery::plan(ctx.spec, &submission_id);
                        let mut build = Build {
                            region: ctx.spec.region.clone(),
                            sandbox: self.target.sandbox,
                            endpoint: self.target.endpoint.clone(),
                            name,
                            image_id,
                            request_id,
                            client_token,
                            check_requested: params.iter().any(|(k, _)| k == "DetectionStrategy"),
                            params,
                            journal,
                            journal_problem,
                            submitted_at: ctx.now,
                            ended_at: None,
                            watch: None,
                            check_poll: None,
                            deleting: None,
                            image: None,
                            remaining: None,
                            last_status: None,
                            said_invisible: false,
                            log: Vec::new(),
                            end: None,
                            delivery,
                        };
                        build.log(
                            ctx.now,
                            Tone::Good,
                            format!(
                                "CreateImage accepted: {} (RequestId {})",
                                build.image_id, build.request_id
                            ),
                        );
                        if let Some(problem) = &build.journal_problem {
                            build.log(ctx.now, Tone::Warn, format!("Journal: {problem}"));
                        }
                        Self::watch(&mut build, Duration::ZERO, ctx);
                        Phase::Building(Box::new(build))
                    }
                    Ok(CreateImageAnswer::DryRunPassed { request_id }) => refused(
                        ErrorReport {
                            doing: "Submitting".into(),
                            message: format!(
                                "ECS answered DryRunOperation (RequestId {request_id}) to a real \
                                 request; no image was created."
                            ),
                            code: Some("DryRunOperation".into()),
                            meaning: None,
                            fix: Some("Check the --endpoint setting, then r.".into()),
                            request_id: Some(request_id),
                            recommend: None,
                            retry: true,
                        },
                        None,
                        params,
                        None,
                    ),
                    Err(error) => api_refused(&error, params, (!settled).then_some(submission_id)),
                },
            },
            Err(error) => api_refused(&error, params, None),
        };
    }

    /// The user said yes to `ask`.
    pub(super) fn confirmed(&mut self, ask: Ask, ctx: &mut StepCtx) -> Reaction {
        match (ask, &mut self.phase) {
            (Ask::Submit, Phase::Ready | Phase::Refused { .. }) => self.submit(ctx),
            (Ask::Delete, Phase::Building(build)) => Self::delete(build, ctx),
            (Ask::Leave, Phase::Building(build)) => {
                ctx.notify(build.leave_notice());
                return Reaction::Back;
            }
            _ => {}
        }
        Reaction::Handled
    }
}
