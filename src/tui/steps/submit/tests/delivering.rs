//! Delivering the image once it is Available: the actions planned before the image is ready,
//! the engine's events moving each row along, a failure explained and retried, leaving and
//! coming back, quitting, and the farewell's totals.

use super::watching::{IMAGE, building, finished, image, tick};
use super::*;
use crate::delivery::{ActionResult, Event, Summary};
use crate::spec::{DeliverySpec, RetireAction, RetirePlan};
use crate::tui::Ended;
use crate::tui::app::Overlay;
use crate::tui::effect::Effect;
use crate::tui::msg::Delivered;
use crate::watch::WatchEnd;

const OTHER_ACCOUNT: &str = "1234567890123457";
const OLDER: &str = "m-bp1older0000000000001";
const BEIJING_COPY: &str = "m-2ze0copy00000000000001";
const SHANGHAI_COPY: &str = "m-uf6copy000000000000001";
const SUBMISSION: &str = "7d1c1d1e-0000-4000-8000-000000000001";

/// Copies to Beijing and Shanghai (joining family `db` there), shared with another account,
/// older images of the family deprecated past the newest one.
fn with_delivery(app: &mut App) {
    app.spec.image.family = Some("db".into());
    // No image check: its look at the image would keep the step busy after the delivery.
    app.spec.features.detection_strategy = None;
    app.spec.delivery = Some(DeliverySpec {
        copy_to: vec!["cn-beijing".into(), "cn-shanghai".into()],
        share_with: vec![OTHER_ACCOUNT.into()],
        retire: Some(RetirePlan {
            keep: 1,
            action: RetireAction::Deprecate,
        }),
        ..DeliverySpec::default()
    });
    app.revalidate();
}

/// The Submit step with a delivery, the image submitted and building.
fn submitted_in(session: crate::tui::launch::Connection) -> (App, RequestId) {
    let mut app = at_submit_in(session);
    with_delivery(&mut app);
    let watch = building(&mut app);
    (app, watch)
}

