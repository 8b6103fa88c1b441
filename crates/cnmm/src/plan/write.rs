//! `cnmm plan --write`: creates the plan's new files in the work tree. Every path is
//! checked before anything is written; an existing file is never overwritten, and a
//! path that leaves the repository (`..`, an absolute path, a symlinked directory
//! pointing elsewhere) is refused.

use super::files::Change;
use crate::UserError;
use std::path::{Component, Path, PathBuf};

/// `--write` needs a work tree: a directory that is not a bare repository.
pub fn check_work_tree(root: &Path) -> Result<(), UserError> {
    if !root.is_dir() {
        return Err(UserError(format!(
            "--write: {} is not a directory; pass the root of a checkout",
            root.display()
        )));
    }
    if crate::scan::is_bare_repository(root) {
        return Err(UserError(format!(
            "--write: {} is a bare repository (no work tree to write into); run the plan in a checkout",
            root.display()
        )));
    }
    Ok(())
}

/// Where `relative` lands under `root`, or why it may not be written.
fn destination(root: &Path, canonical_root: &Path, relative: &str) -> Result<PathBuf, String> {
    let rel = Path::new(relative);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "`{relative}` is not a plain path inside the repository"
        ));
    }
    let target = root.join(rel);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(format!(
            "`{relative}` exists; cnmm never overwrites a file (remove it, or leave this step to the diff)"
        ));
    }
    // The deepest directory of the path that exists must be inside the repository once
    // symlinks are resolved.
    let mut existing = target.parent().map(Path::to_path_buf);
    while let Some(dir) = existing.clone() {
        if dir.exists() {
            break;
        }
        existing = dir.parent().map(Path::to_path_buf);
    }
    let dir = existing.unwrap_or_else(|| root.to_path_buf());
    let resolved = dir
        .canonicalize()
        .map_err(|e| format!("`{relative}`: {e}"))?;
    if !resolved.starts_with(canonical_root) {
        return Err(format!(
            "`{relative}` would be written outside the repository, through a symlinked directory"
        ));
    }
    if !resolved.is_dir() {
        return Err(format!("`{relative}`: a parent of it is a file"));
    }
    Ok(target)
}

/// Creates every `Create` change; nothing is written when any path is refused.
/// Returns the paths created.
pub fn create_all(root: &Path, changes: &[Change]) -> Result<Vec<String>, UserError> {
    check_work_tree(root)?;
    let canonical_root = root
        .canonicalize()
        .map_err(|e| UserError(format!("--write: {}: {e}", root.display())))?;
    let mut planned = Vec::new();
    let mut problems = Vec::new();
    for c in changes {
        if let Change::Create { path, content } = c {
            match destination(root, &canonical_root, path) {
                Ok(dest) => planned.push((path.clone(), dest, content.clone())),
                Err(e) => problems.push(e),
            }
        }
    }
    if !problems.is_empty() {
        return Err(UserError(format!(
            "--write refused, nothing written: {}",
            problems.join("; ")
        )));
    }
    let mut written = Vec::new();
    for (path, dest, content) in planned {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                UserError(format!(
                    "--write: cannot create the directory of `{path}`: {e}"
                ))
            })?;
        }
        // `create_new`: a file that appeared since the check is not overwritten either.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&dest)
            .map_err(|e| UserError(format!("--write: cannot create `{path}`: {e}")))?;
        std::io::Write::write_all(&mut f, content.as_bytes())
            .map_err(|e| UserError(format!("--write: cannot write `{path}`: {e}")))?;
        written.push(path);
    }
    Ok(written)
}
