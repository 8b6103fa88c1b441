//! `cnmm fleet` on fleets built at test time from the fixtures: the database, the
//! incremental second run, failures as rows, sharded runs in separate processes that
//! ingest to the same database and reports as one run, a killed run, the gate, the
//! shipped examples.

use crate::support::{
    blank, build_history, cnmm, copy_tree, fixtures_dir, stdout_of, workspace_root, CommitSpec,
    History,
};
use cnmm::fleet::db::Db;
use std::path::{Path, PathBuf};

/// A fleet of `n` repositories made from criteria fixtures (each one commit, with an
/// `origin` on a forge), one broken checkout and one bare repository.
fn fleet(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cases: Vec<PathBuf> = Vec::new();
    for id in ["C2", "P2b", "P3b", "S2", "X4b", "C4a", "A2", "S5a"] {
        let mut more: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join("criteria").join(id))
            .expect("criteria dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        more.sort();
        cases.extend(more);
    }
    for (i, case) in cases.iter().take(n).enumerate() {
        let name = format!(
            "repo{i:02}-{}",
            case.file_name().and_then(|n| n.to_str()).unwrap_or("x")
        );
        let root = dir.path().join("checkouts").join(&name);
        std::fs::create_dir_all(&root).expect("mkdir");
        copy_tree(case, &root);
        build_history(
            &root,
            &History {
                commits: vec![CommitSpec {
                    message: "initial".into(),
                    days_ago: 3.0,
                    ..blank()
                }],
                ..Default::default()
            },
        );
        let repo = git2::Repository::open(&root).expect("open");
        repo.remote("origin", &format!("https://github.com/acme/{name}.git"))
            .expect("remote");
    }
    // A checkout whose `.git` is broken.
    let broken = dir.path().join("checkouts/zz-broken");
    std::fs::create_dir_all(broken.join(".git")).expect("mkdir");
    std::fs::write(broken.join(".git/HEAD"), "not a ref\n").expect("write");
    // A bare repository (a mirror), scanned from its objects.
    let bare = dir.path().join("mirrors/app.git");
    let src = dir.path().join("checkouts").join(
        std::fs::read_dir(dir.path().join("checkouts"))
            .expect("checkouts")
            .flatten()
            .map(|e| e.file_name())
            .min()
            .expect("a checkout"),
    );
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&format!("file://{}", src.display()), &bare)
        .expect("bare clone");
    let r = git2::Repository::open(&bare).expect("open bare");
    r.remote_set_url("origin", "git@github.com:acme/app-mirror.git")
        .expect("set url");
    dir
}

fn scan(args: &[&str], dir: &Path) -> std::process::Output {
    cnmm()
        .arg("fleet")
        .arg("scan")
        .args(args)
        .arg(dir.join("checkouts"))
        .arg(dir.join("mirrors"))
        .env("CI", "1")
        .output()
        .expect("run")
}

fn report(db: &Path, format: &str) -> String {
    let out = stdout_of(
        cnmm()
            .args(["fleet", "report", "--format", format, "--db"])
            .arg(db),
    );
    String::from_utf8(out).expect("utf8")
}

