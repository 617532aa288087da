//! The submission journal: a durable, append-only record of every CreateImage request, so no
//! submitted image is ever lost or built twice — even when the process dies mid-flight.
//!
//! One JSON object per line in `journal.jsonl` in the platform data directory (or the file
//! named by `ECSIMG_JOURNAL`). The sequence every submitter (CLI and wizard) follows:
//!
//! 1. [`Journal::submit`] the [`Submission`] (spec, wire parameters, ClientToken — never a
//!    secret) and fsync it, *before* CreateImage is sent;
//! 2. send `submission.params` with [`crate::api::Client::create_image`];
//! 3. [`Journal::settle`] the answer: the ImageId and RequestId, or a definite refusal;
//! 4. whoever watches the image appends its end state with [`Journal::status`].
//!
//! A submission that has no ImageId after step 3 (the process died, or the answer was lost) is
//! [`recover`]ed by sending the same parameters with the same ClientToken again: CreateImage is
//! idempotent on the token, so ECS answers with the ImageId it already assigned.
//!
//! Each record is one `write` on a file opened with `O_APPEND`, under an exclusive lock, and
//! synced to disk, so concurrent ecsimg processes never interleave. Reading tolerates damage:
//! a line that does not parse is reported with its number and skipped, the rest still counts.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Client, CreateImageOutcome};
use crate::spec::ImageSpec;

/// Environment variable naming the journal file (tests, or several journals side by side).
pub const JOURNAL_ENV: &str = "ECSIMG_JOURNAL";
/// The journal's file name inside [`crate::config::data_dir`].
pub const FILE_NAME: &str = "journal.jsonl";
/// Where sandbox sessions journal: their images live only as long as the process that ran the
/// simulator, so they never mix with (or get "recovered" into) real submissions.
pub const SANDBOX_FILE_NAME: &str = "sandbox-journal.jsonl";

/// Parameter names that carry credentials; never written even if a caller passes them.
const SECRET_PARAMS: [&str; 4] = [
    "AccessKeyId",
    "AccessKeySecret",
    "SecurityToken",
    "Signature",
];

/// Why the journal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "no data directory to keep the journal in (no home directory?); set {JOURNAL_ENV} to \
         a file path"
    )]
    NoDataDir,
    #[error(
        "cannot {action} the journal {}: {source}; check the permissions or set {JOURNAL_ENV} \
         to a writable file",
        path.display()
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cannot encode a journal record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A CreateImage request as submitted: everything needed to show it and to send it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// This submission's own id (a UUID), which later records refer to.
    pub id: String,
    pub time: DateTime<Utc>,
    pub region: String,
    /// The endpoint URL the request goes to; recovery only re-sends to the same one.
    pub endpoint: String,
    /// Which credential source signed it, e.g. `environment (ALIBABA_CLOUD_ACCESS_KEY_ID)`.
    pub credential_source: String,
    pub image_name: Option<String>,
    pub spec: ImageSpec,
    /// The exact CreateImage parameters, ClientToken included, `DryRun` and secrets excluded.
    pub params: Vec<(String, String)>,
    pub client_token: String,
}

