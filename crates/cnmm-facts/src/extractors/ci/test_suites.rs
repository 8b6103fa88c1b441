//! What a test runner runs, when the repository says. `meson test` runs the `test()`
//! calls of the `meson.build` files: many desktop applications register only data-file
//! validators as tests (`test('validate-desktop', desktop_file_validate, args: [...])`),
//! so their `meson test` is static validation of shipped metadata (a lint, as most
//! readers take it), not a test of the program. `ctest` runs the tests the CMake files
//! register (`add_test`, `ecm_add_test`...): with none, it runs nothing. `go test ./...`
//! runs the `_test.go` files: in a module with none, it only compiles the packages.
//! A test entry point of the repository (`npm test`, `make test`, `./test.sh`) whose
//! commands, followed, only type-check, lint or build is static validation.

use super::scripts::leaf_commands;
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

/// Whether a matched command runs CTest (`ctest --test-dir build`).
pub fn runs_ctest(command: &str) -> bool {
    command
        .split_whitespace()
        .next()
        .is_some_and(|w| w.rsplit('/').next() == Some("ctest"))
}

/// True when the repository has CMake files and none of them registers a test.
pub fn cmake_without_tests(ctx: &Ctx) -> bool {
    const REGISTERS: &[&str] = &[
        "add_test",
        "ecm_add_test",
        "ecm_add_tests",
        "gtest_discover_tests",
        "gtest_add_tests",
        "catch_discover_tests",
        "doctest_discover_tests",
        "add_unit_test",
        "kde_add_test",
    ];
    let mut cmake_files = 0;
    for f in ctx.all_files() {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        let cmake = name == "CMakeLists.txt" || name.ends_with(".cmake");
        if !cmake || f.path.starts_with("3rdparty/") || f.path.starts_with("third_party/") {
            continue;
        }
        cmake_files += 1;
        let Ok(text) = ctx.read_text(f) else {
            // Unreadable: it may register tests.
            return false;
        };
        let lower = text.to_ascii_lowercase();
        if REGISTERS.iter().any(|r| lower.contains(&format!("{r}("))) {
            return false;
        }
    }
    cmake_files > 0
}

/// Whether a matched command runs Go tests (`go test ./...`, `gotestsum`, `ginkgo`).
pub fn runs_go_test(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.first().map(|w| w.rsplit('/').next().unwrap_or(w)) {
        Some("go" | "richgo") => words.get(1) == Some(&"test"),
        Some("gotestsum" | "ginkgo") => true,
        _ => false,
    }
}

/// True when the repository has Go sources and no `_test.go` file outside vendored
/// code: `go test` then finds no test to run.
pub fn go_without_tests(ctx: &Ctx) -> bool {
    let mut go_files = 0;
    for f in ctx.all_files() {
        if f.path.starts_with("vendor/") || f.path.contains("/vendor/") {
            continue;
        }
        if f.path.ends_with("_test.go") {
            return false;
        }
        if f.path.ends_with(".go") {
            go_files += 1;
        }
    }
    go_files > 0
}

/// Commands that neither test nor check anything (`echo`, `rimraf dist`): a script of
/// only these tests nothing.
const NEUTRAL: &[&str] = &[
    "echo", "printf", "exit", "true", ":", "cd", "set", "export", "rm", "rimraf", "mkdir", "cp",
    "mv", "cat", "sleep",
];

/// Why a test entry point the repository defines is not a test, when every command it
/// ends up running is known and none runs tests: only type checks, linters, builds
/// (`"test": "npm run typecheck"` → `tsc --noEmit`), or nothing at all (npm's default
/// `echo "Error: no test specified"`). `None` when it runs a test, an unknown command,
/// or is not followed.
pub fn static_checks_only(words: &[String], ctx: &Ctx) -> Option<String> {
    let leaves = leaf_commands(words, ctx)?;
    let mut checks = Vec::new();
    for c in &leaves {
        let ms: Vec<_> = ctx
            .tools
            .match_command(&c.words)
            .into_iter()
            .filter(|m| m.excluded.is_none())
            .collect();
        if ms.iter().any(|m| m.categories.iter().any(|k| k == "test")) {
            return None;
        }
        let first = c.words.first().map(|w| crate::shell::command_name(w));
        if ms.is_empty() && !first.is_some_and(|w| NEUTRAL.contains(&w)) {
            return None;
        }
        if let Some(m) = ms.first() {
            checks.push(format!(
                "{}:{} `{}` ({})",
                c.path,
                c.line,
                c.words.join(" "),
                m.name
            ));
        }
    }
    let entry = words.join(" ");
    Some(if checks.is_empty() {
        let first = leaves
            .first()
            .map(|c| format!(": {}:{} `{}`", c.path, c.line, c.words.join(" ")))
            .unwrap_or_default();
        format!("`{entry}` runs no test{first}")
    } else {
        checks.truncate(3);
        format!(
            "`{entry}` runs only static checks, not tests: {}",
            checks.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctest_commands() {
        assert!(runs_ctest(
            "ctest --test-dir build --output-junit JUnitTestResults.xml"
        ));
        assert!(!runs_ctest("cmake --build build"));
    }

    #[test]
    fn go_test_commands() {
        assert!(runs_go_test("go test -v ./..."));
        assert!(runs_go_test("gotestsum --junitfile report.xml"));
        assert!(!runs_go_test("go vet ./..."));
        assert!(!runs_go_test("go build ./..."));
    }

    #[test]
    fn meson_test_commands() {
        assert!(runs_meson_tests("meson test -C _build"));
        assert!(runs_meson_tests("ninja -C _build test"));
        assert!(!runs_meson_tests("ninja -C _build"));
        assert!(!runs_meson_tests("meson compile -C _build"));
    }
}
