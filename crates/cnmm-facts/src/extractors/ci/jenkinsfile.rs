//! Jenkins pipelines (`Jenkinsfile`, `Jenkinsfile.*`, `Jenkinsfile_*`, `*.jenkinsfile`), read at the text
//! level. A Jenkinsfile is Groovy; it is never evaluated. A small tokenizer (comments,
//! single/double/triple-quoted strings, brackets) and a block reader recover the
//! structure that matters: declarative `pipeline { stages { stage { steps } } }` with
//! nested and parallel stages, scripted `node { stage { ... } }`, `sh`/`bat`/`powershell`
//! scripts with their lines, `when` conditions, `triggers`, `input` gates, credentials
//! and `@Library` shared libraries.
//!
//! A Jenkinsfile is taken to be run by a multibranch job: every branch push and every
//! change request (pull request) builds it; tags build when a condition asks for them.

use super::{
    intersect, subtract, Job, Permissions, Pipeline, PipelineKind, SharedRef, Step, Triggers,
};
use crate::extractors::{file_name, Ctx, Extractor, FileInput, Output};
use crate::tools::ToolMatcher;
use cnmm_model::Diagnostic;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::OnceLock;

pub struct Jenkinsfile;

const PROVIDER: &str = "jenkins";

/// Nesting deeper than this is not a pipeline anyone wrote by hand.
const MAX_DEPTH: usize = 200;

/// Steps that run a shell script.
const SCRIPT_STEPS: &[&str] = &["sh", "bat", "powershell", "pwsh"];

impl Extractor for Jenkinsfile {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        // `Jenkinsfile_k8s`, `Jenkinsfile-release`: one repository, several jobs.
        name == "Jenkinsfile"
            || name.starts_with("Jenkinsfile.")
            || name.starts_with("Jenkinsfile_")
            || name.starts_with("Jenkinsfile-")
            || name.to_ascii_lowercase().ends_with(".jenkinsfile")
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let toks = match tokenize(input.text) {
            Ok(t) => t,
            Err((line, msg)) => {
                out.diagnostics.push(Diagnostic::error(
                    path,
                    Some(line),
                    format!("not readable as Groovy: {msg}; the file was skipped"),
                ));
                return;
            }
        };
        let mut parser = BlockParser {
            toks: &toks,
            i: 0,
            error: None,
        };
        let items = parser.items(0);
        if let Some((line, msg)) = parser.error {
            out.diagnostics.push(Diagnostic::error(
                path,
                Some(line),
                format!("{msg}; the rest of this file was not read"),
            ));
        }
        // A whole pipeline may be one shared-library step (`buildPlugin()`).
        let mut library_step = false;
        walk(&items, 0, &mut |it| {
            library_step |= is_library_step(ctx.tools, &it.name);
        });
        let has_structure = library_step || any_named(&items, &["pipeline", "node", "stage"], 0);
        if !has_structure {
            out.diagnostics.push(Diagnostic::warning(
                path,
                Some(1),
                "no `pipeline`, `node` or `stage` block: this does not look like a Jenkins pipeline",
            ));
            return;
        }
        let mut p = build(path, input.text, &items, ctx.tools);
        p.excluded = input.file.excluded.as_deref().map(String::from);
        // Read `.mvn/extensions.xml` only for a pipeline that builds a plugin.
        if p.jobs.iter().flat_map(|j| &j.steps).any(builds_plugin) && incrementals_enabled(ctx) {
            add_incrementals(&mut p);
        }
        out.pipelines.push(p);
    }
}

/// The Maven extension that makes a Jenkins plugin build publish an incremental.
const INCREMENTALS_FILE: &str = ".mvn/extensions.xml";
const INCREMENTALS_EXTENSION: &str = "git-changelist-maven-extension";

/// Whether the repository opts in to incrementals (JEP-305): the Jenkins project's
/// `buildPlugin()` then deploys each build to the incrementals repository.
fn incrementals_enabled(ctx: &Ctx) -> bool {
    ctx.file(INCREMENTALS_FILE)
        .and_then(|f| ctx.read_text(f).ok())
        .is_some_and(|t| t.contains(INCREMENTALS_EXTENSION))
}

