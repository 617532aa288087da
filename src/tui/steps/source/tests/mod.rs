//! Step 1 driven through the wizard: keys, API answers and screens.

use crossterm::event::KeyCode;

use super::stop::Stop;
use super::*;
use crate::api::StopOptions;
use crate::api::model::InstanceResponse;
use crate::tui::app::{App, Overlay};
use crate::tui::effect::Effect;
use crate::tui::effect::one_instance;
use crate::tui::instance_wait::POLL_EVERY;
use crate::tui::msg::{Msg, Owner, Page};
use crate::tui::step::Step;
use crate::tui::testing::*;
use crate::tui::update::update;

mod stop;

/// A wizard showing the sample instances.
fn with_instances() -> App {
    let (mut app, effects) = wizard();
    let (id, _) = only_call(&effects);
    answer_instances(&mut app, id, sample_instances());
    app
}

/// The same, switched to the snapshot tab with the sample snapshots.
fn with_snapshots() -> App {
    let mut app = with_instances();
    let effects = key(&mut app, KeyCode::Tab);
    let (id, call) = only_call(&effects);
    assert_eq!(call, Call::Snapshots(SnapshotQuery::default()));
    answer_snapshots(&mut app, id, sample_snapshots());
    app
}

fn stopping(app: &App) -> Option<&Stop> {
    app.steps.source.stop.as_ref()
}

#[test]
fn choosing_a_stopped_instance_moves_on() {
    let mut app = with_instances();
    type_text(&mut app, "build");
    // Fuzzy matching is generous; the best match comes first and is selected.
    let best = app
        .steps
        .source
        .instances()
        .selected()
        .map(|i| i.instance_name.clone());
    assert_eq!(best.as_deref(), Some("build-agent"));
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.spec.source,
        Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k005".into()
        }
    );
    assert_eq!(app.step, Step::Disks);
    assert!(
        effects.iter().all(
            |e| !matches!(e, Effect::Call { id, .. } if id.owner == Owner::Step(Step::Source))
        )
    );
}

#[test]
fn unusable_instances_are_refused_with_the_reason() {
    let mut app = with_instances();
    type_text(&mut app, "batch");
    key(&mut app, KeyCode::Enter);
    assert!(app.spec.source.is_empty());
    assert_eq!(app.step, Step::Source);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("Starting"), "{notice}");
    key(&mut app, KeyCode::Esc);
    type_text(&mut app, "quarantined");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.notice
            .clone()
            .unwrap_or_default()
            .contains("InstanceLockedForSecurity")
    );
    assert!(app.spec.source.is_empty());
}

#[test]
fn a_running_instance_can_be_used_after_the_warning() {
    let mut app = with_instances();
    key(&mut app, KeyCode::Enter); // web-prod-01, Running
    assert!(matches!(stopping(&app), Some(Stop::Warn(_))));
    assert!(app.spec.source.is_empty());
    assert!(screen_text(&app, 80, 24).contains("Data cached in memory"));
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.step, Step::Disks);
    assert_eq!(
        app.spec.source,
        Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k001".into()
        }
    );
}

