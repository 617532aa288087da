//! The submit step driven through the wizard: the confirmation, sending, and refusals; the
//! build and its watch are in `watching`.

use std::path::PathBuf;

use crossterm::event::KeyCode;

use super::*;
use crate::api::{ApiError, CreateImageAnswer};
use crate::spec::DetectionStrategy;
use crate::submission::Submitted;
use crate::tui::app::App;
use crate::tui::effect::{Call, SubmitCall};
use crate::tui::step::Step;
use crate::tui::steps::review::tests::{TOKEN, assert_shows, flat, instance_chosen};
use crate::tui::testing::*;

mod delivering;
mod restart;
mod watching;

/// The Submit step with a valid spec: the Stopped instance, a name, the image check, a fixed token.
fn at_submit() -> App {
    at_submit_in(session())
}

/// [`at_submit`] in `session` (the sandbox, or a real account).
fn at_submit_in(session: crate::tui::launch::Connection) -> App {
    let mut app = instance_chosen();
    app.connection = Some(session);
    app.spec.client_token = Some(TOKEN.into());
    app.spec.image.name = Some("db-golden".into());
    app.spec.features.detection_strategy = Some(DetectionStrategy::Standard);
    go_to(&mut app, Step::Submit);
    app
}

/// Enter, then y: the Submit call.
fn submit(app: &mut App) -> (RequestId, SubmitCall) {
    assert!(key(app, KeyCode::Enter).is_empty(), "asks first");
    match only_call(&key(app, KeyCode::Char('y'))) {
        (id, Call::Submit(call)) => (id, *call),
        other => panic!("a submission, got {other:?}"),
    }
}

fn sent(answer: Result<CreateImageAnswer, ApiError>, settled: bool) -> Result<Loaded, ApiError> {
    Ok(Loaded::Submitted(Box::new(Submitted::Sent {
        submission_id: "7d1c1d1e-0000-4000-8000-000000000001".into(),
        journal: PathBuf::from("/home/op/.local/share/ecsimg/journal.jsonl"),
        answer,
        settled,
        journal_problem: None,
    })))
}

#[test]
fn submitting_asks_first_and_sends_the_specs_token() {
    let mut app = at_submit();
    let text = flat(&app, 80, 24);
    assert_shows(
        &text,
        &["Submit the request", "SANDBOX: the embedded simulator"],
    );
    insta::assert_snapshot!("submit_ready_80x24", render(&app, 80, 24));
    key(&mut app, KeyCode::Enter);
    let text = flat(&app, 80, 24);
    assert_shows(
        &text,
        &[
            "Create the image?",
            "CreateImage builds image \"db-golden\" from instance",
            "i-bp1g6zv0ce8oghu7k002 in cn-hangzhou.",
            &format!("ClientToken {TOKEN}: however often"),
        ],
    );
    insta::assert_snapshot!("submit_confirm_80x24", render(&app, 80, 24));
    // n cancels; nothing is sent.
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    let (_, call) = submit(&mut app);
    assert_eq!(call.params, to_params(&app.spec));
    assert!(call.params.contains(&("ClientToken".into(), TOKEN.into())));
    assert_eq!(call.journaled, None);
    assert_eq!(call.credential_source, "sandbox key pair (built in)");
    assert!(app.busy());
    // Nothing takes the user away while CreateImage is in flight.
    assert!(calls(&key(&mut app, KeyCode::Esc)).is_empty());
    assert_eq!(app.step, Step::Submit);
}

#[test]
fn problems_block_the_submission() {
    let mut app = at_submit();
    app.spec.image.name = Some("1-bad".into());
    app.revalidate();
    let text = flat(&app, 80, 24);
    assert!(text.contains("1 problem(s) must be fixed first"), "{text}");
    // The footer does not offer a submit that cannot happen.
    let screen = screen_text(&app, 80, 24);
    let footer = screen.lines().last().unwrap_or_default();
    assert!(!footer.contains("submit"), "{footer}");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("Fix the 1 problem(s) first"))
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Review);
}

/// The Submit step after ECS refused the submission with `code` (`settled`: whether it surely did not
/// act): the app, what was submitted, and the screen's text.
fn refused_by(code: &str, message: &str, settled: bool) -> (App, SubmitCall, String) {
    let mut app = at_submit();
    let (id, call) = submit(&mut app);
    answer(
        &mut app,
        id,
        sent(Err(service_error(code, message)), settled),
    );
    let text = flat(&app, 80, 24);
    (app, call, text)
}

/// `r` after a refusal: the submission it sends.
fn send_again(app: &mut App) -> SubmitCall {
    match only_call(&key(app, KeyCode::Char('r'))) {
        (_, Call::Submit(call)) => *call,
        other => panic!("a submission, got {other:?}"),
    }
}

#[test]
fn a_refusal_is_explained_and_retried_with_the_same_token() {
    let (mut app, _, text) = refused_by(
        "InvalidImageName.Duplicated",
        "The specified image name is already in use.",
        true,
    );
    assert_shows(
        &text,
        &[
            "✗ InvalidImageName.Duplicated: The specified image name is already in use.",
            "Field to change: Image name (Enter goes there)",
        ],
    );
    let call = send_again(&mut app);
    assert_eq!(
        call.journaled, None,
        "a refused request is a new submission"
    );
    assert!(
        call.params.contains(&("ClientToken".into(), TOKEN.into())),
        "the same token"
    );
}

#[test]
fn an_unknown_outcome_is_sent_again_unchanged_under_its_journal_entry() {
    let (mut app, first, text) = refused_by(
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server.",
        false,
    );
    assert!(text.contains("Whether ECS acted is unknown"), "{text}");
    // Even with changed answers, r repeats exactly what was sent.
    app.spec.image.family = Some("db".into());
    let call = send_again(&mut app);
    assert_eq!(call.params, first.params);
    assert_eq!(
        call.journaled.as_deref(),
        Some("7d1c1d1e-0000-4000-8000-000000000001")
    );
}

#[test]
fn n_gives_the_answers_a_new_token_after_an_idempotence_mismatch() {
    let (mut app, _, _) = refused_by(
        "IdempotenceParamNotMatch",
        "Request uses a client token in a previous request but is not identical to that request.",
        true,
    );
    key(&mut app, KeyCode::Char('n'));
    let token = app.spec.client_token.clone().expect("a token");
    assert_ne!(token, TOKEN);
    let (_, call) = submit(&mut app);
    assert!(call.params.contains(&("ClientToken".into(), token)));
}

#[test]
fn the_journal_refusing_means_nothing_was_sent() {
    let mut app = at_submit();
    let (id, _) = submit(&mut app);
    answer(
        &mut app,
        id,
        Ok(Loaded::Submitted(Box::new(Submitted::NotSent {
            reason: "cannot open the journal /ro/j.jsonl: Read-only file system".into(),
        }))),
    );
    let text = flat(&app, 80, 24);
    assert_shows(
        &text,
        &[
            "Nothing was sent: the journal could not record the request",
            "ECSIMG_JOURNAL",
        ],
    );
}
