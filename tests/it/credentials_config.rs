//! The whole credential chain against a temporary home directory and an injected environment:
//! no test reads or writes the process environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ecsimg::config::{Config, ConfigOrigin, LoadedConfig};
use ecsimg::credentials::{
    CredentialSource, CredentialsError, Flags, Inputs, Plan, ProfileOrigin, Resolved, resolve,
};
use tempfile::TempDir;

/// Every secret below contains this marker, so one check proves none leaked.
const MARK: &str = "S3CRET";

const CLI_CONFIG: &str = r#"{
  "current": "default",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "LTAIcli", "access_key_secret": "S3CRET-cli",
     "region_id": "cn-beijing", "output_format": "json", "language": "en"},
    {"name": "sts", "mode": "ststoken", "access_key_id": "STS.cli", "access_key_secret": "S3CRET-sts",
     "sts_token": "S3CRET-token", "region_id": "cn-shenzhen"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIrole", "access_key_secret": "S3CRET-role",
     "ram_role_arn": "acs:ram::123:role/x", "ram_session_name": "s"},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "MyRole"}
  ],
  "meta_path": ""
}"#;

const INI: &str = "\
[default]
type = access_key
access_key_id = LTAIini            # the team key
access_key_secret = S3CRET-ini     # rotated monthly

[ini-only]
type = sts
access_key_id = STS.ini
access_key_secret = S3CRET-ini2
security_token = S3CRET-initoken
region_id = eu-central-1

[assume]
type = ram_role_arn
access_key_id = LTAIassume
access_key_secret = S3CRET-assume
role_arn = acs:ram::123:role/x
";

const CONFIG: &str = r#"
region = "ap-southeast-1"
[credentials]
access_key_id = "LTAIconfig"
access_key_secret = "S3CRET-config"
"#;

/// A home directory, an environment and flags, assembled per test.
struct World {
    home: TempDir,
    env: HashMap<String, String>,
    flags: Flags,
    config: LoadedConfig,
}

impl World {
    fn new() -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let config = LoadedConfig::defaults(ConfigOrigin::Missing(
            home.path().join(".config/ecsimg/config.toml"),
        ));
        Self {
            home,
            env: HashMap::new(),
            flags: Flags::default(),
            config,
        }
    }

    /// A world with every source present: env keys, CLI config, INI file and config.
    fn full() -> Self {
        Self::new()
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "S3CRET-env")
            .file(".aliyun/config.json", CLI_CONFIG)
            .file(".alibabacloud/credentials", INI)
            .config(CONFIG)
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    fn without_env(mut self, name: &str) -> Self {
        self.env.remove(name);
        self
    }

    fn file(self, relative: &str, contents: &str) -> Self {
        let path = self.home.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write");
        self
    }

    fn config(mut self, text: &str) -> Self {
        let path = self.home.path().join(".config/ecsimg/config.toml");
        self.config = Config::from_file_text(&path, text).expect("valid config");
        self
    }

    fn profile_flag(mut self, name: &str) -> Self {
        self.flags.profile = Some(name.into());
        self
    }

    fn region_flag(mut self, region: &str) -> Self {
        self.flags.region = Some(region.into());
        self
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.home.path().join(relative)
    }

    fn resolve(&self) -> Result<Resolved, CredentialsError> {
        let env = |name: &str| self.env.get(name).cloned();
        resolve(&Inputs {
            flags: &self.flags,
            env: &env,
            home: Some(self.home.path()),
            config: &self.config,
        })
    }

    fn ok(&self) -> Resolved {
        let resolved = self.resolve().unwrap_or_else(|e| panic!("{e}"));
        assert_no_secret(&format!("{resolved:?}"));
        assert_no_secret(&resolved.source.to_string());
        resolved
    }

    fn err(&self) -> CredentialsError {
        match self.resolve() {
            Ok(r) => panic!("resolved from {}", r.source),
            Err(e) => {
                assert_no_secret(&e.to_string());
                assert_no_secret(&format!("{e:?}"));
                e
            }
        }
    }
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(MARK), "a secret leaked into: {text}");
}

fn contains_all(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------------------------

#[test]
fn environment_beats_every_file() {
    let r = World::full().ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "LTAIenv"
    );
    assert_eq!(
        r.static_credentials()
            .expect("a fixed key")
            .access_key_secret
            .expose(),
        "S3CRET-env"
    );
    assert_eq!(
        r.static_credentials().expect("a fixed key").security_token,
        None
    );
    assert_eq!(
        r.source.to_string(),
        "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)"
    );
    assert_eq!(r.source.profile(), None);
}

