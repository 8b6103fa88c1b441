//! CircleCI: `.circleci/config.yml`, parsed into the normalised pipeline model.
//!
//! A workflow's job entries are the jobs that run: each takes its steps from `jobs:`
//! (local) or from an orb (`orb/job`, recorded as a step reference). Workflow `filters`
//! and `triggers: schedule` give the triggers; a job that `requires` an approval job
//! waits for a person. Orb commands in steps are step references (`orb/command`, with
//! the orb's registry name) matched against the catalog. Orbs of the repository's own
//! organisation and inline orbs are shared components (`orb`); other orbs are
//! marketplace components (`marketplace-orb`).

use super::{Job, Permissions, Pipeline, PipelineKind, SharedRef, Step, Triggers};
use crate::extractors::{yaml_mapping, Ctx, Extractor, FileInput, Output};
use crate::tools::ToolMatch;
use crate::yaml::{Node, Value};
use cnmm_model::Diagnostic;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct CircleCi;

const PROVIDER: &str = "circleci";

/// Steps built into CircleCI, never orb or command references.
const BUILTIN_STEPS: &[&str] = &[
    "checkout",
    "setup_remote_docker",
    "save_cache",
    "restore_cache",
    "store_artifacts",
    "store_test_results",
    "persist_to_workspace",
    "attach_workspace",
    "add_ssh_keys",
    "when",
    "unless",
    "deploy",
];

/// The catalog's tool for a job that runs the orb the repository develops.
const ORB_INTEGRATION_TEST: &str = "orb-integration-test";

/// Local `commands:` expand into the steps that use them, this deep at most.
const MAX_COMMAND_DEPTH: usize = 4;

impl Extractor for CircleCi {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        // Besides `config.yml`, the continuation configs of dynamic configuration
        // (`setup: true`, then `continuation/continue` with `.circleci/test-deploy.yml`)
        // live in `.circleci/`.
        path.strip_prefix(".circleci/")
            .is_some_and(|n| !n.contains('/') && (n.ends_with(".yml") || n.ends_with(".yaml")))
            || ORB_ROOTS.contains(&path)
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        if ORB_ROOTS.contains(&path) {
            out.pipelines.push(orb_library(path, ctx));
            return;
        }
        let main = path == ".circleci/config.yml" || path == ".circleci/config.yaml";
        // Other files of `.circleci/` are pipelines only when they have workflows.
        if !main && !input.text.lines().any(|l| l.starts_with("workflows:")) {
            return;
        }
        let Some(doc) = yaml_mapping(input, "a CircleCI configuration", out) else {
            return;
        };
        let mut p = config(path, doc, ctx, out);
        p.excluded = input.file.excluded.as_deref().map(String::from);
        out.pipelines.push(p);
    }
}

/// The root of an orb's source in the layout the orb tools pack (`src/@orb.yml`).
const ORB_ROOTS: &[&str] = &["src/@orb.yml", "src/@orb.yaml"];

/// The orb a repository develops, as a library of reusable CI components: each command,
/// job and executor under `src/` that the orb tools pack into it.
fn orb_library(path: &str, ctx: &Ctx) -> Pipeline {
    let mut shared = Vec::new();
    for dir in ["src/commands/", "src/jobs/", "src/executors/"] {
        for f in ctx.files_with_prefix(dir) {
            let rest = &f.path[dir.len()..];
            if !rest.contains('/') && (rest.ends_with(".yml") || rest.ends_with(".yaml")) {
                shared.push(SharedRef {
                    kind: "orb-component",
                    reference: f.path.to_string(),
                    line: 1,
                    local: true,
                    unreadable: false,
                });
            }
        }
    }
    Pipeline {
        provider: PROVIDER,
        path: path.to_string(),
        name: path.to_string(),
        kind: PipelineKind::StepLibrary,
        triggers: Triggers::default(),
        triggers_line: 1,
        triggers_judgement: None,
        permissions: Permissions::Undeclared,
        jobs: Vec::new(),
        shared,
        excluded: None,
    }
}

