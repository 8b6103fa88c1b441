//! Renderers. Each consumes an [`Assessment`] (plus the gate targets, for the formats
//! that mark what fails a CI gate) and nothing else; none re-derives a verdict. One file
//! per format.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use cnmm_model::text::sanitize;
use cnmm_model::{Assessment, CriterionResult, SectionId, SectionResult};
use std::collections::BTreeMap;

/// The output formats `cnmm scan --format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Markdown,
    Html,
    Junit,
}

impl Format {
    pub const NAMES: &'static [&'static str] =
        &["text", "json", "sarif", "markdown", "html", "junit"];

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "markdown" | "md" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            "junit" => Some(Format::Junit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// ANSI colours (only when writing to a terminal and `NO_COLOR` is unset).
    pub color: bool,
    /// Show every evidence item instead of the first few.
    pub verbose: bool,
    /// The gate's target level per section (`--fail-below` or `.cnmm.yml`); empty when
    /// no gate is set. SARIF and JUnit report what stands between a section and its
    /// target as errors/failures.
    pub targets: BTreeMap<SectionId, u8>,
}

pub fn render(format: Format, a: &Assessment, opts: &Options) -> String {
    match format {
        Format::Text => text::render(a, opts),
        Format::Json => json::render(a),
        Format::Sarif => sarif::render(a, opts),
        Format::Markdown => markdown::render(a, opts),
        Format::Html => html::render(a, opts),
        Format::Junit => junit::render(a, opts),
    }
}

/// Evidence from the git history carries pseudo paths (`git:HEAD`, `git:tags`): they
/// name no file, so no format links them or gives them a file location.
pub(crate) fn is_file_path(path: &str) -> bool {
    !path.is_empty() && !path.starts_with("git:")
}

/// Sanitises each line of a multi-line text (remediation, evidence lists), keeping the
/// line breaks that [`sanitize`] would neutralise.
pub(crate) fn sanitize_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| sanitize(l.strip_suffix('\r').unwrap_or(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Escapes text for XML and HTML bodies and attribute values, after neutralising the
/// control characters (which XML 1.0 forbids outright). Line breaks are kept; in an
/// attribute value XML normalises them to spaces, which is what a one-line message wants.
pub fn xml_escape(s: &str) -> String {
    let clean = sanitize_lines(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `path:line`, or `path` alone, sanitised.
pub(crate) fn location(path: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{}:{l}", sanitize(path)),
        None => sanitize(path),
    }
}

/// Why a criterion stands in the way of a section, as the gate sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gap {
    /// Not passing, and at or below the section's target: the gate fails on it.
    BelowTarget,
    /// Not passing, at the section's next level, with no target reaching it.
    NextLevel,
}

/// The criteria a report flags for one section: every non-passing criterion of the next
/// level, and every one between the section's level and its target.
pub(crate) fn gaps<'a>(
    s: &'a SectionResult,
    targets: &BTreeMap<SectionId, u8>,
) -> Vec<(&'a CriterionResult, Gap)> {
    let target = targets.get(&s.id).copied().unwrap_or(0);
    s.criteria
        .iter()
        .filter(|c| !c.status.passes() && c.level > s.level)
        .filter_map(|c| {
            if c.level <= target {
                Some((c, Gap::BelowTarget))
            } else if c.level == s.level + 1 {
                Some((c, Gap::NextLevel))
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod testdata;

#[cfg(test)]
mod snapshots;
