//! The rule engine: rule files (YAML, one criterion each, embedded from `rules/`) map
//! facts to criteria and criteria to levels. Domain knowledge (which tool is a
//! container scanner, the 70% PR share, the 6 tags a year) lives in the rule data, so
//! adding a tool or a rule needs no Rust.

pub mod evaluate;
pub mod loader;
pub mod query;

pub use evaluate::{evaluate, gated_level, Input, Waiver};
pub use loader::LoadError;

use cnmm_model::{Catalog, FactKindSpec, SectionId};
use query::Query;
use std::path::Path;

/// What a rule pack changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OverlaySummary {
    /// Rules with ids the set did not have.
    pub added: usize,
    /// Rules that replaced one of the same id.
    pub overridden: usize,
    /// Files of the pack's `catalog/` directory.
    pub catalog_files: usize,
}

/// One criterion of the rubric (or a user's own), as declared in its rule file.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub section: SectionId,
    pub level: u8,
    pub title: String,
    pub rationale: String,
    pub remediation: String,
    pub references: Vec<String>,
    pub evidence: Query,
    /// When present and unmet, the criterion is `not_applicable`.
    pub applies_when: Option<Query>,
    /// Why the criterion does not apply, for the report.
    pub not_applicable: Option<String>,
    /// The rule file it came from.
    pub origin: String,
}

/// A `file:` query: the fact stage emits `file.match` facts for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileQuery {
    pub key: String,
    pub globs: Vec<String>,
    pub content: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Sorted by section, level, id.
    pub rules: Vec<Rule>,
    pub catalog: Catalog,
    pub file_queries: Vec<FileQuery>,
}

impl RuleSet {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// The built-in rules and catalog, validated against the fact kinds.
    pub fn builtin(kinds: &[FactKindSpec]) -> Result<RuleSet, Vec<LoadError>> {
        let (rule_sources, catalog_sources) = loader::builtin_sources();
        let catalog = loader::load_builtin_catalog(&catalog_sources)?;
        let (rules, file_queries) = loader::parse_rules(&rule_sources, kinds)?;
        let mut set = RuleSet {
            rules,
            catalog,
            file_queries,
        };
        set.sort();
        let errs = loader::check_references(&set);
        if errs.is_empty() {
            Ok(set)
        } else {
            Err(errs)
        }
    }

    /// Adds the rules of `dir`; a rule with the id of an existing one replaces it.
    /// Files under `dir/catalog/` extend the tool and path catalog.
    pub fn overlay_dir(
        &mut self,
        dir: &Path,
        kinds: &[FactKindSpec],
    ) -> Result<OverlaySummary, Vec<LoadError>> {
        let (sources, catalog_sources) = loader::dir_sources(dir).map_err(|e| vec![e])?;
        if sources.is_empty() && catalog_sources.is_empty() {
            return Err(vec![LoadError {
                path: dir.display().to_string(),
                line: None,
                message: "contains no rule files (*.yaml)".into(),
            }]);
        }
        if !catalog_sources.is_empty() {
            let label = dir.join("catalog").display().to_string();
            self.catalog =
                loader::load_catalog_onto(self.catalog.clone(), &catalog_sources, &label)?;
        }
        let (rules, files) = loader::parse_rules(&sources, kinds)?;
        let mut summary = OverlaySummary {
            catalog_files: catalog_sources.len(),
            ..OverlaySummary::default()
        };
        for r in rules {
            match self
                .rules
                .iter_mut()
                .find(|x| x.id.eq_ignore_ascii_case(&r.id))
            {
                Some(existing) => {
                    *existing = r;
                    summary.overridden += 1;
                }
                None => {
                    self.rules.push(r);
                    summary.added += 1;
                }
            }
        }
        for f in files {
            if !self.file_queries.iter().any(|x| x.key == f.key) {
                self.file_queries.push(f);
            }
        }
        self.sort();
        let errs = loader::check_references(self);
        if errs.is_empty() {
            Ok(summary)
        } else {
            Err(errs)
        }
    }

    fn sort(&mut self) {
        self.rules
            .sort_by(|a, b| (a.section, a.level, &a.id).cmp(&(b.section, b.level, &b.id)));
    }
}
