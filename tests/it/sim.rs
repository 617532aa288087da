//! The simulator over real HTTP on loopback: the wire protocol, CreateImage's rules and every
//! operation, through the harness in `sim_harness`.

use crate::sim_harness::*;
use ecsimg::api::sign;
use ecsimg::sim::{
    self, Fault, FaultSpec, KeyPair, SANDBOX_ACCESS_KEY_SECRET, SANDBOX_TOML, Seed, SimConfig,
};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

// --- wire shapes and signature schemes -------------------------------------------------------

#[tokio::test]
async fn v1_get_post_form_and_query_with_sts() {
    let h = Harness::new().await;
    let mut get = h.opts();
    get.method = "GET";
    let sts = h.sts_opts().await;
    for (opts, placement) in [
        (get.clone(), Placement::Query),
        (h.opts(), Placement::Form),
        (h.opts(), Placement::Query),
        (sts.clone(), Placement::Form),
        (
            Opts {
                method: "GET",
                ..sts.clone()
            },
            Placement::Query,
        ),
    ] {
        let resp = h.v1("DescribeRegions", &[], &opts, placement).await;
        assert_eq!(
            resp.headers["x-acs-request-id"],
            resp.body["RequestId"].as_str().unwrap_or_default()
        );
        let body = resp.ok();
        assert_request_id(&body);
        let regions = body["Regions"]["Region"].as_array().expect("regions");
        assert!(regions.len() >= 2);
        assert_eq!(regions[0]["RegionId"], "cn-hangzhou");
        assert_eq!(regions[0]["LocalName"], "华东1（杭州）");
    }
}

#[tokio::test]
async fn v1_as_the_old_python_core_sends_it() {
    // SignatureType= (empty, signed), Format=json in lowercase, spaces as `+` in the query.
    let h = Harness::new().await;
    let params = [
        ("RegionId", REGION),
        ("InstanceId", DB_INSTANCE),
        ("ImageName", "py-core"),
        ("Description", "made by the old core"),
        ("SignatureType", ""),
        ("DryRun", "True"),
    ];
    let mut signed = h.v1_params("CreateImage", &params, &h.opts());
    for (name, value) in signed.iter_mut() {
        if name == "Format" {
            *value = "json".into();
        }
    }
    // Re-sign: the format value changed.
    signed.retain(|(n, _)| n != "Signature");
    let sts = sign::v1_string_to_sign("POST", &signed);
    signed.push((
        "Signature".into(),
        sign::v1_signature(SANDBOX_ACCESS_KEY_SECRET, &sts),
    ));
    let query = sign::encode_pairs(signed.iter()).replace("%20", "+");
    assert!(query.contains("made+by+the+old+core"));
    let resp = h
        .http
        .post(format!("{}/?{query}", h.sim.url()))
        .send()
        .await
        .expect("sent");
    Harness::read(resp).await.err(400, "DryRunOperation");
}

#[tokio::test]
async fn v3_query_form_body_plus_spaces_and_sts() {
    let h = Harness::new().await;
    let sts = h.sts_opts().await;
    for form in [false, true] {
        for o in [h.opts(), sts.clone()] {
            let body = h
                .v3(
                    "DescribeInstances",
                    &[("RegionId", REGION), ("PageSize", "50")],
                    &o,
                    form,
                )
                .await
                .ok();
            assert!(body["TotalCount"].as_u64().unwrap_or(0) >= 6, "{body}");
        }
    }
    // The tea SDK writes spaces as `+` in the query; the signature covers `%20`.
    let (request, _) = h.v3_request(
        "CreateImage",
        &[
            ("RegionId", REGION),
            ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
            ("Platform", "Others Linux"),
            ("Description", "nightly build"),
            ("DryRun", "true"),
        ],
        &h.opts(),
        false,
    );
    let mut request = request.build().expect("request");
    let plus = request.url().as_str().replace("%20", "+");
    *request.url_mut() = reqwest::Url::parse(&plus).expect("url");
    assert!(request.url().as_str().contains("Others+Linux"));
    let resp = Harness::read(h.http.execute(request).await.expect("sent")).await;
    resp.err(400, "DryRunOperation");
    assert_eq!(
        resp.body["Message"],
        "Request validation has been passed with DryRun flag set."
    );
}

// --- authentication ------------------------------------------------------------------------------

