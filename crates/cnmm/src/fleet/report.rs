//! `cnmm fleet report`: the organisation's view of the latest run — level distribution
//! per section, repositories × sections, the criteria that would lift the most
//! repositories by a level, the trend over runs, and what regressed since the run
//! before. Built from the database only, in identity order, so the same results give
//! the same bytes however they were written (sharded or not).

use super::db::Db;
use crate::gate::Targets;
use crate::UserError;
use cnmm_model::text::sanitize;
use cnmm_model::{SectionId, SectionLevels};
use rusqlite::params;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

pub const FORMATS: &[&str] = &["html", "markdown", "csv", "json"];
pub const FLEET_REPORT_SCHEMA_VERSION: &str = "1.0";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FleetReport {
    pub schema_version: String,
    pub tool: cnmm_model::Tool,
    /// The run reported (the latest).
    pub run: RunInfo,
    /// Every run, oldest first, with its mean levels.
    pub trend: Vec<RunTrend>,
    /// The repositories of the run, by identity.
    pub repositories: Vec<RepositoryRow>,
    /// Repositories at each level (index 0 = level 1), per section and overall.
    pub distribution: Vec<Distribution>,
    /// The criteria that would raise the most repositories by a level.
    pub next_steps: Vec<NextStep>,
    /// Sections whose level dropped since the previous run.
    pub regressions: Vec<Regression>,
    /// With `--fail-below`: the repositories below the target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub below_target: Vec<BelowTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunInfo {
    pub id: i64,
    pub label: Option<String>,
    /// `complete`, or `running` for a run that was stopped before its end.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunTrend {
    pub id: i64,
    pub label: Option<String>,
    pub assessed: u32,
    pub errors: u32,
    /// Mean level per section (and `overall`) over the assessed repositories, to one
    /// decimal.
    pub mean: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RepositoryRow {
    pub identity: String,
    pub name: String,
    /// `scanned`, `unchanged` or `error`.
    pub status: String,
    pub commit: Option<String>,
    pub overall: Option<u8>,
    pub sections: Option<SectionLevels>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Distribution {
    /// A section id, or `overall`.
    pub section: String,
    pub levels: [u32; 5],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NextStep {
    pub criterion: String,
    pub section: SectionId,
    pub level: u8,
    pub title: String,
    /// Repositories for which it is the only criterion missing for the section's next
    /// level: meeting it raises them by a level.
    pub lifts: u32,
    /// Repositories whose next level it is among the missing criteria of.
    pub blocks: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Regression {
    pub identity: String,
    pub section: SectionId,
    pub from: u8,
    pub to: u8,
    /// The run compared with.
    pub since_run: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BelowTarget {
    pub identity: String,
    /// `section: level < target` for each section below.
    pub sections: Vec<String>,
}

fn sql(e: rusqlite::Error) -> UserError {
    UserError(format!("the fleet database: {e}"))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Section levels of each assessed repository of `run`, by identity.
fn levels_of_run(db: &Db, run: i64) -> Result<BTreeMap<String, SectionLevels>, UserError> {
    let mut st = db
        .conn
        .prepare(
            "SELECT r.identity, l.section, l.level FROM run_repositories x
             JOIN repositories r ON r.id = x.repository_id
             JOIN section_levels l ON l.assessment_id = x.assessment_id
             WHERE x.run_id = ?1 AND x.status != 'error'",
        )
        .map_err(sql)?;
    let rows = st
        .query_map([run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u8>(2)?,
            ))
        })
        .map_err(sql)?;
    let mut out: BTreeMap<String, SectionLevels> = BTreeMap::new();
    for row in rows {
        let (id, section, level) = row.map_err(sql)?;
        let e = out.entry(id).or_insert(SectionLevels {
            process: 1,
            audit_logs: 1,
            ci_cd: 1,
            change_control: 1,
            security: 1,
        });
        match SectionId::parse(&section) {
            Some(SectionId::Process) => e.process = level,
            Some(SectionId::AuditLogs) => e.audit_logs = level,
            Some(SectionId::CiCd) => e.ci_cd = level,
            Some(SectionId::ChangeControl) => e.change_control = level,
            Some(SectionId::Security) => e.security = level,
            None => {}
        }
    }
    Ok(out)
}

fn overall(l: &SectionLevels) -> u8 {
    SectionId::ALL.iter().map(|&s| l.get(s)).min().unwrap_or(1)
}

/// Builds the report of the latest run.
pub fn build(db: &Db, targets: &Targets) -> Result<FleetReport, UserError> {
    let runs: Vec<(i64, Option<String>, String)> = {
        let mut st = db
            .conn
            .prepare("SELECT id, label, status FROM runs ORDER BY id")
            .map_err(sql)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)?
    };
    let Some((run, label, status)) = runs.last().cloned() else {
        return Err(UserError(
            "the fleet database holds no run yet; run `cnmm fleet scan SOURCES --db FILE` first"
                .into(),
        ));
    };
    let mut trend = Vec::new();
    let mut per_run_levels: BTreeMap<i64, BTreeMap<String, SectionLevels>> = BTreeMap::new();
    for (id, l, _) in &runs {
        let levels = levels_of_run(db, *id)?;
        let errors: u32 = db
            .conn
            .query_row(
                "SELECT COUNT(*) FROM run_repositories WHERE run_id = ?1 AND status = 'error'",
                [id],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let n = levels.len().max(1) as f64;
        let mut mean = BTreeMap::new();
        for s in SectionId::ALL {
            let sum: f64 = levels.values().map(|v| f64::from(v.get(s))).sum();
            mean.insert(s.as_str().to_string(), round1(sum / n));
        }
        let sum: f64 = levels.values().map(|v| f64::from(overall(v))).sum();
        mean.insert("overall".to_string(), round1(sum / n));
        trend.push(RunTrend {
            id: *id,
            label: l.clone(),
            assessed: levels.len() as u32,
            errors,
            mean,
        });
        per_run_levels.insert(*id, levels);
    }
    let latest = per_run_levels.get(&run).cloned().unwrap_or_default();

    let mut repositories = Vec::new();
    {
        let mut st = db
            .conn
            .prepare(
                "SELECT r.identity, r.name, x.status, a.commit_id, a.overall, x.error
                 FROM run_repositories x JOIN repositories r ON r.id = x.repository_id
                 LEFT JOIN assessments a ON a.id = x.assessment_id
                 WHERE x.run_id = ?1 ORDER BY r.identity",
            )
            .map_err(sql)?;
        let rows = st
            .query_map([run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<u8>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(sql)?;
        for row in rows {
            let (identity, name, status, commit, ov, error) = row.map_err(sql)?;
            repositories.push(RepositoryRow {
                sections: latest.get(&identity).cloned(),
                identity,
                name,
                status,
                commit,
                overall: ov,
                error,
            });
        }
    }

    let mut distribution = Vec::new();
    for s in SectionId::ALL {
        let mut levels = [0u32; 5];
        for l in latest.values() {
            levels[usize::from(l.get(s).clamp(1, 5) - 1)] += 1;
        }
        distribution.push(Distribution {
            section: s.as_str().to_string(),
            levels,
        });
    }
    let mut levels = [0u32; 5];
    for l in latest.values() {
        levels[usize::from(overall(l).clamp(1, 5) - 1)] += 1;
    }
    distribution.push(Distribution {
        section: "overall".into(),
        levels,
    });

    // Next steps: the criteria missing for each repository's next level, per section.
    let mut missing: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    {
        let mut st = db
            .conn
            .prepare(
                "SELECT r.identity, c.section, c.criterion FROM run_repositories x
                 JOIN repositories r ON r.id = x.repository_id
                 JOIN criteria c ON c.assessment_id = x.assessment_id
                 WHERE x.run_id = ?1 AND x.status != 'error' AND c.next_level_missing = 1",
            )
            .map_err(sql)?;
        let rows = st
            .query_map(params![run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(sql)?;
        for row in rows {
            let (id, section, c) = row.map_err(sql)?;
            missing.entry((id, section)).or_default().insert(c);
        }
    }
    let mut tally: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for set in missing.values() {
        for c in set {
            let t = tally.entry(c.clone()).or_default();
            t.1 += 1;
            if set.len() == 1 {
                t.0 += 1;
            }
        }
    }
    let (rules, _) = crate::scan::load_rules(&[])?;
    let mut next_steps: Vec<NextStep> = tally
        .into_iter()
        .filter_map(|(c, (lifts, blocks))| {
            let r = rules.rule(&c)?;
            Some(NextStep {
                section: r.section,
                level: r.level,
                title: r.title.clone(),
                criterion: c,
                lifts,
                blocks,
            })
        })
        .collect();
    next_steps.sort_by(|a, b| {
        (b.lifts, b.blocks, a.level, &a.criterion).cmp(&(a.lifts, a.blocks, b.level, &b.criterion))
    });
    next_steps.truncate(15);

    let mut regressions = Vec::new();
    if let Some((&prev, prev_levels)) = per_run_levels.range(..run).next_back() {
        for (id, now) in &latest {
            let Some(before) = prev_levels.get(id) else {
                continue;
            };
            for s in SectionId::ALL {
                if now.get(s) < before.get(s) {
                    regressions.push(Regression {
                        identity: id.clone(),
                        section: s,
                        from: before.get(s),
                        to: now.get(s),
                        since_run: prev,
                    });
                }
            }
        }
    }

    let mut below_target = Vec::new();
    for (id, l) in &latest {
        let secs: Vec<String> = targets
            .sections
            .iter()
            .filter(|(s, t)| l.get(**s) < **t)
            .map(|(s, t)| format!("{}: {} < {t}", s.as_str(), l.get(*s)))
            .collect();
        if !secs.is_empty() {
            below_target.push(BelowTarget {
                identity: id.clone(),
                sections: secs,
            });
        }
    }
    Ok(FleetReport {
        schema_version: FLEET_REPORT_SCHEMA_VERSION.into(),
        tool: cnmm_model::Tool {
            name: "cnmm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        run: RunInfo {
            id: run,
            label,
            status,
        },
        trend,
        repositories,
        distribution,
        next_steps,
        regressions,
        below_target,
    })
}

pub fn render(format: &str, r: &FleetReport) -> Result<String, UserError> {
    Ok(match format {
        "json" => {
            let mut s = serde_json::to_string_pretty(r)
                .map_err(|e| UserError(format!("cannot serialise the report: {e}")))?;
            s.push('\n');
            s
        }
        "csv" => csv(r),
        "markdown" => markdown(r),
        "html" => html(r),
        other => return Err(UserError(format!("unknown fleet report format `{other}`"))),
    })
}

fn section_title(key: &str) -> &'static str {
    SectionId::parse(key).map_or("Overall", |s| s.title())
}

use crate::output::csv_field as field;

fn csv(r: &FleetReport) -> String {
    let mut o = String::from(
        "identity,name,status,commit,overall,process,audit_logs,ci_cd,change_control,security,error\n",
    );
    for x in &r.repositories {
        let lv = |s: SectionId| {
            x.sections
                .as_ref()
                .map_or(String::new(), |l| l.get(s).to_string())
        };
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{},{}",
            field(&x.identity),
            field(&x.name),
            x.status,
            x.commit.as_deref().unwrap_or(""),
            x.overall.map_or(String::new(), |v| v.to_string()),
            lv(SectionId::Process),
            lv(SectionId::AuditLogs),
            lv(SectionId::CiCd),
            lv(SectionId::ChangeControl),
            lv(SectionId::Security),
            field(x.error.as_deref().unwrap_or(""))
        );
    }
    o
}

fn run_name(id: i64, label: &Option<String>) -> String {
    match label {
        Some(l) => format!("run {id} ({})", sanitize(l)),
        None => format!("run {id}"),
    }
}

fn markdown(r: &FleetReport) -> String {
    use cnmm_report::markdown::escape;
    let mut o = String::new();
    let errors = r
        .repositories
        .iter()
        .filter(|x| x.status == "error")
        .count();
    let _ = writeln!(
        o,
        "## cnmm fleet: {}",
        escape(&run_name(r.run.id, &r.run.label))
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{} repositories, {} assessed, {errors} failed{}.",
        r.repositories.len(),
        r.repositories.len() - errors,
        if r.run.status == "complete" {
            ""
        } else {
            "; the run did not finish"
        }
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "| Section | L1 | L2 | L3 | L4 | L5 |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for d in &r.distribution {
        let l = d.levels;
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            section_title(&d.section),
            l[0],
            l[1],
            l[2],
            l[3],
            l[4]
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "### Next steps for the organisation");
    let _ = writeln!(o);
    let _ = writeln!(o, "| Criterion | Section | Level | Lifts | Blocks |");
    let _ = writeln!(o, "|---|---|---:|---:|---:|");
    for n in &r.next_steps {
        let _ = writeln!(
            o,
            "| {} {} | {} | {} | {} | {} |",
            escape(&n.criterion),
            escape(&n.title),
            n.section.title(),
            n.level,
            n.lifts,
            n.blocks
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "### Repositories");
    let _ = writeln!(o);
    let mut head = String::from("| Repository |");
    let mut rule = String::from("|---|");
    for s in SectionId::ALL {
        let _ = write!(head, " {} |", s.title());
        rule.push_str("---:|");
    }
    let _ = writeln!(o, "{head} Overall |\n{rule}---:|");
    for x in &r.repositories {
        match &x.sections {
            Some(l) => {
                let mut row = format!("| {} |", escape(&x.identity));
                for s in SectionId::ALL {
                    let _ = write!(row, " {} |", l.get(s));
                }
                let _ = writeln!(o, "{row} **{}** |", overall(l));
            }
            None => {
                let _ = writeln!(
                    o,
                    "| {} | failed: {} | | | | | |",
                    escape(&x.identity),
                    escape(x.error.as_deref().unwrap_or("no assessment"))
                );
            }
        }
    }
    if !r.regressions.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "### Regressions since run {}",
            r.regressions[0].since_run
        );
        let _ = writeln!(o);
        for g in &r.regressions {
            let _ = writeln!(
                o,
                "- {}: {} {} → {}",
                escape(&g.identity),
                g.section.title(),
                g.from,
                g.to
            );
        }
    }
    if r.trend.len() > 1 {
        let _ = writeln!(o);
        let _ = writeln!(o, "### Trend (mean level)");
        let _ = writeln!(o);
        let _ = writeln!(o, "| Run | Assessed | Process | Audit and Logs | CI/CD | Change Control | Security | Overall |");
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for t in &r.trend {
            let m = |k: &str| t.mean.get(k).copied().unwrap_or(0.0);
            let _ = writeln!(
                o,
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
                escape(&run_name(t.id, &t.label)),
                t.assessed,
                m("process"),
                m("audit_logs"),
                m("ci_cd"),
                m("change_control"),
                m("security"),
                m("overall")
            );
        }
    }
    o
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}.sub{color:#59636e}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}th{background:#f6f8fa}
td.l{text-align:center;font-variant-numeric:tabular-nums;min-width:2.2rem}.l1{background:#ffebe9}.l2{background:#fff1d6}.l3{background:#fff8c5}.l4{background:#dafbe1}.l5{background:#aceebb}
.err{color:#a40e26}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
"#;

const LEVEL_COLOURS: [&str; 5] = ["#cf222e", "#e16f24", "#d4a72c", "#2da44e", "#116329"];

fn html(r: &FleetReport) -> String {
    use cnmm_report::xml_escape as esc;
    let mut o = String::new();
    o.push_str(&cnmm_report::html::page_head(
        &format!("cnmm fleet: {}", run_name(r.run.id, &r.run.label)),
        STYLE,
    ));
    let errors = r
        .repositories
        .iter()
        .filter(|x| x.status == "error")
        .count();
    let _ = writeln!(
        o,
        "<h1>cnmm fleet: {}</h1>",
        esc(&run_name(r.run.id, &r.run.label))
    );
    let _ = writeln!(
        o,
        "<p class=\"sub\">{} repositories, {} assessed, {errors} failed{}.</p>",
        r.repositories.len(),
        r.repositories.len() - errors,
        if r.run.status == "complete" {
            ""
        } else {
            "; the run did not finish"
        }
    );
    // Distribution: one stacked bar per section.
    let _ = writeln!(o, "<h2>Levels across the fleet</h2>");
    let total = (r.repositories.len() - errors).max(1) as f64;
    let (w, bar_h, gap, left) = (900.0, 22.0, 10.0, 130.0);
    let h = (bar_h + gap) * r.distribution.len() as f64 + 30.0;
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="repositories per level and section">"#
    );
    for (i, d) in r.distribution.iter().enumerate() {
        let y = i as f64 * (bar_h + gap);
        let _ = write!(
            o,
            r##"<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#1f2328">{}</text>"##,
            left - 8.0,
            y + 15.0,
            esc(section_title(&d.section))
        );
        let mut x = left;
        for (lvl, &n) in d.levels.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let bw = (w - left - 10.0) * f64::from(n) / total;
            let _ = write!(
                o,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bar_h}" fill="{}"><title>level {}: {n}</title></rect>"##,
                LEVEL_COLOURS[lvl],
                lvl + 1
            );
            if bw > 18.0 {
                let _ = write!(
                    o,
                    r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#ffffff">{n}</text>"##,
                    x + bw / 2.0,
                    y + 15.0
                );
            }
            x += bw;
        }
    }
    let ly = h - 12.0;
    for (lvl, c) in LEVEL_COLOURS.iter().enumerate() {
        let x = left + lvl as f64 * 90.0;
        let _ = write!(
            o,
            r##"<rect x="{x}" y="{}" width="12" height="12" fill="{c}"/><text x="{}" y="{ly}" font-size="11" fill="#424a53">level {}</text>"##,
            ly - 10.0,
            x + 16.0,
            lvl + 1
        );
    }
    o.push_str("</svg>\n");

    let _ = writeln!(o, "<h2>Next steps for the organisation</h2>");
    let _ = writeln!(
        o,
        "<p class=\"sub\">Lifts: repositories for which the criterion is all that is missing for the section's next level. Blocks: repositories whose next level it is part of.</p>"
    );
    let _ = writeln!(o, "<table><tr><th>Criterion</th><th>Section</th><th>Level</th><th>Lifts</th><th>Blocks</th></tr>");
    for n in &r.next_steps {
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&n.criterion),
            esc(&n.title),
            esc(n.section.title()),
            n.level,
            n.lifts,
            n.blocks
        );
    }
    let _ = writeln!(o, "</table>");

    let _ = writeln!(
        o,
        "<h2>Repositories × sections</h2>\n<table><tr><th>Repository</th>"
    );
    for s in SectionId::ALL {
        let _ = write!(o, "<th>{}</th>", esc(s.title()));
    }
    let _ = writeln!(o, "<th>Overall</th></tr>");
    for x in &r.repositories {
        let _ = write!(o, "<tr><td>{}</td>", esc(&x.identity));
        match &x.sections {
            Some(l) => {
                for s in SectionId::ALL {
                    let v = l.get(s);
                    let _ = write!(o, "<td class=\"l l{v}\">{v}</td>");
                }
                let v = overall(l);
                let _ = write!(o, "<td class=\"l l{v}\"><b>{v}</b></td>");
            }
            None => {
                let _ = write!(
                    o,
                    "<td colspan=\"6\" class=\"err\">failed: {}</td>",
                    esc(x.error.as_deref().unwrap_or("no assessment"))
                );
            }
        }
        let _ = writeln!(o, "</tr>");
    }
    let _ = writeln!(o, "</table>");

    if r.trend.len() > 1 {
        let _ = writeln!(o, "<h2>Trend over runs (mean level)</h2>");
        let (w, h, l, t, ph) = (900.0, 200.0, 40.0, 10.0, 150.0);
        let n = r.trend.len();
        let x_of = |i: usize| l + (w - l - 20.0) * i as f64 / (n - 1).max(1) as f64;
        let y_of = |v: f64| t + ph * (5.0 - v.clamp(1.0, 5.0)) / 4.0;
        let _ = write!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="mean level per run">"#
        );
        for lv in 1..=5 {
            let y = y_of(f64::from(lv));
            let _ = write!(
                o,
                r##"<line x1="{l}" y1="{y}" x2="{}" y2="{y}" stroke="#eaeef2"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#59636e">{lv}</text>"##,
                w - 20.0,
                l - 6.0,
                y + 4.0
            );
        }
        let colours = [
            "#0969da", "#8250df", "#1a7f37", "#bf3989", "#cf222e", "#1f2328",
        ];
        let keys = [
            "process",
            "audit_logs",
            "ci_cd",
            "change_control",
            "security",
            "overall",
        ];
        for (k, c) in keys.iter().zip(colours) {
            let pts: Vec<String> = r
                .trend
                .iter()
                .enumerate()
                .map(|(i, tr)| {
                    format!(
                        "{:.1},{:.1}",
                        x_of(i),
                        y_of(tr.mean.get(*k).copied().unwrap_or(1.0))
                    )
                })
                .collect();
            let _ = write!(
                o,
                r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2"><title>{}</title></polyline>"#,
                pts.join(" "),
                esc(section_title(k))
            );
        }
        for (i, tr) in r.trend.iter().enumerate() {
            let _ = write!(
                o,
                r##"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" fill="#424a53">{}</text>"##,
                x_of(i),
                t + ph + 20.0,
                esc(&tr.label.clone().unwrap_or_else(|| format!("run {}", tr.id)))
            );
        }
        o.push_str("</svg>\n");
    }
    if !r.regressions.is_empty() {
        let _ = writeln!(
            o,
            "<h2>Regressions since run {}</h2><ul>",
            r.regressions[0].since_run
        );
        for g in &r.regressions {
            let _ = writeln!(
                o,
                "<li>{}: {} {} → {}</li>",
                esc(&g.identity),
                esc(g.section.title()),
                g.from,
                g.to
            );
        }
        let _ = writeln!(o, "</ul>");
    }
    let _ = writeln!(
        o,
        "<p class=\"sub\">cnmm {} · fleet report schema {}</p>\n</body>\n</html>",
        esc(&r.tool.version),
        esc(&r.schema_version)
    );
    o
}
