//! What every command does with its output: write it to `--output FILE` or to standard
//! output, and quote CSV fields.

use crate::UserError;
use std::io::Write;
use std::path::Path;

/// Writes `text` to `file`, or to standard output when there is none. A closed pipe
/// (`cnmm scan | head`) is not an error worth a message.
pub fn emit(text: &str, file: Option<&Path>, what: &str) -> Result<(), UserError> {
    match file {
        Some(p) => std::fs::write(p, text.as_bytes())
            .map_err(|e| UserError(format!("cannot write the {what} to {}: {e}", p.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            Ok(())
        }
    }
}

/// A CSV field (RFC 4180), control characters neutralised: quoted when it holds a
/// comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    let s = cnmm_model::text::sanitize(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("v1.0"), "v1.0");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
