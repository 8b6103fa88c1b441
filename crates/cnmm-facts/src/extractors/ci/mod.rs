//! The normalised pipeline model shared by every CI provider, and the one place where
//! pipelines become facts. Providers (one file each) only parse their format into
//! [`Pipeline`]s; linking (reusable workflows, composite actions), trigger semantics,
//! tool recognition and fact emission happen here, so every rule that speaks of CI works
//! the same whatever the provider.

pub mod azure_pipelines;
pub mod bitbucket;
pub mod buildkite;
pub mod circleci;
pub mod cloud_build;
pub mod drone;
pub mod github_actions;
pub mod github_apps;
pub mod gitlab_ci;
pub mod golangci;
pub mod jenkinsfile;
pub mod mise_tasks;
pub mod package_scripts;
pub mod pre_commit;
pub mod scripts;
pub mod taskfile;
pub mod tekton;
pub mod test_suites;
pub mod travis;

use super::Ctx;
use crate::shell::split_commands;
use crate::tools::ToolMatch;
use cnmm_model::{attr, AttrType as T, Fact, FactKindSpec, FactSource, Location};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Branch names taken to be the default branch when a pipeline filters pushes by branch.
pub const DEFAULT_BRANCH_NAMES: &[&str] = &["main", "master", "trunk", "default"];

/// A branch filter naming the default branch without saying which it is (GitLab
/// `$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH`).
pub const DEFAULT_BRANCH: &str = "(default branch)";

/// The catalog tool for an upload of code-scanning (SARIF) results.
const SARIF_UPLOAD_TOOL: &str = "sarif-upload";

/// The catalog tool for a job that deploys to a named environment by scripts the
/// catalog does not know.
const ENVIRONMENT_DEPLOY_TOOL: &str = "environment-deploy";

/// When a pipeline or job runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triggers {
    /// Pushes to branches; `push_branches` empty means every branch.
    pub push: bool,
    pub push_branches: Vec<String>,
    /// Branch filters that exclude (`branches-ignore`, `except`).
    pub push_branches_ignore: Vec<String>,
    pub tag: bool,
    pub pull_request: bool,
    pub release: bool,
    pub schedule: bool,
    pub manual: bool,
    pub workflow_call: bool,
    /// Other events, by provider name (`issue_comment`, `workflow_run`...).
    pub other: BTreeSet<String>,
}

impl Triggers {
    /// Runs with no human action: push, pull/merge request, tag, release or schedule.
    pub fn automatic(&self) -> bool {
        self.push || self.tag || self.pull_request || self.release || self.schedule
    }

    /// Triggered by an SCM event: push, tag or release publication.
    pub fn scm_event(&self) -> bool {
        self.push || self.tag || self.release
    }

    /// Runs on pushes to the default branch, when it is not known which branch that is
    /// (one of [`DEFAULT_BRANCH_NAMES`]).
    pub fn default_branch(&self) -> bool {
        self.default_branch_among(DEFAULT_BRANCH_NAMES)
    }

    /// Runs on pushes to the default branch, which is one of `names`.
    pub fn default_branch_among(&self, names: &[&str]) -> bool {
        if !self.push {
            return false;
        }
        let names_it =
            |p: &String| p.trim() == DEFAULT_BRANCH || names.iter().any(|b| branch_matches(p, b));
        let included = self.push_branches.is_empty() || self.push_branches.iter().any(names_it);
        let ignored = self.push_branches_ignore.iter().any(names_it);
        included && !ignored
    }

    pub fn union(&mut self, o: &Triggers) {
        if o.push {
            if !self.push {
                self.push_branches = o.push_branches.clone();
                self.push_branches_ignore = o.push_branches_ignore.clone();
            } else if self.push_branches.is_empty() || o.push_branches.is_empty() {
                self.push_branches.clear();
            } else {
                for b in &o.push_branches {
                    if !self.push_branches.contains(b) {
                        self.push_branches.push(b.clone());
                    }
                }
            }
            self.push = true;
        }
        self.tag |= o.tag;
        self.pull_request |= o.pull_request;
        self.release |= o.release;
        self.schedule |= o.schedule;
        self.manual |= o.manual;
        self.workflow_call |= o.workflow_call;
        self.other.extend(o.other.iter().cloned());
    }

    /// Event names for the report, in a fixed order.
    /// The triggers for a terminal: a push's branch list summarised when it is long
    /// (`push (default branch + 4 patterns), pull requests, tag`).
    pub fn summary(&self) -> String {
        let mut v = Vec::new();
        if self.push {
            let short = self.push_branches.len() <= 2
                && self.push_branches.iter().map(String::len).sum::<usize>() <= 24;
            if self.push_branches.is_empty() || short {
                v.push(self.names().first().cloned().unwrap_or_default());
            } else {
                let default = self.push_branches.iter().any(|b| {
                    let b = b.trim_start_matches("refs/heads/");
                    b == DEFAULT_BRANCH || DEFAULT_BRANCH_NAMES.contains(&b)
                });
                let others = self.push_branches.len() - usize::from(default);
                let n = |k: usize| {
                    if k == 1 {
                        "1 pattern".to_string()
                    } else {
                        format!("{k} patterns")
                    }
                };
                v.push(match (default, others) {
                    (true, 0) => "push (default branch)".to_string(),
                    (true, k) => format!("push (default branch + {})", n(k)),
                    (false, k) => format!("push ({})", n(k)),
                });
            }
        }
        v.extend(self.flag_events("pull requests"));
        let others = self.other.len();
        if others > 3 {
            v.push(format!("{others} other events"));
        } else {
            v.extend(self.other.iter().cloned());
        }
        if v.is_empty() {
            "no trigger".into()
        } else {
            v.join(", ")
        }
    }

    pub fn names(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.push {
            if self.push_branches.is_empty() {
                v.push("push".to_string());
            } else {
                v.push(format!("push({})", self.push_branches.join(",")));
            }
        }
        v.extend(self.flag_events("pull_request"));
        v.extend(self.other.iter().cloned());
        v
    }

