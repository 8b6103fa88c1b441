//! Travis CI: `.travis.yml`, parsed into the normalised pipeline model. A build runs
//! its phases (`install`, `script`, `deploy`...) on pushes to every branch (or those
//! `branches:` allows), on tags and on pull requests; `jobs.include` adds jobs, which
//! `stages:` order. `if:` conditions are read roughly (`type`, `branch`, `tag`).
//! Cron builds are a repository setting, not part of the file: a schedule is counted
//! only when a condition asks for `type = cron`. `deploy:` runs only on the default
//! branch, never for pull requests, unless its `on:` says otherwise (`tags: true`,
//! `branch:`, `all_branches:`).

use super::{Job, Permissions, Pipeline, PipelineKind, Step, Triggers, DEFAULT_BRANCH};
use crate::extractors::{yaml_mapping, Ctx, Extractor, FileInput, Output};
use crate::yaml::Node;

pub struct Travis;

const PROVIDER: &str = "travis-ci";

const PHASES: &[&str] = &[
    "before_install",
    "install",
    "before_script",
    "script",
    "after_success",
    "before_deploy",
    "after_deploy",
];

impl Extractor for Travis {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        path == ".travis.yml"
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let Some(doc) = yaml_mapping(input, "a Travis configuration", out) else {
            return;
        };
        let mut base = Triggers {
            push: true,
            tag: true,
            pull_request: true,
            ..Default::default()
        };
        if let Some(b) = doc.get("branches") {
            base.push_branches = b.get("only").map(Node::str_list).unwrap_or_default();
            base.push_branches_ignore = b.get("except").map(Node::str_list).unwrap_or_default();
        }
        if let Some(c) = doc.get("if").and_then(Node::as_str) {
            base = condition(&base, c);
        }
        let stages: Vec<String> = doc
            .get("stages")
            .map(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|s| {
                s.as_str()
                    .or_else(|| s.get("name").and_then(Node::as_str))
                    .map(|x| x.to_ascii_lowercase())
            })
            .collect();
        let mut jobs = Vec::new();
        let include = doc
            .path(&["jobs", "include"])
            .or_else(|| doc.path(&["matrix", "include"]));
        // The build matrix (language versions x the top-level phases) always runs, in
        // the first stage; `jobs.include` adds jobs to it.
        if doc.get("script").is_some() || include.is_none_or(|l| l.as_seq().is_empty()) {
            let line = doc.entry("script").map_or(1, |(k, _)| k.line);
            let first = stages.first().map(|s| (s.clone(), 0));
            jobs.extend(job("build", line, doc, doc, &base, first));
        }
        match include {
            Some(list) if !list.as_seq().is_empty() => {
                let mut current_stage = "test".to_string();
                for (i, j) in list.as_seq().iter().enumerate() {
                    if let Some(s) = j.get("stage").and_then(Node::as_str) {
                        current_stage = s.to_ascii_lowercase();
                    }
                    let name = j
                        .get("name")
                        .and_then(Node::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{current_stage} {}", i + 1));
                    let stage = stages
                        .iter()
                        .position(|s| *s == current_stage)
                        .map(|p| (current_stage.clone(), p));
                    jobs.extend(job(&name, j.line, j, doc, &base, stage));
                }
            }
            _ => {}
        }
        let mut p = Pipeline {
            provider: PROVIDER,
            path: path.to_string(),
            name: path.to_string(),
            kind: PipelineKind::Pipeline,
            triggers: base,
            triggers_line: doc.entry("branches").map_or(1, |(k, _)| k.line),
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

/// A job's phases (its own, else the top level's), plus its deploys as jobs of their own
/// since they run on other triggers.
fn job(
    name: &str,
    line: u32,
    j: &Node,
    top: &Node,
    base: &Triggers,
    stage: Option<(String, usize)>,
) -> Vec<Job> {
    let triggers = match j.get("if").and_then(Node::as_str) {
        Some(c) if !std::ptr::eq(j, top) => condition(base, c),
        _ => base.clone(),
    };
    let mut main = Job {
        id: name.to_string(),
        name: name.to_string(),
        line,
        triggers: Some(triggers.clone()),
        stage: stage.clone(),
        ..Default::default()
    };
    for phase in PHASES {
        let Some(n) = j.get(phase).or_else(|| top.get(phase)) else {
            continue;
        };
        let items: Vec<&Node> = if n.is_seq() {
            n.as_seq().iter().collect()
        } else {
            vec![n]
        };
        for c in items {
            if let Some(text) = c.as_str() {
                main.steps.push(Step {
                    name: Some(phase.to_string()),
                    line: c.line,
                    run: Some((text.to_string(), c.text_line())),
                    ..Default::default()
                });
            }
        }
    }
    let mut out = vec![main];
    // The top-level deploy belongs to the build matrix; included jobs deploy only when
    // they say so.
    let deploys = if std::ptr::eq(j, top) {
        top.get("deploy")
    } else {
        j.get("deploy")
    };
    let list: Vec<&Node> = match deploys {
        Some(d) if d.is_seq() => d.as_seq().iter().collect(),
        Some(d) => vec![d],
        None => Vec::new(),
    };
    for (i, d) in list.into_iter().enumerate() {
        let provider = d.get("provider").and_then(Node::as_str).unwrap_or("script");
        let on = d.get("on");
        let mut t = Triggers::default();
        if on.and_then(|o| o.get("tags")).is_some_and(Node::is_true) {
            t.tag = triggers.tag;
        } else {
            t.push = triggers.push;
            t.push_branches = match on.and_then(|o| o.get("branch")) {
                Some(b) => b.str_list(),
                None if on
                    .and_then(|o| o.get("all_branches"))
                    .is_some_and(Node::is_true) =>
                {
                    Vec::new()
                }
                None => vec![DEFAULT_BRANCH.to_string()],
            };
        }
        let mut deploy = Job {
            id: format!("{name}/deploy-{provider}-{}", i + 1),
            name: format!("deploy {provider}"),
            line: d.line,
            triggers: Some(t),
            stage: stage.clone(),
            needs: vec![name.to_string()],
            ..Default::default()
        };
        deploy.steps.push(Step {
            name: Some("deploy".into()),
            line: d.line,
            uses: Some(format!("travis/deploy/{provider}")),
            ..Default::default()
        });
        if let Some(script) = d.get("script").and_then(Node::as_str) {
            let s = d.get("script").unwrap_or(Node::empty());
            deploy.steps.push(Step {
                line: s.line,
                run: Some((script.to_string(), s.text_line())),
                ..Default::default()
            });
        }
        out.push(deploy);
    }
    out
}

/// `if:` conditions: `type = pull_request`, `type IN (push, cron)`, `branch = main`,
/// `tag IS present`, joined by AND; anything else is left alone.
fn condition(base: &Triggers, c: &str) -> Triggers {
    let lower = c.to_ascii_lowercase();
    if lower.contains(" or ") {
        return base.clone();
    }
    let mut t = base.clone();
    for part in lower.split(" and ") {
        let p: String = part.split_whitespace().collect::<Vec<_>>().join(" ");
        let p = p.trim_start_matches('(').trim_end_matches(')').trim();
        if let Some(v) = p
            .strip_prefix("type = ")
            .or_else(|| p.strip_prefix("type == "))
        {
            t = only_types(&t, &[v.trim()]);
        } else if let Some(v) = p.strip_prefix("type in (") {
            let types: Vec<&str> = v.trim_end_matches(')').split(',').map(str::trim).collect();
            t = only_types(&t, &types);
        } else if let Some(v) = p.strip_prefix("type != ") {
            match v.trim() {
                "pull_request" => t.pull_request = false,
                "cron" => t.schedule = false,
                "push" => {
                    t.push = false;
                    t.tag = false;
                }
                _ => {}
            }
        } else if let Some(v) = p.strip_prefix("branch = ") {
            let original = c
                .split_whitespace()
                .find(|w| w.eq_ignore_ascii_case(v.trim()))
                .unwrap_or(v.trim());
            t.push_branches = vec![original.to_string()];
            t.pull_request = false;
            t.tag = false;
        } else if p.starts_with("tag is present") || p.starts_with("tag =~") {
            t = Triggers {
                tag: base.tag,
                ..Default::default()
            };
        } else if p.starts_with("tag is blank") {
            t.tag = false;
        }
    }
    t
}

fn only_types(t: &Triggers, types: &[&str]) -> Triggers {
    let mut n = Triggers::default();
    for ty in types {
        match *ty {
            "push" => {
                n.push = t.push;
                n.push_branches = t.push_branches.clone();
                n.push_branches_ignore = t.push_branches_ignore.clone();
                n.tag = t.tag;
            }
            "pull_request" => n.pull_request = t.pull_request,
            "cron" => n.schedule = true,
            "api" => n.manual = true,
            _ => {}
        }
    }
    n
}
