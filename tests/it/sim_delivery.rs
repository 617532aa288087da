//! The simulator's delivery operations over HTTP: CopyImage and CancelCopyImage, sharing,
//! tags, ModifyImageAttribute (deprecation) and the DeleteImage rules they add, as
//! DescribeImages then shows them.

use crate::sim_harness::*;
use ecsimg::sim::SANDBOX_TOML;
use serde_json::Value;
use std::time::Duration;

const DB_IMAGE: &str = "m-bp17441ohwkdca0xbdq2"; // two disks, no instance runs it
const BEIJING: &str = "cn-beijing";
const ALL_STATUSES: &str = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";

async fn copy(h: &Harness, image: &str, extra: &[(&str, &str)]) -> Resp {
    let mut params = vec![
        ("RegionId", REGION),
        ("ImageId", image),
        ("DestinationRegionId", BEIJING),
    ];
    params.extend_from_slice(extra);
    h.call("CopyImage", &params).await
}

fn id_of(body: &Value) -> String {
    body["ImageId"].as_str().expect("ImageId").to_string()
}

async fn image_in(h: &Harness, region: &str, id: &str) -> Value {
    let body = h
        .call(
            "DescribeImages",
            &[
                ("RegionId", region),
                ("ImageId", id),
                ("Status", ALL_STATUSES),
            ],
        )
        .await
        .ok();
    assert_eq!(body["TotalCount"], 1, "{body}");
    body["Images"]["Image"][0].clone()
}

#[tokio::test]
async fn a_copy_builds_in_the_destination_on_the_simulator_clock() {
    let h = Harness::new().await;
    let copied = copy(
        &h,
        USED_IMAGE,
        &[
            ("DestinationImageName", "web-base-bj"),
            ("DestinationDescription", "copy for Beijing"),
            ("Tag.1.Key", "stage"),
            ("Tag.1.Value", "copy"),
            ("ClientToken", "copy-token-1"),
        ],
    )
    .await
    .ok();
    let id = id_of(&copied);
    assert!(id.starts_with("m-2ze"), "an ID of the destination: {id}");
    // Only in the destination.
    let here = h
        .call(
            "DescribeImages",
            &[
                ("RegionId", REGION),
                ("ImageId", &id),
                ("Status", ALL_STATUSES),
            ],
        )
        .await
        .ok();
    assert_eq!(here["TotalCount"], 0);
    let building = image_in(&h, BEIJING, &id).await;
    assert_eq!(building["Status"], "Creating");
    assert_eq!(building["Progress"], "0%");
    assert_eq!(building["IsCopied"], true);
    assert_eq!(building["ImageName"], "web-base-bj");
    assert_eq!(building["Description"], "copy for Beijing");
    assert_eq!(building["ImageFamily"], "", "a copy has no family");
    assert_eq!(
        building["Tags"]["Tag"],
        serde_json::json!([{"TagKey": "stage", "TagValue": "copy"}]),
        "tags come from the request only"
    );
    assert_eq!(building["ResourceGroupId"], "rg-acfmykd63xkeyvy");
    let disk = &building["DiskDeviceMappings"]["DiskDeviceMapping"][0];
    assert!(
        disk["SnapshotId"]
            .as_str()
            .is_some_and(|s| s.starts_with("s-2ze"))
    );
    assert!(disk["RemainTime"].as_u64().is_some_and(|s| s > 0), "{disk}");
    // The default listing hides it until it is Available.
    let listed = h
        .call(
            "DescribeImages",
            &[("RegionId", BEIJING), ("ImageOwnerAlias", "self")],
        )
        .await
        .ok();
    assert_eq!(listed["TotalCount"], 0);

    // A retry with the same token and parameters is the same copy; other parameters are not.
    let again = copy(
        &h,
        USED_IMAGE,
        &[
            ("DestinationImageName", "web-base-bj"),
            ("DestinationDescription", "copy for Beijing"),
            ("Tag.1.Key", "stage"),
            ("Tag.1.Value", "copy"),
            ("ClientToken", "copy-token-1"),
        ],
    )
    .await
    .ok();
    assert_eq!(id_of(&again), id);
    copy(&h, USED_IMAGE, &[("ClientToken", "copy-token-1")])
        .await
        .err(400, "IdempotentParameterMismatch");
    // One copy of a source at a time.
    copy(&h, USED_IMAGE, &[])
        .await
        .err(400, "OperationDenied.ImageCopyConflict");
    // Neither the copy nor its source can be deleted meanwhile.
    h.call("DeleteImage", &[("RegionId", BEIJING), ("ImageId", &id)])
        .await
        .err(403, "OperationDenied.ImageCopying");
    h.call(
        "DeleteImage",
        &[
            ("RegionId", REGION),
            ("ImageId", USED_IMAGE),
            ("Force", "true"),
        ],
    )
    .await
    .err(403, "OperationDenied.ImageCopying");

    h.sim.advance(Duration::from_secs(15));
    let half = image_in(&h, BEIJING, &id).await;
    assert_eq!(half["Status"], "Creating");
    assert_eq!(half["Progress"], "50%");
    h.sim.advance(Duration::from_secs(15));
    let done = image_in(&h, BEIJING, &id).await;
    assert_eq!(
        (&done["Status"], &done["Progress"]),
        (&"Available".into(), &"100%".into())
    );
    let cancel = h
        .call(
            "CancelCopyImage",
            &[("RegionId", BEIJING), ("ImageId", &id)],
        )
        .await;
    cancel.err(400, "IncorrectImageStatus");
    assert_eq!(cancel.body["Message"], "The image copy has completed.");
    // Once Available, the family is set in the destination.
    h.call(
        "ModifyImageAttribute",
        &[
            ("RegionId", BEIJING),
            ("ImageId", &id),
            ("ImageFamily", "web-base"),
        ],
    )
    .await
    .ok();
    assert_eq!(image_in(&h, BEIJING, &id).await["ImageFamily"], "web-base");
}

