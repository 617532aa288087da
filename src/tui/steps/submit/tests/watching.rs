//! Following a build through the wizard: watch events, the progress pane, the image check,
//! DeleteImage, leaving and quitting.

use chrono::TimeDelta;

use super::*;
use crate::api::model::{DetectionItem, DetectionOptions, DiskDeviceMapping, Image, ImageQuery};
use crate::tui::app::Overlay;
use crate::tui::effect::Effect;
use crate::tui::msg::Msg;
use crate::tui::steps::submit::build::CHECK_POLL;
use crate::tui::update::update;
use crate::watch::{FailureReason, WatchEnd, WatchEvent};

pub(super) const IMAGE: &str = "m-bp1fyq7bo2ye0xkc9b1n";
const REQUEST: &str = "C8B26B44-0189-443E-9816-D951F59623A9";

pub(super) fn tick(app: &mut App, seconds: i64) {
    update(app, Msg::Tick(now() + TimeDelta::seconds(seconds)));
}

pub(super) fn created() -> Result<Loaded, ApiError> {
    sent(
        Ok(CreateImageAnswer::Created {
            image_id: IMAGE.into(),
            request_id: REQUEST.into(),
            client_token: TOKEN.into(),
        }),
        true,
    )
}

/// Submitted and accepted; returns the watch's id.
pub(super) fn building(app: &mut App) -> RequestId {
    let (id, _) = submit(app);
    tick(app, 1);
    match only_call(&answer(app, id, created())) {
        (watch, Call::Watch { image_id }) => {
            assert_eq!(image_id, IMAGE);
            watch
        }
        other => panic!("a watch, got {other:?}"),
    }
}

fn disk(
    device: &str,
    snapshot: &str,
    size: &str,
    progress: &str,
    remain: u64,
) -> DiskDeviceMapping {
    DiskDeviceMapping {
        snapshot_id: snapshot.into(),
        device: device.into(),
        disk_type: if device == "/dev/xvda" {
            "system"
        } else {
            "data"
        }
        .into(),
        size: size.into(),
        progress: progress.into(),
        remain_time: remain,
        ..DiskDeviceMapping::default()
    }
}

pub(super) fn image(status: &str, progress: &str) -> Image {
    let mut image = Image {
        image_id: IMAGE.into(),
        image_name: "db-golden".into(),
        status: status.into(),
        progress: progress.into(),
        size: 40,
        architecture: "x86_64".into(),
        platform: "Aliyun".into(),
        boot_mode: "UEFI".into(),
        usable: status == "Available",
        ..Image::default()
    };
    image.features.imds_support = "v2".into();
    let done = status == "Available";
    // Each disk mid-build: (device, snapshot, size, progress, seconds left); all done once
    // Available.
    image.disk_device_mappings.disk_device_mapping = [
        ("/dev/xvda", "s-bp1k4wd2j0qmz7h5x3cv", "40", "62%", 8),
        ("/dev/xvdb", "s-bp1k4wd2j0qmz7h5x3dw", "100", "25%", 15),
    ]
    .into_iter()
    .map(|(device, snapshot, size, progress, remain)| {
        if done {
            disk(device, snapshot, size, "100%", 0)
        } else {
            disk(device, snapshot, size, progress, remain)
        }
    })
    .collect();
    image
}

pub(super) fn event(app: &mut App, id: RequestId, event: WatchEvent) -> Vec<Effect> {
    answer(app, id, Ok(Loaded::Watch(Box::new(event))))
}

fn status(app: &mut App, id: RequestId, from: Option<&str>, to: &str) {
    event(
        app,
        id,
        WatchEvent::StatusChanged {
            image_id: IMAGE.into(),
            from: from.map(str::to_string),
            to: to.into(),
            elapsed: Duration::ZERO,
        },
    );
}

fn progress(app: &mut App, id: RequestId, image: Image, remaining: Option<u64>) {
    event(
        app,
        id,
        WatchEvent::Progress {
            image_id: IMAGE.into(),
            image,
            elapsed: Duration::ZERO,
            remaining: remaining.map(Duration::from_secs),
        },
    );
}

