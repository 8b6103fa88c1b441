//! The command line as users drive it: output, exit codes, files, errors.

use crate::support::{materialise, workspace_root};
use assert_cmd::Command;
use predicates::prelude::*;

fn cnmm() -> Command {
    let mut c = Command::cargo_bin("cnmm").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

#[test]
fn text_report_shows_levels_evidence_and_next_steps() {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    cnmm()
        .arg("scan")
        .arg(repo.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("Overall: level"))
        .stdout(predicate::str::contains("Process — level 2 (Operate)"))
        .stdout(predicate::str::contains(".github/workflows/ci.yml:"))
        .stdout(predicate::str::contains("Next: level 3 (Scale) needs:"))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn json_report_is_deterministic_across_runs_and_jobs() {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    let run = |jobs: &str| {
        let out = cnmm()
            .args(["scan", "--format", "json", "--jobs", jobs])
            .arg(repo.path())
            .output()
            .expect("run");
        assert!(out.status.success());
        out.stdout
    };
    let a = run("1");
    let b = run("4");
    let c = run("2");
    assert_eq!(a, b, "--jobs 1 and --jobs 4 differ");
    assert_eq!(a, c, "two runs differ");
    let text = String::from_utf8(a).expect("utf8");
    let tmp = repo.path().to_string_lossy().to_string();
    assert!(
        !text.contains(&tmp),
        "the report leaks the machine path {tmp}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["schema_version"], "1.0");
    assert_eq!(v["tool"]["name"], "cnmm");
}

#[test]
fn output_file_receives_the_report() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let out = tempfile::tempdir().expect("tmp");
    let file = out.path().join("report.json");
    cnmm()
        .args(["scan", "--format", "json", "--output"])
        .arg(&file)
        .arg(repo.path())
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(&file).expect("report written");
    assert!(text.contains("\"summary\""));
}

#[test]
fn fail_below_exits_one_with_a_reason_per_failing_section() {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    cnmm()
        .args(["scan", "--fail-below", "3"])
        .arg(repo.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "below target: Process is at level 2, below the target 3: missing",
        ))
        .stderr(predicate::str::contains("P3b"));
    cnmm()
        .args(["scan", "--fail-below", "process=2,change_control=2"])
        .arg(repo.path())
        .assert()
        .code(0);
    cnmm()
        .args(["scan", "--fail-below", "1"])
        .arg(repo.path())
        .assert()
        .code(0);
}

#[test]
fn bad_input_exits_two_with_a_clear_message() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    cnmm()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
    let file = repo.path().join("README.md");
    cnmm()
        .arg("scan")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a directory"));
    cnmm()
        .args(["scan", "--fail-below", "securty=3"])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown section `securty`"));
    cnmm()
        .args(["scan", "--fail-below", "7"])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "levels are whole numbers from 1 to 5",
        ));
    cnmm()
        .args(["scan", "--format", "yaml"])
        .arg(repo.path())
        .assert()
        .code(2);
}

#[test]
fn malformed_workflow_is_a_diagnostic_and_the_scan_completes() {
    let repo = materialise("scenarios/malformed-workflow".as_ref(), false);
    let out = cnmm()
        .args(["scan", "--format", "json"])
        .arg(repo.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    let bad = diags
        .iter()
        .find(|d| d["path"] == ".github/workflows/broken.yml")
        .expect("a diagnostic for the broken workflow");
    assert_eq!(bad["severity"], "error");
    assert!(bad["line"].as_u64().is_some_and(|l| l >= 5), "{bad}");
    // The good workflow beside it still counts.
    let p2a = v["sections"][0]["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["id"] == "P2a")
        .expect("P2a");
    assert_eq!(p2a["status"], "met");
}

#[test]
fn config_file_errors_name_the_file_and_line() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    std::fs::write(
        repo.path().join(".cnmm.yml"),
        "targets:\n  overall: 3\nexcludes: [x]\n",
    )
    .expect("write");
    cnmm()
        .arg("scan")
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".cnmm.yml:3"));
    std::fs::write(
        repo.path().join(".cnmm.yml"),
        "waivers:\n  - {criterion: Z9, reason: r, expires: 2030-01-01}\n",
    )
    .expect("write");
    cnmm()
        .arg("scan")
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown criterion `Z9`"));
}

#[test]
fn config_targets_and_waivers_drive_the_gate() {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    std::fs::write(repo.path().join(".cnmm.yml"), "targets:\n  process: 3\n").expect("write");
    cnmm().arg("scan").arg(repo.path()).assert().code(1);
    std::fs::write(
        repo.path().join(".cnmm.yml"),
        "targets:\n  process: 2\nwaivers:\n  - {criterion: P3b, reason: bots are blocked here, expires: 2999-01-01}\n",
    )
    .expect("write");
    cnmm()
        .args(["scan", "--format", "json"])
        .arg(repo.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"status\": \"waived\""));
    std::fs::write(
        repo.path().join(".cnmm.yml"),
        "targets:\n  process: 1\nwaivers:\n  - {criterion: P3b, reason: old, expires: 2001-01-01}\n",
    )
    .expect("write");
    cnmm()
        .arg("scan")
        .arg(repo.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expired on 2001-01-01"));
}

