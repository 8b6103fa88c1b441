//! Hostile inputs, built at test time: each must finish quickly with a diagnostic and a
//! complete report, never a crash, a hang, or a raw escape sequence on the terminal.

use crate::support::{assess, build_history, criterion, materialise, History};
use assert_cmd::Command;
use cnmm_model::Status;
use std::path::Path;
use std::time::{Duration, Instant};

fn p2a_met(root: &Path) {
    let a = assess(root);
    assert_eq!(
        criterion(&a, "P2a").status,
        Status::Met,
        "{:?}",
        a.diagnostics
    );
}

fn scan_json(root: &Path) -> serde_json::Value {
    let out = Command::cargo_bin("cnmm")
        .expect("bin")
        .args(["scan", "--format", "json"])
        .arg(root)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout).expect("json");
    assert_complete(&v);
    v
}

/// A complete report: all five sections, every criterion of the rule set with a status
/// and each section with a level, whatever the scan ran into.
fn assert_complete(v: &serde_json::Value) {
    let sections = v["sections"].as_array().expect("sections");
    let ids: Vec<&str> = sections.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "process",
            "audit_logs",
            "ci_cd",
            "change_control",
            "security"
        ]
    );
    let criteria: Vec<&serde_json::Value> = sections
        .iter()
        .flat_map(|s| s["criteria"].as_array().expect("criteria"))
        .collect();
    assert_eq!(criteria.len(), 40, "every criterion is reported");
    for c in &criteria {
        assert!(c["status"].is_string(), "{c}");
    }
    for s in sections {
        assert!(
            s["level"].as_u64().is_some_and(|l| (1..=5).contains(&l)),
            "{s}"
        );
    }
}

fn criterion_status<'v>(v: &'v serde_json::Value, id: &str) -> &'v serde_json::Value {
    v["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["criteria"].as_array().into_iter().flatten())
        .find(|c| c["id"] == id)
        .map(|c| &c["status"])
        .unwrap_or(&serde_json::Value::Null)
}

/// A diagnostic about `path` whose message contains `needle`.
fn assert_diag(v: &serde_json::Value, path: &str, needle: &str) {
    assert!(
        has_diag(v, path, needle),
        "no diagnostic on {path} with {needle:?} in {}",
        v["diagnostics"]
    );
}

fn has_diag(v: &serde_json::Value, path: &str, needle: &str) -> bool {
    v["diagnostics"].as_array().is_some_and(|ds| {
        ds.iter().any(|d| {
            d["path"].as_str().is_some_and(|p| p.contains(path))
                && d["message"].as_str().is_some_and(|m| m.contains(needle))
        })
    })
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    std::os::unix::fs::symlink(root, root.join("loop")).expect("symlink");
    std::os::unix::fs::symlink("/etc", root.join("escape")).expect("symlink");
    std::os::unix::fs::symlink("/etc/passwd", root.join(".github/workflows/passwd.yml"))
        .expect("symlink");
    let started = Instant::now();
    let v = scan_json(root);
    assert!(started.elapsed() < Duration::from_secs(20));
    let text = v.to_string();
    assert!(
        !text.contains("escape/"),
        "walked through a symlink out of the root"
    );
    assert!(!text.contains("loop/"), "walked a symlink loop");
    assert!(
        has_diag(
            &v,
            ".github/workflows/passwd.yml",
            "symbolic link, not followed"
        ),
        "{}",
        v["diagnostics"]
    );
    p2a_met(root);
}

#[cfg(unix)]
#[test]
fn fifos_and_sockets_are_not_read() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    let fifo = root.join(".github/workflows/fifo.yml");
    let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).expect("cstring");
    // SAFETY: mkfifo with a valid NUL-terminated path.
    let rc = unsafe { libc_mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo failed");
    let _sock = std::os::unix::net::UnixListener::bind(root.join(".github/workflows/sock.yml"))
        .expect("socket");
    let started = Instant::now();
    let v = scan_json(root);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a FIFO made the scan hang"
    );
    assert_diag(&v, "fifo.yml", "a FIFO, not read");
    assert_diag(&v, "sock.yml", "a socket, not read");
    p2a_met(root);
}

#[cfg(unix)]
extern "C" {
    #[link_name = "mkfifo"]
    fn libc_mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
}

