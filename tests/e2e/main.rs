//! End-to-end tests: the `cnmm` binary and the scan pipeline on fixture repositories.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod criteria;
mod history;
mod providers;
mod schema;
