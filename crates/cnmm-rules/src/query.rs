//! Evidence queries: what a rule asks of the facts.
//!
//! ```yaml
//! evidence:
//!   any:
//!     - fact: tool.use                 # a fact kind
//!       where:                         # attribute conditions, all must hold
//!         categories: {in: [sast, secret-scan]}
//!         automatic: true
//!       min: 1                         # how many distinct facts (default 1)
//!       distinct: path                 # count distinct paths (or an attribute)
//!     - criterion: S2                  # another criterion passes
//!     - file: {glob: ["**/*.rego"], content: "deny\\["}
//!     - not: {...}
//!     - all: [...]
//! ```

use cnmm_model::lazy_regex::LazyRegex;
use cnmm_model::{AttrValue, Fact};

#[derive(Debug, Clone)]
pub enum Query {
    Any(Vec<Query>),
    All(Vec<Query>),
    /// True when the inner query is false; what made it true is reported as not
    /// counted, with the rule's `because:` text (why its presence fails the criterion).
    Not(Box<Query>, Option<String>),
    Fact(FactQuery),
    Criterion(String),
}

#[derive(Debug, Clone)]
pub struct FactQuery {
    pub kind: String,
    pub conds: Vec<(String, Cond)>,
    pub min: usize,
    /// Count distinct values of this (`path` or an attribute) instead of facts.
    pub distinct: Option<String>,
    /// The rule's word that facts matched by this query are a judgement (a route to
    /// the criterion an expert could read differently): their evidence carries it and
    /// the verdict they alone support is low-confidence.
    pub judgement: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Cond {
    Eq(Scalar),
    In(Vec<String>),
    NotIn(Vec<String>),
    Matches(LazyRegex),
    NotMatches(LazyRegex),
    Cmp(CmpOp, f64),
    Exists(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Num(f64),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Cond {
    /// Whether the attribute value (absent = `None`) satisfies the condition.
    pub fn holds(&self, v: Option<&AttrValue>) -> bool {
        match self {
            Cond::Exists(want) => v.is_some() == *want,
            Cond::Eq(s) => match (s, v) {
                (_, None) => matches!(s, Scalar::Bool(false)),
                (Scalar::Bool(b), Some(AttrValue::Bool(x))) => b == x,
                (Scalar::Num(n), Some(x)) => x.as_f64().is_some_and(|x| (x - n).abs() < 1e-9),
                (Scalar::Str(s), Some(AttrValue::Str(x))) => s == x,
                (Scalar::Str(s), Some(AttrValue::List(l))) => l.iter().any(|x| x == s),
                _ => false,
            },
            Cond::In(set) => match v {
                Some(AttrValue::Str(x)) => set.iter().any(|s| s == x),
                Some(AttrValue::List(l)) => l.iter().any(|x| set.contains(x)),
                _ => false,
            },
            Cond::NotIn(set) => match v {
                None => true,
                Some(AttrValue::Str(x)) => !set.iter().any(|s| s == x),
                Some(AttrValue::List(l)) => !l.iter().any(|x| set.contains(x)),
                _ => true,
            },
            Cond::Matches(re) => match v {
                Some(AttrValue::Str(x)) => re.is_match(x),
                Some(AttrValue::List(l)) => l.iter().any(|x| re.is_match(x)),
                _ => false,
            },
            Cond::NotMatches(re) => match v {
                None => true,
                Some(AttrValue::Str(x)) => !re.is_match(x),
                Some(AttrValue::List(l)) => !l.iter().any(|x| re.is_match(x)),
                _ => true,
            },
            Cond::Cmp(op, n) => match v.and_then(AttrValue::as_f64) {
                None => false,
                Some(x) => match op {
                    CmpOp::Gt => x > *n,
                    CmpOp::Gte => x >= *n,
                    CmpOp::Lt => x < *n,
                    CmpOp::Lte => x <= *n,
                },
            },
        }
    }
}

impl FactQuery {
    /// ` (at least N distinct X)` for queries that need more than one match.
    fn count_suffix(&self, unit: &str) -> String {
        if self.min > 1 {
            let what = self.distinct.as_deref().unwrap_or(unit);
            format!(" (at least {} distinct {what})", self.min)
        } else {
            String::new()
        }
    }

    pub fn matches(&self, f: &Fact) -> bool {
        f.kind == self.kind && self.conds.iter().all(|(k, c)| c.holds(f.attrs.get(k)))
    }

    /// The key counted for `min` (distinct paths or attribute values, else the fact).
    pub fn count_key(&self, f: &Fact) -> String {
        match self.distinct.as_deref() {
            Some("path") => f.location.path.clone(),
            Some("dir") => match f.location.path.rfind('/') {
                Some(i) => f.location.path[..i].to_string(),
                None => String::new(),
            },
            Some(a) => match f.attrs.get(a) {
                Some(AttrValue::Str(s)) => s.clone(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            },
            None => format!("{}:{:?}:{}", f.location.path, f.location.line, f.detail),
        }
    }
}

impl Cond {
    fn describe(&self, attr: &str) -> String {
        match self {
            Cond::Eq(Scalar::Bool(b)) => format!("{attr} = {b}"),
            Cond::Eq(Scalar::Num(n)) => format!("{attr} = {n}"),
            Cond::Eq(Scalar::Str(s)) => format!("{attr} = {s}"),
            Cond::In(v) => format!("{attr} in ({})", v.join(", ")),
            Cond::NotIn(v) => format!("{attr} not in ({})", v.join(", ")),
            Cond::Matches(re) => format!("{attr} matches /{}/", re.as_str()),
            Cond::NotMatches(re) => format!("{attr} does not match /{}/", re.as_str()),
            Cond::Cmp(op, n) => {
                let o = match op {
                    CmpOp::Gt => ">",
                    CmpOp::Gte => "≥",
                    CmpOp::Lt => "<",
                    CmpOp::Lte => "≤",
                };
                format!("{attr} {o} {n}")
            }
            Cond::Exists(true) => format!("{attr} is set"),
            Cond::Exists(false) => format!("{attr} is not set"),
        }
    }
}

impl Query {
    /// A readable rendering of the query, for docs and `cnmm explain`.
    pub fn describe(&self, indent: usize) -> String {
        let pad = "  ".repeat(indent);
        match self {
            Query::Any(qs) | Query::All(qs) => {
                let head = if matches!(self, Query::Any(_)) {
                    "any of"
                } else {
                    "all of"
                };
                let mut s = format!("{pad}- {head}:\n");
                for q in qs {
                    s.push_str(&q.describe(indent + 1));
                }
                s
            }
            Query::Not(q, because) => format!(
                "{pad}- none of{}:\n{}",
                because
                    .as_deref()
                    .map(|b| format!(" ({b})"))
                    .unwrap_or_default(),
                q.describe(indent + 1)
            ),
            Query::Criterion(id) => format!("{pad}- criterion {id} passes\n"),
            Query::Fact(f) if f.kind == "file.match" => {
                let key = f.conds.iter().find_map(|(_, c)| match c {
                    Cond::Eq(Scalar::Str(k)) => Some(k.as_str()),
                    _ => None,
                });
                let (globs, content) = key.and_then(|k| k.split_once('|')).unwrap_or(("?", ""));
                let mut s = format!("{pad}- a file matching `{globs}`");
                if !content.is_empty() {
                    s.push_str(&format!(" whose content matches `{content}`"));
                }
                s.push_str(&f.count_suffix("files"));
                s.push('\n');
                s
            }
            Query::Fact(f) => {
                let conds: Vec<String> = f.conds.iter().map(|(a, c)| c.describe(a)).collect();
                let mut s = format!("{pad}- a `{}` fact", f.kind);
                if !conds.is_empty() {
                    s.push_str(&format!(" where {}", conds.join(", ")));
                }
                s.push_str(&f.count_suffix("facts"));
                if let Some(j) = &f.judgement {
                    s.push_str(&format!(" (low confidence: {j})"));
                }
                s.push('\n');
                s
            }
        }
    }

    /// Ids of the criteria this query refers to.
    pub fn criteria(&self, out: &mut Vec<String>) {
        match self {
            Query::Any(qs) | Query::All(qs) => qs.iter().for_each(|q| q.criteria(out)),
            Query::Not(q, _) => q.criteria(out),
            Query::Criterion(id) => out.push(id.clone()),
            Query::Fact(_) => {}
        }
    }

    /// Fact kinds this query reads.
    pub fn kinds(&self, out: &mut Vec<String>) {
        match self {
            Query::Any(qs) | Query::All(qs) => qs.iter().for_each(|q| q.kinds(out)),
            Query::Not(q, _) => q.kinds(out),
            Query::Fact(f) => out.push(f.kind.clone()),
            Query::Criterion(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        let list = AttrValue::List(vec!["sast".into(), "security-scan".into()]);
        assert!(Cond::Eq(Scalar::Str("sast".into())).holds(Some(&list)));
        assert!(Cond::In(vec!["x".into(), "sast".into()]).holds(Some(&list)));
        assert!(!Cond::NotIn(vec!["sast".into()]).holds(Some(&list)));
        assert!(Cond::Cmp(CmpOp::Gte, 6.0).holds(Some(&AttrValue::Int(6))));
        assert!(!Cond::Cmp(CmpOp::Gt, 6.0).holds(Some(&AttrValue::Int(6))));
        assert!(!Cond::Cmp(CmpOp::Gt, 6.0).holds(None));
        assert!(Cond::Eq(Scalar::Bool(false)).holds(None));
        assert!(Cond::Exists(false).holds(None));
        let re = LazyRegex::new("(?i)prod").expect("re");
        assert!(Cond::Matches(re).holds(Some(&AttrValue::Str("Production".into()))));
    }
}