#[tokio::test]
async fn copy_refusals() {
    let h = Harness::new().await;
    for (extra, status, code) in [
        (
            vec![("DestinationRegionId", "cn-nowhere")],
            400,
            "DestinationRegion.NotFound",
        ),
        (
            vec![("DestinationRegionId", "us-west-1")],
            403,
            "RegionNotSupportCopy",
        ),
        (
            vec![("DestinationRegionId", REGION)],
            403,
            "IncorrectDestinationRegion",
        ),
        (
            vec![("ImageId", "m-bp1c9ua1mkzbrt3qjgv7")],
            400,
            "IncorrectImageStatus",
        ),
        (
            vec![("ImageId", "m-bp1nothere0000000000")],
            404,
            "InvalidImageId.NotFound",
        ),
        (
            vec![("DestinationImageName", "aliyun-x")],
            400,
            "InvalidImageName.Malformed",
        ),
        (
            vec![("DestinationDescription", "http://x")],
            400,
            "InvalidDescription.Malformed",
        ),
        (
            vec![("KMSKeyId", "key-1")],
            400,
            "InvalidParameter.EncryptedIllegal",
        ),
        (
            vec![("Encrypted", "true"), ("KMSKeyId", "key-1")],
            404,
            "InvalidParameter.KMSKeyId.NotFound",
        ),
        (
            vec![("ResourceGroupId", "rg-nope")],
            404,
            "InvalidResourceGroup.NotFound",
        ),
        (
            vec![
                ("DestinationImageName", "web-base-20240601"),
                ("DestinationRegionId", REGION),
                ("Encrypted", "true"),
            ],
            400,
            "InvalidImageName.Duplicated",
        ),
        (vec![("DryRun", "true")], 400, "DryRunOperation"),
    ] {
        let mut params = vec![
            ("RegionId", REGION),
            ("ImageId", DB_IMAGE),
            ("DestinationRegionId", BEIJING),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| *n != name);
            params.push((name, value));
        }
        h.call("CopyImage", &params).await.err(status, code);
    }
    h.call("CopyImage", &[("RegionId", REGION), ("ImageId", DB_IMAGE)])
        .await
        .err(400, "MissingParameter");
    assert!(
        h.sim
            .images(BEIJING)
            .iter()
            .all(|i| i.owner_alias != "self")
    );
}

#[tokio::test]
async fn copies_beyond_the_concurrency_wait_and_the_quota_counts_them() {
    let seed = format!("{SANDBOX_TOML}\n[delivery]\ncopy_concurrency = 1\n")
        .replace("images = 30 ", "images = 2 ");
    let h = Harness::seeded(&seed).await;
    let first = id_of(&copy(&h, USED_IMAGE, &[]).await.ok());
    let second = id_of(&copy(&h, DB_IMAGE, &[]).await.ok());
    assert_eq!(image_in(&h, BEIJING, &first).await["Status"], "Creating");
    let queued = image_in(&h, BEIJING, &second).await;
    assert_eq!(
        (&queued["Status"], &queued["Progress"]),
        (&"Waiting".into(), &"0%".into())
    );
    // Two images in Beijing (one waiting) fill a quota of two.
    let third = h
        .call(
            "CopyImage",
            &[
                ("RegionId", "cn-shanghai"),
                ("ImageId", "m-uf6b2f4hvxt0pw3nq8ek"),
                ("DestinationRegionId", BEIJING),
            ],
        )
        .await;
    third.err(403, "QuotaExceed.Image");
    assert_eq!(
        third.body["Message"],
        "The number of images exceeds the limit (2)."
    );
    h.sim.advance(Duration::from_secs(31));
    assert_eq!(image_in(&h, BEIJING, &first).await["Status"], "Available");
    assert_eq!(image_in(&h, BEIJING, &second).await["Status"], "Creating");
    h.sim.advance(Duration::from_secs(30));
    assert_eq!(image_in(&h, BEIJING, &second).await["Status"], "Available");
}