    /// The events other than push that are on, in a fixed order; pull requests named
    /// `pull_request`.
    fn flag_events(&self, pull_request: &'static str) -> impl Iterator<Item = String> {
        [
            (self.pull_request, pull_request),
            (self.tag, "tag"),
            (self.release, "release"),
            (self.schedule, "schedule"),
            (self.manual, "manual"),
            (self.workflow_call, "workflow_call"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| name.to_string())
    }

    /// Narrows the triggers by a run condition such as GitHub's
    /// `github.ref == 'refs/heads/main'` or `startsWith(github.ref, 'refs/tags/')`.
    /// Conditions with `||` or a negated group `!( ... )` are left alone: reading them
    /// needs a real expression evaluator, and not narrowing only keeps what may run.
    pub fn narrow(&self, condition: &str) -> Triggers {
        let c = condition.replace(['"', '`'], "'");
        let c = c.trim();
        let inner = c
            .strip_prefix("${{")
            .and_then(|x| x.strip_suffix("}}"))
            .unwrap_or(c);
        // `a || b`: the runs of either. `&&` binds tighter, so top-level alternatives
        // are narrowed one by one and joined.
        let alternatives = split_top_level_or(inner);
        if alternatives.len() > 1 {
            let mut joined = Triggers::default();
            for a in alternatives {
                joined.union(&self.narrow(a));
            }
            return joined;
        }
        let compact: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
        // `if: false` (`${{ false }}`, `0`): the job is switched off and never runs.
        if matches!(inner.trim(), "false" | "0" | "'false'") {
            return Triggers::default();
        }
        if c.is_empty() || c.contains("||") || compact.contains("!(") {
            return self.clone();
        }
        let mut t = self.clone();
        let has = |s: &str| compact.contains(s);
        // Event name equality / inequality.
        for (event, field) in [
            ("push", 0),
            ("pull_request", 1),
            ("pull_request_target", 1),
            ("schedule", 2),
            ("workflow_dispatch", 3),
            ("release", 4),
        ] {
            if has(&format!("github.event_name=='{event}'")) {
                let keep = t.clone();
                t = Triggers::default();
                match field {
                    0 => {
                        t.push = keep.push;
                        t.push_branches = keep.push_branches;
                        t.push_branches_ignore = keep.push_branches_ignore;
                        t.tag = keep.tag;
                    }
                    1 => t.pull_request = keep.pull_request,
                    2 => t.schedule = keep.schedule,
                    3 => t.manual = keep.manual,
                    _ => t.release = keep.release,
                }
                t.workflow_call = keep.workflow_call;
            }
            if has(&format!("github.event_name!='{event}'")) {
                match field {
                    0 => {
                        t.push = false;
                        t.tag = false;
                    }
                    1 => t.pull_request = false,
                    2 => t.schedule = false,
                    3 => t.manual = false,
                    _ => t.release = false,
                }
            }
        }
        let negated_tag = has("!startsWith(github.ref,'refs/tags/')")
            || has("!startsWith(github.ref,'refs/tags')");
        if !negated_tag
            && (has("startsWith(github.ref,'refs/tags") || has("github.ref_type=='tag'"))
        {
            let manual = t.manual;
            let release = t.release;
            let tag = t.tag;
            t = Triggers {
                tag,
                release,
                manual,
                workflow_call: self.workflow_call,
                ..Default::default()
            };
        } else if negated_tag {
            t.tag = false;
        }
        // `github.ref == 'refs/heads/<branch>'`: only pushes to that branch (and
        // dispatches on it); pull requests never have such a ref.
        if let Some(branch) = ref_equals(&compact) {
            t.pull_request = false;
            t.tag = false;
            t.release = false;
            if t.push {
                let allowed = t.push_branches.is_empty()
                    || t.push_branches.iter().any(|p| branch_matches(p, &branch));
                t.push = allowed;
                t.push_branches = vec![branch];
            }
        }
        t
    }
}

/// The events of both sides.
pub fn intersect(a: &Triggers, b: &Triggers) -> Triggers {
    let mut t = Triggers {
        push: a.push && b.push,
        tag: a.tag && b.tag,
        pull_request: a.pull_request && b.pull_request,
        release: a.release && b.release,
        schedule: a.schedule && b.schedule,
        manual: a.manual && b.manual,
        workflow_call: a.workflow_call && b.workflow_call,
        ..Default::default()
    };
    if t.push {
        t.push_branches = match (a.push_branches.is_empty(), b.push_branches.is_empty()) {
            (true, _) => b.push_branches.clone(),
            (_, true) => a.push_branches.clone(),
            _ => {
                let common: Vec<String> = b
                    .push_branches
                    .iter()
                    .filter(|x| a.push_branches.contains(x))
                    .cloned()
                    .collect();
                if common.is_empty() {
                    b.push_branches.clone()
                } else {
                    common
                }
            }
        };
        t.push_branches_ignore = a.push_branches_ignore.clone();
        for x in &b.push_branches_ignore {
            if !t.push_branches_ignore.contains(x) {
                t.push_branches_ignore.push(x.clone());
            }
        }
    }
    t.other = a.other.intersection(&b.other).cloned().collect();
    t
}

/// Removes the events `never` certainly covers.
pub fn subtract(t: &mut Triggers, never: &Triggers) {
    if never.push {
        if never.push_branches.is_empty() && never.push_branches_ignore.is_empty() {
            t.push = false;
        } else {
            for b in &never.push_branches {
                if !t.push_branches_ignore.contains(b) {
                    t.push_branches_ignore.push(b.clone());
                }
            }
        }
    }
    t.tag &= !never.tag;
    t.pull_request &= !never.pull_request;
    t.schedule &= !never.schedule;
    t.manual &= !never.manual;
    t.release &= !never.release;
}

/// The branch a condition pins the ref to: `github.ref == 'refs/heads/main'`,
/// `github.event.ref == 'refs/heads/main'`, `github.ref_name == 'main'` (written
/// either way round). `compact` has no whitespace and single quotes only.
fn ref_equals(compact: &str) -> Option<String> {
    for lhs in ["github.ref==", "github.event.ref==", "github.ref_name=="] {
        let strip = lhs != "github.ref_name==";
        for (i, _) in compact.match_indices(lhs) {
            if compact[..i].ends_with('!') {
                continue;
            }
            let rest = compact[i + lhs.len()..].strip_prefix('\'')?;
            let end = rest.find('\'')?;
            let value = &rest[..end];
            let branch = if strip {
                value.strip_prefix("refs/heads/")?
            } else {
                value
            };
            return Some(branch.to_string());
        }
    }
    // `'refs/heads/main' == github.ref`
    let i = compact.find("'refs/heads/")?;
    let rest = &compact[i + "'refs/heads/".len()..];
    let end = rest.find('\'')?;
    let after = &rest[end + 1..];
    (after.starts_with("==github.ref") || after.starts_with("==github.event.ref"))
        .then(|| rest[..end].to_string())
}

/// Glob-style branch filter match (`release/*`, `**`, `main`).
/// Directories whose Dockerfiles build CI environments, not the project's deliverables.
const CI_IMAGE_DIRS: &[&str] = &[
    ".ci/",
    ".github/",
    ".gitlab/",
    ".circleci/",
    ".devcontainer/",
    "ci/containers/",
    "ci/images/",
    "ci/docker/",
];

/// The Dockerfile of a CI build-environment image a job builds (`docker build -f
/// ci/containers/fedora.Dockerfile ci/containers`), if it builds one: what such a job
/// pushes is the CI's own tooling.
fn ci_environment_image(steps: &[(Step, Vec<ToolMatch>)]) -> Option<String> {
    steps
        .iter()
        .flat_map(|(_, ms)| ms)
        .filter(|m| m.tool == "docker-build")
        .find_map(|m| {
            let words: Vec<&str> = m.matched.split_whitespace().collect();
            let file = words.iter().enumerate().find_map(|(i, w)| {
                if *w == "-f" || *w == "--file" {
                    words.get(i + 1).copied()
                } else {
                    w.strip_prefix("--file=")
                }
            });
            let file = file?.trim_matches(['"', '\'']).trim_start_matches("./");
            CI_IMAGE_DIRS
                .iter()
                .any(|d| file.starts_with(d))
                .then(|| file.to_string())
        })
}

/// Why the deploys of a job go to a test system rather than anywhere that serves, if
/// they do: the job starts a throwaway cluster (kind, k3d, minikube) or is named as a
/// test or after such a cluster (`e2e-bootstrap`, `conform-k3s`, `kind-linux-amd64`), or
/// its whole pipeline is (a workflow `e2e.yaml` named `e2e`); a job whose name says it
/// deploys or releases is taken at its word.
/// The bool says whether the job starts the cluster itself (then what it publishes is
/// for that cluster too).
fn test_deploy_reason(
    pipeline: &Pipeline,
    job: &Job,
    steps: &[(Step, Vec<ToolMatch>)],
) -> Option<(&'static str, bool)> {
    const CLUSTER_ACTIONS: &[&str] = &[
        "helm/kind-action",
        "engineerd/setup-kind",
        "container-tools/kind-action",
        "AbsaOSS/k3d-action",
        "nolar/setup-k3d-k3s",
        "medyagh/setup-minikube",
        "manusa/actions-setup-minikube",
    ];
    const CLUSTER_COMMANDS: &[&str] = &[
        "kind create cluster",
        "k3d cluster create",
        "minikube start",
        "ctlptl create cluster",
        // OpenShift Local (CodeReady Containers, MicroShift preset) and its predecessor.
        "crc start",
        "minishift start",
    ];
    let starts_cluster = steps.iter().any(|(s, _)| {
        s.uses.as_deref().is_some_and(|u| {
            let u = u.split('@').next().unwrap_or(u);
            CLUSTER_ACTIONS.iter().any(|a| u.eq_ignore_ascii_case(a))
        }) || s
            .run
            .as_ref()
            .is_some_and(|(r, _)| CLUSTER_COMMANDS.iter().any(|c| r.contains(c)))
    });
    if starts_cluster {
        return Some(("deploys into a throwaway cluster the job starts (kind, k3d, minikube, crc): a test, not a deployment", true));
    }
    const TEST_WORDS: &[&str] = &[
        "e2e",
        "conformance",
        "conform",
        "smoke",
        "integration",
        "test",
        "tests",
        // Named after the throwaway cluster it runs on.
        "kind",
        "k3d",
        "minikube",
    ];
    const DEPLOY_WORDS: &[&str] = &[
        "deploy",
        "deployment",
        "release",
        "publish",
        "prod",
        "production",
        "staging",
    ];
    let tokens = |text: &str| -> Vec<String> {
        text.to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(str::to_string)
            .collect()
    };
    let has =
        |tokens: &[String], words: &[&str]| tokens.iter().any(|t| words.contains(&t.as_str()));
    // The job's id and its display name (`build` named "Run E2E Tests on CRC").
    let of_job = tokens(&format!("{} {}", job.id, job.name));
    if has(&of_job, DEPLOY_WORDS) {
        return None;
    }
    if has(&of_job, TEST_WORDS) {
        return Some((
            "deploys inside a job named as a test (e2e, conformance, smoke, kind, in its id or its name): a test, not a deployment",
            false,
        ));
    }
    // The pipeline's name and its file's name (`.github/workflows/e2e.yaml`, `name: e2e`),
    // by the words that only name a test system: a workflow "Build and Test" or
    // "Continuous Integration" may well deploy at its end.
    const TEST_SYSTEM_WORDS: &[&str] = &["e2e", "conformance", "smoke", "kind", "k3d", "minikube"];
    let stem = pipeline.path.rsplit('/').next().unwrap_or("");
    let stem = stem.split('.').next().unwrap_or(stem);
    let of_pipeline = tokens(&format!("{} {stem}", pipeline.name));
    (has(&of_pipeline, TEST_SYSTEM_WORDS) && !has(&of_pipeline, DEPLOY_WORDS)).then_some((
        "deploys inside a pipeline named as a test (e2e, conformance, smoke, in its name or its file's): a test, not a deployment",
        false,
    ))
}

/// Whether a job waits for a person before it starts, on every path. A gate inside its
/// steps (a Jenkins `input` after the tests) leaves what comes before it automatic; a
/// job-level gate holds the whole job, unless some of its paths run without it.
fn manual_only(j: &Job) -> bool {
    j.manual_gate.is_some() && !j.manual_on_some_paths
}

/// A job's token permissions: its own, else its pipeline's.
fn effective_permissions<'p>(j: &'p Job, p: &'p Pipeline) -> &'p Permissions {
    match &j.permissions {
        Permissions::Undeclared => &p.permissions,
        own => own,
    }
}

/// The `||` alternatives of an expression outside parentheses and quotes (one part when
/// there is none).
fn split_top_level_or(expr: &str) -> Vec<&str> {
    let bytes = expr.as_bytes();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    let mut parts = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            b'|' if !quoted && depth == 0 && bytes.get(i + 1) == Some(&b'|') => {
                parts.push(expr[start..i].trim());
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(expr[start..].trim());
    parts
}

pub fn branch_matches(pattern: &str, branch: &str) -> bool {
    let p = pattern.trim().trim_start_matches("refs/heads/");
    if p == DEFAULT_BRANCH {
        return DEFAULT_BRANCH_NAMES.contains(&branch) || branch == DEFAULT_BRANCH;
    }
    if p == branch || p == "*" || p == "**" {
        return true;
    }
    branch_matcher(p).is_some_and(|m| match &*m {
        BranchMatcher::Regex(re) => re.is_match(branch),
        BranchMatcher::Glob(g) => g.is_match(branch),
    })
}

enum BranchMatcher {
    Regex(regex::Regex),
    Glob(globset::GlobMatcher),
}

/// The compiled form of a branch pattern (a GitLab `/regex/` or a glob), or `None` when
/// it does not compile. Trigger narrowing asks about the same few patterns for every job
/// (and every point of a timeline), so they are compiled once per process; the memo
/// stops growing at [`MAX_BRANCH_MATCHERS`] patterns (a hostile file cannot grow it).
fn branch_matcher(p: &str) -> Option<std::sync::Arc<BranchMatcher>> {
    const MAX_BRANCH_MATCHERS: usize = 4096;
    type Memo = std::sync::Mutex<HashMap<String, Option<std::sync::Arc<BranchMatcher>>>>;
    static MEMO: std::sync::OnceLock<Memo> = std::sync::OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let lock = || {
        memo.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(hit) = lock().get(p) {
        return hit.clone();
    }
    let compiled = if p.starts_with('/') && p.ends_with('/') && p.len() > 2 {
        // GitLab-style regex filter.
        regex::Regex::new(&p[1..p.len() - 1])
            .ok()
            .map(BranchMatcher::Regex)
    } else {
        globset::Glob::new(p)
            .ok()
            .map(|g| BranchMatcher::Glob(g.compile_matcher()))
    }
    .map(std::sync::Arc::new);
    let mut m = lock();
    if m.len() < MAX_BRANCH_MATCHERS {
        m.insert(p.to_string(), compiled.clone());
    }
    compiled
}

/// How a job's token is scoped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Permissions {
    #[default]
    Undeclared,
    ReadAll,
    WriteAll,
    /// Declared per scope; the scopes granted `write`.
    Scoped(Vec<String>),
}

impl Permissions {
    pub fn as_str(&self) -> &'static str {
        match self {
            Permissions::Undeclared => "undeclared",
            Permissions::ReadAll => "read-all",
            Permissions::WriteAll => "write-all",
            Permissions::Scoped(_) => "scoped",
        }
    }
    pub fn id_token(&self) -> bool {
        matches!(self, Permissions::WriteAll)
            || matches!(self, Permissions::Scoped(w) if w.iter().any(|s| s == "id-token"))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    pub name: Option<String>,
    /// The file the step is written in, when not the pipeline's own (an expanded
    /// composite action).
    pub path: Option<String>,
    pub line: u32,
    /// An action, orb, task or plugin reference.
    pub uses: Option<String>,
    pub with: BTreeMap<String, String>,
    /// A shell script and the line its first command is on.
    pub run: Option<(String, u32)>,
    /// A container image the step runs in.
    pub image: Option<String>,
    /// A provider condition narrowing when the step runs.
    pub condition: Option<String>,
    /// Tools recognised by the provider itself (GitLab security templates).
    pub tools: Vec<ToolMatch>,
    /// A human approval step (Buildkite `block`, Jenkins `input`).
    pub manual_gate: bool,
    /// Set when the step is known from the catalog's description of a remote include,
    /// not read: why the tools it runs are a judgement.
    pub described: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Job {
    pub id: String,
    pub name: String,
    /// The file the job is written in, when not the pipeline's own (a GitLab
    /// `include: local:` file).
    pub path: Option<String>,
    pub line: u32,
    /// A provider condition narrowing the pipeline's triggers.
    pub condition: Option<String>,
    /// Triggers of this job when they differ from the pipeline's (GitLab rules, Jenkins
    /// `when`); `None` means the pipeline's triggers narrowed by `condition`.
    pub triggers: Option<Triggers>,
    /// Set when the job's image is known from the catalog's description of a remote
    /// include (see [`Step::described`]).
    pub image_described: Option<String>,
    pub needs: Vec<String>,
    /// Stage name and its position, for providers that order jobs by stage.
    pub stage: Option<(String, usize)>,
    pub environment: Option<String>,
    /// Why the job waits for a person, if it does (`when: manual`, `input`...).
    pub manual_gate: Option<String>,
    /// The job waits for a person on some of its paths only (GitLab rules that are
    /// `when: manual` for forks, `on_success` for merge requests): it still runs
    /// automatically on the others.
    pub manual_on_some_paths: bool,
    pub permissions: Permissions,
    /// Credential kinds: oidc, workload-identity, job-token, bot-token,
    /// personal-token, static-cloud-key, secret.
    pub credentials: BTreeSet<String>,
    pub steps: Vec<Step>,
    /// A reusable pipeline this job calls, with the line of the call.
    pub calls: Option<(String, u32)>,
    pub image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipelineKind {
    /// A pipeline that runs on its own triggers.
    Pipeline,
    /// Steps reused by other pipelines (GitHub composite action); counted only where
    /// they are used.
    StepLibrary,
}

/// A reference to a shared pipeline component (reusable workflow, include, library).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedRef {
    pub kind: &'static str,
    pub reference: String,
    pub line: u32,
    /// The component lives in this repository.
    pub local: bool,
    /// It cannot be read offline and the catalog does not know what it runs (a project
    /// or remote include, an unknown component or template, another repository's
    /// reusable workflow): decided by the extractor that reads the reference.
    pub unreadable: bool,
}

impl SharedRef {
    /// A reference whose locality shows in its form: `./x` is local; `owner/repo@ref`
    /// and URLs are not.
    pub fn new(kind: &'static str, reference: impl Into<String>, line: u32) -> Self {
        let reference = reference.into();
        let local =
            reference.starts_with("./") || !reference.contains('@') && !reference.contains("://");
        SharedRef {
            kind,
            reference,
            line,
            local,
            unreadable: false,
        }
    }

    /// The same reference, marked out of reach offline when `unreadable` holds.
    pub fn unreadable_if(self, unreadable: bool) -> Self {
        SharedRef { unreadable, ..self }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub provider: &'static str,
    pub path: String,
    pub name: String,
    pub kind: PipelineKind,
    pub triggers: Triggers,
    pub triggers_line: u32,
    /// Why the triggers are assumed rather than read, when the provider keeps them
    /// outside the repository and the file's name is all there is to go on.
    pub triggers_judgement: Option<String>,
    pub permissions: Permissions,
    pub jobs: Vec<Job>,
    pub shared: Vec<SharedRef>,
    pub excluded: Option<String>,
}

impl Pipeline {
    /// A pipeline of one job, for configurations that describe a single build (a Cloud
    /// Build file, a GitHub App's config), excluded as the file it comes from is.
    pub fn of_one_job(
        provider: &'static str,
        file: &crate::extractors::FileInput,
        name: String,
        triggers: Triggers,
        job: Job,
    ) -> Pipeline {
        Pipeline {
            provider,
            path: file.path().to_string(),
            name,
            kind: PipelineKind::Pipeline,
            triggers,
            triggers_line: 1,
            triggers_judgement: None,
            permissions: Permissions::Undeclared,
            jobs: vec![job],
            shared: Vec::new(),
            excluded: file.file.excluded.as_deref().map(String::from),
        }
    }
}

/// The most steps read from one pipeline file. No hand-written pipeline comes near it;
/// a generated or hostile one would otherwise cost memory and time in proportion to
/// its steps (each becomes facts).
pub const MAX_STEPS_PER_PIPELINE: usize = 10_000;

/// Keeps the first [`MAX_STEPS_PER_PIPELINE`] steps of each pipeline, in job order, and
/// says so in a diagnostic when it drops any.
fn bound_steps(pipelines: &mut [Pipeline], diagnostics: &mut Vec<cnmm_model::Diagnostic>) {
    for p in pipelines {
        let total: usize = p.jobs.iter().map(|j| j.steps.len()).sum();
        if total <= MAX_STEPS_PER_PIPELINE {
            continue;
        }
        let mut left = MAX_STEPS_PER_PIPELINE;
        for j in &mut p.jobs {
            let keep = j.steps.len().min(left);
            j.steps.truncate(keep);
            left -= keep;
        }
        diagnostics.push(cnmm_model::Diagnostic::warning(
            &p.path,
            None,
            format!(
                "{total} steps; only the first {MAX_STEPS_PER_PIPELINE} are read (a pipeline this large is generated, not written by hand)"
            ),
        ));
    }
}

/// Fact kinds emitted from pipelines, whatever the provider.
pub static FACT_KINDS: &[FactKindSpec] = &[
    FactKindSpec {
        name: "ci.pipeline",
        source: FactSource::Files,
        description: "A CI pipeline definition (workflow, .gitlab-ci.yml, Jenkinsfile...).",
        attrs: &[
            attr("provider", T::Str, "github-actions, gitlab-ci, jenkins, ..."),
            attr("name", T::Str, "The pipeline's name."),
            attr("triggers", T::List, "Events that start it."),
            attr("automatic", T::Bool, "Runs on push, PR/MR, tag, release or schedule."),
            attr("reusable", T::Bool, "Defines a reusable pipeline (workflow_call)."),
        ],
    },
    FactKindSpec {
        name: "ci.job",
        source: FactSource::Files,
        description: "A job of a pipeline, with its effective triggers and what its steps do.",
        attrs: JOB_ATTRS,
    },
    FactKindSpec {
        name: "ci.step",
        source: FactSource::Files,
        description: "A step that uses an action, orb, plugin or image reference.",
        attrs: &[
            attr("provider", T::Str, "The CI provider."),
            attr("pipeline", T::Str, "The pipeline's path."),
            attr("job", T::Str, "The job id."),
            attr("uses", T::Str, "The reference, as written."),
            attr("pin", T::Str, "sha, tag, branch, digest, local or none."),
            attr("third_party", T::Bool, "Not a local reference and not the provider's own (actions/*, github/*)."),
        ],
    },
    FactKindSpec {
        name: "tool.use",
        source: FactSource::Files,
        description: "A catalog tool run by a CI step, with the job's triggers and gates.",
        attrs: TOOL_USE_ATTRS,
    },
    FactKindSpec {
        name: "ci.shared",
        source: FactSource::Files,
        description: "A shared pipeline component defined or used: reusable workflow, composite action, include, library.",
        attrs: &[
            attr("provider", T::Str, "The CI provider."),
            attr("kind", T::Str, "reusable-workflow-definition, reusable-workflow-call, composite-action, include, library, orb, orb-component (a command, job or executor of the orb the repository develops), template."),
            attr("reference", T::Str, "What is referenced or defined."),
            attr("local", T::Bool, "The component lives in this repository."),
            attr("called_locally", T::Bool, "For reusable-workflow-definition: a workflow of this repository calls it (a part of its own CI)."),
        ],
    },
    FactKindSpec {
        name: "ci.unreadable",
        source: FactSource::Files,
        description: "A pipeline part cnmm cannot read offline and the catalog does not know (a remote or project include, a component, another repository's reusable workflow): what it runs is not seen, so verdicts against pipelines are less certain.",
        attrs: &[
            attr("provider", T::Str, "The CI provider."),
            attr("reference", T::Str, "What is referenced."),
        ],
    },
];

macro_rules! job_attr_list {
    ($($extra:expr),* $(,)?) => {
        &[
            attr("provider", T::Str, "The CI provider."),
            attr("pipeline", T::Str, "The pipeline's path."),
            attr("job", T::Str, "The job id."),
            attr("triggers", T::List, "Effective events that start the job."),
            attr("automatic", T::Bool, "Runs on push, PR/MR, tag, release or schedule."),
            attr("on_push", T::Bool, "Runs on branch pushes."),
            attr("on_default_branch", T::Bool, "Runs on pushes to the default branch."),
            attr("on_pr", T::Bool, "Runs on pull/merge requests."),
            attr("on_tag", T::Bool, "Runs on tag pushes."),
            attr("on_release", T::Bool, "Runs when a release is published."),
            attr("on_schedule", T::Bool, "Runs on a schedule."),
            attr("on_manual", T::Bool, "Can be started by hand."),
            attr("on_scm_event", T::Bool, "Runs on push, tag or release publication."),
            attr("environment", T::Str, "Deployment environment name."),
            attr("manual_gate", T::Bool, "Waits for a person (when: manual, input, block, approval)."),
            attr("manual_only", T::Bool, "Waits for a person before it starts, on every path: it never runs by itself."),
            attr("gated_path", T::Bool, "The job or a job it needs waits for a person."),
            attr("after_tests", T::Bool, "Needs a job that runs tests, or runs in a later stage than one."),
            attr("permissions", T::Str, "undeclared, read-all, write-all or scoped."),
            attr("credentials", T::List, "oidc, workload-identity, job-token, bot-token, personal-token, static-cloud-key, secret."),
            attr("categories", T::List, "Catalog categories of the tools its steps run."),
            attr("tools", T::List, "Catalog tools its steps run."),
            $($extra,)*
        ]
    };
}

static JOB_ATTRS: &[cnmm_model::AttrSpec] = job_attr_list!(attr(
    "calls",
    T::Str,
    "The reusable pipeline the job calls."
));
static TOOL_USE_ATTRS: &[cnmm_model::AttrSpec] = job_attr_list!(
    attr("tool", T::Str, "The catalog id of the tool."),
    attr("name", T::Str, "The tool's display name."),
    attr("via", T::Str, "run, uses, image or template."),
    attr(
        "judgement",
        T::Str,
        "Why this use rests on a judgement (a shared action known only by its name), if it does."
    ),
);

/// The trigger attributes of a job or tool-use fact. A job that waits for a person on
/// every path (`manual_only`) does not run automatically, although its pipeline's event
/// still starts it (`on_push`, `on_tag` stay).
fn set_trigger_attrs(f: &mut Fact, t: &Triggers, manual_only: bool, ctx: &Ctx) {
    f.set("triggers", t.names());
    f.set("automatic", t.automatic() && !manual_only);
    f.set("on_push", t.push);
    let on_default = match ctx.default_branch.as_deref() {
        Some(b) => t.default_branch_among(&[b]),
        None => t.default_branch(),
    };
    f.set("on_default_branch", on_default);
    f.set("on_pr", t.pull_request);
    f.set("on_tag", t.tag);
    f.set("on_release", t.release);
    f.set("on_schedule", t.schedule);
    f.set("on_manual", t.manual);
    f.set("on_scm_event", t.scm_event());
}

/// The pin of a `uses:` reference.
pub fn pin_kind(reference: &str) -> &'static str {
    let r = reference.trim();
    if r.starts_with("./") || r.starts_with("../") {
        return "local";
    }
    if let Some(img) = r.strip_prefix("docker://") {
        return if img.contains("@sha256:") {
            "digest"
        } else {
            "tag"
        };
    }
    match r.rsplit_once('@') {
        None => "none",
        Some((_, v)) if v.len() == 40 && v.chars().all(|c| c.is_ascii_hexdigit()) => "sha",
        Some((_, v))
            if v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit())
                || v.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            "tag"
        }
        Some(_) => "branch",
    }
}

/// A job after linking: effective triggers, tools and its facts' shared attributes.
struct Resolved<'p> {
    pipeline: &'p Pipeline,
    job: &'p Job,
    triggers: Triggers,
    steps: Vec<(Step, Vec<ToolMatch>)>,
    categories: BTreeSet<String>,
    tools: BTreeSet<String>,
    gated_path: bool,
    after_tests: bool,
}

