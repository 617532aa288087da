//! The wizard delivers what it built, end to end: the in-process simulator (the `--sandbox`
//! path, sped up), keys through `update`, every effect run by the effect runner over HTTP.
//! A recipe's `[delivery]` (put on the spec directly: which step edits it does not matter
//! here) copies the Available image to Beijing and shares it; the pane ends with both done,
//! exactly one copy exists there, and the journal records the delivery's end.

use crate::wizard_journey::Journey;
use crossterm::event::KeyCode;
use ecsimg::api::model::ImageQuery;
use ecsimg::spec::DeliverySpec;
use ecsimg::tui::step::Step;

const OTHER_ACCOUNT: &str = "1234567890123457";
const NAME: &str = "web-delivered";
const ALL: [&str; 5] = [
    "Creating",
    "Waiting",
    "Available",
    "UnAvailable",
    "CreateFailed",
];

#[tokio::test]
async fn the_wizard_copies_and_shares_the_available_image() {
    let mut h = Journey::sandbox().await;
    // The web server taken as it runs (its disks are not encrypted, so it can be shared), a
    // name, and the delivery.
    h.choose_instance("web-server-01").await;
    h.app.spec.image.name = Some(NAME.into());
    h.app.spec.delivery = Some(DeliverySpec {
        copy_to: vec!["cn-beijing".into()],
        share_with: vec![OTHER_ACCOUNT.into()],
        ..DeliverySpec::default()
    });
    // However many steps come between: on to the review, then to the Submit step.
    h.go_to_review().await;
    h.press(KeyCode::Char('s')).await;
    assert_eq!(h.app.step, Step::Submit);
    h.press(KeyCode::Enter).await;
    let asked = h.screen(100, 30);
    assert!(
        asked.contains("Once Available, ecsimg copies it to cn-beijing; shares it with"),
        "{asked}"
    );

    h.press_as_time_passes(KeyCode::Char('y')).await;

    let image_id = h
        .app
        .steps
        .submit
        .image_id()
        .expect("CreateImage answered")
        .to_string();
    assert!(!h.app.busy(), "the build and its delivery are over");
    let text = h.screen(160, 60);
    assert!(
        text.contains("Delivery · 3 done, 0 failed, 0 left alone"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "✓ done share {image_id} in cn-hangzhou with {OTHER_ACCOUNT}"
        )),
        "{text}"
    );
    assert!(text.contains("✓ Delivered."), "{text}");

    // Exactly one copy in Beijing, Available, shared like the image itself.
    let beijing = h
        .runner
        .connector()
        .client_for("cn-beijing")
        .expect("a Beijing client");
    let copies: Vec<_> = beijing
        .describe_images_all(&ImageQuery {
            image_name: Some(NAME.into()),
            image_owner_alias: Some("self".into()),
            statuses: ALL.iter().map(|s| s.to_string()).collect(),
            ..ImageQuery::default()
        })
        .await
        .expect("DescribeImages in cn-beijing")
        .into_iter()
        .filter(|i| i.image_name == NAME)
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = &copies[0];
    assert_eq!(copy.status, "Available");
    assert!(copy.is_self_shared.eq_ignore_ascii_case("true"), "{copy:?}");
    assert!(
        text.contains(&format!(
            "copy {image_id} to cn-beijing → {}",
            copy.image_id
        )),
        "{text}"
    );
    let source = h
        .client()
        .describe_images_all(&ImageQuery::watching([image_id.clone()]))
        .await
        .expect("DescribeImages in cn-hangzhou");
    assert!(source[0].is_self_shared.eq_ignore_ascii_case("true"));

    // The journal knows the delivery ended, none failed: a resume has nothing to do.
    let entry = h
        .journal()
        .read()
        .expect("the journal reads")
        .entries
        .into_iter()
        .find(|e| e.image_id() == Some(image_id.as_str()))
        .expect("the submission");
    assert_eq!(entry.delivery_ended, Some(0));
    assert!(!entry.delivery_due());
}
