//! The timeline as one self-contained HTML page: a table of the points, an inline SVG
//! step chart per section (and overall), and the changes with their evidence. No
//! scripts, nothing fetched; every repository-controlled string is escaped.

use super::{Point, Timeline};
use cnmm_model::SectionId;
use cnmm_report::xml_escape as esc;
use std::fmt::Write;

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
.sub{color:#59636e}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
.na{color:#59636e;font-style:italic}.up{color:#116329;font-weight:600}.down{color:#a40e26;font-weight:600}
.chart{margin:.4rem 0 1.2rem}.chart h3{font-size:1rem;margin:.2rem 0}
ul{margin:.2rem 0;padding-left:1.2rem}details{margin:.15rem 0}.reg{background:#ffebe9;border:1px solid #cf222e;border-radius:6px;padding:.5rem .8rem}
"#;

const W: f64 = 1000.0;
const H: f64 = 150.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 10.0;
const PLOT_H: f64 = 90.0;

fn x_of(i: usize, n: usize) -> f64 {
    if n <= 1 {
        return LEFT + (W - LEFT - RIGHT) / 2.0;
    }
    LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64
}

fn y_of(level: u8) -> f64 {
    TOP + PLOT_H * (5.0 - f64::from(level.clamp(1, 5))) / 4.0
}

/// A step chart of one level series: each point's level holds until the next point;
/// points not assessed break the line.
fn chart(title: &str, t: &Timeline, level: &dyn Fn(&Point) -> Option<u8>) -> String {
    let n = t.points.len();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<div class="chart"><h3>{}</h3><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{} level per point">"#,
        esc(title),
        esc(title)
    );
    for l in 1..=5u8 {
        let y = y_of(l);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#eaeef2"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#59636e">{l}</text>"##,
            W - RIGHT,
            LEFT - 8.0,
            y + 4.0
        );
    }
    let mut path = String::new();
    // Whether the line is drawn up to the previous point.
    let mut drawing = false;
    for (i, p) in t.points.iter().enumerate() {
        let x = x_of(i, n);
        match level(p) {
            Some(l) => {
                let y = y_of(l);
                if drawing {
                    let _ = write!(path, " H{x:.1} V{y:.1}");
                } else {
                    let _ = write!(path, " M{x:.1} {y:.1}");
                }
                drawing = true;
                let _ = write!(
                    s,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="#0969da"><title>{}: level {l}</title></circle>"##,
                    esc(&p.label())
                );
            }
            None => {
                drawing = false;
                let _ = write!(
                    s,
                    r##"<text x="{x:.1}" y="{}" font-size="12" text-anchor="middle" fill="#a40e26">×<title>{}: not assessed</title></text>"##,
                    TOP + PLOT_H / 2.0,
                    esc(&p.label())
                );
            }
        }
    }
    let _ = write!(
        s,
        r##"<path d="{}" fill="none" stroke="#0969da" stroke-width="2"/>"##,
        path.trim()
    );
    // Every label when they fit, else about twelve of them.
    let step = n.div_ceil(12).max(1);
    for (i, p) in t.points.iter().enumerate() {
        if i % step != 0 && i != n - 1 {
            continue;
        }
        let mut label = p.label();
        if label.chars().count() > 22 {
            label = label.chars().take(21).collect::<String>() + "…";
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" fill="#424a53">{}</text>"##,
            x_of(i, n),
            TOP + PLOT_H + 24.0 + if (i / step) % 2 == 1 { 14.0 } else { 0.0 },
            esc(&label)
        );
    }
    s.push_str("</svg></div>\n");
    s
}

pub fn render(t: &Timeline) -> String {
    let mut o = String::new();
    o.push_str(&cnmm_report::html::page_head(
        &format!("cnmm timeline: {}", t.target),
        STYLE,
    ));
    let _ = writeln!(o, "<h1>cnmm timeline: {}</h1>", esc(&t.target));
    let _ = writeln!(
        o,
        "<p class=\"sub\">{} points: {}. Each point as <code>cnmm scan --rev POINT</code> judges it, with the {} days of history before it.</p>",
        t.points.len(),
        esc(&t.selection),
        t.window_days
    );
    if t.regression {
        let _ = writeln!(
            o,
            "<p class=\"reg\">Regression: the last point is below the point before it in at least one section.</p>"
        );
    }
    let _ = writeln!(o, "<h2>Levels per section</h2>");
    for id in SectionId::ALL {
        o.push_str(&chart(id.title(), t, &|p: &Point| p.level(id)));
    }
    o.push_str(&chart("Overall", t, &|p: &Point| p.overall));

    let _ = writeln!(
        o,
        "<h2>Points</h2>\n<table>\n<tr><th>Point</th><th>Date</th><th>Commit</th>"
    );
    for id in SectionId::ALL {
        let _ = write!(o, "<th>{}</th>", esc(id.title()));
    }
    let _ = writeln!(o, "<th>Overall</th></tr>");
    for p in &t.points {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td>",
            esc(&p.label()),
            esc(p.date.as_deref().map_or("-", |d| &d[..d.len().min(10)])),
            esc(p.commit.as_deref().map_or("-", |c| &c[..c.len().min(12)]))
        );
        match &p.sections {
            Some(levels) => {
                for id in SectionId::ALL {
                    let _ = write!(o, "<td class=\"n\">{}</td>", levels.get(id));
                }
                let _ = write!(o, "<td class=\"n\"><b>{}</b></td>", p.overall.unwrap_or(0));
            }
            None => {
                let _ = write!(
                    o,
                    "<td colspan=\"6\" class=\"na\">unavailable: {}</td>",
                    esc(p.unavailable.as_deref().unwrap_or("not assessed"))
                );
            }
        }
        let _ = writeln!(o, "</tr>");
    }
    let _ = writeln!(o, "</table>");

    let _ = writeln!(o, "<h2>Changes</h2>");
    let changed: Vec<_> = t
        .changes
        .iter()
        .filter(|c| !c.gained.is_empty() || !c.lost.is_empty() || !c.sections.is_empty())
        .collect();
    if changed.is_empty() {
        let _ = writeln!(o, "<p>None between the points assessed.</p>");
    } else {
        let _ = writeln!(
            o,
            "<table>\n<tr><th>From → to</th><th>Levels</th><th>Criteria gained and lost, with evidence</th></tr>"
        );
        for c in changed {
            let (from, to) = (&t.points[c.from], &t.points[c.to]);
            let _ = write!(
                o,
                "<tr><td>{} → {}</td><td>",
                esc(&from.label()),
                esc(&to.label())
            );
            for s in &c.sections {
                let class = if s.head > s.base { "up" } else { "down" };
                let _ = write!(
                    o,
                    "<div class=\"{class}\">{} {} → {}</div>",
                    esc(&s.title),
                    s.base,
                    s.head
                );
            }
            let _ = write!(o, "</td><td>");
            for (sign, class, list) in [("+", "up", &c.gained), ("−", "down", &c.lost)] {
                for cr in list {
                    let _ = write!(
                        o,
                        "<details><summary><span class=\"{class}\">{sign} {}</span> {} (level {}; {} → {})</summary><ul>",
                        esc(&cr.id),
                        esc(&cr.title),
                        cr.level,
                        cr.base_status.as_str(),
                        cr.head_status.as_str()
                    );
                    for e in &cr.evidence {
                        let loc = match e.line {
                            Some(l) => format!("{}:{l}", e.path),
                            None => e.path.clone(),
                        };
                        let _ = write!(o, "<li><code>{}</code> {}</li>", esc(&loc), esc(&e.detail));
                    }
                    for w in &cr.why_not {
                        let _ = write!(o, "<li class=\"na\">{}</li>", esc(w));
                    }
                    o.push_str("</ul></details>");
                }
            }
            let _ = writeln!(o, "</td></tr>");
        }
        let _ = writeln!(o, "</table>");
    }
    let _ = writeln!(
        o,
        "<p class=\"sub\">cnmm {} · timeline schema {}</p>\n</body>\n</html>",
        esc(&t.tool.version),
        esc(&t.schema_version)
    );
    o
}
