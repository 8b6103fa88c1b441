//! The extractor registry. One file per format; each extractor says which paths it
//! claims, which fact kinds it emits, and turns one file into facts (or, for CI
//! providers, into normalised pipelines that `ci` links and turns into facts).
//!
//! To add a format: write `extractors/<format>.rs` implementing [`Extractor`], add it to
//! [`registry`], declare its fact kinds. Rules can then use them with no engine change.

pub mod app_bootstrap;
pub mod ci;
pub mod dockerfile;
pub mod governance;
pub mod helm;
pub mod kubernetes;
pub mod observability;
pub mod release_config;
pub mod sbom;
pub mod terraform;

use crate::inventory::{InvFile, Inventory};
use crate::tools::ToolMatcher;
use cnmm_model::{Catalog, Diagnostic, Fact, FactKindSpec};

/// One file handed to an extractor.
pub struct FileInput<'a> {
    pub file: &'a InvFile,
    /// The file's text (invalid UTF-8 replaced).
    pub text: &'a str,
    /// The YAML tree, parsed on first use and shared by every extractor of the file
    /// (a manifest is read by the Kubernetes, observability and IaC extractors).
    yaml: std::sync::OnceLock<crate::yaml::Parsed>,
}

impl<'a> FileInput<'a> {
    pub fn new(file: &'a InvFile, text: &'a str) -> Self {
        FileInput {
            file,
            text,
            yaml: std::sync::OnceLock::new(),
        }
    }

    pub fn path(&self) -> &str {
        &self.file.path
    }

    /// The file's YAML documents (with the default limits), parsed once.
    /// CustomResourceDefinition documents are blanked first: no rule reads them, and
    /// install bundles carry megabytes of them (line numbers stay as written).
    pub fn yaml(&self) -> &crate::yaml::Parsed {
        self.yaml.get_or_init(|| {
            let text = without_crd_documents(self.text);
            crate::yaml::parse(&text, crate::yaml::Limits::default())
        })
    }
}

/// `text` with every top-level document whose `kind:` is CustomResourceDefinition
/// replaced by empty lines, so the other documents keep their line numbers.
fn without_crd_documents(text: &str) -> std::borrow::Cow<'_, str> {
    const CRD: &str = "kind: CustomResourceDefinition";
    if !text.contains(CRD) {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_separator = |l: &str| l == "---" || l.starts_with("--- ") || l.starts_with("---\t");
    let mut out = String::with_capacity(text.len());
    let mut doc: Vec<&str> = Vec::new();
    let flush = |doc: &mut Vec<&str>, out: &mut String| {
        let crd = doc.iter().any(|l| {
            l.trim_end() == CRD || l.trim_end().starts_with("kind: CustomResourceDefinition ")
        });
        for l in doc.drain(..) {
            if !crd {
                out.push_str(l);
            }
            out.push('\n');
        }
    };
    for line in text.split('\n') {
        if is_separator(line.trim_end_matches('\r')) {
            flush(&mut doc, &mut out);
            out.push_str(line);
            out.push('\n');
        } else {
            doc.push(line);
        }
    }
    flush(&mut doc, &mut out);
    // `split` yields one more piece than there are newlines.
    out.pop();
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crd_documents_are_blanked_and_lines_kept() {
        let text = "apiVersion: v1\nkind: Service\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  x: 1\n---\napiVersion: apps/v1\nkind: Deployment\n";
        let out = without_crd_documents(text);
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(!out.contains("CustomResourceDefinition"));
        assert_eq!(out.lines().nth(9), Some("kind: Deployment"));
        let parsed = crate::yaml::parse(&out, crate::yaml::Limits::default());
        let kinds: Vec<_> = parsed
            .documents
            .iter()
            .filter_map(|d| d.get("kind").and_then(crate::yaml::Node::as_str))
            .collect();
        assert_eq!(kinds, vec!["Service", "Deployment"]);
        let deployment = parsed.documents.iter().find(|d| {
            d.get("kind")
                .is_some_and(|k| k.as_str() == Some("Deployment"))
        });
        assert_eq!(deployment.map(|d| d.line), Some(9));
        assert_eq!(without_crd_documents("a: 1\n"), "a: 1\n");
    }
}

