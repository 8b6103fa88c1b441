//! CI providers other than GitHub Actions: each provider's fixture yields the jobs,
//! lines, triggers, gates and tools a reader of the file would point at; the same
//! logical pipeline written for GitHub Actions, GitLab CI and Jenkins gets the same
//! verdicts; and bad input becomes diagnostics while the rest of the scan completes.

use crate::support::{assess, criterion, fixtures_dir, materialise};
use cnmm_model::{Fact, Status};
use std::path::Path;

fn facts(root: &Path) -> cnmm_facts::ScanResult {
    let (rules, _) = cnmm::scan::load_rules(&[]).expect("built-in rules");
    let mut opts = cnmm_facts::ScanOptions::new(root);
    opts.threads = 2;
    opts.history.enabled = false;
    cnmm_facts::scan(&opts, &rules.catalog).expect("scan")
}

fn fixture_facts(name: &str) -> Vec<Fact> {
    let repo = materialise(Path::new("providers").join(name).as_path(), false);
    let r = facts(repo.path());
    // Info notes (e.g. "not a git repository") are expected; problems are not.
    let problems: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity != cnmm_model::Severity::Info)
        .collect();
    assert!(
        problems.is_empty(),
        "{name}: unexpected diagnostics {problems:?}"
    );
    r.facts
}

/// The unexcluded `tool.use` fact of `tool` in `job`.
fn tool<'f>(facts: &'f [Fact], job: &str, tool: &str) -> &'f Fact {
    facts
        .iter()
        .find(|f| {
            f.kind == "tool.use"
                && f.excluded.is_none()
                && f.get_str("job") == Some(job)
                && f.get_str("tool") == Some(tool)
        })
        .unwrap_or_else(|| panic!("no tool.use of {tool} in job {job}"))
}

fn job<'f>(facts: &'f [Fact], id: &str) -> &'f Fact {
    facts
        .iter()
        .find(|f| f.kind == "ci.job" && f.get_str("job") == Some(id))
        .unwrap_or_else(|| panic!("no job {id}"))
}

fn at(f: &Fact) -> (String, u32) {
    (f.location.path.clone(), f.location.line.unwrap_or(0))
}

