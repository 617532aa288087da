//! The wizard's stop-and-start round trip: StopInstances' `StoppedMode` and
//! `ForceStop`, StartInstances, and what DescribeInstances reports meanwhile.

use crate::sim_harness::*;
use serde_json::Value;
use std::time::Duration;

const WEB_PUBLIC_IP: &str = "47.98.12.34";

/// One instance as DescribeInstances reports it.
async fn instance(h: &Harness, id: &str) -> Value {
    let ids = format!("[\"{id}\"]");
    let body = h
        .call(
            "DescribeInstances",
            &[("RegionId", REGION), ("InstanceIds", &ids)],
        )
        .await
        .ok();
    body["Instances"]["Instance"][0].clone()
}

fn public_ips(instance: &Value) -> Vec<&str> {
    instance["PublicIpAddress"]["IpAddress"]
        .as_array()
        .map(|ips| ips.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `(InstanceId, PreviousStatus, CurrentStatus, Code)` of each instance in an answer.
fn responses(body: &Value) -> Vec<(String, String, String, String)> {
    body["InstanceResponses"]["InstanceResponse"]
        .as_array()
        .expect("InstanceResponses")
        .iter()
        .map(|r| {
            let field = |name: &str| r[name].as_str().unwrap_or_default().to_string();
            (
                field("InstanceId"),
                field("PreviousStatus"),
                field("CurrentStatus"),
                field("Code"),
            )
        })
        .collect()
}

fn response(
    id: &str,
    previous: &str,
    current: &str,
    code: &str,
) -> (String, String, String, String) {
    (id.into(), previous.into(), current.into(), code.into())
}

// --- StopInstances' modes and StartInstances -------------------------------------------------

#[tokio::test]
async fn economical_stop_releases_the_public_ip_and_start_brings_a_new_one() {
    let h = Harness::new().await;
    assert_eq!(
        public_ips(&instance(&h, WEB_INSTANCE).await),
        [WEB_PUBLIC_IP]
    );
    let stopped = h
        .call(
            "StopInstances",
            &[
                ("RegionId", REGION),
                ("InstanceId.1", WEB_INSTANCE),
                ("StoppedMode", "StopCharging"),
            ],
        )
        .await
        .ok();
    assert_eq!(
        responses(&stopped),
        [response(WEB_INSTANCE, "Running", "Stopping", "200")]
    );
    let stopping = instance(&h, WEB_INSTANCE).await;
    assert_eq!(stopping["Status"], "Stopping");
    assert_eq!(stopping["StoppedMode"], "Not-applicable");
    assert!(public_ips(&stopping).is_empty(), "{stopping}");
    h.sim.advance(Duration::from_secs(6));
    let stopped = instance(&h, WEB_INSTANCE).await;
    assert_eq!(
        (stopped["Status"].as_str(), stopped["StoppedMode"].as_str()),
        (Some("Stopped"), Some("StopCharging"))
    );

    let start = [("RegionId", REGION), ("InstanceId.1", WEB_INSTANCE)];
    let mut dry = start.to_vec();
    dry.push(("DryRun", "true"));
    h.call("StartInstances", &dry)
        .await
        .err(400, "DryRunOperation");
    assert_eq!(instance(&h, WEB_INSTANCE).await["Status"], "Stopped");
    let started = h.call("StartInstances", &start).await.ok();
    assert_eq!(
        responses(&started),
        [response(WEB_INSTANCE, "Stopped", "Starting", "200")]
    );
    assert_eq!(instance(&h, WEB_INSTANCE).await["Status"], "Starting");
    h.sim.advance(Duration::from_secs(6));
    let running = instance(&h, WEB_INSTANCE).await;
    assert_eq!(
        (running["Status"].as_str(), running["StoppedMode"].as_str()),
        (Some("Running"), Some("Not-applicable"))
    );
    let ips = public_ips(&running);
    assert_eq!(ips.len(), 1, "{running}");
    assert_ne!(
        ips[0], WEB_PUBLIC_IP,
        "a static public IP is not kept through economical mode"
    );
    h.call("StartInstances", &start)
        .await
        .err(403, "IncorrectInstanceStatus");
}

#[tokio::test]
async fn standard_and_forced_stops() {
    let h = Harness::new().await;
    // No VPC: economical mode does not apply, so the stop is standard whatever is asked.
    let forced = h
        .call(
            "StopInstances",
            &[
                ("RegionId", REGION),
                ("InstanceId.1", ARM_INSTANCE),
                ("StoppedMode", "StopCharging"),
                ("ForceStop", "true"),
            ],
        )
        .await
        .ok();
    assert_eq!(responses(&forced)[0].3, "200");
    h.call(
        "StopInstances",
        &[("RegionId", REGION), ("InstanceId.1", WIN_INSTANCE)],
    )
    .await
    .ok();
    h.sim.advance(Duration::from_millis(1100));
    let arm = instance(&h, ARM_INSTANCE).await;
    assert_eq!(
        (arm["Status"].as_str(), arm["StoppedMode"].as_str()),
        (Some("Stopped"), Some("KeepCharging"))
    );
    assert_eq!(instance(&h, WIN_INSTANCE).await["Status"], "Stopping");
    // A KeepCharging stop keeps the public IP.
    h.call(
        "StopInstances",
        &[
            ("RegionId", REGION),
            ("InstanceId.1", WEB_INSTANCE),
            ("StoppedMode", "KeepCharging"),
        ],
    )
    .await
    .ok();
    h.sim.advance(Duration::from_secs(6));
    let web = instance(&h, WEB_INSTANCE).await;
    assert_eq!(web["StoppedMode"], "KeepCharging");
    assert_eq!(public_ips(&web), [WEB_PUBLIC_IP]);
    h.call(
        "StopInstances",
        &[
            ("RegionId", REGION),
            ("InstanceId.1", WIN_INSTANCE),
            ("StoppedMode", "Hibernate"),
        ],
    )
    .await
    .err(400, "InvalidParameter");
}

#[tokio::test]
async fn start_refusals_follow_the_reference() {
    let h = Harness::new().await;
    let start = |id: &'static str| {
        let h = &h;
        async move {
            h.call(
                "StartInstances",
                &[("RegionId", REGION), ("InstanceId.1", id)],
            )
            .await
        }
    };
    start(LOCKED_INSTANCE)
        .await
        .err(403, "InstanceLockedForSecurity");
    start(STARTING_INSTANCE)
        .await
        .err(403, "IncorrectInstanceStatus");
    start(NO_SYSTEM_DISK_INSTANCE)
        .await
        .err(400, "InvalidInstance.NotFoundSystemDisk");
    start("i-bp1doesnotexist0000")
        .await
        .err(404, "InvalidInstanceId.NotFound");
    h.call("StartInstances", &[("RegionId", REGION)])
        .await
        .err(400, "MissingParameter");
    // AllTogether (the default): one refusal and nothing starts.
    h.call(
        "StartInstances",
        &[
            ("RegionId", REGION),
            ("InstanceId.1", DB_INSTANCE),
            ("InstanceId.2", STARTING_INSTANCE),
        ],
    )
    .await
    .err(403, "IncorrectInstanceStatus");
    assert_eq!(instance(&h, DB_INSTANCE).await["Status"], "Stopped");
    // SuccessFirst: each on its own.
    let mixed = h
        .call(
            "StartInstances",
            &[
                ("RegionId", REGION),
                ("InstanceId.1", DB_INSTANCE),
                ("InstanceId.2", STARTING_INSTANCE),
                ("BatchOptimization", "SuccessFirst"),
            ],
        )
        .await
        .ok();
    assert_eq!(
        responses(&mixed),
        [
            response(DB_INSTANCE, "Stopped", "Starting", "200"),
            response(
                STARTING_INSTANCE,
                "Starting",
                "Starting",
                "IncorrectInstanceStatus"
            ),
        ]
    );
}
