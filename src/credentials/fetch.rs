//! The fetches behind temporary credentials, each an `api::provider::Fetch`: AssumeRole,
//! AssumeRoleWithOIDC, a credentials URI and an external process.
//!
//! Everything they read is hostile: files and bodies are bounded, a process has a deadline,
//! and what an error quotes (a server's body, a process's stderr) is escaped, cut short and
//! stripped of any secret it could hold.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::CredentialsError;
use super::wiring::{Wiring, sts_client};
use crate::api::endpoint::Endpoint;
use crate::api::provider::{Fetch, ProviderError, Static, Temporary};
use crate::api::redact::Redactor;
use crate::api::sts::{self, RoleSession, parse_expiration};
use crate::api::{Client, Credentials};
use crate::regular_file;
use crate::secret::Secret;
use crate::text::printable;

/// An OIDC token file is a JWT of at most 20 000 characters; more is not a token.
const MAX_TOKEN_FILE: u64 = 64 << 10;
/// A credentials document is a few hundred bytes.
const MAX_ANSWER: usize = 64 << 10;
/// At most this much of a failed process's stderr or a URI's error body is quoted.
const MAX_QUOTE: usize = 1000;
/// The official libraries give a credentials process 60 s, and a credentials URI 5 s to
/// connect and 10 s to answer.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
const URI_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const URI_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// AssumeRole with the source credentials of `client`.
pub(super) struct RoleFetch {
    pub client: Client,
    pub endpoint: Endpoint,
    pub session: RoleSession,
    pub external_id: Option<String>,
    pub label: String,
}

