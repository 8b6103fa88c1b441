//! Recognises tool uses in pipeline steps with the catalog from `rules/catalog/`.
//!
//! A tool counts when it is the command being run (after unwrapping `sudo`, `npx`,
//! `uv run`...), the action/orb a step uses, or the image a step runs. A tool name that
//! only appears in an argument (`pip install checkov`, `rm -rf .../CodeQL`,
//! `echo "run trivy"`) is reported as an excluded mention with the reason.

use crate::shell::{command_name, is_assignment, is_flag};
use cnmm_model::lazy_regex::LazyRegex;
use cnmm_model::{Catalog, ToolSpec};
use std::collections::{BTreeMap, HashMap};

/// How a tool was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Run,
    Uses,
    Image,
    Template,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Run => "run",
            Via::Uses => "uses",
            Via::Image => "image",
            Via::Template => "template",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolMatch {
    pub tool: String,
    pub name: String,
    /// Categories with their implied categories, sorted.
    pub categories: Vec<String>,
    pub via: Via,
    /// What matched, for the report (`trivy image app:1`, `aquasecurity/trivy-action`).
    pub matched: String,
    /// Set for mentions that do not run the tool.
    pub excluded: Option<String>,
    /// The line of the command that runs it, when the caller knows it (scripts).
    pub line: Option<u32>,
    /// Set when the match rests on a judgement rather than on the tool itself (a shared
    /// action known only by its name): the verdicts it supports are low-confidence.
    pub judgement: Option<String>,
}

impl ToolMatch {
    /// The same match, resting on a judgement: why it is not certain.
    pub fn judged(self, why: String) -> ToolMatch {
        ToolMatch {
            judgement: Some(why),
            ..self
        }
    }
}

struct RunPattern {
    tool: usize,
    args: Vec<String>,
}

struct UsesNamePattern {
    tool: usize,
    name: LazyRegex,
}

struct UsesPattern {
    tool: usize,
    prefix: String,
    with: Vec<(String, LazyRegex)>,
    without: Vec<(String, LazyRegex)>,
}

/// A compiled catalog, ready to match commands, step references and images.
pub struct ToolMatcher<'a> {
    catalog: &'a Catalog,
    index: std::sync::Arc<ToolIndex>,
}

/// What a catalog compiles to, without the catalog: the scans of a timeline's points
/// share one (its regexes are compiled once, when first used).
pub struct ToolIndex {
    categories: Vec<Vec<String>>,
    run: HashMap<String, Vec<RunPattern>>,
    uses: Vec<UsesPattern>,
    uses_names: Vec<UsesNamePattern>,
    component_names: Vec<UsesNamePattern>,
    images: Vec<(usize, String)>,
    templates: Vec<(usize, String)>,
    /// Tools by id.
    by_id: HashMap<String, usize>,
    /// Tools whose command is a distinctive single word, by lower-case name.
    distinctive: HashMap<String, usize>,
    wrappers: Vec<Wrapper>,
    installers: Vec<Vec<String>>,
}

/// A command that runs the command after it: its leading words (`go tool`, `python -m`)
/// and, in brackets, the options of its own that take a value as the next word
/// (`-modfile tools/go.mod`): `"go tool [-modfile -C]"` in the catalog.
struct Wrapper {
    prefix: Vec<String>,
    value_flags: Vec<String>,
}

impl Wrapper {
    fn parse(spec: &str) -> Self {
        let (prefix, flags) = spec.split_once('[').unwrap_or((spec, ""));
        Wrapper {
            prefix: split_words(prefix),
            value_flags: split_words(flags.trim_end().trim_end_matches(']')),
        }
    }
}

/// Interpreters whose first argument is the script they run.
const SCRIPT_INTERPRETERS: &[&str] = &[
    "bash",
    "sh",
    "zsh",
    "python",
    "python3",
    "node",
    "pwsh",
    "powershell",
    "ruby",
    "perl",
];

/// Commands whose arguments are a list of targets or phases in any order.
const TARGET_RUNNERS: &[&str] = &[
    "make", "just", "task", "mage", "rake", "gradle", "gradlew", "mvn", "mvnw", "nox", "tox",
    "invoke", "earthly", "ninja",
];

impl std::ops::Deref for ToolMatcher<'_> {
    type Target = ToolIndex;

    fn deref(&self) -> &ToolIndex {
        &self.index
    }
}

