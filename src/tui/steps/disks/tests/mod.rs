//! The disks step driven through the wizard: keys, API answers and screens.

use crossterm::event::KeyCode;

use super::*;
use crate::api::model::DiskQuery;
use crate::spec::{DiskType, Field, Severity, rules};
use crate::tui::app::App;
use crate::tui::effect::{Call, Effect};
use crate::tui::msg::Page;
use crate::tui::step::Step;
use crate::tui::testing::{
    answer, answer_snapshots, calls, ctrl, key, only_call, render, sample_snapshots, screen_text,
    type_text, wizard,
};

const SYSTEM: &str = "s-bp17441ohwkdca0k0001";
const DATA: &str = "s-bp17441ohwkdca0k0002";

/// The wizard moved on to this step with `source`; the effects of entering it.
fn disks_with(source: Source) -> (App, Vec<Effect>) {
    let (mut app, _) = wizard();
    app.spec.source = source;
    let effects = ctrl(&mut app, 'n');
    assert_eq!(app.step, Step::Disks);
    (app, effects)
}

fn mapping() -> App {
    let (app, effects) = disks_with(Source::Disks(vec![DiskSpec {
        disk_type: DiskType::System,
        snapshot_id: None,
        size: None,
        device: None,
    }]));
    assert!(calls(&effects).is_empty(), "nothing to look up yet");
    app
}

fn spec_disks(app: &App) -> &[DiskSpec] {
    match &app.spec.source {
        Source::Disks(disks) => disks,
        other => panic!("not a mapping: {other:?}"),
    }
}

/// Opens the picker (the first time: answers its load) and chooses the row matching
/// `filter`.
fn pick(app: &mut App, open: KeyCode, filter: &str) {
    let effects = key(app, open);
    assert!(app.steps.disks.picking.is_some(), "picker open");
    if let Some((id, _)) = calls(&effects).into_iter().next() {
        answer_snapshots(app, id, sample_snapshots());
    }
    type_text(app, filter);
    key(app, KeyCode::Enter);
}

fn errors(app: &App) -> Vec<(Field, Option<&'static str>)> {
    app.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.field, f.code))
        .collect()
}

/// Asserts that the status line says something containing `text`.
#[track_caller]
fn assert_notice(app: &App, text: &str) {
    assert!(
        app.notice.as_deref().is_some_and(|n| n.contains(text)),
        "{:?}",
        app.notice
    );
}

/// Asserts the devices the mapping's disks get, in order.
#[track_caller]
fn assert_devices(app: &App, expected: [&str; 3]) {
    assert_eq!(
        app.spec.source.devices(),
        expected.map(|d| Some(d.to_owned()))
    );
}

fn disk(id: &str, name: &str, kind: &str, device: &str, size: u64) -> Disk {
    Disk {
        disk_id: id.into(),
        disk_name: name.into(),
        disk_type: kind.into(),
        category: "cloud_essd".into(),
        size,
        device: device.into(),
        status: "In_use".into(),
        ..Disk::default()
    }
}

