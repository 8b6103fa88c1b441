//! Taskfiles (go-task, `Taskfile.yml`): the commands of the tasks a CI step runs with
//! `task NAME`, following `task:` calls and `deps:` inside the same file.

use super::scripts::ScriptCommand;
use crate::shell::split_commands;
use crate::yaml::{self, Node};

/// The names go-task looks for, in its order.
pub const TASKFILE_NAMES: &[&str] = &[
    "Taskfile.yml",
    "taskfile.yml",
    "Taskfile.yaml",
    "taskfile.yaml",
    "Taskfile.dist.yml",
    "taskfile.dist.yml",
    "Taskfile.dist.yaml",
    "taskfile.dist.yaml",
];

/// Bounds the tasks followed from one invocation (a task graph can be large).
const MAX_TASKS: usize = 64;

/// The commands of `tasks` (the `default` task when none is named) in a Taskfile, in
/// file order, with their lines.
pub fn task_commands(path: &str, text: &str, tasks: &[String]) -> Vec<ScriptCommand> {
    let parsed = yaml::parse(text, yaml::Limits::default());
    let Some(doc) = parsed.documents.first() else {
        return Vec::new();
    };
    let Some(defs) = doc.get("tasks") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_tasks(tasks, |name, wanted| {
        let Some(def) = defs.get(name) else {
            return;
        };
        // Shorthands: `name: cmd` and `name: [cmd, ...]`.
        let (cmds, deps) = if def.is_map() {
            (def.get("cmds"), def.get("deps"))
        } else {
            (Some(def), None)
        };
        for dep in deps.map(Node::as_seq).unwrap_or(&[]) {
            // A dependency is a task name, or `{task: name, vars: ...}`.
            if let Some(t) = dep
                .as_str()
                .map(str::to_string)
                .or_else(|| called_task(dep))
            {
                wanted.push(t);
            }
        }
        let items: Vec<&Node> = match cmds {
            Some(c) if c.is_seq() => c.as_seq().iter().collect(),
            Some(c) => vec![c],
            None => def.get("cmd").into_iter().collect(),
        };
        for item in items {
            if let Some(t) = called_task(item) {
                wanted.push(t);
                continue;
            }
            let cmd = item.get("cmd").unwrap_or(item);
            let Some(script) = cmd.as_str() else {
                continue;
            };
            let first = cmd.text_line();
            for c in split_commands(script) {
                out.push(ScriptCommand {
                    path: path.to_string(),
                    line: first + c.line,
                    words: c.words,
                });
            }
        }
    });
    out.sort_by_key(|c| c.line);
    out
}

/// Visits `tasks` (the `default` task when none is named) and every task a visit
/// pushes onto the list it is given, each once, at most [`MAX_TASKS`] of them: the
/// task graph walk of Taskfiles and mise configs.
pub(super) fn walk_tasks(tasks: &[String], mut visit: impl FnMut(&str, &mut Vec<String>)) {
    let mut wanted: Vec<String> = if tasks.is_empty() {
        vec!["default".into()]
    } else {
        tasks.to_vec()
    };
    let mut seen: Vec<String> = Vec::new();
    while let Some(name) = wanted.pop() {
        if seen.contains(&name) || seen.len() >= MAX_TASKS {
            continue;
        }
        seen.push(name.clone());
        visit(&name, &mut wanted);
    }
}

/// `task: other`: a call of another task.
fn called_task(item: &Node) -> Option<String> {
    item.get("task").and_then(Node::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASKFILE: &str = r#"version: '3'
tasks:
  lint:
    cmds:
      - go tool golangci-lint run ./...
  ci:lint:
    cmds:
      - mkdir -p reports
      - task: lint
        vars: {CLI_ARGS: "--out x"}
  build:
    deps: [generate, {task: assets}]
    cmds:
      - cmd: |
          go build ./...
          go vet ./...
  generate: go generate ./...
  assets:
    - npm run build:ui
  default:
    cmds: [task: build]
"#;

    fn texts(cmds: &[ScriptCommand]) -> Vec<(u32, String)> {
        cmds.iter().map(|c| (c.line, c.words.join(" "))).collect()
    }

    #[test]
    fn follows_task_calls_with_lines() {
        let cmds = task_commands("Taskfile.yml", TASKFILE, &["ci:lint".into()]);
        assert_eq!(
            texts(&cmds),
            vec![
                (5, "go tool golangci-lint run ./...".to_string()),
                (8, "mkdir -p reports".to_string())
            ]
        );
    }

    #[test]
    fn default_task_deps_and_shorthands() {
        let cmds = task_commands("Taskfile.yml", TASKFILE, &[]);
        assert_eq!(
            texts(&cmds),
            vec![
                (15, "go build ./...".to_string()),
                (16, "go vet ./...".to_string()),
                (17, "go generate ./...".to_string()),
                (19, "npm run build:ui".to_string()),
            ]
        );
    }

    #[test]
    fn unknown_tasks_and_bad_files_give_nothing() {
        assert!(task_commands("Taskfile.yml", TASKFILE, &["nope".into()]).is_empty());
        assert!(task_commands("Taskfile.yml", "tasks: [", &["x".into()]).is_empty());
        assert!(task_commands("Taskfile.yml", "a: 1", &[]).is_empty());
    }
}
