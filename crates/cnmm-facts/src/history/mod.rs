//! Git history as evidence, read with git2 (never the `git` program): release cadence
//! from version tags, review flow from first-parent commit messages, bots, signing, DCO.
//!
//! The walk is bounded by what the rules ask for: commits are only needed inside the
//! window (365 days before HEAD's committer date), so the time-sorted walk stops once
//! it is past it; tags are read from refs. Nothing is collected per commit beyond
//! counters, so memory stays flat as history grows.

use cnmm_model::{
    attr, AttrType as T, Diagnostic, EvidenceSource, Fact, FactKindSpec, FactSource,
    HistorySummary, Location,
};
use regex::Regex;
use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

pub static FACT_KINDS: &[FactKindSpec] = &[FactKindSpec {
    name: "history.window",
    source: FactSource::History,
    description: "Counts over the history window (365 days before HEAD's committer date).",
    attrs: &[
        attr(
            "commits",
            T::Int,
            "Commits reachable from HEAD in the window.",
        ),
        attr(
            "first_parent_commits",
            T::Int,
            "First-parent commits of HEAD in the window.",
        ),
        attr("merge_commits", T::Int, "Merge commits in the window."),
        attr(
            "pr_based_commits",
            T::Int,
            "First-parent commits that are PR/MR-based.",
        ),
        attr(
            "pr_share_denominator",
            T::Int,
            "First-parent commits minus automated release commits.",
        ),
        attr(
            "pr_based_share_pct",
            T::Float,
            "PR/MR-based share of first-parent commits, in percent.",
        ),
        attr("authors", T::Int, "Distinct author emails in the window."),
        attr(
            "bot_commits",
            T::Int,
            "Commits by update bots and CI identities in the window.",
        ),
        attr("version_tags", T::Int, "Version tags dated in the window."),
        attr(
            "version_tags_previous",
            T::Int,
            "Version tags dated in the 365 days before the window.",
        ),
        attr(
            "version_tags_growth",
            T::Int,
            "version_tags minus version_tags_previous.",
        ),
        attr(
            "median_days_between_releases",
            T::Float,
            "Median days between consecutive version tags in the window.",
        ),
        attr(
            "signed_commits_pct",
            T::Float,
            "Share of commits in the window with a signature header, in percent.",
        ),
        attr(
            "dco_pct",
            T::Float,
            "Share of commits in the window with a Signed-off-by trailer, in percent.",
        ),
        attr("reverts", T::Int, "Revert commits in the window."),
        attr("hotfixes", T::Int, "Hotfix commits in the window."),
    ],
}];

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub enabled: bool,
    pub window_days: u32,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            enabled: true,
            window_days: 365,
        }
    }
}

/// What the history part of a scan found.
#[derive(Debug, Default)]
pub struct HistoryOutcome {
    pub summary: HistorySummary,
    pub facts: Vec<Fact>,
    pub diagnostics: Vec<Diagnostic>,
    pub is_git: bool,
    pub head: Option<String>,
    pub head_ref: Option<String>,
}

const UNSHALLOW: &str = "the clone is shallow, so its history is incomplete; run `git fetch --unshallow` (or check out with `fetch-depth: 0`) and scan again";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

fn pr_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        re(r"(?m)^Merge pull request #\d+|\(#\d+\)\s*$|(?m)^See merge request |^Merge branch '[^']+' into '[^']+'")
    })
}

fn release_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        re(r"(?i)^(chore\(release\)|chore: release|release: v?\d|\[release\]|bump version|release v?\d+\.\d+|v?\d+\.\d+\.\d+\s*\[skip ci\]|prepare release|version bump)")
    })
}

fn version_tag_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| re(r"(^|[^0-9])\d+\.\d+"))
}

/// A tag name that names a version (`v1.2.3`, `chart-1.2.3`), not a moving tag.
pub fn is_version_tag(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "latest" | "stable" | "nightly" | "edge" | "dev" | "main" | "master"
    ) {
        return false;
    }
    version_tag_re().is_match(name)
}

/// Whether a commit's author is a bot.
pub fn is_bot(name: &str, email: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let e = email.to_ascii_lowercase();
    n.contains("[bot]")
        || e.contains("[bot]")
        || n.contains("dependabot")
        || n.contains("renovate")
        || n == "github-actions"
        || e.starts_with("bot@")
        || e.contains("noreply@github.com") && n.contains("bot")
}

