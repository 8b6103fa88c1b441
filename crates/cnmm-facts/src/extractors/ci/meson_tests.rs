//! What `meson test` runs: the `test()` calls of the repository's `meson.build` files.
//! Many desktop applications register only data-file validators as tests
//! (`test('validate-desktop', desktop_file_validate, args: [...])`): their `meson test`
//! is static validation of shipped metadata (a lint, as most readers take it), not a
//! test of the program.

use super::Ctx;
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Programs that check data files without running the project's code.
const VALIDATORS: &[&str] = &[
    "appstreamcli",
    "appstream-util",
    "desktop-file-validate",
    "glib-compile-schemas",
    "xmllint",
    "gtk-builder-tool",
    "gtk4-builder-tool",
    "json-glib-validate",
    "gtk-update-icon-cache",
];

/// Whether a matched command runs a Meson test suite (`meson test`, `ninja -C _build test`).
pub fn runs_meson_tests(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.first().map(|w| w.rsplit('/').next().unwrap_or(w)) {
        Some("meson") => words.get(1) == Some(&"test"),
        Some("ninja") => words[1..].contains(&"test"),
        _ => false,
    }
}

/// True when the repository's Meson files define tests and every one of them runs a
/// validator program, found through `find_program('NAME')` or named directly.
pub fn only_validators(ctx: &Ctx) -> bool {
    static PROGRAM: OnceLock<Regex> = OnceLock::new();
    static TEST: OnceLock<Regex> = OnceLock::new();
    let program = PROGRAM.get_or_init(|| {
        Regex::new(r#"(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*find_program\(\s*['"]([^'"]+)['"]"#)
            .expect("static regex")
    });
    let test = TEST.get_or_init(|| {
        Regex::new(r#"(?m)(?:^|[^A-Za-z0-9_.])test\(\s*(?:['"][^'"]*['"]|[A-Za-z_][A-Za-z0-9_]*)\s*,\s*([A-Za-z_][A-Za-z0-9_.]*|find_program\(\s*['"][^'"]+['"])"#)
            .expect("static regex")
    });
    let mut programs: HashMap<String, String> = HashMap::new();
    let mut tests: Vec<String> = Vec::new();
    for f in ctx.all_files() {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        // Test directories count here (they are what `meson test` runs), even though
        // they are not evidence of their own; vendored subprojects do not.
        if name != "meson.build" || f.path.starts_with("subprojects/") {
            continue;
        }
        let Ok(text) = ctx.read_text(f) else {
            continue;
        };
        for c in program.captures_iter(&text) {
            programs.insert(c[1].to_string(), c[2].to_string());
        }
        tests.extend(test.captures_iter(&text).map(|c| c[1].to_string()));
    }
    let validator = |t: &String| {
        let name = match t.strip_prefix("find_program(") {
            Some(rest) => rest
                .trim_start()
                .trim_start_matches(['\'', '"'])
                .to_string(),
            None => programs.get(t).cloned().unwrap_or_default(),
        };
        let name = name.rsplit('/').next().unwrap_or(&name);
        VALIDATORS.contains(&name)
    };
    !tests.is_empty() && tests.iter().all(validator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meson_test_commands() {
        assert!(runs_meson_tests("meson test -C _build"));
        assert!(runs_meson_tests("ninja -C _build test"));
        assert!(!runs_meson_tests("ninja -C _build"));
        assert!(!runs_meson_tests("meson compile -C _build"));
    }
}