#[test]
fn an_instance_source_lists_its_disks_system_first() {
    let (mut app, effects) = disks_with(Source::Instance {
        instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
    });
    let (id, call) = only_call(&effects);
    assert_eq!(
        call,
        Call::Disks(DiskQuery {
            instance_id: Some("i-bp1g6zv0ce8oghu7k005".into()),
            ..DiskQuery::default()
        })
    );
    assert!(app.busy());
    let rows = vec![
        disk("d-bp1data000000000002", "日志盘", "data", "/dev/xvdc", 200),
        disk("d-bp1sys0000000000001", "系统盘", "system", "/dev/xvda", 40),
        disk("d-bp1data000000000001", "data-01", "data", "/dev/xvdb", 100),
    ];
    answer(&mut app, id, Ok(Loaded::Disks(Page { rows, last: false })));
    answer(
        &mut app,
        id,
        Ok(Loaded::Disks(Page {
            rows: Vec::new(),
            last: true,
        })),
    );
    assert!(!app.busy());
    let devices: Vec<&str> = app
        .steps
        .disks
        .instance
        .disks
        .iter()
        .map(|d| d.device.as_str())
        .collect();
    assert_eq!(devices, ["/dev/xvda", "/dev/xvdb", "/dev/xvdc"]);
    insta::assert_snapshot!("instance_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("instance_160x48", render(&app, 160, 48));
    // Coming back to the same instance does not reload; ^R does.
    ctrl(&mut app, 'p');
    assert!(calls(&ctrl(&mut app, 'n')).is_empty());
    assert_eq!(calls(&ctrl(&mut app, 'r')).len(), 1);
}

#[test]
fn a_failed_disk_listing_explains_and_retries() {
    let (mut app, effects) = disks_with(Source::Instance {
        instance_id: "i-bp1g6zv0ce8oghu7k005".into(),
    });
    let (id, _) = only_call(&effects);
    let error = crate::tui::testing::service_error("Forbidden.RAM", "User not authorized.");
    answer(&mut app, id, Err(error));
    assert!(app.overlay.is_some(), "error popup");
    let retried = key(&mut app, KeyCode::Char('r'));
    assert!(matches!(only_call(&retried).1, Call::Disks(_)));
}

#[test]
fn a_snapshot_source_is_shown_read_only_with_its_size() {
    let (mut app, effects) = disks_with(Source::Snapshot {
        snapshot_id: SYSTEM.into(),
    });
    let (id, call) = only_call(&effects);
    let Call::Snapshots(query) = call else {
        panic!("looks up the snapshot: {call:?}");
    };
    assert_eq!(query.snapshot_ids, Some(vec![SYSTEM.to_owned()]));
    answer_snapshots(&mut app, id, sample_snapshots()[..1].to_vec());
    assert!(
        app.facts.snapshots.contains_key(SYSTEM),
        "facts for validate_with"
    );
    let screen = screen_text(&app, 80, 24);
    assert!(
        screen.contains("40 GiB (the image's system disk)"),
        "{screen}"
    );
    // Keys do not edit anything here.
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('e'));
    assert_eq!(
        app.spec.source,
        Source::Snapshot {
            snapshot_id: SYSTEM.into()
        }
    );
}

#[test]
fn the_mapping_editor_builds_disks_from_snapshots_and_empty_ones() {
    let mut app = mapping();
    assert!(errors(&app).contains(&(Field::SourceDiskSnapshot(0), Some("OperationDenied"))));
    // The system disk's snapshot, from the picker.
    pick(&mut app, KeyCode::Enter, "web-system");
    assert_eq!(spec_disks(&app)[0].snapshot_id.as_deref(), Some(SYSTEM));
    assert!(app.facts.snapshots.contains_key(SYSTEM));
    assert!(errors(&app).is_empty(), "{:?}", app.findings);
    // A data disk from a snapshot (the list is loaded once), then an empty one.
    let effects = key(&mut app, KeyCode::Char('a'));
    assert!(calls(&effects).is_empty(), "snapshots already loaded");
    type_text(&mut app, "日志");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('e'));
    let disks = spec_disks(&app);
    assert_eq!(disks.len(), 3);
    assert_eq!(disks[1].snapshot_id.as_deref(), Some(DATA));
    assert_eq!(disks[1].disk_type, DiskType::Data);
    assert_eq!(
        (disks[2].snapshot_id.as_deref(), disks[2].size),
        (None, Some(20))
    );
    assert_devices(&app, ["/dev/xvda", "/dev/xvdb", "/dev/xvdc"]);
    // The empty disk's size (focused after adding): too small, then not a number.
    key(&mut app, KeyCode::Enter);
    ctrl(&mut app, 'u');
    type_text(&mut app, "10");
    assert_eq!(spec_disks(&app)[2].size, Some(10));
    assert!(errors(&app).contains(&(
        Field::SourceDiskSize(2),
        Some("InvalidSize.ValueNotSupported")
    )));
    type_text(&mut app, "x");
    let problems = app.steps.disks.input_problems();
    assert_eq!(
        problems,
        ["Disk 3 size: \"10x\" is not a whole number of GiB."]
    );
    assert_eq!(app.step_errors(Step::Disks), 1);
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "0");
    key(&mut app, KeyCode::Enter);
    assert_eq!(spec_disks(&app)[2].size, Some(100));
    assert_eq!(app.step_errors(Step::Disks), 0);
    // A typed device: the data disk before it moves on to the next free one.
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "/dev/xvdb");
    key(&mut app, KeyCode::Enter);
    assert_devices(&app, ["/dev/xvda", "/dev/xvdc", "/dev/xvdb"]);
    // A device in use is flagged.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "/dev/xvdb");
    key(&mut app, KeyCode::Enter);
    assert!(errors(&app).contains(&(Field::SourceDiskDevice(2), Some("InvalidDevice.InUse"))));
    key(&mut app, KeyCode::Delete);
    assert_eq!(
        spec_disks(&app)[1].device,
        None,
        "Del: automatic device again"
    );
    assert!(errors(&app).is_empty(), "{:?}", app.findings);
}

