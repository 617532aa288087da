//! What the wizard's pickers and source checks rely on: Resource Manager's
//! ListResourceGroups beside ECS on one listener, the sandbox's refusal rows, snapshot
//! categories and image families.

use crate::sim_harness::*;
use serde_json::Value;

const RESOURCE_MANAGER: &str = "2020-03-31";
const ARCHIVED_SYSTEM_SNAPSHOT: &str = "s-bp1x7c5v3b1n9m8k6j4h";

// --- Resource Manager beside ECS ----------------------------------------------------------------

fn resource_manager(h: &Harness) -> Opts {
    Opts {
        version: Some(RESOURCE_MANAGER),
        ..h.opts()
    }
}

async fn groups(h: &Harness, params: &[(&str, &str)]) -> Value {
    h.v3("ListResourceGroups", params, &resource_manager(h), false)
        .await
        .ok()
}

fn group_ids(body: &Value) -> Vec<&str> {
    body["ResourceGroups"]["ResourceGroup"]
        .as_array()
        .expect("ResourceGroups")
        .iter()
        .filter_map(|g| g["Id"].as_str())
        .collect()
}

#[tokio::test]
async fn resource_groups_are_listed_as_resource_manager_answers() {
    let h = Harness::new().await;
    let all = groups(&h, &[]).await;
    assert_eq!(
        (&all["TotalCount"], &all["PageNumber"], &all["PageSize"]),
        (&Value::from(3), &Value::from(1), &Value::from(10))
    );
    assert_request_id(&all);
    let default = &all["ResourceGroups"]["ResourceGroup"][0];
    assert_eq!(
        default,
        &serde_json::json!({
            "Id": "rg-acfmykd63xkeyvy",
            "Name": "default",
            "DisplayName": "默认资源组",
            "AccountId": "1234567890123456",
            "Status": "OK",
            "CreateDate": "2021-03-08T06:12:45Z",
        })
    );
    // V1 (HMAC-SHA1) reaches the same operation.
    let v1 = h
        .v1(
            "ListResourceGroups",
            &[],
            &resource_manager(&h),
            Placement::Form,
        )
        .await
        .ok();
    assert_eq!(v1["TotalCount"], 3);

    for (params, ids) in [
        (vec![("DisplayName", "测试")], vec!["rg-aek3bvz5p7mcxea"]),
        (vec![("Name", "prod")], vec!["rg-aek2t4crbzbk6ri"]),
        (
            vec![("ResourceGroupId", "rg-aek2t4crbzbk6ri")],
            vec!["rg-aek2t4crbzbk6ri"],
        ),
        (
            vec![
                ("ResourceGroupIds.1", "rg-aek3bvz5p7mcxea"),
                ("ResourceGroupIds.2", "rg-acfmykd63xkeyvy"),
                ("ResourceGroupId", "rg-aek2t4crbzbk6ri"),
            ],
            vec!["rg-acfmykd63xkeyvy", "rg-aek3bvz5p7mcxea"],
        ),
        (
            vec![("Status", "OK")],
            vec![
                "rg-acfmykd63xkeyvy",
                "rg-aek2t4crbzbk6ri",
                "rg-aek3bvz5p7mcxea",
            ],
        ),
        (vec![("Status", "PendingDelete")], vec![]),
        (vec![("Tag.1.Key", "env")], vec![]),
        (
            vec![("PageSize", "2"), ("PageNumber", "2")],
            vec!["rg-aek3bvz5p7mcxea"],
        ),
    ] {
        let body = groups(&h, &params).await;
        assert_eq!(group_ids(&body), ids, "{params:?}: {body}");
    }
    let tagged = groups(&h, &[("IncludeTags", "true")]).await;
    assert_eq!(
        tagged["ResourceGroups"]["ResourceGroup"][0]["Tags"],
        serde_json::json!({"Tag": []})
    );
    let refused = h
        .v3(
            "ListResourceGroups",
            &[("Status", "Gone")],
            &resource_manager(&h),
            false,
        )
        .await;
    refused.err(400, "InvalidParameter");
    assert!(
        refused.body["Recommend"]
            .as_str()
            .is_some_and(|r| r.contains("product=ResourceManager")),
        "{}",
        refused.body
    );
    // Every listed group is one CreateImage accepts.
    for id in group_ids(&all) {
        h.create(&[
            ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
            ("ResourceGroupId", id),
            ("DryRun", "true"),
        ])
        .await
        .err(400, "DryRunOperation");
    }
}

