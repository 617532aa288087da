//! Helpers for driving the wizard in tests without a terminal: build an `App`, feed it keys and
//! API results, collect the effects, render into a `TestBackend`. Shared by every step's tests.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::App;
use super::effect::{Call, Effect};
use super::launch::Connection;
use super::msg::{Loaded, Msg, Page, RequestId};
use super::step::Step;
use super::theme::Theme;
use super::update::update;
use super::view::view;
use crate::api::ApiError;
use crate::api::error::ServiceError;
use crate::api::model::{Instance, InstanceLocks, OperationLock, Snapshot};

/// The fixed "now" of every test.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .single()
        .expect("valid time")
}

pub fn session() -> Connection {
    Connection {
        sandbox: true,
        region: "cn-hangzhou".into(),
        credential_source: "sandbox key pair (built in)".into(),
        endpoint: "http://127.0.0.1:8080".into(),
    }
}

/// A session against a real account (the default endpoint of cn-hangzhou).
pub fn real_session() -> Connection {
    Connection {
        sandbox: false,
        region: "cn-hangzhou".into(),
        credential_source: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)".into(),
        endpoint: "https://ecs-cn-hangzhou.aliyuncs.com".into(),
    }
}

/// A wizard connected to a (pretend) sandbox, with the plain theme and a fixed clock. The
/// effects of entering step 1 are returned alongside, without the region-wide system-disk scan
/// (left unanswered: [`wizard_with_scan`] gives it to the tests about it).
pub fn wizard() -> (App, Vec<Effect>) {
    let (app, effects) = wizard_with_scan();
    (app, without_system_disk_scan(effects))
}

/// [`wizard`], with every effect of entering step 1.
pub fn wizard_with_scan() -> (App, Vec<Effect>) {
    let mut app = App::new(Some(session()), None, Theme::plain());
    app.now = now();
    let effects = app.start();
    (app, effects)
}

/// Whether `call` is step 1's region-wide DescribeDisks for system disks.
pub fn is_system_disk_scan(call: &Call) -> bool {
    matches!(call, Call::Disks(q) if q.disk_type.as_deref() == Some("system") && q.instance_id.is_none())
}

/// `effects` without step 1's system-disk scan, for tests about something else.
pub fn without_system_disk_scan(effects: Vec<Effect>) -> Vec<Effect> {
    effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::Call { call, .. } if is_system_disk_scan(call)))
        .collect()
}

pub fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

/// Presses ^N until the wizard is at `step` (it must lie ahead); returns the effects of the
/// last press, the one that entered `step`.
pub fn go_to(app: &mut App, step: Step) -> Vec<Effect> {
    let mut effects = Vec::new();
    while app.step < step {
        let from = app.step;
        effects = ctrl(app, 'n');
        assert_ne!(app.step, from, "^N did not leave {from:?} for {step:?}");
    }
    assert_eq!(app.step, step);
    effects
}

/// Types each character of `text`; returns all effects.
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

/// The calls among `effects`.
pub fn calls(effects: &[Effect]) -> Vec<(RequestId, Call)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Call { id, call, .. } => Some((*id, call.clone())),
            _ => None,
        })
        .collect()
}

/// The single call among `effects` (panics otherwise: a test expectation).
pub fn only_call(effects: &[Effect]) -> (RequestId, Call) {
    let found = calls(effects);
    assert_eq!(found.len(), 1, "expected one call in {effects:?}");
    found[0].clone()
}

/// Delivers an API result.
pub fn answer(app: &mut App, id: RequestId, result: Result<Loaded, ApiError>) -> Vec<Effect> {
    update(app, Msg::Api { id, result })
}

/// Delivers `rows` as one page followed by the final empty page.
pub fn answer_instances(app: &mut App, id: RequestId, rows: Vec<Instance>) -> Vec<Effect> {
    let mut effects = answer(app, id, Ok(Loaded::Instances(Page { rows, last: false })));
    effects.extend(answer(
        app,
        id,
        Ok(Loaded::Instances(Page {
            rows: Vec::new(),
            last: true,
        })),
    ));
    effects
}

