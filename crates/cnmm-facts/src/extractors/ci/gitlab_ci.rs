//! GitLab CI: `.gitlab-ci.yml` and the local files it includes, parsed into the
//! normalised pipeline model.
//!
//! What GitLab resolves before running is resolved here: `include: local:` (cycle-safe,
//! missing files reported), `extends` (multi-level, cycle-safe), `default:`, hidden
//! jobs, merge keys (by the YAML tree), `!reference`-free anchors, stage order, and
//! `workflow:rules` / job `rules` / `only` / `except` as effective triggers. Remote,
//! project, template and component includes are recorded, not fetched; templates that
//! the catalog knows (GitLab's security templates) count as the scanners they run.

use super::{
    intersect, subtract, Job, Permissions, Pipeline, PipelineKind, SharedRef, Step, Triggers,
    DEFAULT_BRANCH,
};
use crate::extractors::{yaml_diagnostic, Ctx, Extractor, FileInput, Output};
use crate::tools::ToolMatch;
use crate::yaml::{self, Node, Value};
use cnmm_model::Diagnostic;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

pub struct GitlabCi;

const PROVIDER: &str = "gitlab-ci";

/// GitLab's own limits: 150 includes per pipeline, 11 levels of `extends`.
const MAX_INCLUDES: usize = 150;
const MAX_EXTENDS_DEPTH: usize = 11;
const MAX_MERGE_DEPTH: usize = 64;

/// Top-level keys that are not jobs.
const RESERVED: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
];

/// Keys a job takes from `default:` (and the legacy top-level globals) when it has none.
const DEFAULTABLE: &[&str] = &[
    "image",
    "before_script",
    "after_script",
    "services",
    "id_tokens",
    "artifacts",
    "cache",
    "tags",
];

const DEFAULT_STAGES: &[&str] = &[".pre", "build", "test", "deploy", ".post"];

/// Security report types a job may publish as artifacts, by the catalog key used to
/// recognise them (`artifacts:reports:<type>`).
const REPORT_PREFIX: &str = "artifacts:reports:";

impl Extractor for GitlabCi {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        path == ".gitlab-ci.yml" || path == ".gitlab-ci.yaml"
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let Some(root) = parse_config(path, input.text, out) else {
            return;
        };
        let mut loader = Loader {
            ctx,
            sources: Vec::new(),
            shared: Vec::new(),
            template_jobs: Vec::new(),
            loaded: 0,
        };
        let mut stack = vec![path.to_string()];
        loader.load(path, root, &mut stack, out);
        let mut p = build_pipeline(path, loader, out);
        p.excluded = input.file.excluded.as_deref().map(String::from);
        out.pipelines.push(p);
    }
}

/// A template or component whose jobs the catalog knows, included by a file.
struct TemplateJobs {
    /// The template path, or the component's catalog key (`component:components/sast/sast`).
    key: String,
    /// A component known only by its name (catalog `component_name`), not its path.
    by_name: bool,
    /// The including file and the line of the include.
    from: String,
    line: u32,
}

/// `${CI_SERVER_FQDN}/components/sast/sast@3.4.0` → `component:components/sast/sast`.
fn component_key(reference: &str) -> String {
    let no_version = reference.split('@').next().unwrap_or(reference).trim();
    let path = no_version.split_once('/').map_or(no_version, |(_, p)| p);
    format!("component:{}", path.trim_matches('/').to_ascii_lowercase())
}

/// The configuration document of a file: the second document when the first is a
/// component's `spec:` header.
fn parse_config(path: &str, text: &str, out: &mut Output) -> Option<Node> {
    let parsed = yaml::parse(text, yaml::Limits::default());
    if let Some(err) = &parsed.error {
        out.diagnostics.push(yaml_diagnostic(path, err));
    }
    let mut docs = parsed.documents.into_iter();
    let first = docs.next()?;
    let doc = if first.get("spec").is_some() && first.as_map().len() == 1 {
        docs.next().unwrap_or(first)
    } else {
        first
    };
    if doc.is_null() {
        return None;
    }
    if !doc.is_map() {
        out.diagnostics.push(Diagnostic::error(
            path,
            Some(doc.line.max(1)),
            "a GitLab CI configuration must be a YAML mapping; the file was skipped",
        ));
        return None;
    }
    Some(doc)
}

/// Every node of a described include's jobs at the include's line: that is where the
/// jobs come from in the scanned repository.
fn relocate(n: &mut Node, line: u32) {
    n.line = line;
    match &mut n.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| relocate(i, line)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            relocate(k, line);
            relocate(v, line);
        }),
        _ => {}
    }
}

/// One configuration file, root or included.
struct Source {
    path: String,
    doc: Node,
    /// Set for the jobs of a remote include known from the catalog's description: why
    /// what they run is a judgement.
    described: Option<Arc<str>>,
}

struct Loader<'a, 'c> {
    ctx: &'a Ctx<'c>,
    /// Included files first, the including file after them (it overrides).
    sources: Vec<Source>,
    shared: Vec<SharedRef>,
    /// Jobs brought by catalog-known templates and components.
    template_jobs: Vec<TemplateJobs>,
    loaded: usize,
}

