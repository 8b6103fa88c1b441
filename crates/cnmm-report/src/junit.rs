//! JUnit XML, which Jenkins and GitLab show natively: one `<testsuite>` per section, one
//! `<testcase>` per criterion.
//!
//! A criterion that passes (met, waived, not applicable) is a passing test. One that does
//! not pass is a failure when it is at or below the section's target; with no target
//! set, the section's next level is the target. Criteria above the target are skipped:
//! nobody asked for them yet. Every string is sanitised and XML-escaped.

use crate::{xml_escape as esc, Options};
use cnmm_model::{Assessment, CriterionResult, SectionResult, Status};
use std::fmt::Write;

enum Outcome {
    Pass,
    Failure,
    Skipped,
}

fn outcome(c: &CriterionResult, target: u8) -> Outcome {
    if c.status.passes() {
        Outcome::Pass
    } else if c.level <= target {
        Outcome::Failure
    } else {
        Outcome::Skipped
    }
}

fn target_of(s: &SectionResult, opts: &Options) -> u8 {
    opts.targets
        .get(&s.id)
        .copied()
        .unwrap_or(s.level.saturating_add(1))
}

fn failure_text(c: &CriterionResult) -> String {
    let mut t = String::new();
    if let Some(r) = &c.reason {
        let _ = writeln!(t, "{}: {r}", c.status.as_str());
    }
    for x in &c.excluded {
        let _ = writeln!(
            t,
            "not counted: {} ({}): {}",
            crate::location(&x.path, x.line),
            x.detail,
            x.reason
        );
    }
    let _ = writeln!(t, "{}", c.remediation.trim_end());
    t
}