fn count(db: &Db, sql: &str) -> i64 {
    db.conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[test]
fn a_fleet_run_records_every_repository_and_the_next_one_skips_unchanged_ones() {
    let dir = fleet(10);
    let db_path = dir.path().join("fleet.db");
    let db_arg = db_path.to_string_lossy().to_string();
    let out = scan(&["--db", &db_arg, "--jobs", "3"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("12 repositories: 11 scanned, 0 unchanged, 1 failed"),
        "{err}"
    );
    {
        let db = Db::open(&db_path).expect("db");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM repositories"), 12);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM assessments"), 11);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM section_levels"), 55);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM run_repositories WHERE status = 'error' AND error LIKE '%not a readable git repository%'"),
            1
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM runs WHERE status = 'complete'"),
            1
        );
        assert_eq!(
            count(&db, "PRAGMA user_version"),
            cnmm::fleet::db::SCHEMA_VERSION
        );
        // The mirror is known by its origin, whatever its URL form.
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM repositories WHERE identity = 'github.com/acme/app-mirror'"
            ),
            1
        );
    }
    let json: serde_json::Value = serde_json::from_str(&report(&db_path, "json")).expect("json");
    assert_eq!(json["repositories"].as_array().map(Vec::len), Some(12));
    let total: u64 = json["distribution"][0]["levels"]
        .as_array()
        .expect("levels")
        .iter()
        .filter_map(|v| v.as_u64())
        .sum();
    assert_eq!(total, 11, "every assessed repository has a level");

    // Second run: nothing changed, nothing is scanned again.
    let out = scan(&["--db", &db_arg], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0 scanned, 11 unchanged, 1 failed"), "{err}");
    // A new commit in one repository: that one is scanned again.
    let first = dir.path().join("checkouts/repo00-meets");
    let target = if first.is_dir() {
        first
    } else {
        std::fs::read_dir(dir.path().join("checkouts"))
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join(".git/objects").is_dir())
            .min()
            .expect("a repo")
    };
    let repo = git2::Repository::open(&target).expect("open");
    let head = repo.head().and_then(|h| h.peel_to_commit()).expect("head");
    let sig = git2::Signature::now("Dev", "dev@example.com").expect("sig");
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "touch",
        &head.tree().expect("tree"),
        &[&head],
    )
    .expect("commit");
    let out = scan(&["--db", &db_arg], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 scanned, 10 unchanged, 1 failed"), "{err}");
    // --force scans everything, and adds no duplicate assessment.
    let out = scan(&["--db", &db_arg, "--force"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("11 scanned, 0 unchanged, 1 failed"), "{err}");
    let db = Db::open(&db_path).expect("db");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM assessments"), 12);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM runs"), 4);
    let trend = report(&db_path, "json");
    let v: serde_json::Value = serde_json::from_str(&trend).expect("json");
    assert_eq!(v["trend"].as_array().map(Vec::len), Some(4));
}

#[test]
fn four_sharded_processes_ingest_to_the_same_database_and_reports_as_one_run() {
    let dir = fleet(12);
    let one = dir.path().join("one.db");
    let out = scan(
        &[
            "--db",
            &one.to_string_lossy(),
            "--label",
            "2026-w49",
            "--jobs",
            "2",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shards = dir.path().join("shards");
    let children: Vec<std::process::Child> = (0..4)
        .map(|i| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("cnmm"))
                .args([
                    "fleet",
                    "scan",
                    "--shard",
                    &format!("{i}/4"),
                    "--label",
                    "2026-w49",
                    "--jobs",
                    "1",
                    "--out",
                ])
                .arg(&shards)
                .arg(dir.path().join("checkouts"))
                .arg(dir.path().join("mirrors"))
                .env("CI", "1")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn a shard")
        })
        .collect();
    let mut per_shard = Vec::new();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        per_shard.push(String::from_utf8_lossy(&out.stderr).to_string());
    }
    // Every repository is in exactly one shard.
    let mut lines = 0;
    for i in 0..4 {
        let f = shards.join(format!("shard-{i}-of-4.ndjson"));
        lines += std::fs::read_to_string(&f)
            .expect("shard file")
            .lines()
            .count();
    }
    assert_eq!(lines, 14, "{per_shard:?}");
    let sharded = dir.path().join("sharded.db");
    cnmm()
        .args(["fleet", "ingest", "--db"])
        .arg(&sharded)
        .arg(&shards)
        .assert()
        .success();
    let (a, b) = (Db::open(&one).expect("db"), Db::open(&sharded).expect("db"));
    assert_eq!(a.dump().expect("dump"), b.dump().expect("dump"));
    for format in ["json", "html", "markdown", "csv"] {
        assert_eq!(report(&one, format), report(&sharded, format), "{format}");
    }
    // Ingesting the same shards again changes nothing.
    cnmm()
        .args(["fleet", "ingest", "--db"])
        .arg(&sharded)
        .arg(&shards)
        .assert()
        .success();
    assert_eq!(a.dump().expect("dump"), b.dump().expect("dump"));
}

