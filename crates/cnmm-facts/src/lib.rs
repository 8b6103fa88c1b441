//! Facts from a repository: the inventory walk, one extractor per format, the git
//! history, all turned into located [`Fact`]s. Extractors know formats, not maturity.

pub mod cache;
pub mod extractors;
pub mod history;
pub mod imported;
pub mod inventory;
pub mod shell;
pub mod tools;
pub use cnmm_model::yaml;

use cnmm_model::lazy_regex::LazyRegex;
use cnmm_model::{
    attr, AttrType, Catalog, Diagnostic, Fact, FactKindSpec, FactSource, HistorySummary, Location,
    Target,
};
use extractors::{Ctx, Extractor, FileInput, Output, Reader};
use inventory::{InvFile, Inventory, Locator, PathPolicy};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use history::HistoryOptions;

/// `file.match`: a file matching a glob (and content regex) that a rule asked for.
pub static FILE_MATCH_KINDS: &[FactKindSpec] = &[FactKindSpec {
    name: "file.match",
    source: FactSource::Files,
    description: "A file matching a rule's `file:` query (glob and optional content regex).",
    attrs: &[attr(
        "pattern",
        AttrType::Str,
        "The key of the rule's file query.",
    )],
}];

/// A `file:` query of the rules: files whose path matches one of the globs and, if
/// given, whose content matches the regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePattern {
    pub key: String,
    pub globs: Vec<String>,
    pub content: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub root: PathBuf,
    pub threads: usize,
    pub history: HistoryOptions,
    pub user_excludes: Vec<String>,
    pub file_patterns: Vec<FilePattern>,
    pub max_file_size: u64,
    /// Forge API answers imported with `--evidence` (see [`imported`]).
    pub evidence_files: Vec<PathBuf>,
    /// Shared with scans of other commits of the same repository (see [`cache`]).
    pub cache: Option<std::sync::Arc<cache::ScanCache>>,
}

impl ScanOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ScanOptions {
            root: root.into(),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            history: HistoryOptions::default(),
            user_excludes: Vec::new(),
            file_patterns: Vec::new(),
            max_file_size: inventory::DEFAULT_MAX_FILE_SIZE,
            evidence_files: Vec::new(),
            cache: None,
        }
    }
}

/// Counts that describe the scan itself.
#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    pub files: usize,
    pub candidates: usize,
    pub bytes_read: u64,
    pub pruned_dirs: usize,
}

pub struct ScanResult {
    /// Sorted by location, kind and detail.
    pub facts: Vec<Fact>,
    /// Sorted.
    pub diagnostics: Vec<Diagnostic>,
    pub history: HistorySummary,
    /// Sources that could not be observed, with the reason.
    pub unavailable: BTreeMap<FactSource, String>,
    pub target: Target,
    pub stats: ScanStats,
}

struct FsReader<'a> {
    max: u64,
    root: &'a Path,
    /// Blobs already read at another point of a timeline.
    cache: Option<&'a cache::ScanCache>,
}

impl Reader for FsReader<'_> {
    fn read_text(&self, file: &InvFile) -> Result<String, String> {
        let read = || {
            read_file(self.root, file, self.max).map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        match (&file.locator, self.cache) {
            (Locator::Blob(id), Some(c)) => c
                .texts
                .get_or(*id, || read().map(std::sync::Arc::new))
                .map(|t| t.as_str().to_string()),
            _ => read(),
        }
    }
}

