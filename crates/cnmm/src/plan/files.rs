//! The files a plan writes, and the changes to existing files it prints as diffs. Each
//! is a current, working configuration fitted to the repository (its forge, ecosystems,
//! default branch), with comments saying what each part is for.

use super::context::{Forge, RepoContext};

/// A file to create, or an existing file to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Create {
        path: String,
        content: String,
    },
    Edit {
        path: String,
        line: u32,
        diff: String,
    },
}

/// `text` as YAML comment lines.
fn comment(text: &str) -> String {
    text.lines().map(|l| format!("# {l}\n")).collect()
}

pub fn contributing(ctx: &RepoContext) -> Change {
    let cr = ctx.change_request();
    let tests = match ctx.test_command() {
        Some(cmd) => format!(
            "Run the tests before you open the {cr}:\n\n```sh\n{cmd}\n```\n\nThe same checks run in CI on every {cr}; a {cr} is merged when they pass.\n"
        ),
        None => format!("The checks that CI runs on every {cr} must pass before it is merged.\n"),
    };
    let content = format!(
        "# Contributing\n\n\
         Thank you for helping. This file says how a change gets in.\n\n\
         ## Proposing a change\n\n\
         1. Open an issue first for anything larger than a small fix, so the approach can be agreed.\n\
         2. Work on a branch and open a {cr} against `{branch}`.\n\
         3. Keep a {cr} to one change, and say in its description what it changes and why.\n\n\
         ## Tests\n\n{tests}\n\
         ## Review\n\n\
         Every {cr} is reviewed by a maintainer before it is merged. Address review comments with new commits; they are squashed or rebased when merged.\n\n\
         ## Reporting a security problem\n\n\
         Do not open a public issue for a vulnerability: contact the maintainers privately (see `SECURITY.md` if there is one).\n",
        branch = ctx.default_branch,
    );
    Change::Create {
        path: "CONTRIBUTING.md".into(),
        content,
    }
}

/// Dependabot for a GitHub repository, Renovate elsewhere.
pub fn dependency_updates(ctx: &RepoContext) -> Option<Change> {
    match ctx.forge {
        Forge::GitHub => {
            let mut updates = String::new();
            let mut entries: Vec<(String, String)> = ctx
                .ecosystems
                .iter()
                .map(|e| (e.name.to_string(), e.directory.clone()))
                .collect();
            for d in &ctx.dockerfile_dirs {
                entries.push(("docker".into(), d.clone()));
            }
            if ctx.terraform {
                entries.push(("terraform".into(), "/".into()));
            }
            if ctx.github_workflows {
                entries.push(("github-actions".into(), "/".into()));
            }
            entries.sort();
            entries.dedup();
            if entries.is_empty() {
                return None;
            }
            for (eco, dir) in entries {
                updates.push_str(&format!(
                    "  - package-ecosystem: {eco}\n    directory: \"{dir}\"\n    schedule:\n      interval: weekly\n"
                ));
            }
            Some(Change::Create {
                path: ".github/dependabot.yml".into(),
                content: format!(
                    "{}version: 2\nupdates:\n{updates}",
                    comment(
                        "Dependabot opens pull requests that update dependencies: version updates\n\
                         weekly, security updates as soon as an advisory has a fix (turn on\n\
                         \"Dependabot security updates\" in the repository's settings)."
                    )
                ),
            })
        }
        _ => Some(Change::Create {
            path: "renovate.json".into(),
            content: format!(
                "{{\n  \"$schema\": \"https://docs.renovatebot.com/renovate-schema.json\",\n  \"description\": [\n    \"Renovate opens {cr}s that update dependencies, weekly, for every package manager it finds.\",\n    \"Vulnerability fixes are proposed at once, outside the schedule.\"\n  ],\n  \"extends\": [\"config:recommended\"],\n  \"schedule\": [\"before 6am on monday\"],\n  \"vulnerabilityAlerts\": {{\n    \"enabled\": true\n  }}\n}}\n",
                cr = ctx.change_request()
            ),
        }),
    }
}