impl Submission {
    /// A submission of `params` (from [`crate::spec::to_params`]). A missing or empty
    /// `ClientToken` is replaced by a fresh one, so the recorded parameters are exactly what
    /// every send — first or recovered — carries.
    pub fn new(
        spec: &ImageSpec,
        params: Vec<(String, String)>,
        endpoint: impl Into<String>,
        credential_source: impl Into<String>,
    ) -> Submission {
        let mut params: Vec<(String, String)> = params
            .into_iter()
            .filter(|(name, _)| !SECRET_PARAMS.contains(&name.as_str()) && name != "DryRun")
            .collect();
        let given = params
            .iter()
            .find(|(name, value)| name == "ClientToken" && !value.is_empty())
            .map(|(_, value)| value.clone());
        let client_token = given.unwrap_or_else(|| {
            params.retain(|(name, _)| name != "ClientToken");
            let token = uuid::Uuid::new_v4().to_string();
            params.push(("ClientToken".into(), token.clone()));
            token
        });
        let region = params
            .iter()
            .find(|(name, _)| name == "RegionId")
            .map_or_else(|| spec.region.clone(), |(_, value)| value.clone());
        Submission {
            id: uuid::Uuid::new_v4().to_string(),
            time: Utc::now(),
            region,
            endpoint: endpoint.into(),
            credential_source: credential_source.into(),
            image_name: spec.image.name.clone(),
            spec: spec.clone(),
            params,
            client_token,
        }
    }
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// Written and synced before CreateImage is sent.
    Submitted(Box<Submission>),
    /// CreateImage answered with an ImageId.
    Created {
        id: String,
        time: DateTime<Utc>,
        image_id: String,
        request_id: String,
    },
    /// CreateImage refused the request for good (or it certainly never reached ECS): there is
    /// no image and recovery must not send it again.
    NotCreated {
        id: String,
        time: DateTime<Utc>,
        reason: String,
        code: Option<String>,
        request_id: Option<String>,
    },
    /// The state a watcher last saw for an image (final or not).
    Status {
        image_id: String,
        time: DateTime<Utc>,
        status: String,
        progress: Option<String>,
        #[serde(rename = "final")]
        is_final: bool,
    },
}

/// The ImageId an accepted submission got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub time: DateTime<Utc>,
    pub image_id: String,
    pub request_id: String,
}

/// Why a submission has no image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCreated {
    pub time: DateTime<Utc>,
    pub reason: String,
    pub code: Option<String>,
    pub request_id: Option<String>,
}

/// The last state a watcher recorded for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastStatus {
    pub time: DateTime<Utc>,
    pub status: String,
    pub progress: Option<String>,
    pub is_final: bool,
}

/// Everything the journal says about one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub submission: Submission,
    pub created: Option<Created>,
    pub not_created: Option<NotCreated>,
    pub status: Option<LastStatus>,
}

impl Entry {
    pub fn image_id(&self) -> Option<&str> {
        self.created.as_ref().map(|c| c.image_id.as_str())
    }

    /// The best-known status: the watcher's, else what the submission records imply.
    pub fn last_status(&self) -> &str {
        match (&self.status, &self.created, &self.not_created) {
            (Some(status), _, _) => &status.status,
            (None, Some(_), _) => "Submitted",
            (None, None, Some(_)) => "NotCreated",
            (None, None, None) => "Unknown",
        }
    }

    /// Sent (maybe) but its ImageId never recorded: [`recover`] finds it out.
    pub fn needs_recovery(&self) -> bool {
        self.created.is_none() && self.not_created.is_none()
    }

    /// Has an image that no watcher has seen reach an end state.
    pub fn is_unfinished(&self) -> bool {
        self.created.is_some() && !self.status.as_ref().is_some_and(|s| s.is_final)
    }
}

/// A journal line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {} (skipped)", self.line, self.reason)
    }
}

/// The journal, folded per submission, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub entries: Vec<Entry>,
    pub problems: Vec<LineProblem>,
}

