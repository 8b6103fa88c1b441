//! `cnmm rules list|show|validate` and `cnmm explain SECTION|ID`: the rule data, read
//! from the same files the scanner uses.

use crate::cli::RulesCommand;
use crate::scan::load_rules;
use crate::{UserError, EXIT_OK};
use cnmm_model::{level_name, SectionId};
use cnmm_rules::{Rule, RuleSet};
use std::fmt::Write;
use std::path::PathBuf;

pub fn rules(cmd: &RulesCommand) -> Result<i32, UserError> {
    match cmd {
        RulesCommand::List { rules } => {
            let (set, _) = load_rules(rules)?;
            print!("{}", list(&set));
            Ok(EXIT_OK)
        }
        RulesCommand::Show { id, rules } => {
            let (set, _) = load_rules(rules)?;
            let rule = set.rule(id).ok_or_else(|| unknown_rule(id))?;
            print!("{}", show(rule));
            Ok(EXIT_OK)
        }
        RulesCommand::Validate { dir } => {
            let kinds = cnmm_facts::extractors::fact_kinds();
            let mut set = RuleSet::builtin(&kinds)?;
            let summary = set.overlay_dir(dir, &kinds)?;
            println!(
                "{}: valid: {} new rules, {} overriding built-in ids, {} catalog files",
                dir.display(),
                summary.added,
                summary.overridden,
                summary.catalog_files
            );
            Ok(EXIT_OK)
        }
    }
}

fn unknown_rule(id: &str) -> UserError {
    UserError(format!(
        "no rule with id `{id}`; `cnmm rules list` shows the ids"
    ))
}

pub fn list(set: &RuleSet) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{:<5} {:<15} {:<5} TITLE", "ID", "SECTION", "LEVEL");
    for r in &set.rules {
        let _ = writeln!(
            o,
            "{:<5} {:<15} {:<5} {}",
            r.id,
            r.section.as_str(),
            r.level,
            r.title
        );
    }
    o
}

pub fn show(r: &Rule) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} — {}", r.id, r.title);
    let _ = writeln!(
        o,
        "Section: {} · Level {} ({}) · Defined in {}",
        r.section.title(),
        r.level,
        level_name(r.level),
        r.origin
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", r.rationale.trim());
    let _ = writeln!(o);
    let _ = writeln!(o, "What to do:");
    for l in r.remediation.trim_end().lines() {
        let _ = writeln!(o, "  {l}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "Evidence that counts:");
    o.push_str(&r.evidence.describe(1));
    if let Some(na) = &r.not_applicable {
        let _ = writeln!(o);
        let _ = writeln!(o, "Not applicable when: {na}");
    }
    if !r.references.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "References:");
        for x in &r.references {
            let _ = writeln!(o, "  {x}");
        }
    }
    o
}

pub fn explain(target: &str, dirs: &[PathBuf]) -> Result<i32, UserError> {
    let (set, _) = load_rules(dirs)?;
    if let Some(r) = set.rule(target) {
        print!("{}", show(r));
        return Ok(EXIT_OK);
    }
    let Some(sid) = SectionId::parse(target) else {
        return Err(UserError(format!(
            "`{target}` is neither a section (process, audit_logs, ci_cd, change_control, security) nor a criterion id; `cnmm rules list` shows the ids"
        )));
    };
    let mut o = String::new();
    let _ = writeln!(o, "{} — levels are cumulative: a level is reached when every criterion of it and of the levels below is met.", sid.title());
    let _ = writeln!(
        o,
        "  Level 1 ({}): the floor every repository starts at.",
        level_name(1)
    );
    for l in 2..=5u8 {
        let _ = writeln!(o, "  Level {l} ({}):", level_name(l));
        for r in set
            .rules
            .iter()
            .filter(|r| r.section == sid && r.level == l)
        {
            let _ = writeln!(o, "    {:<4} {}", r.id, r.title);
        }
    }
    let _ = writeln!(
        o,
        "`cnmm explain <ID>` shows what evidence counts for a criterion."
    );
    print!("{o}");
    Ok(EXIT_OK)
}

/// `docs/rules.md`: every criterion with its rationale, evidence query and remediation,
/// generated from the rule files (a test keeps the checked-in file in sync).
pub fn rules_markdown(set: &RuleSet) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# cnmm rules");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Generated from `rules/` by `CNMM_BLESS=1 cargo test --test e2e docs`; do not edit by hand."
    );
    let _ = writeln!(
        o,
        "Levels are cumulative: a section is at level N when every criterion of levels 2..N passes."
    );
    for sid in SectionId::ALL {
        let _ = writeln!(o);
        let _ = writeln!(o, "## {}", sid.title());
        let _ = writeln!(o);
        let _ = writeln!(o, "| id | level | title |");
        let _ = writeln!(o, "|---|---|---|");
        for r in set.rules.iter().filter(|r| r.section == sid) {
            let _ = writeln!(
                o,
                "| [{}](#{}) | {} ({}) | {} |",
                r.id,
                r.id.to_ascii_lowercase(),
                r.level,
                level_name(r.level),
                r.title
            );
        }
        for r in set.rules.iter().filter(|r| r.section == sid) {
            let _ = writeln!(o);
            let _ = writeln!(o, "### {}", r.id);
            let _ = writeln!(o);
            let _ = writeln!(
                o,
                "**{}** — level {} ({}), `{}`",
                r.title,
                r.level,
                level_name(r.level),
                r.origin
            );
            let _ = writeln!(o);
            let _ = writeln!(o, "{}", r.rationale.trim());
            let _ = writeln!(o);
            let _ = writeln!(o, "Evidence that counts:");
            let _ = writeln!(o);
            o.push_str(&r.evidence.describe(0));
            if let Some(na) = &r.not_applicable {
                let _ = writeln!(o);
                let _ = writeln!(o, "Not applicable when {na}.");
            }
            let _ = writeln!(o);
            let _ = writeln!(o, "What to do:");
            let _ = writeln!(o);
            let _ = writeln!(o, "```");
            let _ = writeln!(o, "{}", r.remediation.trim_end());
            let _ = writeln!(o, "```");
            if !r.references.is_empty() {
                let _ = writeln!(o);
                let refs: Vec<String> = r.references.iter().map(|x| format!("<{x}>")).collect();
                let _ = writeln!(o, "References: {}", refs.join(", "));
            }
        }
    }
    o
}
