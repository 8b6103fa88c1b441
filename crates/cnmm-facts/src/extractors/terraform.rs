//! Infrastructure as code: Terraform/OpenTofu (`.tf`, `.tofu`), Pulumi, CloudFormation,
//! CDK and Ansible.
//!
//! HCL is read by a block scanner, not an evaluator: it tokenises strings (with `${}`
//! interpolation), heredocs and the three comment styles, and rebuilds the real block
//! structure with lines. Each top-level `resource`/`data`/`module` block becomes an
//! `iac.block` fact whose literal settings (nested blocks included, as dotted keys) are
//! listed so rules can ask for `enabled_cluster_log_types=audit` or
//! `management.auto_repair=true`. Which resource types matter is the rules' business.
//! The hcl-rs crate was not used: its parsed body carries no line numbers.

use super::{file_name, mark_excluded, parent_dir, Ctx, Extractor, FileInput, Output};
use crate::yaml::Node;
use cnmm_model::{attr, AttrType as T, Diagnostic, Fact, FactKindSpec, FactSource, Location};

pub struct Terraform;

static KINDS: &[FactKindSpec] = &[
    FactKindSpec {
        name: "iac.block",
        source: FactSource::Files,
        description: "A Terraform/OpenTofu resource, data or module block.",
        attrs: &[
            attr("block", T::Str, "resource, data or module."),
            attr("type", T::Str, "The resource or data type (aws_cloudtrail, ...); for modules, the module name."),
            attr("name", T::Str, "The block's name label."),
            attr("settings", T::List, "Literal settings as key=value, nested blocks as dotted keys, one entry per element of a list of strings."),
            attr("module_dir", T::Str, "When the file sits in modules/<name>/: that directory."),
            attr("published_module", T::Bool, "The file belongs to a published Terraform module (its directory, or the module whose modules/ it sits in, has an examples/ directory with .tf files, the registry's standard module structure): its resources are what it creates for its users, not this repository's own setup."),
        ],
    },
    FactKindSpec {
        name: "iac.project",
        source: FactSource::Files,
        description: "An infrastructure-as-code project other than Terraform.",
        attrs: &[
            attr("tool", T::Str, "pulumi, cloudformation, cdk or ansible."),
            attr("resources", T::Int, "CloudFormation resources, Ansible plays or tasks; 0 when not countable."),
        ],
    },
];

impl Extractor for Terraform {
    fn name(&self) -> &'static str {
        "terraform"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        name.ends_with(".tf")
            || name.ends_with(".tofu")
            || matches!(name, "Pulumi.yaml" | "Pulumi.yml" | "cdk.json")
            || cloudformation_candidate(name)
            || ansible_candidate(path)
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let name = file_name(path);
        let mut facts = Vec::new();
        if name.ends_with(".tf") || name.ends_with(".tofu") {
            let published = published_module(path, ctx);
            let scanned = scan_hcl(input.text);
            if let Some((line, msg)) = scanned.error {
                out.diagnostics.push(Diagnostic::error(
                    path,
                    Some(line),
                    format!("unreadable HCL: {msg}; blocks after this point were not read"),
                ));
            }
            let module_dir = module_dir(path);
            for b in scanned.blocks {
                let mut f = Fact::new(
                    "iac.block",
                    Location::at(path, b.line),
                    format!("{} {}", b.kind, b.labels.join(".")),
                )
                .attr("block", b.kind.as_str())
                .attr("settings", b.settings)
                .attr("published_module", published);
                if let Some(t) = b.labels.first() {
                    f.set("type", t.as_str());
                }
                if let Some(n) = b.labels.get(1) {
                    f.set("name", n.as_str());
                }
                if let Some(m) = &module_dir {
                    f.set("module_dir", m.as_str());
                }
                facts.push(f);
            }
        } else if matches!(name, "Pulumi.yaml" | "Pulumi.yml" | "cdk.json") {
            let parsed = input.yaml();
            let doc = parsed.documents.first();
            let key = if name == "cdk.json" { "app" } else { "runtime" };
            match doc.and_then(|d| d.entry(key)) {
                Some((k, _)) => facts.push(
                    Fact::new(
                        "iac.project",
                        Location::at(path, k.line),
                        format!("{} project", if key == "app" { "CDK" } else { "Pulumi" }),
                    )
                    .attr("tool", if key == "app" { "cdk" } else { "pulumi" })
                    .attr("resources", 0usize),
                ),
                None => out.diagnostics.push(Diagnostic::warning(
                    path,
                    parsed.error.as_ref().map(|e| e.line),
                    format!("no `{key}:` here; not read as an infrastructure project"),
                )),
            }
        } else {
            let parsed = input.yaml();
            for doc in &parsed.documents {
                facts.extend(cloudformation(doc, path));
                if ansible_candidate(path) {
                    facts.extend(ansible(doc, path));
                }
            }
        }
        for f in facts {
            out.facts.push(mark_excluded(f, input));
        }
    }
}