#[tokio::test]
async fn a_cancelled_copy_leaves_nothing_behind() {
    let h = Harness::new().await;
    let before = h.sim.snapshot_count(BEIJING);
    let id = id_of(&copy(&h, DB_IMAGE, &[]).await.ok());
    assert_eq!(h.sim.snapshot_count(BEIJING), before + 2);
    h.call("CancelCopyImage", &[("RegionId", REGION), ("ImageId", &id)])
        .await
        .err(404, "InvalidImageId.NotFound");
    h.call(
        "CancelCopyImage",
        &[("RegionId", REGION), ("ImageId", DB_IMAGE)],
    )
    .await
    .err(400, "ImageCreatedNotFromCopy");
    h.call(
        "CancelCopyImage",
        &[("RegionId", BEIJING), ("ImageId", &id)],
    )
    .await
    .ok();
    assert_eq!(h.sim.snapshot_count(BEIJING), before);
    assert!(h.sim.images(BEIJING).iter().all(|i| i.id != id));
    h.call(
        "CancelCopyImage",
        &[("RegionId", BEIJING), ("ImageId", &id)],
    )
    .await
    .err(404, "InvalidImageId.NotFound");
    // The source can be copied again.
    copy(&h, DB_IMAGE, &[]).await.ok();
}

#[tokio::test]
async fn encrypted_copies_and_which_of_them_can_be_shared() {
    let seed = format!(
        "{SANDBOX_TOML}
[[kms_keys]]
id = \"key-ok\"
region = \"cn-beijing\"

[[kms_keys]]
id = \"key-off\"
region = \"cn-beijing\"
status = \"Disabled\"

[[kms_keys]]
id = \"key-untagged\"
region = \"cn-beijing\"
ecs_tagged = false

[[kms_keys]]
id = \"key-denied\"
region = \"cn-beijing\"
ecs_authorized = false
"
    );
    let h = Harness::seeded(&seed).await;
    for (key, code) in [
        ("key-off", "InvalidParameter.KMSKeyId.CMKNotEnabled"),
        ("key-untagged", "InvalidParameter.KMSKeyId.CMKUnauthorized"),
        ("key-denied", "InvalidParameter.KMSKeyId.KMSUnauthorized"),
    ] {
        copy(&h, USED_IMAGE, &[("Encrypted", "true"), ("KMSKeyId", key)])
            .await
            .err(403, code);
    }
    let cmk = id_of(
        &copy(
            &h,
            USED_IMAGE,
            &[("Encrypted", "true"), ("KMSKeyId", "key-ok")],
        )
        .await
        .ok(),
    );
    let service = id_of(&copy(&h, DB_IMAGE, &[("Encrypted", "true")]).await.ok());
    h.sim.advance(Duration::from_secs(60));
    let shown = image_in(&h, BEIJING, &cmk).await;
    assert_eq!(
        shown["DiskDeviceMappings"]["DiskDeviceMapping"][0]["Encrypted"],
        true
    );
    // An encrypted image cannot go back to unencrypted.
    h.call(
        "CopyImage",
        &[
            ("RegionId", BEIJING),
            ("ImageId", &cmk),
            ("DestinationRegionId", REGION),
            ("Encrypted", "false"),
        ],
    )
    .await
    .err(403, "OperationDeined.EncryptedSnapshot");
    for (id, shared) in [(&cmk, true), (&service, false)] {
        let answer = h
            .call(
                "ModifyImageSharePermission",
                &[
                    ("RegionId", BEIJING),
                    ("ImageId", id),
                    ("AddAccount.1", "1111111111111111"),
                ],
            )
            .await;
        if shared {
            answer.ok();
        } else {
            answer.err(403, "InvalidOperation.ServiceKeyEncryptedImageUnsupported");
        }
    }
}

async fn share(h: &Harness, image: &str, list: &str, accounts: &[String]) -> Resp {
    let names: Vec<String> = (1..=accounts.len())
        .map(|n| format!("{list}.{n}"))
        .collect();
    let mut params = vec![("RegionId", REGION), ("ImageId", image)];
    params.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(accounts.iter().map(String::as_str)),
    );
    h.call("ModifyImageSharePermission", &params).await
}

async fn permissions(h: &Harness, image: &str, page: &[(&str, &str)]) -> Value {
    let mut params = vec![("RegionId", REGION), ("ImageId", image)];
    params.extend_from_slice(page);
    h.call("DescribeImageSharePermission", &params).await.ok()
}