/// The Deliver call among `effects`.
fn deliver_call(effects: &[Effect]) -> RequestId {
    let found: Vec<RequestId> = calls(effects)
        .into_iter()
        .filter_map(|(id, call)| match call {
            Call::Deliver {
                submission_id,
                image_id,
                regions,
            } => {
                assert_eq!(submission_id, SUBMISSION);
                assert_eq!(image_id, IMAGE);
                assert_eq!(regions, ["cn-hangzhou", "cn-beijing", "cn-shanghai"]);
                Some(id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "one delivery in {effects:?}");
    found[0]
}

/// The image Available after a minute: the delivery starts.
fn delivering_in(session: crate::tui::launch::Connection) -> (App, RequestId) {
    let (mut app, watch) = submitted_in(session);
    tick(&mut app, 60);
    let effects = finished(
        &mut app,
        watch,
        WatchEnd::Available(image("Available", "100%")),
    );
    let id = deliver_call(&effects);
    (app, id)
}

fn delivering() -> (App, RequestId) {
    delivering_in(session())
}

fn send(app: &mut App, id: RequestId, event: Event) -> Vec<Effect> {
    answer(
        app,
        id,
        Ok(Loaded::Delivery(Delivered::Event(Box::new(event)))),
    )
}

fn action(app: &mut App, id: RequestId, key: &str, result: ActionResult) {
    let what = match key.split(' ').collect::<Vec<_>>()[..] {
        ["share", region] => format!("share the image in {region} with {OTHER_ACCOUNT}"),
        ["copy", region] => format!("copy {IMAGE} to {region}"),
        ["family", region] => format!("put the copy in family db in {region}"),
        ["retire", region, id] => format!("deprecate {id} in {region}"),
        _ => key.to_string(),
    };
    send(
        app,
        id,
        Event::Action {
            key: key.into(),
            what,
            result,
        },
    );
}

fn copy(app: &mut App, id: RequestId, region: &str, copy: &str, status: &str, progress: &str) {
    send(
        app,
        id,
        Event::Copy {
            region: region.into(),
            image_id: copy.into(),
            status: status.into(),
            progress: progress.into(),
        },
    );
}

fn ended(app: &mut App, id: RequestId, summary: Summary) -> Vec<Effect> {
    answer(app, id, Ok(Loaded::Delivery(Delivered::Ended(summary))))
}

fn done(id: &str) -> ActionResult {
    ActionResult::Done(Some(id.into()))
}

/// The shared image of the family, which ECS will not deprecate.
fn older_left_alone() -> ActionResult {
    ActionResult::LeftAlone(
        "it is shared with other accounts (ECS refuses to deprecate or delete a shared image); \
         unshare it first if it should go"
            .into(),
    )
}

/// A first run: the share done, Beijing refused, Shanghai's copy ending CreateFailed, the
/// older image left alone.
fn first_run_with_failures(app: &mut App, id: RequestId) {
    action(app, id, "share cn-hangzhou", ActionResult::Done(None));
    action(
        app,
        id,
        "copy cn-beijing",
        ActionResult::Failed(service_error(
            "RegionNotSupportCopy",
            "The specified region does not support copying images.",
        )),
    );
    action(app, id, "copy cn-shanghai", done(SHANGHAI_COPY));
    copy(app, id, "cn-shanghai", SHANGHAI_COPY, "Creating", "30%");
    copy(app, id, "cn-shanghai", SHANGHAI_COPY, "CreateFailed", "30%");
    action(
        app,
        id,
        "copy cn-shanghai",
        ActionResult::Broken("the copy ended CreateFailed".into()),
    );
    action(
        app,
        id,
        &format!("retire cn-hangzhou {OLDER}"),
        older_left_alone(),
    );
    ended(
        app,
        id,
        Summary {
            done: 1,
            failed: 2,
            left_alone: 1,
            ..Summary::default()
        },
    );
}

#[test]
fn the_plan_shows_before_the_image_is_available() {
    let (app, _) = submitted_in(session());
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "Delivery · once the image is Available",
            &format!("· pending share the image in cn-hangzhou with {OTHER_ACCOUNT}"),
            "· pending copy the image to cn-beijing",
            "· pending put the copy in family db in cn-beijing",
            "· pending copy the image to cn-shanghai",
            "· pending deprecate the images of family db in cn-shanghai past the newest 1",
        ],
    );
    // The copy comes before what is done with it, in the engine's order.
    let at = |part: &str| text.find(part).unwrap_or(usize::MAX);
    assert!(at("copy the image to cn-beijing") < at("family db in cn-beijing"));
    assert!(at("family db in cn-beijing") < at("copy the image to cn-shanghai"));
}

#[test]
fn available_starts_the_delivery_and_the_first_row_runs() {
    let (app, _) = delivering();
    assert!(app.busy(), "the spinner turns while it delivers");
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "Delivery · delivering",
            &format!("running share the image in cn-hangzhou with {OTHER_ACCOUNT}"),
            "Delivering: the actions of [delivery]",
        ],
    );
    // Nothing builds again: n (a new request) waits until the delivery is over.
    let footer = screen_text(&app, 160, 48);
    let footer = footer.lines().last().unwrap_or_default();
    assert!(!footer.contains("new request"), "{footer}");
}