/// A `buildPlugin()` (or Gradle) step of the Jenkins project's pipeline library.
fn builds_plugin(s: &Step) -> bool {
    s.uses
        .as_deref()
        .is_some_and(|u| u == "jenkins/buildPlugin" || u == "jenkins/buildPluginWithGradle")
}

/// Each `buildPlugin()` step also publishes an incremental build, as the library does
/// for repositories that opt in.
fn add_incrementals(p: &mut Pipeline) {
    for job in &mut p.jobs {
        let builds: Vec<u32> = job
            .steps
            .iter()
            .filter(|s| builds_plugin(s))
            .map(|s| s.line)
            .collect();
        for line in builds {
            job.steps.push(Step {
                name: Some(format!("incrementals (opted in by {INCREMENTALS_FILE})")),
                line,
                uses: Some("jenkins/infra.maybePublishIncrementals".into()),
                ..Default::default()
            });
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// A string literal's content; the token's line is the opening quote's.
    Str(String),
    Punct(char),
    Newline,
}

/// Splits Groovy text into tokens with their lines; comments are dropped. Fails on an
/// unterminated string or comment (not Groovy, or not a whole file).
fn tokenize(text: &str) -> Result<Vec<(Tok, u32)>, (u32, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0;
    let at = |i: usize, s: &str| -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            out.push((Tok::Newline, line));
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let start = line;
            i += 2;
            while i < chars.len() && !at(i, "*/") {
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            if i >= chars.len() {
                return Err((start, "unterminated /* comment".into()));
            }
            i += 2;
        } else if at(i, "'''") || at(i, "\"\"\"") {
            let quote: String = chars[i..i + 3].iter().collect();
            let start = line;
            i += 3;
            let mut s = String::new();
            while i < chars.len() && !at(i, &quote) {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    s.push(chars[i]);
                    i += 1;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                s.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err((start, format!("unterminated {quote} string")));
            }
            i += 3;
            out.push((Tok::Str(s), start));
        } else if c == '\'' || c == '"' {
            let start = line;
            i += 1;
            let mut s = String::new();
            // `${...}` in a GString may hold quotes of its own.
            let mut interp = 0usize;
            while i < chars.len() && (chars[i] != c || interp > 0) {
                match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        s.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    '\n' => return Err((start, "unterminated string".into())),
                    '{' if c == '"' && s.ends_with('$') => interp += 1,
                    '}' if interp > 0 => interp -= 1,
                    _ => {}
                }
                s.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err((start, "unterminated string".into()));
            }
            i += 1;
            out.push((Tok::Str(s), start));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let mut s = String::new();
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                s.push(chars[i]);
                i += 1;
            }
            out.push((Tok::Ident(s), line));
        } else {
            out.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    Ok(out)
}

/// A statement: a call with its arguments, and the closure it opens, if any.
#[derive(Debug, Default)]
struct Item {
    /// The called name, with member chains joined (`docker.build`).
    name: String,
    line: u32,
    args: Vec<(Tok, u32)>,
    body: Option<Vec<Item>>,
    /// Closures passed inside the arguments (`parallel(a: { ... })`).
    inner: Vec<Item>,
}

impl Item {
    /// The first string argument, or the value of `key:` when given.
    fn string_arg(&self, key: Option<&str>) -> Option<(&str, u32)> {
        if let Some(k) = key {
            for w in self.args.windows(3) {
                if let [(Tok::Ident(n), _), (Tok::Punct(':'), _), (Tok::Str(s), l)] = w {
                    if n == k {
                        return Some((s, *l));
                    }
                }
            }
        }
        self.args.iter().find_map(|(t, l)| match t {
            Tok::Str(s) => Some((s.as_str(), *l)),
            _ => None,
        })
    }

    fn children(&self) -> &[Item] {
        self.body.as_deref().unwrap_or(&[])
    }

    fn child(&self, name: &str) -> Option<&Item> {
        self.children().iter().find(|c| c.name == name)
    }

    /// The arguments as text, for conditions (`env.BRANCH_NAME == 'main'`).
    fn args_text(&self) -> String {
        let mut s = String::new();
        for (t, _) in &self.args {
            match t {
                Tok::Ident(x) => s.push_str(x),
                Tok::Str(x) => {
                    s.push('\'');
                    s.push_str(x);
                    s.push('\'');
                }
                Tok::Punct(c) => s.push(*c),
                Tok::Newline => {}
            }
        }
        s
    }
}

struct BlockParser<'t> {
    toks: &'t [(Tok, u32)],
    i: usize,
    error: Option<(u32, String)>,
}

