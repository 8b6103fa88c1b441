//! The views of a timeline: text (a terminal), Markdown (an issue or a job summary),
//! CSV (a spreadsheet: one row per point and criterion), JSON (the contract) and HTML
//! (a page with a step chart per section).

use super::{Point, PointChange, Timeline};
use crate::diff::CriterionChange;
use crate::UserError;
use cnmm_model::text::{sanitize, truncate};
use cnmm_model::{Evidence, SectionId};
use std::fmt::Write;

#[path = "html.rs"]
mod html;

pub const FORMATS: &[&str] = &["text", "json", "markdown", "csv", "html"];

pub struct Options {
    pub color: bool,
    pub verbose: bool,
}

pub fn render(format: &str, t: &Timeline, o: &Options) -> Result<String, UserError> {
    Ok(match format {
        "text" => text(t, o),
        "json" => {
            let mut s = serde_json::to_string_pretty(t)
                .map_err(|e| UserError(format!("cannot serialise the timeline: {e}")))?;
            s.push('\n');
            s
        }
        "markdown" => markdown(t),
        "csv" => csv(t),
        "html" => html::render(t),
        other => return Err(UserError(format!("unknown timeline format `{other}`"))),
    })
}

/// Column headings short enough for a terminal table.
fn short_title(id: SectionId) -> &'static str {
    match id {
        SectionId::Process => "Process",
        SectionId::AuditLogs => "Audit",
        SectionId::CiCd => "CI/CD",
        SectionId::ChangeControl => "Change",
        SectionId::Security => "Security",
    }
}

fn short_commit(p: &Point) -> &str {
    p.commit.as_deref().map_or("-", |c| &c[..c.len().min(12)])
}

fn day(p: &Point) -> &str {
    p.date.as_deref().map_or("-", |d| &d[..d.len().min(10)])
}

/// One block character per level (1 to 5); `·` where a point was not assessed.
pub(crate) fn spark(level: Option<u8>) -> char {
    match level {
        Some(1) => '▁',
        Some(2) => '▂',
        Some(3) => '▄',
        Some(4) => '▆',
        Some(5) => '█',
        _ => '·',
    }
}

fn first_last(t: &Timeline, level: impl Fn(&Point) -> Option<u8>) -> Option<(u8, u8)> {
    let mut assessed = t.points.iter().filter_map(&level);
    let first = assessed.next()?;
    Some((first, assessed.last().unwrap_or(first)))
}

/// The evidence items shown for a change: three unless verbose, each on one line.
fn evidence_lines(c: &CriterionChange, verbose: bool) -> Vec<String> {
    let shown = if verbose { usize::MAX } else { 3 };
    let mut out: Vec<String> = c
        .evidence
        .iter()
        .take(shown)
        .map(|e| evidence_line(e, if verbose { 400 } else { 110 }))
        .collect();
    if c.evidence.len() > shown {
        out.push(format!(
            "... and {} more (--verbose)",
            c.evidence.len() - shown
        ));
    }
    out.extend(c.why_not.iter().map(|w| truncate(w, 160)));
    out
}