/// Opens the repository at exactly `root` (no search upward: a fixture inside a
/// repository is not that repository) and reads its history.
pub fn read(root: &Path, opts: &HistoryOptions) -> HistoryOutcome {
    let mut out = HistoryOutcome {
        summary: HistorySummary {
            window_days: opts.window_days,
            ..Default::default()
        },
        ..Default::default()
    };
    let repo = match git2::Repository::open_ext(
        root,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    ) {
        Ok(r) => r,
        Err(e) => {
            let reason = if e.code() == git2::ErrorCode::NotFound {
                "not a git repository (no `.git` at the scanned root); history criteria cannot be observed".to_string()
            } else {
                format!("the git repository could not be opened: {}", e.message())
            };
            if e.code() != git2::ErrorCode::NotFound {
                out.diagnostics
                    .push(Diagnostic::error(".git", None, reason.clone()));
            }
            out.summary.unavailable_reason = Some(reason);
            return out;
        }
    };
    out.is_git = true;
    out.summary.shallow = repo.is_shallow();
    let head = match repo.head() {
        Ok(h) => h,
        Err(e) => {
            let reason = if e.code() == git2::ErrorCode::UnbornBranch {
                "the repository has no commits yet".to_string()
            } else {
                format!("HEAD cannot be read: {}", e.message())
            };
            out.diagnostics
                .push(Diagnostic::warning("git:HEAD", None, reason.clone()));
            out.summary.unavailable_reason = Some(reason);
            return out;
        }
    };
    if head.is_branch() {
        out.head_ref = head.name().ok().map(str::to_string);
    }
    let head_commit = match head.peel_to_commit() {
        Ok(c) => c,
        Err(e) => {
            let reason = format!("HEAD does not point to a commit: {}", e.message());
            out.diagnostics
                .push(Diagnostic::error("git:HEAD", None, reason.clone()));
            out.summary.unavailable_reason = Some(reason);
            return out;
        }
    };
    out.head = Some(head_commit.id().to_string());
    if !opts.enabled {
        out.summary.unavailable_reason =
            Some("history reading was turned off (`--no-history`)".into());
        return out;
    }
    if out.summary.shallow {
        out.diagnostics
            .push(Diagnostic::warning("git:HEAD", None, UNSHALLOW));
        out.summary.unavailable_reason = Some(UNSHALLOW.to_string());
        return out;
    }
    match walk(&repo, &head_commit, opts, &mut out) {
        Ok(()) => out.summary.available = true,
        Err(e) => {
            let reason = format!("the history could not be read completely: {}", e.message());
            out.diagnostics
                .push(Diagnostic::error("git:HEAD", None, reason.clone()));
            out.summary.unavailable_reason = Some(reason);
        }
    }
    out
}

fn pct(n: u64, d: u64) -> Option<f64> {
    if d == 0 {
        None
    } else {
        Some(((n as f64) * 1000.0 / (d as f64)).round() / 10.0)
    }
}