impl Loader<'_, '_> {
    fn load(&mut self, path: &str, doc: Node, stack: &mut Vec<String>, out: &mut Output) {
        if let Some(inc) = doc.get("include") {
            let items: Vec<&Node> = if inc.is_seq() {
                inc.as_seq().iter().collect()
            } else {
                vec![inc]
            };
            for item in items {
                self.include(path, item, stack, out);
            }
        }
        self.sources.push(Source {
            path: path.to_string(),
            doc,
            described: None,
        });
    }

    /// The jobs of a remote include the catalog describes, as a source of the including
    /// file at the include's line. `inputs` are the include's own component inputs.
    fn include_described(
        &mut self,
        from: &str,
        key: &str,
        inputs: Option<&Node>,
        line: u32,
    ) -> bool {
        let Some(remote) = self
            .ctx
            .tools
            .catalog()
            .remote_includes
            .iter()
            .find(|r| r.includes.iter().any(|i| i == key))
        else {
            return false;
        };
        let mut text = remote.jobs.clone();
        for (name, value) in inputs
            .map(|i| {
                i.entries()
                    .filter_map(|(k, _, v)| v.as_str().map(|v| (k.to_string(), v.to_string())))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .chain(remote.inputs.clone())
        {
            text = text.replace(&format!("$[[ inputs.{name} ]]"), &value);
        }
        let parsed = yaml::parse(&text, yaml::Limits::default());
        let Some(mut doc) = parsed.documents.into_iter().next() else {
            return false;
        };
        relocate(&mut doc, line);
        self.sources.push(Source {
            path: from.to_string(),
            doc,
            described: Some(Arc::from(format!(
                "`{key}` cannot be read offline; its jobs are known from the catalog's description: {}",
                remote.about
            ))),
        });
        true
    }

    fn include(&mut self, from: &str, item: &Node, stack: &mut Vec<String>, out: &mut Output) {
        let line = item.line.max(1);
        let (kind, value) = match &item.value {
            Value::Scalar(s, _) if s.contains("://") => ("remote", s.clone()),
            Value::Scalar(s, _) => ("local", s.clone()),
            Value::Map(_) => {
                let found = ["local", "project", "template", "component", "remote"]
                    .into_iter()
                    .find_map(|k| item.get(k).and_then(Node::as_str).map(|v| (k, v)));
                match found {
                    Some((k, v)) => (k, v.to_string()),
                    None => {
                        out.diagnostics.push(Diagnostic::warning(
                            from,
                            Some(line),
                            "`include:` entry not understood (expected local, project, template, component or remote)",
                        ));
                        return;
                    }
                }
            }
            _ => return,
        };
        match kind {
            "local" => {
                self.shared.push(SharedRef {
                    kind: "include",
                    reference: format!("local:{value}"),
                    line,
                    local: true,
                    unreadable: false,
                });
                self.include_local(from, &value, line, stack, out);
            }
            "project" => {
                let files = item.get("file").map(Node::str_list).unwrap_or_default();
                let at = item
                    .get("ref")
                    .and_then(Node::as_str)
                    .map(|r| format!("@{r}"))
                    .unwrap_or_default();
                for f in if files.is_empty() {
                    vec![String::new()]
                } else {
                    files
                } {
                    let key = format!(
                        "project:{}/{}",
                        value.trim_matches('/').to_ascii_lowercase(),
                        f.trim_start_matches('/').to_ascii_lowercase()
                    );
                    let described = self.include_described(from, &key, None, line);
                    self.shared.push(SharedRef {
                        kind: "include",
                        reference: format!("project:{value}/{}{at}", f.trim_start_matches('/')),
                        line,
                        local: false,
                        unreadable: !described,
                    });
                }
            }
            "template" => {
                let known = !self.ctx.tools.match_template(&value).is_empty();
                self.shared.push(SharedRef {
                    kind: "include",
                    reference: format!("template:{value}"),
                    line,
                    local: false,
                    unreadable: !known,
                });
                if known {
                    self.template_jobs.push(TemplateJobs {
                        key: value.clone(),
                        by_name: false,
                        from: from.to_string(),
                        line,
                    });
                }
            }
            "component" => {
                // Described by the catalog (its jobs are read from the description);
                // else known like a template, by its path without host and version;
                // else, like a shared action, by a name that says it releases.
                let key = component_key(&value);
                let described = self.include_described(from, &key, item.get("inputs"), line);
                let by_path = !described && !self.ctx.tools.match_template(&key).is_empty();
                let by_name =
                    !described && !by_path && !self.ctx.tools.match_component_name(&key).is_empty();
                self.shared.push(SharedRef {
                    kind: "include",
                    reference: format!("component:{value}"),
                    line,
                    local: false,
                    unreadable: !described && !by_path && !by_name,
                });
                if by_path || by_name {
                    self.template_jobs.push(TemplateJobs {
                        key,
                        by_name,
                        from: from.to_string(),
                        line,
                    });
                }
            }
            other => self.shared.push(SharedRef {
                kind: "include",
                reference: format!("{other}:{value}"),
                line,
                local: false,
                unreadable: true,
            }),
        }
    }

    fn include_local(
        &mut self,
        from: &str,
        value: &str,
        line: u32,
        stack: &mut Vec<String>,
        out: &mut Output,
    ) {
        let wanted = value.trim().trim_start_matches('/').to_string();
        if wanted.contains('$') {
            out.diagnostics.push(Diagnostic::info(
                from,
                Some(line),
                format!("include `{value}` uses a variable; not followed"),
            ));
            return;
        }
        let targets: Vec<String> = if wanted.contains('*') {
            let Ok(glob) = globset::Glob::new(&wanted) else {
                out.diagnostics.push(Diagnostic::warning(
                    from,
                    Some(line),
                    format!("include pattern `{value}` is not a valid glob"),
                ));
                return;
            };
            let m = glob.compile_matcher();
            self.ctx
                .all_files()
                .iter()
                .filter(|f| m.is_match(&*f.path))
                .map(|f| f.path.to_string())
                .collect()
        } else {
            vec![wanted.clone()]
        };
        if targets.is_empty() {
            out.diagnostics.push(Diagnostic::warning(
                from,
                Some(line),
                format!("include pattern `{value}` matches no file"),
            ));
        }
        for target in targets {
            if stack.contains(&target) {
                out.diagnostics.push(Diagnostic::error(
                    from,
                    Some(line),
                    format!(
                        "include cycle: {} -> {target}; not followed again",
                        stack.join(" -> ")
                    ),
                ));
                continue;
            }
            if self.sources.iter().any(|s| s.path == target) {
                continue;
            }
            if self.loaded >= MAX_INCLUDES {
                out.diagnostics.push(Diagnostic::error(
                    from,
                    Some(line),
                    format!("more than {MAX_INCLUDES} includes; `{target}` not read"),
                ));
                return;
            }
            let Some(file) = self.ctx.file(&target) else {
                out.diagnostics.push(Diagnostic::error(
                    from,
                    Some(line),
                    format!("included file `{target}` does not exist in the repository"),
                ));
                continue;
            };
            let text = match self.ctx.read_text(file) {
                Ok(t) => t,
                Err(e) => {
                    out.diagnostics.push(Diagnostic::warning(
                        from,
                        Some(line),
                        format!("included file `{target}` not read: {e}"),
                    ));
                    continue;
                }
            };
            self.loaded += 1;
            let Some(doc) = parse_config(&target, &text, out) else {
                continue;
            };
            stack.push(target.clone());
            self.load(&target, doc, stack, out);
            stack.pop();
        }
    }
}

/// A top-level key after all files are merged: the file and key node it was last
/// written in, and its (deep-merged) value.
#[derive(Clone)]
struct Entry {
    path: String,
    key_line: u32,
    value: Node,
    /// See [`Source::described`].
    described: Option<Arc<str>>,
}

/// A job's keys after `extends` and `default:`, each with the file it comes from.
type JobKeys = Vec<(String, Entry)>;

fn build_pipeline(path: &str, loader: Loader, out: &mut Output) -> Pipeline {
    let Loader {
        ctx,
        sources,
        mut shared,
        template_jobs,
        ..
    } = loader;
    // Merge the files: later sources (the including file) override earlier ones.
    let mut order: Vec<String> = Vec::new();
    let mut entries: HashMap<String, Entry> = HashMap::new();
    for s in &sources {
        for (k, kn, v) in s.doc.entries() {
            match entries.get_mut(k) {
                Some(e) => {
                    e.value = deep_merge(&e.value, v, 0);
                    e.path = s.path.clone();
                    e.key_line = kn.line;
                    e.described = s.described.clone();
                }
                None => {
                    order.push(k.to_string());
                    entries.insert(
                        k.to_string(),
                        Entry {
                            path: s.path.clone(),
                            key_line: kn.line,
                            value: v.clone(),
                            described: s.described.clone(),
                        },
                    );
                }
            }
        }
    }

    let stages: Vec<String> = match entries.get("stages").or_else(|| entries.get("types")) {
        Some(e) => {
            let mut v: Vec<String> = vec![".pre".into()];
            v.extend(e.value.str_list());
            v.push(".post".into());
            v
        }
        None => DEFAULT_STAGES.iter().map(|s| s.to_string()).collect(),
    };

    let (triggers, triggers_line) = match entries.get("workflow").and_then(|e| {
        e.value
            .entry("rules")
            .map(|(k, v)| (v.clone(), k.line, e.path.clone()))
    }) {
        Some((rules, line, wpath)) => {
            let t = eval_rules(&rules, &default_events()).triggers;
            (t, if wpath == path { line } else { 1 })
        }
        None => (default_events(), 1),
    };

    // `default:` and the legacy top-level globals.
    let mut defaults: JobKeys = Vec::new();
    for key in DEFAULTABLE {
        if let Some(e) = entries.get(*key) {
            defaults.push((key.to_string(), e.clone()));
        }
    }
    if let Some(d) = entries.get("default") {
        for (k, kn, v) in d.value.entries() {
            defaults.retain(|(x, _)| x != k);
            defaults.push((
                k.to_string(),
                Entry {
                    path: d.path.clone(),
                    key_line: kn.line,
                    value: v.clone(),
                    described: d.described.clone(),
                },
            ));
        }
    }

    let mut jobs = Vec::new();
    for name in &order {
        if RESERVED.contains(&name.as_str()) || name.starts_with('.') {
            continue;
        }
        let Some(e) = entries.get(name) else { continue };
        if !e.value.is_map() {
            continue;
        }
        let keys = resolve_extends(name, &entries, &mut Vec::new(), out);
        let keys = apply_defaults(keys, &defaults);
        let job = parse_job(ctx, path, name, e, &keys, &entries, &stages, &triggers, out);
        if let Some(j) = job {
            if let Some(Entry {
                value, path: tp, ..
            }) = keys_get(&keys, "trigger")
            {
                for inc in value
                    .get("include")
                    .map(|i| {
                        if i.is_seq() {
                            i.as_seq().to_vec()
                        } else {
                            vec![i.clone()]
                        }
                    })
                    .unwrap_or_default()
                {
                    let local = inc
                        .as_str()
                        .or_else(|| inc.get("local").and_then(Node::as_str));
                    if let Some(l) = local {
                        if tp == path {
                            shared.push(SharedRef {
                                kind: "include",
                                reference: format!("local:{l}"),
                                line: inc.line,
                                local: true,
                                unreadable: false,
                            });
                        }
                    }
                }
            }
            jobs.push(j);
        }
    }

    // Catalog-known templates and components run their scanners as jobs of the
    // including pipeline. A job of the including pipeline named like one of theirs
    // overrides it (GitLab merges the two), so the tool runs in that job, on its rules.
    for TemplateJobs {
        key: template,
        by_name,
        from: tpath,
        line,
    } in template_jobs
    {
        let mut tools = if by_name {
            let name = template.trim_start_matches("component:");
            ctx.tools
                .match_component_name(name)
                .into_iter()
                .map(|m| ToolMatch {
                    matched: format!("component `{name}`, known by its name"),
                    ..m
                })
                .collect()
        } else {
            ctx.tools.match_template(&template)
        };
        let mut overridden = false;
        for job in jobs.iter_mut() {
            let hits: Vec<ToolMatch> = tools
                .iter()
                .filter(|m| ctx.tools.template_job_names(&m.tool).contains(&job.name))
                .map(|m| ToolMatch {
                    matched: format!("{} (job `{}` of {template})", m.matched, job.name),
                    ..m.clone()
                })
                .collect();
            if hits.is_empty() {
                continue;
            }
            overridden = true;
            job.steps.push(Step {
                name: Some(template.clone()),
                line: job.line,
                tools: hits,
                ..Default::default()
            });
        }
        if overridden {
            tools.retain(|m| ctx.tools.template_job_names(&m.tool).is_empty());
            if tools.is_empty() {
                continue;
            }
        }
        let id = template
            .rsplit('/')
            .next()
            .unwrap_or(&template)
            .trim_end_matches(".gitlab-ci.yml")
            .to_ascii_lowercase();
        // A release component of which only the name is known runs on tags, as release
        // jobs conventionally do; its rules cannot be read offline.
        let release_on_tags = by_name.then(|| Triggers {
            tag: true,
            ..Default::default()
        });
        jobs.push(Job {
            triggers: release_on_tags,
            id: format!("template:{id}"),
            name: template.clone(),
            path: (tpath != path).then_some(tpath),
            line,
            steps: vec![Step {
                name: Some(template.clone()),
                line,
                tools,
                ..Default::default()
            }],
            stage: stages
                .iter()
                .position(|s| s == "test")
                .map(|i| ("test".to_string(), i)),
            ..Default::default()
        });
    }

    Pipeline {
        provider: PROVIDER,
        path: path.to_string(),
        name: path.to_string(),
        kind: PipelineKind::Pipeline,
        triggers,
        triggers_line,
        triggers_judgement: None,
        permissions: Permissions::Undeclared,
        jobs,
        shared,
        excluded: None,
    }
}

fn keys_get<'k>(keys: &'k JobKeys, key: &str) -> Option<&'k Entry> {
    keys.iter().find(|(k, _)| k == key).map(|(_, e)| e)
}