/// CODEOWNERS naming the repository's owner, when the origin remote says who it is.
pub fn codeowners(ctx: &RepoContext) -> Option<Change> {
    let owner = ctx.owner.as_deref()?;
    let (path, note) = match ctx.forge {
        Forge::GitLab => (
            ".gitlab/CODEOWNERS",
            "GitLab asks these owners to approve merge requests that change their files\n(Code Owner approval is set in the protected branch settings).",
        ),
        _ => (
            ".github/CODEOWNERS",
            "GitHub requests a review from these owners for every pull request that changes\ntheir files. An organisation's owner is one of its teams: @org/team.",
        ),
    };
    Some(Change::Create {
        path: path.into(),
        content: format!("{}* @{owner}\n", comment(note)),
    })
}

/// A scheduled and per-change security scan for GitHub, with results uploaded to code
/// scanning: a scanner for the whole tree (Trivy: dependencies, IaC, secrets) and the
/// ecosystem's own where there is one.
pub fn security_scan_workflow(ctx: &RepoContext) -> Change {
    let mut jobs = String::from(
        "  trivy:\n    name: Trivy (dependencies, infrastructure as code, secrets)\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      security-events: write # to upload the SARIF results\n    steps:\n      - uses: actions/checkout@v4\n      - name: Scan the repository\n        uses: aquasecurity/trivy-action@0.28.0\n        with:\n          scan-type: fs\n          scanners: vuln,misconfig,secret\n          format: sarif\n          output: trivy.sarif\n      - name: Upload the results to code scanning\n        uses: github/codeql-action/upload-sarif@v3\n        with:\n          sarif_file: trivy.sarif\n",
    );
    if ctx.has("gomod") {
        jobs.push_str(
            "  govulncheck:\n    name: govulncheck (vulnerabilities in the Go code's call paths)\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-go@v5\n        with:\n          go-version-file: go.mod\n      - run: go run golang.org/x/vuln/cmd/govulncheck@latest ./...\n",
        );
    }
    if ctx.has("cargo") {
        jobs.push_str(
            "  cargo-deny:\n    name: cargo-deny (RustSec advisories)\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: EmbarkStudios/cargo-deny-action@v2\n        with:\n          command: check advisories\n",
        );
    }
    if ctx.has("npm") {
        jobs.push_str(
            "  npm-audit:\n    name: npm audit (advisories of the npm dependencies)\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n        with:\n          node-version: lts/*\n      - run: npm audit --audit-level=high\n",
        );
    }
    if ctx.terraform {
        jobs.push_str(
            "  checkov:\n    name: Checkov (Terraform misconfigurations)\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      security-events: write\n    steps:\n      - uses: actions/checkout@v4\n      - uses: bridgecrewio/checkov-action@v12\n        with:\n          directory: .\n          framework: terraform\n          output_format: sarif\n          output_file_path: checkov.sarif\n          soft_fail: true\n      - uses: github/codeql-action/upload-sarif@v3\n        if: always()\n        with:\n          sarif_file: checkov.sarif\n",
        );
    }
    let content = format!(
        "{}name: Security scan\non:\n  push:\n    branches: [{branch}]\n  pull_request:\n  schedule:\n    - cron: \"23 5 * * 1\" # weekly: new advisories concern unchanged code too\npermissions:\n  contents: read\njobs:\n{jobs}",
        comment(
            "Security scans on every push to the default branch and every pull request, and\n\
             weekly. Findings appear under Security > Code scanning."
        ),
        branch = ctx.default_branch,
    );
    Change::Create {
        path: ".github/workflows/security-scan.yml".into(),
        content,
    }
}

/// A CI workflow that builds and tests on every push and pull request, for an ecosystem
/// whose commands are standard.
pub fn ci_workflow(ctx: &RepoContext) -> Option<Change> {
    let steps = if ctx.has("gomod") {
        "      - uses: actions/setup-go@v5\n        with:\n          go-version-file: go.mod\n      - run: go vet ./...\n      - run: go test -race ./...\n"
    } else if ctx.has("cargo") {
        "      - run: cargo clippy --all-targets -- -D warnings\n      - run: cargo test\n"
    } else if ctx.has("npm") {
        "      - uses: actions/setup-node@v4\n        with:\n          node-version: lts/*\n      - run: npm ci\n      - run: npm test\n"
    } else if ctx.has("maven") {
        "      - uses: actions/setup-java@v4\n        with:\n          distribution: temurin\n          java-version: \"21\"\n      - run: mvn -B verify\n"
    } else {
        return None;
    };
    Some(Change::Create {
        path: ".github/workflows/ci.yml".into(),
        content: format!(
            "{}name: CI\non:\n  push:\n    branches: [{branch}]\n  pull_request:\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n{steps}",
            comment("Builds, checks and tests every push to the default branch and every pull request."),
            branch = ctx.default_branch,
        ),
    })
}

