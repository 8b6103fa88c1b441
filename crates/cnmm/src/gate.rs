//! The CI gate: `--fail-below N` or `--fail-below security=4,ci_cd=3`.

use crate::UserError;
use cnmm_model::{Assessment, SectionId, Status};
use std::collections::BTreeMap;

/// Target levels: one for every section, or per section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Targets {
    pub sections: BTreeMap<SectionId, u8>,
}

fn parse_level(s: &str, what: &str) -> Result<u8, UserError> {
    match s.trim().parse::<u8>() {
        Ok(n) if (1..=5).contains(&n) => Ok(n),
        _ => Err(UserError(format!(
            "bad level `{}` for {what}: levels are whole numbers from 1 to 5",
            s.trim()
        ))),
    }
}

impl Targets {
    /// Parses the `--fail-below` value.
    pub fn parse(spec: &str) -> Result<Targets, UserError> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(UserError(
                "--fail-below needs a level (e.g. 3) or SECTION=LEVEL pairs (e.g. security=4,ci_cd=3)".into(),
            ));
        }
        let mut t = Targets::default();
        if !spec.contains('=') {
            let n = parse_level(spec, "--fail-below")?;
            for s in SectionId::ALL {
                t.sections.insert(s, n);
            }
            return Ok(t);
        }
        for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(UserError(format!(
                    "--fail-below: `{part}` is not SECTION=LEVEL (e.g. security=4)"
                )));
            };
            let n = parse_level(v, k.trim())?;
            if k.trim().eq_ignore_ascii_case("overall") {
                for s in SectionId::ALL {
                    t.sections.insert(s, n);
                }
                continue;
            }
            let Some(sec) = SectionId::parse(k) else {
                return Err(UserError(format!(
                    "--fail-below: unknown section `{}`; use process, audit_logs, ci_cd, change_control, security or overall",
                    k.trim()
                )));
            };
            t.sections.insert(sec, n);
        }
        Ok(t)
    }

    /// Targets from `.cnmm.yml` (`overall` applies to every section not named).
    pub fn from_config(map: &BTreeMap<String, u8>) -> Targets {
        let mut t = Targets::default();
        if let Some(&n) = map.get("overall") {
            for s in SectionId::ALL {
                t.sections.insert(s, n);
            }
        }
        for (k, &n) in map {
            if let Some(s) = SectionId::parse(k) {
                t.sections.insert(s, n);
            }
        }
        t
    }

    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }
}

/// One line per section below its target, naming what is missing.
pub fn failures(a: &Assessment, t: &Targets) -> Vec<String> {
    let mut out = Vec::new();
    for (sid, &target) in &t.sections {
        let Some(s) = a.section(*sid) else { continue };
        if s.level >= target {
            continue;
        }
        let missing: Vec<String> = s
            .criteria
            .iter()
            .filter(|c| c.level > s.level && c.level <= target && !c.status.passes())
            .map(|c| {
                let tag = match c.status {
                    Status::Unknown => " [unknown]",
                    _ => "",
                };
                format!("{}{} ({})", c.id, tag, c.title)
            })
            .collect();
        out.push(format!(
            "{} is at level {}, below the target {}: missing {}",
            s.title,
            s.level,
            target,
            missing.join("; ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let t = Targets::parse("3").expect("ok");
        assert_eq!(t.sections.len(), 5);
        let t = Targets::parse("security=4, ci_cd=3").expect("ok");
        assert_eq!(t.sections.get(&SectionId::Security), Some(&4));
        assert_eq!(t.sections.get(&SectionId::CiCd), Some(&3));
        assert!(Targets::parse("6").is_err());
        assert!(Targets::parse("0").is_err());
        assert!(Targets::parse("securty=3").is_err());
        assert!(Targets::parse("security=x").is_err());
        assert!(Targets::parse("").is_err());
    }
}
