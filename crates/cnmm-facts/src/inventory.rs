//! The inventory: every file of the scanned tree, with the paths that must not count
//! marked once, here, for all extractors.
//!
//! The walk uses the `ignore` crate (ripgrep's gitignore-aware sibling of walkdir) for
//! nested `.gitignore` semantics and its parallel walker; it never follows symlinks,
//! skips FIFOs, sockets and devices, and prunes vendored trees before descending.

use crate::cache::Claims;
use cnmm_model::{Catalog, Diagnostic};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Files larger than this are never read (a diagnostic names them when an extractor
/// wanted them).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// A file of a checkout at `root/path` (the usual case: its name is valid UTF-8, so
    /// the path is exact and no second copy of it is kept).
    Checkout,
    /// A file of a checkout whose name is not valid UTF-8 (its `path` is lossy): the
    /// real path.
    Path(PathBuf),
    /// A blob of the object database (scans of `--rev`).
    Blob(git2::Oid),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvFile {
    /// Path relative to the root, `/`-separated (lossy for non-UTF-8 names). Shared: a
    /// timeline's points list the same files.
    pub path: Arc<str>,
    /// Why facts from this file must not count, if they must not.
    pub excluded: Option<Arc<str>>,
    pub locator: Locator,
}

#[derive(Debug, Default)]
pub struct Inventory {
    /// Sorted by path.
    pub files: Vec<InvFile>,
    /// Directories not descended into, with the reason (sorted).
    pub pruned: Vec<(String, String)>,
    /// Entries that are not regular files (symlinks, FIFOs, sockets, devices), with
    /// what they are (sorted). Never followed or opened; a scan reports the ones named
    /// like a file it would read.
    pub not_files: Vec<(String, &'static str)>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Inventory {
    pub fn get(&self, path: &str) -> Option<&InvFile> {
        self.files
            .binary_search_by(|f| (*f.path).cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// The files whose path starts with `prefix` (a directory with its trailing `/`,
    /// or any path prefix), found by binary search: extractors look up their neighbours
    /// per file, and a scan of the whole inventory each time is quadratic on monorepos.
    pub fn with_prefix(&self, prefix: &str) -> &[InvFile] {
        let start = self.files.partition_point(|f| &*f.path < prefix);
        let len = self.files[start..].partition_point(|f| f.path.starts_with(prefix));
        &self.files[start..start + len]
    }
}

/// Decides which paths are pruned or excluded: the catalog's directory lists plus the
/// user's extra globs from `.cnmm.yml`.
pub struct PathPolicy {
    prune: Vec<(String, String)>,
    exclude: Vec<(String, String)>,
    user: GlobSet,
    user_globs: Vec<String>,
}

impl PathPolicy {
    pub fn new(catalog: &Catalog, user_excludes: &[String]) -> Result<Self, String> {
        let mut b = GlobSetBuilder::new();
        for g in user_excludes {
            let glob = Glob::new(g).map_err(|e| format!("bad exclude glob `{g}`: {e}"))?;
            b.add(glob);
        }
        Ok(PathPolicy {
            prune: catalog
                .paths
                .prune
                .iter()
                .map(|d| (d.dir.clone(), d.reason.clone()))
                .collect(),
            exclude: catalog
                .paths
                .exclude
                .iter()
                .map(|d| (d.dir.clone(), d.reason.clone()))
                .collect(),
            user: b.build().map_err(|e| e.to_string())?,
            user_globs: user_excludes.to_vec(),
        })
    }

    /// The reason a directory (by name) is not descended into.
    pub fn prune_reason(&self, dir_name: &str) -> Option<&str> {
        self.prune
            .iter()
            .find(|(d, _)| d == dir_name)
            .map(|(_, r)| r.as_str())
    }

    /// The reason facts from `path` must not count.
    pub fn exclusion(&self, path: &str) -> Option<String> {
        let mut comps: Vec<&str> = path.split('/').collect();
        comps.pop(); // the file name itself
        comps
            .iter()
            .find_map(|c| self.directory_exclusion(c))
            .or_else(|| self.glob_exclusion(path))
    }

    /// The reason facts from files under a directory named `name` must not count.
    fn directory_exclusion(&self, name: &str) -> Option<String> {
        if let Some((d, r)) = self
            .exclude
            .iter()
            .find(|(d, _)| d.eq_ignore_ascii_case(name))
        {
            return Some(format!("{r} (under `{d}/`)"));
        }
        self.prune
            .iter()
            .find(|(d, _)| d == name)
            .map(|(d, r)| format!("{r} (under `{d}/`)"))
    }

    /// The configuration's exclude glob that matches `path`.
    fn glob_exclusion(&self, path: &str) -> Option<String> {
        let matches = self.user.matches(path);
        if let Some(&i) = matches.first() {
            return Some(format!(
                "excluded by the `{}` glob of the configuration",
                self.user_globs[i]
            ));
        }
        None
    }
}

/// Walks `root` and returns every regular file, sorted.
pub fn walk(root: &Path, policy: &PathPolicy, threads: usize) -> Inventory {
    let files = Mutex::new(Vec::new());
    let not_files = Mutex::new(Vec::new());
    let pruned = Arc::new(Mutex::new(Vec::new()));
    let diagnostics = Mutex::new(Vec::new());

    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .threads(threads.max(1));
    let root_buf = root.to_path_buf();
    {
        let pruned = Arc::clone(&pruned);
        let root_buf = root_buf.clone();
        let policy_prune: Vec<(String, String)> = policy.prune.clone();
        builder.filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if !is_dir || entry.depth() == 0 {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            if name == ".git" {
                return false;
            }
            if let Some((_, reason)) = policy_prune.iter().find(|(d, _)| d.as_str() == name) {
                if let Ok(mut p) = pruned.lock() {
                    p.push((relative(&root_buf, entry.path()), reason.clone()));
                }
                return false;
            }
            true
        });
    }
    let walker = builder.build_parallel();
    walker.run(|| {
        let files = &files;
        let not_files = &not_files;
        let diagnostics = &diagnostics;
        let root = &root_buf;
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    let Some(ft) = entry.file_type() else {
                        return ignore::WalkState::Continue;
                    };
                    // Symlinks are never followed; FIFOs, sockets and devices never read.
                    if !ft.is_file() {
                        if let Some(what) = not_a_file(&ft) {
                            if let Ok(mut n) = not_files.lock() {
                                n.push((relative(root, entry.path()), what));
                            }
                        }
                        return ignore::WalkState::Continue;
                    }
                    // No stat here: sizes are checked when a candidate is read, and a
                    // stat of every file of a monorepo is a third of the walk.
                    let path = relative(root, entry.path());
                    let locator = if entry.path().to_str().is_some() {
                        Locator::Checkout
                    } else {
                        Locator::Path(entry.into_path())
                    };
                    if let Ok(mut f) = files.lock() {
                        f.push(InvFile {
                            excluded: None,
                            path: path.into(),
                            locator,
                        });
                    }
                }
                Err(err) => {
                    let (path, msg) = describe_walk_error(root, &err);
                    if let Ok(mut d) = diagnostics.lock() {
                        d.push(Diagnostic::warning(&path, None, msg));
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut files = files.into_inner().unwrap_or_default();
    add_tracked_files(root, policy, &mut files);
    for f in &mut files {
        f.excluded = policy.exclusion(&f.path).map(Arc::from);
    }
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    let mut pruned = pruned
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    pruned.sort();
    let mut diagnostics = diagnostics.into_inner().unwrap_or_default();
    diagnostics.sort();
    let mut not_files = not_files.into_inner().unwrap_or_default();
    not_files.sort();
    Inventory {
        files,
        pruned,
        not_files,
        diagnostics,
    }
}

/// Git never ignores a tracked file, but the walk applies `.gitignore` to every path:
/// a pattern such as `work*/` (meant for a `work/` directory) also hides a tracked
/// `.github/workflows/`. The index's tracked regular files that the walk did not see
/// are added back, unless a pruned directory holds them. Only the index is read; a
/// path through a symbolic link is never followed.
fn add_tracked_files(root: &Path, policy: &PathPolicy, files: &mut Vec<InvFile>) {
    let Ok(index) = with_repo(root, |_| (), |repo| repo.index().map_err(|_| ())) else {
        return;
    };
    let tracked: Vec<String> = {
        let seen: std::collections::HashSet<&str> = files.iter().map(|f| &*f.path).collect();
        // Directories already checked to be real directories (not links) on the way.
        let mut real_dirs: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut tracked = Vec::new();
        for entry in index.iter() {
            // Regular files only: not symlinks (0o120000) or submodules (0o160000).
            if entry.mode & 0o170000 != 0o100000 {
                continue;
            }
            let Ok(path) = std::str::from_utf8(&entry.path) else {
                continue;
            };
            if seen.contains(path) {
                continue;
            }
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            if dir
                .split('/')
                .any(|d| d == ".git" || policy.prune.iter().any(|(p, _)| p == d))
            {
                continue;
            }
            // Every directory on the way and the file itself, without following links.
            let dirs_ok = dir.is_empty()
                || dir
                    .match_indices('/')
                    .map(|(i, _)| &dir[..i])
                    .chain([dir])
                    .all(|d| {
                        real_dirs.contains(d)
                            || (std::fs::symlink_metadata(root.join(d)).is_ok_and(|m| m.is_dir())
                                && real_dirs.insert(d.to_string()))
                    });
            if dirs_ok && std::fs::symlink_metadata(root.join(path)).is_ok_and(|m| m.is_file()) {
                tracked.push(path.to_string());
            }
        }
        tracked
    };
    files.extend(tracked.into_iter().map(|path| InvFile {
        excluded: None,
        path: path.into(),
        locator: Locator::Checkout,
    }));
}

/// What an entry that is neither a directory nor a regular file is.
fn not_a_file(ft: &std::fs::FileType) -> Option<&'static str> {
    if ft.is_dir() || ft.is_file() {
        return None;
    }
    if ft.is_symlink() {
        return Some(SYMLINK);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO, not read");
        }
        if ft.is_socket() {
            return Some("a socket, not read");
        }
        if ft.is_block_device() || ft.is_char_device() {
            return Some("a device, not read");
        }
    }
    Some("not a regular file, not read")
}

const SYMLINK: &str = "a symbolic link, not followed";

/// The inventory of a commit's tree, read straight from the object database (no
/// checkout): `--rev REV`, and the only way to scan a bare repository's files. The same
/// path policy applies; symlinks and submodules are not files and are skipped.
pub fn walk_tree(root: &Path, rev: &str, policy: &PathPolicy) -> Result<Inventory, String> {
    walk_tree_cached(root, rev, policy, None, None).map(|(inv, _)| inv)
}

/// What one directory of a tree holds, below it (paths from the tree's root): the unit
/// [`TreeCache`] keeps, since consecutive commits share most directories' trees.
#[derive(Debug, Default)]
pub struct TreeListing {
    files: Vec<InvFile>,
    pruned: Vec<(String, String)>,
    not_files: Vec<(String, &'static str)>,
    errors: Vec<String>,
    /// The listings of its subdirectories (shared, not copied: a cached directory
    /// costs its own entries only), each after the number of `files` that come
    /// before it in the tree's order.
    subdirs: Vec<(usize, std::sync::Arc<TreeListing>)>,
    /// Files here and below.
    total_files: usize,
    /// Which of `files` (indexes) an extractor or a file query claims, decided once for
    /// every point that shares this directory (a [`TreeCache`] serves one rule set).
    claimed: std::sync::OnceLock<Vec<(usize, Arc<Claims>)>>,
}

/// What claims a path: decided by the scan from its extractors and file queries.
pub(crate) type ClaimsOf<'a> = &'a dyn Fn(&str) -> Arc<Claims>;

/// The claimed files of an inventory: index in its `files`, and what claims it.
pub(crate) type Claimed = Vec<(usize, Arc<Claims>)>;

/// A flattened tree: its inventory, and the files claimed when it was asked for.
struct Flat<'a> {
    inv: Inventory,
    errors: Vec<String>,
    claims: Option<ClaimsOf<'a>>,
    claimed: Claimed,
}

impl TreeListing {
    /// Appends the files in the tree's order, which is the paths' byte order (git sorts
    /// a directory as if its name ended in `/`), so the inventory needs no sort.
    fn flatten_into(&self, out: &mut Flat) {
        let mine: &[(usize, Arc<Claims>)] = match out.claims {
            Some(claims) => self.claimed.get_or_init(|| {
                self.files
                    .iter()
                    .enumerate()
                    .filter_map(|(i, f)| {
                        let c = claims(&f.path);
                        (!c.0.is_empty() || !c.1.is_empty()).then_some((i, c))
                    })
                    .collect()
            }),
            None => &[],
        };
        let mut mine = mine.iter().peekable();
        let mut from = 0;
        let ends = self.subdirs.iter().map(|(before, d)| (*before, Some(d)));
        for (to, sub) in ends.chain(std::iter::once((self.files.len(), None))) {
            let base = out.inv.files.len();
            while let Some((i, c)) = mine.next_if(|(i, _)| *i < to) {
                out.claimed.push((base + i - from, c.clone()));
            }
            out.inv.files.extend(self.files[from..to].iter().cloned());
            from = to;
            if let Some(d) = sub {
                d.flatten_into(out);
            }
        }
        out.inv.pruned.extend(self.pruned.iter().cloned());
        out.inv.not_files.extend(self.not_files.iter().cloned());
        out.errors.extend(self.errors.iter().cloned());
    }
}

/// Directory listings by (path, tree id), shared by scans of several commits of one
/// repository with the same path policy: an unchanged directory is not read again.
pub type TreeCache = crate::cache::Generational<(String, git2::Oid), std::sync::Arc<TreeListing>>;

/// [`walk_tree`], reusing the directories `cache` holds, and with the files `claims`
/// claims (decided once per cached directory).
pub(crate) fn walk_tree_cached(
    root: &Path,
    rev: &str,
    policy: &PathPolicy,
    cache: Option<&TreeCache>,
    claims: Option<ClaimsOf>,
) -> Result<(Inventory, Claimed), String> {
    let not_open = |e: git2::Error| {
        format!(
            "--rev needs a git repository at {}: {}",
            root.display(),
            e.message()
        )
    };
    let listing = with_repo(root, not_open, |repo| {
        let commit = crate::history::resolve_commit(repo, rev).map_err(|e| {
            format!(
                "--rev {rev}: no such commit in the repository ({}); pass a commit id, branch or tag",
                e.message()
            )
        })?;
        let tree = commit
            .tree()
            .map_err(|e| format!("--rev {rev}: its tree cannot be read: {}", e.message()))?;
        let mut listing = TreeListing::default();
        list_tree(repo, &tree, "", None, policy, cache, &mut listing);
        Ok(listing)
    })?;
    let mut flat = Flat {
        inv: Inventory {
            files: Vec::with_capacity(listing.total_files),
            ..Default::default()
        },
        errors: Vec::new(),
        claims,
        claimed: Vec::new(),
    };
    listing.flatten_into(&mut flat);
    let Flat {
        mut inv,
        errors,
        mut claimed,
        ..
    } = flat;
    inv.diagnostics = errors
        .into_iter()
        .map(|e| {
            Diagnostic::error(
                ".",
                None,
                format!("the tree of {rev} could not be read completely: {e}"),
            )
        })
        .collect();
    // Git orders a tree's entries as if directories ended in `/`, which lists the full
    // paths in byte order already; names made lossy (invalid UTF-8) may not be.
    if !inv.files.is_sorted_by(|a, b| a.path <= b.path) {
        // Each file sorted with what claims it, then the claims indexed anew.
        let mut by_index: Vec<Option<Arc<Claims>>> = vec![None; inv.files.len()];
        for (i, c) in claimed.drain(..) {
            by_index[i] = Some(c);
        }
        let mut pairs: Vec<(InvFile, Option<Arc<Claims>>)> =
            inv.files.drain(..).zip(by_index).collect();
        pairs.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        for (i, (f, c)) in pairs.into_iter().enumerate() {
            if let Some(c) = c {
                claimed.push((i, c));
            }
            inv.files.push(f);
        }
    }
    inv.pruned.sort();
    inv.not_files.sort();
    inv.diagnostics.sort();
    inv.diagnostics.dedup();
    Ok((inv, claimed))
}

/// Appends what `tree` (at `dir`, `""` or ending in `/`) holds to `out`. A subtree that
/// cannot be read is an error for it alone; its siblings are still listed.
///
/// `excluded` is the reason files under `dir` must not count, decided by its path's
/// directories (the same for every file of a directory).
fn list_tree(
    repo: &git2::Repository,
    tree: &git2::Tree,
    dir: &str,
    excluded: Option<&Arc<str>>,
    policy: &PathPolicy,
    cache: Option<&TreeCache>,
    out: &mut TreeListing,
) {
    for entry in tree.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes());
        let path = format!("{dir}{name}");
        match entry.kind() {
            Some(git2::ObjectType::Tree) => {
                if let Some((_, reason)) = policy.prune.iter().find(|(d, _)| *d == name) {
                    out.pruned.push((path, reason.clone()));
                    continue;
                }
                let sub_dir = format!("{path}/");
                let id = entry.id();
                let key = (sub_dir, id);
                let cached = cache.and_then(|c| c.get(&key));
                let sub = match cached {
                    Some(l) => l,
                    None => {
                        let mut l = TreeListing::default();
                        // The first directory from the root that excludes wins.
                        let below = match excluded {
                            Some(r) => Some(r.clone()),
                            None => policy.directory_exclusion(&name).map(Arc::from),
                        };
                        match repo.find_tree(id) {
                            Ok(t) => {
                                list_tree(repo, &t, &key.0, below.as_ref(), policy, cache, &mut l)
                            }
                            Err(e) => l.errors.push(format!("{path}: {}", e.message())),
                        }
                        let l = std::sync::Arc::new(l);
                        if let Some(c) = cache {
                            c.put(key, l.clone());
                        }
                        l
                    }
                };
                out.subdirs.push((out.files.len(), sub));
            }
            // Regular and executable files; symlinks (0o120000) are not followed.
            Some(git2::ObjectType::Blob) if entry.filemode() & 0o170000 == 0o100000 => {
                out.files.push(InvFile {
                    excluded: match excluded {
                        Some(r) => Some(r.clone()),
                        None => policy.glob_exclusion(&path).map(Arc::from),
                    },
                    path: path.into(),
                    locator: Locator::Blob(entry.id()),
                });
            }
            Some(git2::ObjectType::Blob) if entry.filemode() & 0o170000 == 0o120000 => {
                out.not_files.push((path, SYMLINK));
            }
            _ => {}
        }
    }
    out.total_files = out.files.len()
        + out
            .subdirs
            .iter()
            .map(|(_, d)| d.total_files)
            .sum::<usize>();
}

/// Runs `f` on this thread's handle of the repository at `root`, opened once per thread
/// (a libgit2 handle cannot be shared between threads): the scans of a timeline's points
/// then share its pack indexes and delta cache instead of opening the packs again.
fn with_repo<T, E>(
    root: &Path,
    not_open: impl FnOnce(git2::Error) -> E,
    f: impl FnOnce(&git2::Repository) -> Result<T, E>,
) -> Result<T, E> {
    use std::cell::RefCell;
    thread_local! {
        static REPO: RefCell<Option<(PathBuf, git2::Repository)>> = const { RefCell::new(None) };
    }
    REPO.with(|cell| {
        let mut slot = cell.borrow_mut();
        let repo = match slot.take() {
            Some((path, repo)) if path == root => repo,
            _ => crate::history::open(root).map_err(not_open)?,
        };
        let out = f(&repo);
        *slot = Some((root.to_path_buf(), repo));
        out
    })
}

/// Reads a blob of the repository at `root`.
pub fn read_blob(root: &Path, oid: git2::Oid, max: u64) -> Result<Vec<u8>, String> {
    with_repo(
        root,
        |e| e.message().to_string(),
        |repo| {
            // The size from the object's header first: a huge blob is never inflated.
            let (size, _) = repo
                .odb()
                .and_then(|odb| odb.read_header(oid))
                .map_err(|e| format!("the blob cannot be read: {}", e.message()))?;
            if size as u64 > max {
                return Err(format!(
                    "{size} bytes, over the {max} byte limit for files cnmm reads"
                ));
            }
            let blob = repo
                .find_blob(oid)
                .map_err(|e| format!("the blob cannot be read: {}", e.message()))?;
            Ok(blob.content().to_vec())
        },
    )
}

fn describe_walk_error(root: &Path, err: &ignore::Error) -> (String, String) {
    fn find_path(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                find_path(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    let path = find_path(err)
        .map(|p| relative(root, p))
        .unwrap_or_else(|| ".".to_string());
    let msg = match err {
        ignore::Error::Loop { .. } => "symlink loop; not followed".to_string(),
        _ => format!(
            "could not be read while walking the tree: {}",
            strip_paths(root, &err.to_string())
        ),
    };
    (path, msg)
}

/// Removes the scanned root's path from a message (libgit2's and the OS's errors quote
/// paths; reports must not carry machine paths), as given and as resolved, only where
/// whole path components match: `/tmp/app/x` becomes `x` and a bare `/tmp/app` becomes
/// `.`, but `/tmp/application` stays, and a relative root `app` is only taken out of
/// `app/x`, never out of a word.
pub(crate) fn strip_paths(root: &Path, msg: &str) -> String {
    let mut out = msg.to_string();
    let resolved = root.canonicalize().ok();
    for r in std::iter::once(root).chain(resolved.as_deref()) {
        let absolute = r.is_absolute();
        let r = r.to_string_lossy();
        let r = r.trim_end_matches('/');
        if r.is_empty() || r == "." {
            continue;
        }
        out = replace_path(&out, r, absolute);
    }
    out
}

/// `msg` with `root/x` made `x` and, when `bare` is allowed, a lone `root` made `.`.
fn replace_path(msg: &str, root: &str, bare: bool) -> String {
    let path_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '/');
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(root) {
        // The character before the match: in `rest`, or the last one already written.
        let before = rest[..i].chars().last().or_else(|| out.chars().last());
        let after = &rest[i + root.len()..];
        let starts_component = !before.is_some_and(path_char);
        out.push_str(&rest[..i]);
        match after.chars().next() {
            Some('/') if starts_component => rest = &after[1..],
            next if starts_component && bare && !next.is_some_and(path_char) => {
                out.push('.');
                rest = after;
            }
            _ => {
                out.push_str(root);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `root/a/b` → `a/b`, always with `/`.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    #[cfg(unix)]
    if let Some(s) = rel.to_str() {
        // Already `/`-separated; the walker gives clean paths.
        if !s.is_empty() {
            return s.to_string();
        }
    }
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_paths_leave_messages_whole_components_only() {
        let abs = Path::new("/tmp/app");
        assert_eq!(
            strip_paths(abs, "could not open '/tmp/app/.git': x"),
            "could not open '.git': x"
        );
        assert_eq!(
            strip_paths(abs, "no repository at '/tmp/app'"),
            "no repository at '.'"
        );
        assert_eq!(
            strip_paths(abs, "see /tmp/application/x"),
            "see /tmp/application/x"
        );
        let rel = Path::new("deep");
        assert_eq!(
            strip_paths(rel, "nested deeper than 200 blocks"),
            "nested deeper than 200 blocks"
        );
        assert_eq!(
            strip_paths(rel, "deep/secret: Permission denied"),
            "secret: Permission denied"
        );
        assert_eq!(strip_paths(rel, "the deep end"), "the deep end");
    }
}