#[test]
fn a_data_disk_snapshot_can_be_promoted_to_system_disk() {
    let mut app = mapping();
    pick(&mut app, KeyCode::Enter, "日志");
    assert_eq!(spec_disks(&app)[0].snapshot_id.as_deref(), Some(DATA));
    assert_eq!(spec_disks(&app)[0].disk_type, DiskType::System);
    assert_notice(&app, "becomes the system disk");
    let warned: Vec<Field> = app
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| f.field)
        .collect();
    assert_eq!(warned, [Field::Platform, Field::Architecture]);
    insta::assert_snapshot!("promoted_80x24", render(&app, 80, 24));
}

/// A mapping of three disks: the system snapshot, the data snapshot and an empty data disk
/// (focused).
fn three_disks() -> App {
    let mut app = mapping();
    pick(&mut app, KeyCode::Enter, "web-system");
    pick(&mut app, KeyCode::Char('a'), "日志");
    key(&mut app, KeyCode::Char('e'));
    app
}

#[test]
fn a_data_disk_can_be_made_the_system_disk() {
    let mut app = three_disks();
    key(&mut app, KeyCode::Char('s'));
    assert_notice(&app, "empty disk cannot");
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Char('s'));
    let disks = spec_disks(&app);
    assert_eq!(
        disks
            .iter()
            .map(|d| (d.disk_type, d.snapshot_id.as_deref()))
            .collect::<Vec<_>>(),
        [
            (DiskType::System, Some(DATA)),
            (DiskType::Data, Some(SYSTEM)),
            (DiskType::Data, None),
        ]
    );
    assert_notice(&app, "becomes the system disk");
    assert_eq!(app.steps.disks.focus, Focus::Disk(0, Cell::Source));
    assert!(errors(&app).is_empty(), "{:?}", app.findings);
}

#[test]
fn unusable_snapshots_are_refused_with_the_reason() {
    let mut app = mapping();
    pick(&mut app, KeyCode::Enter, "nightly");
    assert_eq!(spec_disks(&app)[0].snapshot_id, None);
    assert_notice(&app, "still being created");
    assert!(app.steps.disks.picking.is_some(), "the picker stays open");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(
        app.steps.disks.picking.is_none(),
        "Esc clears the filter, then closes"
    );
    assert_eq!(app.step, Step::Disks);
}

#[test]
fn disks_are_removed_but_the_system_disk_stays() {
    let mut app = mapping();
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char('e'));
    assert_eq!(spec_disks(&app).len(), 3);
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(spec_disks(&app).len(), 2);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(spec_disks(&app).len(), 2);
    assert_notice(&app, "system disk stays");
    // An emptied source keeps a size; the system disk cannot be emptied.
    key(&mut app, KeyCode::Delete);
    assert_notice(&app, "needs a snapshot");
}

#[test]
fn at_most_sixteen_data_disks() {
    let mut app = mapping();
    for _ in 0..rules::MAX_DATA_DISKS {
        key(&mut app, KeyCode::Char('e'));
    }
    assert_eq!(spec_disks(&app).len(), 17);
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(spec_disks(&app).len(), 17);
    assert!(app.steps.disks.picking.is_none());
    assert_notice(&app, "at most 16 data disks");
    insta::assert_snapshot!("full_mapping_160x48", render(&app, 160, 48));
}