fn excluded_tools(facts: &[Fact]) -> Vec<String> {
    let mut v: Vec<String> = facts
        .iter()
        .filter(|f| f.kind == "tool.use" && f.excluded.is_some())
        .filter_map(|f| f.get_str("tool").map(str::to_string))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn gitlab_ci_includes_extends_rules_and_gates() {
    let f = fixture_facts("gitlab");
    // Jobs keep the lines of the file they are written in, included files too.
    assert_eq!(
        at(tool(&f, "build", "go-build")),
        (".gitlab-ci.yml".into(), 41)
    );
    assert_eq!(
        at(tool(&f, "unit-tests", "go-test")),
        (".gitlab-ci.yml".into(), 49)
    );
    let deploy = tool(&f, "deploy-production", "kubectl-apply");
    assert_eq!(at(deploy), ("ci/templates.yml".into(), 20));
    // extends: .deploy -> .kube brings the OIDC id_tokens; rules make it tag-only and manual.
    assert!(deploy.get_bool("on_tag") && !deploy.get_bool("on_push") && !deploy.get_bool("on_pr"));
    assert!(deploy.get_bool("manual_gate"));
    assert_eq!(deploy.get_str("environment"), Some("production"));
    assert_eq!(
        job(&f, "deploy-production").get_list("credentials"),
        ["oidc"]
    );
    // The default branch only; the job token logs in to the registry.
    let push = tool(&f, "publish-image", "docker-push");
    assert_eq!(at(push), (".gitlab-ci.yml".into(), 68));
    assert!(push.get_bool("on_default_branch") && !push.get_bool("on_pr"));
    assert!(push.get_bool("after_tests"));
    assert_eq!(
        job(&f, "publish-image").get_list("credentials"),
        ["job-token"]
    );
    // workflow:rules admit merge requests; the lint job runs on them only.
    let lint = tool(&f, "lint", "golangci-lint");
    assert!(lint.get_bool("on_pr") && !lint.get_bool("on_push"));
    let test = tool(&f, "unit-tests", "go-test");
    assert!(test.get_bool("on_push") && test.get_bool("on_pr") && test.get_bool("on_tag"));
    // `extends: .go-job` before_script comes from the included file, with its line.
    let steps_from_include: Vec<u32> = f
        .iter()
        .filter(|x| x.kind == "tool.use" && x.location.path == "ci/templates.yml")
        .filter_map(|x| x.location.line)
        .collect();
    assert!(steps_from_include.contains(&20) && steps_from_include.contains(&21));
    // The SAST template runs the scanner and publishes a security report.
    let sast = tool(&f, "template:sast", "gitlab-sast");
    assert_eq!(at(sast), (".gitlab-ci.yml".into(), 5));
    assert!(sast
        .get_list("categories")
        .contains(&"security-report".to_string()));
    // Includes of every kind are recorded.
    let shared: Vec<&str> = f
        .iter()
        .filter(|x| x.kind == "ci.shared")
        .filter_map(|x| x.get_str("reference"))
        .collect();
    assert_eq!(
        shared,
        [
            "local:ci/templates.yml",
            "template:Security/SAST.gitlab-ci.yml",
            "project:platform/ci-templates/jobs/notify.yml@v3.2.0"
        ]
    );
    // Hidden jobs never run themselves.
    assert!(!f
        .iter()
        .any(|x| x.get_str("job").is_some_and(|j| j.starts_with('.'))));
    // Traps: mentioned, installed or deleted, never run.
    assert_eq!(excluded_tools(&f), ["checkov", "codeql", "trivy"]);
}

#[test]
fn jenkinsfile_stages_when_input_and_libraries() {
    let f = fixture_facts("jenkins");
    let test = tool(&f, "Checks/Unit tests", "go-test");
    assert_eq!(at(test), ("Jenkinsfile".into(), 27));
    assert!(test.get_bool("on_push") && test.get_bool("on_pr"));
    let lint = tool(&f, "Checks/Lint", "golangci-lint");
    assert!(lint.get_bool("on_pr") && !lint.get_bool("on_push"));
    assert_eq!(
        at(tool(&f, "Checks/SAST", "semgrep")),
        ("Jenkinsfile".into(), 41)
    );
    let push = tool(&f, "Publish image", "docker-push");
    assert_eq!(at(push), ("Jenkinsfile".into(), 54));
    assert!(
        push.get_bool("on_default_branch") && !push.get_bool("on_pr") && !push.get_bool("on_tag")
    );
    assert!(push.get_bool("after_tests"));
    let deploy = tool(&f, "Deploy production", "kubectl-apply");
    assert_eq!(at(deploy), ("Jenkinsfile".into(), 66));
    assert!(deploy.get_bool("on_tag") && !deploy.get_bool("on_push"));
    assert!(deploy.get_bool("manual_gate"));
    assert_eq!(
        job(&f, "Deploy production").get_list("credentials"),
        ["secret"]
    );
    assert_eq!(job(&f, "Deploy production").location.line, Some(58));
    let libs: Vec<&str> = f
        .iter()
        .filter(|x| x.kind == "ci.shared" && x.get_str("kind") == Some("library"))
        .filter_map(|x| x.get_str("reference"))
        .collect();
    assert_eq!(libs, ["notify", "platform-pipeline@v3"]);
    assert_eq!(excluded_tools(&f), ["checkov", "codeql", "trivy"]);
}

#[test]
fn circleci_workflows_filters_approvals_and_orbs() {
    let f = fixture_facts("circleci");
    let test = tool(&f, "ci/build", "go-test");
    assert_eq!(at(test), (".circleci/config.yml".into(), 33));
    assert!(test.get_bool("on_push") && test.get_bool("on_pr"));
    let publish = tool(&f, "ci/docker/publish", "circleci-docker-publish");
    assert!(publish.get_bool("on_default_branch") && !publish.get_bool("on_pr"));
    let deploy = tool(&f, "ci/deploy", "kubectl-apply");
    assert_eq!(at(deploy), (".circleci/config.yml".into(), 46));
    assert!(deploy.get_bool("on_tag") && !deploy.get_bool("on_push"));
    assert!(deploy.get_bool("manual_gate") && deploy.get_bool("gated_path"));
    // Steps given to an orb command run; the expression filter keeps main out.
    let lint = tool(&f, "ci/lint", "golangci-lint");
    assert_eq!(at(lint), (".circleci/config.yml".into(), 53));
    assert!(lint.get_bool("on_push") && !lint.get_bool("on_default_branch"));
    let nightly = tool(&f, "nightly/scan", "trivy");
    assert!(nightly.get_bool("on_schedule") && !nightly.get_bool("on_push"));
    // The fixture's repository has no owner of its own: every registry orb is another
    // namespace's, a marketplace component.
    assert!(!f
        .iter()
        .any(|x| x.kind == "ci.shared" && x.get_str("kind") == Some("orb")));
    let orbs: Vec<&str> = f
        .iter()
        .filter(|x| x.kind == "ci.shared" && x.get_str("kind") == Some("marketplace-orb"))
        .filter_map(|x| x.get_str("reference"))
        .collect();
    assert_eq!(
        orbs,
        [
            "circleci/docker@2.5.0",
            "circleci/slack@4.13.1",
            "circleci/go@3.0.4"
        ]
    );
    assert_eq!(excluded_tools(&f), ["checkov"]);
}

#[test]
fn one_pipeline_three_providers_same_verdicts() {
    const CRITERIA: &[&str] = &[
        "P2a", "P2b", "C2", "C3a", "C5a", "X2", "X3a", "X3b", "X4a", "X4b", "X5c", "S2", "S3",
    ];
    let root = fixtures_dir().join("providers/equivalent");
    let mut verdicts = Vec::new();
    for provider in ["github-actions", "gitlab-ci", "jenkins"] {
        let repo = materialise(&root.join(provider), false);
        let a = assess(repo.path());
        let v: Vec<(String, Status)> = CRITERIA
            .iter()
            .map(|id| (id.to_string(), criterion(&a, id).status))
            .collect();
        verdicts.push((provider, v));
    }
    let (_, reference) = &verdicts[0];
    let met: Vec<&str> = reference
        .iter()
        .filter(|(_, s)| *s == Status::Met)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        met,
        ["P2a", "P2b", "C2", "C5a", "X2", "X3a", "X3b", "X4a", "X4b", "S2"]
    );
    for (provider, v) in &verdicts[1..] {
        assert_eq!(v, reference, "{provider} differs from github-actions");
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn good_workflow() -> &'static str {
    "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n"
}

/// The scan of a repository holding `files` and a good workflow: the diagnostics, and
/// whether the good workflow's test was still seen.
fn scan_with(files: &[(&str, String)]) -> (Vec<cnmm_model::Diagnostic>, Vec<Fact>) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".github/workflows/ci.yml", good_workflow());
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    let r = facts(dir.path());
    assert!(
        r.facts
            .iter()
            .any(|f| f.kind == "tool.use" && f.get_str("tool") == Some("go-test")),
        "the rest of the scan was lost"
    );
    // Info notes (e.g. "not a git repository") are not problems with the input.
    let diagnostics = r
        .diagnostics
        .into_iter()
        .filter(|d| d.severity != cnmm_model::Severity::Info)
        .collect();
    (diagnostics, r.facts)
}

