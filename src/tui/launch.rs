//! How the wizard connects: to the real endpoint with resolved credentials, to the embedded
//! simulator (`--sandbox`), or — with no credentials — to a start screen that says what was
//! looked for and offers the sandbox with one key.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::WizardError;
use super::theme::Theme;
use crate::api::{ApiError, Client};
use crate::config::LoadedConfig;
use crate::session::{self, SessionError, SessionOptions};
use crate::sim::{self, RunningSim, SimConfig};
use crate::text::wrap;
use crate::watch::WatchPolicy;

/// Where the wizard is connected, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub sandbox: bool,
    pub region: String,
    /// Which credential source won ("environment (ALIBABA_CLOUD_ACCESS_KEY_ID)"), never a secret.
    pub credential_source: String,
    /// The endpoint URL, for the header and logs.
    pub endpoint: String,
}

/// Builds the wizard's clients through a [`session::Session`] (the one place that turns
/// config, credentials and endpoint into a client), which also keeps the in-process simulator
/// alive while the wizard runs.
pub struct Connector {
    link: Link,
}

#[expect(
    clippy::large_enum_variant,
    reason = "one per wizard; it changes state at most once"
)]
enum Link {
    /// No usable credentials yet: the config and simulator the start screen's sandbox will
    /// run with.
    Waiting(LoadedConfig, SimConfig),
    Connected(session::Session),
}

/// How the wizard opens.
pub enum Opening {
    Ready {
        client: Client,
        connection: Connection,
    },
    /// No usable credentials: the start screen, explaining why.
    NeedsCredentials(LaunchScreen),
}

