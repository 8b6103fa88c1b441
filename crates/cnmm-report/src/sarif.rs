//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
//!
//! One reporting descriptor (rule) per criterion. Results are the criteria that stand
//! between each section and its next level, and every criterion between a section and
//! its gate target: `error` when the gate fails on it, `warning` otherwise.
//!
//! Locations: a result points at the files its excluded items and evidence cite (the
//! "not counted" items first: they show where the work is). History evidence (`git:...`)
//! names no file and gets no physical location. GitHub requires at least one location per
//! result, so a criterion that cites no file is located at the repository level: the
//! first file cited anywhere in its section (usually the pipeline), else the first file
//! cited anywhere in the report, else `README.md`, line 1.

use crate::{gaps, is_file_path, Gap, Options};
use cnmm_model::text::sanitize;
use cnmm_model::{Assessment, CriterionResult, SectionResult, Status};
use serde::Serialize;

pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/cnmm-dev/cnmm";
/// The location of last resort (see the module comment).
const FALLBACK_FILE: &str = "README.md";
/// Enough locations to show where to look without flooding a code-scanning alert.
const MAX_LOCATIONS: usize = 10;

#[derive(Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: ToolComponentWrapper,
    pub original_uri_base_ids: OriginalUriBaseIds,
    pub results: Vec<SarifResult>,
    pub properties: RunProperties,
}

#[derive(Serialize)]
pub struct ToolComponentWrapper {
    pub driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: String,
    pub semantic_version: String,
    pub information_uri: &'static str,
    pub rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub short_description: Message,
    pub full_description: Message,
    pub help: Help,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Serialize)]
pub struct Message {
    pub text: String,
}

#[derive(Serialize)]
pub struct Help {
    pub text: String,
    pub markdown: String,
}

#[derive(Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize)]
pub struct RuleProperties {
    pub section: &'static str,
    pub level: u8,
    pub tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    pub rule_index: usize,
    pub level: &'static str,
    pub kind: &'static str,
    pub message: Message,
    pub locations: Vec<SarifLocation>,
    pub properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifLocation {
    pub physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    pub uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: u32,
}

#[derive(Serialize)]
pub struct ResultProperties {
    pub section: &'static str,
    pub status: &'static str,
    pub section_level: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<u8>,
    /// `high` or `low` (the verdict rests on a judgement), as in the JSON report.
    pub confidence: &'static str,
}

#[derive(Serialize)]
pub struct OriginalUriBaseIds {
    #[serde(rename = "%SRCROOT%")]
    pub src_root: UriBase,
}

#[derive(Serialize)]
pub struct UriBase {
    pub description: Message,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    pub overall_level: u8,
    pub schema_version: String,
}

/// `Automated build on every change` → `AutomatedBuildOnEveryChange`: SARIF wants a
/// readable rule name distinct from the opaque id.
fn pascal_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            // Acronyms (SBOM, CI) are folded so the name stays one Pascal-case word.
            let rest = if w.len() > 1 && w.chars().all(|c| !c.is_ascii_lowercase()) {
                w[1..].to_ascii_lowercase()
            } else {
                w[1..].to_string()
            };
            w[..1].to_ascii_uppercase() + &rest
        })
        .collect()
}

/// A SARIF `uri` is a URI reference: percent-encode what is not allowed in a path.
fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(path: &str, line: Option<u32>) -> SarifLocation {
    SarifLocation {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri_encode(path),
                uri_base_id: "%SRCROOT%",
            },
            region: Region {
                start_line: line.unwrap_or(1).max(1),
            },
        },
    }
}

fn first_file(criteria: &[CriterionResult]) -> Option<(&str, Option<u32>)> {
    // Evidence first: a file that counted exists in the tree.
    criteria.iter().find_map(|c| {
        c.evidence
            .iter()
            .map(|e| (e.path.as_str(), e.line))
            .chain(c.excluded.iter().map(|x| (x.path.as_str(), x.line)))
            .find(|(p, _)| is_file_path(p))
    })
}

fn locations(c: &CriterionResult, section: &SectionResult, a: &Assessment) -> Vec<SarifLocation> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let cited = c
        .excluded
        .iter()
        .map(|x| (x.path.as_str(), x.line))
        .chain(c.evidence.iter().map(|e| (e.path.as_str(), e.line)));
    for (path, line) in cited {
        if is_file_path(path) && seen.insert((path, line)) && out.len() < MAX_LOCATIONS {
            out.push(physical(path, line));
        }
    }
    if out.is_empty() {
        // A repository-level finding: the file, not the line that happened to be cited.
        let path = first_file(&section.criteria)
            .or_else(|| a.sections.iter().find_map(|s| first_file(&s.criteria)))
            .map_or(FALLBACK_FILE, |(p, _)| p);
        out.push(physical(path, Some(1)));
    }
    out
}

