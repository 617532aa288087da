//! The image spec: one value holding everything a CreateImage request can say.
//!
//! The wizard edits it, recipes load and save it, and [`to_params`] turns it into the wire
//! parameters. Invalid *shapes* are unrepresentable (one source at most, closed value sets as
//! enums); invalid *values* (a name too long, a duplicate tag) are reported by [`validate`] as
//! field-level errors that the wizard and the recipe loader both show.

pub mod cli;
pub mod delivery;
pub mod facts;
#[cfg(test)]
mod fixtures;
pub mod params;
pub mod recipe;
pub mod rules;
pub mod stop;
pub mod usable;
pub mod validate;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use cli::{CliError, cli_line, to_cli};
pub use delivery::{CopyEncryption, DeliverySpec, RetireAction, RetirePlan};
pub use facts::{DiskKey, Facts, SnapshotFacts};
pub use params::to_params;
pub use recipe::{RecipeError, RecipeProblem, parse_recipe, to_recipe};
pub use stop::StopPlan;
pub use validate::{Finding, Severity, validate, validate_with};

/// The region a fresh spec starts in (the sandbox's default too).
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// What the user wants built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSpec {
    pub region: String,
    pub source: Source,
    pub image: ImageDetails,
    /// In the order the user gave them; sent as `Tag.1`, `Tag.2`, ...
    pub tags: Vec<Tag>,
    pub features: Features,
    pub client_token: Option<String>,
    /// Stop the source instance before CreateImage (and maybe start it again after); only
    /// with an instance source. Absent in journals written before it existed.
    #[serde(default)]
    pub stop: Option<StopPlan>,
    /// What happens once the image is Available (`[delivery]`). Absent in journals written
    /// before it existed.
    #[serde(default)]
    pub delivery: Option<DeliverySpec>,
}

impl ImageSpec {
    /// The tags as (key, value) pairs, in order.
    pub fn tags_as_pairs(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect()
    }
}

impl Default for ImageSpec {
    fn default() -> Self {
        Self {
            region: DEFAULT_REGION.to_owned(),
            source: Source::default(),
            image: ImageDetails::default(),
            tags: Vec::new(),
            features: Features::default(),
            client_token: None,
            stop: None,
            delivery: None,
        }
    }
}

/// Where the image comes from. CreateImage accepts three sources and, given several, silently
/// uses the highest-priority one; an enum makes "two sources" impossible to express.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `InstanceId`: snapshot every disk of a Running or Stopped instance.
    Instance { instance_id: String },
    /// `SnapshotId`: a system-disk snapshot alone.
    Snapshot { snapshot_id: String },
    /// `DiskDeviceMapping.N.*`: one system disk and up to 16 data disks.
    Disks(Vec<DiskSpec>),
}

impl Default for Source {
    /// No source chosen yet: validation asks for one.
    fn default() -> Self {
        Source::Instance {
            instance_id: String::new(),
        }
    }
}

impl Source {
    /// Why ecsimg insists on exactly one source, for users who named several.
    pub const PRIORITY_NOTE: &'static str = "CreateImage takes one source. When a request names \
        several, ECS uses only the highest-priority one (InstanceId, then DiskDeviceMapping, then \
        SnapshotId) and ignores the others without a word. ecsimg does not guess which you meant: \
        keep exactly one of instance_id, [[source.disks]] or snapshot_id.";

    /// Whether no source has been chosen (an empty id or an empty mapping).
    pub fn is_empty(&self) -> bool {
        match self {
            Source::Instance { instance_id } => instance_id.is_empty(),
            Source::Snapshot { snapshot_id } => snapshot_id.is_empty(),
            Source::Disks(disks) => disks.is_empty(),
        }
    }

    /// The device each mapped disk gets: its own when given, else `/dev/xvda` for the system
    /// disk and, for data disks, the lowest `/dev/xvdb`.. device no other entry claims, so an
    /// assigned device never collides with one the user typed. Empty for non-mapping sources.
    pub fn devices(&self) -> Vec<Option<String>> {
        let Source::Disks(disks) = self else {
            return Vec::new();
        };
        let mut taken: Vec<String> = disks.iter().filter_map(|d| d.device.clone()).collect();
        let mut next = 0;
        disks
            .iter()
            .map(|disk| match (&disk.device, disk.disk_type) {
                (Some(device), _) => Some(device.clone()),
                (None, DiskType::System) => Some(rules::SYSTEM_DEVICE.to_owned()),
                (None, DiskType::Data) => loop {
                    let candidate = rules::default_data_device(next)?;
                    next += 1;
                    if !taken.contains(&candidate) {
                        taken.push(candidate.clone());
                        break Some(candidate);
                    }
                },
            })
            .collect()
    }
}