#[tokio::test]
async fn sharing_takes_ten_accounts_a_call_and_blocks_deprecation_and_deletion() {
    let h = Harness::new().await;
    let accounts: Vec<String> = (1..=12).map(|n| format!("20000000000000{n:02}")).collect();
    share(&h, DB_IMAGE, "AddAccount", &accounts).await.ok();
    let shared = permissions(&h, DB_IMAGE, &[]).await;
    assert_eq!(
        shared["TotalCount"], 10,
        "accounts past the tenth are ignored: {shared}"
    );
    assert_eq!(shared["PageSize"], 10);
    assert_eq!(shared["ImageId"], DB_IMAGE);
    assert_eq!(shared["RegionId"], REGION);
    let first = &shared["Accounts"]["Account"][0];
    assert_eq!(first["AliyunId"], "2000000000000001");
    assert_eq!(first["SharedTime"], "2026-01-05T08:00:00Z");
    assert_eq!(shared["ShareGroups"]["ShareGroup"], serde_json::json!([]));
    let second_page = permissions(&h, DB_IMAGE, &[("PageNumber", "2"), ("PageSize", "4")]).await;
    assert_eq!(
        second_page["Accounts"]["Account"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(image_in(&h, REGION, DB_IMAGE).await["IsSelfShared"], "True");

    h.call(
        "ModifyImageAttribute",
        &[
            ("RegionId", REGION),
            ("ImageId", DB_IMAGE),
            ("Status", "Deprecated"),
        ],
    )
    .await
    .err(403, "ImageUseShared");
    h.call(
        "DeleteImage",
        &[
            ("RegionId", REGION),
            ("ImageId", DB_IMAGE),
            ("Force", "true"),
        ],
    )
    .await
    .err(403, "ImageUseShared");

    share(
        &h,
        DB_IMAGE,
        "AddAccount",
        &["1234567890123456".to_string()],
    )
    .await
    .err(404, "InvalidAccount.Forbbiden");
    let bad = share(&h, DB_IMAGE, "AddAccount", &["someone".to_string()]).await;
    bad.err(404, "InvalidAccount.NotFound");
    assert!(
        bad.body["Message"]
            .as_str()
            .is_some_and(|m| m.contains("someone"))
    );

    share(&h, DB_IMAGE, "RemoveAccount", &accounts[..10])
        .await
        .ok();
    assert_eq!(permissions(&h, DB_IMAGE, &[]).await["TotalCount"], 0);
    assert_eq!(
        image_in(&h, REGION, DB_IMAGE).await["IsSelfShared"],
        "False"
    );
    h.call(
        "DeleteImage",
        &[("RegionId", REGION), ("ImageId", DB_IMAGE)],
    )
    .await
    .ok();
}

#[tokio::test]
async fn an_image_is_shared_with_at_most_the_seeded_number_of_accounts() {
    let seed = format!("{SANDBOX_TOML}\n[delivery]\nshare_accounts = 3\n");
    let h = Harness::seeded(&seed).await;
    let accounts: Vec<String> = (1..=4).map(|n| format!("300000000000000{n}")).collect();
    share(&h, DB_IMAGE, "AddAccount", &accounts[..3]).await.ok();
    share(&h, DB_IMAGE, "AddAccount", &accounts[3..])
        .await
        .err(403, "QuotaExceed.ShareImageUser");
    // Re-adding an account already shared with changes nothing.
    share(&h, DB_IMAGE, "AddAccount", &accounts[..1]).await.ok();
    assert_eq!(permissions(&h, DB_IMAGE, &[]).await["TotalCount"], 3);
}

#[tokio::test]
async fn deprecation_hides_an_image_from_the_default_listing_until_restored() {
    let h = Harness::new().await;
    let modify = |status: &'static str| {
        let h = &h;
        async move {
            h.call(
                "ModifyImageAttribute",
                &[
                    ("RegionId", REGION),
                    ("ImageId", USED_IMAGE),
                    ("Status", status),
                ],
            )
            .await
        }
    };
    modify("Available").await.ok();
    modify("Deprecated").await.ok();
    let default = h
        .call(
            "DescribeImages",
            &[("RegionId", REGION), ("ImageId", USED_IMAGE)],
        )
        .await
        .ok();
    assert_eq!(default["TotalCount"], 0, "Available is the default filter");
    let retired = h
        .call(
            "DescribeImages",
            &[
                ("RegionId", REGION),
                ("ImageOwnerAlias", "self"),
                ("Status", "Deprecated"),
            ],
        )
        .await
        .ok();
    assert_eq!(retired["TotalCount"], 1);
    assert_eq!(retired["Images"]["Image"][0]["Status"], "Deprecated");
    assert_eq!(
        retired["Images"]["Image"][0]["Usable"], true,
        "still launches instances"
    );
    // Deprecated images are neither shared nor copied.
    share(
        &h,
        USED_IMAGE,
        "AddAccount",
        &["1111111111111111".to_string()],
    )
    .await
    .err(403, "OperationDenied.InvalidImageStatus");
    copy(&h, USED_IMAGE, &[])
        .await
        .err(400, "IncorrectImageStatus");
    modify("Available").await.ok();
    assert_eq!(
        image_in(&h, REGION, USED_IMAGE).await["Status"],
        "Available"
    );
    h.call(
        "ModifyImageAttribute",
        &[
            ("RegionId", REGION),
            ("ImageId", "m-bp1c9ua1mkzbrt3qjgv7"),
            ("Status", "Deprecated"),
        ],
    )
    .await
    .err(403, "ImageStatus.NotAvailable");
}

#[tokio::test]
async fn modify_image_attribute_changes_and_refusals() {
    let h = Harness::new().await;
    let modify = |params: Vec<(&'static str, &'static str)>| {
        let h = &h;
        async move {
            let mut all = vec![("RegionId", REGION), ("ImageId", DB_IMAGE)];
            all.extend(params);
            h.call("ModifyImageAttribute", &all).await
        }
    };
    modify(vec![
        ("ImageName", "db-renamed"),
        ("Description", "renamed here"),
        ("LicenseType", "BYOL"),
        ("Features.NvmeSupport", "supported"),
        ("Features.ImdsSupport", "v2"),
        ("BootMode", "UEFI"),
    ])
    .await
    .ok();
    let image = image_in(&h, REGION, DB_IMAGE).await;
    assert_eq!(image["ImageName"], "db-renamed");
    assert_eq!(image["Description"], "renamed here");
    assert_eq!(image["LicenseType"], "BYOL");
    assert_eq!(image["BootMode"], "UEFI");
    assert_eq!(image["Features"]["NvmeSupport"], "supported");
    assert_eq!(image["Features"]["ImdsSupport"], "v2");
    for (params, status, code) in [
        (
            vec![("ImageName", "web-base-20240601")],
            400,
            "InvalidImageName.Duplicated",
        ),
        (vec![("ImageName", "x")], 400, "InvalidImageName.Malformed"),
        (
            vec![("ImageFamily", "acs:x")],
            400,
            "InvalidImageFamily.Malformed",
        ),
        (
            vec![("BootMode", "Legacy")],
            400,
            "InvalidBootMode.NotSupport",
        ),
        (
            vec![("LicenseType", "Auto")],
            400,
            "InvalidLicenseType.NotSupported",
        ),
        (
            vec![("Features.ImdsSupport", "v1")],
            403,
            "InvalidOperation.FeaturesImdsSupportNotMatch",
        ),
        (
            vec![("Status", "Deprecated"), ("DryRun", "true")],
            400,
            "DryRunOperation",
        ),
    ] {
        modify(params).await.err(status, code);
    }
    h.call(
        "ModifyImageAttribute",
        &[
            ("RegionId", REGION),
            ("ImageId", USED_IMAGE),
            ("BootMode", "BIOS"),
        ],
    )
    .await
    .err(403, "OperationDeined.ImageUsingByInstance");
    h.call(
        "ModifyImageAttribute",
        &[
            ("RegionId", REGION),
            ("ImageId", "aliyun_3_x64_20G_alibase_20240819.vhd"),
            ("ImageName", "mine"),
        ],
    )
    .await
    .err(404, "InvalidImageId.NotFound");
    // A building image refuses changes.
    let building = h.create(&[("SnapshotId", WEB_SYSTEM_SNAPSHOT)]).await.ok();
    h.call(
        "ModifyImageAttribute",
        &[
            ("RegionId", REGION),
            ("ImageId", &id_of(&building)),
            ("Description", "later"),
        ],
    )
    .await
    .err(403, "InvalidStatus.ImageIsCreating");
}

/// Parameters of one request, owned.
type Pairs = Vec<(String, String)>;

async fn list_tags(h: &Harness, params: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let mut all = vec![("RegionId", REGION)];
    all.extend_from_slice(params);
    let body = h.call("ListTagResources", &all).await.ok();
    body["TagResources"]["TagResource"]
        .as_array()
        .expect("TagResource")
        .iter()
        .map(|t| {
            (
                t["ResourceId"].as_str().unwrap_or_default().to_string(),
                t["TagKey"].as_str().unwrap_or_default().to_string(),
                t["TagValue"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn tags_on_images_and_snapshots() {
    let h = Harness::new().await;
    let tag = |params: Vec<(&'static str, &'static str)>| {
        let h = &h;
        async move {
            let mut all = vec![("RegionId", REGION)];
            all.extend(params);
            h.call("TagResources", &all).await
        }
    };
    tag(vec![
        ("ResourceType", "image"),
        ("ResourceId.1", DB_IMAGE),
        ("ResourceId.2", USED_IMAGE),
        ("Tag.1.Key", "retire"),
        ("Tag.1.Value", "2026-02"),
        ("Tag.2.Key", "env"),
        ("Tag.2.Value", "staging"),
    ])
    .await
    .ok();
    // An existing key is overwritten: web-base's env=prod becomes staging.
    assert_eq!(
        list_tags(
            &h,
            &[("ResourceType", "image"), ("ResourceId.1", USED_IMAGE)]
        )
        .await,
        [
            (USED_IMAGE.into(), "env".into(), "staging".into()),
            (USED_IMAGE.into(), "team".into(), "web".into()),
            (USED_IMAGE.into(), "retire".into(), "2026-02".into()),
        ]
    );
    let by_tag = list_tags(
        &h,
        &[
            ("ResourceType", "image"),
            ("Tag.1.Key", "retire"),
            ("Tag.1.Value", "2026-02"),
        ],
    )
    .await;
    assert_eq!(by_tag.iter().filter(|t| t.1 == "retire").count(), 2);
    let fuzzy = list_tags(
        &h,
        &[
            ("ResourceType", "image"),
            ("TagFilter.1.TagKey", "env"),
            ("TagFilter.1.TagValues.1", "stag*"),
        ],
    )
    .await;
    assert_eq!(fuzzy.iter().filter(|t| t.1 == "env").count(), 2);
    // DescribeImages shows the tags and filters by them.
    let filtered = h
        .call(
            "DescribeImages",
            &[
                ("RegionId", REGION),
                ("Tag.1.Key", "retire"),
                ("Tag.1.Value", "2026-02"),
            ],
        )
        .await
        .ok();
    assert_eq!(filtered["TotalCount"], 2);

    tag(vec![
        ("ResourceType", "snapshot"),
        ("ResourceId.1", WEB_SYSTEM_SNAPSHOT),
        ("Tag.1.Key", "image"),
        ("Tag.1.Value", DB_IMAGE),
    ])
    .await
    .ok();
    let snapshots = h
        .call(
            "DescribeSnapshots",
            &[
                ("RegionId", REGION),
                ("Tag.1.Key", "image"),
                ("Tag.1.Value", DB_IMAGE),
            ],
        )
        .await
        .ok();
    assert_eq!(snapshots["TotalCount"], 1, "{snapshots}");

    h.call(
        "UntagResources",
        &[
            ("RegionId", REGION),
            ("ResourceType", "image"),
            ("ResourceId.1", USED_IMAGE),
            ("TagKey.1", "retire"),
            ("TagKey.2", "absent"),
        ],
    )
    .await
    .ok();
    h.call(
        "UntagResources",
        &[
            ("RegionId", REGION),
            ("ResourceType", "image"),
            ("ResourceId.1", DB_IMAGE),
            ("All", "true"),
        ],
    )
    .await
    .ok();
    assert_eq!(
        list_tags(&h, &[("ResourceType", "image"), ("Tag.1.Key", "retire")]).await,
        []
    );
    assert_eq!(
        image_in(&h, REGION, DB_IMAGE).await["Tags"]["Tag"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn tag_refusals() {
    let h = Harness::new().await;
    let many: Vec<(String, String)> = (1..=21)
        .flat_map(|n| {
            [
                (format!("Tag.{n}.Key"), format!("k{n}")),
                (format!("Tag.{n}.Value"), "v".into()),
            ]
        })
        .collect();
    let ids: Vec<(String, String)> = (1..=51)
        .map(|n| (format!("ResourceId.{n}"), format!("s-{n}")))
        .collect();
    let cases: Vec<(Pairs, u16, &str)> = vec![
        (
            owned(&[
                ("ResourceType", "image"),
                ("ResourceId.1", DB_IMAGE),
                ("Tag.1.Key", "k"),
            ]),
            404,
            "MissingParameter.RegionId",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceId.1", DB_IMAGE),
                ("Tag.1.Key", "k"),
            ]),
            404,
            "MissingParameter.ResourceType",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceType", "Image"),
                ("ResourceId.1", DB_IMAGE),
                ("Tag.1.Key", "k"),
            ]),
            404,
            "InvalidResourceType.NotFound",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("Tag.1.Key", "k"),
            ]),
            404,
            "MissingParameter.ResourceIds",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("ResourceId.1", DB_IMAGE),
            ]),
            404,
            "MissingParameter.Tags",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("ResourceId.1", "m-nope"),
                ("Tag.1.Key", "k"),
            ]),
            404,
            "InvalidResourceId.NotFound",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceType", "securitygroup"),
                ("ResourceId.1", "sg-1"),
                ("Tag.1.Key", "k"),
            ]),
            404,
            "InvalidResourceId.NotFound",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("ResourceId.1", DB_IMAGE),
                ("Tag.1.Key", "aliyun-x"),
            ]),
            400,
            "InvalidTagKey.Malformed",
        ),
        (
            owned(&[
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("ResourceId.1", DB_IMAGE),
                ("Tag.1.Key", "k"),
                ("Tag.2.Key", "k"),
            ]),
            400,
            "Duplicate.TagKey",
        ),
        (
            [
                owned(&[
                    ("RegionId", REGION),
                    ("ResourceType", "image"),
                    ("ResourceId.1", DB_IMAGE),
                ]),
                many.clone(),
            ]
            .concat(),
            400,
            "NumberExceed.Tags",
        ),
        (
            [
                owned(&[
                    ("RegionId", REGION),
                    ("ResourceType", "snapshot"),
                    ("Tag.1.Key", "k"),
                ]),
                ids.clone(),
            ]
            .concat(),
            400,
            "NumberExceed.ResourceIds",
        ),
    ];
    for (params, status, code) in cases {
        let refs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        h.call("TagResources", &refs).await.err(status, code);
    }
    // Twenty tags on a resource at most, counting the ones it has.
    let nineteen: Vec<(String, String)> = (1..=19)
        .flat_map(|n| {
            [
                (format!("Tag.{n}.Key"), format!("k{n}")),
                (format!("Tag.{n}.Value"), "v".into()),
            ]
        })
        .collect();
    let params = [
        owned(&[
            ("RegionId", REGION),
            ("ResourceType", "image"),
            ("ResourceId.1", USED_IMAGE),
        ]),
        nineteen,
    ]
    .concat();
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    h.call("TagResources", &refs)
        .await
        .err(400, "OperationDenied.QuotaExceed");
    h.call(
        "ListTagResources",
        &[
            ("RegionId", REGION),
            ("ResourceType", "image"),
            ("Tag.1.Value", "v"),
        ],
    )
    .await
    .err(400, "InvalidParameter.TagValue");
}