/// Reads other files of the tree (GitLab `include: local:`, composite actions).
pub trait Reader: Sync {
    fn read_text(&self, file: &InvFile) -> Result<String, String>;
}

/// What an extractor may consult besides its file. Other files of the tree are looked
/// up through [`Ctx::file`], [`Ctx::files_with_prefix`] and [`Ctx::all_files`], never
/// through `inventory` directly: those lookups are what a cached extraction of the file
/// depends on (see [`crate::cache`]), so a lookup that bypasses them would let a scan of
/// another commit reuse facts its tree no longer supports.
pub struct Ctx<'a> {
    pub catalog: &'a Catalog,
    pub tools: &'a ToolMatcher<'a>,
    pub inventory: &'a Inventory,
    pub reader: &'a dyn Reader,
    /// The repository's default branch when the clone records it
    /// (`refs/remotes/origin/HEAD`); else `main`, `master`, `trunk` or `default` are.
    pub default_branch: Option<String>,
    /// The organisation or user owning the repository on its forge (from the clone's
    /// `origin` URL, else `go.mod` or `package.json`), if known.
    pub repo_owner: Option<String>,
    /// Scripts and Makefile targets already followed from CI commands.
    pub followed: &'a ci::scripts::FollowedFiles,
    /// Where the lookups of other files are recorded, while one file is extracted.
    pub consulted: Option<&'a crate::cache::Consulted>,
}

impl<'a> Ctx<'a> {
    /// The file at `path`, if the tree has it.
    pub fn file(&self, path: &str) -> Option<&'a InvFile> {
        let f = self.inventory.get(path);
        if let Some(c) = self.consulted {
            c.file(path, f);
        }
        f
    }

    /// The files whose path starts with `prefix` (see [`Inventory::with_prefix`]).
    pub fn files_with_prefix(&self, prefix: &str) -> &'a [InvFile] {
        let fs = self.inventory.with_prefix(prefix);
        if let Some(c) = self.consulted {
            c.prefix(prefix, fs);
        }
        fs
    }

    /// Every file of the tree (for glob includes).
    pub fn all_files(&self) -> &'a [InvFile] {
        if let Some(c) = self.consulted {
            c.prefix("", &self.inventory.files);
        }
        &self.inventory.files
    }

    /// The text of a file found through one of the lookups above.
    pub fn read_text(&self, file: &InvFile) -> Result<String, String> {
        self.reader.read_text(file)
    }

    /// This context, recording its lookups in `consulted`.
    pub fn recording<'b>(&'b self, consulted: &'b crate::cache::Consulted) -> Ctx<'b> {
        Ctx {
            catalog: self.catalog,
            tools: self.tools,
            inventory: self.inventory,
            reader: self.reader,
            default_branch: self.default_branch.clone(),
            repo_owner: self.repo_owner.clone(),
            followed: self.followed,
            consulted: Some(consulted),
        }
    }
}

/// What extractors produce for one file.
#[derive(Default, Clone)]
pub struct Output {
    pub facts: Vec<Fact>,
    pub pipelines: Vec<ci::Pipeline>,
    pub diagnostics: Vec<Diagnostic>,
}

pub trait Extractor: Sync + Send {
    /// A short name used in diagnostics.
    fn name(&self) -> &'static str;
    /// The fact kinds this extractor emits (CI providers emit the kinds of `ci`).
    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        &[]
    }
    /// Whether this extractor wants the file at `path` (relative, `/`-separated).
    fn claims(&self, path: &str) -> bool;
    /// Whether it reads the content of a file it claims (a file whose name is the whole
    /// evidence, such as a lockfile, is not read: a 300 KB `yarn.lock` changes at every
    /// release).
    fn reads_content(&self, _path: &str) -> bool {
        true
    }
    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output);
}

