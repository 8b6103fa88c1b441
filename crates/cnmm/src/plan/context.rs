//! What the scan found that a plan fits its steps to: the forge and CI providers in
//! use, the ecosystems, the default branch and the jobs that test and release.

use cnmm_model::{Assessment, Fact};
use std::collections::BTreeSet;
use std::path::Path;

/// Where the repository is hosted, as far as its files say: it decides which files a
/// step writes (a GitHub workflow, a GitLab include, a Renovate config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    GitHub,
    GitLab,
    Other,
}

/// A dependency ecosystem, named as Dependabot names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ecosystem {
    pub name: &'static str,
    /// The directory its manifest is in, from the root (`/`, `/web`).
    pub directory: String,
}

/// A job of the pipeline a step points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    pub provider: String,
    pub path: String,
    pub line: Option<u32>,
    pub job: String,
    pub on_tag: bool,
    pub on_release: bool,
}

impl JobRef {
    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.path),
            None => self.path.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RepoContext {
    pub forge: Forge,
    /// CI providers with a pipeline that counts (not under tests, examples...).
    pub providers: BTreeSet<String>,
    /// Whether some pipeline runs by itself (push, PR/MR, tag, schedule).
    pub automatic_ci: bool,
    /// (provider, file) of each pipeline, sorted.
    pub pipeline_files: Vec<(String, String)>,
    pub ecosystems: BTreeSet<Ecosystem>,
    /// Whether GitHub workflows exist (Dependabot then keeps their actions current).
    pub github_workflows: bool,
    pub dockerfile_dirs: BTreeSet<String>,
    pub terraform: bool,
    pub default_branch: String,
    /// The repository's owner on its forge (from `origin`), for CODEOWNERS.
    pub owner: Option<String>,
    pub release_jobs: Vec<JobRef>,
    pub test_jobs: Vec<JobRef>,
    /// The GitLab pipeline file, when there is one.
    pub gitlab_ci: Option<String>,
}

/// Root manifests and the ecosystem each means (lockfiles found anywhere come from the
/// scan's facts).
const ROOT_MANIFESTS: &[(&str, &str)] = &[
    ("go.mod", "gomod"),
    ("Cargo.toml", "cargo"),
    ("package.json", "npm"),
    ("pyproject.toml", "pip"),
    ("requirements.txt", "pip"),
    ("setup.py", "pip"),
    ("pom.xml", "maven"),
    ("build.gradle", "gradle"),
    ("build.gradle.kts", "gradle"),
    ("composer.json", "composer"),
    ("Gemfile", "bundler"),
];

