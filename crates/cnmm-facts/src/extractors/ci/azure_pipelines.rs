//! Azure Pipelines: `azure-pipelines*.yml` and `.azure-pipelines/*.yml`, parsed into the
//! normalised pipeline model: `trigger`/`pr`/`schedules`, stages, jobs and deployment
//! jobs (whose `environment` holds approvals), `script`/`bash`/`pwsh` steps and
//! `task:` references, `condition:` on the source branch or build reason, and local
//! `template:` files followed. A remote `@repo` template cannot be read: it is recorded,
//! and becomes a step that uses `OWNER/REPO/PATH` with its parameters as inputs, so the
//! catalog can describe what a known one does (`microsoft/vscode-azuretools/...`).

use super::{Job, Permissions, Pipeline, PipelineKind, SharedRef, Step, Triggers};
use crate::extractors::{
    file_name, parent_dir, yaml_diagnostic, Ctx, Extractor, FileInput, Output,
};
use crate::yaml::{self, Node, Value};
use cnmm_model::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};

pub struct AzurePipelines;

const PROVIDER: &str = "azure-pipelines";

/// Templates nest at most this deep (Azure's own limit is 100 files, 20 levels).
const MAX_TEMPLATE_DEPTH: usize = 20;

/// `azure-pipelines*.yml` (and the singular `azure-pipeline.pr.yml`),
/// `.azure-pipelines.yml` and `.azure-pipelines/`: Azure Pipelines files by name.
fn canonical(path: &str) -> bool {
    // `.azure-pipelines.yml` too.
    file_name(path)
        .trim_start_matches('.')
        .starts_with("azure-pipeline")
        || parent_dir(path) == ".azure-pipelines"
}

/// Where projects keep Azure Pipelines under other names: `.azuredevops/`,
/// `.pipelines/` (OneBranch's), `.config/` (beside 1ES's `tsaoptions.json`) and
/// `pipelines/`, `eng/pipelines/` and `eng/ci/` (with their template
/// subdirectories), `build/pipelines/`, `.ci/`, `ci/azure/` and `.vsts-ci.yml`; files
/// there count only when they read like a pipeline.
fn conventional(path: &str) -> bool {
    const DIRS: &[&str] = &[
        ".azuredevops/",
        ".pipelines/",
        ".config/",
        "pipelines/",
        "eng/pipelines/",
        "eng/ci/",
        "build/pipelines/",
        ".vsts-ci/",
        ".ci/",
        "ci/azure/",
    ];
    const OTHER_PROVIDERS: &[&str] = &[
        ".github/",
        ".gitlab",
        ".circleci/",
        ".buildkite/",
        ".tekton/",
        ".woodpecker",
    ];
    let name = file_name(path).to_ascii_lowercase();
    // `build/azure-devdiv-pipeline.stable.yml`: a name that says what it is.
    let named = (name.contains("azure") || name.contains("pipeline"))
        && !OTHER_PROVIDERS.iter().any(|d| path.starts_with(d));
    // A directory named for Azure DevOps (`build/azure-pipelines/release.yml`), or the
    // top-level `jobs/` and `build/` where extension repositories keep their pipelines
    // (`jobs/release.yml`, `jobs/release/release.yml`).
    let dirs: Vec<&str> = path.split('/').collect();
    let azure_dir = dirs[..dirs.len().saturating_sub(1)].iter().any(|d| {
        matches!(
            d.to_ascii_lowercase().as_str(),
            "azure-pipelines" | "azure_pipelines" | "azure-devops" | "azdo" | "devops"
        )
    });
    let extension_dir =
        (path.starts_with("jobs/") || path.starts_with("build/")) && dirs.len() <= 3;
    name.starts_with(".vsts-ci")
        || named
        || DIRS.iter().any(|d| path.starts_with(d))
        || azure_dir
        || extension_dir
}

