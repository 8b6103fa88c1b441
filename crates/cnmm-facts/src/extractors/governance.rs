//! Governance and release-process files: CODEOWNERS/OWNERS, CONTRIBUTING, PR/MR
//! templates, SECURITY.md, Dependabot and Renovate configs, declared branch protection
//! (`.github/settings.yml`), release docs, changelogs and release tooling configs.

use super::{file_name, yaml_diagnostic, Ctx, Extractor, FileInput, Output};
use crate::yaml::Node;
use cnmm_model::{attr, AttrType as T, Diagnostic, Fact, FactKindSpec, FactSource, Location};
use regex::Regex;
use std::sync::OnceLock;

pub struct Governance;

static KINDS: &[FactKindSpec] = &[FactKindSpec {
    name: "governance.file",
    source: FactSource::Files,
    description: "A governance or release-process file.",
    attrs: &[
        attr("kind", T::Str, "codeowners, owners, contributing, pr-template, security-policy, dependabot, renovate, branch-protection, release-doc, changelog, release-tooling."),
        attr("tool", T::Str, "For release-tooling: goreleaser, semantic-release, release-please, release-drafter, changesets, git-cliff, towncrier, gitlab-changelog, chart-releaser."),
        attr("ecosystems", T::List, "For dependabot: the package ecosystems it updates (docker, github-actions, gomod...)."),
        attr("entries", T::Int, "For changelog: the number of per-release entries."),
        attr("branches", T::List, "For branch-protection: the protected branches."),
        attr("rules", T::Int, "For codeowners/owners: the number of ownership rules."),
    ],
}];

/// What a path is, by location and name.
/// A directory path with a `documentation/` or `doc/` root read as `docs/`.
fn docs_root(dir: &str) -> std::borrow::Cow<'_, str> {
    for root in ["documentation", "doc"] {
        if dir == root {
            return "docs".into();
        }
        if let Some(rest) = dir.strip_prefix(root).and_then(|r| r.strip_prefix('/')) {
            return format!("docs/{rest}").into();
        }
    }
    dir.into()
}