pub(super) fn finished(app: &mut App, id: RequestId, outcome: WatchEnd) -> Vec<Effect> {
    event(
        app,
        id,
        WatchEvent::Finished {
            image_id: IMAGE.into(),
            outcome,
            elapsed: Duration::ZERO,
        },
    )
}

/// Mid-build: Creating at 45 %, one throttled poll, 65 s after the submission.
pub(super) fn mid_build() -> (App, RequestId) {
    mid_build_in(session())
}

/// [`mid_build`] in `session` (the sandbox, or a real account).
fn mid_build_in(session: crate::tui::launch::Connection) -> (App, RequestId) {
    let mut app = at_submit_in(session);
    let watch = building(&mut app);
    tick(&mut app, 2);
    status(&mut app, watch, None, "Creating");
    progress(&mut app, watch, image("Creating", "12%"), None);
    tick(&mut app, 31);
    event(
        &mut app,
        watch,
        WatchEvent::Retrying {
            error: service_error(
                "Throttling",
                "Request was denied due to request throttling.",
            ),
            delay: Duration::from_secs(10),
            attempt: 1,
        },
    );
    tick(&mut app, 65);
    progress(&mut app, watch, image("Creating", "45%"), Some(80));
    (app, watch)
}

#[test]
fn the_image_id_and_request_id_show_and_the_watch_starts() {
    let mut app = at_submit();
    building(&mut app);
    let text = flat(&app, 80, 24);
    assert_shows(
        &text,
        &[
            &format!("Image {IMAGE}"),
            &format!("RequestId {REQUEST}"),
            "CreateImage accepted",
        ],
    );
    assert_eq!(app.steps.submit.image_id(), Some(IMAGE));
}

#[test]
fn progress_pane_mid_build() {
    let (app, _) = mid_build();
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "Creating",
            " 45%",
            "elapsed 1m04s · about 1m20s left",
            "/dev/xvda s-bp1k4wd2j0qmz7h5x3cv 40 GiB",
            "62% 8s",
            "10:00:02 Status Creating",
            "10:00:31 DescribeImages failed (Throttling); retry 1 in 10s",
            "Image check (Standard) Requested",
        ],
    );
    insta::assert_snapshot!("progress_mid_build_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("progress_mid_build_160x48", render(&app, 160, 48));
}

#[test]
fn available_shows_the_summary_the_launch_command_and_the_check() {
    let (mut app, watch) = mid_build();
    tick(&mut app, 90);
    status(&mut app, watch, Some("Creating"), "Available");
    let mut done = image("Available", "100%");
    done.detection_options.status = "Processing".into();
    let effects = finished(&mut app, watch, WatchEnd::Available(done.clone()));
    // The check is still running: look at the image again (the build is over).
    let (look, call) = only_call(&effects);
    assert_eq!(call, Call::Images(ImageQuery::watching([IMAGE])));
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "✓ Available: built in 1m29s.",
            &format!(
                "aliyun ecs RunInstances --RegionId cn-hangzhou \\ --ImageId {IMAGE} \\ --InstanceType \"$INSTANCE_TYPE\""
            ),
            "Processing: findings appear",
        ],
    );
    tick(&mut app, 93);
    let effects = answer(&mut app, look, Ok(Loaded::Images(vec![done.clone()])));
    let (again, _) = only_call(&effects);
    assert!(matches!(effects[0], Effect::Call { delay, .. } if delay == CHECK_POLL));
    tick(&mut app, 95);
    done.detection_options = DetectionOptions {
        status: "Finished".into(),
        items: vec![
            DetectionItem {
                name: "CloudAssistant".into(),
                value: "NotInstalled".into(),
                risk_level: "Medium".into(),
                risk_code: "CloudAssistant.NotInstalled".into(),
            },
            DetectionItem {
                name: "NVMeDriver".into(),
                value: "Missing".into(),
                risk_level: "High".into(),
                risk_code: "NVMe.DriverNotFound".into(),
            },
        ]
        .into(),
    };
    assert!(
        calls(&answer(&mut app, again, Ok(Loaded::Images(vec![done])))).is_empty(),
        "the check is done"
    );
    assert!(!app.busy());
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "High NVMeDriver = Missing (NVMe.DriverNotFound)",
            "High: instances launched from this image may fail to start",
            "Image check finished: 2 finding(s)",
        ],
    );
    assert_eq!(
        text.matches("Status Creating → Available").count(),
        1,
        "logged once: {text}"
    );
    assert!(
        text.contains("built in 1m29s"),
        "the time stops at Available: {text}"
    );
    insta::assert_snapshot!("progress_available_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("progress_available_160x48", render(&app, 160, 48));
}

