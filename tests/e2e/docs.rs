//! Generated documentation stays in sync with the rule files.
//! `CNMM_BLESS=1 cargo test --test e2e docs` rewrites `docs/rules.md`.

use crate::support::workspace_root;

#[test]
fn rules_doc_is_generated_from_the_rule_files() {
    let (set, _) = cnmm::scan::load_rules(&[]).expect("built-in rules");
    let want = cnmm::explain::rules_markdown(&set);
    let path = workspace_root().join("docs/rules.md");
    if std::env::var_os("CNMM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &want).expect("write");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is out of date; run `CNMM_BLESS=1 cargo test --test e2e docs`"
    );
    for r in &set.rules {
        assert!(
            want.contains(&format!("### {}", r.id)),
            "{} missing from docs",
            r.id
        );
        assert!(
            !r.remediation.trim().is_empty(),
            "{} has no remediation",
            r.id
        );
        assert!(!r.rationale.trim().is_empty(), "{} has no rationale", r.id);
    }
}