const MAX_EXPANSION_DEPTH: usize = 4;

/// Links pipelines (reusable workflows, composite actions) and emits their facts, each
/// pipeline bounded to [`MAX_STEPS_PER_PIPELINE`] steps first (with a diagnostic).
pub fn emit(
    pipelines: &mut [Pipeline],
    ctx: &Ctx,
    diagnostics: &mut Vec<cnmm_model::Diagnostic>,
) -> Vec<Fact> {
    bound_steps(pipelines, diagnostics);
    let pipelines: &[Pipeline] = pipelines;
    let by_path: HashMap<&str, &Pipeline> =
        pipelines.iter().map(|p| (p.path.as_str(), p)).collect();

    // Triggers inherited by reusable pipelines from the jobs that call them, to a
    // fixpoint (a reusable workflow may call another).
    let mut inherited: HashMap<String, Triggers> = HashMap::new();
    for _ in 0..MAX_EXPANSION_DEPTH {
        let mut changed = false;
        for p in pipelines {
            let base = pipeline_triggers(p, &inherited);
            for j in &p.jobs {
                let Some((target, _)) = &j.calls else {
                    continue;
                };
                let Some(callee) = local_target(target, &p.path) else {
                    continue;
                };
                if !by_path.contains_key(callee.as_str()) {
                    continue;
                }
                let t = job_triggers(j, &base);
                let entry = inherited.entry(callee).or_default();
                let before = entry.clone();
                entry.union(&t);
                changed |= *entry != before;
            }
        }
        if !changed {
            break;
        }
    }

    let mut facts = Vec::new();
    let mut resolved: Vec<Resolved> = Vec::new();
    // Reusable workflows this repository calls itself: internal parts of its own CI.
    let called_locally: BTreeSet<String> = pipelines
        .iter()
        .flat_map(|p| &p.shared)
        .filter(|s| s.kind == "reusable-workflow-call")
        .filter_map(|s| local_target(&s.reference, ""))
        .collect();
    for p in pipelines {
        let excl = p.excluded.clone();
        let stamp = |f: Fact| match &excl {
            Some(r) if f.excluded.is_none() => f.excluded(r.clone()),
            _ => f,
        };
        for s in &p.shared {
            let local = s.local;
            let f = Fact::new(
                "ci.shared",
                Location::at(&p.path, s.line),
                format!("{} `{}`", s.kind.replace('-', " "), s.reference),
            )
            .attr("provider", p.provider)
            .attr("kind", s.kind)
            .attr("reference", s.reference.as_str())
            .attr("local", local);
            let f = if s.kind == "reusable-workflow-definition" {
                let own =
                    local_target(&s.reference, "").is_some_and(|t| called_locally.contains(&t));
                f.attr("called_locally", own)
            } else if s.kind == "orb-component" {
                f.attr(
                    "judgement",
                    "one orb is one package; its commands, jobs and executors are read as a library of reusable CI components",
                )
            } else {
                f
            };
            facts.push(stamp(f));
            if s.unreadable {
                let u = Fact::new(
                    "ci.unreadable",
                    Location::at(&p.path, s.line),
                    format!("`{}` cannot be read offline", s.reference),
                )
                .attr("provider", p.provider)
                .attr("reference", s.reference.as_str());
                facts.push(stamp(u));
            }
        }
        if p.kind == PipelineKind::StepLibrary {
            continue;
        }
        let base = pipeline_triggers(p, &inherited);
        let mut f = Fact::new(
            "ci.pipeline",
            Location::at(&p.path, p.triggers_line.max(1)),
            format!(
                "{} pipeline `{}` on {}",
                p.provider,
                p.name,
                display_triggers(&base)
            ),
        );
        f.brief = brief_of(&f.detail, &base);
        let f = f
            .attr("provider", p.provider)
            .attr("name", p.name.as_str())
            .attr("triggers", base.names())
            .attr("automatic", base.automatic())
            .attr("reusable", base.workflow_call);
        let f = match &p.triggers_judgement {
            Some(why) => f.attr("judgement", why.as_str()),
            None => f,
        };
        facts.push(stamp(f));
        for j in &p.jobs {
            let triggers = job_triggers(j, &base);
            let mut steps = expand_steps(p, j, &by_path, ctx);
            if let Some(df) = ci_environment_image(&steps) {
                for m in steps.iter_mut().flat_map(|(_, ms)| ms.iter_mut()) {
                    if m.excluded.is_none()
                        && m.tool.starts_with("docker-")
                        && m.categories.iter().any(|c| c == "publish")
                    {
                        m.excluded = Some(format!(
                            "pushes a CI build-environment image (built from `{df}`), not a deliverable"
                        ));
                    }
                }
            }
            // A job that deploys to a named environment is a deployment job (GitLab and
            // GitHub record a deployment for it), whatever script does the work.
            if let Some(env) = &j.environment {
                let delivers = steps.iter().flat_map(|(_, ms)| ms).any(|m| {
                    m.excluded.is_none()
                        && m.categories
                            .iter()
                            .any(|c| matches!(c.as_str(), "publish" | "release" | "deploy"))
                });
                if !delivers {
                    let matched = format!("deployment job of environment `{env}`");
                    if let Some(m) = ctx.tools.use_of(ENVIRONMENT_DEPLOY_TOOL, &matched) {
                        let m = m.judged(format!(
                            "a deploy only because the job names environment `{env}`; its commands are not ones cnmm knows"
                        ));
                        steps.push((
                            Step {
                                line: j.line,
                                ..Default::default()
                            },
                            vec![m],
                        ));
                    }
                }
            }
            if let Some((reason, cluster)) = test_deploy_reason(p, j, &steps) {
                for m in steps.iter_mut().flat_map(|(_, ms)| ms.iter_mut()) {
                    if m.excluded.is_some() {
                        continue;
                    }
                    if m.categories.iter().all(|c| c == "deploy") {
                        m.excluded = Some(reason.to_string());
                    } else if cluster && m.categories.iter().any(|c| c == "publish") {
                        // Images pushed for a cluster the job starts are for that
                        // cluster (`ko apply` into kind or OpenShift Local): what else
                        // the tool does (a build) still counts.
                        m.categories.retain(|c| c != "publish" && c != "deploy");
                        if m.categories.is_empty() {
                            m.excluded = Some(reason.to_string());
                        }
                    }
                }
            }
            let mut categories = BTreeSet::new();
            let mut tools = BTreeSet::new();
            for (_, ms) in &steps {
                for m in ms.iter().filter(|m| m.excluded.is_none()) {
                    categories.extend(m.categories.iter().cloned());
                    tools.insert(m.tool.clone());
                }
            }
            resolved.push(Resolved {
                pipeline: p,
                job: j,
                triggers,
                steps,
                categories,
                tools,
                gated_path: false,
                after_tests: false,
            });
        }
    }

    // A job calling a reusable pipeline does what the callee's jobs do.
    let callee_cats: HashMap<String, (BTreeSet<String>, BTreeSet<String>)> = {
        let mut m: HashMap<String, (BTreeSet<String>, BTreeSet<String>)> = HashMap::new();
        for r in &resolved {
            let e = m.entry(r.pipeline.path.clone()).or_default();
            e.0.extend(r.categories.iter().cloned());
            e.1.extend(r.tools.iter().cloned());
        }
        m
    };
    for r in &mut resolved {
        if let Some((target, _)) = &r.job.calls {
            if let Some(callee) = local_target(target, &r.pipeline.path) {
                if let Some((c, t)) = callee_cats.get(&callee) {
                    r.categories.extend(c.iter().cloned());
                    r.tools.extend(t.iter().cloned());
                }
            }
        }
    }

    // Gates and test ordering along `needs` and stages, within each pipeline.
    let upstream = upstream_all(&resolved);
    for (r, (gated, tested)) in resolved.iter_mut().zip(upstream) {
        r.gated_path = gated;
        // A described release workflow that verifies the commit's tests first.
        r.after_tests = tested
            || r.tools.iter().any(|t| {
                ctx.tools
                    .spec_of(t)
                    .is_some_and(|s| s.checks.iter().any(|c| c == "tests"))
            });
    }

    for r in &resolved {
        let p = r.pipeline;
        let j = r.job;
        let excl = p.excluded.clone();
        let stamp = |f: Fact| match &excl {
            Some(reason) if f.excluded.is_none() => f.excluded(reason.clone()),
            _ => f,
        };
        let job_path = j.path.clone().unwrap_or_else(|| p.path.clone());
        let mut jf = Fact::new(
            "ci.job",
            Location::at(&job_path, j.line),
            format!(
                "job `{}` of {} on {}{}",
                j.id,
                p.path,
                display_triggers(&r.triggers),
                if r.categories.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        r.categories.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                }
            ),
        );
        jf.brief = brief_of(&jf.detail, &r.triggers);
        fill_job_attrs(&mut jf, r, ctx);
        // Every tool use of the job carries the job's attributes: computed once per job
        // (per use, they were quadratic in the job's steps).
        let job_attrs = jf.attrs.clone();
        if let Some((c, _)) = &j.calls {
            jf.set("calls", c.as_str());
        }
        facts.push(stamp(jf));
        for (step, matches) in &r.steps {
            let step_path = step.path.clone().unwrap_or_else(|| job_path.clone());
            let step_triggers = match &step.condition {
                Some(c) => r.triggers.narrow(c),
                None => r.triggers.clone(),
            };
            if let Some(u) = &step.uses {
                let third_party = !(u.starts_with("./")
                    || u.starts_with("actions/")
                    || u.starts_with("github/")
                    || u.starts_with("docker://"));
                let f = Fact::new(
                    "ci.step",
                    Location::at(&step_path, step.line),
                    format!("step uses `{u}` in job `{}`", j.id),
                )
                .attr("provider", p.provider)
                .attr("pipeline", p.path.as_str())
                .attr("job", j.id.as_str())
                .attr("uses", u.as_str())
                .attr("pin", pin_kind(u))
                .attr("third_party", third_party);
                facts.push(stamp(f));
            }
            for m in matches {
                let line = m_line(step, m);
                let mut f = Fact::new(
                    "tool.use",
                    Location::at(&step_path, line),
                    format!(
                        "{} ({}) in job `{}` on {}: `{}`",
                        m.name,
                        m.categories.join(", "),
                        j.id,
                        display_triggers(&step_triggers),
                        cnmm_model::text::truncate(&m.matched, 120)
                    ),
                );
                f.brief = brief_of(&f.detail, &step_triggers);
                f.attrs.clone_from(&job_attrs);
                set_trigger_attrs(&mut f, &step_triggers, manual_only(r.job), ctx);

                f.set("tool", m.tool.as_str());
                f.set("name", m.name.as_str());
                f.set("via", m.via.as_str());
                f.set("categories", m.categories.clone());
                if let Some(j) = &m.judgement {
                    f.set("judgement", j.as_str());
                }
                if let Some(reason) = &m.excluded {
                    f = f.excluded(reason.clone());
                }
                facts.push(stamp(f));
            }
        }
    }
    facts
}

