//! The review of a spec with a `[delivery]`: its calls in the Request and CLI tabs, and `d`
//! checking them beside CreateImage, one row per call.

use super::*;
use crate::delivery::{Check, CheckOutcome, PLACEHOLDER_ID, plan};
use crate::spec::{DeliverySpec, RetireAction, RetirePlan, Tag};

const OTHER_ACCOUNT: &str = "1234567890123457";

/// The review with a delivery: copies to two regions, one share, snapshot tags, retirement.
fn with_delivery() -> App {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Stopped");
    app.spec.image.name = Some("web-golden".into());
    app.spec.image.family = Some("web".into());
    app.spec.tags = vec![Tag {
        key: "env".into(),
        value: "prod".into(),
    }];
    app.spec.delivery = Some(DeliverySpec {
        copy_to: vec!["cn-beijing".into(), "cn-shanghai".into()],
        share_with: vec![OTHER_ACCOUNT.into()],
        tag_snapshots: true,
        retire: Some(RetirePlan {
            keep: 2,
            action: RetireAction::Deprecate,
        }),
        copy_name: Some("web-golden-{region}".into()),
        ..DeliverySpec::default()
    });
    app.revalidate();
    app
}

/// `d`: CreateImage's DryRun and the delivery's, in that order.
fn press_d(app: &mut App) -> (RequestId, RequestId) {
    let effects = key(app, KeyCode::Char('d'));
    let calls = calls(&effects);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(matches!(calls[0].1, Call::DryRun { .. }), "{calls:?}");
    let Call::DeliveryDryRun(spec) = &calls[1].1 else {
        panic!("the delivery's DryRun, got {calls:?}")
    };
    assert_eq!(**spec, app.spec, "the spec as it is now");
    (calls[0].0, calls[1].0)
}

fn check(operation: &'static str, region: &str, what: &str, outcome: CheckOutcome) -> Check {
    Check {
        operation,
        region: region.into(),
        what: what.into(),
        outcome,
    }
}

/// What the runner answers for [`with_delivery`]'s plan, with the copy to cn-shanghai refused
/// by RAM and a retirement refused with a code ecsimg has no words for.
fn answered_checks() -> Vec<Check> {
    let before = || CheckOutcome::PassedBeforeImage {
        request_id: "7C2A0D1E-0000-4000-8000-000000000001".into(),
    };
    vec![
        check(
            "ModifyImageSharePermission",
            "cn-hangzhou",
            "share in cn-hangzhou",
            before(),
        ),
        check(
            "TagResources",
            "cn-hangzhou",
            "tag snapshots in cn-hangzhou",
            CheckOutcome::NotChecked("TagResources takes no DryRun".into()),
        ),
        check("CopyImage", "cn-hangzhou", "copy to cn-beijing", before()),
        check(
            "CopyImage",
            "cn-hangzhou",
            "copy to cn-shanghai",
            CheckOutcome::Failed(service_error(
                "Forbidden.RAM",
                "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
            )),
        ),
        check(
            "ModifyImageAttribute",
            "cn-hangzhou",
            "deprecate m-bp1oldweb00000000001 in cn-hangzhou",
            CheckOutcome::Failed(service_error(
                "Unheard.Refusal",
                "A reason ecsimg has never seen.",
            )),
        ),
        check(
            "ModifyImageAttribute",
            "cn-hangzhou",
            "deprecate m-bp1oldweb00000000002 in cn-hangzhou",
            CheckOutcome::Passed {
                request_id: "7C2A0D1E-0000-4000-8000-000000000002".into(),
            },
        ),
    ]
}

#[test]
fn the_request_tab_lists_the_delivery_calls_after_create_image() {
    let mut app = with_delivery();
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.steps.review.tab, Tab::Request);
    let text = flat(&app, 100, 200);
    let create = text.find("CreateImage · API version").expect("CreateImage");
    let then = text
        .find("Then, once the image is Available, [delivery] makes these calls in order")
        .expect("the delivery's calls");
    assert!(create < then, "{text}");
    // Every planned call, in the plan's order, with its parameters.
    let mut at = then;
    for (n, call) in plan(&app.spec).iter().enumerate() {
        let head = format!("{}. {} · region {}", n + 1, call.operation, call.region);
        let found = text[at..]
            .find(&head)
            .unwrap_or_else(|| panic!("{head} in {text}"));
        at += found;
    }
    assert_shows(
        &text,
        &[
            "3. CopyImage · region cn-hangzhou ImageId <new image> DestinationRegionId cn-beijing \
             DestinationImageName web-golden-cn-beijing",
            "ImageId <copy in cn-beijing>",
            "AddAccount.1 1234567890123457",
            "ResourceId.1 <snapshots of <copy in cn-shanghai>>",
            "every poll until the copy is Available",
            "ImageFamily web",
            "each image of web past the newest 2",
        ],
    );
    insta::assert_snapshot!("review_request_delivery_100x60", render(&app, 100, 60));
}

