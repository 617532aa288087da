//! Profiles from the shared credentials INI file (`~/.alibabacloud/credentials`).
//!
//! A small parser of our own rather than a general INI crate, so the file means what it means
//! to Python's `configparser` as the Alibaba Cloud SDK uses it: `key = value` or `key: value`,
//! whole-line `#`/`;` comments, keys case-insensitive, duplicate sections or keys rejected, and
//! — like the Python SDK — anything after a `#` inside a value dropped. Error messages cite line
//! numbers, never line contents, which may hold a secret.

use super::{
    CredentialsError, Lookup, Plan, ProfileFile, ProfileHit, ShownPath, StsPlace,
    default_session_name, profile_credentials,
};
use crate::api::sts::RoleSession;

const KIND: ProfileFile = ProfileFile::CredentialsFile;

struct Section {
    name: String,
    /// Lower-cased keys with their values, comments stripped.
    entries: Vec<(String, String)>,
}

impl Section {
    fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Finds section `wanted`, or `default`.
pub(super) fn lookup(
    text: &str,
    wanted: Option<&str>,
    file: &ShownPath,
) -> Result<Lookup, CredentialsError> {
    let sections = parse(text).map_err(|reason| CredentialsError::Malformed {
        file_kind: KIND,
        file: file.clone(),
        reason,
    })?;
    let wanted = wanted.unwrap_or("default");
    match sections.iter().find(|s| s.name == wanted) {
        Some(section) => Ok(Lookup::Found {
            profile: section.name.clone(),
            hit: read_section(section, file)?,
        }),
        None => Ok(Lookup::Absent {
            profile: wanted.to_string(),
            available: sections.into_iter().map(|s| s.name).collect(),
        }),
    }
}

fn parse(text: &str) -> Result<Vec<Section>, String> {
    let mut sections: Vec<Section> = Vec::new();
    let mut first_lines: Vec<usize> = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            // `[name]`, optionally followed by a comment.
            let Some((name, _)) = header.rsplit_once(']').filter(|(_, after)| {
                let after = after.trim_start();
                after.is_empty() || after.starts_with(['#', ';'])
            }) else {
                return Err(format!("line {n}: a section header must end with `]`"));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("line {n}: the section name is empty"));
            }
            if let Some(prev) = sections.iter().position(|s| s.name == name) {
                return Err(format!(
                    "line {n}: section [{name}] appears again (first at line {})",
                    first_lines[prev]
                ));
            }
            sections.push(Section {
                name: name.to_string(),
                entries: Vec::new(),
            });
            first_lines.push(n);
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            return Err(format!(
                "line {n}: expected `key = value`, a [section] header or a # comment"
            ));
        };
        let key = line[..split].trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(format!("line {n}: the key before `=` is empty"));
        }
        let Some(section) = sections.last_mut() else {
            return Err(format!(
                "line {n}: `{key}` comes before any [section] header"
            ));
        };
        if section.entries.iter().any(|(k, _)| *k == key) {
            return Err(format!(
                "line {n}: `{key}` is set twice in section [{}]",
                section.name
            ));
        }
        let value = line[split + 1..].trim();
        let value = value.split('#').next().unwrap_or(value).trim();
        section.entries.push((key, value.to_string()));
    }
    Ok(sections)
}