impl ToolIndex {
    pub fn new(catalog: &Catalog) -> Self {
        let mut m = ToolIndex {
            categories: Vec::new(),
            run: HashMap::new(),
            uses: Vec::new(),
            uses_names: Vec::new(),
            component_names: Vec::new(),
            images: Vec::new(),
            templates: Vec::new(),
            by_id: HashMap::new(),
            distinctive: HashMap::new(),
            wrappers: catalog.wrappers.iter().map(|w| Wrapper::parse(w)).collect(),
            installers: catalog.installers.iter().map(|w| split_words(w)).collect(),
        };
        for (i, tool) in catalog.tools.iter().enumerate() {
            m.by_id.entry(tool.id.clone()).or_insert(i);
            m.categories
                .push(catalog.expand_categories(&tool.categories));
            for pat in &tool.run {
                let words = split_words(pat);
                let Some((first, rest)) = words.split_first() else {
                    continue;
                };
                // A pattern written as a path (`./test`) matches only a command written
                // with that path, never a command of that name (`test -f x`).
                // `*/test.sh`: a repository script known by its file name, wherever it is.
                let first = &if first.starts_with("*/") {
                    first.clone()
                } else {
                    path_key(first).unwrap_or_else(|| first.clone())
                };
                if rest.is_empty()
                    && !first.starts_with("./")
                    && !first.starts_with("*/")
                    && tool.run_args.is_empty()
                    && tool.last_arg.is_empty()
                    && tool.not_args.is_empty()
                {
                    m.distinctive.entry(first.clone()).or_insert(i);
                }
                m.run.entry(first.clone()).or_default().push(RunPattern {
                    tool: i,
                    args: rest.to_vec(),
                });
            }
            let compile = |inputs: &BTreeMap<String, String>| -> Vec<(String, LazyRegex)> {
                inputs
                    .iter()
                    .filter_map(|(k, v)| LazyRegex::new(v).ok().map(|re| (k.clone(), re)))
                    .collect()
            };
            for u in &tool.uses {
                m.uses.push(UsesPattern {
                    tool: i,
                    prefix: u.to_ascii_lowercase(),
                    with: compile(&tool.with),
                    without: compile(&tool.without),
                });
            }
            for n in &tool.uses_name {
                if let Ok(name) = LazyRegex::new(n) {
                    m.uses_names.push(UsesNamePattern { tool: i, name });
                }
            }
            for n in &tool.component_name {
                if let Ok(name) = LazyRegex::new(n) {
                    m.component_names.push(UsesNamePattern { tool: i, name });
                }
            }
            for img in &tool.images {
                m.images.push((i, normalise_image(img)));
            }
            for t in &tool.templates {
                m.templates.push((i, t.to_ascii_lowercase()));
            }
        }
        m
    }
}

impl<'a> ToolMatcher<'a> {
    pub fn new(catalog: &'a Catalog) -> Self {
        Self::with_index(catalog, std::sync::Arc::new(ToolIndex::new(catalog)))
    }

    /// A matcher of `catalog` from its compiled `index`.
    pub fn with_index(catalog: &'a Catalog, index: std::sync::Arc<ToolIndex>) -> Self {
        ToolMatcher { catalog, index }
    }

