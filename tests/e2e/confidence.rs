//! Verdicts say how sure they are: `low` confidence, with the reason, when they rest on
//! a judgement (evidence known only by a name) or when pipelines use parts cnmm cannot
//! read offline; `high` otherwise.

use crate::support::{assess, criterion, fixtures_dir, materialise};
use cnmm_model::Confidence;

fn scan(case: &str) -> cnmm_model::Assessment {
    let repo = materialise(&fixtures_dir().join(case), false);
    assess(repo.path())
}

#[test]
fn a_component_known_only_by_its_name_is_a_low_confidence_release() {
    let a = scan("criteria/P2b/meets-gitlab-release-component");
    let c = criterion(&a, "P2b");
    assert_eq!(c.status, cnmm_model::Status::Met);
    assert_eq!(c.confidence, Confidence::Low);
    assert_eq!(c.confidence_reasons.len(), 1, "{:?}", c.confidence_reasons);
    assert!(
        c.confidence_reasons[0].contains("acme/ci-templates/release-service")
            && c.confidence_reasons[0].contains("known only by its name"),
        "{:?}",
        c.confidence_reasons
    );
    assert!(c.evidence.iter().all(|e| e.judgement.is_some()));
}

#[test]
fn evidence_read_from_the_files_is_high_confidence() {
    let a = scan("criteria/P2b/meets");
    let c = criterion(&a, "P2b");
    assert_eq!(c.status, cnmm_model::Status::Met);
    assert_eq!(c.confidence, Confidence::High);
    assert!(c.confidence_reasons.is_empty());
    assert!(c.evidence.iter().all(|e| e.judgement.is_none()));
    // A catalog-known component is read as known, not guessed.
    let a = scan("criteria/S2/meets-gitlab-sast-component");
    assert_eq!(criterion(&a, "S2").confidence, Confidence::High);
}

#[test]
fn not_found_beside_an_unreadable_include_is_low_confidence() {
    let a = scan("confidence/gitlab-project-include");
    let s2 = criterion(&a, "S2");
    assert_eq!(s2.status, cnmm_model::Status::Unmet);
    assert_eq!(s2.confidence, Confidence::Low);
    assert!(
        s2.confidence_reasons[0]
            .contains("project:acme/platform/ci-templates/security.gitlab-ci.yml@v4"),
        "{:?}",
        s2.confidence_reasons
    );
    // Found in the files that are read: sure, whatever else is included.
    let p2a = criterion(&a, "P2a");
    assert_eq!(p2a.status, cnmm_model::Status::Met);
    assert_eq!(p2a.confidence, Confidence::High);
    // Not a pipeline question: the include changes nothing.
    let p3a = criterion(&a, "P3a");
    assert_eq!(p3a.status, cnmm_model::Status::Unmet);
    assert_eq!(p3a.confidence, Confidence::High);
}

#[test]
fn without_unreadable_parts_not_found_is_high_confidence() {
    let a = scan("criteria/S2/misses-manual-only");
    let s2 = criterion(&a, "S2");
    assert_eq!(s2.status, cnmm_model::Status::Unmet);
    assert_eq!(s2.confidence, Confidence::High);
}

#[test]
fn a_small_sample_of_commits_is_a_low_confidence_observation() {
    let a = scan("criteria/X3c/meets-small-sample");
    let c = criterion(&a, "X3c");
    assert_eq!(c.status, cnmm_model::Status::Met);
    assert_eq!(c.confidence, Confidence::Low);
    assert!(
        c.confidence_reasons
            .iter()
            .any(|r| r.contains("small sample")),
        "{:?}",
        c.confidence_reasons
    );
    let a = scan("criteria/X3c/meets-observed");
    assert_eq!(criterion(&a, "X3c").confidence, Confidence::High);
}

#[test]
fn an_orb_job_named_after_a_tool_is_a_judgement() {
    let a = scan("criteria/S2/meets-circleci-orb-job-named-after-tool");
    let c = criterion(&a, "S2");
    assert_eq!(c.status, cnmm_model::Status::Met);
    assert_eq!(c.confidence, Confidence::Low);
    assert!(c.evidence.iter().all(|e| e
        .judgement
        .as_deref()
        .is_some_and(|j| j.contains("named after"))));
}

#[test]
fn probes_on_some_workloads_only_are_a_low_confidence_pass() {
    let a = scan("criteria/X5d/meets-one-workload-without-probes");
    let c = criterion(&a, "X5d");
    assert_eq!(c.status, cnmm_model::Status::Met);
    assert_eq!(c.confidence, Confidence::Low);
    // The workload without probes is named, as what keeps the verdict from being sure.
    assert!(
        c.excluded.iter().any(|x| x.path == "deploy/worker.yaml"),
        "{:?}",
        c.excluded
    );
    let a = scan("criteria/X5d/meets");
    assert_eq!(criterion(&a, "X5d").confidence, Confidence::High);
}