#[test]
fn huge_sparse_and_binary_files_are_skipped_with_diagnostics() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    let f = std::fs::File::create(root.join(".github/workflows/huge.yml")).expect("create");
    f.set_len(2 * 1024 * 1024 * 1024).expect("sparse 2 GB");
    std::fs::write(
        root.join(".github/workflows/binary.yml"),
        b"\x7fELF\x00\x00\x01binary",
    )
    .expect("write");
    let started = Instant::now();
    let v = scan_json(root);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_diag(&v, "huge.yml", "byte limit");
    assert_diag(&v, "binary.yml", "binary");
    p2a_met(root);
}

#[cfg(unix)]
#[test]
fn invalid_utf8_names_and_contents() {
    use std::os::unix::ffi::OsStrExt;
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    let name = std::ffi::OsStr::from_bytes(b"bad-\xff\xfe.yml");
    std::fs::write(
        root.join(".github/workflows").join(name),
        "on: push\njobs: {}\n",
    )
    .expect("write");
    std::fs::write(
        root.join(".github/workflows/latin1.yml"),
        b"name: caf\xe9\non: [pull_request]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: cargo test\n",
    )
    .expect("write");
    let v = scan_json(root);
    assert_diag(&v, "latin1.yml", "UTF-8");
    assert!(
        has_diag(
            &v,
            "bad-\u{fffd}\u{fffd}.yml",
            "file name is not valid UTF-8"
        ),
        "{}",
        v["diagnostics"]
    );
    p2a_met(root);
}

#[test]
fn deep_nesting_alias_bombs_and_huge_workflows() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    let wf = root.join(".github/workflows");
    std::fs::write(
        wf.join("deep.yml"),
        format!("on: push\njobs: {}", "[".repeat(10_000)),
    )
    .expect("write");
    let mut bomb = String::from("on: push\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    bomb.push_str("jobs:\n  j:\n    steps: *a9\n");
    std::fs::write(wf.join("bomb.yml"), bomb).expect("write");
    let mut big = String::from("on: [push]\njobs:\n  big:\n    runs-on: x\n    steps:\n");
    for i in 0..100_000 {
        // Steps the catalog recognises: each becomes evidence, so a cost per step that
        // grows with the job's size shows here.
        big.push_str(&format!("      - run: go test ./pkg{i}/...\n"));
    }
    std::fs::write(wf.join("big.yml"), big).expect("write");
    // Command substitutions nested 100,000 deep, in a step and in the Makefile it runs.
    let nest = "$(".repeat(100_000);
    std::fs::write(
        wf.join("nest.yml"),
        format!("on: [push]\njobs:\n  n:\n    runs-on: x\n    steps:\n      - run: make nest\n      - run: \"echo {nest}\"\n"),
    )
    .expect("write");
    std::fs::write(root.join("Makefile"), format!("nest:\n\techo {nest}\n")).expect("write");
    let started = Instant::now();
    let v = scan_json(root);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_diag(&v, "deep.yml", "invalid YAML");
    assert_diag(&v, "bomb.yml", "alias");
    assert_diag(&v, "big.yml", "100000 steps; only the first 10000 are read");
    p2a_met(root);
}

#[test]
fn broken_git_metadata_still_scans_the_files() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    std::fs::write(root.join(".git"), "gitdir: /nowhere/at/all\n").expect("write");
    let v = scan_json(root);
    assert_eq!(v["target"]["is_git"], false);
    assert_diag(&v, ".git", "`gitdir:` does not exist");
    p2a_met(root);

    // An empty `.git` directory: libgit2's message quotes the path, the report must not.
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    std::fs::create_dir(root.join(".git")).expect("mkdir");
    let v = scan_json(root);
    assert_diag(&v, ".git", "could not be opened");
    let machine = root.to_string_lossy().to_string();
    assert!(
        !v.to_string().contains(&machine),
        "machine path in {}",
        v["diagnostics"]
    );
    p2a_met(root);

    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    build_history(
        root,
        &serde_saphyr::from_str::<History>(
            "commits:\n  - {message: a, days_ago: 3}\n  - {message: b, days_ago: 2}\n",
        )
        .expect("h"),
    );
    // Corrupt the object store: truncate every loose object.
    let objects = root.join(".git/objects");
    for dir in std::fs::read_dir(&objects).expect("objects").flatten() {
        if dir.file_name().len() == 2 {
            for obj in std::fs::read_dir(dir.path()).expect("dir").flatten() {
                std::fs::write(obj.path(), b"garbage").expect("corrupt");
            }
        }
    }
    let v = scan_json(root);
    assert_eq!(v["history"]["available"], false);
    assert!(
        v["diagnostics"]
            .as_array()
            .is_some_and(|ds| ds.iter().any(|d| d["path"] == "git:HEAD")),
        "{}",
        v["diagnostics"]
    );
    let machine = root.to_string_lossy().to_string();
    assert!(
        !v.to_string().contains(&machine),
        "machine path in {}",
        v["diagnostics"]
    );
    p2a_met(root);
}

