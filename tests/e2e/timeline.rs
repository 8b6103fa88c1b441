//! `cnmm timeline` on histories built at test time, where each commit has its own tree:
//! levels rise and fall at known tags, every point equals an uncached `scan --rev` of
//! it, and broken points (bad YAML, a missing blob, a tag of a tree, a shallow clone)
//! are reported without losing the others.

use crate::support::{cnmm, remove_loose_object, EPOCH};
use cnmm::scan::Settings;
use cnmm::timeline::points::Selection;
use cnmm::timeline::{build, Timeline};
use std::collections::BTreeMap;
use std::path::Path;

/// One commit of a scripted history: files written (`Some`) or removed (`None`), its
/// date, and an optional tag (`annotated` tags are dated by their tagger, a day later).
struct Step<'a> {
    days_ago: i64,
    message: &'a str,
    files: Vec<(&'a str, Option<&'a str>)>,
    tag: Option<&'a str>,
    annotated: bool,
}

fn step<'a>(days_ago: i64, message: &'a str) -> Step<'a> {
    Step {
        days_ago,
        message,
        files: Vec::new(),
        tag: None,
        annotated: false,
    }
}

impl<'a> Step<'a> {
    fn write(mut self, path: &'a str, text: &'a str) -> Self {
        self.files.push((path, Some(text)));
        self
    }
    fn remove(mut self, path: &'a str) -> Self {
        self.files.push((path, None));
        self
    }
    fn tag(mut self, name: &'a str) -> Self {
        self.tag = Some(name);
        self
    }
    fn annotated(mut self, name: &'a str) -> Self {
        self.tag = Some(name);
        self.annotated = true;
        self
    }
}

/// The tree of the files below `dir` (`""` or ending in `/`), written to `repo`.
fn tree_of(repo: &git2::Repository, files: &BTreeMap<String, String>, dir: &str) -> git2::Oid {
    let mut b = repo.treebuilder(None).expect("treebuilder");
    let mut subdirs: Vec<String> = Vec::new();
    for (path, text) in files.range(dir.to_string()..) {
        let Some(rest) = path.strip_prefix(dir) else {
            break;
        };
        match rest.split_once('/') {
            None => {
                let blob = repo.blob(text.as_bytes()).expect("blob");
                b.insert(rest, blob, 0o100644).expect("insert blob");
            }
            Some((sub, _)) if subdirs.last().map(String::as_str) != Some(sub) => {
                subdirs.push(sub.to_string());
            }
            Some(_) => {}
        }
    }
    for sub in subdirs {
        let id = tree_of(repo, files, &format!("{dir}{sub}/"));
        b.insert(&sub, id, 0o040000).expect("insert tree");
    }
    b.write().expect("write tree")
}

/// Builds the history in a new repository (each commit's tree made from the files so
/// far, written as objects: no work tree is checked out). Returns each step's
/// commit id.
fn build_repo(root: &Path, steps: &[Step]) -> Vec<git2::Oid> {
    let repo = git2::Repository::init_opts(
        root,
        git2::RepositoryInitOptions::new().initial_head("main"),
    )
    .expect("init");
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut head: Option<git2::Oid> = None;
    let mut ids = Vec::new();
    for s in steps {
        for (path, text) in &s.files {
            match text {
                Some(t) => {
                    files.insert(path.to_string(), t.to_string());
                }
                None => {
                    files.remove(*path);
                }
            }
        }
        let tree_id = tree_of(&repo, &files, "");
        let tree = repo.find_tree(tree_id).expect("find tree");
        let when = git2::Time::new(EPOCH - s.days_ago * 86_400, 0);
        let sig = git2::Signature::new("Dev One", "dev@example.com", &when).expect("sig");
        let parents: Vec<git2::Commit> = head
            .map(|h| repo.find_commit(h).expect("parent"))
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        let oid = repo
            .commit(Some("refs/heads/main"), &sig, &sig, s.message, &tree, &refs)
            .expect("commit");
        if let Some(t) = s.tag {
            let obj = repo.find_object(oid, None).expect("obj");
            if s.annotated {
                let at = git2::Time::new(EPOCH - s.days_ago * 86_400 + 86_400, 0);
                let tagger =
                    git2::Signature::new("Releaser", "release@example.com", &at).expect("sig");
                repo.tag(t, &obj, &tagger, &format!("release {t}"), false)
                    .expect("tag");
            } else {
                repo.tag_lightweight(t, &obj, false).expect("tag");
            }
        }
        head = Some(oid);
        ids.push(oid);
    }
    repo.set_head("refs/heads/main").expect("head");
    ids
}

