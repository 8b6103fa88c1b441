//! Evidence the repository cannot show, imported with `--evidence FILE`: forge settings
//! saved by the user from the forge's API. Today: branch protection, as GitHub's
//! `GET /repos/O/R/branches/B/protection` (`gh api repos/O/R/branches/main/protection`)
//! or GitLab's `GET /projects/:id/protected_branches` returns it. Imported facts carry
//! `source: imported` so a report shows they were not observed in the repository.

use cnmm_model::{attr, AttrType as T, EvidenceSource, Fact, FactKindSpec, FactSource, Location};
use serde_json::Value;
use std::path::Path;

pub static FACT_KINDS: &[FactKindSpec] = &[FactKindSpec {
    name: "imported.branch_protection",
    source: FactSource::Files,
    description: "Branch protection read from forge API JSON imported with `--evidence`.",
    attrs: &[
        attr("forge", T::Str, "`github` or `gitlab`."),
        attr(
            "branch",
            T::Str,
            "The protected branch (or pattern), when the JSON names it.",
        ),
        attr(
            "required_approvals",
            T::Int,
            "Approving reviews required before merging (GitHub).",
        ),
        attr(
            "required_status_checks",
            T::Int,
            "Status checks required before merging (GitHub).",
        ),
    ],
}];

/// The largest evidence file read: API answers are a few kilobytes.
const MAX_EVIDENCE_BYTES: u64 = 4 * 1024 * 1024;

const HOW_TO_SAVE: &str = "save it with `gh api repos/OWNER/REPO/branches/BRANCH/protection > FILE` (GitHub) or `glab api projects/:id/protected_branches > FILE` (GitLab)";

/// Reads one evidence file. An error names the file and says what to change.
pub fn read_evidence(path: &Path) -> Result<Vec<Fact>, String> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| format!("--evidence {shown}: cannot read it: {e}"))?;
    if meta.len() > MAX_EVIDENCE_BYTES {
        return Err(format!(
            "--evidence {shown}: {} bytes is more than the {MAX_EVIDENCE_BYTES} byte limit for a forge API answer",
            meta.len()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--evidence {shown}: cannot read it as UTF-8 text: {e}"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "evidence".into());
    parse_evidence(&shown.to_string(), &name, &text)
}

/// Reads the text of an evidence file: `shown` is how errors name it, `name` the file
/// name the facts are located in (no machine paths in reports).
pub fn parse_evidence(shown: &str, name: &str, text: &str) -> Result<Vec<Fact>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "--evidence {shown}:{}: not valid JSON ({e}); {HOW_TO_SAVE}",
            e.line()
        )
    })?;
    // Only the file name goes into the report: no machine paths.
    let label = format!("imported:{}", cnmm_model::text::sanitize(name));
    let facts = match &json {
        Value::Object(o) if o.contains_key("message") && !o.contains_key("url") => {
            return Err(format!(
                "--evidence {shown}: the forge answered with an error, not branch protection: {:?}; protect the branch (or fix the API call) and save the answer again",
                o.get("message").and_then(Value::as_str).unwrap_or("")
            ));
        }
        Value::Object(o) if is_github_protection(o) => vec![github_fact(o, &label)],
        Value::Array(items) if !items.is_empty() && items.iter().all(is_gitlab_protected) => {
            items.iter().map(|b| gitlab_fact(b, &label)).collect()
        }
        Value::Array(items) if items.is_empty() => {
            return Err(format!(
                "--evidence {shown}: the list of protected branches is empty, so nothing is protected; protect the default branch and save the answer again"
            ));
        }
        _ => {
            return Err(format!(
                "--evidence {shown}: not a GitHub branch-protection object (with `required_pull_request_reviews`, `required_status_checks` or a `.../protection` url) nor a GitLab protected-branches list (objects with `name` and `merge_access_levels`); {HOW_TO_SAVE}"
            ))
        }
    };
    Ok(facts)
}