#[test]
fn fsmonitor_in_git_config_never_runs() {
    let repo = materialise("scenarios/github-app".as_ref(), true);
    let root = repo.path();
    let marker = root.join("PWNED");
    let cfg = root.join(".git/config");
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text.push_str(&format!(
        "[core]\n\tfsmonitor = touch {m}\n\tsshCommand = touch {m}\n[alias]\n\tstatus = !touch {m}\n[filter \"lfs\"]\n\tsmudge = git-lfs smudge -- %f\n",
        m = marker.display()
    ));
    std::fs::write(&cfg, text).expect("write");
    std::fs::write(
        root.join(".git/hooks/post-checkout"),
        format!("#!/bin/sh\ntouch {}\n", marker.display()),
    )
    .expect("hook");
    let v = scan_json(root);
    assert!(
        !marker.exists(),
        "something from the scanned repository was executed"
    );
    assert_diag(
        &v,
        ".git/config",
        "`alias.status`, `core.fsmonitor`, `core.sshcommand` (",
    );
    assert!(
        !has_diag(&v, ".git/config", "lfs"),
        "Git LFS filters are ordinary"
    );
}

#[test]
fn escape_sequences_never_reach_the_terminal_raw() {
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    std::fs::write(
        root.join(".github/workflows/evil.yml"),
        "name: \"\u{1b}[2J\u{1b}]0;owned\u{7}\"\non: [push]\njobs:\n  \"x\u{1b}[31m\":\n    runs-on: x\n    steps:\n      - run: \"trivy fs . # \u{1b}[5m\"\n",
    )
    .expect("write");
    #[cfg(unix)]
    std::fs::write(
        root.join(".github/workflows/\u{1b}[31mred.yml"),
        "on: [push\n",
    )
    .expect("write");
    build_history(
        root,
        &serde_saphyr::from_str::<History>(
            "commits:\n  - {message: \"evil \\e[2J\\e]0;title\\a subject (#1)\", days_ago: 2}\n",
        )
        .expect("h"),
    );
    let out = Command::cargo_bin("cnmm")
        .expect("bin")
        .args(["scan", "--verbose"])
        .arg(root)
        .env_remove("NO_COLOR")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
        "raw control characters in the text report"
    );
    // Every other format, and what goes to stderr (a path named with escapes in an
    // error message too).
    for format in ["json", "markdown", "html", "sarif", "junit"] {
        let out = Command::cargo_bin("cnmm")
            .expect("bin")
            .args(["scan", "--verbose", "--fail-below", "5", "--format", format])
            .arg(root)
            .output()
            .expect("run");
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !bytes.contains(&0x1b) && !bytes.contains(&0x07),
                "raw control characters in {format} {stream}"
            );
        }
    }
    let out = Command::cargo_bin("cnmm")
        .expect("bin")
        .arg("scan")
        .arg(root.join("no\u{1b}[31mdir"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b), "raw ESC in an error message");
}