/// Top-level keys only Azure Pipelines files combine: a trigger, or work on a pool.
/// Read in one pass over the lines.
fn looks_like_pipeline(text: &str) -> bool {
    // Azure lists its stages, jobs and steps as `- stage:`, `- job:`, `- task:`...;
    // a GitLab file's `stages:` lists names and its jobs are keys.
    const AZURE_ITEMS: &[&str] = &[
        "- stage:",
        "- job:",
        "- deployment:",
        "- task:",
        "- template:",
        "- script:",
        "- bash:",
        "- pwsh:",
    ];
    let mut top: BTreeSet<&str> = BTreeSet::new();
    let mut azure_items = false;
    for l in text.lines() {
        if let Some((key, _)) = l.split_once(':') {
            if !key.is_empty() && !key.starts_with([' ', '\t', '-', '#']) {
                top.insert(key.trim_end());
            }
        }
        let t = l.trim_start();
        azure_items |= AZURE_ITEMS.iter().any(|k| t.starts_with(k));
    }
    let has = |k: &str| top.contains(k);
    let work = has("stages") || has("jobs") || has("steps");
    has("trigger")
        || has("pr")
        || has("schedules")
        || has("extends")
        || (work && azure_items && (has("pool") || has("variables")))
}

impl Extractor for AzurePipelines {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
        yaml && (canonical(path) || conventional(path))
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        // Azure DevOps takes a pipeline from any path it is pointed at; outside the
        // canonical names a file must read like one (a trigger, or stages or jobs on a
        // pool, or an `extends:` template).
        if !canonical(path) && !looks_like_pipeline(input.text) {
            return;
        }
        let Some(doc) = parse(path, input.text, out) else {
            return;
        };
        let is_template = ["trigger", "pr", "schedules", "resources", "name", "pool"]
            .iter()
            .all(|k| doc.get(k).is_none())
            && doc.get("parameters").is_some();
        if is_template {
            // Read where it is used.
            return;
        }
        let mut r = Reader {
            ctx,
            shared: Vec::new(),
            jobs: Vec::new(),
            stage_index: 0,
            repos: repository_aliases(&doc),
            off_switches: off_switches(&doc),
        };
        let triggers = pipeline_triggers(&doc);
        let triggers_line = ["trigger", "pr", "schedules"]
            .iter()
            .find_map(|k| doc.entry(k).map(|(k, _)| k.line))
            .unwrap_or(1);
        if let Some((k, e)) = doc.entry("extends") {
            if let Some(t) = e.get("template").and_then(Node::as_str) {
                if r.template_ref(path, t, k.line).is_none() {
                    if let Some(step) = r.remote_template_step(t, e.get("parameters"), k.line) {
                        r.remote_template_job(path, step, &triggers, None);
                    }
                }
            }
            // What the pipeline hands the template to run (1ES templates take its
            // `stages`, extension templates `buildSteps`/`testSteps`): the template may
            // run more, but these are the pipeline's own stages, jobs and steps.
            // A list of packages (`npmPackages: [{buildSteps, testSteps}]`) holds each
            // package's steps one level down.
            let params = e.get("parameters");
            let top = params.map(Node::entries).into_iter().flatten();
            // Not the items of `stages` or `jobs` themselves: those are read as stages
            // and jobs, with their conditions.
            let nested = params
                .map(Node::entries)
                .into_iter()
                .flatten()
                .filter(|(k, _, _)| {
                    !matches!(k.to_ascii_lowercase().as_str(), "stages" | "jobs" | "steps")
                })
                .flat_map(|(_, _, v)| v.as_seq())
                .flat_map(|item| item.entries().map(|e| (true, e)));
            for (in_item, (key, kn, value)) in top.map(|e| (false, e)).chain(nested) {
                let lower = key.to_ascii_lowercase();
                let holds = match lower.as_str() {
                    "stages" | "jobs" | "steps" if !in_item => lower.clone(),
                    _ if lower.ends_with("steps") && value.is_seq() => "steps".to_string(),
                    _ => continue,
                };
                let holder = Node {
                    line: kn.line,
                    value: Value::Map(vec![(
                        Node {
                            line: kn.line,
                            value: Value::Scalar(holds, yaml::Style::Plain),
                        },
                        value.clone(),
                    )]),
                };
                r.container(path, &holder, &triggers, None, 0, out);
            }
        }
        r.container(path, &doc, &triggers, None, 0, out);
        if let Some(line) = codeql_enabled(&doc) {
            if let Some(codeql) = ctx.tools.use_of("codeql", "Codeql.Enabled: true") {
                r.jobs.push(Job {
                    id: "(CodeQL auto-injection)".into(),
                    name: "(CodeQL auto-injection)".into(),
                    path: Some(path.to_string()),
                    line,
                    triggers: Some(triggers.clone()),
                    steps: vec![Step {
                        line,
                        tools: vec![codeql],
                        described: Some(
                            "the pipeline variable `Codeql.Enabled: true` has Azure DevOps \
                             inject CodeQL analysis into the pipeline's jobs; the analysis \
                             itself is not in the repository"
                                .into(),
                        ),
                        ..Default::default()
                    }],
                    ..Default::default()
                });
            }
        }
        let mut p = Pipeline {
            provider: PROVIDER,
            path: path.to_string(),
            name: doc
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or(path)
                .to_string(),
            kind: PipelineKind::Pipeline,
            triggers,
            triggers_line,
            triggers_judgement: None,
            permissions: Permissions::Undeclared,
            jobs: r.jobs,
            shared: r.shared,
            excluded: None,
        };
        p.excluded = input.file.excluded.as_deref().map(String::from);
        out.pipelines.push(p);
    }
}

