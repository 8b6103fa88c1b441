//! The tool catalog: which tools exist, what they are (container scanner, linter, SBOM
//! generator, signer...) and how to recognise their use in a pipeline. The data lives in
//! `rules/catalog/*.yaml`; this module only holds its shape.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Category id → its description and the broader categories it implies
    /// (`container-scan` implies `security-scan`).
    #[serde(default)]
    pub categories: BTreeMap<String, CategorySpec>,
    /// Commands that run another command (`sudo`, `npx`, `uv run`, `python -m`): the
    /// words after them are matched as a command of their own. Options in brackets are
    /// the wrapper's own that take a value as the next word (`"go tool [-modfile]"`:
    /// `go tool -modfile tools/go.mod golangci-lint run` runs golangci-lint).
    #[serde(default)]
    pub wrappers: Vec<String>,
    /// Commands that install tools: a tool named in their arguments is installed, not run.
    #[serde(default)]
    pub installers: Vec<String>,
    #[serde(default)]
    pub tools: Vec<ToolSpec>,
    /// Which directories are never walked and which never count as evidence.
    #[serde(default)]
    pub paths: PathLists,
    /// Remote GitLab includes that cannot be read offline, described by the jobs they
    /// define.
    #[serde(default)]
    pub remote_includes: Vec<RemoteInclude>,
    /// CircleCI orb namespaces whose orbs a forge organisation of another name publishes
    /// (`circleci` → `CircleCI-Public`): their orbs are that organisation's own.
    #[serde(default)]
    pub orb_namespace_owners: BTreeMap<String, Vec<String>>,
}

/// What the catalog knows of a remote GitLab include (a project file or a CI/CD
/// component) that a scan cannot read offline: the jobs and hidden jobs it defines,
/// written as GitLab CI YAML from its documentation. A pipeline that includes it is
/// read as if those jobs were there; what they run rests on this description, so the
/// verdicts they support are marked as judgements.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteInclude {
    /// The includes it describes: `project:GROUP/PROJECT/FILE` (without `ref`) or
    /// `component:PATH` (without host and version), lower case.
    pub includes: Vec<String>,
    /// One line on what it does, quoted in the evidence.
    pub about: String,
    /// Default values of the component's `$[[ inputs.NAME ]]`, used when the including
    /// pipeline does not set them.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// The jobs, as GitLab CI YAML.
    pub jobs: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathLists {
    /// Directory names not descended into at all (vendored and generated trees).
    #[serde(default)]
    pub prune: Vec<DirRule>,
    /// Directory names whose files are read but whose facts never count (tests,
    /// fixtures, examples); the report keeps them as excluded evidence.
    #[serde(default)]
    pub exclude: Vec<DirRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirRule {
    pub dir: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySpec {
    pub description: String,
    #[serde(default)]
    pub implies: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub categories: Vec<String>,
    /// Command lines, as words: `trivy` matches any `trivy ...` command, `cargo audit`
    /// matches `cargo audit` and `cargo +nightly audit --deny warnings`. The first word
    /// is compared with the command's file name, so `./bin/trivy` is `trivy`.
    #[serde(default)]
    pub run: Vec<String>,
    /// Required flags or arguments anywhere in the command (`-trimpath`); all must appear.
    #[serde(default)]
    pub run_args: Vec<String>,
    /// When set, the command's last argument must match one of these (a trailing `*`
    /// matches any continuation): `s3://*` tells an upload (`aws s3 cp dist s3://b`)
    /// from a download (`aws s3 cp s3://b/x .`).
    #[serde(default)]
    pub last_arg: Vec<String>,
    /// Flags or arguments that make a command something else (`--snapshot`: a
    /// `goreleaser release` that publishes nothing); any one of them vetoes the match.
    #[serde(default)]
    pub not_args: Vec<String>,
    /// Action, orb or step references (`aquasecurity/trivy-action`,
    /// `github/codeql-action/analyze`); a reference matches when it equals the pattern
    /// or continues it with `/`.
    #[serde(default)]
    pub uses: Vec<String>,
    /// Regexes on the last path segment of a step reference, for organisation-shared
    /// actions that cannot be read offline but say what they do by name
    /// (`acme/ci/publish_main`).
    #[serde(default)]
    pub uses_name: Vec<String>,
    /// Required inputs of a matched `uses` step: input name → regex on its value. A
    /// GitHub Actions step's environment variables are inputs named `env.NAME`.
    #[serde(default)]
    pub with: BTreeMap<String, String>,
    /// Inputs of a matched `uses` step that veto it: input name → regex on its value
    /// (`args: --snapshot`).
    #[serde(default)]
    pub without: BTreeMap<String, String>,
    /// Regexes on the name of a GitLab CI/CD component the catalog does not list (the
    /// last segment of its path), for components that say what they do by name
    /// (`acme/ci/release-service`). Never matched against actions or orbs.
    #[serde(default)]
    pub component_name: Vec<String>,
    /// Container images (without tag or digest) whose use as a job or step image, or
    /// in `docker run`, is a use of the tool.
    #[serde(default)]
    pub images: Vec<String>,
    /// Provider templates (GitLab `include: template:`) that run the tool, and GitLab
    /// CI/CD catalog components as `component:PATH` without host and version
    /// (`component:components/sast/sast` for `gitlab.com/components/sast/sast@3.4.0`).
    #[serde(default)]
    pub templates: Vec<String>,
    /// The jobs such a template or component defines (`semgrep-sast`). A job of that
    /// name in the including pipeline overrides it, so its rules decide when it runs.
    #[serde(default)]
    pub jobs: Vec<String>,
    /// For a remote reusable workflow the catalog describes (it cannot be read offline):
    /// what it is known to do, quoted as the judgement its verdicts rest on.
    #[serde(default)]
    pub described: Option<String>,
    /// Credentials a described workflow authenticates with (`job-token`, `oidc`...),
    /// added to the calling job's.
    #[serde(default)]
    pub credentials: Vec<String>,
    /// What a described workflow checks before it publishes: `tests` (the commit's
    /// tests passed), so the calling job counts as running after tests.
    #[serde(default)]
    pub checks: Vec<String>,
}

impl Catalog {
    /// A category and all the categories it implies, transitively, sorted.
    pub fn expand_categories<'a>(&self, cats: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut stack: Vec<String> = cats.into_iter().cloned().collect();
        while let Some(c) = stack.pop() {
            if out.contains(&c) {
                continue;
            }
            if let Some(spec) = self.categories.get(&c) {
                stack.extend(spec.implies.iter().cloned());
            }
            out.push(c);
        }
        out.sort();
        out
    }

    /// Adds another catalog file's entries to this one.
    pub fn merge(&mut self, other: Catalog) {
        self.categories.extend(other.categories);
        self.wrappers.extend(other.wrappers);
        self.installers.extend(other.installers);
        self.tools.extend(other.tools);
        self.paths.prune.extend(other.paths.prune);
        self.paths.exclude.extend(other.paths.exclude);
        self.remote_includes.extend(other.remote_includes);
        for (ns, orgs) in other.orb_namespace_owners {
            self.orb_namespace_owners
                .entry(ns)
                .or_default()
                .extend(orgs);
        }
    }

    /// Like `merge`, but a tool of `other` replaces a tool of the same id.
    pub fn overlay(&mut self, other: Catalog) {
        self.tools
            .retain(|t| !other.tools.iter().any(|n| n.id == t.id));
        self.merge(other);
    }

    pub fn tool(&self, id: &str) -> Option<&ToolSpec> {
        self.tools.iter().find(|t| t.id == id)
    }
}
