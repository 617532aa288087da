//! The frame around the steps: header (SANDBOX marker, region, credential source), step bar,
//! footer of the keys valid now, and the overlays (help, confirmations, errors, region picker).
//! Everything here only reads the `App`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::app::{App, Overlay, Screen};
use super::error_report::ErrorReport;
use super::step::Step;
use super::steps::ViewCtx;
use super::widgets::bars_around;
use super::widgets::dialog::{Dialog, input_box, unindented};
use super::widgets::keymap::{HelpLine, KeyHint};
use super::widgets::picker::{PickerStyle, put};
use crate::text::escape;
use crate::text::wrap;

/// The smallest terminal the wizard draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let theme = &app.theme;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "ecsimg needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}. \
             Enlarge the window (or make the font smaller). ^C quits.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.warning)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, bar, body, footer] = bars_around(area);
    render_header(app, frame, header);
    match &app.screen {
        Screen::Launch(launch) => {
            launch.view(theme, spinner(app.tick), frame, body);
            render_footer(
                app,
                frame,
                footer,
                &[("s".into(), "start the sandbox".into())],
                &[("q".into(), "quit".into())],
            );
        }
        Screen::Wizard => {
            render_step_bar(app, frame, bar);
            let ctx = ViewCtx {
                spec: &app.spec,
                findings: &app.findings,
                facts: &app.facts,
                theme,
                now: app.now,
                tick: app.tick,
                focused: app.overlay.is_none(),
            };
            app.steps.get(app.step).view(&ctx, frame, body);
            let (keys, globals) = app.footer_keys();
            render_footer(app, frame, footer, &keys, &globals);
        }
    }
    if let Some(overlay) = &app.overlay {
        render_overlay(app, overlay, frame, body);
    }
}

fn spinner(tick: u64) -> &'static str {
    const FRAMES: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
    FRAMES[(tick % FRAMES.len() as u64) as usize]
}

fn render_header(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let buf = frame.buffer_mut();
    buf.set_style(area, theme.header);
    let mut spans = vec![Span::styled(
        " ecsimg ",
        theme.header.add_modifier(Modifier::BOLD),
    )];
    match &app.connection {
        Some(connection) => {
            if connection.sandbox {
                spans.push(Span::styled(" SANDBOX ", theme.sandbox));
            }
            spans.push(Span::styled(
                format!(" region {} ", app.spec.region),
                theme.header,
            ));
            // The source names a profile, and profiles come from files: escaped.
            spans.push(Span::styled(
                format!("│ key: {} ", escape(&connection.credential_source)),
                theme.header,
            ));
            let endpoint = format!("│ {}", connection.endpoint);
            let used: usize = spans.iter().map(|s| s.content.width()).sum();
            if used + endpoint.width() <= usize::from(area.width) {
                spans.push(Span::styled(endpoint, theme.header));
            }
        }
        None => spans.push(Span::styled(" not connected", theme.header)),
    }
    frame.render_widget(Line::from(spans), area);
}

fn render_step_bar(app: &App, frame: &mut Frame, area: Rect) {
    // Full titles when they fit, else short ones, else short ones with narrower separators.
    let layouts = [(false, " › "), (true, " › "), (true, " ")];
    let bars = layouts.map(|(short, separator)| step_bar(app, short, separator));
    let fits = |line: &&Line| line.width() <= usize::from(area.width);
    let [.., narrowest] = &bars;
    let line = bars.iter().find(fits).unwrap_or(narrowest);
    frame.render_widget(line.clone(), area);
}

/// The step bar: each step's number and title, marked ✓ or ✗ once visited.
fn step_bar(app: &App, short: bool, separator: &'static str) -> Line<'static> {
    let theme = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for (i, step) in Step::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(separator, theme.muted));
        }
        let title = if short {
            step.short_title()
        } else {
            step.title()
        };
        let label = format!("{} {title}", step.number());
        let visited = app.visited.contains(step);
        let style = if *step == app.step {
            theme.selected
        } else if !visited {
            theme.muted
        } else {
            theme.text
        };
        spans.push(Span::styled(label, style));
        if visited && *step != app.step {
            match app.step_verdict(*step) {
                Some(false) => spans.push(Span::styled(" ✗", theme.error)),
                Some(true) => spans.push(Span::styled(" ✓", theme.ok)),
                None => {}
            }
        }
    }
    Line::from(spans)
}