fn classify(path: &str) -> Option<(&'static str, Option<&'static str>)> {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    let dir = super::parent_dir(path);
    // `documentation/` and `doc/` are documentation roots like `docs/`.
    let docs_dir = docs_root(dir);
    let top_or_meta = matches!(dir, "" | ".github" | "docs" | ".gitlab");
    match lower.as_str() {
        "codeowners" if top_or_meta => return Some(("codeowners", None)),
        "owners" | "owners_aliases" if dir.is_empty() => return Some(("owners", None)),
        _ => {}
    }
    let stem = lower.split('.').next().unwrap_or("");
    // HACKING is the contributor guide of GNU and GNOME projects.
    if top_or_meta && (stem == "contributing" || stem == "hacking") {
        return Some(("contributing", None));
    }
    // General documents that often hold the release procedure as one of their sections
    // (`## Release procedure` in a README, `Cutting a release` in GOVERNANCE.md).
    let prose = lower.ends_with(".md") || lower.ends_with(".rst") || lower.ends_with(".adoc");
    if matches!(dir, "" | ".github" | "docs")
        && prose
        && (matches!(
            stem,
            "readme"
                | "governance"
                | "maintaining"
                | "versioning"
                | "development"
                | "developing"
                | "building"
        ) || stem.starts_with("maintainer"))
    {
        return Some(("document", None));
    }
    if top_or_meta
        && stem == "security"
        && (lower.ends_with(".md")
            || lower.ends_with(".rst")
            || lower.ends_with(".txt")
            || lower == "security")
    {
        return Some(("security-policy", None));
    }
    if (top_or_meta && stem == "pull_request_template")
        || dir.eq_ignore_ascii_case(".github/PULL_REQUEST_TEMPLATE")
        || dir.starts_with(".gitlab/merge_request_templates")
    {
        return Some(("pr-template", None));
    }
    if path == ".github/dependabot.yml" || path == ".github/dependabot.yaml" {
        return Some(("dependabot", None));
    }
    if matches!(
        path,
        "renovate.json"
            | "renovate.json5"
            | "renovate.jsonc"
            | ".renovaterc"
            | ".renovaterc.json"
            | ".renovaterc.json5"
            | ".renovaterc.jsonc"
            | ".github/renovate.json"
            | ".github/renovate.json5"
            | ".github/renovate.jsonc"
            | ".gitlab/renovate.json"
            | ".gitlab/renovate.json5"
            | ".gitlab/renovate.jsonc"
    ) {
        return Some(("renovate", None));
    }
    if path == ".github/settings.yml" || path == ".github/settings.yaml" {
        return Some(("branch-protection", None));
    }
    // A monorepo keeps one per package: `packages/<name>/CHANGELOG.md`.
    let package_dir = dir.split_once('/').is_some_and(|(top, rest)| {
        !rest.contains('/')
            && matches!(
                top,
                "packages" | "apps" | "libs" | "crates" | "plugins" | "charts"
            )
    });
    if (dir.is_empty() || package_dir)
        && (stem == "changelog" || stem == "changes" || stem == "history" || stem == "news")
        && !lower.ends_with(".go")
    {
        return Some(("changelog", None));
    }
    // Release process docs.
    let upper = name.to_ascii_uppercase();
    let is_doc = lower.ends_with(".md")
        || lower.ends_with(".rst")
        || lower.ends_with(".txt")
        || lower.ends_with(".adoc")
        || !lower.contains('.');
    if is_doc
        && (dir.is_empty() || dir == ".github" || docs_dir == "docs")
        && (upper.starts_with("RELEASE")
            || upper.starts_with("RELEASING")
            || upper.starts_with("PROCESS"))
    {
        return Some(("release-doc", None));
    }
    if is_doc && lower == "readme.md" && dir == "release" {
        return Some(("release-doc", None));
    }
    // A release checklist kept as an issue template (`.github/ISSUE_TEMPLATE/new-release.md`),
    // opened for each release and followed step by step.
    if is_doc
        && dir.eq_ignore_ascii_case(".github/ISSUE_TEMPLATE")
        && stem.contains("release")
        && !stem.contains("release-notes")
    {
        return Some(("release-doc", Some("release-checklist-template")));
    }
    // Instructions for coding agents that walk through the release
    // (`.github/agents/release.agent.md`, `.agents/skills/cut-release/SKILL.md`,
    // `.claude/commands/release.md`): the procedure, written for an agent to follow.
    if agent_release_instructions(path) {
        return Some(("release-doc", Some("agent-instructions")));
    }
    // A developer guide's release page in a documentation tree
    // (`docs/source/developer/release.rst`).
    let developer_dir = dir.rsplit('/').next().is_some_and(|d| {
        matches!(
            d,
            "developer" | "developers" | "dev" | "development" | "contributing" | "maintainers"
        )
    });
    if is_doc
        && docs_dir.starts_with("docs/")
        && developer_dir
        && matches!(
            stem,
            "release" | "releasing" | "release-process" | "release_process"
        )
    {
        return Some(("release-doc", None));
    }
    // `docs/RELEASING.md`, `docs/process/release.md`; not a documentation site's pages
    // about a product's releases (`docs/guides/modules/deploy/pages/manage-releases.adoc`)
    // nor release notes, which are records, not the process.
    let near_docs_root =
        docs_dir == "docs" || (docs_dir.starts_with("docs/") && docs_dir.matches('/').count() == 1);
    let notes = ["release-notes", "release_notes", "releasenotes"]
        .iter()
        .any(|n| lower.starts_with(n));
    if is_doc && near_docs_root && lower.starts_with("releas") && !notes {
        return Some(("release-doc", None));
    }
    // Deeper in a documentation tree only under names that say they are the procedure
    // (`docs/gitbook/dev/release-guide.md`), not pages about a product's releases.
    let procedure = [
        "release-guide",
        "release_guide",
        "releasing",
        "release-process",
        "release_process",
        "how-to-release",
        "cutting-a-release",
    ]
    .iter()
    .any(|n| lower.starts_with(n));
    if is_doc && (docs_dir == "docs" || docs_dir.starts_with("docs/")) && procedure {
        return Some(("release-doc", None));
    }
    // A page about cutting releases in a documentation tree's release directory
    // (`docs/dev/releases/create-a-release.md`), not the release notes kept there.
    let release_dir = dir
        .rsplit('/')
        .next()
        .is_some_and(|d| matches!(d, "release" | "releases" | "releasing"));
    if is_doc
        && docs_dir.starts_with("docs/")
        && release_dir
        && lower.contains("releas")
        && !notes
        && !lower.starts_with(|c: char| c.is_ascii_digit() || c == 'v')
    {
        return Some(("release-doc", None));
    }
    // Release tooling configuration.
    let tool = match path {
        ".goreleaser.yml" | ".goreleaser.yaml" | "goreleaser.yml" | "goreleaser.yaml" => {
            Some("goreleaser")
        }
        ".releaserc" | ".releaserc.json" | ".releaserc.yml" | ".releaserc.yaml"
        | ".releaserc.js" | ".releaserc.cjs" | "release.config.js" | "release.config.cjs"
        | "release.config.mjs" => Some("semantic-release"),
        "release-please-config.json" | ".release-please-manifest.json" => Some("release-please"),
        ".github/release-drafter.yml" | ".github/release-drafter.yaml" => Some("release-drafter"),
        ".changeset/config.json" => Some("changesets"),
        "cliff.toml" => Some("git-cliff"),
        "towncrier.toml" | "changelog.d/towncrier.toml" => Some("towncrier"),
        ".gitlab/changelog_config.yml" | ".gitlab/changelog_config.yaml" => {
            Some("gitlab-changelog")
        }
        "cr.yaml" | ".github/cr.yaml" | "ct.yaml" => Some("chart-releaser"),
        ".github/release.yml" | ".github/release.yaml" => Some("github-release-notes"),
        _ => None,
    };
    tool.map(|t| ("release-tooling", Some(t)))
}