#[test]
fn a_failure_is_explained_the_others_go_on_and_r_retries_the_failed_ones() {
    let (mut app, id) = delivering();
    first_run_with_failures(&mut app, id);
    assert!(!app.busy());
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "Delivery · 1 done, 2 failed, 1 left alone, 6 not run",
            &format!("✓ done share the image in cn-hangzhou with {OTHER_ACCOUNT}"),
            &format!("✗ failed copy {IMAGE} to cn-beijing"),
            "RegionNotSupportCopy: The specified region does not support copying images.",
            "Copy to another region (Copy to; delivery.copy_to).",
            "· not run put the copy in family db in cn-beijing the copy to cn-beijing did not finish",
            &format!("✗ failed copy {IMAGE} to cn-shanghai"),
            "the copy ended CreateFailed",
            &format!(
                "– left alone deprecate {OLDER} in cn-hangzhou it is shared with other accounts"
            ),
            "2 action(s) failed; the others went ahead. r sends the failed ones again",
        ],
    );
    assert_shows(
        &flat(&app, 160, 80),
        &["Delivery ended with failures: 1 done, 2 failed, 1 left alone"],
    );
    // The retirement's row took the place of the plan's, before the other regions'.
    let at = |part: &str| text.find(part).unwrap_or(usize::MAX);
    assert!(at(&format!("deprecate {OLDER}")) < at("family db in cn-shanghai past"));
    insta::assert_snapshot!("delivery_failed_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("delivery_failed_160x48", render(&app, 160, 48));

    // Tab picks a failure, Enter shows all of its explanation.
    let screen = screen_text(&app, 80, 24);
    let footer = screen.lines().last().unwrap_or_default();
    assert!(footer.contains("r retry failed"), "{footer}");
    key(&mut app, KeyCode::Tab);
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let Some(Overlay::Error { report, .. }) = &app.overlay else {
        panic!("the explanation, got {:?}", app.overlay.is_some())
    };
    assert_eq!(report.code, None, "the second failure: the copy that broke");
    assert_eq!(report.message, "the copy ended CreateFailed");
    assert!(!report.retry, "r retries from the pane, not from the popup");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Error { report, .. }) = &app.overlay else {
        panic!("the explanation")
    };
    assert_eq!(report.code.as_deref(), Some("RegionNotSupportCopy"));
    assert_eq!(
        report.meaning.as_deref(),
        Some("Images cannot be copied to or from this region.")
    );
    key(&mut app, KeyCode::Esc);

    // r runs the engine again; the failed and passed-over rows are pending again.
    let again = deliver_call(&key(&mut app, KeyCode::Char('r')));
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "Delivering again: what the journal has done is skipped",
            &format!("✓ done share the image in cn-hangzhou with {OTHER_ACCOUNT}"),
            &format!("– left alone deprecate {OLDER} in cn-hangzhou"),
        ],
    );
    assert!(!text.contains("✗ failed"), "{text}");

    // The journal skips the share; Beijing's copy goes through this time and builds.
    action(
        &mut app,
        again,
        "share cn-hangzhou",
        ActionResult::AlreadyDone(None),
    );
    action(&mut app, again, "copy cn-beijing", done(BEIJING_COPY));
    tick(&mut app, 70);
    copy(
        &mut app,
        again,
        "cn-beijing",
        BEIJING_COPY,
        "Creating",
        "20%",
    );
    tick(&mut app, 100);
    copy(
        &mut app,
        again,
        "cn-beijing",
        BEIJING_COPY,
        "Creating",
        "45%",
    );
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            // Done by the first run of this wizard: still simply done.
            &format!("✓ done share the image in cn-hangzhou with {OTHER_ACCOUNT}"),
            &format!("copying copy {IMAGE} to cn-beijing"),
            // 25 % in 30 s: the other 55 % take 66 s.
            &format!("45% Creating · about 1m06s left · {BEIJING_COPY}"),
            &format!("· pending copy {IMAGE} to cn-shanghai"),
        ],
    );
    insta::assert_snapshot!("delivery_mid_copy_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("delivery_mid_copy_160x48", render(&app, 160, 48));

    // The rest goes through; the retirements in the copies' regions find nothing to do.
    copy(
        &mut app,
        again,
        "cn-beijing",
        BEIJING_COPY,
        "Available",
        "100%",
    );
    action(
        &mut app,
        again,
        "family cn-beijing",
        ActionResult::Done(None),
    );
    action(
        &mut app,
        again,
        "share cn-beijing",
        ActionResult::Done(None),
    );
    action(
        &mut app,
        again,
        "copy cn-shanghai",
        ActionResult::AlreadyDone(Some(SHANGHAI_COPY.into())),
    );
    copy(
        &mut app,
        again,
        "cn-shanghai",
        SHANGHAI_COPY,
        "Available",
        "100%",
    );
    action(
        &mut app,
        again,
        "family cn-shanghai",
        ActionResult::Done(None),
    );
    action(
        &mut app,
        again,
        "share cn-shanghai",
        ActionResult::Done(None),
    );
    action(
        &mut app,
        again,
        &format!("retire cn-hangzhou {OLDER}"),
        older_left_alone(),
    );
    tick(&mut app, 130);
    ended(
        &mut app,
        again,
        Summary {
            done: 7,
            left_alone: 1,
            ..Summary::default()
        },
    );
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "Delivery · 9 done, 0 failed, 1 left alone",
            &format!("✓ done copy {IMAGE} to cn-beijing → {BEIJING_COPY}"),
            // Copied by the first run, which the journal knows.
            &format!("✓ done before copy {IMAGE} to cn-shanghai → {SHANGHAI_COPY}"),
            "✓ nothing to do deprecate the images of family db in cn-beijing past the newest 1 \
             no image of the family is past the ones kept",
            "✓ Delivered.",
        ],
    );
    assert!(!app.busy());
    let screen = screen_text(&app, 80, 24);
    let footer = screen.lines().last().unwrap_or_default();
    assert!(!footer.contains("retry"), "nothing to retry: {footer}");
    let farewell = app.farewell().expect("a farewell").to_string();
    assert!(
        farewell.contains("Delivery: 9 done, 0 failed, 1 left alone; delivered."),
        "{farewell}"
    );
    assert_eq!(Ended::quitting(&app), Ended::Quit);
}