#[test]
fn a_killed_run_leaves_a_consistent_database_and_the_next_run_resumes() {
    let dir = fleet(16);
    let db_path = dir.path().join("fleet.db");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cnmm"))
        .args(["fleet", "scan", "--jobs", "1", "--label", "nightly", "--db"])
        .arg(&db_path)
        .arg(dir.path().join("checkouts"))
        .arg(dir.path().join("mirrors"))
        .env("CI", "1")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it as soon as one assessment is written (or when it is done, on a fast run).
    let started = std::time::Instant::now();
    loop {
        let written = rusqlite::Connection::open(&db_path)
            .ok()
            .and_then(|c| {
                c.query_row("SELECT COUNT(*) FROM assessments", [], |r| {
                    r.get::<_, i64>(0)
                })
                .ok()
            })
            .unwrap_or(0);
        if written > 0 || started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    let db = Db::open(&db_path).expect("db");
    let ok: String = db
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(ok, "ok");
    // Every assessment written is whole: its five sections and its criteria.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM assessments a WHERE (SELECT COUNT(*) FROM section_levels l WHERE l.assessment_id = a.id) != 5"),
        0
    );
    drop(db);
    let out = scan(
        &["--db", &db_path.to_string_lossy(), "--label", "nightly"],
        dir.path(),
    );
    assert!(out.status.success());
    let db = Db::open(&db_path).expect("db");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM runs"),
        1,
        "the label resumes the run"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM runs WHERE status = 'complete'"),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM run_repositories WHERE run_id = 1"
        ),
        18
    );
}

#[test]
fn the_gate_names_every_repository_below_target() {
    let dir = fleet(6);
    let db = dir.path().join("fleet.db");
    scan(&["--db", &db.to_string_lossy()], dir.path());
    let out = cnmm()
        .args([
            "fleet",
            "report",
            "--format",
            "csv",
            "--fail-below",
            "2",
            "--db",
        ])
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let csv = String::from_utf8_lossy(&out.stdout);
    let below = csv
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(4).is_some_and(|o| o == "1"))
        .count();
    assert_eq!(
        err.matches("cnmm: below target: ").count(),
        below,
        "{err}\n{csv}"
    );
    assert!(below > 0);
    cnmm()
        .args([
            "fleet",
            "report",
            "--format",
            "csv",
            "--fail-below",
            "1",
            "--db",
        ])
        .arg(&db)
        .assert()
        .code(0);
}

#[test]
fn slices_partition_a_list_of_repositories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("repos.txt");
    let urls: Vec<String> = (0..40)
        .map(|i| format!("https://github.com/acme/service-{i}.git"))
        .collect();
    std::fs::write(&list, format!("# the organisation\n{}\n", urls.join("\n"))).expect("write");
    let mut all: Vec<String> = Vec::new();
    for i in 0..4 {
        let out = cnmm()
            .args(["fleet", "slice", "--shard", &format!("{i}/4")])
            .arg(&list)
            .output()
            .expect("run");
        assert!(out.status.success());
        let slice: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert!(!slice.is_empty(), "shard {i} is empty");
        all.extend(slice);
    }
    all.sort();
    let mut want = urls.clone();
    want.sort();
    assert_eq!(all, want);
}

