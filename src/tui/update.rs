//! `update`: the one place the state changes. Pure and synchronous: it never awaits, never
//! reads the clock and never touches the terminal or the network; work it wants done comes
//! back as [`Effect`]s.

use std::borrow::Cow;
use std::cmp::Ordering;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent};

use super::app::{App, Overlay, Screen};
use super::effect::{Call, Effect};
use super::launch::LaunchAction;
use super::msg::{Loaded, Msg, Owner, RequestId};
use super::steps::{Outcome, Step};
use super::view::ErrorReport;
use super::widgets::picker::{Column, Picker, PickerEvent, PickerKind};
use crate::api::ApiError;
use crate::api::model::Region;
use crate::spec::{Context, Field, Source};

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
            Vec::new()
        }
        Msg::Api { id, result } => match id.owner {
            Owner::App => regions_loaded(app, id, result),
            Owner::Step(step) => app.deliver(step, id, result),
        },
        Msg::SandboxStarted(Ok(session)) => {
            app.spec.region = session.region.clone();
            app.session = Some(session);
            app.screen = Screen::Wizard;
            app.start()
        }
        Msg::SandboxStarted(Err(reason)) => {
            if let Screen::Launch(launch) = &mut app.screen {
                launch.sandbox_failed(reason);
            }
            Vec::new()
        }
    };
    app.revalidate();
    effects
}

fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.code == KeyCode::Char(c) && key.modifiers.contains(KeyModifiers::CONTROL)
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if let Screen::Launch(launch) = &mut app.screen {
        return match launch.key(key) {
            LaunchAction::None => Vec::new(),
            LaunchAction::StartSandbox => vec![Effect::StartSandbox],
            LaunchAction::Quit => quit(app),
        };
    }
    if let Some(overlay) = app.overlay.take() {
        return overlay_key(app, overlay, key);
    }
    if is_ctrl(&key, 'c') {
        return request_quit(app);
    }
    if key.code == KeyCode::F(1) {
        app.overlay = Some(Overlay::Help { scroll: 0 });
        return Vec::new();
    }
    let step = app.step;
    let mut outcome = Outcome::Ignored;
    let mut effects = app.with_step(step, |s, ctx| outcome = s.key(key, ctx));
    effects.extend(match outcome {
        Outcome::Handled => Vec::new(),
        Outcome::Next => next(app),
        Outcome::Back => back(app),
        Outcome::Goto(field) => go_to_field(app, field),
        Outcome::Ignored => global_key(app, key),
    });
    effects
}

/// Keys no step used.
fn global_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        _ if is_ctrl(&key, 'n') => next(app),
        _ if is_ctrl(&key, 'p') => back(app),
        _ if is_ctrl(&key, 'g') => open_regions(app),
        KeyCode::Esc if app.step == Step::Source => request_quit(app),
        KeyCode::Esc => back(app),
        KeyCode::Char('?') => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        KeyCode::Char('q') => request_quit(app),
        _ => Vec::new(),
    }
}

fn overlay_key(app: &mut App, overlay: Overlay, key: KeyEvent) -> Vec<Effect> {
    let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q'));
    match overlay {
        Overlay::Help { scroll } => {
            let scroll = match key.code {
                KeyCode::Down | KeyCode::Char('j') => Some(scroll.saturating_add(1)),
                KeyCode::Up | KeyCode::Char('k') => Some(scroll.saturating_sub(1)),
                KeyCode::PageDown | KeyCode::Char(' ') => Some(scroll.saturating_add(10)),
                KeyCode::PageUp => Some(scroll.saturating_sub(10)),
                KeyCode::Enter | KeyCode::Char('?') | KeyCode::F(1) => None,
                _ if close => None,
                _ => Some(scroll),
            };
            app.overlay = scroll.map(|scroll| Overlay::Help { scroll });
            Vec::new()
        }
        Overlay::ConfirmQuit => match key.code {
            KeyCode::Char('y' | 'Y') => quit(app),
            _ if is_ctrl(&key, 'c') => quit(app),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Vec::new(),
            _ => {
                app.overlay = Some(Overlay::ConfirmQuit);
                Vec::new()
            }
        },
        Overlay::Error { owner, report } => match key.code {
            KeyCode::Char('r') if report.retry => match owner {
                Some(step) => app.with_step(step, |s, ctx| s.retry(ctx)),
                None => open_regions(app),
            },
            KeyCode::Enter => Vec::new(),
            _ if close => Vec::new(),
            _ => {
                app.overlay = Some(Overlay::Error { owner, report });
                Vec::new()
            }
        },
        Overlay::ConfirmRegion { region } => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => switch_region(app, region),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Vec::new(),
            _ => {
                app.overlay = Some(Overlay::ConfirmRegion { region });
                Vec::new()
            }
        },
        Overlay::Regions(mut picker) => match picker.handle_key(key) {
            PickerEvent::Chosen(i) => {
                let region = picker.rows()[i].region_id.clone();
                choose_region(app, region)
            }
            PickerEvent::Refresh => open_regions(app),
            PickerEvent::Ignored if key.code == KeyCode::Esc || is_ctrl(&key, 'c') => app
                .regions_request
                .take()
                .map(Effect::Cancel)
                .into_iter()
                .collect(),
            _ => {
                app.overlay = Some(Overlay::Regions(picker));
                Vec::new()
            }
        },
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
    if app.has_answers() || app.steps.get(app.step).quit_warning().is_some() {
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

/// Moves the wizard to `region`: the source and every regional fact are forgotten, each step
/// drops its lists, and the active step loads again.
fn switch_region(app: &mut App, region: String) -> Vec<Effect> {
    app.spec.region = region.clone();
    app.spec.source = Source::default();
    app.facts = Context::default();
    if let Some(session) = &mut app.session {
        session.region = region.clone();
    }
    let mut effects = vec![Effect::SwitchRegion(region.clone())];
    for step in Step::ALL {
        effects.extend(app.with_step(step, |s, ctx| s.region_changed(ctx)));
    }
    let active = app.step;
    effects.extend(app.with_step(active, |s, ctx| s.enter(ctx)));
    app.notice = Some(format!("Switched to {region}."));
    effects
}

#[cfg(test)]
mod tests {
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
        assert_eq!(app.step, Step::Review);
        ctrl(&mut app, 'n');
        assert_eq!(app.step, Step::Submit);
        ctrl(&mut app, 'n');
        assert_eq!(app.step, Step::Submit, "the last step");
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.step, Step::Review);
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.step, Step::Tags);
        ctrl(&mut app, 'p');
        assert_eq!(app.step, Step::Details);
        assert_eq!(app.visited.len(), 6);
        // Back on step 1 the interrupted list loads again.
        ctrl(&mut app, 'p');
        let effects = ctrl(&mut app, 'p');
        assert_eq!(app.step, Step::Source);
        assert!(matches!(only_call(&effects).1, Call::Instances(_)));
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
        let (again, call) = only_call(&effects);
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
        assert_eq!(effects[0], Effect::SwitchRegion("cn-shanghai".into()));
        assert!(matches!(only_call(&effects).1, Call::Instances(_)));
        assert_eq!(app.spec.region, "cn-shanghai");
        assert!(app.steps.source.instances().rows().is_empty());
        assert!(app.overlay.is_none());
        assert_eq!(
            app.session.as_ref().map(|s| s.region.as_str()),
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
        assert!(app.spec.source.is_empty());
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
        assert!(matches!(only_call(&effects).1, Call::Instances(_)));
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
}