fn cloudformation_candidate(name: &str) -> bool {
    name.ends_with(".template")
        || name.ends_with(".cfn.yaml")
        || name.ends_with(".cfn.yml")
        || name.ends_with(".cfn.json")
        || name.ends_with(".template.json")
        || name.ends_with(".template.yaml")
        || ((name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
            && (name.contains("cloudformation")
                || name.contains("stack")
                || name.contains("template")))
}

fn ansible_candidate(path: &str) -> bool {
    let name = file_name(path);
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    yaml && (name.starts_with("playbook")
        || name == "site.yml"
        || name == "site.yaml"
        || (parent_dir(path).ends_with("/tasks") && path.contains("roles/")))
}

fn cloudformation(doc: &Node, path: &str) -> Option<Fact> {
    let resources = doc.get("Resources")?;
    let typed = resources
        .as_map()
        .iter()
        .filter(|(_, r)| {
            r.get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.contains("::"))
        })
        .count();
    let declared = doc.get("AWSTemplateFormatVersion").is_some();
    if typed == 0 && !declared {
        return None;
    }
    let line = doc
        .entry("AWSTemplateFormatVersion")
        .or_else(|| doc.entry("Resources"))
        .map_or(1, |(k, _)| k.line);
    Some(
        Fact::new(
            "iac.project",
            Location::at(path, line),
            format!("CloudFormation template with {typed} resources"),
        )
        .attr("tool", "cloudformation")
        .attr("resources", typed),
    )
}

fn ansible(doc: &Node, path: &str) -> Option<Fact> {
    let items = doc.as_seq();
    let plays = items
        .iter()
        .filter(|p| p.get("hosts").is_some() || p.get("import_playbook").is_some())
        .count();
    let tasks = items
        .iter()
        .filter(|t| t.get("name").is_some() || t.as_map().len() == 1)
        .count();
    let is_role_tasks = parent_dir(path).ends_with("/tasks");
    let n = if is_role_tasks { tasks } else { plays };
    (n > 0).then(|| {
        Fact::new(
            "iac.project",
            Location::at(path, items.first().map_or(1, |i| i.line)),
            format!(
                "Ansible {} ({n})",
                if is_role_tasks {
                    "role tasks"
                } else {
                    "playbook"
                }
            ),
        )
        .attr("tool", "ansible")
        .attr("resources", n)
    })
}

/// Whether the directory of `path`, or the module whose `modules/` holds it, ships
/// `examples/` with Terraform files: the standard structure of a published module.
fn published_module(path: &str, ctx: &Ctx) -> bool {
    let dir = parent_dir(path);
    let mut roots = vec![dir.to_string()];
    let parts: Vec<&str> = dir.split('/').collect();
    if let Some(i) = parts.iter().rposition(|p| *p == "modules") {
        roots.push(parts[..i].join("/"));
    }
    roots.iter().any(|root| {
        let prefix = if root.is_empty() {
            "examples/".to_string()
        } else {
            format!("{root}/examples/")
        };
        ctx.files_with_prefix(&prefix)
            .iter()
            .any(|f| f.path.ends_with(".tf") || f.path.ends_with(".tofu"))
    })
}