#[test]
fn rules_commands() {
    cnmm()
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("S5b"))
        .stdout(predicate::str::contains("X3c"));
    cnmm()
        .args(["rules", "show", "S2"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Section: Security · Level 2"));
    cnmm()
        .args(["explain", "security"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Level 5 (Adapt):"));
    cnmm().args(["explain", "Z9"]).assert().code(2);
    let bad = workspace_root().join("fixtures/rule-packs/invalid");
    cnmm()
        .args(["rules", "validate"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad-regex.yaml:"))
        .stderr(predicate::str::contains("unknown fact kind `tool.usage`"));
    let good = workspace_root().join("fixtures/rule-packs/valid");
    cnmm()
        .args(["rules", "validate"])
        .arg(&good)
        .assert()
        .success();
}

#[test]
fn custom_rules_override_and_add() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let pack = workspace_root().join("fixtures/rule-packs/valid");
    cnmm()
        .args(["scan", "--format", "json", "--rules"])
        .arg(&pack)
        .arg(repo.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("ORG3a"))
        .stdout(predicate::str::contains("Our own contribution rule"));
}

#[test]
fn rule_pack_catalog_teaches_an_in_house_scanner() {
    let dir = tempfile::tempdir().expect("tmp");
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).expect("mkdir");
    std::fs::write(
        wf.join("ci.yml"),
        "on: [pull_request]\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: acme-sast --fail-on high ./src\n",
    )
    .expect("write");
    let s2 = |extra: &[&std::path::Path]| {
        let mut cmd = cnmm();
        cmd.args(["scan", "--no-history", "--format", "json"]);
        for p in extra {
            cmd.arg("--rules").arg(p);
        }
        let out = cmd.arg(dir.path()).output().expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        json["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .flat_map(|s| s["criteria"].as_array().expect("criteria"))
            .find(|c| c["id"] == "S2")
            .map(|c| c["status"].as_str().unwrap_or_default().to_string())
            .expect("S2")
    };
    // Unknown to the built-in catalog, the command is not a scanner ...
    assert_eq!(s2(&[]), "unmet");
    // ... until a pack's catalog declares it.
    let pack = workspace_root().join("fixtures/rule-packs/in-house-scanner");
    assert_eq!(s2(&[&pack]), "met");
    cnmm()
        .args(["rules", "validate"])
        .arg(&pack)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 catalog files"));
}

#[test]
fn imported_branch_protection_meets_x3c_and_bad_files_exit_two() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let dir = tempfile::tempdir().expect("tmp");
    let bp = dir.path().join("bp.json");
    std::fs::write(
        &bp,
        r#"{"url":"https://api.github.com/repos/o/r/branches/main/protection",
            "required_pull_request_reviews":{"required_approving_review_count":1},
            "enforce_admins":{"enabled":true}}"#,
    )
    .expect("write");
    let out = cnmm()
        .args(["scan", "--format", "json", "--evidence"])
        .arg(&bp)
        .arg(repo.path())
        .output()
        .expect("run");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let x3c = json["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["criteria"].as_array().cloned().unwrap_or_default())
        .find(|c| c["id"] == "X3c")
        .expect("X3c");
    assert_eq!(x3c["status"], "met", "{x3c}");
    let ev = &x3c["evidence"][0];
    assert_eq!(ev["source"], "imported");
    assert_eq!(ev["path"], "imported:bp.json");

    std::fs::write(&bp, r#"{"message":"Branch not protected"}"#).expect("write");
    cnmm()
        .args(["scan", "--evidence"])
        .arg(&bp)
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bp.json"))
        .stderr(predicate::str::contains("Branch not protected"));
}

/// The repository's own `.cnmm.yml` is untrusted input: it may not reach outside the
/// checkout (a symlink to a file elsewhere, rule directories elsewhere), so a hostile
/// repository cannot make cnmm print another file into a CI log.
#[cfg(unix)]
#[test]
fn repository_configuration_stays_inside_the_repository() {
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("secret.yml");
    std::fs::write(&secret, "top-secret-value: 1\n").expect("write");
    let rules = outside.path().join("rules");
    std::fs::create_dir(&rules).expect("mkdir");

    type Setup<'a> = Box<dyn Fn(&std::path::Path) + 'a>;
    let cases: Vec<(&str, Setup)> = vec![
        (
            "symlinked config",
            Box::new(|root| {
                std::os::unix::fs::symlink(&secret, root.join(".cnmm.yml")).expect("ln")
            }),
        ),
        (
            "rules by absolute path",
            Box::new(|root| {
                std::fs::write(
                    root.join(".cnmm.yml"),
                    format!("rules: [\"{}\"]\n", rules.display()),
                )
                .expect("write")
            }),
        ),
        (
            "rules by ../",
            Box::new(|root| {
                let up = "../".repeat(root.components().count());
                std::fs::write(
                    root.join(".cnmm.yml"),
                    format!("rules: [\"{up}{}\"]\n", rules.display()),
                )
                .expect("write")
            }),
        ),
    ];
    for (what, setup) in cases {
        let repo = materialise("scenarios/github-app".as_ref(), false);
        setup(repo.path());
        let out = cnmm().arg("scan").arg(repo.path()).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("points outside the repository"),
            "{what}: {stderr}"
        );
        assert!(!stderr.contains("top-secret"), "{what}: {stderr}");
    }
    // Inside the repository, both are fine.
    let repo = materialise("scenarios/github-app".as_ref(), false);
    std::fs::create_dir_all(repo.path().join("policy/rules")).expect("mkdir");
    crate::support::copy_tree(
        &crate::support::fixtures_dir().join("rule-packs/valid"),
        &repo.path().join("policy/rules"),
    );
    std::fs::write(
        repo.path().join("policy/cnmm.yml"),
        "rules: [\"policy/rules\"]\n",
    )
    .expect("write");
    std::os::unix::fs::symlink("policy/cnmm.yml", repo.path().join(".cnmm.yml")).expect("ln");
    let out = cnmm().arg("scan").arg(repo.path()).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
