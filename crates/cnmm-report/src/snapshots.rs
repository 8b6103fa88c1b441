//! Whole-output snapshots of each format on the hand-made assessment (with a CI/CD
//! target), so any change to a report's layout shows up in review. Reports hold no
//! machine paths or timestamps, so nothing is redacted. `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test`) updates them.

use crate::testdata::assessment;
use crate::{render, Format, Options};
use cnmm_model::SectionId;

fn with_target() -> Options {
    Options {
        targets: [(SectionId::CiCd, 4)].into_iter().collect(),
        ..Options::default()
    }
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(render(Format::Sarif, &assessment(), &with_target()));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(render(Format::Markdown, &assessment(), &with_target()));
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(render(Format::Html, &assessment(), &with_target()));
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(render(Format::Junit, &assessment(), &with_target()));
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(render(Format::Text, &assessment(), &with_target()));
}