const README: &str = "# demo\n\nA small service.\n";
const GO_MOD: &str = "module github.com/acme/demo\n\ngo 1.23\n";
const MAIN_GO: &str = "package main\n\nfunc main() {}\n";
/// A test for `go test` to run (with none, it runs nothing).
const MAIN_TEST_GO: &str =
    "package main\n\nimport \"testing\"\n\nfunc TestRun(t *testing.T) { main() }\n";
const CONTRIBUTING: &str = "# Contributing\n\nOpen a pull request; CI must pass.\n";

const CI: &str = r#"name: CI
on:
  push:
    branches: [main]
  pull_request:
  schedule:
    - cron: "0 3 * * 1"
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: golangci/golangci-lint-action@v6
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
      - run: go test -race ./...
      - run: go run golang.org/x/vuln/cmd/govulncheck@latest ./...
"#;

const RELEASE: &str = r#"name: Release
on:
  push:
    tags: ["v*"]
jobs:
  goreleaser:
    runs-on: ubuntu-latest
    permissions:
      contents: write
    steps:
      - uses: actions/checkout@v4
      - uses: goreleaser/goreleaser-action@v6
        with:
          args: release --clean
"#;

const RELEASE_GATED: &str = r#"name: Release
on:
  push:
    tags: ["v*"]
jobs:
  goreleaser:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      contents: write
    steps:
      - uses: actions/checkout@v4
      - uses: goreleaser/goreleaser-action@v6
        with:
          args: release --clean
"#;

const DEPENDABOT: &str = r#"version: 2
updates:
  - package-ecosystem: gomod
    directory: /
    schedule: {interval: weekly}
  - package-ecosystem: github-actions
    directory: /
    schedule: {interval: weekly}
"#;

/// The scripted project: CI and releases arrive at v1.1.0, Dependabot at v1.2.0, the
/// release job is gated at v1.3.0, Dependabot leaves at v1.4.0, the gate leaves at
/// v1.5.0; releases are frequent at first and thin out, so by HEAD fewer than six
/// version tags fall in the last year.
fn project(root: &Path) -> Vec<git2::Oid> {
    build_repo(
        root,
        &[
            step(560, "initial import")
                .write("README.md", README)
                .write("go.mod", GO_MOD)
                .write("main.go", MAIN_GO)
                .write("main_test.go", MAIN_TEST_GO)
                .write("CONTRIBUTING.md", CONTRIBUTING)
                .tag("v1.0.0"),
            step(480, "add CI and releases")
                .write(".github/workflows/ci.yml", CI)
                .write(".github/workflows/release.yml", RELEASE)
                .annotated("v1.1.0"),
            step(420, "fix: a")
                .write("main.go", "package main\n\nfunc main() { _ = 1 }\n")
                .tag("v1.1.1"),
            step(360, "fix: b")
                .write("main.go", "package main\n\nfunc main() { _ = 2 }\n")
                .tag("v1.1.2"),
            step(300, "automate dependency updates")
                .write(".github/dependabot.yml", DEPENDABOT)
                .annotated("v1.2.0"),
            step(250, "gate releases")
                .write(".github/workflows/release.yml", RELEASE_GATED)
                .tag("v1.3.0"),
            step(200, "drop dependabot")
                .remove(".github/dependabot.yml")
                .tag("v1.4.0"),
            step(150, "ungate releases")
                .write(".github/workflows/release.yml", RELEASE)
                .tag("v1.5.0"),
            step(5, "docs").write("README.md", "# demo\n\nA small service, documented.\n"),
        ],
    )
}

fn settings(jobs: usize) -> Settings {
    Settings {
        threads: Some(jobs),
        ..Settings::default()
    }
}

fn timeline(root: &Path, sel: &Selection) -> Timeline {
    build(root, &settings(2), sel, |_, _, _| {}).expect("timeline")
}

/// Assessing `ids` in this order through one cache gives, for each, the report an
/// uncached assessment of it gives, evidence included.
fn assert_cached_points_equal_uncached<'a>(
    root: &Path,
    ids: impl IntoIterator<Item = &'a git2::Oid>,
) -> cnmm_facts::cache::CacheStats {
    let prepared = cnmm::scan::Prepared::new(root, &settings(2)).expect("prepare");
    let cache = std::sync::Arc::new(cnmm_facts::cache::ScanCache::new());
    for id in ids {
        let cached = prepared
            .assess(Some(&id.to_string()), Some(cache.clone()))
            .expect("cached");
        cache.end_point();
        let uncached = prepared
            .assess(Some(&id.to_string()), None)
            .expect("uncached");
        assert_eq!(
            cnmm_report::json::render(&cached),
            cnmm_report::json::render(&uncached),
            "{id}"
        );
    }
    cache.stats()
}

