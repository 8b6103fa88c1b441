//! Test support: materialise fixture trees as repositories, with git history scripted
//! at test time by git2 (dates, tags, merges, signatures), never by the `git` program.
//!
//! A fixture is a directory under `fixtures/`. Two optional files at its root are not
//! copied into the repository:
//! - `_history.yaml` scripts the history (see [`History`]);
//! - `_expect.yaml` states the expected status of the criterion a case tests.

#![allow(dead_code)]

use serde::Deserialize;
use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("fixtures")
}

/// The fixed date HEAD's history is scripted against: 2026-06-01T12:00:00Z.
pub const EPOCH: i64 = 1_780_315_200;

/// A scripted history, oldest entry first.
///
/// ```yaml
/// commits:
///   - {message: "feat: a (#1)", days_ago: 300}
///   - {message: "fix: b", days_ago: 200, tag: v1.0.0, annotated: true}
///   - {message: "Merge pull request #3 from x/y", days_ago: 100, merge: true}
///   - {message: "chore(deps): bump x", days_ago: 50, author: "dependabot[bot]"}
///   - {message: "feat: c (#9)", days_ago: 40, repeat: 12, every_days: 2, tag_prefix: v1.1.}
/// shallow: false
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    #[serde(default)]
    pub commits: Vec<CommitSpec>,
    /// Writes a `shallow` file, as a `--depth` clone has.
    #[serde(default)]
    pub shallow: bool,
    /// The branch HEAD is on (default `main`); `detached` detaches HEAD.
    #[serde(default)]
    pub branch: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitSpec {
    pub message: String,
    pub days_ago: f64,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Tags this commit (with `repeat`, `tag_prefix` + index instead).
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub tag_prefix: Option<String>,
    #[serde(default)]
    pub annotated: bool,
    /// Tag date, when it differs from the commit's.
    #[serde(default)]
    pub tag_days_ago: Option<f64>,
    /// Makes this a merge of a one-commit side branch.
    #[serde(default)]
    pub merge: bool,
    /// Adds a `gpgsig` header (a fake signature: cnmm only reads the header).
    #[serde(default)]
    pub signed: bool,
    #[serde(default)]
    pub signoff: bool,
    /// Repeats the entry N times, `every_days` apart (newer each time).
    #[serde(default)]
    pub repeat: Option<u32>,
    #[serde(default)]
    pub every_days: Option<f64>,
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        if name_s == "_history.yaml" || name_s == "_expect.yaml" {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dst).expect("mkdir");
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// A temporary repository built from a fixture directory.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Copies `fixture` (a path under `fixtures/`, or absolute) into a temp dir and builds
/// its scripted history, if it has one. Without `_history.yaml` the tree is not a git
/// repository unless `git` is true (then one commit holds the tree).
pub fn materialise(fixture: &Path, git: bool) -> Repo {
    let src = if fixture.is_absolute() {
        fixture.to_path_buf()
    } else {
        fixtures_dir().join(fixture)
    };
    let dir = tempfile::Builder::new()
        .prefix("cnmm-fixture-")
        .tempdir()
        .expect("tempdir");
    copy_tree(&src, dir.path());
    let script = src.join("_history.yaml");
    if script.is_file() {
        let text = std::fs::read_to_string(&script).expect("read _history.yaml");
        let h: History =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        build_history(dir.path(), &h);
    } else if git {
        build_history(
            dir.path(),
            &History {
                commits: vec![CommitSpec {
                    message: "initial".into(),
                    days_ago: 1.0,
                    ..blank()
                }],
                ..Default::default()
            },
        );
    }
    Repo { dir }
}

pub fn blank() -> CommitSpec {
    CommitSpec {
        message: String::new(),
        days_ago: 0.0,
        author: None,
        email: None,
        tag: None,
        tag_prefix: None,
        annotated: false,
        tag_days_ago: None,
        merge: false,
        signed: false,
        signoff: false,
        repeat: None,
        every_days: None,
    }
}

fn time_of(days_ago: f64) -> git2::Time {
    git2::Time::new(EPOCH - (days_ago * 86_400.0) as i64, 0)
}

/// Writes the scripted history into the repository at `root`. Every commit holds the
/// whole tree (the history's shape is what matters, not per-commit contents); the last
/// one is HEAD.
pub fn build_history(root: &Path, h: &History) {
    let repo = git2::Repository::init_opts(
        root,
        git2::RepositoryInitOptions::new().initial_head(h.branch.as_deref().unwrap_or("main")),
    )
    .expect("init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree_id = index.write_tree().expect("tree");
    let tree = repo.find_tree(tree_id).expect("find tree");

    let mut expanded: Vec<(CommitSpec, Option<String>)> = Vec::new();
    for c in &h.commits {
        let n = c.repeat.unwrap_or(1);
        let every = c.every_days.unwrap_or(1.0);
        for i in 0..n {
            let mut one = c.clone();
            one.days_ago = c.days_ago - f64::from(i) * every;
            let tag = match (&c.tag_prefix, &c.tag) {
                (Some(p), _) => Some(format!("{p}{i}")),
                (None, Some(t)) if n == 1 => Some(t.clone()),
                (None, Some(t)) => Some(format!("{t}-{i}")),
                _ => None,
            };
            expanded.push((one, tag));
        }
    }
    let mut head: Option<git2::Oid> = None;
    for (c, tag) in &expanded {
        let when = time_of(c.days_ago);
        let name = c.author.clone().unwrap_or_else(|| "Dev One".into());
        let email = c.email.clone().unwrap_or_else(|| {
            format!(
                "{}@example.com",
                name.to_lowercase().replace([' ', '[', ']'], "")
            )
        });
        let sig = git2::Signature::new(&name, &email, &when).expect("sig");
        let mut message = c.message.clone();
        if c.signoff {
            message.push_str(&format!("\n\nSigned-off-by: {name} <{email}>\n"));
        }
        let mut parents: Vec<git2::Oid> = head.into_iter().collect();
        if c.merge {
            let side_sig =
                git2::Signature::new("Dev Two", "dev2@example.com", &time_of(c.days_ago + 0.01))
                    .expect("sig");
            let side_parents: Vec<git2::Commit> = head
                .map(|h| repo.find_commit(h).expect("parent"))
                .into_iter()
                .collect();
            let refs: Vec<&git2::Commit> = side_parents.iter().collect();
            let side = repo
                .commit(None, &side_sig, &side_sig, "feature work", &tree, &refs)
                .expect("side commit");
            parents.push(side);
        }
        let parent_commits: Vec<git2::Commit> = parents
            .iter()
            .map(|p| repo.find_commit(*p).expect("parent"))
            .collect();
        let refs: Vec<&git2::Commit> = parent_commits.iter().collect();
        let oid = if c.signed {
            let buf = repo
                .commit_create_buffer(&sig, &sig, &message, &tree, &refs)
                .expect("buffer");
            let content = buf.as_str().expect("utf8 commit");
            repo.commit_signed(
                content,
                "-----BEGIN PGP SIGNATURE-----\n\nfake\n-----END PGP SIGNATURE-----",
                None,
            )
            .expect("signed commit")
        } else {
            repo.commit(None, &sig, &sig, &message, &tree, &refs)
                .expect("commit")
        };
        head = Some(oid);
        if let Some(t) = tag {
            let obj = repo.find_object(oid, None).expect("obj");
            if c.annotated {
                let tagger = git2::Signature::new(
                    "Releaser",
                    "release@example.com",
                    &time_of(c.tag_days_ago.unwrap_or(c.days_ago)),
                )
                .expect("sig");
                repo.tag(t, &obj, &tagger, &format!("release {t}"), false)
                    .expect("tag");
            } else {
                repo.tag_lightweight(t, &obj, false).expect("tag");
            }
        }
    }
    let branch = h.branch.as_deref().unwrap_or("main");
    if let Some(h_oid) = head {
        if branch == "detached" {
            repo.set_head_detached(h_oid).expect("detach");
        } else {
            repo.reference(&format!("refs/heads/{branch}"), h_oid, true, "scripted")
                .expect("branch");
            repo.set_head(&format!("refs/heads/{branch}"))
                .expect("head");
        }
    }
    if h.shallow {
        if let Some(h_oid) = head {
            std::fs::write(root.join(".git/shallow"), format!("{h_oid}\n")).expect("shallow");
        }
    }
}

/// The `cnmm` binary built for these tests.
pub fn cnmm() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("cnmm").expect("binary")
}

/// What `cmd` prints on standard output; its standard error when it fails.
pub fn stdout_of(cmd: &mut assert_cmd::Command) -> Vec<u8> {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Deletes the loose object `id` of the work tree at `root` (a partial clone's missing
/// blob, a shallow clone's missing commit).
pub fn remove_loose_object(root: &Path, id: impl std::fmt::Display) {
    let hex = id.to_string();
    std::fs::remove_file(root.join(".git/objects").join(&hex[..2]).join(&hex[2..]))
        .expect("remove a loose object");
}

/// Runs a scan in-process, as `cnmm scan` does.
pub fn assess(root: &Path) -> cnmm_model::Assessment {
    let settings = cnmm::scan::Settings {
        threads: Some(2),
        ..Default::default()
    };
    cnmm::scan::assess(root, &settings)
        .unwrap_or_else(|e| panic!("scan of {} failed: {e}", root.display()))
        .0
}

pub fn criterion<'a>(a: &'a cnmm_model::Assessment, id: &str) -> &'a cnmm_model::CriterionResult {
    a.sections
        .iter()
        .flat_map(|s| s.criteria.iter())
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no criterion {id} in the report"))
}
