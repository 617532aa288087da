//! The model parsed from real-shaped answers, and the queries flattened.

use super::*;
use crate::api::ApiError;

#[test]
fn image_in_the_documented_shape() {
    let body = r#"{
      "RequestId":"473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E","RegionId":"cn-hangzhou",
      "TotalCount":1,"PageNumber":1,"PageSize":10,
      "Images":{"Image":[{
        "ImageId":"m-bp146shijn7hujku0000","ImageName":"web-20261127","Status":"Creating",
        "Progress":"45%","Size":40,"Usable":false,"IsSelfShared":"False",
        "OSName":"Alibaba Cloud Linux 3","OSNameEn":"Alibaba Cloud Linux 3","ImageOwnerId":"1234",
        "Features":{"ImdsSupport":"v2","NvmeSupport":"supported"},
        "Tags":{"Tag":[{"TagKey":"env","TagValue":"prod"}]},
        "DiskDeviceMappings":{"DiskDeviceMapping":[
          {"Device":"/dev/xvda","Type":"system","Size":"40","Progress":"","RemainTime":0,
           "SnapshotId":"s-1","Encrypted":false},
          {"Device":"/dev/xvdb","Type":"data","Size":100,"Progress":"32%","RemainTime":"60"}
        ]},
        "DetectionOptions":{"Status":"Processing","Items":{"Item":[
          {"Name":"GuestOS.Agent","Value":"","RiskLevel":"High","RiskCode":"UNSUPPORTED"}]}}
      }]}
    }"#;
    let page: DescribeImagesResponse = serde_json::from_str(body).expect("parses");
    assert_eq!(page.total_count, 1);
    let image = &page.images.image[0];
    assert_eq!(image.progress_percent(), Some(45));
    assert_eq!(image.image_owner_id, 1234);
    assert!(!image.is_ready() && !image.is_failed());
    assert_eq!(image.features.imds_support, "v2");
    assert_eq!(image.tags.tag[0].tag_key, "env");
    let disks = &image.disk_device_mappings.disk_device_mapping;
    assert_eq!(disks[0].size_gib(), Some(40));
    assert_eq!(disks[0].progress_percent(), None);
    assert_eq!(disks[1].size_gib(), Some(100));
    assert_eq!(disks[1].progress_percent(), Some(32));
    assert_eq!(disks[1].remain_time, 60);
    assert_eq!(image.detection_options.items.item[0].risk_level, "High");
}

#[test]
fn missing_fields_default_and_empty_lists_parse() {
    let page: DescribeImagesResponse =
        serde_json::from_str(r#"{"RequestId":"r","Images":{"Image":[{}]}}"#).expect("parses");
    assert_eq!(page.images.image[0], Image::default());
    let page: DescribeImagesResponse =
        serde_json::from_str(r#"{"Images":{"Image":[]}}"#).expect("parses");
    assert!(page.images.image.is_empty());
    let page: DescribeImagesResponse = serde_json::from_str("{}").expect("parses");
    assert!(page.images.image.is_empty());
    let page: DescribeImagesResponse = serde_json::from_str(r#"{"Images":{}}"#).expect("parses");
    assert!(page.images.image.is_empty());
}

#[test]
fn instance_locks_and_status() {
    let body = r#"{"Instances":{"Instance":[
      {"InstanceId":"i-1","Status":"Running","Cpu":2,"Memory":"4096",
       "OperationLocks":{"LockReason":[{"LockReason":"security","LockMsg":"x"}]},
       "VpcAttributes":{"VpcId":"vpc-1","VSwitchId":"vsw-1",
          "PrivateIpAddress":{"IpAddress":["10.0.0.1"]}},
       "DeletionProtection":"true"},
      {"InstanceId":"i-2","Status":"Stopped","OperationLocks":{"LockReason":[]},
       "OSName":"中文名","OSNameEn":""}
    ]},"NextToken":"abc","TotalCount":2}"#;
    let page: DescribeInstancesResponse = serde_json::from_str(body).expect("parses");
    assert_eq!(page.next_token, "abc");
    let [locked, free] = &page.instances.instance[..] else {
        panic!("two instances")
    };
    assert!(locked.is_security_locked());
    assert!(!locked.can_create_image());
    assert_eq!(locked.memory, 4096);
    assert!(locked.deletion_protection);
    assert_eq!(
        locked.vpc_attributes.private_ip_address.ip_address,
        ["10.0.0.1"]
    );
    assert!(!free.is_security_locked());
    assert!(free.can_create_image());
    assert_eq!(free.os_display_name(), "中文名");
}