fn levels(t: &Timeline) -> Vec<(String, Option<[u8; 5]>)> {
    t.points
        .iter()
        .map(|p| {
            (
                p.label(),
                p.sections.as_ref().map(|s| {
                    [
                        s.process,
                        s.audit_logs,
                        s.ci_cd,
                        s.change_control,
                        s.security,
                    ]
                }),
            )
        })
        .collect()
}

/// The criteria gained (`+ID`) and lost (`-ID`) from the point labelled `from` to the next.
fn changes_after(t: &Timeline, from: &str) -> Vec<String> {
    let c = t
        .changes
        .iter()
        .find(|c| t.points[c.from].label() == from)
        .unwrap_or_else(|| panic!("no change after {from}"));
    let mut out: Vec<String> = c.gained.iter().map(|g| format!("+{}", g.id)).collect();
    out.extend(c.lost.iter().map(|l| format!("-{}", l.id)));
    out
}

#[test]
fn levels_rise_and_fall_at_the_tags_that_change_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path());
    let t = timeline(dir.path(), &Selection::Tags(12));
    let got = levels(&t);
    let labels: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        ["v1.0.0", "v1.1.0", "v1.1.1", "v1.1.2", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0", "HEAD"],
        "every version tag of HEAD's history, oldest first, HEAD last"
    );
    // [process, audit, ci_cd, change_control, security]
    let want: Vec<(&str, [u8; 5])> = vec![
        ("v1.0.0", [1, 1, 1, 1, 1]),
        ("v1.1.0", [2, 1, 2, 2, 3]),
        ("v1.1.1", [2, 1, 2, 2, 3]),
        ("v1.1.2", [2, 1, 2, 2, 3]),
        ("v1.2.0", [2, 1, 2, 2, 4]),
        ("v1.3.0", [2, 1, 2, 2, 4]),
        ("v1.4.0", [2, 1, 2, 2, 3]),
        ("v1.5.0", [2, 1, 2, 2, 3]),
        ("HEAD", [2, 1, 2, 2, 3]),
    ];
    for ((label, have), (wl, wlevels)) in got.iter().zip(&want) {
        assert_eq!(label, wl);
        assert_eq!(have.as_ref(), Some(wlevels), "levels at {label}");
    }
    assert_eq!(
        changes_after(&t, "v1.0.0"),
        ["+P2a", "+P2b", "+C2", "+C4a", "+X2", "+X3a", "+X3b", "+S2", "+S3", "+S5d"],
        "CI and releases arrive (GoReleaser's release is a record; the release job's token is scoped)"
    );
    assert_eq!(
        changes_after(&t, "v1.1.2"),
        ["+P3b", "+S4"],
        "Dependabot arrives"
    );
    assert_eq!(
        changes_after(&t, "v1.2.0"),
        ["+C4b", "+X4b"],
        "the release job is gated; six version tags in the year before v1.3.0"
    );
    assert_eq!(
        changes_after(&t, "v1.3.0"),
        ["-P3b", "-S4"],
        "Dependabot leaves"
    );
    assert_eq!(changes_after(&t, "v1.4.0"), ["-X4b"], "the gate leaves");
    assert_eq!(
        changes_after(&t, "v1.5.0"),
        ["-C4b"],
        "tags thinned out: five in the year before HEAD"
    );
    // The lost criterion cites what used to count.
    let dropped = t
        .changes
        .iter()
        .flat_map(|c| &c.lost)
        .find(|l| l.id == "P3b")
        .expect("P3b lost");
    assert!(
        dropped
            .evidence
            .iter()
            .any(|e| e.path == ".github/dependabot.yml"),
        "{:?}",
        dropped.evidence
    );
    assert!(!t.regression, "HEAD is level with v1.5.0");
}