#[test]
fn stopping_a_running_instance_needs_a_second_yes_and_waits_for_stopped() {
    let mut app = with_instances();
    key(&mut app, KeyCode::Enter);
    assert!(calls(&key(&mut app, KeyCode::Char('s'))).is_empty());
    assert!(matches!(stopping(&app), Some(Stop::Confirm { .. })));
    // `n` goes back to the warning; nothing was sent.
    assert!(calls(&key(&mut app, KeyCode::Char('n'))).is_empty());
    key(&mut app, KeyCode::Char('s'));
    let (stop_id, call) = only_call(&key(&mut app, KeyCode::Char('y')));
    assert_eq!(
        call,
        Call::StopInstance {
            instance_id: "i-bp1g6zv0ce8oghu7k001".into(),
            options: StopOptions::default(),
        }
    );
    assert!(app.busy());
    let response = InstanceResponse {
        instance_id: "i-bp1g6zv0ce8oghu7k001".into(),
        previous_status: "Running".into(),
        current_status: "Stopping".into(),
        code: "200".into(),
        message: String::new(),
    };
    let effects = answer(&mut app, stop_id, Ok(Loaded::Stopping(vec![response])));
    let Effect::Call {
        id: poll,
        call,
        delay,
    } = &effects[0]
    else {
        panic!("a delayed poll, got {effects:?}")
    };
    assert_eq!(*delay, POLL_EVERY);
    assert_eq!(
        *call,
        Call::Instances(one_instance("i-bp1g6zv0ce8oghu7k001"))
    );
    assert!(screen_text(&app, 80, 24).contains("Stopping"));
    // Still stopping: another poll.
    let mut row = instance("i-bp1g6zv0ce8oghu7k001", "web-prod-01", "Stopping");
    answer(
        &mut app,
        *poll,
        Ok(Loaded::Instances(Page {
            rows: vec![row.clone()],
            last: false,
        })),
    );
    let effects = answer(
        &mut app,
        *poll,
        Ok(Loaded::Instances(Page {
            rows: vec![],
            last: true,
        })),
    );
    let (poll2, _) = only_call(&effects);
    assert!(app.spec.source.is_empty());
    // Stopped: chosen, and the row shows the new status.
    row.status = "Stopped".into();
    answer(
        &mut app,
        poll2,
        Ok(Loaded::Instances(Page {
            rows: vec![row],
            last: false,
        })),
    );
    let effects = answer(
        &mut app,
        poll2,
        Ok(Loaded::Instances(Page {
            rows: vec![],
            last: true,
        })),
    );
    assert!(calls(&effects).is_empty());
    assert!(stopping(&app).is_none());
    assert_eq!(
        app.spec.source,
        Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k001".into()
        }
    );
    assert_eq!(app.steps.source.instances().rows()[0].status, "Stopped");
    assert!(app.notice.clone().unwrap_or_default().contains("Stopped"));
}

#[test]
fn a_refused_stop_is_reported_and_a_failed_one_can_be_retried() {
    let mut app = with_instances();
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('s'));
    let (stop_id, _) = only_call(&key(&mut app, KeyCode::Char('y')));
    answer(
        &mut app,
        stop_id,
        Err(service_error(
            "IncorrectInstanceStatus",
            "The current status of the instance does not support this operation.",
        )),
    );
    assert!(matches!(app.overlay, Some(Overlay::Error { .. })));
    let (again, call) = only_call(&key(&mut app, KeyCode::Char('r')));
    assert!(matches!(call, Call::StopInstance { .. }));
    let refused = InstanceResponse {
        instance_id: "i-bp1g6zv0ce8oghu7k001".into(),
        code: "InstanceLockedForSecurity".into(),
        message: "locked".into(),
        ..InstanceResponse::default()
    };
    answer(&mut app, again, Ok(Loaded::Stopping(vec![refused])));
    assert!(stopping(&app).is_none());
    assert!(
        app.notice
            .clone()
            .unwrap_or_default()
            .contains("InstanceLockedForSecurity")
    );
}

#[test]
fn esc_stops_waiting_without_choosing() {
    let mut app = with_instances();
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('s'));
    let (stop_id, _) = only_call(&key(&mut app, KeyCode::Char('y')));
    let effects = key(&mut app, KeyCode::Esc);
    assert_eq!(effects, vec![Effect::Cancel(stop_id)]);
    assert!(stopping(&app).is_none());
    assert_eq!(app.step, Step::Source);
    assert!(app.spec.source.is_empty());
}

#[test]
fn a_system_snapshot_becomes_the_source_with_its_facts() {
    let mut app = with_snapshots();
    assert_eq!(app.steps.source.kind(), SourceKind::Snapshot);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.spec.source,
        Source::Snapshot {
            snapshot_id: "s-bp17441ohwkdca0k0001".into()
        }
    );
    assert_eq!(
        app.facts.snapshots["s-bp17441ohwkdca0k0001"].size_gib,
        Some(40)
    );
    assert_eq!(app.step, Step::Disks);
}

#[test]
fn data_in_progress_and_old_snapshots_are_refused() {
    let mut app = with_snapshots();
    for (row, reason) in [(1, "data disk"), (2, "43%"), (3, "2013-07-15")] {
        key(&mut app, KeyCode::Home);
        for _ in 0..row {
            key(&mut app, KeyCode::Down);
        }
        key(&mut app, KeyCode::Enter);
        let notice = app.notice.clone().unwrap_or_default();
        assert!(notice.contains(reason), "row {row}: {notice}");
        assert!(app.spec.source.is_empty());
    }
}

