//! What scans of several commits of one repository share (`cnmm timeline`): the
//! extraction of each file version, and each commit of the history.
//!
//! Consecutive releases share almost every file, so a file is extracted once per
//! version: the cache is keyed by the file's path and blob id (and by what the whole
//! scan's context says of the repository: its default branch and owner). An extractor
//! may consult other files of the tree (a GitLab `include: local:`, the helpers of a
//! Helm chart, the `examples/` of a Terraform module); each such lookup is recorded
//! while the file is extracted ([`Consulted`]), and a cached extraction is reused at
//! another commit only when every lookup finds the same files there. A file whose
//! version or whose consulted neighbours changed is extracted again, so a cached scan
//! says exactly what an uncached `scan --rev` of the same commit says.
//!
//! Scans of a work tree (no blob ids) never use the cache.

use crate::extractors::Output;
use crate::history::HistoryCache;
use crate::inventory::{InvFile, Inventory, Locator};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A lookup of other files made while one file was extracted, with a fingerprint of
/// what it found (paths, blob ids, exclusion).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    File { path: String, found: Option<u64> },
    Prefix { prefix: String, found: u64 },
}

/// The lookups of other files made while one file is extracted.
#[derive(Debug, Default)]
pub struct Consulted(Mutex<Vec<Lookup>>);

impl Consulted {
    pub(crate) fn file(&self, path: &str, found: Option<&InvFile>) {
        lock(&self.0).push(Lookup::File {
            path: path.to_string(),
            found: found.map(|f| fingerprint(std::slice::from_ref(f))),
        });
    }

    pub(crate) fn prefix(&self, prefix: &str, found: &[InvFile]) {
        lock(&self.0).push(Lookup::Prefix {
            prefix: prefix.to_string(),
            found: fingerprint(found),
        });
    }

    fn into_lookups(self) -> Vec<Lookup> {
        let mut v = self.0.into_inner().unwrap_or_else(PoisonError::into_inner);
        v.dedup();
        v
    }
}

fn fingerprint(files: &[InvFile]) -> u64 {
    // SipHash with fixed keys: stable within the process, which is all a cache needs.
    let mut h = std::hash::DefaultHasher::new();
    for f in files {
        f.path.hash(&mut h);
        f.excluded.hash(&mut h);
        match &f.locator {
            Locator::Blob(id) => id.as_bytes().hash(&mut h),
            // Not content-addressed: never equal to another lookup's.
            other => format!("{other:?}").hash(&mut h),
        }
    }
    files.len().hash(&mut h);
    h.finish()
}

fn holds(lookup: &Lookup, inv: &Inventory) -> bool {
    match lookup {
        Lookup::File { path, found } => {
            inv.get(path).map(|f| fingerprint(std::slice::from_ref(f))) == *found
        }
        Lookup::Prefix { prefix, found } => fingerprint(inv.with_prefix(prefix)) == *found,
    }
}

/// The extractors (indexes into the registry) and the rules' file queries (indexes)
/// that claim a path.
pub(crate) type Claims = (Vec<usize>, Vec<usize>);

/// What the clone's own configuration says of the repository (not its tree).
#[derive(Debug, Clone, Default)]
pub(crate) struct Repository {
    pub default_branch: Option<String>,
    pub origin_owner: Option<String>,
}