#[test]
fn create_failed_and_unavailable_say_what_they_mean_and_what_to_try() {
    for (reason, name) in [
        (FailureReason::CreateFailed, "create_failed"),
        (FailureReason::UnAvailable, "unavailable"),
    ] {
        let (mut app, watch) = mid_build();
        tick(&mut app, 70);
        let status_text = reason.status();
        status(&mut app, watch, Some("Creating"), status_text);
        let failed = image(status_text, "60%");
        finished(
            &mut app,
            watch,
            WatchEnd::Failed {
                image: Some(failed),
                reason: reason.clone(),
            },
        );
        let text = flat(&app, 160, 48);
        assert_shows(
            &text,
            &[
                &format!("✗ {status_text} at 60%, after 1m09s."),
                &reason
                    .meaning()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                "What to try:",
                "x deletes the failed image",
            ],
        );
        // The advice names the real image, never a placeholder.
        let advice = reason.advice(IMAGE);
        assert!(advice.contains(IMAGE), "{advice}");
        assert!(!advice.contains(" ID`"), "{advice}");
        assert_shows(
            &text,
            &[&advice.split_whitespace().collect::<Vec<_>>().join(" ")],
        );
        assert!(!app.busy());
        insta::assert_snapshot!(format!("progress_{name}_80x24"), render(&app, 80, 24));
        insta::assert_snapshot!(format!("progress_{name}_160x48"), render(&app, 160, 48));
    }
}

#[test]
fn abort_is_explicit_and_names_the_image() {
    let (mut app, watch) = mid_build();
    assert!(key(&mut app, KeyCode::Char('x')).is_empty());
    let text = flat(&app, 80, 24);
    assert!(
        text.contains(&format!("Delete image {IMAGE} now?")),
        "{text}"
    );
    assert!(key(&mut app, KeyCode::Char('n')).is_empty(), "n keeps it");
    key(&mut app, KeyCode::Char('x'));
    let (id, call) = only_call(&key(&mut app, KeyCode::Char('y')));
    assert_eq!(
        call,
        Call::DeleteImage {
            image_id: IMAGE.into()
        }
    );
    let effects = answer(
        &mut app,
        id,
        Ok(Loaded::Deleted {
            request_id: REQUEST.into(),
        }),
    );
    assert!(
        effects.contains(&Effect::Cancel(watch)),
        "the watch stops: {effects:?}"
    );
    let text = flat(&app, 80, 24);
    assert!(
        text.contains(&format!("Deleted (RequestId {REQUEST})")),
        "{text}"
    );
    assert!(!app.busy());
}

#[test]
fn after_a_delete_the_header_says_deleted_and_the_disks_stop() {
    let (mut app, _) = mid_build();
    let rows = |app: &App| screen_text(app, 80, 24);
    assert!(rows(&app).contains("8s"), "{}", rows(&app));
    key(&mut app, KeyCode::Char('x'));
    let (id, _) = only_call(&key(&mut app, KeyCode::Char('y')));
    answer(
        &mut app,
        id,
        Ok(Loaded::Deleted {
            request_id: REQUEST.into(),
        }),
    );
    let before = rows(&app);
    let header = before
        .lines()
        .find(|l| l.contains(&format!("Image {IMAGE}")))
        .unwrap_or_default();
    assert!(header.contains("Deleted"), "{header}");
    assert!(!header.contains("Creating"), "{header}");
    let disk = before
        .lines()
        .find(|l| l.contains("/dev/xvda"))
        .unwrap_or_default();
    assert!(disk.trim_end().ends_with('—'), "no time left: {disk}");
    // Time passing changes nothing on a deleted image.
    tick(&mut app, 200);
    assert_eq!(rows(&app), before);
}

