//! Git history as evidence, read with git2 (never the `git` program): release cadence
//! from version tags, review flow from first-parent commit messages, bots, signing, DCO.
//!
//! # The bound of the walk
//!
//! Commits are only needed inside the window (`window_days` before HEAD's committer
//! date); tags are read from refs and dated on their own, so the year before the window
//! (C5b) costs no commit walk. The walk is one streamed pass over HEAD's ancestors,
//! newest committer date first (a priority queue keyed by committer date); the
//! first-parent chain is recognised on the way (the next first-parent commit is always
//! known), so there is no second pass. Each commit is parsed once and only counters and
//! a bounded sample of cited commits are kept.
//!
//! Committer dates are not monotonic (imported history, skewed clocks; a rebase rewrites
//! committer dates, so rebased commits are dated when rebased). The walk stops after
//! [`STOP_AFTER_OLDER`] commits in a row dated before the window. A commit dated inside the
//! window is therefore counted unless HEAD reaches it only through more than that many
//! consecutive older-dated commits. Ancestors dated after HEAD (clock skew) are counted
//! in the window. Memory is bounded by the commits inside the window, not by the length
//! of the history.

use cnmm_model::{
    attr, AttrType as T, Diagnostic, EvidenceSource, Fact, FactKindSpec, FactSource,
    HistorySummary, Location,
};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

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
        attr("signed_commits", T::Int, "Commits in the window with a signature header."),
        attr("forge_signed_commits", T::Int, "Signed commits whose committer is the forge (web merges, signed by the forge)."),
        attr("signed_tags", T::Int, "Version tags of both windows carrying a signature."),
    ],
},
FactKindSpec {
    name: "history.tag",
    source: FactSource::History,
    description: "A version tag dated in the window or the window before it (the newest ones of each, bounded).",
    attrs: &[
        attr("name", T::Str, "Tag name."),
        attr("window", T::Str, "`current` (the window) or `previous` (the window before it)."),
        attr("date", T::Str, "Tagger date of an annotated tag, else the commit date (UTC)."),
        attr("annotated", T::Bool, "An annotated tag object (dated by its tagger)."),
        attr("signed", T::Bool, "The tag object carries a signature."),
        attr("commit", T::Str, "The commit the tag points to."),
    ],
},
FactKindSpec {
    name: "history.commit",
    source: FactSource::History,
    description: "A commit of the window cited as an example of a role (the newest ones of each role, bounded).",
    attrs: &[
        attr("role", T::Str, "`pr-based`, `direct`, `release` (first-parent commits), `bot`, `revert` or `hotfix`."),
        attr("date", T::Str, "Committer date (UTC)."),
        attr("bot", T::Str, "For `bot`: the bot's name."),
        attr("via", T::Str, "For `bot`: `author` or `trailer`."),
        attr("signed", T::Bool, "The commit carries a signature header."),
    ],
}];

/// The walk stops after this many commits in a row dated before the window.
pub const STOP_AFTER_OLDER: u32 = 128;
/// Commits cited per role, and version tags cited per window: the newest ones.
const CITED_COMMITS_PER_ROLE: usize = 5;
const CITED_BOT_COMMITS: usize = 10;
const CITED_TAGS_PER_WINDOW: usize = 12;

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub enabled: bool,
    pub window_days: u32,
    /// Read the history from this revision instead of HEAD (`--rev`).
    pub rev: Option<String>,
    /// Commits and tags already read by an earlier scan of the same repository (the
    /// points of `cnmm timeline`): each commit object is parsed once for all windows.
    pub cache: Option<std::sync::Arc<HistoryCache>>,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            enabled: true,
            window_days: 365,
            rev: None,
            cache: None,
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