#[tokio::test]
async fn requests_are_routed_by_api_version_then_action() {
    let h = Harness::new().await;
    let rm = resource_manager(&h);
    for (action, opts, status, code) in [
        (
            "ListResourceGroups",
            h.opts(),
            404,
            "InvalidAction.NotFound",
        ),
        (
            "DescribeInstances",
            rm.clone(),
            404,
            "InvalidAction.NotFound",
        ),
        (
            "GetResourceGroup",
            rm.clone(),
            404,
            "InvalidAction.NotFound",
        ),
        (
            "ListResourceGroups",
            Opts {
                version: Some("2099-01-01"),
                ..h.opts()
            },
            400,
            "InvalidVersion",
        ),
    ] {
        h.v3(action, &[("RegionId", REGION)], &opts, false)
            .await
            .err(status, code);
        h.v1(action, &[("RegionId", REGION)], &opts, Placement::Query)
            .await
            .err(status, code);
    }
}

// --- the sandbox's refusal rows ---------------------------------------------------------------

#[tokio::test]
async fn every_refusal_the_seed_documents_is_reachable() {
    let h = Harness::new().await;
    let mapping = |system: &'static str, data: Option<&'static str>| {
        let mut params = vec![
            ("DiskDeviceMapping.1.SnapshotId", system),
            ("DiskDeviceMapping.1.DiskType", "system"),
        ];
        if let Some(data) = data {
            params.push(("DiskDeviceMapping.2.SnapshotId", data));
        }
        params
    };
    let cases: Vec<Case> = vec![
        (
            vec![("InstanceId", STARTING_INSTANCE)],
            400,
            "IncorrectInstanceStatus",
        ),
        (
            vec![("InstanceId", LOCKED_INSTANCE)],
            400,
            "InstanceLockedForSecurity",
        ),
        (
            vec![("InstanceId", NO_SYSTEM_DISK_INSTANCE)],
            400,
            "InvalidInstance.NotFoundSystemDisk",
        ),
        (
            vec![("SnapshotId", PROGRESSING_SNAPSHOT)],
            403,
            "InvalidSnapshotId.NotReady",
        ),
        (
            vec![("SnapshotId", FAILED_SNAPSHOT)],
            403,
            "InvalidSnapshotId.NotReady",
        ),
        (
            vec![("SnapshotId", OLD_SNAPSHOT)],
            403,
            "InvalidSnapshot.TooOld",
        ),
        (
            vec![("SnapshotId", ARCHIVED_SYSTEM_SNAPSHOT)],
            403,
            "InvalidSnapshotCategory.NotSupportImageCreation",
        ),
        (
            mapping(WEB_SYSTEM_SNAPSHOT, Some(ARCHIVE_SNAPSHOT)),
            403,
            "InvalidSnapshotCategory.NotSupportImageCreation",
        ),
        (
            mapping(ENCRYPTED_DATA_SNAPSHOT, None),
            400,
            "InvalidParameter.DiskType",
        ),
        (
            vec![("SnapshotId", WEB_DATA_SNAPSHOT)],
            403,
            "OperationDenied",
        ),
        (
            vec![("InstanceId", ARM_INSTANCE), ("BootMode", "BIOS")],
            400,
            "InvalidBootMode.NotSupport",
        ),
        (
            vec![
                ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("ImageName", "web-base-20240601"),
            ],
            400,
            "InvalidImageName.Duplicated",
        ),
    ];
    for (params, status, code) in cases {
        h.create(&params).await.err(status, code);
    }
    let refused = h.create(&[("SnapshotId", WEB_DATA_SNAPSHOT)]).await;
    assert_eq!(
        refused.body["Message"],
        "The specified snapshot is not allowed to create image."
    );
    // The instance without a system disk still lists its data disk.
    let disks = h
        .call(
            "DescribeDisks",
            &[
                ("RegionId", REGION),
                ("InstanceId", NO_SYSTEM_DISK_INSTANCE),
            ],
        )
        .await
        .ok();
    let types: Vec<&str> = disks["Disks"]["Disk"]
        .as_array()
        .expect("disks")
        .iter()
        .filter_map(|d| d["Type"].as_str())
        .collect();
    assert_eq!(types, ["data"]);
}

