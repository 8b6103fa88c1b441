//! The terminal report: levels at a glance, the evidence behind each level reached, and
//! for the next level what is missing and how to get it.

use crate::Options;
use cnmm_model::text::{sanitize, truncate};
use cnmm_model::{
    level_name, Assessment, Confidence, CriterionResult, SectionResult, Severity, Status, MAX_LEVEL,
};
use std::fmt::Write;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
}

const EVIDENCE_SHOWN: usize = 3;

fn mark(st: &Style, s: Status) -> String {
    match s {
        Status::Met => st.green("✓"),
        Status::Unmet => st.red("✗"),
        Status::Unknown => st.yellow("?"),
        Status::Waived => st.yellow("~"),
        Status::NotApplicable => st.dim("–"),
    }
}

fn location(path: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{}:{l}", sanitize(path)),
        None => sanitize(path),
    }
}

fn bar(level: u8) -> String {
    let mut s = String::new();
    for i in 1..=MAX_LEVEL {
        s.push(if i <= level { '█' } else { '░' });
    }
    s
}

pub fn render(a: &Assessment, opts: &Options) -> String {
    let st = Style { on: opts.color };
    let mut o = String::new();
    let head = match (&a.target.head, &a.target.git_ref) {
        (Some(h), Some(r)) => format!(
            " @ {} ({})",
            &h[..h.len().min(12)],
            r.trim_start_matches("refs/heads/")
        ),
        (Some(h), None) => format!(" @ {} (detached)", &h[..h.len().min(12)]),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "{} {} — {}{}",
        st.bold("cnmm"),
        a.tool.version,
        sanitize(&a.target.path),
        head
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{} level {} ({})",
        st.bold("Overall:"),
        a.summary.overall,
        level_name(a.summary.overall)
    );
    let _ = writeln!(o);
    for s in &a.sections {
        let _ = writeln!(
            o,
            "  {:<16} {}  {} {}",
            s.title,
            st.cyan(&bar(s.level)),
            s.level,
            s.level_name
        );
    }
    for s in &a.sections {
        section(&mut o, &st, s, opts);
    }
    history(&mut o, &st, a);
    diagnostics(&mut o, &st, a, opts);
    o
}

fn section(o: &mut String, st: &Style, s: &SectionResult, opts: &Options) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{}",
        st.bold(&format!(
            "{} — level {} ({})",
            s.title, s.level, s.level_name
        ))
    );
    for c in s.criteria.iter().filter(|c| c.level <= s.level) {
        criterion(o, st, c, opts, false);
    }
    if s.level < MAX_LEVEL {
        let next = s.level + 1;
        let _ = writeln!(
            o,
            "  {} level {} ({}) needs:",
            st.bold("Next:"),
            next,
            level_name(next)
        );
        for c in s.criteria.iter().filter(|c| c.level == next) {
            criterion(o, st, c, opts, true);
        }
        let later = s.criteria.iter().filter(|c| c.level > next).count();
        if later > 0 {
            let ids: Vec<&str> = s
                .criteria
                .iter()
                .filter(|c| c.level > next)
                .map(|c| c.id.as_str())
                .collect();
            let _ = writeln!(
                o,
                "  {}",
                st.dim(&format!(
                    "Beyond: {} ({} criteria; `cnmm explain <ID>`)",
                    ids.join(", "),
                    later
                ))
            );
        }
    }
}