/// One `DiskDeviceMapping` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpec {
    pub disk_type: DiskType,
    /// `None` makes an empty data disk.
    pub snapshot_id: Option<String>,
    /// GiB; `None` takes the snapshot's size (or 20 GiB for an empty disk).
    pub size: Option<u32>,
    /// `None` is assigned in order, see [`Source::devices`].
    pub device: Option<String>,
}

/// The image's own attributes. `None` leaves the API default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageDetails {
    pub name: Option<String>,
    pub family: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    /// One of [`rules::PLATFORMS`]; kept as text because the list is long and grows.
    pub platform: Option<String>,
    pub architecture: Option<Architecture>,
    pub boot_mode: Option<BootMode>,
    pub resource_group_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    pub imds_support: Option<ImdsSupport>,
    pub detection_strategy: Option<DetectionStrategy>,
}

/// A closed set of wire values as an enum: `as_str` gives the wire value, `FromStr` accepts
/// exactly those (case-sensitive, like the API) and explains the choices otherwise. A test
/// keeps each `ALL` equal to its list in [`rules`].
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, $list:expr, { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                rules::one_of($what, s, $list)?;
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!("{} {s:?} is not supported by ecsimg.", $what))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_enum!(
    /// `DiskDeviceMapping.N.DiskType`.
    DiskType, "Disk type", &["system", "data"], { System => "system", Data => "data" }
);
wire_enum!(
    /// `Architecture` of the system disk.
    Architecture, "Architecture", rules::ARCHITECTURES,
    { X86_64 => "x86_64", I386 => "i386", Arm64 => "arm64" }
);
wire_enum!(
    /// `BootMode`; one the image cannot boot with makes instances fail to start.
    BootMode, "Boot mode", rules::BOOT_MODES,
    { Bios => "BIOS", Uefi => "UEFI", UefiPreferred => "UEFI-Preferred" }
);
wire_enum!(
    /// `Features.ImdsSupport`: `v2` enforces token-based metadata access.
    ImdsSupport, "IMDS support", rules::IMDS_SUPPORT, { V1 => "v1", V2 => "v2" }
);
wire_enum!(
    /// `DetectionStrategy`: run the image check.
    DetectionStrategy, "Detection strategy", rules::DETECTION_STRATEGIES, { Standard => "Standard" }
);

/// A place in the spec an error can point at: the wizard jumps to it, recipe errors name its
/// key. Indexes are 0-based positions in `Source::Disks` / `ImageSpec::tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Region,
    /// The source as a whole (none chosen, or several in a recipe).
    Source,
    InstanceId,
    SnapshotId,
    /// The mapping as a whole (system-disk count, data-disk count).
    SourceDisks,
    SourceDisk(usize),
    SourceDiskType(usize),
    SourceDiskSnapshot(usize),
    SourceDiskSize(usize),
    SourceDiskDevice(usize),
    ImageName,
    ImageFamily,
    ImageVersion,
    Description,
    Platform,
    Architecture,
    BootMode,
    ResourceGroupId,
    /// The tag list as a whole (count).
    Tags,
    Tag(usize),
    TagKey(usize),
    TagValue(usize),
    ImdsSupport,
    DetectionStrategy,
    ClientToken,
    /// `source.stop`: the stop mode (the plan as a whole).
    Stop,
    ForceStop,
    Restart,
    /// `[delivery]` as a whole.
    Delivery,
    DeliveryCopyTo(usize),
    DeliveryShareWith(usize),
    DeliveryTagSnapshots,
    /// `[delivery.retire]` as a whole.
    DeliveryRetire,
    DeliveryRetireKeep,
    DeliveryRetireAction,
    DeliveryCopyName,
    DeliveryCopyDescription,
    DeliveryEncryptCopies,
    /// `[delivery.kms_key_ids]` as a whole.
    DeliveryKmsKeyIds,
    /// One entry of `[delivery.kms_key_ids]`, by position.
    DeliveryKmsKeyId(usize),
}