/// The line of a tool match: the command's line for scripts, else the step's (a
/// script's first line when the tool came from elsewhere, e.g. a provider template).
fn m_line(step: &Step, m: &ToolMatch) -> u32 {
    m.line
        .unwrap_or_else(|| step.run.as_ref().map_or(step.line, |(_, first)| *first))
}

fn fill_job_attrs(f: &mut Fact, r: &Resolved, ctx: &Ctx) {
    let j = r.job;
    f.set("provider", r.pipeline.provider);
    f.set("pipeline", r.pipeline.path.as_str());
    f.set("job", j.id.as_str());
    set_trigger_attrs(f, &r.triggers, manual_only(j), ctx);
    if let Some(e) = &j.environment {
        f.set("environment", e.as_str());
    }
    f.set(
        "manual_gate",
        j.manual_gate.is_some() || r.steps.iter().any(|(s, _)| s.manual_gate),
    );
    f.set("manual_only", manual_only(j));
    f.set("gated_path", r.gated_path);
    f.set("after_tests", r.after_tests);
    let perms = effective_permissions(j, r.pipeline);
    f.set("permissions", perms.as_str());
    let mut creds = j.credentials.clone();
    if perms.id_token() {
        creds.insert("oidc".to_string());
    }
    // Credentials a described remote workflow the job calls is known to use: the
    // job's credentials then rest on that description.
    for (t, spec) in r
        .tools
        .iter()
        .filter_map(|t| Some((t, ctx.tools.spec_of(t)?)))
    {
        let adds = spec.credentials.iter().any(|c| !creds.contains(c));
        if let (true, Some(d), None) = (adds, &spec.described, f.get_str("judgement")) {
            f.set(
                "judgement",
                format!("`{t}` cannot be read offline; the catalog describes its credentials: {d}"),
            );
        }
        creds.extend(spec.credentials.iter().cloned());
    }
    f.set("credentials", creds.into_iter().collect::<Vec<_>>());
    // A job known only from the catalog's description of a remote include.
    if let Some(why) = r
        .steps
        .first()
        .and_then(|(s, _)| s.described.as_ref())
        .filter(|_| r.steps.iter().all(|(s, _)| s.described.is_some()))
    {
        f.set("judgement", why.as_str());
    }
    // When the job runs is itself a judgement (triggers kept in the provider's settings).
    if let (Some(why), None) = (&r.pipeline.triggers_judgement, f.get_str("judgement")) {
        f.set("judgement", why.as_str());
    }
    f.set(
        "categories",
        r.categories.iter().cloned().collect::<Vec<_>>(),
    );
    f.set("tools", r.tools.iter().cloned().collect::<Vec<_>>());
}