#[test]
fn profile_flag_beats_environment() {
    let r = World::full().profile_flag("sts").ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "STS.cli"
    );
    assert_eq!(
        r.static_credentials()
            .expect("a fixed key")
            .security_token
            .as_ref()
            .map(|t| t.expose()),
        Some("S3CRET-token")
    );
    assert_eq!(
        r.source.to_string(),
        "aliyun CLI profile 'sts' (~/.aliyun/config.json)"
    );
    assert_eq!(r.source.profile(), Some("sts"));
}

#[test]
fn profile_flag_falls_back_to_the_credentials_file() {
    let w = World::full().profile_flag("ini-only");
    let r = w.ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "STS.ini"
    );
    assert_eq!(
        r.static_credentials()
            .expect("a fixed key")
            .security_token
            .as_ref()
            .map(|t| t.expose()),
        Some("S3CRET-initoken")
    );
    assert_eq!(
        r.source,
        CredentialSource::CredentialsFile {
            profile: "ini-only".into(),
            file: ecsimg::credentials::ShownPath::new(
                w.path(".alibabacloud/credentials"),
                Some(w.home.path())
            ),
        }
    );
}

#[test]
fn aliyun_cli_current_profile_beats_credentials_file_and_config() {
    let r = World::full()
        .without_env("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .without_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "LTAIcli"
    );
    assert_eq!(
        r.source.to_string(),
        "aliyun CLI profile 'default' (~/.aliyun/config.json)"
    );
}

#[test]
fn current_names_the_cli_profile() {
    let cli = CLI_CONFIG.replace(r#""current": "default""#, r#""current": "sts""#);
    let r = World::new().file(".aliyun/config.json", &cli).ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "STS.cli"
    );
}

#[test]
fn profile_variable_beats_current_and_config_profile() {
    let w = World::new()
        .file(".aliyun/config.json", CLI_CONFIG)
        .config("profile = \"default\"\n")
        .env("ALIBABACLOUD_PROFILE", "sts");
    assert_eq!(
        w.ok()
            .static_credentials()
            .expect("a fixed key")
            .access_key_id,
        "STS.cli"
    );

    let w = World::new()
        .file(".aliyun/config.json", CLI_CONFIG)
        .file(".alibabacloud/credentials", INI)
        .config("profile = \"ini-only\"\n");
    let r = w.ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "STS.ini"
    );
    assert_eq!(
        r.source.to_string(),
        "credentials file profile 'ini-only' (~/.alibabacloud/credentials)"
    );
}

#[test]
fn credentials_file_is_used_when_no_cli_config_exists() {
    let r = World::new()
        .file(".alibabacloud/credentials", INI)
        .config(CONFIG)
        .ok();
    // `#` comments after the values are stripped, as the Python SDK does.
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "LTAIini"
    );
    assert_eq!(
        r.static_credentials()
            .expect("a fixed key")
            .access_key_secret
            .expose(),
        "S3CRET-ini"
    );
    assert_eq!(
        r.source.to_string(),
        "credentials file profile 'default' (~/.alibabacloud/credentials)"
    );
}

#[test]
fn credentials_ini_is_the_second_default_path_and_the_variable_overrides_both() {
    let r = World::new().file(".alibabacloud/credentials.ini", INI).ok();
    assert_eq!(
        r.source.to_string(),
        "credentials file profile 'default' (~/.alibabacloud/credentials.ini)"
    );

    let other = "[default]\ntype = access_key\naccess_key_id = LTAIelsewhere\n\
                 access_key_secret = S3CRET-elsewhere\n";
    let w = World::new()
        .file(".alibabacloud/credentials", INI)
        .file("elsewhere/creds", other);
    let w = {
        let path = w.path("elsewhere/creds").display().to_string();
        w.env("ALIBABA_CLOUD_CREDENTIALS_FILE", &path)
    };
    assert_eq!(
        w.ok()
            .static_credentials()
            .expect("a fixed key")
            .access_key_id,
        "LTAIelsewhere"
    );

    let w = World::new().file(".alibabacloud/credentials", INI);
    let w = {
        let path = w.path("missing.ini").display().to_string();
        w.env("ALIBABA_CLOUD_CREDENTIALS_FILE", &path)
    };
    match w.err() {
        e @ CredentialsError::CredentialsFileMissing { .. } => contains_all(
            &e.to_string(),
            &[
                "ALIBABA_CLOUD_CREDENTIALS_FILE",
                "~/missing.ini",
                "does not exist",
            ],
        ),
        e => panic!("{e}"),
    }
}

