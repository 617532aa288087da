//! The config file read, refused and located.

use super::*;
use crate::secret::Secret;
use crate::text::line_column;

const FILE: &str = "/cfg/config.toml";

fn parse(text: &str) -> Result<Config, InvalidConfig> {
    match Config::from_file_text(Path::new(FILE), text) {
        Ok(loaded) => Ok(loaded.config),
        Err(ConfigError::Invalid(e)) => Err(e),
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

fn invalid(text: &str) -> InvalidConfig {
    match parse(text) {
        Ok(config) => panic!("accepted {text:?} as {config:?}"),
        Err(e) => e,
    }
}

#[test]
fn empty_file_means_defaults() {
    let c = parse("").expect("valid");
    assert_eq!(c, Config::default());
    assert_eq!(c.region(), "cn-hangzhou");
    assert_eq!(c.region, None);
    assert_eq!(c.endpoint, None);
    assert_eq!(c.signature_version, SignatureVersion::V3);
    assert_eq!(c.credentials, None);
    assert_eq!(c.network.connect_timeout, Duration::from_secs(5));
    assert_eq!(c.network.read_timeout, Duration::from_secs(10));
    assert_eq!(c.network.call_timeout, Duration::from_secs(60));
    assert_eq!(c.network.max_attempts, 3);
    assert_eq!(c.watch.poll_interval, Duration::from_secs(5));
    assert_eq!(c.watch.timeout, None);
    assert!(c.ui.mouse);
}

#[test]
fn every_key_is_read() {
    let c = parse(
        r#"
region = "ap-southeast-1"
endpoint = "http://127.0.0.1:8080"
profile = "work"
signature_version = "v1"

[credentials]
access_key_id = "LTAIcfg"
access_key_secret = "cfg-secret"
security_token = "cfg-token"

[network]
connect_timeout = "500ms"
read_timeout = "1m30s"
call_timeout = "3m"
max_attempts = 1

[watch]
poll_interval = "2s"
timeout = "2h"

[ui]
mouse = false
"#,
    )
    .expect("valid");
    assert_eq!(c.region(), "ap-southeast-1");
    assert_eq!(
        c.endpoint.as_ref().map(ToString::to_string).as_deref(),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(c.profile.as_deref(), Some("work"));
    assert_eq!(c.signature_version, SignatureVersion::V1);
    let creds = c.credentials.expect("credentials");
    assert_eq!(creds.access_key_id, "LTAIcfg");
    assert_eq!(creds.access_key_secret.expose(), "cfg-secret");
    assert_eq!(
        creds.security_token.as_ref().map(Secret::expose),
        Some("cfg-token")
    );
    assert_eq!(c.network.connect_timeout, Duration::from_millis(500));
    assert_eq!(c.network.read_timeout, Duration::from_secs(90));
    assert_eq!(c.network.call_timeout, Duration::from_secs(180));
    assert_eq!(c.network.max_attempts, 1);
    assert_eq!(c.watch.poll_interval, Duration::from_secs(2));
    assert_eq!(c.watch.timeout, Some(Duration::from_secs(7200)));
    assert!(!c.ui.mouse);
}

/// The example file documents real keys with their real defaults: it parses as is, and
/// again with every commented-out `key = value` line and `[table]` header switched on.
#[test]
fn example_file_matches_the_code() {
    let example = include_str!("../../config.example.toml");
    assert_eq!(parse(example).expect("example parses"), Config::default());

    let uncommented: String = example
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if looks_like_setting(rest) => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = parse(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    let d = Config::default();
    assert_eq!(c.region(), d.region());
    assert_eq!(c.signature_version, d.signature_version);
    assert_eq!(
        c.network,
        Network {
            ca_file: c.network.ca_file.clone(),
            ..d.network
        }
    );
    assert_eq!(c.watch.poll_interval, d.watch.poll_interval);
    assert_eq!(c.ui, d.ui);
    // Keys without a default are shown with sample values.
    assert!(c.endpoint.is_some() && c.profile.is_some() && c.credentials.is_some());
    assert!(c.metadata_endpoint.is_some() && c.network.ca_file.is_some());
    assert!(c.watch.timeout.is_some());
}

fn looks_like_setting(line: &str) -> bool {
    let is_key = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    match line.split_once(" = ") {
        Some((key, _)) => is_key(key),
        None => line
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .is_some_and(is_key),
    }
}

#[test]
fn unknown_key_names_file_line_column_and_key() {
    let e = invalid("region = \"cn-beijing\"\nregoin = \"x\"\n");
    assert_eq!((e.line, e.column), (Some(2), Some(1)));
    assert_eq!(e.key.as_deref(), Some("regoin"));
    let text = e.to_string();
    for needle in [
        FILE,
        "line 2",
        "column 1",
        "`regoin`",
        "`region`",
        "config.example.toml",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }

    let e = invalid("[network]\nconnect_timeout = \"1s\"\n\n  retries = 3\n");
    assert_eq!((e.line, e.column), (Some(4), Some(3)));
    assert_eq!(e.key.as_deref(), Some("network.retries"));
    assert!(e.message.contains("`max_attempts`"), "{}", e.message);
}

#[test]
fn bad_values_are_located_and_explained() {
    let e = invalid("# comment\nsignature_version = \"v2\"\n");
    assert_eq!((e.line, e.column), (Some(2), Some(21)));
    assert_eq!(e.key.as_deref(), Some("signature_version"));
    assert!(
        e.message.contains("`v1`") && e.message.contains("`v3`"),
        "{}",
        e.message
    );

    let e = invalid("endpoint = \"http://example.com\"\n");
    assert_eq!(e.line, Some(1));
    assert_eq!(e.key.as_deref(), Some("endpoint"));
    assert!(e.message.contains("loopback"), "{}", e.message);
    assert!(parse("endpoint = \"http://[::1]:9000\"").is_ok());
    assert!(parse("endpoint = \"https://ecs.example.com\"").is_ok());

    let e = invalid("[watch]\npoll_interval = \"500ms\"\n");
    assert_eq!(e.key.as_deref(), Some("watch.poll_interval"));
    assert!(e.message.contains("use 1s to 1h"), "{}", e.message);

    for text in [
        "18446744073709551615s",
        "9223372036854775807s",
        "5124095576030431h",
    ] {
        let e = invalid(&format!("[network]\nread_timeout = \"{text}\"\n"));
        assert_eq!(e.key.as_deref(), Some("network.read_timeout"), "{text}");
        assert!(e.message.contains("out of range"), "{}", e.message);
    }
    let e = invalid("[network]\ncall_timeout = \"500ms\"\n");
    assert_eq!(e.key.as_deref(), Some("network.call_timeout"));
    assert!(e.message.contains("use 1s to 1h"), "{}", e.message);
    let e = invalid("[watch]\ntimeout = \"200h\"\n");
    assert_eq!(e.key.as_deref(), Some("watch.timeout"));
    assert!(e.message.contains("to 168h"), "{}", e.message);
    assert_eq!(
        parse("[network]\nread_timeout = \"1.5s\"\n").map(|c| c.network.read_timeout),
        Ok(Duration::from_millis(1500))
    );

    let e = invalid("network = { read_timeout = 10 }\n");
    assert_eq!(e.key.as_deref(), Some("network.read_timeout"));
    assert!(e.to_string().contains("\"5s\""), "{e}");

    let e = invalid("[network]\nmax_attempts = 0\n");
    assert_eq!(e.key.as_deref(), Some("network.max_attempts"));
    assert_eq!(e.line, Some(2));

    let e = invalid("region = \"CN_Hangzhou\"\n");
    assert_eq!(e.key.as_deref(), Some("region"));
    assert!(e.message.contains("cn-hangzhou"), "{}", e.message);

    let e = invalid("[ui]\nmouse = \"yes\"\n");
    assert_eq!(e.key.as_deref(), Some("ui.mouse"));

    let e = invalid("[credentials]\naccess_key_id = \"LTAI\"\n");
    assert_eq!(e.key.as_deref(), Some("credentials"));
    assert!(e.message.contains("access_key_secret"), "{}", e.message);
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = invalid("profile = \"é\"\nx = 1\n");
    assert_eq!((e.line, e.column), (Some(2), Some(1)));
    let e = invalid("# déjà vu\nsignature_version = \"v9\"");
    assert_eq!((e.line, e.column), (Some(2), Some(21)));
    assert_eq!(line_column("ab\ncdé", 7), (2, 4));
}

#[test]
fn syntax_errors_have_a_position_but_no_key() {
    let e = invalid("[ui\nmouse = true\n");
    assert_eq!(e.line, Some(1));
    assert_eq!(e.key, None);
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn secrets_in_bad_values_are_not_echoed() {
    let secret = "98765432123456789";
    for text in [
        format!("[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = {secret}\n"),
        format!(
            "[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"x\"\n\
             security_token = {secret}\n"
        ),
        format!("[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"{secret}\n"),
    ] {
        let e = invalid(&text);
        assert!(!e.to_string().contains(secret), "{e}");
        assert!(!format!("{e:?}").contains(secret), "{e:?}");
    }
    let c = parse(&format!(
        "[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"{secret}\"\n"
    ))
    .expect("valid");
    assert!(!format!("{c:?}").contains(secret));
    let e = invalid("[credentials]\naccess_key_id = \"LTAI\"\naccess_key_secret = \"  \"\n");
    assert_eq!(e.key.as_deref(), Some("credentials.access_key_secret"));
}

#[test]
fn explicit_file_must_exist_but_default_may_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.toml");
    match Config::load(Some(&missing)) {
        Err(e @ ConfigError::NotFound { .. }) => {
            assert!(e.to_string().contains("nope.toml"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "region = \"cn-shanghai\"\n").expect("write");
    let loaded = Config::load(Some(&path)).expect("loads");
    assert_eq!(loaded.file(), Some(path.as_path()));
    assert_eq!(loaded.config.region(), "cn-shanghai");

    std::fs::write(&path, "bogus = 1\n").expect("write");
    match Config::load(Some(&path)) {
        Err(ConfigError::Invalid(e)) => assert_eq!(e.path, path),
        other => panic!("{other:?}"),
    }
    // A directory cannot be read as a file.
    assert!(matches!(
        Config::load(Some(dir.path())),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn origin_is_described() {
    let missing = LoadedConfig::defaults(ConfigOrigin::Missing(PathBuf::from("/x/config.toml")));
    assert_eq!(missing.file(), None);
    assert_eq!(
        missing.origin.to_string(),
        "no config file (looked for /x/config.toml)"
    );
}
