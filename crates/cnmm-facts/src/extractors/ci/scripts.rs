//! Scripts, Makefile targets, Taskfile tasks and `package.json` scripts that a CI step
//! runs, read so that the tools they run count for the step's job, with the script's
//! own `file:line` as evidence. Release work often lives there (`./scripts/release.sh`
//! → `pnpm publish`, `make release` → `goreleaser release`, `task ci:lint` →
//! `golangci-lint run`).
//!
//! Only files of the scanned tree are read (never executed), to a bounded depth.

use super::mise_tasks::{mise_task_commands, MISE_CONFIG_NAMES};
use super::package_scripts::package_script_commands;
use super::taskfile::{task_commands, TASKFILE_NAMES};
use super::Step;
use crate::cache::Memo;
use crate::extractors::Ctx;
use crate::shell::{command_name, is_assignment, is_flag, split_commands};
use crate::tools::ToolMatch;
use regex::Regex;
use std::sync::{Arc, OnceLock};

fn make_vars() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)").expect("static regex"))
}

/// A command found inside a script or recipe, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptCommand {
    pub path: String,
    pub line: u32,
    pub words: Vec<String>,
}

/// What this scan has already followed from CI commands: the commands of each
/// invocation, and each Makefile parsed once (CI files run the same scripts and `make`
/// targets from many steps; git's Makefile has 4,000 lines).
#[derive(Default)]
pub struct FollowedFiles {
    commands: Memo<Invocation, Option<Arc<Vec<ScriptCommand>>>>,
    makefiles: Memo<String, Option<Arc<Makefile>>>,
}

/// What a CI command invokes in the repository, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Invocation {
    /// A shell script, by repository path.
    Script(String),
    /// Make targets of a Makefile, by repository path.
    Make {
        makefile: String,
        targets: Vec<String>,
    },
    /// Tasks of the Taskfile in a directory (`""` = repository root); an explicit
    /// `--taskfile` is the only candidate.
    Task {
        dir: String,
        taskfile: Option<String>,
        tasks: Vec<String>,
    },
    /// A script of the `package.json` in a directory.
    PackageScript { dir: String, name: String },
    /// Tasks of the mise config in a directory.
    MiseTask { dir: String, tasks: Vec<String> },
}

/// The commands of yarn and pnpm themselves: any other first word runs a script.
const PACKAGE_MANAGER_COMMANDS: &[&str] = &[
    "add",
    "audit",
    "autoclean",
    "bin",
    "cache",
    "check",
    "config",
    "create",
    "dedupe",
    "dlx",
    "exec",
    "explain",
    "fetch",
    "generate-lock-entry",
    "global",
    "help",
    "import",
    "info",
    "init",
    "install",
    "i",
    "licenses",
    "link",
    "list",
    "ls",
    "login",
    "logout",
    "node",
    "outdated",
    "owner",
    "pack",
    "patch",
    "plugin",
    "policies",
    "prune",
    "publish",
    "rebuild",
    "remove",
    "rm",
    "search",
    "set",
    "setup",
    "store",
    "tag",
    "team",
    "unlink",
    "unplug",
    "up",
    "update",
    "upgrade",
    "upgrade-interactive",
    "version",
    "versions",
    "why",
    "workspace",
    "workspaces",
];

/// The package managers whose `run NAME` runs a `package.json` script.
const PACKAGE_MANAGERS: &[&str] = &["npm", "yarn", "pnpm", "bun"];

const SHELLS: &[&str] = &["bash", "sh", "zsh", "dash", "source", "."];