#[tokio::test]
async fn list_tag_resources_pages_with_next_token() {
    let h = Harness::new().await;
    let pairs: Vec<(String, String)> = (1..=20)
        .flat_map(|n| {
            [
                (format!("Tag.{n}.Key"), format!("key{n:02}")),
                (format!("Tag.{n}.Value"), "v".into()),
            ]
        })
        .collect();
    for id in [DB_IMAGE, "m-bp1c9ua1mkzbrt3qjgv7", USED_IMAGE] {
        let mut params = owned(&[
            ("RegionId", REGION),
            ("ResourceType", "image"),
            ("ResourceId.1", id),
        ]);
        if id == USED_IMAGE {
            // web-base already has two tags.
            params.extend(pairs.iter().take(36).cloned());
        } else {
            params.extend(pairs.iter().cloned());
        }
        let refs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        h.call("TagResources", &refs).await.ok();
    }
    let mut seen = 0;
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let mut params = vec![
            ("RegionId", REGION),
            ("ResourceType", "image"),
            ("TagFilter.1.TagKey", "key01"),
        ];
        if !token.is_empty() {
            params.push(("NextToken", &token));
        }
        let body = h.call("ListTagResources", &params).await.ok();
        seen += body["TagResources"]["TagResource"]
            .as_array()
            .map_or(0, Vec::len);
        pages += 1;
        token = body["NextToken"].as_str().unwrap_or_default().to_string();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(
        (seen, pages),
        (60, 2),
        "three images of twenty tags, fifty a page"
    );
}