fn is_github_protection(o: &serde_json::Map<String, Value>) -> bool {
    o.contains_key("required_pull_request_reviews")
        || o.contains_key("required_status_checks")
        || o.get("url")
            .and_then(Value::as_str)
            .is_some_and(|u| u.ends_with("/protection"))
}

fn is_gitlab_protected(v: &Value) -> bool {
    v.get("name").is_some_and(Value::is_string)
        && (v.get("merge_access_levels").is_some() || v.get("push_access_levels").is_some())
}

/// `https://api.github.com/repos/o/r/branches/main/protection` → `main`.
fn github_branch(url: &str) -> Option<String> {
    let rest = url.split("/branches/").nth(1)?;
    let branch = rest.strip_suffix("/protection")?;
    Some(branch.to_string())
}

fn github_fact(o: &serde_json::Map<String, Value>, label: &str) -> Fact {
    let approvals = o
        .get("required_pull_request_reviews")
        .and_then(|r| r.get("required_approving_review_count"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let checks = o
        .get("required_status_checks")
        .map(|c| {
            c.get("checks")
                .and_then(Value::as_array)
                .or_else(|| c.get("contexts").and_then(Value::as_array))
                .map_or(0, Vec::len)
        })
        .unwrap_or(0) as i64;
    let branch = o.get("url").and_then(Value::as_str).and_then(github_branch);
    let mut f = Fact::new(
        "imported.branch_protection",
        Location::new(label, None),
        format!(
            "GitHub branch protection{} (imported): {approvals} approving review(s) and {checks} status check(s) required",
            branch.as_deref().map(|b| format!(" on {b}")).unwrap_or_default()
        ),
    )
    .source(EvidenceSource::Imported)
    .attr("forge", "github")
    .attr("required_approvals", approvals)
    .attr("required_status_checks", checks);
    if let Some(b) = branch {
        f.set("branch", b);
    }
    f
}

fn gitlab_fact(b: &Value, label: &str) -> Fact {
    let name = b.get("name").and_then(Value::as_str).unwrap_or("");
    Fact::new(
        "imported.branch_protection",
        Location::new(label, None),
        format!("GitLab protected branch {name} (imported)"),
    )
    .source(EvidenceSource::Imported)
    .attr("forge", "gitlab")
    .attr("branch", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Fact>, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bp.json");
        std::fs::write(&p, text).unwrap();
        read_evidence(&p)
    }

    #[test]
    fn github_protection_is_read() {
        let facts = read(
            r#"{"url":"https://api.github.com/repos/o/r/branches/main/protection",
            "required_pull_request_reviews":{"required_approving_review_count":2},
            "required_status_checks":{"strict":true,"contexts":["ci","lint"]}}"#,
        )
        .unwrap();
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].get_str("branch"), Some("main"));
        assert_eq!(facts[0].source, EvidenceSource::Imported);
        assert_eq!(facts[0].location.path, "imported:bp.json");
        assert!(facts[0].detail.contains("2 approving"));
    }

    #[test]
    fn gitlab_protected_branches_are_read() {
        let facts = read(r#"[{"id":1,"name":"main","push_access_levels":[{"access_level":40}],"merge_access_levels":[{"access_level":30}]}]"#).unwrap();
        assert_eq!(facts[0].get_str("forge"), Some("gitlab"));
    }

    #[test]
    fn errors_name_the_file_and_the_fix() {
        let e = read(r#"{"message":"Branch not protected","documentation_url":"x"}"#).unwrap_err();
        assert!(
            e.contains("bp.json") && e.contains("Branch not protected"),
            "{e}"
        );
        let e = read("{ not json").unwrap_err();
        assert!(e.contains("bp.json:1") && e.contains("gh api"), "{e}");
        let e = read(r#"{"name":"x"}"#).unwrap_err();
        assert!(e.contains("not a GitHub branch-protection"), "{e}");
        assert!(read("[]").unwrap_err().contains("empty"));
    }
}