#[cfg(unix)]
extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Unreadable directories and files become diagnostics; the rest is scanned. Root reads
/// everything, so as root the scan runs as `nobody` (a copy of the binary in the fixture,
/// where `nobody` can reach it): the test means the same as root and as a user.
#[cfg(unix)]
#[test]
fn permission_denied_paths_become_diagnostics() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let repo = materialise("scenarios/github-app".as_ref(), false);
    let root = repo.path();
    let chmod = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    let secret = root.join("deploy/secret");
    std::fs::create_dir_all(&secret).expect("mkdir");
    std::fs::write(secret.join("Dockerfile"), "FROM scratch\n").expect("write");
    let locked = root.join(".github/workflows/locked.yml");
    std::fs::write(&locked, "on: [push]\njobs: {}\n").expect("write");

    let bin = assert_cmd::cargo::cargo_bin("cnmm");
    // SAFETY: geteuid has no preconditions.
    let as_root = unsafe { libc_geteuid() } == 0;
    let mut cmd = if as_root {
        let private = tempfile::Builder::new()
            .prefix("cnmm-nobody-")
            .tempdir()
            .expect("tempdir");
        let copy = private.path().join("cnmm");
        std::fs::copy(&bin, &copy).expect("copy binary");
        chmod(private.path(), 0o755);
        chmod(&copy, 0o755);
        // Every directory of the fixture must be reachable by `nobody`.
        for dir in walk_dirs(root) {
            chmod(&dir, 0o755);
        }
        let mut c = std::process::Command::new(&copy);
        c.uid(65_534).gid(65_534).env("HOME", private.path());
        std::mem::forget(private); // removed with the machine's temp dir; `nobody` ran from it
        c
    } else {
        std::process::Command::new(&bin)
    };
    chmod(&secret, 0o000);
    chmod(&locked, 0o000);
    let out = cmd
        .args(["scan", "--format", "json"])
        .arg(root)
        .output()
        .expect("run");
    chmod(&secret, 0o755);
    chmod(&locked, 0o644);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_diag(&v, "deploy/secret", "Permission denied");
    assert_diag(&v, ".github/workflows/locked.yml", "Permission denied");
    assert_complete(&v);
    assert_eq!(criterion_status(&v, "P2a"), "met");
}

#[cfg(unix)]
fn walk_dirs(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if let Ok(rd) = std::fs::read_dir(&out[i]) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    out.push(e.path());
                }
            }
        }
        i += 1;
    }
    out
}

/// A repository with a CI workflow and a `.gitignore` whose `work*/` (meant for a
/// `work/` directory) also matches `.github/workflows/`; the workflow is tracked only
/// when `track` is set.
fn repo_with_ignored_workflows_dir(track: bool) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("cnmm-ignored-")
        .tempdir()
        .expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join(".github/workflows")).expect("mkdir");
    std::fs::write(
        root.join(".github/workflows/ci.yml"),
        "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n",
    )
    .expect("write");
    std::fs::write(root.join(".gitignore"), "target/\nwork*/\n").expect("write");
    let repo = git2::Repository::init(root).expect("init");
    let mut index = repo.index().expect("index");
    index.add_path(Path::new(".gitignore")).expect("add");
    if track {
        // Added before the pattern existed, as real projects do: git keeps tracking it.
        index
            .add_path(Path::new(".github/workflows/ci.yml"))
            .expect("add");
    }
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("t", "t@example.com").expect("sig");
    repo.commit(Some("HEAD"), &sig, &sig, "initial", &tree, &[])
        .expect("commit");
    dir
}

#[test]
fn tracked_files_count_even_when_a_gitignore_pattern_matches_them() {
    let dir = repo_with_ignored_workflows_dir(true);
    p2a_met(dir.path());
}

#[test]
fn untracked_files_a_gitignore_pattern_matches_stay_ignored() {
    let dir = repo_with_ignored_workflows_dir(false);
    let a = assess(dir.path());
    assert_eq!(criterion(&a, "P2a").status, Status::Unmet);
}

#[test]
fn misshapen_ci_values_do_not_break_the_scan() {
    // Shapes real configs get wrong: a Cloud Build step's `args` as one string, an Azure
    // template's parameters as a list, a Makefile that includes itself.
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::write(
        root.join("cloudbuild.yaml"),
        "steps:\n- name: 'gcr.io/example/tools:1'\n  args: '/bin/bash -c make test'\n",
    )
    .expect("write");
    std::fs::write(
        root.join("azure-pipelines.yml"),
        "trigger: [main]\nresources:\n  repositories:\n    - repository: t\n      name: acme/templates\nextends:\n  template: x.yml@t\n  parameters: [a, b]\n",
    )
    .expect("write");
    std::fs::write(
        root.join("Makefile"),
        "include Makefile\n\nall:\n\tmake all\n",
    )
    .expect("write");
    std::fs::create_dir_all(root.join(".github/workflows")).expect("mkdir");
    std::fs::write(
        root.join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n",
    )
    .expect("write");
    let v = scan_json(root);
    assert_eq!(criterion_status(&v, "P2a"), "unmet");
}
