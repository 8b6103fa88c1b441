//! `cnmm fleet`: a whole organisation's repositories, scanned on one machine or in
//! shards over an existing engine (a Kubernetes Indexed Job, a CI matrix), results in
//! an embedded SQLite database, and the organisation's report from it. Every
//! repository is assessed by the same pipeline as `cnmm scan` ([`crate::scan::Prepared`]).
//!
//! - `fleet scan SOURCES... --db FILE`: scan (incrementally: a repository whose HEAD and
//!   policy are unchanged since its last assessment is not scanned again);
//! - `fleet scan SOURCES... --shard I/N --out DIR --label L`: one shard, to a file;
//! - `fleet ingest DIR... --db FILE`: load shard files (idempotently);
//! - `fleet slice LIST --shard I/N`: the lines of a list of repositories that belong to
//!   a shard (what a CI leg clones);
//! - `fleet report --db FILE --format html|markdown|csv|json [--fail-below T]`.

pub mod db;
pub mod discover;
pub mod report;
pub mod scan;

use crate::cli::{FleetCommand, FleetReportArgs, FleetScanArgs};
use crate::gate::Targets;
use crate::{UserError, EXIT_BELOW_TARGET, EXIT_OK};
use std::io::Write;

pub fn run(c: &FleetCommand) -> Result<i32, UserError> {
    match c {
        FleetCommand::Scan(a) => scan_cmd(a),
        FleetCommand::Ingest { inputs, db, label } => {
            let mut database = db::Db::open(db)?;
            let n = scan::ingest(&mut database, inputs, label.as_deref())?;
            eprintln!("cnmm: ingested {n} repositories into {}", db.display());
            Ok(EXIT_OK)
        }
        FleetCommand::Slice { list, shard } => {
            let (i, n) = discover::parse_shard(shard)?;
            let text = std::fs::read_to_string(list)
                .map_err(|e| UserError(format!("{}: cannot read the list: {e}", list.display())))?;
            let mut out = std::io::stdout().lock();
            for line in text.lines() {
                let l = line.trim();
                if l.is_empty() || l.starts_with('#') {
                    continue;
                }
                if discover::shard_of(&discover::identity_of_line(l), n) == i {
                    let _ = writeln!(out, "{l}");
                }
            }
            Ok(EXIT_OK)
        }
        FleetCommand::Report(a) => report_cmd(a),
    }
}

fn scan_cmd(a: &FleetScanArgs) -> Result<i32, UserError> {
    if a.sources.is_empty() {
        return Err(UserError(
            "name at least one source: a directory holding checkouts, or a file listing their paths".into(),
        ));
    }
    let shard = a.shard.as_deref().map(discover::parse_shard).transpose()?;
    if shard.is_some() && a.out.is_none() {
        return Err(UserError(
            "--shard writes a shard file: give --out DIR (then `cnmm fleet ingest DIR --db FILE`)"
                .into(),
        ));
    }
    if shard.is_some() && a.label.is_none() {
        return Err(UserError(
            "label the sharded run (--label 2026-w49) so that its shards join one run when ingested".into(),
        ));
    }
    if a.jobs == Some(0) {
        return Err(UserError("--jobs must be at least 1".into()));
    }
    let mut members = discover::members(&a.sources)?;
    if let Some((i, n)) = shard {
        members.retain(|m| discover::shard_of(&m.identity, n) == i);
    }
    let opts = scan::Options {
        jobs: a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        force: a.force,
        config: a.config.clone(),
        rules: a.rules.clone(),
        label: a.label.clone(),
        shard,
    };
    let bar = crate::progress::bar(
        members.len() as u64,
        "{bar:30} {pos}/{len} repositories, {msg} ({elapsed})",
    );
    let mut failures = 0usize;
    let mut progress = |done: usize, total: usize, o: &db::Outcome| {
        if o.status == "error" {
            failures += 1;
        }
        let name = cnmm_model::text::sanitize(&o.identity);
        match &bar {
            Some(b) => {
                b.set_position(done as u64);
                b.set_message(format!("{failures} failed; {name}"));
            }
            None => eprintln!(
                "cnmm: [{done}/{total}] {name}: {}{}",
                o.status,
                o.error
                    .as_deref()
                    .map(|e| format!(" ({})", cnmm_model::text::sanitize(e)))
                    .unwrap_or_default()
            ),
        }
    };
    let summary = match &a.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| UserError(format!("cannot create {}: {e}", dir.display())))?;
            scan::run(&members, &opts, scan::Sink::Shard(dir), &mut progress)?
        }
        None => {
            let mut database = db::Db::open(&a.db)?;
            scan::run(
                &members,
                &opts,
                scan::Sink::Db(&mut database),
                &mut progress,
            )?
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    eprintln!(
        "cnmm: {} repositories: {} scanned, {} unchanged, {} failed",
        members.len(),
        summary.scanned,
        summary.unchanged,
        summary.errors
    );
    Ok(EXIT_OK)
}

fn report_cmd(a: &FleetReportArgs) -> Result<i32, UserError> {
    let targets = a
        .fail_below
        .as_deref()
        .map(Targets::parse)
        .transpose()?
        .unwrap_or_default();
    if !a.db.is_file() {
        return Err(UserError(format!(
            "{}: no such fleet database; run `cnmm fleet scan SOURCES --db {}` first",
            a.db.display(),
            a.db.display()
        )));
    }
    let database = db::Db::open(&a.db)?;
    let r = report::build(&database, &targets)?;
    let out = report::render(&a.format, &r)?;
    crate::output::emit(&out, a.output.as_deref(), "fleet report")?;
    if r.below_target.is_empty() {
        return Ok(EXIT_OK);
    }
    for b in &r.below_target {
        eprintln!(
            "cnmm: below target: {}: {}",
            cnmm_model::text::sanitize(&b.identity),
            b.sections.join(", ")
        );
    }
    Ok(EXIT_BELOW_TARGET)
}
