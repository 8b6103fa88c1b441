//! Diagnostics: problems with the scanned input that did not stop the scan.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A problem found while reading the input: a file that does not parse, a file that was
/// skipped, a shallow clone. The scan goes on; the report carries every diagnostic.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the scanned root, or a pseudo path such as `git:HEAD`.
    pub path: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        path: Option<&str>,
        line: Option<u32>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            path: path.map(str::to_string),
            line,
            message: message.into(),
        }
    }
    pub fn error(path: &str, line: Option<u32>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, Some(path), line, message)
    }
    pub fn warning(path: &str, line: Option<u32>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, Some(path), line, message)
    }
    pub fn info(path: &str, line: Option<u32>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Info, Some(path), line, message)
    }
}
