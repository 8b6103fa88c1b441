//! Loading and validating rule files and the tool catalog. Every error names the file
//! and line and says what to change.

use crate::query::{CmpOp, Cond, FactQuery, Query, Scalar};
use crate::{FileQuery, Rule, RuleSet};
use cnmm_model::lazy_regex::LazyRegex;
use cnmm_model::yaml::{self, Node, Value};
use cnmm_model::{AttrType, Catalog, FactKindSpec, SectionId, MAX_LEVEL};
use include_dir::{include_dir, Dir};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../rules");

/// A problem in a rule file, catalog file or rule directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LoadError {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path, l, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// A rule file's text and where it came from (`rules/security/S2.yaml` for built-ins).
pub struct Source {
    pub path: String,
    pub text: String,
}

/// The rule files and catalog files embedded in the binary.
pub fn builtin_sources() -> (Vec<Source>, Vec<Source>) {
    let mut rules = Vec::new();
    let mut catalog = Vec::new();
    let mut stack = vec![&BUILTIN];
    while let Some(dir) = stack.pop() {
        for d in dir.dirs() {
            stack.push(d);
        }
        for f in dir.files() {
            let p = f.path().to_string_lossy().replace('\\', "/");
            if !(p.ends_with(".yaml") || p.ends_with(".yml")) {
                continue;
            }
            let src = Source {
                path: format!("rules/{p}"),
                text: f.contents_utf8().unwrap_or_default().to_string(),
            };
            if p.starts_with("catalog/") {
                catalog.push(src);
            } else {
                rules.push(src);
            }
        }
    }
    rules.sort_by(|a, b| a.path.cmp(&b.path));
    catalog.sort_by(|a, b| a.path.cmp(&b.path));
    (rules, catalog)
}

/// The files of a user rule pack (recursively, `*.yaml`/`*.yml`, sorted): rule files,
/// and catalog files (those under the pack's top-level `catalog/` directory, in the
/// format of the built-in `rules/catalog/`).
pub fn dir_sources(dir: &Path) -> Result<(Vec<Source>, Vec<Source>), LoadError> {
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(LoadError {
            path: shown,
            line: None,
            message: "is not a directory; pass a directory of rule files (*.yaml)".into(),
        });
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| LoadError {
            path: d.display().to_string(),
            line: None,
            message: format!("cannot be read: {e}"),
        })?;
        for e in entries.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                let text = std::fs::read_to_string(&p).map_err(|e| LoadError {
                    path: p.display().to_string(),
                    line: None,
                    message: format!("cannot be read: {e}"),
                })?;
                out.push(Source {
                    path: p.display().to_string(),
                    text,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    let catalog_dir = dir.join("catalog");
    let (catalog, rules) = out
        .into_iter()
        .partition(|s| Path::new(&s.path).starts_with(&catalog_dir));
    Ok((rules, catalog))
}

/// Loads the catalog files (merged in path order).
pub fn load_catalog(sources: &[Source]) -> Result<Catalog, Vec<LoadError>> {
    load_catalog_onto(Catalog::default(), sources, "rules/catalog")
}

/// Loads the built-in catalog files. They are read through the positioned YAML tree
/// (`cnmm_model::yaml`), several times faster than serde-saphyr, whose parse of the
/// 34 KB catalog was a third of a small repository's scan; user catalogs keep
/// serde-saphyr for its error locations. A test checks that both readings agree.
pub fn load_builtin_catalog(sources: &[Source]) -> Result<Catalog, Vec<LoadError>> {
    merge_catalogs(
        Catalog::default(),
        sources,
        "rules/catalog",
        catalog_from_tree,
    )
}

/// Merges catalog files onto `base` (a tool of the same id replaces the base's) and
/// validates the result; `label` names the catalog directory in errors.
pub fn load_catalog_onto(
    catalog: Catalog,
    sources: &[Source],
    label: &str,
) -> Result<Catalog, Vec<LoadError>> {
    merge_catalogs(catalog, sources, label, |s| {
        serde_saphyr::from_str::<Catalog>(&s.text).map_err(|e| LoadError {
            path: s.path.clone(),
            line: e.location().map(|l| u32::try_from(l.line()).unwrap_or(0)),
            message: first_line(&e.to_string()),
        })
    })
}

/// A catalog file read as a YAML tree, then deserialised from it: every catalog field
/// is a string, a list or a map of strings, so scalars are kept as strings.
fn catalog_from_tree(s: &Source) -> Result<Catalog, LoadError> {
    fn json(n: &cnmm_model::yaml::Node) -> serde_json::Value {
        use cnmm_model::yaml::Value as Y;
        match &n.value {
            Y::Null => serde_json::Value::Null,
            Y::Scalar(text, _) => serde_json::Value::String(text.clone()),
            Y::Seq(items) => items.iter().map(json).collect(),
            Y::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), json(v)))
                    .collect(),
            ),
        }
    }
    let error = |line, message| LoadError {
        path: s.path.clone(),
        line,
        message,
    };
    let parsed = cnmm_model::yaml::parse(&s.text, cnmm_model::yaml::Limits::default());
    if let Some(e) = parsed.error {
        return Err(error(Some(e.line), e.message));
    }
    let doc = parsed
        .documents
        .first()
        .map_or(serde_json::Value::Null, json);
    serde_json::from_value(doc).map_err(|e| error(None, first_line(&e.to_string())))
}