fn config(path: &str, doc: &Node, ctx: &Ctx, out: &mut Output) -> Pipeline {
    let owner = ctx.repo_owner.as_deref();
    // Orb aliases → registry names without version (`circleci/docker`), and versions.
    let mut orbs: HashMap<String, (String, Option<String>)> = HashMap::new();
    let mut developed: BTreeSet<String> = BTreeSet::new();
    let develops_orb = ORB_ROOTS.iter().any(|p| ctx.file(p).is_some());
    let mut shared = Vec::new();
    for (alias, key, v) in doc.get("orbs").unwrap_or(Node::empty()).entries() {
        match v.as_str() {
            Some(r) => {
                let (name, ver) = match r.split_once('@') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (r.to_string(), None),
                };
                // An orb of the repository's own organisation is a shared component of
                // theirs; another namespace's orb is a marketplace component, like a
                // third-party action.
                let namespace_owners = &ctx.tools.catalog().orb_namespace_owners;
                let own = owner.is_some_and(|o| {
                    name.split('/').next().is_some_and(|ns| {
                        ns.eq_ignore_ascii_case(o)
                            || namespace_owners
                                .get(&ns.to_ascii_lowercase())
                                .is_some_and(|orgs| orgs.iter().any(|g| g.eq_ignore_ascii_case(o)))
                    })
                });
                // `circleci/gcp-cli@dev:<<pipeline.git.revision>>` in an orb's own
                // repository: the dev version its pipeline has just published of the
                // orb it develops, tested like an inline one.
                if develops_orb && ver.as_deref().is_some_and(|v| v.starts_with("dev:")) {
                    developed.insert(alias.to_string());
                }
                orbs.insert(alias.to_string(), (name, ver));
                shared.push(SharedRef {
                    kind: if own { "orb" } else { "marketplace-orb" },
                    reference: r.to_string(),
                    line: key.line,
                    local: false,
                    unreadable: false,
                });
            }
            None => {
                if develops_orb && (v.is_null() || v.as_map().is_empty()) {
                    developed.insert(alias.to_string());
                }
                shared.push(SharedRef {
                    kind: "orb",
                    reference: format!("inline:{alias}"),
                    line: key.line,
                    local: true,
                    unreadable: false,
                });
            }
        }
    }
    let empty = Node::null(0);
    let params = doc.get("parameters").unwrap_or(&empty);
    let job_defs = doc.get("jobs").unwrap_or(&empty);
    let commands = doc.get("commands").unwrap_or(&empty);
    let defs = Defs {
        orbs: &orbs,
        developed: &developed,
        orb_test: ctx.tools.use_of(ORB_INTEGRATION_TEST, ""),
        commands,
    };

    let mut jobs = Vec::new();
    let mut triggers_all = Triggers::default();
    let mut triggers_line = 1;
    let workflows = doc.get("workflows");
    for (wname, wkey, wf) in workflows.unwrap_or(Node::empty()).entries() {
        if !wf.is_map() {
            continue;
        }
        if triggers_line == 1 {
            triggers_line = wkey.line;
        }
        let scheduled = wf
            .get("triggers")
            .map(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .any(|t| t.get("schedule").is_some());
        let mut approvals: BTreeSet<String> = BTreeSet::new();
        let mut entries: Vec<(String, String, u32, &Node)> = Vec::new();
        for e in wf.get("jobs").map(Node::as_seq).unwrap_or(&[]) {
            let (job_ref, cfg) = match &e.value {
                Value::Scalar(s, _) => (s.clone(), Node::empty()),
                Value::Map(m) if m.len() == 1 => match m[0].0.as_str() {
                    Some(k) => (k.to_string(), &m[0].1),
                    None => continue,
                },
                _ => continue,
            };
            let id = cfg
                .get("name")
                .and_then(Node::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| job_ref.clone());
            if cfg.get("type").and_then(Node::as_str) == Some("approval") {
                approvals.insert(id.clone());
            }
            entries.push((id, job_ref, e.line, cfg));
        }
        // A workflow whose `when:` (or `unless:`) is false with the pipeline parameters at
        // their defaults runs only when someone sets them: an API call, or a scheduled
        // pipeline kept in the project's settings.
        let off_by_default = wf
            .get("when")
            .map(|w| condition(w, params) == Some(false))
            .or_else(|| wf.get("unless").map(|w| condition(w, params) == Some(true)))
            .unwrap_or(false);
        let by_schedule = {
            let mut texts = Vec::new();
            for key in ["when", "unless"] {
                if let Some(w) = wf.get(key) {
                    collect_strings(w, &mut texts, 0);
                }
            }
            texts
                .iter()
                .any(|t| t.contains("scheduled_pipeline") || t.contains("pipeline.schedule."))
        };
        for (id, job_ref, line, cfg) in entries {
            let mut triggers = workflow_triggers(cfg.get("filters"), scheduled);
            if off_by_default {
                triggers = Triggers {
                    schedule: by_schedule,
                    manual: !by_schedule,
                    ..Default::default()
                };
            }
            triggers_all.union(&triggers);
            let needs = cfg.get("requires").map(Node::str_list).unwrap_or_default();
            let mut job = Job {
                id: format!("{wname}/{id}"),
                name: id.clone(),
                line,
                triggers: Some(triggers),
                needs: needs.iter().map(|n| format!("{wname}/{n}")).collect(),
                ..Default::default()
            };
            if approvals.contains(&id) {
                job.manual_gate = Some("type: approval".into());
            } else if let Some(gate) = needs.iter().find(|n| approvals.contains(*n)) {
                job.manual_gate = Some(format!("requires approval job `{gate}`"));
            }
            if cfg.get("context").is_some() {
                job.credentials.insert("secret".into());
            }
            if let Some((k, def)) = job_defs.entry(&job_ref) {
                job.line = k.line;
                job.image = def
                    .get("docker")
                    .and_then(|d| d.as_seq().first())
                    .and_then(|i| i.get("image"))
                    .and_then(Node::as_str)
                    .map(str::to_string);
                let params = Params {
                    given: cfg,
                    declared: def.get("parameters").unwrap_or(Node::empty()),
                };
                for s in def.get("steps").map(Node::as_seq).unwrap_or(&[]) {
                    defs.step(s, &mut job.steps, 0, &params);
                }
                let mut texts = Vec::new();
                collect_strings(def, &mut texts, 0);
                if texts.iter().any(|t| t.contains("CIRCLE_OIDC_TOKEN")) {
                    job.credentials.insert("oidc".into());
                }
            } else if let Some(test) = defs.developed_orb_test(&job_ref, line) {
                job.steps.push(test);
            } else if let Some(uses) = defs.orb_ref(&job_ref) {
                let with = string_params(cfg);
                // An orb job the catalog does not know, named after a tool it does
                // (`secops/gitleaks`), is taken to run that tool.
                let tools = if ctx.tools.match_uses(&uses, &with).is_empty() {
                    let name = job_ref.rsplit('/').next().unwrap_or(&job_ref);
                    ctx.tools.match_tool_named(name, &uses)
                } else {
                    Vec::new()
                };
                job.steps.push(Step {
                    line,
                    uses: Some(uses),
                    with,
                    tools,
                    ..Default::default()
                });
            } else if !approvals.contains(&id) {
                out.diagnostics.push(Diagnostic::warning(
                    path,
                    Some(line),
                    format!("workflow `{wname}` runs job `{job_ref}`, which is neither defined nor from an orb"),
                ));
            }
            jobs.push(job);
        }
    }
    if workflows.is_none() {
        out.diagnostics.push(Diagnostic::warning(
            path,
            Some(1),
            "no `workflows:`; CircleCI runs only a job named `build` then",
        ));
    }
    Pipeline {
        provider: PROVIDER,
        path: path.to_string(),
        name: path.to_string(),
        kind: PipelineKind::Pipeline,
        triggers: triggers_all,
        triggers_judgement: None,
        triggers_line,
        permissions: Permissions::Undeclared,
        jobs,
        shared,
        excluded: None,
    }
}

