//! The plan as text (for a terminal), Markdown (a checklist to paste into an issue) and
//! JSON (the contract of `docs/plan.md`).

use super::{Action, Plan};
use cnmm_model::SectionId;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// `P2 A1 C1 X2 S1`, in the sections' order.
fn levels_line(levels: &BTreeMap<String, u8>) -> String {
    SectionId::ALL
        .iter()
        .filter_map(|s| {
            levels
                .get(s.as_str())
                .map(|n| format!("{}{n}", s.id_prefix()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn targets_line(plan: &Plan) -> String {
    SectionId::ALL
        .iter()
        .filter_map(|s| {
            plan.targets
                .get(s.as_str())
                .map(|n| format!("{} {n}", s.title()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn files_created(plan: &Plan) -> usize {
    plan.steps
        .iter()
        .flat_map(|s| &s.actions)
        .filter(|a| matches!(a, Action::Create { .. }))
        .count()
}

pub fn text(plan: &Plan, wrote: bool, written: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for {}: now {}; target {}",
        plan.target,
        levels_line(&plan.levels),
        targets_line(plan)
    );
    if plan.steps.is_empty() {
        out.push_str("\nEvery section named is at its target already: nothing to do.\n");
        return out;
    }
    let files = files_created(plan);
    if files > 0 {
        let _ = writeln!(
            out,
            "With the {files} file{} it creates: {}",
            if files == 1 { "" } else { "s" },
            levels_line(&plan.levels_after_files)
        );
    }
    out.push('\n');
    for (i, s) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>2}. {:<4} {} level {}: {}{}",
            i + 1,
            s.criterion,
            section_title(&s.section),
            s.level,
            s.title,
            needed_note(s, " (", ")")
        );
        for a in &s.actions {
            match a {
                Action::Create { path, meets, .. } => {
                    let _ = writeln!(out, "      create {path}{}", meets_note(meets));
                }
                Action::Edit {
                    path,
                    line,
                    meets,
                    diff,
                } => {
                    let _ = writeln!(
                        out,
                        "      change {path}:{line} by hand{}:",
                        meets_note(meets)
                    );
                    for l in diff.lines() {
                        let _ = writeln!(out, "        {l}");
                    }
                }
                Action::Shared { path, step } => {
                    let _ = writeln!(out, "      met by {path} too (step {step})");
                }
                Action::Manual { text, location } => {
                    let at = location
                        .as_deref()
                        .map(|l| format!("{l}: "))
                        .unwrap_or_default();
                    let mut lines = text.lines();
                    let _ = writeln!(out, "      by hand: {at}{}", lines.next().unwrap_or(""));
                    for l in lines {
                        let _ = writeln!(out, "          {l}");
                    }
                }
            }
        }
    }
    out.push('\n');
    if wrote {
        if written.is_empty() {
            out.push_str("Nothing was written: no step is met by a new file.\n");
        } else {
            let _ = writeln!(out, "Written: {}.", written.join(", "));
        }
    } else if files > 0 {
        let _ = writeln!(
            out,
            "Nothing was written (dry run). Add --write to create the {files} file{} above; changes to existing files stay diffs to apply by hand.",
            if files == 1 { "" } else { "s" }
        );
    }
    out
}

/// ` (needed by C2, P4a)`, in the words of the format.
fn needed_note(s: &super::Step, lead: &str, close: &str) -> String {
    if s.needed_by.is_empty() {
        String::new()
    } else {
        format!("{lead}needed by {}{close}", s.needed_by.join(", "))
    }
}

fn meets_note(meets: &[String]) -> String {
    if meets.is_empty() {
        String::new()
    } else {
        format!(" (meets {})", meets.join(", "))
    }
}

fn section_title(id: &str) -> &'static str {
    SectionId::parse(id).map_or("", SectionId::title)
}

pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Maturity plan for `{}`\n\nNow: **{}**. Target: {}.",
        plan.target,
        levels_line(&plan.levels),
        targets_line(plan)
    );
    if plan.steps.is_empty() {
        out.push_str("\nEvery section named is at its target already.\n");
        return out;
    }
    if files_created(plan) > 0 {
        let _ = writeln!(
            out,
            "With the files below created (`cnmm plan --write`): **{}**.",
            levels_line(&plan.levels_after_files)
        );
    }
    out.push('\n');
    for s in &plan.steps {
        let _ = writeln!(
            out,
            "- [ ] **{}** ({} level {}) {}{}",
            s.criterion,
            section_title(&s.section),
            s.level,
            s.title,
            needed_note(s, " — ", "")
        );
        for a in &s.actions {
            match a {
                Action::Create {
                    path,
                    meets,
                    content,
                } => {
                    let lang = if path.ends_with(".json") {
                        "json"
                    } else if path.ends_with(".md") {
                        "markdown"
                    } else if path.ends_with(".toml") {
                        "toml"
                    } else if path.ends_with("CODEOWNERS") {
                        "text"
                    } else {
                        "yaml"
                    };
                    let _ = writeln!(
                        out,
                        "  - create `{path}`{}\n\n    <details><summary>{path}</summary>\n\n    ```{lang}\n{}    ```\n\n    </details>\n",
                        meets_note(meets),
                        indent(content, "    ")
                    );
                }
                Action::Edit {
                    path,
                    line,
                    meets,
                    diff,
                } => {
                    let _ = writeln!(
                        out,
                        "  - change `{path}:{line}`{}:\n\n    ```diff\n{}    ```\n",
                        meets_note(meets),
                        indent(diff, "    ")
                    );
                }
                Action::Shared { path, step } => {
                    let _ = writeln!(out, "  - met by `{path}` too (step {step})");
                }
                Action::Manual { text, location } => {
                    let at = location
                        .as_deref()
                        .map(|l| format!("`{l}`: "))
                        .unwrap_or_default();
                    let mut lines = text.lines();
                    let _ = writeln!(out, "  - {at}{}", lines.next().unwrap_or(""));
                    let example: Vec<&str> = lines.collect();
                    if !example.is_empty() {
                        let _ = writeln!(
                            out,
                            "\n    ```\n{}    ```\n",
                            indent(&example.join("\n"), "    ")
                        );
                    }
                }
            }
        }
    }
    out
}

fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}
