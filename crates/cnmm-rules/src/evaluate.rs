//! Turns facts into criteria verdicts and criteria into section levels (RUBRIC §0):
//! levels are cumulative and gated, `unknown` stops a level like `unmet` but keeps its
//! reason, and the overall level is the lowest section level.

use crate::query::{FactQuery, Query};
use crate::{Rule, RuleSet};
use cnmm_model::{
    level_name, Confidence, CriterionResult, Evidence, Excluded, Fact, FactKindSpec, FactSource,
    SectionId, SectionLevels, SectionResult, Status, Summary, MAX_LEVEL, MIN_LEVEL,
};
use std::collections::{BTreeMap, HashMap};

/// A user's waiver of one criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub criterion: String,
    pub reason: String,
    pub expires: String,
    pub expired: bool,
}

/// Everything the evaluator needs besides the rules.
pub struct Input<'a> {
    pub facts: &'a [Fact],
    pub kinds: &'a [FactKindSpec],
    /// Fact sources that could not be observed, with the reason.
    pub unavailable: &'a BTreeMap<FactSource, String>,
    pub waivers: &'a [Waiver],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Met,
    Unmet,
    Unknown,
}

#[derive(Debug, Clone)]
struct Outcome {
    tri: Tri,
    evidence: Vec<Evidence>,
    excluded: Vec<Excluded>,
    unknown_reason: Option<String>,
    /// Why the outcome may be wrong (low confidence); empty when it is sure.
    doubts: Vec<String>,
}

impl Outcome {
    fn new(tri: Tri) -> Self {
        Outcome {
            tri,
            evidence: Vec::new(),
            excluded: Vec::new(),
            unknown_reason: None,
            doubts: Vec::new(),
        }
    }
}

/// Fact kinds that pipelines produce: a pipeline part cnmm cannot read could hold what
/// a query on them looks for, so "not found" is less certain.
const PIPELINE_FACT_KINDS: &[&str] = &["tool.use", "ci.job"];

/// Pipeline parts out of reach offline (facts of this kind, from the CI extractor).
const UNREADABLE_KIND: &str = "ci.unreadable";

/// The attribute a fact carries when it rests on a judgement.
const JUDGEMENT_ATTR: &str = "judgement";

/// At most this many references are named in one doubt.
const MAX_NAMED: usize = 3;

struct Evaluator<'a> {
    set: &'a RuleSet,
    input: &'a Input<'a>,
    by_kind: HashMap<&'a str, Vec<&'a Fact>>,
    memo: HashMap<String, CriterionResult>,
    /// What unreadable pipeline parts cast on "not found", worked out once per scan.
    unreadable_doubt: Option<String>,
}

fn evidence_of(f: &Fact) -> Evidence {
    Evidence {
        path: f.location.path.clone(),
        line: f.location.line,
        detail: cnmm_model::text::sanitize(&f.detail),
        source: f.source,
        judgement: f.get_str(JUDGEMENT_ATTR).map(cnmm_model::text::sanitize),
        brief: f.brief.as_deref().map(cnmm_model::text::sanitize),
    }
}

/// The doubt that pipeline parts out of reach offline (`ci.unreadable` facts) cast on
/// "not found", naming up to [`MAX_NAMED`] of them; `None` when there are none.
fn unreadable_doubt(by_kind: &HashMap<&str, Vec<&Fact>>) -> Option<String> {
    let mut named: Vec<&str> = by_kind
        .get(UNREADABLE_KIND)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter(|f| f.excluded.is_none())
        .filter_map(|f| f.get_str("reference"))
        .collect();
    named.sort_unstable();
    named.dedup();
    if named.is_empty() {
        return None;
    }
    let list = named
        .iter()
        .take(MAX_NAMED)
        .map(|r| format!("`{}`", cnmm_model::text::sanitize(r)))
        .collect::<Vec<_>>()
        .join(", ");
    let tail = match named.len().saturating_sub(MAX_NAMED) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    Some(format!(
        "the pipelines use parts cnmm cannot read offline ({list}{tail}): what they run is not seen"
    ))
}

fn sorted_unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().collect();
    v.sort();
    v.dedup();
    v
}

fn union_doubts<'o>(outs: impl IntoIterator<Item = &'o Outcome>) -> Vec<String> {
    sorted_unique(outs.into_iter().flat_map(|o| o.doubts.iter().cloned()))
}

