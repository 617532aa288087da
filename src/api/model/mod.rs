//! The API's data model in the JSON shapes the services really send
//! (`"Images":{"Image":[…]}` and so on): the [`resources`] they list, the [`responses`] that
//! carry them, and the [`queries`] that ask for them.
//!
//! Parsing is lenient on purpose ([`crate::api::lenient`]): every field defaults when absent,
//! numbers and booleans accept their string spellings, and fields the wire declares as strings
//! stay strings with typed accessors. `Serialize` writes the same shapes back, so the simulator
//! can answer with these types.

pub mod queries;
pub mod resources;
pub mod responses;

pub use queries::{DiskQuery, ImageQuery, InstanceQuery, MAX_IDS, SnapshotQuery, WATCH_STATUSES};
pub use resources::{
    DetectionItem, DetectionItems, DetectionOptions, Disk, DiskDeviceMapping, DiskDeviceMappings,
    DiskLocks, Disks, Image, ImageFeatures, Images, Instance, InstanceLocks, InstanceResponse,
    InstanceResponses, Instances, IpAddresses, OperationLock, Region, Regions, ResourceGroup,
    ResourceGroupList, SecurityGroupIds, Snapshot, Snapshots, Tag, Tags, VpcAttributes,
};
pub use responses::{
    CallerIdentity, CreateImageResponse, DescribeDisksResponse, DescribeImagesResponse,
    DescribeInstancesResponse, DescribeRegionsResponse, DescribeSnapshotsResponse,
    ListResourceGroupsResponse, RequestIdOnly, StopInstancesResponse,
};

#[cfg(test)]
mod tests;
