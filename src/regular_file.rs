//! Opening the files a user points ecsimg at (recipes, the config, the journal) as what they
//! claim to be: regular files of a sane size.
//!
//! `--recipe /dev/zero` would otherwise be read until memory runs out, and a FIFO would block
//! the command forever on `open`. The file is opened without blocking (`O_NONBLOCK`, which
//! changes nothing for a regular file) and its type is checked on the open handle, so nothing
//! can be swapped in between the check and the read.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// The most a recipe or a config file may hold. Both are a few hundred bytes in practice.
pub const SMALL_FILE_LIMIT: u64 = 1 << 20;

/// Why a file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no such file")]
    NotFound,
    #[error("it is {0}, not a regular file; name a file")]
    NotAFile(&'static str),
    #[error("it is larger than {}, the most ecsimg reads from such a file", size(*.0))]
    TooLarge(u64),
    #[error("it is not UTF-8 text")]
    NotText,
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl FileError {
    fn from_open(error: io::Error) -> FileError {
        if error.kind() == io::ErrorKind::NotFound {
            FileError::NotFound
        } else {
            FileError::Io(error)
        }
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Opens `path` with `options`, refusing anything but a regular file without blocking on it.
pub fn open(options: &OpenOptions, path: &Path) -> Result<File, FileError> {
    let mut options = options.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path).map_err(FileError::from_open)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(FileError::NotAFile(describe(file_type)));
    }
    Ok(file)
}

/// What a file that is not a regular one is, in words.
fn describe(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Reads at most `limit` bytes of an open file; more is [`FileError::TooLarge`].
pub fn read_bounded(file: &mut File, limit: u64) -> Result<Vec<u8>, FileError> {
    if file.metadata()?.len() > limit {
        return Err(FileError::TooLarge(limit));
    }
    // The size can change after the check (or be wrong, as in /proc): read one byte more than
    // allowed to notice.
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge(limit));
    }
    Ok(bytes)
}

/// The whole text of the regular file at `path`, at most `limit` bytes.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String, FileError> {
    let mut file = open(OpenOptions::new().read(true), path)?;
    let bytes = read_bounded(&mut file, limit)?;
    String::from_utf8(bytes).map_err(|_| FileError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn regular_files_are_read_within_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.toml");
        std::fs::write(&path, "region = \"x\"\n").expect("write");
        assert_eq!(
            read_to_string(&path, 100).expect("reads"),
            "region = \"x\"\n"
        );
        assert!(matches!(
            read_to_string(&path, 5),
            Err(FileError::TooLarge(5))
        ));
        std::fs::write(&path, b"\xff\xfe").expect("write");
        assert!(matches!(read_to_string(&path, 5), Err(FileError::NotText)));
        assert!(matches!(
            read_to_string(&dir.path().join("missing"), 5),
            Err(FileError::NotFound)
        ));
        let e = read_to_string(dir.path(), 5).expect_err("a directory");
        assert_eq!(
            e.to_string(),
            "it is a directory, not a regular file; name a file"
        );
        assert_eq!(
            FileError::TooLarge(SMALL_FILE_LIMIT).to_string(),
            "it is larger than 1 MiB, the most ecsimg reads from such a file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_at_once() {
        let started = Instant::now();
        let e = read_to_string(Path::new("/dev/zero"), SMALL_FILE_LIMIT).expect_err("a device");
        assert!(e.to_string().contains("a character device"), "{e}");
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        // No writer: a blocking open would never return.
        let e = read_to_string(&fifo, SMALL_FILE_LIMIT).expect_err("a FIFO");
        assert!(e.to_string().contains("named pipe"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