fn message(c: &CriterionResult, s: &SectionResult, gap: Gap, target: Option<u8>) -> String {
    let state = match c.status {
        Status::Unknown => "could not be verified",
        _ => "is not met",
    };
    let mut m = format!(
        "{} {}: {} ({} level {}).",
        c.id,
        state,
        sanitize(&c.title),
        s.title,
        c.level
    );
    match (gap, target) {
        (Gap::BelowTarget, Some(t)) => m.push_str(&format!(
            " {} is at level {}, below the target {t}.",
            s.title, s.level
        )),
        _ => m.push_str(&format!(
            " {} is at level {}; this is needed for level {}.",
            s.title,
            s.level,
            s.level + 1
        )),
    }
    if let Some(r) = &c.reason {
        m.push_str(&format!(" Reason: {}.", sanitize(r).trim_end_matches('.')));
    }
    for x in c.excluded.iter().take(3) {
        m.push_str(&format!(
            " Not counted: {} ({}).",
            crate::location(&x.path, x.line),
            sanitize(&x.reason)
        ));
    }
    m.push_str(&format!(
        " The rule's help says how to meet it (`cnmm explain {}`).",
        c.id
    ));
    m
}

pub fn log(a: &Assessment, opts: &Options) -> Log {
    let mut rules = Vec::new();
    let mut results = Vec::new();
    for s in &a.sections {
        let first_rule = rules.len();
        for c in &s.criteria {
            let remediation = sanitize(&c.remediation);
            rules.push(Rule {
                id: c.id.clone(),
                name: pascal_name(&c.title),
                short_description: Message {
                    text: sanitize(&c.title),
                },
                full_description: Message {
                    text: format!(
                        "{} — a criterion of {} level {} ({}) in the CNCF Cloud Native Maturity Model.",
                        sanitize(&c.title),
                        s.title,
                        c.level,
                        cnmm_model::level_name(c.level)
                    ),
                },
                help: Help {
                    text: remediation.clone(),
                    markdown: format!("**How to meet {}**\n\n{remediation}", c.id),
                },
                default_configuration: Configuration { level: "warning" },
                properties: RuleProperties {
                    section: s.id.as_str(),
                    level: c.level,
                    tags: vec![
                        "cnmm".into(),
                        "maturity".into(),
                        s.id.as_str().into(),
                        format!("level-{}", c.level),
                    ],
                },
            });
        }
        let target = opts.targets.get(&s.id).copied();
        for (c, gap) in gaps(s, &opts.targets) {
            let Some(offset) = s.criteria.iter().position(|x| std::ptr::eq(x, c)) else {
                continue;
            };
            results.push(SarifResult {
                rule_id: c.id.clone(),
                rule_index: first_rule + offset,
                level: match gap {
                    Gap::BelowTarget => "error",
                    Gap::NextLevel => "warning",
                },
                kind: "fail",
                message: Message {
                    text: message(c, s, gap, target),
                },
                locations: locations(c, s, a),
                properties: ResultProperties {
                    section: s.id.as_str(),
                    status: c.status.as_str(),
                    section_level: s.level,
                    target,
                    confidence: c.confidence.as_str(),
                },
            });
        }
    }
    Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: ToolComponentWrapper {
                driver: Driver {
                    name: "cnmm",
                    version: a.tool.version.clone(),
                    semantic_version: a.tool.version.clone(),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            original_uri_base_ids: OriginalUriBaseIds {
                src_root: UriBase {
                    description: Message {
                        text: "The root of the scanned repository.".into(),
                    },
                },
            },
            results,
            properties: RunProperties {
                overall_level: a.summary.overall,
                schema_version: a.schema_version.clone(),
            },
        }],
    }
}

