//! GitHub Apps that release from the repository without a workflow file, configured by
//! a file of the repository: the release-please App (`.github/release-please.yml`)
//! watches pushes to the default branch, keeps a release pull request open and, when a
//! person merges it, tags and publishes the GitHub release. Read as a pipeline of one
//! job, so that the release criteria see it; the App itself runs outside the
//! repository, so its tool use is a judgement.

use super::{Job, Pipeline, Step, Triggers, DEFAULT_BRANCH};
use crate::extractors::{Ctx, Extractor, FileInput, Output};

pub struct GithubApps;

const PROVIDER: &str = "github-app";
const RELEASE_PLEASE_CONFIG: &str = ".github/release-please.yml";
const RELEASE_PLEASE_TOOL: &str = "release-please";

impl Extractor for GithubApps {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        path == RELEASE_PLEASE_CONFIG
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        if input.text.trim().is_empty() {
            return;
        }
        let matched = format!("the release-please GitHub App, configured by {path}");
        let Some(m) = ctx.tools.use_of(RELEASE_PLEASE_TOOL, &matched) else {
            return;
        };
        let m = m.judged(format!(
            "the release-please App runs outside the repository; {path} says it is installed"
        ));
        let triggers = Triggers {
            push: true,
            push_branches: vec![DEFAULT_BRANCH.to_string()],
            ..Default::default()
        };
        let job = Job {
            id: "release-please".into(),
            name: "release-please".into(),
            line: 1,
            triggers: Some(triggers.clone()),
            // The release happens when a person merges the release pull request.
            manual_gate: Some("the release pull request is merged by a person".into()),
            steps: vec![Step {
                name: Some("release-please".into()),
                line: 1,
                tools: vec![m],
                ..Default::default()
            }],
            ..Default::default()
        };
        out.pipelines.push(Pipeline::of_one_job(
            PROVIDER,
            input,
            "release-please GitHub App".into(),
            triggers,
            job,
        ));
    }
}
