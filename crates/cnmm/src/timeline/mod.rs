//! `cnmm timeline`: the assessment at a series of points of HEAD's history — the last
//! version tags, one commit per period, or given revisions — and what changed between
//! consecutive points.
//!
//! Each point is assessed exactly as `cnmm scan --rev POINT` would assess it (its tree
//! from git objects, its history window ending at its committer date, the same
//! `.cnmm.yml` for every point), through one [`scan::Prepared`] and one
//! [`ScanCache`]: a file version is extracted once for all the points that hold it, and
//! a commit is parsed once for all the windows that hold it. Changes between points are
//! what `cnmm diff` computes for two reports.

pub mod points;
mod render;

use crate::cli::TimelineArgs;
use crate::diff::{self, CriterionChange, SectionChange};
use crate::scan::{self, Prepared, Settings};
use crate::{UserError, EXIT_BELOW_TARGET, EXIT_OK};
use cnmm_facts::cache::ScanCache;
use cnmm_model::{Assessment, Confidence, Diagnostic, SectionId, SectionLevels, Severity, Status};
use points::{Chosen, Selection};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

pub use render::{render, FORMATS};

/// The version of the timeline contract (`docs/timeline.md`).
pub const TIMELINE_SCHEMA_VERSION: &str = "1.0";

/// A timeline: the points assessed, oldest first and HEAD last, and the changes between
/// consecutive assessed points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timeline {
    pub schema_version: String,
    pub tool: cnmm_model::Tool,
    /// The name of the repository's directory (never an absolute path).
    pub target: String,
    /// How the points were chosen, in words.
    pub selection: String,
    /// The length of each point's history window, in days.
    pub window_days: u32,
    pub points: Vec<Point>,
    /// Between each assessed point and the next assessed one.
    pub changes: Vec<PointChange>,
    /// Whether the last point is below the point before it in any section.
    pub regression: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    /// Tag names, the date of the period, the revision as given, or `HEAD`; several
    /// when they name one commit (`v2.0.0, HEAD`).
    pub labels: Vec<String>,
    /// Why the point was chosen (a point that is several, such as a tag at HEAD, is
    /// `head`).
    pub kind: points::Kind,
    pub commit: Option<String>,
    /// The commit's committer date (UTC, RFC 3339); for a point without a commit, the
    /// tagger's or the period's date, if any.
    pub date: Option<String>,
    /// Absent when the point was assessed; else why it could not be (with the fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// The assessment's levels; absent when unavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sections: Option<SectionLevels>,
    /// Every criterion's verdict at this point, in report order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<PointCriterion>,
    /// Whether the history window could be read (a shallow clone cannot).
    pub history_available: bool,
    /// The assessment's errors and warnings (notes are left to `scan --rev`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PointCriterion {
    pub id: String,
    pub section: SectionId,
    pub level: u8,
    pub status: Status,
    pub confidence: Confidence,
}

/// What changed from one assessed point to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PointChange {
    /// Indexes into `points`.
    pub from: usize,
    pub to: usize,
    pub overall: diff::Change,
    /// The sections whose level changed.
    pub sections: Vec<SectionChange>,
    pub gained: Vec<CriterionChange>,
    pub lost: Vec<CriterionChange>,
}

impl Point {
    pub fn label(&self) -> String {
        self.labels.join(", ")
    }

    pub fn level(&self, id: SectionId) -> Option<u8> {
        self.sections.as_ref().map(|s| s.get(id))
    }

    fn from_assessment(c: &Chosen, a: &Assessment) -> Point {
        let mut p = Point::unassessed(c);
        p.overall = Some(a.summary.overall);
        p.sections = Some(a.summary.sections.clone());
        p.criteria = a
            .sections
            .iter()
            .flat_map(|s| {
                s.criteria.iter().map(move |cr| PointCriterion {
                    id: cr.id.clone(),
                    section: s.id,
                    level: cr.level,
                    status: cr.status,
                    confidence: cr.confidence,
                })
            })
            .collect();
        p.history_available = a.history.available;
        p.diagnostics = a
            .diagnostics
            .iter()
            .filter(|d| matches!(d.severity, Severity::Error | Severity::Warning))
            .cloned()
            .collect();
        p
    }

    fn unassessed(c: &Chosen) -> Point {
        Point {
            labels: c.labels.clone(),
            kind: c.kind,
            commit: c.commit.map(|id| id.to_string()),
            date: c.time.map(cnmm_facts::history::rfc3339),
            unavailable: c.unavailable.clone(),
            overall: None,
            sections: None,
            criteria: Vec::new(),
            history_available: false,
            diagnostics: Vec::new(),
        }
    }
}