pub fn render(a: &Assessment, opts: &Options) -> String {
    let mut s = serde_json::to_string_pretty(&log(a, opts))
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{assert_no_controls, assessment};
    use cnmm_model::SectionId;
    use serde_json::Value;

    fn sarif(targets: &[(SectionId, u8)]) -> Value {
        let opts = Options {
            targets: targets.iter().copied().collect(),
            ..Options::default()
        };
        let out = render(&assessment(), &opts);
        assert_no_controls(&out);
        serde_json::from_str(&out).expect("SARIF is JSON")
    }

    /// What GitHub code scanning requires of an upload (its documented "SARIF support"
    /// list), checked field by field.
    pub(crate) fn github_shape_errors(v: &Value) -> Vec<String> {
        let mut errs = Vec::new();
        let mut need = |ok: bool, what: &str| {
            if !ok {
                errs.push(what.to_string());
            }
        };
        need(v["version"] == "2.1.0", "version 2.1.0");
        need(v["$schema"].is_string(), "$schema");
        let runs = v["runs"].as_array().cloned().unwrap_or_default();
        need(runs.len() == 1, "exactly one run");
        for run in &runs {
            let driver = &run["tool"]["driver"];
            need(driver["name"].is_string(), "tool.driver.name");
            let rules = driver["rules"].as_array().cloned().unwrap_or_default();
            for r in &rules {
                need(r["id"].is_string(), "rule id");
                need(
                    r["shortDescription"]["text"].is_string(),
                    "rule shortDescription",
                );
                need(
                    r["fullDescription"]["text"].is_string(),
                    "rule fullDescription",
                );
                need(r["help"]["text"].is_string(), "rule help.text");
                need(r["help"]["markdown"].is_string(), "rule help.markdown");
            }
            for res in run["results"].as_array().cloned().unwrap_or_default() {
                need(res["message"]["text"].is_string(), "result message.text");
                let idx = res["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
                need(
                    rules.get(idx).map(|r| &r["id"]) == Some(&res["ruleId"]),
                    "ruleIndex points at ruleId",
                );
                need(
                    ["error", "warning", "note"].contains(&res["level"].as_str().unwrap_or("")),
                    "result level",
                );
                let locs = res["locations"].as_array().cloned().unwrap_or_default();
                need(!locs.is_empty(), "at least one location");
                for l in locs {
                    let p = &l["physicalLocation"];
                    let uri = p["artifactLocation"]["uri"].as_str().unwrap_or("");
                    need(!uri.is_empty() && !uri.starts_with('/'), "relative uri");
                    need(!uri.starts_with("git:"), "no git: pseudo path");
                    need(
                        p["region"]["startLine"].as_u64().unwrap_or(0) >= 1,
                        "startLine >= 1",
                    );
                }
            }
        }
        errs
    }

    fn results(v: &Value) -> Vec<(String, String)> {
        v["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap_or("").to_string(),
                    r["level"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn one_rule_per_criterion_with_help_and_properties() {
        let v = sarif(&[]);
        assert!(
            github_shape_errors(&v).is_empty(),
            "{:?}",
            github_shape_errors(&v)
        );
        let rules = v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        assert_eq!(rules.len(), 10);
        let c3a = rules.iter().find(|r| r["id"] == "C3a").expect("C3a");
        assert_eq!(c3a["name"], "TestsGateEveryMerge");
        assert_eq!(c3a["properties"]["section"], "ci_cd");
        assert_eq!(c3a["properties"]["level"], 3);
        assert!(c3a["help"]["markdown"]
            .as_str()
            .expect("md")
            .contains("Do what C3a asks."));
        assert_eq!(pascal_name("An SBOM is produced"), "AnSbomIsProduced");
    }

    #[test]
    fn next_level_gaps_are_warnings_and_gaps_below_target_are_errors() {
        let v = sarif(&[]);
        let want: Vec<(String, String)> = [
            ("P3a", "warning"),
            ("A2a", "warning"),
            ("C3a", "warning"),
            ("C3b", "warning"),
            ("X2a", "warning"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(results(&v), want);
        let v = sarif(&[(SectionId::CiCd, 4)]);
        let ci: Vec<(String, String)> = results(&v)
            .into_iter()
            .filter(|(id, _)| id.starts_with('C'))
            .collect();
        assert_eq!(
            ci,
            vec![
                ("C3a".to_string(), "error".to_string()),
                ("C3b".to_string(), "error".to_string()),
                ("C4a".to_string(), "error".to_string())
            ]
        );
        let c4a = &v["runs"][0]["results"].as_array().expect("r")[3];
        assert_eq!(c4a["properties"]["target"], 4);
    }

    #[test]
    fn locations_point_at_files_never_at_history() {
        let v = sarif(&[]);
        let res = v["runs"][0]["results"].as_array().expect("results");
        let loc = |id: &str| {
            let r = res.iter().find(|r| r["ruleId"] == id).expect("result");
            let p = &r["locations"][0]["physicalLocation"];
            (
                p["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                p["region"]["startLine"].as_u64().unwrap_or(0),
            )
        };
        // The excluded item: where the work is.
        assert_eq!(loc("C3a"), (".github/workflows/nightly.yml".into(), 7));
        // History evidence only: the section's first cited file, percent-encoded.
        assert_eq!(
            loc("C3b"),
            (".github/workflows/%1B%5B31mevil%3Cb%3E&%22.yml".into(), 1)
        );
        // A section citing no file at all: the first file of the report.
        assert_eq!(loc("A2a"), ("CONTRIBUTING.md".into(), 1));
    }

    /// Full validation against the SARIF 2.1.0 schema that ships in the npm package
    /// `@microsoft/sarif-multitool-linux`; `scripts/validate-sarif.sh` fetches it with
    /// npm and runs this test with `CNMM_SARIF_SCHEMA` set.
    #[test]
    #[ignore = "needs the SARIF schema file: run scripts/validate-sarif.sh"]
    fn validates_against_the_sarif_schema() {
        let path = std::env::var("CNMM_SARIF_SCHEMA").expect("CNMM_SARIF_SCHEMA");
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("json");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        for targets in [vec![], vec![(SectionId::CiCd, 5), (SectionId::Process, 4)]] {
            let v = sarif(&targets);
            let errs: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errs.is_empty(), "{errs:#?}");
        }
    }
}
