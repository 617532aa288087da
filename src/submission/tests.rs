//! Each guarantee of the submission path, tested once, against the in-process simulator over
//! real HTTP (or a server that answers nonsense).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::api::error::{ServiceError, TransportKind};
use crate::api::{ClientConfig, Credentials, Endpoint};
use crate::journal::{FILE_NAME, RestartDue};
use crate::secret::Secret;
use crate::sim::{self, SimConfig};
use crate::spec::{ImageSpec, Source, StopPlan, to_params};

/// The seed's Running instance in the sandbox region.
const RUNNING: &str = "i-bp1g6zv0ce8oghu7k2a1";

fn spec(name: &str) -> ImageSpec {
    let mut spec = ImageSpec {
        source: Source::Instance {
            instance_id: RUNNING.into(),
        },
        ..ImageSpec::default()
    };
    spec.image.name = Some(name.into());
    spec
}

fn submission(name: &str, endpoint: &str) -> Submission {
    let spec = spec(name);
    Submission::new(&spec, to_params(&spec), endpoint, "environment (X)")
}

fn journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::at(dir.path().join(FILE_NAME));
    (dir, journal)
}

fn client_for(url: &str) -> Client {
    let credentials = Credentials {
        access_key_id: sim::SANDBOX_ACCESS_KEY_ID.into(),
        access_key_secret: Secret::new(sim::SANDBOX_ACCESS_KEY_SECRET),
        security_token: None,
    };
    Client::new(
        ClientConfig::new(sim::SANDBOX_REGION, credentials)
            .with_endpoint(Endpoint::parse(url).expect("url")),
    )
    .expect("client")
}

fn endpoint(client: &Client) -> String {
    client.config().endpoint.to_string()
}

fn entry(journal: &Journal, n: usize) -> Entry {
    journal.read().expect("reads").entries.remove(n)
}

fn images_named(sim: &sim::RunningSim, name: &str) -> Vec<String> {
    sim.images(sim::SANDBOX_REGION)
        .into_iter()
        .filter(|i| i.name == name)
        .map(|i| i.id)
        .collect()
}

fn service(code: &str, http_status: u16) -> ApiError {
    ApiError::Service(Box::new(ServiceError {
        http_status,
        code: code.into(),
        message: "m".into(),
        request_id: "R-2".into(),
        recommend: String::new(),
        host_id: String::new(),
        retry_after: None,
        access_denied: None,
        refused: None,
    }))
}

#[tokio::test]
async fn the_submission_is_journaled_before_it_is_sent_and_its_image_id_after() {
    let sim = sim::start(SimConfig::default()).await.expect("sim");
    let client = client_for(&sim.url());
    let (_dir, journal) = journal();
    let s = submission("journal-first", &endpoint(&client));
    let submitter = Submitter::new(journal.clone(), client);
    let mut seen_before_send = None;
    let submitted = submitter
        .submit(&s, || {
            seen_before_send = Some((entry(&journal, 0), images_named(&sim, "journal-first")));
        })
        .await;
    let (before, images) = seen_before_send.expect("told once recorded");
    assert_eq!(before.submission, s, "on disk before the send");
    assert!(before.needs_recovery());
    assert!(images.is_empty(), "nothing sent yet: {images:?}");
    let Submitted::Sent {
        answer: Ok(CreateImageAnswer::Created { image_id, .. }),
        settled: true,
        journal_problem: None,
        ..
    } = submitted
    else {
        panic!("{submitted:?}")
    };
    assert_eq!(entry(&journal, 0).image_id(), Some(image_id.as_str()));
}

#[tokio::test]
async fn nothing_is_sent_when_the_journal_cannot_record_it() {
    let sim = sim::start(SimConfig::default()).await.expect("sim");
    let client = client_for(&sim.url());
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory where the file should be.
    let submitter = Submitter::new(Journal::at(dir.path()), client.clone());
    let s = submission("unjournaled", &endpoint(&client));
    let mut told = false;
    let submitted = submitter.submit(&s, || told = true).await;
    assert!(
        matches!(&submitted, Submitted::NotSent { reason } if reason.contains("ECSIMG_JOURNAL")),
        "{submitted:?}"
    );
    assert!(!told);
    assert!(images_named(&sim, "unjournaled").is_empty());
}