#[tokio::test]
async fn snapshots_report_their_category() {
    let h = Harness::new().await;
    let archived = h
        .call(
            "DescribeSnapshots",
            &[("RegionId", REGION), ("Category", "archive")],
        )
        .await
        .ok();
    let mut ids: Vec<&str> = archived["Snapshots"]["Snapshot"]
        .as_array()
        .expect("snapshots")
        .iter()
        .filter_map(|s| s["SnapshotId"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [ARCHIVED_SYSTEM_SNAPSHOT, ARCHIVE_SNAPSHOT]);
    let system = h
        .call(
            "DescribeSnapshots",
            &[
                ("RegionId", REGION),
                (
                    "SnapshotIds",
                    &format!("[\"{ARCHIVED_SYSTEM_SNAPSHOT}\",\"{WEB_SYSTEM_SNAPSHOT}\"]"),
                ),
            ],
        )
        .await
        .ok();
    let categories: Vec<(&str, &str)> = system["Snapshots"]["Snapshot"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| {
            (
                s["SnapshotId"].as_str().unwrap_or_default(),
                s["Category"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        categories,
        [
            (WEB_SYSTEM_SNAPSHOT, "Standard"),
            (ARCHIVED_SYSTEM_SNAPSHOT, "archive")
        ]
    );
}

// --- image families, for a picker ---------------------------------------------------------------

#[tokio::test]
async fn image_families_can_be_listed_and_counted() {
    let h = Harness::new().await;
    let images = |params: Vec<(&'static str, &'static str)>| {
        let h = &h;
        async move {
            let mut all = vec![("RegionId", REGION), ("PageSize", "100")];
            all.extend(params);
            let body = h.call("DescribeImages", &all).await.ok();
            body["Images"]["Image"]
                .as_array()
                .expect("images")
                .iter()
                .map(|i| {
                    (
                        i["ImageFamily"].as_str().unwrap_or_default().to_string(),
                        i["ImageOwnerAlias"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let own = images(vec![("ImageOwnerAlias", "self")]).await;
    assert!(own.iter().all(|(_, owner)| owner == "self"), "{own:?}");
    let mut families: Vec<&str> = own
        .iter()
        .map(|(f, _)| f.as_str())
        .filter(|f| !f.is_empty())
        .collect();
    families.sort_unstable();
    assert_eq!(families, ["db", "web-base"]);
    assert_eq!(
        images(vec![
            ("ImageFamily", "web-base"),
            ("ImageOwnerAlias", "self")
        ])
        .await,
        [("web-base".to_string(), "self".to_string())]
    );
    assert!(
        images(vec![
            ("ImageFamily", "web-base"),
            ("ImageOwnerAlias", "system")
        ])
        .await
        .is_empty()
    );
    assert_eq!(
        images(vec![(
            "ImageFamily",
            "acs:alibaba_cloud_linux_3_2104_lts_x64"
        )])
        .await,
        [(
            "acs:alibaba_cloud_linux_3_2104_lts_x64".to_string(),
            "system".to_string()
        )]
    );
    // A new member counts once it is listed with the statuses a picker asks for.
    h.create(&[
        ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("ImageFamily", "web-base"),
    ])
    .await
    .ok();
    assert_eq!(
        images(vec![
            ("ImageFamily", "web-base"),
            ("ImageOwnerAlias", "self"),
            ("Status", "Creating,Available"),
        ])
        .await
        .len(),
        2
    );
}
