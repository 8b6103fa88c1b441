//! The report formats and `cnmm diff` as users drive them: SARIF, Markdown, HTML and
//! JUnit from a real scan, control characters from the repository in every format,
//! diff behaviour and exit codes, completions and the man page.

use crate::support::materialise;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn cnmm() -> Command {
    let mut c = Command::cargo_bin("cnmm").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

fn scan(repo: &Path, format: &str, extra: &[&str]) -> (i32, String) {
    let out = cnmm()
        .args(["scan", "--format", format])
        .args(extra)
        .arg(repo)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf8"),
    )
}

#[test]
fn every_format_renders_a_real_scan() {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    let (code, sarif) = scan(repo.path(), "sarif", &["--fail-below", "ci_cd=3"]);
    assert_eq!(code, 1, "below the target");
    let v: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(results
        .iter()
        .any(|r| r["level"] == "error" && r["properties"]["section"] == "ci_cd"));
    assert!(results
        .iter()
        .all(|r| !r["locations"].as_array().expect("locations").is_empty()));

    let (code, md) = scan(repo.path(), "markdown", &[]);
    assert_eq!(code, 0);
    assert!(md.starts_with("## CNCF Cloud Native Maturity — Process"));
    assert!(md.contains("| Process | 2 Operate |"));
    assert!(md.contains("`.github/workflows/ci.yml:"));

    let (code, html) = scan(repo.path(), "html", &[]);
    assert_eq!(code, 0);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("href=\".github/workflows/ci.yml\""));
    assert!(!html.contains("<script"));

    let (code, junit) = scan(repo.path(), "junit", &["--fail-below", "3"]);
    assert_eq!(code, 1);
    assert!(junit.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert_eq!(junit.matches("<testsuite ").count(), 5);
    assert!(junit.contains("<failure type=\"unmet\""));
}

/// A workflow file whose name and job id carry terminal escape sequences.
fn hostile_repo() -> crate::support::Repo {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    let wf = repo.path().join(".github/workflows");
    let ci = std::fs::read_to_string(wf.join("ci.yml")).expect("ci.yml");
    let hostile = ci.replace("  test:\n", "  \"te\\e[31mst\\a\":\n");
    assert_ne!(ci, hostile);
    std::fs::write(wf.join("ci\x1b]0;pwned\x07<b>.yml"), hostile).expect("write");
    std::fs::remove_file(wf.join("ci.yml")).expect("rm");
    repo
}

#[test]
fn control_characters_never_reach_any_format() {
    let repo = hostile_repo();
    for format in ["text", "json", "sarif", "markdown", "html", "junit"] {
        // Every criterion wanted, so SARIF reports (and locates) the whole section.
        let (code, out) = scan(repo.path(), format, &["--verbose", "--fail-below", "5"]);
        assert_eq!(code, 1, "{format}");
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{format} leaks control characters"
        );
        // The hostile file is still reported: neutralised, or in JSON (the exact data
        // contract) as a JSON escape that no terminal interprets.
        let shown = match format {
            "json" => "ci\\u001b]0;pwned\\u0007",
            "sarif" => "ci%1B%5D0;pwned%07%3Cb%3E.yml",
            _ => "ci?]0;pwned?",
        };
        assert!(out.contains(shown), "{format} lost the evidence:\n{out}");
    }
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    use cnmm::scan::color_wanted;
    use std::ffi::OsStr;
    assert!(color_wanted(true, None));
    assert!(color_wanted(true, Some(OsStr::new(""))));
    assert!(!color_wanted(true, Some(OsStr::new("1"))));
    assert!(!color_wanted(false, None));
    // Piped (as in tests and CI): no escape sequences even without NO_COLOR.
    let repo = materialise("scenarios/github-app".as_ref(), false);
    Command::cargo_bin("cnmm")
        .expect("binary")
        .env_remove("NO_COLOR")
        .arg("scan")
        .arg(repo.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("\u{1b}[").not())
        .stderr(predicate::str::is_empty());
}

fn json_report(repo: &Path, file: &Path) {
    cnmm()
        .args(["scan", "--format", "json", "--output"])
        .arg(file)
        .arg(repo)
        .assert()
        .success();
}

#[test]
fn diff_shows_level_changes_and_criteria_with_evidence() {
    let out = tempfile::tempdir().expect("tmp");
    let full = materialise("scenarios/github-app".as_ref(), false);
    let base = out.path().join("base.json");
    json_report(full.path(), &base);
    // HEAD lost its CI workflow.
    std::fs::remove_file(full.path().join(".github/workflows/ci.yml")).expect("rm");
    let head = out.path().join("head.json");
    json_report(full.path(), &head);

    let text = cnmm()
        .arg("diff")
        .arg(&base)
        .arg(&head)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).expect("utf8");
    assert!(text.contains("Process          2 → 1 (DOWN)"), "{text}");
    assert!(text.contains("Lost:\n  P2a"), "{text}");
    assert!(text.contains(".github/workflows/ci.yml:"), "{text}");
    assert!(text.contains("Gained: none"), "{text}");

    cnmm()
        .args(["diff", "--fail-on-regression"])
        .arg(&base)
        .arg(&head)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "regression: Process dropped from level 2 to 1",
        ));
    // The other way round is an improvement.
    let json = cnmm()
        .args(["diff", "--fail-on-regression", "--format", "json"])
        .arg(&head)
        .arg(&base)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(v["regression"], false);
    assert!(v["gained"]
        .as_array()
        .expect("gained")
        .iter()
        .any(|c| c["id"] == "P2a" && !c["evidence"].as_array().expect("ev").is_empty()));
    cnmm()
        .args(["diff", "--format", "markdown"])
        .arg(&base)
        .arg(&head)
        .assert()
        .success()
        .stdout(predicate::str::contains("| Process | 2 | 1 | 🔻 down |"))
        .stdout(predicate::str::contains("<details><summary>P2a "));
}

#[test]
fn diff_rejects_bad_and_mismatched_reports() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = dir.path().join("good.json");
    let repo = materialise("scenarios/github-app".as_ref(), false);
    json_report(repo.path(), &good);
    let cases = [
        ("not-json.json", "{ nope".to_string(), "not JSON"),
        ("other.json", "{\"a\": 1}".to_string(), "not a cnmm report"),
        (
            "future.json",
            std::fs::read_to_string(&good)
                .expect("read")
                .replace("\"schema_version\": \"1.0\"", "\"schema_version\": \"2.0\""),
            "report schema 2.0 is not supported",
        ),
        (
            "broken.json",
            "{\"schema_version\": \"1.0\", \"sections\": 3}".to_string(),
            "does not match the report schema",
        ),
    ];
    for (name, body, message) in cases {
        let bad = dir.path().join(name);
        std::fs::write(&bad, body).expect("write");
        cnmm()
            .arg("diff")
            .arg(&good)
            .arg(&bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    cnmm()
        .arg("diff")
        .arg(&good)
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read the head report"));
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        cnmm()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("fail-below"));
    }
    cnmm()
        .arg("manpage")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie \\n(.g .ds Aq"))
        .stdout(predicate::str::contains(".TH cnmm 1"))
        .stdout(predicate::str::contains("diff"));
}