impl BlockParser<'_> {
    fn items(&mut self, depth: usize) -> Vec<Item> {
        let mut items = Vec::new();
        if depth > MAX_DEPTH {
            let line = self.toks.get(self.i).map_or(1, |t| t.1);
            self.error = Some((line, format!("nested deeper than {MAX_DEPTH} blocks")));
            self.i = self.toks.len();
            return items;
        }
        while self.i < self.toks.len() && self.error.is_none() {
            match &self.toks[self.i].0 {
                Tok::Newline | Tok::Punct(';') => self.i += 1,
                Tok::Punct('}') => return items,
                Tok::Ident(_) => items.push(self.statement(depth)),
                Tok::Punct('{') => {
                    // A bare closure: read it for the steps it holds.
                    let line = self.toks[self.i].1;
                    self.i += 1;
                    let body = self.items(depth + 1);
                    self.close(line);
                    items.push(Item {
                        name: "{}".into(),
                        line,
                        body: Some(body),
                        ..Default::default()
                    });
                }
                _ => self.i += 1,
            }
        }
        items
    }

    fn close(&mut self, open_line: u32) {
        if self.error.is_some() {
            return;
        }
        match self.toks.get(self.i) {
            Some((Tok::Punct('}'), _)) => self.i += 1,
            _ => self.error = Some((open_line, "unbalanced `{`: no matching `}`".into())),
        }
    }

    fn statement(&mut self, depth: usize) -> Item {
        let (first, line) = &self.toks[self.i];
        let mut item = Item {
            name: match first {
                Tok::Ident(s) => s.clone(),
                _ => String::new(),
            },
            line: *line,
            ..Default::default()
        };
        self.i += 1;
        // Member chains: `docker.image('x').inside`.
        while let (Some((Tok::Punct('.'), _)), Some((Tok::Ident(n), _))) =
            (self.toks.get(self.i), self.toks.get(self.i + 1))
        {
            item.name.push('.');
            item.name.push_str(n);
            self.i += 2;
        }
        let mut nest = 0i32;
        while self.i < self.toks.len() && self.error.is_none() {
            let (t, l) = &self.toks[self.i];
            match t {
                Tok::Punct('(') | Tok::Punct('[') => nest += 1,
                Tok::Punct(')') | Tok::Punct(']') => nest -= 1,
                Tok::Punct('{') => {
                    self.i += 1;
                    let body = self.items(depth + 1);
                    self.close(*l);
                    if nest > 0 {
                        item.inner.push(Item {
                            name: "{}".into(),
                            line: *l,
                            body: Some(body),
                            ..Default::default()
                        });
                        continue;
                    }
                    item.body = Some(body);
                    return item;
                }
                Tok::Punct('}') if nest <= 0 => return item,
                Tok::Punct(';') if nest <= 0 => return item,
                Tok::Newline if nest <= 0 => {
                    let continues = matches!(
                        item.args.last(),
                        Some((Tok::Punct(',' | '+' | '.' | '=' | '&' | '|' | '?' | ':'), _))
                    );
                    if !continues {
                        return item;
                    }
                }
                _ => {}
            }
            if !matches!(t, Tok::Newline) {
                item.args.push((t.clone(), *l));
            }
            self.i += 1;
        }
        item
    }
}

fn any_named(items: &[Item], names: &[&str], depth: usize) -> bool {
    depth < MAX_DEPTH
        && items.iter().any(|it| {
            names.contains(&it.name.as_str())
                || any_named(it.children(), names, depth + 1)
                || any_named(&it.inner, names, depth + 1)
        })
}

fn library_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"@Library\s*\(\s*(\[[^\]]*\]|'[^']*'|"[^"]*")"#).expect("static regex")
    })
}