#[test]
fn the_cli_tab_gives_each_delivery_call_as_an_aliyun_command() {
    let mut app = with_delivery();
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.steps.review.tab, Tab::Cli);
    let text = flat(&app, 100, 200);
    let create = text.find("aliyun ecs CreateImage").expect("CreateImage");
    let copy = text.find("aliyun ecs CopyImage").expect("CopyImage");
    assert!(create < copy, "{text}");
    assert_shows(
        &text,
        &[
            "put the real IDs in place of <…>",
            "aliyun ecs ModifyImageSharePermission \\ --RegionId cn-hangzhou \\ --ImageId '<new image>' \\ --AddAccount.1 1234567890123457",
            "# every poll until the copy is Available aliyun ecs DescribeImages",
        ],
    );
}

#[test]
fn d_checks_the_delivery_calls_too_one_row_each() {
    let mut app = with_delivery();
    key(&mut app, KeyCode::Tab);
    let (create, delivery) = press_d(&mut app);
    assert!(app.busy());
    answer(
        &mut app,
        create,
        Ok(Loaded::DryRun(CreateImageAnswer::DryRunPassed {
            request_id: "0F2B8C3E-1111-4A5B-9C0D-0123456789AB".into(),
        })),
    );
    assert!(app.busy(), "the delivery's check still runs");
    assert_eq!(app.steps.review.tab, Tab::Request);
    // Beside the Request tab, the summary says so.
    let text = flat(&app, 160, 48);
    assert_shows(&text, &["checking the delivery's calls"]);
    answer(
        &mut app,
        delivery,
        Ok(Loaded::DeliveryChecks(answered_checks())),
    );
    assert!(!app.busy());
    assert_eq!(app.steps.review.tab, Tab::Summary, "where the rows are");
    let text = flat(&app, 100, 80);
    assert_shows(
        &text,
        &[
            "✗ 2 of 6 delivery calls refused (rows below).",
            &format!("name {PLACEHOLDER_ID}"),
            "✓ ModifyImageSharePermission · share in cn-hangzhou: passed what can be \
             checked before the image exists",
            "· TagResources · tag snapshots in cn-hangzhou: not checked: TagResources takes no DryRun",
            "✓ CopyImage · copy to cn-beijing: passed what can be checked before the image exists",
            "✗ CopyImage · copy to cn-shanghai: Forbidden.RAM: User not authorized",
            "✗ ModifyImageAttribute · deprecate m-bp1oldweb00000000001 in cn-hangzhou: \
             Unheard.Refusal: A reason ecsimg has never seen.",
            "✓ ModifyImageAttribute · deprecate m-bp1oldweb00000000002 in cn-hangzhou: passed",
        ],
    );
    let explanation = crate::api::error::explain("Forbidden.RAM").expect("explained");
    assert_shows(&text, &[&explanation.meaning]);
    // A code without words falls back to ECS's own message and nothing more.
    assert!(crate::api::error::explain("Unheard.Refusal").is_none());
    assert_eq!(
        app.step_verdict(Step::Review),
        Some(false),
        "a refused delivery call fails the review's DryRun"
    );
    insta::assert_snapshot!(
        "review_delivery_dry_run_failed_100x40",
        render(&app, 100, 40)
    );
    // On a small screen the rows stay in view above the summary's first problem.
    insta::assert_snapshot!("review_delivery_dry_run_failed_80x24", render(&app, 80, 24));

    // A change of the delivery makes the result stale.
    if let Some(d) = app.spec.delivery.as_mut() {
        d.copy_to.pop();
    }
    assert_shows(
        &flat(&app, 100, 40),
        &["answers changed since: d checks again"],
    );
    assert_eq!(app.step_verdict(Step::Review), None);
}

#[test]
fn without_a_delivery_d_checks_create_image_alone() {
    let (mut app, effects) = at_review();
    answer_lookups(&mut app, &effects, "Stopped");
    app.spec.delivery = Some(DeliverySpec::default());
    let effects = key(&mut app, KeyCode::Char('d'));
    assert!(matches!(only_call(&effects).1, Call::DryRun { .. }));
    let text = flat(&app, 100, 40);
    // The summary's Delivery group says there is none; no delivery call is checked.
    assert!(text.contains("No delivery"), "{text}");
    assert!(!text.contains("DryRun: ✗ delivery"), "{text}");
    assert!(!text.contains("CopyImage"), "{text}");
}

#[test]
fn server_text_in_the_delivery_rows_is_escaped() {
    let mut app = with_delivery();
    let (_, delivery) = press_d(&mut app);
    let rows = vec![
        check(
            "ModifyImageAttribute",
            "cn-hangzhou",
            "deprecate m-evil\u{1b}[2J in cn-hangzhou",
            CheckOutcome::Passed {
                request_id: "REQ\u{7}".into(),
            },
        ),
        check(
            "CopyImage",
            "cn-hangzhou",
            "copy to cn-beijing",
            CheckOutcome::Failed(service_error("Bad.Code", "no\u{1b}]0;pwned\u{7}")),
        ),
    ];
    answer(&mut app, delivery, Ok(Loaded::DeliveryChecks(rows)));
    let text = flat(&app, 100, 60);
    assert_shows(
        &text,
        &[
            "deprecate m-evil\\u{1b}[2J in cn-hangzhou: passed",
            "Bad.Code: no\\u{1b}]0;pwned\\u{7}",
        ],
    );
}
