//! Bitbucket Pipelines: `bitbucket-pipelines.yml`, parsed into the normalised pipeline
//! model. Each pipeline section gives the triggers: `default` (pushes to branches with
//! no pipeline of their own), `branches`, `tags`, `pull-requests`, `custom` (run by
//! hand or on a schedule set in the UI, so manual). Steps run in order; `trigger:
//! manual` makes a step wait for a person, `deployment:` names its environment, `pipe:`
//! is a step reference, `oidc: true` an OIDC token.

use super::{Job, Permissions, Pipeline, PipelineKind, Step, Triggers};
use crate::extractors::{yaml_diagnostic, Ctx, Extractor, FileInput, Output};
use crate::yaml::{self, Node};
use cnmm_model::Diagnostic;

pub struct Bitbucket;

const PROVIDER: &str = "bitbucket-pipelines";

impl Extractor for Bitbucket {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        path == "bitbucket-pipelines.yml" || path == "bitbucket-pipelines.yaml"
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let parsed = yaml::parse(input.text, yaml::Limits::default());
        if let Some(err) = &parsed.error {
            out.diagnostics.push(yaml_diagnostic(path, err));
        }
        let Some(doc) = parsed.documents.into_iter().next() else {
            return;
        };
        let Some((pk, pipelines)) = doc.entry("pipelines") else {
            out.diagnostics.push(Diagnostic::warning(
                path,
                Some(1),
                "no `pipelines:` section; nothing runs",
            ));
            return;
        };
        let image = image_of(&doc);
        let mut jobs = Vec::new();
        let mut all = Triggers::default();
        let branch_keys: Vec<String> = pipelines
            .get("branches")
            .map(|b| b.entries().map(|(k, _, _)| k.to_string()).collect())
            .unwrap_or_default();
        for (section, _, body) in pipelines.entries() {
            let lists: Vec<(String, &Node, Triggers)> = match section {
                "default" => {
                    let t = Triggers {
                        push: true,
                        push_branches_ignore: branch_keys.clone(),
                        ..Default::default()
                    };
                    vec![("default".to_string(), body, t)]
                }
                "branches" | "tags" | "pull-requests" | "custom" => body
                    .entries()
                    .map(|(k, _, v)| {
                        let mut t = Triggers::default();
                        match section {
                            "branches" => {
                                t.push = true;
                                t.push_branches = vec![k.to_string()];
                            }
                            "tags" => t.tag = true,
                            "pull-requests" => t.pull_request = true,
                            _ => t.manual = true,
                        }
                        (format!("{section}/{k}"), v, t)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for (prefix, list, triggers) in lists {
                all.union(&triggers);
                let mut index = 0;
                let mut previous: Vec<String> = Vec::new();
                for item in list.as_seq() {
                    let first = jobs.len();
                    read_item(item, &prefix, &triggers, &image, &mut index, &mut jobs);
                    // Steps run in order: each waits for the item before it.
                    for j in &mut jobs[first..] {
                        if j.needs.is_empty() {
                            j.needs = previous.clone();
                        }
                    }
                    if jobs.len() > first {
                        previous = jobs[first..].iter().map(|j| j.id.clone()).collect();
                    }
                }
            }
        }
        let mut p = Pipeline {
            provider: PROVIDER,
            path: path.to_string(),
            name: path.to_string(),
            kind: PipelineKind::Pipeline,
            triggers: all,
            triggers_line: pk.line,
            triggers_judgement: None,
            permissions: Permissions::Undeclared,
            jobs,
            shared: Vec::new(),
            excluded: None,
        };
        p.excluded = input.file.excluded.as_deref().map(String::from);
        out.pipelines.push(p);
    }
}

/// `atlassian/kubectl-run:3.10.0` → `atlassian/kubectl-run@3.10.0`: pipes (and Drone
/// plugins) are images whose tag is the version, written as other providers' step
/// references are; Docker Hub's registry prefix is dropped.
pub fn image_reference(pipe: &str) -> String {
    let mut p = pipe.trim();
    if p.starts_with("docker://") {
        return p.to_string();
    }
    // Docker Hub's own names for its images: `docker.io/woodpeckerci/plugin-x` is
    // `woodpeckerci/plugin-x`.
    for registry in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] {
        if p.len() > registry.len() && p[..registry.len()].eq_ignore_ascii_case(registry) {
            p = &p[registry.len()..];
        }
    }
    match p.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => format!("{name}@{tag}"),
        _ => p.to_string(),
    }
}