/// Reads a regular file (or, for `--rev`, a blob of the repository at `root`), refusing
/// anything else and anything over `max` bytes.
fn read_file(root: &Path, file: &InvFile, max: u64) -> Result<Vec<u8>, String> {
    let joined;
    let p = match &file.locator {
        Locator::Checkout => {
            joined = root.join(&*file.path);
            &joined
        }
        Locator::Path(p) => p,
        Locator::Blob(id) => return inventory::read_blob(root, *id, max),
    };
    let mut f = open_no_follow(p).map_err(|e| e.to_string())?;
    // Checked on the opened file, not the path: a file swapped for a FIFO or a symlink
    // after the walk is refused, never waited on.
    let meta = f.metadata().map_err(|e| e.to_string())?;
    if !meta.file_type().is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max {
        return Err(format!(
            "{} bytes, over the {} byte limit for files cnmm reads",
            meta.len(),
            max
        ));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.by_ref()
        .take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > max {
        return Err(format!("grew over the {max} byte limit while being read"));
    }
    Ok(buf)
}

/// Opens a file for reading without following a symlink and without blocking on a FIFO
/// (`O_NOFOLLOW | O_NONBLOCK`; elsewhere, after checking the path is a regular file).
fn open_no_follow(p: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(p)
    }
    #[cfg(not(unix))]
    {
        if !std::fs::symlink_metadata(p)?.file_type().is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        std::fs::File::open(p)
    }
}

/// The forge owner a module or package declares: `module github.com/OWNER/...` in
/// `go.mod`, or a GitHub/GitLab `repository` URL in `package.json`.
fn declared_owner(inv: &Inventory, reader: &FsReader) -> Option<String> {
    let read = |p: &str| inv.get(p).and_then(|f| reader.read_text(f).ok());
    if let Some(text) = read("go.mod") {
        let module = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("module "))
            .map(|m| m.trim().trim_matches('"').to_string());
        if let Some(owner) = module.as_deref().and_then(history::forge_owner) {
            return Some(owner);
        }
    }
    let text = read("package.json")?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let repo = v.get("repository")?;
    let url = repo.as_str().or_else(|| repo.get("url")?.as_str())?;
    history::forge_owner(url)
}

/// Runs every extractor that claims `path` on `bytes` as a repository of one file, then
/// the pipeline model: the facts and diagnostics. For fuzzing and unit tests of a
/// single file; scans go through [`scan`].
pub fn extract_file(
    path: &str,
    bytes: &[u8],
    matcher: &tools::ToolMatcher,
) -> (Vec<Fact>, Vec<Diagnostic>) {
    extract_files(&[(path, bytes)], matcher)
}

/// [`extract_file`] for a repository of several files held in memory (`path`, bytes),
/// so that what a CI step follows (a Makefile, a Taskfile, `package.json`, a script)
/// is read too.
pub fn extract_files(
    files: &[(&str, &[u8])],
    matcher: &tools::ToolMatcher,
) -> (Vec<Fact>, Vec<Diagnostic>) {
    let catalog = matcher.catalog();
    struct InMemory(BTreeMap<String, String>);
    impl extractors::Reader for InMemory {
        fn read_text(&self, file: &InvFile) -> Result<String, String> {
            self.0
                .get(&*file.path)
                .cloned()
                .ok_or_else(|| "not in the repository".to_string())
        }
    }
    let texts: BTreeMap<String, String> = files
        .iter()
        .map(|(p, b)| (p.to_string(), String::from_utf8_lossy(b).into_owned()))
        .collect();
    let inv = Inventory {
        files: texts
            .keys()
            .map(|p| InvFile {
                path: p.as_str().into(),
                excluded: None,
                locator: inventory::Locator::Checkout,
            })
            .collect(),
        ..Default::default()
    };
    let reader = InMemory(texts);
    let followed = Default::default();
    let ctx = Ctx {
        catalog,
        tools: matcher,
        inventory: &inv,
        reader: &reader,
        default_branch: None,
        repo_owner: None,
        followed: &followed,
        consulted: None,
    };
    let mut out = Output::default();
    for (file, text) in inv.files.iter().zip(reader.0.values()) {
        let input = extractors::FileInput::new(file, text);
        for e in extractors::registry() {
            if e.claims(&file.path) {
                e.extract(&input, &ctx, &mut out);
            }
        }
    }
    let mut facts = out.facts;
    facts.extend(extractors::ci::emit(
        &mut out.pipelines,
        &ctx,
        &mut out.diagnostics,
    ));
    (facts, out.diagnostics)
}