/// A fact's detail with its trigger list summarised, when that makes it shorter.
fn brief_of(detail: &str, t: &Triggers) -> Option<String> {
    let (full, summary) = (display_triggers(t), t.summary());
    (summary.len() < full.len() && detail.contains(&full))
        .then(|| detail.replacen(&full, &summary, 1))
}

fn display_triggers(t: &Triggers) -> String {
    let n = t.names();
    if n.is_empty() {
        "no trigger".to_string()
    } else {
        n.join(", ")
    }
}

fn pipeline_triggers(p: &Pipeline, inherited: &HashMap<String, Triggers>) -> Triggers {
    let mut t = p.triggers.clone();
    if let Some(i) = inherited.get(&p.path) {
        t.union(i);
    }
    t
}

fn job_triggers(j: &Job, base: &Triggers) -> Triggers {
    let t = j.triggers.clone().unwrap_or_else(|| base.clone());
    match &j.condition {
        Some(c) => t.narrow(c),
        None => t,
    }
}

/// `./.github/workflows/x.yml` → `.github/workflows/x.yml` (a path of this repo).
fn local_target(reference: &str, _from: &str) -> Option<String> {
    let r = reference.trim();
    let r = r.strip_prefix("./")?;
    let r = r.split('@').next().unwrap_or(r);
    Some(r.trim_end_matches('/').to_string())
}