/// The items of a stages, jobs or steps list, with the items of template expressions
/// (`- ${{ each runtime in ... }}:`, `- ${{ if ... }}:`) taken in: each is one of the
/// lists the expression may insert.
fn inserted(list: Option<&Node>) -> Vec<&Node> {
    fn walk<'n>(items: &'n [Node], depth: usize, out: &mut Vec<&'n Node>) {
        for item in items {
            match item.as_map() {
                [(k, v)]
                    if depth < 8
                        && k.as_str()
                            .is_some_and(|k| k.trim_start().starts_with("${{")) =>
                {
                    walk(v.as_seq(), depth + 1, out);
                }
                _ => out.push(item),
            }
        }
    }
    let mut out = Vec::new();
    walk(list.map(Node::as_seq).unwrap_or(&[]), 0, &mut out);
    out
}

fn parse(path: &str, text: &str, out: &mut Output) -> Option<Node> {
    let parsed = yaml::parse(text, yaml::Limits::default());
    if let Some(err) = &parsed.error {
        out.diagnostics.push(yaml_diagnostic(path, err));
    }
    let doc = parsed.documents.into_iter().next()?;
    if !doc.is_map() {
        if !doc.is_null() {
            out.diagnostics.push(Diagnostic::error(
                path,
                Some(doc.line.max(1)),
                "an Azure Pipelines file must be a YAML mapping; the file was skipped",
            ));
        }
        return None;
    }
    Some(doc)
}

/// `trigger` absent means every branch; `none` means no CI trigger. `pr` likewise.
fn pipeline_triggers(doc: &Node) -> Triggers {
    let mut t = Triggers::default();
    match doc.get("trigger") {
        None => t.push = true,
        Some(n) if n.as_str() == Some("none") => {}
        Some(n) if n.is_map() => {
            if let Some(b) = n.get("branches") {
                t.push = true;
                t.push_branches = b.get("include").map(Node::str_list).unwrap_or_default();
                t.push_branches_ignore = b.get("exclude").map(Node::str_list).unwrap_or_default();
            }
            if n.path(&["tags", "include"]).is_some() {
                t.tag = true;
            }
            if n.get("branches").is_none() && n.get("tags").is_none() {
                t.push = true;
            }
        }
        Some(n) => {
            t.push = true;
            t.push_branches = n.str_list();
        }
    }
    // Without `pr:`, pull request validation is on by default; but a pipeline whose
    // author turned CI off (`trigger: none`) and said nothing of pull requests is one
    // that is run by hand (release pipelines), as readers take it.
    let ci_off = matches!(doc.get("trigger").and_then(Node::as_str), Some("none"));
    t.pull_request = match doc.get("pr") {
        None => !ci_off,
        Some(p) => !matches!(p.as_str(), Some("none")),
    };
    t.schedule = doc.get("schedules").is_some_and(|s| !s.as_seq().is_empty());
    t
}

