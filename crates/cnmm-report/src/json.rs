//! The JSON report (contract v1, see `docs/report.md`): the assessment serialised as is,
//! pretty-printed, with a trailing newline. Deterministic: every list is sorted by the
//! stages before, struct fields serialise in declaration order.

use cnmm_model::Assessment;

pub fn render(a: &Assessment) -> String {
    let mut s = serde_json::to_string_pretty(a).unwrap_or_else(|e| {
        // Serialising plain data cannot fail; keep the output valid JSON regardless.
        format!("{{\"error\": {:?}}}", e.to_string())
    });
    s.push('\n');
    s
}