/// `modules/<name>` (at any depth) when the path sits in one.
fn module_dir(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let i = parts.iter().position(|p| *p == "modules")?;
    (i + 2 < parts.len()).then(|| parts[..i + 2].join("/"))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// Anything else that can be a value (numbers, operators, heredoc bodies).
    Other,
    Open(char),
    Close(char),
    Eq,
    Newline,
}

struct Lexed {
    toks: Vec<(Tok, u32)>,
    error: Option<(u32, String)>,
}

fn lex(text: &str) -> Lexed {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut line = 1u32;
    let mut i = 0usize;
    let n = chars.len();
    let fail = |toks, line, msg: &str| Lexed {
        toks,
        error: Some((line, msg.to_string())),
    };
    while i < n {
        let c = chars[i];
        match c {
            '\n' => {
                toks.push((Tok::Newline, line));
                line += 1;
                i += 1;
            }
            '#' => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let start = line;
                i += 2;
                while i < n && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if i >= n {
                    return fail(toks, start, "unterminated /* comment");
                }
                i += 2;
            }
            '"' => {
                let start = line;
                let mut s = String::new();
                i += 1;
                // Interpolations may nest strings: `"${lookup(var.m, "k")}"`.
                let mut interp = 0usize;
                loop {
                    let Some(&ch) = chars.get(i) else {
                        return fail(toks, start, "unterminated string");
                    };
                    match ch {
                        '\\' => {
                            if let Some(&e) = chars.get(i + 1) {
                                s.push(e);
                            }
                            i += 2;
                            continue;
                        }
                        '$' | '%' if chars.get(i + 1) == Some(&'{') => {
                            interp += 1;
                            s.push(ch);
                            s.push('{');
                            i += 2;
                            continue;
                        }
                        '}' if interp > 0 => interp -= 1,
                        '"' if interp == 0 => break,
                        '\n' if interp == 0 => {
                            return fail(toks, start, "unterminated string");
                        }
                        '\n' => line += 1,
                        _ => {}
                    }
                    s.push(ch);
                    i += 1;
                }
                i += 1;
                toks.push((Tok::Str(s), start));
            }
            '<' if chars.get(i + 1) == Some(&'<') => {
                let start = line;
                let mut j = i + 2;
                if chars.get(j) == Some(&'-') {
                    j += 1;
                }
                let marker: String = chars[j..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_')
                    .collect();
                if marker.is_empty() {
                    toks.push((Tok::Other, line));
                    i += 2;
                    continue;
                }
                // Skip to the end of the line, then to a line that is the marker.
                i = j + marker.chars().count();
                loop {
                    while i < n && chars[i] != '\n' {
                        i += 1;
                    }
                    if i >= n {
                        return fail(toks, start, "unterminated heredoc");
                    }
                    i += 1;
                    line += 1;
                    let mut k = i;
                    while k < n && chars[k] != '\n' {
                        k += 1;
                    }
                    let body_line: String = chars[i..k].iter().collect();
                    if body_line.trim() == marker {
                        i = k;
                        break;
                    }
                }
                toks.push((Tok::Other, start));
            }
            '{' | '[' | '(' => {
                toks.push((Tok::Open(c), line));
                i += 1;
            }
            '}' | ']' | ')' => {
                toks.push((Tok::Close(c), line));
                i += 1;
            }
            '=' if chars.get(i + 1) != Some(&'=') && chars.get(i + 1) != Some(&'>') => {
                toks.push((Tok::Eq, line));
                i += 1;
            }
            c if c.is_alphabetic() || c == '_' => {
                let s: String = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                    .collect();
                i += s.chars().count();
                toks.push((Tok::Ident(s), line));
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                let s: String = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
                    .collect();
                i += s.chars().count().max(1);
                toks.push((Tok::Other, line));
            }
        }
    }
    Lexed { toks, error: None }
}