/// Narrows by a `condition:` on the source branch or the build reason.
fn narrow(t: &Triggers, condition: &str) -> Triggers {
    let c: String = condition
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace('"', "'")
        .to_ascii_lowercase();
    if c.contains("or(") {
        return t.clone();
    }
    let mut n = t.clone();
    for var in [
        "variables['build.sourcebranch']",
        "variables.build.sourcebranch",
    ] {
        if let Some(i) = c.find(&format!("eq({var},'refs/heads/")) {
            let rest = &c[i + format!("eq({var},'refs/heads/").len()..];
            if let Some(end) = rest.find('\'') {
                let branch = condition_case(condition, &rest[..end]);
                n = Triggers {
                    push: t.push,
                    push_branches: vec![branch],
                    schedule: t.schedule,
                    manual: t.manual,
                    ..Default::default()
                };
            }
        }
        if c.contains(&format!("startswith({var},'refs/tags/")) {
            n = Triggers {
                tag: true,
                ..Default::default()
            };
        }
    }
    for (reason, set) in [
        ("pullrequest", 0),
        ("schedule", 1),
        ("manual", 2),
        ("individualci", 3),
        ("batchedci", 3),
    ] {
        let var = "variables['build.reason']";
        if c.contains(&format!("eq({var},'{reason}')")) {
            let keep = n.clone();
            n = Triggers::default();
            match set {
                0 => n.pull_request = keep.pull_request,
                1 => n.schedule = keep.schedule,
                2 => n.manual = true,
                _ => {
                    n.push = keep.push;
                    n.push_branches = keep.push_branches;
                    n.tag = keep.tag;
                }
            }
        }
        if c.contains(&format!("ne({var},'{reason}')")) {
            match set {
                0 => n.pull_request = false,
                1 => n.schedule = false,
                2 => n.manual = false,
                _ => {}
            }
        }
    }
    n
}

/// The branch name as written (conditions were lower-cased to be matched).
fn condition_case(original: &str, lower: &str) -> String {
    let o: String = original.chars().filter(|c| !c.is_whitespace()).collect();
    o.to_ascii_lowercase()
        .find(lower)
        .map(|i| o[i..i + lower.len()].to_string())
        .unwrap_or_else(|| lower.to_string())
}

struct Reader<'a, 'c> {
    ctx: &'a Ctx<'c>,
    shared: Vec<SharedRef>,
    jobs: Vec<Job>,
    stage_index: usize,
    /// `resources.repositories`: alias → repository name (`templates` →
    /// `microsoft/vscode-engineering`).
    repos: BTreeMap<String, String>,
    /// Boolean run parameters that are off unless the person queueing the run turns
    /// them on (`default: false`), lower case.
    off_switches: BTreeSet<String>,
}