fn criterion(o: &mut String, st: &Style, c: &CriterionResult, opts: &Options, next: bool) {
    let doubt = if c.confidence == Confidence::Low {
        format!("  {}", st.yellow("[low confidence]"))
    } else {
        String::new()
    };
    let _ = writeln!(o, "  {} {:<4} {}{doubt}", mark(st, c.status), c.id, c.title);
    let pad = "         ";
    let shown = if opts.verbose { usize::MAX } else { 2 };
    for r in c.confidence_reasons.iter().take(shown) {
        let line = format!("low confidence: {}", sanitize(r));
        let line = if opts.verbose {
            line
        } else {
            truncate(&line, LINE_WIDTH - pad.len())
        };
        let _ = writeln!(o, "{pad}{}", st.yellow(&line));
    }
    if c.confidence_reasons.len() > shown {
        let more = c.confidence_reasons.len() - shown;
        let _ = writeln!(
            o,
            "{pad}{}",
            st.dim(&format!("(+{more} more reasons; --verbose shows all)"))
        );
    }
    if let Some(r) = &c.reason {
        let _ = writeln!(
            o,
            "{pad}{}",
            st.yellow(&format!("{}: {}", c.status.as_str(), sanitize(r)))
        );
    }
    let limit = if opts.verbose {
        usize::MAX
    } else {
        EVIDENCE_SHOWN
    };
    for e in c.evidence.iter().take(limit) {
        // `≈`: the item rests on a judgement (the JSON report says which).
        let judged = if e.judgement.is_some() {
            st.yellow(" ≈")
        } else {
            String::new()
        };
        let loc = location(&e.path, e.line);
        // One terminal line per item, the location first: the brief form of the detail,
        // cut to what is left of the line (`--verbose` shows the whole detail).
        let detail = if opts.verbose {
            sanitize(&e.detail)
        } else {
            let room = LINE_WIDTH
                .saturating_sub(pad.chars().count() + loc.chars().count() + 4)
                .max(40);
            truncate(&sanitize(e.brief.as_deref().unwrap_or(&e.detail)), room)
        };
        let _ = writeln!(o, "{pad}{}{judged}  {detail}", st.cyan(&loc));
    }
    if c.evidence.len() > limit {
        let _ = writeln!(
            o,
            "{pad}{}",
            st.dim(&format!(
                "(+{} more; --verbose shows all)",
                c.evidence.len() - limit
            ))
        );
    }
    if next && !c.status.passes() {
        for line in c.remediation.lines() {
            if line.trim().is_empty() {
                let _ = writeln!(o, "{pad}{}", st.dim("│"));
            } else {
                let _ = writeln!(o, "{pad}{} {line}", st.dim("│"));
            }
        }
        for x in c
            .excluded
            .iter()
            .take(if opts.verbose { usize::MAX } else { 2 })
        {
            let _ = writeln!(
                o,
                "{pad}{} {}  {}",
                st.dim("not counted:"),
                location(&x.path, x.line),
                st.dim(&sanitize(&x.reason))
            );
        }
        if !opts.verbose && c.excluded.len() > 2 {
            let _ = writeln!(
                o,
                "{pad}{}",
                st.dim(&format!("(+{} more not counted)", c.excluded.len() - 2))
            );
        }
    }
}

/// The terminal width evidence lines are cut to (fixed, so the report is the same bytes
/// wherever it is printed).
const LINE_WIDTH: usize = 120;

fn history(o: &mut String, st: &Style, a: &Assessment) {
    let h = &a.history;
    let _ = writeln!(o);
    if !h.available {
        let _ = writeln!(
            o,
            "{} {}",
            st.bold("History:"),
            sanitize(h.unavailable_reason.as_deref().unwrap_or("not read"))
        );
        return;
    }
    let share = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{x:.0}%"));
    let _ = writeln!(
        o,
        "{} last {} days to {}: {} commits by {} authors ({} by bots), {} of {} first-parent commits via PR/MR ({}), {} version tags (previous window {}){}, signed commits {}, DCO {}",
        st.bold("History:"),
        h.window_days,
        h.window_end.as_deref().unwrap_or("?"),
        h.commits,
        h.authors,
        h.bot_commits,
        h.pr_based_commits,
        h.pr_share_denominator,
        share(h.pr_based_share),
        h.version_tags,
        h.version_tags_previous_window,
        h.median_days_between_releases.map_or(String::new(), |d| format!(", median {d:.1} days apart")),
        share(h.signed_commits_share),
        share(h.dco_share),
    );
}

fn diagnostics(o: &mut String, st: &Style, a: &Assessment, opts: &Options) {
    if a.diagnostics.is_empty() {
        return;
    }
    let errors = a
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{} {} ({} errors)",
        st.bold("Diagnostics:"),
        a.diagnostics.len(),
        errors
    );
    let limit = if opts.verbose { usize::MAX } else { 10 };
    for d in a.diagnostics.iter().take(limit) {
        let sev = match d.severity {
            Severity::Error => st.red("error"),
            Severity::Warning => st.yellow("warning"),
            Severity::Info => st.dim("info"),
        };
        let loc = d
            .path
            .as_deref()
            .map(|p| location(p, d.line))
            .unwrap_or_default();
        let _ = writeln!(o, "  {sev} {loc}: {}", sanitize(&d.message));
    }
    if a.diagnostics.len() > limit {
        let _ = writeln!(
            o,
            "  {}",
            st.dim(&format!(
                "(+{} more; --verbose shows all)",
                a.diagnostics.len() - limit
            ))
        );
    }
}
