//! Typed access to an authenticated request's parameters (query and form body merged).

use super::error::SimError;
use std::collections::BTreeMap;

/// Parameters that belong to the protocol, not the operation: ignored by operations and left
/// out of the ClientToken fingerprint.
const COMMON: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Signature",
    "Timestamp",
    "TimeStamp",
    "SecurityToken",
];

/// Most IDs accepted by the JSON-array filters (`InstanceIds`, `DiskIds`, `SnapshotIds`).
const MAX_JSON_IDS: usize = 100;

/// A request's parameters by name. A name may appear once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

/// `Name.N.Field` groups of one prefix, ordered by N.
pub type Groups = BTreeMap<u32, BTreeMap<String, String>>;

impl Params {
    /// Merges query and form-body pairs. A name given twice with the same value counts once
    /// (the classic Python core repeats `RegionId` in the query when the caller put it in the
    /// body, and signs it once); with different values it is refused as ambiguous.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = &'a (String, String)>,
    ) -> Result<Self, SimError> {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            if let Some(previous) = map.insert(name.clone(), value.clone())
                && previous != *value
            {
                return Err(SimError::malformed_request(format!(
                    "The parameter \"{name}\" is given more than once with different values."
                )));
            }
        }
        Ok(Self(map))
    }

    /// Every parameter once, sorted by name: what a V1 signature covers.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(n, v)| (n.clone(), v.clone())).collect()
    }

    /// The raw value, empty strings included.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value when present and not empty (SDKs send unset optional strings as absent, some
    /// tools as empty; both mean "not given").
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, SimError> {
        self.get(name)
            .ok_or_else(|| SimError::missing_parameter(name))
    }

    /// A boolean, case-insensitive (`True` from Python SDKs, `true` from the rest).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, SimError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(SimError::invalid_parameter(name, "expected true or false")),
        }
    }

    pub fn dry_run(&self) -> Result<bool, SimError> {
        Ok(self.bool("DryRun")?.unwrap_or(false))
    }

    pub fn u32(&self, name: &str) -> Result<Option<u32>, SimError> {
        self.get(name)
            .map(|v| {
                v.trim().parse().map_err(|_| {
                    SimError::invalid_parameter(name, "expected a non-negative integer")
                })
            })
            .transpose()
    }

    /// A comma-separated list (`ImageId`, `Status` of DescribeImages); blanks dropped.
    pub fn comma_list(&self, name: &str) -> Option<Vec<&str>> {
        self.get(name).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
    }

    /// A JSON array of strings (`InstanceIds=["i-a","i-b"]`), at most 100 entries. An empty
    /// array is a real filter that matches nothing.
    pub fn json_ids(&self, name: &str) -> Result<Option<Vec<String>>, SimError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let ids: Vec<String> = serde_json::from_str(raw).map_err(|_| {
            SimError::invalid_parameter(
                name,
                "expected a JSON array of strings such as [\"id-1\",\"id-2\"]",
            )
        })?;
        if ids.len() > MAX_JSON_IDS {
            return Err(SimError::invalid_parameter(
                name,
                &format!("at most {MAX_JSON_IDS} IDs are allowed"),
            ));
        }
        Ok(Some(ids))
    }

    /// `Prefix.N.Field=value` groups. N must be a positive integer; gaps are allowed and the
    /// order is by N.
    pub fn groups(&self, prefix: &str) -> Result<Groups, SimError> {
        let mut groups = Groups::new();
        let dotted = format!("{prefix}.");
        for (name, value) in self.0.range(dotted.clone()..) {
            let Some(rest) = name.strip_prefix(&dotted) else {
                break;
            };
            let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
            let index = parse_index(name, index)?;
            if field.is_empty() {
                return Err(SimError::invalid_parameter(name, "expected Name.N.Field"));
            }
            groups
                .entry(index)
                .or_default()
                .insert(field.to_string(), value.clone());
        }
        Ok(groups)
    }

    /// `Prefix.N=value` repeated lists (`InstanceId.1`, `InstanceId.2`), ordered by N.
    pub fn indexed(&self, prefix: &str) -> Result<Vec<&str>, SimError> {
        let dotted = format!("{prefix}.");
        let mut items = BTreeMap::new();
        for (name, value) in self.0.range(dotted.clone()..) {
            let Some(index) = name.strip_prefix(&dotted) else {
                break;
            };
            items.insert(parse_index(name, index)?, value.as_str());
        }
        Ok(items.into_values().collect())
    }

    /// The operation's parameters without protocol ones, for ClientToken comparison.
    pub fn fingerprint(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(name, _)| !COMMON.contains(&name.as_str()))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect()
    }
}

