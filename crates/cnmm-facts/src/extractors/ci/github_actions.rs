//! GitHub Actions: workflows under `.github/workflows/` and composite actions under
//! `.github/actions/`, parsed into the normalised pipeline model.

use super::{Job, Permissions, Pipeline, PipelineKind, SharedRef, Step, Triggers};
use crate::extractors::{yaml_diagnostic, Ctx, Extractor, FileInput, Output};
use crate::yaml::{self, Node};
use cnmm_model::Diagnostic;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

pub struct GithubActions;

const PROVIDER: &str = "github-actions";

impl Extractor for GithubActions {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        let is_yaml = path.ends_with(".yml") || path.ends_with(".yaml");
        if !is_yaml {
            return false;
        }
        if let Some(rest) = path.strip_prefix(".github/workflows/") {
            return !rest.contains('/');
        }
        if path.starts_with(".github/actions/") {
            let name = super::super::file_name(path);
            return name == "action.yml" || name == "action.yaml";
        }
        false
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let parsed = yaml::parse(input.text, yaml::Limits::default());
        if let Some(err) = &parsed.error {
            out.diagnostics.push(yaml_diagnostic(path, err));
        }
        let Some(doc) = parsed.documents.into_iter().next() else {
            if parsed.error.is_none() {
                out.diagnostics
                    .push(Diagnostic::warning(path, None, "empty workflow file"));
            }
            return;
        };
        if !doc.is_map() {
            out.diagnostics.push(Diagnostic::error(
                path,
                Some(doc.line.max(1)),
                "a workflow must be a YAML mapping; the file was skipped",
            ));
            return;
        }
        let pipeline = if path.starts_with(".github/actions/") {
            composite_action(path, &doc)
        } else {
            workflow(path, &doc, out)
        };
        if let Some(mut p) = pipeline {
            p.excluded = input.file.excluded.as_deref().map(String::from);
            // Another repository's reusable workflow the catalog does not know by name
            // cannot be read: what it runs is not seen.
            for s in &mut p.shared {
                if s.kind == "reusable-workflow-call" && !s.local {
                    s.unreadable = ctx
                        .tools
                        .match_uses(&s.reference, &std::collections::BTreeMap::new())
                        .is_empty();
                }
            }
            if let Some(owner) = ctx.repo_owner.as_deref() {
                p.shared.extend(organisation_actions(&p, owner));
            }
            out.pipelines.push(p);
        }
    }
}

/// Actions and reusable workflows kept in other repositories of the repository's own
/// organisation (`prometheus/promci/publish_main@v1` in a `prometheus/*` repository):
/// shared pipeline components of the organisation, not marketplace actions.
fn organisation_actions(p: &Pipeline, owner: &str) -> Vec<SharedRef> {
    let prefix = format!("{}/", owner.to_ascii_lowercase());
    let mut out: Vec<SharedRef> = Vec::new();
    for s in p.jobs.iter().flat_map(|j| &j.steps) {
        let Some(u) = &s.uses else { continue };
        if u.to_ascii_lowercase().starts_with(&prefix) && u.contains('@') {
            out.push(SharedRef::new("organisation-action-use", u.clone(), s.line));
        }
    }
    out
}

fn workflow(path: &str, doc: &Node, out: &mut Output) -> Option<Pipeline> {
    let name = doc
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or_else(|| super::super::file_name(path))
        .to_string();
    let (triggers, triggers_line) = match doc.entry("on").or_else(|| doc.entry("true")) {
        Some((k, v)) => (parse_triggers(v), k.line),
        None => {
            out.diagnostics.push(Diagnostic::warning(
                path,
                Some(1),
                "workflow has no `on:` triggers; it never runs",
            ));
            (Triggers::default(), 1)
        }
    };
    let permissions = doc
        .get("permissions")
        .map(parse_permissions)
        .unwrap_or_default();
    let mut shared = Vec::new();
    if triggers.workflow_call {
        shared.push(SharedRef::new(
            "reusable-workflow-definition",
            format!("./{path}"),
            triggers_line,
        ));
    }
    let mut jobs = Vec::new();
    match doc.entry("jobs") {
        Some((_, jobs_node)) if jobs_node.is_map() => {
            for (id, key, job) in jobs_node.entries() {
                if !job.is_map() {
                    out.diagnostics.push(Diagnostic::warning(
                        path,
                        Some(key.line),
                        format!("job `{id}` is not a mapping; skipped"),
                    ));
                    continue;
                }
                let j = parse_job(id, key.line, job, &permissions);
                if let Some((target, line)) = &j.calls {
                    shared.push(SharedRef::new(
                        "reusable-workflow-call",
                        target.clone(),
                        *line,
                    ));
                }
                for s in &j.steps {
                    if let Some(u) = &s.uses {
                        if u.starts_with("./.github/actions/")
                            || u.starts_with("./") && !u.contains(".github/workflows")
                        {
                            shared.push(SharedRef::new("composite-action-use", u.clone(), s.line));
                        }
                    }
                }
                jobs.push(j);
            }
        }
        Some((k, _)) => out.diagnostics.push(Diagnostic::error(
            path,
            Some(k.line),
            "`jobs:` must be a mapping of job ids to jobs",
        )),
        None => out.diagnostics.push(Diagnostic::warning(
            path,
            Some(1),
            "workflow has no `jobs:`",
        )),
    }
    Some(Pipeline {
        provider: PROVIDER,
        path: path.to_string(),
        name,
        kind: PipelineKind::Pipeline,
        triggers,
        triggers_line,
        triggers_judgement: None,
        permissions,
        jobs,
        shared,
        excluded: None,
    })
}