/// Each point is what an uncached `scan --rev POINT` says, to the byte.
#[test]
fn every_point_equals_an_uncached_scan_of_its_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = project(dir.path());
    let t = timeline(dir.path(), &Selection::Tags(12));
    for p in &t.points {
        let commit = p.commit.as_deref().expect("commit");
        let mut s = settings(2);
        s.rev = Some(commit.to_string());
        let (alone, _) = cnmm::scan::assess(dir.path(), &s).expect("scan --rev");
        assert_eq!(
            p.sections.as_ref(),
            Some(&alone.summary.sections),
            "{}",
            p.label()
        );
        let statuses: Vec<(String, cnmm_model::Status)> = alone
            .sections
            .iter()
            .flat_map(|s| s.criteria.iter().map(|c| (c.id.clone(), c.status)))
            .collect();
        let have: Vec<(String, cnmm_model::Status)> = p
            .criteria
            .iter()
            .map(|c| (c.id.clone(), c.status))
            .collect();
        assert_eq!(have, statuses, "{}", p.label());
    }
    assert_eq!(t.points.len(), ids.len());
    // And the whole cached assessment of each commit, evidence included.
    let stats = assert_cached_points_equal_uncached(dir.path(), ids.iter().rev());
    assert!(stats.hits > stats.misses, "{stats:?}");
}

const CHECKS: &str = r#"name: Checks
on:
  push:
    branches: [main]
  pull_request:
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/check.sh
"#;

const NIGHTLY: &str = r#"name: Nightly
on:
  schedule:
    - cron: "0 2 * * *"
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/check.sh
"#;

/// The workflows stay the same while the script they both run starts, then stops,
/// running a vulnerability scanner: every point sees its own script, although the
/// extractions of the workflows and the pipeline model are reused from the point before.
#[test]
fn a_script_the_pipelines_run_is_read_at_each_point() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = build_repo(
        dir.path(),
        &[
            step(300, "checks")
                .write("go.mod", GO_MOD)
                .write("main.go", MAIN_GO)
                .write("main_test.go", MAIN_TEST_GO)
                .write(".github/workflows/checks.yml", CHECKS)
                .write(".github/workflows/nightly.yml", NIGHTLY)
                .write("scripts/check.sh", "#!/bin/sh\nset -e\ngo test ./...\n")
                .tag("v1.0.0"),
            step(200, "scan for vulnerabilities")
                .write(
                    "scripts/check.sh",
                    "#!/bin/sh\nset -e\ngo test ./...\ngovulncheck ./...\n",
                )
                .tag("v1.1.0"),
            step(150, "docs")
                .write("README.md", "# demo\n")
                .tag("v1.1.1"),
            step(100, "stop scanning")
                .write("scripts/check.sh", "#!/bin/sh\nset -e\ngo test ./...\n")
                .tag("v1.2.0"),
            step(50, "more docs").write("README.md", "# demo\n\nMore.\n"),
        ],
    );
    let t = timeline(dir.path(), &Selection::Tags(12));
    let s2: Vec<(String, cnmm_model::Status)> = t
        .points
        .iter()
        .map(|p| {
            let c = p.criteria.iter().find(|c| c.id == "S2").expect("S2");
            (p.label(), c.status)
        })
        .collect();
    use cnmm_model::Status::{Met, Unmet};
    assert_eq!(
        s2,
        [
            ("v1.0.0".to_string(), Unmet),
            ("v1.1.0".to_string(), Met),
            ("v1.1.1".to_string(), Met),
            ("v1.2.0".to_string(), Unmet),
            ("HEAD".to_string(), Unmet),
        ]
    );
    // Oldest first here (the timeline goes newest first): the cache meets each change
    // from the other side too.
    assert_cached_points_equal_uncached(dir.path(), &ids);
}

#[test]
fn periods_and_revisions_choose_their_points() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = project(dir.path());
    // Every 100 days over 400 days back from HEAD (5 days ago): the newest first-parent
    // commit at or before 405, 305, 205 and 105 days ago (commits at 420, 360, 250
    // and 150 days ago).
    let t = timeline(
        dir.path(),
        &Selection::Every {
            every: 100 * 86_400,
            since: 400 * 86_400,
        },
    );
    let commits: Vec<String> = t
        .points
        .iter()
        .map(|p| p.commit.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        commits,
        [ids[2], ids[3], ids[5], ids[7], ids[8]].map(|i| i.to_string()),
        "{:?}",
        levels(&t)
    );
    assert_eq!(t.points.last().map(|p| p.label()), Some("HEAD".to_string()));
    // Explicit revisions; one naming HEAD's commit merges with HEAD.
    let t = timeline(
        dir.path(),
        &Selection::Revs(vec!["v1.2.0".into(), ids[8].to_string()]),
    );
    let labels: Vec<String> = t.points.iter().map(|p| p.label()).collect();
    assert_eq!(labels, ["v1.2.0".to_string(), format!("{}, HEAD", ids[8])]);
    // Fewer tags than asked: the newest ones.
    let t = timeline(dir.path(), &Selection::Tags(2));
    let labels: Vec<String> = t.points.iter().map(|p| p.label()).collect();
    assert_eq!(labels, ["v1.4.0", "v1.5.0", "HEAD"]);
}

