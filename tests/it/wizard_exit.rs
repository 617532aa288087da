//! The wizard's exit code after a delivery, with the real engine over HTTP (the in-process
//! simulator, keys through `update`): a delivery that ended with a failed action makes a quit
//! end as `Ended::QuitNotAllDelivered` (exit 6, as for `ecsimg create`); one that did all it
//! was asked ends as a plain quit (exit 0).

use crate::wizard_journey::Journey;
use crossterm::event::KeyCode;
use ecsimg::spec::DeliverySpec;
use ecsimg::tui::Ended;
use ecsimg::tui::step::Step;

/// The sandbox account itself: ECS refuses to share an image with its own account.
const OWN_ACCOUNT: &str = "1234567890123456";
const OTHER_ACCOUNT: &str = "1234567890123457";

/// Builds the web server's image in the sandbox and delivers it (shared with `account`);
/// returns the journey once the build and the delivery are over.
async fn delivered_sharing_with(account: &str, name: &str) -> Journey {
    let mut h = Journey::sandbox().await;
    h.choose_instance("web-server-01").await;
    h.app.spec.image.name = Some(name.into());
    h.app.spec.delivery = Some(DeliverySpec {
        share_with: vec![account.into()],
        ..DeliverySpec::default()
    });
    h.go_to_review().await;
    h.press(KeyCode::Char('s')).await;
    assert_eq!(h.app.step, Step::Submit);
    h.press(KeyCode::Enter).await;
    h.press_as_time_passes(KeyCode::Char('y')).await;
    assert!(!h.app.busy(), "the build and its delivery are over");
    h
}

#[tokio::test]
async fn a_delivery_with_a_failed_action_makes_the_wizard_exit_6() {
    let h = delivered_sharing_with(OWN_ACCOUNT, "web-exit-6").await;
    let farewell = h.app.farewell().expect("a farewell").to_string();
    assert!(
        farewell.contains("0 done, 1 failed") && farewell.contains("not all delivered"),
        "{farewell}"
    );
    assert_eq!(Ended::quitting(&h.app), Ended::QuitNotAllDelivered);
}

#[tokio::test]
async fn a_delivery_that_did_everything_makes_the_wizard_exit_0() {
    let h = delivered_sharing_with(OTHER_ACCOUNT, "web-exit-0").await;
    let farewell = h.app.farewell().expect("a farewell").to_string();
    assert!(farewell.contains("1 done, 0 failed"), "{farewell}");
    assert_eq!(Ended::quitting(&h.app), Ended::Quit);
}
