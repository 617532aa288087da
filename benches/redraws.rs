//! What terminal events cost the wizard: frames drawn and time taken per 1,000 events of each
//! kind, through the real event loop (`tui::event_loop`) on the embedded sandbox, drawing into
//! a 120×40 `TestBackend`. Events the wizard does not use (pointer motion, drags, releases,
//! focus changes) should draw nothing; the wheel and keys draw one frame each.
//!
//! Run: `cargo bench --bench redraws` (a plain binary; prints a table).

use std::time::{Duration, Instant};

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ecsimg::config::{ConfigOrigin, LoadedConfig};
use ecsimg::session::SessionOptions;
use ecsimg::tui::app::App;
use ecsimg::tui::event_loop::EventLoop;
use ecsimg::tui::launch::{Connector, Opening};
use ecsimg::tui::runner::Runner;
use ecsimg::tui::theme::Theme;
use futures::channel::mpsc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const EVENTS: u16 = 1000;

type Events = mpsc::UnboundedReceiver<std::io::Result<Event>>;
/// The `i`-th event of a kind.
type MakeEvent = fn(u16) -> Event;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

fn mouse(kind: MouseEventKind, i: u16) -> Event {
    Event::Mouse(MouseEvent {
        kind,
        column: 1 + i % 118,
        row: 6 + i % 30,
        modifiers: KeyModifiers::NONE,
    })
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

async fn run() {
    let opts = SessionOptions {
        sandbox: true,
        ..SessionOptions::default()
    };
    let config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
    let (connector, opening) = Connector::open(&opts, config)
        .await
        .expect("the sandbox starts");
    let Opening::Ready { client, connection } = opening else {
        panic!("the sandbox needs no credentials");
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = App::new(Some(connection), None, Theme::from_env());
    let mut wizard = EventLoop::new(app, Runner::new(tx, connector, Some(client)), rx);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let (send, mut events) = mpsc::unbounded();
    let mut signals = futures::stream::pending();
    // Let the first listing load and the spinners stop.
    let mut turn = async |wizard: &mut EventLoop, events: &mut Events| {
        let step = wizard.step(&mut terminal, events, &mut signals);
        tokio::time::timeout(Duration::from_millis(300), step)
            .await
            .map(|result| result.expect("no error"))
    };
    while turn(&mut wizard, &mut events).await.is_ok() {}
    assert!(!wizard.app().busy(), "settled");

    let kinds: [(&str, MakeEvent); 7] = [
        ("pointer motion", |i| mouse(MouseEventKind::Moved, i)),
        ("drags", |i| {
            mouse(MouseEventKind::Drag(MouseButton::Left), i)
        }),
        ("button releases", |i| {
            mouse(MouseEventKind::Up(MouseButton::Left), i)
        }),
        ("focus changes", |i| {
            if i % 2 == 0 {
                Event::FocusLost
            } else {
                Event::FocusGained
            }
        }),
        ("wheel down/up", |i| {
            let kind = if i % 2 == 0 {
                MouseEventKind::ScrollDown
            } else {
                MouseEventKind::ScrollUp
            };
            Event::Mouse(MouseEvent {
                kind,
                column: 10,
                row: 10,
                modifiers: KeyModifiers::NONE,
            })
        }),
        ("clicks on a row", |i| {
            mouse(MouseEventKind::Down(MouseButton::Left), 8 + i % 5)
        }),
        ("keys ↓/↑", |i| {
            key(if i % 2 == 0 {
                KeyCode::Down
            } else {
                KeyCode::Up
            })
        }),
    ];
    println!("| {EVENTS} events | frames drawn | time | per event |");
    println!("|---|---:|---:|---:|");
    for (name, make) in kinds {
        for i in 0..EVENTS {
            send.unbounded_send(Ok(make(i))).expect("the loop listens");
        }
        let frames = wizard.frames();
        let started = Instant::now();
        for _ in 0..EVENTS {
            turn(&mut wizard, &mut events)
                .await
                .expect("an event is waiting");
        }
        // The frame the last applied event asks for.
        send.unbounded_send(Ok(Event::FocusGained))
            .expect("the loop listens");
        turn(&mut wizard, &mut events).await.expect("drawn");
        let took = started.elapsed();
        println!(
            "| {name} | {} | {:.1} ms | {:.1} µs |",
            wizard.frames() - frames,
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() * 1e6 / f64::from(EVENTS)
        );
    }
}