fn quoted_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"'([^']*)'|"([^"]*)""#).expect("static regex"))
}

struct Builder<'t> {
    tools: &'t ToolMatcher<'t>,
    base: Triggers,
    jobs: Vec<Job>,
    seq: usize,
    image: Option<String>,
    credentials: BTreeSet<String>,
}

fn build(path: &str, text: &str, items: &[Item], tools: &ToolMatcher) -> Pipeline {
    let mut shared = Vec::new();
    for m in library_re().captures_iter(text) {
        let Some(all) = m.get(1) else { continue };
        let line = crate::line_of(text, all.start());
        for q in quoted_re().captures_iter(all.as_str()) {
            if let Some(lib) = q.get(1).or_else(|| q.get(2)) {
                shared.push(SharedRef {
                    kind: "library",
                    reference: lib.as_str().to_string(),
                    line,
                    local: false,
                    unreadable: false,
                });
            }
        }
    }
    walk(items, 0, &mut |it| {
        if it.name == "library" {
            if let Some((lib, _)) = it.string_arg(Some("identifier")) {
                shared.push(SharedRef {
                    kind: "library",
                    reference: lib.to_string(),
                    line: it.line,
                    local: false,
                    unreadable: false,
                });
            }
        }
    });

    // A multibranch job builds every branch and every change request; tags only when
    // tag discovery is on, which a tag condition shows.
    let mut base = Triggers {
        push: true,
        pull_request: true,
        ..Default::default()
    };
    let mut mentions_tags = false;
    walk(items, 0, &mut |it| {
        if it.name == "buildingTag" || (it.name == "tag" && !it.args.is_empty()) {
            mentions_tags = true;
        }
        if it.name == "if" && it.args_text().contains("TAG_NAME") {
            mentions_tags = true;
        }
    });
    base.tag = mentions_tags;
    let pipeline_block = items
        .iter()
        .find(|i| i.name == "pipeline" && i.body.is_some());
    let mut triggers_line = pipeline_block.map_or(1, |p| p.line);
    let mut b = Builder {
        tools,
        base: base.clone(),
        jobs: Vec::new(),
        seq: 0,
        image: None,
        credentials: BTreeSet::new(),
    };
    // Scripted pipelines declare triggers with `properties([pipelineTriggers([cron(..)])])`.
    walk(items, 0, &mut |it| {
        if it.name == "cron" || it.name == "parameterizedCron" {
            b.base.schedule = true;
        }
        if it.name == "upstream" {
            b.base.other.insert("upstream".into());
        }
    });
    match pipeline_block {
        Some(p) => {
            if let Some(t) = p.child("triggers") {
                triggers_line = t.line;
            }
            b.image = agent_image(p.child("agent"));
            if let Some(env) = p.child("environment") {
                collect_credentials(env.children(), &mut b.credentials, 0);
            }
            if let Some(stages) = p.child("stages") {
                let base = b.base.clone();
                b.stages(stages.children(), &base, None, 0);
            }
        }
        None => {
            let base = b.base.clone();
            b.scripted(items, &base, 0);
        }
    }
    Pipeline {
        provider: PROVIDER,
        path: path.to_string(),
        name: path.to_string(),
        kind: PipelineKind::Pipeline,
        triggers: b.base,
        triggers_line,
        triggers_judgement: None,
        permissions: Permissions::Undeclared,
        jobs: b.jobs,
        shared,
        excluded: None,
    }
}

fn walk<'i>(items: &'i [Item], depth: usize, f: &mut dyn FnMut(&'i Item)) {
    if depth > MAX_DEPTH {
        return;
    }
    for it in items {
        f(it);
        walk(it.children(), depth + 1, f);
        walk(&it.inner, depth + 1, f);
    }
}

/// `agent { docker { image 'x' } }`, `agent { docker 'x' }`.
fn agent_image(agent: Option<&Item>) -> Option<String> {
    let docker = agent?.child("docker")?;
    if let Some((img, _)) = docker.string_arg(None) {
        return Some(img.to_string());
    }
    docker
        .child("image")
        .and_then(|i| i.string_arg(None))
        .map(|(s, _)| s.to_string())
}

