//! `cnmm plan`: the shortest path from the levels a scan finds to target levels. The
//! criteria every named section still lacks up to its target, with the criteria they
//! depend on (C2 needs P2a and P2b, P4a needs S2), ordered so that what another step
//! needs comes first. Each step is fitted to the repository: the file that meets it when
//! a file can (a Dependabot config for the ecosystems found, a security-scan workflow
//! for a GitHub repository), a diff for a change to an existing file (GitLab's scanners
//! included into `.gitlab-ci.yml`), or what to change where, with the file and line.
//!
//! The plan is made from the same scan as `cnmm scan` ([`crate::scan::Prepared`]);
//! `--write` creates the files and never changes an existing one. The JSON contract is
//! `docs/plan.md`.

pub mod context;
pub mod files;
pub mod render;
pub mod write;

use crate::scan::{Prepared, Settings};
use crate::UserError;
use cnmm_model::{Assessment, SectionId, Status};
use context::RepoContext;
use files::Change;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const PLAN_SCHEMA_VERSION: &str = "1.0";
pub const FORMATS: &[&str] = &["text", "markdown", "json"];

/// A plan: where the repository stands, where it is going, and the steps between.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    pub schema_version: String,
    pub tool: cnmm_model::Tool,
    /// The name of the repository's directory (never an absolute path).
    pub target: String,
    /// The level of each section now.
    pub levels: BTreeMap<String, u8>,
    /// The level wanted for each section named.
    pub targets: BTreeMap<String, u8>,
    /// The level of each section once the files the plan creates exist (the steps that
    /// need a hand-made change are not counted).
    pub levels_after_files: BTreeMap<String, u8>,
    pub steps: Vec<Step>,
}

/// One criterion to meet.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    pub criterion: String,
    pub section: String,
    pub level: u8,
    pub title: String,
    /// `unmet` or `unknown` (history that cannot be observed).
    pub status: String,
    /// The criteria of the plan that need this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needed_by: Vec<String>,
    pub actions: Vec<Action>,
}

/// What to do for a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A new file; `--write` creates it. `meets` are the criteria it meets once it exists
    /// (with the rest of the plan's files).
    Create {
        path: String,
        meets: Vec<String>,
        content: String,
    },
    /// A change to an existing file, as a unified diff to apply by hand.
    Edit {
        path: String,
        line: u32,
        meets: Vec<String>,
        diff: String,
    },
    /// A file created by an earlier step also meets this one.
    Shared { path: String, step: String },
    /// A change cnmm cannot write: what to do, and where when it knows.
    Manual {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
}

/// Target levels by section id (`overall` names all five).
pub type Targets = BTreeMap<SectionId, u8>;

/// `--to 3`, `--to security=4,ci_cd=3`, `--to overall=3`.
pub fn parse_targets(spec: &str) -> Result<Targets, UserError> {
    let spec = spec.trim();
    let level = |v: &str, what: &str| -> Result<u8, UserError> {
        match v.trim().parse::<u8>() {
            Ok(n @ 1..=5) => Ok(n),
            _ => Err(UserError(format!(
                "--to: `{v}` for {what} is not a level; levels go from 1 to 5"
            ))),
        }
    };
    if !spec.contains('=') {
        let n = level(spec, "every section")?;
        return Ok(SectionId::ALL.iter().map(|s| (*s, n)).collect());
    }
    let mut out = Targets::new();
    for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(UserError(format!(
                "--to: `{part}` is not SECTION=LEVEL (e.g. --to security=4,ci_cd=3)"
            )));
        };
        let n = level(v, k.trim())?;
        for s in sections_named(k.trim(), "--to")? {
            out.insert(s, n);
        }
    }
    Ok(out)
}