#[test]
fn a_failed_delete_is_explained_and_retried() {
    let (mut app, _) = mid_build();
    key(&mut app, KeyCode::Char('x'));
    let (id, _) = only_call(&key(&mut app, KeyCode::Char('y')));
    answer(
        &mut app,
        id,
        Err(service_error(
            "ImageUsingByInstance",
            "The specified image is being used by instances.",
        )),
    );
    let Some(Overlay::Error { report, .. }) = &app.overlay else {
        panic!("an error popup")
    };
    assert_eq!(report.code.as_deref(), Some("ImageUsingByInstance"));
    let (_, call) = only_call(&key(&mut app, KeyCode::Char('r')));
    assert_eq!(
        call,
        Call::DeleteImage {
            image_id: IMAGE.into()
        }
    );
}

#[test]
fn leaving_while_it_builds_says_how_to_resume() {
    let (mut app, watch) = mid_build_in(real_session());
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    let text = flat(&app, 80, 24);
    assert_shows(
        &text,
        &[
            "Leave while it builds?",
            "keeps building in ECS when you",
            &format!("{IMAGE} --region cn-hangzhou`"),
        ],
    );
    insta::assert_snapshot!("progress_leave_80x24", render(&app, 80, 24));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.step, Step::Submit);
    key(&mut app, KeyCode::Esc);
    let effects = key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.step, Step::Review);
    assert!(effects.contains(&Effect::Cancel(watch)), "{effects:?}");
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains(&format!("ecsimg watch {IMAGE}"))),
        "{:?}",
        app.notice
    );
    // Coming back watches again.
    let effects = ctrl(&mut app, 'n');
    assert!(
        calls(&effects).iter().any(|(_, c)| *c
            == Call::Watch {
                image_id: IMAGE.into()
            }),
        "{effects:?}"
    );
}

#[test]
fn leaving_the_sandbox_build_names_no_command_that_cannot_work() {
    let (mut app, _) = mid_build();
    key(&mut app, KeyCode::Esc);
    let text = flat(&app, 80, 24);
    assert_shows(
        &text,
        &[
            "keeps building in the sandbox while",
            "Quitting the wizard ends the sandbox",
        ],
    );
    assert!(!text.contains("ecsimg watch"), "{text}");
    key(&mut app, KeyCode::Char('y'));
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("in the sandbox"), "{notice}");
    assert!(!notice.contains("ecsimg watch"), "{notice}");
}

#[test]
fn quitting_asks_first_while_a_submission_is_in_flight() {
    let mut app = at_submit_in(real_session());
    submit(&mut app);
    assert!(ctrl(&mut app, 'c').is_empty());
    assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    let warning = app.steps.submit.quit_warning().expect("a reason to ask");
    assert!(warning.contains("CreateImage is on its way"), "{warning}");
    assert!(warning.contains("`ecsimg watch --resume`"), "{warning}");
    assert!(flat(&app, 80, 24).contains("CreateImage is on its way"));
    key(&mut app, KeyCode::Char('n'));
    assert!(!app.quit);

    let (mut app, _) = mid_build_in(real_session());
    ctrl(&mut app, 'c');
    let warning = app.steps.submit.quit_warning().expect("a reason to ask");
    assert!(
        warning.contains(&format!(
            "Image {IMAGE} is still being built. Quitting stops only this wizard's polling"
        )),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("`ecsimg watch {IMAGE} --region cn-hangzhou`")),
        "{warning}"
    );
    assert!(flat(&app, 80, 24).contains("is still being built."));
    assert_eq!(key(&mut app, KeyCode::Char('y')), vec![Effect::Quit]);
}

#[test]
fn the_sandbox_quit_dialog_says_the_build_ends_with_the_wizard() {
    let (mut app, _) = mid_build();
    ctrl(&mut app, 'c');
    let text = flat(&app, 80, 24);
    assert_shows(
        &text,
        &["ends with the wizard", "`ecsimg --sandbox history`"],
    );
    // Not both "goes on" and "come back": the sandbox ends with the wizard.
    assert!(!text.contains("goes on"), "{text}");
    assert!(!text.contains("come back to step 7"), "{text}");
    assert!(!text.contains("ecsimg watch"), "{text}");
}