#[derive(Debug)]
struct Block {
    kind: String,
    labels: Vec<String>,
    line: u32,
    settings: Vec<String>,
}

struct Scanned {
    blocks: Vec<Block>,
    error: Option<(u32, String)>,
}

fn scan_hcl(text: &str) -> Scanned {
    let lexed = lex(text);
    let mut blocks = Vec::new();
    let mut pos = 0usize;
    let toks = &lexed.toks;
    let mut error = None;
    while pos < toks.len() {
        match body_statement(toks, pos, "", 0) {
            Statement::Block {
                next,
                kind,
                labels,
                line,
                settings,
            } => {
                if matches!(kind.as_str(), "resource" | "data" | "module") {
                    blocks.push(Block {
                        kind,
                        labels,
                        line,
                        settings,
                    });
                }
                pos = next;
            }
            Statement::Skip(next) => pos = next,
            Statement::End(line) => {
                error = Some((line, "unbalanced closing brace".to_string()));
                pos += 1;
            }
            Statement::Unclosed(line) => {
                error = Some((line, "block is never closed".to_string()));
                break;
            }
        }
    }
    // A lexer error is earlier in the file than anything the scanner could report.
    Scanned {
        blocks,
        error: lexed.error.or(error),
    }
}

enum Statement {
    Block {
        next: usize,
        kind: String,
        labels: Vec<String>,
        line: u32,
        settings: Vec<String>,
    },
    /// A statement that is not a block (attributes at the top level, blank lines).
    Skip(usize),
    /// A `}` closing the enclosing body.
    End(u32),
    /// The token stream ended inside a block.
    Unclosed(u32),
}

const MAX_DEPTH: usize = 64;

/// Reads one statement of a body starting at `pos`; nested settings are prefixed.
fn body_statement(toks: &[(Tok, u32)], pos: usize, prefix: &str, depth: usize) -> Statement {
    let (tok, line) = &toks[pos];
    match tok {
        Tok::Newline => Statement::Skip(pos + 1),
        Tok::Close('}') => Statement::End(*line),
        Tok::Ident(name) => {
            // Attribute: `name = value`.
            if matches!(toks.get(pos + 1), Some((Tok::Eq, _))) {
                let (end, _) = value_end(toks, pos + 2);
                return Statement::Skip(end);
            }
            let mut labels = Vec::new();
            let mut p = pos + 1;
            while let Some((t, _)) = toks.get(p) {
                match t {
                    Tok::Str(s) | Tok::Ident(s) => labels.push(s.clone()),
                    _ => break,
                }
                p += 1;
            }
            if !matches!(toks.get(p), Some((Tok::Open('{'), _))) {
                return Statement::Skip(p.max(pos + 1));
            }
            let key = if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}.{name}")
            };
            let mut settings = Vec::new();
            match block_body(toks, p + 1, &key, depth + 1, &mut settings) {
                Some(next) => Statement::Block {
                    next,
                    kind: name.clone(),
                    labels,
                    line: *line,
                    settings,
                },
                None => Statement::Unclosed(*line),
            }
        }
        _ => Statement::Skip(pos + 1),
    }
}