fn sections_named(key: &str, what: &str) -> Result<Vec<SectionId>, UserError> {
    if key == "overall" {
        return Ok(SectionId::ALL.to_vec());
    }
    SectionId::parse(key)
        .map(|s| vec![s])
        .ok_or_else(|| {
            UserError(format!(
                "{what}: unknown section `{key}`; use overall, process, audit_logs, ci_cd, change_control or security"
            ))
        })
}

/// The targets of `.cnmm.yml` (`targets: {overall: 3, security: 4}`), a section's own
/// target over `overall`.
pub fn config_targets(cfg: &crate::config::Config) -> Result<Targets, UserError> {
    let mut out = Targets::new();
    if let Some(n) = cfg.targets.get("overall") {
        for s in SectionId::ALL {
            out.insert(s, *n);
        }
    }
    for (k, n) in cfg.targets.iter().filter(|(k, _)| *k != "overall") {
        for s in sections_named(k, ".cnmm.yml targets")? {
            out.insert(s, *n);
        }
    }
    Ok(out)
}

/// Scans `root` and plans the way to `targets` (or to the configuration's targets).
pub fn build(
    root: &Path,
    settings: &Settings,
    targets: Option<Targets>,
) -> Result<(Plan, Vec<Change>), UserError> {
    let prepared = Prepared::new(root, settings)?;
    let targets = match targets {
        Some(t) => t,
        None => {
            let t = config_targets(&prepared.config)?;
            if t.is_empty() {
                return Err(UserError(
                    "no target: pass --to N (or --to security=4,ci_cd=3), or set `targets:` in .cnmm.yml".into(),
                ));
            }
            t
        }
    };
    // A bare repository (a mirror) is planned from HEAD's tree, as `fleet` assesses it;
    // it has no work tree for `--write`.
    let bare = crate::scan::is_bare_repository(root);
    let (assessment, facts) = prepared.assess_with_facts(bare.then_some("HEAD"), None)?;
    let ctx = RepoContext::new(root, &assessment, &facts);
    Ok(plan(&assessment, prepared.rules(), &ctx, root, &targets))
}

fn passes(a: &Assessment, id: &str) -> bool {
    criterion(a, id).is_some_and(|c| c.status.passes())
}

fn criterion<'a>(a: &'a Assessment, id: &str) -> Option<&'a cnmm_model::CriterionResult> {
    a.sections
        .iter()
        .flat_map(|s| s.criteria.iter())
        .find(|c| c.id == id)
}

