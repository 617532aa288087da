//! Config parsing: any text loads or fails with an error that formats; a loaded access key
//! secret never shows in the config's `Debug` output.

#![no_main]

use std::path::Path;

use ecsimg::config::{Config, LoadedConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match Config::from_file_text(Path::new("fuzz.toml"), text) {
        Ok(LoadedConfig { config, .. }) => {
            let shown = format!("{config:?}");
            if let Some(credentials) = &config.credentials {
                let secret = credentials.access_key_secret.expose();
                let without = format!(
                    "{:?}",
                    Config {
                        credentials: None,
                        ..config.clone()
                    }
                );
                // Short or common secrets appear by coincidence; judge only distinctive ones.
                if secret.len() >= 8 && !without.contains(secret) {
                    assert!(!shown.contains(secret), "the secret is in Debug: {shown}");
                }
            }
            let _ = config.region();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
