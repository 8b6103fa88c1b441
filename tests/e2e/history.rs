//! History facts on repositories built at test time.

use crate::support::{assess, build_history, criterion, materialise, remove_loose_object, History};
use cnmm_model::Status;

fn history(yaml: &str) -> crate::support::Repo {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let h: History = serde_saphyr::from_str(yaml).expect("history yaml");
    build_history(repo.path(), &h);
    repo
}

#[test]
fn squash_and_merge_flows_count_as_pr_based() {
    let repo = history(
        "commits:\n  - {message: 'init', days_ago: 300}\n  - {message: 'feat: a (#1)', days_ago: 200, repeat: 5, every_days: 10}\n  - {message: 'Merge pull request #9 from x/y', days_ago: 100, merge: true, repeat: 3, every_days: 5}\n  - {message: 'chore(release): 1.2.0', days_ago: 50}\n  - {message: 'direct push', days_ago: 10}\n",
    );
    let a = assess(repo.path());
    let h = &a.history;
    assert!(h.available);
    assert_eq!(h.first_parent_commits, 11);
    assert_eq!(h.release_commits, 1);
    assert_eq!(h.pr_share_denominator, 10);
    assert_eq!(h.pr_based_commits, 8);
    assert_eq!(h.merge_commits, 3);
    assert_eq!(criterion(&a, "X3c").status, Status::Met);
}

#[test]
fn direct_pushes_miss_x3c() {
    let repo = history("commits:\n  - {message: 'feat: a (#1)', days_ago: 200}\n  - {message: 'direct', days_ago: 100, repeat: 4, every_days: 10}\n");
    let a = assess(repo.path());
    assert_eq!(a.history.pr_based_commits, 1);
    assert_eq!(criterion(&a, "X3c").status, Status::Unmet);
}

#[test]
fn tags_are_dated_by_tagger_and_windows_are_exact() {
    // Tag 364 days before HEAD is in; 366 days before is in the previous window.
    let repo = history(
        "commits:\n  - {message: old, days_ago: 500, tag: v0.9.0, annotated: true, tag_days_ago: 366}\n  - {message: a, days_ago: 400, tag: v1.0.0, annotated: true, tag_days_ago: 364}\n  - {message: b, days_ago: 100, tag: latest}\n  - {message: c, days_ago: 0}\n",
    );
    let a = assess(repo.path());
    assert_eq!(a.history.version_tags, 1, "{:?}", a.history);
    assert_eq!(a.history.version_tags_previous_window, 1);
}

#[test]
fn lightweight_tags_are_dated_by_their_commit_inside_and_beyond_the_walk() {
    // v2.0.0 tags a commit the walk reaches (dated from the walk); v1.0.0 one far
    // behind it (read on its own) that falls in the previous window; v0.1.0 is older.
    let repo = history(
        "commits:\n  - {message: a, days_ago: 900, tag: v0.1.0}\n  - {message: b, days_ago: 500, tag: v1.0.0}\n  - {message: filler, days_ago: 499, repeat: 200, every_days: 0.5}\n  - {message: c, days_ago: 100, tag: v2.0.0}\n  - {message: d, days_ago: 0}\n",
    );
    let a = assess(repo.path());
    assert_eq!(a.history.version_tags, 1, "{:?}", a.history);
    assert_eq!(a.history.version_tags_previous_window, 1);
}

#[test]
fn shallow_clones_make_history_criteria_unknown() {
    let repo = history("shallow: true\ncommits:\n  - {message: a, days_ago: 10, tag: v1.0.0}\n");
    let a = assess(repo.path());
    assert!(!a.history.available);
    assert!(a.target.shallow);
    let c4b = criterion(&a, "C4b");
    assert_eq!(c4b.status, Status::Unknown);
    assert!(c4b
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("git fetch --unshallow"));
}

#[test]
fn no_git_repository_is_unknown_not_unmet() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let a = assess(repo.path());
    assert!(!a.target.is_git);
    assert_eq!(criterion(&a, "C4b").status, Status::Unknown);
    assert!(a
        .diagnostics
        .iter()
        .any(|d| d.message.contains("not a git repository")));
}

#[test]
fn bots_signatures_and_dco_are_counted() {
    let repo = history(
        "commits:\n  - {message: 'a', days_ago: 30, signed: true, signoff: true}\n  - {message: 'chore(deps): bump x', days_ago: 20, author: 'dependabot[bot]'}\n  - {message: 'Revert \"a\"', days_ago: 10}\n  - {message: 'hotfix: urgent', days_ago: 5}\n",
    );
    let a = assess(repo.path());
    let h = &a.history;
    assert_eq!(h.commits, 4);
    assert_eq!(h.bot_commits, 1);
    assert_eq!(h.signed_commits, 1);
    assert_eq!(h.dco_signed_off, 1);
    assert_eq!(h.reverts, 1);
    assert_eq!(h.hotfix_commits, 1);
    assert_eq!(h.authors, 2);
}

