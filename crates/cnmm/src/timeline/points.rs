//! Which commits a timeline assesses: the last N version tags of HEAD's history, one
//! commit per period, or revisions named on the command line; HEAD always last. Read
//! from git objects with git2, never the `git` program.

use crate::UserError;
use cnmm_facts::history::{self, HistoryCache};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// How the points are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The last N version tags of HEAD's history.
    Tags(usize),
    /// The newest first-parent commit at or before every `every` seconds back from
    /// HEAD's committer date, as far back as `since` seconds.
    Every { every: i64, since: i64 },
    /// These revisions, as given.
    Revs(Vec<String>),
}

impl Selection {
    pub fn describe(&self) -> String {
        match self {
            Selection::Tags(n) => format!("the last {n} version tags of HEAD's history, and HEAD"),
            Selection::Every { every, since } => format!(
                "a commit every {} days over the last {} days of HEAD's first-parent history, and HEAD",
                every / 86_400,
                since / 86_400
            ),
            Selection::Revs(r) => format!("{} revisions given, and HEAD", r.len()),
        }
    }
}

/// Parses a duration: `90d`, `12w`, `6m` (30-day months), `2y` (365-day years).
pub fn parse_duration(flag: &str, text: &str) -> Result<i64, UserError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let days_per = match unit {
        "d" => 1,
        "w" => 7,
        "m" => 30,
        "y" => 365,
        _ => 0,
    };
    let n: i64 = num.parse().unwrap_or(0);
    if days_per == 0 || n <= 0 || n > 100_000 {
        return Err(UserError(format!(
            "{flag} {text}: expected a positive number of days, weeks, months or years, such as 90d, 12w, 6m or 2y"
        )));
    }
    Ok(n * days_per * 86_400)
}

/// Why a point was chosen: a version tag, a period's date, a revision given, or HEAD.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Tag,
    Date,
    Rev,
    Head,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tag => "tag",
            Kind::Date => "date",
            Kind::Rev => "rev",
            Kind::Head => "head",
        }
    }
}

/// A chosen point: a commit to assess, or why there is none to assess.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub labels: Vec<String>,
    pub kind: Kind,
    pub commit: Option<git2::Oid>,
    /// The commit's committer date, else the tagger's or the period's date.
    pub time: Option<i64>,
    pub unavailable: Option<String>,
}

const UNSHALLOW_FIX: &str = "git fetch --unshallow --tags";

/// Dates below this much older than a tagged commit still count as reaching it: the
/// walk is ordered by committer date, and clocks are skewed.
const SKEW: i64 = 86_400;

/// Chooses the points of `sel` in the repository at `root`, oldest first, HEAD last.
/// Points that cannot be assessed (a tag of a tree, a commit beyond a shallow clone's
/// boundary) are kept, with the reason.
pub fn choose(
    root: &Path,
    sel: &Selection,
    cache: &HistoryCache,
) -> Result<Vec<Chosen>, UserError> {
    let repo = history::open(root).map_err(|e| {
        UserError(format!(
            "{} is not a git repository ({}); a timeline reads the history of a clone",
            root.display(),
            e.message()
        ))
    })?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| UserError(format!("HEAD cannot be read: {}", e.message())))?;
    let shallow = repo.is_shallow();
    let mut points = match sel {
        Selection::Tags(n) => by_tags(&repo, &head, *n, shallow, cache),
        Selection::Every { every, since } => by_period(&repo, &head, *every, *since, shallow),
        Selection::Revs(revs) => by_revs(&repo, revs)?,
    };
    points.push(Chosen {
        labels: vec!["HEAD".into()],
        kind: Kind::Head,
        commit: Some(head.id()),
        time: Some(head.committer().when().seconds()),
        unavailable: None,
    });
    Ok(merge_and_order(points))
}