/// Every extractor, in a fixed order.
pub fn registry() -> Vec<Box<dyn Extractor>> {
    vec![
        Box::new(ci::github_actions::GithubActions),
        Box::new(ci::gitlab_ci::GitlabCi),
        Box::new(ci::jenkinsfile::Jenkinsfile),
        Box::new(ci::circleci::CircleCi),
        Box::new(ci::azure_pipelines::AzurePipelines),
        Box::new(ci::bitbucket::Bitbucket),
        Box::new(ci::drone::DroneWoodpecker),
        Box::new(ci::travis::Travis),
        Box::new(ci::buildkite::Buildkite),
        Box::new(ci::cloud_build::CloudBuild),
        Box::new(ci::tekton::Tekton),
        Box::new(ci::github_apps::GithubApps),
        Box::new(governance::Governance),
        Box::new(kubernetes::Kubernetes),
        Box::new(helm::Helm),
        Box::new(terraform::Terraform),
        Box::new(dockerfile::Dockerfile),
        Box::new(observability::Observability),
        Box::new(app_bootstrap::AppBootstrap),
        Box::new(release_config::ReleaseConfig),
        Box::new(sbom::Sbom),
    ]
}

/// Every fact kind any part of the scan can emit.
pub fn fact_kinds() -> Vec<FactKindSpec> {
    let mut kinds: Vec<FactKindSpec> = Vec::new();
    kinds.extend_from_slice(ci::FACT_KINDS);
    kinds.extend_from_slice(crate::history::FACT_KINDS);
    kinds.extend_from_slice(crate::imported::FACT_KINDS);
    kinds.extend_from_slice(crate::FILE_MATCH_KINDS);
    for e in registry() {
        for k in e.fact_kinds() {
            if !kinds.iter().any(|x| x.name == k.name) {
                kinds.push(*k);
            }
        }
    }
    kinds.sort_by_key(|k| k.name);
    kinds
}

/// The file name of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory of a path (`""` for top-level files).
pub fn parent_dir(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// The first YAML document of a file that must be a mapping (a CI configuration,
/// named by `what` for the message). A parse error and a document that is not a mapping
/// become diagnostics; documents read before an error are still returned.
pub fn yaml_mapping<'i>(
    input: &'i FileInput,
    what: &str,
    out: &mut Output,
) -> Option<&'i crate::yaml::Node> {
    let parsed = input.yaml();
    if let Some(err) = &parsed.error {
        out.diagnostics.push(yaml_diagnostic(input.path(), err));
    }
    let doc = parsed.documents.first()?;
    if !doc.is_map() {
        out.diagnostics.push(Diagnostic::error(
            input.path(),
            Some(doc.line.max(1)),
            format!("{what} must be a YAML mapping; the file was skipped"),
        ));
        return None;
    }
    Some(doc)
}

/// Reports a YAML parse problem of `path` as a diagnostic.
pub fn yaml_diagnostic(path: &str, err: &crate::yaml::YamlError) -> Diagnostic {
    Diagnostic::error(
        path,
        Some(err.line),
        format!(
            "invalid YAML: {}; the rest of this file was not read",
            err.message
        ),
    )
}

/// Marks a fact from a file the path policy excludes (tests, examples...) with the
/// reason, unless the extractor already excluded it for a reason of its own.
pub fn mark_excluded(fact: Fact, input: &FileInput) -> Fact {
    exclude_for(fact, input.file.excluded.as_deref())
}

/// Excludes a fact for `reason`, if there is one, unless it is already excluded for a
/// reason of its own.
pub fn exclude_for(fact: Fact, reason: Option<&str>) -> Fact {
    match (&fact.excluded, reason) {
        (None, Some(reason)) => fact.excluded(reason),
        _ => fact,
    }
}
