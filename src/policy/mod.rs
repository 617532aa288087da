//! RAM policy documents: the language an operator grants permissions in, shared by the policy
//! ecsimg generates for a build and by the simulator, which enforces such policies. Sharing
//! one model is what makes "this policy is exactly what the build needs" testable.
//!
//! The language (https://www.alibabacloud.com/help/en/ram/policy-structure-and-syntax):
//! `{"Version": "1", "Statement": [{"Effect", "Action", "Resource", "Condition"}]}`; `Action`
//! and `Resource` are a string or a list; `*` matches any run of characters and `?` one; an
//! explicit Deny beats any Allow, and no matching Allow is an implicit deny.
//!
//! Our choices where the reference is silent: action names (`ecs:CreateImage`) match without
//! regard to case, resources and condition values with it (except the `IgnoreCase`
//! operators); a condition key absent from the request never satisfies a positive operator
//! and always satisfies a negated one.

pub mod build;
pub mod denial;
pub mod operations;

pub use build::{Generated, Noted, for_spec};
pub use denial::{Denied, explain};

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The only version of the policy language.
pub const VERSION: &str = "1";

/// A policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Document {
    pub version: String,
    pub statement: Vec<Statement>,
}

/// One statement: who may (or may not) do which actions on which resources, under which
/// conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Statement {
    pub effect: Effect,
    #[serde(with = "one_or_many")]
    pub action: Vec<String>,
    #[serde(with = "one_or_many")]
    pub resource: Vec<String>,
    /// Operator → condition key → accepted values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<Operator, BTreeMap<String, Values>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// The condition operators ecsimg generates and the simulator enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    Bool,
}

/// A condition's values: a string (or bool) or a list of them; any one may match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Values {
    One(Scalar),
    Many(Vec<Scalar>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Flag(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(t) => t.clone(),
            Scalar::Flag(b) => b.to_string(),
        }
    }
}

impl Values {
    fn texts(&self) -> Vec<String> {
        match self {
            Values::One(v) => vec![v.text()],
            Values::Many(vs) => vs.iter().map(Scalar::text).collect(),
        }
    }
}

/// A request as a policy sees it: the action, the resource it acts on, and the condition
/// keys it carries (`acs:RequestTag/env` → `["prod"]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    pub action: String,
    pub resource: String,
    pub context: BTreeMap<String, Vec<String>>,
}

/// The outcome of evaluating a request against policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allowed it.
    ImplicitDeny,
    /// A Deny statement matched.
    ExplicitDeny,
}

impl Document {
    /// A version-1 document of `statements`.
    pub fn new(statement: Vec<Statement>) -> Self {
        Document {
            version: VERSION.to_string(),
            statement,
        }
    }

    /// Parses a document and checks what serde cannot: the version and non-empty lists.
    pub fn parse(text: &str) -> Result<Document, PolicyError> {
        let document: Document =
            serde_json::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        if document.version != VERSION {
            return Err(PolicyError(format!(
                "Version must be \"{VERSION}\", not \"{}\"",
                document.version
            )));
        }
        for (n, statement) in document.statement.iter().enumerate() {
            if statement.action.is_empty() || statement.resource.is_empty() {
                return Err(PolicyError(format!(
                    "statement {} needs at least one Action and one Resource",
                    n + 1
                )));
            }
        }
        Ok(document)
    }
}

