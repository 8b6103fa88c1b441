//! Which repositories a fleet holds: git work trees and bare repositories found below
//! source directories (not descending into one once found), or the paths a list file
//! names; and each one's identity, which names it in the database and decides its
//! shard.

use crate::UserError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One repository of the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Stable across machines: the `origin` remote as `host/owner/name`, else
    /// `local:` and the path as found (from its source directory's name down, or as
    /// listed).
    pub identity: String,
    /// The directory's name, for people.
    pub name: String,
    /// Where it is on this machine (never written to a report).
    pub path: PathBuf,
    /// The path relative to the source it was found under, or as listed.
    pub source_path: String,
}

/// How deep below a source directory repositories are looked for.
const MAX_DEPTH: usize = 6;

/// Every repository the sources hold, sorted by identity (one entry per identity: the
/// first path found).
pub fn members(sources: &[PathBuf]) -> Result<Vec<Member>, UserError> {
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for s in sources {
        let meta = std::fs::metadata(s).map_err(|e| {
            UserError(format!(
                "{}: {e}; pass directories holding checkouts, or a file listing their paths",
                s.display()
            ))
        })?;
        if meta.is_dir() {
            if is_repository(s) {
                let name = s
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| ".".into());
                found.push((s.clone(), name));
            } else {
                walk(s, s, 0, &mut found);
            }
        } else {
            let text = std::fs::read_to_string(s).map_err(|e| {
                UserError(format!(
                    "{}: cannot read the list of repositories: {e}",
                    s.display()
                ))
            })?;
            let base = s.parent().unwrap_or(Path::new("."));
            for line in text.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let p = Path::new(line);
                let path = if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    base.join(p)
                };
                found.push((path, line.to_string()));
            }
        }
    }
    let mut by_identity: BTreeMap<String, Member> = BTreeMap::new();
    for (path, source_path) in found {
        let identity = identity_of(&path).unwrap_or_else(|| format!("local:{source_path}"));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| source_path.clone());
        by_identity.entry(identity.clone()).or_insert(Member {
            identity,
            name,
            path,
            source_path,
        });
    }
    Ok(by_identity.into_values().collect())
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        if d.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if is_repository(&d) {
            // From the source directory's own name down: two sources holding the same
            // layout (`a/app`, `b/app`) hold different repositories.
            let base = root.parent().unwrap_or(root);
            let rel = d
                .strip_prefix(base)
                .unwrap_or(&d)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((d, rel));
        } else if depth + 1 < MAX_DEPTH {
            walk(root, &d, depth + 1, out);
        }
    }
}

/// A work tree (`.git` directory or file) or a bare repository (`HEAD`, `objects/` and
/// `refs/`), judged from the file system only.
pub fn is_repository(dir: &Path) -> bool {
    dir.join(".git").exists() || crate::scan::is_bare_repository(dir)
}

/// `host/owner/name` of the repository's `origin` remote, if it has one: from its
/// configuration file alone (opening the repository would cost a thousand fleets'
/// worth of ref and config reading on every run).
fn identity_of(path: &Path) -> Option<String> {
    let config = [path.join(".git/config"), path.join("config")]
        .into_iter()
        .find(|p| p.is_file())?;
    let cfg = git2::Config::open(&config).ok()?;
    let url = cfg.get_string("remote.origin.url").ok()?;
    normalise_url(&url)
}

/// `https://user@GitHub.com/acme/app.git`, `git@github.com:acme/app` and
/// `ssh://git@github.com/acme/app` all give `github.com/acme/app`.
pub fn normalise_url(url: &str) -> Option<String> {
    let u = url.trim();
    let rest = match u.split_once("://") {
        Some((_, r)) => r.to_string(),
        None => match u.split_once(':') {
            // scp-like `git@host:owner/name`
            Some((host, path)) if !host.contains('/') => format!("{host}/{path}"),
            _ => return None,
        },
    };
    let rest = rest.rsplit_once('@').map_or(rest.as_str(), |(_, r)| r);
    let (host, path) = rest.split_once('/')?;
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let path = path.trim_matches('/').trim_end_matches(".git");
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{host}/{path}"))
}

/// The identity a list line stands for: a URL's normalised form, else the line itself
/// as a local path.
pub fn identity_of_line(line: &str) -> String {
    normalise_url(line).unwrap_or_else(|| format!("local:{line}"))
}

/// Which shard (`0..n`) an identity belongs to: FNV-1a of the identity, so every
/// machine and every version computes the same partition.
pub fn shard_of(identity: &str, n: u32) -> u32 {
    (stable_hash(identity.as_bytes()) % u64::from(n.max(1))) as u32
}

/// FNV-1a, 64 bits: stable across processes and machines (std's hashers are not).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Parses `I/N` (0-based index, as Kubernetes' `JOB_COMPLETION_INDEX`).
pub fn parse_shard(text: &str) -> Result<(u32, u32), UserError> {
    let bad = || {
        UserError(format!(
            "--shard {text}: expected I/N with 0 <= I < N, such as 0/4 (Kubernetes' JOB_COMPLETION_INDEX is 0-based)"
        ))
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalise_to_host_and_path() {
        for (url, want) in [
            (
                "https://github.com/acme/app.git",
                Some("github.com/acme/app"),
            ),
            (
                "https://user:tok@GitHub.com/acme/app",
                Some("github.com/acme/app"),
            ),
            ("git@github.com:acme/app.git", Some("github.com/acme/app")),
            (
                "ssh://git@gitlab.com:2222/group/sub/app",
                Some("gitlab.com/group/sub/app"),
            ),
            ("/srv/mirrors/app", None),
            ("app", None),
        ] {
            assert_eq!(normalise_url(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn shards_partition_stably() {
        assert_eq!(parse_shard("0/4").ok(), Some((0, 4)));
        for bad in ["4/4", "1", "a/b", "0/0", "-1/3"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
        // Fixed values: a change of the hash would reshuffle every fleet's shards.
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(b"github.com/acme/app"), 0x6eac_9b0f_733f_0a60);
        let ids: Vec<String> = (0..100)
            .map(|i| format!("github.com/acme/app{i}"))
            .collect();
        let mut counts = [0u32; 4];
        for id in &ids {
            counts[shard_of(id, 4) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 10), "{counts:?}");
    }
}
