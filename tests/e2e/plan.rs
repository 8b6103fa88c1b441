//! `cnmm plan`: round trips (scan, `plan --write`, scan again) on every scenario fixture
//! and target, the files it writes read back by cnmm's own extractors, and the refusals
//! of `--write`.

use crate::support::{cnmm, fixtures_dir, materialise, stdout_of};
use cnmm::plan::{self, Action, Plan};
use cnmm::scan::{Prepared, Settings};
use cnmm_model::{Assessment, Fact};
use std::collections::BTreeMap;
use std::path::Path;

fn scan(root: &Path) -> (Assessment, Vec<Fact>) {
    Prepared::new(root, &Settings::default())
        .expect("prepare")
        .assess_with_facts(None, None)
        .expect("scan")
}

fn statuses(a: &Assessment) -> BTreeMap<String, cnmm_model::Status> {
    a.sections
        .iter()
        .flat_map(|s| s.criteria.iter().map(|c| (c.id.clone(), c.status)))
        .collect()
}

fn plan_json(root: &Path, extra: &[&str]) -> Plan {
    let out = stdout_of(
        cnmm()
            .args(["plan", "--format", "json"])
            .args(extra)
            .arg(root),
    );
    serde_json::from_slice(&out).expect("a plan")
}

fn created(p: &Plan) -> Vec<(String, Vec<String>, String)> {
    p.steps
        .iter()
        .flat_map(|s| &s.actions)
        .filter_map(|a| match a {
            Action::Create {
                path,
                meets,
                content,
            } => Some((path.clone(), meets.clone(), content.clone())),
            _ => None,
        })
        .collect()
}

fn set_origin(root: &Path, url: &str) {
    let repo = git2::Repository::open(root).expect("repo");
    repo.remote("origin", url).expect("remote");
}

/// The scenarios, each once as it is (with git history) and the Rust CLI also with a
/// GitHub origin (so that the GitHub files, CODEOWNERS included, are planned).
fn scenarios() -> Vec<(String, crate::support::Repo)> {
    let mut out = Vec::new();
    for name in [
        "github-app",
        "malformed-workflow",
        "go-service",
        "python-gitlab",
        "rust-cli",
    ] {
        let repo = materialise(&Path::new("scenarios").join(name), true);
        if name == "go-service" {
            set_origin(repo.path(), "https://github.com/acme/go-service.git");
        }
        out.push((name.to_string(), repo));
    }
    let repo = materialise(Path::new("scenarios/rust-cli"), true);
    set_origin(repo.path(), "git@github.com:octo/wordcount.git");
    out.push(("rust-cli (GitHub origin)".into(), repo));
    out
}

/// For every scenario and target level: what the plan says a written file meets is met
/// after `--write`, nothing met before is lost, and the levels are those the plan said.
#[test]
fn round_trips_meet_what_the_plan_promised() {
    let mut table = Vec::new();
    for target in 2..=5u8 {
        for (name, repo) in scenarios() {
            let root = repo.path();
            let (before, _) = scan(root);
            let p = plan_json(root, &["--to", &target.to_string()]);
            let promised: Vec<String> = created(&p).into_iter().flat_map(|(_, m, _)| m).collect();
            let out = cnmm()
                .args(["plan", "--write", "--to", &target.to_string()])
                .arg(root)
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (after, _) = scan(root);
            let (b, a) = (statuses(&before), statuses(&after));
            for id in &promised {
                assert!(
                    a.get(id).is_some_and(|s| s.passes()),
                    "{name} --to {target}: the plan said its files meet {id}, which is {:?} after --write",
                    a.get(id)
                );
            }
            for (id, s) in &b {
                assert!(
                    !s.passes() || a.get(id).is_some_and(|x| x.passes()),
                    "{name} --to {target}: {id} was met before --write and is not after"
                );
            }
            let levels: BTreeMap<String, u8> = after
                .sections
                .iter()
                .map(|s| (s.id.as_str().to_string(), s.level))
                .collect();
            assert_eq!(levels, p.levels_after_files, "{name} --to {target}");
            // A second plan creates nothing more for what the files met.
            let again = plan_json(root, &["--to", &target.to_string()]);
            assert!(
                created(&again).is_empty(),
                "{name} --to {target}: planned again {:?}",
                created(&again).iter().map(|c| &c.0).collect::<Vec<_>>()
            );
            table.push(format!(
                "{name} --to {target}: {} files, meets {}",
                created(&p).len(),
                promised.join(" ")
            ));
        }
    }
    // The round-trip table (`cargo test --test e2e round_trips -- --nocapture`).
    eprintln!("{}", table.join("\n"));
    // Every scenario has something to write at some target, and the GitHub Rust CLI
    // gets its CI and CODEOWNERS.
    let all = table.join("\n");
    for want in [
        "go-service --to 3",
        "python-gitlab --to 3",
        "rust-cli (GitHub origin) --to 4",
    ] {
        let line = table
            .iter()
            .find(|l| l.starts_with(want))
            .unwrap_or_else(|| panic!("no {want} in\n{all}"));
        assert!(!line.contains(": 0 files"), "{line}");
    }
    assert!(
        all.contains("rust-cli (GitHub origin) --to 2: ") && all.contains("P2a"),
        "{all}"
    );
}