/// RELEASING.md, describing the release pipeline the scan found (or the steps to take by
/// hand when it found none).
pub fn releasing(ctx: &RepoContext) -> Change {
    let mut how = String::new();
    if ctx.release_jobs.is_empty() {
        how.push_str(
            "No pipeline publishes releases yet; until one does, a release is made by hand:\n\n\
             1. Update the changelog and the version.\n\
             2. Tag the release commit: `git tag -s vX.Y.Z -m vX.Y.Z` and push the tag.\n\
             3. Build the artifacts from the tag and publish them with their checksums.\n",
        );
    } else {
        how.push_str("These jobs publish a release:\n\n");
        for j in &ctx.release_jobs {
            let when = match (j.on_tag, j.on_release) {
                (true, _) => "when a tag is pushed",
                (false, true) => "when a release is published",
                _ => "as its pipeline's triggers say",
            };
            how.push_str(&format!("- `{}` in `{}`, {when}.\n", j.job, j.location()));
        }
        how.push_str(
            "\nTo release:\n\n\
             1. Make sure the default branch is green and the changelog lists the changes.\n\
             2. Tag the release commit: `git tag -s vX.Y.Z -m vX.Y.Z`, then `git push origin vX.Y.Z`.\n\
             3. Follow the release jobs above; when they pass, check the published artifacts.\n",
        );
    }
    Change::Create {
        path: "RELEASING.md".into(),
        content: format!(
            "# Releasing\n\nVersions follow semantic versioning (`vMAJOR.MINOR.PATCH`).\n\n## How a release is made\n\n{how}\n## If a release is bad\n\nDo not move or delete a published tag: fix forward with a new patch release, and say in its notes what it replaces.\n"
        ),
    }
}

/// Release notes generated from the changes merged since the last release.
pub fn release_notes(ctx: &RepoContext) -> Change {
    match ctx.forge {
        Forge::GitHub => Change::Create {
            path: ".github/release.yml".into(),
            content: format!(
                "{}changelog:\n  exclude:\n    labels: [ignore-for-release]\n    authors: [dependabot, renovate]\n  categories:\n    - title: Breaking changes\n      labels: [breaking-change]\n    - title: New features\n      labels: [enhancement, feature]\n    - title: Fixes\n      labels: [bug, fix]\n    - title: Dependencies\n      labels: [dependencies]\n    - title: Other changes\n      labels: [\"*\"]\n",
                comment("GitHub's generated release notes: the pull requests merged since the last\nrelease, grouped by their labels.")
            ),
        },
        Forge::GitLab => Change::Create {
            path: ".gitlab/changelog_config.yml".into(),
            content: format!(
                "{}categories:\n  added: Added\n  fixed: Fixed\n  changed: Changed\n  deprecated: Deprecated\n  removed: Removed\n  security: Security\n  performance: Performance\n  other: Other\n",
                comment("GitLab's changelog generation (`glab changelog generate`, or the release API)\nreads the `Changelog:` trailer of merged commits and groups them by these categories.")
            ),
        },
        Forge::Other => Change::Create {
            path: "cliff.toml".into(),
            content: r##"# git-cliff (`git cliff -o CHANGELOG.md`) writes the changelog from the commits
# since each tag, grouped by their conventional-commit type.
[changelog]
header = "# Changelog\n"
body = """
## {{ version | default(value="Unreleased") }}
{% for group, commits in commits | group_by(attribute="group") %}
### {{ group }}
{% for commit in commits %}- {{ commit.message | split(pat="\n") | first }}
{% endfor %}{% endfor %}
"""

[git]
conventional_commits = true
filter_unconventional = false
commit_parsers = [
  { message = "^feat", group = "Features" },
  { message = "^fix", group = "Fixes" },
  { message = ".*", group = "Other" },
]
"##
            .into(),
        },
    }
}