fn evidence_line(e: &Evidence, width: usize) -> String {
    let loc = match e.line {
        Some(l) => format!("{}:{l}", sanitize(&e.path)),
        None => sanitize(&e.path),
    };
    format!("{loc}  {}", truncate(&sanitize(&e.detail), width))
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn text(t: &Timeline, o: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cnmm timeline — {}: {} ({})",
        sanitize(&t.target),
        count(t.points.len(), "point"),
        t.selection
    );
    if t.points.len() == 1 {
        let _ = writeln!(
            out,
            "Only HEAD: no other point was found; choose points with `--every 90d --since 2y` or `--rev REV`"
        );
    }
    let _ = writeln!(
        out,
        "Each point as `cnmm scan --rev POINT` judges it; history window: {} days before each point",
        t.window_days
    );
    let _ = writeln!(out);
    let labels: Vec<String> = t
        .points
        .iter()
        .map(|p| truncate(&sanitize(&p.label()), 28))
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut head = format!("  {:<width$}  {:<10}  {:<12}", "point", "date", "commit");
    for id in SectionId::ALL {
        let _ = write!(head, "  {:>8}", short_title(id));
    }
    let _ = write!(head, "  {:>7}", "Overall");
    let _ = writeln!(out, "{}", paint(&head, "1", o.color));
    for (p, label) in t.points.iter().zip(&labels) {
        let mut row = format!(
            "  {:<width$}  {:<10}  {:<12}",
            label,
            day(p),
            short_commit(p)
        );
        match (&p.sections, &p.unavailable) {
            (Some(levels), _) => {
                for id in SectionId::ALL {
                    let _ = write!(row, "  {:>8}", levels.get(id));
                }
                let _ = write!(row, "  {:>7}", p.overall.unwrap_or(0));
                if !p.history_available {
                    row.push_str("  (no history)");
                }
            }
            (None, Some(why)) => {
                let _ = write!(row, "  unavailable: {}", truncate(&sanitize(why), 100));
            }
            (None, None) => {}
        }
        let _ = writeln!(out, "{row}");
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "Trend (oldest → newest)");
    let mut trend = |title: &str, level: &dyn Fn(&Point) -> Option<u8>| {
        let line: String = t.points.iter().map(|p| spark(level(p))).collect();
        let ends = first_last(t, level)
            .map(|(a, b)| format!("{a} → {b}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {title:<16} {line}  {ends}");
    };
    for id in SectionId::ALL {
        trend(id.title(), &|p: &Point| p.level(id));
    }
    trend("Overall", &|p: &Point| p.overall);

    let _ = writeln!(out);
    let changed: Vec<&PointChange> = t
        .changes
        .iter()
        .filter(|c| !c.gained.is_empty() || !c.lost.is_empty() || !c.sections.is_empty())
        .collect();
    if changed.is_empty() {
        let _ = writeln!(out, "Changes: none between the points assessed");
    } else {
        let _ = writeln!(out, "Changes");
    }
    for c in changed {
        let (from, to) = (&t.points[c.from], &t.points[c.to]);
        let _ = writeln!(
            out,
            "  {} → {} ({})",
            sanitize(&from.label()),
            sanitize(&to.label()),
            day(to)
        );
        for s in &c.sections {
            let arrow = if s.head > s.base {
                paint("up", "32", o.color)
            } else {
                paint("DOWN", "31", o.color)
            };
            let _ = writeln!(out, "    {} {} → {} ({arrow})", s.title, s.base, s.head);
        }
        for (sign, list, code) in [("+", &c.gained, "32"), ("-", &c.lost, "31")] {
            for cr in list {
                let _ = writeln!(
                    out,
                    "    {} {:<4} {} (level {}; {} → {})",
                    paint(sign, code, o.color),
                    cr.id,
                    sanitize(&cr.title),
                    cr.level,
                    cr.base_status.as_str(),
                    cr.head_status.as_str()
                );
                for l in evidence_lines(cr, o.verbose) {
                    let _ = writeln!(out, "           {l}");
                }
            }
        }
    }

    let noisy: Vec<&Point> = t
        .points
        .iter()
        .filter(|p| !p.diagnostics.is_empty())
        .collect();
    if !noisy.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Diagnostics (errors and warnings per point; `cnmm scan --rev COMMIT` shows them all)"
        );
        for p in noisy {
            let first = &p.diagnostics[0];
            let loc = match (&first.path, first.line) {
                (Some(path), Some(l)) => format!("{}:{l}", sanitize(path)),
                (Some(path), None) => sanitize(path),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {} ({}): {} — first: {loc} {}",
                sanitize(&p.label()),
                short_commit(p),
                count(p.diagnostics.len(), "diagnostic"),
                truncate(&sanitize(&first.message), 100)
            );
        }
    }
    if t.regression {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            paint(
                "Regression: the last point is below the point before it in at least one section",
                "31",
                o.color
            )
        );
    }
    out
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn markdown(t: &Timeline) -> String {
    use cnmm_report::markdown::escape;
    let mut o = String::new();
    let _ = writeln!(o, "## cnmm timeline: {}", escape(&t.target));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{} points: {}; history window {} days before each point.",
        t.points.len(),
        t.selection,
        t.window_days
    );
    let _ = writeln!(o);
    let mut head = String::from("| Point | Date | Commit |");
    let mut rule = String::from("|---|---|---|");
    for id in SectionId::ALL {
        let _ = write!(head, " {} |", id.title());
        rule.push_str("---:|");
    }
    head.push_str(" Overall |");
    rule.push_str("---:|");
    let _ = writeln!(o, "{head}\n{rule}");
    for p in &t.points {
        let mut row = format!(
            "| {} | {} | `{}` |",
            escape(&p.label()),
            day(p),
            short_commit(p)
        );
        match &p.sections {
            Some(levels) => {
                for id in SectionId::ALL {
                    let _ = write!(row, " {} |", levels.get(id));
                }
                let _ = write!(row, " **{}** |", p.overall.unwrap_or(0));
            }
            None => {
                let why = p.unavailable.as_deref().unwrap_or("not assessed");
                let _ = write!(row, " unavailable: {} | | | | | |", escape(why));
            }
        }
        let _ = writeln!(o, "{row}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "| Section | Trend (oldest → newest) |");
    let _ = writeln!(o, "|---|---|");
    for id in SectionId::ALL {
        let line: String = t.points.iter().map(|p| spark(p.level(id))).collect();
        let _ = writeln!(o, "| {} | `{line}` |", id.title());
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "### Changes");
    let _ = writeln!(o);
    let mut any = false;
    for c in &t.changes {
        if c.gained.is_empty() && c.lost.is_empty() && c.sections.is_empty() {
            continue;
        }
        any = true;
        let (from, to) = (&t.points[c.from], &t.points[c.to]);
        let _ = writeln!(
            o,
            "#### {} → {}",
            escape(&from.label()),
            escape(&to.label())
        );
        let _ = writeln!(o);
        for s in &c.sections {
            let mark = if s.head > s.base { "⬆️" } else { "🔻" };
            let _ = writeln!(o, "- {mark} **{}** {} → {}", s.title, s.base, s.head);
        }
        for (label, list) in [("Gained", &c.gained), ("Lost", &c.lost)] {
            for cr in list {
                let _ = writeln!(
                    o,
                    "<details><summary>{label}: {} {} (level {}: {} → {})</summary>",
                    escape(&cr.id),
                    escape(&cr.title),
                    cr.level,
                    cr.base_status.as_str(),
                    cr.head_status.as_str()
                );
                let _ = writeln!(o);
                for l in evidence_lines(cr, true) {
                    let _ = writeln!(o, "- {}", escape(&l));
                }
                let _ = writeln!(o);
                let _ = writeln!(o, "</details>");
                let _ = writeln!(o);
            }
        }
    }
    if !any {
        let _ = writeln!(o, "None between the points assessed.");
    }
    if t.regression {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "**Regression:** the last point is below the point before it in at least one section."
        );
    }
    o
}

use crate::output::csv_field as field;

fn csv(t: &Timeline) -> String {
    let mut o = String::from(
        "point,labels,kind,commit,date,section,section_level,criterion,criterion_level,status,confidence\n",
    );
    for (i, p) in t.points.iter().enumerate() {
        let lead = format!(
            "{i},{},{},{},{}",
            field(&p.labels.join(" ")),
            p.kind.as_str(),
            p.commit.as_deref().unwrap_or(""),
            p.date.as_deref().unwrap_or("")
        );
        if p.criteria.is_empty() {
            let _ = writeln!(o, "{lead},,,,,unavailable,");
            continue;
        }
        for c in &p.criteria {
            let _ = writeln!(
                o,
                "{lead},{},{},{},{},{},{}",
                c.section.as_str(),
                p.level(c.section).unwrap_or(0),
                field(&c.id),
                c.level,
                c.status.as_str(),
                c.confidence.as_str()
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparks_follow_the_levels() {
        let s: String = [Some(1), Some(3), None, Some(5)]
            .into_iter()
            .map(spark)
            .collect();
        assert_eq!(s, "▁▄·█");
    }
}
