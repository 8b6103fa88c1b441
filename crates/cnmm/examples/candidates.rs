//! Prints the files `cnmm scan PATH` reads (its candidate files), one path per line,
//! relative to PATH, NUL-terminated with `-0`. The benchmark's floor reads exactly these.
//!
//!     cargo run --release --example candidates -- [-0] PATH
//!
//! Built-in rules only: rule directories named by a `.cnmm.yml` (which can add file
//! queries) are not loaded. Its exclude globs do not matter: excluded files are read
//! too, their facts are only marked.

use cnmm_facts::ScanOptions;
use std::io::Write;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let nul = args.first().is_some_and(|a| a == "-0");
    if nul {
        args.remove(0);
    }
    let [root] = &args[..] else {
        eprintln!("usage: candidates [-0] PATH");
        std::process::exit(2);
    };
    let (rules, _) = match cnmm::scan::load_rules(&[]) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut opts = ScanOptions::new(root);
    opts.file_patterns = cnmm::scan::file_patterns(&rules);
    let paths = match cnmm_facts::candidate_paths(&opts, &rules.catalog) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let end = if nul { b'\0' } else { b'\n' };
    for p in paths {
        let _ = out.write_all(p.as_bytes());
        let _ = out.write_all(&[end]);
    }
    let _ = out.flush();
}