#[tokio::test]
async fn every_send_carries_the_recorded_client_token_so_no_second_image_is_built() {
    let sim = sim::start(SimConfig::default()).await.expect("sim");
    let client = client_for(&sim.url());
    let (_dir, journal) = journal();
    let s = submission("one-token", &endpoint(&client));
    let submitter = Submitter::new(journal.clone(), client);
    let first = submitter.submit(&s, || {}).await;
    let again = submitter.resend(&s.id, &s.params).await;
    let image = |submitted: &Submitted| match submitted {
        Submitted::Sent {
            answer: Ok(CreateImageAnswer::Created { image_id, .. }),
            ..
        } => image_id.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(image(&first), image(&again));
    assert_eq!(images_named(&sim, "one-token"), [image(&first)]);
    let history = journal.read().expect("reads");
    assert_eq!(history.entries.len(), 1, "one submission");
    assert!(history.problems.is_empty(), "{:?}", history.problems);
}

#[tokio::test]
async fn only_definite_answers_settle_a_submission() {
    let (_dir, journal) = journal();
    // Never called: the answers are recorded as if they had come back.
    let submitter = Submitter::new(journal.clone(), client_for("http://127.0.0.1:9"));
    let s = submission("x", "e");
    journal.submit(&s).expect("submitted");
    let ambiguous = [
        service("InternalError", 500),
        service("Throttling", 400),
        ApiError::Timeout { detail: "t".into() },
        ApiError::Transport {
            kind: TransportKind::Dropped,
            detail: "d".into(),
        },
        ApiError::Cancelled,
    ];
    for error in ambiguous {
        let settled = submitter.record_answer(&s.id, &Err(error.clone())).await;
        assert!(!settled.expect("recorded"), "{error}");
    }
    let open = entry(&journal, 0);
    assert!(open.needs_recovery());
    assert_eq!(
        open.unsettled.expect("recorded").reason,
        "interrupted before ECS answered"
    );
    let never_sent = ApiError::Transport {
        kind: TransportKind::Connect,
        detail: "refused".into(),
    };
    let settled = submitter.record_answer(&s.id, &Err(never_sent)).await;
    assert!(settled.expect("recorded"));
    let refused = entry(&journal, 0);
    assert!(!refused.needs_recovery());
    assert_eq!(refused.unsettled, None, "settled now");
    assert!(refused.not_created.expect("recorded").code.is_none());

    let t = submission("y", "e");
    journal.submit(&t).expect("submitted");
    let refusal = Err(service("InvalidImageName.Duplicated", 400));
    assert!(submitter.record_answer(&t.id, &refusal).await.expect("ok"));
    let refusal = entry(&journal, 1).not_created.expect("refused");
    assert_eq!(refusal.code.as_deref(), Some("InvalidImageName.Duplicated"));
    assert_eq!(refusal.request_id.as_deref(), Some("R-2"));
}

/// A server that accepts every request and answers CreateImage with an ImageId that is not
/// one; returns its URL.
async fn nonsense_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 64 * 1024];
            let _ = stream.read(&mut buf).await;
            let body = r#"{"RequestId":"R-9","ImageId":"../../etc"}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    url
}

#[tokio::test]
async fn an_unusable_answer_is_recorded_as_open_for_recovery() {
    let url = nonsense_server().await;
    let client = client_for(&url);
    let (_dir, journal) = journal();
    let s = submission("nonsense", &endpoint(&client));
    let submitted = Submitter::new(journal.clone(), client)
        .submit(&s, || {})
        .await;
    assert!(
        matches!(
            &submitted,
            Submitted::Sent {
                answer: Err(_),
                settled: false,
                ..
            }
        ),
        "{submitted:?}"
    );
    let open = entry(&journal, 0);
    assert!(open.needs_recovery());
    let reason = open.unsettled.expect("recorded as open").reason;
    assert!(reason.contains("not a custom image ID"), "{reason}");
}

#[tokio::test]
async fn a_lost_answer_is_recovered_with_the_same_token_and_gets_the_same_image() {
    let sim = sim::start(SimConfig::default()).await.expect("sim");
    let client = client_for(&sim.url());
    let (_dir, journal) = journal();
    let s = submission("recover-me", &endpoint(&client));
    journal.submit(&s).expect("submitted");
    // The first send reached ECS, but the process died before recording the answer.
    let first = match client.create_image(&s.params).await.expect("created") {
        CreateImageAnswer::Created { image_id, .. } => image_id,
        other => panic!("{other:?}"),
    };
    let submitter = Submitter::new(journal.clone(), client);
    let recovery = submitter.recover(&entry(&journal, 0)).await.expect("ok");
    assert!(
        matches!(&recovery, Recovery::Created { image_id, .. } if *image_id == first),
        "{recovery:?}"
    );
    assert_eq!(entry(&journal, 0).image_id(), Some(first.as_str()));
    assert_eq!(images_named(&sim, "recover-me"), [first]);
    // Settled entries are left alone; other endpoints are never sent to.
    assert!(matches!(
        submitter.recover(&entry(&journal, 0)).await.expect("ok"),
        Recovery::Skipped(_)
    ));
    let elsewhere = submission("elsewhere", "https://ecs.cn-beijing.aliyuncs.com");
    journal.submit(&elsewhere).expect("submitted");
    let Recovery::Skipped(why) = submitter.recover(&entry(&journal, 1)).await.expect("ok") else {
        panic!("sent to another endpoint")
    };
    assert!(
        why.contains("--endpoint https://ecs.cn-beijing.aliyuncs.com"),
        "{why}"
    );
}