impl Field {
    /// The key in a recipe, e.g. `image.name`, `source.disks[2].size`, `tags.env`. Tags are
    /// named by their key, so the spec is needed to look it up.
    pub fn recipe_key(&self, spec: &ImageSpec) -> String {
        let disk = |i: usize, rest: &str| format!("source.disks[{i}]{rest}");
        let tag = |i: usize| match spec.tags.get(i) {
            Some(t) => format!("tags.{}", toml_key(&t.key)),
            None => format!("tags[{i}]"),
        };
        match self {
            Field::Region => "region".into(),
            Field::Source => "source".into(),
            Field::InstanceId => "source.instance_id".into(),
            Field::SnapshotId => "source.snapshot_id".into(),
            Field::SourceDisks => "source.disks".into(),
            Field::SourceDisk(i) => disk(*i, ""),
            Field::SourceDiskType(i) => disk(*i, ".disk_type"),
            Field::SourceDiskSnapshot(i) => disk(*i, ".snapshot_id"),
            Field::SourceDiskSize(i) => disk(*i, ".size"),
            Field::SourceDiskDevice(i) => disk(*i, ".device"),
            Field::ImageName => "image.name".into(),
            Field::ImageFamily => "image.family".into(),
            Field::ImageVersion => "image.version".into(),
            Field::Description => "image.description".into(),
            Field::Platform => "image.platform".into(),
            Field::Architecture => "image.architecture".into(),
            Field::BootMode => "image.boot_mode".into(),
            Field::ResourceGroupId => "image.resource_group_id".into(),
            Field::Tags => "tags".into(),
            Field::Tag(i) | Field::TagKey(i) | Field::TagValue(i) => tag(*i),
            Field::ImdsSupport => "features.imds_support".into(),
            Field::DetectionStrategy => "features.detection_strategy".into(),
            Field::ClientToken => "client_token".into(),
            Field::Stop => "source.stop".into(),
            Field::ForceStop => "source.force_stop".into(),
            Field::Restart => "source.restart".into(),
            Field::Delivery => "delivery".into(),
            Field::DeliveryCopyTo(i) => format!("delivery.copy_to[{i}]"),
            Field::DeliveryShareWith(i) => format!("delivery.share_with[{i}]"),
            Field::DeliveryTagSnapshots => "delivery.tag_snapshots".into(),
            Field::DeliveryRetire => "delivery.retire".into(),
            Field::DeliveryRetireKeep => "delivery.retire.keep".into(),
            Field::DeliveryRetireAction => "delivery.retire.action".into(),
            Field::DeliveryCopyName => "delivery.copy_name".into(),
            Field::DeliveryCopyDescription => "delivery.copy_description".into(),
            Field::DeliveryEncryptCopies => "delivery.encrypt_copies".into(),
            Field::DeliveryKmsKeyIds => "delivery.kms_key_ids".into(),
            Field::DeliveryKmsKeyId(i) => {
                match spec.delivery.as_ref().and_then(|d| d.kms_key_ids.get(*i)) {
                    Some((region, _)) => format!("delivery.kms_key_ids.{}", toml_key(region)),
                    None => format!("delivery.kms_key_ids[{i}]"),
                }
            }
        }
    }

    /// A short human label, e.g. "Disk 3 size" (1-based for people).
    pub fn label(&self) -> String {
        match self {
            Field::Region => "Region".into(),
            Field::Source => "Source".into(),
            Field::InstanceId => "Instance".into(),
            Field::SnapshotId => "System-disk snapshot".into(),
            Field::SourceDisks => "Disks".into(),
            Field::SourceDisk(i) => format!("Disk {}", i + 1),
            Field::SourceDiskType(i) => format!("Disk {} type", i + 1),
            Field::SourceDiskSnapshot(i) => format!("Disk {} snapshot", i + 1),
            Field::SourceDiskSize(i) => format!("Disk {} size", i + 1),
            Field::SourceDiskDevice(i) => format!("Disk {} device", i + 1),
            Field::ImageName => "Image name".into(),
            Field::ImageFamily => "Image family".into(),
            Field::ImageVersion => "Image version".into(),
            Field::Description => "Description".into(),
            Field::Platform => "Platform".into(),
            Field::Architecture => "Architecture".into(),
            Field::BootMode => "Boot mode".into(),
            Field::ResourceGroupId => "Resource group".into(),
            Field::Tags => "Tags".into(),
            Field::Tag(i) => format!("Tag {}", i + 1),
            Field::TagKey(i) => format!("Tag {} key", i + 1),
            Field::TagValue(i) => format!("Tag {} value", i + 1),
            Field::ImdsSupport => "IMDS support".into(),
            Field::DetectionStrategy => "Image check".into(),
            Field::ClientToken => "Client token".into(),
            Field::Stop => "Stop first".into(),
            Field::ForceStop => "Force stop".into(),
            Field::Restart => "Restart".into(),
            Field::Delivery => "Delivery".into(),
            Field::DeliveryCopyTo(i) => format!("Copy region {}", i + 1),
            Field::DeliveryShareWith(i) => format!("Shared account {}", i + 1),
            Field::DeliveryTagSnapshots => "Tag snapshots".into(),
            Field::DeliveryRetire => "Retire".into(),
            Field::DeliveryRetireKeep => "Images kept".into(),
            Field::DeliveryRetireAction => "Retire action".into(),
            Field::DeliveryCopyName => "Copy name".into(),
            Field::DeliveryCopyDescription => "Copy description".into(),
            Field::DeliveryEncryptCopies => "Encrypt copies".into(),
            Field::DeliveryKmsKeyIds => "KMS keys".into(),
            Field::DeliveryKmsKeyId(i) => format!("KMS key {}", i + 1),
        }
    }
}

