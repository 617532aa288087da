//! Every integration test, in one binary: each module links the whole crate, so one binary
//! builds and links once instead of nine times.
//!
//! Run one area with a filter, e.g. `cargo test --test it sim::`; the soak runs are
//! `#[ignore]`d (`cargo test --test it soak -- --ignored`).

mod api_client;
mod api_products;
mod bounds;
mod cli;
mod cli_delivery;
mod cli_dry_run;
mod cli_journal;
mod cli_power;
mod common;
mod credentials_config;
mod credentials_sts;
mod delivery_dry_run;
mod hostile;
mod layers;
mod metadata;
mod policy_proof;
mod props;
mod secrets;
mod sim;
mod sim_delivery;
mod sim_error_rows;
mod sim_harness;
mod sim_operations;
mod sim_power;
mod sim_server;
mod soak;
mod wizard_delivery;
mod wizard_e2e;
mod wizard_exit;
mod wizard_journey;
mod wizard_pickers;
#[cfg(unix)]
mod wizard_tty;
