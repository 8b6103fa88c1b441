//! The hand-made labels of real repositories (`accuracy/labels/`) stay usable: every
//! file parses, names only criteria the rule set has, uses known statuses, and its
//! section levels agree with its own criterion statuses under the gated rule (a
//! section at level N has every criterion of levels 2..N met, and misses one of N+1).
//! The agreement itself needs the clones: `cargo run --release --example agreement`.

use crate::support::workspace_root;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Label {
    repository: String,
    commit: String,
    clone: String,
    kind: String,
    sections: BTreeMap<String, u8>,
    criteria: BTreeMap<String, Expected>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    status: String,
    why: String,
}

#[test]
fn labels_are_complete_and_self_consistent() {
    let (set, _) = cnmm::scan::load_rules(&[]).expect("built-in rules");
    let dir = workspace_root().join("accuracy/labels");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("accuracy/labels")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 12,
        "only {} labelled repositories",
        files.len()
    );
    let mut problems = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(f).expect("read label");
        let label: Label = match serde_saphyr::from_str(&text) {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        if label.commit.len() != 40 || !label.commit.chars().all(|c| c.is_ascii_hexdigit()) {
            problems.push(format!("{name}: commit is not a full commit id"));
        }
        for (id, e) in &label.criteria {
            if set.rule(id).is_none() {
                problems.push(format!("{name}: unknown criterion {id}"));
            }
            if !["met", "unmet", "not_applicable", "unknown"].contains(&e.status.as_str()) {
                problems.push(format!("{name}: {id} has status `{}`", e.status));
            }
            if e.why.trim().is_empty() {
                problems.push(format!("{name}: {id} gives no reason"));
            }
        }
        for r in &set.rules {
            if !label.criteria.contains_key(&r.id) {
                problems.push(format!("{name}: {} is not labelled", r.id));
            }
        }
        for (section, level) in &label.sections {
            let Some(sid) = cnmm_model::SectionId::parse(section) else {
                problems.push(format!("{name}: unknown section {section}"));
                continue;
            };
            let passes = |lvl: u8| {
                set.rules
                    .iter()
                    .filter(|r| r.section == sid && r.level == lvl)
                    .all(|r| {
                        label
                            .criteria
                            .get(&r.id)
                            .is_some_and(|e| e.status == "met" || e.status == "not_applicable")
                    })
            };
            let consistent = (2..=*level).all(passes) && (*level >= 5 || !passes(level + 1));
            if !consistent {
                problems.push(format!(
                    "{name}: {section} labelled {level}, but its criteria say otherwise"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