#[test]
fn a_timed_out_watch_leaves_the_build_alone_and_can_watch_again() {
    let (mut app, watch) = mid_build_in(real_session());
    finished(
        &mut app,
        watch,
        WatchEnd::TimedOut {
            last: Some(image("Creating", "45%")),
        },
    );
    let text = flat(&app, 80, 40);
    assert_shows(
        &text,
        &[
            "the watch timeout ([watch] timeout in the config) passed",
            "w watches again. The build goes on in ECS",
        ],
    );
    let (_, call) = only_call(&key(&mut app, KeyCode::Char('w')));
    assert_eq!(
        call,
        Call::Watch {
            image_id: IMAGE.into()
        }
    );
}

#[test]
fn only_a_plain_y_confirms() {
    let (mut app, _) = mid_build();
    key(&mut app, KeyCode::Char('x'));
    assert!(calls(&ctrl(&mut app, 'y')).is_empty(), "^Y is not y");
    ctrl(&mut app, 'n');
    assert_eq!(app.steps.submit.ask, Some(Ask::Delete), "^N is not n");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.steps.submit.ask,
        Some(Ask::Delete),
        "other keys keep asking"
    );
    assert!(matches!(
        only_call(&key(&mut app, KeyCode::Char('y'))).1,
        Call::DeleteImage { .. }
    ));
}

#[test]
fn a_new_request_knows_the_name_the_last_one_took() {
    let (mut app, watch) = mid_build();
    status(&mut app, watch, Some("Creating"), "Available");
    finished(
        &mut app,
        watch,
        WatchEnd::Available(image("Available", "100%")),
    );
    assert!(app.findings.iter().all(|f| f.field != Field::ImageName));
    // Done: the step bar says so once the user looks elsewhere.
    ctrl(&mut app, 'p');
    let bar = screen_text(&app, 80, 24)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(bar.contains("7 Submit ✓"), "{bar}");
    ctrl(&mut app, 'n');
    key(&mut app, KeyCode::Char('n'));
    let duplicate = app
        .findings
        .iter()
        .find(|f| f.code == Some("InvalidImageName.Duplicated"))
        .expect("the name is taken now");
    assert_eq!(duplicate.field, Field::ImageName);
    // Submitting again is blocked until the name changes.
    key(&mut app, KeyCode::Enter);
    assert!(app.steps.submit.ask.is_none());
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("Fix the 1 problem(s) first"), "{notice}");
}

#[test]
fn the_farewell_names_the_image_its_status_and_how_to_resume() {
    let (app, _) = mid_build_in(real_session());
    let farewell = app.farewell().expect("an image was submitted");
    assert_eq!(farewell.image_id.as_deref(), Some(IMAGE));
    assert_eq!(farewell.status, "Creating 45%");
    assert_eq!(
        farewell.resume.as_deref(),
        Some(format!("ecsimg watch {IMAGE} --region cn-hangzhou").as_str())
    );
    let text = farewell.to_string();
    assert!(
        text.contains(&format!("Image {IMAGE}: Creating 45%.")),
        "{text}"
    );
    assert!(text.contains("The build goes on in ECS"), "{text}");

    // Another endpoint is named too, so the command finds the image.
    let mut session = real_session();
    session.endpoint = "https://ecs.internal.example.com".into();
    let (app, _) = mid_build_in(session);
    let resume = app.farewell().and_then(|f| f.resume).unwrap_or_default();
    assert!(
        resume.ends_with("--region cn-hangzhou --endpoint https://ecs.internal.example.com"),
        "{resume}"
    );

    // The sandbox's build ended with it: no command that cannot work.
    let (app, _) = mid_build();
    let farewell = app.farewell().expect("an image was submitted");
    assert_eq!(farewell.resume, None);
    let text = farewell.to_string();
    assert!(text.contains("ended with the wizard"), "{text}");
    assert!(text.contains("`ecsimg --sandbox history`"), "{text}");
    assert!(!text.contains("goes on"), "{text}");

    // Sent, never answered: the journal recovers it.
    let mut app = at_submit_in(real_session());
    submit(&mut app);
    let farewell = app.farewell().expect("a submission");
    assert_eq!(farewell.image_id, None);
    assert_eq!(farewell.resume.as_deref(), Some("ecsimg watch --resume"));

    // Nothing submitted: nothing to say.
    assert_eq!(at_submit().farewell(), None);
}
