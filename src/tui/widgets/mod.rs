//! Widgets shared by the steps.

pub mod choice;
pub mod dialog;
pub mod picker;
pub mod progress;
pub mod tabs;
pub mod text_field;