#[test]
fn a_disk_mapping_starts_with_a_system_disk_and_opens_the_editor() {
    let mut app = with_instances();
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.steps.source.kind(), SourceKind::Mapping);
    key(&mut app, KeyCode::Enter);
    let Source::Disks(disks) = &app.spec.source else {
        panic!("a mapping")
    };
    assert_eq!(disks.len(), 1);
    assert_eq!(disks[0].disk_type, DiskType::System);
    assert_eq!(app.step, Step::Disks);
    // Back on step 1, the tab follows the chosen source.
    ctrl(&mut app, 'p');
    assert_eq!(app.steps.source.kind(), SourceKind::Mapping);
}

#[test]
fn refresh_reloads_and_keeps_the_selection() {
    let mut app = with_instances();
    key(&mut app, KeyCode::Down);
    let effects = ctrl(&mut app, 'r');
    assert!(calls(&effects).iter().any(|(_, c)| is_system_disk_scan(c)));
    let (id, _) = only_call(&without_system_disk_scan(effects));
    assert!(app.steps.source.instances().is_loading());
    answer_instances(&mut app, id, sample_instances());
    let selected = app
        .steps
        .source
        .instances()
        .selected()
        .map(|i| i.instance_id.clone());
    assert_eq!(selected.as_deref(), Some("i-bp1g6zv0ce8oghu7k002"));
}

#[test]
fn snapshots_of_step_one() {
    let mut app = with_instances();
    insta::assert_snapshot!("source_instances_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("source_instances_160x48", render(&app, 160, 48));
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("source_running_warning_80x24", render(&app, 80, 24));
    let mut app = with_snapshots();
    key(&mut app, KeyCode::Down);
    insta::assert_snapshot!("source_snapshots_80x24", render(&app, 80, 24));
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("source_mapping_80x24", render(&app, 80, 24));
    let (mut app, _) = wizard();
    insta::assert_snapshot!("source_loading_80x24", render(&app, 80, 24));
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help_80x24", render(&app, 80, 24));
}

#[test]
fn the_stop_timer_starts_when_the_stop_is_sent() {
    let mut app = with_instances();
    // The last tick was long ago: nothing was in flight while the user read the warning.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('s'));
    only_call(&key(&mut app, KeyCode::Char('y')));
    let later = |s| now() + chrono::TimeDelta::seconds(s);
    update(&mut app, Msg::Tick(later(600)));
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("(0 s)"), "{text}");
    update(&mut app, Msg::Tick(later(603)));
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("(3 s)"), "{text}");
}

#[test]
fn archived_snapshots_are_marked_with_the_reason() {
    let mut app = with_instances();
    let (id, _) = only_call(&key(&mut app, KeyCode::Tab));
    let mut archived = snapshot(
        "s-bp17441ohwkdca0k0009",
        "cold-archive",
        "accomplished",
        "system",
        "2026-10-01T02:00:00Z",
    );
    archived.category = "archive".into();
    answer_snapshots(&mut app, id, vec![archived]);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("✗ an archive snapshot"), "{text}");
    key(&mut app, KeyCode::Enter);
    assert!(app.spec.source.is_empty());
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("only standard snapshots"), "{notice}");
}

#[test]
fn an_instance_without_a_system_disk_is_marked_and_its_disks_step_is_not_done() {
    let mut app = with_instances();
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::Enter); // the Stopped instance → step 2
    assert_eq!(app.step, Step::Disks);
    let (id, _) = only_call(&effects);
    let data = crate::api::model::Disk {
        disk_id: "d-bp1data".into(),
        disk_type: "data".into(),
        device: "/dev/xvdb".into(),
        size: 100,
        ..Default::default()
    };
    for last in [false, true] {
        let rows = if last { vec![] } else { vec![data.clone()] };
        answer(&mut app, id, Ok(Loaded::Disks(Page { rows, last })));
    }
    let text = screen_text(&app, 80, 24);
    // The reason is wrapped whole, not cut at the edge.
    assert!(text.contains("build from snapshots instead."), "{text}");
    // The fix is another source: step 1 is marked, and the disks of an unusable source are
    // judged neither way.
    assert!(app.step_errors(Step::Source) > 0);
    ctrl(&mut app, 'n');
    let bar = screen_text(&app, 80, 24);
    assert!(bar.contains("1 Source ✗"), "{bar}");
    assert!(
        !bar.contains("2 Disks ✓") && !bar.contains("2 Disks ✗"),
        "{bar}"
    );
    // Step 1 marks it in the list, and refuses it.
    ctrl(&mut app, 'p');
    ctrl(&mut app, 'p');
    let text = screen_text(&app, 80, 24);
    assert!(
        text.contains("✗ no system disk (DescribeDisks lists none)"),
        "{text}"
    );
    key(&mut app, KeyCode::Enter);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("no system disk"), "{notice}");
}