impl HistoryOutcome {
    fn new(opts: &HistoryOptions) -> Self {
        HistoryOutcome {
            summary: HistorySummary {
                window_days: opts.window_days,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Gives up on the history: the diagnostic says why, and so does the summary.
    fn unavailable(mut self, why: Diagnostic) -> Self {
        self.summary.unavailable_reason = Some(why.message.clone());
        self.diagnostics.push(why);
        self
    }
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
    // MAJOR.MINOR anywhere, or a Jenkins plugin continuous-delivery version (JEP-229:
    // `4423.vb_59f230b_ce53`, a build number and a commit).
    RE.get_or_init(|| re(r"(^|[^0-9])\d+\.\d+|^\d+\.v[0-9a-f_]{6,}$"))
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
    // Case-insensitive without allocating: this runs for every commit of the window.
    let (n, e) = (name.as_bytes(), email.as_bytes());
    contains_ci(n, b"[bot]")
        || contains_ci(e, b"[bot]")
        || contains_ci(n, b"dependabot")
        || contains_ci(n, b"renovate")
        || n.eq_ignore_ascii_case(b"github-actions")
        || e.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"bot@"))
        || contains_ci(e, b"noreply@github.com") && contains_ci(n, b"bot")
}

/// ASCII case-insensitive substring test.
fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Opens the repository (work tree or bare) at exactly `root`: no search upward, so a
/// fixture inside a repository is not that repository.
pub fn open(root: &Path) -> Result<git2::Repository, git2::Error> {
    configure_libgit2();
    git2::Repository::open_ext(
        root,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
}

/// Settings of the repository's own `.git/config` that make git run a command
/// (`core.fsmonitor`, `core.sshCommand`, `!` aliases, filters...). A clone never copies
/// them from the remote, so in a fresh CI checkout they are a sign the directory came
/// from somewhere else (a cache, an artifact); in a developer's checkout they are
/// usually their own, hence a note, not a warning. cnmm never runs any of them. Git
/// LFS's filters, which `git lfs install --local` writes, and a boolean
/// `core.fsmonitor` (git's built-in daemon) are left out.
fn command_settings(repo: &git2::Repository) -> Option<Diagnostic> {
    const EXACT: &[&str] = &[
        "core.sshcommand",
        "core.pager",
        "core.editor",
        "core.askpass",
        "credential.helper",
        "gpg.program",
        "sequence.editor",
        "uploadpack.packobjectshook",
    ];
    let config = git2::Config::open(&repo.path().join("config")).ok()?;
    let mut names = std::collections::BTreeSet::new();
    let mut entries = config.entries(None).ok()?;
    while let Some(Ok(e)) = entries.next() {
        let Ok(name) = e.name().map(str::to_ascii_lowercase) else {
            continue;
        };
        let value = e.value().unwrap_or("").trim().to_ascii_lowercase();
        let boolean = matches!(
            value.as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "1" | "0" | ""
        );
        let runs = EXACT.contains(&name.as_str())
            || (name == "core.fsmonitor" && !boolean)
            || (name.starts_with("alias.") && value.starts_with('!'))
            || (name.starts_with("filter.")
                && !name.starts_with("filter.lfs.")
                && [".clean", ".smudge", ".process"]
                    .iter()
                    .any(|s| name.ends_with(s)))
            || (name.starts_with("diff.") && name.ends_with(".textconv"));
        if runs {
            names.insert(cnmm_model::text::sanitize(&name));
        }
    }
    (!names.is_empty()).then(|| {
        Diagnostic::info(
            ".git/config",
            None,
            format!(
                "sets {} (commands git runs); cnmm runs none of them, but git commands in this checkout would: check them if the checkout is not your own",
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

/// The default branch a clone records (`refs/remotes/origin/HEAD` →
/// `refs/remotes/origin/develop` gives `develop`), if any. CI checkouts usually have
/// none; callers then fall back to the usual names.
pub fn default_branch(root: &Path) -> Option<String> {
    let repo = open(root).ok()?;
    let r = repo.find_reference("refs/remotes/origin/HEAD").ok()?;
    let target = r.symbolic_target().ok()??;
    let name = target.strip_prefix("refs/remotes/origin/")?;
    (!name.is_empty()).then(|| name.to_string())
}

/// The owner of the `origin` remote on a known forge (`git@github.com:acme/app.git`,
/// `https://gitlab.com/acme/app`), if any.
pub fn origin_owner(root: &Path) -> Option<String> {
    forge_owner(&origin_url(root)?)
}

/// The URL of the `origin` remote, if any.
pub fn origin_url(root: &Path) -> Option<String> {
    let repo = open(root).ok()?;
    let remote = repo.find_remote("origin").ok()?;
    remote.url().ok().map(str::to_string)
}

/// The first path segment after a known forge host in a URL or module path
/// (`github.com/prometheus/node_exporter` → `prometheus`).
pub fn forge_owner(url: &str) -> Option<String> {
    const FORGES: &[&str] = &["github.com", "gitlab.com", "bitbucket.org", "codeberg.org"];
    let host_at = FORGES
        .iter()
        .find_map(|h| url.find(h).map(|i| i + h.len()))?;
    let rest = url[host_at..].trim_start_matches([':', '/']);
    let owner = rest.split('/').next()?;
    let valid = !owner.is_empty()
        && rest.contains('/')
        && owner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    valid.then(|| owner.to_string())
}

/// Opens the repository at exactly `root` (no search upward: a fixture inside a
/// repository is not that repository) and reads its history.
pub fn read(root: &Path, opts: &HistoryOptions) -> HistoryOutcome {
    let mut out = HistoryOutcome::new(opts);
    let repo = match open(root) {
        Ok(r) => r,
        Err(e) => {
            // No `.git` at all is the normal case of a plain directory; a `.git` that
            // does not open is a broken checkout the user should hear about.
            let dot_git = std::fs::symlink_metadata(root.join(".git")).ok();
            let absent = e.code() == git2::ErrorCode::NotFound && dot_git.is_none();
            let reason = if absent {
                "not a git repository (no `.git` at the scanned root); history criteria cannot be observed".to_string()
            } else if e.code() == git2::ErrorCode::NotFound
                && dot_git.as_ref().is_some_and(|m| m.is_file())
            {
                "`.git` is a file whose `gitdir:` does not exist (a worktree or submodule copied without its repository); history criteria cannot be observed".to_string()
            } else {
                format!(
                    "the git repository could not be opened: {}; history criteria cannot be observed",
                    cnmm_model::text::sanitize(e.message())
                )
            };
            return out.unavailable(if absent {
                Diagnostic::info(".", None, reason)
            } else {
                Diagnostic::warning(".git", None, reason)
            });
        }
    };
    out.is_git = true;
    if let Some(d) = command_settings(&repo) {
        out.diagnostics.push(d);
    }
    out.summary.shallow = repo.is_shallow();
    if repo.is_bare() {
        out.diagnostics.push(Diagnostic::info(
            ".",
            None,
            "a bare repository: it has no working tree, so only its history is read",
        ));
    }
    if let Some(rev) = &opts.rev {
        // `--rev`: the history is read from that commit (the tree scanned is its tree).
        match resolve_commit(&repo, rev) {
            Ok(c) => {
                out.head = Some(c.id().to_string());
                return finish(&repo, &c, opts, out);
            }
            Err(e) => {
                let reason = format!("--rev {rev} is not a commit: {}", e.message());
                return out.unavailable(Diagnostic::error("git:HEAD", None, reason));
            }
        }
    }
    let head = match repo.head() {
        Ok(h) => h,
        Err(e) => {
            let reason = if e.code() == git2::ErrorCode::UnbornBranch {
                "the repository has no commits yet".to_string()
            } else {
                format!("HEAD cannot be read: {}", e.message())
            };
            return out.unavailable(Diagnostic::warning("git:HEAD", None, reason));
        }
    };
    if head.is_branch() {
        out.head_ref = head.name().ok().map(str::to_string);
    }
    let detached = repo.head_detached().unwrap_or(false);
    let head_commit = match head.peel_to_commit() {
        Ok(c) => c,
        Err(e) => return out.unavailable(not_a_commit(&e)),
    };
    out.head = Some(head_commit.id().to_string());
    if detached {
        // CI checkouts of a tag or pull request are detached: the history is read from
        // the checked-out commit, which is what the scanned tree is.
        out.diagnostics.push(Diagnostic::info(
            "git:HEAD",
            None,
            format!(
                "HEAD is detached at {}; the history is read from that commit",
                head_commit.id()
            ),
        ));
    }
    finish(&repo, &head_commit, opts, out)
}

/// The commit `rev` names. A full commit id is looked up directly: revision parsing
/// would first read every ref (a timeline resolves one id per point, in repositories
/// with thousands of tags).
pub fn resolve_commit<'r>(
    repo: &'r git2::Repository,
    rev: &str,
) -> Result<git2::Commit<'r>, git2::Error> {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(c) = git2::Oid::from_str(rev).and_then(|id| repo.find_commit(id)) {
            return Ok(c);
        }
    }
    repo.revparse_single(rev).and_then(|o| o.peel_to_commit())
}

/// Reads the history behind the commit `head` of an open repository (one without a
/// work tree or refs, such as an in-memory object database, is enough): for fuzzing
/// the walk with arbitrary commit and tag objects. Scans go through [`read`].
pub fn read_commit(
    repo: &git2::Repository,
    head: git2::Oid,
    opts: &HistoryOptions,
) -> HistoryOutcome {
    configure_libgit2();
    let mut out = HistoryOutcome::new(opts);
    out.is_git = true;
    match repo.find_commit(head) {
        Ok(c) => {
            out.head = Some(c.id().to_string());
            finish(repo, &c, opts, out)
        }
        Err(e) => out.unavailable(not_a_commit(&e)),
    }
}

fn not_a_commit(e: &git2::Error) -> Diagnostic {
    Diagnostic::error(
        "git:HEAD",
        None,
        format!("HEAD does not point to a commit: {}", e.message()),
    )
}

/// Reads the history behind `head` unless it is turned off or the clone is shallow.
fn finish(
    repo: &git2::Repository,
    head_commit: &git2::Commit,
    opts: &HistoryOptions,
    mut out: HistoryOutcome,
) -> HistoryOutcome {
    if !opts.enabled {
        out.summary.unavailable_reason =
            Some("history reading was turned off (`--no-history`)".into());
        return out;
    }
    if out.summary.shallow {
        return out.unavailable(Diagnostic::warning("git:HEAD", None, UNSHALLOW));
    }
    match walk(repo, head_commit, opts, &mut out) {
        Ok(()) => {
            out.summary.available = true;
            out
        }
        Err(e) => {
            let reason = format!("the history could not be read completely: {}", e.message());
            out.unavailable(Diagnostic::error("git:HEAD", None, reason))
        }
    }
}

/// Sets libgit2's process-wide options once, before any repository is opened.
///
/// - libgit2 refuses repositories owned by another user (git's `safe.directory`), which
///   is the normal case in CI containers (checkout by the runner, scan as root or
///   another uid). That check protects against running hooks or config-defined
///   commands from a hostile repository; cnmm only reads objects and never executes
///   anything from the repository, so it turns the check off.
/// - Each commit is parsed once and dropped: libgit2's object cache would only keep
///   every walked commit alive (memory growing with the history, up to 256 MiB).
/// - Objects read are not re-hashed (git does not re-hash on read either): SHA-1 of
///   every commit was a third of the history walk's time. A corrupt object still fails
///   to inflate or parse, which is a diagnostic.
/// - Pack files are mapped in windows of [`PACK_WINDOW`] bytes, at most
///   [`PACK_MAPPED_LIMIT`] at once (libgit2's defaults, 1 GiB and 8 GiB, map a whole
///   pack and keep every page touched resident).
fn configure_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: these set libgit2 globals before this process opens any repository;
        // they are plain values with no other invariant.
        unsafe {
            let _ = git2::opts::set_verify_owner_validation(false);
            let _ = git2::opts::set_mwindow_size(PACK_WINDOW);
            let _ = git2::opts::set_mwindow_mapped_limit(PACK_MAPPED_LIMIT);
        }
        git2::opts::enable_caching(false);
        git2::opts::strict_hash_verification(false);
    });
}

