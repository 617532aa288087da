//! update driven by messages: navigation, quitting, regions, overlays.

use crossterm::event::KeyCode;

use super::*;
use crate::api::model::Region;
use crate::tui::launch::LaunchScreen;
use crate::tui::testing::*;
use crate::tui::theme::Theme;

fn regions() -> Vec<Region> {
    ["cn-hangzhou", "cn-shanghai", "cn-beijing"]
        .iter()
        .map(|id| Region {
            region_id: id.to_string(),
            local_name: format!("China ({id})"),
            region_endpoint: "ecs.aliyuncs.com".into(),
            status: "available".into(),
        })
        .collect()
}

#[test]
fn starting_loads_instances_for_step_one() {
    let (app, effects) = wizard();
    let (id, call) = only_call(&effects);
    assert_eq!(id.owner, Owner::Step(Step::Source));
    assert!(matches!(call, Call::Instances(_)));
    assert!(app.busy());
    assert_eq!(app.step, Step::Source);
}

#[test]
fn quitting_without_answers_is_immediate() {
    let (mut app, _) = wizard();
    // `q` is typed into the filter; Esc on step 1 (empty filter) quits.
    assert_eq!(key(&mut app, KeyCode::Esc), vec![Effect::Quit]);
    assert!(app.quit);
}

#[test]
fn quitting_with_answers_asks_first() {
    let (mut app, effects) = wizard();
    let (id, _) = only_call(&effects);
    answer_instances(&mut app, id, sample_instances());
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter); // the Stopped instance → step 2
    assert!(app.has_answers());
    assert!(ctrl(&mut app, 'c').is_empty());
    assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    assert!(app.overlay.is_none());
    ctrl(&mut app, 'c');
    assert_eq!(key(&mut app, KeyCode::Char('y')), vec![Effect::Quit]);
}

#[test]
fn help_opens_and_closes() {
    let (mut app, _) = wizard();
    key(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.overlay, Some(Overlay::Help { scroll: 0 })));
    key(&mut app, KeyCode::Down);
    assert!(
        matches!(app.overlay, Some(Overlay::Help { scroll: 1 })),
        "arrows scroll"
    );
    key(&mut app, KeyCode::Char('x'));
    assert!(app.overlay.is_some(), "other keys keep it open");
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    key(&mut app, KeyCode::F(1));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
}

#[test]
fn steps_move_with_ctrl_n_and_esc_and_are_marked_visited() {
    let (mut app, effects) = wizard();
    let (loading, _) = only_call(&effects);
    let effects = ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Disks);
    assert!(
        effects.contains(&Effect::Cancel(loading)),
        "leaving cancels the load"
    );
    ctrl(&mut app, 'n');
    ctrl(&mut app, 'n');
    ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Delivery);
    ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Review);
    ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Submit);
    ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Submit, "the last step");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Review);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Delivery);
    ctrl(&mut app, 'p');
    assert_eq!(app.step, Step::Tags);
    assert_eq!(app.visited.len(), 7);
    // Back on step 1 the interrupted list loads again.
    ctrl(&mut app, 'p');
    ctrl(&mut app, 'p');
    let effects = ctrl(&mut app, 'p');
    assert_eq!(app.step, Step::Source);
    assert!(matches!(
        only_call(&without_system_disk_scan(effects.clone())).1,
        Call::Instances(_)
    ));
    // Step 1 has "no source" as an error.
    assert!(app.step_errors(Step::Source) > 0);
}

#[test]
fn a_failed_load_explains_the_code_and_retries() {
    let (mut app, effects) = wizard();
    let (id, _) = only_call(&effects);
    let error = service_error("Forbidden.RAM", "User not authorized to operate.");
    answer(&mut app, id, Err(error));
    let Some(Overlay::Error { report, .. }) = &app.overlay else {
        panic!("an error popup, got {:?}", app.overlay)
    };
    assert_eq!(report.code.as_deref(), Some("Forbidden.RAM"));
    assert!(
        report.meaning.is_some(),
        "explained from assets/errors.toml"
    );
    assert!(report.retry);
    let effects = key(&mut app, KeyCode::Char('r'));
    assert!(app.overlay.is_none());
    let (again, call) = only_call(&without_system_disk_scan(effects.clone()));
    assert_ne!(again, id);
    assert!(matches!(call, Call::Instances(_)));
    // A late answer to the first request is dropped.
    answer_instances(&mut app, id, sample_instances());
    assert!(app.steps.source.instances().rows().is_empty());
    answer_instances(&mut app, again, sample_instances());
    assert_eq!(app.steps.source.instances().rows().len(), 5);
}

