//! mise tasks (`mise.toml`): the commands of the tasks a CI step runs with
//! `mise run NAME`, following `depends` and `{ task = "..." }` calls inside the same
//! file. Tasks written as files (`mise-tasks/NAME`) are not followed.

use super::scripts::ScriptCommand;
use super::taskfile::walk_tasks;
use crate::shell::split_commands;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The config files mise reads tasks from in a directory, in the order looked up here
/// (the first one present is read).
pub const MISE_CONFIG_NAMES: &[&str] = &[
    "mise.toml",
    ".mise.toml",
    "mise/config.toml",
    ".mise/config.toml",
    ".config/mise.toml",
    ".config/mise/config.toml",
];

/// The commands of `tasks` (the `default` task when none is named) in a mise config,
/// in file order, with their lines. A file that does not parse gives nothing.
pub fn mise_task_commands(path: &str, text: &str, tasks: &[String]) -> Vec<ScriptCommand> {
    let (doc, _errors) = DeTable::parse_recoverable(text);
    let Some(defs) = entry(doc.get_ref(), "tasks").and_then(|v| table(v.get_ref())) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_tasks(tasks, |name, wanted| {
        let Some(def) = entry(defs, name) else {
            return;
        };
        // Shorthands: `name = "cmd"` and `name = ["cmd", ...]`.
        let (run, depends) = match def.get_ref() {
            DeValue::Table(t) => (entry(t, "run"), entry(t, "depends")),
            _ => (Some(def), None),
        };
        for dep in depends.map(items).unwrap_or_default() {
            // `depends = ["lint", "test --fast"]`: a task name and its arguments.
            if let Some(t) = string(dep.get_ref()).and_then(|s| s.split_whitespace().next()) {
                wanted.push(t.to_string());
            }
        }
        for item in run.map(items).unwrap_or_default() {
            match item.get_ref() {
                DeValue::Table(t) => {
                    if let Some(t) = entry(t, "task").and_then(|v| string(v.get_ref())) {
                        wanted.push(t.to_string());
                    }
                }
                DeValue::String(script) => {
                    let first = first_content_line(text, item.span().start);
                    for c in split_commands(script) {
                        out.push(ScriptCommand {
                            path: path.to_string(),
                            line: first + c.line,
                            words: c.words,
                        });
                    }
                }
                _ => {}
            }
        }
    });
    out.sort_by_key(|c| c.line);
    out
}

fn entry<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    t.iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn table<'a, 'i>(v: &'a DeValue<'i>) -> Option<&'a DeTable<'i>> {
    match v {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

fn string<'a>(v: &'a DeValue<'_>) -> Option<&'a str> {
    match v {
        DeValue::String(s) => Some(s.as_ref()),
        _ => None,
    }
}

/// A value, or the items of an array value.
fn items<'a, 'i>(v: &'a Spanned<DeValue<'i>>) -> Vec<&'a Spanned<DeValue<'i>>> {
    match v.get_ref() {
        DeValue::Array(a) => a.iter().collect(),
        _ => vec![v],
    }
}

/// The 1-based line of a string value's first character of content: a multi-line
/// string's newline right after its opening quotes is not part of it.
fn first_content_line(text: &str, start: usize) -> u32 {
    let before = text.get(..start).unwrap_or(text);
    let line = before.matches('\n').count() as u32 + 1;
    let rest = text.get(start..).unwrap_or("");
    let multi = rest.starts_with("\"\"\"") || rest.starts_with("'''");
    let newline_first = rest
        .get(3..)
        .is_some_and(|r| r.starts_with('\n') || r.starts_with("\r\n"));
    if multi && newline_first {
        line + 1
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MISE: &str = r#"[tools]
go = "1.24"

[tasks.lint]
run = "golangci-lint run ./..."

[tasks.vulncheck]
description = "Check for known vulnerabilities"
run = """
go tool govulncheck ./...
"""

[tasks.ci]
depends = ["lint", "test --race"]
run = [
  "mkdir -p reports",
  { task = "vulncheck" },
]

[tasks]
test = "go test ./..."
"#;

    fn texts(cmds: &[ScriptCommand]) -> Vec<(u32, String)> {
        cmds.iter().map(|c| (c.line, c.words.join(" "))).collect()
    }

    #[test]
    fn multi_line_run_has_the_line_of_its_command() {
        let cmds = mise_task_commands("mise.toml", MISE, &["vulncheck".into()]);
        assert_eq!(
            texts(&cmds),
            vec![(10, "go tool govulncheck ./...".to_string())]
        );
    }

    #[test]
    fn follows_depends_and_task_calls() {
        // `[tasks]` after its sub-tables is valid TOML: `test` is a task too.
        let cmds = mise_task_commands("mise.toml", MISE, &["ci".into()]);
        let got = texts(&cmds);
        assert!(
            got.contains(&(5, "golangci-lint run ./...".to_string())),
            "{got:?}"
        );
        assert!(
            got.contains(&(16, "mkdir -p reports".to_string())),
            "{got:?}"
        );
        assert!(
            got.contains(&(10, "go tool govulncheck ./...".to_string())),
            "{got:?}"
        );
        assert!(got.contains(&(21, "go test ./...".to_string())), "{got:?}");
        assert_eq!(got.len(), 4, "{got:?}");
    }

    #[test]
    fn shorthand_tasks_under_the_tasks_table() {
        let text = "[tasks]\ntest = \"go test ./...\"\nall = [\"make a\", \"make b\"]\n";
        let cmds = mise_task_commands("mise.toml", text, &["all".into(), "test".into()]);
        assert_eq!(
            texts(&cmds),
            vec![
                (2, "go test ./...".to_string()),
                (3, "make a".to_string()),
                (3, "make b".to_string())
            ]
        );
    }

    #[test]
    fn unknown_tasks_and_bad_files_give_nothing() {
        assert!(mise_task_commands("mise.toml", MISE, &["nope".into()]).is_empty());
        assert!(mise_task_commands("mise.toml", "[tasks", &["x".into()]).is_empty());
        assert!(mise_task_commands("mise.toml", "tasks = 1", &[]).is_empty());
        assert!(mise_task_commands("mise.toml", "", &[]).is_empty());
    }
}