fn collect_credentials(items: &[Item], out: &mut BTreeSet<String>, depth: usize) {
    walk(items, depth, &mut |it| {
        let n = it.name.as_str();
        if matches!(
            n,
            "withCredentials" | "sshagent" | "withVault" | "credentials"
        ) || it
            .args
            .iter()
            .any(|(t, _)| *t == Tok::Ident("credentials".into()))
        {
            out.insert("secret".into());
        }
    });
}

impl Builder<'_> {
    /// Declarative `stages { stage('x') { ... } }`, in order.
    fn stages(&mut self, items: &[Item], within: &Triggers, parent: Option<&str>, depth: usize) {
        for st in items.iter().filter(|i| i.name == "stage") {
            self.stage(st, within, parent, depth);
            self.seq += 1;
        }
    }

    fn stage(&mut self, st: &Item, within: &Triggers, parent: Option<&str>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let name = st
            .string_arg(None)
            .map(|(s, _)| s.to_string())
            .unwrap_or_else(|| format!("stage@{}", st.line));
        let id = match parent {
            Some(p) => format!("{p}/{name}"),
            None => name.clone(),
        };
        let triggers = match st.child("when") {
            Some(w) => eval_all(w.children(), within, &self.base),
            None => within.clone(),
        };
        if let Some(nested) = st.child("stages") {
            self.stages(nested.children(), &triggers, Some(&id), depth + 1);
            return;
        }
        let group = st
            .child("parallel")
            .or_else(|| st.child("matrix").and_then(|m| m.child("stages")));
        if let Some(par) = group {
            let seq = self.seq;
            for child in par.children().iter().filter(|i| i.name == "stage") {
                self.seq = seq;
                self.stage(child, &triggers, Some(&id), depth + 1);
            }
            self.seq = seq;
            return;
        }
        let mut job = self.job(&id, st.line, triggers);
        if let Some(input) = st.child("input") {
            job.manual_gate = Some(format!("input (line {})", input.line));
        }
        if let Some(img) = agent_image(st.child("agent")) {
            job.image = Some(img);
        }
        if let Some(env) = st.child("environment") {
            collect_credentials(env.children(), &mut job.credentials, 0);
        }
        if let Some(steps) = st.child("steps") {
            collect_steps(steps.children(), &mut job, self.tools);
        }
        self.jobs.push(job);
    }

    fn job(&self, id: &str, line: u32, triggers: Triggers) -> Job {
        Job {
            id: id.to_string(),
            name: id.to_string(),
            line,
            triggers: Some(triggers),
            stage: Some((id.to_string(), self.seq)),
            credentials: self.credentials.clone(),
            image: self.image.clone(),
            ..Default::default()
        }
    }

    /// Scripted pipelines: each `stage` is a job; `if` on the branch narrows.
    fn scripted(&mut self, items: &[Item], within: &Triggers, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut loose = Job::default();
        let mut loose_line = 0;
        for it in items {
            match it.name.as_str() {
                // A stage that holds stages or conditions (`stage('Build') { ... if
                // (env.TAG_NAME) { stage('Publish') { ... } } }`) is read as the
                // scripted code it contains, so each branch keeps its own triggers.
                "stage"
                    if any_named(it.children(), &["stage", "if"], 0)
                        || any_named(&it.inner, &["stage", "if"], 0) =>
                {
                    self.scripted(it.children(), within, depth + 1);
                    for c in &it.inner {
                        self.scripted(c.children(), within, depth + 1);
                    }
                }
                "stage" => {
                    let name = it
                        .string_arg(None)
                        .map(|(s, _)| s.to_string())
                        .unwrap_or_else(|| format!("stage@{}", it.line));
                    let mut job = self.job(&name, it.line, within.clone());
                    collect_steps(it.children(), &mut job, self.tools);
                    collect_steps(&it.inner, &mut job, self.tools);
                    self.jobs.push(job);
                    self.seq += 1;
                }
                "if" => {
                    let narrowed = narrow_by_expression(&it.args_text(), within);
                    self.scripted(it.children(), &narrowed, depth + 1);
                }
                "parallel" => {
                    let seq = self.seq;
                    for c in it.inner.iter().chain(it.children()) {
                        self.seq = seq;
                        self.scripted(c.children(), within, depth + 1);
                    }
                    self.seq = seq + 1;
                }
                _ if SCRIPT_STEPS.contains(&it.name.as_str())
                    || it.name == "input"
                    || is_library_step(self.tools, &it.name) =>
                {
                    if loose_line == 0 {
                        loose_line = it.line;
                    }
                    collect_steps(std::slice::from_ref(it), &mut loose, self.tools);
                }
                _ => {
                    if it.name == "withCredentials" || it.name == "sshagent" {
                        self.credentials.insert("secret".into());
                    }
                    self.scripted(it.children(), within, depth + 1);
                    for c in &it.inner {
                        self.scripted(c.children(), within, depth + 1);
                    }
                }
            }
        }
        if !loose.steps.is_empty() {
            let mut job = self.job(&format!("steps@{loose_line}"), loose_line, within.clone());
            job.steps = loose.steps;
            job.manual_gate = loose.manual_gate;
            job.credentials.extend(loose.credentials);
            self.jobs.push(job);
            self.seq += 1;
        }
    }
}

