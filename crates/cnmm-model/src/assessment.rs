//! The assessment: the single data structure every renderer consumes. Its JSON form is
//! the versioned report contract (`schema_version`), documented in `docs/report.md` and
//! by the JSON Schema in `schema/report.schema.json`.

use crate::diagnostic::Diagnostic;
use crate::fact::EvidenceSource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bumped on any incompatible change of the JSON report.
pub const SCHEMA_VERSION: &str = "1.0";

/// The five Process sections of the Cloud Native Maturity Model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SectionId {
    Process,
    AuditLogs,
    CiCd,
    ChangeControl,
    Security,
}

impl SectionId {
    pub const ALL: [SectionId; 5] = [
        SectionId::Process,
        SectionId::AuditLogs,
        SectionId::CiCd,
        SectionId::ChangeControl,
        SectionId::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SectionId::Process => "process",
            SectionId::AuditLogs => "audit_logs",
            SectionId::CiCd => "ci_cd",
            SectionId::ChangeControl => "change_control",
            SectionId::Security => "security",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SectionId::Process => "Process",
            SectionId::AuditLogs => "Audit and Logs",
            SectionId::CiCd => "CI/CD",
            SectionId::ChangeControl => "Change Control",
            SectionId::Security => "Security",
        }
    }

    /// The letter that starts the ids of this section's criteria (P2a, A3b, C4a...).
    pub fn id_prefix(self) -> char {
        match self {
            SectionId::Process => 'P',
            SectionId::AuditLogs => 'A',
            SectionId::CiCd => 'C',
            SectionId::ChangeControl => 'X',
            SectionId::Security => 'S',
        }
    }

    /// Accepts the report ids and a few spellings people type on a command line.
    pub fn parse(s: &str) -> Option<SectionId> {
        let norm: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match norm.as_str() {
            "process" | "p" => Some(SectionId::Process),
            "auditlogs" | "auditandlogs" | "audit" | "logs" | "a" => Some(SectionId::AuditLogs),
            "cicd" | "ci" | "cd" | "c" => Some(SectionId::CiCd),
            "changecontrol" | "change" | "x" => Some(SectionId::ChangeControl),
            "security" | "sec" | "s" => Some(SectionId::Security),
            _ => None,
        }
    }
}

impl fmt::Display for SectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The model's names for its five levels.
pub fn level_name(level: u8) -> &'static str {
    match level {
        1 => "Build",
        2 => "Operate",
        3 => "Scale",
        4 => "Improve",
        5 => "Adapt",
        _ => "",
    }
}

pub const MIN_LEVEL: u8 = 1;
pub const MAX_LEVEL: u8 = 5;

/// The verdict on one criterion.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Unmet,
    /// The evidence could not be observed (no history, shallow clone). Stops the level
    /// like `unmet`, but the report says why and how to fix it.
    Unknown,
    /// Unmet, but the user waived it in `.cnmm.yml` with a reason and an expiry date.
    Waived,
    /// The criterion does not apply to this repository (counts as met).
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Unmet => "unmet",
            Status::Unknown => "unknown",
            Status::Waived => "waived",
            Status::NotApplicable => "not_applicable",
        }
    }
    /// Whether the criterion lets its level through.
    pub fn passes(self) -> bool {
        matches!(self, Status::Met | Status::Waived | Status::NotApplicable)
    }
}

/// How sure a verdict is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The verdict follows from what the files and history say.
    #[default]
    High,
    /// The verdict rests on a judgement: double-check it.
    Low,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Low => "low",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    pub path: String,
    pub line: Option<u32>,
    pub detail: String,
    pub source: EvidenceSource,
    /// Why this item rests on a judgement rather than on what the file says (a shared
    /// action known only by its name); absent when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgement: Option<String>,
    /// `detail` shortened for a terminal (a job's triggers summarised: `push (default
    /// branch + 4 patterns), pull requests`); absent when the detail is short already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brief: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Excluded {
    pub path: String,
    pub line: Option<u32>,
    /// What was seen there, as for evidence.
    pub detail: String,
    /// Why it does not count.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriterionResult {
    pub id: String,
    pub level: u8,
    pub status: Status,
    pub title: String,
    /// Why the status is `unknown`, `waived` or `not_applicable`; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How sure the verdict is: `low` when it rests on a judgement (evidence known only
    /// by a name, pipeline parts cnmm cannot read offline), with the reasons.
    #[serde(default)]
    pub confidence: Confidence,
    /// Why the confidence is low, sorted; empty when it is high.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confidence_reasons: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub excluded: Vec<Excluded>,
    pub remediation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SectionResult {
    pub id: SectionId,
    pub title: String,
    pub level: u8,
    pub level_name: String,
    /// The criteria of the next level that are not passing; empty at level 5.
    pub next_level_missing: Vec<String>,
    pub criteria: Vec<CriterionResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SectionLevels {
    pub process: u8,
    pub audit_logs: u8,
    pub ci_cd: u8,
    pub change_control: u8,
    pub security: u8,
}

impl SectionLevels {
    pub fn get(&self, id: SectionId) -> u8 {
        match id {
            SectionId::Process => self.process,
            SectionId::AuditLogs => self.audit_logs,
            SectionId::CiCd => self.ci_cd,
            SectionId::ChangeControl => self.change_control,
            SectionId::Security => self.security,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// The lowest section level.
    pub overall: u8,
    pub sections: SectionLevels,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// The name of the scanned directory (never an absolute path of the machine).
    pub path: String,
    /// The commit id of HEAD (or of `--rev`), when the target is a git repository.
    pub head: Option<String>,
    /// The symbolic ref HEAD points to (`refs/heads/main`), absent when detached.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub shallow: bool,
    pub is_git: bool,
}

/// Facts about the history reachable from HEAD (RUBRIC §6). Absent counts mean the
/// history could not be read; `unavailable_reason` says why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistorySummary {
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable_reason: Option<String>,
    pub shallow: bool,
    /// Length of the window, in days, ending at HEAD's committer date.
    pub window_days: u32,
    /// HEAD's committer date (UTC, RFC 3339): the end of the window.
    pub window_end: Option<String>,
    pub commits: u64,
    pub first_parent_commits: u64,
    pub merge_commits: u64,
    /// First-parent commits that are PR/MR-based, and the denominator used for the share
    /// (first-parent commits minus automated release commits).
    pub pr_based_commits: u64,
    pub pr_share_denominator: u64,
    pub pr_based_share: Option<f64>,
    pub release_commits: u64,
    pub authors: u64,
    pub bot_commits: u64,
    pub version_tags: u64,
    pub version_tags_previous_window: u64,
    pub median_days_between_releases: Option<f64>,
    pub signed_commits: u64,
    pub signed_commits_share: Option<f64>,
    pub signed_tags: u64,
    pub reverts: u64,
    pub hotfix_commits: u64,
    pub dco_signed_off: u64,
    pub dco_share: Option<f64>,
}

/// The whole result of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Assessment {
    pub schema_version: String,
    pub tool: Tool,
    pub target: Target,
    pub summary: Summary,
    pub sections: Vec<SectionResult>,
    pub history: HistorySummary,
    pub diagnostics: Vec<Diagnostic>,
}

impl Assessment {
    pub fn section(&self, id: SectionId) -> Option<&SectionResult> {
        self.sections.iter().find(|s| s.id == id)
    }
}
