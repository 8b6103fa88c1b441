//! `cnmm scan`: facts → verdicts → report, and the CI gate.

use crate::cli::ScanArgs;
use crate::config;
use crate::gate::{self, Targets};
use crate::{UserError, EXIT_BELOW_TARGET, EXIT_OK};
use cnmm_facts::{FilePattern, ScanOptions};
use cnmm_model::{Assessment, FactKindSpec, Tool, SCHEMA_VERSION};
use cnmm_rules::{RuleSet, Waiver};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Loads the built-in rules plus extra rule directories. The built-in rules are parsed
/// once per process (a fleet prepares a scan per repository).
pub fn load_rules(dirs: &[PathBuf]) -> Result<(RuleSet, Vec<FactKindSpec>), UserError> {
    static BUILTIN: std::sync::OnceLock<Result<RuleSet, String>> = std::sync::OnceLock::new();
    let kinds = cnmm_facts::extractors::fact_kinds();
    let builtin = BUILTIN.get_or_init(|| {
        RuleSet::builtin(&kinds).map_err(|e| {
            format!(
                "the built-in rules are invalid (a bug in this build):\n{}",
                UserError::from(e)
            )
        })
    });
    let mut set = builtin.clone().map_err(UserError)?;
    for d in dirs {
        set.overlay_dir(d, &kinds)?;
    }
    Ok((set, kinds))
}

/// The rules' `file:` queries, as the fact stage matches them.
pub fn file_patterns(rules: &RuleSet) -> Vec<FilePattern> {
    rules
        .file_queries
        .iter()
        .map(|q| FilePattern {
            key: q.key.clone(),
            globs: q.globs.clone(),
            content: q.content.clone(),
        })
        .collect()
}

/// Whether `dir` is a bare repository (a git directory with no work tree: `HEAD`,
/// `objects/` and `refs/` and no `.git`), judged from the file system: a mirror may
/// have no configuration saying it is bare.
pub fn is_bare_repository(dir: &Path) -> bool {
    !dir.join(".git").exists()
        && dir.join("HEAD").is_file()
        && dir.join("objects").is_dir()
        && dir.join("refs").is_dir()
}

/// Everything a scan needs besides the path.
pub struct Settings {
    pub threads: Option<usize>,
    pub history: bool,
    pub history_window: u32,
    pub config: Option<PathBuf>,
    pub rule_dirs: Vec<PathBuf>,
    pub evidence_files: Vec<PathBuf>,
    pub rev: Option<String>,
}

impl Default for Settings {
    /// What `cnmm scan` does without flags.
    fn default() -> Self {
        Settings {
            threads: None,
            history: true,
            history_window: 365,
            config: None,
            rule_dirs: Vec::new(),
            evidence_files: Vec::new(),
            rev: None,
        }
    }
}

/// Scans `root` and returns the assessment and the configuration used.
pub fn assess(root: &Path, s: &Settings) -> Result<(Assessment, config::Config), UserError> {
    let prepared = Prepared::new(root, s)?;
    let assessment = prepared.assess(s.rev.as_deref(), None)?;
    Ok((assessment, prepared.config))
}

/// A scan with its configuration and rules loaded and checked, ready to assess the
/// repository at one or more commits with the same policy (`cnmm timeline` assesses
/// many; each assessment is what `scan --rev` of that commit gives).
pub struct Prepared {
    pub root: PathBuf,
    pub config: config::Config,
    rules: RuleSet,
    kinds: Vec<FactKindSpec>,
    waivers: Vec<Waiver>,
    options: ScanOptions,
}

impl Prepared {
    pub fn new(root: &Path, s: &Settings) -> Result<Prepared, UserError> {
        if !root.exists() {
            return Err(UserError(format!(
                "{} does not exist; pass the path of a repository checkout",
                root.display()
            )));
        }
        if !root.is_dir() {
            return Err(UserError(format!(
                "{} is not a directory; pass the root directory of a repository",
                root.display()
            )));
        }
        let loaded = config::load(root, s.config.as_deref())?;
        let cfg = loaded.config;
        let mut dirs = s.rule_dirs.clone();
        if let Some(cfg_path) = &loaded.path {
            let base = cfg_path.parent().unwrap_or(root);
            for r in &cfg.rules {
                let dir = base.join(r);
                if s.config.is_none() {
                    config::inside_repository(
                        root,
                        &dir,
                        &format!("{}: rules directory `{r}`", config::DEFAULT_NAME),
                    )?;
                }
                dirs.push(dir);
            }
        }
        let (rules, kinds) = load_rules(&dirs)?;
        for w in &cfg.waivers {
            if rules.rule(&w.criterion).is_none() {
                return Err(UserError(format!(
                    "{}: waiver names unknown criterion `{}`; `cnmm rules list` shows the ids",
                    config::DEFAULT_NAME,
                    w.criterion
                )));
            }
        }
        let mut opts = ScanOptions::new(root);
        if let Some(j) = s.threads {
            if j == 0 {
                return Err(UserError("--jobs must be at least 1".into()));
            }
            opts.threads = j;
        }
        opts.history.enabled = s.history;
        if s.history_window == 0 {
            return Err(UserError("--history-window must be at least 1 day".into()));
        }
        opts.history.window_days = s.history_window;
        opts.user_excludes = cfg.exclude.clone();
        opts.evidence_files = s.evidence_files.clone();
        opts.file_patterns = file_patterns(&rules);
        let today = config::today();
        let waivers: Vec<Waiver> = cfg
            .waivers
            .iter()
            .map(|w| Waiver {
                criterion: w.criterion.clone(),
                reason: w.reason.clone(),
                expires: w.expires.clone(),
                expired: w.expired(&today),
            })
            .collect();
        Ok(Prepared {
            root: root.to_path_buf(),
            config: cfg,
            rules,
            kinds,
            waivers,
            options: opts,
        })
    }