/// Deep merge as GitLab does for `extends` and includes: maps merge key by key, the
/// overriding side wins for everything else.
fn deep_merge(base: &Node, over: &Node, depth: usize) -> Node {
    if depth > MAX_MERGE_DEPTH || !(base.is_map() && over.is_map()) {
        return over.clone();
    }
    let mut entries: Vec<(Node, Node)> = base.as_map().to_vec();
    for (k, v) in over.as_map() {
        match entries
            .iter_mut()
            .find(|(bk, _)| bk.as_str().is_some() && bk.as_str() == k.as_str())
        {
            Some((bk, bv)) => {
                *bv = deep_merge(bv, v, depth + 1);
                *bk = k.clone();
            }
            None => entries.push((k.clone(), v.clone())),
        }
    }
    Node {
        line: over.line,
        value: Value::Map(entries),
    }
}

/// The keys of job `name` with its `extends` chain merged in (parents first).
fn resolve_extends(
    name: &str,
    entries: &HashMap<String, Entry>,
    stack: &mut Vec<String>,
    out: &mut Output,
) -> JobKeys {
    let Some(e) = entries.get(name) else {
        return Vec::new();
    };
    let mut keys: JobKeys = Vec::new();
    if let Some((ek, ev)) = e.value.entry("extends") {
        for parent in ev.str_list() {
            if stack.contains(&parent) || parent == name {
                out.diagnostics.push(Diagnostic::error(
                    &e.path,
                    Some(ek.line),
                    format!("`extends` cycle through `{parent}`; not followed"),
                ));
                continue;
            }
            if stack.len() >= MAX_EXTENDS_DEPTH {
                out.diagnostics.push(Diagnostic::error(
                    &e.path,
                    Some(ek.line),
                    format!("`extends` nested deeper than {MAX_EXTENDS_DEPTH} levels"),
                ));
                continue;
            }
            if !entries.contains_key(&parent) {
                out.diagnostics.push(Diagnostic::warning(
                    &e.path,
                    Some(ek.line),
                    format!("`extends: {parent}` names no job or template in this configuration"),
                ));
                continue;
            }
            stack.push(name.to_string());
            let parent_keys = resolve_extends(&parent, entries, stack, out);
            stack.pop();
            merge_keys(&mut keys, parent_keys);
        }
    }
    let own: JobKeys = e
        .value
        .entries()
        .filter(|(k, _, _)| *k != "extends")
        .map(|(k, kn, v)| {
            (
                k.to_string(),
                Entry {
                    path: e.path.clone(),
                    key_line: kn.line,
                    value: v.clone(),
                    described: e.described.clone(),
                },
            )
        })
        .collect();
    merge_keys(&mut keys, own);
    keys
}

