//! The platform directories: where the config, the journal and the logs live.

use std::path::PathBuf;

use directories::ProjectDirs;

use super::CONFIG_FILE_NAME;

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "ecsimg")
}

/// Where `config.toml` lives (e.g. `~/.config/ecsimg` on Linux); `None` without a home
/// directory.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// The config file read when `--config` is not given.
pub fn default_config_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join(CONFIG_FILE_NAME))
}

/// Durable user data: the submission journal (e.g. `~/.local/share/ecsimg` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().to_path_buf())
}

/// Disposable state such as logs (e.g. `~/.local/state/ecsimg` on Linux). Platforms without a
/// state directory (macOS, Windows) use the local data directory instead.
pub fn state_dir() -> Option<PathBuf> {
    project_dirs().map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .to_path_buf()
    })
}
