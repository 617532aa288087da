//! The form's rows and the values its choices offer, each with a line of explanation.

use crate::spec::{Architecture, BootMode, Field, rules};
use crate::tui::widgets::choice::ChoiceOption;

/// The form's rows, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Name,
    Family,
    Version,
    Description,
    Platform,
    Architecture,
    BootMode,
    ResourceGroup,
}

pub(super) const SLOTS: [Slot; 8] = [
    Slot::Name,
    Slot::Family,
    Slot::Version,
    Slot::Description,
    Slot::Platform,
    Slot::Architecture,
    Slot::BootMode,
    Slot::ResourceGroup,
];

impl Slot {
    pub(super) fn field(self) -> Field {
        match self {
            Slot::Name => Field::ImageName,
            Slot::Family => Field::ImageFamily,
            Slot::Version => Field::ImageVersion,
            Slot::Description => Field::Description,
            Slot::Platform => Field::Platform,
            Slot::Architecture => Field::Architecture,
            Slot::BootMode => Field::BootMode,
            Slot::ResourceGroup => Field::ResourceGroupId,
        }
    }

    /// What the focused field takes, shown under the form.
    pub(super) fn hint(self) -> &'static str {
        match self {
            Slot::Name => {
                "2–128 characters: letters (Chinese too), digits and . : _ -, starting with a \
                 letter; not aliyun… or acs:…. {date} becomes today's date (YYYYMMDD). Checked \
                 against your images in the region."
            }
            Slot::Family => {
                "Groups versions of an image; instances can launch from a family's newest image. \
                 Choose one your images use in the region, or type a new one (same characters \
                 as the name)."
            }
            Slot::Version => "Free text up to 40 characters, e.g. 2026.11.27.",
            Slot::Description => "2–256 characters; must not start with http:// or https://.",
            Slot::Platform => {
                "The OS distribution. Set it when a data-disk snapshot becomes the system disk: \
                 ECS cannot tell then."
            }
            Slot::Architecture => {
                "The system disk's architecture. Set it when a data-disk snapshot becomes the \
                 system disk."
            }
            Slot::BootMode => {
                "Instances fail to start if the image cannot boot this way: set it only when you \
                 know what the image supports."
            }
            Slot::ResourceGroup => {
                "Choose one of the account's resource groups, or type its ID (rg-…); empty puts \
                 the image in the default group."
            }
        }
    }
}

fn platform_help(platform: &str) -> &'static str {
    match platform {
        p if p.starts_with("Windows") => "Windows",
        "Customized Linux" => "a Linux of your own, not in this list",
        "Others Linux" => "another Linux; what ECS records when it cannot tell",
        "FreeBSD" => "FreeBSD",
        _ => "Linux distribution",
    }
}

pub(super) fn platform_options() -> Vec<ChoiceOption<&'static str>> {
    let unset = ChoiceOption::new(
        None,
        "unset",
        "not sent: ECS detects it (Others Linux for a data-disk snapshot)",
    );
    std::iter::once(unset)
        .chain(
            rules::PLATFORMS
                .iter()
                .map(|p| ChoiceOption::new(Some(*p), *p, platform_help(p))),
        )
        .collect()
}

pub(super) fn architecture_options() -> Vec<ChoiceOption<Architecture>> {
    let help = |a: Architecture| match a {
        Architecture::X86_64 => "64-bit x86 (Intel, AMD)",
        Architecture::I386 => "32-bit x86",
        Architecture::Arm64 => "64-bit ARM",
    };
    std::iter::once(ChoiceOption::new(
        None,
        "unset",
        "not sent: the source's (x86_64 for a data-disk snapshot)",
    ))
    .chain(
        Architecture::ALL
            .iter()
            .map(|a| ChoiceOption::new(Some(*a), a.as_str(), help(*a))),
    )
    .collect()
}

pub(super) fn boot_mode_options() -> Vec<ChoiceOption<BootMode>> {
    let help = |m: BootMode| match m {
        BootMode::Bios => "legacy BIOS boot",
        BootMode::Uefi => "UEFI boot only",
        BootMode::UefiPreferred => "UEFI where the instance type has it, else BIOS",
    };
    std::iter::once(ChoiceOption::new(
        None,
        "unset",
        "not sent: ECS keeps the boot mode it detects",
    ))
    .chain(
        BootMode::ALL
            .iter()
            .map(|m| ChoiceOption::new(Some(*m), m.as_str(), help(*m))),
    )
    .collect()
}
