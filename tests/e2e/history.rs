//! History facts on repositories built at test time.

use crate::support::{assess, build_history, criterion, materialise, History};
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