fn merge_keys(keys: &mut JobKeys, over: JobKeys) {
    for (k, e) in over {
        match keys.iter_mut().find(|(x, _)| *x == k) {
            Some((_, old)) => {
                let value = deep_merge(&old.value, &e.value, 0);
                *old = Entry { value, ..e };
            }
            None => keys.push((k, e)),
        }
    }
}

fn apply_defaults(mut keys: JobKeys, defaults: &JobKeys) -> JobKeys {
    let inherit = keys_get(&keys, "inherit").and_then(|e| e.value.get("default").cloned());
    for (k, e) in defaults {
        let inherited = match &inherit {
            None => true,
            Some(n) if n.is_seq() => n.str_list().iter().any(|x| x == k),
            Some(n) => n.as_str() != Some("false"),
        };
        if inherited && keys_get(&keys, k).is_none() {
            keys.push((k.clone(), e.clone()));
        }
    }
    keys
}

#[allow(clippy::too_many_arguments)]
fn parse_job(
    ctx: &Ctx,
    pipeline_path: &str,
    name: &str,
    e: &Entry,
    keys: &JobKeys,
    entries: &HashMap<String, Entry>,
    stages: &[String],
    pipeline: &Triggers,
    out: &mut Output,
) -> Option<Job> {
    let get = |k: &str| keys_get(keys, k).map(|x| &x.value);
    let stage_name = get("stage")
        .and_then(Node::as_str)
        .unwrap_or("test")
        .to_string();
    let stage_index = stages.iter().position(|s| *s == stage_name).or_else(|| {
        out.diagnostics.push(Diagnostic::warning(
            &e.path,
            Some(e.key_line),
            format!("job `{name}` uses stage `{stage_name}`, which `stages:` does not list"),
        ));
        None
    });

    // Effective triggers: job rules (or only/except) within the pipeline's.
    let mut manual_gate = None;
    let mut manual_on_some_paths = false;
    let mut triggers = pipeline.clone();
    if let Some(rules) = get("rules") {
        let r = eval_rules(rules, pipeline);
        triggers = r.triggers;
        if r.manual {
            manual_gate = Some("rules: when: manual".to_string());
            manual_on_some_paths = r.automatic;
        }
    } else {
        if let Some(only) = get("only") {
            triggers = intersect(pipeline, &only_refs(only, pipeline));
        }
        if let Some(except) = get("except") {
            subtract(&mut triggers, &only_refs(except, &all_events()));
        }
    }
    match get("when").and_then(Node::as_str) {
        Some("manual") => {
            manual_gate = Some("when: manual".to_string());
            manual_on_some_paths = false;
        }
        Some("never") => triggers = Triggers::default(),
        _ => {}
    }

    // `action: stop|prepare|verify|access` touches an environment without deploying.
    let environment = get("environment")
        .filter(|n| {
            n.get("action")
                .and_then(Node::as_str)
                .is_none_or(|a| a == "start")
        })
        .and_then(|n| {
            n.as_str()
                .or_else(|| n.get("name").and_then(Node::as_str))
                .map(str::to_string)
        });
    let image = get("image").and_then(|n| {
        n.as_str()
            .or_else(|| n.get("name").and_then(Node::as_str))
            .map(str::to_string)
    });

    let mut steps = Vec::new();
    for key in ["before_script", "script", "after_script"] {
        if let Some(entry) = keys_get(keys, key) {
            let step_path = (entry.path != e.path).then(|| entry.path.clone());
            let mut lines = Vec::new();
            flatten_script(&entry.value, entries, &mut lines, 0);
            for n in lines {
                if let Some(text) = n.as_str() {
                    steps.push(Step {
                        name: Some(key.to_string()),
                        path: step_path.clone(),
                        line: n.line,
                        run: Some((text.to_string(), n.text_line())),
                        described: entry.described.as_deref().map(str::to_string),
                        ..Default::default()
                    });
                }
            }
        }
    }
    // Security reports published as artifacts (the catalog names the report types).
    if let Some(entry) = keys_get(keys, "artifacts") {
        if let Some(reports) = entry.value.get("reports") {
            for (kind, kn, _) in reports.entries() {
                steps.push(Step {
                    name: Some(format!("artifacts: reports: {kind}")),
                    path: (entry.path != e.path).then(|| entry.path.clone()),
                    line: kn.line,
                    tools: ctx.tools.match_template(&format!("{REPORT_PREFIX}{kind}")),
                    ..Default::default()
                });
            }
        }
    }

    let mut credentials = BTreeSet::new();
    if get("id_tokens").is_some() {
        credentials.insert("oidc".to_string());
    }
    // `secrets:` from Vault, GCP Secret Manager, Azure Key Vault or AWS Secrets Manager
    // are fetched with the job's own identity token: workload identity, not a person's.
    if let Some(secrets) = get("secrets") {
        let providers = [
            "vault",
            "gcp_secret_manager",
            "azure_key_vault",
            "aws_secrets_manager",
        ];
        let federated = secrets
            .entries()
            .any(|(_, _, v)| providers.iter().any(|p| v.get(p).is_some()));
        credentials.insert(
            if federated {
                "workload-identity"
            } else {
                "secret"
            }
            .to_string(),
        );
    }
    let mut texts = Vec::new();
    for (k, entry) in keys {
        if k != "rules" && k != "only" && k != "except" {
            collect_strings(&entry.value, &mut texts, 0);
        }
    }
    for t in &texts {
        if t.contains("CI_JOB_TOKEN") || t.contains("CI_REGISTRY_PASSWORD") {
            credentials.insert("job-token".to_string());
        }
        if t.contains("AWS_SECRET_ACCESS_KEY") || t.contains("GCP_SA_KEY") {
            credentials.insert("static-cloud-key".to_string());
        }
    }

    let needs = get("needs")
        .map(|n| {
            if n.is_seq() {
                n.as_seq()
                    .iter()
                    .filter_map(|x| {
                        x.as_str()
                            .or_else(|| x.get("job").and_then(Node::as_str))
                            .map(str::to_string)
                    })
                    .collect()
            } else {
                n.str_list()
            }
        })
        .unwrap_or_default();

    Some(Job {
        id: name.to_string(),
        name: name.to_string(),
        // A job written in an included file is located there.
        path: (e.path != pipeline_path).then(|| e.path.clone()),
        line: e.key_line,
        condition: None,
        triggers: Some(triggers),
        needs,
        stage: stage_index.map(|i| (stage_name, i)),
        environment,
        manual_gate,
        manual_on_some_paths,
        permissions: Permissions::Undeclared,
        credentials,
        steps,
        calls: None,
        image,
        image_described: keys_get(keys, "image")
            .and_then(|e| e.described.as_deref().map(str::to_string)),
    })
}