/// The plan for an assessment; the changes are the plan's files and diffs, in order.
pub fn plan(
    a: &Assessment,
    rules: &cnmm_rules::RuleSet,
    ctx: &RepoContext,
    root: &Path,
    targets: &Targets,
) -> (Plan, Vec<Change>) {
    // The criteria each section lacks up to its target, then what those need.
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for s in &a.sections {
        let Some(&t) = targets.get(&s.id) else {
            continue;
        };
        for c in &s.criteria {
            if c.level >= 2 && c.level <= t && !c.status.passes() {
                wanted.insert(c.id.clone());
            }
        }
    }
    let mut needed_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut queue: Vec<String> = wanted.iter().cloned().collect();
    while let Some(id) = queue.pop() {
        for d in prerequisites(rules, &id) {
            if passes(a, &d) {
                continue;
            }
            needed_by.entry(d.clone()).or_default().push(id.clone());
            if wanted.insert(d.clone()) {
                queue.push(d);
            }
        }
    }
    let order = ordered(&wanted, rules);

    let mut steps = Vec::new();
    let mut changes: Vec<Change> = Vec::new();
    // Which step created each path, and what it meets.
    let mut created: BTreeMap<String, String> = BTreeMap::new();
    for id in &order {
        let Some(c) = criterion(a, id) else {
            continue;
        };
        let section = rules
            .rule(id)
            .map(|r| r.section)
            .unwrap_or(SectionId::Process);
        let mut actions = Vec::new();
        for (change, meets) in fitted(id, ctx, root, a) {
            let path = match &change {
                Change::Create { path, .. } | Change::Edit { path, .. } => path.clone(),
            };
            if let Some(step) = created.get(&path) {
                actions.push(Action::Shared {
                    path,
                    step: step.clone(),
                });
                continue;
            }
            // A file already in the tree is never created again.
            if matches!(change, Change::Create { .. }) && root.join(&path).exists() {
                continue;
            }
            created.insert(path.clone(), id.clone());
            actions.push(match &change {
                Change::Create { path, content } => Action::Create {
                    path: path.clone(),
                    meets: meets.clone(),
                    content: content.clone(),
                },
                Change::Edit { path, line, diff } => Action::Edit {
                    path: path.clone(),
                    line: *line,
                    meets: meets.clone(),
                    diff: diff.clone(),
                },
            });
            changes.push(change);
        }
        if !actions.iter().any(|x| {
            matches!(
                x,
                Action::Create { .. } | Action::Edit { .. } | Action::Shared { .. }
            )
        }) {
            // A criterion made only of others (C2 is P2a and P2b) is met by their steps.
            let mut deps = prerequisites(rules, id);
            let mut kinds = Vec::new();
            if let Some(r) = rules.rule(id) {
                r.evidence.kinds(&mut kinds);
            }
            deps.retain(|d| !passes(a, d));
            if !kinds.is_empty() || !deps.iter().all(|d| wanted.contains(d)) {
                deps.clear();
            }
            actions.push(manual(id, ctx, c, &deps));
        }
        let mut by = needed_by.get(id).cloned().unwrap_or_default();
        by.sort();
        by.dedup();
        steps.push(Step {
            criterion: id.clone(),
            section: section.as_str().to_string(),
            level: c.level,
            title: c.title.clone(),
            status: c.status.as_str().to_string(),
            needed_by: by,
            actions,
        });
    }
    let levels = section_levels(a, &BTreeSet::new());
    let met_by_files: BTreeSet<String> = steps
        .iter()
        .flat_map(|s| s.actions.iter())
        .filter_map(|x| match x {
            Action::Create { meets, .. } => Some(meets.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let plan = Plan {
        schema_version: PLAN_SCHEMA_VERSION.to_string(),
        tool: cnmm_model::Tool {
            name: "cnmm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target: a.target.path.clone(),
        levels,
        targets: targets
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), *n))
            .collect(),
        levels_after_files: section_levels(a, &met_by_files),
        steps,
    };
    (plan, changes)
}

/// The criteria a criterion's rule is made of (`criterion:` queries: C2 is P2a and P2b).
fn prerequisites(rules: &cnmm_rules::RuleSet, id: &str) -> Vec<String> {
    let mut deps = Vec::new();
    if let Some(r) = rules.rule(id) {
        r.evidence.criteria(&mut deps);
    }
    deps
}

/// Lower levels first, then the sections' order; a criterion another needs before it.
fn ordered(wanted: &BTreeSet<String>, rules: &cnmm_rules::RuleSet) -> Vec<String> {
    let key = |id: &String| {
        let r = rules.rule(id);
        (r.is_none(), r.map(|r| (r.level, r.section)), id.clone())
    };
    let mut pending: Vec<String> = wanted.iter().cloned().collect();
    pending.sort_by_key(key);
    let mut out: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|id| {
            prerequisites(rules, id)
                .iter()
                .all(|d| !wanted.contains(d) || out.contains(d))
        });
        // A cycle (none in the built-in rules) keeps the sorted order.
        let i = ready.unwrap_or(0);
        out.push(pending.remove(i));
    }
    out
}

/// Section levels with the criteria of `assume_met` counted as met.
fn section_levels(a: &Assessment, assume_met: &BTreeSet<String>) -> BTreeMap<String, u8> {
    a.sections
        .iter()
        .map(|s| {
            let level = cnmm_rules::gated_level(&s.criteria, |c| {
                c.status.passes() || assume_met.contains(&c.id)
            });
            (s.id.as_str().to_string(), level)
        })
        .collect()
}