/// Bytes of a pack file mapped at a time, and mapped at most at once (see
/// [`configure_libgit2`]).
const PACK_WINDOW: usize = 8 << 20;
const PACK_MAPPED_LIMIT: usize = 32 << 20;

fn pct(n: u64, d: u64) -> Option<f64> {
    if d == 0 {
        None
    } else {
        Some(((n as f64) * 1000.0 / (d as f64)).round() / 10.0)
    }
}

/// A commit waiting in the walk's queue: newest committer date first, ties by id so the
/// order is deterministic.
struct Queued {
    time: i64,
    commit: Arc<CommitRecord>,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.commit.id == other.commit.id
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.commit.id).cmp(&(other.time, other.commit.id))
    }
}

/// What the walk needs of one commit, parsed once from its object.
#[derive(Debug)]
pub struct CommitRecord {
    id: git2::Oid,
    time: i64,
    parents: Vec<git2::Oid>,
    /// Lower-cased; shared, so counting distinct authors copies nothing.
    author_email: Arc<[u8]>,
    bot: Option<(String, &'static str)>,
    signed: bool,
    forge_signed: bool,
    dco: bool,
    subject: String,
    release: bool,
    pr: bool,
}

impl CommitRecord {
    /// The committer's date, in seconds since the epoch.
    pub fn time(&self) -> i64 {
        self.time
    }

