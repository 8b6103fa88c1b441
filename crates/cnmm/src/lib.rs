//! The command line: argument parsing, configuration, exit codes. The work is done by
//! `cnmm-facts` (facts), `cnmm-rules` (verdicts) and `cnmm-report` (output).
//!
//! Exit codes: 0 success (and at or above the target), 1 below the target, 2 usage,
//! configuration, rule or input error.

pub mod cli;
pub mod config;
pub mod diff;
pub mod explain;
pub mod fleet;
pub mod gate;
pub mod output;
pub mod plan;
pub mod progress;
pub mod scan;
pub mod timeline;

use clap::Parser;
use std::fmt;

pub const EXIT_OK: i32 = 0;
pub const EXIT_BELOW_TARGET: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// An error in the user's own input (flags, config, custom rules, path): exit 2.
#[derive(Debug)]
pub struct UserError(pub String);

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Vec<cnmm_rules::LoadError>> for UserError {
    fn from(errs: Vec<cnmm_rules::LoadError>) -> Self {
        let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
        UserError(lines.join("\n"))
    }
}

/// The man page, generated from the same clap definitions as `--help`.
pub fn manpage() -> Result<Vec<u8>, UserError> {
    let cmd = <cli::Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| UserError(format!("cannot render the man page: {e}")))?;
    Ok(out)
}

fn print_manpage() -> Result<i32, UserError> {
    use std::io::Write;
    let page = manpage()?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&page);
    Ok(EXIT_OK)
}

pub fn run() -> i32 {
    let args = cli::Cli::parse();
    let result = match args.command {
        cli::Command::Scan(a) => scan::run(&a),
        cli::Command::Rules { command } => explain::rules(&command),
        cli::Command::Explain { target, rules } => explain::explain(&target, &rules),
        cli::Command::Diff(a) => diff::run(&a),
        cli::Command::Timeline(a) => timeline::run(&a),
        cli::Command::Plan(a) => plan::run(&a),
        cli::Command::Fleet { command } => fleet::run(&command),
        cli::Command::Completions { shell } => {
            let mut cmd = <cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "cnmm", &mut std::io::stdout());
            Ok(EXIT_OK)
        }
        cli::Command::Manpage => print_manpage(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "cnmm: error: {}",
                cnmm_model::text::sanitize_lines(&e.to_string())
            );
            EXIT_USAGE
        }
    }
}