fn walk(
    repo: &git2::Repository,
    head: &git2::Commit,
    opts: &HistoryOptions,
    out: &mut HistoryOutcome,
) -> Result<(), git2::Error> {
    let end = head.committer().when().seconds();
    let window = i64::from(opts.window_days) * 86_400;
    let start = end - window;
    let prev_start = start - window;
    out.summary.window_end = Some(rfc3339(end));
    let s = &mut out.summary;

    // All commits in the window, newest first; stop well past the window's start
    // (commit dates are not monotonic, so allow a margin of out-of-order commits).
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TIME)?;
    walk.push(head.id())?;
    let mut authors: HashSet<String> = HashSet::new();
    let mut older_in_a_row = 0u32;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let t = commit.committer().when().seconds();
        if t < start {
            older_in_a_row += 1;
            if older_in_a_row > 1000 {
                break;
            }
            continue;
        }
        older_in_a_row = 0;
        if t > end {
            continue;
        }
        s.commits += 1;
        if commit.parent_count() > 1 {
            s.merge_commits += 1;
        }
        let author = commit.author();
        let name = String::from_utf8_lossy(author.name_bytes()).into_owned();
        let email = String::from_utf8_lossy(author.email_bytes()).to_ascii_lowercase();
        if is_bot(&name, &email) {
            s.bot_commits += 1;
        }
        authors.insert(email);
        let msg = String::from_utf8_lossy(commit.message_bytes());
        if commit
            .raw_header_bytes()
            .windows(7)
            .any(|w| w == b"gpgsig ")
        {
            s.signed_commits += 1;
        }
        if msg.contains("\nSigned-off-by: ") {
            s.dco_signed_off += 1;
        }
        let subject = msg.lines().next().unwrap_or("");
        if subject.starts_with("Revert \"") {
            s.reverts += 1;
        }
        if subject.to_ascii_lowercase().contains("hotfix") {
            s.hotfix_commits += 1;
        }
    }
    s.authors = authors.len() as u64;

    // First-parent chain: the review flow.
    let mut fp = repo.revwalk()?;
    fp.simplify_first_parent()?;
    fp.push(head.id())?;
    let mut older_in_a_row = 0u32;
    for oid in fp {
        let commit = repo.find_commit(oid?)?;
        let t = commit.committer().when().seconds();
        if t < start {
            older_in_a_row += 1;
            if older_in_a_row > 200 {
                break;
            }
            continue;
        }
        older_in_a_row = 0;
        if t > end {
            continue;
        }
        s.first_parent_commits += 1;
        let msg = String::from_utf8_lossy(commit.message_bytes());
        let subject = msg.lines().next().unwrap_or("");
        if release_re().is_match(subject) {
            s.release_commits += 1;
            continue;
        }
        if pr_re().is_match(&msg) || pr_re().is_match(subject) {
            s.pr_based_commits += 1;
        }
    }
    s.pr_share_denominator = s.first_parent_commits - s.release_commits;
    s.pr_based_share = pct(s.pr_based_commits, s.pr_share_denominator);
    s.signed_commits_share = pct(s.signed_commits, s.commits);
    s.dco_share = pct(s.dco_signed_off, s.commits);

    // Version tags by date.
    let mut in_window: Vec<(i64, String)> = Vec::new();
    repo.tag_foreach(|oid, name| {
        let name = String::from_utf8_lossy(name);
        let short = name.trim_start_matches("refs/tags/").to_string();
        if !is_version_tag(&short) {
            return true;
        }
        let (time, signed) = match repo.find_tag(oid) {
            Ok(tag) => {
                let signed = tag
                    .message_bytes()
                    .is_some_and(|m| m.windows(11).any(|w| w == b"-----BEGIN "));
                let time = tag.tagger().map(|t| t.when().seconds()).or_else(|| {
                    tag.target()
                        .ok()
                        .and_then(|o| o.peel_to_commit().ok())
                        .map(|c| c.committer().when().seconds())
                });
                (time, signed)
            }
            Err(_) => (
                repo.find_commit(oid)
                    .ok()
                    .map(|c| c.committer().when().seconds()),
                false,
            ),
        };
        if signed {
            s.signed_tags += 1;
        }
        if let Some(t) = time {
            if t > start && t <= end {
                in_window.push((t, short));
            } else if t > prev_start && t <= start {
                s.version_tags_previous_window += 1;
            }
        }
        true
    })?;
    in_window.sort();
    s.version_tags = in_window.len() as u64;
    if in_window.len() >= 2 {
        let mut gaps: Vec<f64> = in_window
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) as f64 / 86_400.0)
            .collect();
        gaps.sort_by(|a, b| a.total_cmp(b));
        let mid = gaps.len() / 2;
        let median = if gaps.len() % 2 == 0 {
            (gaps[mid - 1] + gaps[mid]) / 2.0
        } else {
            gaps[mid]
        };
        s.median_days_between_releases = Some((median * 10.0).round() / 10.0);
    }

    let tag_list: Vec<&str> = in_window
        .iter()
        .rev()
        .take(8)
        .map(|(_, n)| n.as_str())
        .collect();
    let mut f = Fact::new(
        "history.window",
        Location::new("git:HEAD", None),
        format!(
            "last {} days: {} commits, {} of {} first-parent commits PR/MR-based, {} version tags{} (previous window: {})",
            opts.window_days,
            s.commits,
            s.pr_based_commits,
            s.pr_share_denominator,
            s.version_tags,
            if tag_list.is_empty() { String::new() } else { format!(" ({}{})", tag_list.join(", "), if in_window.len() > 8 { ", ..." } else { "" }) },
            s.version_tags_previous_window,
        ),
    )
    .source(EvidenceSource::History)
    .attr("commits", s.commits as i64)
    .attr("first_parent_commits", s.first_parent_commits as i64)
    .attr("merge_commits", s.merge_commits as i64)
    .attr("pr_based_commits", s.pr_based_commits as i64)
    .attr("pr_share_denominator", s.pr_share_denominator as i64)
    .attr("authors", s.authors as i64)
    .attr("bot_commits", s.bot_commits as i64)
    .attr("version_tags", s.version_tags as i64)
    .attr("version_tags_previous", s.version_tags_previous_window as i64)
    .attr(
        "version_tags_growth",
        s.version_tags as i64 - s.version_tags_previous_window as i64,
    )
    .attr("reverts", s.reverts as i64)
    .attr("hotfixes", s.hotfix_commits as i64);
    if let Some(v) = s.pr_based_share {
        f.set("pr_based_share_pct", v);
    }
    if let Some(v) = s.median_days_between_releases {
        f.set("median_days_between_releases", v);
    }
    if let Some(v) = s.signed_commits_share {
        f.set("signed_commits_pct", v);
    }
    if let Some(v) = s.dco_share {
        f.set("dco_pct", v);
    }
    out.facts.push(f);
    Ok(())
}

/// Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ` (UTC), without a date library.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tags() {
        for t in ["v1.2.3", "1.2.3", "chart-1.2.3", "v0.10", "api/v2.0.1"] {
            assert!(is_version_tag(t), "{t}");
        }
        for t in ["latest", "stable", "nightly", "v1", "release"] {
            assert!(!is_version_tag(t), "{t}");
        }
    }

    #[test]
    fn pr_messages() {
        assert!(pr_re().is_match("Merge pull request #12 from a/b\n\nx"));
        assert!(pr_re().is_match("fix: thing (#123)"));
        assert!(pr_re().is_match("feat: x\n\nSee merge request group/proj!12"));
        assert!(pr_re().is_match("Merge branch 'feature' into 'main'"));
        assert!(!pr_re().is_match("fix thing #12"));
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