/// The pipeline's boolean `parameters:` whose default is false.
fn off_switches(doc: &Node) -> BTreeSet<String> {
    doc.get("parameters")
        .map(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|p| p.get("type").and_then(Node::as_str) == Some("boolean"))
        .filter(|p| p.get("default").is_none_or(|d| !d.is_true()))
        .filter_map(|p| p.get("name").and_then(Node::as_str))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Work that runs only when a person queueing the run turns one of `off` on: a condition
/// or input that tests such a switch (`${{ eq(parameters.Release, true) }}`,
/// `${{ parameters.publishExtension }}`), not its negation.
fn switched_on(off: &BTreeSet<String>, text: &str) -> bool {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let negated = ["not(", "ne("].iter().any(|f| {
        t.match_indices(f).any(|(i, _)| {
            !t[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    });
    if negated || t.contains("false") {
        return false;
    }
    off.iter().any(|name| {
        let dotted = format!("parameters.{name}");
        t.match_indices(&dotted).any(|(i, _)| {
            // `parameters.release` must not match `parameters.releaseNotes`.
            !t[i + dotted.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

/// Triggers narrowed to hand-queued runs.
fn manual_only() -> Triggers {
    Triggers {
        manual: true,
        ..Default::default()
    }
}

/// The repositories a pipeline declares, by alias.
fn repository_aliases(doc: &Node) -> BTreeMap<String, String> {
    let list = doc
        .get("resources")
        .and_then(|r| r.get("repositories"))
        .map(Node::as_seq)
        .unwrap_or_default();
    list.iter()
        .filter_map(|r| {
            let alias = r.get("repository").and_then(Node::as_str)?;
            let name = r.get("name").and_then(Node::as_str).unwrap_or(alias);
            Some((alias.to_string(), name.to_ascii_lowercase()))
        })
        .collect()
}

/// The line of a pipeline variable `Codeql.Enabled` set to true (`variables:` as a map
/// or as a list of `name`/`value` items). Microsoft's 1ES and OneBranch templates, and
/// Azure DevOps' CodeQL auto-injection, run CodeQL analysis when it is set.
fn codeql_enabled(doc: &Node) -> Option<u32> {
    const NAME: &str = "codeql.enabled";
    let vars = doc.get("variables")?;
    if let Some((_, k, v)) = vars
        .entries()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(NAME))
    {
        return v.is_true().then_some(k.line);
    }
    vars.as_seq().iter().find_map(|item| {
        let named = item
            .get("name")
            .and_then(Node::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(NAME));
        (named && item.get("value").is_some_and(Node::is_true)).then_some(item.line)
    })
}

/// A template parameter as a step input: scalars as written, `${{ }}` expressions
/// included (a run-time choice); lists and maps are not inputs.
/// Templates that build several packages take a list of them (`npmPackages: [{name,
/// publishPackage}]`): the scalars of those items are inputs too, the first one
/// winning.
fn scalar_inputs(params: Option<&Node>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(p) = params else {
        return out;
    };
    // The template's own parameters first, then those of the items of its list
    // parameters (`npmPackages: [{publishPackage: true}]`).
    collect_scalar_inputs(p, &mut out, 0);
    for item in p.entries().flat_map(|(_, _, v)| v.as_seq()) {
        collect_scalar_inputs(item, &mut out, 0);
    }
    out
}

/// The scalar entries of a map, through conditional insertions (`${{ if ... }}:`,
/// `${{ else }}:`): a parameter set in several branches keeps a value that is not
/// false, since the template does that work on the runs that take that branch.
fn collect_scalar_inputs(n: &Node, out: &mut BTreeMap<String, String>, depth: usize) {
    if depth > 8 {
        return;
    }
    for (k, _, v) in n.entries() {
        if k.starts_with("${{") {
            collect_scalar_inputs(v, out, depth + 1);
        } else if let Some(x) = v.as_str() {
            let kept = out.entry(k.to_string()).or_insert_with(|| x.to_string());
            if kept.eq_ignore_ascii_case("false") {
                *kept = x.to_string();
            }
        }
    }
}

impl Reader<'_, '_> {
    /// Records a template reference; returns the local template's document when it can
    /// be read.
    fn template_ref(&mut self, from: &str, reference: &str, line: u32) -> Option<String> {
        // `x.yml@self` is this repository's own file.
        let reference = reference.strip_suffix("@self").unwrap_or(reference);
        let remote = reference.contains('@');
        // A template of another repository (`x.yml@templates`) cannot be read.
        self.shared.push(SharedRef {
            kind: "template",
            reference: reference.to_string(),
            line,
            local: !remote,
            unreadable: remote,
        });
        if remote || reference.contains("${{") {
            return None;
        }
        let target = if let Some(abs) = reference.strip_prefix('/') {
            abs.to_string()
        } else {
            let dir = parent_dir(from);
            if dir.is_empty() {
                reference.to_string()
            } else {
                format!("{dir}/{reference}")
            }
        };
        Some(normalise(&target))
    }

    /// `narrow`, and a condition on a run parameter that is off by default means the work
    /// runs only when someone queues it with the switch on.
    fn narrow(&self, within: &Triggers, condition: &str) -> Triggers {
        if switched_on(&self.off_switches, condition) {
            manual_only()
        } else {
            narrow(within, condition)
        }
    }

    /// A remote template (`path.yml@alias`) as a step using `REPOSITORY/path.yml`, its
    /// parameters as inputs: the catalog knows some by that name.
    fn remote_template_step(
        &self,
        reference: &str,
        params: Option<&Node>,
        line: u32,
    ) -> Option<Step> {
        let (file, alias) = reference.rsplit_once('@')?;
        if alias == "self" || file.contains("${{") {
            return None;
        }
        let repo = self
            .repos
            .get(alias)
            .cloned()
            .unwrap_or_else(|| alias.to_ascii_lowercase());
        Some(Step {
            name: Some(format!("template {reference}")),
            line,
            uses: Some(format!("{repo}/{}", file.trim_start_matches('/'))),
            with: scalar_inputs(params),
            ..Default::default()
        })
    }

    /// A remote stage, job or `extends:` template as a job of its own that runs it.
    fn remote_template_job(
        &mut self,
        path: &str,
        step: Step,
        within: &Triggers,
        stage: Option<(String, usize)>,
    ) {
        let file = step
            .uses
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .unwrap_or("template")
            .to_string();
        let id = match &stage {
            Some((s, _)) => format!("{s}/{file}"),
            None => file,
        };
        // A template told to publish (`publishExtension: ${{ parameters.publish }}`) by a
        // switch that is off by default publishes on hand-queued runs only.
        let switched = step.with.iter().any(|(k, v)| {
            let k = k.to_ascii_lowercase();
            ["publish", "release", "deploy"]
                .iter()
                .any(|p| k.starts_with(p))
                && switched_on(&self.off_switches, v)
        });
        self.jobs.push(Job {
            id: id.clone(),
            name: id,
            path: Some(path.to_string()),
            line: step.line,
            triggers: Some(if switched {
                manual_only()
            } else {
                within.clone()
            }),
            stage,
            steps: vec![step],
            ..Default::default()
        });
    }

    fn read_template(
        &mut self,
        target: &str,
        from: &str,
        line: u32,
        out: &mut Output,
    ) -> Option<Node> {
        let Some(file) = self.ctx.file(target) else {
            out.diagnostics.push(Diagnostic::warning(
                from,
                Some(line),
                format!("template `{target}` does not exist in the repository"),
            ));
            return None;
        };
        match self.ctx.read_text(file) {
            Ok(text) => parse(target, &text, out),
            Err(e) => {
                out.diagnostics.push(Diagnostic::warning(
                    from,
                    Some(line),
                    format!("template `{target}` not read: {e}"),
                ));
                None
            }
        }
    }

    /// A node holding `stages`, `jobs` or `steps` (the pipeline or a template).
    fn container(
        &mut self,
        path: &str,
        n: &Node,
        within: &Triggers,
        stage: Option<(String, usize)>,
        depth: usize,
        out: &mut Output,
    ) {
        if depth > MAX_TEMPLATE_DEPTH {
            out.diagnostics.push(Diagnostic::error(
                path,
                Some(n.line.max(1)),
                format!("templates nested deeper than {MAX_TEMPLATE_DEPTH}; not followed"),
            ));
            return;
        }
        for s in inserted(n.get("stages")) {
            if let Some(t) = s.get("template").and_then(Node::as_str) {
                if let Some(target) = self.template_ref(path, t, s.line) {
                    if let Some(doc) = self.read_template(&target, path, s.line, out) {
                        self.container(&target, &doc, within, None, depth + 1, out);
                    }
                } else if let Some(step) = self.remote_template_step(t, s.get("parameters"), s.line)
                {
                    self.remote_template_job(path, step, within, None);
                }
                continue;
            }
            let name = s
                .get("stage")
                .and_then(Node::as_str)
                .unwrap_or("stage")
                .to_string();
            let t = match s.get("condition").and_then(Node::as_str) {
                Some(c) => self.narrow(within, c),
                None => within.clone(),
            };
            let idx = self.stage_index;
            self.stage_index += 1;
            self.container(path, s, &t, Some((name, idx)), depth, out);
        }
        for j in inserted(n.get("jobs")) {
            if let Some(t) = j.get("template").and_then(Node::as_str) {
                if let Some(target) = self.template_ref(path, t, j.line) {
                    if let Some(doc) = self.read_template(&target, path, j.line, out) {
                        self.container(&target, &doc, within, stage.clone(), depth + 1, out);
                    }
                } else if let Some(step) = self.remote_template_step(t, j.get("parameters"), j.line)
                {
                    self.remote_template_job(path, step, within, stage.clone());
                }
                continue;
            }
            self.job(path, j, within, stage.clone(), depth, out);
        }
        if n.get("steps").is_some() && n.get("job").is_none() && n.get("deployment").is_none() {
            // A pipeline of steps only is one implicit job.
            let mut job = Job {
                id: "(steps)".into(),
                name: "(steps)".into(),
                path: Some(path.to_string()),
                line: n.entry("steps").map_or(1, |(k, _)| k.line),
                triggers: Some(within.clone()),
                stage: stage.clone(),
                ..Default::default()
            };
            let mut steps = Vec::new();
            self.steps(
                path,
                n.get("steps").unwrap_or(Node::empty()),
                &mut steps,
                depth,
                out,
            );
            job.steps = steps;
            self.jobs.push(job);
        }
    }

    fn job(
        &mut self,
        path: &str,
        j: &Node,
        within: &Triggers,
        stage: Option<(String, usize)>,
        depth: usize,
        out: &mut Output,
    ) {
        let (id, deployment) = match (j.get("job"), j.get("deployment")) {
            (Some(n), _) => (n.as_str().unwrap_or("job").to_string(), false),
            (None, Some(n)) => (n.as_str().unwrap_or("deployment").to_string(), true),
            _ => return,
        };
        let triggers = match j.get("condition").and_then(Node::as_str) {
            Some(c) => self.narrow(within, c),
            None => within.clone(),
        };
        let environment = j.get("environment").and_then(|e| {
            e.as_str()
                .or_else(|| e.get("name").and_then(Node::as_str))
                .map(str::to_string)
        });
        let id = match &stage {
            Some((s, _)) => format!("{s}/{id}"),
            None => id,
        };
        let mut job = Job {
            id: id.clone(),
            name: id,
            path: Some(path.to_string()),
            line: j.line,
            triggers: Some(triggers),
            needs: j.get("dependsOn").map(Node::str_list).unwrap_or_default(),
            stage,
            environment,
            image: j.get("container").and_then(|c| {
                c.as_str()
                    .or_else(|| c.get("image").and_then(Node::as_str))
                    .map(str::to_string)
            }),
            ..Default::default()
        };
        let mut steps = Vec::new();
        if deployment {
            // strategy: runOnce|rolling|canary: deploy: steps
            if let Some(strategy) = j.get("strategy") {
                for (_, _, kind) in strategy.entries() {
                    for (_, _, phase) in kind.entries() {
                        if let Some(s) = phase.get("steps") {
                            self.steps(path, s, &mut steps, depth, out);
                        }
                    }
                }
            }
        }
        if let Some(s) = j.get("steps") {
            self.steps(path, s, &mut steps, depth, out);
        }
        job.steps = steps;
        self.jobs.push(job);
    }

    fn steps(
        &mut self,
        path: &str,
        list: &Node,
        out_steps: &mut Vec<Step>,
        depth: usize,
        out: &mut Output,
    ) {
        for s in inserted(Some(list)) {
            if let Some(t) = s.get("template").and_then(Node::as_str) {
                if depth >= MAX_TEMPLATE_DEPTH {
                    continue;
                }
                if let Some(target) = self.template_ref(path, t, s.line) {
                    if let Some(doc) = self.read_template(&target, path, s.line, out) {
                        let inner = doc.get("steps").unwrap_or(Node::empty()).clone();
                        let before = out_steps.len();
                        self.steps(&target, &inner, out_steps, depth + 1, out);
                        for st in &mut out_steps[before..] {
                            if st.path.is_none() {
                                st.path = Some(target.clone());
                            }
                        }
                    }
                } else if let Some(step) = self.remote_template_step(t, s.get("parameters"), s.line)
                {
                    out_steps.push(step);
                }
                continue;
            }
            let condition = s
                .get("condition")
                .and_then(Node::as_str)
                .map(str::to_string);
            for key in ["script", "bash", "pwsh", "powershell"] {
                if let Some(v) = s.get(key) {
                    if let Some(text) = v.as_str() {
                        out_steps.push(Step {
                            name: s
                                .get("displayName")
                                .and_then(Node::as_str)
                                .map(str::to_string),
                            line: s.line,
                            run: Some((text.to_string(), v.text_line())),
                            condition: condition.clone(),
                            ..Default::default()
                        });
                    }
                }
            }
            if let Some(task) = s.get("task").and_then(Node::as_str) {
                // `ManualValidation@0` pauses the run until a person resumes it.
                let waits = task
                    .split('@')
                    .next()
                    .is_some_and(|t| t.eq_ignore_ascii_case("ManualValidation"));
                let with = s
                    .get("inputs")
                    .map(|i| {
                        i.entries()
                            .filter_map(|(k, _, v)| {
                                v.as_str().map(|x| (k.to_string(), x.to_string()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // The inline script of a script-running task (`Bash@3`, `PowerShell@2`,
                // `CmdLine@2` `script:`; `AzureCLI@2` `inlineScript:`; `AzurePowerShell@5`
                // `Inline:`) is commands like a `script:` step's.
                let run = s.get("inputs").and_then(|i| {
                    ["script", "inlineScript", "Inline"].iter().find_map(|k| {
                        let v = i.get(k)?;
                        v.as_str().map(|t| (t.to_string(), v.text_line()))
                    })
                });
                out_steps.push(Step {
                    name: s
                        .get("displayName")
                        .and_then(Node::as_str)
                        .map(str::to_string),
                    line: s.line,
                    uses: Some(task.to_string()),
                    with,
                    run,
                    condition: condition.clone(),
                    manual_gate: waits,
                    ..Default::default()
                });
            }
        }
    }
}

/// `a/b/../c.yml` → `a/c.yml`.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_switches_off_by_default_make_work_manual() {
        let off: BTreeSet<String> = ["release".to_string()].into_iter().collect();
        assert!(switched_on(
            &off,
            "and(succeeded(), ${{ eq(parameters.Release, true) }})"
        ));
        assert!(switched_on(&off, "${{ parameters.release }}"));
        // Negations, other parameters and longer names do not.
        assert!(!switched_on(&off, "${{ not(parameters.Release) }}"));
        assert!(!switched_on(&off, "${{ eq(parameters.Release, false) }}"));
        assert!(!switched_on(&off, "${{ parameters.ReleaseNotes }}"));
        assert!(!switched_on(&off, "${{ parameters.debug }}"));
        // `ne(` inside a longer word is not a negation.
        assert!(switched_on(
            &off,
            "and(pipeline(), eq(parameters.Release, true))"
        ));
    }

    #[test]
    fn conditions_narrow() {
        let t = Triggers {
            push: true,
            pull_request: true,
            tag: true,
            ..Default::default()
        };
        let n = narrow(
            &t,
            "and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))",
        );
        assert!(n.push && n.default_branch() && !n.pull_request && !n.tag);
        let n = narrow(
            &t,
            "startsWith(variables['Build.SourceBranch'], 'refs/tags/')",
        );
        assert!(n.tag && !n.push);
        let n = narrow(&t, "ne(variables['Build.Reason'], 'PullRequest')");
        assert!(n.push && !n.pull_request);
        assert_eq!(
            normalise("ci/templates/../steps/build.yml"),
            "ci/steps/build.yml"
        );
    }
}