/// Agent instruction files named for the release: under `.github/agents/`,
/// `.github/prompts/`, `.claude/commands/`, or an agent skill directory
/// (`.agents/skills/<name>/SKILL.md`, `.claude/skills/<name>/SKILL.md`).
fn agent_release_instructions(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if !lower.ends_with(".md") {
        return false;
    }
    let name = lower.rsplit('/').next().unwrap_or("");
    let dir = super::parent_dir(&lower);
    // Named for the release, not for its notes (records, not the procedure).
    let named = |s: &str| {
        (s.starts_with("releas") || s.contains("-release") || s.contains("_release"))
            && !s.contains("release-notes")
            && !s.contains("release_notes")
    };
    if matches!(
        dir,
        ".github/agents" | ".github/prompts" | ".claude/commands"
    ) {
        return named(name);
    }
    if name == "skill.md" {
        if let Some((skills, skill)) = dir.rsplit_once('/') {
            return matches!(
                skills,
                ".agents/skills" | ".claude/skills" | ".github/skills"
            ) && (named(skill) || skill.ends_with("release"));
        }
    }
    false
}

fn version_heading() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // `## [1.2.3] - 2024-01-01`, `# v1.2.0`, `1.2.0 (2024-01-01)` underlined, `## 2.0`;
        // and the NEWS style of GNU and GNOME projects: `Overview of changes in GLib
        // 2.89.3` (underlined), `Changes in libsoup from 3.6.6 to 3.7.1:`, the CPAN style
        // of Perl's `Changes` (`12.4.0 2026-06-05`),
        // `Noteworthy changes in release 2.4 (2024-01-01)`; `## Version 10.32.6`; a line
        // that is only a version (`v14.56.1`); a name and a version as a heading (`# Text
        // Editor 50.0`, `gnome-clocks 50.beta` underlined); `New in 50.rc - 6 March 2026`
        // (a version and, after a dash, its date); a bare version underlined, indented
        // or not (` 40.0` over ` ======`). Word boundaries are ASCII:
        // a Unicode one would stop the lazy DFA on any non-ASCII text (a NEWS file's
        // contributors' names) and leave the search to the far slower PikeVM.
        Regex::new(r"(?m)^(?:#{1,4}\s*\[?v?\d+\.\d+(?:\.\d+)?[^\n]*|#{1,4}\s*(?:[Vv]ersion|[Rr]elease)\s+\[?v?\d+\.\d+[^\n]*|v?\d+\.\d+\.\d+[ \t]*$|\[?v?\d+\.\d+\.\d+\]?[^\n]*\n[-=~]{3,}|(?:[A-Z][a-z]+ )(?:[a-z]+ ){0,2}?(?:changes|version|release)(?-u:\b)[^\n]{0,60}(?-u:\b)\d+\.\d+[^\n]*|(?:Changes|Version|Release)(?-u:\b)[^\n]{0,60}(?-u:\b)\d+\.\d+[^\n]*|#{1,4}[ \t]+[A-Za-z][^\n]{0,40}?[ \t]v?\d+\.(?:\d+|alpha|beta|rc|xx)[^\n]*|[A-Za-z][\w.+-]*(?:[ \t][\w.+-]+){0,3}[ \t]v?\d+\.(?:\d+|alpha|beta|rc)[\w.-]*[ \t]*\n[-=~]{3,}|New in (?:[A-Za-z][\w.+-]* )?v?\d+\.(?:\d+|alpha|beta|rc)[\w.-]*(?:[ \t]+-[^\n]*)?[ \t]*$|[ \t]{1,3}v?\d+\.\d+(?:\.\d+)?[ \t]*\n[ \t]{0,3}[-=~]{3,}|v?\d+\.\d+[ \t]*\n[-=~]{3,}|v?\d+\.\d+(?:\.\d+)?[ \t]+\(?\d{4}-\d{2}-\d{2}\)?[ \t]*$)").expect("static regex")
    })
}