fn has_diag(d: &[cnmm_model::Diagnostic], path: &str, line: u32, needle: &str) -> bool {
    d.iter().any(|x| {
        x.path.as_deref() == Some(path) && x.line == Some(line) && x.message.contains(needle)
    })
}

#[test]
fn invalid_gitlab_yaml_is_a_diagnostic() {
    let (d, _) = scan_with(&[(
        ".gitlab-ci.yml",
        "build:\n  script:\n    - make\n  image: [unclosed\n".into(),
    )]);
    assert!(d.iter().any(|x| x.path.as_deref() == Some(".gitlab-ci.yml")
        && x.line.is_some()
        && x.message.contains("invalid YAML")));
}

#[test]
fn jenkinsfile_that_is_not_groovy_is_a_diagnostic() {
    let (d, _) = scan_with(&[
        (
            "Jenkinsfile",
            "pipeline {\n  stages {\n    stage('x') {\n      steps { sh 'make\n".into(),
        ),
        (
            "ci/Jenkinsfile.nightly",
            "- name: not groovy\n  value: 3\n".into(),
        ),
    ]);
    assert!(
        has_diag(&d, "Jenkinsfile", 4, "not readable as Groovy"),
        "{d:?}"
    );
    assert!(
        has_diag(
            &d,
            "ci/Jenkinsfile.nightly",
            1,
            "does not look like a Jenkins pipeline"
        ),
        "{d:?}"
    );
}

