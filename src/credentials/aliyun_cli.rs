//! Profiles from the aliyun CLI's `~/.aliyun/config.json`.
//!
//! The file is read as untyped JSON and picked apart by hand: the CLI writes many keys ecsimg
//! does not need, and a typed deserialiser's errors would quote the offending value — which may
//! be a secret.

use serde_json::{Map, Value};

use super::{CredentialsError, Lookup, ProfileFile, ProfileHit, ShownPath, profile_credentials};

const KIND: ProfileFile = ProfileFile::AliyunCli;

/// Finds `wanted`, or the file's `current` profile (`default` if it names none).
pub(super) fn lookup(
    text: &str,
    wanted: Option<&str>,
    file: &ShownPath,
) -> Result<Lookup, CredentialsError> {
    let malformed = |reason: String| CredentialsError::Malformed {
        file_kind: KIND,
        file: file.clone(),
        reason,
    };
    let root: Value =
        serde_json::from_str(text).map_err(|e| malformed(format!("not valid JSON ({e})")))?;
    let Value::Object(root) = root else {
        return Err(malformed("the top level is not a JSON object".into()));
    };
    let profiles = match root.get("profiles") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err(malformed("`profiles` is not a list".into())),
    };
    let wanted = match wanted {
        Some(name) => name.to_string(),
        None => match root.get("current") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            None | Some(Value::Null) | Some(Value::String(_)) => "default".to_string(),
            Some(_) => return Err(malformed("`current` is not a string".into())),
        },
    };

    let mut available = Vec::new();
    for (i, item) in profiles.iter().enumerate() {
        let Value::Object(profile) = item else {
            return Err(malformed(format!(
                "profile #{} is not a JSON object",
                i + 1
            )));
        };
        let name = match profile.get("name") {
            Some(Value::String(name)) => name,
            _ => {
                return Err(malformed(format!(
                    "profile #{} has no `name` string",
                    i + 1
                )));
            }
        };
        if *name == wanted {
            let hit = read_profile(profile, name, file)?;
            return Ok(Lookup::Found {
                profile: name.clone(),
                hit,
            });
        }
        available.push(name.clone());
    }
    Ok(Lookup::Absent {
        profile: wanted,
        available,
    })
}

fn read_profile(
    profile: &Map<String, Value>,
    name: &str,
    file: &ShownPath,
) -> Result<ProfileHit, CredentialsError> {
    // A field of the wrong type is reported by name only, never by value.
    let field = |key: &str| -> Result<Option<String>, CredentialsError> {
        match profile.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(CredentialsError::Malformed {
                file_kind: KIND,
                file: file.clone(),
                reason: format!("`{key}` of profile '{name}' is not a string"),
            }),
        }
    };
    let incomplete = |problem: String| CredentialsError::Incomplete {
        origin: format!("profile '{name}' in {KIND} {file}"),
        problem,
    };
    let Some(mode) = field("mode")? else {
        return Err(incomplete(format!(
            "it has no mode, so it is not configured yet; run `aliyun configure --profile {name}`"
        )));
    };
    let token_key = if mode.eq_ignore_ascii_case("AK") {
        None
    } else if mode.eq_ignore_ascii_case("StsToken") {
        Some("sts_token")
    } else {
        return Err(CredentialsError::Unsupported {
            profile: name.to_string(),
            kind: mode,
            file_kind: KIND,
            file: file.clone(),
        });
    };
    let required = |key: &str| -> Result<String, CredentialsError> {
        field(key)?.ok_or_else(|| {
            incomplete(format!(
                "`{key}` is missing or empty; run `aliyun configure --profile {name} --mode {mode}`"
            ))
        })
    };
    Ok(ProfileHit {
        credentials: profile_credentials(required, token_key)?,
        region: field("region_id")?,
    })
}
