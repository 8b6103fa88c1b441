//! Drone (`.drone.yml`, one pipeline per YAML document) and Woodpecker (`.woodpecker.yml`,
//! `.woodpecker/*.yml`), parsed into the normalised pipeline model. Both run steps in
//! containers: `commands` are scripts, a step without commands is a plugin (its image
//! is the step reference). `trigger:` (Drone) or top-level `when:` (Woodpecker) and each
//! step's `when:` filter by event (`push`, `pull_request`, `tag`, `cron`, and
//! `promote`/`deployment`/`manual`, which a person starts) and branch.

use super::bitbucket::image_reference;
use super::{intersect, Job, Permissions, Pipeline, PipelineKind, Step, Triggers};
use crate::extractors::{
    file_name, parent_dir, yaml_diagnostic, Ctx, Extractor, FileInput, Output,
};
use crate::yaml::{self, Node, Value};
use cnmm_model::Diagnostic;

pub struct DroneWoodpecker;

impl Extractor for DroneWoodpecker {
    fn name(&self) -> &'static str {
        "drone-woodpecker"
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
        matches!(
            path,
            ".drone.yml" | ".drone.yaml" | ".woodpecker.yml" | ".woodpecker.yaml"
        ) || (yaml && parent_dir(path) == ".woodpecker")
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let provider = if path.starts_with(".drone") {
            "drone"
        } else {
            "woodpecker"
        };
        let parsed = yaml::parse(input.text, yaml::Limits::default());
        if let Some(err) = &parsed.error {
            out.diagnostics.push(yaml_diagnostic(path, err));
        }
        let mut jobs = Vec::new();
        let mut all = Triggers::default();
        let mut triggers_line = 1;
        for doc in &parsed.documents {
            if doc.is_null() {
                continue;
            }
            if !doc.is_map() {
                out.diagnostics.push(Diagnostic::warning(
                    path,
                    Some(doc.line.max(1)),
                    "a pipeline document must be a YAML mapping; skipped",
                ));
                continue;
            }
            // Drone documents of other kinds (secret, signature) hold no steps.
            if doc
                .get("kind")
                .and_then(Node::as_str)
                .is_some_and(|k| k != "pipeline")
            {
                continue;
            }
            let (filter, line) = match doc.entry("trigger").or_else(|| doc.entry("when")) {
                Some((k, v)) => (Some(v), k.line),
                None => (None, 1),
            };
            if triggers_line == 1 {
                triggers_line = line;
            }
            let base = match filter {
                Some(f) => when_triggers(f, &default_events()),
                None => default_events(),
            };
            all.union(&base);
            // Woodpecker names a workflow after its file.
            let stem = file_name(path)
                .trim_end_matches(".yml")
                .trim_end_matches(".yaml")
                .trim_start_matches('.');
            let name = doc
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or(stem)
                .to_string();
            let steps_node = doc.get("steps").or_else(|| doc.get("pipeline"));
            let steps: Vec<(String, u32, &Node)> = match steps_node.map(|n| &n.value) {
                Some(Value::Seq(items)) => items
                    .iter()
                    .filter(|s| s.is_map())
                    .enumerate()
                    .map(|(i, s)| {
                        let n = s
                            .get("name")
                            .and_then(Node::as_str)
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("step {}", i + 1));
                        (n, s.line, s)
                    })
                    .collect(),
                Some(Value::Map(_)) => steps_node
                    .map(|n| {
                        n.entries()
                            .filter(|(_, _, v)| v.is_map())
                            .map(|(k, kn, v)| (k.to_string(), kn.line, v))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let mut previous: Option<String> = None;
            for (step_name, line, s) in steps {
                let id = format!("{name}/{step_name}");
                let triggers = match s.get("when") {
                    Some(w) => when_triggers(w, &base),
                    None => base.clone(),
                };
                let image = s.get("image").and_then(Node::as_str).map(str::to_string);
                let mut job = Job {
                    id: id.clone(),
                    name: id.clone(),
                    line,
                    triggers: Some(triggers),
                    image: image.clone(),
                    ..Default::default()
                };
                let depends = s.get("depends_on").map(Node::str_list).unwrap_or_default();
                job.needs = if depends.is_empty() {
                    previous.iter().cloned().collect()
                } else {
                    depends.iter().map(|d| format!("{name}/{d}")).collect()
                };
                let commands = s.get("commands").map(Node::as_seq).unwrap_or(&[]);
                for c in commands {
                    if let Some(text) = c.as_str() {
                        job.steps.push(Step {
                            line: c.line,
                            run: Some((text.to_string(), c.text_line())),
                            ..Default::default()
                        });
                    }
                }
                if commands.is_empty() {
                    if let Some(img) = &image {
                        let with = s
                            .get("settings")
                            .map(|st| {
                                st.entries()
                                    .filter_map(|(k, _, v)| {
                                        v.as_str().map(|x| (k.to_string(), x.to_string()))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        job.steps.push(Step {
                            line,
                            uses: Some(image_reference(img)),
                            with,
                            ..Default::default()
                        });
                    }
                }
                let from_secret = |key: &str| {
                    s.get(key).is_some_and(|e| {
                        e.entries().any(|(_, _, v)| v.get("from_secret").is_some())
                    })
                };
                if s.get("secrets").is_some()
                    || from_secret("environment")
                    || from_secret("settings")
                {
                    // The secret belongs to the account the step signs in as: a bot
                    // account's (`username: woodpeckerbot`) is a bot token.
                    let bot = s.get("settings").is_some_and(|st| {
                        st.entries().any(|(k, _, v)| {
                            ACCOUNT_SETTINGS.contains(&k) && v.as_str().is_some_and(is_bot_account)
                        })
                    });
                    job.credentials
                        .insert(if bot { "bot-token" } else { "secret" }.into());
                }
                previous = Some(id);
                jobs.push(job);
            }
        }
        let provider_name: &'static str = provider;
        let mut p = Pipeline {
            provider: provider_name,
            path: path.to_string(),
            name: path.to_string(),
            kind: PipelineKind::Pipeline,
            triggers: all,
            triggers_line,
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

/// Without a filter: pushes, pull requests and tags.
fn default_events() -> Triggers {
    Triggers {
        push: true,
        pull_request: true,
        tag: true,
        ..Default::default()
    }
}

/// The repository's default branch written as a variable (`${CI_REPO_DEFAULT_BRANCH}`,
/// Drone's `$DRONE_REPO_BRANCH`).
fn default_branch_variable(name: &str) -> Option<String> {
    let var = name.trim().trim_start_matches('$');
    let var = var
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .unwrap_or(var);
    matches!(var, "CI_REPO_DEFAULT_BRANCH" | "DRONE_REPO_BRANCH")
        .then(|| super::DEFAULT_BRANCH.to_string())
}

/// `event`/`branch` filters (a map, or Woodpecker's list of alternatives) within `base`.
fn when_triggers(w: &Node, base: &Triggers) -> Triggers {
    if w.is_seq() {
        let mut t = Triggers::default();
        for alt in w.as_seq() {
            t.union(&when_triggers(alt, base));
        }
        return t;
    }
    let mut wanted = base.clone();
    if let Some(events) = w.get("event") {
        let list = include_list(events);
        if !list.is_empty() {
            let mut e = Triggers::default();
            for ev in &list {
                match ev.as_str() {
                    "push" => e.push = true,
                    "pull_request" | "pull_request_closed" => e.pull_request = true,
                    "tag" => e.tag = true,
                    "cron" => e.schedule = true,
                    "promote" | "rollback" | "deployment" | "manual" | "custom" => e.manual = true,
                    other => {
                        e.other.insert(other.to_string());
                    }
                }
            }
            // Events named here run even when the defaults would not have them.
            let mut widened = base.clone();
            widened.schedule |= e.schedule;
            widened.manual |= e.manual;
            widened.other.extend(e.other.iter().cloned());
            wanted = intersect(&widened, &e);
        }
        for ev in exclude_list(events) {
            match ev.as_str() {
                "push" => wanted.push = false,
                "pull_request" => wanted.pull_request = false,
                "tag" => wanted.tag = false,
                "cron" => wanted.schedule = false,
                _ => {}
            }
        }
    }
    if let Some(b) = w.get("branch") {
        let include: Vec<String> = include_list(b)
            .into_iter()
            .map(|name| default_branch_variable(&name).unwrap_or(name))
            .collect();
        if !include.is_empty() && wanted.push {
            wanted.push_branches = include;
        }
        wanted.push_branches_ignore.extend(exclude_list(b));
    }
    wanted
}

fn include_list(n: &Node) -> Vec<String> {
    match n.get("include") {
        Some(i) => i.str_list(),
        None if n.is_map() => Vec::new(),
        None => n.str_list(),
    }
}

fn exclude_list(n: &Node) -> Vec<String> {
    n.get("exclude").map(Node::str_list).unwrap_or_default()
}

/// Plugin settings that name the account a step's secret belongs to.
const ACCOUNT_SETTINGS: &[&str] = &[
    "username",
    "user",
    "login",
    "git_user",
    "git_email",
    "author_email",
];

/// A bot account by its name: `woodpeckerbot`, `release-bot`, `ci_bot@example.org`,
/// `renovate[bot]`, `bot-releases`.
fn is_bot_account(name: &str) -> bool {
    let local = name.split('@').next().unwrap_or(name).to_ascii_lowercase();
    let local = local
        .strip_suffix("[bot]")
        .map_or(local.as_str(), |_| "bot");
    local == "bot"
        || local.starts_with("bot-")
        || local.starts_with("bot_")
        || ["-bot", "_bot", ".bot"].iter().any(|b| local.ends_with(b))
        // Long enough not to be a surname (Abbot, Talbot).
        || (local.len() > 6 && local.ends_with("bot"))
}

#[cfg(test)]
mod tests {
    use super::is_bot_account;

    #[test]
    fn bot_accounts_by_name() {
        for bot in [
            "woodpeckerbot",
            "woodpecker-bot@example.org",
            "renovate[bot]",
            "bot-releases",
            "ci_bot",
        ] {
            assert!(is_bot_account(bot), "{bot}");
        }
        for person in ["octocat", "talbot", "abbot@example.org", "robotics-lab"] {
            assert!(!is_bot_account(person), "{person}");
        }
    }
}
