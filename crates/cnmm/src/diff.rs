//! `cnmm diff BASE.json HEAD.json`: what changed between two JSON reports — each
//! section's level, and the criteria gained or lost with their evidence. Works on the
//! report contract only, so reports from CI artifacts of two commits compare directly.

use crate::cli::DiffArgs;
use crate::{UserError, EXIT_BELOW_TARGET, EXIT_OK};
use cnmm_model::text::sanitize;
use cnmm_model::{Assessment, CriterionResult, Evidence, SectionId, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct Diff {
    pub base: Side,
    pub head: Side,
    pub overall: Change,
    pub sections: Vec<SectionChange>,
    /// Criteria passing in HEAD but not in BASE.
    pub gained: Vec<CriterionChange>,
    /// Criteria passing in BASE but not in HEAD.
    pub lost: Vec<CriterionChange>,
    /// Whether any section's level dropped.
    pub regression: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Side {
    pub path: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    pub base: u8,
    pub head: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SectionChange {
    pub id: SectionId,
    pub title: String,
    pub base: u8,
    pub head: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriterionChange {
    pub id: String,
    pub section: SectionId,
    pub level: u8,
    pub title: String,
    pub base_status: Status,
    pub head_status: Status,
    /// For a gained criterion, HEAD's evidence; for a lost one, BASE's evidence (what
    /// used to count).
    pub evidence: Vec<Evidence>,
    /// For a lost criterion, why HEAD does not count it (reason and excluded items).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why_not: Vec<String>,
}

fn load(path: &Path, which: &str) -> Result<Assessment, UserError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UserError(format!(
            "cannot read the {which} report {}: {e}",
            path.display()
        ))
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        UserError(format!(
            "{}: not JSON ({e}); pass reports written by `cnmm scan --format json`",
            path.display()
        ))
    })?;
    let version = value
        .get("schema_version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            UserError(format!(
                "{}: not a cnmm report (no `schema_version`); pass reports written by `cnmm scan --format json`",
                path.display()
            ))
        })?;
    let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
    if major(version) != major(cnmm_model::SCHEMA_VERSION) {
        return Err(UserError(format!(
            "{}: report schema {version} is not supported by this cnmm (schema {}); rescan with this version",
            path.display(),
            cnmm_model::SCHEMA_VERSION
        )));
    }
    serde_json::from_value(value).map_err(|e| {
        UserError(format!(
            "{}: does not match the report schema {}: {e}",
            path.display(),
            cnmm_model::SCHEMA_VERSION
        ))
    })
}

fn why_not(c: &CriterionResult) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = &c.reason {
        out.push(format!("{}: {}", c.status.as_str(), sanitize(r)));
    }
    for x in &c.excluded {
        let loc = match x.line {
            Some(l) => format!("{}:{l}", sanitize(&x.path)),
            None => sanitize(&x.path),
        };
        out.push(format!("not counted: {loc} ({})", sanitize(&x.reason)));
    }
    out
}

/// Compares two assessments. Criteria present in only one report (rules added or
/// removed between versions) are neither gained nor lost.
pub fn compare(base: &Assessment, head: &Assessment) -> Diff {
    let mut sections = Vec::new();
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    for id in SectionId::ALL {
        let (Some(b), Some(h)) = (base.section(id), head.section(id)) else {
            continue;
        };
        sections.push(SectionChange {
            id,
            title: h.title.clone(),
            base: b.level,
            head: h.level,
        });
        for hc in &h.criteria {
            let Some(bc) = b.criteria.iter().find(|c| c.id == hc.id) else {
                continue;
            };
            let change = |evidence: &[Evidence], why: Vec<String>| CriterionChange {
                id: hc.id.clone(),
                section: id,
                level: hc.level,
                title: hc.title.clone(),
                base_status: bc.status,
                head_status: hc.status,
                evidence: evidence.to_vec(),
                why_not: why,
            };
            match (bc.status.passes(), hc.status.passes()) {
                (false, true) => gained.push(change(&hc.evidence, Vec::new())),
                (true, false) => lost.push(change(&bc.evidence, why_not(hc))),
                _ => {}
            }
        }
    }
    let regression = sections.iter().any(|s| s.head < s.base);
    Diff {
        base: Side {
            path: base.target.path.clone(),
            commit: base.target.head.clone(),
        },
        head: Side {
            path: head.target.path.clone(),
            commit: head.target.head.clone(),
        },
        overall: Change {
            base: base.summary.overall,
            head: head.summary.overall,
        },
        sections,
        gained,
        lost,
        regression,
    }
}

fn arrow(base: u8, head: u8) -> &'static str {
    match head.cmp(&base) {
        std::cmp::Ordering::Greater => "up",
        std::cmp::Ordering::Less => "DOWN",
        std::cmp::Ordering::Equal => "same",
    }
}