/// The expression of a CircleCI pipeline value, `<< pipeline.parameters.x >>` →
/// `pipeline.parameters.x`.
fn pipeline_value(s: &str) -> Option<&str> {
    s.trim()
        .strip_prefix("<<")
        .and_then(|r| r.strip_suffix(">>"))
        .map(str::trim)
}

/// The value of a workflow `when:` logic statement with the pipeline parameters at their
/// declared defaults; `None` when it depends on something else (the branch, the
/// trigger source).
fn condition(n: &Node, params: &Node) -> Option<bool> {
    fn value(n: &Node, params: &Node) -> Option<String> {
        let s = n.as_str()?.trim();
        match pipeline_value(s) {
            // On an ordinary push: a webhook, no schedule.
            Some("pipeline.trigger_source") => Some("webhook".into()),
            Some("pipeline.schedule.name") | Some("pipeline.schedule.id") => Some(String::new()),
            Some(expr) => {
                let name = expr.strip_prefix("pipeline.parameters.")?;
                let default = params.get(name.trim())?.get("default")?;
                default.as_str().map(str::to_string)
            }
            None => Some(s.to_string()),
        }
    }
    fn truthy(v: &str) -> bool {
        !matches!(v.trim(), "" | "false" | "False" | "0")
    }
    if let Some((op, _, arg)) = n.entries().next().filter(|_| n.as_map().len() == 1) {
        return match op {
            "not" => condition(arg, params).map(|b| !b),
            "and" => arg
                .as_seq()
                .iter()
                .map(|a| condition(a, params))
                .try_fold(true, |acc, b| b.map(|b| acc && b)),
            "or" => arg
                .as_seq()
                .iter()
                .map(|a| condition(a, params))
                .try_fold(false, |acc, b| b.map(|b| acc || b)),
            "equal" => {
                let vals: Option<Vec<String>> =
                    arg.as_seq().iter().map(|a| value(a, params)).collect();
                vals.map(|v| v.windows(2).all(|w| w[0] == w[1]))
            }
            _ => None,
        };
    }
    value(n, params).map(|v| truthy(&v))
}

