//! The submission journal: the durable, append-only record of every CreateImage request, so
//! no submitted image is ever lost or built twice — even when the process dies mid-flight.
//!
//! This module is storage only: what a record holds, appending one durably, and reading the
//! file back (`history`). *When* to write which record — before a send, after an answer — is
//! decided in one place, [`crate::submission`], which every face (the wizard, `ecsimg create`,
//! `ecsimg watch --resume`) goes through.
//!
//! One JSON object per line in `journal.jsonl` in the platform data directory (or the file
//! named by `ECSIMG_JOURNAL`). Each record is one `write` on a file opened with `O_APPEND`,
//! under an exclusive lock, and synced to disk, so concurrent ecsimg processes never
//! interleave. These calls block (a lock, an fsync): from async code run them through
//! [`Journal::off_runtime`]. Reading tolerates damage: a line that does not parse is reported
//! with its number and skipped, the rest still counts. The file is a regular file private to
//! its owner (0600), read up to [`MAX_JOURNAL`] bytes.

mod deliveries;
mod history;
mod stops;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::regular_file::{self, FileError};
use crate::spec::ImageSpec;

pub use deliveries::{DeliveryOutcome, DeliverySend, DeliveryState};
pub use history::{
    Created, Entry, History, LastStatus, LineProblem, NotCreated, RestartDue, StopEntry, Unsettled,
};
pub use stops::InstanceStop;

