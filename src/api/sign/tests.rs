use sha2::{Digest, Sha256};

use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn percent_encoding_follows_rfc3986() {
    assert_eq!(percent_encode("a b"), "a%20b");
    assert_eq!(percent_encode("*~+/:é"), "%2A~%2B%2F%3A%C3%A9");
    assert_eq!(percent_encode("!'()"), "%21%27%28%29");
    assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
}

fn v1_a_params(timestamp_key: &str) -> Vec<(String, String)> {
    pairs(&[
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        (timestamp_key, "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ])
}

#[test]
fn v1_vector_a() {
    let sts = v1_string_to_sign("GET", &v1_a_params("Timestamp"));
    assert_eq!(
        sts,
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    );
    assert_eq!(
        v1_signature("testsecret", &sts),
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    );
    assert_eq!(
        percent_encode("OLeaidS1JvxuMvnyHOwuJ+uX5qY="),
        "OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"
    );
}

#[test]
fn v1_vector_b_signs_names_as_received() {
    let sts = v1_string_to_sign("GET", &v1_a_params("TimeStamp"));
    assert_eq!(
        v1_signature("testsecret", &sts),
        "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    );
}

fn create_image_operation_params() -> Vec<(String, String)> {
    pairs(&[
        ("DiskDeviceMapping.1.Device", "/dev/xvda"),
        ("DiskDeviceMapping.1.SnapshotId", "s-bp1abc"),
        ("DryRun", "true"),
        ("Features.ImdsSupport", "v2"),
        ("ImageName", "my image~v1*+/é"),
        ("RegionId", "cn-hangzhou"),
        ("Tag.1.Key", "env"),
        ("Tag.1.Value", "a b"),
    ])
}

#[test]
fn v1_vector_c_through_sign_v1() {
    let key = SigningKey {
        access_key_id: "testid",
        access_key_secret: "testsecret",
        security_token: None,
    };
    let signed = sign_v1(
        "POST",
        "CreateImage",
        "2014-05-26",
        &create_image_operation_params(),
        key,
        "2024-01-02T03:04:05Z",
        "d1b2c3d4e5f60718293a4b5c6d7e8f90",
    );
    let (last_name, last_value) = signed.last().expect("signature appended");
    assert_eq!(last_name, "Signature");
    assert_eq!(last_value, "jbiryTD6RIPa7FXeouA6GEU1xj4=");
    assert_eq!(
        canonical_query(&signed[..signed.len() - 1]),
        "AccessKeyId=testid&Action=CreateImage&DiskDeviceMapping.1.Device=%2Fdev%2Fxvda&DiskDeviceMapping.1.SnapshotId=s-bp1abc&DryRun=true&Features.ImdsSupport=v2&Format=JSON&ImageName=my%20image~v1%2A%2B%2F%C3%A9&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=d1b2c3d4e5f60718293a4b5c6d7e8f90&SignatureVersion=1.0&Tag.1.Key=env&Tag.1.Value=a%20b&Timestamp=2024-01-02T03%3A04%3A05Z&Version=2014-05-26"
    );
}

#[test]
fn v1_security_token_is_signed() {
    let with = |token| {
        let key = SigningKey {
            access_key_id: "testid",
            access_key_secret: "testsecret",
            security_token: token,
        };
        sign_v1(
            "GET",
            "DescribeRegions",
            "2014-05-26",
            &[],
            key,
            "2024-01-02T03:04:05Z",
            "n",
        )
    };
    let signed = with(Some("sts-token"));
    assert!(signed.contains(&("SecurityToken".into(), "sts-token".into())));
    let sig = |p: &[(String, String)]| p.last().map(|(_, v)| v.clone());
    assert_ne!(sig(&signed), sig(&with(None)));
    // The signature verifies over the full set, token included.
    let sts = v1_string_to_sign("GET", &signed);
    assert_eq!(Some(v1_signature("testsecret", &sts)), sig(&signed));
}

fn v3_a_headers(date: &str, nonce: &str) -> Vec<(String, String)> {
    pairs(&[
        ("host", "ecs.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "RunInstances"),
        ("x-acs-content-sha256", EMPTY_BODY_SHA256),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-version", "2014-05-26"),
    ])
}

fn v3_a_query() -> String {
    canonical_query(&pairs(&[
        ("RegionId", "cn-shanghai"),
        (
            "ImageId",
            "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        ),
    ]))
}

#[test]
fn v3_vector_a() {
    let canonical = v3_canonical_request(
        "POST",
        "/",
        &v3_a_query(),
        &v3_a_headers("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"),
        EMPTY_BODY_SHA256,
    );
    assert_eq!(
        canonical.signed_headers,
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
    );
    let sts = v3_string_to_sign(&canonical.text);
    assert_eq!(
        sts,
        "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    );
    assert_eq!(
        v3_signature("YourAccessKeySecret", &sts),
        "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    );
}

#[test]
fn v3_vector_b() {
    let canonical = v3_canonical_request(
        "POST",
        "/",
        &v3_a_query(),
        &v3_a_headers("2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0"),
        EMPTY_BODY_SHA256,
    );
    assert_eq!(
        v3_signature("YourAccessKeySecret", &v3_string_to_sign(&canonical.text)),
        "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
    );
}

#[test]
fn v3_vector_c_through_sign_v3() {
    let params = create_image_operation_params();
    let key = SigningKey {
        access_key_id: "testid",
        access_key_secret: "testsecret",
        security_token: None,
    };
    let signed = sign_v3(
        V3Input {
            method: "POST",
            host: "ecs.cn-hangzhou.aliyuncs.com",
            action: "CreateImage",
            version: "2014-05-26",
            params: &params,
            body: b"",
            content_type: None,
            date: "2024-01-02T03:04:05Z",
            nonce: "d1b2c3d4e5f60718293a4b5c6d7e8f90",
        },
        key,
    );
    assert_eq!(
        signed.query,
        "DiskDeviceMapping.1.Device=%2Fdev%2Fxvda&DiskDeviceMapping.1.SnapshotId=s-bp1abc&DryRun=true&Features.ImdsSupport=v2&ImageName=my%20image~v1%2A%2B%2F%C3%A9&RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=a%20b"
    );
    let canonical = v3_canonical_request(
        "POST",
        "/",
        &signed.query,
        &signed.headers[..signed.headers.len() - 1],
        EMPTY_BODY_SHA256,
    );
    assert_eq!(
        sha256_hex(canonical.text.as_bytes()),
        "82a1361e34f08e24ca36f075425487913bb57f0dd4303e900d9db557fa0480ce"
    );
    let (name, value) = signed.headers.last().expect("authorization appended");
    assert_eq!(name, "authorization");
    assert_eq!(
        value,
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=274dca7fc00435f108d54aa6716f9ec50d9131aafe6155a61b367d2c0aeac255"
    );
}

#[test]
fn v3_security_token_headers_are_signed() {
    let key = SigningKey {
        access_key_id: "STS.id",
        access_key_secret: "testsecret",
        security_token: Some("tok"),
    };
    let signed = sign_v3(
        V3Input {
            method: "POST",
            host: "127.0.0.1:8080",
            action: "DescribeRegions",
            version: "2014-05-26",
            params: &[],
            body: b"",
            content_type: None,
            date: "2024-01-02T03:04:05Z",
            nonce: "n",
        },
        key,
    );
    let (_, auth) = signed
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .expect("present");
    let signed_headers = auth
        .split(',')
        .find_map(|part| part.strip_prefix("SignedHeaders="))
        .expect("names the signed headers");
    let names: Vec<&str> = signed_headers.split(';').collect();
    assert!(names.contains(&"x-acs-security-token"), "{auth}");
    assert!(names.contains(&"x-acs-accesskey-id"), "{auth}");
    assert_eq!(signed.query, "");
}

#[test]
fn the_api_version_is_an_input_and_is_signed() {
    let key = SigningKey {
        access_key_id: "testid",
        access_key_secret: "testsecret",
        security_token: None,
    };
    let (date, nonce) = ("2024-01-02T03:04:05Z", "n");
    let v1 = |version| sign_v1("POST", "ListResourceGroups", version, &[], key, date, nonce);
    let resource_manager = v1("2020-03-31");
    assert!(resource_manager.contains(&("Version".into(), "2020-03-31".into())));
    assert_ne!(resource_manager.last(), v1("2014-05-26").last());
    let v3 = |version| {
        sign_v3(
            V3Input {
                method: "POST",
                host: "resourcemanager.aliyuncs.com",
                action: "ListResourceGroups",
                version,
                params: &[],
                body: b"",
                content_type: None,
                date,
                nonce,
            },
            key,
        )
        .headers
    };
    let headers = v3("2020-03-31");
    assert!(headers.contains(&("x-acs-version".into(), "2020-03-31".into())));
    assert_ne!(
        headers.last(),
        v3("2014-05-26").last(),
        "the version is signed"
    );
}

#[test]
fn the_empty_body_hash_is_the_real_one() {
    assert_eq!(const_hex::encode(Sha256::digest(b"")), EMPTY_BODY_SHA256);
    assert_eq!(sha256_hex(b""), EMPTY_BODY_SHA256);
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn repeated_headers_are_sorted_and_joined() {
    let canonical = v3_canonical_request(
        "GET",
        "/",
        "",
        &pairs(&[("X-B", " 2 "), ("x-a", "z"), ("x-b", "1")]),
        EMPTY_BODY_SHA256,
    );
    assert_eq!(
        canonical.text,
        format!("GET\n/\n\nx-a:z\nx-b:1,2\n\nx-a;x-b\n{EMPTY_BODY_SHA256}")
    );
}