/// Joins a relative path to the directory a command runs in (`""` = repository root),
/// refusing to leave the repository.
fn join(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('$') || rel.contains('`') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

const MAX_DEPTH: usize = 3;

/// The tool uses inside the scripts and Makefile targets a CI command invokes, each as
/// a step located in the script (so evidence points at the line that runs the tool).
/// `condition` is the invoking step's, so the job's triggers narrow them the same way.
pub fn expand(
    words: &[String],
    condition: Option<&String>,
    ctx: &Ctx,
) -> Vec<(Step, Vec<ToolMatch>)> {
    let mut out = Vec::new();
    let mut queue: Vec<(Vec<String>, usize)> = vec![(words.to_vec(), 0)];
    let mut seen: Vec<Invocation> = Vec::new();
    while let Some((w, depth)) = queue.pop() {
        let Some(inv) = invocation(&w, "") else {
            continue;
        };
        if depth >= MAX_DEPTH || seen.contains(&inv) {
            continue;
        }
        seen.push(inv.clone());
        let Some(commands) = followed_commands(&inv, ctx) else {
            continue;
        };
        // A script run with arguments (`release.sh release --clean`) hands them to the
        // commands that forward them (`goreleaser "$@"`).
        let args = match &inv {
            Invocation::Script(_) => script_args(&w),
            _ => Vec::new(),
        };
        for c in commands.iter() {
            let forwarded;
            let c = if args.is_empty() {
                c
            } else {
                forwarded = ScriptCommand {
                    words: forward_args(&c.words, &args),
                    ..c.clone()
                };
                &forwarded
            };
            let matches = ctx.tools.match_command(&c.words);
            queue.push((c.words.clone(), depth + 1));
            if matches.is_empty() {
                continue;
            }
            out.push((
                Step {
                    path: Some(c.path.clone()),
                    line: c.line,
                    condition: condition.cloned(),
                    ..Default::default()
                },
                matches
                    .into_iter()
                    .map(|m| ToolMatch {
                        matched: c.words.join(" "),
                        ..m
                    })
                    .collect(),
            ));
        }
    }
    out
}

/// The commands a CI command ends up running when it invokes a script, target, task
/// or `package.json` script of the repository, followed through the invocations they
/// make in turn: `None` when `words` invokes nothing readable (the file is not in the
/// tree, or names no such script), or when the walk is cut at its depth bound.
pub fn leaf_commands(words: &[String], ctx: &Ctx) -> Option<Vec<ScriptCommand>> {
    let top = invocation(words, "")?;
    let mut leaves = Vec::new();
    let mut seen = vec![top.clone()];
    let mut queue = vec![(top, 0)];
    while let Some((inv, depth)) = queue.pop() {
        let commands = followed_commands(&inv, ctx)?;
        if commands.is_empty() {
            return None;
        }
        for c in commands.iter() {
            match invocation(&c.words, "") {
                Some(next) if seen.contains(&next) => {}
                Some(next) if followed_commands(&next, ctx).is_some_and(|n| !n.is_empty()) => {
                    if depth + 1 >= MAX_DEPTH {
                        return None;
                    }
                    seen.push(next.clone());
                    queue.push((next, depth + 1));
                }
                _ => leaves.push(c.clone()),
            }
        }
    }
    Some(leaves)
}

/// The commands an invocation runs, read from the file it names (cached per scan), or
/// `None` when the file is not in the tree or cannot be read.
fn followed_commands(inv: &Invocation, ctx: &Ctx) -> Option<Arc<Vec<ScriptCommand>>> {
    let candidates: Vec<String> = match inv {
        Invocation::Script(p) => vec![p.clone()],
        Invocation::Make { makefile, .. } => vec![makefile.clone()],
        Invocation::Task {
            taskfile: Some(f), ..
        } => vec![f.clone()],
        Invocation::Task { dir, .. } => {
            TASKFILE_NAMES.iter().filter_map(|n| join(dir, n)).collect()
        }
        Invocation::PackageScript { dir, .. } => join(dir, "package.json").into_iter().collect(),
        Invocation::MiseTask { dir, .. } => MISE_CONFIG_NAMES
            .iter()
            .filter_map(|n| join(dir, n))
            .collect(),
    };
    // Looked up at every invocation, also when the commands are known already: a
    // cached extraction depends on the files it follows (see `crate::cache`).
    let (path, file) = candidates
        .iter()
        .find_map(|p| ctx.file(p).map(|f| (p, f)))?;
    // The files a Makefile includes are followed too: looked up at every invocation
    // for the same reason.
    if let Invocation::Make { .. } = inv {
        let main = ctx.followed.makefiles.get_or(path, || {
            ctx.read_text(file)
                .ok()
                .map(|t| Arc::new(Makefile::parse(&t)))
        });
        for (p, _) in main.map(|m| m.include_paths(path)).unwrap_or_default() {
            ctx.file(&p);
        }
    }
    ctx.followed.commands.get_or(inv, || {
        let text = || ctx.read_text(file).ok();
        Some(Arc::new(match inv {
            Invocation::Script(_) => script_commands(path, &text()?),
            Invocation::Make { targets, .. } => {
                let main = ctx
                    .followed
                    .makefiles
                    .get_or(path, || text().map(|t| Arc::new(Makefile::parse(&t))))?;
                let included: Vec<(String, Arc<Makefile>, bool)> = main
                    .include_paths(path)
                    .into_iter()
                    .filter_map(|(p, first)| {
                        let f = ctx.file(&p)?;
                        let m = ctx.followed.makefiles.get_or(&p, || {
                            ctx.read_text(f).ok().map(|t| Arc::new(Makefile::parse(&t)))
                        })?;
                        Some((p, m, first))
                    })
                    .collect();
                if included.is_empty() {
                    main.commands(path, targets)
                } else {
                    main.with_included(&included).commands(path, targets)
                }
            }
            Invocation::Task { tasks, .. } => task_commands(path, &text()?, tasks),
            Invocation::PackageScript { name, .. } => package_script_commands(path, &text()?, name),
            Invocation::MiseTask { tasks, .. } => mise_task_commands(path, &text()?, tasks),
        }))
    })
}

/// The arguments a script invocation passes (`bash -e ./x.sh a b` → `a b`).
fn script_args(words: &[String]) -> Vec<String> {
    let mut w: &[String] = words;
    while w.first().is_some_and(|x| is_assignment(x)) {
        w = &w[1..];
    }
    let Some(first) = w.first() else {
        return Vec::new();
    };
    let rest = &w[1..];
    let rest = if SHELLS.contains(&command_name(first)) {
        match rest.iter().position(|a| !is_flag(a)) {
            Some(i) => &rest[i + 1..],
            None => &[],
        }
    } else {
        rest
    };
    rest.to_vec()
}

/// `"$@"`, `$*` and `$1`..`$9` replaced by the arguments the script was run with.
fn forward_args(words: &[String], args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        match w.as_str() {
            "$@" | "${@}" | "$*" | "${*}" => out.extend(args.iter().cloned()),
            _ => {
                let n = w
                    .strip_prefix("${")
                    .and_then(|r| r.strip_suffix('}'))
                    .or_else(|| w.strip_prefix('$'))
                    .filter(|d| d.len() == 1)
                    .and_then(|d| d.parse::<usize>().ok())
                    .filter(|&n| n >= 1);
                match n {
                    Some(n) => {
                        if let Some(a) = args.get(n - 1) {
                            out.push(a.clone());
                        }
                    }
                    None => out.push(w.clone()),
                }
            }
        }
    }
    out
}