impl Connector {
    /// Decides how to open from the options and the config. Fails only on mistakes the user
    /// must fix first (a malformed `--endpoint`, `--sandbox` with `--endpoint`) or a sandbox
    /// that does not start.
    pub async fn open(
        opts: &SessionOptions,
        config: LoadedConfig,
    ) -> Result<(Connector, Opening), WizardError> {
        // The copy stays behind for the start screen, whose sandbox needs a config.
        match session::Session::open_with(opts, config.clone()).await {
            Ok(connected) => {
                let (connector, client, connection) = Connector::connected(connected)?;
                Ok((connector, Opening::Ready { client, connection }))
            }
            Err(SessionError::Credentials(e)) => {
                let screen = LaunchScreen::new(e.to_string(), config.origin.to_string());
                let connector = Connector::waiting(config, SimConfig::default());
                Ok((connector, Opening::NeedsCredentials(screen)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Waiting for credentials: the start screen's sandbox will run `sandbox` with `config`.
    pub fn waiting(config: LoadedConfig, sandbox: SimConfig) -> Connector {
        Connector {
            link: Link::Waiting(config, sandbox),
        }
    }

    /// A client for `region` with the current credentials and endpoint.
    pub fn client_for(&self, region: &str) -> anyhow::Result<Client> {
        match &self.link {
            Link::Connected(connected) => Ok(connected.client_for(region)?),
            Link::Waiting(..) => anyhow::bail!("no credentials to sign requests with"),
        }
    }

    /// How images are watched: `[watch]` in the config.
    pub fn watch_policy(&self) -> WatchPolicy {
        match &self.link {
            Link::Connected(connected) => connected.watch_policy(),
            Link::Waiting(config, _) => WatchPolicy::from_config(&config.config.watch),
        }
    }

    /// Starting the simulator (from the start screen) in the sandbox's region, as a task of
    /// its own: the future borrows nothing, so the screen goes on while it runs. It yields the
    /// connector to use from then on.
    pub fn sandbox_start(
        &self,
    ) -> impl Future<Output = Result<(Connector, Client, Connection), String>> + Send + 'static
    {
        let (config, sim) = match &self.link {
            Link::Connected(connected) => (connected.config().clone(), SimConfig::default()),
            Link::Waiting(config, sim) => (config.clone(), sim.clone()),
        };
        Connector::open_sandbox(config, sim)
    }

    /// Opens on an embedded simulator started from `sim` (tests: a faster clock, scripted
    /// faults), as `--sandbox` does with the default one.
    pub async fn open_sandbox(
        config: LoadedConfig,
        sim: SimConfig,
    ) -> Result<(Connector, Client, Connection), String> {
        let key = sim.keys.clone();
        Connector::open_sandbox_as(config, sim, key).await
    }

    /// [`Connector::open_sandbox`] signing with `key` (one of the seed's `[[access_keys]]`).
    pub async fn open_sandbox_as(
        config: LoadedConfig,
        sim: SimConfig,
        key: sim::KeyPair,
    ) -> Result<(Connector, Client, Connection), String> {
        let connected = session::Session::open_sandbox_as(config, sim, sim::SANDBOX_REGION, key)
            .await
            .map_err(|e| e.to_string())?;
        Connector::connected(connected).map_err(|e| e.to_string())
    }

    /// The simulator this connector runs, if any.
    pub fn sandbox(&self) -> Option<&RunningSim> {
        match &self.link {
            Link::Connected(connected) => connected.sandbox(),
            Link::Waiting(..) => None,
        }
    }

    /// The connector for `connected`, its client for the session's region, and the header.
    fn connected(connected: session::Session) -> Result<(Connector, Client, Connection), ApiError> {
        let region = connected.region().to_string();
        let client = connected.client_for(&region)?;
        if let Some(running) = connected.sandbox() {
            tracing::info!(url = %running.url(), "sandbox started");
        }
        let session = Connection {
            sandbox: connected.sandbox().is_some(),
            endpoint: client.config().endpoint.to_string(),
            credential_source: connected.credential_source().to_string(),
            region,
        };
        let connector = Connector {
            link: Link::Connected(connected),
        };
        Ok((connector, client, session))
    }
}

/// The start screen shown when no credentials could be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchScreen {
    /// What the credential chain reported, verbatim (places looked, what was found).
    problem: String,
    /// Which config file was read.
    config: String,
    starting: bool,
    /// Why the sandbox failed to start, if it did.
    failed: Option<String>,
    /// Lines scrolled off the top (the report can be longer than a small terminal).
    scroll: u16,
}

/// What a key on the start screen asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchAction {
    None,
    StartSandbox,
    Quit,
}

impl LaunchScreen {
    pub fn new(problem: String, config: String) -> LaunchScreen {
        LaunchScreen {
            problem,
            config,
            starting: false,
            failed: None,
            scroll: 0,
        }
    }

    pub fn starting(&self) -> bool {
        self.starting
    }

    pub fn key(&mut self, key: KeyEvent) -> LaunchAction {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            _ if ctrl_c => LaunchAction::Quit,
            KeyCode::Char('q') | KeyCode::Esc => LaunchAction::Quit,
            KeyCode::Down => {
                self.scroll = self.scroll.saturating_add(1);
                LaunchAction::None
            }
            KeyCode::Up => {
                self.scroll = self.scroll.saturating_sub(1);
                LaunchAction::None
            }
            KeyCode::Char('s') | KeyCode::Enter if !self.starting => {
                self.starting = true;
                self.failed = None;
                LaunchAction::StartSandbox
            }
            _ => LaunchAction::None,
        }
    }

    /// The sandbox did not start.
    pub fn sandbox_failed(&mut self, reason: String) {
        self.starting = false;
        self.failed = Some(reason);
    }

    pub fn view(&self, theme: &Theme, spinner: &str, frame: &mut Frame, area: Rect) {
        let width = usize::from(area.width.saturating_sub(4));
        let mut lines = vec![Line::styled(
            "No credentials: ecsimg cannot reach Alibaba Cloud yet.",
            theme.title,
        )];
        if self.starting {
            lines.push(Line::styled(
                format!("{spinner} Starting the sandbox…"),
                theme.text,
            ));
        } else {
            let offer = "Press s to try the sandbox instead: an ECS simulator on this machine \
                         with sample instances and snapshots. No account needed.";
            for row in wrap(offer, width) {
                lines.push(match row.strip_prefix("Press s") {
                    Some(rest) => Line::from(vec![
                        Span::styled("Press ", theme.text),
                        Span::styled("s", theme.key),
                        Span::styled(rest.to_string(), theme.text),
                    ]),
                    None => Line::styled(row, theme.text),
                });
            }
        }
        if let Some(reason) = &self.failed {
            lines.extend(
                wrap(reason, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.error)),
            );
        }
        lines.push(Line::raw(""));
        for line in self.problem.lines() {
            lines.extend(
                hanging(line, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.text)),
            );
        }
        lines.push(Line::raw(""));
        lines.extend(
            hanging(&format!("Settings: {}", self.config), width)
                .into_iter()
                .map(|l| Line::styled(l, theme.muted)),
        );
        let inner = Rect {
            x: area.x + 2,
            width: area.width.saturating_sub(4),
            y: area.y + 1,
            height: area.height.saturating_sub(1),
        };
        let overflow = lines.len().saturating_sub(usize::from(inner.height));
        let scroll = self.scroll.min(overflow as u16);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
    }
}