impl Extractor for Governance {
    fn name(&self) -> &'static str {
        "governance"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        classify(path).is_some()
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let Some((kind, tool)) = classify(path) else {
            return;
        };
        let text = input.text;
        if matches!(kind, "document" | "contributing") {
            out.facts
                .extend(release_sections(path, text, input.file.excluded.as_deref()));
            if kind == "document" {
                return;
            }
        }
        let mut fact = Fact::new(
            "governance.file",
            Location::at(path, 1),
            describe(kind, tool, path),
        )
        .attr("kind", kind);
        if let Some(t) = tool {
            fact.set("tool", t);
        }
        if tool == Some("release-checklist-template") {
            fact.set(
                "judgement",
                "an issue template that is the release checklist: read as the documented release process",
            );
        }
        if tool == Some("agent-instructions") {
            fact.set(
                "judgement",
                "instructions for a coding agent that walk through the release: read as the documented release process",
            );
        }
        match kind {
            "codeowners" | "owners" => {
                let rules = text
                    .lines()
                    .filter(|l| {
                        let t = l.trim();
                        !t.is_empty() && !t.starts_with('#')
                    })
                    .count();
                if rules == 0 {
                    out.diagnostics.push(Diagnostic::warning(
                        path,
                        None,
                        "ownership file has no rules; it does not assign owners",
                    ));
                    fact = fact.excluded("the ownership file is empty");
                }
                fact.set("rules", rules);
            }
            "contributing" | "pr-template" | "security-policy" | "release-doc"
                if text.trim().is_empty() =>
            {
                fact = fact.excluded("the file is empty");
            }
            "dependabot" => {
                let parsed = input.yaml();
                if let Some(e) = &parsed.error {
                    out.diagnostics.push(yaml_diagnostic(path, e));
                }
                let doc = parsed.documents.first();
                let updates = doc.and_then(|d| d.entry("updates"));
                let mut ecosystems: Vec<String> = updates
                    .map(|(_, u)| {
                        u.as_seq()
                            .iter()
                            .filter_map(|x| x.get("package-ecosystem").and_then(Node::as_str))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                ecosystems.sort();
                ecosystems.dedup();
                if let Some((k, _)) = updates {
                    fact.location.line = Some(k.line);
                }
                if ecosystems.is_empty() {
                    fact = fact.excluded("no `updates:` with a package-ecosystem");
                }
                fact.detail = format!(
                    "Dependabot updates {}",
                    if ecosystems.is_empty() {
                        "nothing".to_string()
                    } else {
                        ecosystems.join(", ")
                    }
                );
                fact.set("ecosystems", ecosystems);
            }
            "renovate" => {
                if text.trim().is_empty() {
                    fact = fact.excluded("the Renovate config is empty");
                } else if renovate_disabled(text) {
                    fact = fact.excluded("Renovate is disabled (top-level `enabled: false`)");
                }
            }
            "branch-protection" => {
                let parsed = input.yaml();
                if let Some(e) = &parsed.error {
                    out.diagnostics.push(yaml_diagnostic(path, e));
                }
                let mut branches = Vec::new();
                let mut line = None;
                if let Some(doc) = parsed.documents.first() {
                    for b in doc.get("branches").map(Node::as_seq).unwrap_or(&[]) {
                        let protected = b.get("protection").is_some_and(|p| !p.is_null());
                        if protected {
                            if let Some(n) = b.get("name").and_then(Node::as_str) {
                                branches.push(n.to_string());
                                line.get_or_insert(b.line);
                            }
                        }
                    }
                }
                fact.location.line = line.or(Some(1));
                if branches.is_empty() {
                    fact = fact.excluded("the settings file declares no branch protection");
                }
                fact.detail = format!("branch protection declared for {}", branches.join(", "));
                fact.set("branches", branches);
            }
            "changelog" => {
                let entries = version_heading().find_iter(text).count();
                fact.detail = format!("changelog with {entries} per-release entries");
                fact.set("entries", entries);
            }
            _ => {}
        }
        if let Some(reason) = &input.file.excluded {
            if fact.excluded.is_none() {
                fact = fact.excluded(reason.to_string());
            }
        }
        out.facts.push(fact);
    }
}

/// Headings that name the release procedure (lower case, without markup):
/// `Releasing`, `Release process`, `Cutting a release`, `How to make a release`,
/// `How to publish an update`.
fn release_heading() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"^(\d+(\.\d+)*\.?\s+)?(the\s+)?(",
            r"releasing(\s.*)?",
            r"|release\s+(process|procedure|steps|checklist|instructions|workflow|guide|management|how-to)",
            r"|(cutting|making|creating|publishing|doing|preparing|tagging)\s+(a\s+|the\s+)?(new\s+)?(release|version)s?(\s.*)?",
            r"|how\s+to\s+(cut|make|do|create|publish|tag|prepare|issue|ship|perform)\s+(a\s+|the\s+)?(new\s+)?(release|version)s?(\s.*)?",
            // `Publishing Official Images (for Maintainers only)`, `Publishing changes`.
            r"|publishing\s+(the\s+)?(official\s+|new\s+)?(images?|packages?|charts?|releases?|changes|artifacts?|binaries|orbs?|extensions?|crates?|gems?|modules?)(\s.*)?",
            // `How to publish an update` (orbs, extensions), `How to release`.
            r"|(how\s+to\s+)?publish(ing)?\s+(an\s+|a\s+new\s+|new\s+)?updates?(\s.*)?",
            r"|how\s+to\s+release(\s.*)?",
            r")$"
        ))
        .expect("static regex")
    })
}