fn merge_catalogs(
    mut catalog: Catalog,
    sources: &[Source],
    label: &str,
    read: impl Fn(&Source) -> Result<Catalog, LoadError>,
) -> Result<Catalog, Vec<LoadError>> {
    let mut errors = Vec::new();
    let mut ids = BTreeSet::new();
    for s in sources {
        match read(s) {
            Ok(c) => {
                for t in &c.tools {
                    if !ids.insert(t.id.clone()) {
                        errors.push(LoadError {
                            path: s.path.clone(),
                            line: None,
                            message: format!("tool id `{}` is declared twice", t.id),
                        });
                    }
                }
                catalog.overlay(c);
            }
            Err(e) => errors.push(e),
        }
    }
    // Every category a tool names must be declared; every `with` regex must compile.
    for t in &catalog.tools {
        for c in &t.categories {
            if !catalog.categories.contains_key(c) {
                errors.push(LoadError {
                    path: label.into(),
                    line: None,
                    message: format!(
                        "tool `{}` names undeclared category `{c}`; declare it under `categories:`",
                        t.id
                    ),
                });
            }
        }
        for (field, regexes) in [
            ("uses_name", &t.uses_name),
            ("component_name", &t.component_name),
        ] {
            for n in regexes {
                if let Err(e) = LazyRegex::new(n) {
                    errors.push(LoadError {
                        path: label.into(),
                        line: None,
                        message: format!("tool `{}`: bad `{field}` regex: {e}", t.id),
                    });
                }
            }
        }
        for (k, v) in t.with.iter().chain(&t.without) {
            if let Err(e) = LazyRegex::new(v) {
                errors.push(LoadError {
                    path: label.into(),
                    line: None,
                    message: format!("tool `{}`: input `{k}` has a bad regex: {e}", t.id),
                });
            }
        }
    }
    for (id, c) in &catalog.categories {
        for i in &c.implies {
            if !catalog.categories.contains_key(i) {
                errors.push(LoadError {
                    path: label.into(),
                    line: None,
                    message: format!("category `{id}` implies undeclared category `{i}`"),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(catalog)
    } else {
        Err(errors)
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

const RULE_KEYS: &[&str] = &[
    "id",
    "section",
    "level",
    "title",
    "rationale",
    "remediation",
    "references",
    "evidence",
    "applies_when",
    "not_applicable",
];
const QUERY_KEYS: &[&str] = &[
    "any",
    "all",
    "not",
    "fact",
    "where",
    "min",
    "distinct",
    "criterion",
    "file",
    "because",
    "judgement",
];
const COND_OPS: &[&str] = &[
    "in",
    "not_in",
    "matches",
    "not_matches",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
    "eq",
];

struct Parser<'a> {
    path: &'a str,
    kinds: &'a [FactKindSpec],
    errors: Vec<LoadError>,
    files: Vec<FileQuery>,
}

impl Parser<'_> {
    fn err(&mut self, line: u32, message: impl Into<String>) {
        self.errors.push(LoadError {
            path: self.path.to_string(),
            line: Some(line.max(1)),
            message: message.into(),
        });
    }

    fn string(&mut self, doc: &Node, key: &str, required: bool) -> Option<String> {
        match doc.entry(key) {
            Some((_, v)) if v.as_str().is_some() => v.as_str().map(str::to_string),
            Some((k, _)) => {
                self.err(k.line, format!("`{key}` must be a string"));
                None
            }
            None => {
                if required {
                    self.err(doc.line, format!("missing `{key}:`"));
                }
                None
            }
        }
    }

    fn rule(&mut self, doc: &Node) -> Option<Rule> {
        if !doc.is_map() {
            self.err(doc.line, "a rule file must be a YAML mapping with `id:`, `section:`, `level:`, `title:`, `evidence:`...");
            return None;
        }
        for (k, kn, _) in doc.entries() {
            if !RULE_KEYS.contains(&k) {
                self.err(
                    kn.line,
                    format!(
                        "unknown field `{k}`; expected one of: {}",
                        RULE_KEYS.join(", ")
                    ),
                );
            }
        }
        let id = self.string(doc, "id", true)?;
        let section_line = doc
            .entry("section")
            .map(|(k, _)| k.line)
            .unwrap_or(doc.line);
        let section = match self.string(doc, "section", true) {
            Some(s) => match SectionId::parse(&s) {
                Some(sec) => sec,
                None => {
                    self.err(section_line, format!("unknown section `{s}`; expected process, audit_logs, ci_cd, change_control or security"));
                    return None;
                }
            },
            None => return None,
        };
        let level_line = doc.entry("level").map(|(k, _)| k.line).unwrap_or(doc.line);
        let level = match doc
            .get("level")
            .and_then(Node::as_str)
            .map(str::parse::<u8>)
        {
            Some(Ok(l)) if (2..=MAX_LEVEL).contains(&l) => l,
            _ => {
                self.err(level_line, "`level` must be a number from 2 to 5 (level 1 is the floor every repository gets)");
                return None;
            }
        };
        // Ids shaped like the rubric's (P2a, S5b) must agree with section and level.
        if let Some(c) = id.chars().next() {
            let rubric_like = id.len() <= 3
                && id.chars().nth(1).is_some_and(|d| d.is_ascii_digit())
                && "PACXS".contains(c);
            if rubric_like {
                let digit = id.chars().nth(1).and_then(|d| d.to_digit(10)).unwrap_or(0) as u8;
                if c != section.id_prefix() || digit != level {
                    let l = doc.entry("id").map(|(k, _)| k.line).unwrap_or(1);
                    self.err(l, format!("id `{id}` says section {} level {digit}, but the rule declares section {} level {level}", c, section.as_str()));
                }
            }
        }
        let title = self.string(doc, "title", true).unwrap_or_default();
        let rationale = self.string(doc, "rationale", false).unwrap_or_default();
        let remediation = self.string(doc, "remediation", true).unwrap_or_default();
        let references = doc
            .get("references")
            .map(Node::str_list)
            .unwrap_or_default();
        let evidence = match doc.get("evidence") {
            Some(q) => self.query(q)?,
            None => {
                self.err(
                    doc.line,
                    "missing `evidence:` (the query that decides the criterion)",
                );
                return None;
            }
        };
        let applies_when = match doc.get("applies_when") {
            Some(q) => Some(self.query(q)?),
            None => None,
        };
        let not_applicable = self.string(doc, "not_applicable", false);
        Some(Rule {
            id,
            section,
            level,
            title,
            rationale,
            remediation,
            references,
            evidence,
            applies_when,
            not_applicable,
            origin: self.path.to_string(),
        })
    }

    fn query(&mut self, q: &Node) -> Option<Query> {
        if !q.is_map() {
            self.err(q.line, "a query must be a mapping with one of `any`, `all`, `not`, `fact`, `criterion`, `file`");
            return None;
        }
        for (k, kn, _) in q.entries() {
            if !QUERY_KEYS.contains(&k) {
                self.err(
                    kn.line,
                    format!(
                        "unknown query field `{k}`; expected one of: {}",
                        QUERY_KEYS.join(", ")
                    ),
                );
            }
        }
        let heads: Vec<&str> = ["any", "all", "not", "fact", "criterion", "file"]
            .into_iter()
            .filter(|k| q.get(k).is_some())
            .collect();
        if heads.len() != 1 {
            self.err(q.line, format!("a query needs exactly one of `any`, `all`, `not`, `fact`, `criterion`, `file` (found: {})", if heads.is_empty() { "none".to_string() } else { heads.join(", ") }));
            return None;
        }
        if heads[0] != "fact" && heads[0] != "file" {
            if let Some(j) = q.get("judgement") {
                self.err(
                    j.line,
                    "`judgement` marks what a `fact` or `file` query matches as a judgement; write it beside `fact` or `file`",
                );
            }
        }
        if heads[0] != "not" {
            if let Some(b) = q.get("because") {
                self.err(
                    b.line,
                    "`because` says why a `not` query fails its criterion; write it beside `not`",
                );
            }
        }
        match heads[0] {
            "any" | "all" => {
                let items = q.get(heads[0]).map(Node::as_seq).unwrap_or(&[]);
                if items.is_empty() {
                    self.err(
                        q.line,
                        format!("`{}` needs a non-empty list of queries", heads[0]),
                    );
                    return None;
                }
                let qs: Vec<Query> = items.iter().filter_map(|i| self.query(i)).collect();
                if qs.len() != items.len() {
                    return None;
                }
                Some(if heads[0] == "any" {
                    Query::Any(qs)
                } else {
                    Query::All(qs)
                })
            }
            "not" => {
                let because = q.get("because").and_then(Node::as_str).map(str::to_string);
                Some(Query::Not(Box::new(self.query(q.get("not")?)?), because))
            }
            "criterion" => match q.get("criterion").and_then(Node::as_str) {
                Some(id) => Some(Query::Criterion(id.to_string())),
                None => {
                    self.err(q.line, "`criterion` must be a criterion id such as S2");
                    None
                }
            },
            "file" => self.file_query(q),
            _ => self.fact_query(q),
        }
    }

    fn file_query(&mut self, q: &Node) -> Option<Query> {
        let f = q.get("file")?;
        let globs = f.get("glob").map(Node::str_list).unwrap_or_default();
        if globs.is_empty() {
            self.err(
                f.line,
                "`file` needs `glob:` (a glob or a list of globs, e.g. \"**/*.rego\")",
            );
            return None;
        }
        for (k, kn, _) in f.entries() {
            if k != "glob" && k != "content" {
                self.err(
                    kn.line,
                    format!(
                        "unknown field `{k}` in `file`; expected `glob` and optional `content`"
                    ),
                );
            }
        }
        for g in &globs {
            if let Err(e) = globset::Glob::new(g) {
                self.err(f.line, format!("bad glob `{g}`: {e}"));
                return None;
            }
        }
        let content = f.get("content").and_then(Node::as_str).map(str::to_string);
        if let Some(c) = &content {
            if let Err(e) = LazyRegex::new(c) {
                let line = f.get("content").map(|n| n.line).unwrap_or(f.line);
                self.err(
                    line,
                    format!("bad regex in `content`: {}", first_line(&e.to_string())),
                );
                return None;
            }
        }
        let key = format!(
            "{}|{}",
            globs.join(","),
            content.clone().unwrap_or_default()
        );
        if !self.files.iter().any(|x| x.key == key) {
            self.files.push(FileQuery {
                key: key.clone(),
                globs,
                content,
            });
        }
        let (min, distinct) = self.count(q, &["path", "dir"], "file");
        Some(Query::Fact(FactQuery {
            kind: "file.match".into(),
            conds: vec![("pattern".into(), Cond::Eq(Scalar::Str(key)))],
            min,
            distinct,
            judgement: q
                .get("judgement")
                .and_then(Node::as_str)
                .map(str::to_string),
        }))
    }

    /// `min:` and `distinct:` of a query; `allowed` are the valid `distinct` values
    /// besides attribute names.
    fn count(&mut self, q: &Node, allowed: &[&str], what: &str) -> (usize, Option<String>) {
        let min = match q.get("min") {
            None => 1,
            Some(n) => match n.as_str().and_then(|s| s.parse::<usize>().ok()) {
                Some(m) if m >= 1 => m,
                _ => {
                    self.err(n.line, "`min` must be a whole number of at least 1");
                    1
                }
            },
        };
        let distinct = q.get("distinct").and_then(Node::as_str).map(str::to_string);
        if let Some(d) = &distinct {
            if !allowed.contains(&d.as_str()) {
                self.err(
                    q.line,
                    format!(
                        "`distinct: {d}` is not one of {} for `{what}`",
                        allowed.join(", ")
                    ),
                );
            }
        }
        (min, distinct)
    }

    fn fact_query(&mut self, q: &Node) -> Option<Query> {
        let (kn, kv) = q.entry("fact")?;
        let Some(kind) = kv.as_str() else {
            self.err(kn.line, "`fact` must name a fact kind");
            return None;
        };
        let Some(spec) = self.kinds.iter().find(|k| k.name == kind).copied() else {
            let known: Vec<&str> = self.kinds.iter().map(|k| k.name).collect();
            self.err(
                kv.line,
                format!(
                    "unknown fact kind `{kind}`; known kinds: {}",
                    known.join(", ")
                ),
            );
            return None;
        };
        let mut conds = Vec::new();
        if let Some(w) = q.get("where") {
            if !w.is_map() {
                self.err(w.line, "`where` must map attribute names to conditions");
                return None;
            }
            for (attr, an, cond) in w.entries() {
                let Some(aspec) = spec.attrs.iter().find(|a| a.name == attr) else {
                    let known: Vec<&str> = spec.attrs.iter().map(|a| a.name).collect();
                    self.err(
                        an.line,
                        format!(
                            "fact kind `{kind}` has no attribute `{attr}`; its attributes: {}",
                            known.join(", ")
                        ),
                    );
                    continue;
                };
                if let Some(c) = self.cond(cond, aspec.ty, attr) {
                    conds.extend(c.into_iter().map(|c| (attr.to_string(), c)));
                }
            }
        }
        let mut allowed: Vec<&str> = vec!["path", "dir"];
        allowed.extend(spec.attrs.iter().map(|a| a.name));
        let (min, distinct) = self.count(q, &allowed, kind);
        let judgement = q
            .get("judgement")
            .and_then(Node::as_str)
            .map(str::to_string);
        Some(Query::Fact(FactQuery {
            kind: kind.to_string(),
            conds,
            min,
            distinct,
            judgement,
        }))
    }

    fn cond(&mut self, n: &Node, ty: AttrType, attr: &str) -> Option<Vec<Cond>> {
        match &n.value {
            Value::Scalar(..) => Some(vec![Cond::Eq(self.scalar(n, ty, attr)?)]),
            Value::Map(_) => {
                let mut out = Vec::new();
                for (op, on, v) in n.entries() {
                    let c = match op {
                        "eq" => Cond::Eq(self.scalar(v, ty, attr)?),
                        "in" | "not_in" => {
                            let items = v.str_list();
                            if items.is_empty() {
                                self.err(on.line, format!("`{op}` needs a list of values"));
                                return None;
                            }
                            if !matches!(ty, AttrType::Str | AttrType::List) {
                                self.err(
                                    on.line,
                                    format!(
                                        "`{op}` needs a string or list attribute; `{attr}` is {}",
                                        ty.name()
                                    ),
                                );
                                return None;
                            }
                            if op == "in" {
                                Cond::In(items)
                            } else {
                                Cond::NotIn(items)
                            }
                        }
                        "matches" | "not_matches" => {
                            let pat = v.as_str().unwrap_or_default();
                            match LazyRegex::new(pat) {
                                Ok(re) => {
                                    if op == "matches" {
                                        Cond::Matches(re)
                                    } else {
                                        Cond::NotMatches(re)
                                    }
                                }
                                Err(e) => {
                                    self.err(
                                        v.line,
                                        format!(
                                            "bad regex for `{attr}`: {}",
                                            first_line(&e.to_string())
                                        ),
                                    );
                                    return None;
                                }
                            }
                        }
                        "gt" | "gte" | "lt" | "lte" => {
                            if !matches!(ty, AttrType::Int | AttrType::Float) {
                                self.err(
                                    on.line,
                                    format!("`{op}` compares numbers; `{attr}` is {}", ty.name()),
                                );
                                return None;
                            }
                            let Some(x) = v.as_str().and_then(|s| s.parse::<f64>().ok()) else {
                                self.err(v.line, format!("`{op}` needs a number"));
                                return None;
                            };
                            let o = match op {
                                "gt" => CmpOp::Gt,
                                "gte" => CmpOp::Gte,
                                "lt" => CmpOp::Lt,
                                _ => CmpOp::Lte,
                            };
                            Cond::Cmp(o, x)
                        }
                        "exists" => Cond::Exists(v.is_true()),
                        other => {
                            self.err(
                                on.line,
                                format!(
                                    "unknown condition `{other}`; expected one of: {}",
                                    COND_OPS.join(", ")
                                ),
                            );
                            return None;
                        }
                    };
                    out.push(c);
                }
                Some(out)
            }
            _ => {
                self.err(
                    n.line,
                    format!(
                        "condition for `{attr}` must be a value or a mapping of operators ({})",
                        COND_OPS.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn scalar(&mut self, n: &Node, ty: AttrType, attr: &str) -> Option<Scalar> {
        let s = n.as_str().unwrap_or_default();
        match ty {
            AttrType::Bool => match s {
                "true" => Some(Scalar::Bool(true)),
                "false" => Some(Scalar::Bool(false)),
                _ => {
                    self.err(n.line, format!("`{attr}` is a boolean: use true or false"));
                    None
                }
            },
            AttrType::Int | AttrType::Float => match s.parse::<f64>() {
                Ok(x) => Some(Scalar::Num(x)),
                Err(_) => {
                    self.err(n.line, format!("`{attr}` is a number"));
                    None
                }
            },
            AttrType::Str | AttrType::List => Some(Scalar::Str(s.to_string())),
        }
    }
}

/// Parses and validates rule files. Returns the rules and the file queries they use.
pub fn parse_rules(
    sources: &[Source],
    kinds: &[FactKindSpec],
) -> Result<(Vec<Rule>, Vec<FileQuery>), Vec<LoadError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for s in sources {
        let parsed = yaml::parse(&s.text, yaml::Limits::default());
        if let Some(e) = parsed.error {
            errors.push(LoadError {
                path: s.path.clone(),
                line: Some(e.line),
                message: format!("invalid YAML: {}", e.message),
            });
            continue;
        }
        let mut p = Parser {
            path: &s.path,
            kinds,
            errors: Vec::new(),
            files: Vec::new(),
        };
        for doc in &parsed.documents {
            if let Some(rule) = p.rule(doc) {
                if let Some(prev) = seen.get(&rule.id) {
                    p.err(
                        doc.entry("id").map(|(k, _)| k.line).unwrap_or(1),
                        format!("duplicate rule id `{}` (also defined in {prev})", rule.id),
                    );
                } else {
                    seen.insert(rule.id.clone(), s.path.clone());
                    rules.push(rule);
                }
            }
        }
        errors.extend(p.errors);
        for f in p.files {
            if !files.iter().any(|x: &FileQuery| x.key == f.key) {
                files.push(f);
            }
        }
    }
    if errors.is_empty() {
        Ok((rules, files))
    } else {
        errors.sort();
        Err(errors)
    }
}

/// Checks references between rules: every `criterion:` names a rule, no cycles.
pub fn check_references(set: &RuleSet) -> Vec<LoadError> {
    let mut errors = Vec::new();
    for r in &set.rules {
        let mut refs = Vec::new();
        r.evidence.criteria(&mut refs);
        if let Some(a) = &r.applies_when {
            a.criteria(&mut refs);
        }
        for id in refs {
            if set.rule(&id).is_none() {
                errors.push(LoadError {
                    path: r.origin.clone(),
                    line: None,
                    message: format!("rule `{}` refers to unknown criterion `{id}`", r.id),
                });
            }
        }
    }
    // Cycle detection by depth-first search.
    fn visit<'a>(
        set: &'a RuleSet,
        id: &'a str,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if done.contains(id) {
            return None;
        }
        if stack.contains(&id) {
            let mut cycle: Vec<String> = stack.iter().map(|s| s.to_string()).collect();
            cycle.push(id.to_string());
            return Some(cycle);
        }
        stack.push(id);
        if let Some(r) = set.rule(id) {
            let mut refs = Vec::new();
            r.evidence.criteria(&mut refs);
            if let Some(a) = &r.applies_when {
                a.criteria(&mut refs);
            }
            for x in refs {
                if let Some(x) = set.rule(&x).map(|r| r.id.as_str()) {
                    if let Some(c) = visit(set, x, stack, done) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        done.insert(id);
        None
    }
    let mut done = BTreeSet::new();
    for r in &set.rules {
        if let Some(cycle) = visit(set, &r.id, &mut Vec::new(), &mut done) {
            errors.push(LoadError {
                path: r.origin.clone(),
                line: None,
                message: format!(
                    "criteria refer to each other in a cycle: {}",
                    cycle.join(" → ")
                ),
            });
            break;
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_reads_the_same_through_the_tree_and_serde_saphyr() {
        let (_, sources) = builtin_sources();
        assert!(!sources.is_empty());
        let tree = load_builtin_catalog(&sources).expect("tree reading");
        let saphyr = load_catalog(&sources).expect("serde-saphyr reading");
        assert!(tree.tools.len() > 100, "{} tools", tree.tools.len());
        assert_eq!(format!("{tree:?}"), format!("{saphyr:?}"));
    }

    #[test]
    fn the_tree_reading_reports_bad_catalogs() {
        let src = |text: &str| Source {
            path: "rules/catalog/x.yaml".into(),
            text: text.into(),
        };
        let unknown = load_builtin_catalog(&[src(
            "tools:\n  - {id: a, categories: [build], colour: red}\n",
        )])
        .expect_err("unknown field");
        assert!(unknown[0].message.contains("colour"), "{unknown:?}");
        let broken = load_builtin_catalog(&[src("tools:\n  - {id: a\n")]).expect_err("bad YAML");
        assert_eq!(broken[0].path, "rules/catalog/x.yaml");
        assert!(broken[0].line.is_some(), "{broken:?}");
    }
}
