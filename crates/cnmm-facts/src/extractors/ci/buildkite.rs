//! Buildkite: `.buildkite/pipeline*.yml`, parsed into the normalised pipeline model.
//! Builds run on pushes and pull requests (the pipeline's settings; tags and schedules
//! only when a condition asks for them), except a second file named for releases or
//! tags, read as built from tags (a judgement: the settings are not in the repository). Command steps run in parallel between `wait`
//! and `block`/`input` steps; everything after a `block` waits for a person. `branches`
//! filters and `if` conditions (`build.branch`, `build.tag`, `build.pull_request.id`,
//! `build.source`) narrow when a step runs; `plugins` are step references.

use super::bitbucket::image_reference;
use super::{Job, Permissions, Pipeline, PipelineKind, Step, Triggers};
use crate::extractors::{
    file_name, parent_dir, yaml_diagnostic, Ctx, Extractor, FileInput, Output,
};
use crate::yaml::{self, Node, Value};
use cnmm_model::Diagnostic;

pub struct Buildkite;

const PROVIDER: &str = "buildkite";

/// Groups nest one level in Buildkite; more is read no deeper than this.
const MAX_GROUP_DEPTH: usize = 4;

impl Extractor for Buildkite {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        parent_dir(path) == ".buildkite"
            && name.starts_with("pipeline")
            && (name.ends_with(".yml") || name.ends_with(".yaml"))
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
        // A pipeline is a mapping with `steps:` or a bare list of steps.
        let steps = match &doc.value {
            Value::Seq(_) => &doc,
            Value::Map(_) => match doc.get("steps") {
                Some(s) => s,
                None => {
                    out.diagnostics.push(Diagnostic::warning(
                        path,
                        Some(1),
                        "no `steps:`; nothing runs",
                    ));
                    return;
                }
            },
            _ => return,
        };
        let judgement = release_pipeline(path).then(|| RELEASE_PIPELINE_JUDGEMENT.to_string());
        let base = if judgement.is_some() {
            Triggers {
                tag: true,
                ..Default::default()
            }
        } else {
            Triggers {
                push: true,
                pull_request: true,
                ..Default::default()
            }
        };
        let mut r = StepReader {
            base: base.clone(),
            jobs: Vec::new(),
            group: 0,
            gate: None,
        };
        r.read(steps, 0);
        let mut p = Pipeline {
            provider: PROVIDER,
            path: path.to_string(),
            name: path.to_string(),
            kind: PipelineKind::Pipeline,
            triggers: base,
            triggers_line: 1,
            triggers_judgement: judgement,
            permissions: Permissions::Undeclared,
            jobs: r.jobs,
            shared: Vec::new(),
            excluded: None,
        };
        p.excluded = input.file.excluded.as_deref().map(String::from);
        out.pipelines.push(p);
    }
}

const RELEASE_PIPELINE_JUDGEMENT: &str = "Buildkite keeps a pipeline's triggers in its settings, not in the repository; a second pipeline file named for releases or tags is read as built from tag pushes";

/// A pipeline file beside the main one whose name says it releases
/// (`pipeline.release.yml`, `pipeline-tags.yaml`): teams point a second Buildkite
/// pipeline, built from tags, at such a file. `pipeline.yml` itself is the main one.
fn release_pipeline(path: &str) -> bool {
    let name = file_name(path);
    let stem = name
        .strip_prefix("pipeline")
        .unwrap_or(name)
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml");
    stem.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "release" | "releases" | "tag" | "tags"
        )
    })
}

struct StepReader {
    base: Triggers,
    jobs: Vec<Job>,
    /// Steps between two `wait`/`block` steps share a group, in order.
    group: usize,
    /// The block step everything after waits for.
    gate: Option<String>,
}

