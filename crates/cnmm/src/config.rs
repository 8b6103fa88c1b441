//! `.cnmm.yml`: the scanned repository's own settings.
//!
//! ```yaml
//! targets: {overall: 3, security: 4}   # the CI gate when --fail-below is not given
//! exclude: ["legacy/**"]              # more paths whose facts never count
//! rules: [".cnmm/rules"]              # extra rule directories, relative to the file
//! waivers:
//!   - {criterion: S5a, reason: "SBOMs ship with the next platform release", expires: 2027-03-31}
//! ```

use crate::UserError;
use cnmm_model::SectionId;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub targets: BTreeMap<String, u8>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub waivers: Vec<WaiverEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverEntry {
    pub criterion: String,
    pub reason: String,
    pub expires: String,
}

impl WaiverEntry {
    /// Whether the waiver has expired by `today` (both `YYYY-MM-DD`, validated on load,
    /// so they compare as strings).
    pub fn expired(&self, today: &str) -> bool {
        self.expires.as_str() < today
    }
}

/// A loaded configuration and where it came from.
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
}

pub const DEFAULT_NAME: &str = ".cnmm.yml";

/// The largest `.cnmm.yml` read from a repository.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Fails unless `path` (resolving symlinks) lies inside the repository at `root`; `what`
/// names it in the message.
pub fn inside_repository(root: &Path, path: &Path, what: &str) -> Result<(), UserError> {
    let outside = || {
        UserError(format!(
            "{what} points outside the repository; what the repository's own {DEFAULT_NAME} names must be inside it (pass files elsewhere with --config or --rules)"
        ))
    };
    let root = root.canonicalize().map_err(|_| outside())?;
    match path.canonicalize() {
        Ok(p) if p.starts_with(&root) => Ok(()),
        Ok(_) => Err(outside()),
        // Not there (or a dangling link): refuse a link, let the caller report a missing
        // file as it would.
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            Err(outside())
        }
        Err(_) => Ok(()),
    }
}

/// Loads `explicit`, or `.cnmm.yml` at the root of the scanned repository if present.
pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Loaded, UserError> {
    let path = match explicit {
        Some(p) => {
            if !p.is_file() {
                return Err(UserError(format!(
                    "config file {} does not exist; pass an existing file to --config",
                    p.display()
                )));
            }
            p.to_path_buf()
        }
        None => {
            let p = root.join(DEFAULT_NAME);
            if std::fs::symlink_metadata(&p).is_err() {
                return Ok(Loaded {
                    config: Config::default(),
                    path: None,
                });
            }
            // The repository's own file is as untrusted as the rest of the checkout: it
            // must be a file inside it (an error quoting a line of a file elsewhere
            // would print that file into a CI log) and of a configuration's size.
            inside_repository(root, &p, DEFAULT_NAME)?;
            let meta = std::fs::metadata(&p)
                .map_err(|e| UserError(format!("{DEFAULT_NAME}: cannot be read: {e}")))?;
            if !meta.is_file() {
                return Err(UserError(format!(
                    "{DEFAULT_NAME} is not a regular file; make it one or remove it"
                )));
            }
            if meta.len() > MAX_CONFIG_BYTES {
                return Err(UserError(format!(
                    "{DEFAULT_NAME}: {} bytes is more than the {MAX_CONFIG_BYTES} byte limit for a configuration",
                    meta.len()
                )));
            }
            p
        }
    };
    let shown = if explicit.is_some() {
        path.display().to_string()
    } else {
        DEFAULT_NAME.to_string()
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| UserError(format!("{shown}: cannot be read: {e}")))?;
    Ok(Loaded {
        config: parse(&text, &shown)?,
        path: Some(path),
    })
}

/// Parses and checks a configuration's text; `shown` names it in errors.
pub fn parse(text: &str, shown: &str) -> Result<Config, UserError> {
    let config: Config = if text.trim().is_empty() {
        Config::default()
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let line = e
                .location()
                .map(|l| format!(":{}", l.line()))
                .unwrap_or_default();
            let msg = e.to_string();
            UserError(format!(
                "{shown}{line}: {}; valid keys are targets, exclude, rules, waivers",
                msg.lines().next().unwrap_or(&msg)
            ))
        })?
    };
    for (k, v) in &config.targets {
        if k != "overall" && SectionId::parse(k).is_none() {
            return Err(UserError(format!(
                "{shown}: unknown section `{k}` in targets; use overall, process, audit_logs, ci_cd, change_control or security"
            )));
        }
        if !(1..=5).contains(v) {
            return Err(UserError(format!(
                "{shown}: target for `{k}` is {v}; levels go from 1 to 5"
            )));
        }
    }
    for w in &config.waivers {
        if !is_date(&w.expires) {
            return Err(UserError(format!(
                "{shown}: waiver for {} has expires `{}`; write the date as YYYY-MM-DD",
                w.criterion, w.expires
            )));
        }
        if w.reason.trim().is_empty() {
            return Err(UserError(format!(
                "{shown}: waiver for {} needs a reason",
                w.criterion
            )));
        }
    }
    Ok(config)
}

/// `YYYY-MM-DD` with a plausible month and day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| s[r].chars().all(|c| c.is_ascii_digit());
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let m: u32 = s[5..7].parse().unwrap_or(0);
    let d: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// Today's date (UTC), for waiver expiry.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    cnmm_facts::history::rfc3339(secs)[..10].to_string()
}
