//! An image that exists: what is known of its build, and how watch events, the image check and
//! DeleteImage answers update it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Build, End, LogLine, SubmitStep, Tone};
use crate::api::ApiError;
use crate::api::model::ImageQuery;
use crate::api::product::ECS;
use crate::tui::effect::Call;
use crate::tui::error_report::ErrorReport;
use crate::tui::msg::Loaded;
use crate::tui::restart::Why;
use crate::tui::steps::StepCtx;
use crate::watch::{WatchEnd, WatchEvent, format_duration};

/// Delay between two looks at the image check once the image is Available.
pub(super) const CHECK_POLL: Duration = Duration::from_secs(3);

impl Build {
    pub(super) fn log(&mut self, at: DateTime<Utc>, tone: Tone, text: impl Into<String>) {
        self.log.push(LogLine {
            at,
            tone,
            text: text.into(),
        });
    }

    /// Cancels the watch, the look at the image check and the delivery (which the next
    /// visit to the step finishes).
    pub(super) fn stop_polling(&mut self, ctx: &mut StepCtx) {
        let delivery = self.delivery.as_mut().and_then(|d| {
            let run = d.run;
            if run.is_some() {
                d.interrupt();
            }
            run
        });
        if delivery.is_some() {
            self.log(ctx.now, Tone::Warn, "Delivery stopped");
        }
        for id in [self.watch.take(), self.check_poll.take(), delivery]
            .into_iter()
            .flatten()
        {
            ctx.cancel(id);
        }
    }

    pub(super) fn building(&self) -> bool {
        self.end.is_none()
    }

    /// The delivery engine is at work.
    pub(super) fn delivering(&self) -> bool {
        self.delivery.as_ref().is_some_and(|d| d.running())
    }

    fn check_finished(&self) -> bool {
        self.image
            .as_ref()
            .is_some_and(|i| i.detection_options.status == "Finished")
    }

    /// The command that follows this build from a shell: `ecsimg watch <ImageId> --region R`
    /// (with `--endpoint` when the session used another one). `None` in the sandbox: its
    /// simulator, and the build, end with the wizard.
    pub(super) fn resume_command(&self) -> Option<String> {
        if self.sandbox {
            return None;
        }
        let mut command = format!("ecsimg watch {} --region {}", self.image_id, self.region);
        if self.endpoint != ECS.public_endpoint(&self.region).to_string() {
            command.push_str(&format!(" --endpoint {}", self.endpoint));
        }
        Some(command)
    }

    /// What happens to the build when the wizard stops watching it.
    pub(super) fn goes_on(&self) -> String {
        match self.resume_command() {
            Some(command) => {
                format!("The build goes on in ECS; `{command}` resumes watching from a shell.")
            }
            None => "The sandbox builds it only while the wizard runs: come back to step 7 to \
                     watch it; quitting ends the simulated build."
                .to_owned(),
        }
    }

    /// The status line after leaving the step while the image builds or is delivered.
    pub(super) fn leave_notice(&self) -> String {
        if !self.building() {
            return format!(
                "The delivery of {} stopped; the Submit step finishes it when you come back \
                 (what is done is skipped).",
                self.image_id
            );
        }
        match self.resume_command() {
            Some(command) => format!(
                "{} keeps building in ECS; step 7 or `{command}` resumes watching.",
                self.image_id
            ),
            None => format!(
                "{} keeps building in the sandbox while the wizard runs; step 7 watches it.",
                self.image_id
            ),
        }
    }
}

/// Seconds between two instants, for people.
pub(super) fn took(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format_duration((to - from).to_std().unwrap_or_default())
}

impl SubmitStep {
    pub(super) fn watch(build: &mut Build, delay: Duration, ctx: &mut StepCtx) {
        let call = Call::Watch {
            image_id: build.image_id.clone(),
        };
        build.watch = Some(ctx.call_after(call, delay));
    }

    pub(super) fn watched(build: &mut Build, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        let event = match result {
            Ok(Loaded::Watch(event)) => *event,
            Ok(_) => return,
            Err(error) => {
                build.watch = None;
                build.end = Some(End::Stopped(Box::new(ErrorReport::from_api(
                    "Watching", &error, true,
                ))));
                return;
            }
        };
        let now = ctx.now;
        match event {
            WatchEvent::Progress {
                image, remaining, ..
            } => {
                build.image = Some(image);
                build.remaining = remaining;
            }
            WatchEvent::StatusChanged { to, .. } => {
                if build.last_status.as_deref() != Some(to.as_str()) {
                    let text = match &build.last_status {
                        Some(from) => format!("Status {from} → {to}"),
                        None => format!("Status {to}"),
                    };
                    let tone = match to.as_str() {
                        "Available" => Tone::Good,
                        "CreateFailed" | "UnAvailable" => Tone::Bad,
                        _ => Tone::Info,
                    };
                    build.log(now, tone, text);
                    build.last_status = Some(to);
                }
            }
            WatchEvent::Retrying {
                error,
                delay,
                attempt,
            } => {
                let what = error
                    .code()
                    .map_or_else(|| error.to_string(), str::to_string);
                build.log(
                    now,
                    Tone::Warn,
                    format!(
                        "DescribeImages failed ({what}); retry {attempt} in {}",
                        format_duration(delay)
                    ),
                );
            }
            WatchEvent::NotVisibleYet { .. } => {
                if !build.said_invisible {
                    build.said_invisible = true;
                    build.log(
                        now,
                        Tone::Info,
                        "Not listed by DescribeImages yet (a new image can take a moment)",
                    );
                }
            }
            WatchEvent::Finished { outcome, .. } => {
                build.watch = None;
                Self::finished(build, outcome, ctx);
            }
        }
    }