pub fn answer_snapshots(app: &mut App, id: RequestId, rows: Vec<Snapshot>) -> Vec<Effect> {
    let mut effects = answer(app, id, Ok(Loaded::Snapshots(Page { rows, last: false })));
    effects.extend(answer(
        app,
        id,
        Ok(Loaded::Snapshots(Page {
            rows: Vec::new(),
            last: true,
        })),
    ));
    effects
}

/// An ECS error answer.
pub fn service_error(code: &str, message: &str) -> ApiError {
    ApiError::Service(Box::new(ServiceError {
        http_status: 400,
        code: code.into(),
        message: message.into(),
        request_id: "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E".into(),
        recommend: String::new(),
        host_id: "ecs.cn-hangzhou.aliyuncs.com".into(),
        retry_after: None,
        access_denied: None,
        refused: None,
    }))
}

pub fn instance(id: &str, name: &str, status: &str) -> Instance {
    Instance {
        instance_id: id.into(),
        instance_name: name.into(),
        status: status.into(),
        zone_id: "cn-hangzhou-h".into(),
        instance_type: "ecs.g7.large".into(),
        os_name_en: "Alibaba Cloud Linux 3.2104 LTS 64 bit".into(),
        creation_time: "2026-03-02T08:15Z".into(),
        ..Instance::default()
    }
}

pub fn locked(mut instance: Instance) -> Instance {
    instance.operation_locks = InstanceLocks::from(vec![OperationLock {
        lock_reason: "security".into(),
        lock_msg: String::new(),
    }]);
    instance
}

/// Instances covering every state the picker distinguishes, with a Chinese name.
pub fn sample_instances() -> Vec<Instance> {
    vec![
        instance("i-bp1g6zv0ce8oghu7k001", "web-prod-01", "Running"),
        instance("i-bp1g6zv0ce8oghu7k002", "数据库主节点", "Stopped"),
        instance("i-bp1g6zv0ce8oghu7k003", "batch-worker", "Starting"),
        locked(instance("i-bp1g6zv0ce8oghu7k004", "quarantined", "Stopped")),
        instance("i-bp1g6zv0ce8oghu7k005", "build-agent", "Stopped"),
    ]
}

pub fn snapshot(id: &str, name: &str, status: &str, disk: &str, created: &str) -> Snapshot {
    Snapshot {
        snapshot_id: id.into(),
        snapshot_name: name.into(),
        status: status.into(),
        progress: if status == "accomplished" {
            "100%".into()
        } else {
            "43%".into()
        },
        source_disk_type: disk.into(),
        source_disk_size: "40".into(),
        source_disk_id: "d-bp1disk000000000001".into(),
        creation_time: created.into(),
        ..Snapshot::default()
    }
}

pub fn sample_snapshots() -> Vec<Snapshot> {
    vec![
        snapshot(
            "s-bp17441ohwkdca0k0001",
            "web-system-20261120",
            "accomplished",
            "system",
            "2026-11-20T02:00:00Z",
        ),
        snapshot(
            "s-bp17441ohwkdca0k0002",
            "日志数据盘",
            "accomplished",
            "data",
            "2026-11-21T02:00:00Z",
        ),
        snapshot(
            "s-bp17441ohwkdca0k0003",
            "nightly",
            "progressing",
            "system",
            "2026-11-27T09:50:00Z",
        ),
        snapshot(
            "s-bp17441ohwkdca0k0004",
            "legacy",
            "accomplished",
            "system",
            "2013-07-01T00:00:00Z",
        ),
    ]
}

/// Draws the app into a test backend of `width` × `height`.
pub fn render(app: &App, width: u16, height: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|frame| view(app, frame)).expect("draws");
    terminal.backend().clone()
}

/// The rendered screen as plain text (rows joined by newlines), for `contains` checks.
pub fn screen_text(app: &App, width: u16, height: u16) -> String {
    buffer_text(render(app, width, height).buffer())
}

/// A drawn buffer as plain text (rows joined by newlines).
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text inside the dialog on screen (between its side borders), its wrapped rows joined
/// by single spaces, so a sentence can be found whatever the width.
pub fn dialog_text(app: &App, width: u16, height: u16) -> String {
    screen_text(app, width, height)
        .lines()
        .filter_map(|row| {
            let start = row.find('│')?;
            let end = row.rfind('│').filter(|end| *end > start)?;
            Some(row[start + '│'.len_utf8()..end].to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