/// Script lines: strings, nested lists (from anchors), and `!reference [.job, key]`
/// (whose tag the YAML tree drops, leaving `[.job, key]`).
fn flatten_script<'n>(
    n: &'n Node,
    entries: &'n HashMap<String, Entry>,
    out: &mut Vec<&'n Node>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    match &n.value {
        Value::Scalar(..) => out.push(n),
        Value::Seq(items) => {
            let names: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
            if names.len() == items.len()
                && (2..=3).contains(&names.len())
                && names[0].starts_with('.')
                && entries.contains_key(names[0])
            {
                if let Some(target) = entries
                    .get(names[0])
                    .and_then(|e| e.value.path(&names[1..]))
                {
                    flatten_script(target, entries, out, depth + 1);
                    return;
                }
            }
            for i in items {
                flatten_script(i, entries, out, depth + 1);
            }
        }
        _ => {}
    }
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
        Value::Map(es) => es.iter().for_each(|(k, v)| {
            collect_strings(k, out, depth + 1);
            collect_strings(v, out, depth + 1);
        }),
        Value::Null => {}
    }
}

/// Events a GitLab pipeline runs on without rules: branch pushes, tags, and merge
/// requests (GitLab attaches branch pipelines to the merge requests of their branch).
/// Schedules and web runs are project settings, counted only when rules name them.
fn default_events() -> Triggers {
    Triggers {
        push: true,
        tag: true,
        pull_request: true,
        ..Default::default()
    }
}