fn composite_action(path: &str, doc: &Node) -> Option<Pipeline> {
    let runs = doc.get("runs")?;
    let using = runs.get("using").and_then(Node::as_str).unwrap_or("");
    let mut steps = Vec::new();
    if using == "composite" {
        for s in runs.get("steps").map(Node::as_seq).unwrap_or(&[]) {
            steps.push(parse_step(s));
        }
    } else if using == "docker" {
        if let Some(img) = runs.get("image").and_then(Node::as_str) {
            steps.push(Step {
                line: runs.line,
                image: Some(img.trim_start_matches("docker://").to_string()),
                ..Default::default()
            });
        }
    }
    let name = doc
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or_else(|| super::super::parent_dir(path))
        .to_string();
    Some(Pipeline {
        provider: PROVIDER,
        path: path.to_string(),
        name,
        kind: PipelineKind::StepLibrary,
        triggers: Triggers::default(),
        triggers_judgement: None,
        triggers_line: 1,
        permissions: Permissions::Undeclared,
        jobs: vec![Job {
            id: "(composite)".into(),
            name: "(composite)".into(),
            line: runs.line,
            steps,
            ..Default::default()
        }],
        shared: vec![SharedRef::new(
            "composite-action",
            format!("./{}", super::super::parent_dir(path)),
            doc.entry("runs").map(|(k, _)| k.line).unwrap_or(1),
        )],
        excluded: None,
    })
}

/// `on:` as a string, a list or a mapping.
pub fn parse_triggers(on: &Node) -> Triggers {
    let mut t = Triggers::default();
    let mut add = |event: &str, cfg: Option<&Node>| match event {
        "push" => {
            let cfg = cfg.filter(|c| c.is_map());
            let branches = cfg.and_then(|c| c.get("branches")).map(Node::str_list);
            let ignore = cfg
                .and_then(|c| c.get("branches-ignore"))
                .map(Node::str_list);
            let tags =
                cfg.is_some_and(|c| c.get("tags").is_some() || c.get("tags-ignore").is_some());
            let has_branch_filter = branches.is_some() || ignore.is_some();
            if has_branch_filter || !tags {
                t.push = true;
                t.push_branches = branches.unwrap_or_default();
                t.push_branches_ignore = ignore.unwrap_or_default();
            }
            if tags || !has_branch_filter {
                t.tag = true;
            }
        }
        "pull_request" | "pull_request_target" | "merge_group" => t.pull_request = true,
        "release" => t.release = true,
        // `create` fires when a branch or tag is created; release workflows use it for
        // tags (`if: startsWith(github.ref, 'refs/tags/')` usually narrows it).
        "create" => {
            t.tag = true;
            t.other.insert("create".to_string());
        }
        "schedule" => t.schedule = true,
        "workflow_dispatch" | "repository_dispatch" => t.manual = true,
        "workflow_call" => t.workflow_call = true,
        "workflow_run" => {
            // Runs after another workflow, which itself ran on push or PR.
            t.push = true;
            if let Some(b) = cfg.and_then(|c| c.get("branches")) {
                t.push_branches = b.str_list();
            }
            t.other.insert("workflow_run".to_string());
        }
        check @ ("check_run" | "check_suite") => {
            // Runs when the checks of a commit complete, i.e. after the CI of a push
            // (Jenkins plugins' continuous delivery releases this way).
            t.push = true;
            t.other.insert(check.to_string());
        }
        other => {
            t.other.insert(other.to_string());
        }
    };
    match &on.value {
        yaml::Value::Scalar(s, _) => add(s, None),
        yaml::Value::Seq(items) => {
            for i in items {
                if let Some(s) = i.as_str() {
                    add(s, None);
                }
            }
        }
        yaml::Value::Map(_) => {
            for (k, _, v) in on.entries() {
                add(k, Some(v));
            }
        }
        yaml::Value::Null => {}
    }
    t
}

