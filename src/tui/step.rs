//! Which step the wizard is at: the steps' identity and order, and which step edits which
//! field. The steps' screens are in [`super::steps`].

use crate::spec::Field;

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Source,
    Disks,
    Details,
    Tags,
    Delivery,
    Review,
    Submit,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Source,
        Step::Disks,
        Step::Details,
        Step::Tags,
        Step::Delivery,
        Step::Review,
        Step::Submit,
    ];

    pub fn number(self) -> usize {
        self as usize + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Source => "Source",
            Step::Disks => "Disks",
            Step::Details => "Image details",
            Step::Tags => "Tags & features",
            Step::Delivery => "Delivery",
            Step::Review => "Review",
            Step::Submit => "Submit",
        }
    }

    /// A shorter title for narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            Step::Details => "Details",
            Step::Tags => "Tags",
            other => other.title(),
        }
    }

    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self as usize + 1).copied()
    }

    pub fn previous(self) -> Option<Step> {
        (self as usize).checked_sub(1).map(|i| Step::ALL[i])
    }

    /// The step where a field is edited, so a finding marks the right step.
    pub fn of_field(field: Field) -> Step {
        match field {
            Field::Region
            | Field::Source
            | Field::InstanceId
            | Field::SnapshotId
            | Field::Stop
            | Field::ForceStop
            | Field::Restart => Step::Source,
            Field::SourceDisks
            | Field::SourceDisk(_)
            | Field::SourceDiskType(_)
            | Field::SourceDiskSnapshot(_)
            | Field::SourceDiskSize(_)
            | Field::SourceDiskDevice(_) => Step::Disks,
            Field::ImageName
            | Field::ImageFamily
            | Field::ImageVersion
            | Field::Description
            | Field::Platform
            | Field::Architecture
            | Field::BootMode
            | Field::ResourceGroupId => Step::Details,
            Field::Tags
            | Field::Tag(_)
            | Field::TagKey(_)
            | Field::TagValue(_)
            | Field::ImdsSupport
            | Field::DetectionStrategy => Step::Tags,
            Field::Delivery
            | Field::DeliveryCopyTo(_)
            | Field::DeliveryShareWith(_)
            | Field::DeliveryTagSnapshots
            | Field::DeliveryRetire
            | Field::DeliveryRetireKeep
            | Field::DeliveryRetireAction
            | Field::DeliveryCopyName
            | Field::DeliveryCopyDescription
            | Field::DeliveryEncryptCopies
            | Field::DeliveryKmsKeyIds
            | Field::DeliveryKmsKeyId(_) => Step::Delivery,
            // Recipes only: the review is where a recipe's findings show.
            Field::ClientToken => Step::Review,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_ordered() {
        assert_eq!(Step::Source.next(), Some(Step::Disks));
        assert_eq!(Step::Tags.next(), Some(Step::Delivery));
        assert_eq!(Step::Delivery.next(), Some(Step::Review));
        assert_eq!(Step::Review.next(), Some(Step::Submit));
        assert_eq!(Step::Submit.next(), None);
        assert_eq!(Step::Source.previous(), None);
        assert_eq!(Step::Disks.previous(), Some(Step::Source));
        assert_eq!(Step::Review.number(), 6);
    }

    #[test]
    fn fields_map_to_the_step_that_edits_them() {
        assert_eq!(Step::of_field(Field::InstanceId), Step::Source);
        assert_eq!(Step::of_field(Field::SourceDiskSize(3)), Step::Disks);
        assert_eq!(Step::of_field(Field::BootMode), Step::Details);
        assert_eq!(Step::of_field(Field::TagKey(0)), Step::Tags);
        assert_eq!(Step::of_field(Field::ImdsSupport), Step::Tags);
        assert_eq!(Step::of_field(Field::DeliveryShareWith(1)), Step::Delivery);
        assert_eq!(Step::of_field(Field::DeliveryRetireAction), Step::Delivery);
        assert_eq!(Step::of_field(Field::ClientToken), Step::Review);
    }
}