#[test]
fn snapshot_size_is_number_or_string() {
    for size in [r#""40""#, "40"] {
        let body = format!(
            r#"{{"Snapshots":{{"Snapshot":[{{"SnapshotId":"s-1","SourceDiskSize":{size},
               "SourceDiskType":"System","Status":"accomplished","Progress":"100%",
               "Encrypted":"False"}}]}}}}"#
        );
        let page: DescribeSnapshotsResponse = serde_json::from_str(&body).expect("parses");
        let s = &page.snapshots.snapshot[0];
        assert_eq!(s.source_disk_size_gib(), Some(40));
        assert!(s.is_system_disk() && s.is_accomplished() && !s.encrypted);
        assert_eq!(s.progress_percent(), Some(100));
    }
}

#[test]
fn wrong_types_are_errors_not_panics() {
    for bad in [
        r#"{"Images":"oops"}"#,
        r#"{"TotalCount":-3}"#,
        r#"{"TotalCount":"many"}"#,
        r#"{"Images":{"Image":[{"Usable":"maybe"}]}}"#,
    ] {
        assert!(
            serde_json::from_str::<DescribeImagesResponse>(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn serialization_keeps_the_wire_shape() {
    let resp = DescribeRegionsResponse {
        request_id: "r".into(),
        regions: vec![Region {
            region_id: "cn-hangzhou".into(),
            ..Region::default()
        }]
        .into(),
    };
    let json = serde_json::to_value(&resp).expect("serializes");
    assert_eq!(json["Regions"]["Region"][0]["RegionId"], "cn-hangzhou");
    let back: DescribeRegionsResponse = serde_json::from_value(json).expect("round-trips");
    assert_eq!(back, resp);
}

#[test]
fn stop_instances_results() {
    let body = r#"{"RequestId":"r","InstanceResponses":{"InstanceResponse":[
        {"InstanceId":"i-1","Code":"200","PreviousStatus":"Running","CurrentStatus":"Stopping"},
        {"InstanceId":"i-2","Code":"IncorrectInstanceStatus","Message":"no"}]}}"#;
    let resp: StopInstancesResponse = serde_json::from_str(body).expect("parses");
    let r = &resp.instance_responses.instance_response;
    assert!(r[0].is_success());
    assert!(!r[1].is_success());
}

#[test]
fn economical_mode_needs_pay_as_you_go_in_a_vpc() {
    let mut i = Instance {
        instance_charge_type: "PostPaid".into(),
        ..Instance::default()
    };
    assert!(!i.economical_mode_applies(), "no VPC");
    i.vpc_attributes.vpc_id = "vpc-1".into();
    assert!(i.economical_mode_applies());
    i.instance_charge_type = "PrePaid".into();
    assert!(!i.economical_mode_applies(), "subscription");
}

#[test]
fn queries_flatten_to_wire_parameters() {
    let q = InstanceQuery {
        instance_ids: Some(vec!["i-a".into(), "i-b".into()]),
        status: Some("Running".into()),
        instance_name: None,
    };
    assert_eq!(
        q.to_params().expect("valid"),
        vec![
            ("InstanceIds".to_string(), r#"["i-a","i-b"]"#.to_string()),
            ("Status".to_string(), "Running".to_string()),
        ]
    );
    let empty = DiskQuery {
        disk_ids: Some(vec![]),
        ..DiskQuery::default()
    };
    assert_eq!(
        empty.to_params().expect("valid"),
        vec![("DiskIds".to_string(), "[]".to_string())]
    );
    let images = ImageQuery::watching(["m-1", "m-2"])
        .to_params()
        .expect("valid");
    assert_eq!(
        images,
        vec![
            ("ImageId".to_string(), "m-1,m-2".to_string()),
            (
                "Status".to_string(),
                "Creating,Waiting,Available,UnAvailable,CreateFailed".to_string()
            ),
        ]
    );
    assert!(ImageQuery::default().to_params().expect("valid").is_empty());
}

#[test]
fn too_many_ids_are_refused_before_sending() {
    let ids: Vec<String> = (0..=MAX_IDS).map(|i| format!("s-{i}")).collect();
    let q = SnapshotQuery {
        snapshot_ids: Some(ids.clone()),
        ..SnapshotQuery::default()
    };
    let err = q.to_params().expect_err("101 ids");
    assert!(err.to_string().contains("at most 100"), "{err}");
    let q = ImageQuery {
        image_ids: ids,
        ..ImageQuery::default()
    };
    assert!(matches!(
        q.to_params(),
        Err(ApiError::InvalidRequest { .. })
    ));
}