#[tokio::test]
async fn describe_images_filters_by_creation_time() {
    let h = Harness::new().await;
    let since = |start: &'static str| {
        let h = &h;
        async move {
            h.call(
                "DescribeImages",
                &[
                    ("RegionId", REGION),
                    ("ImageOwnerAlias", "self"),
                    ("Status", ALL_STATUSES),
                    ("Filter.1.Key", "CreationStartTime"),
                    ("Filter.1.Value", start),
                ],
            )
            .await
        }
    };
    let recent = since("2024-05-01T00:00Z").await.ok();
    assert_eq!(recent["TotalCount"], 1, "only web-base is newer: {recent}");
    assert_eq!(recent["Images"]["Image"][0]["ImageId"], USED_IMAGE);
    since("yesterday").await.err(404, "InvalidFilterValue");
    h.call(
        "DescribeImages",
        &[
            ("RegionId", REGION),
            ("Filter.1.Key", "Colour"),
            ("Filter.1.Value", "x"),
        ],
    )
    .await
    .err(404, "InvalidFilterKey.NotFound");
}

#[tokio::test]
async fn every_delivery_operation_answers_v1_and_v3_alike() {
    let h = Harness::new().await;
    let calls: [(&str, Vec<(&str, &str)>); 7] = [
        (
            "DescribeImageSharePermission",
            vec![("RegionId", REGION), ("ImageId", DB_IMAGE)],
        ),
        (
            "ModifyImageSharePermission",
            vec![
                ("RegionId", REGION),
                ("ImageId", DB_IMAGE),
                ("AddAccount.1", "5555555555555555"),
            ],
        ),
        (
            "TagResources",
            vec![
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("ResourceId.1", DB_IMAGE),
                ("Tag.1.Key", "k"),
                ("Tag.1.Value", "v"),
            ],
        ),
        (
            "ListTagResources",
            vec![
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("ResourceId.1", DB_IMAGE),
            ],
        ),
        (
            "UntagResources",
            vec![
                ("RegionId", REGION),
                ("ResourceType", "image"),
                ("ResourceId.1", DB_IMAGE),
                ("TagKey.1", "k"),
            ],
        ),
        (
            "ModifyImageAttribute",
            vec![
                ("RegionId", REGION),
                ("ImageId", DB_IMAGE),
                ("Description", "both ways"),
            ],
        ),
        (
            "CopyImage",
            vec![
                ("RegionId", REGION),
                ("ImageId", USED_IMAGE),
                ("DestinationRegionId", BEIJING),
            ],
        ),
    ];
    for (action, params) in &calls {
        let v1 = h.v1(action, params, &h.opts(), Placement::Form).await.ok();
        assert_request_id(&v1);
        let v3 = h.v3(action, params, &h.opts(), true).await;
        if *action == "CopyImage" {
            v3.err(400, "OperationDenied.ImageCopyConflict");
            let copy = id_of(&v1);
            h.v3(
                "CancelCopyImage",
                &[("RegionId", BEIJING), ("ImageId", &copy)],
                &h.opts(),
                false,
            )
            .await
            .ok();
        } else {
            assert_request_id(&v3.ok());
        }
    }
}