/// The journal file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// `$ECSIMG_JOURNAL`, else `journal.jsonl` in the platform data directory
    /// (`sandbox-journal.jsonl` for a sandbox session).
    pub fn open_default(sandbox: bool) -> Result<Journal, JournalError> {
        let name = if sandbox {
            SANDBOX_FILE_NAME
        } else {
            FILE_NAME
        };
        match std::env::var_os(JOURNAL_ENV).filter(|v| !v.is_empty()) {
            Some(path) => Ok(Journal::at(path)),
            None => crate::config::data_dir()
                .map(|dir| Journal::at(dir.join(name)))
                .ok_or(JournalError::NoDataDir),
        }
    }

    pub fn at(path: impl Into<PathBuf>) -> Journal {
        Journal { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a submission; call it before sending. Synced to disk when it returns.
    pub fn submit(&self, submission: &Submission) -> Result<(), JournalError> {
        self.append(&Record::Submitted(Box::new(submission.clone())))
    }

    /// Records what CreateImage answered for `submission_id`: the ImageId, or a refusal that
    /// settles it for good. Answers that leave open whether ECS acted (a timeout, a broken
    /// connection, a 5xx) record nothing, so [`recover`] will ask again with the same token.
    /// Returns whether anything was recorded.
    pub fn settle(
        &self,
        submission_id: &str,
        answer: &Result<CreateImageOutcome, ApiError>,
    ) -> Result<bool, JournalError> {
        let time = Utc::now();
        let id = submission_id.to_string();
        let record = match answer {
            Ok(CreateImageOutcome::Created {
                image_id,
                request_id,
                ..
            }) => Record::Created {
                id,
                time,
                image_id: image_id.clone(),
                request_id: request_id.clone(),
            },
            Ok(CreateImageOutcome::DryRunPassed { request_id }) => Record::NotCreated {
                id,
                time,
                reason: "sent as a DryRun, which creates nothing".into(),
                code: Some("DryRunOperation".into()),
                request_id: Some(request_id.clone()),
            },
            Err(error) if is_definite(error) => Record::NotCreated {
                id,
                time,
                reason: error.to_string(),
                code: error.code().map(str::to_string),
                request_id: error.request_id().map(str::to_string),
            },
            Err(_) => return Ok(false),
        };
        self.append(&record)?;
        Ok(true)
    }

    /// Records the state a watcher saw for `image_id`.
    pub fn status(
        &self,
        image_id: &str,
        status: &str,
        progress: Option<&str>,
        is_final: bool,
    ) -> Result<(), JournalError> {
        self.append(&Record::Status {
            image_id: image_id.to_string(),
            time: Utc::now(),
            status: status.to_string(),
            progress: progress.filter(|p| !p.is_empty()).map(str::to_string),
            is_final,
        })
    }

    /// Appends one record as one line: exclusive lock, one write, fsync.
    pub fn append(&self, record: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let io = |action| {
            let path = self.path.clone();
            move |source| JournalError::Io {
                action,
                path,
                source,
            }
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io("create the directory of"))?;
        }
        let mut file = open_for_append(&self.path).map_err(io("open"))?;
        // std's file locks are stable since 1.89; the crate already needs 1.88+ (let chains),
        // and Cargo.toml's rust-version is due for a bump (reported to the lead).
        file.lock().map_err(io("lock"))?;
        // A writer killed mid-line left no newline: start on a fresh line so this record stays
        // readable (the damaged one is reported on reading).
        if !ends_with_newline(&mut file).map_err(io("read"))? {
            line.insert(0, b'\n');
        }
        file.write_all(&line).map_err(io("write to"))?;
        file.sync_data().map_err(io("sync"))?;
        // Dropping the file releases the lock.
        Ok(())
    }

    /// Reads and folds the journal. A missing file is an empty history; damaged lines are
    /// reported in [`History::problems`] and skipped.
    pub fn read(&self) -> Result<History, JournalError> {
        let io = |action| {
            let path = self.path.clone();
            move |source| JournalError::Io {
                action,
                path,
                source,
            }
        };
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(History::default()),
            Err(e) => return Err(io("open")(e)),
        };
        file.lock_shared().map_err(io("lock"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io("read"))?;
        Ok(fold(&bytes))
    }
}

fn open_for_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Not secret, but it names the account's resources: keep it to its owner.
        options.mode(0o600);
    }
    options.open(path)
}

fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// An error after which ECS certainly holds no image for the request: the service refused it
/// (not a throttle or a 5xx, which may hide a success), or it never reached the service.
fn is_definite(error: &ApiError) -> bool {
    match error {
        ApiError::Service(_) => !error.is_retryable(),
        ApiError::InvalidRequest { .. } | ApiError::Setup { .. } => true,
        _ => error.is_unprocessed(),
    }
}

