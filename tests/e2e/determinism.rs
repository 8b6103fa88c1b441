//! The JSON report is byte-identical whatever the thread count and from one run to the
//! next, on every fixture repository (criteria cases, providers, scenarios).

use crate::support::{fixtures_dir, materialise};
use std::path::{Path, PathBuf};

/// Every fixture that is a repository: `criteria/<ID>/<case>`, `providers/<name>`,
/// `scenarios/<name>`.
fn fixture_repos() -> Vec<PathBuf> {
    let dirs = |p: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        v
    };
    let root = fixtures_dir();
    let mut out: Vec<PathBuf> = dirs(&root.join("criteria"))
        .iter()
        .flat_map(|id| dirs(id))
        .collect();
    out.extend(dirs(&root.join("providers")));
    out.extend(dirs(&root.join("scenarios")));
    out
}

fn report(root: &Path, threads: Option<usize>) -> String {
    let settings = cnmm::scan::Settings {
        threads,
        ..Default::default()
    };
    let (a, _) = cnmm::scan::assess(root, &settings)
        .unwrap_or_else(|e| panic!("scan of {} failed: {e}", root.display()));
    cnmm_report::json::render(&a)
}

fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn every_fixture_report_is_byte_identical_across_jobs_and_runs() {
    let fixtures = fixture_repos();
    assert!(fixtures.len() > 150, "{} fixtures", fixtures.len());
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let name = fixture
            .strip_prefix(fixtures_dir())
            .unwrap_or(fixture)
            .display()
            .to_string();
        let first = materialise(fixture, false);
        let one = report(first.path(), Some(1));
        let four = report(first.path(), Some(4));
        if one != four {
            failures.push(format!("{name}: --jobs 1 and --jobs 4 differ"));
        }
        // A second checkout of the same fixture (its own history built again): only the
        // directory's name, which the report gives as the target, may differ.
        let second = materialise(fixture, false);
        let again = report(second.path(), None)
            .replace(&base_name(second.path()), &base_name(first.path()));
        if one != again {
            failures.push(format!("{name}: two runs differ"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