/// Pushes to every branch (pull requests build their branch) unless `filters` narrow
/// them; tags only when `filters.tags` asks; schedules only through `triggers`.
fn workflow_triggers(filters: Option<&Node>, scheduled: bool) -> Triggers {
    if scheduled {
        return Triggers {
            schedule: true,
            ..Default::default()
        };
    }
    let mut t = Triggers {
        push: true,
        pull_request: true,
        ..Default::default()
    };
    let Some(f) = filters else { return t };
    // The expression form: `filters: pipeline.git.branch == "main"`.
    if let Some(expr) = f.as_str() {
        let c: String = expr
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .replace('\'', "\"");
        if !c.contains("||") {
            if let Some(rest) = after(&c, "pipeline.git.branch==\"") {
                if let Some(end) = rest.find('"') {
                    t.push_branches = vec![rest[..end].to_string()];
                    t.pull_request = false;
                }
            } else if let Some(rest) = after(&c, "pipeline.git.branch!=\"") {
                if let Some(end) = rest.find('"') {
                    t.push_branches_ignore = vec![rest[..end].to_string()];
                }
            }
            if c.contains("pipeline.git.tag") && !c.contains("pipeline.git.tag==\"\"") {
                t.tag = true;
                if !c.contains("pipeline.git.branch") {
                    t.push = false;
                    t.pull_request = false;
                }
            }
        }
        return t;
    }
    if let Some(b) = f.get("branches") {
        let only = b.get("only").map(Node::str_list).unwrap_or_default();
        let ignore = b.get("ignore").map(Node::str_list).unwrap_or_default();
        if ignore.iter().any(|x| x == "/.*/" || x == "/.+/") {
            t.push = false;
            t.pull_request = false;
        } else {
            if !only.is_empty() {
                t.pull_request = false;
            }
            t.push_branches = only;
            t.push_branches_ignore = ignore;
        }
    }
    if let Some(tags) = f.get("tags") {
        t.tag = tags.get("only").is_some();
    }
    t
}

/// The text after the first `pattern` in `c`.
fn after<'c>(c: &'c str, pattern: &str) -> Option<&'c str> {
    c.find(pattern).map(|i| &c[i + pattern.len()..])
}

struct Defs<'a> {
    orbs: &'a HashMap<String, (String, Option<String>)>,
    /// Aliases of the orb this repository develops (`src/@orb.yml`), declared empty
    /// (`docker: {}`) for the orb tools to inject from `src/`.
    developed: &'a BTreeSet<String>,
    /// What running a command or job of that orb is: its integration test.
    orb_test: Option<ToolMatch>,
    commands: &'a Node,
}

/// The parameters of a job or command where it is used: the values it is given, and
/// its declarations with their defaults.
struct Params<'a> {
    given: &'a Node,
    declared: &'a Node,
}

impl<'a> Params<'a> {
    fn none() -> Params<'static> {
        Params {
            given: Node::empty(),
            declared: Node::empty(),
        }
    }

    /// The steps a `steps: << parameters.NAME >>` step stands for: the value given, else
    /// the declared default.
    fn steps(&self, reference: &str) -> &'a [Node] {
        let Some(name) = pipeline_value(reference).and_then(|r| r.strip_prefix("parameters."))
        else {
            return &[];
        };
        let name = name.trim();
        self.given
            .get(name)
            .or_else(|| self.declared.get(name).and_then(|d| d.get("default")))
            .map(Node::as_seq)
            .unwrap_or(&[])
    }
}

