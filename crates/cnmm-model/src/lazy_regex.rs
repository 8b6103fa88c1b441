//! Regexes checked when loaded and compiled when first used.
//!
//! A scan loads a few hundred patterns (rule conditions, catalog inputs, file queries)
//! and compiling them all was most of a small repository's scan; most are never used
//! there. Loading still rejects a bad pattern with the parser's message, so a rule pack's
//! errors are reported up front, as before.

use regex::Regex;
use std::sync::OnceLock;

pub struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// Checks the pattern's syntax (without compiling it).
    pub fn new(pattern: &str) -> Result<Self, String> {
        regex_syntax::Parser::new()
            .parse(pattern)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            pattern: pattern.to_string(),
            compiled: OnceLock::new(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex; `None` only for a pattern that parses but exceeds the regex
    /// engine's size limit, which then matches nothing.
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&self.pattern).ok())
            .as_ref()
    }

    pub fn is_match(&self, haystack: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(haystack))
    }
}

impl std::fmt::Debug for LazyRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}/", self.pattern)
    }
}

impl Clone for LazyRegex {
    fn clone(&self) -> Self {
        LazyRegex {
            pattern: self.pattern.clone(),
            compiled: self.compiled.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_patterns_are_rejected_at_load_and_good_ones_match() {
        let e = LazyRegex::new("(unclosed").expect_err("bad");
        assert!(e.contains("unclosed"), "{e}");
        let re = LazyRegex::new("(?i)^prod").expect("good");
        assert!(re.is_match("Production"));
        assert!(!re.is_match("staging"));
        assert_eq!(re.as_str(), "(?i)^prod");
    }
}