#[test]
fn broken_points_are_reported_and_the_others_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = build_repo(
        dir.path(),
        &[
            step(300, "initial")
                .write("README.md", README)
                .write(".github/workflows/ci.yml", CI)
                .write(".github/workflows/release.yml", RELEASE)
                .tag("v1.0.0"),
            step(200, "break the workflow")
                .write(".github/workflows/ci.yml", "name: CI\non: [push\njobs: {\n")
                .tag("v1.1.0"),
            step(100, "fix it")
                .write(".github/workflows/ci.yml", CI)
                .write("docs/big.json", "{\"blob\": \"that goes missing\"}\n")
                .tag("v1.2.0"),
        ],
    );
    let repo = git2::Repository::open(dir.path()).expect("open");
    // A version tag of a tree, not a commit.
    let tree = repo
        .find_commit(ids[0])
        .and_then(|c| c.tree())
        .expect("tree");
    let tagger = git2::Signature::new(
        "R",
        "r@example.com",
        &git2::Time::new(EPOCH - 150 * 86_400, 0),
    )
    .expect("sig");
    repo.tag("v1.1.5", tree.as_object(), &tagger, "a tree", false)
        .expect("tag a tree");
    // A blob missing from the object database (a partial clone): v1.2.0's docs/big.json.
    let big = repo
        .find_commit(ids[2])
        .and_then(|c| c.tree())
        .and_then(|t| t.get_path(Path::new("docs/big.json")).map(|e| e.id()))
        .expect("blob id");
    remove_loose_object(dir.path(), big);

    let t = timeline(dir.path(), &Selection::Tags(12));
    let labels: Vec<String> = t.points.iter().map(|p| p.label()).collect();
    assert_eq!(labels, ["v1.0.0", "v1.1.0", "v1.1.5", "v1.2.0, HEAD"]);
    let by = |l: &str| t.points.iter().find(|p| p.label() == l).expect(l);
    // Broken YAML: assessed, with the parse error as a diagnostic of that point.
    let broken = by("v1.1.0");
    assert!(broken.sections.is_some());
    assert!(
        broken
            .diagnostics
            .iter()
            .any(|d| d.path.as_deref() == Some(".github/workflows/ci.yml")
                && d.message.contains("invalid YAML")),
        "{:?}",
        broken.diagnostics
    );
    assert!(
        by("v1.0.0")
            .diagnostics
            .iter()
            .all(|d| d.path.as_deref() != Some(".github/workflows/ci.yml")),
        "{:?}",
        by("v1.0.0").diagnostics
    );
    // The tag of a tree: a point without an assessment, saying why.
    let tree_tag = by("v1.1.5");
    assert!(tree_tag.sections.is_none());
    assert!(
        tree_tag
            .unavailable
            .as_deref()
            .is_some_and(|w| w.contains("tree")),
        "{:?}",
        tree_tag.unavailable
    );
    // The missing blob: a diagnostic naming the file; the point is still assessed.
    let last = by("v1.2.0, HEAD");
    assert!(last.sections.is_some());
    assert!(
        last.diagnostics
            .iter()
            .any(|d| d.path.as_deref() == Some("docs/big.json")),
        "{:?}",
        last.diagnostics
    );
    // Changes skip the point that could not be assessed.
    let pairs: Vec<(usize, usize)> = t.changes.iter().map(|c| (c.from, c.to)).collect();
    assert_eq!(pairs, [(0, 1), (1, 3)]);
}