/// The sections of a general document (README, CONTRIBUTING, GOVERNANCE...) headed as
/// the release procedure, with at least [`MIN_SECTION_LINES`] lines of content: each
/// a `release-doc` resting on a judgement (the rubric names release files; a section
/// of another document is read as one).
fn release_sections(path: &str, text: &str, excluded: Option<&str>) -> Vec<Fact> {
    const MIN_SECTION_LINES: usize = 3;
    let lines: Vec<&str> = text.lines().collect();
    // (line index, level, heading text) of Markdown `#` headings and underlined ones.
    let mut headings: Vec<(usize, usize, String)> = Vec::new();
    let mut fenced = false;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(h) = t.strip_prefix('#') {
            let level = 1 + h.chars().take_while(|c| *c == '#').count();
            let title = h.trim_start_matches('#');
            if title.starts_with(' ') {
                headings.push((
                    i,
                    level,
                    title.trim().trim_end_matches('#').trim().to_string(),
                ));
            }
            continue;
        }
        let underline = lines.get(i + 1).map(|u| u.trim()).unwrap_or_default();
        if !t.is_empty()
            && underline.len() >= 3
            && underline.len() + 2 >= t.len()
            && ['=', '-', '~', '^']
                .iter()
                .any(|c| underline.chars().all(|x| x == *c))
        {
            let level = if underline.starts_with('=') { 1 } else { 2 };
            headings.push((i, level, t.to_string()));
        }
    }
    let mut out = Vec::new();
    for (n, (i, level, title)) in headings.iter().enumerate() {
        // Without inline HTML (`<a name="release"></a>How To Issue a Release`).
        let mut untagged = String::with_capacity(title.len());
        let mut in_tag = false;
        for c in title.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => untagged.push(c),
                _ => {}
            }
        }
        let plain: String = untagged
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || *c == '.' || *c == '-')
            .collect();
        // A bare `Releases` heading is the procedure in a maintainers' or developers'
        // document, not in a README (where it lists downloads).
        // So is `Shipping (for maintainers only)`.
        let bare = (matches!(plain.trim(), "release" | "releases" | "shipping")
            || plain.trim().starts_with("shipping "))
            && !file_name(path).to_ascii_lowercase().starts_with("readme");
        if !bare && !release_heading().is_match(plain.trim()) {
            continue;
        }
        let end = headings[n + 1..]
            .iter()
            .find(|(_, l, _)| l <= level)
            .map_or(lines.len(), |(j, _, _)| *j);
        let content = lines[(*i + 1).min(end)..end]
            .iter()
            .filter(|l| {
                let t = l.trim();
                !t.is_empty() && !t.chars().all(|c| "=-~^".contains(c))
            })
            .count();
        if content < MIN_SECTION_LINES {
            continue;
        }
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut fact = Fact::new(
            "governance.file",
            Location::at(path, line),
            format!("release process documented in section `{title}` of {path}"),
        )
        .attr("kind", "release-doc")
        .attr(
            "judgement",
            format!("a section of {path}, not a release-process file: read as the documented release process"),
        );
        if let Some(reason) = excluded {
            fact = fact.excluded(reason.to_string());
        }
        out.push(fact);
    }
    out
}

