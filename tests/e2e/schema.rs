//! The JSON report contract: `schema/report.schema.json` is generated from the report
//! types (schemars) and real output validates against it.
//! `CNMM_BLESS=1 cargo test` rewrites the checked-in schema after an intended change.

use crate::support::{assess, cnmm, materialise, stdout_of, workspace_root};

fn pretty(schema: &schemars::Schema) -> String {
    let mut s = serde_json::to_string_pretty(schema).expect("schema json");
    s.push('\n');
    s
}

fn generated() -> String {
    pretty(&schemars::schema_for!(cnmm_model::Assessment))
}

fn generated_timeline() -> String {
    pretty(&schemars::schema_for!(cnmm::timeline::Timeline))
}

fn generated_plan() -> String {
    pretty(&schemars::schema_for!(cnmm::plan::Plan))
}

/// The checked-in `schema/NAME` is `want`; `CNMM_BLESS=1` rewrites it.
fn check_in(name: &str, want: &str) {
    let path = workspace_root().join("schema").join(name);
    if std::env::var_os("CNMM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, want).expect("write schema");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "schema/{name} is out of date; run `CNMM_BLESS=1 cargo test --test e2e schema` and review the diff"
    );
}

#[test]
fn checked_in_schema_matches_the_report_types() {
    check_in("report.schema.json", &generated());
}

#[test]
fn checked_in_fleet_report_schema_matches_the_report_types() {
    check_in(
        "fleet-report.schema.json",
        &pretty(&schemars::schema_for!(cnmm::fleet::report::FleetReport)),
    );
}

#[test]
fn real_fleet_reports_validate_against_their_schema() {
    let schema: serde_json::Value = serde_json::from_str(&pretty(&schemars::schema_for!(
        cnmm::fleet::report::FleetReport
    )))
    .expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let dir = tempfile::tempdir().expect("tempdir");
    // Two repositories named by a list file (a fleet source of its own).
    let repos = [
        materialise("scenarios/github-app".as_ref(), true),
        materialise("scenarios/malformed-workflow".as_ref(), true),
    ];
    let list: Vec<String> = repos
        .iter()
        .map(|r| r.path().display().to_string())
        .collect();
    std::fs::write(dir.path().join("repos.txt"), list.join("\n")).expect("list");
    let db = dir.path().join("fleet.db");
    let bin = || assert_cmd::Command::cargo_bin("cnmm").expect("binary");
    bin()
        .args(["fleet", "scan", "--db"])
        .arg(&db)
        .arg(dir.path().join("repos.txt"))
        .assert()
        .success();
    let out = bin()
        .args(["fleet", "report", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["repositories"].as_array().map(Vec::len), Some(2));
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn checked_in_plan_schema_matches_the_plan_types() {
    check_in("plan.schema.json", &generated_plan());
}

/// The JSON that `cnmm ARGS PATH` prints, checked against `schema` (the errors named).
fn validated_output(schema: &str, args: &[&str], path: &std::path::Path) -> serde_json::Value {
    let schema: serde_json::Value = serde_json::from_str(schema).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let out = stdout_of(cnmm().args(args).arg(path));
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "cnmm {args:?}: {errors:?}");
    json
}

#[test]
fn real_plans_validate_against_their_schema() {
    for fixture in ["scenarios/go-service", "scenarios/python-gitlab"] {
        let repo = materialise(fixture.as_ref(), true);
        let json = validated_output(
            &generated_plan(),
            &["plan", "--format", "json", "--to", "5"],
            repo.path(),
        );
        assert!(
            !json["steps"].as_array().is_none_or(Vec::is_empty),
            "{fixture}"
        );
    }
}

#[test]
fn checked_in_timeline_schema_matches_the_timeline_types() {
    check_in("timeline.schema.json", &generated_timeline());
}

#[test]
fn real_timelines_validate_against_their_schema() {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    let json = validated_output(
        &generated_timeline(),
        &["timeline", "--format", "json", "--rev", "HEAD"],
        repo.path(),
    );
    assert!(!json["points"][0]["criteria"]
        .as_array()
        .is_none_or(Vec::is_empty));
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
