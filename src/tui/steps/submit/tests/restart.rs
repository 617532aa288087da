//! Starting again the instance ecsimg stopped: offered once the image is
//! Available or failed, when the user leaves step 7 and when quitting; the live status until
//! Running; never for an instance ecsimg did not stop.

use super::watching::{IMAGE, building, finished, image, mid_build, tick};
use super::*;
use crate::api::StoppedMode;
use crate::api::model::InstanceResponse;
use crate::tui::app::Overlay;
use crate::tui::effect::{Effect, one_instance};
use crate::tui::instance_wait::POLL_EVERY;
use crate::tui::msg::Page;
use crate::tui::restart::Stopped;
use crate::watch::{FailureReason, WatchEnd};

const DB: &str = "i-bp1g6zv0ce8oghu7k002";

/// What step 1 leaves behind after it stopped the chosen instance.
fn stopped_by_ecsimg(app: &mut App, mode: StoppedMode) {
    app.restart.stopped(Stopped {
        instance: Box::new(instance(DB, "数据库主节点", "Stopped")),
        region: "cn-hangzhou".into(),
        mode,
    });
}

/// The Submit step with the instance ecsimg stopped, the image built to Available.
fn available() -> App {
    let mut app = at_submit();
    stopped_by_ecsimg(&mut app, StoppedMode::KeepCharging);
    let watch = building(&mut app);
    finished(
        &mut app,
        watch,
        WatchEnd::Available(image("Available", "100%")),
    );
    app
}

/// `y` on the offer: the StartInstances call.
fn start(app: &mut App) -> RequestId {
    match only_call(&key(app, KeyCode::Char('y'))) {
        (id, Call::StartInstance { instance_id }) => {
            assert_eq!(instance_id, DB);
            id
        }
        other => panic!("a start, got {other:?}"),
    }
}

fn accepted(app: &mut App, id: RequestId) -> RequestId {
    let answer = InstanceResponse {
        instance_id: DB.into(),
        previous_status: "Stopped".into(),
        current_status: "Starting".into(),
        code: "200".into(),
        message: String::new(),
    };
    let effects = super::answer(app, id, Ok(Loaded::Starting(vec![answer])));
    let Some(Effect::Call { id, call, delay }) = effects.first() else {
        panic!("a poll, got {effects:?}")
    };
    assert_eq!(
        (call, *delay),
        (&Call::Instances(one_instance(DB)), POLL_EVERY)
    );
    *id
}

/// One poll's answer: the instance in `status`.
fn polled(app: &mut App, id: RequestId, status: &str) -> Vec<Effect> {
    let row = instance(DB, "数据库主节点", status);
    let mut effects = super::answer(
        app,
        id,
        Ok(Loaded::Instances(Page {
            rows: vec![row],
            last: false,
        })),
    );
    effects.extend(super::answer(
        app,
        id,
        Ok(Loaded::Instances(Page {
            rows: vec![],
            last: true,
        })),
    ));
    effects
}