/// The files a plan writes parse with cnmm's readers and are read as what they are for:
/// the security-scan workflow as a pipeline on push, pull request and schedule running
/// scanners that upload SARIF, Dependabot/Renovate and the governance files as such.
#[test]
fn written_files_are_read_back_as_what_they_are() {
    for (name, repo) in scenarios() {
        let root = repo.path();
        let p = plan_json(root, &["--to", "4"]);
        let out = cnmm()
            .args(["plan", "--write", "--to", "4"])
            .arg(root)
            .output()
            .expect("run");
        assert!(out.status.success(), "{name}");
        let (_, facts) = scan(root);
        for (path, _, content) in created(&p) {
            assert_eq!(
                std::fs::read_to_string(root.join(&path)).expect("written"),
                content,
                "{name}: {path}"
            );
            if path.ends_with(".json") {
                serde_json::from_str::<serde_json::Value>(&content)
                    .unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
            }
            if path.ends_with(".yml") || path.ends_with(".yaml") {
                serde_saphyr::from_str::<serde_json::Value>(&content)
                    .unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
            }
            let of_file: Vec<&Fact> = facts
                .iter()
                .filter(|f| f.location.path == path && f.excluded.is_none())
                .collect();
            assert!(!of_file.is_empty(), "{name}: nothing read from {path}");
            if path == ".github/workflows/security-scan.yml" {
                let pipeline = of_file
                    .iter()
                    .find(|f| f.kind == "ci.pipeline")
                    .expect("a pipeline");
                let triggers = pipeline.get_list("triggers").join(" ");
                for t in ["push", "pull_request", "schedule"] {
                    assert!(triggers.contains(t), "{name}: {triggers}");
                }
                let tools: Vec<&str> = of_file
                    .iter()
                    .filter(|f| f.kind == "tool.use")
                    .filter_map(|f| f.get_str("tool"))
                    .collect();
                assert!(tools.len() >= 2, "{name}: {tools:?}");
            }
            if path == ".github/workflows/ci.yml" {
                let job = of_file.iter().find(|f| f.kind == "ci.job").expect("a job");
                assert!(job.get_bool("on_pr") && job.get_bool("on_push"), "{name}");
            }
        }
    }
}

/// A GitLab project gets GitLab's scanners as a diff to its pipeline (never written),
/// and the diff applies: the scan of the changed file meets S2.
#[test]
fn gitlab_scanners_are_a_diff_that_applies() {
    let repo = materialise(Path::new("scenarios/python-gitlab"), true);
    let root = repo.path();
    let p = plan_json(root, &["--to", "security=3"]);
    let (path, line, diff) = p
        .steps
        .iter()
        .flat_map(|s| &s.actions)
        .find_map(|a| match a {
            Action::Edit {
                path, line, diff, ..
            } => Some((path.clone(), *line, diff.clone())),
            _ => None,
        })
        .expect("an edit");
    assert_eq!(path, ".gitlab-ci.yml");
    assert!(
        diff.contains("+  - template: Jobs/SAST.gitlab-ci.yml"),
        "{diff}"
    );
    let before = std::fs::read_to_string(root.join(&path)).expect("read");
    let out = cnmm()
        .args(["plan", "--write", "--to", "security=3"])
        .arg(root)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(root.join(&path)).expect("read"),
        before,
        "never edited"
    );
    // Apply the hunk: its added lines go in before line `line`.
    let added: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| &l[1..])
        .collect();
    let mut lines: Vec<&str> = before.lines().collect();
    let at = line as usize - 1;
    for (i, l) in added.iter().enumerate() {
        lines.insert(at + i, l);
    }
    std::fs::write(root.join(&path), lines.join("\n") + "\n").expect("apply");
    let (after, _) = scan(root);
    assert!(statuses(&after)["S2"].passes());
}

