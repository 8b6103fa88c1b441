//! Command-line definitions (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "cnmm",
    version,
    about = "Infer where a repository stands on the CNCF Cloud Native Maturity Model (Process), with evidence",
    long_about = "cnmm reads a repository's CI configs, deployment artifacts, governance files and git \
history, and infers its level (1-5) on each Process section of the CNCF Cloud Native Maturity \
Model: Process, Audit and Logs, CI/CD, Change Control and Security. Every verdict cites file:line \
evidence; every missing criterion says what to do next."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a repository and report its levels.
    Scan(ScanArgs),
    /// List, show or validate rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Explain a section (process, audit_logs, ci_cd, change_control, security) or a
    /// criterion (P2a, S5b...): what each level means and what evidence counts.
    Explain {
        target: String,
        /// Extra rule directories (as for `scan --rules`).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Compare two JSON reports (`scan --format json`): level changes per section and
    /// criteria gained or lost, with their evidence.
    Diff(DiffArgs),
    /// The assessment at a series of points of HEAD's history (the last version tags,
    /// one commit per period, or given revisions), each as `scan --rev POINT` judges
    /// it, and what was gained or lost from one point to the next.
    Timeline(TimelineArgs),
    /// The shortest path to target levels: the criteria each section lacks, in the order
    /// to meet them, each fitted to the repository; `--write` creates the files that meet
    /// a criterion by being added (never changing an existing file).
    Plan(PlanArgs),
    /// A whole organisation: scan many repositories into a SQLite database (on one
    /// machine, or in shards), and report on them together.
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },
    /// Print a shell completion script (e.g. `cnmm completions bash > /etc/bash_completion.d/cnmm`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `cnmm manpage > cnmm.1`.
    Manpage,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report (JSON).
    pub base: PathBuf,
    /// The later report (JSON).
    pub head: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', default_value = "text", value_parser = ["text", "json", "markdown"])]
    pub format: String,
    /// Exit 1 when any section's level dropped.
    #[arg(long)]
    pub fail_on_regression: bool,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The repository (a clone, work tree or bare; its history is read from git objects).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The points: the last N version tags of HEAD's history (default 12).
    #[arg(long, value_name = "N")]
    pub tags: Option<usize>,
    /// The points: one commit per period back from HEAD (`90d`, `12w`, `6m`, `1y`): the
    /// newest first-parent commit at or before each date.
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// With --every: how far back (default `2y`).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// The points: these revisions (commit ids, branches or tags; repeatable).
    #[arg(long, value_name = "REV")]
    pub rev: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', default_value = "text", value_parser = crate::timeline::FORMATS.to_vec())]
    pub format: String,
    /// Write the timeline to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when the last point (HEAD) is below the point before it in any section.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Add or override rules by id from a directory of rule files (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: the work tree's `.cnmm.yml`, the same for every point).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Length of each point's history window in days (ending at its committer date).
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub history_window: u32,
    /// Worker threads per point (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Show every evidence item of each change in the text timeline.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The repository checkout.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The target: a level for every section (`3`), or levels by section
    /// (`security=4,ci_cd=3`; `overall=N` names all five). Default: the `targets:` of
    /// `.cnmm.yml`.
    #[arg(long, value_name = "LEVELS")]
    pub to: Option<String>,
    /// Create the files the plan adds (never overwriting one); without it the plan only
    /// says what it would create.
    #[arg(long, conflicts_with = "dry_run")]
    pub write: bool,
    /// Say what would be created, write nothing (the default).
    #[arg(long)]
    pub dry_run: bool,
    /// Output format.
    #[arg(long, short = 'f', default_value = "text", value_parser = crate::plan::FORMATS.to_vec())]
    pub format: String,
    /// Write the plan to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add or override rules by id from a directory of rule files (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: the work tree's `.cnmm.yml`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Scan every repository found below SOURCES (directories holding checkouts or bare
    /// repositories, or files listing their paths) into the database, or one shard of
    /// them into a shard file.
    Scan(FleetScanArgs),
    /// Load shard files (`scan --shard I/N --out DIR`) into the database. Idempotent.
    Ingest {
        /// Shard files, or directories holding them (`*.ndjson`).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The SQLite database (created if missing).
        #[arg(long, value_name = "FILE", default_value = "cnmm-fleet.db")]
        db: PathBuf,
        /// The run the shards join (default: the label they were scanned with).
        #[arg(long, value_name = "LABEL")]
        label: Option<String>,
    },
    /// Print the lines of a repository list (URLs or paths) that belong to shard I/N:
    /// what one leg of a sharded run clones.
    Slice {
        /// A file of clone URLs or paths, one per line (`#` comments).
        list: PathBuf,
        /// The shard: I of N, 0-based.
        #[arg(long, value_name = "I/N")]
        shard: String,
    },
    /// The organisation's report of the latest run.
    Report(FleetReportArgs),
}