fn parse_index(name: &str, index: &str) -> Result<u32, SimError> {
    match index.parse::<u32>() {
        Ok(n) if n >= 1 && index.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(SimError::invalid_parameter(
            name,
            "the list index must be a positive integer (1, 2, ...)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(items: &[(&str, &str)]) -> Params {
        let pairs: Vec<(String, String)> = items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::from_pairs(&pairs).unwrap()
    }

    #[test]
    fn booleans_are_case_insensitive() {
        let p = params(&[("A", "True"), ("B", "FALSE"), ("C", "yes")]);
        assert_eq!(p.bool("A").unwrap(), Some(true));
        assert_eq!(p.bool("B").unwrap(), Some(false));
        assert_eq!(p.bool("Z").unwrap(), None);
        assert_eq!(p.bool("C").unwrap_err().code, "InvalidParameter");
    }

    #[test]
    fn groups_are_ordered_by_index_with_gaps() {
        let p = params(&[
            ("DiskDeviceMapping.10.Size", "50"),
            ("DiskDeviceMapping.2.SnapshotId", "s-2"),
            ("DiskDeviceMapping.2.Size", "40"),
            ("DiskDeviceMappingX", "ignored"),
            ("Tag.1.Key", "k"),
        ]);
        let groups = p.groups("DiskDeviceMapping").unwrap();
        assert_eq!(groups.keys().copied().collect::<Vec<_>>(), vec![2, 10]);
        assert_eq!(groups[&2]["SnapshotId"], "s-2");
        assert!(params(&[("Tag.0.Key", "k")]).groups("Tag").is_err());
        assert!(params(&[("Tag.x.Key", "k")]).groups("Tag").is_err());
        assert!(params(&[("Tag.+1.Key", "k")]).groups("Tag").is_err());
    }

    #[test]
    fn indexed_lists_and_json_ids() {
        let p = params(&[
            ("InstanceId.2", "i-b"),
            ("InstanceId.1", "i-a"),
            ("InstanceIds", "[\"i-a\",\"i-b\"]"),
            ("Bad", "i-a"),
        ]);
        assert_eq!(p.indexed("InstanceId").unwrap(), vec!["i-a", "i-b"]);
        assert_eq!(p.json_ids("InstanceIds").unwrap().unwrap().len(), 2);
        assert!(p.json_ids("Bad").is_err());
        let too_many = serde_json::to_string(&vec!["i"; 101]).unwrap();
        assert!(params(&[("X", &too_many)]).json_ids("X").is_err());
    }

    #[test]
    fn conflicting_duplicates_are_refused_and_fingerprint_skips_protocol() {
        let pair = |v: &str| ("A".to_string(), v.to_string());
        assert!(Params::from_pairs(&[pair("1"), pair("2")]).is_err());
        assert_eq!(
            Params::from_pairs(&[pair("1"), pair("1")]).unwrap().pairs(),
            vec![pair("1")]
        );
        let p = params(&[
            ("Timestamp", "t"),
            ("ImageName", "x"),
            ("SignatureNonce", "n"),
        ]);
        assert_eq!(p.fingerprint(), vec![("ImageName".into(), "x".into())]);
    }
}
