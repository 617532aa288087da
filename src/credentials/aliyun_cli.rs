//! Profiles from the aliyun CLI's `~/.aliyun/config.json`.
//!
//! The file is read as untyped JSON and picked apart by hand: the CLI writes many keys ecsimg
//! does not need, and a typed deserialiser's errors would quote the offending value — which may
//! be a secret.

use serde_json::{Map, Value};

use super::{
    CredentialsError, Lookup, Plan, ProfileFile, ProfileHit, ShownPath, StsPlace,
    default_session_name, profile_credentials,
};
use crate::api::Credentials;
use crate::api::sts::RoleSession;
use crate::secret::Secret;

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

    let mut named = Vec::new();
    for (i, item) in profiles.iter().enumerate() {
        let Value::Object(profile) = item else {
            return Err(malformed(format!(
                "profile #{} is not a JSON object",
                i + 1
            )));
        };
        match profile.get("name") {
            Some(Value::String(name)) => named.push((name.as_str(), profile)),
            _ => {
                return Err(malformed(format!(
                    "profile #{} has no `name` string",
                    i + 1
                )));
            }
        }
    }
    let file = File {
        profiles: &named,
        path: file,
    };
    match named.iter().find(|(name, _)| *name == wanted) {
        Some((name, profile)) => Ok(Lookup::Found {
            profile: name.to_string(),
            hit: file.read_profile(profile, name, &mut vec![name.to_string()])?,
        }),
        None => Ok(Lookup::Absent {
            profile: wanted,
            available: named.iter().map(|(n, _)| n.to_string()).collect(),
        }),
    }
}

/// The file's profiles by name, for following `source_profile`.
struct File<'a> {
    profiles: &'a [(&'a str, &'a Map<String, Value>)],
    path: &'a ShownPath,
}

/// The modes the CLI infers for a profile without one, in its order.
fn inferred_mode(has: impl Fn(&str) -> bool) -> Option<&'static str> {
    if has("access_key_id") && has("access_key_secret") {
        Some(if has("sts_token") {
            "StsToken"
        } else if has("ram_role_arn") {
            "RamRoleArn"
        } else {
            "AK"
        })
    } else if has("ram_role_name") {
        Some("EcsRamRole")
    } else if has("process_command") {
        Some("External")
    } else if has("oidc_provider_arn") && has("oidc_token_file") && has("ram_role_arn") {
        Some("OIDC")
    } else if has("cloud_sso_sign_in_url") {
        Some("CloudSSO")
    } else {
        None
    }
}

impl File<'_> {
    /// The plan of profile `name`; `chain` holds the profiles that led here through
    /// `source_profile` (`name` last).
    fn read_profile(
        &self,
        profile: &Map<String, Value>,
        name: &str,
        chain: &mut Vec<String>,
    ) -> Result<ProfileHit, CredentialsError> {
        let file = self.path;
        // A field of the wrong type is reported by name only, never by value.
        let wrong = |key: &str, what: &str| CredentialsError::Malformed {
            file_kind: KIND,
            file: file.clone(),
            reason: format!("`{key}` of profile '{name}' is not {what}"),
        };
        let field = |key: &str| -> Result<Option<String>, CredentialsError> {
            match profile.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(wrong(key, "a string")),
            }
        };
        let incomplete = |problem: String| CredentialsError::Incomplete {
            origin: format!("profile '{name}' in {KIND} {file}"),
            problem,
        };
        let has = |key: &str| field(key).ok().flatten().is_some();
        let mode = match field("mode")? {
            Some(mode) => mode,
            None => match inferred_mode(has) {
                Some(mode) => mode.to_string(),
                None => {
                    return Err(incomplete(format!(
                        "it has no mode, so it is not configured yet; run `aliyun configure \
                         --profile {name}`"
                    )));
                }
            },
        };
        let required = |key: &str| -> Result<String, CredentialsError> {
            field(key)?.ok_or_else(|| {
                incomplete(format!(
                    "`{key}` is missing or empty; run `aliyun configure --profile {name} --mode \
                     {mode}`"
                ))
            })
        };
        let session = || -> Result<RoleSession, CredentialsError> {
            let duration_seconds = match profile.get("expired_seconds") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) => Some(
                    n.as_u64()
                        .ok_or_else(|| wrong("expired_seconds", "a whole number"))?,
                ),
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(
                    s.trim()
                        .parse()
                        .map_err(|_| wrong("expired_seconds", "a whole number"))?,
                ),
                Some(_) => return Err(wrong("expired_seconds", "a whole number")),
            };
            // The CLI writes 0 for "not set".
            let duration_seconds = match duration_seconds {
                None | Some(0) => None,
                Some(s @ 900..=43200) => u32::try_from(s).ok(),
                Some(_) => {
                    return Err(incomplete(
                        "`expired_seconds` must be 900 to 43200 (15 minutes to 12 hours, and \
                         at most the role's maximum session duration)"
                            .into(),
                    ));
                }
            };
            Ok(RoleSession {
                role_arn: required("ram_role_arn")?,
                session_name: field("ram_session_name")?.unwrap_or_else(default_session_name),
                duration_seconds,
                policy: field("policy")?,
            })
        };
        let sts = || -> Result<StsPlace, CredentialsError> {
            Ok(StsPlace {
                endpoint: field("sts_endpoint")?,
                region: field("sts_region")?,
                vpc: match profile.get("enable_vpc") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(wrong("enable_vpc", "true or false")),
                },
            })
        };
        let plan = match mode.to_ascii_lowercase().as_str() {
            "ak" => Plan::Static(profile_credentials(required, None)?),
            "ststoken" => Plan::Static(profile_credentials(required, Some("sts_token"))?),
            "ramrolearn" => Plan::AssumeRole {
                source: Box::new(Plan::Static(Credentials {
                    access_key_id: required("access_key_id")?,
                    access_key_secret: Secret::new(required("access_key_secret")?),
                    security_token: field("sts_token")?.map(Secret::new),
                })),
                session: session()?,
                external_id: field("external_id")?,
                sts: sts()?,
                mode: "RamRoleArn",
            },
            "chainableramrolearn" => {
                let source = required("source_profile")?;
                if chain.contains(&source) {
                    chain.push(source);
                    return Err(CredentialsError::ChainCycle {
                        chain: chain.clone(),
                        file: file.clone(),
                    });
                }
                let Some((source_name, source_profile)) =
                    self.profiles.iter().find(|(n, _)| **n == source)
                else {
                    return Err(incomplete(format!(
                        "its source_profile '{source}' is not in the file; name a profile it has"
                    )));
                };
                chain.push(source.clone());
                let hit = self.read_profile(source_profile, source_name, chain)?;
                Plan::AssumeRole {
                    source: Box::new(hit.plan),
                    session: session()?,
                    external_id: field("external_id")?,
                    sts: sts()?,
                    mode: "ChainableRamRoleArn",
                }
            }
            "oidc" => Plan::Oidc {
                session: session()?,
                provider_arn: required("oidc_provider_arn")?,
                token_file: required("oidc_token_file")?.into(),
                sts: sts()?,
            },
            "external" => Plan::External {
                command: required("process_command")?,
            },
            "credentialsuri" => Plan::Uri {
                uri: required("credentials_uri")?,
            },
            "ecsramrole" => Plan::EcsRamRole {
                role_name: field("ram_role_name")?,
            },
            _ => {
                return Err(CredentialsError::Unsupported {
                    profile: name.to_string(),
                    kind: mode,
                    file_kind: KIND,
                    file: file.clone(),
                });
            }
        };
        Ok(ProfileHit {
            plan,
            region: field("region_id")?,
        })
    }
}