fn short(commit: &Option<String>) -> String {
    commit
        .as_deref()
        .map(|c| c[..c.len().min(12)].to_string())
        .unwrap_or_else(|| "-".into())
}

fn evidence_line(e: &Evidence) -> String {
    match e.line {
        Some(l) => format!("{}:{l}  {}", sanitize(&e.path), sanitize(&e.detail)),
        None => format!("{}  {}", sanitize(&e.path), sanitize(&e.detail)),
    }
}

pub fn render_text(d: &Diff) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "cnmm diff — {} @ {} → {} @ {}",
        sanitize(&d.base.path),
        short(&d.base.commit),
        sanitize(&d.head.path),
        short(&d.head.commit)
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  {:<16} {} → {} ({})",
        "Overall",
        d.overall.base,
        d.overall.head,
        arrow(d.overall.base, d.overall.head)
    );
    for s in &d.sections {
        let _ = writeln!(
            o,
            "  {:<16} {} → {} ({})",
            s.title,
            s.base,
            s.head,
            arrow(s.base, s.head)
        );
    }
    for (label, list) in [("Gained", &d.gained), ("Lost", &d.lost)] {
        let _ = writeln!(o);
        if list.is_empty() {
            let _ = writeln!(o, "{label}: none");
            continue;
        }
        let _ = writeln!(o, "{label}:");
        for c in list {
            let _ = writeln!(
                o,
                "  {:<4} {} (level {}; {} → {})",
                c.id,
                sanitize(&c.title),
                c.level,
                c.base_status.as_str(),
                c.head_status.as_str()
            );
            for e in &c.evidence {
                let _ = writeln!(o, "         {}", evidence_line(e));
            }
            for w in &c.why_not {
                let _ = writeln!(o, "         {w}");
            }
        }
    }
    o
}

pub fn render_markdown(d: &Diff) -> String {
    use cnmm_report::markdown::escape;
    let mut o = String::new();
    let _ = writeln!(o, "## cnmm: maturity changes");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "`{}` → `{}`",
        short(&d.base.commit),
        short(&d.head.commit)
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "| Section | Base | Head | Change |");
    let _ = writeln!(o, "|---|---:|---:|---|");
    let mark = |b: u8, h: u8| match h.cmp(&b) {
        std::cmp::Ordering::Greater => "⬆️ up",
        std::cmp::Ordering::Less => "🔻 down",
        std::cmp::Ordering::Equal => "—",
    };
    let _ = writeln!(
        o,
        "| **Overall** | {} | {} | {} |",
        d.overall.base,
        d.overall.head,
        mark(d.overall.base, d.overall.head)
    );
    for s in &d.sections {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            s.title,
            s.base,
            s.head,
            mark(s.base, s.head)
        );
    }
    for (label, list) in [("Gained", &d.gained), ("Lost", &d.lost)] {
        let _ = writeln!(o);
        let _ = writeln!(o, "### {label} ({})", list.len());
        let _ = writeln!(o);
        if list.is_empty() {
            let _ = writeln!(o, "None.");
            continue;
        }
        for c in list {
            let _ = writeln!(
                o,
                "<details><summary>{} {} (level {}: {} → {})</summary>",
                escape(&c.id),
                escape(&c.title),
                c.level,
                c.base_status.as_str(),
                c.head_status.as_str()
            );
            let _ = writeln!(o);
            for e in &c.evidence {
                let _ = writeln!(o, "- {}", escape(&evidence_line(e)));
            }
            for w in &c.why_not {
                let _ = writeln!(o, "- {}", escape(w));
            }
            let _ = writeln!(o);
            let _ = writeln!(o, "</details>");
        }
    }
    o
}

pub fn run(a: &DiffArgs) -> Result<i32, UserError> {
    let base = load(&a.base, "base")?;
    let head = load(&a.head, "head")?;
    let d = compare(&base, &head);
    let out = match a.format.as_str() {
        "json" => {
            let mut s = serde_json::to_string_pretty(&d)
                .map_err(|e| UserError(format!("cannot serialise the diff: {e}")))?;
            s.push('\n');
            s
        }
        "markdown" => render_markdown(&d),
        "text" => render_text(&d),
        other => return Err(UserError(format!("unknown diff format `{other}`"))),
    };
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(out.as_bytes());
        let _ = stdout.flush();
    }
    if a.fail_on_regression && d.regression {
        for s in d.sections.iter().filter(|s| s.head < s.base) {
            eprintln!(
                "cnmm: regression: {} dropped from level {} to {}",
                s.title, s.base, s.head
            );
        }
        return Ok(EXIT_BELOW_TARGET);
    }
    Ok(EXIT_OK)
}