impl RepoContext {
    pub fn new(root: &Path, assessment: &Assessment, facts: &[Fact]) -> RepoContext {
        let counts = |f: &&Fact| f.excluded.is_none();
        let mut providers = BTreeSet::new();
        let mut automatic_ci = false;
        let mut pipeline_files = Vec::new();
        for f in facts
            .iter()
            .filter(counts)
            .filter(|f| f.kind == "ci.pipeline")
        {
            if let Some(p) = f.get_str("provider") {
                providers.insert(p.to_string());
                pipeline_files.push((p.to_string(), f.location.path.clone()));
            }
            automatic_ci |= f.get_bool("automatic");
        }
        let mut ecosystems = BTreeSet::new();
        for (file, eco) in ROOT_MANIFESTS {
            if root.join(file).is_file() {
                ecosystems.insert(Ecosystem {
                    name: eco,
                    directory: "/".into(),
                });
            }
        }
        for f in facts
            .iter()
            .filter(counts)
            .filter(|f| f.kind == "dependency.lockfile")
        {
            let Some(name) = f.get_str("ecosystem").and_then(dependabot_name) else {
                continue;
            };
            ecosystems.insert(Ecosystem {
                name,
                directory: directory_of(&f.location.path),
            });
        }
        let dockerfile_dirs: BTreeSet<String> = facts
            .iter()
            .filter(counts)
            .filter(|f| f.kind == "container.from")
            .map(|f| directory_of(&f.location.path))
            .collect();
        let terraform = facts
            .iter()
            .filter(counts)
            .any(|f| f.kind == "iac.block" || f.kind == "iac.project");
        let github_workflows =
            providers.contains("github-actions") || root.join(".github/workflows").is_dir();
        let gitlab_ci = [".gitlab-ci.yml", ".gitlab-ci.yaml"]
            .into_iter()
            .find(|p| root.join(p).is_file())
            .map(str::to_string);
        // The remote's URL, read once: it names the forge and the owner.
        let origin = cnmm_facts::history::origin_url(root);
        let forge = if github_workflows || root.join(".github").is_dir() {
            Forge::GitHub
        } else if gitlab_ci.is_some() || root.join(".gitlab").is_dir() {
            Forge::GitLab
        } else {
            match &origin {
                Some(u) if u.contains("github") => Forge::GitHub,
                Some(u) if u.contains("gitlab") => Forge::GitLab,
                _ => Forge::Other,
            }
        };
        let default_branch = assessment
            .target
            .git_ref
            .as_deref()
            .and_then(|r| r.strip_prefix("refs/heads/"))
            .map(str::to_string)
            .or_else(|| cnmm_facts::history::default_branch(root))
            .unwrap_or_else(|| "main".into());
        let jobs = |category: &str| -> Vec<JobRef> {
            let mut v: Vec<JobRef> = facts
                .iter()
                .filter(counts)
                .filter(|f| {
                    f.kind == "ci.job" && f.get_list("categories").iter().any(|c| c == category)
                })
                .map(|f| JobRef {
                    provider: f.get_str("provider").unwrap_or("").to_string(),
                    path: f.location.path.clone(),
                    line: f.location.line,
                    job: f.get_str("job").unwrap_or("").to_string(),
                    on_tag: f.get_bool("on_tag"),
                    on_release: f.get_bool("on_release"),
                })
                .collect();
            v.sort_by(|a, b| (&a.path, a.line, &a.job).cmp(&(&b.path, b.line, &b.job)));
            v.dedup();
            v
        };
        let mut release_jobs = jobs("release");
        for j in jobs("publish") {
            if !release_jobs.contains(&j) {
                release_jobs.push(j);
            }
        }
        RepoContext {
            forge,
            providers,
            automatic_ci,
            pipeline_files: {
                pipeline_files.sort();
                pipeline_files
            },
            ecosystems,
            github_workflows,
            dockerfile_dirs,
            terraform,
            default_branch,
            owner: origin.as_deref().and_then(cnmm_facts::history::forge_owner),
            release_jobs,
            test_jobs: jobs("test"),
            gitlab_ci,
        }
    }

    /// The first pipeline file of `provider` the scan read.
    pub fn ci_file(&self, provider: &str) -> Option<String> {
        self.pipeline_files
            .iter()
            .find(|(p, _)| p == provider)
            .map(|(_, f)| f.clone())
    }

    pub fn has(&self, ecosystem: &str) -> bool {
        self.ecosystems.iter().any(|e| e.name == ecosystem)
    }

    /// "pull request" or "merge request", as the forge says it.
    pub fn change_request(&self) -> &'static str {
        match self.forge {
            Forge::GitLab => "merge request",
            _ => "pull request",
        }
    }

    /// The command that runs the project's tests, when its ecosystem says it.
    pub fn test_command(&self) -> Option<&'static str> {
        [
            ("gomod", "go test ./..."),
            ("cargo", "cargo test"),
            ("npm", "npm test"),
            ("maven", "mvn -B verify"),
            ("gradle", "./gradlew check"),
            ("pip", "python -m pytest"),
        ]
        .into_iter()
        .find(|(e, _)| self.has(e))
        .map(|(_, c)| c)
    }
}

/// The lockfile ecosystems of the scan, as Dependabot names them.
fn dependabot_name(eco: &str) -> Option<&'static str> {
    Some(match eco {
        "gomod" => "gomod",
        "cargo" => "cargo",
        "npm" => "npm",
        "pip" => "pip",
        "bundler" => "bundler",
        "composer" => "composer",
        "gradle" => "gradle",
        "maven" => "maven",
        "nuget" => "nuget",
        "pub" => "pub",
        "mix" => "mix",
        "swift" => "swift",
        _ => return None,
    })
}

/// `web/package-lock.json` → `/web`; `go.sum` → `/`.
fn directory_of(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) => format!("/{dir}"),
        None => "/".into(),
    }
}