fn target_name(root: &Path) -> String {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    canonical
        .file_name()
        .map(|n| cnmm_model::text::sanitize(&n.to_string_lossy()))
        .unwrap_or_else(|| ".".to_string())
}

/// Runs the whole fact stage: walk, read candidates, extract (in parallel), link
/// pipelines, and read the history on its own thread meanwhile.
pub fn scan(opts: &ScanOptions, catalog: &Catalog) -> Result<ScanResult, String> {
    let root = &opts.root;
    if !root.is_dir() {
        return Err(format!("{} is not a directory", root.display()));
    }
    // Compiled once for all the points of a timeline (a cache serves one rule set and
    // one configuration).
    let owned;
    let (policy, patterns) = match &opts.cache {
        Some(c) => match c.selection.get() {
            Some(sel) => (&sel.0, sel.1.as_slice()),
            None => {
                let made = (
                    PathPolicy::new(catalog, &opts.user_excludes)?,
                    compile_patterns(&opts.file_patterns)?,
                );
                let sel = c.selection.get_or_init(|| made);
                (&sel.0, sel.1.as_slice())
            }
        },
        None => {
            owned = (
                PathPolicy::new(catalog, &opts.user_excludes)?,
                compile_patterns(&opts.file_patterns)?,
            );
            (&owned.0, owned.1.as_slice())
        }
    };
    let registry = extractors::registry();
    // `--rev`: the commit's tree from the object database replaces the checkout walk.
    // With a cache, what claims each file is decided once per cached directory.
    // A directory changed between points is listed again; its paths mostly are not new.
    let claims = |path: &str| match &opts.cache {
        Some(c) => c
            .claims
            .get_or(path, || claims_of(&registry, patterns, path).into()),
        None => std::sync::Arc::new(claims_of(&registry, patterns, path)),
    };
    let tree = match &opts.history.rev {
        Some(rev) => Some(inventory::walk_tree_cached(
            root,
            rev,
            policy,
            opts.cache.as_deref().map(|c| &c.trees),
            opts.cache
                .is_some()
                .then_some(&claims as inventory::ClaimsOf),
        )?),
        None => None,
    };
    // Imported evidence is read first: a bad file stops the scan before any work.
    let mut imported = Vec::new();
    for path in &opts.evidence_files {
        imported.extend(imported::read_evidence(path)?);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;

    let (mut history_out, files_out) = std::thread::scope(|scope| {
        let hist = scope.spawn(|| {
            let mut hopts = opts.history.clone();
            if let Some(c) = &opts.cache {
                hopts.cache = Some(c.history.clone());
            }
            history::read(root, &hopts)
        });
        let files = pool.install(|| scan_files(opts, catalog, &registry, policy, patterns, tree));
        let hist = hist.join().unwrap_or_else(|_| history::HistoryOutcome {
            summary: HistorySummary {
                unavailable_reason: Some("the history reader failed unexpectedly".into()),
                ..Default::default()
            },
            ..Default::default()
        });
        (hist, files)
    });
    let (mut facts, mut diagnostics, stats) = files_out;
    facts.extend(history_out.facts);
    facts.extend(imported);
    diagnostics.extend(history_out.diagnostics);
    for d in &mut diagnostics {
        d.message = inventory::strip_paths(root, &d.message);
    }
    if let Some(r) = &mut history_out.summary.unavailable_reason {
        *r = inventory::strip_paths(root, r);
    }
    facts.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.sort();
    diagnostics.dedup();
    let mut unavailable = BTreeMap::new();
    if !history_out.summary.available {
        unavailable.insert(
            FactSource::History,
            history_out
                .summary
                .unavailable_reason
                .clone()
                .unwrap_or_else(|| "history not read".into()),
        );
    }
    Ok(ScanResult {
        facts,
        diagnostics,
        target: Target {
            path: target_name(root),
            head: history_out.head,
            git_ref: history_out.head_ref,
            shallow: history_out.summary.shallow,
            is_git: history_out.is_git,
        },
        history: history_out.summary,
        unavailable,
        stats,
    })
}

pub(crate) struct CompiledPattern {
    key: String,
    globs: globset::GlobSet,
    content: Option<LazyRegex>,
}

fn compile_patterns(patterns: &[FilePattern]) -> Result<Vec<CompiledPattern>, String> {
    patterns
        .iter()
        .map(|p| {
            let mut b = globset::GlobSetBuilder::new();
            for g in &p.globs {
                b.add(
                    globset::GlobBuilder::new(g)
                        .literal_separator(true)
                        .build()
                        .map_err(|e| format!("bad glob `{g}`: {e}"))?,
                );
            }
            Ok(CompiledPattern {
                key: p.key.clone(),
                globs: b.build().map_err(|e| e.to_string())?,
                content: p.content.as_deref().map(LazyRegex::new).transpose()?,
            })
        })
        .collect()
}

fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|&b| b == 0)
}