pub fn parse_permissions(n: &Node) -> Permissions {
    match n.as_str() {
        Some("write-all") => Permissions::WriteAll,
        Some("read-all") => Permissions::ReadAll,
        Some(_) => Permissions::Undeclared,
        None if n.is_map() => Permissions::Scoped(
            n.entries()
                .filter(|(_, _, v)| v.as_str() == Some("write"))
                .map(|(k, _, _)| k.to_string())
                .collect(),
        ),
        None if n.is_null() => Permissions::Undeclared,
        None => Permissions::Undeclared,
    }
}

fn parse_job(id: &str, line: u32, job: &Node, _workflow_perms: &Permissions) -> Job {
    let environment = job.get("environment").and_then(|e| {
        e.as_str()
            .map(str::to_string)
            .or_else(|| e.get("name").and_then(Node::as_str).map(str::to_string))
    });
    let image = job.get("container").and_then(|c| {
        c.as_str()
            .map(str::to_string)
            .or_else(|| c.get("image").and_then(Node::as_str).map(str::to_string))
    });
    let step_nodes: Vec<&Node> = job
        .get("steps")
        .map(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter(|s| s.is_map())
        .collect();
    let mut steps: Vec<Step> = step_nodes.iter().map(|s| parse_step(s)).collect();
    resolve_tag_outputs(&step_nodes, &mut steps);
    expand_matrix_commands(job, &mut steps);
    let calls = job
        .entry("uses")
        .and_then(|(k, v)| v.as_str().map(|s| (s.to_string(), k.line)));
    let permissions = job
        .get("permissions")
        .map(parse_permissions)
        .unwrap_or_default();
    let mut credentials = BTreeSet::new();
    collect_credentials(job, &steps, &mut credentials);
    Job {
        id: id.to_string(),
        path: None,
        name: job
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or(id)
            .to_string(),
        line,
        condition: job.get("if").and_then(Node::as_str).map(str::to_string),
        triggers: None,
        needs: job.get("needs").map(Node::str_list).unwrap_or_default(),
        stage: None,
        environment,
        manual_gate: None,
        manual_on_some_paths: false,
        permissions,
        credentials,
        steps,
        calls,
        image,
        image_described: None,
    }
}

/// A step condition on an earlier step's output that the earlier step sets only for a
/// tag (`if [[ $GITHUB_REF =~ ^refs/tags/ ]]; then IS_RELEASE=true; fi` written to
/// `$GITHUB_OUTPUT`, then `if: steps.is-release.outputs.IS_RELEASE`) is a tag condition:
/// the step runs for tags only. An output set without a tag test is left alone.
fn resolve_tag_outputs(nodes: &[&Node], steps: &mut [Step]) {
    static OUTPUT_REF: OnceLock<Regex> = OnceLock::new();
    let output_ref = OUTPUT_REF.get_or_init(|| {
        Regex::new(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)").expect("static regex")
    });
    static TAG_TEST: OnceLock<Regex> = OnceLock::new();
    let tag_test = TAG_TEST.get_or_init(|| {
        Regex::new(r"(?m)(?:GITHUB_REF|github\.ref)\b[^\n]*refs/tags|refs/tags[^\n]*(?:GITHUB_REF|github\.ref)\b")
            .expect("static regex")
    });
    let tag_only = |id: &str, name: &str| {
        nodes.iter().zip(steps.iter()).any(|(n, s)| {
            n.get("id").and_then(Node::as_str) == Some(id)
                && s.run.as_ref().is_some_and(|(text, _)| {
                    let writes = text.contains(&format!("{name}="))
                        && (text.contains("GITHUB_OUTPUT")
                            || text.contains(&format!("::set-output name={name}")));
                    writes && tag_test.is_match(text)
                })
        })
    };
    let resolved: Vec<Option<String>> = steps
        .iter()
        .map(|s| {
            let c = s.condition.as_deref()?;
            let mut changed = false;
            let out = output_ref.replace_all(c, |m: &regex::Captures| {
                if tag_only(&m[1], &m[2]) {
                    changed = true;
                    "startsWith(github.ref, 'refs/tags/')".to_string()
                } else {
                    m[0].to_string()
                }
            });
            changed.then(|| out.into_owned())
        })
        .collect();
    for (s, r) in steps.iter_mut().zip(resolved) {
        if r.is_some() {
            s.condition = r;
        }
    }
}

/// The most command variants one line of a `run:` script expands to.
const MAX_MATRIX_VARIANTS: usize = 32;

/// `run: ${{ matrix.suite.cmd }}`: a command that the job's matrix supplies is each of
/// the matrix's values, so that the tools they run are seen. Each row of the matrix (an
/// element of a list, an `include` entry) gives its values together; a line becomes its
/// variants joined by `;`, keeping its line number.
fn expand_matrix_commands(job: &Node, steps: &mut [Step]) {
    static REF: OnceLock<Regex> = OnceLock::new();
    let re = REF.get_or_init(|| {
        Regex::new(r"\$\{\{\s*matrix\.([A-Za-z0-9_.-]+)\s*\}\}").expect("static regex")
    });
    let mut matrix: Option<Vec<BTreeMap<String, String>>> = None;
    for step in steps.iter_mut() {
        let Some((text, _)) = step.run.as_mut() else {
            continue;
        };
        if !re.is_match(text) {
            continue;
        }
        // Read once, for the first step that needs it.
        let rows = matrix.get_or_insert_with(|| {
            matrix_rows(job.path(&["strategy", "matrix"]).unwrap_or(Node::empty()))
        });
        if rows.is_empty() {
            return;
        }
        let lines: Vec<String> = text
            .lines()
            .map(|line| {
                if !re.is_match(line) {
                    return line.to_string();
                }
                let mut variants: Vec<String> = Vec::new();
                for row in rows.iter() {
                    let mut complete = true;
                    let v = re.replace_all(line, |c: &regex::Captures| match row.get(&c[1]) {
                        Some(value) => value.clone(),
                        None => {
                            complete = false;
                            c[0].to_string()
                        }
                    });
                    if complete && !variants.iter().any(|x| x == &v) {
                        variants.push(v.into_owned());
                    }
                    if variants.len() >= MAX_MATRIX_VARIANTS {
                        break;
                    }
                }
                if variants.is_empty() {
                    line.to_string()
                } else {
                    variants.join(" ; ")
                }
            })
            .collect();
        *text = lines.join("\n");
    }
}

/// The rows of a `strategy.matrix`, each a map from the expression path after
/// `matrix.` (`os`, `suite.cmd`) to its value.
fn matrix_rows(matrix: &Node) -> Vec<BTreeMap<String, String>> {
    let mut rows = Vec::new();
    let fields = |prefix: &str, n: &Node, row: &mut BTreeMap<String, String>| {
        for (k, _, v) in n.entries() {
            if let Some(x) = v.as_str() {
                row.insert(format!("{prefix}{k}"), x.to_string());
            }
        }
    };
    for (key, _, values) in matrix.entries() {
        if key == "exclude" {
            continue;
        }
        for item in values.as_seq() {
            let mut row = BTreeMap::new();
            if key == "include" {
                fields("", item, &mut row);
            } else if let Some(x) = item.as_str() {
                row.insert(key.to_string(), x.to_string());
            } else {
                fields(&format!("{key}."), item, &mut row);
            }
            if !row.is_empty() {
                rows.push(row);
            }
        }
    }
    rows
}

fn parse_step(s: &Node) -> Step {
    // Inputs by name, and the step's environment as `env.NAME`: some actions are
    // configured through it (`CR_SIGN: true`, super-linter's `VALIDATE_GITLEAKS`).
    let scalars = |key: &str, prefix: &str| -> Vec<(String, String)> {
        s.get(key)
            .map(|w| {
                w.entries()
                    .filter_map(|(k, _, v)| {
                        v.as_str().map(|x| (format!("{prefix}{k}"), x.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let with: BTreeMap<String, String> = scalars("with", "")
        .into_iter()
        .chain(scalars("env", "env."))
        .collect();
    let run = s
        .get("run")
        .and_then(|r| r.as_str().map(|text| (text.to_string(), r.text_line())));
    Step {
        name: s.get("name").and_then(Node::as_str).map(str::to_string),
        path: None,
        line: s.line,
        uses: s
            .get("uses")
            .and_then(Node::as_str)
            .map(|u| u.trim().to_string()),
        with,
        run,
        image: None,
        condition: s.get("if").and_then(Node::as_str).map(str::to_string),
        tools: Vec::new(),
        manual_gate: false,
        described: None,
    }
}

fn secret_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"secrets\.([A-Za-z0-9_]+)|github\.token").expect("static regex"))
}

/// Classifies the credentials a job uses: OIDC and workload identity, the job token,
/// bot and app tokens, personal tokens and static cloud keys.
fn collect_credentials(job: &Node, steps: &[Step], out: &mut BTreeSet<String>) {
    let mut texts = Vec::new();
    collect_strings(job, &mut texts, 0);
    for t in &texts {
        for c in secret_re().captures_iter(t) {
            let name = c.get(1).map(|m| m.as_str().to_ascii_uppercase());
            let kind = match name.as_deref() {
                None | Some("GITHUB_TOKEN") => "job-token",
                Some(n) if n.contains("BOT") || n.contains("APP_") || n.ends_with("_APP_TOKEN") => {
                    "bot-token"
                }
                Some(n)
                    if n.contains("PAT")
                        || n.contains("PERSONAL")
                        || n.ends_with("_USER_TOKEN") =>
                {
                    "personal-token"
                }
                Some(n)
                    if n.contains("AWS_SECRET_ACCESS_KEY")
                        || n.contains("AWS_ACCESS_KEY")
                        || n.contains("GCP_SA_KEY")
                        || n.contains("SERVICE_ACCOUNT_KEY")
                        || n.contains("AZURE_CREDENTIALS") =>
                {
                    "static-cloud-key"
                }
                Some(_) => "secret",
            };
            out.insert(kind.to_string());
        }
    }
    for s in steps {
        let Some(u) = s.uses.as_deref() else { continue };
        let u = u.to_ascii_lowercase();
        if u.starts_with("aws-actions/configure-aws-credentials")
            && s.with.contains_key("role-to-assume")
        {
            out.insert("workload-identity".into());
        }
        if u.starts_with("google-github-actions/auth")
            && s.with.contains_key("workload_identity_provider")
        {
            out.insert("workload-identity".into());
        }
        if u.starts_with("azure/login")
            && s.with.contains_key("client-id")
            && !s.with.contains_key("creds")
        {
            out.insert("workload-identity".into());
        }
        if u.starts_with("actions/create-github-app-token")
            || u.starts_with("tibdex/github-app-token")
        {
            out.insert("bot-token".into());
        }
    }
}

fn collect_strings(n: &Node, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &n.value {
        yaml::Value::Scalar(s, _) => {
            if s.contains("secrets.") || s.contains("github.token") {
                out.push(s.clone());
            }
        }
        yaml::Value::Seq(items) => items
            .iter()
            .for_each(|i| collect_strings(i, out, depth + 1)),
        yaml::Value::Map(es) => es
            .iter()
            .for_each(|(_, v)| collect_strings(v, out, depth + 1)),
        yaml::Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triggers(src: &str) -> Triggers {
        let doc = yaml::parse(src, yaml::Limits::default())
            .documents
            .remove(0);
        parse_triggers(doc.get("on").expect("on"))
    }

    #[test]
    fn trigger_forms() {
        let t = triggers("on: push");
        assert!(t.push && t.tag && t.default_branch());
        let t = triggers("on: [push, pull_request]");
        assert!(t.push && t.pull_request);
        let t = triggers("on:\n  push:\n    tags: ['v*']\n  workflow_dispatch:\n");
        assert!(!t.push && t.tag && t.manual);
        let t =
            triggers("on:\n  push:\n    branches: [main]\n  schedule:\n    - cron: '0 0 * * *'\n");
        assert!(t.push && !t.tag && t.schedule && t.default_branch());
        let t = triggers("on:\n  create:\n    tags: [v*]\n");
        assert!(t.tag && t.scm_event() && !t.push);
        let t = triggers("on:\n  workflow_dispatch:\n");
        assert!(!t.automatic() && t.manual);
    }

    #[test]
    fn permissions_forms() {
        let doc = yaml::parse(
            "p:\n  contents: read\n  id-token: write\n",
            yaml::Limits::default(),
        )
        .documents
        .remove(0);
        let p = parse_permissions(doc.get("p").expect("p"));
        assert!(p.id_token());
        assert_eq!(p.as_str(), "scoped");
    }
}