impl Repository {
    pub fn read(root: &std::path::Path) -> Repository {
        Repository {
            default_branch: crate::history::default_branch(root),
            origin_owner: crate::history::origin_owner(root),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileKey {
    path: Arc<str>,
    blob: git2::Oid,
    excluded: Option<Arc<str>>,
    context: u64,
}

struct Entry {
    lookups: Vec<Lookup>,
    output: Arc<Output>,
    bytes: u64,
}

/// A map whose entries are dropped when neither the current point nor the one before
/// used them ([`Generational::end_point`]): what consecutive points share stays, the
/// rest of a long timeline does not.
#[derive(Debug)]
pub struct Generational<K, V> {
    /// A fast fixed hash: the keys are the scanned repository's paths and ids, looked up
    /// for every file of every point, and the map is never iterated into output.
    map: Mutex<HashMap<K, (V, u64), foldhash::fast::FixedState>>,
    generation: AtomicU64,
}

impl<K, V> Default for Generational<K, V> {
    fn default() -> Self {
        Generational {
            map: Mutex::default(),
            generation: AtomicU64::new(0),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Generational<K, V> {
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let now = self.generation.load(Ordering::Relaxed);
        let mut m = lock(&self.map);
        let (v, used) = m.get_mut(key)?;
        *used = now;
        Some(v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let now = self.generation.load(Ordering::Relaxed);
        lock(&self.map).insert(key, (value, now));
    }

    /// The value of `key`, made by `make` when absent (outside the lock).
    pub fn get_or(&self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.get(&key) {
            return v;
        }
        let v = make();
        self.put(key, v.clone());
        v
    }

    pub fn end_point(&self) {
        let now = self.generation.fetch_add(1, Ordering::Relaxed);
        lock(&self.map).retain(|_, (_, used)| *used + 1 >= now);
    }

    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A map that keeps what it is given (for values decided by a key alone), shared by
/// threads.
#[derive(Debug)]
pub struct Memo<K, V>(Mutex<HashMap<K, V, foldhash::fast::FixedState>>);

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo(Mutex::default())
    }
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// The value of `key`, made by `make` when absent. `make` runs outside the lock: two
    /// threads may both make a value the first time, and both get the same.
    pub fn get_or<Q>(&self, key: &Q, make: impl FnOnce() -> V) -> V
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(v) = lock(&self.0).get(key) {
            return v.clone();
        }
        let v = make();
        lock(&self.0).insert(key.to_owned(), v.clone());
        v
    }
}

/// What the pipeline model made of the pipelines of some extractions.
struct Emitted {
    /// The extractions the pipelines came from, held so that their addresses, which
    /// identify them, are not reused.
    sources: Vec<Arc<Output>>,
    context: u64,
    lookups: Vec<Lookup>,
    facts: Vec<cnmm_model::Fact>,
    diagnostics: Vec<cnmm_model::Diagnostic>,
}

fn same_extractions(a: &[Arc<Output>], b: &[Arc<Output>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
}

/// Reused between scans of commits of one repository with the same rules and
/// configuration (a cache must not outlive them: the catalog decides what is extracted).
#[derive(Default)]
pub struct ScanCache {
    files: Generational<FileKey, Arc<Entry>>,
    /// Directory listings of the trees.
    pub(crate) trees: crate::inventory::TreeCache,
    /// Which extractors and file queries claim a path (indexes), for every path seen:
    /// what claims a path never changes while the rules do not.
    pub(crate) claims: Memo<String, Arc<Claims>>,
    /// The pipeline model's facts at the point before (see [`ScanCache::emitted`]).
    emitted: Mutex<Option<Emitted>>,
    /// The tool catalog, compiled.
    pub(crate) tools: std::sync::OnceLock<Arc<crate::tools::ToolIndex>>,
    /// Texts of other files that extractors and the pipeline model read, by blob id.
    pub(crate) texts: Generational<git2::Oid, Result<Arc<String>, String>>,
    /// What the clone's configuration says of the repository.
    pub(crate) repository: std::sync::OnceLock<Repository>,
    /// The path policy and the rules' compiled file queries.
    pub(crate) selection:
        std::sync::OnceLock<(crate::inventory::PathPolicy, Vec<crate::CompiledPattern>)>,
    /// Commits and tags, for the history windows of every point.
    pub history: Arc<HistoryCache>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for ScanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanCache")
            .field("files", &self.files.len())
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish()
    }
}

/// How much the cache saved (for benchmarks and `--verbose`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub files_held: usize,
    pub commits_held: usize,
}

impl ScanCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn key(file: &InvFile, context: u64) -> Option<FileKey> {
        match &file.locator {
            Locator::Blob(id) => Some(FileKey {
                path: file.path.clone(),
                blob: *id,
                excluded: file.excluded.clone(),
                context,
            }),
            _ => None,
        }
    }

    /// The extraction of `file` cached at an earlier point whose lookups still hold in
    /// `inv`, with the bytes it read.
    pub(crate) fn lookup(
        &self,
        file: &InvFile,
        context: u64,
        inv: &Inventory,
    ) -> Option<(Arc<Output>, u64)> {
        let key = Self::key(file, context)?;
        let hit = self
            .files
            .get(&key)
            .filter(|e| e.lookups.iter().all(|l| holds(l, inv)))
            .map(|e| (e.output.clone(), e.bytes));
        let counter = if hit.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    pub(crate) fn store(
        &self,
        file: &InvFile,
        context: u64,
        consulted: Consulted,
        output: Arc<Output>,
        bytes: u64,
    ) {
        let Some(key) = Self::key(file, context) else {
            return;
        };
        let entry = Entry {
            lookups: consulted.into_lookups(),
            output,
            bytes,
        };
        self.files.put(key, Arc::new(entry));
    }

    /// Call after each point: extractions used by neither this point nor the one before
    /// are dropped, so memory follows what consecutive points share, not the whole
    /// timeline.
    /// The pipeline model's facts and diagnostics of the point before, when its
    /// pipelines came from the same extractions (`sources`, the cached outputs that hold
    /// pipelines, in order: an extraction is reused only while unchanged) in the same
    /// context, and every file the model consulted is unchanged.
    pub(crate) fn emitted(
        &self,
        sources: &[Arc<Output>],
        context: u64,
        inv: &Inventory,
    ) -> Option<(Vec<cnmm_model::Fact>, Vec<cnmm_model::Diagnostic>)> {
        let held = lock(&self.emitted);
        let e = held.as_ref()?;
        (e.context == context
            && same_extractions(&e.sources, sources)
            && e.lookups.iter().all(|l| holds(l, inv)))
        .then(|| (e.facts.clone(), e.diagnostics.clone()))
    }

    pub(crate) fn store_emitted(
        &self,
        sources: Vec<Arc<Output>>,
        context: u64,
        consulted: Consulted,
        facts: &[cnmm_model::Fact],
        diagnostics: &[cnmm_model::Diagnostic],
    ) {
        *lock(&self.emitted) = Some(Emitted {
            sources,
            context,
            lookups: consulted.into_lookups(),
            facts: facts.to_vec(),
            diagnostics: diagnostics.to_vec(),
        });
    }

    pub fn end_point(&self) {
        self.files.end_point();
        self.trees.end_point();
        self.texts.end_point();
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            files_held: self.files.len(),
            commits_held: self.history.commits_held(),
        }
    }
}

/// What a scan's context says of the repository, as part of the cache key.
pub(crate) fn context_key(default_branch: Option<&str>, repo_owner: Option<&str>) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    default_branch.hash(&mut h);
    repo_owner.hash(&mut h);
    h.finish()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, blob: &str) -> InvFile {
        // Test blob ids from short names.
        let mut hex = blob.bytes().map(|b| format!("{b:02x}")).collect::<String>();
        hex.truncate(40);
        let id = git2::Oid::from_str(&format!("{hex:0<40}")).expect("oid");
        InvFile {
            path: path.into(),
            excluded: None,
            locator: Locator::Blob(id),
        }
    }