/// A TOML key as written in a document: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(disk_type: DiskType, device: Option<&str>) -> DiskSpec {
        DiskSpec {
            disk_type,
            snapshot_id: Some("s-1".into()),
            size: None,
            device: device.map(str::to_owned),
        }
    }

    fn wire<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|v| as_str(*v)).collect()
    }

    #[test]
    fn enums_match_the_rule_lists() {
        assert_eq!(
            wire(Architecture::ALL, Architecture::as_str),
            rules::ARCHITECTURES
        );
        assert_eq!(wire(BootMode::ALL, BootMode::as_str), rules::BOOT_MODES);
        assert_eq!(
            wire(ImdsSupport::ALL, ImdsSupport::as_str),
            rules::IMDS_SUPPORT
        );
        assert_eq!(
            wire(DetectionStrategy::ALL, DetectionStrategy::as_str),
            rules::DETECTION_STRATEGIES
        );
    }

    #[test]
    fn enums_parse_exactly_and_explain_choices() {
        assert_eq!("UEFI-Preferred".parse(), Ok(BootMode::UefiPreferred));
        assert_eq!("data".parse(), Ok(DiskType::Data));
        let err = "uefi".parse::<BootMode>().unwrap_err();
        assert!(err.contains("BIOS, UEFI, UEFI-Preferred"), "{err}");
        assert!("X86_64".parse::<Architecture>().is_err());
    }

    #[test]
    fn default_is_an_empty_spec_in_hangzhou() {
        let spec = ImageSpec::default();
        assert_eq!(spec.region, "cn-hangzhou");
        assert!(spec.source.is_empty());
        assert!(spec.tags.is_empty());
        assert_eq!(spec.image, ImageDetails::default());
    }

    #[test]
    fn devices_are_assigned_in_order_around_explicit_ones() {
        let source = Source::Disks(vec![
            disk(DiskType::System, None),
            disk(DiskType::Data, None),
            disk(DiskType::Data, Some("/dev/xvdc")),
            disk(DiskType::Data, None),
            disk(DiskType::Data, Some("/dev/xvdb")),
        ]);
        let devices: Vec<_> = source.devices().into_iter().flatten().collect();
        // The first unnamed data disk skips xvdb and xvdc, which later entries claim.
        assert_eq!(
            devices,
            [
                "/dev/xvda",
                "/dev/xvdd",
                "/dev/xvdc",
                "/dev/xvde",
                "/dev/xvdb"
            ]
        );
        assert!(
            Source::Instance {
                instance_id: "i-1".into()
            }
            .devices()
            .is_empty()
        );
    }

    #[test]
    fn recipe_keys_and_labels() {
        let spec = ImageSpec {
            tags: vec![
                Tag {
                    key: "env".into(),
                    value: "prod".into(),
                },
                Tag {
                    key: "cost center".into(),
                    value: String::new(),
                },
            ],
            ..ImageSpec::default()
        };
        assert_eq!(Field::ImageName.recipe_key(&spec), "image.name");
        assert_eq!(
            Field::SourceDiskSize(2).recipe_key(&spec),
            "source.disks[2].size"
        );
        assert_eq!(Field::TagValue(0).recipe_key(&spec), "tags.env");
        assert_eq!(Field::TagKey(1).recipe_key(&spec), "tags.\"cost center\"");
        assert_eq!(Field::Tag(5).recipe_key(&spec), "tags[5]");
        assert_eq!(Field::SourceDiskSize(2).label(), "Disk 3 size");
        assert_eq!(Field::TagKey(0).label(), "Tag 1 key");
    }

    #[test]
    fn spec_round_trips_through_json() {
        let mut spec = ImageSpec {
            source: Source::Disks(vec![disk(DiskType::System, None)]),
            ..ImageSpec::default()
        };
        spec.image.boot_mode = Some(BootMode::UefiPreferred);
        spec.features.imds_support = Some(ImdsSupport::V2);
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains("\"UEFI-Preferred\""), "{json}");
        assert_eq!(serde_json::from_str::<ImageSpec>(&json).unwrap(), spec);
    }
}