#[test]
fn bad_input_exits_2_with_what_to_change() {
    let dir = fleet(2);
    let db = dir.path().join("fleet.db");
    for (args, says) in [
        (vec!["scan", "--shard", "0/4"], "give --out DIR"),
        (vec!["scan", "--shard", "4/4", "--out", "x"], "0 <= I < N"),
        (vec!["scan", "--shard", "0/4", "--out", "x"], "--label"),
        (vec!["scan", "--jobs", "0"], "at least 1"),
        (vec!["scan", "no-such-dir"], "no-such-dir"),
        (
            vec!["report", "--db", "no-such.db"],
            "no such fleet database",
        ),
    ] {
        let mut cmd = cnmm();
        cmd.arg("fleet").args(&args);
        if args[0] == "scan" && args.len() > 1 && args[1] != "no-such-dir" {
            cmd.arg(dir.path().join("checkouts"));
        }
        let out = cmd.current_dir(dir.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // Errors name the repository as found, never a path of this machine.
    scan(&["--db", &db.to_string_lossy()], dir.path());
    let csv = report(&db, "csv");
    assert!(csv.contains("local:checkouts/zz-broken"), "{csv}");
    assert!(!csv.contains(&*dir.path().to_string_lossy()), "{csv}");
    let not_shard = dir.path().join("notes.ndjson");
    std::fs::write(&not_shard, "{\"hello\": 1}\n").expect("write");
    let out = cnmm()
        .args(["fleet", "ingest", "--db"])
        .arg(&db)
        .arg(&not_shard)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.ndjson:1: not a shard line"));
    // A database from a newer cnmm is refused, not rewritten.
    let newer = dir.path().join("newer.db");
    rusqlite::Connection::open(&newer)
        .and_then(|c| c.pragma_update(None, "user_version", 99))
        .expect("newer db");
    let out = cnmm()
        .args(["fleet", "report", "--db"])
        .arg(&newer)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer cnmm"));
}

#[test]
fn the_shipped_examples_shard_by_index_and_ingest_the_shards() {
    let root = workspace_root().join("examples/fleet");
    let job: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join("k8s-indexed-job.yaml")).expect("k8s example"),
    )
    .expect("yaml");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let n = job["spec"]["completions"].as_u64().expect("completions");
    let script = job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    assert!(
        script.contains(&format!("--shard \"${{JOB_COMPLETION_INDEX}}/{n}\"")),
        "{script}"
    );
    assert!(script.contains("--out /results"), "{script}");
    let wf_text = std::fs::read_to_string(root.join("github-matrix.yml")).expect("workflow");
    let wf: serde_json::Value = serde_saphyr::from_str(&wf_text).expect("yaml");
    let shards = wf["jobs"]["scan"]["strategy"]["matrix"]["shard"]
        .as_array()
        .map(Vec::len)
        .expect("matrix");
    assert!(wf_text.contains(&format!(
        "fleet slice repos.txt --shard \"${{{{ matrix.shard }}}}/{shards}\""
    )));
    assert!(wf_text.contains("actions/upload-artifact"));
    assert_eq!(wf["jobs"]["report"]["needs"], "scan");
    assert!(wf_text.contains("cnmm fleet ingest"));
    // cnmm reads the example as a pipeline, like any workflow.
    let (facts, diags) = cnmm_facts::extract_file(
        ".github/workflows/fleet.yml",
        wf_text.as_bytes(),
        &cnmm_facts::tools::ToolMatcher::new(
            &cnmm::scan::load_rules(&[]).expect("rules").0.catalog,
        ),
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert!(facts.iter().filter(|f| f.kind == "ci.job").count() >= 2);
}

/// A mirror without a configuration file (nothing says `core.bare`) is still a bare
/// repository: assessed from HEAD's objects, as `scan --rev HEAD` assesses it, not
/// scanned as a directory of git internals.
#[test]
fn a_mirror_without_configuration_is_assessed_from_its_objects() {
    let dir = fleet(1);
    let mirror = dir.path().join("mirrors/app.git");
    std::fs::remove_file(mirror.join("config")).expect("rm config");
    let db = dir.path().join("fleet.db");
    stdout_of(
        cnmm()
            .args(["fleet", "scan", "--db"])
            .arg(&db)
            .arg(dir.path().join("mirrors"))
            .env("CI", "1"),
    );
    let alone = stdout_of(
        cnmm()
            .args(["scan", "--format", "json", "--rev", "HEAD"])
            .arg(&mirror),
    );
    let alone: serde_json::Value = serde_json::from_slice(&alone).expect("json");
    let csv = report(&db, "csv");
    let row = csv.lines().nth(1).expect("a row");
    let levels = &alone["summary"]["sections"];
    let want = format!(
        "{},{},{},{},{}",
        levels["process"],
        levels["audit_logs"],
        levels["ci_cd"],
        levels["change_control"],
        levels["security"]
    );
    assert!(
        row.contains(&want),
        "{row} lacks the levels of scan --rev HEAD ({want})"
    );
    assert!(
        row.contains(alone["target"]["head"].as_str().expect("head")),
        "{row}"
    );
}