fn cited(a: &cnmm_model::Assessment, id: &str, prefix: &str) -> Vec<String> {
    criterion(a, id)
        .evidence
        .iter()
        .filter(|e| e.path.starts_with(prefix))
        .map(|e| e.path.clone())
        .collect()
}

#[test]
fn criteria_cite_concrete_tags_and_commits() {
    let repo = history(
        "commits:\n  - {message: 'feat: a (#1)', days_ago: 300, repeat: 14, every_days: 20, tag_prefix: v1.0., annotated: true}\n  - {message: 'Merge pull request #9 from x/y', days_ago: 5, merge: true}\n",
    );
    let a = assess(repo.path());
    assert_eq!(a.history.version_tags, 14);
    assert_eq!(criterion(&a, "C4b").status, Status::Met);
    // The newest 12 tags are cited, newest first by date; the count is in the window fact.
    let tags = cited(&a, "C4b", "git:tag/");
    assert_eq!(tags.len(), 12, "{tags:?}");
    assert!(tags.contains(&"git:tag/v1.0.13".to_string()));
    assert!(!tags.contains(&"git:tag/v1.0.0".to_string()));
    let commits = cited(&a, "X3c", "git:commit/");
    assert_eq!(commits.len(), 5, "bounded sample of PR-based commits");
}

#[test]
fn windows_include_their_exact_start() {
    // HEAD is at day 0: a commit and a tag exactly 365 days earlier are in the window;
    // one second earlier they are not.
    let repo = history(
        "commits:\n  - {message: 'older', days_ago: 365.00002, tag: v0.1.0}\n  - {message: 'edge', days_ago: 365, tag: v0.2.0}\n  - {message: 'head', days_ago: 0}\n",
    );
    let a = assess(repo.path());
    assert_eq!(a.history.commits, 2, "{:?}", a.history);
    assert_eq!(a.history.version_tags, 1);
    assert_eq!(a.history.version_tags_previous_window, 1);
}

#[test]
fn out_of_order_commit_dates_do_not_stop_the_walk_early() {
    // An imported commit dated years back sits between two recent ones: the walk goes
    // past it and still counts the recent commit behind it.
    let repo = history(
        "commits:\n  - {message: 'recent base', days_ago: 30}\n  - {message: 'imported', days_ago: 2000}\n  - {message: 'head', days_ago: 1}\n",
    );
    let a = assess(repo.path());
    assert_eq!(a.history.commits, 2, "{:?}", a.history);
    assert_eq!(a.history.first_parent_commits, 2);
}

#[test]
fn the_walk_stops_after_128_older_commits_in_a_row() {
    // The bound of the walk (history/mod.rs): a commit of the window behind 128
    // consecutive older-dated commits is still counted; behind 129 it is not.
    for (older, counted) in [(128, 2), (129, 1)] {
        let repo = history(&format!(
            "commits:\n  - {{message: 'recent base', days_ago: 30}}\n  - {{message: 'imported', days_ago: 3000, repeat: {older}, every_days: 1}}\n  - {{message: 'head', days_ago: 1}}\n"
        ));
        let a = assess(repo.path());
        assert_eq!(a.history.commits, counted, "{older} older: {:?}", a.history);
    }
}

#[test]
fn rebase_flow_without_pr_references_is_direct() {
    // A rebase merge replays commits with their own messages: no PR number survives.
    let repo = history(
        "commits:\n  - {message: 'feat: a', days_ago: 50, repeat: 6, every_days: 3}\n  - {message: 'feat: b (#4)', days_ago: 2}\n",
    );
    let a = assess(repo.path());
    assert_eq!(a.history.pr_share_denominator, 7);
    assert_eq!(a.history.pr_based_commits, 1);
    assert_eq!(criterion(&a, "X3c").status, Status::Unmet);
}

#[test]
fn bot_commits_are_recognised_by_trailer_and_cited_for_s4() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    std::fs::write(
        repo.path().join(".github/dependabot.yml"),
        "version: 2\nupdates:\n  - {package-ecosystem: npm, directory: /, schedule: {interval: weekly}}\n",
    )
    .expect("dependabot config");
    let h: History = serde_saphyr::from_str(
        "commits:\n  - {message: 'init', days_ago: 40}\n  - {message: \"chore(deps): update x\\n\\nCo-authored-by: renovate[bot] <29139614+renovate[bot]@users.noreply.github.com>\", days_ago: 20}\n  - {message: 'chore(deps): bump y', days_ago: 10, author: 'dependabot[bot]'}\n",
    )
    .expect("history yaml");
    build_history(repo.path(), &h);
    let a = assess(repo.path());
    assert_eq!(a.history.bot_commits, 2);
    // With a dependabot config a dependabot config: S4 is met by it and cites the bot commits.
    let s4 = criterion(&a, "S4");
    assert_eq!(s4.status, Status::Met);
    assert_eq!(cited(&a, "S4", "git:commit/").len(), 2, "{:?}", s4.evidence);
}