/// The job's steps with local composite actions expanded, and the tools each runs.
fn expand_steps(
    p: &Pipeline,
    j: &Job,
    by_path: &HashMap<&str, &Pipeline>,
    ctx: &Ctx,
) -> Vec<(Step, Vec<ToolMatch>)> {
    let mut out = Vec::new();
    if let Some(img) = &j.image {
        let mut ms = ctx.tools.match_image(img);
        judge_described(&mut ms, j.image_described.as_deref());
        if !ms.is_empty() {
            out.push((
                Step {
                    line: j.line,
                    image: Some(img.clone()),
                    described: j.image_described.clone(),
                    ..Default::default()
                },
                ms,
            ));
        }
    }
    // A reusable workflow of another repository cannot be read offline; like a remote
    // action, it is known by the catalog only by its name (`maven-cd.yml`).
    if let Some((target, line)) = &j.calls {
        if local_target(target, &p.path).is_none() {
            let mut ms = ctx.tools.match_uses(target, &BTreeMap::new());
            // A remote reusable workflow granted `security-events: write` is there to
            // upload code-scanning results: no other use needs that grant.
            let perms = effective_permissions(j, p);
            if matches!(perms, Permissions::Scoped(w) if w.iter().any(|s| s == "security-events")) {
                let matched = format!("`{target}` with `security-events: write`");
                if let Some(m) = ctx.tools.use_of(SARIF_UPLOAD_TOOL, &matched) {
                    ms.push(m.judged(format!(
                        "`{target}` cannot be read offline; its `security-events: write` grant is taken to upload code-scanning results"
                    )));
                }
            }
            if !ms.is_empty() {
                out.push((
                    Step {
                        line: *line,
                        ..Default::default()
                    },
                    ms,
                ));
            }
        }
    }
    expand_into(&j.steps, &p.path, by_path, ctx, 0, &mut out);
    out
}

/// The security linters a golangci-lint step runs, from the repository's golangci-lint
/// configuration, as steps located at the line that enables each.
fn golangci_scanners(condition: Option<&String>, ctx: &Ctx) -> Vec<(Step, Vec<ToolMatch>)> {
    let Some((path, file)) = golangci::CONFIG_NAMES
        .iter()
        .find_map(|p| ctx.file(p).map(|f| (*p, f)))
    else {
        return Vec::new();
    };
    let Ok(text) = ctx.read_text(file) else {
        return Vec::new();
    };
    golangci::enabled_security_linters(&text)
        .into_iter()
        .filter_map(|(tool, line)| {
            let m = ctx.tools.use_of(
                tool,
                &format!("golangci-lint with `{tool}` enabled in {path}"),
            )?;
            Some((
                Step {
                    path: Some(path.to_string()),
                    line,
                    condition: condition.cloned(),
                    ..Default::default()
                },
                vec![ToolMatch {
                    line: Some(line),
                    ..m
                }],
            ))
        })
        .collect()
}

