//! A small hand-made assessment for the renderers' tests: every status, file and history
//! evidence, excluded items, and repository-controlled strings carrying terminal escape
//! sequences and markup (as a hostile file name or workflow name would).

use cnmm_model::*;

pub const HOSTILE_PATH: &str = ".github/workflows/\x1b[31mevil<b>&\".yml";
pub const HOSTILE_NAME: &str = "build \x1b]0;pwned\x07 | <script>alert(1)</script>";

fn ev(path: &str, line: Option<u32>, detail: &str) -> Evidence {
    Evidence {
        path: path.into(),
        line,
        detail: detail.into(),
        source: if path.starts_with("git:") {
            EvidenceSource::History
        } else {
            EvidenceSource::File
        },
        judgement: None,
        brief: None,
    }
}

fn crit(id: &str, level: u8, status: Status, title: &str) -> CriterionResult {
    CriterionResult {
        id: id.into(),
        level,
        status,
        title: title.into(),
        reason: None,
        confidence: Confidence::High,
        confidence_reasons: Vec::new(),
        evidence: Vec::new(),
        excluded: Vec::new(),
        remediation: format!("Do what {id} asks.\n\nSee `cnmm explain {id}`."),
    }
}

fn section(id: SectionId, level: u8, criteria: Vec<CriterionResult>) -> SectionResult {
    let next_level_missing = criteria
        .iter()
        .filter(|c| c.level == level + 1 && !c.status.passes())
        .map(|c| c.id.clone())
        .collect();
    SectionResult {
        id,
        title: id.title().into(),
        level,
        level_name: level_name(level).into(),
        next_level_missing,
        criteria,
    }
}

pub fn assessment() -> Assessment {
    let mut c2a = crit("C2a", 2, Status::Met, "Automated build on every change");
    c2a.evidence = vec![
        ev(
            HOSTILE_PATH,
            Some(12),
            &format!("job `{HOSTILE_NAME}` runs cargo build"),
        ),
        ev(".gitlab-ci.yml", Some(3), "stage build"),
    ];
    let mut c3a = crit("C3a", 3, Status::Unmet, "Tests gate every merge");
    c3a.excluded = vec![Excluded {
        path: ".github/workflows/nightly.yml".into(),
        line: Some(7),
        detail: "cargo test".into(),
        reason: "runs on a schedule only".into(),
    }];
    c3a.confidence = Confidence::Low;
    c3a.confidence_reasons = vec![format!(
        "the pipelines use parts cnmm cannot read offline (`project:acme/ci/{HOSTILE_NAME}.yml`): what they run is not seen"
    )];
    let mut c3b = crit("C3b", 3, Status::Unknown, "Releases are frequent");
    c3b.reason = Some("the history is shallow".into());
    c3b.evidence = vec![ev("git:tags", None, "2 version tags")];
    let c4a = crit("C4a", 4, Status::Unmet, "Progressive delivery");
    let mut s2a = crit("S2a", 2, Status::Waived, "Dependency updates automated");
    s2a.reason = Some("waived until 2027-01-01: vendored".into());
    let mut s2b = crit("S2b", 2, Status::NotApplicable, "Container images scanned");
    s2b.reason = Some("no container image is built".into());
    let mut p2a = crit("P2a", 2, Status::Met, "Contribution guide");
    p2a.evidence = vec![ev("CONTRIBUTING.md", Some(1), "contribution guide")];
    let p3a = crit("P3a", 3, Status::Unmet, "Templates for issues and PRs");
    Assessment {
        schema_version: SCHEMA_VERSION.into(),
        tool: Tool {
            name: "cnmm".into(),
            version: "0.1.0".into(),
        },
        target: Target {
            path: "demo\x1b[2J".into(),
            head: Some("0123456789abcdef0123456789abcdef01234567".into()),
            git_ref: Some("refs/heads/main".into()),
            shallow: false,
            is_git: true,
        },
        summary: Summary {
            overall: 1,
            sections: SectionLevels {
                process: 2,
                audit_logs: 1,
                ci_cd: 2,
                change_control: 1,
                security: 2,
            },
        },
        sections: vec![
            section(SectionId::Process, 2, vec![p2a, p3a]),
            section(
                SectionId::AuditLogs,
                1,
                vec![crit("A2a", 2, Status::Unmet, "Audit trail of changes")],
            ),
            section(SectionId::CiCd, 2, vec![c2a, c3a, c3b, c4a]),
            section(
                SectionId::ChangeControl,
                1,
                vec![crit("X2a", 2, Status::Unmet, "Changes go through review")],
            ),
            section(SectionId::Security, 2, vec![s2a, s2b]),
        ],
        history: HistorySummary {
            available: true,
            window_days: 365,
            window_end: Some("2026-06-01T12:00:00Z".into()),
            commits: 120,
            first_parent_commits: 80,
            merge_commits: 40,
            pr_based_commits: 60,
            pr_share_denominator: 75,
            pr_based_share: Some(80.0),
            authors: 7,
            bot_commits: 12,
            version_tags: 2,
            ..HistorySummary::default()
        },
        diagnostics: vec![Diagnostic::new(
            Severity::Warning,
            Some(".github/workflows/broken\x1b[1m.yml"),
            Some(4),
            "could not parse: bad indentation",
        )],
    }
}

/// Asserts no raw control character (ESC, BEL) survives in a rendered report.
pub fn assert_no_controls(out: &str) {
    let bad: Vec<(usize, char)> = out
        .char_indices()
        .filter(|(_, c)| c.is_control() && *c != '\n' && *c != '\r' && *c != '\t')
        .collect();
    assert!(bad.is_empty(), "control characters in output: {bad:?}");
}