/// Recognises `./scripts/x.sh`, `bash hack/x.sh`, `make -C dir a b`, `make -f x.mk a`.
pub fn invocation(words: &[String], dir: &str) -> Option<Invocation> {
    let mut w: &[String] = words;
    while w.first().is_some_and(|x| is_assignment(x)) {
        w = &w[1..];
    }
    let first = w.first()?;
    let name = command_name(first);
    if name == "make" || name == "gmake" {
        let mut makefile = "Makefile".to_string();
        let mut cdir = dir.to_string();
        let mut targets = Vec::new();
        let mut i = 1;
        while i < w.len() {
            let a = &w[i];
            if a == "-C" || a == "--directory" {
                cdir = join(&cdir, w.get(i + 1)?)?;
                i += 2;
                continue;
            }
            if a == "-f" || a == "--file" {
                makefile = w.get(i + 1)?.clone();
                i += 2;
                continue;
            }
            if let Some(d) = a.strip_prefix("--directory=") {
                cdir = join(&cdir, d)?;
            } else if !is_flag(a) && !is_assignment(a) {
                targets.push(a.clone());
            }
            i += 1;
        }
        return Some(Invocation::Make {
            makefile: join(&cdir, &makefile)?,
            targets,
        });
    }
    if name == "task" || name == "go-task" {
        return task_invocation(&w[1..], dir);
    }
    if PACKAGE_MANAGERS.contains(&name) {
        return package_script_invocation(name, &w[1..], dir);
    }
    if name == "mise" {
        return mise_invocation(&w[1..], dir);
    }
    let script = if SHELLS.contains(&name) {
        w[1..].iter().find(|a| !is_flag(a))?
    } else {
        first
    };
    let looks_local = script.starts_with("./")
        || script.starts_with("../")
        || (script.contains('/') && !script.starts_with('/'))
        || (SHELLS.contains(&name) && script.ends_with(".sh"));
    if !looks_local || script.contains("://") {
        return None;
    }
    Some(Invocation::Script(join(dir, script)?))
}

/// `task [-d DIR] [-t FILE] NAME... [-- ARGS]`.
fn task_invocation(args: &[String], dir: &str) -> Option<Invocation> {
    let mut cdir = dir.to_string();
    let mut taskfile = None;
    let mut tasks = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--" => break,
            "-d" | "--dir" => {
                cdir = join(&cdir, args.get(i + 1)?)?;
                i += 2;
                continue;
            }
            "-t" | "--taskfile" => {
                taskfile = Some(args.get(i + 1)?.clone());
                i += 2;
                continue;
            }
            _ => {}
        }
        if let Some(d) = a.strip_prefix("--dir=") {
            cdir = join(&cdir, d)?;
        } else if let Some(f) = a.strip_prefix("--taskfile=") {
            taskfile = Some(f.to_string());
        } else if !is_flag(a) && !is_assignment(a) {
            tasks.push(a.to_string());
        }
        i += 1;
    }
    let taskfile = match taskfile {
        Some(f) => Some(join(&cdir, &f)?),
        None => None,
    };
    Some(Invocation::Task {
        dir: cdir,
        taskfile,
        tasks,
    })
}

