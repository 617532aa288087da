//! Products besides ECS through the real client over real HTTP: Resource Manager's
//! ListResourceGroups (API version 2020-03-31) against the in-process simulator, signed V1 and
//! V3, paged. The client's endpoint is an override (the simulator's URL), which serves every
//! product on one listener, so Resource Manager's requests must go there too.

use ecsimg::api::Credentials;
use ecsimg::api::model::ResourceGroup;
use ecsimg::api::sign::SignatureVersion;
use ecsimg::api::{Client, ClientConfig, Endpoint};
use ecsimg::secret::Secret;
use ecsimg::sim::{self, Fault, RunningSim, Seed, SimConfig};
use futures::{StreamExt as _, TryStreamExt as _};

/// The simulator on the wall clock (the client signs with it), on `seed` or the sandbox's.
async fn simulator(seed: Option<&str>) -> RunningSim {
    let seed = seed.map(|text| Seed::parse(text, "test.toml").expect("a valid seed"));
    sim::start(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts")
}

fn client(sim: &RunningSim, version: SignatureVersion) -> Client {
    let credentials = Credentials {
        access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
        access_key_secret: Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
        security_token: None,
    };
    let endpoint = Endpoint::parse(&sim.url()).expect("the simulator's URL");
    let config = ClientConfig::new(sim::SANDBOX_REGION, credentials)
        .with_endpoint(endpoint)
        .with_signature_version(version);
    Client::new(config).expect("client")
}

async fn all_groups(client: &Client) -> Vec<ResourceGroup> {
    client
        .list_resource_groups()
        .try_concat()
        .await
        .expect("the simulator lists the resource groups")
}

#[tokio::test]
async fn resource_groups_are_listed_over_v1_and_v3() {
    let sim = simulator(None).await;
    for version in [SignatureVersion::V1, SignatureVersion::V3] {
        let groups = all_groups(&client(&sim, version)).await;
        let shown: Vec<(&str, &str, &str)> = groups
            .iter()
            .map(|g| (g.id.as_str(), g.name.as_str(), g.display_name.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("rg-acfmykd63xkeyvy", "default", "默认资源组"),
                ("rg-aek2t4crbzbk6ri", "production", "production"),
                ("rg-aek3bvz5p7mcxea", "test-env", "测试环境"),
            ],
            "{version:?}"
        );
        for group in &groups {
            assert!(group.is_ready(), "{group:?}");
            assert_eq!(group.account_id, "1234567890123456");
            assert!(group.create_date.ends_with('Z'), "{group:?}");
        }
    }
}

#[tokio::test]
async fn many_groups_arrive_page_by_page() {
    let mut seed = include_str!("../../assets/sandbox.toml").to_string();
    for i in 0..117 {
        seed.push_str(&format!(
            "\n[[resource_groups]]\nid = \"rg-team{i:03}\"\nname = \"team-{i:03}\"\n"
        ));
    }
    let sim = simulator(Some(&seed)).await;
    for version in [SignatureVersion::V1, SignatureVersion::V3] {
        let client = client(&sim, version);
        let pages: Vec<usize> = client
            .list_resource_groups()
            .map(|page| page.expect("a page").len())
            .collect()
            .await;
        assert_eq!(pages, [100, 20], "{version:?}");
        let groups = all_groups(&client).await;
        let mut ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 120, "every group once");
    }
}

#[tokio::test]
async fn a_refusal_is_the_service_error_and_the_next_call_works() {
    let sim = simulator(None).await;
    let client = client(&sim, SignatureVersion::V3);
    assert!(
        sim.faults()
            .fail_next_action("ListResourceGroups", 1, Fault::Forbidden)
    );
    let refused = client
        .list_resource_groups()
        .try_concat()
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Some("Forbidden.RAM"), "{refused}");
    assert_eq!(all_groups(&client).await.len(), 3);
}
