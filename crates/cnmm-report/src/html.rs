//! A single self-contained HTML page: inline CSS, an inline SVG bar chart of the five
//! sections, per-criterion evidence with relative links to the files, and the history
//! facts. No scripts, no fonts or images fetched: it opens offline, from a CI artifact.
//!
//! Links are relative to the scanned root, so the page works when saved at the root of
//! the checkout (`cnmm scan -f html -o cnmm.html`). Every repository-controlled string
//! is sanitised and HTML-escaped; link targets are percent-encoded.

use crate::{gaps, is_file_path, xml_escape as esc, Gap, Options};
use cnmm_model::{
    level_name, Assessment, Confidence, CriterionResult, SectionResult, Status, MAX_LEVEL,
};
use std::fmt::Write;

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
.sub{color:#59636e}.chart{margin:1rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.crit{border:1px solid #d0d7de;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.crit h3{font-size:1rem;margin:.1rem 0 .3rem}.badge{display:inline-block;border-radius:1rem;padding:0 .55rem;font-size:.8rem;font-weight:600;margin-right:.4rem}
.met{background:#dafbe1;color:#116329}.unmet{background:#ffebe9;color:#a40e26}.unknown{background:#fff8c5;color:#7d4e00}
.waived{background:#ddf4ff;color:#0a3069}.not_applicable{background:#eaeef2;color:#424a53}
.gap{border-left:4px solid #cf222e}.fix{background:#f6f8fa;border-radius:4px;padding:.4rem .6rem;white-space:pre-wrap;font-size:.9rem}
code,.loc{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}ul{margin:.2rem 0;padding-left:1.2rem}
.excl{color:#59636e}.low{background:#fff8c5;color:#7d4e00;border:1px dashed #d4a72c}.doubt{color:#7d4e00}
.judged{color:#7d4e00;font-style:italic}
"#;

/// Percent-encodes a relative path for an `href`, keeping `/`.
fn href(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A location, linked when it names a file of the tree (never for `git:` pseudo paths,
/// and never for paths that try to leave the tree).
fn linked(path: &str, line: Option<u32>) -> String {
    let text = esc(&crate::location(path, line));
    let escapes_tree = path.starts_with('/') || path.split('/').any(|p| p == "..");
    if is_file_path(path) && !escapes_tree {
        format!("<a class=\"loc\" href=\"{}\">{text}</a>", href(path))
    } else {
        format!("<span class=\"loc\">{text}</span>")
    }
}

/// Horizontal bars, one per section, on a 0-5 scale; a dashed tick marks the target.
fn chart(a: &Assessment, opts: &Options) -> String {
    let (label_w, unit, bar_h, gap) = (150u32, 110u32, 28u32, 14u32);
    let top = 24u32;
    let width = label_w + unit * u32::from(MAX_LEVEL) + 50;
    let height = top + (bar_h + gap) * a.sections.len() as u32 + 10;
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Level per section\">"
    );
    for l in 0..=MAX_LEVEL {
        let x = label_w + unit * u32::from(l);
        let _ = write!(
            o,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#d0d7de\"/><text x=\"{x}\" y=\"14\" font-size=\"12\" text-anchor=\"middle\" fill=\"#59636e\">{}</text>",
            top - 4,
            height - 6,
            if l == 0 { String::new() } else { format!("{l} {}", level_name(l)) }
        );
    }
    for (i, s) in a.sections.iter().enumerate() {
        let y = top + (bar_h + gap) * i as u32;
        let w = unit * u32::from(s.level.min(MAX_LEVEL));
        let below = opts.targets.get(&s.id).is_some_and(|t| s.level < *t);
        let fill = if below { "#cf222e" } else { "#0969da" };
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" font-size=\"14\" text-anchor=\"end\" fill=\"#1f2328\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{bar_h}\" rx=\"4\" fill=\"{fill}\"><title>{}: level {}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#ffffff\" font-weight=\"bold\">{}</text>",
            label_w - 10,
            y + bar_h / 2 + 5,
            esc(&s.title),
            esc(&s.title),
            s.level,
            label_w + w.saturating_sub(18),
            y + bar_h / 2 + 5,
            s.level
        );
        if let Some(t) = opts.targets.get(&s.id) {
            let x = label_w + unit * u32::from((*t).min(MAX_LEVEL));
            let _ = write!(
                o,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#1f2328\" stroke-width=\"3\" stroke-dasharray=\"4 3\"><title>target {t}</title></line>",
                y - 3,
                y + bar_h + 3
            );
        }
    }
    o.push_str("</svg>");
    o
}

fn badge(s: Status) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        s.as_str(),
        s.as_str().replace('_', " ")
    )
}

fn criterion(o: &mut String, c: &CriterionResult, gap: Option<Gap>) {
    let class = if gap.is_some() { "crit gap" } else { "crit" };
    let _ = writeln!(
        o,
        "<div class=\"{class}\" id=\"{}\"><h3>{}{} — level {}: {}{}{}</h3>",
        esc(&c.id),
        badge(c.status),
        esc(&c.id),
        c.level,
        esc(&c.title),
        match gap {
            Some(Gap::BelowTarget) => " <em>(below target)</em>",
            Some(Gap::NextLevel) => " <em>(next level)</em>",
            None => "",
        },
        if c.confidence == Confidence::Low {
            " <span class=\"badge low\" title=\"this verdict rests on a judgement: double-check it\">low confidence</span>"
        } else {
            ""
        }
    );
    if let Some(r) = &c.reason {
        let _ = writeln!(o, "<p>{}</p>", esc(r));
    }
    for r in &c.confidence_reasons {
        let _ = writeln!(o, "<p class=\"doubt\">Low confidence: {}</p>", esc(r));
    }
    if !c.evidence.is_empty() || !c.excluded.is_empty() {
        o.push_str("<ul>");
        for e in &c.evidence {
            let judged = e.judgement.as_deref().map_or(String::new(), |j| {
                format!(" <span class=\"judged\">(judgement: {})</span>", esc(j))
            });
            let _ = write!(
                o,
                "<li>{} — {}{judged}</li>",
                linked(&e.path, e.line),
                esc(&e.detail)
            );
        }
        for x in &c.excluded {
            let _ = write!(
                o,
                "<li class=\"excl\">not counted: {} — {} ({})</li>",
                linked(&x.path, x.line),
                esc(&x.detail),
                esc(&x.reason)
            );
        }
        o.push_str("</ul>\n");
    }
    if gap.is_some() {
        let _ = writeln!(
            o,
            "<div class=\"fix\">{}</div>",
            esc(c.remediation.trim_end())
        );
    }
    o.push_str("</div>\n");
}

fn section(o: &mut String, s: &SectionResult, opts: &Options) {
    let _ = writeln!(
        o,
        "<h2 id=\"{}\">{} — level {} ({})</h2>",
        s.id.as_str(),
        esc(&s.title),
        s.level,
        esc(&s.level_name)
    );
    let flagged = gaps(s, &opts.targets);
    for c in &s.criteria {
        let gap = flagged
            .iter()
            .find(|(f, _)| std::ptr::eq(*f, c))
            .map(|(_, g)| *g);
        criterion(o, c, gap);
    }
}

fn history(o: &mut String, a: &Assessment) {
    let h = &a.history;
    o.push_str("<h2 id=\"history\">History</h2>\n");
    if !h.available {
        let _ = writeln!(
            o,
            "<p>Not read: {}</p>",
            esc(h.unavailable_reason.as_deref().unwrap_or("no history"))
        );
        return;
    }
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{x:.0}%"));
    let rows: Vec<(&str, String)> = vec![
        (
            "Window",
            format!(
                "{} days to {}",
                h.window_days,
                h.window_end.as_deref().unwrap_or("?")
            ),
        ),
        ("Shallow clone", if h.shallow { "yes" } else { "no" }.into()),
        ("Commits", h.commits.to_string()),
        ("First-parent commits", h.first_parent_commits.to_string()),
        ("Merge commits", h.merge_commits.to_string()),
        (
            "Via PR/MR",
            format!(
                "{} of {} ({})",
                h.pr_based_commits,
                h.pr_share_denominator,
                pct(h.pr_based_share)
            ),
        ),
        ("Release commits", h.release_commits.to_string()),
        ("Authors", h.authors.to_string()),
        ("Bot commits", h.bot_commits.to_string()),
        (
            "Version tags",
            format!(
                "{} (previous window {})",
                h.version_tags, h.version_tags_previous_window
            ),
        ),
        (
            "Median days between releases",
            h.median_days_between_releases
                .map_or("n/a".into(), |d| format!("{d:.1}")),
        ),
        (
            "Signed commits",
            format!("{} ({})", h.signed_commits, pct(h.signed_commits_share)),
        ),
        ("Signed tags", h.signed_tags.to_string()),
        ("Reverts", h.reverts.to_string()),
        ("Hotfix commits", h.hotfix_commits.to_string()),
        (
            "DCO sign-offs",
            format!("{} ({})", h.dco_signed_off, pct(h.dco_share)),
        ),
    ];
    o.push_str("<table>\n");
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    o.push_str("</table>\n");
}

/// The start of a self-contained page, up to `<body>`: `title` (escaped here) and an
/// inline style sheet.
pub fn page_head(title: &str, style: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n",
        esc(title)
    )
}

pub fn render(a: &Assessment, opts: &Options) -> String {
    let mut o = String::new();
    o.push_str(&page_head(&format!("cnmm — {}", a.target.path), STYLE));
    let _ = writeln!(
        o,
        "<h1>Cloud Native Maturity — Process: {}</h1>",
        esc(&a.target.path)
    );
    let head = match &a.target.head {
        Some(h) => format!(" at commit <code>{}</code>", esc(&h[..h.len().min(12)])),
        None => String::new(),
    };
    let _ = writeln!(
        o,
        "<p class=\"sub\">Overall level <strong>{}</strong> ({}){head}; cnmm {}, report schema {}.</p>",
        a.summary.overall,
        level_name(a.summary.overall),
        esc(&a.tool.version),
        esc(&a.schema_version)
    );
    o.push_str(&chart(a, opts));
    o.push_str("\n<table>\n<tr><th>Section</th><th>Level</th><th>Target</th><th>Next level needs</th></tr>\n");
    for s in &a.sections {
        let target = opts
            .targets
            .get(&s.id)
            .map_or("—".to_string(), |t| t.to_string());
        let needs: Vec<String> = s
            .next_level_missing
            .iter()
            .map(|id| format!("<a href=\"#{0}\">{0}</a>", esc(id)))
            .collect();
        let _ =
            writeln!(
            o,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{} {}</td><td>{target}</td><td>{}</td></tr>",
            s.id.as_str(),
            esc(&s.title),
            s.level,
            level_name(s.level),
            if needs.is_empty() { "—".into() } else { needs.join(", ") }
        );
    }
    o.push_str("</table>\n");
    for s in &a.sections {
        section(&mut o, s, opts);
    }
    history(&mut o, a);
    if !a.diagnostics.is_empty() {
        o.push_str("<h2 id=\"diagnostics\">Diagnostics</h2>\n<ul>\n");
        for d in &a.diagnostics {
            let loc = d
                .path
                .as_deref()
                .map(|p| format!("{} ", linked(p, d.line)))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "<li>{} {loc}{}</li>",
                d.severity.as_str(),
                esc(&d.message)
            );
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</body>\n</html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{assert_no_controls, assessment};
    use cnmm_model::SectionId;

    fn html(targets: &[(SectionId, u8)]) -> String {
        let opts = Options {
            targets: targets.iter().copied().collect(),
            ..Options::default()
        };
        let out = render(&assessment(), &opts);
        assert_no_controls(&out);
        out
    }

    #[test]
    fn self_contained_page_with_a_chart_of_the_five_sections() {
        let page = html(&[(SectionId::CiCd, 3)]);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.ends_with("</html>\n"));
        // Nothing to fetch, nothing to run.
        assert!(!page.contains("<script"));
        assert!(!page.contains("http://") || page.matches("http://").count() == 1);
        assert!(!page.contains("https://"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("<img"));
        let svg = &page[page.find("<svg").expect("svg")..page.find("</svg>").expect("end")];
        assert_eq!(svg.matches("<rect").count(), 5);
        // Below its target, CI/CD is drawn red with a target tick.
        assert!(svg.contains("fill=\"#cf222e\"><title>CI/CD: level 2</title>"));
        assert_eq!(svg.matches("<title>target 3</title>").count(), 1);
    }

    #[test]
    fn evidence_links_are_relative_and_history_is_not_linked() {
        let page = html(&[]);
        assert!(page.contains("<a class=\"loc\" href=\"CONTRIBUTING.md\">CONTRIBUTING.md:1</a>"));
        assert!(page.contains("<span class=\"loc\">git:tags</span>"));
        assert!(page.contains(
            "href=\".github/workflows/%1B%5B31mevil%3Cb%3E%26%22.yml\">.github/workflows/?[31mevil&lt;b&gt;&amp;&quot;.yml:12</a>"
        ));
        assert!(!page.contains("<b>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("<tr><th>Via PR/MR</th><td>60 of 75 (80%)</td></tr>"));
    }

    #[test]
    fn paths_leaving_the_tree_are_not_linked() {
        assert_eq!(
            linked("../etc/passwd", None),
            "<span class=\"loc\">../etc/passwd</span>"
        );
        assert_eq!(
            linked("/etc/passwd", None),
            "<span class=\"loc\">/etc/passwd</span>"
        );
    }
}
