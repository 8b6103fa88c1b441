//! Facts: what extractors observed, each with a location. Extractors know formats, not
//! maturity; rules (in `rules/`) turn facts into criteria.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A place in the scanned repository: a path relative to its root (always `/`-separated)
/// and a 1-based line when the format gives one. History evidence uses a pseudo path
/// such as `git:commit/<id>` or `git:tag/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub line: Option<u32>,
}

impl Location {
    pub fn new(path: impl Into<String>, line: Option<u32>) -> Self {
        Location {
            path: path.into(),
            line,
        }
    }
    pub fn at(path: impl Into<String>, line: u32) -> Self {
        Location::new(path, Some(line))
    }
}

/// Where a piece of evidence comes from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// A file of the scanned tree.
    File,
    /// The git history (commits, tags).
    History,
    /// A file the user imported with `--evidence`.
    Imported,
}

/// The value of one fact attribute. Lists are lists of strings (tool categories,
/// trigger names, ecosystems): that covers every query the rules need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<String>),
}

impl AttrValue {
    pub fn type_name(&self) -> AttrType {
        match self {
            AttrValue::Bool(_) => AttrType::Bool,
            AttrValue::Int(_) => AttrType::Int,
            AttrValue::Float(_) => AttrType::Float,
            AttrValue::Str(_) => AttrType::Str,
            AttrValue::List(_) => AttrType::List,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttrValue::Int(i) => Some(*i as f64),
            AttrValue::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl From<bool> for AttrValue {
    fn from(v: bool) -> Self {
        AttrValue::Bool(v)
    }
}
impl From<i64> for AttrValue {
    fn from(v: i64) -> Self {
        AttrValue::Int(v)
    }
}
impl From<usize> for AttrValue {
    fn from(v: usize) -> Self {
        AttrValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<f64> for AttrValue {
    fn from(v: f64) -> Self {
        AttrValue::Float(v)
    }
}
impl From<&str> for AttrValue {
    fn from(v: &str) -> Self {
        AttrValue::Str(v.to_string())
    }
}
impl From<String> for AttrValue {
    fn from(v: String) -> Self {
        AttrValue::Str(v)
    }
}
impl From<Vec<String>> for AttrValue {
    fn from(v: Vec<String>) -> Self {
        AttrValue::List(v)
    }
}

/// The declared type of an attribute, used to validate rule files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    Bool,
    Int,
    Float,
    Str,
    List,
}

impl AttrType {
    pub fn name(self) -> &'static str {
        match self {
            AttrType::Bool => "bool",
            AttrType::Int => "int",
            AttrType::Float => "float",
            AttrType::Str => "string",
            AttrType::List => "list",
        }
    }
}

/// One observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// A registered fact kind such as `tool.use` or `governance.file`.
    pub kind: String,
    pub location: Location,
    /// One line for a human: what was seen.
    pub detail: String,
    /// The detail shortened for a terminal (long lists such as a job's triggers
    /// summarised), when it differs; the report's text view shows it.
    pub brief: Option<String>,
    pub attrs: BTreeMap<String, AttrValue>,
    /// Set when the fact comes from a place that must not count (tests, fixtures,
    /// examples, an argument that only mentions a tool...). Such facts never satisfy a
    /// criterion; the report lists them with this reason.
    pub excluded: Option<String>,
    pub source: EvidenceSource,
}

impl Fact {
    pub fn new(kind: &str, location: Location, detail: impl Into<String>) -> Self {
        Fact {
            kind: kind.to_string(),
            location,
            detail: detail.into(),
            brief: None,
            attrs: BTreeMap::new(),
            excluded: None,
            source: EvidenceSource::File,
        }
    }
    pub fn attr(mut self, key: &str, value: impl Into<AttrValue>) -> Self {
        self.attrs.insert(key.to_string(), value.into());
        self
    }
    pub fn set(&mut self, key: &str, value: impl Into<AttrValue>) {
        self.attrs.insert(key.to_string(), value.into());
    }
    pub fn excluded(mut self, reason: impl Into<String>) -> Self {
        self.excluded = Some(reason.into());
        self
    }
    pub fn source(mut self, source: EvidenceSource) -> Self {
        self.source = source;
        self
    }
    pub fn get(&self, key: &str) -> Option<&AttrValue> {
        self.attrs.get(key)
    }
    pub fn get_bool(&self, key: &str) -> bool {
        matches!(self.attrs.get(key), Some(AttrValue::Bool(true)))
    }
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.attrs.get(key) {
            Some(AttrValue::Str(s)) => Some(s),
            _ => None,
        }
    }
    pub fn get_list(&self, key: &str) -> &[String] {
        match self.attrs.get(key) {
            Some(AttrValue::List(l)) => l,
            _ => &[],
        }
    }

    /// Total order used to make reports deterministic.
    pub fn sort_key(&self) -> (&str, Option<u32>, &str, &str) {
        (
            &self.location.path,
            self.location.line,
            &self.kind,
            &self.detail,
        )
    }
}

/// Which part of the scan produces a fact kind. When a source could not be observed
/// (no git repository, shallow clone), queries on its kinds are `unknown`, not unmet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactSource {
    Files,
    History,
}

/// The declaration of a fact kind: its name, where it comes from and its attributes.
/// Every extractor declares the kinds it emits; rule files are validated against the
/// union of these declarations.
#[derive(Debug, Clone, Copy)]
pub struct FactKindSpec {
    pub name: &'static str,
    pub source: FactSource,
    pub description: &'static str,
    pub attrs: &'static [AttrSpec],
}

#[derive(Debug, Clone, Copy)]
pub struct AttrSpec {
    pub name: &'static str,
    pub ty: AttrType,
    pub description: &'static str,
}

/// Shorthand for declaring attributes in `const` tables.
pub const fn attr(name: &'static str, ty: AttrType, description: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        description,
    }
}