    pub fn parents(&self) -> &[git2::Oid] {
        &self.parents
    }

    fn parse(commit: &git2::Commit) -> CommitRecord {
        let author = commit.author();
        let name = String::from_utf8_lossy(author.name_bytes());
        let author_email = author.email_bytes().to_ascii_lowercase();
        let msg = String::from_utf8_lossy(commit.message_bytes());
        let bot = bot_of(&name, &String::from_utf8_lossy(&author_email), &msg);
        let raw = commit.raw_header_bytes();
        let signed = has_header(raw, b"gpgsig") || has_header(raw, b"gpgsig-sha256");
        let c = commit.committer();
        let forge_signed = signed
            && is_forge_committer(
                &String::from_utf8_lossy(c.name_bytes()),
                &String::from_utf8_lossy(c.email_bytes()),
            );
        let subject = subject_of(&msg).to_string();
        CommitRecord {
            id: commit.id(),
            time: c.when().seconds(),
            parents: commit.parent_ids().collect(),
            author_email: author_email.into(),
            bot,
            signed,
            forge_signed,
            dco: msg.contains("\nSigned-off-by: "),
            release: release_re().is_match(&subject),
            pr: pr_re().is_match(&msg),
            subject,
        }
    }
}

/// Commits and version tags of one repository, kept between scans of several of its
/// commits (`cnmm timeline`): a commit is parsed once however many windows hold it,
/// and the tags are read once.
#[derive(Debug, Default)]
pub struct HistoryCache {
    commits: std::sync::Mutex<HashMap<git2::Oid, Arc<CommitRecord>>>,
    tags: std::sync::OnceLock<VersionTags>,
}

impl HistoryCache {
    /// Every version tag of `repo`, read once for all the points of a timeline (and for
    /// choosing them), so without the dates of one walk.
    pub fn version_tags(&self, repo: &git2::Repository) -> Result<&VersionTags, git2::Error> {
        if let Some(all) = self.tags.get() {
            return Ok(all);
        }
        let all = version_tags(repo, &HashMap::new())?;
        Ok(self.tags.get_or_init(|| all))
    }