#[test]
fn a_shallow_clone_shows_the_points_it_can_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = project(dir.path());
    // Cut the history below v1.3.0 (index 5): the older commits' objects are gone.
    std::fs::write(dir.path().join(".git/shallow"), format!("{}\n", ids[5])).expect("shallow");
    for id in &ids[..5] {
        remove_loose_object(dir.path(), id);
    }
    let t = timeline(dir.path(), &Selection::Tags(12));
    let assessed: Vec<String> = t
        .points
        .iter()
        .filter(|p| p.sections.is_some())
        .map(|p| p.label())
        .collect();
    assert_eq!(assessed, ["v1.3.0", "v1.4.0", "v1.5.0", "HEAD"]);
    let beyond: Vec<&cnmm::timeline::Point> =
        t.points.iter().filter(|p| p.sections.is_none()).collect();
    assert!(!beyond.is_empty());
    for p in beyond {
        let why = p.unavailable.as_deref().unwrap_or("");
        assert!(
            why.contains("git fetch --unshallow --tags"),
            "{}: {why}",
            p.label()
        );
    }
    // History cannot be read in a shallow clone: its criteria are unknown, not unmet.
    assert!(t
        .points
        .iter()
        .filter(|p| p.sections.is_some())
        .all(|p| !p.history_available));
}

#[test]
fn output_is_the_same_for_any_number_of_jobs_and_every_format_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path());
    for format in ["text", "json", "markdown", "csv", "html"] {
        let run = |jobs: &str| {
            let out = cnmm()
                .args(["timeline", "--format", format, "--jobs", jobs])
                .arg(dir.path())
                .env("NO_COLOR", "1")
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "{format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let one = run("1");
        assert_eq!(one, run("4"), "{format}: --jobs 1 and --jobs 4 differ");
        let text = String::from_utf8(one).expect("utf8");
        let dir_name = dir
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        assert!(
            !text.contains(&*dir.path().to_string_lossy()),
            "{format}: machine path"
        );
        match format {
            "csv" => {
                let mut lines = text.lines();
                assert_eq!(
                    lines.next(),
                    Some("point,labels,kind,commit,date,section,section_level,criterion,criterion_level,status,confidence")
                );
                // 9 points × every criterion.
                let rows = lines.count();
                assert_eq!(rows % 9, 0, "{rows}");
                assert!(text.contains(",security,4,S4,4,met,high"), "{text}");
            }
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&text).expect("json");
                assert_eq!(v["target"], dir_name);
                assert_eq!(v["points"].as_array().map(Vec::len), Some(9));
            }
            "html" => {
                assert!(text.starts_with("<!DOCTYPE html>"));
                assert_eq!(
                    text.matches("<svg").count(),
                    6,
                    "a chart per section and overall"
                );
                assert!(!text.contains("<script"));
            }
            "text" => {
                assert!(text.contains("Trend (oldest → newest)"));
                assert!(text.contains("- P3b"), "{text}");
            }
            _ => assert!(text.contains("| v1.2.0 |"), "{text}"),
        }
    }
}

#[test]
fn fail_on_regression_gates_a_release_that_is_less_mature() {
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path());
    // HEAD against v1.5.0: level. v1.4.0 against v1.3.0: security dropped.
    cnmm()
        .args(["timeline", "--fail-on-regression", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0);
    let out = cnmm()
        .args([
            "timeline",
            "--fail-on-regression",
            "--rev",
            "v1.3.0",
            "--rev",
            "v1.4.0",
        ])
        .arg(dir.path())
        .output()
        .expect("run");
    // HEAD is the last point; v1.4.0 → HEAD keeps security at 3, so no regression...
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ...but a timeline whose last point is the drop fails.
    let repo = git2::Repository::open(dir.path()).expect("open");
    let v14 = repo
        .revparse_single("v1.4.0")
        .and_then(|o| o.peel_to_commit())
        .expect("v1.4.0");
    repo.set_head_detached(v14.id()).expect("detach");
    let out = cnmm()
        .args(["timeline", "--fail-on-regression", "--rev", "v1.3.0"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Security dropped from level 4 at v1.3.0 to 3 at"),
        "{err}"
    );
}

#[test]
fn bad_flags_exit_2_with_what_to_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path());
    for (args, says) in [
        (vec!["--every", "0d"], "positive number"),
        (vec!["--every", "90d", "--tags", "3"], "not both"),
        (vec!["--since", "1y"], "goes with --every"),
        (
            vec!["--every", "2y", "--since", "1y"],
            "longer than --since",
        ),
        (vec!["--rev", "no-such-tag"], "no such revision"),
        (vec!["--tags", "0"], "at least 1"),
    ] {
        let out = cnmm()
            .arg("timeline")
            .args(&args)
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let plain = tempfile::tempdir().expect("tempdir");
    let out = cnmm()
        .arg("timeline")
        .arg(plain.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git repository"));
}