#[test]
fn config_credentials_come_last() {
    let w = World::new().config(CONFIG);
    let r = w.ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "LTAIconfig"
    );
    assert_eq!(
        r.source.to_string(),
        "config file [credentials] (~/.config/ecsimg/config.toml)"
    );
    // An INI file without a `default` section is passed over for the config.
    let r = World::new()
        .file(".alibabacloud/credentials", "[work]\ntype = access_key\n")
        .config(CONFIG)
        .ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "LTAIconfig"
    );
}

#[test]
fn cli_profile_disabled_skips_the_cli_config() {
    let w = World::new()
        .file(".aliyun/config.json", CLI_CONFIG)
        .file(".alibabacloud/credentials", INI)
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE");
    assert_eq!(
        w.ok()
            .static_credentials()
            .expect("a fixed key")
            .access_key_id,
        "LTAIini"
    );

    // Even a broken CLI config is not read when disabled.
    let w = World::new()
        .file(".aliyun/config.json", "{ not json")
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
    match w.err() {
        CredentialsError::NotFound(report) => contains_all(
            &report.to_string(),
            &["aliyun CLI config: skipped (ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true)"],
        ),
        e => panic!("{e}"),
    }
    // Any other value leaves it enabled.
    let w = World::new()
        .file(".aliyun/config.json", CLI_CONFIG)
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "false");
    assert_eq!(
        w.ok()
            .static_credentials()
            .expect("a fixed key")
            .access_key_id,
        "LTAIcli"
    );
}

#[test]
fn legacy_environment_names_are_honoured() {
    let r = World::new()
        .env("ALICLOUD_ACCESS_KEY_ID", "LTAIlegacy")
        .env("ACCESS_KEY_SECRET", "S3CRET-legacy")
        .env("SECURITY_TOKEN", "S3CRET-legacytoken")
        .ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "LTAIlegacy"
    );
    assert_eq!(
        r.static_credentials()
            .expect("a fixed key")
            .access_key_secret
            .expose(),
        "S3CRET-legacy"
    );
    assert_eq!(
        r.static_credentials()
            .expect("a fixed key")
            .security_token
            .as_ref()
            .map(|t| t.expose()),
        Some("S3CRET-legacytoken")
    );
    assert_eq!(r.source.to_string(), "environment (ALICLOUD_ACCESS_KEY_ID)");

    // The primary name wins over a legacy one; empty values count as unset.
    let r = World::new()
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
        .env("ALIBABACLOUD_ACCESS_KEY_ID", "LTAIsecond")
        .env("ACCESS_KEY_ID", "LTAIfourth")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "S3CRET-x")
        .ok();
    assert_eq!(
        r.static_credentials().expect("a fixed key").access_key_id,
        "LTAIsecond"
    );
}

#[test]
fn half_set_environment_is_an_error_not_a_fallthrough() {
    let w = World::new()
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
        .config(CONFIG);
    match w.err() {
        e @ CredentialsError::Incomplete { .. } => contains_all(
            &e.to_string(),
            &[
                "ALIBABA_CLOUD_ACCESS_KEY_ID is set",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            ],
        ),
        e => panic!("{e}"),
    }
    let w = World::new().env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "S3CRET-lonely");
    assert!(matches!(w.err(), CredentialsError::Incomplete { .. }));
}

// ---------------------------------------------------------------------------------------------
// Region
// ---------------------------------------------------------------------------------------------