    /// The commit `id`, parsed once for every reader of this cache (choosing a
    /// timeline's points walks the commits its windows read).
    pub fn commit(
        &self,
        repo: &git2::Repository,
        id: git2::Oid,
    ) -> Result<Arc<CommitRecord>, git2::Error> {
        Commits {
            repo,
            cache: Some(self),
        }
        .get(id)
    }

    /// Forgets the commits dated after `time`: scans that go from the newest point to
    /// the oldest need them no more (a later miss only costs a re-read).
    pub fn forget_after(&self, time: i64) {
        lock(&self.commits).retain(|_, c| c.time <= time);
    }

    /// The commits held (for tests and benchmarks).
    pub fn commits_held(&self) -> usize {
        lock(&self.commits).len()
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads commit records, through the cache when there is one.
struct Commits<'r> {
    repo: &'r git2::Repository,
    cache: Option<&'r HistoryCache>,
}

impl Commits<'_> {
    fn get(&self, id: git2::Oid) -> Result<Arc<CommitRecord>, git2::Error> {
        if let Some(hit) = self.cache.and_then(|c| lock(&c.commits).get(&id).cloned()) {
            return Ok(hit);
        }
        let record = Arc::new(CommitRecord::parse(&self.repo.find_commit(id)?));
        if let Some(c) = self.cache {
            lock(&c.commits).insert(id, record.clone());
        }
        Ok(record)
    }
}

/// The bot a commit comes from: its author, or a `Co-authored-by:`/`Signed-off-by:`
/// trailer naming a bot (commits a bot prepared and a person merged or pushed).
fn bot_of(author_name: &str, author_email: &str, msg: &str) -> Option<(String, &'static str)> {
    if is_bot(author_name, author_email) {
        return Some((author_name.to_string(), "author"));
    }
    for line in msg.lines().rev().take(20) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !key.eq_ignore_ascii_case("co-authored-by") && !key.eq_ignore_ascii_case("signed-off-by")
        {
            continue;
        }
        let value = value.trim();
        let (name, email) = match value.split_once('<') {
            Some((n, e)) => (n.trim(), e.trim_end_matches('>').trim()),
            None => (value, ""),
        };
        if is_bot(name, email) {
            return Some((name.to_string(), "trailer"));
        }
    }
    None
}

fn subject_of(msg: &str) -> &str {
    msg.lines().next().unwrap_or("").trim()
}

fn has_header(raw: &[u8], name: &[u8]) -> bool {
    raw.split(|b| *b == b'\n')
        .any(|line| line.starts_with(name) && line.get(name.len()) == Some(&b' '))
}

/// Collects the newest commits of each role as cited evidence.
#[derive(Default)]
struct Citations {
    facts: Vec<Fact>,
    forge_signed: u64,
    per_role: std::collections::HashMap<&'static str, usize>,
}