/// The keys valid now: the step's on the left (as many as fit, most important first), the
/// global ones always shown on the right. A notice replaces them until the next key.
fn render_footer(app: &App, frame: &mut Frame, area: Rect, step: &[KeyHint], global: &[KeyHint]) {
    let theme = &app.theme;
    let buf = frame.buffer_mut();
    if let Some(notice) = &app.notice {
        // A long notice takes rows above the footer rather than being cut (IDs stay whole).
        let lines = wrap(notice, usize::from(area.width.saturating_sub(2)));
        let first = area
            .y
            .saturating_sub(u16::try_from(lines.len()).unwrap_or(0).saturating_sub(1));
        for (line, y) in lines.iter().zip(first..=area.y) {
            let row = Rect::new(area.x, y, area.width, 1);
            buf.set_style(row, theme.text);
            for x in row.left()..row.right() {
                buf[(x, y)].set_symbol(" ");
            }
            put(buf, area.x + 1, y, line, area.width - 1, theme.ok);
        }
        return;
    }
    let width = |keys: &[KeyHint]| -> u16 {
        keys.iter()
            .map(|(k, w)| (k.width() + w.width() + 3) as u16)
            .sum()
    };
    let right = width(global);
    let mut x = area.x + 1;
    let limit = area.right().saturating_sub(right + 1);
    let mut draw = |x: &mut u16, (key, what): &KeyHint, limit: u16| {
        let need = (key.width() + what.width() + 3) as u16;
        if *x + need > limit {
            return false;
        }
        let (after_key, _) = buf.set_stringn(*x, area.y, key, usize::from(need), theme.key);
        buf.set_stringn(after_key + 1, area.y, what, usize::from(need), theme.muted);
        *x += need;
        true
    };
    for hint in step {
        if !draw(&mut x, hint, limit) {
            break;
        }
    }
    let mut x = area.right().saturating_sub(right);
    for hint in global {
        draw(&mut x, hint, area.right());
    }
}

fn render_overlay(app: &App, overlay: &Overlay, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    match overlay {
        Overlay::Help { scroll } => {
            let (step, global) = app.help_lines();
            let width = step
                .iter()
                .chain(&global)
                .map(|l| l.keys.width())
                .filter(|w| *w <= HELP_KEYS)
                .max()
                .unwrap_or(0);
            let mut lines = vec![(
                Line::styled(
                    format!("Step {} · {}", app.step.number(), app.step.title()),
                    theme.title,
                ),
                0,
            )];
            lines.extend(step.iter().flat_map(|l| help_line(l, width, app)));
            lines.push((Line::raw(""), 0));
            lines.push((Line::styled("Everywhere", theme.title), 0));
            lines.extend(global.iter().flat_map(|l| help_line(l, width, app)));
            Dialog {
                title: "Help",
                lines,
                keys: overlay_keys(app),
                accent: theme.border_focused,
                width: 76,
                scroll: *scroll,
            }
            .render(theme, frame, area);
        }
        Overlay::ConfirmQuit => Dialog {
            title: "Quit?",
            lines: unindented(quit_lines(app)),
            keys: overlay_keys(app),
            accent: theme.warning,
            width: 60,
            scroll: 0,
        }
        .render(theme, frame, area),
        Overlay::Error { report, .. } => render_error(app, report, frame, area),
        Overlay::Restart => app
            .restart
            .render(theme, app.now, spinner(app.tick), frame, area),
        Overlay::ConfirmRegion { region } => Dialog {
            title: "Switch region?",
            lines: unindented(vec![Line::raw(format!(
                "The source you chose is in {}. Switching to {region} clears the source and \
                 its disks (instances and snapshots belong to one region).",
                app.spec.region
            ))]),
            keys: overlay_keys(app),
            accent: theme.warning,
            width: 64,
            scroll: 0,
        }
        .render(theme, frame, area),
        Overlay::Regions(picker) => {
            let width = area.width.min(72);
            let height = area.height.min(18);
            let keys = overlay_keys(app);
            let inner = input_box(frame, area, (width, height), "Region", &keys, theme);
            let style = PickerStyle {
                theme,
                spinner: spinner(app.tick),
                focused: true,
                empty: "No regions.",
            };
            picker.render(&style, frame, inner);
        }
    }
}

/// Why quitting deserves a question: the active step's reason (or the answers that would be
/// lost), and the instance ecsimg stopped that is still down.
fn quit_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw(
        app.steps
            .get(app.step)
            .quit_warning()
            .unwrap_or_else(|| "Your answers are not saved anywhere. Quit and lose them?".into()),
    )];
    if let Some(down) = app.restart.down() {
        let id = &down.instance.instance_id;
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            if app.restart.startable_from(&app.spec.region) {
                format!(
                    "ecsimg stopped {id} for the image and it is still down: s starts it again \
                     and quits once it is Running; y quits and leaves it stopped."
                )
            } else {
                format!(
                    "ecsimg stopped {id} in {} and it is still down; switch back to that region \
                     (^G) to start it from here, or y quits and leaves it stopped.",
                    down.region
                )
            },
            app.theme.warning,
        ));
    }
    lines
}

/// The open overlay's keys, for its border.
fn overlay_keys(app: &App) -> Vec<KeyHint> {
    app.overlay_keymap().map(|k| k.footer()).unwrap_or_default()
}

/// Widest key column of the help popup; longer key lists get a row of their own.
const HELP_KEYS: usize = 18;