/// One point per commit (a commit with two tags, or a tag at HEAD, is one point), oldest
/// first; points without a commit stay apart, ordered by their date.
fn merge_and_order(points: Vec<Chosen>) -> Vec<Chosen> {
    let mut by_commit: BTreeMap<git2::Oid, Chosen> = BTreeMap::new();
    let mut apart = Vec::new();
    for p in points {
        match (p.commit, &p.unavailable) {
            (Some(id), None) => match by_commit.get_mut(&id) {
                Some(existing) => {
                    existing.labels.extend(p.labels);
                    existing.kind = existing.kind.max(p.kind);
                }
                None => {
                    by_commit.insert(id, p);
                }
            },
            _ => apart.push(p),
        }
    }
    let mut all: Vec<Chosen> = by_commit.into_values().chain(apart).collect();
    for p in &mut all {
        p.labels.sort();
        p.labels.dedup();
        // HEAD's label last: `v2.0.0, HEAD`.
        if let Some(i) = p.labels.iter().position(|l| l == "HEAD") {
            let h = p.labels.remove(i);
            p.labels.push(h);
        }
    }
    // HEAD last whatever the dates say; the rest by date, then label.
    all.sort_by(|a, b| {
        (a.kind == Kind::Head, a.time.unwrap_or(i64::MIN), &a.labels).cmp(&(
            b.kind == Kind::Head,
            b.time.unwrap_or(i64::MIN),
            &b.labels,
        ))
    });
    all
}

struct TagCandidate {
    name: String,
    /// The tagged commit when the tag (peeled) names one that exists; else why not.
    commit: Result<git2::Oid, String>,
    /// The tag's time (tagger date, else commit date): "the last N" are by this.
    time: Option<i64>,
}

/// The last `n` version tags whose commit HEAD reaches, newest first by tag time
/// (a tag of a commit HEAD does not reach, such as a release branch's, is left out). A tag of
/// something other than a commit, or of a commit missing from a shallow clone, is a
/// point without a commit (it counts towards `n`: it is one of the releases).
///
/// The tags are the history's list (read once for choosing the points and for every
/// point's window); a commit is read only for the tags looked at.
fn by_tags(
    repo: &git2::Repository,
    head: &git2::Commit,
    n: usize,
    shallow: bool,
    cache: &HistoryCache,
) -> Vec<Chosen> {
    let all = cache.version_tags(repo).map_or(&[][..], |v| v.as_slice());
    let mut cands: Vec<TagCandidate> = all
        .iter()
        .map(|t| match t {
            Ok(t) => TagCandidate {
                name: t.name.clone(),
                commit: Ok(t.commit),
                time: Some(t.time),
            },
            // Said again here, in the words of a point that cannot be assessed.
            Err((short, message)) => {
                let target = repo
                    .refname_to_id(&format!("refs/tags/{short}"))
                    .map(|oid| tag_target(repo, oid, shallow));
                match target {
                    Ok((tagger, commit)) => TagCandidate {
                        name: short.clone(),
                        time: tagger.or(commit.as_ref().ok().map(|(_, t)| *t)),
                        commit: commit.map(|(id, _)| id),
                    },
                    Err(_) => TagCandidate {
                        name: short.clone(),
                        commit: Err(format!("the tag cannot be read: {message}")),
                        time: None,
                    },
                }
            }
        })
        .collect();
    cands.sort_by(|a, b| (b.time, &b.name).cmp(&(a.time, &a.name)));
    let mut reach = Reach::new(repo, head, cache);
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut commits_chosen: HashSet<git2::Oid> = HashSet::new();
    for c in cands {
        if commits_chosen.len() + chosen.iter().filter(|p| p.commit.is_none()).count() >= n {
            break;
        }
        let commit = c.commit.and_then(|id| {
            repo.find_commit(id)
                .map(|commit| (id, commit.committer().when().seconds()))
                .map_err(|e| missing(shallow, "its commit", &e))
        });
        match commit {
            Ok((id, time)) => {
                if !reach.reaches(id, time) {
                    continue;
                }
                commits_chosen.insert(id);
                chosen.push(Chosen {
                    labels: vec![c.name],
                    kind: Kind::Tag,
                    commit: Some(id),
                    time: Some(time),
                    unavailable: None,
                });
            }
            Err(why) => chosen.push(Chosen {
                labels: vec![c.name],
                kind: Kind::Tag,
                commit: None,
                time: c.time,
                unavailable: Some(why),
            }),
        }
    }
    chosen
}

