//! `cnmm fleet scan`: every repository of the fleet scanned by a bounded pool of
//! workers, each result written as it comes (to the database, one transaction each, or
//! to a shard file), so memory follows the workers, not the fleet.

use super::db::{Db, Outcome};
use super::discover::{self, Member};
use crate::scan::{Prepared, Settings};
use crate::UserError;
use std::collections::HashMap;
use std::io::{BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One line of a shard file: a repository's outcome, and the run it belongs to.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ShardLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

pub struct Options {
    pub jobs: usize,
    pub force: bool,
    pub config: Option<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub label: Option<String>,
    pub shard: Option<(u32, u32)>,
}

/// Where outcomes go.
pub enum Sink<'a> {
    Db(&'a mut Db),
    Shard(&'a Path),
}

/// What a fleet run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub scanned: usize,
    pub unchanged: usize,
    pub errors: usize,
}

/// A repository's policy: this cnmm's version, its configuration file and the extra
/// rule directories' files. An assessment is reused only under the same policy.
fn policy_of(root: &Path, opts: &Options) -> String {
    let mut bytes: Vec<u8> = env!("CARGO_PKG_VERSION").as_bytes().to_vec();
    let cfg = opts
        .config
        .clone()
        .unwrap_or_else(|| root.join(crate::config::DEFAULT_NAME));
    if let Ok(b) = std::fs::read(&cfg) {
        bytes.extend_from_slice(b"\0config\0");
        bytes.extend_from_slice(&b);
    }
    for dir in &opts.rules {
        let mut files: Vec<PathBuf> = Vec::new();
        collect_files(dir, &mut files, 0);
        files.sort();
        for f in files {
            bytes.extend_from_slice(f.to_string_lossy().as_bytes());
            if let Ok(b) = std::fs::read(&f) {
                bytes.extend_from_slice(&b);
            }
        }
    }
    format!("{:016x}", discover::stable_hash(&bytes))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() && depth < 4 => collect_files(&p, out, depth + 1),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

/// HEAD's commit and whether the repository is bare.
fn head_of(path: &Path) -> Result<(String, bool), String> {
    let repo = cnmm_facts::history::open(path).map_err(|e| {
        format!(
            "not a readable git repository: {}",
            cnmm_model::text::sanitize(e.message())
        )
    })?;
    let head = repo.head().and_then(|h| h.peel_to_commit()).map_err(|e| {
        format!(
            "HEAD cannot be read: {}",
            cnmm_model::text::sanitize(e.message())
        )
    })?;
    Ok((
        head.id().to_string(),
        repo.is_bare() || crate::scan::is_bare_repository(path),
    ))
}

fn scan_one(m: &Member, opts: &Options, known: &HashMap<String, Vec<(String, String)>>) -> Outcome {
    let mut o = Outcome {
        identity: m.identity.clone(),
        name: m.name.clone(),
        source_path: m.source_path.clone(),
        status: "error".into(),
        commit: None,
        policy: None,
        error: None,
        report: None,
    };
    // Messages name the repository as found, not where it is on this machine.
    let here = m.path.to_string_lossy().into_owned();
    let local = |e: String| e.replace(&here, &m.source_path);
    let (commit, bare) = match head_of(&m.path) {
        Ok(h) => h,
        Err(e) => {
            o.error = Some(local(e));
            return o;
        }
    };
    let policy = policy_of(&m.path, opts);
    o.commit = Some(commit.clone());
    o.policy = Some(policy.clone());
    let seen = known
        .get(&m.identity)
        .is_some_and(|v| v.iter().any(|(c, p)| *c == commit && *p == policy));
    if seen && !opts.force {
        o.status = "unchanged".into();
        return o;
    }
    let settings = Settings {
        threads: Some(1),
        config: opts.config.clone(),
        rule_dirs: opts.rules.clone(),
        ..Settings::default()
    };
    // A panic in one repository's scan is that repository's error, not the fleet's.
    let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let p = Prepared::new(&m.path, &settings)?;
        // A bare repository has no work tree: its HEAD's tree is read from objects.
        p.assess(bare.then_some(commit.as_str()), None)
    }));
    match scanned {
        Ok(Ok(a)) => {
            o.status = "scanned".into();
            o.report = Some(a);
        }
        Ok(Err(e)) => o.error = Some(local(cnmm_model::text::sanitize_lines(&e.0))),
        Err(_) => o.error = Some("the scan failed unexpectedly (a bug in cnmm)".into()),
    }
    o
}

/// Scans `members` (already filtered to the shard) with `opts.jobs` workers, handing
/// each outcome to `sink` as it comes, and `progress` each repository done.
pub fn run(
    members: &[Member],
    opts: &Options,
    sink: Sink,
    mut progress: impl FnMut(usize, usize, &Outcome),
) -> Result<Summary, UserError> {
    let known = match &sink {
        Sink::Db(db) => db.latest_assessed()?,
        Sink::Shard(_) => HashMap::new(),
    };
    let next = AtomicUsize::new(0);
    let jobs = opts.jobs.max(1).min(members.len().max(1));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Outcome>(jobs * 2);
    let mut summary = Summary::default();
    std::thread::scope(|scope| -> Result<(), UserError> {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, known) = (&next, &known);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = members.get(i) else { break };
                if tx.send(scan_one(m, opts, known)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut writer = Writer::new(sink, opts)?;
        let total = members.len();
        for (done, o) in rx.iter().enumerate() {
            match o.status.as_str() {
                "scanned" => summary.scanned += 1,
                "unchanged" => summary.unchanged += 1,
                _ => summary.errors += 1,
            }
            progress(done + 1, total, &o);
            writer.write(o)?;
        }
        writer.finish()
    })?;
    Ok(summary)
}

