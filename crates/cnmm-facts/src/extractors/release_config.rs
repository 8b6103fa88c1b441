//! What release and cost tooling configurations switch on: goreleaser's SBOMs,
//! signing and reproducibility settings, and Infracost project files. (That the
//! configuration exists at all is the governance extractor's `release-tooling` fact.)

use super::{file_name, mark_excluded, yaml_diagnostic, Ctx, Extractor, FileInput, Output};
use crate::yaml::Node;
use cnmm_model::{attr, AttrType as T, Fact, FactKindSpec, FactSource, Location};

pub struct ReleaseConfig;

static KINDS: &[FactKindSpec] = &[FactKindSpec {
    name: "release.config",
    source: FactSource::Files,
    description: "A feature a release or cost tool's configuration enables.",
    attrs: &[
        attr("tool", T::Str, "goreleaser or infracost."),
        attr(
            "feature",
            T::Str,
            "sbom, sign, trimpath, mod-timestamp, buildid, source-date-epoch or cost-projects.",
        ),
    ],
}];

fn tool_of(path: &str) -> Option<&'static str> {
    // A GoReleaser config anywhere (`build/.goreleaser.yml`, run with `-f`).
    match file_name(path) {
        ".goreleaser.yml" | ".goreleaser.yaml" | "goreleaser.yml" | "goreleaser.yaml" => {
            Some("goreleaser")
        }
        name => matches!(
            name,
            "infracost.yml" | "infracost.yaml" | "infracost.yml.tmpl" | "infracost-usage.yml"
        )
        .then_some("infracost"),
    }
}

impl Extractor for ReleaseConfig {
    fn name(&self) -> &'static str {
        "release-config"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        tool_of(path).is_some()
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let Some(tool) = tool_of(path) else { return };
        let parsed = input.yaml();
        if let Some(e) = &parsed.error {
            out.diagnostics.push(yaml_diagnostic(path, e));
        }
        let Some(doc) = parsed.documents.first() else {
            return;
        };
        let features = if tool == "goreleaser" {
            goreleaser(doc)
        } else {
            doc.entry("projects")
                .or_else(|| doc.entry("version"))
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| vec![("cost-projects", k.line)])
                .unwrap_or_default()
        };
        for (feature, line) in features {
            let f = Fact::new(
                "release.config",
                Location::at(path, line),
                format!("{tool} enables {feature}"),
            )
            .attr("tool", tool)
            .attr("feature", feature);
            out.facts.push(mark_excluded(f, input));
        }
    }
}

fn goreleaser(doc: &Node) -> Vec<(&'static str, u32)> {
    let mut out = Vec::new();
    for (key, feature) in [
        ("sboms", "sbom"),
        ("signs", "sign"),
        ("binary_signs", "sign"),
        ("docker_signs", "sign"),
    ] {
        if let Some((k, v)) = doc.entry(key) {
            if !v.as_seq().is_empty() {
                out.push((feature, k.line));
            }
        }
    }
    // `notarize: {macos: [...]}` signs (and notarizes) the macOS binaries.
    if let Some((k, v)) = doc.entry("notarize") {
        if v.entries().any(|(_, _, list)| !list.as_seq().is_empty()) {
            out.push(("sign", k.line));
        }
    }
    for b in doc.get("builds").map(Node::as_seq).unwrap_or(&[]) {
        if let Some((k, _)) = b.entry("mod_timestamp") {
            out.push(("mod-timestamp", k.line));
        }
        if let Some((k, v)) = b.entry("flags") {
            if v.str_list().iter().any(|f| f == "-trimpath") {
                out.push(("trimpath", k.line));
            }
        }
        if let Some((k, v)) = b.entry("ldflags") {
            if v.str_list().iter().any(|f| f.contains("-buildid=")) {
                out.push(("buildid", k.line));
            }
        }
        if let Some((k, v)) = b.entry("env") {
            if v.str_list()
                .iter()
                .any(|e| e.starts_with("SOURCE_DATE_EPOCH="))
            {
                out.push(("source-date-epoch", k.line));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    #[test]
    fn goreleaser_features() {
        let doc = yaml::parse(
            "builds:\n  - id: cli\n    flags: [-trimpath]\n    mod_timestamp: '{{ .CommitTimestamp }}'\nsboms:\n  - artifacts: archive\nsigns: []\n",
            yaml::Limits::default(),
        )
        .documents
        .remove(0);
        let f = goreleaser(&doc);
        assert_eq!(f, [("mod-timestamp", 4), ("sbom", 5), ("trimpath", 3)]);
    }
}
