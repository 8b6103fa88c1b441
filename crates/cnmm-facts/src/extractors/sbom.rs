//! SBOM documents and lockfiles.
//!
//! An SBOM is recognised by its content, never by its name: CycloneDX JSON
//! (`bomFormat: CycloneDX`) or XML (the `http://cyclonedx.org/schema/bom/<version>`
//! namespace), SPDX JSON (`spdxVersion: SPDX-x.y`) or tag-value (`SPDXVersion:`). An SBOM
//! that cannot be read or lists nothing is a diagnostic and an excluded fact, not
//! evidence. Lockfiles are recorded with their ecosystem.

use super::{file_name, mark_excluded, Ctx, Extractor, FileInput, Output};
use crate::yaml::{self, Node};
use cnmm_model::{attr, AttrType as T, Diagnostic, Fact, FactKindSpec, FactSource, Location};

pub struct Sbom;

static KINDS: &[FactKindSpec] = &[
    FactKindSpec {
        name: "sbom.document",
        source: FactSource::Files,
        description: "A committed SBOM document, validated by content.",
        attrs: &[
            attr("format", T::Str, "cyclonedx or spdx."),
            attr("encoding", T::Str, "json, xml or tag-value."),
            attr(
                "spec_version",
                T::Str,
                "The specification version the document declares.",
            ),
            attr(
                "components",
                T::Int,
                "Components (CycloneDX) or packages (SPDX) listed.",
            ),
        ],
    },
    FactKindSpec {
        name: "dependency.lockfile",
        source: FactSource::Files,
        description: "A dependency lockfile.",
        attrs: &[attr(
            "ecosystem",
            T::Str,
            "cargo, gomod, npm, pip, bundler, composer, maven, gradle, nuget, pub, mix, swift.",
        )],
    },
];

fn lockfile_ecosystem(name: &str) -> Option<&'static str> {
    Some(match name {
        "Cargo.lock" => "cargo",
        "go.sum" => "gomod",
        "package-lock.json"
        | "npm-shrinkwrap.json"
        | "yarn.lock"
        | "pnpm-lock.yaml"
        | "bun.lockb"
        | "bun.lock" => "npm",
        "poetry.lock" | "Pipfile.lock" | "uv.lock" | "pdm.lock" => "pip",
        "Gemfile.lock" => "bundler",
        "composer.lock" => "composer",
        "gradle.lockfile" => "gradle",
        "packages.lock.json" => "nuget",
        "pubspec.lock" => "pub",
        "mix.lock" => "mix",
        "Package.resolved" => "swift",
        _ => return None,
    })
}

fn sbom_candidate(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".json")
        || lower.ends_with(".xml")
        || lower.ends_with(".spdx")
        || lower.ends_with(".cdx")
}

impl Extractor for Sbom {
    fn name(&self) -> &'static str {
        "sbom"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        lockfile_ecosystem(name).is_some() || sbom_candidate(name)
    }

    fn reads_content(&self, path: &str) -> bool {
        lockfile_ecosystem(file_name(path)).is_none()
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let name = file_name(path);
        if let Some(eco) = lockfile_ecosystem(name) {
            let f = Fact::new(
                "dependency.lockfile",
                Location::at(path, 1),
                format!("{eco} lockfile"),
            )
            .attr("ecosystem", eco);
            out.facts.push(mark_excluded(f, input));
            return;
        }
        match read_sbom(input.text, path) {
            Ok(Some(f)) => {
                let components = f.get("components").and_then(|v| v.as_f64()).unwrap_or(0.0);
                let f = if components < 1.0 {
                    out.diagnostics.push(Diagnostic::warning(
                        path,
                        f.location.line,
                        "SBOM lists no components; not counted as evidence",
                    ));
                    f.excluded("the SBOM lists no components")
                } else {
                    f
                };
                out.facts.push(mark_excluded(f, input));
            }
            Ok(None) => {}
            Err((line, msg)) => out.diagnostics.push(Diagnostic::error(
                path,
                Some(line),
                format!("unreadable SBOM: {msg}; not counted as evidence"),
            )),
        }
    }
}

type Problem = (u32, String);

fn sbom_fact(path: &str, line: u32, format: &str, encoding: &str, version: &str, n: usize) -> Fact {
    Fact::new(
        "sbom.document",
        Location::at(path, line),
        format!("{format} {version} SBOM ({encoding}) listing {n} components"),
    )
    .attr("format", format)
    .attr("encoding", encoding)
    .attr("spec_version", version)
    .attr("components", n)
}

fn line_containing(text: &str, needle: &str) -> u32 {
    text.find(needle).map_or(1, |o| crate::line_of(text, o))
}