/// Assesses every point of `sel`; `progress` is told each point done.
pub fn build(
    root: &Path,
    settings: &Settings,
    sel: &Selection,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<Timeline, UserError> {
    let prepared = Prepared::new(root, settings)?;
    let cache = Arc::new(ScanCache::new());
    let chosen = points::choose(root, sel, &cache.history)?;
    let total = chosen.len();
    // Newest first, so the history cache can forget commits newer than every point
    // still to come; the report is oldest first.
    let mut assessed: Vec<Option<Assessment>> = vec![None; total];
    let mut out_points: Vec<Point> = chosen.iter().map(Point::unassessed).collect();
    for (done, i) in (0..total).rev().enumerate() {
        let c = &chosen[i];
        progress(done, total, &c.labels.join(", "));
        let (Some(id), None) = (c.commit, &c.unavailable) else {
            continue;
        };
        match prepared.assess(Some(&id.to_string()), Some(cache.clone())) {
            Ok(a) => {
                out_points[i] = Point::from_assessment(c, &a);
                assessed[i] = Some(a);
            }
            Err(e) => out_points[i].unavailable = Some(e.0),
        }
        cache.end_point();
        if let Some(t) = c.time {
            cache.history.forget_after(t);
        }
    }
    progress(total, total, "");
    let mut changes = Vec::new();
    let indexes: Vec<usize> = (0..total).filter(|&i| assessed[i].is_some()).collect();
    for w in indexes.windows(2) {
        let (Some(a), Some(b)) = (&assessed[w[0]], &assessed[w[1]]) else {
            continue;
        };
        let d = diff::compare(a, b);
        changes.push(PointChange {
            from: w[0],
            to: w[1],
            overall: d.overall,
            sections: d
                .sections
                .into_iter()
                .filter(|s| s.base != s.head)
                .collect(),
            gained: d.gained,
            lost: d.lost,
        });
    }
    // The release gate: the last point against the assessed point before it.
    let regression = match indexes.as_slice() {
        [.., prev, last] if *last == total - 1 => SectionId::ALL.iter().any(|&s| {
            out_points[*last].level(s).unwrap_or(0) < out_points[*prev].level(s).unwrap_or(0)
        }),
        _ => false,
    };
    Ok(Timeline {
        schema_version: TIMELINE_SCHEMA_VERSION.to_string(),
        tool: cnmm_model::Tool {
            name: "cnmm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target: assessed
            .iter()
            .flatten()
            .next()
            .map(|a| a.target.path.clone())
            .unwrap_or_else(|| ".".into()),
        selection: sel.describe(),
        window_days: settings.history_window,
        points: out_points,
        changes,
        regression,
    })
}

fn selection(a: &TimelineArgs) -> Result<Selection, UserError> {
    if !a.rev.is_empty() {
        if a.every.is_some() || a.tags.is_some() {
            return Err(UserError(
                "--rev names the points itself; leave out --tags and --every".into(),
            ));
        }
        return Ok(Selection::Revs(a.rev.clone()));
    }
    if let Some(every) = &a.every {
        if a.tags.is_some() {
            return Err(UserError(
                "choose the points by --tags N or by --every/--since, not both".into(),
            ));
        }
        let every = points::parse_duration("--every", every)?;
        let since = points::parse_duration("--since", a.since.as_deref().unwrap_or("2y"))?;
        if every > since {
            return Err(UserError(
                "--every is longer than --since: no point would be chosen".into(),
            ));
        }
        return Ok(Selection::Every { every, since });
    }
    if a.since.is_some() {
        return Err(UserError(
            "--since goes with --every (`--every 90d --since 2y`)".into(),
        ));
    }
    let n = a.tags.unwrap_or(12);
    if n == 0 {
        return Err(UserError("--tags must be at least 1".into()));
    }
    Ok(Selection::Tags(n))
}

pub fn run(a: &TimelineArgs) -> Result<i32, UserError> {
    let format = a.format.as_str();
    let sel = selection(a)?;
    let settings = Settings {
        threads: a.jobs,
        history: true,
        history_window: a.history_window,
        config: a.config.clone(),
        rule_dirs: a.rules.clone(),
        ..Settings::default()
    };
    let bar = crate::progress::bar(0, "{bar:30} {pos}/{len} points {msg}");
    let timeline = build(&a.path, &settings, &sel, |done, total, label| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
            b.set_message(cnmm_model::text::sanitize(label));
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let timeline = timeline?;
    let to_terminal = a.output.is_none() && std::io::stdout().is_terminal();
    let out = render(
        format,
        &timeline,
        &render::Options {
            color: scan::color_wanted(to_terminal, std::env::var_os("NO_COLOR").as_deref()),
            verbose: a.verbose,
        },
    )?;
    crate::output::emit(&out, a.output.as_deref(), "timeline")?;
    if a.fail_on_regression && timeline.regression {
        if let Some(c) = timeline.changes.last() {
            for s in &c.sections {
                if s.head < s.base {
                    eprintln!(
                        "cnmm: regression: {} dropped from level {} at {} to {} at {}",
                        s.title,
                        s.base,
                        cnmm_model::text::sanitize(&timeline.points[c.from].label()),
                        s.head,
                        cnmm_model::text::sanitize(&timeline.points[c.to].label()),
                    );
                }
            }
        }
        return Ok(EXIT_BELOW_TARGET);
    }
    Ok(EXIT_OK)
}
