//! The journal's unit tests: records, folding, damage, concurrency, privacy. (When each record
//! is written is tested with the submission path, `crate::submission`.)

use super::*;
use crate::spec::{Source, to_params};

fn spec(name: &str) -> ImageSpec {
    let mut spec = ImageSpec {
        source: Source::Instance {
            instance_id: "i-bp1g6zv0ce8oghu7k2a1".into(),
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

/// Records the ImageId CreateImage answered for `submission_id`.
fn created(journal: &Journal, submission_id: &str, image_id: &str) -> Result<(), JournalError> {
    journal.append(&Record::Created {
        id: submission_id.to_string(),
        time: Utc::now(),
        image_id: image_id.to_string(),
        request_id: "R-1".into(),
    })
}

fn journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::at(dir.path().join("nested").join(FILE_NAME));
    (dir, journal)
}

#[test]
fn submissions_carry_a_token_and_never_a_secret() {
    let spec = spec("web");
    let mut params = to_params(&spec);
    params.push(("AccessKeyId".into(), "LTAIkey".into()));
    params.push(("Signature".into(), "sig".into()));
    params.push(("DryRun".into(), "true".into()));
    params.push(("ClientToken".into(), String::new()));
    let s = Submission::new(&spec, params, "https://ecs.example.com", "env");
    let names: Vec<&str> = s.params.iter().map(|(n, _)| n.as_str()).collect();
    assert!(!names.contains(&"AccessKeyId") && !names.contains(&"Signature"));
    assert!(!names.contains(&"DryRun"));
    assert_eq!(names.iter().filter(|n| **n == "ClientToken").count(), 1);
    assert!(
        s.params
            .contains(&("ClientToken".into(), s.client_token.clone()))
    );
    assert_eq!(s.client_token.len(), 36);
    assert_eq!(s.region, "cn-hangzhou");
    assert_eq!(s.image_name.as_deref(), Some("web"));
    let mut pinned = spec.clone();
    pinned.client_token = Some("my-token".into());
    let s = Submission::new(&pinned, to_params(&pinned), "e", "c");
    assert_eq!(s.client_token, "my-token");
}

#[test]
fn records_fold_per_submission() {
    let (_dir, journal) = journal();
    assert_eq!(journal.read().expect("reads"), History::default());
    let a = submission("a", "e");
    let b = submission("b", "e");
    let c = submission("c", "e");
    for s in [&a, &b, &c] {
        journal.submit(s).expect("submitted");
    }
    created(&journal, &a.id, "m-a").expect("recorded");
    journal
        .status("m-a", "Creating", Some("40%"), false)
        .expect("status");
    journal
        .status("m-a", "Available", Some("100%"), true)
        .expect("status");
    // A slower watcher's non-final record does not undo the final one.
    journal
        .status("m-a", "Creating", Some("60%"), false)
        .expect("status");
    journal
        .append(&Record::NotCreated {
            id: c.id.clone(),
            time: Utc::now(),
            reason: "refused".into(),
            code: Some("InvalidImageName.Duplicated".into()),
            request_id: Some("R-2".into()),
        })
        .expect("recorded");
    let history = journal.read().expect("reads");
    assert!(history.problems.is_empty(), "{:?}", history.problems);
    let [ea, eb, ec] = &history.entries[..] else {
        panic!("{history:#?}")
    };
    assert_eq!(ea.submission, a);
    assert_eq!(ea.image_id(), Some("m-a"));
    assert_eq!(ea.last_status(), "Available");
    assert!(!ea.needs_recovery() && !ea.is_unfinished());
    assert_eq!(eb.last_status(), "Unknown");
    assert!(eb.needs_recovery() && !eb.is_unfinished());
    assert_eq!(ec.last_status(), "NotCreated");
    let refusal = ec.not_created.as_ref().expect("refused");
    assert_eq!(refusal.code.as_deref(), Some("InvalidImageName.Duplicated"));
    assert_eq!(refusal.request_id.as_deref(), Some("R-2"));
    assert!(!ec.needs_recovery());
}

#[test]
fn damaged_lines_are_reported_and_skipped_and_appends_still_work() {
    let (_dir, journal) = journal();
    let a = submission("a", "e");
    journal.submit(&a).expect("submitted");
    let mut text = std::fs::read(journal.path()).unwrap();
    text.extend_from_slice(b"{not json}\n");
    text.extend_from_slice(b"{\"kind\":\"teleported\",\"id\":\"x\"}\n");
    text.extend_from_slice(b"\xff\xfe\n\n   \n");
    text.extend_from_slice(
        b"{\"kind\":\"created\",\"id\":\"nobody\",\"time\":\"2026-01-01T00:00:00Z\",\
          \"image_id\":\"m-z\",\"request_id\":\"r\"}\n",
    );
    // A writer killed mid-record.
    text.extend_from_slice(b"{\"kind\":\"created\",\"id\":\"");
    std::fs::write(journal.path(), &text).unwrap();

    let history = journal.read().expect("damage is not fatal");
    assert_eq!(history.entries.len(), 1);
    let lines: Vec<usize> = history.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 3, 4, 7, 8]);
    assert!(history.problems[1].reason.contains("teleported"));
    assert!(history.problems[2].reason.contains("UTF-8"));
    assert!(history.problems[3].reason.contains("unknown submission"));
    assert!(history.problems[4].reason.contains("truncated"));
    assert!(history.problems[4].to_string().starts_with("line 8: "));

    // The next record starts on a fresh line and is read back.
    created(&journal, &a.id, "m-a").expect("settles");
    let history = journal.read().expect("reads");
    assert_eq!(history.entries[0].image_id(), Some("m-a"));
    assert_eq!(
        history.problems.len(),
        5,
        "the truncated line stays reported"
    );
}