    fn inventory(files: Vec<InvFile>) -> Inventory {
        Inventory {
            files,
            ..Default::default()
        }
    }

    #[test]
    fn an_extraction_is_reused_only_while_its_lookups_hold() {
        let cache = ScanCache::new();
        let ci = file(".gitlab-ci.yml", "aa");
        let v1 = inventory(vec![ci.clone(), file("ci/build.yml", "b1")]);
        let consulted = Consulted::default();
        consulted.file("ci/build.yml", v1.get("ci/build.yml"));
        consulted.file("ci/missing.yml", None);
        cache.store(&ci, 0, consulted, Arc::new(Output::default()), 10);
        assert!(cache.lookup(&ci, 0, &v1).is_some());
        // The same file at a point where the included file changed: extracted again.
        let v2 = inventory(vec![ci.clone(), file("ci/build.yml", "b2")]);
        assert!(cache.lookup(&ci, 0, &v2).is_none());
        // A file that was missing appears.
        let v3 = inventory(vec![
            ci.clone(),
            file("ci/build.yml", "b1"),
            file("ci/missing.yml", "c"),
        ]);
        assert!(cache.lookup(&ci, 0, &v3).is_none());
        // Another context (owner, default branch) or another version: a miss.
        assert!(cache.lookup(&ci, 1, &v1).is_none());
        assert!(cache
            .lookup(&file(".gitlab-ci.yml", "ab"), 0, &v1)
            .is_none());
        let s = cache.stats();
        assert_eq!((s.hits, s.misses), (1, 4));
    }

    #[test]
    fn prefix_lookups_see_files_added_and_removed() {
        let cache = ScanCache::new();
        let chart = file("chart/templates/deploy.yaml", "d");
        let v1 = inventory(vec![
            file("chart/templates/_helpers.tpl", "h1"),
            chart.clone(),
        ]);
        let consulted = Consulted::default();
        consulted.prefix("chart/templates/_", v1.with_prefix("chart/templates/_"));
        cache.store(&chart, 0, consulted, Arc::new(Output::default()), 1);
        assert!(cache.lookup(&chart, 0, &v1).is_some());
        let v2 = inventory(vec![
            file("chart/templates/_helpers.tpl", "h1"),
            file("chart/templates/_probes.tpl", "p"),
            chart.clone(),
        ]);
        assert!(cache.lookup(&chart, 0, &v2).is_none());
        // Unrelated files do not matter.
        let v3 = inventory(vec![
            file("README.md", "r"),
            file("chart/templates/_helpers.tpl", "h1"),
            chart.clone(),
        ]);
        assert!(cache.lookup(&chart, 0, &v3).is_some());
    }

    #[test]
    fn work_tree_files_are_never_cached_and_unused_entries_are_dropped() {
        let cache = ScanCache::new();
        let checkout = InvFile {
            path: "a.yml".into(),
            excluded: None,
            locator: Locator::Checkout,
        };
        let inv = inventory(vec![checkout.clone()]);
        cache.store(&checkout, 0, Consulted::default(), Arc::default(), 1);
        assert!(cache.lookup(&checkout, 0, &inv).is_none());
        let f = file("b.yml", "b");
        cache.store(&f, 0, Consulted::default(), Arc::default(), 1);
        cache.end_point();
        assert_eq!(cache.stats().files_held, 1, "kept for the next point");
        cache.end_point();
        cache.end_point();
        assert_eq!(cache.stats().files_held, 0, "unused for two points");
    }
}