/// Script steps, `input` gates and credential blocks of a stage, at any depth (inside
/// `script {}`, `withCredentials {}`, `dir {}`...). Shared-library steps the catalog
/// knows (`buildPlugin()`, `infra.runMaven(...)`) are step references `jenkins/<name>`.
fn collect_steps(items: &[Item], job: &mut Job, tools: &ToolMatcher) {
    walk(items, 0, &mut |it| {
        let n = it.name.as_str();
        if SCRIPT_STEPS.contains(&n) {
            if let Some((script, line)) = it.string_arg(Some("script")) {
                job.steps.push(Step {
                    name: Some(n.to_string()),
                    line: it.line,
                    run: Some((script.to_string(), line)),
                    ..Default::default()
                });
            }
        } else if n == "input" {
            job.steps.push(Step {
                name: Some("input".into()),
                line: it.line,
                manual_gate: true,
                ..Default::default()
            });
        } else if matches!(n, "withCredentials" | "sshagent" | "withVault") {
            job.credentials.insert("secret".into());
        } else if is_library_step(tools, n) {
            job.steps.push(Step {
                name: Some(n.to_string()),
                line: it.line,
                uses: Some(format!("jenkins/{n}")),
                ..Default::default()
            });
        }
    });
}

/// A shared-library step the catalog knows, as `jenkins/<name>`.
fn is_library_step(tools: &ToolMatcher, name: &str) -> bool {
    !name.is_empty()
        && name != "{}"
        && !tools
            .match_uses(&format!("jenkins/{name}"), &Default::default())
            .is_empty()
}

/// Every condition of a `when` block must hold.
fn eval_all(conds: &[Item], within: &Triggers, base: &Triggers) -> Triggers {
    let mut t = within.clone();
    for c in conds {
        t = eval_when(c, &t, base);
    }
    t
}