#[test]
fn include_cycles_and_missing_includes_are_diagnostics() {
    let (d, f) = scan_with(&[
        (
            ".gitlab-ci.yml",
            "include:\n  - local: ci/a.yml\n  - local: ci/missing.yml\nbuild:\n  script: [go build ./...]\n".into(),
        ),
        ("ci/a.yml", "include: ci/b.yml\na-job:\n  script: [make lint]\n".into()),
        ("ci/b.yml", "include:\n  - local: /ci/a.yml\nb-job:\n  script: [go vet ./...]\n".into()),
    ]);
    assert!(has_diag(&d, "ci/b.yml", 2, "include cycle"), "{d:?}");
    assert!(has_diag(&d, ".gitlab-ci.yml", 3, "does not exist"), "{d:?}");
    // Both included files were still read once.
    for j in ["build", "a-job", "b-job"] {
        assert!(
            f.iter()
                .any(|x| x.kind == "ci.job" && x.get_str("job") == Some(j)),
            "{j}"
        );
    }
}

#[test]
fn huge_workflows_and_alias_bombs_are_diagnostics() {
    // Over the 8 MiB read limit: skipped with a diagnostic naming it.
    let mut big = String::from("stages: [test]\n");
    let mut i = 0;
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&format!("job-{i}:\n  script:\n    - echo {i}\n"));
        i += 1;
    }
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let (d, _) = scan_with(&[
        (".gitlab-ci.yml", big),
        (".circleci/config.yml", bomb.to_string()),
    ]);
    assert!(
        d.iter()
            .any(|x| x.path.as_deref() == Some(".gitlab-ci.yml") && x.message.contains("limit")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|x| x.path.as_deref() == Some(".circleci/config.yml")
                && x.line.is_some()
                && x.message.contains("alias")),
        "{d:?}"
    );
}

#[test]
fn a_large_gitlab_config_under_the_limit_is_read_completely() {
    let mut text = String::from("stages: [test]\n");
    for i in 0..2_000 {
        text.push_str(&format!(
            ".t{i}: &t{i}\n  script: [go vet ./...]\njob-{i}:\n  <<: *t{i}\n  stage: test\n"
        ));
    }
    let (_, f) = scan_with(&[(".gitlab-ci.yml", text)]);
    let jobs = f
        .iter()
        .filter(|x| x.kind == "ci.job" && x.get_str("provider") == Some("gitlab-ci"))
        .count();
    assert_eq!(jobs, 2_000);
}

#[test]
fn azure_pipelines_stages_conditions_deployments_and_templates() {
    let f = fixture_facts("azure");
    let test = tool(&f, "Build/test", "go-test");
    assert_eq!(at(test), ("azure-pipelines.yml".into(), 28));
    assert!(test.get_bool("on_pr") && test.get_bool("on_default_branch"));
    // A local step template is followed; its steps keep their own file and line.
    let build = tool(&f, "Build/test", "go-build");
    assert_eq!(
        at(build),
        (".azure-pipelines/templates/go-steps.yml".into(), 9)
    );
    let push = tool(&f, "Publish/image", "azure-docker-push");
    assert!(
        push.get_bool("on_default_branch") && !push.get_bool("on_pr") && !push.get_bool("on_tag")
    );
    let deploy = tool(&f, "Production/deploy", "azure-kubernetes-deploy");
    assert_eq!(at(deploy), ("azure-pipelines.yml".into(), 50));
    assert!(deploy.get_bool("on_tag") && !deploy.get_bool("on_push"));
    assert_eq!(deploy.get_str("environment"), Some("production"));
    assert_eq!(excluded_tools(&f), ["checkov"]);
}