/// A file the scan reads, with the extractors that claim it and the rules' file queries
/// that name it.
type Candidate<'a> = (
    &'a InvFile,
    Vec<&'a dyn Extractor>,
    Vec<&'a CompiledPattern>,
);

/// The extractors (indexes into the registry) and the rules' file queries (indexes)
/// that claim `path`.
fn claims_of(
    registry: &[Box<dyn Extractor>],
    patterns: &[CompiledPattern],
    path: &str,
) -> cache::Claims {
    let ex = (0..registry.len())
        .filter(|&i| registry[i].claims(path))
        .collect();
    let pats = (0..patterns.len())
        .filter(|&i| patterns[i].globs.is_match(path))
        .collect();
    (ex, pats)
}

/// Only candidate files are read: those an extractor claims or a rule's file query names.
/// What claims a path depends on the path alone, so a timeline decides it once per
/// cached directory for all its points (`claimed`, from the tree walk).
fn select_candidates<'a>(
    inv: &'a Inventory,
    registry: &'a [Box<dyn Extractor>],
    patterns: &'a [CompiledPattern],
    claimed: Option<&inventory::Claimed>,
) -> Vec<Candidate<'a>> {
    let pick = |f: &'a InvFile, (ex, pats): &cache::Claims| {
        (!ex.is_empty() || !pats.is_empty()).then(|| {
            (
                f,
                ex.iter().map(|&i| registry[i].as_ref()).collect(),
                pats.iter().map(|&i| &patterns[i]).collect(),
            )
        })
    };
    match claimed {
        Some(claimed) => claimed
            .iter()
            .filter_map(|(i, c)| pick(inv.files.get(*i)?, c))
            .collect(),
        None => inv
            .files
            .iter()
            .filter_map(|f| pick(f, &claims_of(registry, patterns, &f.path)))
            .collect(),
    }
}

/// The paths (relative, sorted) of the files a scan with these options would read: the
/// same walk and selection as [`scan`], without reading anything. For benchmarks (the
/// floor reads exactly these files) and debugging.
pub fn candidate_paths(opts: &ScanOptions, catalog: &Catalog) -> Result<Vec<String>, String> {
    let policy = PathPolicy::new(catalog, &opts.user_excludes)?;
    let patterns = compile_patterns(&opts.file_patterns)?;
    let inv = match &opts.history.rev {
        Some(rev) => inventory::walk_tree(&opts.root, rev, &policy)?,
        None => inventory::walk(&opts.root, &policy, opts.threads),
    };
    let registry = extractors::registry();
    Ok(select_candidates(&inv, &registry, &patterns, None)
        .into_iter()
        .map(|(f, _, _)| f.path.to_string())
        .collect())
}