/// Options of `mise` and `mise run` that take a value.
const MISE_VALUE_OPTIONS: &[&str] = &[
    "-E",
    "--env",
    "-j",
    "--jobs",
    "-o",
    "--output",
    "--timeout",
    "-t",
    "--tool",
    "--shell",
];

/// `mise [-C DIR] run|r|tasks run NAME [ARGS] [::: NAME [ARGS]]...`; `mise run` alone
/// runs the `default` task.
fn mise_invocation(args: &[String], dir: &str) -> Option<Invocation> {
    let mut cdir = dir.to_string();
    let mut i = 0;
    let mut run = false;
    let mut tasks = Vec::new();
    // The next positional word names a task (the first after `run`, the first after
    // each `:::`); the words after it are its arguments.
    let mut expect_task = false;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" && run {
            break;
        }
        if matches!(a, "-C" | "--cd") {
            cdir = join(&cdir, args.get(i + 1)?)?;
            i += 2;
            continue;
        }
        if let Some(d) = a.strip_prefix("--cd=") {
            cdir = join(&cdir, d)?;
            i += 1;
            continue;
        }
        if MISE_VALUE_OPTIONS.contains(&a) {
            i += 2;
            continue;
        }
        if is_flag(a) {
            i += 1;
            continue;
        }
        if !run {
            match a {
                "run" | "r" => {
                    run = true;
                    expect_task = true;
                }
                "tasks" if args.get(i + 1).is_some_and(|n| n == "run") => {
                    run = true;
                    expect_task = true;
                    i += 1;
                }
                // `mise exec -- make lint`: what it runs, in mise's environment.
                "exec" | "x" => {
                    let rest = &args[i + 1..];
                    let cmd = rest.iter().position(|x| x == "--")?;
                    return invocation(&rest[cmd + 1..], &cdir);
                }
                // Another mise command (`install`, `use`...): no task.
                _ => return None,
            }
        } else if a == ":::" {
            expect_task = true;
        } else if expect_task {
            tasks.push(a.to_string());
            expect_task = false;
        }
        i += 1;
    }
    run.then_some(Invocation::MiseTask { dir: cdir, tasks })
}

/// `npm run NAME`, `npm run-script NAME`, `npm test`, `yarn run NAME`, `pnpm run NAME`,
/// `bun run NAME`, with `--prefix`/`--dir`/`-C`/`--cwd DIR`.
fn package_script_invocation(pm: &str, args: &[String], dir: &str) -> Option<Invocation> {
    let mut cdir = dir.to_string();
    let mut rest: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            break;
        }
        if matches!(a, "--prefix" | "--dir" | "-C" | "--cwd") {
            cdir = join(&cdir, args.get(i + 1)?)?;
            i += 2;
            continue;
        }
        if let Some(d) = ["--prefix=", "--dir=", "--cwd="]
            .iter()
            .find_map(|p| a.strip_prefix(p))
        {
            cdir = join(&cdir, d)?;
        } else if !is_flag(a) {
            rest.push(a);
        }
        i += 1;
    }
    let name = match rest.as_slice() {
        ["run" | "run-script", name, ..] => (*name).to_string(),
        ["test" | "t", ..] if pm != "bun" => "test".to_string(),
        // `yarn compile`, `pnpm lint`: yarn and pnpm run a script named by a word that
        // is none of their own commands.
        [name, ..] if matches!(pm, "yarn" | "pnpm") && !PACKAGE_MANAGER_COMMANDS.contains(name) => {
            (*name).to_string()
        }
        _ => return None,
    };
    Some(Invocation::PackageScript { dir: cdir, name })
}

/// The commands of a shell script, with their lines, and the options a script keeps in
/// arrays expanded where it uses them (see [`expand_arrays`]).
pub fn script_commands(path: &str, text: &str) -> Vec<ScriptCommand> {
    let mut commands = split_commands(text);
    expand_arrays(&mut commands);
    commands
        .into_iter()
        .map(|c| ScriptCommand {
            path: path.to_string(),
            line: c.line + 1,
            words: c.words,
        })
        .collect()
}