/// Environment variable naming the journal file (tests, or several journals side by side).
pub const JOURNAL_ENV: &str = "ECSIMG_JOURNAL";
/// The journal's file name inside [`crate::config::data_dir`].
pub const FILE_NAME: &str = "journal.jsonl";
/// Where sandbox sessions journal: their images live only as long as the process that ran the
/// simulator, so they never mix with (or get "recovered" into) real submissions.
pub const SANDBOX_FILE_NAME: &str = "sandbox-journal.jsonl";
/// The most of the journal that is read: about 50,000 submissions. A bigger file is refused
/// with a message; move it aside and a new one starts.
pub const MAX_JOURNAL: u64 = 128 << 20;
/// Owner read and write, nobody else: the journal names the account's resources.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

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
        "cannot {action} the journal {}: {source}; check the file or set {JOURNAL_ENV} to a \
         writable file",
        path.display()
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        source: FileError,
    },
    #[error("cannot encode a journal record: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("the journal write was abandoned before it finished (the program is ending)")]
    Abandoned,
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
    /// The [`InstanceStop`] of the instance this image is built from, when ecsimg stopped it
    /// first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
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
            stop: None,
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
    /// CreateImage was sent but the answer leaves open whether ECS acted (a timeout, a broken
    /// connection, a 5xx, an interrupt, an answer without a usable ImageId): recovery asks
    /// again.
    Unsettled {
        id: String,
        time: DateTime<Utc>,
        reason: String,
    },
    /// The state a watcher last saw for an image (final or not).
    Status {
        /// The submission whose image this is. Absent in older journals and from
        /// [`Journal::status`]: then the newest submission that got `image_id` before this
        /// record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        image_id: String,
        time: DateTime<Utc>,
        status: String,
        progress: Option<String>,
        #[serde(rename = "final")]
        is_final: bool,
    },
    /// Written and synced before StopInstances is sent: ecsimg stops this instance.
    Stopping(Box<InstanceStop>),
    /// StopInstances refused the stop for good: ecsimg did not stop the instance.
    NotStopped {
        id: String,
        time: DateTime<Utc>,
        reason: String,
    },
    /// The instance of the stop was started again (or found running): nothing to restart.
    Started { id: String, time: DateTime<Utc> },
    /// Written and synced before a delivery call is sent.
    DeliverySending(Box<DeliverySend>),
    /// What a delivery call came to.
    DeliveryAnswered {
        submission: String,
        key: String,
        time: DateTime<Utc>,
        #[serde(flatten)]
        outcome: DeliveryOutcome,
    },
    /// The delivery of a submission ran to its end; a resume leaves it alone.
    DeliveryEnded {
        submission: String,
        time: DateTime<Utc>,
        failures: usize,
    },
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

    /// Makes an existing journal private to its owner (0600) when others may read it (an
    /// older version, a copy, a umask). Returns what the user should hear: that it was
    /// tightened, or that it could not be. Appends tighten it too, silently.
    pub fn ensure_private(&self) -> Option<String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path).ok()?.permissions().mode() & 0o777;
            if mode & 0o077 == 0 {
                return None;
            }
            let path = self.path.display();
            let private = std::fs::Permissions::from_mode(PRIVATE_MODE);
            Some(match std::fs::set_permissions(&self.path, private) {
                Ok(()) => format!(
                    "the journal {path} could be read by others (mode {mode:o}); it is now 600, \
                     as it names your account's images"
                ),
                Err(e) => format!(
                    "the journal {path} can be read by others (mode {mode:o}) and could not be \
                     made private ({e}); run `chmod 600` on it"
                ),
            })
        }
        #[cfg(not(unix))]
        None
    }

    /// Records a submission; call it before sending. Synced to disk when it returns.
    pub fn submit(&self, submission: &Submission) -> Result<(), JournalError> {
        self.append(&Record::Submitted(Box::new(submission.clone())))
    }

    /// Records the state a watcher saw for the image of submission `submission_id`.
    pub fn status_for(
        &self,
        submission_id: &str,
        image_id: &str,
        status: &str,
        progress: Option<&str>,
        is_final: bool,
    ) -> Result<(), JournalError> {
        self.append(&status_record(
            Some(submission_id),
            image_id,
            status,
            progress,
            is_final,
        ))
    }

    /// Records the state a watcher saw for `image_id`, for a caller that knows only the
    /// ImageId: it belongs to the newest submission that got this ImageId before it.
    /// Prefer [`Journal::status_for`].
    pub fn status(
        &self,
        image_id: &str,
        status: &str,
        progress: Option<&str>,
        is_final: bool,
    ) -> Result<(), JournalError> {
        self.append(&status_record(None, image_id, status, progress, is_final))
    }

    /// Appends one record as one line: exclusive lock, one write, fsync.
    pub fn append(&self, record: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(failed("create the directory of", &self.path))?;
        }
        let mut file = open_for_append(&self.path).map_err(failed("open", &self.path))?;
        // std's file locks are stable since 1.89 (the crate's rust-version).
        file.lock().map_err(failed("lock", &self.path))?;
        // A writer killed mid-line left no newline: start on a fresh line so this record stays
        // readable (the damaged one is reported on reading).
        if !ends_with_newline(&mut file).map_err(failed("read", &self.path))? {
            line.insert(0, b'\n');
        }
        file.write_all(&line)
            .map_err(failed("write to", &self.path))?;
        file.sync_data().map_err(failed("sync", &self.path))?;
        // Dropping the file releases the lock.
        Ok(())
    }

    /// Reads and folds the journal. A missing file is an empty history; damaged lines are
    /// reported in [`History::problems`] and skipped.
    pub fn read(&self) -> Result<History, JournalError> {
        let mut file = match regular_file::open(OpenOptions::new().read(true), &self.path) {
            Ok(file) => file,
            Err(FileError::NotFound) => return Ok(History::default()),
            Err(e) => return Err(failed("open", &self.path)(e)),
        };
        file.lock_shared().map_err(failed("lock", &self.path))?;
        let bytes = regular_file::read_bounded(&mut file, MAX_JOURNAL)
            .map_err(failed("read", &self.path))?;
        Ok(history::fold(&bytes))
    }

    /// Runs `work` on this journal on tokio's blocking pool, so its lock and fsync never hold
    /// up a runtime worker: `journal.off_runtime(move |j| j.read()).await`.
    pub async fn off_runtime<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Journal) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, JournalError> {
        let journal = self.clone();
        match tokio::task::spawn_blocking(move || work(&journal)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(JournalError::Abandoned),
        }
    }
}

fn status_record(
    submission_id: Option<&str>,
    image_id: &str,
    status: &str,
    progress: Option<&str>,
    is_final: bool,
) -> Record {
    Record::Status {
        id: submission_id.map(str::to_string),
        image_id: image_id.to_string(),
        time: Utc::now(),
        status: status.to_string(),
        progress: progress.filter(|p| !p.is_empty()).map(str::to_string),
        is_final,
    }
}

/// The error for `action` on the journal at `path`.
fn failed<E: Into<FileError>>(action: &'static str, path: &Path) -> impl FnOnce(E) -> JournalError {
    let path = path.to_path_buf();
    move |source| JournalError::Io {
        action,
        path,
        source: source.into(),
    }
}

/// Opens the journal for appending: created private, refused unless it is a regular file,
/// and made private again if something loosened it.
fn open_for_append(path: &Path) -> Result<File, FileError> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(PRIVATE_MODE);
        let file = regular_file::open(&options, path)?;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0
            && let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_MODE))
        {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), error = %e,
                "the journal can be read by others and could not be made private");
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    regular_file::open(&options, path)
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

#[cfg(test)]
mod tests;