    /// The catalog this matcher was compiled from.
    pub fn catalog(&self) -> &'a Catalog {
        self.catalog
    }

    fn spec(&self, i: usize) -> &ToolSpec {
        &self.catalog.tools[i]
    }

    fn hit(&self, i: usize, via: Via, matched: String, excluded: Option<String>) -> ToolMatch {
        let spec = self.spec(i);
        ToolMatch {
            tool: spec.id.clone(),
            name: spec.name.clone().unwrap_or_else(|| spec.id.clone()),
            categories: self.categories[i].clone(),
            via,
            matched,
            excluded,
            line: None,
            judgement: spec
                .described
                .as_ref()
                .map(|d| format!("it cannot be read offline; the catalog describes it: {d}")),
        }
    }

    /// A run of catalog tool `id` that something other than a command shows (a linter
    /// enabled in a linter runner's configuration), if the catalog knows the tool.
    pub fn use_of(&self, id: &str, matched: &str) -> Option<ToolMatch> {
        let i = *self.by_id.get(id)?;
        Some(self.hit(i, Via::Run, matched.to_string(), None))
    }

    /// The catalog entry of tool `id`, looked up by id.
    pub fn spec_of(&self, id: &str) -> Option<&'a ToolSpec> {
        self.by_id.get(id).map(|&i| &self.catalog.tools[i])
    }

    /// Tool uses of one simple command (words as split by [`crate::shell`]).
    pub fn match_command(&self, words: &[String]) -> Vec<ToolMatch> {
        let words = self.unwrap(words);
        let Some(first) = words.first() else {
            return Vec::new();
        };
        // `go run example.com/cmd/tool@v1.2`, `npx eslint@9`: the version is not the name.
        let cmd = command_name(first).to_ascii_lowercase();
        let cmd = match cmd.split_once('@') {
            Some((name, _)) if !name.is_empty() => name.to_string(),
            _ => cmd,
        };
        let args: Vec<&String> = words[1..]
            .iter()
            .filter(|w| !is_flag(w) && !is_assignment(w))
            .collect();
        let text = words.join(" ");
        let mut out: Vec<ToolMatch> = Vec::new();
        let target_runner = TARGET_RUNNERS.contains(&cmd.as_str());
        let by_path = path_key(&first.to_ascii_lowercase()).and_then(|k| self.run.get(&k));
        let by_name = self.run.get(&cmd);
        // A script run by path (`buildscripts/test.sh`) or by its interpreter
        // (`python runtests.py`, `pwsh ./build.ps1`), known only by its file name.
        let script = if path_key(first).is_some() {
            Some(first.as_str())
        } else if SCRIPT_INTERPRETERS.contains(&cmd.as_str()) {
            args.first().map(|a| a.as_str())
        } else {
            None
        };
        let by_file_name = script
            .filter(|s| !s.contains('$'))
            .and_then(|s| s.rsplit(['/', '\\']).next())
            .and_then(|name| self.run.get(&format!("*/{}", name.to_ascii_lowercase())));
        if let Some(patterns) = by_file_name {
            for p in patterns {
                let id = &self.spec(p.tool).id;
                if !out.iter().any(|m| &m.tool == id) {
                    let name = script.unwrap_or_default();
                    out.push(
                        self.hit(p.tool, Via::Run, text.clone(), None)
                            .judged(format!(
                                "`{name}` is judged by its file name; what it runs is not known"
                            )),
                    );
                }
            }
        }
        for patterns in [by_name, by_path].into_iter().flatten() {
            for p in patterns {
                // A pattern's options (`cmake --build`, `rpm --addsign`) are looked for
                // among the command's options, its other words among its arguments.
                let (options, positional): (Vec<&String>, Vec<&String>) =
                    p.args.iter().partition(|a| is_flag(a));
                if !args_match(&positional, &args, target_runner)
                    || !options
                        .iter()
                        .all(|o| words[1..].iter().any(|w| has_arg(w, o)))
                {
                    continue;
                }
                let spec = self.spec(p.tool);
                if !spec
                    .run_args
                    .iter()
                    .all(|a| words[1..].iter().any(|w| has_arg(w, a)))
                {
                    continue;
                }
                if spec
                    .not_args
                    .iter()
                    .any(|a| words[1..].iter().any(|w| has_arg(w, a)))
                {
                    continue;
                }
                if !spec.last_arg.is_empty()
                    && !args
                        .last()
                        .is_some_and(|l| spec.last_arg.iter().any(|p| word_matches(p, l)))
                {
                    continue;
                }
                if !out.iter().any(|m| m.tool == spec.id) {
                    out.push(self.hit(p.tool, Via::Run, text.clone(), None));
                }
            }
        }
        // `docker run IMAGE ...` runs the image's tool.
        if matches!(cmd.as_str(), "docker" | "podman" | "nerdctl")
            && args.first().is_some_and(|a| a.as_str() == "run")
        {
            for a in &args[1..] {
                for m in self.match_image(a) {
                    if !out.iter().any(|o| o.tool == m.tool) {
                        out.push(ToolMatch {
                            via: Via::Run,
                            matched: text.clone(),
                            ..m
                        });
                    }
                }
            }
        }
        // `docker run ... IMAGE /usr/local/bin/test_lint.sh`: the container's command runs.
        if let Some(inner) = container_command(&words) {
            for m in self.match_command(inner) {
                if !out.iter().any(|o| o.tool == m.tool) {
                    out.push(ToolMatch {
                        matched: text.clone(),
                        ..m
                    });
                }
            }
        }
        // Mentions that do not run anything.
        let installer = self.installer_of(&words);
        let mut mentioned: Vec<usize> = Vec::new();
        for w in &words[1..] {
            for token in w
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .filter(|t| !t.is_empty())
            {
                let lower = token.to_ascii_lowercase();
                if let Some(&i) = self.distinctive.get(&lower) {
                    let id = &self.spec(i).id;
                    if out.iter().any(|m| &m.tool == id) || mentioned.contains(&i) {
                        continue;
                    }
                    mentioned.push(i);
                    let reason = match &installer {
                        Some(inst) => format!("`{token}` is installed or downloaded by `{inst}`, never run by this command"),
                        None => format!("`{token}` only appears in an argument of `{cmd}`; the tool is not run"),
                    };
                    out.push(self.hit(i, Via::Run, text.clone(), Some(reason)));
                }
            }
        }
        out
    }

    /// Tool uses of a step reference (`owner/repo/path@ref`, an orb, a task) with its
    /// inputs.
    pub fn match_uses(&self, reference: &str, with: &BTreeMap<String, String>) -> Vec<ToolMatch> {
        let path = reference
            .split('@')
            .next()
            .unwrap_or(reference)
            .trim()
            .to_ascii_lowercase();
        let mut out: Vec<ToolMatch> = Vec::new();
        if let Some(image) = path.strip_prefix("docker://") {
            out.extend(self.match_image(image).into_iter().map(|m| ToolMatch {
                via: Via::Uses,
                ..m
            }));
            return out;
        }
        let mut known = false;
        for p in &self.uses {
            let prefix_ok = path == p.prefix
                || (path.starts_with(&p.prefix) && path[p.prefix.len()..].starts_with('/'));
            if !prefix_ok {
                continue;
            }
            // A sub-action that installs the tool (`anchore/sbom-action/download-syft`,
            // `.../setup-x`, `.../install`) does not run it.
            let installs = path[p.prefix.len()..]
                .rsplit('/')
                .next()
                .is_some_and(|last| {
                    last.starts_with("download")
                        || last.starts_with("install")
                        || last.starts_with("setup")
                        || last.ends_with("-installer")
                });
            if path != p.prefix && installs {
                continue;
            }
            let with_ok = p
                .with
                .iter()
                .all(|(k, re)| with.get(k).is_some_and(|v| re.is_match(v.trim())))
                && !p
                    .without
                    .iter()
                    .any(|(k, re)| with.get(k).is_some_and(|v| re.is_match(v.trim())));
            // The catalog knows this reference: its inputs decide, not its name.
            known = true;
            if !with_ok {
                continue;
            }
            let id = &self.spec(p.tool).id;
            if !out.iter().any(|m| &m.tool == id) {
                out.push(self.hit(p.tool, Via::Uses, reference.to_string(), None));
            }
        }
        // Remote references only: a local action is read, not guessed from its name.
        if out.is_empty() && !known && !path.starts_with("./") && path.matches('/').count() >= 1 {
            out = self.match_uses_name(
                reference,
                format!("`{reference}` cannot be read offline; it is known only by its name"),
            );
        }
        out
    }

    /// Tool uses of an action known only by its name (the last segment of its path), as
    /// judged evidence with `why`: a remote action, or a local one that an earlier step
    /// puts in place when the job runs.
    pub fn match_uses_name(&self, reference: &str, why: String) -> Vec<ToolMatch> {
        let path = reference
            .split('@')
            .next()
            .unwrap_or(reference)
            .trim()
            .trim_end_matches('/')
            .to_ascii_lowercase();
        let last = path.rsplit('/').next().unwrap_or("");
        self.uses_names
            .iter()
            .filter(|p| p.name.is_match(last))
            .map(|p| {
                self.hit(p.tool, Via::Uses, reference.to_string(), None)
                    .judged(why.clone())
            })
            .collect()
    }

    /// Tool uses of a container image reference (`aquasec/trivy:0.50`).
    pub fn match_image(&self, image: &str) -> Vec<ToolMatch> {
        let norm = normalise_image(image);
        if norm.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<ToolMatch> = Vec::new();
        for (i, pat) in &self.images {
            if &norm == pat || norm.ends_with(&format!("/{pat}")) {
                let id = &self.spec(*i).id;
                if !out.iter().any(|m| &m.tool == id) {
                    out.push(self.hit(*i, Via::Image, image.to_string(), None));
                }
            }
        }
        out
    }

    /// Tool uses of a GitLab CI/CD component the catalog does not list, by its name (the
    /// last segment of its path: `release-service` of `GNOME/citemplates/release-service`).
    pub fn match_component_name(&self, component: &str) -> Vec<ToolMatch> {
        let path = component.split('@').next().unwrap_or(component).trim();
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        self.component_names
            .iter()
            .filter(|p| p.name.is_match(&name))
            .map(|p| {
                self.hit(p.tool, Via::Template, component.to_string(), None)
                    .judged(format!(
                        "component `{path}` cannot be read offline; it is known only by its name"
                    ))
            })
            .collect()
    }

    /// The tool whose command is the distinctive word `name` (`gitleaks`, `semgrep`), for
    /// a component of another repository named after it (a CircleCI orb job
    /// `secops/gitleaks`): a judgement, since the component cannot be read.
    pub fn match_tool_named(&self, name: &str, reference: &str) -> Vec<ToolMatch> {
        let lower = name.to_ascii_lowercase();
        self.distinctive
            .get(&lower)
            .map(|&i| {
                self.hit(i, Via::Uses, reference.to_string(), None).judged(format!(
                    "`{reference}` cannot be read offline; it is taken to run `{lower}`, the tool it is named after"
                ))
            })
            .into_iter()
            .collect()
    }

    /// The jobs a template or component that runs `tool` defines (catalog `jobs:`).
    pub fn template_job_names(&self, tool: &str) -> &[String] {
        self.catalog.tool(tool).map_or(&[], |t| t.jobs.as_slice())
    }

    /// Tool uses of a provider template (GitLab `include: template:`).
    pub fn match_template(&self, template: &str) -> Vec<ToolMatch> {
        let t = template.trim().to_ascii_lowercase();
        self.templates
            .iter()
            .filter(|(_, pat)| &t == pat || t.ends_with(&format!("/{pat}")))
            .map(|(i, _)| self.hit(*i, Via::Template, template.to_string(), None))
            .collect()
    }

    /// Removes leading assignments and wrapper commands.
    fn unwrap(&self, words: &[String]) -> Vec<String> {
        let mut w: Vec<String> = words.to_vec();
        for _ in 0..6 {
            while w.first().is_some_and(|x| is_assignment(x)) {
                w.remove(0);
            }
            let Some(first) = w.first().map(|f| command_name(f).to_ascii_lowercase()) else {
                break;
            };
            let mut changed = false;
            // `find deploy -type f -exec gpg --detach-sign {} \;`: the command `-exec`
            // runs, up to its terminator (find's own predicates come in any order).
            if first == "find" {
                let exec = w
                    .iter()
                    .position(|x| matches!(x.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir"));
                if let Some(i) = exec {
                    let run: Vec<String> = w[i + 1..]
                        .iter()
                        .take_while(|x| !matches!(x.as_str(), ";" | "\\;" | "+"))
                        .cloned()
                        .collect();
                    if !run.is_empty() {
                        w = run;
                        continue;
                    }
                }
            }
            for wrapper in &self.wrappers {
                if starts_with_words(&first, &w, &wrapper.prefix) {
                    w.drain(..wrapper.prefix.len());
                    while w.first().is_some_and(|x| is_flag(x) || is_assignment(x)) {
                        let flag = w.remove(0).to_ascii_lowercase();
                        if wrapper.value_flags.contains(&flag) && !w.is_empty() {
                            w.remove(0);
                        }
                    }
                    changed = true;
                    break;
                }
            }
            if !changed {
                break;
            }
        }
        w
    }

    fn installer_of(&self, words: &[String]) -> Option<String> {
        let first = command_name(words.first()?).to_ascii_lowercase();
        let rest: Vec<&String> = words[1..].iter().filter(|x| !is_flag(x)).collect();
        for inst in &self.installers {
            if inst.first() != Some(&first) {
                continue;
            }
            if inst[1..]
                .iter()
                .zip(rest.iter())
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
                && rest.len() >= inst.len() - 1
            {
                return Some(inst.join(" "));
            }
        }
        None
    }
}

/// `./scripts/test.sh` and `scripts/test.sh` → `./scripts/test.sh`: the key of a run
/// pattern written as a path; `None` for a bare command name.
fn path_key(word: &str) -> Option<String> {
    let rest = word.strip_prefix("./").unwrap_or(word);
    (word.contains('/') && !word.starts_with('/') && !rest.is_empty()).then(|| format!("./{rest}"))
}

fn split_words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// The command a `docker run` (or podman, nerdctl) runs in its container: the words
/// after the image, past the options and their values.
fn container_command(words: &[String]) -> Option<&[String]> {
    // Options that take a value as the next word (`-v src:dst`, `--network host`).
    const VALUE_OPTIONS: &[&str] = &[
        "-a",
        "-c",
        "-e",
        "-h",
        "-l",
        "-m",
        "-p",
        "-u",
        "-v",
        "-w",
        "--add-host",
        "--attach",
        "--cap-add",
        "--cap-drop",
        "--cgroupns",
        "--cidfile",
        "--cpus",
        "--cpu-shares",
        "--device",
        "--dns",
        "--entrypoint",
        "--env",
        "--env-file",
        "--expose",
        "--gpus",
        "--group-add",
        "--hostname",
        "--ipc",
        "--label",
        "--link",
        "--log-driver",
        "--log-opt",
        "--memory",
        "--mount",
        "--name",
        "--net",
        "--network",
        "--pid",
        "--platform",
        "--publish",
        "--pull",
        "--restart",
        "--runtime",
        "--security-opt",
        "--shm-size",
        "--stop-signal",
        "--tmpfs",
        "--ulimit",
        "--user",
        "--userns",
        "--uts",
        "--volume",
        "--volumes-from",
        "--workdir",
    ];
    let first = command_name(words.first()?).to_ascii_lowercase();
    if !matches!(first.as_str(), "docker" | "podman" | "nerdctl") || words.get(1)? != "run" {
        return None;
    }
    let mut i = 2;
    while let Some(w) = words.get(i) {
        if !w.starts_with('-') {
            // The image; what follows is the container's command.
            let rest = &words[i + 1..];
            return (!rest.is_empty()).then_some(rest);
        }
        let takes_value =
            !w.contains('=') && VALUE_OPTIONS.contains(&w.to_ascii_lowercase().as_str());
        i += if takes_value { 2 } else { 1 };
    }
    None
}

/// Whether `words` (whose first word's command name, lower-cased, is `first`) start
/// with the wrapper `prefix` and have a command after it.
fn starts_with_words(first: &str, words: &[String], prefix: &[String]) -> bool {
    words.len() > prefix.len()
        && prefix.first().is_some_and(|p| p == first)
        && prefix[1..]
            .iter()
            .zip(&words[1..])
            .all(|(p, w)| w.eq_ignore_ascii_case(p))
}

/// Pattern arguments must follow in order among the first arguments of the command
/// (options may take values, as in `kubectl -n prod apply`); target runners such as
/// `make` accept their targets in any position.
fn args_match(pattern: &[&String], args: &[&String], target_runner: bool) -> bool {
    if pattern.is_empty() {
        return true;
    }
    if target_runner {
        return pattern
            .iter()
            .all(|p| args.iter().any(|a| word_matches(p, a)));
    }
    let window = &args[..args.len().min(pattern.len() + 1)];
    let mut it = window.iter();
    pattern.iter().all(|p| it.any(|a| word_matches(p, a)))
}

/// A pattern word matches an argument case-insensitively; a trailing `*` matches any
/// continuation (`test*` matches `test-coverage`, `tests`).
fn word_matches(pattern: &str, arg: &str) -> bool {
    // `*test*`: the word contains it (`unitTests-only`, `test:e2e`).
    if let Some(inner) = pattern.strip_prefix('*').and_then(|p| p.strip_suffix('*')) {
        return !inner.is_empty() && arg.to_ascii_lowercase().contains(inner);
    }
    match pattern.strip_suffix('*') {
        Some(prefix) => arg
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix)),
        None => arg.eq_ignore_ascii_case(pattern),
    }
}

