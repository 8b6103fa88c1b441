//! What the fuzz targets share: the built-in catalog, and the invariants every
//! extractor keeps on any input (no panic; every location inside the input).

use cnmm_model::catalog::Catalog;
use std::sync::OnceLock;

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
    let (facts, diagnostics) = cnmm_facts::extract_file(path, data, catalog());
    let lines = u32::try_from(data.split(|b| *b == b'\n').count()).unwrap_or(u32::MAX);
    for f in &facts {
        if f.location.path == path {
            if let Some(l) = f.location.line {
                assert!(l >= 1 && l <= lines.saturating_add(1), "fact line {l} of {lines}");
            }
        }
    }
    for d in &diagnostics {
        if d.path.as_deref() == Some(path) {
            if let Some(l) = d.line {
                assert!(l <= lines.saturating_add(1), "diagnostic line {l} of {lines}");
            }
        }
    }
}
