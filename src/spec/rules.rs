//! The single-value rules of CreateImage, shared by the spec validators (what the user is told
//! while editing) and the simulator (what the server rejects). A rule lives here once.
//!
//! Each check returns `Err(message)` with plain words: what is wrong and how to fix it. Lengths
//! count characters, not bytes, so a Chinese name of 2 characters is long enough.

use chrono::{DateTime, TimeZone, Utc};

/// The device of the image's system disk.
pub const SYSTEM_DEVICE: &str = "/dev/xvda";
/// Data disks an image may carry.
pub const MAX_DATA_DISKS: usize = 16;
/// Tags one request may add.
pub const MAX_TAGS: usize = 20;
/// Size of an empty data disk when none is given, GiB.
pub const DEFAULT_EMPTY_DISK_SIZE: u32 = 20;
/// Size range of a cloud disk in an image, GiB.
pub const MIN_DISK_SIZE: u32 = 20;
pub const MAX_DISK_SIZE: u32 = 32768;

/// `Platform` values CreateImage accepts.
pub const PLATFORMS: &[&str] = &[
    "Aliyun",
    "Anolis",
    "CentOS",
    "Ubuntu",
    "CoreOS",
    "SUSE",
    "Debian",
    "OpenSUSE",
    "FreeBSD",
    "RedHat",
    "Kylin",
    "UOS",
    "Fedora",
    "Fedora CoreOS",
    "CentOS Stream",
    "AlmaLinux",
    "Rocky Linux",
    "Gentoo",
    "Customized Linux",
    "Others Linux",
    "Windows Server 2022",
    "Windows Server 2019",
    "Windows Server 2016",
    "Windows Server 2012",
    "Windows Server 2008",
    "Windows Server 2003",
];
pub const DEFAULT_PLATFORM: &str = "Others Linux";
pub const ARCHITECTURES: &[&str] = &["x86_64", "i386", "arm64"];
pub const DEFAULT_ARCHITECTURE: &str = "x86_64";
pub const BOOT_MODES: &[&str] = &["BIOS", "UEFI", "UEFI-Preferred"];
pub const IMDS_SUPPORT: &[&str] = &["v1", "v2"];
pub const DETECTION_STRATEGIES: &[&str] = &["Standard"];

/// Snapshots created on or before this day cannot become images.
const SNAPSHOT_CUTOFF: (i32, u32, u32) = (2013, 7, 15);

type Rule = Result<(), String>;

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn length(what: &str, s: &str, min: usize, max: usize) -> Rule {
    let n = char_len(s);
    if n < min || n > max {
        return Err(format!(
            "{what} must be {min} to {max} characters long (it has {n})."
        ));
    }
    Ok(())
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn no_url_prefix(what: &str, s: &str) -> Rule {
    for scheme in ["http://", "https://"] {
        if starts_with_ignore_case(s, scheme) {
            return Err(format!("{what} must not start with {scheme}."));
        }
    }
    Ok(())
}

fn no_url_anywhere(what: &str, s: &str) -> Rule {
    let lower = s.to_ascii_lowercase();
    for scheme in ["http://", "https://"] {
        if lower.contains(scheme) {
            return Err(format!("{what} must not contain {scheme}."));
        }
    }
    Ok(())
}

fn no_reserved_prefix(what: &str, s: &str, prefixes: &[&str]) -> Rule {
    for prefix in prefixes {
        if starts_with_ignore_case(s, prefix) {
            return Err(format!(
                "{what} must not start with \"{prefix}\": that prefix is reserved by Alibaba Cloud."
            ));
        }
    }
    Ok(())
}

/// A letter of any script, Chinese characters included (`char::is_alphabetic`).
fn starts_with_letter(what: &str, s: &str) -> Rule {
    match s.chars().next() {
        Some(c) if c.is_alphabetic() => Ok(()),
        Some(c) => Err(format!(
            "{what} must start with a letter or a Chinese character, not {c:?}."
        )),
        None => Err(format!("{what} is empty.")),
    }
}

fn only_chars(what: &str, s: &str, extra: &str) -> Rule {
    match s
        .chars()
        .find(|c| !(c.is_alphanumeric() || extra.contains(*c)))
    {
        None => Ok(()),
        Some(c) => {
            let shown: Vec<String> = extra.chars().map(|e| format!("{e}")).collect();
            Err(format!(
                "{what} may contain only letters, digits and {}; {c:?} is not allowed.",
                shown.join(" ")
            ))
        }
    }
}

fn no_control_chars(what: &str, s: &str) -> Rule {
    match s.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "{what} must not contain control characters (found {c:?})."
        )),
        None => Ok(()),
    }
}

