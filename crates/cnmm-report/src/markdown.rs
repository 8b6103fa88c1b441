//! Markdown for `$GITHUB_STEP_SUMMARY` and merge-request comments (GitHub and GitLab
//! flavours): a table of sections and levels, what each next level needs, and the
//! evidence folded in `<details>` blocks so a comment stays short.
//!
//! Repository-controlled strings are sanitised and escaped: both flavours render inline
//! HTML, so `<`, `>` and `&` become entities, and Markdown punctuation that could open a
//! link, emphasis or a table cell is backslash-escaped.

use crate::{gaps, Gap, Options};
use cnmm_model::text::sanitize;
use cnmm_model::{level_name, Assessment, CriterionResult, Status, MAX_LEVEL};
use std::fmt::Write;

/// Escapes text for a Markdown inline context (table cells included).
pub fn escape(s: &str) -> String {
    let clean = sanitize(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn status_mark(s: Status) -> &'static str {
    match s {
        Status::Met => "✅ met",
        Status::Unmet => "❌ unmet",
        Status::Unknown => "❔ unknown",
        Status::Waived => "〰️ waived",
        Status::NotApplicable => "➖ n/a",
    }
}

fn meter(level: u8) -> String {
    (1..=MAX_LEVEL)
        .map(|i| if i <= level { '█' } else { '░' })
        .collect()
}

fn evidence_lines(o: &mut String, c: &CriterionResult) {
    for e in &c.evidence {
        let judged = e
            .judgement
            .as_deref()
            .map_or(String::new(), |j| format!(" (judgement: {})", escape(j)));
        let _ = writeln!(
            o,
            "- {} — {}{judged}",
            code(&crate::location(&e.path, e.line)),
            escape(&e.detail)
        );
    }
    for x in &c.excluded {
        let _ = writeln!(
            o,
            "- not counted: {} — {} ({})",
            code(&crate::location(&x.path, x.line)),
            escape(&x.detail),
            escape(&x.reason)
        );
    }
}

/// The remediation as a fenced block inside the list item: it mixes prose with YAML
/// samples whose indentation matters. The fence is longer than any tilde run inside.
fn remediation(o: &mut String, text: &str) {
    let body = crate::sanitize_lines(text.trim_end());
    let longest = body.split(|c| c != '~').map(str::len).max().unwrap_or(0);
    let fence = "~".repeat(longest.max(2) + 1);
    let _ = writeln!(o, "  <details><summary>How</summary>");
    let _ = writeln!(o);
    let _ = writeln!(o, "  {fence}text");
    for line in body.lines() {
        if line.is_empty() {
            let _ = writeln!(o);
        } else {
            let _ = writeln!(o, "  {line}");
        }
    }
    let _ = writeln!(o, "  {fence}");
    let _ = writeln!(o);
    let _ = writeln!(o, "  </details>");
}

/// An inline code span for a path: the content is literal in Markdown, so only the
/// backtick fence must be longer than any backtick run inside; HTML-significant
/// characters are safe inside code spans.
fn code(s: &str) -> String {
    let clean = sanitize(s).replace(['\n', '\r'], " ");
    let longest = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A table cell ends at `|` even inside a code span: escape it for GitHub's parser.
    let clean = clean.replace('|', "\\|");
    if clean.starts_with('`') || clean.ends_with('`') {
        format!("{fence} {clean} {fence}")
    } else {
        format!("{fence}{clean}{fence}")
    }
}

pub fn render(a: &Assessment, opts: &Options) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## CNCF Cloud Native Maturity — Process");
    let _ = writeln!(o);
    let head = a
        .target
        .head
        .as_deref()
        .map(|h| format!(" at `{}`", &h[..h.len().min(12)]))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "**{}**{head}: overall level **{}** ({}), by cnmm {}.",
        escape(&a.target.path),
        a.summary.overall,
        level_name(a.summary.overall),
        a.tool.version
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "| Section | Level | | Target | Next level needs |");
    let _ = writeln!(o, "|---|---:|---|---:|---|");
    for s in &a.sections {
        let target = opts.targets.get(&s.id).copied();
        let target_cell = match target {
            Some(t) if s.level < t => format!("{t} ❌"),
            Some(t) => format!("{t} ✅"),
            None => "—".into(),
        };
        let needs = if s.level >= MAX_LEVEL {
            "top level reached".to_string()
        } else if s.next_level_missing.is_empty() {
            "—".to_string()
        } else {
            s.next_level_missing
                .iter()
                .map(|id| escape(id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            o,
            "| {} | {} {} | `{}` | {} | {} |",
            s.title,
            s.level,
            level_name(s.level),
            meter(s.level),
            target_cell,
            needs
        );
    }
    for s in &a.sections {
        let _ = writeln!(o);
        let _ = writeln!(o, "### {} — level {} ({})", s.title, s.level, s.level_name);
        let _ = writeln!(o);
        let flagged = gaps(s, &opts.targets);
        if flagged.is_empty() {
            if s.level >= MAX_LEVEL {
                let _ = writeln!(o, "Every level is reached.");
            } else {
                let _ = writeln!(o, "Nothing flagged for the next level.");
            }
        } else {
            let _ = writeln!(o, "To reach the next level (or the target):");
            let _ = writeln!(o);
            for (c, gap) in &flagged {
                let why = match gap {
                    Gap::BelowTarget => " — **below target**",
                    Gap::NextLevel => "",
                };
                let _ = writeln!(
                    o,
                    "- **{}** (level {}, {}){why}: {}",
                    c.id,
                    c.level,
                    status_mark(c.status),
                    escape(&c.title)
                );
                if let Some(r) = &c.reason {
                    let _ = writeln!(o, "  - {}", escape(r));
                }
                remediation(&mut o, &c.remediation);
            }
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "<details><summary>Evidence for {} criteria</summary>",
            s.title
        );
        let _ = writeln!(o);
        for c in &s.criteria {
            let _ = writeln!(
                o,
                "#### {} {} — level {}, {}{}",
                c.id,
                escape(&c.title),
                c.level,
                status_mark(c.status),
                if c.confidence == cnmm_model::Confidence::Low {
                    " (low confidence)"
                } else {
                    ""
                }
            );
            let _ = writeln!(o);
            if let Some(r) = &c.reason {
                let _ = writeln!(o, "{}", escape(r));
                let _ = writeln!(o);
            }
            for r in &c.confidence_reasons {
                let _ = writeln!(o, "Low confidence: {}", escape(r));
                let _ = writeln!(o);
            }
            if c.evidence.is_empty() && c.excluded.is_empty() {
                let _ = writeln!(o, "No evidence found.");
            } else {
                evidence_lines(&mut o, c);
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(o, "</details>");
    }
    history(&mut o, a);
    if !a.diagnostics.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "<details><summary>{} diagnostics</summary>",
            a.diagnostics.len()
        );
        let _ = writeln!(o);
        for d in &a.diagnostics {
            let loc = d
                .path
                .as_deref()
                .map(|p| format!("{} ", code(&crate::location(p, d.line))))
                .unwrap_or_default();
            let _ = writeln!(o, "- {} {loc}{}", d.severity.as_str(), escape(&d.message));
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "</details>");
    }
    o
}

fn history(o: &mut String, a: &Assessment) {
    let h = &a.history;
    let _ = writeln!(o);
    let _ = writeln!(o, "### History");
    let _ = writeln!(o);
    if !h.available {
        let _ = writeln!(
            o,
            "Not read: {}",
            escape(h.unavailable_reason.as_deref().unwrap_or("no history"))
        );
        return;
    }
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{x:.0}%"));
    let _ = writeln!(
        o,
        "| Window | Commits | Authors | Bot commits | Via PR/MR | Version tags | Signed | DCO |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        o,
        "| {} days to {} | {} | {} | {} | {} of {} ({}) | {} (previous {}) | {} | {} |",
        h.window_days,
        escape(h.window_end.as_deref().unwrap_or("?")),
        h.commits,
        h.authors,
        h.bot_commits,
        h.pr_based_commits,
        h.pr_share_denominator,
        pct(h.pr_based_share),
        h.version_tags,
        h.version_tags_previous_window,
        pct(h.signed_commits_share),
        pct(h.dco_share)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{assert_no_controls, assessment};
    use cnmm_model::SectionId;

    fn markdown(targets: &[(SectionId, u8)]) -> String {
        let opts = Options {
            targets: targets.iter().copied().collect(),
            ..Options::default()
        };
        let out = render(&assessment(), &opts);
        assert_no_controls(&out);
        out
    }

    #[test]
    fn table_of_sections_with_targets_and_next_steps() {
        let md = markdown(&[(SectionId::CiCd, 3)]);
        assert!(md.contains("| Section | Level | | Target | Next level needs |"));
        assert!(
            md.contains("| CI/CD | 2 Operate | `██░░░` | 3 ❌ | C3a, C3b |"),
            "{md}"
        );
        assert!(
            md.contains("| Security | 2 Operate | `██░░░` | — | — |"),
            "{md}"
        );
        assert!(
            md.contains("- **C3a** (level 3, ❌ unmet) — **below target**: Tests gate every merge")
        );
        assert!(md.contains("- **P3a** (level 3, ❌ unmet): Templates"));
        // Evidence is folded; remediation is a fenced block keeping its layout.
        assert!(md.contains("<details><summary>Evidence for CI/CD criteria</summary>"));
        assert!(md.contains("  ~~~text\n  Do what C3a asks.\n\n  See `cnmm explain C3a`.\n  ~~~"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }

    #[test]
    fn repository_strings_cannot_inject_markup() {
        let md = markdown(&[]);
        assert!(!md.contains("<script>"), "{md}");
        // `<b>` from the file name appears only inside code spans, where it is literal.
        assert!(!md
            .replace("`.github/workflows/?[31mevil<b>", "")
            .contains("<b>"));
        assert!(md.contains("&lt;script&gt;"));
        // A `|` in a workflow name must not split a table or list cell.
        assert!(md.contains("build ?\\]0;pwned? \\| &lt;script&gt;"), "{md}");
        // Paths are code spans with the table separator escaped.
        assert!(
            md.contains("`.github/workflows/?[31mevil<b>&\".yml:12`"),
            "{md}"
        );
    }

    #[test]
    fn code_spans_outgrow_backticks_inside() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