    /// The assessment of the work tree (`rev` = None) or of the commit `rev`, read from
    /// the object database; `cache` is shared by assessments of several commits.
    pub fn assess(
        &self,
        rev: Option<&str>,
        cache: Option<std::sync::Arc<cnmm_facts::cache::ScanCache>>,
    ) -> Result<Assessment, UserError> {
        self.assess_with_facts(rev, cache).map(|(a, _)| a)
    }

    /// The rules this scan applies.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// [`Prepared::assess`], with the facts the assessment was made from (`cnmm plan`
    /// fits its steps to them).
    pub fn assess_with_facts(
        &self,
        rev: Option<&str>,
        cache: Option<std::sync::Arc<cnmm_facts::cache::ScanCache>>,
    ) -> Result<(Assessment, Vec<cnmm_model::Fact>), UserError> {
        let mut opts = self.options.clone();
        opts.history.rev = rev.map(str::to_string);
        opts.cache = cache;
        let result = cnmm_facts::scan(&opts, &self.rules.catalog).map_err(UserError)?;
        let input = cnmm_rules::Input {
            facts: &result.facts,
            kinds: &self.kinds,
            unavailable: &result.unavailable,
            waivers: &self.waivers,
        };
        let (sections, summary) = cnmm_rules::evaluate(&self.rules, &input);
        let mut diagnostics = result.diagnostics;
        for w in self.waivers.iter().filter(|w| w.expired) {
            diagnostics.push(cnmm_model::Diagnostic::error(
                config::DEFAULT_NAME,
                None,
                format!(
                    "the waiver for {} expired on {}; renew it with a new date or meet the criterion",
                    w.criterion, w.expires
                ),
            ));
        }
        diagnostics.sort();
        let assessment = Assessment {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "cnmm".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            target: result.target,
            summary,
            sections,
            history: result.history,
            diagnostics,
        };
        Ok((assessment, result.facts))
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to a non-empty value
/// (<https://no-color.org>).
pub fn color_wanted(to_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    to_terminal && no_color.is_none_or(|v| v.is_empty())
}

pub fn run(a: &ScanArgs) -> Result<i32, UserError> {
    // Targets are checked before the scan so a typo fails fast.
    let cli_targets = a.fail_below.as_deref().map(Targets::parse).transpose()?;
    let format = cnmm_report::Format::parse(&a.format)
        .ok_or_else(|| UserError(format!("unknown format `{}`", a.format)))?;
    let settings = Settings {
        threads: a.jobs,
        history: !a.no_history,
        history_window: a.history_window,
        config: a.config.clone(),
        rule_dirs: a.rules.clone(),
        evidence_files: a.evidence.clone(),
        rev: a.rev.clone(),
    };
    let spinner = crate::progress::Progress::start(crate::progress::wanted());
    let scanned = assess(&a.path, &settings);
    drop(spinner);
    let (assessment, cfg) = scanned?;
    let targets = cli_targets.unwrap_or_else(|| Targets::from_config(&cfg.targets));
    let to_terminal = a.output.is_none() && std::io::stdout().is_terminal();
    let opts = cnmm_report::Options {
        color: color_wanted(to_terminal, std::env::var_os("NO_COLOR").as_deref()),
        verbose: a.verbose,
        targets: targets.sections.clone(),
    };
    let out = cnmm_report::render(format, &assessment, &opts);
    crate::output::emit(&out, a.output.as_deref(), "report")?;
    if targets.is_empty() {
        return Ok(EXIT_OK);
    }
    let mut failed = gate::failures(&assessment, &targets);
    let today = config::today();
    for w in cfg.waivers.iter().filter(|w| w.expired(&today)) {
        failed.push(format!(
            "the waiver for {} in {} expired on {}",
            w.criterion,
            config::DEFAULT_NAME,
            w.expires
        ));
    }
    if failed.is_empty() {
        Ok(EXIT_OK)
    } else {
        for f in &failed {
            eprintln!(
                "cnmm: below target: {}",
                cnmm_model::text::sanitize_lines(f)
            );
        }
        Ok(EXIT_BELOW_TARGET)
    }
}