/// `ImageName`: 2–128 characters, starts with a letter, letters/digits/`.:_-`, no URL
/// scheme, no reserved `aliyun`/`acs:` prefix (the error table's description names it).
pub fn image_name(s: &str) -> Rule {
    const WHAT: &str = "The image name";
    length(WHAT, s, 2, 128)?;
    no_url_prefix(WHAT, s)?;
    no_reserved_prefix(WHAT, s, &["aliyun", "acs:"])?;
    starts_with_letter(WHAT, s)?;
    only_chars(WHAT, s, ".:_-")
}

/// `ImageFamily`: 2–128 characters, starts with a letter, letters/digits/`.:_-`, not
/// `aliyun`/`acs:`, no `http://`/`https://` anywhere.
pub fn image_family(s: &str) -> Rule {
    const WHAT: &str = "The image family";
    length(WHAT, s, 2, 128)?;
    no_url_anywhere(WHAT, s)?;
    no_reserved_prefix(WHAT, s, &["aliyun", "acs:"])?;
    starts_with_letter(WHAT, s)?;
    only_chars(WHAT, s, ".:_-")
}

/// `Description`: 2–256 characters, not starting with a URL scheme.
pub fn description(s: &str) -> Rule {
    const WHAT: &str = "The description";
    length(WHAT, s, 2, 256)?;
    no_url_prefix(WHAT, s)?;
    no_control_chars(WHAT, s)
}

/// `ImageVersion`: free text; the reference gives no syntax, so only what would break a
/// request is refused (control characters, more than 40 characters as the console allows).
pub fn image_version(s: &str) -> Rule {
    const WHAT: &str = "The image version";
    length(WHAT, s, 1, 40)?;
    no_control_chars(WHAT, s)
}

/// `Tag.N.Key`: 1–128 characters, not `aliyun`/`acs:`, no URL scheme.
pub fn tag_key(s: &str) -> Rule {
    const WHAT: &str = "A tag key";
    if s.is_empty() {
        return Err("A tag key must not be empty.".into());
    }
    length(WHAT, s, 1, 128)?;
    no_reserved_prefix(WHAT, s, &["aliyun", "acs:"])?;
    no_url_anywhere(WHAT, s)?;
    no_control_chars(WHAT, s)
}

/// `Tag.N.Value`: may be empty, up to 128 characters, not `acs:`, no URL scheme.
pub fn tag_value(s: &str) -> Rule {
    const WHAT: &str = "A tag value";
    length(WHAT, s, 0, 128)?;
    no_reserved_prefix(WHAT, s, &["acs:"])?;
    no_url_anywhere(WHAT, s)?;
    no_control_chars(WHAT, s)
}

/// `ClientToken`: ASCII, 1–64 characters.
pub fn client_token(s: &str) -> Rule {
    if s.is_empty() || s.len() > 64 {
        return Err(format!(
            "The client token must be 1 to 64 characters long (it has {}).",
            char_len(s)
        ));
    }
    if !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(
            "The client token may contain only printable ASCII characters without spaces.".into(),
        );
    }
    Ok(())
}

/// Device of a data disk: `/dev/xvdb` through `/dev/xvdz`.
pub fn data_device(s: &str) -> Rule {
    match s.strip_prefix("/dev/xvd") {
        Some(letter) if matches!(letter.as_bytes(), [b'b'..=b'z']) => Ok(()),
        _ if s == SYSTEM_DEVICE => Err(
            "/dev/xvda is the system disk's device; data disks use /dev/xvdb to /dev/xvdz.".into(),
        ),
        _ => Err(format!(
            "{s:?} is not a data disk device: use /dev/xvdb through /dev/xvdz."
        )),
    }
}

/// The `index`-th data disk's default device (0 → `/dev/xvdb`), while letters last.
pub fn default_data_device(index: usize) -> Option<String> {
    let letter = u8::try_from(index).ok()?.checked_add(b'b')?;
    (letter <= b'z').then(|| format!("/dev/xvd{}", letter as char))
}

/// Size of an empty data disk.
pub fn empty_disk_size(gib: u32) -> Rule {
    disk_size(gib, None)
}

/// Size of a disk made from a snapshot of `snapshot_size` GiB (or empty when `None`).
pub fn disk_size(gib: u32, snapshot_size: Option<u32>) -> Rule {
    if !(MIN_DISK_SIZE..=MAX_DISK_SIZE).contains(&gib) {
        return Err(format!(
            "A disk must be {MIN_DISK_SIZE} to {MAX_DISK_SIZE} GiB (got {gib} GiB)."
        ));
    }
    match snapshot_size {
        Some(min) if gib < min => Err(format!(
            "The disk must be at least as large as its snapshot ({min} GiB); got {gib} GiB."
        )),
        _ => Ok(()),
    }
}

/// Whether a snapshot created at `creation` may be used: those from 2013-07-15 or earlier
/// cannot (the reference says "on or before" in one place; the stricter reading wins).
pub fn snapshot_date_allowed(creation: DateTime<Utc>) -> bool {
    let (y, m, d) = SNAPSHOT_CUTOFF;
    match Utc.with_ymd_and_hms(y, m, d, 23, 59, 59).single() {
        Some(cutoff) => creation > cutoff,
        None => true,
    }
}