#[test]
fn empty_repository_is_unknown_with_a_reason() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    git2::Repository::init(repo.path()).expect("init");
    let a = assess(repo.path());
    assert!(a.target.is_git);
    assert!(!a.history.available);
    let c4b = criterion(&a, "C4b");
    assert_eq!(c4b.status, Status::Unknown);
    assert!(c4b.reason.as_deref().unwrap_or("").contains("no commits"));
    assert!(a
        .diagnostics
        .iter()
        .any(|d| d.message.contains("no commits")));
}

#[test]
fn detached_head_is_read_and_reported() {
    let repo = history("branch: detached\ncommits:\n  - {message: 'a (#1)', days_ago: 3}\n");
    let a = assess(repo.path());
    assert!(a.history.available);
    assert!(a.target.git_ref.is_none());
    assert!(a.target.head.is_some());
    assert!(a.diagnostics.iter().any(|d| d.message.contains("detached")));
}

#[test]
fn bare_repository_history_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = git2::Repository::init_bare(dir.path()).expect("bare");
    let blob = repo.blob(b"hello\n").expect("blob");
    let mut tb = repo.treebuilder(None).expect("tb");
    tb.insert("README.md", blob, 0o100644).expect("insert");
    let tree = repo.find_tree(tb.write().expect("tree")).expect("tree");
    let sig = git2::Signature::new("Dev", "dev@example.com", &git2::Time::new(1_700_000_000, 0))
        .expect("sig");
    let c = repo
        .commit(Some("HEAD"), &sig, &sig, "feat: a (#1)", &tree, &[])
        .expect("commit");
    let obj = repo.find_object(c, None).expect("obj");
    repo.tag("v1.0.0", &obj, &sig, "release", false)
        .expect("tag");
    let a = assess(dir.path());
    assert!(a.history.available);
    assert_eq!(a.history.commits, 1);
    assert_eq!(a.history.version_tags, 1);
    assert!(a.diagnostics.iter().any(|d| d.message.contains("bare")));
}

#[test]
fn corrupt_object_store_is_unknown_not_unmet() {
    let repo = history("commits:\n  - {message: 'a', days_ago: 30}\n  - {message: 'b', days_ago: 20}\n  - {message: 'c', days_ago: 10}\n");
    let git = git2::Repository::open(repo.path()).expect("open");
    let head = git.head().expect("head").peel_to_commit().expect("commit");
    let parent = head.parent_id(0).expect("parent");
    remove_loose_object(repo.path(), parent);
    let a = assess(repo.path());
    assert!(!a.history.available);
    let c4b = criterion(&a, "C4b");
    assert_eq!(c4b.status, Status::Unknown);
    assert!(a
        .diagnostics
        .iter()
        .any(|d| d.message.contains("could not be read completely")));
}

fn assess_rev(root: &std::path::Path, rev: &str) -> cnmm_model::Assessment {
    let settings = cnmm::scan::Settings {
        threads: Some(2),
        history: true,
        history_window: 365,
        config: None,
        rule_dirs: Vec::new(),
        evidence_files: Vec::new(),
        rev: Some(rev.to_string()),
    };
    cnmm::scan::assess(root, &settings).expect("scan").0
}

fn statuses(a: &cnmm_model::Assessment) -> Vec<(String, Status)> {
    a.sections
        .iter()
        .flat_map(|s| s.criteria.iter().map(|c| (c.id.clone(), c.status)))
        .collect()
}