#[test]
fn the_farewell_after_failures_says_what_they_mean() {
    let (mut app, id) = delivering_in(real_session());
    first_run_with_failures(&mut app, id);
    let farewell = app.farewell().expect("a farewell").to_string();
    assert!(
        farewell.contains(
            "Delivery: 1 done, 2 failed, 1 left alone, 6 not run; not all delivered (exit code \
             6, as for `ecsimg create`)"
        ),
        "{farewell}"
    );
    // The wizard's own exit code says it too.
    assert_eq!(Ended::quitting(&app), Ended::QuitNotAllDelivered);
}

#[test]
fn leaving_stops_the_delivery_and_coming_back_finishes_it() {
    let (mut app, id) = delivering();
    action(&mut app, id, "share cn-hangzhou", ActionResult::Done(None));
    action(&mut app, id, "copy cn-beijing", done(BEIJING_COPY));
    copy(&mut app, id, "cn-beijing", BEIJING_COPY, "Creating", "20%");
    // Esc asks first, and says what happens.
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    let text = dialog_text(&app, 80, 24);
    assert_shows(
        &text,
        &[
            &format!("The delivery of {IMAGE} stops when you leave"),
            "the journal keeps every call, so what is done is skipped",
        ],
    );
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(effects.contains(&Effect::Cancel(id)), "{effects:?}");
    assert_eq!(app.step, Step::Review);
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("the Submit step finishes it when you come back")),
        "{:?}",
        app.notice
    );
    // Answers that came after the cancel are dropped.
    copy(&mut app, id, "cn-beijing", BEIJING_COPY, "Creating", "60%");
    // Back on the Submit step the engine runs again, and the copy that was under way waits for it.
    let effects = ctrl(&mut app, 'n');
    let again = deliver_call(&effects);
    assert_ne!(again, id);
    let text = flat(&app, 160, 48);
    assert_shows(
        &text,
        &[
            "Delivery stopped",
            "Delivering again",
            &format!("✓ done share the image in cn-hangzhou with {OTHER_ACCOUNT}"),
            &format!("20% Creating · {BEIJING_COPY}"),
        ],
    );
    assert!(!text.contains("60%"), "{text}");
}

#[test]
fn quitting_while_delivering_says_the_delivery_stops_and_how_it_finishes() {
    let (mut app, id) = delivering_in(real_session());
    action(&mut app, id, "share cn-hangzhou", ActionResult::Done(None));
    key(&mut app, KeyCode::Char('q'));
    assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    let text = dialog_text(&app, 100, 30);
    assert_shows(
        &text,
        &[
            "is Available and its delivery is under way. Quitting stops the delivery where it is;",
            "`ecsimg watch --resume` finishes it later",
            "nothing is done twice",
        ],
    );
    let farewell = app.farewell().expect("a farewell").to_string();
    assert!(
        farewell.contains(
            "Delivery: 1 done, 0 failed, 0 left alone, 9 not run; stopped with the wizard; \
             `ecsimg watch --resume` finishes it (nothing is done twice)."
        ),
        "{farewell}"
    );
    // Unfinished is no failure: the farewell says how it finishes.
    assert_eq!(Ended::quitting(&app), Ended::Quit);
}

#[test]
fn the_confirmation_says_what_delivery_will_do() {
    let mut app = at_submit();
    with_delivery(&mut app);
    if let Some(delivery) = &mut app.spec.delivery {
        delivery.retire = Some(RetirePlan {
            keep: 2,
            action: RetireAction::Delete,
        });
    }
    key(&mut app, KeyCode::Enter);
    let text = dialog_text(&app, 100, 30);
    assert_shows(
        &text,
        &[
            &format!(
                "Once Available, ecsimg copies it to cn-beijing, cn-shanghai; shares it with \
                 {OTHER_ACCOUNT}."
            ),
            "It then deletes the images of family db past the newest 2: deleting cannot be undone.",
        ],
    );
}