/// A DryRun of a delivery call checks the parameters before the image, and the image before
/// answering DryRunOperation: what the review's delivery DryRun relies on.
#[tokio::test]
async fn a_delivery_dry_run_checks_parameters_then_the_image() {
    let h = Harness::new().await;
    let placeholder = "m-ecsimgdryrun00000000";
    let share = |image: &'static str, account: &'static str| {
        let h = &h;
        async move {
            h.call(
                "ModifyImageSharePermission",
                &[
                    ("RegionId", REGION),
                    ("ImageId", image),
                    ("AddAccount.1", account),
                    ("DryRun", "true"),
                ],
            )
            .await
        }
    };
    // The sandbox's own account is refused before the image is looked for.
    share(placeholder, "1234567890123456")
        .await
        .err(404, "InvalidAccount.Forbbiden");
    share(placeholder, "1234567890123457")
        .await
        .err(404, "InvalidImageId.NotFound");
    share(DB_IMAGE, "1234567890123457")
        .await
        .err(400, "DryRunOperation");
    h.call(
        "CopyImage",
        &[
            ("RegionId", REGION),
            ("ImageId", placeholder),
            ("DestinationRegionId", "cn-nowhere"),
            ("DryRun", "true"),
        ],
    )
    .await
    .err(400, "DestinationRegion.NotFound");
    copy(&h, placeholder, &[("DryRun", "true")])
        .await
        .err(404, "InvalidImageId.NotFound");
    // Nothing changed: the image is shared with no one, and no copy was made.
    let listed = h
        .call(
            "DescribeImageSharePermission",
            &[("RegionId", REGION), ("ImageId", DB_IMAGE)],
        )
        .await
        .ok();
    assert_eq!(listed["TotalCount"], 0, "{listed}");
}