/// `keys  what they do`, the keys padded to `width`, wrapped rows hanging under the text. Keys
/// wider than the column get a row of their own, the text under it at the hanging indent. A
/// line without keys is a sentence.
fn help_line(line: &HelpLine, width: usize, app: &App) -> Vec<(Line<'static>, u16)> {
    let theme = &app.theme;
    let text = line.text.clone().into_owned();
    if line.keys.is_empty() {
        return vec![(Line::styled(text, theme.text), 0)];
    }
    let indent = u16::try_from(width + 2).unwrap_or(0);
    if line.keys.width() > width {
        return vec![
            (Line::styled(line.keys.clone(), theme.key), indent),
            (
                Line::from(vec![
                    Span::raw(" ".repeat(width + 2)),
                    Span::styled(text, theme.text),
                ]),
                indent,
            ),
        ];
    }
    let pad = width - line.keys.width();
    vec![(
        Line::from(vec![
            Span::styled(format!("{}{}  ", line.keys, " ".repeat(pad)), theme.key),
            Span::styled(text, theme.text),
        ]),
        indent,
    )]
}

fn render_error(app: &App, report: &ErrorReport, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut lines = vec![
        Line::styled(format!("{} failed.", report.doing), theme.title),
        Line::raw(""),
        Line::styled(report.message.clone(), theme.error),
    ];
    if let Some(meaning) = &report.meaning {
        lines.push(Line::raw(""));
        lines.push(Line::raw(meaning.clone()));
    }
    if let Some(fix) = &report.fix {
        lines.push(Line::from(vec![
            Span::styled("What to do: ", theme.title),
            Span::raw(fix.clone()),
        ]));
    }
    if let Some(id) = &report.request_id {
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("RequestId {id}"), theme.muted));
    }
    if let Some(link) = &report.recommend {
        lines.push(Line::styled(link.clone(), theme.muted));
    }
    Dialog {
        title: "Error",
        lines: unindented(lines),
        keys: overlay_keys(app),
        accent: theme.error,
        width: 72,
        scroll: 0,
    }
    .render(theme, frame, area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::Region;
    use crate::tui::launch::LaunchScreen;
    use crate::tui::msg::Loaded;
    use crate::tui::testing::*;
    use crate::tui::theme::Theme;

    fn start_screen() -> App {
        let problem = "No Alibaba Cloud credentials found. Looked in this order:\n  1. \
                       environment: ALIBABA_CLOUD_ACCESS_KEY_ID is not set\n  2. aliyun CLI \
                       config ~/.aliyun/config.json: file not found\n  3. credentials file \
                       ~/.alibabacloud/credentials: file not found\n  4. config file \
                       [credentials]: no config file";
        let launch = LaunchScreen::new(
            problem.into(),
            "no config file (looked for ~/.config/ecsimg/config.toml)".into(),
        );
        App::new(None, Some(launch), Theme::plain())
    }

    #[test]
    fn start_screen_says_what_was_looked_for() {
        let app = start_screen();
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("~/.aliyun/config.json"), "{text}");
        assert!(text.contains("to try the sandbox"), "{text}");
        insta::assert_snapshot!("start_screen_80x24", render(&app, 80, 24));
        insta::assert_snapshot!("start_screen_160x48", render(&app, 160, 48));
    }

    #[test]
    fn too_small_says_so() {
        let (app, _) = wizard();
        let text = screen_text(&app, 60, 20);
        assert!(text.contains("at least 80×24"), "{text}");
        assert!(text.contains("60×20"), "{text}");
    }

    #[test]
    fn error_popup_shows_the_explanation_and_request_id() {
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer(
            &mut app,
            id,
            Err(service_error(
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            )),
        );
        let text = screen_text(&app, 80, 24);
        assert!(text.contains("Loading instances failed."), "{text}");
        assert!(
            text.contains("473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"),
            "{text}"
        );
        insta::assert_snapshot!("error_popup_80x24", render(&app, 80, 24));
    }

    #[test]
    fn help_wraps_with_a_hanging_indent_at_80_columns() {
        let (mut app, effects) = wizard();
        let (id, _) = only_call(&effects);
        answer_instances(&mut app, id, sample_instances());
        key(&mut app, crossterm::event::KeyCode::Char('?'));
        let text = screen_text(&app, 80, 24);
        let rows: Vec<&str> = text.lines().collect();
        let at = rows
            .iter()
            .position(|r| r.contains("filter the list"))
            .expect("the filter's help");
        let column = |row: &str, part: &str| row.find(part).map(|i| row[..i].chars().count());
        assert_eq!(
            column(rows[at + 1], "match)"),
            column(rows[at], "filter the list"),
            "{text}"
        );
    }

    #[test]
    fn region_popup() {
        let (mut app, _) = wizard();
        let (id, _) = only_call(&ctrl(&mut app, 'g'));
        let regions = [
            ("cn-hangzhou", "China (Hangzhou)"),
            ("cn-shanghai", "China (Shanghai)"),
            ("ap-southeast-1", "Singapore"),
        ]
        .iter()
        .map(|(id, name)| Region {
            region_id: id.to_string(),
            local_name: name.to_string(),
            region_endpoint: "ecs.aliyuncs.com".into(),
            status: "available".into(),
        })
        .collect();
        answer(&mut app, id, Ok(Loaded::Regions(regions)));
        insta::assert_snapshot!("region_popup_80x24", render(&app, 80, 24));
    }
}