#[test]
fn rev_scans_a_commit_tree_without_checkout_and_bare_clones() {
    let repo = history(
        "commits:\n  - {message: 'feat: a (#1)', days_ago: 100, repeat: 7, every_days: 10, tag_prefix: v2.0., annotated: true}\n",
    );
    let checkout = assess(repo.path());
    // The same commit read from the object database, in a bare clone: same verdicts.
    let bare = tempfile::tempdir().expect("tmp");
    let url = repo.path().to_str().expect("utf8 path");
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(url, bare.path())
        .expect("bare clone");
    let from_bare = assess_rev(bare.path(), "v2.0.6");
    assert_eq!(statuses(&from_bare), statuses(&checkout));
    assert!(from_bare
        .sections
        .iter()
        .flat_map(|s| &s.criteria)
        .any(|c| c
            .evidence
            .iter()
            .any(|e| e.path.starts_with(".github/workflows/"))));
    // An older revision: its tree and its history.
    let older = assess_rev(repo.path(), "v2.0.2");
    assert_eq!(older.history.version_tags, 3);
    // A revision that does not exist is a usage error naming it.
    let settings = cnmm::scan::Settings {
        threads: Some(1),
        history: true,
        history_window: 365,
        config: None,
        rule_dirs: Vec::new(),
        evidence_files: Vec::new(),
        rev: Some("no-such-rev".into()),
    };
    match cnmm::scan::assess(repo.path(), &settings) {
        Ok(_) => panic!("a missing revision must be an error"),
        Err(e) => assert!(e.0.contains("--rev no-such-rev"), "{}", e.0),
    }
}

#[test]
fn history_window_flag_moves_both_windows() {
    let repo = history(
        "commits:\n  - {message: 'a', days_ago: 50, tag: v1.0.0}\n  - {message: 'b', days_ago: 20, tag: v1.1.0}\n  - {message: 'c', days_ago: 0}\n",
    );
    let settings = cnmm::scan::Settings {
        threads: Some(1),
        history: true,
        history_window: 30,
        config: None,
        rule_dirs: Vec::new(),
        evidence_files: Vec::new(),
        rev: None,
    };
    let a = cnmm::scan::assess(repo.path(), &settings).expect("scan").0;
    assert_eq!(a.history.window_days, 30);
    assert_eq!(a.history.commits, 2);
    assert_eq!(a.history.version_tags, 1);
    assert_eq!(a.history.version_tags_previous_window, 1);
}

/// The default branch is the one the clone records (`refs/remotes/origin/HEAD`), so a
/// git-flow repository whose default is `develop` does not publish "on the default
/// branch" when only pushes to `main` publish.
#[test]
fn the_clones_default_branch_decides_what_runs_on_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).expect("mkdir");
    std::fs::write(
        wf.join("publish.yml"),
        "on:\n  push:\n    branches: [develop, main]\njobs:\n  publish:\n    if: github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/')\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker push registry.example.com/app:latest\n",
    )
    .expect("write");
    crate::support::build_history(
        dir.path(),
        &crate::support::History {
            commits: vec![crate::support::CommitSpec {
                message: "initial".into(),
                days_ago: 1.0,
                ..crate::support::blank()
            }],
            branch: Some("develop".into()),
            ..Default::default()
        },
    );
    // Without a recorded default branch, `main` is taken to be it.
    let a = crate::support::assess(dir.path());
    assert_eq!(criterion(&a, "X4a").status, Status::Met);
    let repo = git2::Repository::open(dir.path()).expect("open");
    let head = repo.head().expect("head").target().expect("oid");
    repo.reference("refs/remotes/origin/develop", head, true, "test")
        .expect("remote ref");
    repo.reference_symbolic(
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/develop",
        true,
        "test",
    )
    .expect("origin/HEAD");
    let a = crate::support::assess(dir.path());
    assert_eq!(criterion(&a, "X4a").status, Status::Unmet);
}

/// What the fuzz target `history_walk` relies on: commits written straight into an
/// in-memory object database (no work tree, no refs) are walked and counted.
#[test]
fn commits_of_an_in_memory_object_database_are_walked() {
    let odb = git2::Odb::new().expect("odb");
    odb.add_new_mempack_backend(1000).expect("mempack");
    let repo = git2::Repository::from_odb(odb).expect("repo");
    let odb = repo.odb().expect("odb");
    let mut parent: Option<git2::Oid> = None;
    for (i, msg) in ["feat: a (#1)", "fix: b", "Merge pull request #3 from x/y"]
        .iter()
        .enumerate()
    {
        let mut body = String::from("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n");
        if let Some(p) = parent {
            body.push_str(&format!("parent {p}\n"));
        }
        let t = 1_780_000_000 + i * 600;
        body.push_str(&format!(
            "author A <a@example.org> {t} +0000\ncommitter A <a@example.org> {t} +0000\n\n{msg}\n"
        ));
        parent = Some(
            odb.write(git2::ObjectType::Commit, body.as_bytes())
                .expect("write"),
        );
    }
    let out = cnmm_facts::history::read_commit(
        &repo,
        parent.expect("head"),
        &cnmm_facts::history::HistoryOptions::default(),
    );
    assert_eq!(out.summary.commits, 3, "{:?}", out.diagnostics);
    assert_eq!(out.summary.pr_based_commits, 2);
}
