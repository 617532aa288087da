//! Step 3's lists on the sandbox, by keys, every call made for real: the family and the
//! resource group are picked from what the simulator lists (ECS DescribeImages, Resource
//! Manager ListResourceGroups on the same listener), and the DryRun passes with them; without
//! permission to list resource groups, the field is typed and the DryRun passes all the same.

use crossterm::event::KeyCode;
use ecsimg::sim::Fault;
use ecsimg::tui::step::Step;

use crate::wizard_journey::Journey;

/// Rows under the name: the family is the next one, the resource group the last.
const FAMILY: usize = 1;
const RESOURCE_GROUP: usize = 7;

/// Step 3 of a wizard on the sandbox, the stopped database server as the source, a name typed.
async fn details(name: &str) -> Journey {
    let mut h = Journey::sandbox().await;
    h.choose_instance("数据库").await;
    h.ctrl('n').await;
    assert_eq!(h.app.step, Step::Details);
    h.type_field(0, name).await;
    h
}

/// Opens the list of the field `tabs` rows under the name, filters it by `filter` and takes
/// the row Enter chooses; back on the name afterwards.
async fn pick(h: &mut Journey, tabs: usize, filter: &str, expect_on_screen: &[&str]) {
    for _ in 0..tabs {
        h.press(KeyCode::Tab).await;
    }
    h.press(KeyCode::Enter).await;
    let list = h.screen(160, 48);
    for shown in expect_on_screen {
        assert!(list.contains(shown), "{shown} in {list}");
    }
    h.type_text(filter).await;
    h.press(KeyCode::Enter).await;
    for _ in 0..tabs {
        h.press(KeyCode::BackTab).await;
    }
}

#[tokio::test]
async fn a_family_and_a_resource_group_are_picked_and_the_dry_run_passes() {
    let mut h = details("db-picked-journey").await;
    pick(
        &mut h,
        FAMILY,
        "db",
        &[
            "2 families",
            "web-base",
            "db",
            "1 of 100",
            "web-base-20240601",
        ],
    )
    .await;
    assert_eq!(h.app.spec.image.family.as_deref(), Some("db"));
    pick(
        &mut h,
        RESOURCE_GROUP,
        "test",
        &[
            "3 resource groups",
            "rg-aek3bvz5p7mcxea",
            "test-env",
            "production",
        ],
    )
    .await;
    assert_eq!(
        h.app.spec.image.resource_group_id.as_deref(),
        Some("rg-aek3bvz5p7mcxea")
    );
    let form = h.screen(160, 48);
    assert!(form.contains("1 of 100 images; newest"), "{form}");
    assert!(form.contains("= test-env (display name"), "{form}");
    h.go_to_review().await;
    let text = h.dry_run().await;
    assert!(text.contains("DryRun: ✓ passed"), "{text}");
}

#[tokio::test]
async fn without_permission_to_list_groups_the_id_is_typed_and_the_dry_run_passes() {
    let mut h = Journey::sandbox().await;
    assert!(
        h.sim()
            .faults()
            .fail_next_action("ListResourceGroups", 1, Fault::Forbidden)
    );
    h.choose_instance("数据库").await;
    h.ctrl('n').await;
    assert!(h.app.overlay.is_none(), "no popup for a list");
    let form = h.screen(160, 48);
    assert!(
        form.contains("Resource groups could not be listed (no permission: Forbidden.RAM)"),
        "{form}"
    );
    // Enter types into the field now, as in any text field.
    h.type_field(RESOURCE_GROUP, "rg-aek2t4crbzbk6ri").await;
    assert_eq!(
        h.app.spec.image.resource_group_id.as_deref(),
        Some("rg-aek2t4crbzbk6ri")
    );
    // A new family is typed into the family list and taken with Tab.
    h.press(KeyCode::Tab).await;
    h.press(KeyCode::Enter).await;
    h.type_text("db-next").await;
    assert!(
        h.screen(160, 48)
            .contains("Enter or Tab takes “db-next” (a new family)."),
        "{}",
        h.screen(160, 48)
    );
    h.press(KeyCode::Tab).await;
    assert_eq!(h.app.spec.image.family.as_deref(), Some("db-next"));
    h.go_to_review().await;
    let text = h.dry_run().await;
    assert!(text.contains("DryRun: ✓ passed"), "{text}");
}