impl Fetch for RoleFetch {
    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, ProviderError>> {
        Box::pin(async move {
            sts::assume_role(
                &self.client,
                &self.endpoint,
                &self.session,
                self.external_id.as_deref(),
            )
            .await
            .map_err(|e| {
                ProviderError::new(format!(
                    "{}: AssumeRole of {} at {} failed: {e}",
                    self.label, self.session.role_arn, self.endpoint
                ))
            })
        })
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

/// AssumeRoleWithOIDC with the token read from `token_file` at every fetch (it is rotated).
pub(super) struct OidcFetch {
    pub wiring: Wiring,
    pub endpoint: Endpoint,
    pub session: RoleSession,
    pub provider_arn: String,
    pub token_file: PathBuf,
    pub label: String,
}

impl Fetch for OidcFetch {
    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, ProviderError>> {
        Box::pin(async move {
            let failed = |what: String| ProviderError::new(format!("{}: {what}", self.label));
            let path = self.token_file.clone();
            let token = tokio::task::spawn_blocking(move || {
                regular_file::read_to_string(&path, MAX_TOKEN_FILE)
            })
            .await
            .map_err(|e| failed(format!("reading the OIDC token file failed: {e}")))?
            .map_err(|e| {
                failed(format!(
                    "cannot read the OIDC token file {}: {e}",
                    self.token_file.display()
                ))
            })?;
            let token = Secret::new(token.trim().to_string());
            // Unsigned; the token is this client's only secret, so errors mask it.
            let anonymous = Static::new(
                Credentials {
                    access_key_id: String::new(),
                    access_key_secret: token.clone(),
                    security_token: None,
                },
                "OIDC token",
            );
            let client = sts_client(&self.wiring, &self.endpoint, Arc::new(anonymous))
                .map_err(|e| failed(e.to_string()))?;
            sts::assume_role_with_oidc(
                &client,
                &self.endpoint,
                &self.session,
                &self.provider_arn,
                &token,
            )
            .await
            .map_err(|e| {
                failed(format!(
                    "AssumeRoleWithOIDC of {} at {} failed: {e}",
                    self.session.role_arn, self.endpoint
                ))
            })
        })
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

/// `GET uri`, answered with `{"Code":"Success","AccessKeyId",…,"Expiration"}`.
pub(super) struct UriFetch {
    http: reqwest::Client,
    uri: reqwest::Url,
    /// Scheme, host and port only: a query may hold a token.
    shown: String,
    label: String,
}

impl UriFetch {
    /// https anywhere; plain http only to a loopback or link-local address (a local agent, a
    /// sidecar, the metadata-style addresses such services use), where nothing crosses a
    /// network that others share.
    pub(super) fn new(uri: &str, label: String) -> Result<Self, CredentialsError> {
        let invalid = |problem: String| CredentialsError::Incomplete {
            origin: "credentials URI".into(),
            problem,
        };
        let parsed = reqwest::Url::parse(uri.trim())
            .map_err(|e| invalid(format!("it is not a valid URL ({e})")))?;
        let host = parsed.host_str().unwrap_or_default().to_string();
        let shown = format!(
            "{}://{host}{}",
            parsed.scheme(),
            parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        match parsed.scheme() {
            "https" => {}
            "http" if local(&host) => {}
            "http" => {
                return Err(invalid(format!(
                    "{shown} uses plain http to a host that is neither loopback nor link-local; \
                     the answer holds credentials, so use https"
                )));
            }
            other => return Err(invalid(format!("scheme `{other}` is not http or https"))),
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .tls_backend_rustls()
            .connect_timeout(URI_CONNECT_TIMEOUT)
            .read_timeout(URI_READ_TIMEOUT)
            .timeout(URI_CONNECT_TIMEOUT + URI_READ_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        if local(&host) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| invalid(format!("the HTTP client could not be set up: {e}")))?;
        Ok(Self {
            http,
            uri: parsed,
            shown,
            label,
        })
    }
}

/// Loopback (`localhost`, 127/8, ::1) or link-local (169.254/16, fe80::/10).
fn local(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || ip.is_link_local(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || (ip.segments()[0] & 0xffc0) == 0xfe80,
        Err(_) => false,
    }
}

impl Fetch for UriFetch {
    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, ProviderError>> {
        Box::pin(async move {
            let failed = |what: String| {
                ProviderError::new(format!(
                    "{}: credentials URI {}: {what}",
                    self.label, self.shown
                ))
            };
            let mut response = self
                .http
                .get(self.uri.clone())
                .send()
                .await
                .map_err(|e| failed(format!("no answer ({})", e.without_url())))?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| failed(format!("the answer broke off ({})", e.without_url())))?
            {
                if body.len() + chunk.len() > MAX_ANSWER {
                    return Err(failed(format!(
                        "the answer is larger than {MAX_ANSWER} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            if status != 200 {
                let text = String::from_utf8_lossy(&body);
                let quoted = printable(&mask_credentials(&body).redact(&text), MAX_QUOTE);
                return Err(failed(format!("HTTP {status}: {quoted}")));
            }
            let value: Value = serde_json::from_slice(&body)
                .map_err(|_| failed("the answer is not JSON".into()))?;
            if value.get("Code").and_then(Value::as_str) != Some("Success") {
                return Err(failed("the answer's Code is not \"Success\"".into()));
            }
            sts::parse_credentials(&body, "credentials URI").map_err(|e| failed(e.to_string()))
        })
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

/// A redactor for whatever secrets a JSON credentials document holds (so a failed answer can
/// be quoted).
fn mask_credentials(body: &[u8]) -> Redactor {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut secrets = Vec::new();
    collect_secrets(&value, &mut secrets);
    Redactor::new(secrets.iter().map(String::as_str))
}

fn collect_secrets(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let key = key.to_ascii_lowercase();
                let secret = key.contains("secret") || key.contains("token");
                match v {
                    Value::String(s) if secret => out.push(s.clone()),
                    _ => collect_secrets(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_secrets(v, out)),
        _ => {}
    }
}

/// `process_command`: run without a shell, its stdout JSON is the credentials.
pub(super) struct ExternalFetch {
    argv: Vec<String>,
    label: String,
}

impl ExternalFetch {
    pub(super) fn new(command: &str, label: String) -> Result<Self, CredentialsError> {
        let invalid = |problem: &str| CredentialsError::Incomplete {
            origin: "process_command".into(),
            problem: problem.into(),
        };
        let argv = shlex::split(command)
            .ok_or_else(|| invalid("its quotes do not pair up; write it as a shell would"))?;
        if argv.is_empty() {
            return Err(invalid(
                "it is empty; name the command that prints the credentials",
            ));
        }
        Ok(Self { argv, label })
    }

    async fn run(&self) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), String> {
        let mut child = tokio::process::Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("could not start it: {e}"))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err("its output could not be read".into());
        };
        let outcome = tokio::time::timeout(PROCESS_TIMEOUT, async {
            let (out, err, status) =
                tokio::join!(read_capped(stdout), read_capped(stderr), child.wait());
            status.map(|s| (s, out, err))
        })
        .await;
        match outcome {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(e)) => Err(format!("waiting for it failed: {e}")),
            Err(_) => Err(format!(
                "it did not finish within {} s and was stopped",
                PROCESS_TIMEOUT.as_secs()
            )),
        }
    }
}

/// Reads `pipe` to its end (a full pipe would block the process) but keeps only
/// [`MAX_ANSWER`] bytes.
async fn read_capped(mut pipe: impl tokio::io::AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_ANSWER.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
    kept
}

impl Fetch for ExternalFetch {
    fn fetch(&self) -> BoxFuture<'_, Result<Temporary, ProviderError>> {
        Box::pin(async move {
            let program = printable(&self.argv[0], 200);
            let failed =
                |what: String| ProviderError::new(format!("{}: `{program}` {what}", self.label));
            let (status, stdout, stderr) = self.run().await.map_err(failed)?;
            if !status.success() {
                let code = status
                    .code()
                    .map_or_else(|| "by a signal".to_string(), |c| format!("with code {c}"));
                let text = String::from_utf8_lossy(&stderr);
                let quoted = printable(
                    mask_credentials(&stdout).redact(text.trim()).as_str(),
                    MAX_QUOTE,
                );
                return Err(failed(format!("exited {code}; stderr: {quoted}")));
            }
            parse_process_output(&stdout).map_err(failed)
        })
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

/// `{"mode":"AK"|"StsToken","access_key_id",…,"sts_token","expiration"}`; errors name keys,
/// never values.
fn parse_process_output(stdout: &[u8]) -> Result<Temporary, String> {
    let value: Value = serde_json::from_slice(stdout)
        .map_err(|_| "printed something that is not a JSON object of credentials".to_string())?;
    let field = |key: &str| -> Option<String> {
        value
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let required = |key: &str| field(key).ok_or_else(|| format!("printed JSON without `{key}`"));
    let mode = required("mode")?;
    let security_token = if mode.eq_ignore_ascii_case("StsToken") {
        Some(Secret::new(required("sts_token")?))
    } else if mode.eq_ignore_ascii_case("AK") {
        None
    } else {
        return Err(format!(
            "printed mode `{}`; it must be AK or StsToken",
            printable(&mode, 40)
        ));
    };
    let expiration = match field("expiration") {
        None => None,
        Some(text) => Some(parse_expiration(&text).ok_or_else(|| {
            "printed an `expiration` that is not YYYY-MM-DDTHH:MM:SSZ".to_string()
        })?),
    };
    Ok(Temporary {
        credentials: Credentials {
            access_key_id: required("access_key_id")?,
            access_key_secret: Secret::new(required("access_key_secret")?),
            security_token,
        },
        expiration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_output_is_read_by_key() {
        let t = parse_process_output(
            br#"{"mode":"StsToken","access_key_id":"STS.a","access_key_secret":"s","sts_token":"t","expiration":"2030-01-01T00:00:00Z"}"#,
        )
        .expect("parses");
        assert_eq!(t.credentials.access_key_id, "STS.a");
        assert!(t.expiration.is_some());
        let ak =
            parse_process_output(br#"{"mode":"AK","access_key_id":"a","access_key_secret":"s"}"#)
                .expect("parses");
        assert_eq!(ak.credentials.security_token, None);
        for (bad, want) in [
            (
                &br#"{"mode":"StsToken","access_key_id":"a","access_key_secret":"SECRET1"}"#[..],
                "without `sts_token`",
            ),
            (
                br#"{"mode":"Weird","access_key_id":"a"}"#,
                "must be AK or StsToken",
            ),
            (br#"SECRET1"#, "not a JSON object"),
        ] {
            let e = parse_process_output(bad).unwrap_err();
            assert!(e.contains(want), "{e}");
            assert!(!e.contains("SECRET1"), "{e}");
        }
    }

    #[test]
    fn plain_http_only_to_local_addresses() {
        for ok in [
            "http://127.0.0.1:8080/creds",
            "http://169.254.170.2/v1",
            "http://[::1]/",
            "https://x.example/c",
        ] {
            assert!(UriFetch::new(ok, "t".into()).is_ok(), "{ok}");
        }
        for bad in [
            "http://creds.example.com/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
        ] {
            assert!(UriFetch::new(bad, "t".into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn quoted_answers_lose_their_secrets() {
        let body =
            br#"{"Code":"Fail","AccessKeySecret":"SECRET2","nested":{"SecurityToken":"TOKEN2"}}"#;
        let text = mask_credentials(body).redact(&String::from_utf8_lossy(body));
        assert!(
            !text.contains("SECRET2") && !text.contains("TOKEN2"),
            "{text}"
        );
    }
}