#[tokio::test]
async fn recovery_records_a_refusal_so_it_is_not_sent_again() {
    let sim = sim::start(SimConfig::default()).await.expect("sim");
    let client = client_for(&sim.url());
    let (_dir, journal) = journal();
    let mut spec = spec("refused");
    spec.source = Source::Instance {
        instance_id: "i-bp1doesnotexist0000".into(),
    };
    let s = Submission::new(&spec, to_params(&spec), endpoint(&client), "c");
    journal.submit(&s).expect("submitted");
    let submitter = Submitter::new(journal.clone(), client);
    let recovery = submitter.recover(&entry(&journal, 0)).await.expect("ok");
    assert!(
        matches!(&recovery, Recovery::Refused(e) if e.code() == Some("InvalidInstanceId.NotFound")),
        "{recovery:?}"
    );
    assert!(!entry(&journal, 0).needs_recovery());
}

#[tokio::test]
async fn a_stop_is_journaled_before_it_is_sent_and_a_start_once_accepted() {
    let sim = sim::start(SimConfig::default()).await.expect("sim");
    let client = client_for(&sim.url());
    let (_dir, journal) = journal();
    let submitter = Submitter::new(journal.clone(), client.clone());
    let stop = InstanceStop::new(
        sim::SANDBOX_REGION,
        &endpoint(&client),
        RUNNING,
        StopPlan::KEEP_AND_RESTART,
    );
    let status = || sim.instance_status(sim::SANDBOX_REGION, RUNNING);
    let mut before_send = None;
    let answer = submitter
        .stop_instance(&stop, || {
            before_send = Some((journal.read().expect("reads").stops, status()));
        })
        .await
        .expect("journal ok");
    assert_eq!(answer, PowerAnswer::Accepted);
    let (stops, was) = before_send.expect("told once recorded");
    assert_eq!(stops[0].stop, stop, "on disk before the send");
    assert_eq!(was.as_deref(), Some("Running"), "not sent yet");
    assert_eq!(status().as_deref(), Some("Stopping"));
    let due = journal.read().expect("reads");
    assert!(matches!(&due.restarts_due()[..], [(_, RestartDue::Now)]));

    // Starting a Stopping instance is refused: nothing recorded, so it is still due.
    let refused = submitter.start_instance(&stop).await.expect("journal ok");
    assert!(
        matches!(&refused, PowerAnswer::Refused { code, .. } if code == "IncorrectInstanceStatus"),
        "{refused:?}"
    );
    assert_eq!(journal.read().expect("reads").restarts_due().len(), 1);
    sim.advance(std::time::Duration::from_secs(60));
    let started = submitter.start_instance(&stop).await.expect("journal ok");
    assert_eq!(started, PowerAnswer::Accepted);
    let history = journal.read().expect("reads");
    assert!(history.restarts_due().is_empty(), "started: never again");
    assert!(history.stops[0].started.is_some());
}

#[tokio::test]
async fn a_stop_refused_for_good_is_recorded_so_the_instance_is_never_started() {
    let sim = sim::start(SimConfig::default()).await.expect("sim");
    let client = client_for(&sim.url());
    let (_dir, journal) = journal();
    let submitter = Submitter::new(journal.clone(), client.clone());
    let stop = InstanceStop::new(
        sim::SANDBOX_REGION,
        &endpoint(&client),
        "i-bp1doesnotexist0000",
        StopPlan::KEEP_AND_RESTART,
    );
    let answer = submitter.stop_instance(&stop, || {}).await.expect("ok");
    assert!(
        !matches!(answer, PowerAnswer::Accepted),
        "a missing instance is refused: {answer:?}"
    );
    let history = journal.read().expect("reads");
    assert!(history.stops[0].not_stopped.is_some(), "{history:?}");
    assert!(history.restarts_due().is_empty());
}
