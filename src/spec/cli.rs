//! The spec as the equivalent `aliyun ecs CreateImage ...` command line, built from
//! [`to_params`] so wire names live in one place; [`cli_line`] writes any call so.

use super::{ImageSpec, to_params};

/// A value that no shell word can carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param} contains a NUL character, which a command line cannot carry; remove it")]
pub struct CliError {
    pub param: String,
}

/// One line for a POSIX shell; every value is quoted only as much as needed (`'web 1'`).
/// Validation rejects NUL in every field, so this fails only for specs that never validated.
pub fn to_cli(spec: &ImageSpec) -> Result<String, CliError> {
    cli_line("CreateImage", &to_params(spec))
}

/// `aliyun ecs ACTION --Name value ...` for a POSIX shell.
pub fn cli_line(action: &str, params: &[(String, String)]) -> Result<String, CliError> {
    let mut line = format!("aliyun ecs {action}");
    for (name, value) in params {
        let quoted = shlex::try_quote(value).map_err(|_| CliError {
            param: name.clone(),
        })?;
        line.push_str(" --");
        line.push_str(name);
        line.push(' ');
        line.push_str(&quoted);
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::fixtures::{full_spec, parse_cli};
    use crate::spec::{Source, Tag};

    #[test]
    fn simple_values_stay_bare_and_spaces_get_quoted() {
        let spec = ImageSpec {
            source: Source::Instance {
                instance_id: "i-bp1".into(),
            },
            tags: vec![Tag {
                key: "env".into(),
                value: "web 1".into(),
            }],
            ..ImageSpec::default()
        };
        assert_eq!(
            to_cli(&spec).unwrap(),
            "aliyun ecs CreateImage --RegionId cn-hangzhou --InstanceId i-bp1 \
             --Tag.1.Key env --Tag.1.Value 'web 1'"
        );
    }

    #[test]
    fn hostile_values_parse_back_to_the_params() {
        let mut spec = full_spec();
        spec.tags.push(Tag {
            key: "quote".into(),
            value: "it's a \"test\" `cmd` $(rm -rf /) \\ ; & | * ~".into(),
        });
        let line = to_cli(&spec).unwrap();
        assert!(line.contains("'生产 环境'"), "{line}");
        assert!(
            line.contains("--Tag.3.Value ''"),
            "empty value kept: {line}"
        );
        assert_eq!(parse_cli(&line), to_params(&spec));
    }

    #[test]
    fn nul_is_refused_with_the_parameter_name() {
        let mut spec = full_spec();
        spec.image.description = Some("bad\0byte".into());
        let err = to_cli(&spec).unwrap_err();
        assert_eq!(err.param, "Description");
        assert!(err.to_string().contains("Description contains a NUL"));
    }
}
