//! Google Cloud Build: `cloudbuild*.yaml`/`.yml`, parsed into the normalised pipeline
//! model. Each step runs a builder image: with `entrypoint`, the command is the
//! entrypoint and its `args`; a `gcr.io/cloud-builders/<tool>` builder's entrypoint is
//! `<tool>`; a `script` is a shell script. Images listed under `images:` are pushed by
//! Cloud Build after the steps, which is read as a `docker push` of each.
//!
//! Triggers are configured in Google Cloud, not in the file, so a build config says
//! nothing about when it runs: its triggers are reported as `gcp-trigger`, which counts
//! as neither automatic nor manual. A publish or deploy still counts where a rule does
//! not ask how it is triggered. One convention says more: a trusted-contribution bot
//! configured to comment `/gcbrun` on pull requests (`.github/trusted-contribution.yml`)
//! runs Cloud Build's comment-controlled pull-request triggers, so the repository's
//! build configs are read as running on pull requests (a judgement).

use super::{Job, Pipeline, Step, Triggers};
use crate::extractors::{file_name, yaml_diagnostic, Ctx, Extractor, FileInput, Output};
use crate::yaml::{self, Node};
use cnmm_model::Diagnostic;

pub struct CloudBuild;

const PROVIDER: &str = "cloud-build";

/// The trusted-contribution bot's configuration, whose `/gcbrun` annotations start
/// Cloud Build's pull-request triggers.
const TRUSTED_CONTRIBUTION: &str = ".github/trusted-contribution.yml";

const BUILDER_PREFIXES: &[&str] = &["gcr.io/cloud-builders/", "gcr.io/google.com/cloudsdktool/"];

impl Extractor for CloudBuild {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        // `cloudbuild.yaml`, `cloudbuild-release.yaml`, `build/int.cloudbuild.yaml`.
        let name = file_name(path);
        (name.starts_with("cloudbuild") || name.contains(".cloudbuild."))
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let parsed = yaml::parse(input.text, yaml::Limits::default());
        if let Some(err) = &parsed.error {
            out.diagnostics.push(yaml_diagnostic(path, err));
        }
        let Some(doc) = parsed.documents.into_iter().next() else {
            return;
        };
        let Some((sk, steps)) = doc.entry("steps") else {
            if doc.is_map() {
                out.diagnostics.push(Diagnostic::warning(
                    path,
                    Some(1),
                    "no `steps:`; not a Cloud Build config",
                ));
            }
            return;
        };
        let gcbrun = ctx
            .file(TRUSTED_CONTRIBUTION)
            .and_then(|f| ctx.read_text(f).ok())
            .is_some_and(|t| t.contains("/gcbrun"));
        let triggers = Triggers {
            other: ["gcp-trigger".to_string()].into(),
            pull_request: gcbrun,
            ..Default::default()
        };
        let described = gcbrun.then(|| {
            format!("Cloud Build triggers are kept in Google Cloud; {TRUSTED_CONTRIBUTION} comments `/gcbrun` on pull requests, which runs them there")
        });
        let mut job = Job {
            id: "build".into(),
            name: "build".into(),
            line: sk.line,
            triggers: Some(triggers.clone()),
            ..Default::default()
        };
        for s in steps.as_seq() {
            let Some(image) = s.get("name").and_then(Node::as_str) else {
                continue;
            };
            let mut args: Vec<String> = s.get("args").map(Node::str_list).unwrap_or_default();
            let mut arg_nodes = s.get("args").map(Node::as_seq).unwrap_or(&[]);
            // Without an entrypoint, args that start with a shell or a program's path
            // (`['/bin/bash', '-c', 'cft test run all']`) are the command the step runs.
            let own_command = s.get("entrypoint").is_none()
                && !BUILDER_PREFIXES.iter().any(|p| image.starts_with(p))
                && args
                    .first()
                    .is_some_and(|a| a.starts_with('/') || matches!(a.as_str(), "bash" | "sh"));
            let command_entry = if own_command {
                let first = args.remove(0);
                arg_nodes = arg_nodes.get(1..).unwrap_or(&[]);
                Some(first.rsplit('/').next().unwrap_or(&first).to_string())
            } else {
                None
            };
            let entry = command_entry.or_else(|| {
                s.get("entrypoint")
                    .and_then(Node::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        BUILDER_PREFIXES.iter().find_map(|p| {
                            image.strip_prefix(p).map(|rest| {
                                rest.split([':', '@']).next().unwrap_or(rest).to_string()
                            })
                        })
                    })
            });
            let run = if let Some(script) = s.get("script") {
                script.as_str().map(|t| (t.to_string(), script.text_line()))
            } else if let Some(e) = entry {
                let line = arg_nodes.first().map_or(s.line, |a| a.line);
                // `bash -c '<script>'` runs the script.
                if (e == "bash" || e == "sh") && args.first().map(String::as_str) == Some("-c") {
                    arg_nodes
                        .get(1)
                        .and_then(|n| n.as_str().map(|x| (x.to_string(), n.text_line())))
                } else {
                    let mut words = vec![e];
                    words.extend(args.iter().map(|a| shell_quote(a)));
                    Some((words.join(" "), line))
                }
            } else {
                None
            };
            job.steps.push(Step {
                name: s.get("id").and_then(Node::as_str).map(str::to_string),
                line: s.line,
                image: Some(image.to_string()),
                run,
                described: described.clone(),
                ..Default::default()
            });
            if s.get("secretEnv").is_some() {
                job.credentials.insert("secret".into());
            }
        }
        for img in doc.get("images").map(Node::as_seq).unwrap_or(&[]) {
            if let Some(name) = img.as_str() {
                job.steps.push(Step {
                    name: Some("images".into()),
                    line: img.line,
                    run: Some((format!("docker push {}", shell_quote(name)), img.line)),
                    ..Default::default()
                });
            }
        }
        out.pipelines.push(Pipeline::of_one_job(
            PROVIDER,
            input,
            path.to_string(),
            triggers,
            job,
        ));
    }
}

/// Quotes an argument for the shell splitter when it holds spaces or quotes.
fn shell_quote(a: &str) -> String {
    if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"\\;&|<>()$`".contains(c)) {
        format!("'{}'", a.replace('\'', "'\\''"))
    } else {
        a.to_string()
    }
}