impl StepReader {
    fn read(&mut self, steps: &Node, depth: usize) {
        for s in steps.as_seq() {
            if s.as_str() == Some("wait") || s.get("wait").is_some() && s.get("command").is_none() {
                self.group += 1;
                continue;
            }
            if let Some(label) = ["block", "input"]
                .iter()
                .find_map(|k| s.get(k).map(|v| v.as_str().unwrap_or(k).to_string()))
                .or_else(|| (s.as_str() == Some("block")).then(|| "block".to_string()))
            {
                self.group += 1;
                let mut j = self.job(&label, s);
                j.manual_gate = Some(format!("block step `{label}`"));
                self.jobs.push(j);
                self.gate = Some(label);
                self.group += 1;
                continue;
            }
            if let Some(inner) = s.get("steps").filter(|_| s.get("group").is_some()) {
                if depth < MAX_GROUP_DEPTH {
                    self.read(inner, depth + 1);
                }
                continue;
            }
            if !s.is_map() {
                continue;
            }
            let label = s
                .get("label")
                .or_else(|| s.get("key"))
                .or_else(|| s.get("name"))
                .and_then(Node::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("step@{}", s.line));
            let mut j = self.job(&label, s);
            if let Some(gate) = &self.gate {
                j.manual_gate = Some(format!("after block step `{gate}`"));
            }
            if let Some(c) = s.get("command").or_else(|| s.get("commands")) {
                let items: Vec<&Node> = if c.is_seq() {
                    c.as_seq().iter().collect()
                } else {
                    vec![c]
                };
                for n in items {
                    if let Some(text) = n.as_str() {
                        // The agent's OIDC token for the job (Buildkite Packages, cloud
                        // roles): a machine identity.
                        if text.contains("buildkite-agent oidc request-token") {
                            j.credentials.insert("oidc".into());
                        }
                        j.steps.push(Step {
                            line: n.line,
                            run: Some((text.to_string(), n.text_line())),
                            ..Default::default()
                        });
                    }
                }
            }
            for p in s.get("plugins").map(Node::as_seq).unwrap_or(&[]) {
                let (name, cfg) = match &p.value {
                    Value::Scalar(n, _) => (n.clone(), Node::empty()),
                    Value::Map(m) if !m.is_empty() => match m[0].0.as_str() {
                        Some(k) => (k.to_string(), &m[0].1),
                        None => continue,
                    },
                    _ => continue,
                };
                let with = cfg
                    .entries()
                    .filter_map(|(k, _, v)| v.as_str().map(|x| (k.to_string(), x.to_string())))
                    .collect();
                if let Some(img) = cfg.get("image").and_then(Node::as_str) {
                    j.image = Some(img.to_string());
                }
                // Plugins that assume a cloud role with the job's OIDC token.
                let plugin = name.split('#').next().unwrap_or(&name).to_ascii_lowercase();
                if plugin.ends_with("aws-assume-role-with-web-identity")
                    || plugin.contains("workload-identity")
                {
                    j.credentials.insert("oidc".into());
                }
                j.steps.push(Step {
                    line: p.line,
                    uses: Some(image_reference(&name.replace('#', "@"))),
                    with,
                    ..Default::default()
                });
            }
            self.jobs.push(j);
        }
    }

    fn job(&self, label: &str, s: &Node) -> Job {
        let mut t = self.base.clone();
        if let Some(b) = s.get("branches").and_then(Node::as_str) {
            let (neg, pos): (Vec<&str>, Vec<&str>) =
                b.split_whitespace().partition(|x| x.starts_with('!'));
            if !pos.is_empty() {
                t.push_branches = pos.iter().map(|x| x.to_string()).collect();
                t.pull_request = false;
            }
            t.push_branches_ignore = neg
                .iter()
                .map(|x| x.trim_start_matches('!').to_string())
                .collect();
        }
        if let Some(c) = s.get("if").and_then(Node::as_str) {
            t = condition(&t, c);
        }
        Job {
            id: label.to_string(),
            name: label.to_string(),
            line: s.line,
            triggers: Some(t),
            stage: Some((format!("group {}", self.group), self.group)),
            needs: s.get("depends_on").map(Node::str_list).unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// Buildkite conditional expressions, roughly: `&&` narrows, `||` is left alone.
fn condition(t: &Triggers, c: &str) -> Triggers {
    let compact: String = c
        .chars()
        .filter(|x| !x.is_whitespace())
        .collect::<String>()
        .replace('\'', "\"");
    if compact.contains("||") {
        return t.clone();
    }
    let mut n = t.clone();
    for part in compact.split("&&") {
        if let Some(b) = part
            .strip_prefix("build.branch==\"")
            .and_then(|r| r.strip_suffix('"'))
        {
            // A branch condition runs on pushes even where the base assumed tags only.
            n.push = true;
            n.push_branches = vec![b.to_string()];
            n.pull_request = false;
            n.tag = false;
        } else if part == "build.tag!=null" || part.starts_with("build.tag=~") {
            n = Triggers {
                tag: true,
                ..Default::default()
            };
        } else if part == "build.tag==null" {
            n.tag = false;
        } else if part == "build.pull_request.id!=null" {
            n.push = false;
            n.tag = false;
        } else if part == "build.pull_request.id==null" {
            n.pull_request = false;
        } else if part == "build.source==\"schedule\"" {
            n = Triggers {
                schedule: true,
                ..Default::default()
            };
        } else if part == "build.source==\"ui\"" {
            n = Triggers {
                manual: true,
                ..Default::default()
            };
        }
    }
    n
}