fn has_arg(word: &str, wanted: &str) -> bool {
    // A `key=value` argument (`type=sbom`) may be followed by more settings
    // (`type=provenance,mode=max`) or glued to its option (`--attest=type=sbom`).
    let setting = wanted.contains('=') && !wanted.starts_with('-');
    let is_setting = |v: &str| v == wanted || v.starts_with(&format!("{wanted},"));
    word.split_whitespace().any(|t| {
        t == wanted
            || (wanted.ends_with('=') && t.starts_with(wanted))
            || t.starts_with(&format!("{wanted}="))
            || (setting && is_setting(t))
            || (setting
                && t.starts_with("--")
                && t.split_once('=').is_some_and(|(_, v)| is_setting(v)))
    })
}

/// `docker.io/library/alpine:3@sha256:..` → `alpine`; `ghcr.io/x/y:1` → `ghcr.io/x/y`.
pub fn normalise_image(image: &str) -> String {
    let image = image.trim().trim_matches('"').trim_matches('\'');
    let no_digest = image.split('@').next().unwrap_or(image);
    // A tag is a `:` after the last `/` (a `:` before it is a registry port).
    let no_tag = match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    };
    let mut s = no_tag.to_ascii_lowercase();
    for prefix in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    if let Some(rest) = s.strip_prefix("library/") {
        s = rest.to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        serde_saphyr::from_str(
            r#"
categories:
  container-scan: {description: c, implies: [security-scan]}
  security-scan: {description: s}
  dependency-scan: {description: d, implies: [security-scan]}
  test: {description: t}
  publish: {description: p}
  reproducible-build: {description: r}
wrappers: [sudo, npx, "uv run", "python -m"]
installers: ["pip install", "go install", curl]
tools:
  - {id: trivy, categories: [container-scan], run: [trivy], uses: [aquasecurity/trivy-action], images: [aquasec/trivy]}
  - {id: cargo-audit, categories: [dependency-scan], run: ["cargo audit", cargo-audit]}
  - {id: checkov, categories: [container-scan], run: [checkov]}
  - {id: codeql, categories: [container-scan], run: [codeql], uses: [github/codeql-action/analyze]}
  - {id: make-test, categories: [test], run: ["make test", "make test-*"]}
  - {id: kubectl-apply, categories: [publish], run: ["kubectl apply"]}
  - {id: docker-push-action, categories: [publish], uses: [docker/build-push-action], with: {push: "^(true|\\$\\{\\{.*\\}\\})$"}}
  - {id: named-publish, categories: [publish], uses_name: ["^(publish|deploy)([-_].*)?$"]}
  - {id: go-trimpath, categories: [reproducible-build], run: ["go build"], run_args: [-trimpath]}
  - {id: pytest, categories: [test], run: [pytest]}
  - {id: gpg-sign, categories: [publish], run: ["gpg --detach-sign", "gpg -b"]}
  - {id: cmake-build, categories: [test], run: ["cmake --build"]}
  - {id: bucket-upload, categories: [publish], run: ["aws s3 cp", "aws s3 sync"], last_arg: ["s3://*"]}
  - {id: goreleaser, categories: [publish], run: ["goreleaser release"], not_args: [--snapshot], uses: [goreleaser/goreleaser-action], with: {args: "(^|\\s)release(\\s|$)"}, without: {args: "--snapshot"}}
"#,
        )
        .expect("catalog")
    }

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn run_ids(m: &ToolMatcher, s: &str) -> Vec<(String, bool)> {
        m.match_command(&w(s))
            .into_iter()
            .map(|t| (t.tool, t.excluded.is_none()))
            .collect()
    }

    #[test]
    fn commands_run_tools() {
        let c = catalog();
        let m = ToolMatcher::new(&c);
        assert_eq!(
            run_ids(&m, "./bin/trivy image app:1"),
            vec![("trivy".into(), true)]
        );
        assert_eq!(run_ids(&m, "sudo trivy fs ."), vec![("trivy".into(), true)]);
        assert_eq!(
            run_ids(&m, "cargo +nightly audit --deny warnings"),
            vec![("cargo-audit".into(), true)]
        );
        assert_eq!(
            run_ids(&m, "make lint test"),
            vec![("make-test".into(), true)]
        );
        assert_eq!(
            run_ids(&m, "kubectl -n prod apply -f k8s/"),
            vec![("kubectl-apply".into(), true)]
        );
        assert_eq!(
            run_ids(&m, "uv run pytest -q"),
            vec![("pytest".into(), true)]
        );
        assert_eq!(
            run_ids(&m, "python -m pytest"),
            vec![("pytest".into(), true)]
        );
        assert_eq!(
            run_ids(&m, "docker run --rm -v x:/src aquasec/trivy:0.50 fs /src"),
            vec![("trivy".into(), true)]
        );
        let t = &m.match_command(&w("trivy image x"))[0];
        assert!(t.categories.contains(&"security-scan".to_string()));
    }

    /// A pattern's options are found among the command's options, wherever they are;
    /// `find -exec` runs the command after it.
    #[test]
    fn options_in_patterns_and_commands_run_by_find() {
        let c = catalog();
        let m = ToolMatcher::new(&c);
        let ids =
            |s: &str| -> Vec<String> { run_ids(&m, s).into_iter().map(|(id, _)| id).collect() };
        assert_eq!(
            ids("gpg --batch --armor --detach-sign dist/app.tar.gz"),
            ["gpg-sign"]
        );
        assert_eq!(ids("gpg -b app.tar.gz"), ["gpg-sign"]);
        assert!(ids("gpg --armor --export KEYID").is_empty());
        assert_eq!(ids("cmake --build build --parallel 4"), ["cmake-build"]);
        assert!(ids("cmake -S . -B build").is_empty());
        assert_eq!(
            ids(r"find deploy ( ! -name *.txt ) -type f -exec gpg --armor --detach-sign {} ;"),
            ["gpg-sign"]
        );
        assert!(ids(r"find deploy -type f -exec sha256sum {} ;").is_empty());
        assert!(ids("find . -name gpg").is_empty());
    }

    #[test]
    fn last_argument_tells_uploads_from_downloads() {
        let c = catalog();
        let m = ToolMatcher::new(&c);
        assert_eq!(
            run_ids(&m, "aws s3 sync --delete ./build s3://docs-site/"),
            vec![("bucket-upload".into(), true)]
        );
        assert_eq!(run_ids(&m, "aws s3 cp s3://models/x.bin ./cache"), vec![]);
        assert_eq!(run_ids(&m, "aws s3 ls s3://docs-site/"), vec![]);
    }

    #[test]
    fn vetoing_flags_and_inputs() {
        let c = catalog();
        let m = ToolMatcher::new(&c);
        assert_eq!(
            run_ids(&m, "goreleaser release --clean"),
            vec![("goreleaser".into(), true)]
        );
        assert_eq!(run_ids(&m, "goreleaser release --snapshot --clean"), vec![]);
        let with = |args: &str| BTreeMap::from([("args".to_string(), args.to_string())]);
        let uses = |args: &str| {
            m.match_uses("goreleaser/goreleaser-action@v6", &with(args))
                .len()
        };
        assert_eq!(uses("release --clean"), 1);
        assert_eq!(uses("check"), 0);
        assert_eq!(uses("release --snapshot"), 0);
    }

    #[test]
    fn mentions_do_not_run_tools() {
        let c = catalog();
        let m = ToolMatcher::new(&c);
        assert_eq!(
            run_ids(&m, "pip install checkov"),
            vec![("checkov".into(), false)]
        );
        assert_eq!(
            run_ids(&m, "rm -rf /opt/hostedtoolcache/CodeQL"),
            vec![("codeql".into(), false)]
        );
        assert_eq!(
            run_ids(&m, "echo run\\ trivy"),
            vec![("trivy".into(), false)]
        );
        assert!(run_ids(&m, "cargo build --release").is_empty());
        assert!(run_ids(&m, "make build").is_empty());
        assert!(run_ids(&m, "go build ./...").is_empty());
        assert_eq!(
            run_ids(&m, "go build -trimpath ./..."),
            vec![("go-trimpath".into(), true)]
        );
    }

    #[test]
    fn uses_and_inputs() {
        let c = catalog();
        let m = ToolMatcher::new(&c);
        let none = BTreeMap::new();
        assert_eq!(
            m.match_uses("aquasecurity/trivy-action@0.28.0", &none)
                .len(),
            1
        );
        assert_eq!(
            m.match_uses("github/codeql-action/analyze@v3", &none).len(),
            1
        );
        assert!(m
            .match_uses("github/codeql-action-extra@v3", &none)
            .is_empty());
        assert!(m
            .match_uses("docker/build-push-action@v6", &none)
            .is_empty());
        let mut with = BTreeMap::new();
        with.insert(
            "push".to_string(),
            "${{ github.event_name != 'pull_request' }}".to_string(),
        );
        assert_eq!(m.match_uses("docker/build-push-action@v6", &with).len(), 1);
        with.insert("push".to_string(), "false".to_string());
        assert!(m
            .match_uses("docker/build-push-action@v6", &with)
            .is_empty());
        assert_eq!(
            m.match_uses("docker://aquasec/trivy:latest", &none).len(),
            1
        );
    }

    #[test]
    fn image_names() {
        assert_eq!(
            normalise_image("docker.io/library/alpine:3.20@sha256:abc"),
            "alpine"
        );
        assert_eq!(
            normalise_image("registry:5000/team/app"),
            "registry:5000/team/app"
        );
        assert_eq!(normalise_image("ghcr.io/x/y:1"), "ghcr.io/x/y");
    }
}
