#![no_main]
// Arbitrary commit objects, written to an in-memory object database and walked by the
// history reader: the input, split at NUL bytes, gives each commit of a chain (every
// third one a merge) what follows its `tree` and `parent` lines: author, committer,
// other headers (signatures) and message.
use cnmm_facts::history::{read_commit, HistoryOptions};

const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(odb) = git2::Odb::new() else { return };
    if odb.add_new_mempack_backend(1000).is_err() {
        return;
    }
    let Ok(repo) = git2::Repository::from_odb(odb) else {
        return;
    };
    let Ok(odb) = repo.odb() else { return };
    let mut commits: Vec<git2::Oid> = Vec::new();
    for (i, rest) in data.split(|b| *b == 0).take(64).enumerate() {
        let mut body = format!("tree {EMPTY_TREE}\n").into_bytes();
        if let Some(p) = commits.last() {
            body.extend_from_slice(format!("parent {p}\n").as_bytes());
        }
        if i % 3 == 2 && commits.len() >= 2 {
            let older = commits[commits.len() - 2];
            body.extend_from_slice(format!("parent {older}\n").as_bytes());
        }
        body.extend_from_slice(rest);
        if let Ok(id) = odb.write(git2::ObjectType::Commit, &body) {
            commits.push(id);
        }
    }
    if let Some(&head) = commits.last() {
        let opts = HistoryOptions {
            window_days: 100_000,
            ..Default::default()
        };
        let out = read_commit(&repo, head, &opts);
        // Counts stay consistent whatever the objects say.
        let s = &out.summary;
        assert!(s.first_parent_commits <= s.commits);
        assert!(s.merge_commits <= s.commits);
        assert!(s.pr_based_commits <= s.first_parent_commits);
    }
});
