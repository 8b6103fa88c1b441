//! Per-criterion fixtures: `fixtures/criteria/<ID>/<case>/` is a repository tree that
//! meets the criterion (`meets*`), narrowly misses it (`misses*`), or sets a trap that
//! must not count (`trap*`, expected unmet). `_expect.yaml` (`status: unknown`, ...)
//! overrides the expectation; `_history.yaml` scripts the git history.

use crate::support::{assess, criterion, fixtures_dir, materialise};
use cnmm_model::Status;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    status: String,
}

fn expected(case: &std::path::Path) -> Status {
    let file = case.join("_expect.yaml");
    let name = case
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if file.is_file() {
        let e: Expect = serde_saphyr::from_str(&std::fs::read_to_string(&file).expect("read"))
            .expect("_expect.yaml");
        return match e.status.as_str() {
            "met" => Status::Met,
            "unmet" => Status::Unmet,
            "unknown" => Status::Unknown,
            "not_applicable" => Status::NotApplicable,
            other => panic!("{}: unknown status {other}", file.display()),
        };
    }
    if name.starts_with("meets") {
        Status::Met
    } else if name.starts_with("misses") || name.starts_with("trap") {
        Status::Unmet
    } else {
        panic!(
            "{}: case names start with meets, misses or trap (or add _expect.yaml)",
            case.display()
        )
    }
}

pub fn cases() -> Vec<(String, PathBuf)> {
    let root = fixtures_dir().join("criteria");
    let mut out = Vec::new();
    for id in std::fs::read_dir(&root)
        .expect("fixtures/criteria")
        .flatten()
    {
        if !id.path().is_dir() {
            continue;
        }
        for case in std::fs::read_dir(id.path())
            .expect("criterion dir")
            .flatten()
        {
            if case.path().is_dir() {
                out.push((id.file_name().to_string_lossy().to_string(), case.path()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_criterion_fixture_gets_its_expected_status() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(!all.is_empty());
    for (id, case) in &all {
        let repo = materialise(case, false);
        let a = assess(repo.path());
        let c = criterion(&a, id);
        let want = expected(case);
        if c.status != want {
            failures.push(format!(
                "{id} {}: expected {}, got {} (evidence: {:?}; excluded: {:?}; reason: {:?})",
                case.strip_prefix(fixtures_dir()).unwrap_or(case).display(),
                want.as_str(),
                c.status.as_str(),
                c.evidence
                    .iter()
                    .map(|e| format!("{}:{:?} {}", e.path, e.line, e.detail))
                    .collect::<Vec<_>>(),
                c.excluded
                    .iter()
                    .map(|e| format!("{}:{:?} {}", e.path, e.line, e.reason))
                    .collect::<Vec<_>>(),
                c.reason,
            ));
        }
        if c.status == Status::Met {
            assert!(
                !c.evidence.is_empty(),
                "{id} {}: met without evidence",
                case.display()
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// Every built-in rule has a case that meets it and one that narrowly misses it (or a
/// trap); every fixture directory names a real rule.
#[test]
fn every_rule_has_meeting_and_missing_fixtures() {
    let (set, _) = cnmm::scan::load_rules(&[]).expect("built-in rules");
    let all = cases();
    let mut problems = Vec::new();
    for r in &set.rules {
        let names: Vec<String> = all
            .iter()
            .filter(|(id, _)| id == &r.id)
            .filter_map(|(_, p)| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        if !names.iter().any(|n| n.starts_with("meets")) {
            problems.push(format!("{}: no meets* fixture", r.id));
        }
        if !names
            .iter()
            .any(|n| n.starts_with("misses") || n.starts_with("trap"))
        {
            problems.push(format!("{}: no misses*/trap* fixture", r.id));
        }
    }
    for (id, case) in &all {
        if set.rule(id).is_none() {
            problems.push(format!("{}: fixture for unknown rule {id}", case.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