/// The sandbox with two one-disk instances whose system disk is encrypted: with a KMS key of
/// the account's, and with the service key (no key).
fn encrypted_instances() -> String {
    let instance = |id: &str, disk: &str, key: &str| {
        format!(
            r#"
[[instances]]
id = "{id}"
name = "{id}"
status = "Stopped"
zone_id = "cn-hangzhou-i"
instance_type = "ecs.g7.large"
cpu = 2
memory = 8192
image_id = "aliyun_3_x64_20G_alibase_20240819.vhd"
creation_time = 2024-02-20T03:30:00Z

[[disks]]
id = "{disk}"
instance_id = "{id}"
type = "system"
size = 40
encrypted = true
kms_key_id = "{key}"
image_id = "aliyun_3_x64_20G_alibase_20240819.vhd"
creation_time = 2024-02-20T03:30:00Z
"#
        )
    };
    format!(
        "{SANDBOX_TOML}{}{}",
        instance(
            "i-bp1cmk0000000000000a",
            "d-bp1cmk00000000000000",
            "key-hzz65f3b1c6e7x9a0k2m"
        ),
        instance("i-bp1svc0000000000000a", "d-bp1svc00000000000000", ""),
    )
}

/// An image built from `instance`, once Available.
async fn built_from(h: &Harness, instance: &str) -> String {
    let made = h
        .call(
            "CreateImage",
            &[
                ("RegionId", REGION),
                ("InstanceId", instance),
                ("ImageName", &format!("from-{instance}")),
            ],
        )
        .await
        .ok();
    h.sim.advance(Duration::from_secs(600));
    id_of(&made)
}

#[tokio::test]
async fn an_image_built_from_encrypted_disks_keeps_their_key_for_sharing() {
    let h = Harness::seeded(&encrypted_instances()).await;
    let account = ["1111111111111111".to_string()];
    // One snapshot encrypted with the account's key: shared.
    let cmk = built_from(&h, "i-bp1cmk0000000000000a").await;
    share(&h, &cmk, "AddAccount", &account).await.ok();
    // The service key: refused.
    let service = built_from(&h, "i-bp1svc0000000000000a").await;
    share(&h, &service, "AddAccount", &account)
        .await
        .err(403, "InvalidOperation.ServiceKeyEncryptedImageUnsupported");
    // The database server: one of four disks encrypted with a key of the account's, so the
    // image has several snapshots and one encrypted.
    let db = built_from(&h, "i-bp1a3fn8rvl2nqw0t5xk").await;
    share(&h, &db, "AddAccount", &account)
        .await
        .err(403, "OperationDeined.FullImage");
    // A copy of the one-snapshot service-key image re-encrypted with a key of the account's
    // in the destination can be shared there.
    let copied = id_of(
        &copy(
            &h,
            &service,
            &[
                ("Encrypted", "true"),
                ("KMSKeyId", "key-bjz9d4k7s2p8f1m6t0qa"),
            ],
        )
        .await
        .ok(),
    );
    h.sim.advance(Duration::from_secs(600));
    h.call(
        "ModifyImageSharePermission",
        &[
            ("RegionId", BEIJING),
            ("ImageId", &copied),
            ("AddAccount.1", "1111111111111111"),
        ],
    )
    .await
    .ok();
}