fn all_events() -> Triggers {
    Triggers {
        schedule: true,
        manual: true,
        ..default_events()
    }
}

struct RulesResult {
    triggers: Triggers,
    /// Some rule that can match makes the job manual.
    manual: bool,
    /// Some rule that can match runs the job by itself.
    automatic: bool,
}

/// `rules:` are tried in order and the first match decides; a rule with `when: never`
/// removes what it certainly matches from the rules after it.
fn eval_rules(rules: &Node, within: &Triggers) -> RulesResult {
    let mut result = Triggers::default();
    let mut never = Triggers::default();
    let mut manual = false;
    let mut automatic = false;
    for rule in rules.as_seq() {
        let (cond, exact) = match rule.get("if").and_then(Node::as_str) {
            Some(expr) => eval_if(expr),
            None => (
                default_events(),
                rule.get("changes").is_none() && rule.get("exists").is_none(),
            ),
        };
        let mut cond = intersect(&cond, within);
        match rule.get("when").and_then(Node::as_str) {
            Some("never") => {
                if exact {
                    never.union(&cond);
                    // Push removal by branch needs the filters kept apart.
                    if cond.push && !cond.push_branches.is_empty() {
                        never.push_branches = cond.push_branches.clone();
                    }
                }
            }
            when => {
                subtract(&mut cond, &never);
                if when == Some("manual") && cond.automatic() | cond.manual {
                    manual = true;
                } else if when != Some("manual") && cond.automatic() {
                    automatic = true;
                }
                result.union(&cond);
            }
        }
    }
    RulesResult {
        triggers: result,
        manual,
        automatic,
    }
}