impl Defs<'_> {
    /// `docker/publish` → `circleci/docker/publish@2.5.0` when `docker` is an orb alias.
    fn orb_ref(&self, name: &str) -> Option<String> {
        let (alias, rest) = name.split_once('/')?;
        let (orb, ver) = self.orbs.get(alias)?;
        Some(match ver {
            Some(v) => format!("{orb}/{rest}@{v}"),
            None => format!("{orb}/{rest}"),
        })
    }

    /// `docker/pull` when `docker` is the orb under development: a step of its test.
    fn developed_orb_test(&self, name: &str, line: u32) -> Option<Step> {
        let (alias, _) = name.split_once('/')?;
        let test = self
            .orb_test
            .as_ref()
            .filter(|_| self.developed.contains(alias))?;
        Some(Step {
            line,
            tools: vec![ToolMatch {
                matched: name.to_string(),
                ..test.clone()
            }],
            ..Default::default()
        })
    }

    fn step(&self, s: &Node, out: &mut Vec<Step>, depth: usize, params: &Params) {
        let (name, cfg) = match &s.value {
            Value::Scalar(n, _) => (n.as_str(), Node::empty()),
            Value::Map(m) if !m.is_empty() => match m[0].0.as_str() {
                Some(k) => (k, &m[0].1),
                None => return,
            },
            _ => return,
        };
        if name == "run" {
            let cmd = if cfg.is_map() {
                cfg.get("command")
            } else {
                Some(cfg)
            };
            if let Some(c) = cmd.filter(|c| c.as_str().is_some()) {
                out.push(Step {
                    name: cfg.get("name").and_then(Node::as_str).map(str::to_string),
                    line: s.line,
                    run: c.as_str().map(|t| (t.to_string(), c.text_line())),
                    ..Default::default()
                });
            }
            return;
        }
        // A job or command's parameter of type `steps`, spliced in where it is used.
        if name == "steps" {
            if depth < MAX_COMMAND_DEPTH {
                for inner in cfg.as_str().map(|r| params.steps(r)).unwrap_or(&[]) {
                    self.step(inner, out, depth + 1, &Params::none());
                }
            }
            return;
        }
        if BUILTIN_STEPS.contains(&name) {
            if name == "when" || name == "unless" {
                for inner in cfg.get("steps").map(Node::as_seq).unwrap_or(&[]) {
                    self.step(inner, out, depth + 1, params);
                }
            }
            return;
        }
        let orb_step = self.developed_orb_test(name, s.line).or_else(|| {
            self.orb_ref(name).map(|uses| Step {
                line: s.line,
                uses: Some(uses),
                with: string_params(cfg),
                ..Default::default()
            })
        });
        if let Some(step) = orb_step {
            out.push(step);
            // Orb commands such as `go/with-cache` run the steps they are given.
            if depth < MAX_COMMAND_DEPTH {
                for inner in cfg.get("steps").map(Node::as_seq).unwrap_or(&[]) {
                    self.step(inner, out, depth + 1, params);
                }
            }
            return;
        }
        if depth < MAX_COMMAND_DEPTH {
            if let Some(cmd) = self.commands.get(name) {
                let inner_params = Params {
                    given: cfg,
                    declared: cmd.get("parameters").unwrap_or(Node::empty()),
                };
                for inner in cmd.get("steps").map(Node::as_seq).unwrap_or(&[]) {
                    self.step(inner, out, depth + 1, &inner_params);
                }
            }
        }
    }
}

fn string_params(cfg: &Node) -> BTreeMap<String, String> {
    cfg.entries()
        .filter_map(|(k, _, v)| v.as_str().map(|x| (k.to_string(), x.to_string())))
        .collect()
}

fn collect_strings(n: &Node, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &n.value {
        Value::Scalar(s, _) => out.push(s.clone()),
        Value::Seq(items) => items
            .iter()
            .for_each(|i| collect_strings(i, out, depth + 1)),
        Value::Map(es) => es
            .iter()
            .for_each(|(_, v)| collect_strings(v, out, depth + 1)),
        Value::Null => {}
    }
}
