//! Agreement between cnmm and hand-made labels of real repositories.
//!
//!     cargo run --release --example agreement -- accuracy/labels CLONES_DIR [MIN_SECTIONS% MIN_CRITERIA%]
//!
//! With the two percentages it exits 1 when agreement is below either (or a clone is
//! missing). `scripts/fetch-accuracy-clones.sh CLONES_DIR` makes the clones.
//!
//! Each label file (`accuracy/labels/*.yaml`) names a public repository, the commit it
//! was judged at, the directory of its clone under CLONES_DIR, the expected section
//! levels and expected criterion statuses with the reason. The clones are the user's
//! (cnmm never fetches anything); a clone at another commit is reported, not skipped.

use cnmm_model::SectionId;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    repository: String,
    commit: String,
    clone: String,
    #[allow(dead_code)]
    kind: String,
    sections: BTreeMap<String, u8>,
    #[serde(default)]
    criteria: BTreeMap<String, Expected>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    status: String,
    why: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(labels), Some(clones)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: agreement LABELS_DIR CLONES_DIR");
        std::process::exit(2);
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(labels)
        .unwrap_or_else(|e| {
            eprintln!("{labels}: {e}");
            std::process::exit(2)
        })
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let (mut sec_ok, mut sec_all, mut crit_ok, mut crit_all) = (0, 0, 0, 0);
    let mut missing = 0usize;
    let mut per_criterion: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let label: Label = match serde_saphyr::from_str(&text) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                std::process::exit(2);
            }
        };
        let root = Path::new(clones).join(&label.clone);
        if !root.is_dir() {
            println!("{}: no clone at {}", label.repository, root.display());
            missing += 1;
            continue;
        }
        let settings = cnmm::scan::Settings::default();
        let a = match cnmm::scan::assess(&root, &settings) {
            Ok((a, _)) => a,
            Err(e) => {
                println!("{}: cannot scan {}: {e}", label.repository, root.display());
                missing += 1;
                continue;
            }
        };
        let head = a.target.head.clone().unwrap_or_default();
        let at = if head == label.commit {
            String::new()
        } else {
            format!(
                " (clone is at {}, labels are for {})",
                short(&head),
                short(&label.commit)
            )
        };
        println!("== {}{at}", label.repository);
        for (name, want) in &label.sections {
            let Some(id) = SectionId::parse(name) else {
                continue;
            };
            let got = a.summary.sections.get(id);
            sec_all += 1;
            if got == *want {
                sec_ok += 1;
            } else {
                println!("  section {name}: labelled {want}, cnmm {got}");
            }
        }
        for (id, want) in &label.criteria {
            let got = a
                .sections
                .iter()
                .flat_map(|s| &s.criteria)
                .find(|c| &c.id == id)
                .map(|c| c.status.as_str())
                .unwrap_or("missing");
            crit_all += 1;
            let e = per_criterion.entry(id.clone()).or_default();
            e.1 += 1;
            if got == want.status {
                crit_ok += 1;
                e.0 += 1;
            } else {
                println!(
                    "  {id}: labelled {} ({}), cnmm {got}",
                    want.status, want.why
                );
            }
        }
    }
    let pct = |a: u32, b: u32| {
        if b == 0 {
            0.0
        } else {
            f64::from(a) * 100.0 / f64::from(b)
        }
    };
    println!();
    println!("per criterion (agreeing/labelled):");
    for (id, (ok, all)) in &per_criterion {
        println!("  {id:<4} {ok}/{all}");
    }
    let (sec_pct, crit_pct) = (pct(sec_ok, sec_all), pct(crit_ok, crit_all));
    println!(
        "sections: {sec_ok}/{sec_all} exact ({sec_pct:.1}%); criteria: {crit_ok}/{crit_all} ({crit_pct:.1}%); repositories: {} scanned of {}",
        files.len() - missing,
        files.len()
    );
    let min = |i: usize| {
        args.get(i)
            .and_then(|a| a.trim_end_matches('%').parse::<f64>().ok())
    };
    if let (Some(min_sec), Some(min_crit)) = (min(3), min(4)) {
        if missing > 0 || sec_pct < min_sec || crit_pct < min_crit {
            eprintln!("below {min_sec}% sections / {min_crit}% criteria, or clones missing");
            std::process::exit(1);
        }
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