/// The files and diffs that meet criterion `id`, with the criteria each meets.
fn fitted(id: &str, ctx: &RepoContext, root: &Path, a: &Assessment) -> Vec<(Change, Vec<String>)> {
    use context::Forge;
    let met = |x: &str| passes(a, x);
    let v = |c: Option<Change>, meets: &[&str]| -> Vec<(Change, Vec<String>)> {
        c.map(|c| (c, meets.iter().map(|s| s.to_string()).collect()))
            .into_iter()
            .collect()
    };
    match id {
        "P2a" if !ctx.automatic_ci && ctx.forge == Forge::GitHub => {
            v(files::ci_workflow(ctx), &["P2a"])
        }
        "P3a" => v(Some(files::contributing(ctx)), &["P3a"]),
        "P3b" | "S4" => v(files::dependency_updates(ctx), &["P3b", "S4"]),
        "P4a" => {
            // CODEOWNERS meets P4a with S2, which the plan's scan workflow may bring.
            let with_s2 = met("S2") || ctx.forge == Forge::GitHub;
            v(files::codeowners(ctx), if with_s2 { &["P4a"] } else { &[] })
        }
        "S2" | "S3" => match ctx.forge {
            Forge::GitHub => v(Some(files::security_scan_workflow(ctx)), &["S2", "S3"]),
            Forge::GitLab => {
                let change = files::gitlab_security(ctx, root);
                // An edit meets them once applied by hand.
                v(change, &["S2", "S3"])
            }
            Forge::Other => Vec::new(),
        },
        "C3b" => v(Some(files::releasing(ctx)), &["C3b"]),
        "C4a" => v(Some(files::release_notes(ctx)), &["C4a"]),
        "X3c" => v(files::branch_protection(ctx), &["X3c"]),
        _ => Vec::new(),
    }
}

/// What to do by hand, fitted to the pipeline where cnmm knows the place.
/// The rule's remediation: its first paragraph, and the example after it when the
/// paragraph leads into one (ends with `:`).
fn remediation_text(remediation: &str) -> String {
    let mut parts = remediation.split("\n\n");
    let first = parts
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !first.ends_with(':') {
        return first;
    }
    let example: Vec<&str> = parts
        .next()
        .unwrap_or("")
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect();
    format!("{first}\n{}", example.join("\n").trim_end())
}