/// The events under which a rules `if:` expression can be true, and whether that is
/// exact (every part understood). `||` unites, `&&` narrows; unknown parts narrow
/// nothing.
fn eval_if(expr: &str) -> (Triggers, bool) {
    let expr = strip_parens(expr.trim());
    let ors = split_top(expr, "||");
    if ors.len() > 1 {
        let mut t = Triggers::default();
        let mut exact = true;
        for o in ors {
            let (x, e) = eval_if(o);
            t.union(&x);
            exact &= e;
        }
        return (t, exact);
    }
    let mut events: Option<Triggers> = None;
    let mut exact = true;
    let mut not = Triggers::default();
    let mut branch: Option<(bool, String)> = None;
    let mut any_branch = false;
    for atom in split_top(expr, "&&") {
        let atom = strip_parens(atom.trim());
        if split_top(atom, "||").len() > 1 {
            let (x, e) = eval_if(atom);
            exact &= e;
            events = Some(match events {
                Some(ev) => intersect(&ev, &x),
                None => x,
            });
            continue;
        }
        let compact: String = atom
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .replace('\'', "\"");
        let (positive, event) = match source_atom(&compact) {
            Some(x) => x,
            None => {
                if compact == "$CI_COMMIT_BRANCH==$CI_DEFAULT_BRANCH"
                    || compact == "$CI_COMMIT_REF_NAME==$CI_DEFAULT_BRANCH"
                    || compact == "$CI_DEFAULT_BRANCH==$CI_COMMIT_BRANCH"
                    || compact == "$CI_DEFAULT_BRANCH==$CI_COMMIT_REF_NAME"
                {
                    branch = Some((true, DEFAULT_BRANCH.to_string()));
                    continue;
                }
                if compact == "$CI_COMMIT_BRANCH!=$CI_DEFAULT_BRANCH"
                    || compact == "$CI_COMMIT_REF_NAME!=$CI_DEFAULT_BRANCH"
                {
                    branch = Some((false, DEFAULT_BRANCH.to_string()));
                    continue;
                }
                if let Some(b) = compact
                    .strip_prefix("$CI_COMMIT_BRANCH==\"")
                    .or_else(|| compact.strip_prefix("$CI_COMMIT_REF_NAME==\""))
                    .and_then(|r| r.strip_suffix('"'))
                {
                    branch = Some((true, b.to_string()));
                    continue;
                }
                if let Some(b) = compact
                    .strip_prefix("$CI_COMMIT_BRANCH=~")
                    .or_else(|| compact.strip_prefix("$CI_COMMIT_REF_NAME=~"))
                {
                    branch = Some((true, b.to_string()));
                    continue;
                }
                if compact == "$CI_COMMIT_BRANCH" {
                    any_branch = true;
                    continue;
                }
                exact = false;
                continue;
            }
        };
        if positive {
            events = Some(match events {
                Some(ev) => intersect(&ev, &event),
                None => event,
            });
        } else {
            not.union(&event);
        }
    }
    let mut t = events.unwrap_or_else(all_events_if_explicit);
    subtract(&mut t, &not);
    if branch.is_some() || any_branch {
        // Only branch pipelines (pushes, schedules, web runs) have a commit branch.
        t.tag = false;
        t.pull_request = false;
        if let Some((eq, b)) = branch {
            if eq {
                t.push_branches = vec![b];
            } else {
                t.push_branches_ignore.push(b);
            }
        }
    }
    (t, exact)
}

/// Without an event condition, an expression can be true on the default events; a
/// schedule or web run is only assumed when a condition names it.
fn all_events_if_explicit() -> Triggers {
    default_events()
}