/// Why an object a tag names cannot be read: in a shallow clone, with the fix.
fn missing(shallow: bool, what: &str, e: &git2::Error) -> String {
    if shallow {
        format!(
            "{what} is beyond the shallow clone's boundary ({}); run `{UNSHALLOW_FIX}` to include it",
            e.message()
        )
    } else {
        format!("{what} cannot be read: {}", e.message())
    }
}

/// What a tag ref names: its tagger's date (annotated tags), and the commit it tags
/// with the commit's date, or why there is none.
#[allow(clippy::type_complexity)]
fn tag_target(
    repo: &git2::Repository,
    oid: git2::Oid,
    shallow: bool,
) -> (Option<i64>, Result<(git2::Oid, i64), String>) {
    let missing = |what: &str, e: &git2::Error| missing(shallow, what, e);
    let mut obj = match repo.find_object(oid, None) {
        Ok(o) => o,
        Err(e) => return (None, Err(missing("the tagged object", &e))),
    };
    let tagger = obj
        .as_tag()
        .and_then(|t| t.tagger())
        .map(|t| t.when().seconds());
    // Tags of tags, down to what they name.
    for _ in 0..16 {
        let Some(next) = obj.as_tag().map(|t| t.target_id()) else {
            break;
        };
        obj = match repo.find_object(next, None) {
            Ok(o) => o,
            Err(e) => return (tagger, Err(missing("the tagged object", &e))),
        };
    }
    let commit = match obj.kind() {
        Some(git2::ObjectType::Commit) => repo
            .find_commit(obj.id())
            .map(|c| (c.id(), c.committer().when().seconds()))
            .map_err(|e| missing("its commit", &e)),
        Some(other) => Err(format!(
            "the tag points at a {other}, not a commit; there is no tree or history to assess"
        )),
        None => Err("the tag points at an object of unknown type".into()),
    };
    (tagger, commit)
}

/// Which commits HEAD reaches: one walk newest committer date first, advanced only as
/// far as the oldest tag asked about. (git2's time-sorted revwalk would walk the whole
/// history before yielding the first commit.)
struct Reach<'r> {
    repo: &'r git2::Repository,
    /// The commits are read through the history's cache: the points' windows read them
    /// again.
    commits: &'r HistoryCache,
    queue: std::collections::BinaryHeap<(i64, git2::Oid)>,
    reached: HashSet<git2::Oid>,
    /// The date of the last commit taken from the queue.
    at: i64,
}

impl<'r> Reach<'r> {
    fn new(
        repo: &'r git2::Repository,
        head: &git2::Commit,
        commits: &'r HistoryCache,
    ) -> Reach<'r> {
        let mut queue = std::collections::BinaryHeap::new();
        queue.push((head.committer().when().seconds(), head.id()));
        let mut reached = HashSet::new();
        reached.insert(head.id());
        Reach {
            repo,
            commits,
            queue,
            reached,
            at: i64::MAX,
        }
    }

    fn reaches(&mut self, id: git2::Oid, time: i64) -> bool {
        while !self.reached.contains(&id) && self.at >= time - SKEW {
            let Some((t, oid)) = self.queue.pop() else {
                break;
            };
            self.at = t;
            // A commit missing from a shallow clone ends its line of the walk.
            let Ok(c) = self.commits.commit(self.repo, oid) else {
                continue;
            };
            for &pid in c.parents() {
                if self.reached.insert(pid) {
                    if let Ok(p) = self.commits.commit(self.repo, pid) {
                        self.queue.push((p.time(), pid));
                    }
                }
            }
        }
        self.reached.contains(&id)
    }
}