#[test]
fn choosing_another_source_asks_before_discarding_an_edited_mapping() {
    let mut app = with_instances();
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::Enter); // a fresh mapping → step 2
    key(&mut app, KeyCode::Char('e')); // an empty data disk: the mapping is edited
    ctrl(&mut app, 'p');
    key(&mut app, KeyCode::Tab); // the instance list
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.spec.source, Source::Disks(_)), "not yet");
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("Replace the disk mapping?"), "{text}");
    assert!(text.contains("y replace the mapping"), "{text}");
    key(&mut app, KeyCode::Char('n'));
    assert!(matches!(app.spec.source, Source::Disks(_)), "kept");
    assert_eq!(app.step, Step::Source);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.spec.source,
        Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k002".into()
        }
    );
    assert_eq!(app.step, Step::Disks);

    // A mapping nobody edited is replaced without a question.
    let mut app = with_instances();
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::Enter);
    ctrl(&mut app, 'p');
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.spec.source, Source::Instance { .. }));
}

#[test]
fn q_types_into_the_filter_so_the_footer_and_help_do_not_offer_it() {
    let mut app = with_instances();
    let footer = screen_text(&app, 80, 24)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(footer.contains("^C quit"), "{footer}");
    assert!(!footer.contains(" q "), "{footer}");
    key(&mut app, KeyCode::Char('?'));
    let help = screen_text(&app, 80, 40);
    assert!(!help.contains("q/^C"), "{help}");
    assert!(!help.lines().any(|l| l.contains("│ q ")), "{help}");
    key(&mut app, KeyCode::Esc);
    // And it does type.
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.steps.source.instances().query(), "q");
    assert!(!app.quit);
}

#[test]
fn instances_without_a_system_disk_are_marked_before_they_are_picked() {
    let (mut app, effects) = wizard_with_scan();
    let found = calls(&effects);
    let (list, _) = found
        .iter()
        .find(|(_, c)| matches!(c, Call::Instances(_)))
        .cloned()
        .expect("the instance list is asked for");
    let (scan, _) = found
        .iter()
        .find(|(_, c)| is_system_disk_scan(c))
        .cloned()
        .expect("the system disks are asked for with it");
    let instances = sample_instances();
    let (bare, others) = instances.split_last().expect("sample instances");
    answer_instances(&mut app, list, instances.clone());
    // Until the scan is complete nothing is marked: a partial list proves nothing.
    let system_disk = |instance: &Instance| crate::api::model::Disk {
        disk_id: format!("d-{}", instance.instance_id),
        disk_type: "system".into(),
        instance_id: instance.instance_id.clone(),
        ..Default::default()
    };
    let rows = others.iter().map(system_disk).collect();
    answer(
        &mut app,
        scan,
        Ok(Loaded::Disks(Page { rows, last: false })),
    );
    assert!(app.facts.instances_without_system_disk.is_empty());
    answer(
        &mut app,
        scan,
        Ok(Loaded::Disks(Page {
            rows: Vec::new(),
            last: true,
        })),
    );
    assert_eq!(
        app.facts.instances_without_system_disk,
        std::collections::HashSet::from([bare.instance_id.clone()])
    );
    type_text(&mut app, "build-agent");
    let text = screen_text(&app, 160, 48);
    assert!(
        text.contains("✗ no system disk (DescribeDisks lists none)"),
        "{text}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(app.spec.source.is_empty(), "refused before it is picked");
}

#[test]
fn a_failed_system_disk_scan_marks_nothing_and_shows_no_error() {
    let (mut app, effects) = wizard_with_scan();
    let found = calls(&effects);
    let (list, _) = found[0].clone();
    let (scan, _) = found
        .iter()
        .find(|(_, c)| is_system_disk_scan(c))
        .cloned()
        .expect("the scan");
    answer_instances(&mut app, list, sample_instances());
    let error = service_error("Forbidden.RAM", "User not authorized to operate.");
    answer(&mut app, scan, Err(error));
    assert!(app.overlay.is_none());
    assert!(app.facts.instances_without_system_disk.is_empty());
}