    fn finished(build: &mut Build, outcome: WatchEnd, ctx: &mut StepCtx) {
        let now = ctx.now;
        match outcome {
            WatchEnd::Available(image) => {
                build.image = Some(image);
                build.ended_at = Some(now);
                build.end = Some(End::Available);
                build.log(
                    now,
                    Tone::Good,
                    format!("Available after {}", took(build.submitted_at, now)),
                );
                ctx.restart.offer(Why::ImageAvailable, &ctx.spec.region);
                if build.check_requested && !build.check_finished() {
                    build.log(now, Tone::Info, "Image check running");
                }
                Self::follow_check(build, Duration::ZERO, ctx);
                Self::deliver(build, ctx);
            }
            WatchEnd::Failed { image, reason } => {
                if image.is_some() {
                    build.image = image;
                }
                build.ended_at = Some(now);
                build.log(now, Tone::Bad, format!("Ended: {}", reason.status()));
                build.end = Some(End::Failed(reason));
                ctx.restart.offer(Why::ImageFailed, &ctx.spec.region);
            }
            WatchEnd::TimedOut { last } => {
                if last.is_some() {
                    build.image = last;
                }
                build.log(
                    now,
                    Tone::Warn,
                    "Stopped watching: the watch timeout passed",
                );
                build.end = Some(End::TimedOut);
            }
            WatchEnd::Error(error) => {
                build.log(now, Tone::Bad, format!("Stopped watching: {error}"));
                build.end = Some(End::Stopped(Box::new(ErrorReport::from_api(
                    "Watching", &error, true,
                ))));
            }
        }
    }

    /// Once the image is Available, the image check's findings come a little later: look at
    /// the image again (a plain DescribeImages; the build itself is over) until they are in.
    pub(super) fn follow_check(build: &mut Build, delay: Duration, ctx: &mut StepCtx) {
        if !build.check_requested || build.check_poll.is_some() {
            return;
        }
        if build.check_finished() {
            let items = build
                .image
                .as_ref()
                .map_or(0, |i| i.detection_options.items.item.len());
            build.log(
                ctx.now,
                Tone::Info,
                format!("Image check finished: {items} finding(s)"),
            );
        } else {
            let query = ImageQuery::watching([build.image_id.clone()]);
            build.check_poll = Some(ctx.call_after(Call::Images(query), delay));
        }
    }

    pub(super) fn checked(build: &mut Build, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        build.check_poll = None;
        match result {
            Ok(Loaded::Images(images)) => {
                if let Some(image) = images.into_iter().find(|i| i.image_id == build.image_id) {
                    build.image = Some(image);
                }
            }
            Ok(_) => return,
            Err(error) => {
                let what = error
                    .code()
                    .map_or_else(|| error.to_string(), str::to_string);
                build.log(
                    ctx.now,
                    Tone::Warn,
                    format!("Looking at the image check failed ({what}); trying again"),
                );
            }
        }
        Self::follow_check(build, CHECK_POLL, ctx);
    }

    pub(super) fn delete(build: &mut Build, ctx: &mut StepCtx) {
        build.deleting = Some(ctx.call(Call::DeleteImage {
            image_id: build.image_id.clone(),
        }));
        build.log(ctx.now, Tone::Warn, "DeleteImage sent");
    }

    pub(super) fn deleted(build: &mut Build, result: Result<Loaded, ApiError>, ctx: &mut StepCtx) {
        build.deleting = None;
        match result {
            Ok(Loaded::Deleted { request_id }) => {
                build.stop_polling(ctx);
                build.log(
                    ctx.now,
                    Tone::Warn,
                    format!("Deleted {} (RequestId {request_id})", build.image_id),
                );
                build.ended_at.get_or_insert(ctx.now);
                build.end = Some(End::Deleted { request_id });
            }
            Ok(_) => {}
            Err(error) => {
                build.log(ctx.now, Tone::Bad, format!("DeleteImage failed: {error}"));
                ctx.show_error("Deleting the image", &error, true);
            }
        }
    }
}