/// Whether a Renovate config turns Renovate off as a whole. Only the top-level
/// `enabled` counts: `packageRules` routinely disable single packages.
fn renovate_disabled(text: &str) -> bool {
    // JSON5 configs: drop whole-line comments and trailing commas, then read as JSON. A
    // config that still does not parse is taken as enabled (its presence is the evidence).
    static TRAILING_COMMA: OnceLock<Regex> = OnceLock::new();
    let uncommented: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let cleaned = TRAILING_COMMA
        .get_or_init(|| Regex::new(r",(\s*[}\]])").expect("static regex"))
        .replace_all(&uncommented, "$1");
    serde_json::from_str::<serde_json::Value>(&cleaned)
        .is_ok_and(|v| v.get("enabled") == Some(&serde_json::Value::Bool(false)))
}

fn describe(kind: &str, tool: Option<&str>, path: &str) -> String {
    match (kind, tool) {
        ("codeowners", _) => "code owners assigned in CODEOWNERS".into(),
        ("owners", _) => "owners assigned in OWNERS".into(),
        ("contributing", _) => "contribution guide".into(),
        ("pr-template", _) => "pull/merge request template".into(),
        ("security-policy", _) => "security policy".into(),
        ("renovate", _) => "Renovate configuration".into(),
        ("release-doc", _) => "release process documented".into(),
        ("release-tooling", Some(t)) => format!("{t} configuration"),
        _ => format!("{kind} file {path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_instructions_named_for_the_release() {
        for p in [
            ".github/agents/release.agent.md",
            ".github/prompts/prepare-release.prompt.md",
            ".claude/commands/cut-release.md",
            ".agents/skills/buildkite-agent-release/SKILL.md",
            ".claude/skills/releasing/SKILL.md",
        ] {
            assert!(agent_release_instructions(p), "{p}");
        }
        for p in [
            ".github/agents/triage.agent.md",
            ".github/prompts/release-notes.prompt.md",
            ".agents/skills/code-review/SKILL.md",
            "docs/agents/release.md",
            ".github/agents/release.yml",
        ] {
            assert!(!agent_release_instructions(p), "{p}");
        }
    }

    #[test]
    fn classification() {
        assert_eq!(classify(".github/CODEOWNERS"), Some(("codeowners", None)));
        assert_eq!(classify("src/CODEOWNERS"), None);
        assert_eq!(classify("CONTRIBUTING.md"), Some(("contributing", None)));
        assert_eq!(
            classify(".github/PULL_REQUEST_TEMPLATE/feature.md"),
            Some(("pr-template", None))
        );
        assert_eq!(
            classify(".github/pull_request_template.md"),
            Some(("pr-template", None))
        );
        assert_eq!(classify("RELEASING.md"), Some(("release-doc", None)));
        assert_eq!(
            classify("docs/maintainers/releasing.md"),
            Some(("release-doc", None))
        );
        assert_eq!(classify("pkg/release/notes.go"), None);
        assert_eq!(
            classify(".goreleaser.yaml"),
            Some(("release-tooling", Some("goreleaser")))
        );
        assert_eq!(classify("CHANGELOG.md"), Some(("changelog", None)));
    }

    #[test]
    fn renovate_disabled_only_at_top_level() {
        assert!(renovate_disabled("{\"extends\": [], \"enabled\": false}"));
        assert!(!renovate_disabled(
            "{\"packageRules\": [{\"matchPackageNames\": [\"x\"], \"enabled\": false}]}"
        ));
        assert!(!renovate_disabled(
            "{\"extends\": [\"config:recommended\"]}"
        ));
        assert!(renovate_disabled(
            "{\n  // off for now\n  \"enabled\": false,\n}\n"
        ));
    }

    #[test]
    fn changelog_entries() {
        let text = "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2024-01-01\n- x\n\n## v1.1.0\n\n1.0.0 (2023-01-01)\n------------------\n";
        assert_eq!(version_heading().find_iter(text).count(), 3);
        let news = "Overview of changes in GLib 2.89.3, 2026-07-29\n===\n\n* Fix\n\nOverview of changes in GLib 2.89.2\n===\n";
        assert_eq!(version_heading().find_iter(news).count(), 2);
        let gnu = "Changes in libsoup from 3.6.6 to 3.7.1:\n\n* x\n\nNoteworthy changes in release 2.4 (2024-01-01)\n";
        assert_eq!(version_heading().find_iter(gnu).count(), 2);
        let more = "# Change Log\n\n## Version 10.32.6\n\n1. x\n\n## Version 10.32.5\n\nv14.56.1\n\n- fix\n";
        assert_eq!(version_heading().find_iter(more).count(), 3);
        let gnome = "gnome-clocks 50.0\n=================\n* x\n\ngnome-clocks 50.beta\n====================\n* y\n\n# Text Editor 49.rc\n\n * z\n";
        assert_eq!(version_heading().find_iter(gnome).count(), 3);
        let new_in = "New in 51.beta - 1 August 2026\n * x\n\nNew in 50.0\n * y\nNew in this release: many fixes\nNew in 2.0 we said many things, too\n";
        assert_eq!(version_heading().find_iter(new_in).count(), 2);
        // Prose that mentions a version without heading an entry does not count.
        let prose = "This file lists changes.\nUpgrade notes: see 2.0 docs\n  Changes in 1.2 are indented\n";
        assert_eq!(version_heading().find_iter(prose).count(), 0);
    }
}