#[test]
fn available_offers_the_start_and_shows_the_status_until_running() {
    let mut app = available();
    assert!(matches!(app.overlay, Some(Overlay::Restart)));
    let text = dialog_text(&app, 80, 24);
    assert_shows(
        &text,
        &[
            "i-bp1g6zv0ce8oghu7k002",
            "ecsimg stopped this instance for the image (KeepCharging) and it is still down. \
             The image is Available. Start it again now (StartInstances)?",
        ],
    );
    assert!(screen_text(&app, 80, 24).contains("╭ Start the instance again? "));
    insta::assert_snapshot!("restart_offer_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("restart_offer_160x48", render(&app, 160, 48));
    let sent = start(&mut app);
    assert!(app.busy());
    let poll = accepted(&mut app, sent);
    tick(&mut app, 600);
    tick(&mut app, 604);
    let text = dialog_text(&app, 80, 24);
    assert_shows(&text, &["Status: Starting (4 s)", "Waiting for Running."]);
    insta::assert_snapshot!("restart_starting_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("restart_starting_160x48", render(&app, 160, 48));
    let (next, _) = only_call(&polled(&mut app, poll, "Starting"));
    assert!(polled(&mut app, next, "Running").is_empty());
    assert!(app.overlay.is_none());
    assert!(app.restart.down().is_none());
    assert_eq!(
        app.notice.as_deref(),
        Some(format!("{DB} is Running again.").as_str())
    );
    // Nothing is left to offer, even when leaving or quitting.
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
}

#[test]
fn a_failed_build_offers_it_too_and_economical_mode_is_recalled() {
    let mut app = at_submit();
    stopped_by_ecsimg(&mut app, StoppedMode::StopCharging);
    let watch = building(&mut app);
    finished(
        &mut app,
        watch,
        WatchEnd::Failed {
            image: Some(image("CreateFailed", "60%")),
            reason: FailureReason::CreateFailed,
        },
    );
    let text = dialog_text(&app, 80, 24);
    assert_shows(
        &text,
        &[
            "(StopCharging) and it is still down. The image build failed.",
            "Starting again needs free capacity in the zone and can fail",
        ],
    );
}

#[test]
fn declining_leaves_it_stopped_until_the_quit_question() {
    let mut app = available();
    assert!(calls(&key(&mut app, KeyCode::Char('n'))).is_empty());
    assert!(app.overlay.is_none());
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("stays Stopped"))
    );
    // Leaving step 7 does not ask again.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Review);
    assert!(app.overlay.is_none());
    // Quitting does, with a key that starts it and quits once it runs.
    ctrl(&mut app, 'c');
    assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    let text = dialog_text(&app, 80, 24);
    assert_shows(
        &text,
        &[
            &format!("ecsimg stopped {DB} for the image and it is still down"),
            "s starts it again and quits once it is Running",
        ],
    );
    insta::assert_snapshot!("restart_quit_question_80x24", render(&app, 80, 24));
    let (sent, call) = only_call(&key(&mut app, KeyCode::Char('s')));
    assert_eq!(
        call,
        Call::StartInstance {
            instance_id: DB.into()
        }
    );
    assert!(!app.quit);
    let poll = accepted(&mut app, sent);
    assert!(dialog_text(&app, 80, 24).contains("then the wizard ends"));
    assert_eq!(polled(&mut app, poll, "Running"), vec![Effect::Quit]);
    assert!(app.quit);
}

#[test]
fn leaving_while_it_builds_offers_the_start_and_says_waiting_is_safest() {
    let (mut app, _) = mid_build();
    stopped_by_ecsimg(&mut app, StoppedMode::KeepCharging);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.step, Step::Review);
    assert!(matches!(app.overlay, Some(Overlay::Restart)));
    let text = dialog_text(&app, 80, 24);
    assert_shows(
        &text,
        &[
            "The image is still being built: keeping the instance stopped until it is \
             Available is the safest",
        ],
    );
    // Esc leaves it stopped; Esc while it starts stops only the waiting.
    key(&mut app, KeyCode::Esc);
    assert!(app.restart.down().is_some());
}

#[test]
fn a_refused_start_is_shown_and_can_be_tried_again() {
    let mut app = available();
    let sent = start(&mut app);
    super::answer(
        &mut app,
        sent,
        Err(service_error(
            "OperationDenied.NoStock",
            "The resource is out of stock in the specified zone.",
        )),
    );
    assert!(matches!(app.overlay, Some(Overlay::Restart)));
    let text = dialog_text(&app, 80, 24);
    assert_shows(
        &text,
        &["Starting i-bp1g6zv0ce8oghu7k002 failed", "NoStock"],
    );
    let (_, call) = only_call(&key(&mut app, KeyCode::Char('r')));
    assert!(matches!(call, Call::StartInstance { .. }));
    assert!(
        app.restart.down().is_some(),
        "down until a start is accepted"
    );
}

#[test]
fn an_instance_ecsimg_did_not_stop_is_never_offered() {
    // The Stopped instance of `at_submit` was stopped by someone else.
    let mut app = at_submit();
    let watch = building(&mut app);
    finished(
        &mut app,
        watch,
        WatchEnd::Available(image("Available", "100%")),
    );
    assert!(app.overlay.is_none());
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    ctrl(&mut app, 'c');
    let text = dialog_text(&app, 80, 24);
    assert!(!text.contains("still down"), "{text}");
    assert!(!screen_text(&app, 80, 24).contains("start it, then quit"));
    assert_eq!(IMAGE, "m-bp1fyq7bo2ye0xkc9b1n");
}

#[test]
fn the_review_says_how_the_instance_was_stopped_and_the_recipe_does_it_again() {
    let mut app = at_submit();
    stopped_by_ecsimg(&mut app, StoppedMode::StopCharging);
    app.spec.stop = Some(crate::spec::StopPlan {
        mode: StoppedMode::StopCharging,
        force: false,
        restart: true,
    });
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Review);
    let text = flat(&app, 80, 24);
    assert!(
        text.contains("Stop first StopCharging, clean shutdown; started again after the build"),
        "{text}"
    );
    let recipe = crate::spec::to_recipe(&app.spec);
    assert!(
        recipe.contains("stop = \"stop-charging\"\nrestart = true\n"),
        "{recipe}"
    );
}