#[test]
fn bitbucket_sections_anchored_steps_pipes_and_manual_deploys() {
    let f = fixture_facts("bitbucket");
    // One anchored step definition, run by several pipelines: its line is the definition's.
    let on_pr = tool(&f, "pull-requests/**/Test", "go-test");
    assert_eq!(at(on_pr), ("bitbucket-pipelines.yml".into(), 10));
    assert!(on_pr.get_bool("on_pr") && !on_pr.get_bool("on_push"));
    let push = tool(&f, "branches/main/Build and push image", "docker-push");
    assert!(push.get_bool("on_default_branch") && push.get_bool("after_tests"));
    assert_eq!(
        job(&f, "branches/main/Build and push image").get_list("credentials"),
        ["oidc"]
    );
    let deploy = tool(&f, "tags/v*/Deploy production", "bitbucket-kubectl-pipe");
    assert_eq!(at(deploy), ("bitbucket-pipelines.yml".into(), 38));
    assert!(deploy.get_bool("on_tag") && deploy.get_bool("manual_gate"));
    assert_eq!(deploy.get_str("environment"), Some("production"));
    assert!(f.iter().any(|x| x.kind == "ci.job"
        && x.get_str("job") == Some("custom/rotate-secrets/Rotate")
        && x.get_bool("on_manual")
        && !x.get_bool("automatic")));
    assert_eq!(excluded_tools(&f), ["trivy"]);
}

#[test]
fn drone_and_woodpecker_events_branches_and_plugins() {
    let f = fixture_facts("drone");
    let test = tool(&f, "ci/test", "go-test");
    assert_eq!(at(test), (".drone.yml".into(), 13));
    assert!(test.get_bool("on_push") && test.get_bool("on_pr") && test.get_bool("on_tag"));
    let publish = tool(&f, "ci/publish", "drone-docker-plugin");
    assert_eq!(at(publish), (".drone.yml".into(), 16));
    assert!(publish.get_bool("on_default_branch") && !publish.get_bool("on_pr"));
    assert_eq!(job(&f, "ci/publish").get_list("credentials"), ["secret"]);
    // A promotion is started by a person.
    let rollout = tool(&f, "deploy/rollout", "kubectl-apply");
    assert!(rollout.get_bool("on_manual") && !rollout.get_bool("automatic"));
    assert_eq!(excluded_tools(&f), ["checkov"]);

    let w = fixture_facts("woodpecker");
    let test = tool(&w, "ci/test", "go-test");
    assert_eq!(at(test), (".woodpecker/ci.yml".into(), 11));
    assert!(
        test.get_bool("on_default_branch")
            && test.get_bool("on_pr")
            && test.get_bool("on_schedule")
    );
    let scan = w
        .iter()
        .find(|x| {
            x.kind == "tool.use"
                && x.get_str("job") == Some("ci/scan")
                && x.location.line == Some(15)
        })
        .expect("trivy command");
    assert!(scan.get_bool("on_schedule") && !scan.get_bool("on_push") && !scan.get_bool("on_pr"));
}

