//! What the fuzz targets share: the built-in catalog, and the invariants every
//! extractor keeps on any input (no panic; every location inside the input).

use cnmm_model::catalog::Catalog;
use std::sync::OnceLock;

/// The built-in catalog, compiled once (compiling it per input would dominate).
pub fn matcher() -> &'static cnmm_facts::tools::ToolMatcher<'static> {
    static M: OnceLock<cnmm_facts::tools::ToolMatcher<'static>> = OnceLock::new();
    M.get_or_init(|| cnmm_facts::tools::ToolMatcher::new(catalog()))
}

pub fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let kinds = cnmm_facts::extractors::fact_kinds();
        cnmm_rules::RuleSet::builtin(&kinds)
            .map(|s| s.catalog)
            .unwrap_or_default()
    })
}

/// Runs the extractors that claim `path` on `data` and checks that facts and
/// diagnostics point inside the input.
pub fn extract(path: &str, data: &[u8]) {
    extract_many(&[(path, data)]);
}

/// [`extract`] for a repository of several files in memory: every fact and diagnostic
/// located in one of them points inside it.
pub fn extract_many(files: &[(&str, &[u8])]) {
    let (facts, diagnostics) = cnmm_facts::extract_files(files, matcher());
    for (path, data) in files {
        let lines = u32::try_from(line_count(data)).unwrap_or(u32::MAX);
        for f in facts.iter().filter(|f| f.location.path == *path) {
            if let Some(l) = f.location.line {
                assert!(
                    l >= 1 && l <= lines.saturating_add(1),
                    "{path}: fact line {l} of {lines}"
                );
            }
        }
        for d in diagnostics
            .iter()
            .filter(|d| d.path.as_deref() == Some(*path))
        {
            if let Some(l) = d.line {
                assert!(
                    l <= lines.saturating_add(1),
                    "{path}: diagnostic line {l} of {lines}"
                );
            }
        }
    }
}

/// Lines as an editor (and YAML) counts them: `\n`, `\r\n` and a lone `\r` end a line.
pub fn line_count(data: &[u8]) -> usize {
    let lone_cr = data
        .windows(2)
        .filter(|w| w[0] == b'\r' && w[1] != b'\n')
        .count()
        + usize::from(data.last() == Some(&b'\r'));
    data.iter().filter(|b| **b == b'\n').count() + lone_cr + 1
}
