//! Text hygiene for repository-controlled strings (paths, commit subjects, YAML values)
//! before they reach a terminal or a report.

/// Replaces control characters (ESC, BEL, CR, other C0/C1 controls, DEL) with `?`, so a
/// crafted file name or commit message cannot drive the terminal. Tabs become spaces.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(|c| c.is_control()) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

/// [`sanitize`] line by line, keeping the line breaks: for messages on the terminal
/// that may quote a path or a value from the repository.
pub fn sanitize_lines(s: &str) -> String {
    s.lines().map(sanitize).collect::<Vec<_>>().join("\n")
}

/// Shortens `s` to at most `max` characters, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(sanitize("a\x1b[31mred\x07"), "a?[31mred?");
        assert_eq!(sanitize("tab\there"), "tab here");
        assert_eq!(sanitize("plain"), "plain");
        assert_eq!(sanitize("c1\u{9b}x"), "c1?x");
        assert_eq!(sanitize_lines("a\x1b]0;t\x07\nb\r\n"), "a?]0;t?\nb");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
