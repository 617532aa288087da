//! `update`: the one place the state changes. Pure and synchronous: it never awaits, never
//! reads the clock and never touches the terminal or the network; work it wants done comes
//! back as [`Effect`]s.

use std::borrow::Cow;
use std::cmp::Ordering;

use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent};

use super::app::{App, Global, Overlay, OverlayAction, Screen};
use super::effect::{Call, Effect};
use super::error_report::ErrorReport;
use super::launch::LaunchAction;
use super::msg::{Loaded, Msg, Owner, RequestId, escaped_error};
use super::restart::Done;
use super::step::Step;
use super::steps::Reaction;
use super::widgets::picker::{Column, Picker, PickerEvent, PickerKind};
use crate::api::ApiError;
use crate::api::model::Region;
use crate::spec::{Facts, Field, Source};

/// Applies one message to the app and returns the work to start.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let effects = match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        Msg::Key(key) => {
            app.notice = None;
            on_key(app, key)
        }
        Msg::Mouse(event) => on_mouse(app, event),
        Msg::Paste(text) => on_paste(app, &text),
        Msg::Resize(width, height) => {
            app.size = (width, height);
            Vec::new()
        }
        Msg::Tick(now) => {
            app.now = now;
            app.tick = app.tick.wrapping_add(1);
            app.restart.tick(now);
            let step = app.step;
            app.with_step(step, |s, ctx| s.tick(ctx))
        }
        Msg::Api { id, result } => {
            // Server text is escaped once, here, before any step keeps or shows it.
            let result = result.map(Loaded::escaped).map_err(escaped_error);
            match id.owner {
                Owner::App => regions_loaded(app, id, result),
                Owner::Step(step) => app.deliver(step, id, result),
                Owner::Restart if app.restart.expects(id) => {
                    let done = app.restart.loaded(result, &mut app.seq);
                    restart_done(app, done)
                }
                Owner::Restart => Vec::new(),
            }
        }
        Msg::SandboxStarted(Ok(connection)) => {
            app.spec.region = connection.region.clone();
            app.connection = Some(connection);
            app.screen = Screen::Wizard;
            app.start()
        }
        Msg::RegionSwitched { region, result } => region_switched(app, region, result),
        Msg::SandboxStarted(Err(reason)) => {
            if let Screen::Launch(launch) = &mut app.screen {
                launch.sandbox_failed(reason);
            }
            Vec::new()
        }
    };
    app.revalidate();
    app.sync_restart();
    effects
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if let Screen::Launch(launch) = &mut app.screen {
        return match launch.key(key) {
            LaunchAction::None => Vec::new(),
            LaunchAction::StartSandbox => vec![Effect::StartSandbox],
            LaunchAction::Quit => quit(app),
        };
    }
    // ^C quits from anywhere, overlays included, with the usual question.
    if App::quit_keymap().action(&key).is_some() {
        return match app.overlay.take() {
            Some(Overlay::ConfirmQuit) => quit(app),
            _ => {
                let mut effects: Vec<Effect> = app
                    .regions_request
                    .take()
                    .map(Effect::Cancel)
                    .into_iter()
                    .collect();
                effects.extend(request_quit(app));
                effects
            }
        };
    }
    if let Some(keymap) = app.overlay_keymap() {
        let action = keymap.action(&key);
        return match (app.overlay.take(), action) {
            (Some(overlay), Some(action)) => overlay_act(app, overlay, action, key),
            (overlay, None) => {
                app.overlay = overlay;
                Vec::new()
            }
            (None, Some(_)) => Vec::new(),
        };
    }
    let step = app.step;
    let mut outcome = Reaction::Ignored;
    let mut effects = app.with_step(step, |s, ctx| outcome = s.key(key, ctx));
    effects.extend(match outcome {
        Reaction::Handled => Vec::new(),
        Reaction::Next => next(app),
        Reaction::Back => back(app),
        Reaction::Goto(field) => go_to_field(app, field),
        Reaction::Ignored => global_key(app, key),
    });
    effects
}

/// Keys no step used.
fn global_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match app.global_keymap().action(&key) {
        Some(Global::Next) => next(app),
        Some(Global::Back) => back(app),
        Some(Global::Region) => open_regions(app),
        Some(Global::Help) => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        Some(Global::Quit) => request_quit(app),
        None => Vec::new(),
    }
}