/// Folds the journal's bytes into entries, in submission order.
fn fold(bytes: &[u8]) -> History {
    let mut history = History::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut statuses: HashMap<String, LastStatus> = HashMap::new();
    let complete = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = lines.len();
    for (n, raw) in lines.into_iter().enumerate() {
        let line = n + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut problem = |reason: String| history.problems.push(LineProblem { line, reason });
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(_) => {
                problem("not UTF-8 text".into());
                continue;
            }
        };
        let record = match serde_json::from_str::<Record>(text) {
            Ok(record) => record,
            Err(e) if e.is_eof() || (line == last && !complete) => {
                problem(format!(
                    "truncated record (a writer was probably killed mid-write): {e}"
                ));
                continue;
            }
            Err(e) => {
                problem(format!("not a journal record: {e}"));
                continue;
            }
        };
        match record {
            Record::Submitted(submission) => {
                if index.contains_key(&submission.id) {
                    problem(format!("submission {} appears twice", submission.id));
                    continue;
                }
                index.insert(submission.id.clone(), history.entries.len());
                history.entries.push(Entry {
                    submission: *submission,
                    created: None,
                    not_created: None,
                    status: None,
                });
            }
            Record::Created {
                id,
                time,
                image_id,
                request_id,
            } => match index.get(&id) {
                // Recovery may record the same ImageId again; the first record stands.
                Some(&i) => {
                    let entry = &mut history.entries[i];
                    entry.created.get_or_insert(Created {
                        time,
                        image_id,
                        request_id,
                    });
                }
                None => problem(format!("ImageId {image_id} for unknown submission {id}")),
            },
            Record::NotCreated {
                id,
                time,
                reason,
                code,
                request_id,
            } => match index.get(&id) {
                Some(&i) => {
                    history.entries[i].not_created.get_or_insert(NotCreated {
                        time,
                        reason,
                        code,
                        request_id,
                    });
                }
                None => problem(format!("refusal for unknown submission {id}")),
            },
            Record::Status {
                image_id,
                time,
                status,
                progress,
                is_final,
            } => {
                // A final state is never overwritten by a later non-final one (a second
                // watcher that timed out earlier but wrote later).
                let keep_old = statuses
                    .get(&image_id)
                    .is_some_and(|old| old.is_final && !is_final);
                if !keep_old {
                    statuses.insert(
                        image_id,
                        LastStatus {
                            time,
                            status,
                            progress,
                            is_final,
                        },
                    );
                }
            }
        }
    }
    for entry in &mut history.entries {
        if let Some(created) = &entry.created {
            entry.status = statuses.get(&created.image_id).cloned();
        }
    }
    history
}

/// What [`recover`] did for one submission without an ImageId.
#[derive(Debug, Clone, PartialEq)]
pub enum Recovery {
    /// ECS named the image (the one the first send created, thanks to the ClientToken); the
    /// ImageId is now recorded.
    Created {
        image_id: String,
        request_id: String,
    },
    /// ECS refused the request; recorded, so it is never sent again.
    Refused(ApiError),
    /// Could not find out now (a transient error); try again later.
    Failed(ApiError),
    /// Not attempted, for the reason given.
    Skipped(String),
}