#[test]
fn travis_phases_stages_conditions_and_deploys() {
    let f = fixture_facts("travis");
    let test = tool(&f, "build", "pytest");
    assert_eq!(at(test), (".travis.yml".into(), 15));
    assert!(test.get_bool("on_pr") && test.get_bool("on_default_branch"));
    // Cron is a repository setting; `if: type = cron` is what shows it.
    let audit = tool(&f, "audit", "pip-audit");
    assert!(audit.get_bool("on_schedule") && !audit.get_bool("on_push"));
    // `deploy.on.tags: true` deploys tags only, after the build.
    let deploy = tool(&f, "build/deploy-pypi-1", "travis-deploy-publish");
    assert_eq!(at(deploy), (".travis.yml".into(), 33));
    assert!(
        deploy.get_bool("on_tag") && !deploy.get_bool("on_push") && deploy.get_bool("after_tests")
    );
    assert_eq!(excluded_tools(&f), ["checkov"]);
}

#[test]
fn buildkite_groups_blocks_branches_and_plugins() {
    let f = fixture_facts("buildkite");
    let test = tool(&f, ":go: test", "go-test");
    assert_eq!(at(test), (".buildkite/pipeline.yml".into(), 9));
    assert!(test.get_bool("on_push") && test.get_bool("on_pr"));
    let push = tool(&f, ":docker: publish", "docker-push");
    assert_eq!(at(push), (".buildkite/pipeline.yml".into(), 23));
    assert!(push.get_bool("on_default_branch") && !push.get_bool("on_pr"));
    assert!(push.get_bool("after_tests") && !push.get_bool("manual_gate"));
    // Everything after the block step waits for a person.
    let deploy = tool(&f, ":kubernetes: deploy", "kubectl-apply");
    assert!(deploy.get_bool("manual_gate") && deploy.get_bool("gated_path"));
    let plugin = f
        .iter()
        .find(|x| x.kind == "ci.step" && x.get_str("job") == Some(":go: test"))
        .expect("plugin step");
    assert_eq!(plugin.get_str("uses"), Some("docker@v5.11.0"));
    assert_eq!(plugin.get_str("pin"), Some("tag"));
}

#[test]
fn cloud_build_steps_and_images_without_evident_triggers() {
    let f = fixture_facts("cloud-build");
    let test = tool(&f, "build", "go-test");
    assert_eq!(at(test), ("cloudbuild.yaml".into(), 5));
    // Triggers live in Google Cloud: nothing is claimed to run automatically.
    assert!(!test.get_bool("automatic") && test.get_list("triggers") == ["gcp-trigger"]);
    let deploy = tool(&f, "build", "cloud-deploy");
    assert_eq!(at(deploy), ("cloudbuild.yaml".into(), 14));
    let push = tool(&f, "build", "docker-push");
    assert_eq!(at(push), ("cloudbuild.yaml".into(), 17));
    assert!(tool(&f, "build", "docker-build")
        .get_list("categories")
        .contains(&"build".to_string()));
}

#[test]
fn tekton_pipelines_as_code_annotations_tasks_and_refs() {
    let f = fixture_facts("tekton");
    let test = tool(&f, "app-on-push/test", "go-test");
    assert_eq!(at(test), (".tekton/push.yaml".into(), 25));
    assert!(
        test.get_bool("on_default_branch") && test.get_bool("on_pr") && !test.get_bool("on_tag")
    );
    let hub = f
        .iter()
        .find(|x| x.kind == "ci.shared" && x.get_str("reference") == Some("git-clone"))
        .expect("hub task");
    assert!(!hub.get_bool("local"));
    let kaniko = tool(&f, "app-on-push/image", "kaniko");
    assert!(kaniko.get_bool("after_tests"));
}

#[test]
fn gitlab_reference_tags_and_only_except() {
    let ci = "\
.setup:
  script:
    - go mod download
    - go vet ./...

test:
  script:
    - !reference [.setup, script]
    - go test ./...
  except:
    - tags

release:
  script:
    - release-cli create --tag-name $CI_COMMIT_TAG
  only:
    - tags
";
    let (d, f) = scan_with(&[(".gitlab-ci.yml", ci.to_string())]);
    assert!(d.is_empty(), "{d:?}");
    // `!reference` brings the hidden job's lines, where they are written.
    let vet = tool(&f, "test", "go-vet");
    assert_eq!(at(vet), (".gitlab-ci.yml".into(), 4));
    assert!(vet.get_bool("on_push") && !vet.get_bool("on_tag"));
    let release = tool(&f, "release", "gitlab-release-cli");
    assert_eq!(at(release), (".gitlab-ci.yml".into(), 15));
    assert!(
        release.get_bool("on_tag") && !release.get_bool("on_push") && !release.get_bool("on_pr")
    );
}

