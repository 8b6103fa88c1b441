//! Tekton under `.tekton/` (Pipelines-as-Code): PipelineRuns, Pipelines and Tasks,
//! parsed into the normalised pipeline model. A PipelineRun's
//! `pipelinesascode.tekton.dev/on-event` and `on-target-branch` annotations are its
//! triggers; without them it does not run by itself. Pipeline tasks are jobs
//! (`runAfter` orders them), their steps' `script`/`command` are scripts and their
//! `image` runs; a `taskRef` is a step reference.

use super::{Job, Permissions, Pipeline, PipelineKind, SharedRef, Step, Triggers};
use crate::extractors::{parent_dir, yaml_diagnostic, Ctx, Extractor, FileInput, Output};
use crate::yaml::{self, Node};

pub struct Tekton;

const PROVIDER: &str = "tekton";

impl Extractor for Tekton {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        parent_dir(path) == ".tekton" && (path.ends_with(".yaml") || path.ends_with(".yml"))
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let parsed = yaml::parse(input.text, yaml::Limits::default());
        if let Some(err) = &parsed.error {
            out.diagnostics.push(yaml_diagnostic(path, err));
        }
        let mut jobs = Vec::new();
        let mut shared = Vec::new();
        let mut all = Triggers::default();
        let mut triggers_line = 1;
        for doc in &parsed.documents {
            let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
            let name = doc
                .path(&["metadata", "name"])
                .or_else(|| doc.path(&["metadata", "generateName"]))
                .and_then(Node::as_str)
                .unwrap_or(kind)
                .to_string();
            let spec = doc.get("spec").unwrap_or(Node::empty());
            let (triggers, line) = match kind {
                "PipelineRun" | "TaskRun" => annotations(doc),
                _ => (Triggers::default(), 1),
            };
            if triggers_line == 1 {
                triggers_line = line;
            }
            all.union(&triggers);
            match kind {
                "PipelineRun" => {
                    if let Some(r) = spec.path(&["pipelineRef", "name"]).and_then(Node::as_str) {
                        let t = SharedRef::new("template", r, spec.line);
                        let remote = !t.local;
                        shared.push(t.unreadable_if(remote));
                    }
                    let ps = spec.get("pipelineSpec").unwrap_or(Node::empty());
                    tasks(&name, ps, &triggers, &mut jobs, &mut shared);
                }
                "Pipeline" => tasks(&name, spec, &triggers, &mut jobs, &mut shared),
                "Task" | "TaskRun" => {
                    let ts = spec.get("taskSpec").unwrap_or(spec);
                    let mut j = Job {
                        id: name.clone(),
                        name,
                        line: doc.line.max(1),
                        triggers: Some(triggers),
                        ..Default::default()
                    };
                    j.steps = steps(ts);
                    jobs.push(j);
                }
                _ => {}
            }
        }
        if jobs.is_empty() && shared.is_empty() {
            return;
        }
        let mut p = Pipeline {
            provider: PROVIDER,
            path: path.to_string(),
            name: path.to_string(),
            kind: PipelineKind::Pipeline,
            triggers: all,
            triggers_line,
            triggers_judgement: None,
            permissions: Permissions::Undeclared,
            jobs,
            shared,
            excluded: None,
        };
        p.excluded = input.file.excluded.as_deref().map(String::from);
        out.pipelines.push(p);
    }
}