/// The tools the hooks of `.pre-commit-config.yaml` run, as steps at each hook's line.
fn pre_commit_hooks(
    only: Option<&str>,
    condition: Option<&String>,
    ctx: &Ctx,
) -> Vec<(Step, Vec<ToolMatch>)> {
    let Some(file) = ctx.file(pre_commit::CONFIG) else {
        return Vec::new();
    };
    let Ok(text) = ctx.read_text(file) else {
        return Vec::new();
    };
    pre_commit::hooks(&text, only)
        .into_iter()
        .filter_map(|h| {
            let matches: Vec<ToolMatch> = h
                .candidates
                .iter()
                .map(|c| ctx.tools.match_command(c))
                .find(|ms| ms.iter().any(|m| m.excluded.is_none()))?
                .into_iter()
                .filter(|m| m.excluded.is_none())
                .map(|m| ToolMatch {
                    matched: format!("pre-commit hook `{}`", h.id),
                    line: Some(h.line),
                    ..m
                })
                .collect();
            Some((
                Step {
                    path: Some(pre_commit::CONFIG.to_string()),
                    line: h.line,
                    condition: condition.cloned(),
                    ..Default::default()
                },
                matches,
            ))
        })
        .collect()
}

/// A `meson test` whose suite only validates data files is static validation,
/// not a test of the program (see [`test_suites`]).
fn validation_only_meson_tests(matches: &mut [ToolMatch], ctx: &Ctx) {
    let runs = |m: &ToolMatch| m.tool == "ctest" && test_suites::runs_meson_tests(&m.matched);
    if !matches.iter().any(runs) || !test_suites::only_validators(ctx) {
        return;
    }
    for m in matches.iter_mut().filter(|m| runs(m)) {
        if let Some(v) = ctx.tools.use_of("meson-validation-tests", &m.matched) {
            *m = ToolMatch {
                line: m.line,
                judgement: Some(
                    "the Meson test suite only runs data-file validators (appstreamcli, desktop-file-validate...): read as static validation, not tests"
                        .into(),
                ),
                ..v
            };
        }
    }
}

/// Test runners with nothing to run are not tests: CTest with no test registered in
/// the CMake files, `go test` in a module with no `_test.go` file (see [`test_suites`]).
fn drop_suites_without_tests(matches: &mut Vec<ToolMatch>, ctx: &Ctx) {
    let ctest = |m: &ToolMatch| m.tool == "ctest" && test_suites::runs_ctest(&m.matched);
    if matches.iter().any(ctest) && test_suites::cmake_without_tests(ctx) {
        matches.retain(|m| !ctest(m));
    }
    let go = |m: &ToolMatch| {
        matches!(
            m.tool.as_str(),
            "go-test" | "go-test-cover" | "go-test-coverprofile" | "go-coverprofile"
        ) && test_suites::runs_go_test(&m.matched)
    };
    if matches.iter().any(go) && test_suites::go_without_tests(ctx) {
        matches.retain(|m| !go(m));
    }
}

/// A test entry point of the repository (`npm test`, `make test`) that, followed, only
/// runs static checks is reported as not a test, with what it runs.
fn exclude_test_scripts_without_tests(matches: &mut [ToolMatch], ctx: &Ctx) {
    for m in matches.iter_mut().filter(|m| {
        m.excluded.is_none()
            && m.via == crate::tools::Via::Run
            && m.categories.iter().any(|k| k == "test")
    }) {
        let words: Vec<String> = m.matched.split_whitespace().map(str::to_string).collect();
        if let Some(why) = test_suites::static_checks_only(&words, ctx) {
            m.excluded = Some(why);
        }
    }
}

/// Release bots that keep a release pull request open (release-please, ready-release-go)
/// cut the release when a person merges it: the step waits for that person, read as a
/// hand-taken release step (a judgement: the rubric's gates are forge and CI
/// settings). True when `matches` holds one; its match carries the judgement.
fn release_pull_request_bot(matches: &mut [ToolMatch]) -> bool {
    const BOTS: &[&str] = &["release-please", "ready-release-go"];
    let mut found = false;
    for m in matches
        .iter_mut()
        .filter(|m| m.excluded.is_none() && BOTS.contains(&m.tool.as_str()))
    {
        found = true;
        if m.judgement.is_none() {
            m.judgement = Some(format!(
                "{} releases when a person merges the release pull request it keeps open: read as a hand-taken release step",
                m.name
            ));
        }
    }
    found
}

/// Tool uses known from the catalog's description of a remote include (`why`) rest on
/// that description, unless they carry a judgement of their own.
fn judge_described(matches: &mut [ToolMatch], why: Option<&str>) {
    if let Some(why) = why {
        for m in matches.iter_mut().filter(|m| m.judgement.is_none()) {
            m.judgement = Some(why.to_string());
        }
    }
}