/// Found by fuzzing: a command of an anchored `|` block is cited on the line it is
/// written on, whether a job reaches the block through an alias or not (it was one line
/// early, and past the end of the file through an alias).
#[test]
fn anchored_script_blocks_cite_their_own_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".gitlab-ci.yml"),
        "stages: [test]\n\
         \n\
         .checks: &checks |\n\
         \x20 set -e\n\
         \x20 go vet ./...\n\
         \x20 go test ./...\n\
         \n\
         unit:\n\
         \x20 stage: test\n\
         \x20 script:\n\
         \x20   - *checks\n",
    )
    .expect("write");
    let r = facts(dir.path());
    let uses: Vec<(String, u32)> = r
        .facts
        .iter()
        .filter(|f| f.kind == "tool.use" && f.get_str("job") == Some("unit"))
        .map(|f| {
            (
                f.get_str("tool").unwrap_or("").to_string(),
                f.location.line.unwrap_or(0),
            )
        })
        .collect();
    assert!(uses.contains(&("go-test".to_string(), 6)), "{uses:?}");
    assert!(uses.iter().all(|(_, l)| *l <= 11), "{uses:?}");
}

/// What the fuzz target `ci_followed_files` relies on: a repository held in memory is
/// followed from a workflow step into its Makefile, as a scan of a checkout is.
#[test]
fn in_memory_repositories_follow_steps_into_their_files() {
    let (rules, _) = cnmm::scan::load_rules(&[]).expect("built-in rules");
    let matcher = cnmm_facts::tools::ToolMatcher::new(&rules.catalog);
    let workflow = b"on: [push]\njobs:\n  ci:\n    runs-on: x\n    steps:\n      - run: make ci\n";
    let makefile = b"ci: test\n\ntest:\n\tgo test ./...\n";
    let (facts, _) = cnmm_facts::extract_files(
        &[
            (".github/workflows/ci.yml", workflow),
            ("Makefile", makefile),
        ],
        &matcher,
    );
    let go_test = tool(&facts, "ci", "go-test");
    assert_eq!(at(go_test), ("Makefile".to_string(), 4));
}

/// Stage order gates and tests every later job without `needs`, across any number of
/// stages; a job with `needs` depends on those jobs only (checked through one node per
/// stage, which keeps thousands of stages linear).
#[test]
fn stages_gate_later_jobs_unless_needs_say_otherwise() {
    let (rules, _) = cnmm::scan::load_rules(&[]).expect("built-in rules");
    let matcher = cnmm_facts::tools::ToolMatcher::new(&rules.catalog);
    let ci = b"stages: [build, test, approve, package, deploy]\n\
build:\n  stage: build\n  script: [make build]\n\
unit:\n  stage: test\n  script: [go test ./...]\n\
approve:\n  stage: approve\n  when: manual\n  script: [echo ok]\n\
package:\n  stage: package\n  script: [make package]\n\
deploy:\n  stage: deploy\n  script: [kubectl apply -f k8s/]\n\
hotfix:\n  stage: deploy\n  needs: [build]\n  script: [kubectl apply -f k8s/]\n";
    let (facts, _) = cnmm_facts::extract_files(&[(".gitlab-ci.yml", ci)], &matcher);
    let attrs = |id: &str| {
        let j = job(&facts, id);
        (j.get_bool("gated_path"), j.get_bool("after_tests"))
    };
    assert_eq!(attrs("build"), (false, false));
    assert_eq!(attrs("unit"), (false, false));
    assert_eq!(attrs("package"), (true, true));
    assert_eq!(attrs("deploy"), (true, true));
    assert_eq!(attrs("hotfix"), (false, false));
}