/// `on-event: "[push, pull_request]"`, `on-target-branch: "[main]"`.
fn annotations(doc: &Node) -> (Triggers, u32) {
    let mut t = Triggers::default();
    let Some(ann) = doc.path(&["metadata", "annotations"]) else {
        return (t, 1);
    };
    let list = |key: &str| -> Vec<String> {
        ann.get(key)
            .map(|v| match v.as_str() {
                Some(s) => s
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|x| x.trim().trim_matches(['"', '\'']).to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
                None => v.str_list(),
            })
            .unwrap_or_default()
    };
    let line = ann
        .entry("pipelinesascode.tekton.dev/on-event")
        .map_or(1, |(k, _)| k.line);
    let branches = list("pipelinesascode.tekton.dev/on-target-branch");
    for ev in list("pipelinesascode.tekton.dev/on-event") {
        match ev.as_str() {
            "push" => t.push = true,
            "pull_request" => t.pull_request = true,
            "incoming" => t.manual = true,
            other => {
                t.other.insert(other.to_string());
            }
        }
    }
    // Target branches of `refs/tags/*` mean tag pushes.
    let (tags, heads): (Vec<String>, Vec<String>) = branches
        .into_iter()
        .partition(|b| b.starts_with("refs/tags/"));
    if t.push && !tags.is_empty() {
        t.tag = true;
        if heads.is_empty() {
            t.push = false;
        }
    }
    t.push_branches = heads
        .iter()
        .map(|b| b.trim_start_matches("refs/heads/").to_string())
        .collect();
    if ann
        .get("pipelinesascode.tekton.dev/on-cel-expression")
        .is_some()
        && !t.push
        && !t.pull_request
    {
        // A CEL expression decides; assume the events Pipelines-as-Code handles.
        t.push = true;
        t.pull_request = true;
    }
    (t, line)
}

fn tasks(
    pipeline: &str,
    spec: &Node,
    triggers: &Triggers,
    jobs: &mut Vec<Job>,
    shared: &mut Vec<SharedRef>,
) {
    for key in ["tasks", "finally"] {
        for task in spec.get(key).map(Node::as_seq).unwrap_or(&[]) {
            let name = task.get("name").and_then(Node::as_str).unwrap_or("task");
            let mut j = Job {
                id: format!("{pipeline}/{name}"),
                name: name.to_string(),
                line: task.line,
                triggers: Some(triggers.clone()),
                needs: task
                    .get("runAfter")
                    .map(Node::str_list)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|n| format!("{pipeline}/{n}"))
                    .collect(),
                ..Default::default()
            };
            if let Some(ts) = task.get("taskSpec") {
                j.steps = steps(ts);
            }
            if let Some(r) = task.get("taskRef") {
                // A named Task lives beside the pipeline; a resolver (hub, bundles, git)
                // fetches one from elsewhere.
                let local = r.get("resolver").is_none() && r.get("bundle").is_none();
                let reference = r
                    .get("name")
                    .and_then(Node::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        // Resolvers: bundles, git, hub.
                        r.get("params").map(|ps| {
                            ps.as_seq()
                                .iter()
                                .filter_map(|p| p.get("value").and_then(Node::as_str))
                                .collect::<Vec<_>>()
                                .join("/")
                        })
                    });
                if let Some(reference) = reference.filter(|r| !r.is_empty()) {
                    shared.push(SharedRef {
                        kind: "template",
                        reference: reference.clone(),
                        line: r.line,
                        local,
                        unreadable: !local,
                    });
                    j.steps.push(Step {
                        line: r.line,
                        uses: Some(reference),
                        ..Default::default()
                    });
                }
            }
            jobs.push(j);
        }
    }
}

fn steps(task_spec: &Node) -> Vec<Step> {
    let mut out = Vec::new();
    for s in task_spec.get("steps").map(Node::as_seq).unwrap_or(&[]) {
        let image = s.get("image").and_then(Node::as_str).map(str::to_string);
        let run = if let Some(script) = s.get("script") {
            script.as_str().map(|t| (t.to_string(), script.text_line()))
        } else {
            let mut words = s.get("command").map(Node::str_list).unwrap_or_default();
            words.extend(s.get("args").map(Node::str_list).unwrap_or_default());
            (!words.is_empty()).then(|| (words.join(" "), s.line))
        };
        out.push(Step {
            name: s.get("name").and_then(Node::as_str).map(str::to_string),
            line: s.line,
            image,
            run,
            ..Default::default()
        });
    }
    out
}