fn image_of(n: &Node) -> Option<String> {
    n.get("image").and_then(|i| {
        i.as_str()
            .or_else(|| i.get("name").and_then(Node::as_str))
            .map(str::to_string)
    })
}

/// A `step`, a `parallel` group or a `stage` of a pipeline list, in order.
fn read_item(
    item: &Node,
    prefix: &str,
    triggers: &Triggers,
    image: &Option<String>,
    index: &mut usize,
    jobs: &mut Vec<Job>,
) {
    if let Some(step) = item.get("step") {
        jobs.push(step_job(
            step, item.line, prefix, triggers, image, *index, None,
        ));
        *index += 1;
    } else if let Some(par) = item.get("parallel") {
        let steps = par.get("steps").unwrap_or(par);
        for s in steps.as_seq() {
            if let Some(step) = s.get("step") {
                jobs.push(step_job(
                    step, s.line, prefix, triggers, image, *index, None,
                ));
            }
        }
        *index += 1;
    } else if let Some(stage) = item.get("stage") {
        let stage_start = *index;
        let env = stage
            .get("deployment")
            .and_then(Node::as_str)
            .map(str::to_string);
        let manual = stage.get("trigger").and_then(Node::as_str) == Some("manual");
        for s in stage.get("steps").map(Node::as_seq).unwrap_or(&[]) {
            if let Some(step) = s.get("step") {
                let mut j = step_job(step, s.line, prefix, triggers, image, *index, env.clone());
                if manual {
                    j.manual_gate = Some("stage trigger: manual".into());
                }
                // Steps of a stage run one after the other.
                if let Some(prev) = jobs.last().filter(|_| *index > stage_start) {
                    j.needs = vec![prev.id.clone()];
                }
                jobs.push(j);
                *index += 1;
            }
        }
    }
}

fn step_job(
    step: &Node,
    line: u32,
    prefix: &str,
    triggers: &Triggers,
    image: &Option<String>,
    index: usize,
    environment: Option<String>,
) -> Job {
    let name = step
        .get("name")
        .and_then(Node::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("step {}", index + 1));
    let id = format!("{prefix}/{name}");
    let mut steps = Vec::new();
    for key in ["script", "after-script"] {
        for s in step.get(key).map(Node::as_seq).unwrap_or(&[]) {
            if let Some(text) = s.as_str() {
                steps.push(Step {
                    line: s.line,
                    run: Some((text.to_string(), s.text_line())),
                    ..Default::default()
                });
            } else if let Some(pipe) = s.get("pipe").and_then(Node::as_str) {
                steps.push(Step {
                    line: s.line,
                    uses: Some(image_reference(pipe)),
                    with: s
                        .get("variables")
                        .map(|v| {
                            v.entries()
                                .filter_map(|(k, _, x)| {
                                    x.as_str().map(|y| (k.to_string(), y.to_string()))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    ..Default::default()
                });
            }
        }
    }
    let mut job = Job {
        id: id.clone(),
        name: id,
        line,
        triggers: Some(triggers.clone()),
        environment: step
            .get("deployment")
            .and_then(Node::as_str)
            .map(str::to_string)
            .or(environment),
        image: image_of(step).or_else(|| image.clone()),
        steps,
        ..Default::default()
    };
    if step.get("trigger").and_then(Node::as_str) == Some("manual") {
        job.manual_gate = Some("trigger: manual".into());
    }
    if step.get("oidc").is_some_and(Node::is_true) {
        job.credentials.insert("oidc".into());
    }
    job
}
