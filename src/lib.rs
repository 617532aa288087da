//! ecsimg: build Alibaba Cloud ECS custom images from a terminal.
//!
//! One spec, three faces: the [`spec::ImageSpec`] is edited by the wizard, loaded from recipes and
//! sent by the [`api::Client`]; the [`sim`] module is an ECS simulator that speaks the same wire
//! protocol so everything can run offline.

pub mod api;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod delivery;
pub mod duration;
pub mod journal;
pub mod policy;
pub mod regular_file;
pub mod search;
pub mod secret;
pub mod session;
pub mod signals;
pub mod sim;
pub mod spec;
pub mod submission;
pub mod text;
pub mod tui;
pub mod watch;