#[test]
fn region_precedence() {
    // Flag over everything.
    let w = World::full()
        .profile_flag("default")
        .region_flag("us-west-1")
        .env("ALIBABA_CLOUD_REGION_ID", "eu-west-1");
    assert_eq!(w.ok().region.as_deref(), Some("us-west-1"));
    // The region variable over the profile's region_id.
    let w = World::full()
        .profile_flag("default")
        .env("REGION", "me-east-1");
    assert_eq!(w.ok().region.as_deref(), Some("me-east-1"));
    let w = World::full()
        .profile_flag("default")
        .env("ALIBABA_CLOUD_REGION_ID", "eu-west-1")
        .env("REGION", "me-east-1");
    assert_eq!(w.ok().region.as_deref(), Some("eu-west-1"));
    // The winning profile's region_id over the config.
    let w = World::full().profile_flag("default");
    assert_eq!(w.ok().region.as_deref(), Some("cn-beijing"));
    let w = World::full().profile_flag("ini-only");
    assert_eq!(w.ok().region.as_deref(), Some("eu-central-1"));
    // The config's region when the source has none.
    let r = World::full().ok();
    assert_eq!(r.region.as_deref(), Some("ap-southeast-1"));
    // Nothing anywhere: cn-hangzhou.
    let r = World::new()
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "S3CRET-env")
        .ok();
    assert_eq!(r.region, None);
    assert_eq!(r.region_or_default(), "cn-hangzhou");
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn role_and_instance_modes_resolve_to_plans() {
    let r = World::full().profile_flag("role").ok();
    match &r.plan {
        Plan::AssumeRole {
            source,
            session,
            mode,
            ..
        } => {
            assert_eq!(*mode, "RamRoleArn");
            assert_eq!(session.role_arn, "acs:ram::123:role/x");
            assert_eq!(session.session_name, "s");
            assert!(matches!(**source, Plan::Static(ref c) if c.access_key_id == "LTAIrole"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        r.label()
            .starts_with("RamRoleArn via aliyun CLI profile 'role'"),
        "{}",
        r.label()
    );
    let r = World::full().profile_flag("ecs").ok();
    assert_eq!(
        r.plan,
        Plan::EcsRamRole {
            role_name: Some("MyRole".into())
        }
    );
    let r = World::full().profile_flag("assume").ok();
    assert!(
        matches!(
            r.plan,
            Plan::AssumeRole {
                mode: "RamRoleArn",
                ..
            }
        ),
        "{:?}",
        r.plan
    );
}

#[test]
fn unsupported_cli_mode_names_profile_mode_and_file() {
    for mode in ["CloudSSO", "OAuth", "RsaKeyPair"] {
        let cli = CLI_CONFIG.replace(r#""mode": "EcsRamRole""#, &format!(r#""mode": "{mode}""#));
        let e = World::new()
            .file(".aliyun/config.json", &cli)
            .profile_flag("ecs")
            .err();
        assert!(matches!(e, CredentialsError::Unsupported { .. }), "{e}");
        contains_all(
            &e.to_string(),
            &[
                "profile 'ecs'",
                &format!("mode {mode}"),
                "~/.aliyun/config.json",
                "AK, StsToken, RamRoleArn, ChainableRamRoleArn, OIDC, External, CredentialsURI",
                "ALIBABA_CLOUD_SECURITY_TOKEN",
            ],
        );
    }
}

#[test]
fn unsupported_ini_type_names_profile_type_and_file() {
    let ini = INI.replace("type = ram_role_arn", "type = rsa_key_pair");
    let e = World::new()
        .file(".alibabacloud/credentials", &ini)
        .profile_flag("assume")
        .err();
    contains_all(
        &e.to_string(),
        &[
            "profile 'assume'",
            "type rsa_key_pair",
            "~/.alibabacloud/credentials",
            "access_key, sts, ram_role_arn",
        ],
    );
}

#[test]
fn missing_named_profile_names_it_and_every_file_searched() {
    let e = World::full().profile_flag("nosuch").err();
    match &e {
        CredentialsError::ProfileNotFound {
            profile,
            origin,
            searched,
        } => {
            assert_eq!(profile, "nosuch");
            assert_eq!(*origin, ProfileOrigin::Flag);
            assert_eq!(searched.len(), 2, "{searched:?}");
        }
        e => panic!("{e}"),
    }
    contains_all(
        &e.to_string(),
        &[
            "profile 'nosuch' (named by --profile) was not found",
            "~/.aliyun/config.json: exists, but has no profile 'nosuch' (it has: default, sts, role, ecs)",
            "~/.alibabacloud/credentials: exists, but has no profile 'nosuch' (it has: default, ini-only, assume)",
        ],
    );

    // Named by the environment: the config's [credentials] does not silently stand in.
    let e = World::new()
        .config(CONFIG)
        .env("ALIBABA_CLOUD_PROFILE", "ghost")
        .err();
    contains_all(
        &e.to_string(),
        &[
            "profile 'ghost' (named by environment variable ALIBABA_CLOUD_PROFILE)",
            "~/.aliyun/config.json: does not exist",
            "~/.alibabacloud/credentials: does not exist",
            "~/.alibabacloud/credentials.ini: does not exist",
        ],
    );
    let e = World::new().config("profile = \"cfg\"\n").err();
    assert!(matches!(
        e,
        CredentialsError::ProfileNotFound {
            origin: ProfileOrigin::Config,
            ..
        }
    ));
}

#[test]
fn malformed_files_are_errors_naming_the_file() {
    let e = World::new()
        .file(".aliyun/config.json", "{\"profiles\": [")
        .err();
    assert!(matches!(e, CredentialsError::Malformed { .. }), "{e}");
    contains_all(
        &e.to_string(),
        &["~/.aliyun/config.json", "not valid JSON", "line 1"],
    );

    for (json, needle) in [
        ("[]", "top level is not a JSON object"),
        (r#"{"profiles": {}}"#, "`profiles` is not a list"),
        (
            r#"{"current": 7, "profiles": []}"#,
            "`current` is not a string",
        ),
        (r#"{"profiles": [3]}"#, "profile #1 is not a JSON object"),
        (
            r#"{"profiles": [{"mode": "AK"}]}"#,
            "profile #1 has no `name`",
        ),
        (
            r#"{"profiles": [{"name": "default", "mode": "AK", "access_key_id": "x", "access_key_secret": 123456}]}"#,
            "`access_key_secret` of profile 'default' is not a string",
        ),
    ] {
        let e = World::new().file(".aliyun/config.json", json).err();
        assert!(e.to_string().contains(needle), "{json}: {e}");
        assert!(!e.to_string().contains("123456"), "{e}");
    }

    let e = World::new()
        .file(
            ".alibabacloud/credentials",
            "[default]\nS3CRET-naked-line\n",
        )
        .err();
    contains_all(
        &e.to_string(),
        &[
            "credentials file ~/.alibabacloud/credentials is malformed",
            "line 2",
        ],
    );
}

#[test]
fn incomplete_profiles_say_what_is_missing() {
    let cli = r#"{"current": "default", "profiles": [
        {"name": "default", "mode": "AK", "access_key_id": "LTAIx", "access_key_secret": ""}]}"#;
    let e = World::new().file(".aliyun/config.json", cli).err();
    contains_all(
        &e.to_string(),
        &[
            "profile 'default'",
            "`access_key_secret` is missing or empty",
            "aliyun configure",
        ],
    );

    let cli = r#"{"profiles": [{"name": "default", "mode": "StsToken", "access_key_id": "a",
        "access_key_secret": "S3CRET-y"}]}"#;
    let e = World::new().file(".aliyun/config.json", cli).err();
    assert!(e.to_string().contains("`sts_token`"), "{e}");

    let cli = r#"{"profiles": [{"name": "default", "mode": ""}]}"#;
    let e = World::new().file(".aliyun/config.json", cli).err();
    assert!(e.to_string().contains("not configured yet"), "{e}");

    let e = World::new()
        .file(
            ".alibabacloud/credentials",
            "[default]\naccess_key_id = a\n",
        )
        .err();
    assert!(e.to_string().contains("add `type = access_key`"), "{e}");

    let e = World::new()
        .file(
            ".alibabacloud/credentials",
            "[default]\ntype = access_key\naccess_key_id = a\naccess_key_secret = # nothing\n",
        )
        .err();
    assert!(
        e.to_string()
            .contains("`access_key_secret` is missing or empty"),
        "{e}"
    );
}

#[test]
fn nothing_found_lists_every_place_looked() {
    let w = World::new();
    let e = w.err();
    let CredentialsError::NotFound(report) = &e else {
        panic!("{e}");
    };
    assert_eq!(report.looked.len(), 8, "{report:?}");
    let text = e.to_string();
    contains_all(
        &text,
        &[
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABACLOUD_ACCESS_KEY_ID",
            "ALICLOUD_ACCESS_KEY_ID",
            "ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ACCESS_KEY_SECRET",
            "1. environment",
            "2. OIDC (environment): ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE are not set",
            "3. aliyun CLI config ~/.aliyun/config.json: does not exist",
            "4. credentials file ~/.alibabacloud/credentials: does not exist",
            "5. credentials file ~/.alibabacloud/credentials.ini: does not exist",
            "6. ECS instance RAM role: ALIBABA_CLOUD_ECS_METADATA is not set",
            "7. credentials URI: ALIBABA_CLOUD_CREDENTIALS_URI is not set",
            "8. config file [credentials]: no config file (~/.config/ecsimg/config.toml does not exist)",
            "--sandbox",
        ],
    );

    // Files that exist but hold nothing usable say so.
    let cli = CLI_CONFIG.replace(r#""current": "default""#, r#""current": "gone""#);
    let w = World::new()
        .file(".aliyun/config.json", &cli)
        .file(".alibabacloud/credentials.ini", "[work]\n")
        .config("region = \"cn-beijing\"\n");
    let text = w.err().to_string();
    contains_all(
        &text,
        &[
            "~/.aliyun/config.json: exists, but has no profile 'gone' (it has: default, sts, role, ecs)",
            "~/.alibabacloud/credentials: does not exist",
            "~/.alibabacloud/credentials.ini: exists, but has no profile 'default' (it has: work)",
            "~/.config/ecsimg/config.toml has no [credentials] table",
        ],
    );
}

#[test]
fn without_a_home_only_environment_and_config_count() {
    let config = LoadedConfig::defaults(ConfigOrigin::NoConfigDir);
    let flags = Flags::default();
    let env = |_: &str| None;
    let e = resolve(&Inputs {
        flags: &flags,
        env: &env,
        home: None,
        config: &config,
    })
    .expect_err("nothing to find");
    contains_all(
        &e.to_string(),
        &[
            "aliyun CLI config: no home directory to look in",
            "credentials file: no home directory to look in",
        ],
    );
}

#[test]
fn unreadable_file_is_an_error_not_a_panic() {
    // A directory where the file should be cannot be read as text.
    let w = World::new();
    std::fs::create_dir_all(w.path(".aliyun/config.json")).expect("mkdir");
    let e = w.err();
    assert!(matches!(e, CredentialsError::Unreadable { .. }), "{e}");
    assert!(e.to_string().contains("~/.aliyun/config.json"), "{e}");
}

#[test]
fn secrets_never_reach_debug_display_or_errors() {
    // `ok()` and `err()` already check every result; this covers the config value too.
    let w = World::full();
    let debug = format!("{:?}", w.config);
    assert_no_secret(&debug);
    assert!(debug.contains("LTAIconfig"), "{debug}");
    let r = w.ok();
    assert!(format!("{r:?}").contains("***"));
    assert_no_secret(&format!("{:?}", r.plan));
}

#[test]
fn shown_paths_abbreviate_home_only() {
    let home = Path::new("/home/u");
    let inside = ecsimg::credentials::ShownPath::new("/home/u/.aliyun/config.json", Some(home));
    assert_eq!(inside.to_string(), "~/.aliyun/config.json");
    assert_eq!(inside.path(), Path::new("/home/u/.aliyun/config.json"));
    let outside = ecsimg::credentials::ShownPath::new("/home/user2/x", Some(home));
    assert_eq!(outside.to_string(), "/home/user2/x");
}

#[test]
fn chains_and_blocked_modes_are_refused_before_anything_runs() {
    let cli = r#"{"current": "a", "profiles": [
        {"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "b", "ram_role_arn": "acs:ram::1:role/x"},
        {"name": "b", "mode": "ChainableRamRoleArn", "source_profile": "a", "ram_role_arn": "acs:ram::1:role/x"},
        {"name": "ext", "mode": "External", "process_command": "/bin/echo {}"},
        {"name": "via-ext", "mode": "ChainableRamRoleArn", "source_profile": "ext", "ram_role_arn": "acs:ram::1:role/x"}
    ]}"#;
    let e = World::new().file(".aliyun/config.json", cli).err();
    assert!(matches!(e, CredentialsError::ChainCycle { .. }), "{e}");
    assert!(e.to_string().contains("a → b → a"), "{e}");
    for profile in ["ext", "via-ext"] {
        let r = World::new()
            .file(".aliyun/config.json", cli)
            .profile_flag(profile)
            .ok();
        assert_eq!(r.plan.runs_something_else(), Some("External"));
        let e = World::new()
            .file(".aliyun/config.json", cli)
            .profile_flag(profile)
            .env("ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS", "true")
            .err();
        assert!(
            e.to_string()
                .contains("mode External, which ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS blocks"),
            "{e}"
        );
    }
}