#[test]
fn concurrent_writers_never_interleave() {
    let (_dir, journal) = journal();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let journal = journal.clone();
            std::thread::spawn(move || {
                for n in 0..25 {
                    // Long records make a torn write visible if locking were broken.
                    let mut s = submission(&format!("t{t}-{n}"), "e");
                    s.spec.image.description = Some("x".repeat(4096));
                    journal.submit(&s).expect("submitted");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer");
    }
    let history = journal.read().expect("reads");
    assert!(history.problems.is_empty(), "{:?}", history.problems);
    assert_eq!(history.entries.len(), 200);
}

#[cfg(unix)]
#[test]
fn the_journal_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, journal) = journal();
    journal.submit(&submission("a", "e")).expect("submitted");
    let mode = std::fs::metadata(journal.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

/// Issue 12: a journal left 0644 (an older version, a copy, a umask) is made 0600 again.
#[cfg(unix)]
#[test]
fn a_journal_open_to_others_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, journal) = journal();
    let mode = || {
        std::fs::metadata(journal.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    let loosen = || {
        std::fs::set_permissions(journal.path(), std::fs::Permissions::from_mode(0o644))
            .expect("chmod")
    };
    assert_eq!(journal.ensure_private(), None, "no file yet");
    journal.submit(&submission("a", "e")).expect("submitted");
    assert_eq!(journal.ensure_private(), None, "already private");
    loosen();
    let said = journal.ensure_private().expect("a note");
    assert!(
        said.contains("mode 644") && said.contains("now 600"),
        "{said}"
    );
    assert_eq!(mode(), 0o600);
    // Appends tighten it too (the wizard's path).
    loosen();
    journal.submit(&submission("b", "e")).expect("submitted");
    assert_eq!(mode(), 0o600);
}

#[cfg(unix)]
#[test]
fn a_journal_that_is_not_a_regular_file_is_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("journal.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let journal = Journal::at(&fifo);
    let started = std::time::Instant::now();
    let read = journal
        .read()
        .expect_err("a FIFO is no journal")
        .to_string();
    assert!(read.contains("named pipe"), "{read}");
    let append = journal
        .submit(&submission("a", "e"))
        .expect_err("a FIFO is no journal")
        .to_string();
    assert!(append.contains("named pipe"), "{append}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Issue 11: a restarted simulator hands out the same ImageIds. A later session's status for
/// its own image must not change an older entry that got the same ImageId.
#[test]
fn statuses_belong_to_their_submission_not_to_a_reused_image_id() {
    let (_dir, journal) = journal();
    let first = submission("first-session", "http://127.0.0.1:4000");
    journal.submit(&first).expect("submitted");
    created(&journal, &first.id, "m-bp1x4r2ojecxks63w1aa").expect("settles");
    journal
        .status_for(&first.id, "m-bp1x4r2ojecxks63w1aa", "Deleted", None, true)
        .expect("status");
    let second = submission("second-session", "http://127.0.0.1:4000");
    journal.submit(&second).expect("submitted");
    created(&journal, &second.id, "m-bp1x4r2ojecxks63w1aa").expect("settles");
    journal
        .status_for(
            &second.id,
            "m-bp1x4r2ojecxks63w1aa",
            "Available",
            Some("100%"),
            true,
        )
        .expect("status");
    let history = journal.read().expect("reads");
    assert!(history.problems.is_empty(), "{:?}", history.problems);
    assert_eq!(history.entries[0].last_status(), "Deleted");
    assert_eq!(history.entries[1].last_status(), "Available");

    // A status that names only the ImageId (older journals, the wizard's `status`) belongs to
    // the newest submission that had it at that point.
    journal
        .status("m-bp1x4r2ojecxks63w1aa", "UnAvailable", None, false)
        .expect("status");
    let history = journal.read().expect("reads");
    assert_eq!(history.entries[0].last_status(), "Deleted");
    assert_eq!(
        history.entries[1].last_status(),
        "Available",
        "final stays final"
    );
    // A status naming the wrong submission for its image is reported, not applied.
    journal
        .status_for(&first.id, "m-other", "Available", None, true)
        .expect("status");
    let history = journal.read().expect("reads");
    assert_eq!(history.entries[0].last_status(), "Deleted");
    assert!(
        history.problems[0].reason.contains("another ImageId"),
        "{:?}",
        history.problems
    );
}

#[test]
fn unusable_paths_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory where the file should be.
    let journal = Journal::at(dir.path());
    let err = journal.submit(&submission("a", "e")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains(JOURNAL_ENV), "{text}");
}

#[test]
fn stops_fold_with_their_submission_and_are_due_once_the_image_ended() {
    use crate::spec::StopPlan;
    let (_dir, journal) = journal();
    let plan = StopPlan::KEEP_AND_RESTART;
    let before_create = InstanceStop::new("cn-hangzhou", "http://127.0.0.1:1", "i-a", plan);
    let building = InstanceStop::new("cn-hangzhou", "http://127.0.0.1:1", "i-b", plan);
    let lost = InstanceStop::new("cn-hangzhou", "http://127.0.0.1:1", "i-c", plan);
    let kept_down = InstanceStop::new(
        "cn-hangzhou",
        "http://127.0.0.1:1",
        "i-d",
        StopPlan {
            restart: false,
            ..plan
        },
    );
    let refused = InstanceStop::new("cn-hangzhou", "http://127.0.0.1:1", "i-e", plan);
    for stop in [&before_create, &building, &lost, &kept_down, &refused] {
        journal.stopping(stop).expect("recorded");
    }
    journal
        .not_stopped(&refused.id, "IncorrectInstanceStatus")
        .expect("recorded");
    let mut image = submission("b", "http://127.0.0.1:1");
    image.stop = Some(building.id.clone());
    journal.submit(&image).expect("recorded");
    created(&journal, &image.id, "m-b").expect("recorded");
    let mut unanswered = submission("c", "http://127.0.0.1:1");
    unanswered.stop = Some(lost.id.clone());
    journal.submit(&unanswered).expect("recorded");

    let due = |journal: &Journal| -> Vec<(String, RestartDue)> {
        let history = journal.read().expect("reads");
        history
            .restarts_due()
            .into_iter()
            .map(|(s, d)| (s.stop.instance_id.clone(), d))
            .collect()
    };
    let now = due(&journal);
    assert_eq!(
        now.len(),
        3,
        "not the one kept down, not the refused one: {now:?}"
    );
    assert_eq!(
        now[0],
        ("i-a".into(), RestartDue::Now),
        "CreateImage never sent"
    );
    assert!(
        matches!(&now[1], (id, RestartDue::Later(why)) if id == "i-b" && why.contains("m-b is still being built"))
    );
    assert!(
        matches!(&now[2], (id, RestartDue::Later(why)) if id == "i-c" && why.contains("answer to its CreateImage was lost"))
    );
    // Once the image ended it is due; once started, never again.
    journal
        .status_for(&image.id, "m-b", "Available", Some("100%"), true)
        .expect("recorded");
    assert_eq!(due(&journal)[1], ("i-b".into(), RestartDue::Now));
    journal.started(&building.id).expect("recorded");
    journal.started(&before_create.id).expect("recorded");
    let left: Vec<String> = due(&journal).into_iter().map(|(id, _)| id).collect();
    assert_eq!(left, ["i-c"]);
    let history = journal.read().expect("reads");
    assert_eq!(history.stops.len(), 5);
    assert_eq!(
        history.stops[1].submission.as_deref(),
        Some(image.id.as_str())
    );
    assert!(history.problems.is_empty(), "{:?}", history.problems);
    // A submission naming a stop the journal lost still counts; a start of one is reported.
    let mut orphan = submission("o", "http://127.0.0.1:1");
    orphan.stop = Some("no-such-stop".into());
    journal.submit(&orphan).expect("recorded");
    journal.started("no-such-stop").expect("recorded");
    let history = journal.read().expect("reads");
    assert_eq!(history.entries.len(), 3);
    assert_eq!(history.problems.len(), 1);
    assert!(
        history.problems[0]
            .reason
            .contains("unknown stop no-such-stop")
    );
}

#[test]
fn delivery_records_fold_into_their_entry_and_keep_the_first_token() {
    let (_dir, journal) = journal();
    let mut s = submission("web", "https://ecs.example");
    s.spec.delivery = Some(crate::spec::DeliverySpec {
        copy_to: vec!["cn-beijing".into()],
        ..Default::default()
    });
    journal.submit(&s).unwrap();
    created(&journal, &s.id, "m-1").unwrap();
    journal
        .status_for(&s.id, "m-1", "Available", None, true)
        .unwrap();
    let send = |token: &str| DeliverySend {
        submission: s.id.clone(),
        key: "copy cn-beijing".into(),
        time: Utc::now(),
        region: "cn-hangzhou".into(),
        client_token: Some(token.into()),
    };
    journal.delivery_sending(&send("first")).unwrap();
    let entry = journal.read().unwrap().entries.remove(0);
    assert!(entry.delivery_due());
    let state = entry.delivery("copy cn-beijing").unwrap();
    assert_eq!(state.outcome, None);
    assert!(!state.is_settled());

    journal.delivery_sending(&send("second")).unwrap();
    let done = DeliveryOutcome::Done {
        image_id: Some("m-2".into()),
    };
    journal
        .delivery_answered(&s.id, "copy cn-beijing", &done)
        .unwrap();
    let history = journal.read().unwrap();
    assert_eq!(history.problems, []);
    let state = history.entries[0].delivery("copy cn-beijing").unwrap();
    assert_eq!(state.send.client_token.as_deref(), Some("first"));
    assert_eq!(state.copy_id(), Some("m-2"));
    assert!(state.is_settled());

    // The copy then failed: the next send is a new copy, with its own token.
    let failed = DeliveryOutcome::CopyFailed {
        image_id: "m-2".into(),
        status: "CreateFailed".into(),
    };
    journal
        .delivery_answered(&s.id, "copy cn-beijing", &failed)
        .unwrap();
    journal.delivery_ended(&s.id, 1).unwrap();
    let entry = journal.read().unwrap().entries.remove(0);
    assert!(!entry.delivery_due());
    assert!(entry.delivery_failed());
    assert_eq!(
        entry.delivery("copy cn-beijing").unwrap().failed_copy(),
        Some("m-2")
    );
    journal.delivery_sending(&send("third")).unwrap();
    let entry = journal.read().unwrap().entries.remove(0);
    let state = entry.delivery("copy cn-beijing").unwrap();
    assert_eq!(state.send.client_token.as_deref(), Some("third"));
    assert_eq!(state.outcome, None);
    // The retry is under way: due again until it ends.
    assert!(entry.delivery_due());
    assert_eq!(entry.delivery_ended, None);

    journal.delivery_ended(&s.id, 0).unwrap();
    let entry = journal.read().unwrap().entries.remove(0);
    assert!(!entry.delivery_due());
    assert!(!entry.delivery_failed());
    // An answer to a call never sent is damage, reported and skipped.
    journal
        .delivery_answered(&s.id, "share cn-beijing", &done)
        .unwrap();
    assert_eq!(journal.read().unwrap().problems.len(), 1);
}