/// For each date `every` apart back from HEAD's, as far as `since`: the newest
/// first-parent commit dated at or before it.
fn by_period(
    repo: &git2::Repository,
    head: &git2::Commit,
    every: i64,
    since: i64,
    shallow: bool,
) -> Vec<Chosen> {
    let head_time = head.committer().when().seconds();
    let mut dates: Vec<i64> = Vec::new();
    let mut k = 1;
    while k * every <= since && dates.len() < 10_000 {
        dates.push(head_time - k * every);
        k += 1;
    }
    let mut out = Vec::new();
    let mut chain = Some(head.clone());
    let mut next_date = 0;
    let mut ended: Option<String> = None;
    while next_date < dates.len() {
        let Some(c) = chain.take() else { break };
        let t = c.committer().when().seconds();
        while next_date < dates.len() && t <= dates[next_date] {
            out.push(Chosen {
                labels: vec![history::rfc3339(dates[next_date])[..10].to_string()],
                kind: Kind::Date,
                commit: Some(c.id()),
                time: Some(t),
                unavailable: None,
            });
            next_date += 1;
        }
        match c.parent_ids().next() {
            None => ended = Some("the history starts after this date".into()),
            Some(pid) => match repo.find_commit(pid) {
                Ok(p) => chain = Some(p),
                Err(e) => {
                    ended = Some(if shallow {
                        format!("beyond the shallow clone's boundary; run `{UNSHALLOW_FIX}` to include it")
                    } else {
                        format!("the commit {pid} cannot be read: {}", e.message())
                    })
                }
            },
        }
        if ended.is_some() {
            break;
        }
    }
    if let Some(why) = ended {
        // Dates before the first commit have nothing to assess; dates beyond a shallow
        // boundary do, once the history is fetched.
        let starts = why.starts_with("the history starts");
        for &d in &dates[next_date..] {
            if starts {
                break;
            }
            out.push(Chosen {
                labels: vec![history::rfc3339(d)[..10].to_string()],
                kind: Kind::Date,
                commit: None,
                time: Some(d),
                unavailable: Some(why.clone()),
            });
        }
    }
    out
}

/// The revisions given: a name that resolves to nothing is the user's error (exit 2);
/// one that resolves to something other than a commit is a point without a commit.
fn by_revs(repo: &git2::Repository, revs: &[String]) -> Result<Vec<Chosen>, UserError> {
    let mut out = Vec::new();
    for r in revs {
        let obj = repo.revparse_single(r).map_err(|e| {
            UserError(format!(
                "--rev {r}: no such revision in the repository ({}); pass a commit id, branch or tag",
                e.message()
            ))
        })?;
        match obj.peel_to_commit() {
            Ok(c) => out.push(Chosen {
                labels: vec![r.clone()],
                kind: Kind::Rev,
                commit: Some(c.id()),
                time: Some(c.committer().when().seconds()),
                unavailable: None,
            }),
            Err(e) => out.push(Chosen {
                labels: vec![r.clone()],
                kind: Kind::Rev,
                commit: None,
                time: obj
                    .as_tag()
                    .and_then(|t| t.tagger())
                    .map(|t| t.when().seconds()),
                unavailable: Some(format!("not a commit: {}", e.message())),
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("--every", "90d").ok(), Some(90 * 86_400));
        assert_eq!(parse_duration("--every", "2w").ok(), Some(14 * 86_400));
        assert_eq!(parse_duration("--since", "6m").ok(), Some(180 * 86_400));
        assert_eq!(parse_duration("--since", "2y").ok(), Some(730 * 86_400));
        for bad in ["", "d", "0d", "-3d", "3", "3h", "1.5y"] {
            assert!(parse_duration("--every", bad).is_err(), "{bad}");
        }
    }
}