fn scan_files(
    opts: &ScanOptions,
    catalog: &Catalog,
    registry: &[Box<dyn Extractor>],
    policy: &PathPolicy,
    patterns: &[CompiledPattern],
    tree: Option<(Inventory, inventory::Claimed)>,
) -> (Vec<Fact>, Vec<Diagnostic>, ScanStats) {
    let (inv, claimed) = match tree {
        Some((inv, claimed)) => (inv, opts.cache.is_some().then_some(claimed)),
        None => (inventory::walk(&opts.root, policy, opts.threads), None),
    };
    let matcher = match &opts.cache {
        Some(c) => tools::ToolMatcher::with_index(
            catalog,
            c.tools
                .get_or_init(|| std::sync::Arc::new(tools::ToolIndex::new(catalog)))
                .clone(),
        ),
        None => tools::ToolMatcher::new(catalog),
    };
    let reader = FsReader {
        max: opts.max_file_size,
        root: &opts.root,
        cache: opts.cache.as_deref(),
    };
    let followed = Default::default();
    // What the clone's configuration says: the same at every point of a timeline.
    let repository = match &opts.cache {
        Some(c) => c
            .repository
            .get_or_init(|| cache::Repository::read(&opts.root))
            .clone(),
        None => cache::Repository::read(&opts.root),
    };
    let ctx = Ctx {
        catalog,
        tools: &matcher,
        inventory: &inv,
        reader: &reader,
        default_branch: repository.default_branch,
        repo_owner: repository
            .origin_owner
            .or_else(|| declared_owner(&inv, &reader)),
        followed: &followed,
        consulted: None,
    };
    let candidates = select_candidates(&inv, registry, patterns, claimed.as_ref());
    let context = cache::context_key(ctx.default_branch.as_deref(), ctx.repo_owner.as_deref());

    let outputs: Vec<(std::sync::Arc<Output>, u64)> = candidates
        .par_iter()
        .map(|(file, extractors, pats)| {
            let Some(cache) = &opts.cache else {
                let (out, n) = extract_candidate(file, extractors, pats, &ctx, opts);
                return (std::sync::Arc::new(out), n);
            };
            if let Some(hit) = cache.lookup(file, context, &inv) {
                return hit;
            }
            let consulted = cache::Consulted::default();
            let (out, n) =
                extract_candidate(file, extractors, pats, &ctx.recording(&consulted), opts);
            let out = std::sync::Arc::new(out);
            cache.store(file, context, consulted, out.clone(), n);
            (out, n)
        })
        .collect();

    let mut facts = Vec::new();
    let mut diagnostics = inv.diagnostics.clone();
    // A symlink or FIFO named like a file cnmm reads is evidence the user may expect to
    // count (a workflow linked from elsewhere): say why it does not.
    for (path, what) in &inv.not_files {
        if registry.iter().any(|e| e.claims(path))
            || patterns.iter().any(|p| p.globs.is_match(path))
        {
            diagnostics.push(Diagnostic::info(path, None, format!("skipped: {what}")));
        }
    }
    let mut bytes_read = 0;
    // The pipeline model reads every pipeline together: at a timeline's point whose
    // pipeline files and the files the model consulted are unchanged, it is not run again.
    let sources: Vec<std::sync::Arc<Output>> = match &opts.cache {
        Some(_) => outputs
            .iter()
            .filter(|(o, _)| !o.pipelines.is_empty())
            .map(|(o, _)| o.clone())
            .collect(),
        None => Vec::new(),
    };
    let reused = opts
        .cache
        .as_deref()
        .and_then(|c| c.emitted(&sources, context, &inv));
    let mut pipelines = Vec::new();
    for (o, n) in outputs {
        bytes_read += n;
        // Unshared unless a cache holds it too.
        match std::sync::Arc::try_unwrap(o) {
            Ok(o) => {
                facts.extend(o.facts);
                diagnostics.extend(o.diagnostics);
                pipelines.extend(o.pipelines);
            }
            Err(shared) => {
                facts.extend(shared.facts.iter().cloned());
                diagnostics.extend(shared.diagnostics.iter().cloned());
                if reused.is_none() {
                    pipelines.extend(shared.pipelines.iter().cloned());
                }
            }
        }
    }
    match (reused, opts.cache.as_deref()) {
        (Some((f, d)), _) => {
            facts.extend(f);
            diagnostics.extend(d);
        }
        (None, cache) => {
            pipelines.sort_by(|a, b| a.path.cmp(&b.path));
            let consulted = cache::Consulted::default();
            let mut emitted_diagnostics = Vec::new();
            let emitted = match cache {
                Some(_) => extractors::ci::emit(
                    &mut pipelines,
                    &ctx.recording(&consulted),
                    &mut emitted_diagnostics,
                ),
                None => extractors::ci::emit(&mut pipelines, &ctx, &mut emitted_diagnostics),
            };
            if let Some(c) = cache {
                c.store_emitted(sources, context, consulted, &emitted, &emitted_diagnostics);
            }
            facts.extend(emitted);
            diagnostics.extend(emitted_diagnostics);
        }
    }
    let stats = ScanStats {
        files: inv.files.len(),
        candidates: candidates.len(),
        bytes_read,
        pruned_dirs: inv.pruned.len(),
    };
    (facts, diagnostics, stats)
}