#[tokio::test]
async fn v1_auth_rejections() {
    let h = Harness::new().await;
    let bad_secret = Opts {
        secret: "wrong".into(),
        ..h.opts()
    };
    let signed = h.v1_params("DescribeRegions", &[], &bad_secret);
    let resp = h.send_v1(&signed, "POST", Placement::Query).await;
    resp.err(400, "SignatureDoesNotMatch");
    // The old Python core compares the text after the first ':' with its own string to sign.
    let expected = sign::v1_string_to_sign("POST", &signed);
    assert_eq!(
        resp.body["Message"],
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{expected}"
        )
    );

    let unknown = Opts {
        key_id: "LTAInobody".into(),
        ..h.opts()
    };
    h.v1("DescribeRegions", &[], &unknown, Placement::Query)
        .await
        .err(404, "InvalidAccessKeyId.NotFound");

    let stale = (h.sim.clock().now() - chrono::TimeDelta::minutes(16))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let expired = Opts {
        timestamp: Some(stale),
        ..h.opts()
    };
    h.v1("DescribeRegions", &[], &expired, Placement::Query)
        .await
        .err(400, "InvalidTimeStamp.Expired");
    let garbled = Opts {
        timestamp: Some("yesterday".into()),
        ..h.opts()
    };
    h.v1("DescribeRegions", &[], &garbled, Placement::Query)
        .await
        .err(400, "InvalidTimeStamp.Format");

    let fixed_nonce = Opts {
        nonce: Some("same-nonce".into()),
        ..h.opts()
    };
    h.v1("DescribeRegions", &[], &fixed_nonce, Placement::Query)
        .await
        .ok();
    h.v1("DescribeRegions", &[], &fixed_nonce, Placement::Form)
        .await
        .err(400, "SignatureNonceUsed");

    h.v1("NoSuchAction", &[], &h.opts(), Placement::Query)
        .await
        .err(404, "InvalidAction.NotFound");

    let mut signed = h.v1_params("DescribeRegions", &[], &h.opts());
    for (name, value) in signed.iter_mut() {
        if name == "Version" {
            *value = "2016-11-11".into();
        }
    }
    h.send_v1(&signed, "POST", Placement::Query)
        .await
        .err(400, "InvalidVersion");

    let mut signed = h.v1_params("DescribeRegions", &[], &h.opts());
    for (name, value) in signed.iter_mut() {
        if name == "SignatureMethod" {
            *value = "HMAC-MD5".into();
        }
    }
    h.send_v1(&signed, "POST", Placement::Query)
        .await
        .err(400, "IncompleteSignature");

    let mut signed = h.v1_params("DescribeRegions", &[], &h.opts());
    signed.retain(|(n, _)| n != "Signature");
    let resp = h.send_v1(&signed, "POST", Placement::Query).await;
    resp.err(400, "MissingParameter");
    assert!(
        resp.body["Message"]
            .as_str()
            .unwrap_or_default()
            .contains("\"Signature\"")
    );

    // Tampering after signing breaks the signature.
    let mut signed = h.v1_params("DescribeInstances", &[("RegionId", REGION)], &h.opts());
    for (name, value) in signed.iter_mut() {
        if name == "RegionId" {
            *value = "cn-shanghai".into();
        }
    }
    h.send_v1(&signed, "POST", Placement::Query)
        .await
        .err(400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn v3_auth_rejections() {
    let h = Harness::new().await;
    let query = [("RegionId", REGION)];
    let wrong = Opts {
        secret: "wrong".into(),
        ..h.opts()
    };
    let resp = h.v3("DescribeInstances", &query, &wrong, false).await;
    resp.err(400, "SignatureDoesNotMatch");
    assert!(resp.body["Message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("Specified signature is not matched with our calculation. server string to sign is:ACS3-HMAC-SHA256\n"));

    let unknown = Opts {
        key_id: "LTAInobody".into(),
        ..h.opts()
    };
    h.v3("DescribeInstances", &query, &unknown, false)
        .await
        .err(404, "InvalidAccessKeyId.NotFound");

    let future = (h.sim.clock().now() + chrono::TimeDelta::minutes(20))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let expired = Opts {
        timestamp: Some(future),
        ..h.opts()
    };
    h.v3("DescribeInstances", &query, &expired, false)
        .await
        .err(400, "InvalidTimeStamp.Expired");

    let replay = Opts {
        nonce: Some("v3-nonce".into()),
        ..h.opts()
    };
    h.v3("DescribeInstances", &query, &replay, false).await.ok();
    h.v3("DescribeInstances", &query, &replay, false)
        .await
        .err(400, "SignatureNonceUsed");

    h.v3("DescribeEverything", &query, &h.opts(), false)
        .await
        .err(404, "InvalidAction.NotFound");

    // Header-level tampering: each builds a correctly signed request, then breaks one thing.
    let send = |edit: fn(&mut reqwest::Request)| {
        let (request, _) = h.v3_request("DescribeInstances", &query, &h.opts(), false);
        let mut request = request.build().expect("request");
        edit(&mut request);
        let http = h.http.clone();
        async move { Harness::read(http.execute(request).await.expect("sent")).await }
    };
    send(|r| {
        r.headers_mut().insert(
            "authorization",
            "ACS3-HMAC-SHA256 Credential=x".parse().unwrap(),
        );
    })
    .await
    .err(400, "IncompleteSignature");
    send(|r| {
        r.headers_mut().insert(
            "authorization",
            "ACS3-HMAC-SM3 Credential=LTAIsandbox,SignedHeaders=host,Signature=00"
                .parse()
                .unwrap(),
        );
    })
    .await
    .err(400, "IncompleteSignature");
    send(|r| {
        // A valid-looking Authorization that leaves x-acs-date unsigned.
        let auth = r.headers()["authorization"]
            .to_str()
            .unwrap()
            .replace("x-acs-date;", "");
        r.headers_mut()
            .insert("authorization", auth.parse().unwrap());
    })
    .await
    .err(400, "IncompleteSignature");
    send(|r| {
        r.headers_mut()
            .insert("x-acs-version", "2016-11-11".parse().unwrap());
    })
    .await
    .err(400, "InvalidVersion");
    send(|r| {
        *r.body_mut() = Some("RegionId=cn-shanghai".into());
    })
    .await
    .err(400, "SignatureDoesNotMatch");
    send(|r| {
        *r.url_mut() =
            reqwest::Url::parse(&r.url().as_str().replace("cn-hangzhou", "cn-shanghai")).unwrap();
    })
    .await
    .err(400, "SignatureDoesNotMatch");
    send(|r| {
        *r.method_mut() = reqwest::Method::PUT;
    })
    .await
    .err(403, "UnsupportedHTTPMethod");
    // A security token sent but left out of SignedHeaders.
    send(|r| {
        r.headers_mut()
            .insert("x-acs-security-token", "tok".parse().unwrap());
    })
    .await
    .err(400, "IncompleteSignature");
}

// --- CreateImage ---------------------------------------------------------------------------------

#[tokio::test]
async fn create_image_error_matrix() {
    let h = Harness::new().await;
    let tags21: Vec<(String, String)> = (1..=21)
        .flat_map(|i| {
            [
                (format!("Tag.{i}.Key"), format!("k{i}")),
                (format!("Tag.{i}.Value"), "v".to_string()),
            ]
        })
        .collect();
    let tags21: Vec<(&str, &str)> = tags21
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut seventeen_data = vec![(
        "DiskDeviceMapping.1.SnapshotId".to_string(),
        WEB_SYSTEM_SNAPSHOT.to_string(),
    )];
    for i in 2..=18 {
        seventeen_data.push((format!("DiskDeviceMapping.{i}.Size"), "20".into()));
    }
    let seventeen_data: Vec<(&str, &str)> = seventeen_data
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let snap = ("SnapshotId", WEB_SYSTEM_SNAPSHOT);
    let long_version = "9".repeat(41);
    // The refusals the sandbox seed itself produces are listed in `sim_operations`.
    let cases: Vec<Case> = vec![
        (
            vec![snap, ("ImageName", "1-starts-with-digit")],
            400,
            "InvalidImageName.Malformed",
        ),
        (
            vec![snap, ("ImageName", "has space")],
            400,
            "InvalidImageName.Malformed",
        ),
        (
            vec![snap, ("Description", "x")],
            400,
            "InvalidDescription.Malformed",
        ),
        (
            vec![snap, ("ImageFamily", "aliyun-family")],
            400,
            "InvalidImageFamily.Malformed",
        ),
        (
            vec![snap, ("ImageVersion", &long_version)],
            400,
            "InvalidImageVersion.Malformed",
        ),
        (
            vec![snap, ("Platform", "Windows 95")],
            400,
            "InvalidPlatform.Malformed",
        ),
        (
            vec![snap, ("Architecture", "sparc")],
            400,
            "InvalidArchitecture.Malformed",
        ),
        (
            vec![snap, ("BootMode", "uefi")],
            400,
            "InvalidBootMode.Malformed",
        ),
        (
            vec![snap, ("ClientToken", "tök")],
            400,
            "InvalidClientToken.ValueNotSupported",
        ),
        (
            vec![snap, ("DetectionStrategy", "Deep")],
            400,
            "InvalidDetectionStrategy.Malformed",
        ),
        (
            vec![snap, ("Features.ImdsSupport", "v3")],
            400,
            "InvalidParameter.FeaturesImdsSupport",
        ),
        (
            vec![snap, ("Tag.1.Key", "acs:env")],
            400,
            "InvalidTagKey.Malformed",
        ),
        (
            vec![snap, ("Tag.1.Value", "no key")],
            400,
            "InvalidTagKey.Malformed",
        ),
        (
            vec![snap, ("Tag.1.Key", "env"), ("Tag.1.Value", "http://x")],
            400,
            "InvalidTagValue.Malformed",
        ),
        (
            vec![snap, ("Tag.1.Key", "env"), ("Tag.2.key", "env")],
            400,
            "Duplicate.TagKey",
        ),
        ([vec![snap], tags21].concat(), 403, "QuotaExceed.Tags"),
        (
            vec![
                ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("DiskDeviceMapping.2.Device", "/dev/vdb"),
            ],
            400,
            "InvalidDevice.Malformed",
        ),
        (
            vec![
                ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("DiskDeviceMapping.1.Device", "/dev/xvdb"),
                ("DiskDeviceMapping.1.DiskType", "system"),
            ],
            400,
            "InvalidDevice.Malformed",
        ),
        (
            vec![
                ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("DiskDeviceMapping.2.Device", "/dev/xvdc"),
                ("DiskDeviceMapping.3.Device", "/dev/xvdc"),
            ],
            400,
            "InvalidDevice.InUse",
        ),
        (
            vec![
                ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("DiskDeviceMapping.1.DiskType", "root"),
            ],
            400,
            "InvalidDiskType.ValueNotSupported",
        ),
        (
            vec![
                ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("DiskDeviceMapping.2.Size", "10"),
            ],
            400,
            "InvalidSize.ValueNotSupported",
        ),
        (
            vec![
                ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("DiskDeviceMapping.1.Size", "30"),
            ],
            400,
            "InvalidSize.ValueNotSupported",
        ),
        (vec![("ImageName", "no-source")], 400, "MissingParameter"),
        (
            vec![("InstanceId", "i-bp1doesnotexist0000")],
            404,
            "InvalidInstanceId.NotFound",
        ),
        (
            vec![("SnapshotId", "s-bp1doesnotexist0000")],
            404,
            "InvalidSnapshotId.NotFound",
        ),
        (
            vec![("DiskDeviceMapping.1.SnapshotId", WEB_DATA_SNAPSHOT)],
            400,
            "OperationDenied",
        ),
        (
            vec![
                ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
                ("DiskDeviceMapping.2.SnapshotId", DB_SYSTEM_SNAPSHOT),
            ],
            400,
            "OperationDenied",
        ),
        (seventeen_data, 400, "InvalidParameter"),
        (
            vec![snap, ("ResourceGroupId", "rg-doesnotexist")],
            404,
            "InvalidResourceGroup.NotFound",
        ),
        (vec![snap, ("DryRun", "maybe")], 400, "InvalidParameter"),
    ];
    let before = h.sim.images(REGION).len();
    for (params, status, code) in &cases {
        h.create(params).await.err(*status, code);
    }
    h.call("CreateImage", &[("RegionId", "xx-nowhere-1"), snap])
        .await
        .err(404, "InvalidRegionId.NotFound");
    h.call("CreateImage", &[snap])
        .await
        .err(400, "MissingParameter");
    assert_eq!(
        h.sim.images(REGION).len(),
        before,
        "no failed call may create an image"
    );
}

#[tokio::test]
async fn source_priority_and_valid_mappings() {
    let h = Harness::new().await;
    // InstanceId wins: the broken SnapshotId and mapping are ignored.
    h.create(&[
        ("InstanceId", DB_INSTANCE),
        ("SnapshotId", "s-bp1doesnotexist0000"),
        ("DiskDeviceMapping.1.SnapshotId", "s-bp1doesnotexist0001"),
        ("DryRun", "true"),
    ])
    .await
    .err(400, "DryRunOperation");
    // A mapping beats SnapshotId.
    h.create(&[
        ("SnapshotId", "s-bp1doesnotexist0000"),
        ("DiskDeviceMapping.1.SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("DryRun", "true"),
    ])
    .await
    .err(400, "DryRunOperation");
    // A data-disk snapshot promoted to system disk, an empty data disk and a data snapshot.
    let id = h
        .create(&[
            ("ImageName", "promoted-data"),
            ("DiskDeviceMapping.1.SnapshotId", WEB_DATA_SNAPSHOT),
            ("DiskDeviceMapping.1.DiskType", "system"),
            ("DiskDeviceMapping.2.Size", "50"),
            ("DiskDeviceMapping.3.SnapshotId", "s-bp1e7u3c9k1z5r8p2t4w"),
            ("DiskDeviceMapping.3.Device", "/dev/xvdb"),
            ("Platform", "Ubuntu"),
            ("Architecture", "arm64"),
            ("BootMode", "UEFI"),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", ""),
        ])
        .await
        .ok()["ImageId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let image = h.image(&id).await;
    assert_eq!(image["Platform"], "Ubuntu");
    assert_eq!(image["Architecture"], "arm64");
    assert_eq!(image["OSType"], "linux");
    assert_eq!(image["Size"], 100);
    assert_eq!(
        image["Tags"]["Tag"][0],
        serde_json::json!({"TagKey": "env", "TagValue": ""})
    );
    let disks = image["DiskDeviceMappings"]["DiskDeviceMapping"]
        .as_array()
        .expect("disks")
        .clone();
    let shape: Vec<(String, String, String)> = disks
        .iter()
        .map(|d| {
            (
                d["Device"].as_str().unwrap_or_default().into(),
                d["Type"].as_str().unwrap_or_default().into(),
                d["Size"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            ("/dev/xvda".into(), "system".into(), "100".into()),
            ("/dev/xvdb".into(), "data".into(), "200".into()),
            ("/dev/xvdc".into(), "data".into(), "50".into()),
        ]
    );
}

#[tokio::test]
async fn dry_run_validates_and_creates_nothing() {
    let h = Harness::new().await;
    let (images, snapshots) = (h.sim.images(REGION).len(), h.sim.snapshot_count(REGION));
    let resp = h
        .create(&[
            ("InstanceId", DB_INSTANCE),
            ("ImageName", "dry"),
            ("ClientToken", "tok-dry"),
            ("DryRun", "true"),
        ])
        .await;
    resp.err(400, "DryRunOperation");
    assert_eq!(h.sim.images(REGION).len(), images);
    assert_eq!(h.sim.snapshot_count(REGION), snapshots);
    // Checks still run under DryRun.
    h.create(&[("InstanceId", LOCKED_INSTANCE), ("DryRun", "true")])
        .await
        .err(400, "InstanceLockedForSecurity");
    // The dry run did not record its token: the real call with it creates an image.
    h.create(&[
        ("InstanceId", DB_INSTANCE),
        ("ImageName", "dry"),
        ("ClientToken", "tok-dry"),
    ])
    .await
    .ok();
    assert_eq!(h.sim.images(REGION).len(), images + 1);
    // DryRun on the other operations too.
    for (action, params) in [
        (
            "DescribeImages",
            vec![("RegionId", REGION), ("DryRun", "true")],
        ),
        ("DescribeRegions", vec![("DryRun", "true")]),
        (
            "DeleteImage",
            vec![
                ("RegionId", REGION),
                ("ImageId", USED_IMAGE),
                ("Force", "true"),
                ("DryRun", "true"),
            ],
        ),
        (
            "StopInstances",
            vec![
                ("RegionId", REGION),
                ("InstanceId.1", WEB_INSTANCE),
                ("DryRun", "true"),
            ],
        ),
    ] {
        h.call(action, &params).await.err(400, "DryRunOperation");
    }
    assert_eq!(
        h.sim.instance_status(REGION, WEB_INSTANCE).as_deref(),
        Some("Running")
    );
}

#[tokio::test]
async fn client_token_idempotency_both_ways() {
    let h = Harness::new().await;
    let params = [
        ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("ImageName", "idem"),
        ("ClientToken", "123e4567-e89b-12d3-a456-426655440000"),
    ];
    let first = h.create(&params).await.ok();
    // A retry (new nonce, timestamp, signature scheme) returns the same image.
    let retry = h
        .v1(
            "CreateImage",
            &[&[("RegionId", REGION)][..], &params].concat(),
            &h.opts(),
            Placement::Form,
        )
        .await
        .ok();
    assert_eq!(first["ImageId"], retry["ImageId"]);
    assert_ne!(first["RequestId"], retry["RequestId"]);
    assert_eq!(
        h.sim
            .images(REGION)
            .iter()
            .filter(|i| i.name == "idem")
            .count(),
        1
    );
    let changed = [
        ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("ImageName", "idem-2"),
        ("ClientToken", "123e4567-e89b-12d3-a456-426655440000"),
    ];
    h.create(&changed)
        .await
        .err(400, "IdempotenceParamNotMatch");
    assert!(h.sim.images(REGION).iter().all(|i| i.name != "idem-2"));
}

#[tokio::test]
async fn quotas_from_the_seed_file() {
    let toml = SANDBOX_TOML.replace(
        "images = 30              # custom images",
        "images = 6              # custom images",
    );
    let toml = toml
        .replace("images_per_family = 100", "images_per_family = 1")
        .replace("families = 100 ", "families = 3 ");
    let h = Harness::seeded(&toml).await;
    // The seed has families web-base and db: "web-base" is full (1 per family).
    h.create(&[
        ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("ImageFamily", "web-base"),
    ])
    .await
    .err(400, "ImageQuotaExceed.ImageFamily");
    h.create(&[
        ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("ImageFamily", "third"),
    ])
    .await
    .ok();
    h.create(&[
        ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("ImageFamily", "fourth"),
    ])
    .await
    .err(400, "ImageFamilyQuotaExceed");
    h.create(&[("SnapshotId", WEB_SYSTEM_SNAPSHOT)]).await.ok();
    h.create(&[("SnapshotId", WEB_SYSTEM_SNAPSHOT)]).await.ok();
    h.create(&[("SnapshotId", WEB_SYSTEM_SNAPSHOT)])
        .await
        .err(403, "QuotaExceed.Image");
}

// --- progress over simulated time ---------------------------------------------------------------

#[tokio::test]
async fn progress_reaches_available_via_the_clock() {
    let h = Harness::new().await;
    let id = h
        .create(&[
            ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
            ("ImageName", "progress"),
        ])
        .await
        .ok()["ImageId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(id.starts_with("m-bp1") && id.len() == 22, "{id}");
    // DescribeImages defaults to Status=Available: a creating image is not listed.
    let default = h
        .call("DescribeImages", &[("RegionId", REGION), ("ImageId", &id)])
        .await
        .ok();
    assert_eq!(default["TotalCount"], 0);
    let image = h.image(&id).await;
    assert_eq!(
        (image["Status"].as_str(), image["Progress"].as_str()),
        (Some("Creating"), Some("0%"))
    );
    assert_eq!(image["ImageOwnerAlias"], "self");
    assert_eq!(image["Usable"], false);
    h.sim.advance(Duration::from_secs(10));
    let image = h.image(&id).await;
    assert_eq!(image["Progress"], "50%");
    let disk = &image["DiskDeviceMappings"]["DiskDeviceMapping"][0];
    assert_eq!(disk["Progress"], "50%");
    assert_eq!(disk["RemainTime"], 10);
    assert_eq!(disk["Size"], "40");
    h.sim.advance(Duration::from_secs(10));
    let image = h.image(&id).await;
    assert_eq!(
        (image["Status"].as_str(), image["Progress"].as_str()),
        (Some("Available"), Some("100%"))
    );
    assert_eq!(image["Usable"], true);
    let listed = h
        .call("DescribeImages", &[("RegionId", REGION), ("ImageId", &id)])
        .await
        .ok();
    assert_eq!(listed["TotalCount"], 1);
}

#[tokio::test]
async fn speed_scales_simulated_time() {
    let h = Harness::with(|c| c.speed = 4.0).await;
    let id = h.create(&[("SnapshotId", WEB_SYSTEM_SNAPSHOT)]).await.ok()["ImageId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.sim.advance(Duration::from_secs(5));
    assert_eq!(h.image(&id).await["Status"], "Available");
}

#[tokio::test]
async fn seeded_faults_end_in_create_failed() {
    let h = Harness::new().await;
    for (source, percent) in [
        (("SnapshotId", FAILING_SNAPSHOT), "40%"),
        (("InstanceId", WIN_INSTANCE), "60%"),
    ] {
        let id = h.create(&[source]).await.ok()["ImageId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        h.sim.advance(Duration::from_secs(30));
        let image = h.image(&id).await;
        assert_eq!(image["Status"], "CreateFailed", "{image}");
        assert_eq!(image["Progress"], percent);
        assert_eq!(image["Usable"], false);
    }
}

#[tokio::test]
async fn instance_source_snapshots_every_disk_and_inherits_the_os() {
    let h = Harness::new().await;
    let before = h.sim.snapshot_count(REGION);
    let id = h
        .create(&[
            ("InstanceId", DB_INSTANCE),
            ("ImageName", "数据库-整机镜像"),
            ("ImageFamily", "db"),
        ])
        .await
        .ok()["ImageId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(h.sim.snapshot_count(REGION), before + 4);
    let made = h
        .call(
            "DescribeSnapshots",
            &[
                ("RegionId", REGION),
                ("InstanceId", DB_INSTANCE),
                ("Usage", "image"),
            ],
        )
        .await
        .ok();
    let snapshots = made["Snapshots"]["Snapshot"]
        .as_array()
        .expect("snapshots")
        .clone();
    assert_eq!(snapshots.len(), 4, "{made}");
    assert!(snapshots.iter().all(|s| s["Status"] == "progressing"));
    let image = h.image(&id).await;
    assert_eq!(image["Platform"], "Aliyun");
    assert_eq!(image["Architecture"], "x86_64");
    assert_eq!(image["Features"]["ImdsSupport"], "v2");
    assert_eq!(image["OSNameEn"], "Alibaba Cloud Linux  3.2104 LTS 64 bit");
    let mappings = image["DiskDeviceMappings"]["DiskDeviceMapping"]
        .as_array()
        .expect("mappings")
        .clone();
    let devices: Vec<&str> = mappings
        .iter()
        .map(|m| m["Device"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        devices,
        ["/dev/xvda", "/dev/xvdb", "/dev/xvdc", "/dev/xvdd"]
    );
    for mapping in &mappings {
        assert!(
            snapshots
                .iter()
                .any(|s| s["SnapshotId"] == mapping["SnapshotId"]),
            "{mapping} references a new snapshot"
        );
    }
    assert_eq!(mappings[2]["Encrypted"], true);
    h.sim.advance(Duration::from_secs(25));
    let done = h
        .call(
            "DescribeSnapshots",
            &[
                ("RegionId", REGION),
                ("InstanceId", DB_INSTANCE),
                ("Usage", "image"),
                ("Status", "accomplished"),
            ],
        )
        .await
        .ok();
    assert_eq!(done["TotalCount"], 4);
    assert_eq!(h.image(&id).await["Status"], "Available");
    // The new snapshots are usable sources in their own right.
    let system = mappings[0]["SnapshotId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.create(&[("SnapshotId", &system), ("DryRun", "true")])
        .await
        .err(400, "DryRunOperation");
}

#[tokio::test]
async fn detection_options_report_the_seeded_risks() {
    let h = Harness::new().await;
    let id = h
        .create(&[
            ("InstanceId", DB_INSTANCE),
            ("DetectionStrategy", "Standard"),
        ])
        .await
        .ok()["ImageId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let detection = |image: &Value| image["DetectionOptions"].clone();
    assert_eq!(detection(&h.image(&id).await)["Status"], "Processing");
    h.sim.advance(Duration::from_secs(21));
    let image = h.image(&id).await;
    assert_eq!(image["Status"], "Available");
    assert_eq!(
        detection(&image)["Status"],
        "Processing",
        "the check runs after the image is ready"
    );
    h.sim.advance(Duration::from_secs(6));
    let options = detection(&h.image(&id).await);
    assert_eq!(options["Status"], "Finished");
    let items = options["Items"]["Item"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1],
        serde_json::json!({"Name": "NVMeDriver", "Value": "Missing", "RiskLevel": "High", "RiskCode": "NVMe.DriverNotFound"})
    );
    // Without a strategy there is no check; a snapshot source carries the snapshot's risks.
    let plain = h.create(&[("SnapshotId", DB_SYSTEM_SNAPSHOT)]).await.ok();
    assert!(
        h.image(plain["ImageId"].as_str().unwrap_or_default())
            .await
            .get("DetectionOptions")
            .is_none()
    );
    let checked = h
        .create(&[
            ("SnapshotId", DB_SYSTEM_SNAPSHOT),
            ("DetectionStrategy", "Standard"),
        ])
        .await
        .ok();
    h.sim.advance(Duration::from_secs(60));
    let options = detection(
        &h.image(checked["ImageId"].as_str().unwrap_or_default())
            .await,
    );
    assert_eq!(
        options["Items"]["Item"][0]["RiskCode"],
        "CloudAssistant.NotInstalled"
    );
}

// --- other operations ------------------------------------------------------------------------------

#[tokio::test]
async fn stop_instances_lifecycle() {
    let h = Harness::new().await;
    let body = h
        .call(
            "StopInstances",
            &[("RegionId", REGION), ("InstanceId.1", WEB_INSTANCE)],
        )
        .await
        .ok();
    let response = &body["InstanceResponses"]["InstanceResponse"][0];
    assert_eq!(
        (
            response["PreviousStatus"].as_str(),
            response["CurrentStatus"].as_str(),
            response["Code"].as_str()
        ),
        (Some("Running"), Some("Stopping"), Some("200"))
    );
    let status = || async {
        let ids = format!("[\"{WEB_INSTANCE}\"]");
        h.call(
            "DescribeInstances",
            &[("RegionId", REGION), ("InstanceIds", &ids)],
        )
        .await
        .ok()["Instances"]["Instance"][0]["Status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(status().await, "Stopping");
    h.create(&[("InstanceId", WEB_INSTANCE)])
        .await
        .err(400, "IncorrectInstanceStatus");
    h.sim.advance(Duration::from_secs(6));
    assert_eq!(status().await, "Stopped");
    h.create(&[("InstanceId", WEB_INSTANCE), ("DryRun", "true")])
        .await
        .err(400, "DryRunOperation");
    h.call(
        "StopInstances",
        &[("RegionId", REGION), ("InstanceId.1", WEB_INSTANCE)],
    )
    .await
    .err(400, "IncorrectInstanceStatus");
    h.call(
        "StopInstances",
        &[("RegionId", REGION), ("InstanceId.1", LOCKED_INSTANCE)],
    )
    .await
    .err(400, "InstanceLockedForSecurity");
    h.call("StopInstances", &[("RegionId", REGION)])
        .await
        .err(400, "MissingParameter");
    // SuccessFirst: each instance on its own.
    let mixed = h
        .call(
            "StopInstances",
            &[
                ("RegionId", REGION),
                ("InstanceId.1", ARM_INSTANCE),
                ("InstanceId.2", "i-bp1doesnotexist0000"),
                ("BatchOptimization", "SuccessFirst"),
            ],
        )
        .await
        .ok();
    let codes: Vec<&str> = mixed["InstanceResponses"]["InstanceResponse"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["200", "InvalidInstanceId.NotFound"]);
    assert_eq!(
        h.sim.instance_status(REGION, ARM_INSTANCE).as_deref(),
        Some("Stopping")
    );
}

#[tokio::test]
async fn delete_image_rules() {
    let h = Harness::new().await;
    let id = h.create(&[("SnapshotId", WEB_SYSTEM_SNAPSHOT)]).await.ok()["ImageId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.call("DeleteImage", &[("RegionId", REGION), ("ImageId", &id)])
        .await
        .ok();
    assert!(h.sim.images(REGION).iter().all(|i| i.id != id));
    h.call("DeleteImage", &[("RegionId", REGION), ("ImageId", &id)])
        .await
        .err(404, "InvalidImageId.NotFound");
    h.call(
        "DeleteImage",
        &[
            ("RegionId", REGION),
            ("ImageId", "aliyun_3_x64_20G_alibase_20240819.vhd"),
        ],
    )
    .await
    .err(404, "InvalidImageId.NotFound");
    h.call(
        "DeleteImage",
        &[("RegionId", REGION), ("ImageId", USED_IMAGE)],
    )
    .await
    .err(403, "ImageUsingByInstance");
    h.call(
        "DeleteImage",
        &[
            ("RegionId", REGION),
            ("ImageId", USED_IMAGE),
            ("Force", "TRUE"),
        ],
    )
    .await
    .ok();
    h.call("DeleteImage", &[("RegionId", REGION)])
        .await
        .err(400, "MissingParameter");
}

#[tokio::test]
async fn describe_shapes_and_filters() {
    let h = Harness::new().await;
    let disks = h
        .call(
            "DescribeDisks",
            &[("RegionId", REGION), ("InstanceId", DB_INSTANCE)],
        )
        .await
        .ok();
    assert_eq!(disks["TotalCount"], 4);
    let disk = &disks["Disks"]["Disk"][0];
    assert!(
        disk["Size"].is_u64()
            && disk["Encrypted"].is_boolean()
            && disk["Attachments"]["Attachment"].is_array()
    );
    let system = h
        .call(
            "DescribeSnapshots",
            &[
                ("RegionId", REGION),
                ("SourceDiskType", "System"),
                ("PageSize", "100"),
            ],
        )
        .await
        .ok();
    let rows = system["Snapshots"]["Snapshot"]
        .as_array()
        .expect("snapshots")
        .clone();
    assert!(rows.len() >= 5 && rows.iter().all(|s| s["SourceDiskType"] == "system"));
    assert!(rows.iter().all(|s| s["SourceDiskSize"].is_string()
        && s["Progress"].as_str().is_some_and(|p| p.ends_with('%'))));
    let ids = format!("[\"{PROGRESSING_SNAPSHOT}\",\"{FAILED_SNAPSHOT}\"]");
    let two = h
        .call(
            "DescribeSnapshots",
            &[("RegionId", REGION), ("SnapshotIds", &ids)],
        )
        .await
        .ok();
    assert_eq!(two["TotalCount"], 2);
    let empty = h
        .call(
            "DescribeInstances",
            &[("RegionId", REGION), ("InstanceIds", "[]")],
        )
        .await
        .ok();
    assert_eq!(empty["TotalCount"], 0);
    h.call(
        "DescribeInstances",
        &[("RegionId", REGION), ("InstanceIds", "i-not-json")],
    )
    .await
    .err(400, "InvalidParameter");
    let locked = h
        .call(
            "DescribeInstances",
            &[
                ("RegionId", REGION),
                ("InstanceIds", &format!("[\"{LOCKED_INSTANCE}\"]")),
            ],
        )
        .await
        .ok();
    let instance = &locked["Instances"]["Instance"][0];
    assert_eq!(
        instance["OperationLocks"]["LockReason"][0]["LockReason"],
        "security"
    );
    assert!(instance["Cpu"].is_u64() && instance["Memory"].is_u64());
    assert_eq!(
        instance["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0],
        "172.16.0.66"
    );
    let named = h
        .call(
            "DescribeInstances",
            &[("RegionId", REGION), ("InstanceName", "web-*")],
        )
        .await
        .ok();
    assert_eq!(named["TotalCount"], 1);
    let own = h
        .call(
            "DescribeImages",
            &[
                ("RegionId", REGION),
                ("ImageOwnerAlias", "self"),
                ("Status", "Available,CreateFailed"),
            ],
        )
        .await
        .ok();
    assert_eq!(own["TotalCount"], 3);
    let image = own["Images"]["Image"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["ImageId"] == USED_IMAGE))
        .expect("seeded image")
        .clone();
    assert_eq!(image["Usage"], "instance");
    assert_eq!(image["IsSelfShared"], "False");
    assert_eq!(
        image["DiskDeviceMappings"]["DiskDeviceMapping"][0]["Size"],
        "40"
    );
    assert!(image["ImageOwnerId"].is_u64() && image["IsPublic"] == false);
    let pair = h
        .call(
            "DescribeImages",
            &[
                ("RegionId", REGION),
                ("ImageId", &format!("{USED_IMAGE},m-bp17441ohwkdca0xbdq2")),
                ("Status", "ALL"),
            ],
        )
        .await
        .ok();
    assert_eq!(pair["TotalCount"], 2);
    let english = h
        .call("DescribeRegions", &[("AcceptLanguage", "en-US")])
        .await
        .ok();
    assert_eq!(
        english["Regions"]["Region"][0]["LocalName"],
        "China (Hangzhou)"
    );
    let shanghai = h
        .call("DescribeInstances", &[("RegionId", "cn-shanghai")])
        .await
        .ok();
    assert_eq!(
        shanghai["Instances"]["Instance"][0]["InstanceName"],
        "上海-跳板机"
    );
    h.call(
        "DescribeImages",
        &[("RegionId", REGION), ("Status", "Broken")],
    )
    .await
    .err(400, "InvalidParameter");
    h.call("DescribeSnapshots", &[("RegionId", "mars-1")])
        .await
        .err(404, "InvalidRegionId.NotFound");
}

#[tokio::test]
async fn pagination_both_styles_on_a_generated_region() {
    let toml = format!(
        "{SANDBOX_TOML}\n[generate]\nregion = \"cn-beijing\"\ninstances = 20000\nsnapshots = 100000\n"
    );
    let h = Harness::seeded(&toml).await;
    let region = ("RegionId", "cn-beijing");
    // Token style: walk every instance, 100 per page.
    let mut seen = std::collections::HashSet::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let mut params = vec![region, ("MaxResults", "100")];
        if !token.is_empty() {
            params.push(("NextToken", &token));
        }
        let page = h.call("DescribeInstances", &params).await.ok();
        pages += 1;
        assert_eq!(page["TotalCount"], 20000);
        for instance in page["Instances"]["Instance"].as_array().expect("instances") {
            assert!(
                seen.insert(
                    instance["InstanceId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                )
            );
        }
        token = page["NextToken"].as_str().unwrap_or_default().to_string();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!((seen.len(), pages), (20000, 200));
    // Snapshots: token pages with a filter, and numbered pages that agree with them.
    let first = h
        .call(
            "DescribeSnapshots",
            &[region, ("MaxResults", "50"), ("SnapshotType", "auto")],
        )
        .await
        .ok();
    assert_eq!(first["TotalCount"], 50000);
    let next = first["NextToken"].as_str().unwrap_or_default().to_string();
    let second = h
        .call(
            "DescribeSnapshots",
            &[
                region,
                ("MaxResults", "50"),
                ("SnapshotType", "auto"),
                ("NextToken", &next),
            ],
        )
        .await
        .ok();
    let numbered = h
        .call(
            "DescribeSnapshots",
            &[
                region,
                ("PageNumber", "2"),
                ("PageSize", "50"),
                ("SnapshotType", "auto"),
            ],
        )
        .await
        .ok();
    assert_eq!(numbered["PageNumber"], 2);
    assert_eq!(
        second["Snapshots"]["Snapshot"],
        numbered["Snapshots"]["Snapshot"]
    );
    // MaxResults outside the documented range is clamped, not refused.
    let clamped = h
        .call("DescribeSnapshots", &[region, ("MaxResults", "1000")])
        .await
        .ok();
    assert_eq!(
        clamped["Snapshots"]["Snapshot"].as_array().map(Vec::len),
        Some(100)
    );
    h.call("DescribeSnapshots", &[region, ("NextToken", "garbage")])
        .await
        .err(400, "InvalidParameter");
    h.call("DescribeSnapshots", &[region, ("PageSize", "0")])
        .await
        .err(400, "InvalidParameter");
    // DescribeImages pages by number only.
    let mut names = Vec::new();
    for page in ["1", "2", "3"] {
        let body = h
            .call(
                "DescribeImages",
                &[
                    ("RegionId", REGION),
                    ("Status", "ALL"),
                    ("PageSize", "3"),
                    ("PageNumber", page),
                ],
            )
            .await
            .ok();
        assert_eq!(
            (body["TotalCount"].as_u64(), body["PageSize"].as_u64()),
            (Some(7), Some(3))
        );
        assert!(body.get("NextToken").is_none());
        for image in body["Images"]["Image"].as_array().expect("images") {
            names.push(image["ImageId"].as_str().unwrap_or_default().to_string());
        }
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 7);
}

// --- faults and hostile input ----------------------------------------------------------------------

#[tokio::test]
async fn scripted_faults() {
    let h = Harness::new().await;
    h.sim.faults().fail_next(2, Fault::InternalError);
    h.call("DescribeRegions", &[])
        .await
        .err(500, "InternalError");
    h.call("DescribeRegions", &[])
        .await
        .err(500, "InternalError");
    h.call("DescribeRegions", &[]).await.ok();
    let next = h.sim.faults().calls() + 1;
    h.sim.faults().fault_call(next, Fault::Throttle);
    let throttled = h.call("DescribeRegions", &[]).await;
    throttled.err(400, "Throttling");
    assert_eq!(throttled.headers["x-acs-retry-after"], "1000");
    h.sim
        .faults()
        .fail_next_action("CreateImage", 1, Fault::ServiceUnavailable);
    h.call("DescribeRegions", &[]).await.ok();
    h.create(&[("SnapshotId", WEB_SYSTEM_SNAPSHOT)])
        .await
        .err(503, "ServiceUnavailable");
    h.sim.faults().fail_next(1, Fault::Forbidden);
    h.call("DescribeRegions", &[])
        .await
        .err(403, "Forbidden.RAM");
    // A dropped call closes the connection without any response.
    h.sim.faults().fail_next(1, Fault::Drop);
    let (request, _) = h.v3_request("DescribeRegions", &[], &h.opts(), false);
    let error = request.send().await.expect_err("dropped");
    assert!(!error.is_status(), "{error}");
    h.call("DescribeRegions", &[]).await.ok();
}

/// A lost answer: CreateImage acts, then the connection closes without the reply. The client
/// learns no ImageId, yet the image exists; re-sending with the same ClientToken names it and
/// creates no second one. A drop, by contrast, closes the connection before anything happens.
#[tokio::test]
async fn a_lost_create_answer_is_recovered_by_its_client_token() {
    let harness = Harness::new().await;
    let h = &harness;
    let params = [
        ("RegionId", REGION),
        ("SnapshotId", WEB_SYSTEM_SNAPSHOT),
        ("ImageName", "lost-answer"),
        ("ClientToken", "0b7c2d4e-5f60-4a1b-8c9d-0e1f2a3b4c5d"),
    ];
    let sent_but_unanswered = |fault| async move {
        assert!(h.sim.faults().fail_next_action("CreateImage", 1, fault));
        let (request, _) = h.v3_request("CreateImage", &params, &h.opts(), false);
        let error = request.send().await.expect_err("no answer");
        assert!(!error.is_status(), "{fault:?}: {error}");
    };
    let all_statuses = "Creating,Waiting,Available,UnAvailable,CreateFailed";
    let listed = || async {
        h.call(
            "DescribeImages",
            &[
                ("RegionId", REGION),
                ("ImageName", "lost-answer"),
                ("Status", all_statuses),
            ],
        )
        .await
        .ok()
    };

    sent_but_unanswered(Fault::Drop).await;
    assert_eq!(listed().await["TotalCount"], 0, "a drop acts on nothing");

    sent_but_unanswered(Fault::LoseAnswer).await;
    let after_loss = listed().await;
    assert_eq!(after_loss["TotalCount"], 1, "{after_loss}");
    let id = after_loss["Images"]["Image"][0]["ImageId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(id.starts_with("m-"), "{after_loss}");

    let resent = h.call("CreateImage", &params).await.ok();
    assert_eq!(resent["ImageId"], id.as_str());
    assert_eq!(listed().await["TotalCount"], 1);
    assert_eq!(
        h.sim
            .images(REGION)
            .iter()
            .filter(|i| i.name == "lost-answer")
            .count(),
        1
    );
}

#[test]
fn lost_answer_rates_parse_and_are_validated() {
    let spec: FaultSpec = "lost=0.1".parse().expect("lost parses");
    assert_eq!(spec.lost, 0.1);
    assert_eq!(
        spec,
        FaultSpec {
            lost: 0.1,
            ..FaultSpec::default()
        }
    );
    let out_of_range = "lost=2".parse::<FaultSpec>().expect_err("a rate above 1");
    assert_eq!(out_of_range.item, "lost=2");
    assert!(
        out_of_range.reason.contains("from 0 to 1"),
        "{out_of_range}"
    );
    let too_much = "throttle=0.5,lost=0.6"
        .parse::<FaultSpec>()
        .expect_err("rates summing above 1");
    assert!(too_much.reason.contains("lost"), "{too_much}");
}

#[tokio::test]
async fn random_fault_rates_are_roughly_honoured() {
    let spec: FaultSpec = "throttle=0.3,error=0.1,latency=1ms".parse().expect("spec");
    let h = Harness::with(|c| {
        c.faults = spec;
        c.rng_seed = 42;
    })
    .await;
    let (mut throttled, mut errors, mut ok) = (0, 0, 0);
    for _ in 0..300 {
        let resp = h.call("DescribeRegions", &[]).await;
        match (resp.status, resp.code()) {
            (200, _) => ok += 1,
            (400, "Throttling") => throttled += 1,
            (500 | 503, _) => errors += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((60..=120).contains(&throttled), "throttled {throttled}");
    assert!((12..=50).contains(&errors), "errors {errors}");
    assert_eq!(ok + throttled + errors, 300);
}

/// Tools like `nc -N` send the request and then shut their writing side; the answer must
/// still come back on the open half, even when it takes a while (here, injected latency).
#[tokio::test]
async fn a_half_closed_connection_still_gets_its_answer() {
    let h = Harness::with(|c| c.faults = "latency=100ms".parse().expect("spec")).await;
    let opts = Opts {
        method: "GET",
        ..h.opts()
    };
    let params = h.v1_params("DescribeRegions", &[], &opts);
    let request = format!(
        "GET /?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        sign::encode_pairs(params.iter())
    );
    let mut stream = tokio::net::TcpStream::connect(h.sim.addr())
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    stream.shutdown().await.expect("half-close");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read the answer");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    assert!(text.contains("\"RegionId\":\"cn-hangzhou\""), "{text}");
}

#[tokio::test]
async fn hostile_input_gets_envelopes_not_panics() {
    let h = Harness::new().await;
    for (request, status, code) in [
        (raw_get("Action=DescribeRegions&Bad=%zz"), 400, "InvalidParameter"),
        (raw_get("Action=DescribeRegions&Bad=%C3%28"), 400, "InvalidParameter"),
        (raw_get("Action=DescribeRegions&Action=DescribeImages"), 400, "InvalidParameter"),
        (raw_get("Version=2014-05-26"), 400, "MissingParameter"),
        (raw_get("Action=Nope"), 404, "InvalidAction.NotFound"),
        (raw_get("Action=DescribeRegions&Version=2014-05-26"), 400, "MissingParameter"),
        (
            format!("GET /?{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", vec!["p=1"; 1001].join("&")).into_bytes(),
            400,
            "InvalidParameter",
        ),
        (
            b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
            403,
            "UnsupportedHTTPMethod",
        ),
        (
            b"GET /other?Action=DescribeRegions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
            404,
            "InvalidAction.NotFound",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\nConnection: close\r\n\r\n\xff\xfe=%%%".to_vec(),
            400,
            "InvalidParameter",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n".to_vec(),
            413,
            "RequestEntityTooLarge",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: ACS3-HMAC-SHA256 garbage\r\nConnection: close\r\n\r\n".to_vec(),
            400,
            "IncompleteSignature",
        ),
    ] {
        let (got_status, body) = h.raw(&request).await;
        assert_eq!((got_status, body["Code"].as_str()), (status, Some(code)), "{body}");
        assert_request_id(&body);
    }
    // A body over 1 MiB without a declared length (chunked) is cut off, not buffered.
    let mut chunked =
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    let chunk = vec![b'a'; 256 * 1024];
    for _ in 0..5 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, body) = h.raw(&chunked).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (413, Some("RequestEntityTooLarge"))
    );
    // Still serving.
    h.call("DescribeRegions", &[]).await.ok();
}

#[tokio::test]
async fn custom_key_pair_and_shutdown() {
    let h = Harness::with(|c| {
        c.keys = KeyPair {
            id: "LTAIcustom".into(),
            secret: ecsimg::secret::Secret::new("custom-secret"),
        };
    })
    .await;
    h.call("DescribeRegions", &[])
        .await
        .err(404, "InvalidAccessKeyId.NotFound");
    let custom = Opts {
        key_id: "LTAIcustom".into(),
        secret: "custom-secret".into(),
        ..h.opts()
    };
    h.v3("DescribeRegions", &[], &custom, false).await.ok();
    let addr = h.sim.addr();
    h.sim.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn bad_seed_and_speed_are_start_errors() {
    let broken = SANDBOX_TOML.replace(
        "default_region = \"cn-hangzhou\"",
        "default_region = \"cn-nowhere\"",
    );
    let err = Seed::parse(&broken, "broken.toml").expect_err("bad default region");
    assert!(err.to_string().contains("default_region"), "{err}");
    let err = sim::start(SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect_err("zero speed");
    assert!(err.to_string().contains("speed"), "{err}");
}