/// An atom about the pipeline source or the kind of ref: whether it is positive, and
/// the events it stands for.
fn source_atom(c: &str) -> Option<(bool, Triggers)> {
    let ev = |f: fn(&mut Triggers)| {
        let mut t = Triggers::default();
        f(&mut t);
        t
    };
    for (op, positive) in [("==", true), ("!=", false)] {
        if let Some(v) = c.strip_prefix(&format!("$CI_PIPELINE_SOURCE{op}")) {
            let v = v.trim_matches('"');
            let t = match v {
                "schedule" => ev(|t| t.schedule = true),
                "merge_request_event" | "external_pull_request_event" => {
                    ev(|t| t.pull_request = true)
                }
                "push" => ev(|t| {
                    t.push = true;
                    t.tag = true;
                }),
                "web" | "api" | "chat" => ev(|t| t.manual = true),
                other => Triggers {
                    other: BTreeSet::from([other.to_string()]),
                    ..Default::default()
                },
            };
            return Some((positive, t));
        }
    }
    let tag = ev(|t| t.tag = true);
    let mr = ev(|t| t.pull_request = true);
    match c {
        "$CI_COMMIT_TAG" | "$CI_COMMIT_TAG!=null" | "$CI_COMMIT_TAG!=\"\"" => {
            return Some((true, tag))
        }
        "$CI_COMMIT_TAG==null" | "$CI_COMMIT_TAG==\"\"" | "!$CI_COMMIT_TAG" => {
            return Some((false, tag))
        }
        "$CI_MERGE_REQUEST_IID" | "$CI_MERGE_REQUEST_ID" | "$CI_MERGE_REQUEST_IID!=null" => {
            return Some((true, mr))
        }
        "$CI_MERGE_REQUEST_IID==null" | "$CI_MERGE_REQUEST_ID==null" => return Some((false, mr)),
        _ => {}
    }
    if c.starts_with("$CI_COMMIT_TAG=~") {
        return Some((true, tag));
    }
    None
}

/// Splits at a two-character operator outside quotes, parentheses and regexes.
fn split_top<'s>(s: &'s str, op: &str) -> Vec<&'s str> {
    let bytes = s.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                // Byte positions may fall inside a multi-byte character: compare bytes.
                b'/' if i > 0 && bytes[..i].trim_ascii_end().ends_with(b"=~") => quote = Some(b'/'),
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ if depth == 0 && bytes[i..].starts_with(op.as_bytes()) => {
                    parts.push(&s[start..i]);
                    i += op.len();
                    start = i;
                    continue;
                }
                _ => {}
            },
        }
        i += 1;
    }
    parts.push(&s[start..]);
    parts
}

fn strip_parens(s: &str) -> &str {
    let mut s = s.trim();
    while s.starts_with('(') && s.ends_with(')') {
        let inner = &s[1..s.len() - 1];
        // Only when the parentheses enclose the whole expression.
        let mut depth = 0i32;
        let balanced = inner.chars().all(|c| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth >= 0
        });
        if !balanced {
            break;
        }
        s = inner.trim();
    }
    s
}

/// `only:`/`except:` refs as events (`branches`, `tags`, `merge_requests`, branch names,
/// `/regex/`), as a list or under `refs:`.
fn only_refs(n: &Node, base: &Triggers) -> Triggers {
    let refs = if n.is_map() {
        n.get("refs").map(Node::str_list).unwrap_or_default()
    } else {
        n.str_list()
    };
    if refs.is_empty() {
        return base.clone();
    }
    let mut t = Triggers::default();
    let mut branches = Vec::new();
    for r in refs {
        match r.as_str() {
            "branches" => {
                t.push = true;
                t.pull_request = true;
            }
            "tags" => t.tag = true,
            "merge_requests" | "external_pull_requests" => t.pull_request = true,
            "schedules" => t.schedule = true,
            "web" | "api" | "chat" => t.manual = true,
            "pushes" => {
                t.push = true;
                t.tag = true;
            }
            "triggers" | "pipelines" => {
                t.other.insert(r.clone());
            }
            name => branches.push(name.to_string()),
        }
    }
    if !branches.is_empty() {
        if !t.push {
            t.push_branches = branches;
        }
        t.push = true;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: byte positions inside multi-byte characters must not be sliced.
    #[test]
    fn split_top_survives_multibyte_characters() {
        assert_eq!(split_top("ü == 'é' && $Y", "&&"), vec!["ü == 'é' ", " $Y"]);
        assert_eq!(split_top("$X =~ /é/ || ü", "||").len(), 2);
        assert_eq!(split_top("€€€", "&&"), vec!["€€€"]);
    }

    #[test]
    fn rules_expressions() {
        let (t, exact) = eval_if("$CI_PIPELINE_SOURCE == \"schedule\"");
        assert!(exact && t.schedule && !t.push && !t.pull_request);
        let (t, _) = eval_if("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
        assert!(t.push && t.default_branch() && !t.pull_request && !t.tag);
        let (t, _) = eval_if("$CI_COMMIT_TAG =~ /^v\\d+/");
        assert!(t.tag && !t.push);
        let (t, _) = eval_if("$CI_PIPELINE_SOURCE == 'merge_request_event' || $CI_COMMIT_TAG");
        assert!(t.pull_request && t.tag && !t.push);
        let (t, _) = eval_if("$CI_COMMIT_BRANCH == \"develop\"");
        assert!(t.push && !t.default_branch());
        let (t, exact) = eval_if("$DEPLOY_ENABLED == \"true\"");
        assert!(!exact && t == default_events());
    }

    #[test]
    fn rules_first_match_and_never() {
        let src = "rules:\n  - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    when: never\n  - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n    when: manual\n  - when: on_success\n";
        let doc = yaml::parse(src, yaml::Limits::default())
            .documents
            .remove(0);
        let r = eval_rules(doc.get("rules").expect("rules"), &default_events());
        assert!(r.manual && r.triggers.push && r.triggers.tag && !r.triggers.pull_request);
    }
}