impl<'a> Evaluator<'a> {
    fn fact(&self, q: &FactQuery) -> Outcome {
        let facts = self
            .by_kind
            .get(q.kind.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut out = Outcome::new(Tri::Unmet);
        // Distinct count keys (a set: a job of 100k steps has 100k of them).
        let mut keys: std::collections::HashSet<String> = std::collections::HashSet::new();
        for f in facts.iter().filter(|f| q.matches(f)) {
            match &f.excluded {
                Some(reason) => out.excluded.push(Excluded {
                    path: f.location.path.clone(),
                    line: f.location.line,
                    detail: cnmm_model::text::sanitize(&f.detail),
                    reason: reason.clone(),
                }),
                None => {
                    let mut e = evidence_of(f);
                    if e.judgement.is_none() {
                        e.judgement.clone_from(&q.judgement);
                    }
                    out.evidence.push(e);
                    keys.insert(q.count_key(f));
                }
            }
        }
        if keys.len() >= q.min {
            out.tri = Tri::Met;
            // Sure as soon as one item stands on what the files say.
            if out.evidence.iter().all(|e| e.judgement.is_some()) {
                out.doubts = sorted_unique(out.evidence.iter().filter_map(|e| e.judgement.clone()));
            }
        } else {
            let source = self
                .input
                .kinds
                .iter()
                .find(|k| k.name == q.kind)
                .map(|k| k.source)
                .unwrap_or(FactSource::Files);
            if let Some(reason) = self.input.unavailable.get(&source) {
                out.tri = Tri::Unknown;
                out.unknown_reason = Some(reason.clone());
            }
            // Evidence below the threshold does not prove the criterion.
            out.evidence.clear();
            if out.tri == Tri::Unmet && PIPELINE_FACT_KINDS.contains(&q.kind.as_str()) {
                out.doubts = self.unreadable_doubt.iter().cloned().collect();
            }
        }
        out
    }

    fn query(&mut self, q: &Query) -> Outcome {
        match q {
            Query::Fact(fq) => self.fact(fq),
            Query::Criterion(id) => {
                let r = self.criterion(id);
                let mut out = Outcome::new(match r.status {
                    s if s.passes() => Tri::Met,
                    Status::Unknown => Tri::Unknown,
                    _ => Tri::Unmet,
                });
                out.unknown_reason = r.reason.clone().filter(|_| r.status == Status::Unknown);
                out.doubts = r.confidence_reasons.clone();
                if out.tri == Tri::Met {
                    out.evidence = r
                        .evidence
                        .iter()
                        .map(|e| Evidence {
                            detail: format!("{id}: {}", e.detail),
                            brief: e.brief.as_ref().map(|b| format!("{id}: {b}")),
                            ..e.clone()
                        })
                        .collect();
                }
                out
            }
            Query::Not(inner, because) => {
                let o = self.query(inner);
                let mut out = Outcome::new(match o.tri {
                    Tri::Met => Tri::Unmet,
                    Tri::Unmet => Tri::Met,
                    Tri::Unknown => Tri::Unknown,
                });
                out.unknown_reason = o.unknown_reason;
                out.doubts = o.doubts.clone();
                // What made the inner query true is why `not` fails: show it.
                if out.tri == Tri::Unmet {
                    out.excluded = o
                        .evidence
                        .into_iter()
                        .map(|e| Excluded {
                            path: e.path,
                            line: e.line,
                            detail: e.detail,
                            reason: because
                                .clone()
                                .unwrap_or_else(|| "its presence fails this criterion".into()),
                        })
                        .collect();
                }
                out
            }
            Query::Any(qs) => {
                let outs: Vec<Outcome> = qs.iter().map(|q| self.query(q)).collect();
                let mut out = Outcome::new(Tri::Unmet);
                for o in &outs {
                    out.excluded.extend(o.excluded.iter().cloned());
                }
                if outs.iter().any(|o| o.tri == Tri::Met) {
                    out.tri = Tri::Met;
                    // Sure when one way of meeting it is sure.
                    let met: Vec<&Outcome> = outs.iter().filter(|o| o.tri == Tri::Met).collect();
                    if met.iter().all(|o| !o.doubts.is_empty()) {
                        out.doubts = union_doubts(met.iter().copied());
                    }
                    for o in outs.into_iter().filter(|o| o.tri == Tri::Met) {
                        out.evidence.extend(o.evidence);
                    }
                } else {
                    out.doubts = union_doubts(&outs);
                    if let Some(u) = outs.iter().find(|o| o.tri == Tri::Unknown) {
                        out.tri = Tri::Unknown;
                        out.unknown_reason = u.unknown_reason.clone();
                    }
                }
                out
            }
            Query::All(qs) => {
                let outs: Vec<Outcome> = qs.iter().map(|q| self.query(q)).collect();
                let mut out = Outcome::new(Tri::Met);
                for o in &outs {
                    out.excluded.extend(o.excluded.iter().cloned());
                }
                if outs.iter().any(|o| o.tri == Tri::Unmet) {
                    out.tri = Tri::Unmet;
                    out.doubts = union_doubts(outs.iter().filter(|o| o.tri == Tri::Unmet));
                } else if let Some(u) = outs.iter().find(|o| o.tri == Tri::Unknown) {
                    out.tri = Tri::Unknown;
                    out.unknown_reason = u.unknown_reason.clone();
                } else {
                    out.doubts = union_doubts(&outs);
                    for o in outs {
                        out.evidence.extend(o.evidence);
                    }
                }
                out
            }
        }
    }

    fn criterion(&mut self, id: &str) -> CriterionResult {
        if let Some(r) = self.memo.get(id) {
            return r.clone();
        }
        let Some(rule) = self.set.rule(id) else {
            // Validation rejects unknown references; stay total anyway.
            return CriterionResult {
                id: id.to_string(),
                level: 0,
                status: Status::Unmet,
                title: String::new(),
                reason: Some("no such criterion".into()),
                confidence: Confidence::High,
                confidence_reasons: Vec::new(),
                evidence: Vec::new(),
                excluded: Vec::new(),
                remediation: String::new(),
            };
        };
        let result = self.decide(rule);
        self.memo.insert(id.to_string(), result.clone());
        result
    }

    fn decide(&mut self, rule: &Rule) -> CriterionResult {
        let mut result = CriterionResult {
            id: rule.id.clone(),
            level: rule.level,
            status: Status::Unmet,
            title: rule.title.clone(),
            reason: None,
            confidence: Confidence::High,
            confidence_reasons: Vec::new(),
            evidence: Vec::new(),
            excluded: Vec::new(),
            remediation: rule.remediation.trim().to_string(),
        };
        if let Some(cond) = &rule.applies_when {
            let o = self.query(cond);
            if o.tri == Tri::Unmet {
                result.status = Status::NotApplicable;
                result.reason = Some(
                    rule.not_applicable
                        .clone()
                        .unwrap_or_else(|| "does not apply to this repository".into()),
                );
                return result;
            }
        }
        let o = self.query(&rule.evidence);
        result.status = match o.tri {
            Tri::Met => Status::Met,
            Tri::Unmet => Status::Unmet,
            Tri::Unknown => Status::Unknown,
        };
        result.reason = o.unknown_reason;
        if !o.doubts.is_empty() && matches!(o.tri, Tri::Met | Tri::Unmet) {
            result.confidence = Confidence::Low;
            result.confidence_reasons = o.doubts;
        }
        let mut evidence = o.evidence;
        evidence.sort();
        evidence.dedup();
        let mut excluded = o.excluded;
        excluded.sort();
        excluded.dedup();
        result.evidence = evidence;
        result.excluded = excluded;
        if !result.status.passes() {
            if let Some(w) = self.input.waivers.iter().find(|w| w.criterion == rule.id) {
                if w.expired {
                    result.reason = Some(format!("waiver expired on {}: {}", w.expires, w.reason));
                } else {
                    result.status = Status::Waived;
                    result.reason = Some(format!("waived until {}: {}", w.expires, w.reason));
                }
            }
        }
        result
    }
}

/// A section's level from its criteria: the highest level such that every criterion of
/// that level and of each level below it `passes` (levels are cumulative and gated).
pub fn gated_level(criteria: &[CriterionResult], passes: impl Fn(&CriterionResult) -> bool) -> u8 {
    let mut level = MIN_LEVEL;
    for l in (MIN_LEVEL + 1)..=MAX_LEVEL {
        if !criteria.iter().filter(|c| c.level == l).all(&passes) {
            break;
        }
        level = l;
    }
    level
}

/// The verdicts of every rule, the section levels and the summary.
pub fn evaluate(set: &RuleSet, input: &Input) -> (Vec<SectionResult>, Summary) {
    let mut by_kind: HashMap<&str, Vec<&Fact>> = HashMap::new();
    for f in input.facts {
        by_kind.entry(f.kind.as_str()).or_default().push(f);
    }
    let unreadable_doubt = unreadable_doubt(&by_kind);
    let mut ev = Evaluator {
        set,
        input,
        by_kind,
        memo: HashMap::new(),
        unreadable_doubt,
    };
    let mut sections = Vec::new();
    for sid in SectionId::ALL {
        let mut rules: Vec<&Rule> = set.rules.iter().filter(|r| r.section == sid).collect();
        rules.sort_by(|a, b| (a.level, &a.id).cmp(&(b.level, &b.id)));
        let criteria: Vec<CriterionResult> = rules.iter().map(|r| ev.criterion(&r.id)).collect();
        let level = gated_level(&criteria, |c| c.status.passes());
        let next_level_missing = if level < MAX_LEVEL {
            criteria
                .iter()
                .filter(|c| c.level == level + 1 && !c.status.passes())
                .map(|c| c.id.clone())
                .collect()
        } else {
            Vec::new()
        };
        sections.push(SectionResult {
            id: sid,
            title: sid.title().to_string(),
            level,
            level_name: level_name(level).to_string(),
            next_level_missing,
            criteria,
        });
    }
    let get = |id: SectionId| {
        sections
            .iter()
            .find(|s| s.id == id)
            .map_or(MIN_LEVEL, |s| s.level)
    };
    let levels = SectionLevels {
        process: get(SectionId::Process),
        audit_logs: get(SectionId::AuditLogs),
        ci_cd: get(SectionId::CiCd),
        change_control: get(SectionId::ChangeControl),
        security: get(SectionId::Security),
    };
    let overall = SectionId::ALL
        .iter()
        .map(|s| levels.get(*s))
        .min()
        .unwrap_or(MIN_LEVEL);
    (
        sections,
        Summary {
            overall,
            sections: levels,
        },
    )
}