fn manual(id: &str, ctx: &RepoContext, c: &cnmm_model::CriterionResult, deps: &[String]) -> Action {
    let release = ctx.release_jobs.first();
    let test = ctx.test_jobs.first();
    let (text, location) = match id {
        "P2b" | "X2" => (
            "add a job that publishes what the project ships (an image, a package, a release) when a version tag is pushed".to_string(),
            ctx.test_jobs.first().map(|j| j.path.clone()),
        ),
        "S5a" => (
            match release {
                Some(j) => format!("generate an SBOM in the release job `{}` (for GitHub: a step `uses: anchore/sbom-action@v0` with `format: spdx-json`; GoReleaser: an `sboms:` entry), and publish it with the release", j.job),
                None => "generate an SBOM in the release pipeline (syft, anchore/sbom-action, GoReleaser `sboms:`) and publish it with the release".into(),
            },
            release.map(|j| j.location()),
        ),
        "S5b" => (
            match release {
                Some(j) => format!("sign the release artifacts in the release job `{}`: keyless with `cosign sign-blob` / `cosign sign`, or provenance with `actions/attest-build-provenance@v2` (permissions `id-token: write`, `attestations: write`)", j.job),
                None => "sign the release artifacts in the release pipeline (cosign keyless, GPG, or build provenance attestations)".into(),
            },
            release.map(|j| j.location()),
        ),
        "X5b" => (
            match (release, test) {
                (Some(r), Some(t)) => format!("make the release job `{}` wait for the tests: `needs: [{}]` (GitHub) or a later stage than `{}` (GitLab)", r.job, t.job, t.job),
                _ => "make the automatic release or deploy job wait for the job that runs the tests".into(),
            },
            release.map(|j| j.location()),
        ),
        // Security scans for the pipelines whose files cnmm does not write.
        "S2" | "S3" if ctx.providers.contains("jenkins") => (
            "add a stage to the Jenkinsfile that scans on every build of the default branch and of pull requests (and a nightly `triggers { cron('H 3 * * *') }` for S3):\nstage('Security scan') {\n  steps {\n    sh 'trivy fs --exit-code 1 --severity HIGH,CRITICAL --format sarif --output trivy.sarif .'\n  }\n  post { always { archiveArtifacts artifacts: 'trivy.sarif' } }\n}"
                .to_string(),
            ctx.ci_file("jenkins"),
        ),
        "S2" | "S3" if ctx.providers.contains("circleci") => (
            "add a job to .circleci/config.yml and run it in the workflow of every push, and in a scheduled pipeline for S3:\nsecurity-scan:\n  docker:\n    - image: aquasec/trivy:latest\n  steps:\n    - checkout\n    - run: trivy fs --exit-code 1 --severity HIGH,CRITICAL .".to_string(),
            ctx.ci_file("circleci"),
        ),
        "X3a" => (
            "run a linter or static analysis on every pull/merge request (golangci-lint, clippy, eslint, ruff, ...)".to_string(),
            test.map(|j| j.location()),
        ),
        "X3b" => (
            "run the tests on every pull/merge request, not only on pushes".to_string(),
            test.map(|j| j.location()),
        ),
        "P2a" if ctx.forge == context::Forge::GitLab => (
            format!(
                "add a job to {} that builds and tests on merge requests and branch pushes:\ntest:\n  stage: test\n  script:\n    - {}\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    - if: $CI_COMMIT_BRANCH",
                ctx.gitlab_ci.as_deref().unwrap_or(".gitlab-ci.yml"),
                ctx.test_command().unwrap_or("make test")
            ),
            None,
        ),
        "X3c" if ctx.forge == context::Forge::GitLab && c.status != Status::Unknown => (
            format!("protect `{}` (Settings > Repository > Protected branches: no direct pushes, merge requests only); cnmm sees the protection in the history once 70% of the default branch's commits come through merge requests", ctx.default_branch),
            None,
        ),
        "C4b" | "C5b" | "X3c" if c.status == Status::Unknown => (
            format!("cannot be judged without the git history ({}); scan a full clone", c.reason.clone().unwrap_or_default()),
            None,
        ),
        _ if !deps.is_empty() => (
            format!(
                "met once {} {} met (the step{} above)",
                deps.join(" and "),
                if deps.len() == 1 { "is" } else { "are" },
                if deps.len() == 1 { "" } else { "s" }
            ),
            None,
        ),
        _ => (remediation_text(&c.remediation), None),
    };
    Action::Manual { text, location }
}

/// `cnmm plan`.
pub fn run(a: &crate::cli::PlanArgs) -> Result<i32, UserError> {
    let targets = a.to.as_deref().map(parse_targets).transpose()?;
    let settings = Settings {
        config: a.config.clone(),
        rule_dirs: a.rules.clone(),
        ..Settings::default()
    };
    if a.write {
        write::check_work_tree(&a.path)?;
    }
    let (plan, changes) = build(&a.path, &settings, targets)?;
    let written = if a.write {
        write::create_all(&a.path, &changes)?
    } else {
        Vec::new()
    };
    let text = match a.format.as_str() {
        "json" => render::json(&plan),
        "markdown" => render::markdown(&plan),
        _ => render::text(&plan, a.write, &written),
    };
    crate::output::emit(&text, a.output.as_deref(), "plan")?;
    Ok(crate::EXIT_OK)
}