/// Evaluates `request` against every statement of `documents`: a matching Deny wins, then a
/// matching Allow, else an implicit deny.
pub fn evaluate<'a>(
    documents: impl IntoIterator<Item = &'a Document>,
    request: &Request,
) -> Decision {
    let mut allowed = false;
    for statement in documents.into_iter().flat_map(|d| &d.statement) {
        if statement.matches(request) {
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

impl Statement {
    fn matches(&self, request: &Request) -> bool {
        let action = request.action.to_ascii_lowercase();
        self.action
            .iter()
            .any(|pattern| wildcard(&pattern.to_ascii_lowercase(), &action))
            && self
                .resource
                .iter()
                .any(|pattern| wildcard(pattern, &request.resource))
            && self.condition.iter().all(|(operator, keys)| {
                keys.iter().all(|(key, values)| {
                    operator.holds(&values.texts(), request.context.get(key).map(Vec::as_slice))
                })
            })
    }
}

impl Operator {
    /// Whether the request's `actual` values for a key satisfy `expected`.
    fn holds(self, expected: &[String], actual: Option<&[String]>) -> bool {
        let any = |f: &dyn Fn(&str, &str) -> bool| {
            actual.is_some_and(|actual| {
                actual
                    .iter()
                    .any(|a| expected.iter().any(|e| f(e.as_str(), a.as_str())))
            })
        };
        match self {
            Operator::StringEquals => any(&|e, a| e == a),
            Operator::StringNotEquals => !any(&|e, a| e == a),
            Operator::StringEqualsIgnoreCase => any(&|e, a| e.eq_ignore_ascii_case(a)),
            Operator::StringNotEqualsIgnoreCase => !any(&|e, a| e.eq_ignore_ascii_case(a)),
            Operator::StringLike => any(&wildcard),
            Operator::StringNotLike => !any(&wildcard),
            Operator::Bool => any(&|e, a| e.eq_ignore_ascii_case(a)),
        }
    }
}

/// `*` matches any run of characters (none included), `?` exactly one.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Greedy matching with one backtrack point: linear in practice, never exponential.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// The ARN of an ECS resource: `acs:ecs:{region}:{account}:{kind}/{id}`; any part may be `*`.
pub fn ecs_arn(region: &str, account: &str, kind: &str, id: &str) -> String {
    format!("acs:ecs:{region}:{account}:{kind}/{id}")
}

/// A policy document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid policy document: {}", self.0)
    }
}

impl std::error::Error for PolicyError {}

/// `"x"` or `["x", "y"]` on the way in; one string when there is one on the way out.
mod one_or_many {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub fn serialize<S: Serializer>(values: &[String], s: S) -> Result<S::Ok, S::Error> {
        match values {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(action: &str, resource: &str) -> Request {
        Request {
            action: action.into(),
            resource: resource.into(),
            ..Request::default()
        }
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        for (pattern, text, expected) in [
            ("*", "", true),
            ("*", "anything", true),
            ("ecs:Describe*", "ecs:DescribeImages", true),
            ("ecs:Describe*", "ecs:CreateImage", false),
            (
                "acs:ecs:*:*:image/*",
                "acs:ecs:cn-hangzhou:123:image/m-1",
                true,
            ),
            (
                "acs:ecs:*:*:image/*",
                "acs:ecs:cn-hangzhou:123:instance/i-1",
                false,
            ),
            ("i-?", "i-1", true),
            ("i-?", "i-12", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("*a*a*a*a*b", &"a".repeat(200), false),
            ("镜像*", "镜像-1", true),
        ] {
            assert_eq!(wildcard(pattern, text), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn documents_round_trip_and_take_one_or_many() {
        let text = r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"ecs:CreateImage","Resource":["acs:ecs:*:*:image/*","acs:ecs:*:*:instance/i-1"]},
            {"Effect":"Deny","Action":["ecs:DeleteImage"],"Resource":"*",
             "Condition":{"StringEquals":{"acs:ResourceTag/env":["prod"]},"Bool":{"acs:SecureTransport":false}}}]}"#;
        let document = Document::parse(text).expect("parses");
        assert_eq!(document.statement[0].action, ["ecs:CreateImage"]);
        assert_eq!(document.statement[1].resource, ["*"]);
        let again = Document::parse(&serde_json::to_string(&document).expect("serializes"))
            .expect("reparses");
        assert_eq!(again, document);
        let json = serde_json::to_string(&document.statement[0]).expect("serializes");
        assert!(json.contains(r#""Action":"ecs:CreateImage""#), "{json}");
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        for (text, needle) in [
            (r#"{"Version":"2","Statement":[]}"#, "Version must be \"1\""),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
                "at least one Action",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
                "Maybe",
            ),
            (r#"{"Version":"1","Statement":[],"Extra":1}"#, "Extra"),
            ("not json", "invalid policy document"),
        ] {
            let e = Document::parse(text).expect_err(text).to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn deny_beats_allow_and_nothing_is_an_implicit_deny() {
        let allow = Document::new(vec![Statement {
            effect: Effect::Allow,
            action: vec!["ecs:*".into()],
            resource: vec!["*".into()],
            condition: BTreeMap::new(),
        }]);
        let deny = Document::new(vec![Statement {
            effect: Effect::Deny,
            action: vec!["ecs:DeleteImage".into()],
            resource: vec!["acs:ecs:*:*:image/*".into()],
            condition: BTreeMap::new(),
        }]);
        let delete = request("ecs:DeleteImage", "acs:ecs:cn-hangzhou:1:image/m-1");
        assert_eq!(evaluate([&allow], &delete), Decision::Allow);
        assert_eq!(evaluate([&allow, &deny], &delete), Decision::ExplicitDeny);
        assert_eq!(
            evaluate([&deny], &request("ecs:DescribeImages", "*")),
            Decision::ImplicitDeny
        );
        assert_eq!(evaluate([], &delete), Decision::ImplicitDeny);
        // Action names match whatever their case.
        let lower = request("ecs:deleteimage", "acs:ecs:cn-hangzhou:1:image/m-1");
        assert_eq!(evaluate([&allow, &deny], &lower), Decision::ExplicitDeny);
    }

    #[test]
    fn conditions_check_the_request_keys() {
        let text = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:CreateImage",
            "Resource":"*","Condition":{"StringEquals":{"acs:RequestTag/env":["prod","staging"]},
            "StringNotLike":{"acs:RequestTag/team":"temp-*"}}}]}"#;
        let document = Document::parse(text).expect("parses");
        let with = |pairs: &[(&str, &str)]| Request {
            action: "ecs:CreateImage".into(),
            resource: "acs:ecs:cn-hangzhou:1:image/*".into(),
            context: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect(),
        };
        assert_eq!(
            evaluate([&document], &with(&[("acs:RequestTag/env", "prod")])),
            Decision::Allow
        );
        assert_eq!(
            evaluate([&document], &with(&[("acs:RequestTag/env", "dev")])),
            Decision::ImplicitDeny
        );
        assert_eq!(evaluate([&document], &with(&[])), Decision::ImplicitDeny);
        assert_eq!(
            evaluate(
                [&document],
                &with(&[
                    ("acs:RequestTag/env", "prod"),
                    ("acs:RequestTag/team", "temp-1")
                ])
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn arns_have_the_documented_shape() {
        assert_eq!(
            ecs_arn("cn-hangzhou", "1234567890123456", "image", "*"),
            "acs:ecs:cn-hangzhou:1234567890123456:image/*"
        );
    }
}