#[test]
fn a_mapping_names_its_snapshots_after_a_lookup() {
    let (mut app, effects) = disks_with(Source::Disks(vec![
        DiskSpec {
            disk_type: DiskType::System,
            snapshot_id: Some(SYSTEM.into()),
            size: Some(30),
            device: None,
        },
        DiskSpec {
            disk_type: DiskType::Data,
            snapshot_id: Some("s-bp1missing0000000000".into()),
            size: None,
            device: None,
        },
    ]));
    let (id, _) = only_call(&effects);
    answer_snapshots(&mut app, id, sample_snapshots()[..1].to_vec());
    // The snapshot is 40 GiB: a 30 GiB system disk is too small.
    assert!(errors(&app).contains(&(
        Field::SourceDiskSize(0),
        Some("InvalidSize.ValueNotSupported")
    )));
    // A missing snapshot is not asked for again.
    ctrl(&mut app, 'p');
    assert!(calls(&ctrl(&mut app, 'n')).is_empty());
    insta::assert_snapshot!("mapping_errors_80x24", render(&app, 80, 24));
}

#[test]
fn screen_mapping_80x24_and_picker() {
    let mut app = three_disks();
    insta::assert_snapshot!("mapping_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("mapping_160x48", render(&app, 160, 48));
    key(&mut app, KeyCode::Char('a'));
    insta::assert_snapshot!("picker_80x24", render(&app, 80, 24));
}

#[test]
fn an_encrypted_data_snapshot_cannot_be_the_system_disk_but_can_be_data() {
    let mut app = mapping();
    let (id, _) = only_call(&key(&mut app, KeyCode::Enter)); // the system disk's snapshot
    let mut encrypted = sample_snapshots().remove(1);
    encrypted.encrypted = true;
    answer_snapshots(&mut app, id, vec![encrypted]);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("✗ of an encrypted data disk"), "{text}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(spec_disks(&app)[0].snapshot_id, None);
    assert_notice(&app, "cannot become the system disk");
    // For a data disk it is fine.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('a'));
    let text = screen_text(&app, 80, 24);
    assert!(!text.contains("✗ of an encrypted"), "{text}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(spec_disks(&app)[1].snapshot_id.as_deref(), Some(DATA));
}

/// The cells of row `y` from column `x` on, `width` wide.
fn cells_of(
    backend: &ratatui::backend::TestBackend,
    x: u16,
    y: u16,
    width: u16,
) -> Vec<ratatui::buffer::Cell> {
    (x..x + width)
        .map(|x| backend.buffer()[(x, y)].clone())
        .collect()
}

#[test]
fn the_focused_cell_is_marked_without_colour() {
    use ratatui::style::Modifier;
    let mut app = three_disks();
    assert_eq!(app.theme, crate::tui::theme::Theme::plain(), "NO_COLOR");
    // Disk 2's size shows its default, a placeholder; then its device, automatic.
    key(&mut app, KeyCode::Up);
    for (cell, header) in [(Cell::Size, "Size GiB"), (Cell::Device, "Device")] {
        assert_eq!(app.steps.disks.focus, Focus::Disk(1, cell));
        let backend = render(&app, 80, 24);
        let text = screen_text(&app, 80, 24);
        let header_row = text.lines().nth(3).unwrap_or_default();
        let x = u16::try_from(header_row.find(header).unwrap_or(0)).unwrap_or(0);
        let y = 5; // title, step bar, mapping title, header, disk 1, disk 2
        let focused = cells_of(&backend, x, y, 4);
        assert!(
            focused
                .iter()
                .all(|c| c.modifier.contains(Modifier::REVERSED)),
            "{cell:?}: {focused:?}"
        );
        let other = cells_of(&backend, x, y + 1, 4);
        assert!(
            other
                .iter()
                .all(|c| !c.modifier.contains(Modifier::REVERSED)),
            "only the focused cell"
        );
        key(&mut app, KeyCode::Right);
    }
    insta::assert_snapshot!("focused_device_80x24", render(&app, 80, 24));
}