/// Reads one candidate file and runs its extractors and the rules' file queries on it.
fn extract_candidate(
    file: &InvFile,
    extractors: &[&dyn Extractor],
    pats: &[&CompiledPattern],
    ctx: &Ctx,
    opts: &ScanOptions,
) -> (Output, u64) {
    let mut out = Output::default();
    if matches!(file.locator, Locator::Path(_)) {
        out.diagnostics.push(Diagnostic::info(
            &file.path,
            None,
            "the file name is not valid UTF-8; it is shown with replacement characters",
        ));
    }
    // A file only named as evidence (a lockfile) is not read.
    let needs_content = extractors.iter().any(|e| e.reads_content(&file.path))
        || pats.iter().any(|p| p.content.is_some());
    let read = if needs_content {
        read_file(&opts.root, file, opts.max_file_size)
    } else {
        Ok(Vec::new())
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            out.diagnostics.push(Diagnostic::warning(
                &file.path,
                None,
                format!("skipped: {e}"),
            ));
            return (out, 0);
        }
    };
    let n = bytes.len() as u64;
    if looks_binary(&bytes) {
        out.diagnostics.push(Diagnostic::warning(
            &file.path,
            None,
            "skipped: binary content in a file named like a text format",
        ));
        return (out, n);
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(e) => {
            out.diagnostics.push(Diagnostic::warning(
                &file.path,
                None,
                format!(
                    "invalid UTF-8 at byte {}; read with replacement characters",
                    e.valid_up_to()
                ),
            ));
            String::from_utf8_lossy(&bytes)
        }
    };
    let input = FileInput::new(file, &text);
    for e in extractors {
        e.extract(&input, ctx, &mut out);
    }
    for p in pats {
        let line = match &p.content {
            None => Some(1),
            Some(re) => re
                .regex()
                .and_then(|re| re.find(&text))
                .map(|m| line_of(&text, m.start())),
        };
        if let Some(line) = line {
            let mut f = Fact::new(
                "file.match",
                Location::at(&*file.path, line),
                match &p.content {
                    None => format!("file {}", file.path),
                    Some(_) => format!(
                        "`{}`",
                        cnmm_model::text::truncate(
                            text.lines().nth(line as usize - 1).unwrap_or("").trim(),
                            100
                        )
                    ),
                },
            )
            .attr("pattern", p.key.as_str());
            if let Some(r) = &file.excluded {
                f = f.excluded(r.to_string());
            }
            out.facts.push(f);
        }
    }
    (out, n)
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> u32 {
    let n = text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that became a FIFO or a symlink after the walk (the walk saw a regular
    /// file) is refused at once, not waited on or followed.
    #[cfg(unix)]
    #[test]
    fn files_swapped_after_the_walk_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("ci.yml");
        let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).expect("cstring");
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link.yml")).expect("ln");
        for name in ["ci.yml", "link.yml"] {
            let file = InvFile {
                path: name.into(),
                excluded: None,
                locator: Locator::Checkout,
            };
            let started = std::time::Instant::now();
            assert!(read_file(dir.path(), &file, 1 << 20).is_err(), "{name}");
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
        }
    }
}