/// Reads an SBOM; `Ok(None)` when the file is not one.
fn read_sbom(text: &str, path: &str) -> Result<Option<Fact>, Problem> {
    let head: String = text.chars().take(4096).collect();
    if head.contains("<bom") || text.contains("http://cyclonedx.org/schema/bom/") {
        return read_cyclonedx_xml(text, path).map(Some);
    }
    if let Some(o) = text.find("SPDXVersion:") {
        let version = text[o + "SPDXVersion:".len()..]
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if !version.starts_with("SPDX-") {
            return Err((
                crate::line_of(text, o),
                format!("unknown SPDX version `{version}`"),
            ));
        }
        let packages = text
            .lines()
            .filter(|l| l.trim_start().starts_with("PackageName:"))
            .count();
        return Ok(Some(sbom_fact(
            path,
            crate::line_of(text, o),
            "spdx",
            "tag-value",
            &version,
            packages,
        )));
    }
    let cyclonedx = text.contains("\"bomFormat\"");
    let spdx = text.contains("\"spdxVersion\"");
    if !cyclonedx && !spdx {
        return Ok(None);
    }
    // JSON is read with the positioned YAML reader (JSON is YAML's flow style), which
    // gives lines; a large SBOM gets a larger node budget.
    let parsed = yaml::parse(
        text,
        yaml::Limits {
            max_nodes: 20_000_000,
            max_depth: 256,
        },
    );
    if let Some(e) = parsed.error {
        return Err((e.line, e.message));
    }
    let Some(doc) = parsed.documents.first() else {
        return Err((1, "empty document".into()));
    };
    if let Some((k, v)) = doc.entry("bomFormat") {
        if v.as_str() != Some("CycloneDX") {
            return Err((k.line, "bomFormat is not CycloneDX".into()));
        }
        let version = doc.get("specVersion").and_then(Node::as_str).unwrap_or("");
        if version.is_empty() {
            return Err((k.line, "CycloneDX document without specVersion".into()));
        }
        let n = doc.get("components").map_or(0, |c| c.as_seq().len());
        return Ok(Some(sbom_fact(
            path,
            k.line,
            "cyclonedx",
            "json",
            version,
            n,
        )));
    }
    if let Some((k, v)) = doc.entry("spdxVersion") {
        let version = v.as_str().unwrap_or("");
        if !version.starts_with("SPDX-") {
            return Err((k.line, format!("unknown SPDX version `{version}`")));
        }
        let n = doc.get("packages").map_or(0, |c| c.as_seq().len());
        return Ok(Some(sbom_fact(path, k.line, "spdx", "json", version, n)));
    }
    // The keys appear only nested (a schema, a test vector): not an SBOM document.
    Ok(None)
}

fn read_cyclonedx_xml(text: &str, path: &str) -> Result<Fact, Problem> {
    const NS: &str = "http://cyclonedx.org/schema/bom/";
    let Some(root) = text.find("<bom") else {
        return Err((1, "no <bom> root element".into()));
    };
    let line = crate::line_of(text, root);
    let Some(ns) = text[root..].find(NS) else {
        return Err((
            line,
            "the <bom> element lacks the CycloneDX namespace".into(),
        ));
    };
    let version: String = text[root + ns + NS.len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if !text.trim_end().ends_with("</bom>") {
        return Err((
            line_containing(text, "</bom>").max(line),
            "the document is truncated: no closing </bom>".into(),
        ));
    }
    let n = text.matches("<component ").count() + text.matches("<component>").count();
    Ok(sbom_fact(path, line, "cyclonedx", "xml", &version, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclonedx_json_and_xml() {
        let f = read_sbom(
            "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"components\": [{\"name\": \"a\"}, {\"name\": \"b\"}]\n}\n",
            "sbom.json",
        )
        .expect("ok")
        .expect("sbom");
        assert_eq!(f.location.line, Some(2));
        assert_eq!(f.get("components"), Some(&2usize.into()));
        let x = read_sbom(
            "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\" version=\"1\">\n<components><component type=\"library\"><name>a</name></component></components>\n</bom>\n",
            "bom.xml",
        )
        .expect("ok")
        .expect("sbom");
        assert_eq!(x.get_str("spec_version"), Some("1.4"));
        assert_eq!(x.get("components"), Some(&1usize.into()));
    }

    #[test]
    fn spdx_forms_and_non_sboms() {
        let t = read_sbom(
            "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nPackageName: a\nPackageName: b\n",
            "x.spdx",
        )
        .expect("ok")
        .expect("sbom");
        assert_eq!(t.get("components"), Some(&2usize.into()));
        let j = read_sbom(
            "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": []}",
            "x.json",
        )
        .expect("ok")
        .expect("sbom");
        assert_eq!(j.get("components"), Some(&0usize.into()));
        assert!(read_sbom("{\"name\": \"pkg\"}", "package.json")
            .expect("ok")
            .is_none());
        // A schema that only mentions the key is not an SBOM.
        assert!(read_sbom("{\"properties\": {\"bomFormat\": {}}}", "s.json")
            .expect("ok")
            .is_none());
    }

    #[test]
    fn broken_sboms_are_problems() {
        assert_eq!(
            read_sbom(
                "{\n\"bomFormat\": \"CycloneDX\",\n\"components\": [\n",
                "b.json"
            )
            .map(|_| ())
            .map_err(|e| e.0 >= 3),
            Err(true)
        );
        assert!(read_sbom(
            "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\">\n<components>",
            "b.xml"
        )
        .is_err());
    }
}