pub fn render(a: &Assessment, opts: &Options) -> String {
    let mut o = String::new();
    let mut suites = String::new();
    let (mut total, mut total_fail, mut total_skip) = (0usize, 0usize, 0usize);
    for s in &a.sections {
        let target = target_of(s, opts);
        let (mut fail, mut skip) = (0usize, 0usize);
        let mut cases = String::new();
        for c in &s.criteria {
            let name = format!("{} {}", c.id, c.title);
            let _ = writeln!(
                cases,
                "    <testcase classname=\"cnmm.{}\" name=\"{}\" time=\"0\">",
                s.id.as_str(),
                esc(&name)
            );
            match outcome(c, target) {
                Outcome::Pass => {}
                Outcome::Failure => {
                    fail += 1;
                    let kind = if c.status == Status::Unknown {
                        "unknown"
                    } else {
                        "unmet"
                    };
                    let _ = writeln!(
                        cases,
                        "      <failure type=\"{kind}\" message=\"{}\">{}</failure>",
                        esc(&format!(
                            "{} {kind}: {} level {} needs it ({} is at level {}, target {target})",
                            c.id, s.title, c.level, s.title, s.level
                        )),
                        esc(&failure_text(c))
                    );
                }
                Outcome::Skipped => {
                    skip += 1;
                    let _ = writeln!(
                        cases,
                        "      <skipped message=\"{}\"/>",
                        esc(&format!("level {} is above the target {target}", c.level))
                    );
                }
            }
            let mut out = String::new();
            for e in &c.evidence {
                let _ = writeln!(out, "{}  {}", crate::location(&e.path, e.line), e.detail);
            }
            if !out.is_empty() {
                let _ = writeln!(cases, "      <system-out>{}</system-out>", esc(&out));
            }
            cases.push_str("    </testcase>\n");
        }
        total += s.criteria.len();
        total_fail += fail;
        total_skip += skip;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fail}\" errors=\"0\" skipped=\"{skip}\" time=\"0\">",
            esc(&format!(
                "{} (level {}, {} {target})",
                s.title,
                s.level,
                if opts.targets.contains_key(&s.id) {
                    "target"
                } else {
                    "next level"
                }
            )),
            s.criteria.len()
        );
        let _ = writeln!(
            suites,
            "    <properties>\n      <property name=\"section\" value=\"{}\"/>\n      <property name=\"level\" value=\"{}\"/>\n      <property name=\"target\" value=\"{target}\"/>\n    </properties>",
            s.id.as_str(),
            s.level
        );
        suites.push_str(&cases);
        suites.push_str("  </testsuite>\n");
    }
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"{}\" tests=\"{total}\" failures=\"{total_fail}\" errors=\"0\" skipped=\"{total_skip}\" time=\"0\">",
        esc(&format!("cnmm {}", a.target.path))
    );
    o.push_str(&suites);
    o.push_str("</testsuites>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{assert_no_controls, assessment, HOSTILE_NAME};
    use cnmm_model::SectionId;

    fn junit(targets: &[(SectionId, u8)]) -> String {
        let opts = Options {
            targets: targets.iter().copied().collect(),
            ..Options::default()
        };
        let out = render(&assessment(), &opts);
        assert_no_controls(&out);
        out
    }

    /// (testcase name prefix, outcome) for every case, from the parsed XML.
    fn outcomes(xml: &str) -> Vec<(String, &'static str)> {
        let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        root.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|n| {
                let id = n
                    .attribute("name")
                    .unwrap_or("")
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string();
                let kind = if n.children().any(|c| c.has_tag_name("failure")) {
                    "failure"
                } else if n.children().any(|c| c.has_tag_name("skipped")) {
                    "skipped"
                } else {
                    "pass"
                };
                (id, kind)
            })
            .collect()
    }

    #[test]
    fn criteria_are_cases_grouped_by_section() {
        let xml = junit(&[]);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let suites: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        assert_eq!(suites.len(), 5);
        let ci = &suites[2];
        assert_eq!(ci.attribute("tests"), Some("4"));
        assert_eq!(ci.attribute("failures"), Some("2"));
        assert_eq!(ci.attribute("skipped"), Some("1"));
        let got = outcomes(&xml);
        let want = [
            ("P2a", "pass"),
            ("P3a", "failure"),
            ("A2a", "failure"),
            ("C2a", "pass"),
            ("C3a", "failure"),
            ("C3b", "failure"),
            ("C4a", "skipped"),
            ("X2a", "failure"),
            ("S2a", "pass"),
            ("S2b", "pass"),
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(a, b)| (a.to_string(), *b)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn targets_decide_failures_and_skips() {
        let got = outcomes(&junit(&[(SectionId::CiCd, 2), (SectionId::Process, 2)]));
        let kind = |id: &str| got.iter().find(|(i, _)| i == id).map(|(_, k)| *k);
        // At the target already: the next level's criteria are not required.
        assert_eq!(kind("C3a"), Some("skipped"));
        assert_eq!(kind("P3a"), Some("skipped"));
        let got = outcomes(&junit(&[(SectionId::CiCd, 4)]));
        let kind = |id: &str| got.iter().find(|(i, _)| i == id).map(|(_, k)| *k);
        assert_eq!(kind("C4a"), Some("failure"));
    }

    #[test]
    fn failures_carry_the_remediation_and_everything_is_escaped() {
        let xml = junit(&[]);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let c3a = doc
            .descendants()
            .find(|n| n.attribute("name").is_some_and(|a| a.starts_with("C3a ")))
            .expect("C3a");
        let failure = c3a
            .children()
            .find(|n| n.has_tag_name("failure"))
            .expect("failure");
        let text = failure.text().unwrap_or("");
        assert!(text.contains("Do what C3a asks."), "{text}");
        assert!(
            text.contains("not counted: .github/workflows/nightly.yml:7"),
            "{text}"
        );
        // The hostile workflow name survives as text, neutralised and escaped.
        let c2a = doc
            .descendants()
            .find(|n| n.attribute("name").is_some_and(|a| a.starts_with("C2a ")))
            .expect("C2a");
        let out = c2a
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or("");
        assert!(
            out.contains(&cnmm_model::text::sanitize(HOSTILE_NAME)),
            "{out}"
        );
        assert!(!xml.contains("<script>"));
    }
}