fn expand_into(
    steps: &[Step],
    path: &str,
    by_path: &HashMap<&str, &Pipeline>,
    ctx: &Ctx,
    depth: usize,
    out: &mut Vec<(Step, Vec<ToolMatch>)>,
) {
    for s in steps {
        let mut matches: Vec<ToolMatch> = s.tools.clone();
        if let Some(u) = &s.uses {
            matches.extend(ctx.tools.match_uses(u, &s.with));
            if matches.is_empty() {
                matches.extend(missing_local_action(u, ctx));
            }
        }
        if let Some(img) = &s.image {
            matches.extend(ctx.tools.match_image(img));
        }
        // Each command is matched where it is written, and the scripts and Makefile
        // targets it runs are read as steps of their own, after this one.
        let mut invoked = Vec::new();
        if let Some((script, first)) = &s.run {
            for cmd in split_commands(script) {
                let line = first + cmd.line;
                matches.extend(ctx.tools.match_command(&cmd.words).into_iter().map(|m| {
                    ToolMatch {
                        line: Some(line),
                        ..m
                    }
                }));
                invoked.extend(scripts::expand(&cmd.words, s.condition.as_ref(), ctx));
            }
        }
        dedup_matches(&mut matches);
        validation_only_meson_tests(&mut matches, ctx);
        drop_suites_without_tests(&mut matches, ctx);
        exclude_test_scripts_without_tests(&mut matches, ctx);
        for (_, ms) in invoked.iter_mut() {
            drop_suites_without_tests(ms, ctx);
            exclude_test_scripts_without_tests(ms, ctx);
        }
        judge_described(&mut matches, s.described.as_deref());
        // golangci-lint run by the step or by a script, target or task it invokes.
        if matches
            .iter()
            .chain(invoked.iter().flat_map(|(_, ms)| ms))
            .any(|m| m.tool == "golangci-lint" && m.excluded.is_none())
        {
            invoked.extend(golangci_scanners(s.condition.as_ref(), ctx));
        }
        if let Some(m) = matches
            .iter()
            .find(|m| m.tool == "pre-commit" && m.excluded.is_none())
        {
            // The hook a step names: in its command, or in the action's arguments.
            let words: Vec<String> = if m.via == crate::tools::Via::Uses {
                ["extra_args", "args"]
                    .iter()
                    .find_map(|k| s.with.get(*k))
                    .map(|a| a.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default()
            } else {
                m.matched.split_whitespace().map(str::to_string).collect()
            };
            invoked.extend(pre_commit_hooks(
                pre_commit::named_hook(&words),
                s.condition.as_ref(),
                ctx,
            ));
        }
        let mut step = s.clone();
        if step.path.is_none() && depth > 0 {
            step.path = Some(path.to_string());
        }
        if release_pull_request_bot(&mut matches) {
            step.manual_gate = true;
        }
        out.push((step, matches));
        out.extend(invoked);
        if depth < MAX_EXPANSION_DEPTH {
            if let Some(target) = s.uses.as_deref().and_then(|u| local_target(u, path)) {
                for candidate in [
                    format!("{target}/action.yml"),
                    format!("{target}/action.yaml"),
                ] {
                    if let Some(lib) = by_path.get(candidate.as_str()) {
                        if lib.kind == PipelineKind::StepLibrary {
                            for lj in &lib.jobs {
                                let inner: Vec<Step> = lj
                                    .steps
                                    .iter()
                                    .map(|x| Step {
                                        path: Some(lib.path.clone()),
                                        condition: x.condition.clone().or(s.condition.clone()),
                                        ..x.clone()
                                    })
                                    .collect();
                                expand_into(&inner, &lib.path, by_path, ctx, depth + 1, out);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A local action (`uses: ./path`) whose `action.yml` is not in the repository: an
/// earlier step of the job puts it there when the job runs (an organisation's action
/// bundle checked out into `.github/`), so what it does is known only by its name, as
/// for a remote action.
fn missing_local_action(reference: &str, ctx: &Ctx) -> Vec<ToolMatch> {
    let Some(target) = local_target(reference, "") else {
        return Vec::new();
    };
    if target.is_empty()
        || ["action.yml", "action.yaml"]
            .iter()
            .any(|f| ctx.file(&format!("{target}/{f}")).is_some())
    {
        return Vec::new();
    }
    ctx.tools.match_uses_name(
        reference,
        format!(
            "`{reference}` is not in the repository (an earlier step puts it there when the job runs); it is known only by its name"
        ),
    )
}

fn dedup_matches(ms: &mut Vec<ToolMatch>) {
    let mut seen: Vec<(String, bool)> = Vec::new();
    ms.retain(|m| {
        let key = (m.tool.clone(), m.excluded.is_some());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    // A tool both run and merely mentioned in one step is run.
    let run: Vec<String> = ms
        .iter()
        .filter(|m| m.excluded.is_none())
        .map(|m| m.tool.clone())
        .collect();
    ms.retain(|m| m.excluded.is_none() || !run.contains(&m.tool));
}

/// For every job: whether it, or a job it depends on (its `needs`, or every job of an
/// earlier stage when it has no `needs`), waits for a person; and whether a job it
/// depends on runs tests. One memoised walk per pipeline over the jobs and one node per
/// stage that stands for "every job of the earlier stages" (a chain: stage i's node
/// depends on stage i-1's jobs and node), so large pipelines cost O(jobs + edges), not
/// O(jobs x stages).
fn upstream_all(all: &[Resolved]) -> Vec<(bool, bool)> {
    let jobs_n = all.len();
    let own_gate = |k: usize| {
        k < jobs_n
            && (all[k].job.manual_gate.is_some() || all[k].steps.iter().any(|(s, _)| s.manual_gate))
    };
    let runs_tests = |k: usize| k < jobs_n && all[k].categories.contains("test");
    // Nodes 0..jobs_n are jobs; later nodes are the stage nodes of each pipeline.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); jobs_n];
    let mut by_pipeline: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, r) in all.iter().enumerate() {
        by_pipeline
            .entry(r.pipeline.path.as_str())
            .or_default()
            .push(k);
    }
    for jobs in by_pipeline.values() {
        let by_id: HashMap<&str, usize> =
            jobs.iter().map(|&k| (all[k].job.id.as_str(), k)).collect();
        let mut stages: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &k in jobs {
            if let Some((_, s)) = &all[k].job.stage {
                stages.entry(*s).or_default().push(k);
            }
        }
        // The node of each stage: every job of the stages before it.
        let mut before_stage: HashMap<usize, usize> = HashMap::new();
        let mut previous: Option<(usize, &Vec<usize>)> = None;
        for (&stage, members) in &stages {
            let node = preds.len();
            let mut p = Vec::new();
            if let Some((prev_node, prev_members)) = previous {
                p.push(prev_node);
                p.extend(prev_members.iter().copied());
            }
            preds.push(p);
            before_stage.insert(stage, node);
            previous = Some((node, members));
        }
        for &k in jobs {
            let j = &all[k].job;
            preds[k] = if !j.needs.is_empty() {
                j.needs
                    .iter()
                    .filter_map(|n| by_id.get(n.as_str()).copied())
                    .collect()
            } else {
                match &j.stage {
                    Some((_, s)) => before_stage.get(s).copied().into_iter().collect(),
                    None => Vec::new(),
                }
            };
        }
    }
    let nodes = preds.len();
    let mut result: Vec<Option<(bool, bool)>> = vec![None; nodes];
    let mut in_progress = vec![false; nodes];
    for start in 0..jobs_n {
        let mut stack = vec![(start, false)];
        while let Some((k, expanded)) = stack.pop() {
            if result[k].is_some() {
                continue;
            }
            if !expanded {
                if in_progress[k] {
                    // A dependency cycle: stop here with the job's own gate.
                    result[k] = Some((own_gate(k), false));
                    continue;
                }
                in_progress[k] = true;
                stack.push((k, true));
                stack.extend(
                    preds[k]
                        .iter()
                        .filter(|&&p| result[p].is_none())
                        .map(|&p| (p, false)),
                );
                continue;
            }
            let mut gated = own_gate(k);
            let mut tested = false;
            for &p in &preds[k] {
                if let Some((pg, pt)) = result[p] {
                    gated |= pg;
                    tested |= pt || runs_tests(p);
                }
            }
            result[k] = Some((gated, tested));
        }
    }
    result
        .into_iter()
        .take(jobs_n)
        .map(Option::unwrap_or_default)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(branches: &[&str]) -> Triggers {
        Triggers {
            push: true,
            push_branches: branches.iter().map(|s| s.to_string()).collect(),
            pull_request: true,
            ..Default::default()
        }
    }

    #[test]
    fn alternatives_narrow_one_by_one() {
        let t = Triggers {
            push: true,
            push_branches: vec!["develop".into(), "main".into()],
            tag: true,
            pull_request: true,
            manual: true,
            ..Default::default()
        };
        let n = t.narrow(
            "${{ github.ref == 'refs/heads/main' ||\n startsWith(github.ref, 'refs/tags/') }}",
        );
        assert!(n.push && n.tag && !n.pull_request);
        assert_eq!(n.push_branches, vec!["main".to_string()]);
        assert!(!n.default_branch_among(&["develop"]));
        assert!(n.default_branch_among(&["main"]));
        // An alternative that says nothing narrows nothing.
        let m = t.narrow(
            "github.ref == 'refs/heads/main' || contains(github.event.head_commit.message, 'x')",
        );
        assert!(m.pull_request && m.default_branch_among(&["develop"]));
        assert_eq!(
            split_top_level_or("a(x||y) || 'p||q' || b"),
            vec!["a(x||y)", "'p||q'", "b"]
        );
    }

    #[test]
    fn default_branch_follows_filters() {
        assert!(push(&[]).default_branch());
        assert!(push(&["main"]).default_branch());
        assert!(push(&["ma*"]).default_branch());
        assert!(!push(&["release/*"]).default_branch());
        let mut t = push(&[]);
        t.push_branches_ignore = vec!["main".into(), "master".into()];
        assert!(!t.default_branch());
    }

    #[test]
    fn conditions_narrow_triggers() {
        let mut t = push(&[]);
        t.tag = true;
        let n = t.narrow("github.ref == 'refs/heads/main'");
        assert!(n.push && n.default_branch() && !n.pull_request && !n.tag);
        let n = t.narrow("startsWith(github.ref, 'refs/tags/')");
        assert!(n.tag && !n.push && !n.pull_request);
        let n = t.narrow("github.event_name != 'pull_request'");
        assert!(n.push && !n.pull_request);
        let n = t.narrow("github.event_name == 'pull_request' || github.ref == 'refs/heads/main'");
        assert!(n.pull_request && n.push && n.default_branch() && !n.tag);
        assert_eq!(n.push_branches, vec!["main".to_string()]);
        let n = t.narrow("github.ref == 'refs/heads/develop'");
        assert!(!n.default_branch());
        let n = t.narrow("github.event_name == 'push' && github.event.ref == 'refs/heads/main'");
        assert!(n.default_branch() && !n.pull_request && !n.tag);
        let n = t.narrow("github.ref_name == 'main'");
        assert!(n.default_branch() && !n.pull_request);
        let n = t.narrow("'refs/heads/main' == github.ref");
        assert!(n.default_branch() && !n.pull_request);
        let n =
            t.narrow("!(github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v2.'))");
        assert_eq!(n, t);
        let n = t.narrow("github.ref != 'refs/heads/main'");
        assert!(n.pull_request);
    }

    #[test]
    fn pins() {
        assert_eq!(
            pin_kind("actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11"),
            "sha"
        );
        assert_eq!(pin_kind("actions/checkout@v4"), "tag");
        assert_eq!(pin_kind("foo/bar@main"), "branch");
        assert_eq!(pin_kind("./.github/actions/x"), "local");
        assert_eq!(pin_kind("docker://alpine@sha256:abc"), "digest");
    }
}

#[cfg(test)]
mod trigger_summary_tests {
    use super::*;

    #[test]
    fn long_branch_lists_are_summarised_and_short_ones_kept() {
        let t = Triggers {
            push: true,
            push_branches: vec![
                "main".into(),
                "release-*".into(),
                "/^v\\d+\\.\\d+$/".into(),
                "stable".into(),
                "hotfix/*".into(),
            ],
            pull_request: true,
            tag: true,
            ..Default::default()
        };
        assert_eq!(
            t.summary(),
            "push (default branch + 4 patterns), pull requests, tag"
        );
        let short = Triggers {
            push: true,
            push_branches: vec!["main".into()],
            ..Default::default()
        };
        assert_eq!(short.summary(), "push(main)");
        let others = Triggers {
            push: true,
            push_branches: vec![
                "develop".into(),
                "feature/*".into(),
                "long-lived-branch".into(),
            ],
            ..Default::default()
        };
        assert_eq!(others.summary(), "push (3 patterns)");
        assert_eq!(Triggers::default().summary(), "no trigger");
        let detail = "go test (test) in job `t` on push(main,release-*,/^v\\d+\\.\\d+$/,stable,hotfix/*), pull_request, tag: `go test`";
        assert_eq!(
            brief_of(detail, &t).as_deref(),
            Some("go test (test) in job `t` on push (default branch + 4 patterns), pull requests, tag: `go test`")
        );
        assert_eq!(brief_of("job `x` on push(main)", &short), None);
    }
}
