//! Listing filters: what a Describe call asks for, flattened to wire parameters.

use crate::api::error::ApiError;

/// The most IDs one filter parameter takes (`InstanceIds`, `DiskIds`, `SnapshotIds`, `ImageId`).
pub const MAX_IDS: usize = 100;

/// The image statuses a watcher asks for: DescribeImages returns only `Available` ones unless
/// told otherwise, which would hide an image that is still being created or has failed.
pub const WATCH_STATUSES: [&str; 5] = [
    "Creating",
    "Waiting",
    "Available",
    "UnAvailable",
    "CreateFailed",
];

type Params = Vec<(String, String)>;

fn push(params: &mut Params, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        params.push((name.to_string(), v.clone()));
    }
}

fn check_ids(name: &str, ids: &[String]) -> Result<(), ApiError> {
    if ids.len() > MAX_IDS {
        return Err(ApiError::InvalidRequest {
            detail: format!(
                "{name} holds {} IDs but one request takes at most {MAX_IDS}; split the list",
                ids.len()
            ),
        });
    }
    Ok(())
}

/// `InstanceIds`-style filters: one parameter holding a JSON array (`["i-a","i-b"]`).
/// `Some(vec![])` is a real filter that matches nothing.
fn push_json_ids(
    params: &mut Params,
    name: &str,
    ids: &Option<Vec<String>>,
) -> Result<(), ApiError> {
    if let Some(ids) = ids {
        check_ids(name, ids)?;
        params.push((
            name.to_string(),
            serde_json::Value::from(ids.clone()).to_string(),
        ));
    }
    Ok(())
}

/// DescribeInstances filters (combined with AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceQuery {
    pub instance_ids: Option<Vec<String>>,
    /// `Pending`, `Running`, `Starting`, `Stopping`, `Stopped`.
    pub status: Option<String>,
    /// `*` is a wildcard.
    pub instance_name: Option<String>,
}

impl InstanceQuery {
    /// One instance by its ID (status polls).
    pub fn one(instance_id: &str) -> InstanceQuery {
        InstanceQuery {
            instance_ids: Some(vec![instance_id.to_string()]),
            ..InstanceQuery::default()
        }
    }

    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        push_json_ids(&mut p, "InstanceIds", &self.instance_ids)?;
        push(&mut p, "Status", &self.status);
        push(&mut p, "InstanceName", &self.instance_name);
        Ok(p)
    }
}

/// DescribeDisks filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskQuery {
    pub instance_id: Option<String>,
    pub disk_ids: Option<Vec<String>>,
    /// `system` or `data` (`all` or unset: both).
    pub disk_type: Option<String>,
}

impl DiskQuery {
    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        push(&mut p, "InstanceId", &self.instance_id);
        push_json_ids(&mut p, "DiskIds", &self.disk_ids)?;
        push(&mut p, "DiskType", &self.disk_type);
        Ok(p)
    }
}

/// DescribeSnapshots filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotQuery {
    pub snapshot_ids: Option<Vec<String>>,
    /// `progressing`, `accomplished`, `failed`, `all`.
    pub status: Option<String>,
    /// `system` or `data`.
    pub source_disk_type: Option<String>,
    pub instance_id: Option<String>,
    pub snapshot_name: Option<String>,
}

impl SnapshotQuery {
    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        push_json_ids(&mut p, "SnapshotIds", &self.snapshot_ids)?;
        push(&mut p, "Status", &self.status);
        push(&mut p, "SourceDiskType", &self.source_disk_type);
        push(&mut p, "InstanceId", &self.instance_id);
        push(&mut p, "SnapshotName", &self.snapshot_name);
        Ok(p)
    }
}

/// DescribeImages filters. Empty lists send nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageQuery {
    /// Sent as one comma-separated `ImageId`.
    pub image_ids: Vec<String>,
    /// Sent as one comma-separated `Status`; empty means the server default (`Available`).
    pub statuses: Vec<String>,
    /// Fuzzy match.
    pub image_name: Option<String>,
    /// `system`, `self`, `others`, `marketplace`.
    pub image_owner_alias: Option<String>,
    /// Exact family.
    pub image_family: Option<String>,
}

impl ImageQuery {
    /// The query a watcher polls with: these images in every in-flight or final status.
    pub fn watching(image_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ImageQuery {
            image_ids: image_ids.into_iter().map(Into::into).collect(),
            statuses: WATCH_STATUSES.iter().map(|s| s.to_string()).collect(),
            ..ImageQuery::default()
        }
    }

    pub(crate) fn to_params(&self) -> Result<Params, ApiError> {
        let mut p = Params::new();
        if !self.image_ids.is_empty() {
            check_ids("ImageId", &self.image_ids)?;
            p.push(("ImageId".into(), self.image_ids.join(",")));
        }
        if !self.statuses.is_empty() {
            p.push(("Status".into(), self.statuses.join(",")));
        }
        push(&mut p, "ImageName", &self.image_name);
        push(&mut p, "ImageOwnerAlias", &self.image_owner_alias);
        push(&mut p, "ImageFamily", &self.image_family);
        Ok(p)
    }
}