fn overlay_act(
    app: &mut App,
    overlay: Overlay,
    action: OverlayAction,
    key: KeyEvent,
) -> Vec<Effect> {
    use OverlayAction as A;
    match (overlay, action) {
        (Overlay::Help { scroll }, A::Scroll(by)) => {
            let scroll = u16::try_from((i32::from(scroll) + by).max(0)).unwrap_or(u16::MAX);
            app.overlay = Some(Overlay::Help { scroll });
            Vec::new()
        }
        (Overlay::ConfirmQuit, A::Yes) => quit(app),
        (Overlay::ConfirmQuit, A::StartThenQuit) => app.restart.start(true, &mut app.seq),
        (Overlay::Restart, A::Restart(action)) => {
            let done = app.restart.act(action, &mut app.seq);
            restart_done(app, done)
        }
        (Overlay::Error { owner, report }, A::Retry) if report.retry => match owner {
            Some(step) => app.with_step(step, |s, ctx| s.retry(ctx)),
            None => open_regions(app),
        },
        (Overlay::ConfirmRegion { region }, A::Yes) => switch_region(app, region),
        (Overlay::Regions(mut picker), A::Picker(action)) => match picker.act(action, key) {
            PickerEvent::Chosen(i) => {
                let region = picker.rows()[i].region_id.clone();
                choose_region(app, region)
            }
            PickerEvent::Refresh => open_regions(app),
            _ => {
                app.overlay = Some(Overlay::Regions(picker));
                Vec::new()
            }
        },
        (Overlay::Regions(_), A::Close) => app
            .regions_request
            .take()
            .map(Effect::Cancel)
            .into_iter()
            .collect(),
        (_, A::Close | A::No) => Vec::new(),
        // Modal: the key changes nothing.
        (overlay, _) => {
            app.overlay = Some(overlay);
            Vec::new()
        }
    }
}

fn on_mouse(app: &mut App, event: MouseEvent) -> Vec<Effect> {
    match (&mut app.screen, &mut app.overlay) {
        (Screen::Wizard, Some(Overlay::Regions(picker))) => {
            picker.handle_mouse(event);
            Vec::new()
        }
        (Screen::Wizard, None) => {
            let step = app.step;
            app.with_step(step, |s, ctx| {
                s.mouse(event, ctx);
            })
        }
        _ => Vec::new(),
    }
}

fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
    match (&mut app.screen, &mut app.overlay) {
        (Screen::Wizard, Some(Overlay::Regions(picker))) => {
            picker.handle_paste(text);
            Vec::new()
        }
        (Screen::Wizard, None) => {
            let step = app.step;
            app.with_step(step, |s, ctx| {
                s.paste(text, ctx);
            })
        }
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Navigation

fn go_to(app: &mut App, target: Step) -> Vec<Effect> {
    if target == app.step {
        return Vec::new();
    }
    let from = app.step;
    let mut effects = app.with_step(from, |s, ctx| s.leave(ctx));
    app.step = target;
    if !app.visited.contains(&target) {
        app.visited.push(target);
    }
    effects.extend(app.with_step(target, |s, ctx| s.enter(ctx)));
    effects
}

fn next(app: &mut App) -> Vec<Effect> {
    match app.step.next() {
        Some(step) => go_to(app, step),
        None => Vec::new(),
    }
}

fn back(app: &mut App) -> Vec<Effect> {
    match app.step.previous() {
        Some(step) => go_to(app, step),
        None => Vec::new(),
    }
}

/// To the step that edits `field`, with the field focused.
fn go_to_field(app: &mut App, field: Field) -> Vec<Effect> {
    let step = Step::of_field(field);
    let mut effects = go_to(app, step);
    effects.extend(app.with_step(step, |s, _| s.focus(field)));
    effects
}

fn request_quit(app: &mut App) -> Vec<Effect> {
    if app.has_answers()
        || app.steps.get(app.step).quit_warning().is_some()
        || app.restart.down().is_some()
    {
        app.overlay = Some(Overlay::ConfirmQuit);
        Vec::new()
    } else {
        quit(app)
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    app.quit = true;
    vec![Effect::Quit]
}

/// What the restart dialog asked for: its calls, a notice, maybe the end of the wizard.
fn restart_done(app: &mut App, done: Done) -> Vec<Effect> {
    if let Some(notice) = done.notice {
        app.notice = Some(notice);
    }
    let mut effects = done.effects;
    if done.quit {
        effects.extend(quit(app));
    }
    effects
}

// ---------------------------------------------------------------------------------------------
// Regions

static REGION_COLUMNS: [Column<Region>; 3] = [
    Column {
        title: "Region",
        min: 14,
        max: 22,
        priority: 0,
        right: false,
        cell: |r| Cow::Borrowed(&r.region_id),
        cmp: Some(|a, b| a.region_id.cmp(&b.region_id)),
    },
    Column {
        title: "Name",
        min: 12,
        max: 26,
        priority: 0,
        right: false,
        cell: |r| Cow::Borrowed(&r.local_name),
        cmp: Some(|a, b| a.local_name.cmp(&b.local_name)),
    },
    Column {
        title: "Status",
        min: 9,
        max: 10,
        priority: 1,
        right: false,
        cell: |r| Cow::Borrowed(&r.status),
        cmp: Some(|a, b| a.status.cmp(&b.status).then(Ordering::Equal)),
    },
];

static REGIONS: PickerKind<Region> = PickerKind {
    noun: "regions",
    columns: &REGION_COLUMNS,
    key: |r| &r.region_id,
    haystack: |r| format!("{} {}", r.region_id, r.local_name),
    unusable: |_| None,
};

fn open_regions(app: &mut App) -> Vec<Effect> {
    let mut effects: Vec<Effect> = app
        .regions_request
        .take()
        .map(Effect::Cancel)
        .into_iter()
        .collect();
    let mut picker = Picker::new(&REGIONS);
    picker.start_loading();
    app.overlay = Some(Overlay::Regions(Box::new(picker)));
    app.seq += 1;
    let id = RequestId {
        owner: Owner::App,
        seq: app.seq,
    };
    app.regions_request = Some(id);
    effects.push(Effect::Call {
        id,
        call: Call::Regions,
        delay: std::time::Duration::ZERO,
    });
    effects
}

fn regions_loaded(app: &mut App, id: RequestId, result: Result<Loaded, ApiError>) -> Vec<Effect> {
    if app.regions_request != Some(id) {
        return Vec::new();
    }
    app.regions_request = None;
    match result {
        Ok(Loaded::Regions(regions)) => {
            if let Some(Overlay::Regions(picker)) = &mut app.overlay {
                picker.push_page(regions, true);
                picker.select_key(&app.spec.region);
            }
        }
        Ok(_) => {}
        Err(error) => {
            app.overlay = Some(Overlay::Error {
                owner: None,
                report: ErrorReport::from_api("Loading regions", &error, true),
            });
        }
    }
    Vec::new()
}

fn choose_region(app: &mut App, region: String) -> Vec<Effect> {
    if region == app.spec.region {
        return Vec::new();
    }
    if app.spec.source.is_empty() {
        switch_region(app, region)
    } else {
        app.overlay = Some(Overlay::ConfirmRegion { region });
        Vec::new()
    }
}

/// Asks the runner for a client in `region`; the wizard moves there when it has one.
fn switch_region(app: &mut App, region: String) -> Vec<Effect> {
    app.notice = Some(format!("Switching to {region}…"));
    vec![Effect::SwitchRegion(region)]
}

/// The runner's answer to a region switch: move the wizard there, or say why it stays.
fn region_switched(app: &mut App, region: String, result: Result<(), String>) -> Vec<Effect> {
    match result {
        Ok(()) => moved_to_region(app, region),
        Err(reason) => {
            app.notice = None;
            app.overlay = Some(Overlay::Error {
                owner: None,
                report: ErrorReport {
                    doing: format!("Switching to {region}"),
                    message: reason,
                    code: None,
                    meaning: Some(format!(
                        "The wizard stays in {}: its lists and answers are unchanged.",
                        app.spec.region
                    )),
                    fix: Some(
                        "Check the region ID and the endpoint settings; r tries another region."
                            .into(),
                    ),
                    request_id: None,
                    recommend: None,
                    retry: true,
                },
            });
            Vec::new()
        }
    }
}

/// Moves the wizard to `region`: the source and every regional fact are forgotten, each step
/// drops its lists, and the active step loads again.
fn moved_to_region(app: &mut App, region: String) -> Vec<Effect> {
    app.spec.region = region.clone();
    app.spec.source = Source::default();
    app.facts = Facts::default();
    if let Some(connection) = &mut app.connection {
        connection.region = region.clone();
    }
    let mut effects = Vec::new();
    for step in Step::ALL {
        effects.extend(app.with_step(step, |s, ctx| s.region_changed(ctx)));
    }
    let active = app.step;
    effects.extend(app.with_step(active, |s, ctx| s.enter(ctx)));
    app.notice = Some(format!("Switched to {region}."));
    effects
}

#[cfg(test)]
mod tests;