fn read_section(section: &Section, file: &ShownPath) -> Result<ProfileHit, CredentialsError> {
    let name = &section.name;
    let incomplete = |problem: String| CredentialsError::Incomplete {
        origin: format!("profile '{name}' in {KIND} {file}"),
        problem,
    };
    let Some(kind) = section.get("type") else {
        return Err(incomplete(
            "it has no `type`; add `type = access_key` (with access_key_id and \
             access_key_secret)"
                .into(),
        ));
    };
    let required = |key: &str| {
        section
            .get(key)
            .map(str::to_string)
            .ok_or_else(|| incomplete(format!("`{key}` is missing or empty (type = {kind})")))
    };
    let optional = |key: &str| section.get(key).map(str::to_string);
    let session = || -> Result<RoleSession, CredentialsError> {
        Ok(RoleSession {
            role_arn: required("role_arn")?,
            session_name: optional("role_session_name").unwrap_or_else(default_session_name),
            duration_seconds: None,
            policy: optional("policy"),
        })
    };
    let plan = match kind.to_ascii_lowercase().as_str() {
        "access_key" => Plan::Static(profile_credentials(required, None)?),
        "sts" => Plan::Static(profile_credentials(required, Some("security_token"))?),
        "ram_role_arn" => Plan::AssumeRole {
            source: Box::new(Plan::Static(profile_credentials(required, None)?)),
            session: session()?,
            external_id: optional("external_id"),
            sts: StsPlace::default(),
            mode: "RamRoleArn",
        },
        "oidc_role_arn" => Plan::Oidc {
            session: session()?,
            provider_arn: required("oidc_provider_arn")?,
            token_file: required("oidc_token_file_path")?.into(),
            sts: StsPlace::default(),
        },
        "ecs_ram_role" => Plan::EcsRamRole {
            role_name: optional("role_name"),
        },
        _ => {
            return Err(CredentialsError::Unsupported {
                profile: name.clone(),
                kind: kind.to_string(),
                file_kind: KIND,
                file: file.clone(),
            });
        }
    };
    Ok(ProfileHit {
        plan,
        region: section.get("region_id").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn file() -> ShownPath {
        ShownPath::new(
            "/home/u/.alibabacloud/credentials",
            Some(Path::new("/home/u")),
        )
    }

    fn malformed(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("accepted {text:?}"),
            Err(reason) => reason,
        }
    }

    #[test]
    fn reads_sections_keys_and_strips_comments_like_python() {
        let sections = parse(
            "\u{feff}# leading comment\n\
             [default] ; trailing\n\
             Type = access_key   # the kind\n\
             access_key_id: LTAIx#no-space comment\n\
             \taccess_key_secret = s3cr;et\n\
             \x20 ; indented comment\n\
             empty =\n\
             \r\n\
             [ other ]\n\
             type=sts\r\n",
        )
        .expect("parses");
        assert_eq!(sections.len(), 2);
        let d = &sections[0];
        assert_eq!(d.name, "default");
        assert_eq!(d.get("type"), Some("access_key"));
        assert_eq!(d.get("access_key_id"), Some("LTAIx"));
        // Only `#` starts a value comment, as in the Python SDK.
        assert_eq!(d.get("access_key_secret"), Some("s3cr;et"));
        assert_eq!(d.get("empty"), None);
        assert_eq!(sections[1].name, "other");
        assert_eq!(sections[1].get("type"), Some("sts"));
    }

    #[test]
    fn malformed_files_are_located_by_line_without_quoting_it() {
        for (text, needle) in [
            ("[default\nx = 1\n", "line 1: a section header must end"),
            ("[default] junk\n", "line 1: a section header must end"),
            ("[]\n", "line 1: the section name is empty"),
            ("x = 1\n", "line 1: `x` comes before any [section]"),
            ("[a]\nSECRETVALUE\n", "line 2: expected `key = value`"),
            ("[a]\n= v\n", "line 2: the key before `=` is empty"),
            (
                "[a]\nk = 1\nK = 2\n",
                "line 3: `k` is set twice in section [a]",
            ),
            (
                "[a]\n\n[a]\n",
                "line 3: section [a] appears again (first at line 1)",
            ),
        ] {
            let reason = malformed(text);
            assert!(reason.contains(needle), "{text:?}: {reason}");
            assert!(!reason.contains("SECRETVALUE"), "{reason}");
        }
    }

    #[test]
    fn lookup_reports_the_sections_it_has() {
        match lookup("[work]\ntype = access_key\n[play]\n", None, &file()) {
            Ok(Lookup::Absent { profile, available }) => {
                assert_eq!(profile, "default");
                assert_eq!(available, ["work", "play"]);
            }
            Ok(Lookup::Found { .. }) => panic!("found a profile that is not there"),
            Err(e) => panic!("{e}"),
        }
    }
}