/// Release scripts build option lists in Bash arrays (`opts=(--pull)`, `opts+=(--push)`)
/// and run `docker buildx bake "${opts[@]}"`. Each `"${NAME[@]}"` is replaced by every
/// literal element any assignment gives NAME: what the command may be run with.
fn expand_arrays(commands: &mut [crate::shell::Command]) {
    use std::collections::BTreeMap;
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    let assign = ASSIGN
        .get_or_init(|| Regex::new(r"^([A-Za-z_][A-Za-z0-9_]*)\+?=\((.*)$").expect("static regex"));
    let mut arrays: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in commands.iter() {
        let Some(caps) = c.words.first().and_then(|w| assign.captures(w)) else {
            continue;
        };
        let elements = arrays.entry(caps[1].to_string()).or_default();
        let first = caps[2].trim_end_matches(')');
        for e in std::iter::once(first)
            .chain(c.words[1..].iter().map(String::as_str))
            .map(|e| e.trim_end_matches(')'))
            .filter(|e| !e.is_empty() && !e.contains("${"))
        {
            if !elements.iter().any(|x| x == e) {
                elements.push(e.to_string());
            }
        }
    }
    if arrays.is_empty() {
        return;
    }
    for c in commands.iter_mut() {
        if !c
            .words
            .iter()
            .any(|w| w.contains("[@]}") || w.contains("[*]}"))
        {
            continue;
        }
        let mut words = Vec::with_capacity(c.words.len());
        for w in c.words.drain(..) {
            let name = w
                .strip_prefix("${")
                .and_then(|r| r.strip_suffix("[@]}").or_else(|| r.strip_suffix("[*]}")));
            match name.and_then(|n| arrays.get(n)) {
                Some(elements) => words.extend(elements.iter().cloned()),
                None => words.push(w),
            }
        }
        c.words = words;
    }
}

/// The recipe commands of `targets` in a Makefile (the default goal when none is
/// named), following `$(MAKE) other` to other targets of the same file.
pub fn make_commands(path: &str, text: &str, targets: &[String]) -> Vec<ScriptCommand> {
    Makefile::parse(text).commands(path, targets)
}

/// A target's recipe: its name, its lines (number, command), and the included file
/// it is written in (`None`: the Makefile itself).
type Recipe = (String, Vec<(u32, String)>, Option<Arc<str>>);

/// A Makefile as far as following targets needs: recipes, prerequisites, variables.
#[derive(Clone)]
pub struct Makefile {
    /// Targets in file order, each with its recipe lines (a target may repeat) and the
    /// included file it is written in (`None`: the Makefile itself).
    recipes: Vec<Recipe>,
    /// The prerequisites of each target, from the first rule line naming it.
    prerequisites: std::collections::HashMap<String, Vec<String>>,
    vars: std::collections::HashMap<String, String>,
    /// The files it includes (`include Makefile.common`), as written, each with whether
    /// the include comes before the first rule (its first target is then the default
    /// goal).
    includes: Vec<(String, bool)>,
}

impl Makefile {
    pub fn parse(text: &str) -> Self {
        Self {
            recipes: parse_makefile(text)
                .into_iter()
                .map(|(t, r)| (t, r, None))
                .collect(),
            prerequisites: prerequisites(text),
            vars: simple_variables(text),
            includes: includes(text),
        }
    }

    /// The paths of the files it includes, relative to the repository, for the Makefile
    /// at `path` (names made of variables are left out).
    pub fn include_paths(&self, path: &str) -> Vec<(String, bool)> {
        let dir = crate::extractors::parent_dir(path);
        self.includes
            .iter()
            .filter(|(f, _)| !f.contains('$'))
            .filter_map(|(f, first)| join(dir, f).map(|p| (p, *first)))
            .collect()
    }