#[test]
fn write_refuses_what_it_must_not_touch() {
    // A bare repository: no work tree.
    let bare = tempfile::tempdir().expect("tempdir");
    git2::Repository::init_bare(bare.path()).expect("bare");
    for without_config in [false, true] {
        // A mirror may have no configuration saying it is bare.
        if without_config {
            std::fs::remove_file(bare.path().join("config")).expect("rm config");
        }
        cnmm()
            .args(["plan", "--write", "--to", "3"])
            .arg(bare.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains("bare repository"));
    }
    assert!(!bare.path().join("CONTRIBUTING.md").exists());

    // `.github` is a symlink to a directory outside the repository.
    let repo = materialise(Path::new("scenarios/rust-cli"), true);
    set_origin(repo.path(), "https://github.com/octo/wordcount");
    let outside = tempfile::tempdir().expect("tempdir");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.path(), repo.path().join(".github")).expect("symlink");
        cnmm()
            .args(["plan", "--write", "--to", "3"])
            .arg(repo.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains("outside the repository"));
        assert_eq!(std::fs::read_dir(outside.path()).expect("ls").count(), 0);
        assert!(
            !repo.path().join("CONTRIBUTING.md").exists(),
            "nothing written"
        );
    }

    // A path that exists is never overwritten (it appeared after the plan was made).
    let repo = materialise(Path::new("scenarios/rust-cli"), true);
    std::fs::write(repo.path().join("CONTRIBUTING.md"), "ours\n").expect("write");
    let changes = vec![plan::files::Change::Create {
        path: "CONTRIBUTING.md".into(),
        content: "theirs\n".into(),
    }];
    let e = plan::write::create_all(repo.path(), &changes).expect_err("refused");
    assert!(e.0.contains("exists"), "{}", e.0);
    assert_eq!(
        std::fs::read_to_string(repo.path().join("CONTRIBUTING.md")).expect("read"),
        "ours\n"
    );
    let escape = vec![plan::files::Change::Create {
        path: "../escape.md".into(),
        content: "x\n".into(),
    }];
    assert!(plan::write::create_all(repo.path(), &escape).is_err());
}

#[test]
fn targets_and_their_errors() {
    let repo = materialise(Path::new("scenarios/go-service"), true);
    for (args, says) in [
        (vec!["--to", "7"], "levels go from 1 to 5"),
        (vec!["--to", "secuirty=3"], "unknown section `secuirty`"),
        (vec!["--to", "security"], "levels go from 1 to 5"),
        (vec![], "no target"),
    ] {
        cnmm()
            .arg("plan")
            .args(&args)
            .arg(repo.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    }
    // The configuration's targets, when --to is not given.
    std::fs::write(
        repo.path().join(".cnmm.yml"),
        "targets: {overall: 2, security: 3}\n",
    )
    .expect("config");
    let p = plan_json(repo.path(), &[]);
    assert_eq!(p.targets["security"], 3);
    assert_eq!(p.targets["process"], 2);
    // Prerequisites come before what needs them.
    let p = plan_json(repo.path(), &["--to", "4"]);
    let pos = |id: &str| p.steps.iter().position(|s| s.criterion == id);
    if let (Some(s2), Some(p4a)) = (pos("S2"), pos("P4a")) {
        assert!(s2 < p4a);
    }
    assert!(fixtures_dir().join("scenarios/go-service").is_dir());
}

#[test]
fn text_and_markdown_say_what_to_do() {
    let repo = materialise(Path::new("scenarios/go-service"), true);
    let text = cnmm()
        .args(["plan", "--to", "3"])
        .arg(repo.path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("create .github/dependabot.yml (meets P3b, S4)"),
        "{text}"
    );
    assert!(text.contains("Nothing was written (dry run)"), "{text}");
    let md = cnmm()
        .args(["plan", "--to", "3", "-f", "markdown"])
        .arg(repo.path())
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("- [ ] **P3b**"), "{md}");
    assert!(md.contains("```yaml"), "{md}");
}