/// The events under which one `when` condition holds, within `within`.
fn eval_when(c: &Item, within: &Triggers, base: &Triggers) -> Triggers {
    let only = |f: fn(&mut Triggers)| {
        let mut t = Triggers::default();
        f(&mut t);
        t
    };
    // Conditions may ask for tags or schedules the plain multibranch base lacks.
    let mut all = within.clone();
    all.tag = true;
    match c.name.as_str() {
        "branch" => match c.string_arg(Some("pattern")) {
            Some((b, _)) => {
                let mut t = only(|t| t.push = true);
                t.push_branches = vec![b.to_string()];
                intersect(within, &t)
            }
            None => within.clone(),
        },
        "buildingTag" | "tag" => intersect(&all, &only(|t| t.tag = true)),
        "changeRequest" => intersect(within, &only(|t| t.pull_request = true)),
        "triggeredBy" => {
            let text = c.args_text();
            if text.contains("Timer") || text.contains("cron") {
                let mut t = only(|t| t.schedule = true);
                t.schedule = base.schedule || text.contains("Timer");
                t
            } else if text.contains("UserIdCause") {
                only(|t| t.manual = true)
            } else {
                within.clone()
            }
        }
        "not" => {
            let mut t = within.clone();
            for inner in c.children() {
                match inner.name.as_str() {
                    "branch" => {
                        if let Some((b, _)) = inner.string_arg(Some("pattern")) {
                            t.push_branches_ignore.push(b.to_string());
                        }
                    }
                    "buildingTag" | "tag" => t.tag = false,
                    "changeRequest" => t.pull_request = false,
                    _ => {}
                }
            }
            t
        }
        "anyOf" => {
            let mut t = Triggers::default();
            for inner in c.children() {
                t.union(&eval_when(inner, within, base));
            }
            t
        }
        "allOf" => eval_all(c.children(), within, base),
        "expression" => {
            let mut text = String::new();
            walk(c.children(), 0, &mut |it| {
                text.push_str(&it.name);
                text.push_str(&it.args_text());
            });
            narrow_by_expression(&text, within)
        }
        "environment" => {
            let name = c.string_arg(Some("name")).map(|(s, _)| s.to_string());
            let value = c.string_arg(Some("value")).map(|(s, _)| s.to_string());
            match (name.as_deref(), value) {
                (Some("BRANCH_NAME"), Some(v)) => {
                    let mut t = only(|t| t.push = true);
                    t.push_branches = vec![v];
                    intersect(within, &t)
                }
                _ => within.clone(),
            }
        }
        _ => within.clone(),
    }
}

/// A Groovy condition on the build's branch, tag or change request
/// (`env.BRANCH_NAME == 'main'`, `env.TAG_NAME`, `env.CHANGE_ID`).
fn narrow_by_expression(expr: &str, within: &Triggers) -> Triggers {
    let c: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    if c.contains("||") {
        return within.clone();
    }
    let mut t = within.clone();
    if let Some(i) = c.find("BRANCH_NAME=='") {
        let rest = &c[i + "BRANCH_NAME=='".len()..];
        if let Some(end) = rest.find('\'') {
            let mut only = Triggers {
                push: true,
                push_branches: vec![rest[..end].to_string()],
                ..Default::default()
            };
            only.push_branches_ignore.clear();
            t = intersect(within, &only);
        }
    } else if c.contains("TAG_NAME")
        && !c.contains("!env.TAG_NAME")
        && !c.contains("TAG_NAME==null")
    {
        let mut all = within.clone();
        all.tag = true;
        t = intersect(
            &all,
            &Triggers {
                tag: true,
                ..Default::default()
            },
        );
    } else if c.contains("CHANGE_ID")
        && !c.contains("!env.CHANGE_ID")
        && !c.contains("CHANGE_ID==null")
    {
        let never = Triggers {
            push: true,
            tag: true,
            schedule: true,
            manual: true,
            ..Default::default()
        };
        subtract(&mut t, &never);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Vec<Item> {
        let toks = tokenize(src).expect("tokens");
        let mut p = BlockParser {
            toks: &toks,
            i: 0,
            error: None,
        };
        let items = p.items(0);
        assert!(p.error.is_none(), "{:?}", p.error);
        items
    }

    #[test]
    fn strings_and_comments() {
        let toks = tokenize("sh '''\n  make test\n''' // c\n/* x\n y */ sh \"a ${b(\"c\")}\"\n")
            .expect("tokens");
        assert_eq!(toks[1], (Tok::Str("\n  make test\n".into()), 1));
        assert!(toks.contains(&(Tok::Str("a ${b(\"c\")}".into()), 5)));
        assert!(tokenize("sh 'unterminated\n").is_err());
    }

    #[test]
    fn blocks_and_calls() {
        let items = parse("pipeline {\n  stages {\n    stage('Build') {\n      steps {\n        sh(script: 'make', returnStdout: true)\n      }\n    }\n  }\n}\n");
        let stage = &items[0].children()[0].children()[0];
        assert_eq!(stage.name, "stage");
        assert_eq!(stage.string_arg(None), Some(("Build", 3)));
        let sh = &stage.children()[0].children()[0];
        assert_eq!(sh.string_arg(Some("script")), Some(("make", 5)));
    }
}