/// Reads a block body after its `{`, collecting settings; returns the position after
/// the closing `}`.
fn block_body(
    toks: &[(Tok, u32)],
    mut pos: usize,
    prefix: &str,
    depth: usize,
    settings: &mut Vec<String>,
) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    while pos < toks.len() {
        match &toks[pos].0 {
            Tok::Close('}') => return Some(pos + 1),
            Tok::Ident(name) if matches!(toks.get(pos + 1), Some((Tok::Eq, _))) => {
                let (end, values) = value_end(toks, pos + 2);
                let key = join(name);
                for v in values {
                    settings.push(format!("{key}={v}"));
                }
                pos = end;
            }
            Tok::Ident(name) => {
                let mut p = pos + 1;
                while matches!(toks.get(p), Some((Tok::Str(_) | Tok::Ident(_), _))) {
                    p += 1;
                }
                if matches!(toks.get(p), Some((Tok::Open('{'), _))) {
                    let key = join(name);
                    pos = block_body(toks, p + 1, &key, depth + 1, settings)?;
                } else {
                    pos = p.max(pos + 1);
                }
            }
            _ => pos += 1,
        }
    }
    None
}

/// Finds the end of an attribute value (a newline outside brackets) and its literal
/// values: one string, bool or number, or the strings of a flat list.
fn value_end(toks: &[(Tok, u32)], start: usize) -> (usize, Vec<String>) {
    let mut depth = 0i32;
    let mut p = start;
    while p < toks.len() {
        match &toks[p].0 {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) if depth == 0 => break,
            Tok::Close(_) => depth -= 1,
            Tok::Newline if depth == 0 => break,
            _ => {}
        }
        p += 1;
    }
    let value: Vec<&Tok> = toks[start..p]
        .iter()
        .map(|(t, _)| t)
        .filter(|t| **t != Tok::Newline)
        .collect();
    let literal = |t: &Tok| match t {
        Tok::Str(s) if !s.contains("${") => Some(s.clone()),
        Tok::Ident(s) if s == "true" || s == "false" => Some(s.clone()),
        _ => None,
    };
    let values = match value.as_slice() {
        [one] => literal(one).into_iter().collect(),
        [Tok::Open('['), inner @ .., Tok::Close(']')] => {
            inner.iter().filter_map(|t| literal(t)).collect()
        }
        _ => Vec::new(),
    };
    (p, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_with_nested_settings_heredocs_and_comments() {
        let src = r#"# comment { not a block
/* resource "aws_cloudtrail" "nope" {} */
resource "aws_eks_cluster" "main" {
  name = "main"
  enabled_cluster_log_types = ["api", "audit"]
  policy = <<-EOT
    resource "fake" "x" {
  EOT
  tags = { team = "${var.team}" }
}

resource "google_container_node_pool" "np" {
  management {
    auto_repair = true // repaired by GKE
  }
}
module "vpc" {
  source = "./modules/vpc"
}
"#;
        let s = scan_hcl(src);
        assert_eq!(s.error, None);
        assert_eq!(s.blocks.len(), 3);
        assert_eq!(s.blocks[0].labels, ["aws_eks_cluster", "main"]);
        assert_eq!(s.blocks[0].line, 3);
        assert!(s.blocks[0]
            .settings
            .contains(&"enabled_cluster_log_types=audit".to_string()));
        assert_eq!(s.blocks[1].line, 12);
        assert_eq!(s.blocks[1].settings, ["management.auto_repair=true"]);
        assert_eq!(s.blocks[2].kind, "module");
    }

    #[test]
    fn broken_hcl_keeps_earlier_blocks() {
        let s = scan_hcl(
            "resource \"a\" \"b\" {\n}\nresource \"c\" \"d\" {\n  x = \"unterminated\n}\n",
        );
        assert_eq!(s.blocks.len(), 1);
        assert_eq!(s.error.map(|e| e.0), Some(4));
        let s = scan_hcl("resource \"a\" \"b\" {\n  x = 1\n");
        assert!(s.blocks.is_empty());
        assert_eq!(s.error.map(|e| e.0), Some(1));
    }

    #[test]
    fn module_directories() {
        assert_eq!(
            module_dir("modules/vpc/main.tf").as_deref(),
            Some("modules/vpc")
        );
        assert_eq!(
            module_dir("terraform/modules/eks/x/main.tf").as_deref(),
            Some("terraform/modules/eks")
        );
        assert_eq!(module_dir("modules/main.tf"), None);
    }
}