#[derive(Debug, Args)]
pub struct FleetScanArgs {
    /// Directories holding checkouts (each git work tree or bare repository below them,
    /// not descending into one), or text files listing repository paths.
    pub sources: Vec<PathBuf>,
    /// The SQLite database (created if missing).
    #[arg(long, value_name = "FILE", default_value = "cnmm-fleet.db")]
    pub db: PathBuf,
    /// Scan only shard I of N (0-based, as `JOB_COMPLETION_INDEX`): a stable partition
    /// by the repositories' identities. Needs --out and --label.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// With --shard: the directory the shard file (`shard-I-of-N.ndjson`) is written to.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Name the run (a date, a CI run id); scanning again under the same label resumes
    /// that run.
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Scan every repository again, even if its HEAD and policy are unchanged.
    #[arg(long)]
    pub force: bool,
    /// A configuration file for every repository (default: each one's `.cnmm.yml`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Extra rule directories (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Repositories scanned at once (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct FleetReportArgs {
    /// The SQLite database written by `fleet scan` or `fleet ingest`.
    #[arg(long, value_name = "FILE", default_value = "cnmm-fleet.db")]
    pub db: PathBuf,
    /// Output format (contract: docs/fleet.md).
    #[arg(long, short = 'f', default_value = "html", value_parser = crate::fleet::report::FORMATS.to_vec())]
    pub format: String,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 naming every repository below the target (`3`, or `security=4,ci_cd=3`).
    #[arg(long, value_name = "N|SECTION=N,...")]
    pub fail_below: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, section, level, title.
    List {
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Show one rule in full.
    Show {
        id: String,
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Check a directory of custom rules; exit 2 with file:line errors if invalid.
    Validate { dir: PathBuf },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The repository to scan (its root directory).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', default_value = "text", value_parser = cnmm_report::Format::NAMES.to_vec())]
    pub format: String,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when below a target: a level for every section (`3`), or per section
    /// (`security=4,ci_cd=3`).
    #[arg(long, value_name = "N|SECTION=N,...")]
    pub fail_below: Option<String>,
    /// Add or override rules by id from a directory of rule files (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: `.cnmm.yml` in the scanned repository, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not read the git history (history criteria become `unknown`).
    #[arg(long)]
    pub no_history: bool,
    /// Length of the history window in days (ending at HEAD's commit date).
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub history_window: u32,
    /// Scan the tree of this commit (id, branch or tag) straight from the object
    /// database, without a checkout (also scans bare repositories); the history is
    /// read from it too.
    #[arg(long, value_name = "REV")]
    pub rev: Option<String>,
    /// Import evidence the repository cannot show: a forge API answer saved as JSON
    /// (`gh api repos/O/R/branches/main/protection > bp.json`, or GitLab's
    /// protected-branches list). Labelled `imported` in the report (repeatable).
    #[arg(long = "evidence", value_name = "FILE")]
    pub evidence: Vec<PathBuf>,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Show every evidence item and diagnostic in the text report.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}