/// Branch protection declared for the Settings app (GitHub).
pub fn branch_protection(ctx: &RepoContext) -> Option<Change> {
    (ctx.forge == Forge::GitHub).then(|| Change::Create {
        path: ".github/settings.yml".into(),
        content: format!(
            "{}branches:\n  - name: {branch}\n    protection:\n      required_pull_request_reviews:\n        required_approving_review_count: 1\n        dismiss_stale_reviews: true\n      required_status_checks:\n        strict: true\n        contexts: []\n      enforce_admins: false\n      restrictions: null\n",
            comment("Read by the Settings GitHub App (https://github.com/apps/settings), which applies\nit on every push to the default branch: changes reach it through reviewed pull\nrequests, with their checks up to date."),
            branch = ctx.default_branch,
        ),
    })
}

/// GitLab's own scanners, included into the existing pipeline (a diff to apply), or a
/// new pipeline file when there is none.
pub fn gitlab_security(ctx: &RepoContext, root: &std::path::Path) -> Option<Change> {
    const INCLUDES: &[&str] = &[
        "  # GitLab's own scanners: findings in each merge request and in the",
        "  # project's vulnerability report (default-branch pipelines).",
        "  - template: Jobs/SAST.gitlab-ci.yml",
        "  - template: Jobs/Dependency-Scanning.gitlab-ci.yml",
        "  - template: Jobs/Secret-Detection.gitlab-ci.yml",
    ];
    let Some(path) = &ctx.gitlab_ci else {
        let mut content = String::from("include:\n");
        for l in INCLUDES {
            content.push_str(l);
            content.push('\n');
        }
        content.push_str("\nstages: [test]\n");
        return Some(Change::Create {
            path: ".gitlab-ci.yml".into(),
            content,
        });
    };
    let text = std::fs::read_to_string(root.join(path)).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let include = lines.iter().position(|l| l.trim_end() == "include:");
    let (at, new): (usize, Vec<String>) = match include {
        // A list under `include:`: the new items go after its last one.
        Some(i) => {
            let mut end = i + 1;
            while end < lines.len()
                && (lines[end].trim().is_empty()
                    || lines[end].starts_with(' ')
                    || lines[end].starts_with('\t'))
            {
                end += 1;
            }
            while end > i + 1 && lines[end - 1].trim().is_empty() {
                end -= 1;
            }
            let is_list = lines[i + 1..end]
                .iter()
                .any(|l| l.trim_start().starts_with("- "));
            if !is_list {
                return None;
            }
            (end, INCLUDES[2..].iter().map(|s| s.to_string()).collect())
        }
        None if lines.iter().any(|l| l.starts_with("include:")) => return None,
        None => {
            let mut v = vec!["include:".to_string()];
            v.extend(INCLUDES.iter().map(|s| s.to_string()));
            v.push(String::new());
            (0, v)
        }
    };
    Some(Change::Edit {
        path: path.clone(),
        line: at as u32 + 1,
        diff: unified_insert(path, &lines, at, &new),
    })
}

/// A unified diff that inserts `new` before line index `at` of `lines`, with three lines
/// of context.
pub fn unified_insert(path: &str, lines: &[&str], at: usize, new: &[String]) -> String {
    let from = at.saturating_sub(3);
    let to = (at + 3).min(lines.len());
    let before = &lines[from..at];
    let after = &lines[at..to];
    let old_len = before.len() + after.len();
    let old_start = if old_len == 0 { 0 } else { from + 1 };
    let mut out = format!(
        "--- a/{path}\n+++ b/{path}\n@@ -{old_start},{old_len} +{},{} @@\n",
        from + 1,
        old_len + new.len()
    );
    for l in before {
        out.push_str(&format!(" {l}\n"));
    }
    for l in new {
        out.push_str(&format!("+{l}\n"));
    }
    for l in after {
        out.push_str(&format!(" {l}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_inserts_with_context() {
        let lines = ["a", "b", "c", "d", "e"];
        let d = unified_insert("f.yml", &lines, 2, &["x".to_string()]);
        assert_eq!(
            d,
            "--- a/f.yml\n+++ b/f.yml\n@@ -1,5 +1,6 @@\n a\n b\n+x\n c\n d\n e\n"
        );
        let top = unified_insert("f.yml", &lines, 0, &["x".to_string()]);
        assert_eq!(
            top,
            "--- a/f.yml\n+++ b/f.yml\n@@ -1,3 +1,4 @@\n+x\n a\n b\n c\n"
        );
    }
}
