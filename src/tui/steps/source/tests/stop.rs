//! The stop dialog of step 1: the mode and what it means, a forced stop only on
//! request and with its warning, and what the wizard remembers once the instance is Stopped.

use crossterm::event::KeyCode;

use super::super::stop::Stop;
use crate::api::StopOptions;
use crate::api::StoppedMode;
use crate::api::model::{Instance, InstanceResponse};
use crate::spec::{Source, StopPlan};
use crate::tui::app::App;
use crate::tui::effect::Call;
use crate::tui::msg::{Loaded, RequestId};
use crate::tui::testing::*;

const WEB: &str = "i-bp1g6zv0ce8oghu7k001";

/// The sample instances, the Running one pay-as-you-go in a VPC (economical mode applies).
fn with_instances() -> App {
    let (mut app, effects) = wizard();
    let (id, _) = only_call(&effects);
    let mut rows = sample_instances();
    rows[0].instance_charge_type = "PostPaid".into();
    rows[0].vpc_attributes.vpc_id = "vpc-bp1opxu1zkhn00gzv26cm".into();
    answer_instances(&mut app, id, rows);
    app
}

/// The confirmation for the Running instance.
fn confirming() -> App {
    let mut app = with_instances();
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('s'));
    app
}

fn options(app: &App) -> Option<StopOptions> {
    match &app.steps.source.stop {
        Some(Stop::Confirm { options, .. } | Stop::Waiting { options, .. }) => Some(*options),
        _ => None,
    }
}

/// `y`: the StopInstances call and its options.
fn send(app: &mut App) -> (RequestId, StopOptions) {
    match only_call(&key(app, KeyCode::Char('y'))) {
        (
            id,
            Call::StopInstance {
                instance_id,
                options,
            },
        ) => {
            assert_eq!(instance_id, WEB);
            (id, options)
        }
        other => panic!("a stop, got {other:?}"),
    }
}

/// Answers the stop, then one poll that finds the instance Stopped in `mode`.
fn stops(app: &mut App, stop: RequestId, mode: &str) {
    let accepted = InstanceResponse {
        instance_id: WEB.into(),
        previous_status: "Running".into(),
        current_status: "Stopping".into(),
        code: "200".into(),
        message: String::new(),
    };
    let (poll, _) = only_call(&answer(app, stop, Ok(Loaded::Stopping(vec![accepted]))));
    let mut row: Instance = app.steps.source.instances().rows()[0].clone();
    row.status = "Stopped".into();
    row.stopped_mode = mode.into();
    answer_instances(app, poll, vec![row]);
}

#[test]
fn the_safe_mode_is_the_default_and_says_what_it_keeps() {
    let mut app = confirming();
    assert_eq!(options(&app), Some(StopOptions::default()));
    let text = dialog_text(&app, 80, 24);
    for shown in [
        "Mode: KeepCharging",
        "keeps its vCPUs, memory and public IP",
        "billed as before",
        "Shutdown: clean",
    ] {
        assert!(text.contains(shown), "{shown:?} in\n{text}");
    }
    let keys = screen_text(&app, 80, 24);
    for key in ["y stop it", "m mode", "f force"] {
        assert!(keys.contains(key), "{key:?} in\n{keys}");
    }
    assert!(!text.contains("pulling the plug"), "{text}");
    insta::assert_snapshot!("stop_confirm_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("stop_confirm_160x48", render(&app, 160, 48));
    let (_, sent) = send(&mut app);
    assert_eq!(sent, StopOptions::default());
    assert!(dialog_text(&app, 80, 24).contains("KeepCharging, clean shutdown"));
}

#[test]
fn m_switches_to_economical_mode_and_f_forces_with_a_warning() {
    let mut app = confirming();
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(
        options(&app).map(|o| o.mode),
        Some(StoppedMode::StopCharging)
    );
    let text = dialog_text(&app, 80, 24);
    assert!(text.contains("Mode: StopCharging"), "{text}");
    assert!(text.contains("can fail"), "{text}");
    assert!(text.contains("new public IP"), "{text}");
    // This instance can stop economically: no note saying otherwise.
    assert!(!text.contains("does not apply"), "{text}");
    key(&mut app, KeyCode::Char('f'));
    let text = dialog_text(&app, 80, 24);
    assert!(text.contains("Shutdown: FORCED"), "{text}");
    assert!(
        text.contains("data not yet written to disk is lost"),
        "{text}"
    );
    insta::assert_snapshot!("stop_confirm_forced_economical_80x24", render(&app, 80, 24));
    insta::assert_snapshot!(
        "stop_confirm_forced_economical_160x48",
        render(&app, 160, 48)
    );
    // f again takes the request back; m again returns to the safe mode.
    key(&mut app, KeyCode::Char('f'));
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(options(&app), Some(StopOptions::default()));
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Char('f'));
    let (_, sent) = send(&mut app);
    assert_eq!(
        sent,
        StopOptions {
            mode: StoppedMode::StopCharging,
            force: true
        }
    );
}

#[test]
fn economical_mode_on_an_instance_it_cannot_apply_to_says_so() {
    let (mut app, effects) = wizard();
    let (id, _) = only_call(&effects);
    answer_instances(&mut app, id, sample_instances()); // not pay-as-you-go in a VPC
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('m'));
    let text = dialog_text(&app, 80, 24);
    assert!(text.contains("economical mode does not apply"), "{text}");
    assert!(text.contains("stops in KeepCharging"), "{text}");
}

#[test]
fn once_stopped_the_spec_and_the_wizard_remember_how_and_who_stopped_it() {
    let mut app = confirming();
    key(&mut app, KeyCode::Char('m'));
    let (stop, _) = send(&mut app);
    stops(&mut app, stop, "StopCharging");
    assert_eq!(
        app.spec.source,
        Source::Instance {
            instance_id: WEB.into()
        }
    );
    assert_eq!(
        app.spec.stop,
        Some(StopPlan {
            mode: StoppedMode::StopCharging,
            force: false,
            restart: true
        })
    );
    let down = app.restart.down().expect("remembered");
    assert_eq!(
        (
            down.instance.instance_id.as_str(),
            down.mode,
            down.region.as_str()
        ),
        (WEB, StoppedMode::StopCharging, "cn-hangzhou")
    );
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("Stopped (StopCharging) and is the source"),
        "{notice}"
    );
    assert!(
        notice.chars().count() <= 78,
        "one line at 80 columns: {notice}"
    );
    // The saved recipe stops it the same way.
    assert!(crate::spec::to_recipe(&app.spec).contains("stop = \"stop-charging\""));

    // Another source drops the plan (the wizard still remembers the stopped instance).
    let (id, _) = only_call(&key(&mut app, KeyCode::Tab));
    answer_snapshots(&mut app, id, sample_snapshots());
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.spec.source, Source::Snapshot { .. }));
    assert_eq!(app.spec.stop, None);
    assert!(app.restart.down().is_some());
}

#[test]
fn an_instance_stopped_by_someone_else_keeps_no_plan() {
    let mut app = with_instances();
    app.spec.stop = Some(StopPlan::KEEP_AND_RESTART);
    key(&mut app, KeyCode::Down); // Stopped already
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.spec.stop, None);
    assert!(app.restart.down().is_none());
}