/// Wraps `line` to `width`, indenting continuation rows under the text after its leading
/// spaces and list marker ("  2. "), so numbered entries stay readable.
fn hanging(line: &str, width: usize) -> Vec<String> {
    let body = line.trim_start();
    let lead = line.len() - body.len();
    let marker = body
        .split_once(' ')
        .filter(|(m, _)| {
            m.ends_with('.') && m[..m.len() - 1].chars().all(|c| c.is_ascii_digit()) && m.len() > 1
        })
        .map_or(0, |(m, _)| m.len() + 1);
    let indent = (lead + marker).min(width / 2);
    let mut out = Vec::new();
    for (i, row) in wrap(&body[marker..], width.saturating_sub(indent).max(1))
        .into_iter()
        .enumerate()
    {
        if i == 0 {
            out.push(format!("{}{}{row}", " ".repeat(lead), &body[..marker]));
        } else {
            out.push(format!("{}{row}", " ".repeat(indent)));
        }
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn numbered_entries_wrap_under_their_text() {
        let rows = hanging(
            "  2. aliyun CLI config ~/.aliyun/config.json: does not exist",
            30,
        );
        assert_eq!(rows[0], "  2. aliyun CLI config");
        assert!(
            rows[1..]
                .iter()
                .all(|r| r.starts_with("     ") && !r.starts_with("      ")),
            "{rows:?}"
        );
        assert_eq!(hanging("", 10), vec![String::new()]);
        assert_eq!(
            hanging("plain words here", 8),
            vec!["plain", "words", "here"]
        );
    }

    #[test]
    fn one_key_starts_the_sandbox_once() {
        let mut screen = LaunchScreen::new("No credentials".into(), "no config file".into());
        assert_eq!(screen.key(key(KeyCode::Char('x'))), LaunchAction::None);
        assert_eq!(
            screen.key(key(KeyCode::Char('s'))),
            LaunchAction::StartSandbox
        );
        assert!(screen.starting());
        assert_eq!(screen.key(key(KeyCode::Char('s'))), LaunchAction::None);
        screen.sandbox_failed("port in use".into());
        assert!(!screen.starting());
        assert_eq!(screen.key(key(KeyCode::Enter)), LaunchAction::StartSandbox);
        assert_eq!(screen.key(key(KeyCode::Char('q'))), LaunchAction::Quit);
    }

    #[tokio::test]
    async fn sandbox_flag_connects_to_the_simulator() {
        let opts = SessionOptions {
            sandbox: true,
            ..SessionOptions::default()
        };
        let config = LoadedConfig::defaults(crate::config::ConfigOrigin::NoConfigDir);
        let (connector, opening) = Connector::open(&opts, config).await.expect("opens");
        let Opening::Ready { client, connection } = opening else {
            panic!("the sandbox needs no credentials")
        };
        assert!(connection.sandbox);
        assert_eq!(connection.region, sim::SANDBOX_REGION);
        assert!(
            connection.endpoint.starts_with("http://127.0.0.1:"),
            "{}",
            connection.endpoint
        );
        let regions = client
            .describe_regions()
            .await
            .expect("the simulator answers");
        assert!(regions.iter().any(|r| r.region_id == "cn-hangzhou"));
        // Switching region keeps the simulator's endpoint.
        let other = connector.client_for("cn-shanghai").expect("client");
        assert_eq!(
            other.config().endpoint.to_string(),
            client.config().endpoint.to_string()
        );
        assert_eq!(other.config().region, "cn-shanghai");
    }

    #[tokio::test]
    async fn the_start_screen_brings_up_the_sandbox() {
        let mut config = LoadedConfig::defaults(crate::config::ConfigOrigin::NoConfigDir);
        config.config.watch.poll_interval = std::time::Duration::from_secs(7);
        let connector = Connector::waiting(config, SimConfig::default());
        let err = connector
            .client_for(sim::SANDBOX_REGION)
            .expect_err("refused");
        assert!(err.to_string().contains("no credentials"), "{err}");
        assert!(connector.sandbox().is_none());
        let (connector, client, session) =
            connector.sandbox_start().await.expect("the sandbox starts");
        assert!(session.sandbox);
        assert_eq!(session.region, sim::SANDBOX_REGION);
        let running = connector.sandbox().expect("the sandbox runs");
        assert_eq!(session.endpoint, running.url());
        assert_eq!(
            connector.watch_policy().poll_interval,
            std::time::Duration::from_secs(7),
            "the config read at start still applies"
        );
        client
            .describe_regions()
            .await
            .expect("the simulator answers");
    }

    #[tokio::test]
    async fn sandbox_and_endpoint_conflict() {
        let opts = SessionOptions {
            sandbox: true,
            endpoint: Some("http://127.0.0.1:1".into()),
            ..SessionOptions::default()
        };
        let config = LoadedConfig::defaults(crate::config::ConfigOrigin::NoConfigDir);
        let err = Connector::open(&opts, config).await.err().expect("refused");
        assert!(err.to_string().contains("--sandbox"), "{err}");
        assert!(err.is_invalid_input(), "the user fixes the flags: exit 2");
    }
}