    /// This Makefile with the rules, prerequisites and variables of the files it
    /// includes, in make's reading order.
    pub fn with_included(&self, included: &[(String, Arc<Makefile>, bool)]) -> Makefile {
        let mut out = self.clone();
        for (path, inc, first) in included.iter().rev() {
            let file: Arc<str> = Arc::from(path.as_str());
            let rules = inc.recipes.iter().map(|(t, r, f)| {
                (
                    t.clone(),
                    r.clone(),
                    f.clone().or_else(|| Some(file.clone())),
                )
            });
            if *first {
                let rest = std::mem::take(&mut out.recipes);
                out.recipes = rules.chain(rest).collect();
            } else {
                out.recipes.extend(rules);
            }
            for (k, v) in &inc.prerequisites {
                out.prerequisites
                    .entry(k.clone())
                    .or_insert_with(|| v.clone());
            }
            for (k, v) in &inc.vars {
                out.vars.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out
    }

    /// `$(VAR)` replaced by the variable's value, itself expanded (`GOTEST := $(GO) test`
    /// with `GO ?= go`), a few levels deep; other variables stay opaque words.
    fn expand_vars(&self, text: &str, depth: usize) -> String {
        make_vars()
            .replace_all(text, |c: &regex::Captures| {
                let name = &c[1];
                match self.vars.get(name) {
                    Some(v) if depth < 3 && v.contains("$(") => self.expand_vars(v, depth + 1),
                    Some(v) if !v.contains("$(") => v.clone(),
                    _ => format!("${{{name}}}"),
                }
            })
            .into_owned()
    }

    /// A pattern rule's prerequisites for `target` (`%: common-% ;` makes `test` need
    /// `common-test`).
    fn pattern_prerequisites(&self, target: &str) -> Vec<String> {
        for (pattern, deps) in &self.prerequisites {
            let Some((pre, post)) = pattern.split_once('%') else {
                continue;
            };
            let Some(stem) = target
                .strip_prefix(pre)
                .and_then(|r| r.strip_suffix(post))
                .filter(|s| !s.is_empty())
            else {
                continue;
            };
            return deps.iter().map(|d| d.replacen('%', stem, 1)).collect();
        }
        Vec::new()
    }

    /// The recipe commands of `targets` (the default goal when none is named),
    /// following `$(MAKE) other` and prerequisites to other targets of the same file.
    pub fn commands(&self, path: &str, targets: &[String]) -> Vec<ScriptCommand> {
        let mut wanted: Vec<String> = if targets.is_empty() {
            self.recipes
                .iter()
                .find(|(t, _, _)| !t.contains('%'))
                .map(|(t, _, _)| vec![t.clone()])
                .unwrap_or_default()
        } else {
            targets.to_vec()
        };
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        while let Some(t) = wanted.pop() {
            if seen.contains(&t) || seen.len() > 32 {
                continue;
            }
            seen.push(t.clone());
            let mut known = false;
            for (_, lines, file) in self.recipes.iter().filter(|(name, _, _)| name == &t) {
                known = true;
                let path = file.as_deref().unwrap_or(path);
                for (line, cmd) in lines {
                    // Make's `$(VAR)` is not the shell's command substitution: substitute
                    // simple variables, leave the others as opaque words.
                    let expanded = self.expand_vars(cmd, 0);
                    for c in split_commands(&expanded) {
                        let words: Vec<String> = c.words;
                        let first = words.first().map(String::as_str).unwrap_or("");
                        if first == "${MAKE}" || first == "make" {
                            wanted.extend(
                                words[1..]
                                    .iter()
                                    .filter(|a| !is_flag(a) && !is_assignment(a))
                                    .cloned(),
                            );
                            continue;
                        }
                        out.push(ScriptCommand {
                            path: path.to_string(),
                            line: *line,
                            words,
                        });
                    }
                }
            }
            // Prerequisites run first: follow them too.
            if let Some(prereqs) = self.prerequisites.get(&t) {
                wanted.extend(prereqs.iter().cloned());
            } else if !known {
                wanted.extend(self.pattern_prerequisites(&t));
            }
        }
        out.sort_by_key(|c| c.line);
        out
    }
}

/// `target: prereq...` → recipe lines (line number, command without `@`/`-` prefixes).
fn parse_makefile(text: &str) -> Vec<(String, Vec<(u32, String)>)> {
    let mut out: Vec<(String, Vec<(u32, String)>)> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut pending = String::new();
    let mut pending_line = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if let Some(cmd) = raw.strip_prefix('\t') {
            if current.is_empty() {
                continue;
            }
            // `@`, `-` and `+` prefix only the first line of a command.
            let cmd = if pending.is_empty() {
                pending_line = line_no;
                cmd.trim_start_matches(['@', '-', '+', ' '])
            } else {
                cmd
            };
            if let Some(cont) = cmd.strip_suffix('\\') {
                pending.push_str(cont);
                pending.push(' ');
                continue;
            }
            pending.push_str(cmd);
            let full = std::mem::take(&mut pending);
            for &t in &current {
                out[t].1.push((pending_line, full.clone()));
            }
            continue;
        }
        pending.clear();
        let trimmed = raw.trim_end();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // A conditional inside a recipe (`ifeq ($(PUSH),true)` ... `else` ... `endif`)
        // keeps the recipe going: both branches are lines it may run.
        let directive = trimmed.split_whitespace().next().unwrap_or("");
        if matches!(
            directive,
            "ifeq" | "ifneq" | "ifdef" | "ifndef" | "else" | "endif"
        ) {
            continue;
        }
        current.clear();
        // A rule line: `a b: deps` (not `x := y`, not `x ?= y`).
        if let Some((lhs, rhs)) = trimmed.split_once(':') {
            // `x := y` and `x ::= y` are assignments; `.PHONY:` and other special
            // targets name no recipe; indented lines belong to conditionals.
            if rhs.starts_with('=')
                || lhs.contains('=')
                || lhs.starts_with('.')
                || lhs.starts_with(char::is_whitespace)
            {
                continue;
            }
            for t in lhs.split_whitespace() {
                out.push((t.to_string(), Vec::new()));
                current.push(out.len() - 1);
            }
            // `target: ; cmd` inline recipes.
            if let Some((_, inline)) = rhs.split_once(';') {
                for &t in &current {
                    out[t].1.push((line_no, inline.trim().to_string()));
                }
            }
        }
    }
    out
}

/// `include a.mk b.mk` (also `-include`, `sinclude`): the files, and whether the line
/// comes before the first rule.
fn includes(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut seen_rule = false;
    for raw in text.lines() {
        if raw.starts_with('\t') || raw.trim_start().starts_with('#') {
            continue;
        }
        let t = raw.trim();
        let rest = ["include ", "-include ", "sinclude "]
            .iter()
            .find_map(|d| t.strip_prefix(d));
        if let Some(rest) = rest {
            out.extend(rest.split_whitespace().map(|f| (f.to_string(), !seen_rule)));
            continue;
        }
        if let Some((lhs, rhs)) = t.split_once(':') {
            if !rhs.starts_with('=')
                && !lhs.contains('=')
                && !lhs.starts_with('.')
                && !lhs.contains('%')
            {
                seen_rule = true;
            }
        }
    }
    out
}

/// `NAME ?= value`, `NAME := value`, `NAME = value` at the start of a line (not the
/// indented ones of conditionals): one-word literals, and values made of words and
/// other variables (`$(GO) test`), the first definition winning.
fn simple_variables(text: &str) -> std::collections::HashMap<String, String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?m)^([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?:\?|:|::)?=[ \t]*((?:[^\s$#]|\$\([A-Za-z_][A-Za-z0-9_]*\))+(?:[ \t]+(?:[^\s$#]|\$\([A-Za-z_][A-Za-z0-9_]*\))+)*)[ \t]*$")
            .expect("static regex")
    });
    let mut out = std::collections::HashMap::new();
    for c in re.captures_iter(text) {
        out.entry(c[1].to_string())
            .or_insert_with(|| c[2].to_string());
    }
    out
}

/// Each target's prerequisites, from the first rule line naming it (`a b: deps`).
fn prerequisites(text: &str) -> std::collections::HashMap<String, Vec<String>> {
    let mut out = std::collections::HashMap::new();
    for raw in text.lines() {
        if raw.starts_with('\t') {
            continue;
        }
        if let Some((lhs, rhs)) = raw.split_once(':') {
            if rhs.starts_with('=') {
                continue;
            }
            let deps: Vec<String> = rhs
                .split(';')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .filter(|d| !d.contains('$') && !d.contains('/') && !d.contains('.'))
                .map(str::to_string)
                .collect();
            for t in lhs.split_whitespace() {
                out.entry(t.to_string()).or_insert_with(|| deps.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn recognises_invocations() {
        assert_eq!(
            invocation(&w("./scripts/ui_release.sh --publish"), ""),
            Some(Invocation::Script("scripts/ui_release.sh".into()))
        );
        assert_eq!(
            invocation(&w("bash -e hack/release.sh v1"), ""),
            Some(Invocation::Script("hack/release.sh".into()))
        );
        assert_eq!(
            invocation(&w("make -C docs build test"), ""),
            Some(Invocation::Make {
                makefile: "docs/Makefile".into(),
                targets: vec!["build".into(), "test".into()]
            })
        );
        assert_eq!(
            invocation(&w("task -d site ci:lint -- --fix"), ""),
            Some(Invocation::Task {
                dir: "site".into(),
                taskfile: None,
                tasks: vec!["ci:lint".into()]
            })
        );
        assert_eq!(
            invocation(&w("task --taskfile ci/Taskfile.yml"), ""),
            Some(Invocation::Task {
                dir: "".into(),
                taskfile: Some("ci/Taskfile.yml".into()),
                tasks: vec![]
            })
        );
        assert_eq!(
            invocation(&w("mise run vulncheck"), ""),
            Some(Invocation::MiseTask {
                dir: "".into(),
                tasks: vec!["vulncheck".into()]
            })
        );
        assert_eq!(
            invocation(&w("mise -C tools run --jobs 2 lint --fix ::: test -v"), ""),
            Some(Invocation::MiseTask {
                dir: "tools".into(),
                tasks: vec!["lint".into(), "test".into()]
            })
        );
        assert_eq!(
            invocation(&w("mise tasks run"), ""),
            Some(Invocation::MiseTask {
                dir: "".into(),
                tasks: vec![]
            })
        );
        assert_eq!(
            invocation(&w("mise exec -- make lint"), ""),
            Some(Invocation::Make {
                makefile: "Makefile".into(),
                targets: vec!["lint".into()]
            })
        );
        assert_eq!(invocation(&w("mise install"), ""), None);
        assert_eq!(invocation(&w("mise use go@1.24"), ""), None);
        assert_eq!(
            invocation(&w("npm --prefix ui run build:ui"), ""),
            Some(Invocation::PackageScript {
                dir: "ui".into(),
                name: "build:ui".into()
            })
        );
        assert_eq!(
            invocation(&w("yarn test --ci"), ""),
            Some(Invocation::PackageScript {
                dir: "".into(),
                name: "test".into()
            })
        );
        assert_eq!(invocation(&w("npm ci"), ""), None);
        assert_eq!(invocation(&w("yarn add left-pad"), ""), None);
        assert_eq!(invocation(&w("go test ./..."), ""), None);
        assert_eq!(invocation(&w("/usr/bin/env"), ""), None);
        assert_eq!(invocation(&w("../../etc/passwd"), ""), None);
        assert_eq!(invocation(&w("curl https://x/y.sh"), ""), None);
    }

    #[test]
    fn make_targets_follow_prerequisites_and_submakes() {
        let mk = "GO ?= go\n.PHONY: release build\n\nbuild: deps\n\t@$(GO) build ./...\n\nrelease: build\n\tgoreleaser release \\\n\t  --clean\n\t$(MAKE) publish\n\npublish:\n\t-docker push x\n\ndeps:\n\tgo mod download\n";
        let cmds = make_commands("Makefile", mk, &["release".to_string()]);
        let texts: Vec<(u32, String)> = cmds.iter().map(|c| (c.line, c.words.join(" "))).collect();
        assert!(
            texts.contains(&(8, "goreleaser release --clean".to_string())),
            "{texts:?}"
        );
        assert!(
            texts.contains(&(13, "docker push x".to_string())),
            "{texts:?}"
        );
        assert!(
            texts.contains(&(5, "go build ./...".to_string())),
            "{texts:?}"
        );
        assert_eq!(texts.len(), 4, "{texts:?}");
        assert!(
            texts.contains(&(16, "go mod download".to_string())),
            "{texts:?}"
        );
    }

    #[test]
    fn variables_expand_through_other_variables() {
        let mk = "GO ?= go\nGOTEST := $(GO) test\nGOTEST_DIR :=\nifneq ($(CI),)\n\tGOTEST := gotestsum --\nendif\n\ntest:\n\t$(GOTEST) ./...\n";
        let cmds = make_commands("Makefile", mk, &["test".to_string()]);
        let words: Vec<String> = cmds.iter().map(|c| c.words.join(" ")).collect();
        assert_eq!(words, ["go test ./..."]);
    }

    #[test]
    fn included_makefiles_and_pattern_rules() {
        let main = Makefile::parse("include Makefile.common\n\nassets:\n\tgo generate\n");
        let common =
            Makefile::parse("%: common-% ;\n\ncommon-all: test\n\ncommon-test:\n\tgo test ./...\n");
        let included = vec![("Makefile.common".to_string(), Arc::new(common), true)];
        assert_eq!(
            main.include_paths("Makefile"),
            [("Makefile.common".to_string(), true)]
        );
        // The default goal is the included file's first target; `test` is `common-test`.
        let cmds = main.with_included(&included).commands("Makefile", &[]);
        let found: Vec<(String, String)> = cmds
            .iter()
            .map(|c| (c.path.clone(), c.words.join(" ")))
            .collect();
        assert_eq!(
            found,
            [("Makefile.common".to_string(), "go test ./...".to_string())]
        );
    }

    #[test]
    fn recipe_conditionals_keep_both_branches() {
        let mk = "publish: target\nifeq ($(PUBLISH),true)\n\t./publish.sh\nelse\n\t./publish.sh -n\nendif\n\nother:\n\techo other\n";
        let cmds = make_commands("Makefile", mk, &["publish".to_string()]);
        let words: Vec<String> = cmds.iter().map(|c| c.words.join(" ")).collect();
        assert_eq!(words, ["./publish.sh", "./publish.sh -n"]);
    }

    #[test]
    fn script_arrays_expand_where_they_are_used() {
        let sh = "opts=(\"--pull\")\nif [ x ]; then\n  opts+=(\"--push\")\nfi\nfiles=(--file=a.hcl --file=b.json)\ndocker buildx bake \"${files[@]}\" \"${opts[@]}\" all\n";
        let cmds = script_commands("release.sh", sh);
        let bake = cmds
            .iter()
            .find(|c| c.words.first().is_some_and(|w| w == "docker"))
            .map(|c| c.words.join(" "));
        assert_eq!(
            bake.as_deref(),
            Some("docker buildx bake --file=a.hcl --file=b.json --pull --push all")
        );
    }

    #[test]
    fn default_goal_is_the_first_target() {
        let cmds = make_commands(
            "Makefile",
            "all:\n\tcargo build\nother:\n\tcargo test\n",
            &[],
        );
        assert_eq!(cmds.len(), 1);
        assert_eq!(cmds[0].words, w("cargo build"));
    }

    #[test]
    fn script_lines_are_one_based() {
        let cmds = script_commands("s.sh", "#!/bin/sh\nset -e\npnpm publish --access public\n");
        assert_eq!(cmds.last().map(|c| c.line), Some(3));
    }
}
