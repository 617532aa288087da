//! Widgets shared by the steps.

use ratatui::layout::Rect;

pub mod choice;
pub mod dialog;
pub mod keymap;
pub mod picker;
pub mod progress;
pub mod tabs;
pub mod text_field;

/// Splits `area` (at least 3 rows) into two one-row bars on top, the body, and a one-row bar
/// at the bottom: the layout of the whole screen and of a picker.
pub fn bars_around(area: Rect) -> [Rect; 4] {
    let first = Rect { height: 1, ..area };
    let second = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    let body = Rect {
        y: area.y + 2,
        height: area.height - 3,
        ..area
    };
    let last = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    [first, second, body, last]
}