impl Citations {
    fn cite(&mut self, role: &'static str, commit: &CommitRecord, extra: &[(&str, &str)]) {
        let limit = if role == "bot" {
            CITED_BOT_COMMITS
        } else {
            CITED_COMMITS_PER_ROLE
        };
        let n = self.per_role.entry(role).or_default();
        if *n >= limit {
            return;
        }
        *n += 1;
        let date = rfc3339(commit.time);
        let id = commit.id.to_string();
        let mut f = Fact::new(
            "history.commit",
            Location::new(format!("git:commit/{id}"), None),
            format!(
                "{} {} {}: {}",
                role,
                &id[..12.min(id.len())],
                &date[..10],
                commit.subject
            ),
        )
        .source(EvidenceSource::History)
        .attr("role", role)
        .attr("date", date)
        .attr("signed", commit.signed);
        for (k, v) in extra {
            f.set(k, *v);
        }
        self.facts.push(f);
    }
}

/// The forge's own committer identity: web merges and squashes are signed by the forge's
/// key, not the author's.
fn is_forge_committer(name: &str, email: &str) -> bool {
    let e = email.to_ascii_lowercase();
    (name == "GitHub" && e == "noreply@github.com")
        || (name == "GitLab" && e.ends_with("gitlab.com"))
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
    let mut cites = Citations::default();

    // One streamed pass, newest committer date first. `next_first_parent` is the next
    // commit of HEAD's first-parent chain: it is reached after all its descendants.
    let commits = Commits {
        repo,
        cache: opts.cache.as_deref(),
    };
    let mut queue = std::collections::BinaryHeap::new();
    // Every commit reached, with its committer date: lightweight tags of these commits
    // are dated from here, without reading the commit again.
    let mut seen: HashMap<git2::Oid, i64> = HashMap::new();
    seen.insert(head.id(), end);
    queue.push(Queued {
        time: end,
        commit: commits.get(head.id())?,
    });
    let mut next_first_parent = Some(head.id());
    let mut authors: HashSet<Arc<[u8]>> = HashSet::new();
    let mut older_in_a_row = 0u32;
    while let Some(Queued { time: t, commit }) = queue.pop() {
        let is_first_parent = next_first_parent == Some(commit.id);
        if is_first_parent {
            next_first_parent = commit.parents.first().copied();
        }
        if t < start {
            older_in_a_row += 1;
            if older_in_a_row > STOP_AFTER_OLDER {
                break;
            }
        } else {
            older_in_a_row = 0;
        }
        // Parents are parsed once, when first reached (the queue needs their dates).
        for &pid in &commit.parents {
            if let std::collections::hash_map::Entry::Vacant(slot) = seen.entry(pid) {
                let parent = commits.get(pid)?;
                slot.insert(parent.time);
                queue.push(Queued {
                    time: parent.time,
                    commit: parent,
                });
            }
        }
        if t < start {
            continue;
        }
        count_commit(&commit, is_first_parent, s, &mut authors, &mut cites);
    }
    s.authors = authors.len() as u64;
    s.pr_share_denominator = s.first_parent_commits - s.release_commits;
    s.pr_based_share = pct(s.pr_based_commits, s.pr_share_denominator);
    s.signed_commits_share = pct(s.signed_commits, s.commits);
    s.dco_share = pct(s.dco_signed_off, s.commits);
    let forge_signed = cites.forge_signed;
    out.facts.append(&mut cites.facts);

    let tags = read_tags(
        repo,
        end,
        prev_start,
        &seen,
        opts.cache.as_deref(),
        &mut out.diagnostics,
    )?;
    let s = &mut out.summary;
    s.signed_tags = tags.iter().filter(|t| t.signed).count() as u64;
    // Both windows include their start: a tag dated exactly `window_days` before HEAD
    // is in the window, as a commit is.
    let mut current: Vec<&TagInfo> = tags.iter().filter(|t| t.time >= start).collect();
    let mut previous: Vec<&TagInfo> = tags.iter().filter(|t| t.time < start).collect();
    s.version_tags = current.len() as u64;
    s.version_tags_previous_window = previous.len() as u64;
    s.median_days_between_releases = median_gap_days(&current);
    for (list, window) in [(&mut current, "current"), (&mut previous, "previous")] {
        list.sort_by(|a, b| (b.time, &b.name).cmp(&(a.time, &a.name)));
        for t in list.iter().take(CITED_TAGS_PER_WINDOW) {
            out.facts.push(tag_fact(&commits, t, window));
        }
    }
    let s = &out.summary;

    let tag_list: Vec<&str> = current.iter().take(8).map(|t| t.name.as_str()).collect();
    let signed_detail = if forge_signed > 0 {
        format!(
            "; {} signed commits ({} of them web merges signed by the forge, not by their authors)",
            s.signed_commits, forge_signed
        )
    } else {
        format!("; {} signed commits", s.signed_commits)
    };
    let mut f = Fact::new(
        "history.window",
        Location::new("git:HEAD", None),
        format!(
            "last {} days: {} commits, {} of {} first-parent commits PR/MR-based, {} version tags{} (previous window: {}){}",
            opts.window_days,
            s.commits,
            s.pr_based_commits,
            s.pr_share_denominator,
            s.version_tags,
            if tag_list.is_empty() { String::new() } else { format!(" ({}{})", tag_list.join(", "), if current.len() > 8 { ", ..." } else { "" }) },
            s.version_tags_previous_window,
            signed_detail,
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
    .attr("hotfixes", s.hotfix_commits as i64)
    .attr("signed_commits", s.signed_commits as i64)
    .attr("forge_signed_commits", forge_signed as i64)
    .attr("signed_tags", s.signed_tags as i64);
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

fn count_commit(
    commit: &CommitRecord,
    is_first_parent: bool,
    s: &mut HistorySummary,
    authors: &mut HashSet<Arc<[u8]>>,
    cites: &mut Citations,
) {
    s.commits += 1;
    if commit.parents.len() > 1 {
        s.merge_commits += 1;
    }
    if let Some((bot, via)) = &commit.bot {
        s.bot_commits += 1;
        cites.cite("bot", commit, &[("bot", bot.as_str()), ("via", via)]);
    }
    authors.insert(commit.author_email.clone());
    if commit.signed {
        s.signed_commits += 1;
        if commit.forge_signed {
            cites.forge_signed += 1;
        }
    }
    if commit.dco {
        s.dco_signed_off += 1;
    }
    let subject = commit.subject.as_str();
    if subject.starts_with("Revert \"") {
        s.reverts += 1;
        cites.cite("revert", commit, &[]);
    }
    if contains_ci(subject.as_bytes(), b"hotfix") {
        s.hotfix_commits += 1;
        cites.cite("hotfix", commit, &[]);
    }
    if is_first_parent {
        s.first_parent_commits += 1;
        if commit.release {
            s.release_commits += 1;
            cites.cite("release", commit, &[]);
        } else if commit.pr {
            s.pr_based_commits += 1;
            cites.cite("pr-based", commit, &[]);
        } else {
            cites.cite("direct", commit, &[]);
        }
    }
}

/// A version tag: its date (the tagger's of an annotated tag, else its commit's) and
/// the commit it names.
#[derive(Debug, Clone)]
pub struct TagInfo {
    pub name: String,
    pub time: i64,
    pub annotated: bool,
    pub signed: bool,
    pub commit: git2::Oid,
}

/// Every version tag of a repository, or a tag's short name and why it cannot be read.
pub type VersionTags = Vec<Result<TagInfo, (String, String)>>;

/// Version tags dated in the window or the one before it. A tag that cannot be read is
/// a diagnostic, not a failure of the whole history. An annotated tag of a commit is
/// dated by its tagger line, so its commit is not read (a repository's thousand release
/// tags would cost a thousand commit objects); only its presence is checked. A
/// lightweight tag of a commit the walk reached (`walked`) is dated from the walk.
fn read_tags(
    repo: &git2::Repository,
    end: i64,
    prev_start: i64,
    walked: &HashMap<git2::Oid, i64>,
    cache: Option<&HistoryCache>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<TagInfo>, git2::Error> {
    let fresh;
    let all = match cache {
        Some(c) => c.version_tags(repo)?,
        None => {
            fresh = version_tags(repo, walked)?;
            &fresh
        }
    };
    let mut tags = Vec::new();
    for t in all {
        match t {
            Ok(t) if t.time >= prev_start && t.time <= end => tags.push(t.clone()),
            Ok(_) => {}
            Err((short, message)) => diagnostics.push(Diagnostic::warning(
                &format!("git:tag/{short}"),
                None,
                format!("the tag cannot be read and is not counted: {message}"),
            )),
        }
    }
    Ok(tags)
}

/// Every version tag, dated, or the tag name and why it cannot be read.
fn version_tags(
    repo: &git2::Repository,
    walked: &HashMap<git2::Oid, i64>,
) -> Result<VersionTags, git2::Error> {
    let mut tags = Vec::new();
    let odb = repo.odb()?;
    repo.tag_foreach(|oid, name| {
        let name = String::from_utf8_lossy(name);
        let short = name.trim_start_matches("refs/tags/").to_string();
        if !is_version_tag(&short) {
            return true;
        }
        let info = (|| -> Result<TagInfo, git2::Error> {
            if let Some(&time) = walked.get(&oid) {
                // A lightweight tag of a commit the walk has dated.
                return Ok(TagInfo {
                    name: short.clone(),
                    time,
                    annotated: false,
                    signed: false,
                    commit: oid,
                });
            }
            let obj = repo.find_object(oid, None)?;
            let tag = obj.as_tag();
            let tagged_at = tag.and_then(|t| t.tagger()).map(|t| t.when().seconds());
            let tagged_commit = tag
                .filter(|t| t.target_type() == Some(git2::ObjectType::Commit))
                .map(|t| t.target_id());
            let (time, commit) = match (tagged_at, tagged_commit) {
                (Some(time), Some(id)) if odb.exists(id) => (time, id),
                (Some(_), Some(id)) => {
                    return Err(git2::Error::new(
                        git2::ErrorCode::NotFound,
                        git2::ErrorClass::Odb,
                        format!("its commit {id} is missing"),
                    ))
                }
                _ => {
                    let c = obj.peel_to_commit()?;
                    let committed_at = c.committer().when().seconds();
                    (tagged_at.unwrap_or(committed_at), c.id())
                }
            };
            Ok(TagInfo {
                name: short.clone(),
                time,
                annotated: tag.is_some(),
                signed: tag
                    .and_then(|t| t.message_bytes())
                    .is_some_and(|m| m.windows(11).any(|w| w == b"-----BEGIN ")),
                commit,
            })
        })();
        tags.push(info.map_err(|e| (short, e.message().to_string())));
        true
    })?;
    Ok(tags)
}

/// The evidence of one cited tag; its commit is read here, for the subject line.
fn tag_fact(commits: &Commits, t: &TagInfo, window: &str) -> Fact {
    let date = rfc3339(t.time);
    let commit = t.commit.to_string();
    let subject = commits
        .get(t.commit)
        .map_or(String::new(), |c| c.subject.clone());
    let kind = match (t.annotated, t.signed) {
        (true, true) => "annotated, signed",
        (true, false) => "annotated",
        _ => "lightweight",
    };
    Fact::new(
        "history.tag",
        Location::new(format!("git:tag/{}", t.name), None),
        format!(
            "{} {} ({kind}) on {}: {}",
            t.name,
            &date[..10],
            &commit[..12.min(commit.len())],
            subject
        ),
    )
    .source(EvidenceSource::History)
    .attr("name", t.name.as_str())
    .attr("window", window)
    .attr("date", date)
    .attr("annotated", t.annotated)
    .attr("signed", t.signed)
    .attr("commit", commit)
}

fn median_gap_days(tags: &[&TagInfo]) -> Option<f64> {
    if tags.len() < 2 {
        return None;
    }
    let mut times: Vec<i64> = tags.iter().map(|t| t.time).collect();
    times.sort_unstable();
    let mut gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 86_400.0)
        .collect();
    gaps.sort_by(|a, b| a.total_cmp(b));
    let mid = gaps.len() / 2;
    let median = if gaps.len() % 2 == 0 {
        (gaps[mid - 1] + gaps[mid]) / 2.0
    } else {
        gaps[mid]
    };
    Some((median * 10.0).round() / 10.0)
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
    fn forge_owners() {
        for (url, owner) in [
            (
                "git@github.com:prometheus/node_exporter.git",
                Some("prometheus"),
            ),
            ("https://github.com/argoproj/argo-cd", Some("argoproj")),
            ("github.com/spf13/cobra", Some("spf13")),
            (
                "https://gitlab.com/libvirt/libvirt-python.git",
                Some("libvirt"),
            ),
            ("/work/mirror/repo", None),
            ("https://github.com/", None),
            ("https://example.com/acme/app", None),
        ] {
            assert_eq!(forge_owner(url).as_deref(), owner, "{url}");
        }
    }

    #[test]
    fn version_tags() {
        for t in [
            "v1.2.3",
            "1.2.3",
            "chart-1.2.3",
            "v0.10",
            "api/v2.0.1",
            "4423.vb_59f230b_ce53",
        ] {
            assert!(is_version_tag(t), "{t}");
        }
        for t in ["latest", "stable", "nightly", "v1", "release", "4423.vnext"] {
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