/// Sends a submission that lacks an ImageId again — the same parameters, the same ClientToken —
/// and records the answer. `client` must be for the submission's region; a client for another
/// endpoint is refused (another endpoint may be another account, where the token means
/// nothing and a second image would be built).
pub async fn recover(
    journal: &Journal,
    entry: &Entry,
    client: &Client,
) -> Result<Recovery, JournalError> {
    let submission = &entry.submission;
    if !entry.needs_recovery() {
        return Ok(Recovery::Skipped("its outcome is already recorded".into()));
    }
    let endpoint = client.config().endpoint.to_string();
    if endpoint != submission.endpoint {
        return Ok(Recovery::Skipped(format!(
            "it was sent to {}, not {endpoint}; run again with --endpoint {}",
            submission.endpoint, submission.endpoint
        )));
    }
    if client.config().region != submission.region {
        return Ok(Recovery::Skipped(format!(
            "it was sent to region {}, and this client works in {}",
            submission.region,
            client.config().region
        )));
    }
    let answer = client.create_image(&submission.params).await;
    journal.settle(&submission.id, &answer)?;
    Ok(match answer {
        Ok(CreateImageOutcome::Created {
            image_id,
            request_id,
            ..
        }) => Recovery::Created {
            image_id,
            request_id,
        },
        Ok(CreateImageOutcome::DryRunPassed { .. }) => {
            Recovery::Skipped("it was recorded as a DryRun, which creates nothing".into())
        }
        Err(error) if is_definite(&error) => Recovery::Refused(error),
        Err(error) => Recovery::Failed(error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::{ServiceError, TransportKind};
    use crate::api::{ClientConfig, Endpoint};
    use crate::credentials::Credentials;
    use crate::secret::Secret;
    use crate::sim::{self, SimConfig};
    use crate::spec::{Source, to_params};

    fn spec(name: &str) -> ImageSpec {
        let mut spec = ImageSpec {
            source: Source::Instance {
                instance_id: "i-bp1g6zv0ce8oghu7k2a1".into(),
            },
            ..ImageSpec::default()
        };
        spec.image.name = Some(name.into());
        spec
    }

    fn submission(name: &str, endpoint: &str) -> Submission {
        let spec = spec(name);
        Submission::new(&spec, to_params(&spec), endpoint, "environment (X)")
    }

    fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::at(dir.path().join("nested").join(FILE_NAME));
        (dir, journal)
    }

    fn created(image_id: &str) -> Result<CreateImageOutcome, ApiError> {
        Ok(CreateImageOutcome::Created {
            image_id: image_id.into(),
            request_id: "R-1".into(),
            client_token: "t".into(),
        })
    }

    fn service(code: &str, http_status: u16) -> ApiError {
        ApiError::Service(Box::new(ServiceError {
            http_status,
            code: code.into(),
            message: "m".into(),
            request_id: "R-2".into(),
            recommend: String::new(),
            host_id: String::new(),
            retry_after: None,
        }))
    }

    #[test]
    fn submissions_carry_a_token_and_never_a_secret() {
        let spec = spec("web");
        let mut params = to_params(&spec);
        params.push(("AccessKeyId".into(), "LTAIkey".into()));
        params.push(("Signature".into(), "sig".into()));
        params.push(("DryRun".into(), "true".into()));
        params.push(("ClientToken".into(), String::new()));
        let s = Submission::new(&spec, params, "https://ecs.example.com", "env");
        let names: Vec<&str> = s.params.iter().map(|(n, _)| n.as_str()).collect();
        assert!(!names.contains(&"AccessKeyId") && !names.contains(&"Signature"));
        assert!(!names.contains(&"DryRun"));
        assert_eq!(names.iter().filter(|n| **n == "ClientToken").count(), 1);
        assert!(
            s.params
                .contains(&("ClientToken".into(), s.client_token.clone()))
        );
        assert_eq!(s.client_token.len(), 36);
        assert_eq!(s.region, "cn-hangzhou");
        assert_eq!(s.image_name.as_deref(), Some("web"));
        let mut pinned = spec.clone();
        pinned.client_token = Some("my-token".into());
        let s = Submission::new(&pinned, to_params(&pinned), "e", "c");
        assert_eq!(s.client_token, "my-token");
    }

    #[test]
    fn records_fold_per_submission() {
        let (_dir, journal) = journal();
        assert_eq!(journal.read().expect("reads"), History::default());
        let a = submission("a", "e");
        let b = submission("b", "e");
        let c = submission("c", "e");
        for s in [&a, &b, &c] {
            journal.submit(s).expect("submitted");
        }
        assert!(journal.settle(&a.id, &created("m-a")).expect("settles"));
        journal
            .status("m-a", "Creating", Some("40%"), false)
            .expect("status");
        journal
            .status("m-a", "Available", Some("100%"), true)
            .expect("status");
        // A slower watcher's non-final record does not undo the final one.
        journal
            .status("m-a", "Creating", Some("60%"), false)
            .expect("status");
        assert!(
            journal
                .settle(&c.id, &Err(service("InvalidImageName.Duplicated", 400)))
                .expect("settles")
        );
        let history = journal.read().expect("reads");
        assert!(history.problems.is_empty(), "{:?}", history.problems);
        let [ea, eb, ec] = &history.entries[..] else {
            panic!("{history:#?}")
        };
        assert_eq!(ea.submission, a);
        assert_eq!(ea.image_id(), Some("m-a"));
        assert_eq!(ea.last_status(), "Available");
        assert!(!ea.needs_recovery() && !ea.is_unfinished());
        assert_eq!(eb.last_status(), "Unknown");
        assert!(eb.needs_recovery() && !eb.is_unfinished());
        assert_eq!(ec.last_status(), "NotCreated");
        let refusal = ec.not_created.as_ref().expect("refused");
        assert_eq!(refusal.code.as_deref(), Some("InvalidImageName.Duplicated"));
        assert_eq!(refusal.request_id.as_deref(), Some("R-2"));
        assert!(!ec.needs_recovery());
    }

    #[test]
    fn only_definite_answers_settle_a_submission() {
        let (_dir, journal) = journal();
        let s = submission("x", "e");
        journal.submit(&s).expect("submitted");
        let ambiguous = [
            service("InternalError", 500),
            service("Throttling", 400),
            ApiError::Timeout { detail: "t".into() },
            ApiError::Transport {
                kind: TransportKind::Dropped,
                detail: "d".into(),
            },
            ApiError::Cancelled,
        ];
        for error in ambiguous {
            assert!(
                !journal.settle(&s.id, &Err(error.clone())).expect("ok"),
                "{error}"
            );
        }
        assert!(journal.read().expect("reads").entries[0].needs_recovery());
        let never_sent = ApiError::Transport {
            kind: TransportKind::Connect,
            detail: "refused".into(),
        };
        assert!(journal.settle(&s.id, &Err(never_sent)).expect("ok"));
        let entry = &journal.read().expect("reads").entries[0];
        assert!(!entry.needs_recovery());
        assert!(entry.not_created.as_ref().unwrap().code.is_none());
    }

    #[test]
    fn damaged_lines_are_reported_and_skipped_and_appends_still_work() {
        let (_dir, journal) = journal();
        let a = submission("a", "e");
        journal.submit(&a).expect("submitted");
        let mut text = std::fs::read(journal.path()).unwrap();
        text.extend_from_slice(b"{not json}\n");
        text.extend_from_slice(b"{\"kind\":\"teleported\",\"id\":\"x\"}\n");
        text.extend_from_slice(b"\xff\xfe\n\n   \n");
        text.extend_from_slice(
            b"{\"kind\":\"created\",\"id\":\"nobody\",\"time\":\"2026-01-01T00:00:00Z\",\
              \"image_id\":\"m-z\",\"request_id\":\"r\"}\n",
        );
        // A writer killed mid-record.
        text.extend_from_slice(b"{\"kind\":\"created\",\"id\":\"");
        std::fs::write(journal.path(), &text).unwrap();

        let history = journal.read().expect("damage is not fatal");
        assert_eq!(history.entries.len(), 1);
        let lines: Vec<usize> = history.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4, 7, 8]);
        assert!(history.problems[1].reason.contains("teleported"));
        assert!(history.problems[2].reason.contains("UTF-8"));
        assert!(history.problems[3].reason.contains("unknown submission"));
        assert!(history.problems[4].reason.contains("truncated"));
        assert!(history.problems[4].to_string().starts_with("line 8: "));

        // The next record starts on a fresh line and is read back.
        journal.settle(&a.id, &created("m-a")).expect("settles");
        let history = journal.read().expect("reads");
        assert_eq!(history.entries[0].image_id(), Some("m-a"));
        assert_eq!(
            history.problems.len(),
            5,
            "the truncated line stays reported"
        );
    }

    #[test]
    fn concurrent_writers_never_interleave() {
        let (_dir, journal) = journal();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let journal = journal.clone();
                std::thread::spawn(move || {
                    for n in 0..25 {
                        // Long records make a torn write visible if locking were broken.
                        let mut s = submission(&format!("t{t}-{n}"), "e");
                        s.spec.image.description = Some("x".repeat(4096));
                        journal.submit(&s).expect("submitted");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("writer");
        }
        let history = journal.read().expect("reads");
        assert!(history.problems.is_empty(), "{:?}", history.problems);
        assert_eq!(history.entries.len(), 200);
    }

    #[cfg(unix)]
    #[test]
    fn the_journal_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, journal) = journal();
        journal.submit(&submission("a", "e")).expect("submitted");
        let mode = std::fs::metadata(journal.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    #[test]
    fn unusable_paths_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the file should be.
        let journal = Journal::at(dir.path());
        let err = journal.submit(&submission("a", "e")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(text.contains(JOURNAL_ENV), "{text}");
    }

    fn sim_client(sim: &sim::RunningSim) -> Client {
        let credentials = Credentials {
            access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
            security_token: None,
        };
        Client::new(
            ClientConfig::new(sim::SANDBOX_REGION, credentials)
                .with_endpoint(Endpoint::parse(&sim.url()).expect("url")),
        )
        .expect("client")
    }

    #[tokio::test]
    async fn recovery_resends_with_the_same_token_and_gets_the_same_image() {
        let sim = sim::start(SimConfig::default()).await.expect("sim");
        let client = sim_client(&sim);
        let endpoint = client.config().endpoint.to_string();
        let (_dir, journal) = journal();
        let s = submission("recover-me", &endpoint);
        journal.submit(&s).expect("submitted");
        // The first send reached ECS, but the process died before recording the answer.
        let first = match client.create_image(&s.params).await.expect("created") {
            CreateImageOutcome::Created { image_id, .. } => image_id,
            other => panic!("{other:?}"),
        };
        let entry = journal.read().expect("reads").entries.remove(0);
        let recovery = recover(&journal, &entry, &client)
            .await
            .expect("journal ok");
        assert!(
            matches!(&recovery, Recovery::Created { image_id, .. } if *image_id == first),
            "{recovery:?}"
        );
        let entry = journal.read().expect("reads").entries.remove(0);
        assert_eq!(entry.image_id(), Some(first.as_str()));
        let named: Vec<_> = sim
            .images(sim::SANDBOX_REGION)
            .into_iter()
            .filter(|i| i.name == "recover-me")
            .collect();
        assert_eq!(named.len(), 1, "{named:?}");
        // Settled entries are left alone; other endpoints are never sent to.
        assert!(matches!(
            recover(&journal, &entry, &client).await.expect("ok"),
            Recovery::Skipped(_)
        ));
        let elsewhere = submission("elsewhere", "https://ecs.cn-beijing.aliyuncs.com");
        journal.submit(&elsewhere).expect("submitted");
        let entry = journal.read().expect("reads").entries.remove(1);
        let Recovery::Skipped(why) = recover(&journal, &entry, &client).await.expect("ok") else {
            panic!("sent to another endpoint")
        };
        assert!(
            why.contains("--endpoint https://ecs.cn-beijing.aliyuncs.com"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn recovery_records_a_refusal_so_it_is_not_sent_again() {
        let sim = sim::start(SimConfig::default()).await.expect("sim");
        let client = sim_client(&sim);
        let (_dir, journal) = journal();
        let mut spec = spec("refused");
        spec.source = Source::Instance {
            instance_id: "i-bp1doesnotexist0000".into(),
        };
        let s = Submission::new(
            &spec,
            to_params(&spec),
            client.config().endpoint.to_string(),
            "c",
        );
        journal.submit(&s).expect("submitted");
        let entry = journal.read().expect("reads").entries.remove(0);
        let recovery = recover(&journal, &entry, &client).await.expect("ok");
        assert!(
            matches!(&recovery, Recovery::Refused(e) if e.code() == Some("InvalidInstanceId.NotFound")),
            "{recovery:?}"
        );
        assert!(!journal.read().expect("reads").entries[0].needs_recovery());
    }
}
