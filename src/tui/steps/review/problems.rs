//! What to fix or consider: the review's warnings on top of the validators' findings, the
//! summary's selectable problems, and the field an error code points at.

use super::{DryRun, ReviewStep};
use crate::api::ApiError;
use crate::api::model::{Disk, Image, Instance};
use crate::spec::{BootMode, Facts, Field, Finding, ImageSpec, Severity, Source};
use crate::tui::step::Step;

/// Something to fix (an error) or to consider (a warning), about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub severity: Severity,
    pub text: String,
}

impl Problem {
    fn warning(field: Field, text: impl Into<String>) -> Problem {
        Problem {
            field,
            severity: Severity::Warning,
            text: text.into(),
        }
    }

    fn of(finding: &Finding) -> Problem {
        Problem {
            field: finding.field,
            severity: finding.severity,
            text: finding.message.clone(),
        }
    }
}

/// The warnings the review adds to the validators' findings.
pub fn warnings(
    spec: &ImageSpec,
    context: &Facts,
    instance: Option<&Instance>,
    disks: &[Disk],
    source_image: Option<&Image>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(instance) = instance.filter(|i| i.status == "Running") {
        out.push(Problem::warning(
            Field::InstanceId,
            format!(
                "{} is Running: data cached in memory may not be on disk yet, so the image can \
                 differ from what the instance holds. Stop it first (step 1 offers \
                 StopInstances), or accept the risk.",
                instance.instance_id
            ),
        ));
    }
    for disk in disks.iter().filter(|d| d.encrypted) {
        out.push(Problem::warning(
            Field::InstanceId,
            format!(
                "Disk {} ({}) is encrypted: its snapshot in the image is encrypted too, and \
                 sharing or copying the image needs access to its KMS key.",
                disk.disk_id,
                if disk.device.is_empty() {
                    &disk.disk_type
                } else {
                    &disk.device
                }
            ),
        ));
    }
    let snapshots: Vec<(Field, &str)> = match &spec.source {
        Source::Snapshot { snapshot_id } => vec![(Field::SnapshotId, snapshot_id.as_str())],
        Source::Disks(disks) => disks
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((Field::SourceDiskSnapshot(i), d.snapshot_id.as_deref()?)))
            .collect(),
        Source::Instance { .. } => Vec::new(),
    };
    for (field, id) in &snapshots {
        if context.snapshots.get(*id).is_some_and(|f| f.encrypted) {
            out.push(Problem::warning(
                *field,
                format!(
                    "Snapshot {id} is encrypted: the image's disk is encrypted with the same KMS \
                     key, and sharing or copying the image needs access to that key."
                ),
            ));
        }
    }
    if let Some(mode) = spec.image.boot_mode {
        out.extend(
            boot_mode_warning(spec, mode, source_image)
                .map(|t| Problem::warning(Field::BootMode, t)),
        );
    }
    if spec.features.detection_strategy.is_none() {
        out.push(Problem::warning(
            Field::DetectionStrategy,
            "Not requested. With Standard, ECS checks the finished image for problems that stop \
             instances from starting (drivers, cloud-init, NVMe), as the CreateImage reference \
             recommends.",
        ));
    }
    out
}

/// Why `mode` may not boot: the architecture rules ECS enforces, and the source image's own
/// boot mode when the source is an instance; for snapshots ECS cannot tell, so say so.
fn boot_mode_warning(
    spec: &ImageSpec,
    mode: BootMode,
    source_image: Option<&Image>,
) -> Option<String> {
    let architecture = spec
        .image
        .architecture
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            source_image
                .map(|i| i.architecture.clone())
                .filter(|a| !a.is_empty())
        });
    match (architecture.as_deref(), mode) {
        (Some("arm64"), BootMode::Bios) => {
            return Some(
                "arm64 images boot only with UEFI: ECS refuses BIOS for them \
                 (InvalidBootMode.NotSupport). Choose UEFI or leave the boot mode unset."
                    .into(),
            );
        }
        (Some("i386"), BootMode::Uefi | BootMode::UefiPreferred) => {
            return Some(
                "32-bit (i386) systems boot with BIOS; UEFI is not available to them. Choose \
                 BIOS or leave the boot mode unset."
                    .into(),
            );
        }
        _ => {}
    }
    match (&spec.source, source_image.map(|i| i.boot_mode.as_str())) {
        (Source::Instance { .. }, Some(source)) if !source.is_empty() => {
            let fits = source == mode.as_str()
                || source == BootMode::UefiPreferred.as_str()
                || mode == BootMode::UefiPreferred;
            (!fits).then(|| {
                format!(
                    "The instance's image boots with {source}; with {mode} instances created \
                     from the new image fail to start unless its OS can boot that way too."
                )
            })
        }
        _ => Some(format!(
            "ECS cannot check which boot modes the system on the source supports: if it cannot \
             boot with {mode}, instances created from the image fail to start. Leave it unset \
             unless you know."
        )),
    }
}

/// The field an ECS error is about: the one its code names (`field` in `assets/errors.toml`).
/// With a disk mapping, an error about the source is about the mapping's disks (edited in
/// step 2), and about the disk whose snapshot the message names when it names one.
pub(crate) fn field_of_error(error: &ApiError, spec: &ImageSpec) -> Option<Field> {
    let key = error.explanation()?.field.as_deref()?;
    let field = field_of_key(key, spec)?;
    let Source::Disks(disks) = &spec.source else {
        return Some(field);
    };
    if !matches!(field, Field::Source | Field::SourceDisks) {
        return Some(field);
    }
    let message = match error {
        ApiError::Service(e) => e.message.as_str(),
        _ => "",
    };
    let named = disks.iter().position(|d| {
        d.snapshot_id
            .as_deref()
            .is_some_and(|id| !id.is_empty() && message.contains(id))
    });
    Some(named.map_or(Field::SourceDisks, Field::SourceDiskSnapshot))
}

