//! The JSON report contract: `schema/report.schema.json` is generated from the report
//! types (schemars) and real output validates against it.
//! `CNMM_BLESS=1 cargo test` rewrites the checked-in schema after an intended change.

use crate::support::{assess, materialise, workspace_root};

fn generated() -> String {
    let schema = schemars::schema_for!(cnmm_model::Assessment);
    let mut s = serde_json::to_string_pretty(&schema).expect("schema json");
    s.push('\n');
    s
}

#[test]
fn checked_in_schema_matches_the_report_types() {
    let path = workspace_root().join("schema/report.schema.json");
    let want = generated();
    if std::env::var_os("CNMM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &want).expect("write schema");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "schema/report.schema.json is out of date; run `CNMM_BLESS=1 cargo test --test e2e schema` and review the diff"
    );
}

#[test]
fn real_reports_validate_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&generated()).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    for fixture in ["scenarios/github-app", "scenarios/malformed-workflow"] {
        for git in [false, true] {
            let repo = materialise(fixture.as_ref(), git);
            let a = assess(repo.path());
            let json: serde_json::Value =
                serde_json::from_str(&cnmm_report::json::render(&a)).expect("json");
            let errors: Vec<String> = validator
                .iter_errors(&json)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{fixture}: {errors:?}");
        }
    }
}
