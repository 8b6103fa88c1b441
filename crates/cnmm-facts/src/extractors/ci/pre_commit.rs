//! pre-commit: a CI step that runs `pre-commit run` (or an action that does) runs the
//! hooks of `.pre-commit-config.yaml`. Each hook is matched against the catalog by its
//! `entry` (local hooks) or by its id read as a command (`terraform_validate` →
//! `terraform validate`, `terraform_tflint` → `tflint`, `gitleaks`).

use crate::yaml::{self, Node};

pub const CONFIG: &str = ".pre-commit-config.yaml";

/// One hook of the configuration: its id, line, and the command lines it may stand for,
/// most specific first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub id: String,
    pub line: u32,
    pub candidates: Vec<Vec<String>>,
}

/// The hooks of a configuration; `only` keeps the hook a step names
/// (`pre-commit run terraform_validate`).
pub fn hooks(text: &str, only: Option<&str>) -> Vec<Hook> {
    let parsed = yaml::parse(text, yaml::Limits::default());
    let Some(repos) = parsed.documents.first().and_then(|d| d.get("repos")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for repo in repos.as_seq() {
        for hook in repo.get("hooks").map(Node::as_seq).unwrap_or(&[]) {
            let Some(id) = hook.get("id").and_then(Node::as_str) else {
                continue;
            };
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let mut candidates = Vec::new();
            if let Some(entry) = hook.get("entry").and_then(Node::as_str) {
                candidates.push(entry.split_whitespace().map(str::to_string).collect());
            }
            candidates.push(vec![id.to_string()]);
            let parts: Vec<String> = id
                .split(['_', '-'])
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            if parts.len() > 1 {
                if let Some(last) = parts.last() {
                    candidates.push(vec![last.clone()]);
                }
                candidates.push(parts);
            }
            out.push(Hook {
                id: id.to_string(),
                line: hook.line,
                candidates,
            });
        }
    }
    out
}

/// The hook a pre-commit command line names: the first argument after `run` that is
/// not a flag (`pre-commit run --all-files gitleaks`), or of an action's `args`.
pub fn named_hook(words: &[String]) -> Option<&str> {
    let start = words.iter().position(|w| w == "run").map_or(0, |i| i + 1);
    for w in &words[start..] {
        if w == "--files" || w == "--hook-stage" || w == "--from-ref" || w == "--to-ref" {
            return None;
        }
        if w.starts_with('-') {
            continue;
        }
        return Some(w.as_str());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG_TEXT: &str = "repos:\n  - repo: https://github.com/antonbabenko/pre-commit-terraform\n    rev: v1.105.0\n    hooks:\n      - id: terraform_fmt\n      - id: terraform_validate\n  - repo: local\n    hooks:\n      - id: lint-go\n        name: golangci\n        entry: golangci-lint run --fix\n        language: system\n";

    #[test]
    fn hooks_with_candidates() {
        let h = hooks(CONFIG_TEXT, None);
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].id, "terraform_validate");
        assert_eq!(h[1].line, 6);
        assert!(h[1]
            .candidates
            .contains(&vec!["terraform".to_string(), "validate".to_string()]));
        assert_eq!(
            h[2].candidates[0],
            vec!["golangci-lint", "run", "--fix"]
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        );
        assert_eq!(hooks(CONFIG_TEXT, Some("terraform_validate")).len(), 1);
        assert!(hooks("repos: [", None).is_empty());
    }

    #[test]
    fn named_hooks() {
        let w = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            named_hook(&w("pre-commit run --all-files gitleaks")),
            Some("gitleaks")
        );
        assert_eq!(named_hook(&w("pre-commit run --all-files")), None);
        assert_eq!(
            named_hook(&w("terraform_validate --color=always --files x")),
            Some("terraform_validate")
        );
    }
}