/// Writes outcomes to the database (one transaction each) or to a shard file, which
/// is put in identity order at the end (the lines are written as they come first, so
/// memory holds an index, not the reports).
/// Outcomes written to the database per transaction.
const BATCH: usize = 16;

/// A shard file being written: its path, the file, and where each line is
/// (identity, offset, length).
type PartialShard = (PathBuf, std::fs::File, Vec<(String, u64, u64)>);

struct Writer<'a> {
    sink: Sink<'a>,
    run: i64,
    /// Outcomes not yet written to the database: written [`BATCH`] at a time, one
    /// transaction each (a transaction per repository would cost a disk sync each).
    pending: Vec<Outcome>,
    label: Option<String>,
    tmp: Option<PartialShard>,
}

impl<'a> Writer<'a> {
    fn new(sink: Sink<'a>, opts: &Options) -> Result<Writer<'a>, UserError> {
        let mut w = Writer {
            sink,
            run: 0,
            pending: Vec::new(),
            label: opts.label.clone(),
            tmp: None,
        };
        match &mut w.sink {
            Sink::Db(db) => w.run = db.run(opts.label.as_deref())?,
            Sink::Shard(dir) => {
                let (i, n) = opts.shard.unwrap_or((0, 1));
                let path = dir.join(format!(".shard-{i}-of-{n}.partial"));
                let f = std::fs::File::create(&path).map_err(|e| {
                    UserError(format!(
                        "cannot write the shard file {}: {e}",
                        path.display()
                    ))
                })?;
                w.tmp = Some((path, f, Vec::new()));
            }
        }
        Ok(w)
    }

    fn write(&mut self, o: Outcome) -> Result<(), UserError> {
        match (&mut self.sink, &mut self.tmp) {
            (Sink::Db(db), _) => {
                self.pending.push(o);
                if self.pending.len() >= BATCH {
                    db.record_all(self.run, &self.pending)?;
                    self.pending.clear();
                }
                Ok(())
            }
            (Sink::Shard(_), Some((path, f, index))) => {
                let identity = o.identity.clone();
                let line = ShardLine {
                    run: self.label.clone(),
                    outcome: o,
                };
                let mut text = serde_json::to_string(&line)
                    .map_err(|e| UserError(format!("cannot serialise a shard line: {e}")))?;
                text.push('\n');
                let at = f
                    .stream_position()
                    .map_err(|e| UserError(format!("{}: {e}", path.display())))?;
                f.write_all(text.as_bytes())
                    .map_err(|e| UserError(format!("{}: {e}", path.display())))?;
                index.push((identity, at, text.len() as u64));
                Ok(())
            }
            (Sink::Shard(_), None) => Ok(()),
        }
    }

    fn finish(self) -> Result<(), UserError> {
        match (self.sink, self.tmp) {
            (Sink::Db(db), _) => {
                db.record_all(self.run, &self.pending)?;
                db.finish_run(self.run)
            }
            (Sink::Shard(dir), Some((path, f, mut index))) => {
                drop(f);
                index.sort();
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let final_path =
                    dir.join(name.trim_start_matches('.').replace(".partial", ".ndjson"));
                let io = |e: std::io::Error| UserError(format!("{}: {e}", final_path.display()));
                let mut src = std::fs::File::open(&path).map_err(io)?;
                let mut out =
                    std::io::BufWriter::new(std::fs::File::create(&final_path).map_err(io)?);
                for (_, at, len) in index {
                    src.seek(std::io::SeekFrom::Start(at)).map_err(io)?;
                    let mut buf = vec![0u8; len as usize];
                    std::io::Read::read_exact(&mut src, &mut buf).map_err(io)?;
                    out.write_all(&buf).map_err(io)?;
                }
                out.flush().map_err(io)?;
                let _ = std::fs::remove_file(&path);
                Ok(())
            }
            (Sink::Shard(_), None) => Ok(()),
        }
    }
}

/// Loads shard files (or directories of them) into the database: one run per label,
/// each repository's outcome written once (ingesting the same files again changes
/// nothing).
pub fn ingest(db: &mut Db, inputs: &[PathBuf], label: Option<&str>) -> Result<usize, UserError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for i in inputs {
        if i.is_dir() {
            let rd =
                std::fs::read_dir(i).map_err(|e| UserError(format!("{}: {e}", i.display())))?;
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "ndjson") {
                    files.push(p);
                }
            }
        } else {
            files.push(i.clone());
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(UserError(
            "no shard files (*.ndjson) found; pass the --out directories of `cnmm fleet scan --shard`".into(),
        ));
    }
    let mut runs: HashMap<Option<String>, i64> = HashMap::new();
    let mut n = 0;
    for f in &files {
        let file =
            std::fs::File::open(f).map_err(|e| UserError(format!("{}: {e}", f.display())))?;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| UserError(format!("{}: {e}", f.display())))?;
            if line.trim().is_empty() {
                continue;
            }
            let l: ShardLine = serde_json::from_str(&line).map_err(|e| {
                UserError(format!(
                    "{}:{}: not a shard line of `cnmm fleet scan --shard` ({e})",
                    f.display(),
                    i + 1
                ))
            })?;
            let key = label.map(str::to_string).or(l.run.clone());
            let run = match runs.get(&key) {
                Some(r) => *r,
                None => {
                    let r = db.run(key.as_deref())?;
                    runs.insert(key, r);
                    r
                }
            };
            db.record(run, &l.outcome)?;
            n += 1;
        }
    }
    let mut ids: Vec<i64> = runs.into_values().collect();
    ids.sort();
    for r in ids {
        db.finish_run(r)?;
    }
    Ok(n)
}