/// `Err` with the valid values when `value` is not one of `allowed` (exact match: the API is
/// case-sensitive for these).
pub fn one_of(what: &str, value: &str, allowed: &[&str]) -> Rule {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{what} {value:?} is not supported; use one of: {}.",
            allowed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names() {
        for ok in [
            "ab",
            "web-2026.11.27",
            "镜像-测试",
            "镜像",
            "CentOS:7_base",
            &format!("a{}", "b".repeat(127)),
        ] {
            assert_eq!(image_name(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            "a",
            "",
            "1web",
            "-web",
            "http://x",
            "HTTPS://x",
            "aliyun-base",
            "acs:web",
            "web image",
            "web/1",
            &format!("a{}", "b".repeat(128)),
        ] {
            assert!(image_name(bad).is_err(), "{bad:?}");
        }
        // Characters, not bytes: 128 Chinese characters are fine, 129 are not.
        assert_eq!(image_name(&"镜".repeat(128)), Ok(()));
        assert!(image_name(&"镜".repeat(129)).is_err());
    }

    #[test]
    fn image_families() {
        assert_eq!(image_family("hangzhou-daily-update"), Ok(()));
        assert_eq!(image_family("家族a"), Ok(()));
        for bad in [
            "x",
            "aliyun-family",
            "Aliyun",
            "acs:fam",
            "fam-http://x",
            "9fam",
            "fam ily",
        ] {
            assert!(image_family(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn descriptions() {
        assert_eq!(description("Nightly web tier image"), Ok(()));
        assert_eq!(description("说明"), Ok(()));
        assert!(description("x").is_err());
        assert!(description("http://example.com").is_err());
        assert!(description(&"d".repeat(257)).is_err());
        assert_eq!(description(&"d".repeat(256)), Ok(()));
        assert!(description("line\nbreak").is_err());
    }

    #[test]
    fn versions() {
        assert_eq!(image_version("2017011017"), Ok(()));
        assert!(image_version("").is_err());
        assert!(image_version(&"1".repeat(41)).is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(tag_key("env"), Ok(()));
        assert_eq!(tag_key("环境"), Ok(()));
        assert!(tag_key("").is_err());
        assert!(tag_key("aliyun:x").is_err());
        assert!(tag_key("acs:x").is_err());
        assert!(tag_key("see http://x").is_err());
        assert!(tag_key(&"k".repeat(129)).is_err());
        assert_eq!(tag_value(""), Ok(()));
        assert_eq!(tag_value("aliyun-is-fine-in-values"), Ok(()));
        assert!(tag_value("acs:v").is_err());
        assert!(tag_value("https://v").is_err());
        assert!(tag_value(&"v".repeat(129)).is_err());
    }

    #[test]
    fn client_tokens() {
        assert_eq!(client_token("123e4567-e89b-12d3-a456-426655440000"), Ok(()));
        assert!(client_token("").is_err());
        assert!(client_token(&"t".repeat(65)).is_err());
        assert!(client_token("tök").is_err());
        assert!(client_token("a b").is_err());
    }

    #[test]
    fn devices() {
        assert_eq!(data_device("/dev/xvdb"), Ok(()));
        assert_eq!(data_device("/dev/xvdz"), Ok(()));
        for bad in [
            "/dev/xvda",
            "/dev/vdb",
            "/dev/xvdB",
            "/dev/xvdbb",
            "xvdb",
            "",
        ] {
            assert!(data_device(bad).is_err(), "{bad:?}");
        }
        assert_eq!(default_data_device(0).as_deref(), Some("/dev/xvdb"));
        assert_eq!(default_data_device(24).as_deref(), Some("/dev/xvdz"));
        assert_eq!(default_data_device(25), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(empty_disk_size(20), Ok(()));
        assert_eq!(empty_disk_size(32768), Ok(()));
        assert!(empty_disk_size(19).is_err());
        assert!(empty_disk_size(32769).is_err());
        assert_eq!(disk_size(40, Some(40)), Ok(()));
        assert!(disk_size(39, Some(40)).is_err());
    }

    #[test]
    fn snapshot_cutoff() {
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        assert!(!snapshot_date_allowed(at(2013, 7, 15, 12)));
        assert!(!snapshot_date_allowed(at(2012, 1, 1, 0)));
        assert!(snapshot_date_allowed(at(2013, 7, 16, 0)));
    }

    #[test]
    fn value_lists() {
        assert_eq!(one_of("Boot mode", "UEFI", BOOT_MODES), Ok(()));
        let err = one_of("Boot mode", "uefi", BOOT_MODES).unwrap_err();
        assert!(err.contains("BIOS, UEFI, UEFI-Preferred"), "{err}");
        assert!(PLATFORMS.contains(&DEFAULT_PLATFORM));
        assert!(ARCHITECTURES.contains(&DEFAULT_ARCHITECTURE));
    }
}