#[test]
fn switching_region_reloads_lists() {
    let (mut app, effects) = wizard();
    let (first, _) = only_call(&effects);
    answer_instances(&mut app, first, sample_instances());
    let effects = ctrl(&mut app, 'g');
    let (rid, call) = only_call(&effects);
    assert_eq!((rid.owner, call), (Owner::App, Call::Regions));
    answer(&mut app, rid, Ok(Loaded::Regions(regions())));
    let Some(Overlay::Regions(picker)) = &app.overlay else {
        panic!("the region picker")
    };
    assert_eq!(
        picker.selected().map(|r| r.region_id.as_str()),
        Some("cn-hangzhou")
    );
    type_text(&mut app, "shang");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(effects, [Effect::SwitchRegion("cn-shanghai".into())]);
    assert_eq!(
        app.spec.region, "cn-hangzhou",
        "not before the runner has a client"
    );
    let effects = switched(&mut app, "cn-shanghai", Ok(()));
    assert!(matches!(
        only_call(&without_system_disk_scan(effects.clone())).1,
        Call::Instances(_)
    ));
    assert_eq!(app.spec.region, "cn-shanghai");
    assert_eq!(app.notice.as_deref(), Some("Switched to cn-shanghai."));
    assert!(app.steps.source.instances().rows().is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(
        app.connection.as_ref().map(|s| s.region.as_str()),
        Some("cn-shanghai")
    );
}

#[test]
fn switching_region_with_a_source_asks_first() {
    let (mut app, effects) = wizard();
    let (first, _) = only_call(&effects);
    answer_instances(&mut app, first, sample_instances());
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(!app.spec.source.is_empty());
    let (rid, _) = only_call(&ctrl(&mut app, 'g'));
    answer(&mut app, rid, Ok(Loaded::Regions(regions())));
    key(&mut app, KeyCode::Down);
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::ConfirmRegion { .. })));
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(effects.contains(&Effect::SwitchRegion("cn-shanghai".into())));
    switched(&mut app, "cn-shanghai", Ok(()));
    assert!(app.spec.source.is_empty());
}

fn switched(app: &mut App, region: &str, result: Result<(), String>) -> Vec<Effect> {
    update(
        app,
        Msg::RegionSwitched {
            region: region.into(),
            result,
        },
    )
}

#[test]
fn a_failed_region_switch_is_shown_and_changes_nothing() {
    let (mut app, effects) = wizard();
    let (first, _) = only_call(&effects);
    answer_instances(&mut app, first, sample_instances());
    key(&mut app, KeyCode::Down);
    let (rid, _) = only_call(&ctrl(&mut app, 'g'));
    answer(&mut app, rid, Ok(Loaded::Regions(regions())));
    type_text(&mut app, "beijing");
    key(&mut app, KeyCode::Enter);
    let effects = switched(
        &mut app,
        "cn-beijing",
        Err("no credentials for profile prod in cn-beijing".into()),
    );
    assert!(effects.is_empty());
    assert_eq!(app.spec.region, "cn-hangzhou");
    assert_eq!(app.steps.source.instances().rows().len(), 5, "lists kept");
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("Switching to cn-beijing failed."), "{text}");
    assert!(text.contains("no credentials for profile prod"), "{text}");
    assert!(!text.contains("Switched to"), "{text}");
    // r offers the region list again.
    let (_, call) = only_call(&key(&mut app, KeyCode::Char('r')));
    assert_eq!(call, Call::Regions);
}

#[test]
fn ctrl_c_quits_from_every_overlay() {
    let overlays: [fn(&mut App); 4] = [
        |app| {
            key(app, KeyCode::Char('?'));
        },
        |app| {
            let (id, _) = only_call(&ctrl(app, 'g'));
            answer(app, id, Ok(Loaded::Regions(regions())));
        },
        |app| {
            let (id, _) = only_call(&ctrl(app, 'g'));
            answer(
                app,
                id,
                Err(service_error("Throttling", "Request was denied.")),
            );
        },
        |app| {
            app.overlay = Some(Overlay::ConfirmRegion {
                region: "cn-beijing".into(),
            })
        },
    ];
    for (i, open) in overlays.iter().enumerate() {
        // Without answers ^C quits at once, from the overlay too.
        let (mut app, _) = wizard();
        open(&mut app);
        assert!(app.overlay.is_some(), "overlay {i}");
        assert!(ctrl(&mut app, 'c').contains(&Effect::Quit), "overlay {i}");
        // With answers it asks first, and a second ^C quits.
        let (mut app, _) = wizard();
        app.spec.image.name = Some("web".into());
        open(&mut app);
        ctrl(&mut app, 'c');
        assert!(
            matches!(app.overlay, Some(Overlay::ConfirmQuit)),
            "overlay {i}: {:?}",
            app.overlay
        );
        assert_eq!(ctrl(&mut app, 'c'), vec![Effect::Quit], "overlay {i}");
    }
}

#[test]
fn start_screen_brings_up_the_sandbox() {
    let launch = LaunchScreen::new(
        "No Alibaba Cloud credentials found.".into(),
        "no config file".into(),
    );
    let mut app = App::new(None, Some(launch), Theme::plain());
    assert!(app.start().is_empty());
    assert_eq!(
        key(&mut app, KeyCode::Char('s')),
        vec![Effect::StartSandbox]
    );
    assert!(app.busy());
    let effects = update(&mut app, Msg::SandboxStarted(Ok(session())));
    assert!(matches!(app.screen, Screen::Wizard));
    assert!(matches!(
        only_call(&without_system_disk_scan(effects.clone())).1,
        Call::Instances(_)
    ));
    assert_eq!(app.spec.region, "cn-hangzhou");
}

#[test]
fn a_sandbox_that_fails_to_start_says_why() {
    let launch = LaunchScreen::new("none".into(), "no config file".into());
    let mut app = App::new(None, Some(launch), Theme::plain());
    key(&mut app, KeyCode::Char('s'));
    update(&mut app, Msg::SandboxStarted(Err("cannot listen".into())));
    assert!(!app.busy());
    assert!(screen_text(&app, 80, 24).contains("cannot listen"));
    assert_eq!(key(&mut app, KeyCode::Char('q')), vec![Effect::Quit]);
}

#[test]
fn ticks_advance_time_and_spinner() {
    let (mut app, _) = wizard();
    let later = now() + chrono::TimeDelta::seconds(3);
    update(&mut app, Msg::Tick(later));
    assert_eq!(app.now, later);
    assert_eq!(app.tick, 1);
}