/// The Field a recipe key names (`field` in `assets/errors.toml`), for whole fields only.
fn field_of_key(key: &str, spec: &ImageSpec) -> Option<Field> {
    const FIELDS: [Field; 15] = [
        Field::Region,
        Field::Source,
        Field::SourceDisks,
        Field::ImageName,
        Field::ImageFamily,
        Field::ImageVersion,
        Field::Description,
        Field::Platform,
        Field::Architecture,
        Field::BootMode,
        Field::ResourceGroupId,
        Field::Tags,
        Field::ImdsSupport,
        Field::DetectionStrategy,
        Field::ClientToken,
    ];
    FIELDS.into_iter().find(|f| f.recipe_key(spec) == key)
}

impl ReviewStep {
    /// The selectable entries of the summary, in screen order: the DryRun's field (when it
    /// failed on one), then each step's problems, errors first.
    pub(super) fn items(
        &self,
        spec: &ImageSpec,
        findings: &[Finding],
        context: &Facts,
    ) -> Vec<Problem> {
        let mut items = Vec::new();
        if let DryRun::Failed {
            field: Some(field),
            report,
            ..
        } = &self.dry_run
        {
            items.push(Problem {
                field: *field,
                severity: Severity::Error,
                text: report.message.clone(),
            });
        }
        let problems = self.problems(spec, findings, context);
        for step in Step::ALL {
            items.extend(
                problems
                    .iter()
                    .filter(|p| Step::of_field(p.field) == step)
                    .cloned(),
            );
        }
        items
    }

    /// Findings and warnings, errors first.
    pub(super) fn problems(
        &self,
        spec: &ImageSpec,
        findings: &[Finding],
        context: &Facts,
    ) -> Vec<Problem> {
        let mut problems: Vec<Problem> = findings.iter().map(Problem::of).collect();
        problems.extend(warnings(
            spec,
            context,
            self.facts.instance.as_ref(),
            &self.facts.disks,
            self.facts.image.as_ref(),
        ));
        problems.sort_by_key(|p| p.severity != Severity::Error);
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Architecture, DetectionStrategy, DiskSpec, DiskType, SnapshotFacts};
    use crate::tui::steps::review::tests::source_image;
    use crate::tui::testing::{instance, now};

    #[test]
    fn warnings_cover_running_encryption_boot_mode_and_the_image_check() {
        let mut spec = ImageSpec {
            source: Source::Instance {
                instance_id: "i-1".into(),
            },
            ..ImageSpec::default()
        };
        let running = instance("i-1", "web", "Running");
        let fields = |w: Vec<Problem>| w.into_iter().map(|p| p.field).collect::<Vec<_>>();
        let context = Facts::default();
        assert_eq!(
            fields(warnings(&spec, &context, Some(&running), &[], None)),
            [Field::InstanceId, Field::DetectionStrategy]
        );
        spec.features.detection_strategy = Some(DetectionStrategy::Standard);
        let stopped = instance("i-1", "web", "Stopped");
        assert!(warnings(&spec, &context, Some(&stopped), &[], None).is_empty());

        // Boot mode against the source image and the architecture.
        spec.image.boot_mode = Some(BootMode::Uefi);
        let bios = source_image("BIOS", "x86_64");
        let w = warnings(&spec, &context, Some(&stopped), &[], Some(&bios));
        assert_eq!(fields(w.clone()), [Field::BootMode]);
        assert!(w[0].text.contains("boots with BIOS"), "{w:?}");
        let either = source_image("UEFI-Preferred", "x86_64");
        assert!(warnings(&spec, &context, Some(&stopped), &[], Some(&either)).is_empty());
        spec.image.boot_mode = Some(BootMode::Bios);
        let arm = source_image("UEFI", "arm64");
        let w = warnings(&spec, &context, Some(&stopped), &[], Some(&arm));
        assert!(w[0].text.contains("InvalidBootMode.NotSupport"), "{w:?}");
        spec.image.boot_mode = Some(BootMode::Uefi);
        spec.image.architecture = Some(Architecture::I386);
        let w = warnings(&spec, &context, None, &[], None);
        assert!(w[0].text.contains("i386"), "{w:?}");

        // Snapshots: ECS cannot tell the boot mode; encrypted ones are named.
        spec.image.architecture = None;
        spec.source = Source::Disks(vec![
            DiskSpec {
                disk_type: DiskType::System,
                snapshot_id: Some("s-sys".into()),
                size: None,
                device: None,
            },
            DiskSpec {
                disk_type: DiskType::Data,
                snapshot_id: Some("s-enc".into()),
                size: None,
                device: None,
            },
        ]);
        let mut context = Facts::default();
        let facts = |encrypted| SnapshotFacts {
            size_gib: Some(40),
            status: "accomplished".into(),
            progress: Some(100),
            creation_time: Some(now()),
            source_disk_type: DiskType::Data,
            encrypted,
            kms_key_id: String::new(),
            category: "standard".into(),
        };
        context.snapshots.insert("s-sys".into(), facts(false));
        context.snapshots.insert("s-enc".into(), facts(true));
        let w = warnings(&spec, &context, None, &[], None);
        assert_eq!(
            fields(w.clone()),
            [Field::SourceDiskSnapshot(1), Field::BootMode]
        );
        assert!(w[0].text.contains("s-enc is encrypted"), "{w:?}");
        assert!(w[1].text.contains("cannot check which boot modes"), "{w:?}");
    }
}
