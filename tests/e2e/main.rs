//! End-to-end tests: the `cnmm` binary and the scan pipeline on fixture repositories.

#[path = "../support/mod.rs"]
mod support;

mod accuracy_labels;
mod adversarial;
mod cli;
mod confidence;
mod criteria;
mod deployment;
mod determinism;
mod docs;
mod fleet;
mod history;
mod plan;
mod providers;
mod reports;
mod schema;
mod timeline;
