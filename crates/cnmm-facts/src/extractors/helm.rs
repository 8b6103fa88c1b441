//! Helm charts and Kustomize overlays.
//!
//! `Chart.yaml` and `values.yaml` are YAML. Templates are Go templates, not YAML (a
//! template is often invalid YAML until rendered), so they are read at the text level:
//! top-level `kind:` lines with whether they sit behind `{{ if }}`, probes and resources,
//! with Go template comments and named-template definitions (`{{ define }}`) skipped
//! because they render nothing by themselves.

use super::{
    file_name, mark_excluded, parent_dir, yaml_diagnostic, Ctx, Extractor, FileInput, Output,
};
use crate::yaml::Node;
use cnmm_model::{attr, AttrType as T, Fact, FactKindSpec, FactSource, Location};

pub struct Helm;

static KINDS: &[FactKindSpec] = &[
    FactKindSpec {
        name: "helm.chart",
        source: FactSource::Files,
        description: "A Helm chart (its Chart.yaml).",
        attrs: &[
            attr("name", T::Str, "The chart name."),
            attr("chart_type", T::Str, "application or library."),
            attr("dir", T::Str, "The chart's directory."),
            attr(
                "dependencies",
                T::List,
                "Names of the chart dependencies (kubecost, opencost, ...).",
            ),
        ],
    },
    FactKindSpec {
        name: "helm.values",
        source: FactSource::Files,
        description: "Operational settings in a chart's values file.",
        attrs: &[
            attr("autoscaling", T::Bool, "autoscaling.enabled is true."),
            attr("min_replicas", T::Int, "autoscaling.minReplicas."),
            attr("max_replicas", T::Int, "autoscaling.maxReplicas."),
            attr(
                "requests",
                T::Bool,
                "Non-empty resources.requests at the top level.",
            ),
            attr(
                "limits",
                T::Bool,
                "Non-empty resources.limits at the top level.",
            ),
            attr(
                "probes",
                T::List,
                "Probe kinds set at the top level (liveness, readiness, startup).",
            ),
        ],
    },
    FactKindSpec {
        name: "helm.value",
        source: FactSource::Files,
        description: "One scalar setting of a chart's values file, at its line.",
        attrs: &[
            attr("key", T::Str, "The dotted key (`server.log.format`)."),
            attr("value", T::Str, "The scalar value as written."),
        ],
    },
    FactKindSpec {
        name: "helm.template",
        source: FactSource::Files,
        description: "An object kind a chart template renders, read at the text level.",
        attrs: &[
            attr(
                "kind",
                T::Str,
                "The kind on the template's top-level `kind:` line.",
            ),
            attr(
                "conditional",
                T::Bool,
                "The object is rendered behind `{{ if }}`/`{{ with }}`.",
            ),
            attr("probes", T::List, "Probe kinds in the same template file."),
            attr(
                "requests",
                T::Bool,
                "The template sets resources.requests (or includes values' resources).",
            ),
            attr("limits", T::Bool, "The template sets resources.limits."),
        ],
    },
    FactKindSpec {
        name: "kustomize.file",
        source: FactSource::Files,
        description: "A Kustomize kustomization.",
        attrs: &[
            attr(
                "resources",
                T::Int,
                "Entries of resources/bases/components.",
            ),
            attr("images", T::List, "Image overrides (name)."),
        ],
    },
];

/// Chart metadata and values, which the Kubernetes extractor must leave alone.
pub fn is_chart_file(path: &str) -> bool {
    let name = file_name(path);
    name == "Chart.yaml" || name == "Chart.lock" || is_values(name) || is_kustomization(name)
}

fn is_values(name: &str) -> bool {
    name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

fn is_kustomization(name: &str) -> bool {
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

fn is_template(path: &str) -> bool {
    let name = file_name(path);
    templates_dir(path).is_some()
        && (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".tpl"))
        && !name.starts_with('_')
}

/// The chart's `templates` directory a template sits in, at any depth below it
/// (`charts/argo-cd/templates/argocd-server/hpa.yaml` → `charts/argo-cd/templates`).
fn templates_dir(path: &str) -> Option<&str> {
    let dir = parent_dir(path);
    if dir == "templates" || dir.starts_with("templates/") {
        return Some("templates");
    }
    let at = dir.find("/templates/").or_else(|| {
        dir.ends_with("/templates")
            .then(|| dir.len() - "/templates".len())
    })?;
    Some(&dir[..at + "/templates".len()])
}

impl Extractor for Helm {
    fn name(&self) -> &'static str {
        "helm"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        name == "Chart.yaml" || is_values(name) || is_kustomization(name) || is_template(path)
    }

    fn extract(&self, input: &FileInput, ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let name = file_name(path);
        let dir = parent_dir(path);
        let has_chart = |d: &str| {
            let chart = if d.is_empty() {
                "Chart.yaml".to_string()
            } else {
                format!("{d}/Chart.yaml")
            };
            ctx.file(&chart).is_some()
        };
        let mut facts = Vec::new();
        if let Some(templates) = templates_dir(path).filter(|_| is_template(path)) {
            // A plain manifest in templates/ is read by the Kubernetes extractor.
            let chart_dir = parent_dir(templates);
            if has_chart(chart_dir) && input.text.contains("{{") {
                let helpers = helper_probes(ctx, templates);
                facts.extend(template_facts(input.text, path, &helpers));
            }
        } else if name == "Chart.yaml" || is_values(name) || is_kustomization(name) {
            if is_values(name) && !has_chart(dir) {
                return;
            }
            let parsed = input.yaml();
            if let Some(e) = &parsed.error {
                out.diagnostics.push(yaml_diagnostic(path, e));
            }
            if let Some(doc) = parsed.documents.first() {
                let fact = if name == "Chart.yaml" {
                    chart_fact(doc, path)
                } else if is_values(name) {
                    flatten(doc, "", path, &mut facts, 0);
                    Some(values_fact(doc, path))
                } else {
                    Some(kustomize_fact(doc, path))
                };
                facts.extend(fact);
            }
        }
        for f in facts {
            out.facts.push(mark_excluded(f, input));
        }
    }
}

fn chart_fact(doc: &Node, path: &str) -> Option<Fact> {
    let (key, name) = doc.entry("name")?;
    let name = name.as_str()?;
    let chart_type = doc
        .get("type")
        .and_then(Node::as_str)
        .unwrap_or("application");
    let mut deps: Vec<String> = doc
        .get("dependencies")
        .map(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|d| d.get("name").and_then(Node::as_str).map(str::to_string))
        .collect();
    deps.sort();
    Some(
        Fact::new(
            "helm.chart",
            Location::at(path, key.line),
            format!("Helm {chart_type} chart {name}"),
        )
        .attr("name", name)
        .attr("chart_type", chart_type)
        .attr("dir", parent_dir(path))
        .attr("dependencies", deps),
    )
}

/// One `helm.value` fact per scalar under mappings (lists are not descended: their
/// items have no stable key).
fn flatten(node: &Node, prefix: &str, path: &str, out: &mut Vec<Fact>, depth: usize) {
    if depth > 16 {
        return;
    }
    for (k, key_node, v) in node.entries() {
        let key = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        match v.as_str() {
            Some(s) => out.push(
                Fact::new(
                    "helm.value",
                    Location::at(path, key_node.line),
                    format!("chart value {key}: {}", cnmm_model::text::truncate(s, 60)),
                )
                .attr("key", key.as_str())
                .attr("value", s),
            ),
            None => flatten(v, &key, path, out, depth + 1),
        }
    }
}

fn values_fact(doc: &Node, path: &str) -> Fact {
    let mut fact = Fact::new("helm.values", Location::at(path, 1), "chart values");
    let auto = doc.get("autoscaling").unwrap_or(Node::empty());
    if let Some((k, _)) = doc.entry("autoscaling") {
        fact.location.line = Some(k.line);
    }
    fact.set(
        "autoscaling",
        auto.get("enabled").is_some_and(Node::is_true),
    );
    for (key, a) in [
        ("minReplicas", "min_replicas"),
        ("maxReplicas", "max_replicas"),
    ] {
        if let Some(n) = auto
            .get(key)
            .and_then(Node::as_str)
            .and_then(|s| s.parse::<i64>().ok())
        {
            fact.set(a, n);
        }
    }
    let non_empty = |p: &[&str]| doc.path(p).is_some_and(|n| !n.as_map().is_empty());
    fact.set("requests", non_empty(&["resources", "requests"]));
    fact.set("limits", non_empty(&["resources", "limits"]));
    let mut probes = Vec::new();
    for (key, p) in [
        ("livenessProbe", "liveness"),
        ("readinessProbe", "readiness"),
        ("startupProbe", "startup"),
    ] {
        if non_empty(&[key]) {
            probes.push(p.to_string());
        }
    }
    fact.set("probes", probes);
    fact
}

fn kustomize_fact(doc: &Node, path: &str) -> Fact {
    let resources: usize = ["resources", "bases", "components"]
        .iter()
        .map(|k| doc.get(k).map(Node::as_seq).unwrap_or(&[]).len())
        .sum();
    let mut images: Vec<String> = doc
        .get("images")
        .map(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| i.get("name").and_then(Node::as_str).map(str::to_string))
        .collect();
    images.sort();
    Fact::new(
        "kustomize.file",
        Location::at(path, 1),
        format!("kustomization with {resources} resources"),
    )
    .attr("resources", resources)
    .attr("images", images)
}

/// Removes `{{/* ... */}}` comments and `{{ define }} ... {{ end }}` bodies, keeping
/// line breaks so lines stay right.
fn strip_non_output(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let blank = |s: &str| s.chars().filter(|&c| c == '\n').collect::<String>();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let inner = after.trim_start_matches('-').trim_start();
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        if inner.starts_with("/*") {
            let close = after
                .find("*/")
                .and_then(|c| after[c..].find("}}").map(|e| c + e))
                .unwrap_or(end);
            out.push_str(&blank(&after[..close]));
            rest = &after[close + 2..];
        } else if inner.starts_with("define") {
            // Skip to the matching `end`, counting nested blocks.
            let block = &rest[start..];
            let mut depth = 0i32;
            let mut cursor = 0usize;
            let mut stop = block.len();
            while let Some(o) = block[cursor..].find("{{") {
                let at = cursor + o + 2;
                let action = block[at..].trim_start_matches('-').trim_start();
                if action.starts_with("end") {
                    depth -= 1;
                } else if ["if", "range", "with", "define", "block"]
                    .iter()
                    .any(|w| action.starts_with(w))
                {
                    depth += 1;
                }
                cursor = at;
                if depth <= 0 {
                    stop = block[at..].find("}}").map_or(block.len(), |c| at + c + 2);
                    break;
                }
            }
            out.push_str(&blank(&block[..stop]));
            rest = &block[stop..];
        } else {
            out.push_str(&rest[start..start + 2 + end + 2]);
            rest = &after[end + 2..];
        }
    }
    out.push_str(rest);
    out
}

/// Probe kinds inside each named template (`{{ define "x" }}`) of the `_*.tpl` helpers
/// of a templates directory: charts often put the whole pod spec in a helper.
fn helper_probes(ctx: &Ctx, templates_dir: &str) -> Vec<(String, Vec<String>)> {
    let prefix = format!("{templates_dir}/_");
    let mut out = Vec::new();
    for f in ctx
        .files_with_prefix(&prefix)
        .iter()
        .filter(|f| !f.path[prefix.len()..].contains('/'))
    {
        let Ok(text) = ctx.read_text(f) else {
            continue;
        };
        for part in text.split("define \"").skip(1) {
            let Some((name, body)) = part.split_once('"') else {
                continue;
            };
            let body = body.split("define \"").next().unwrap_or(body);
            let probes = probes_in(body);
            if !probes.is_empty() {
                out.push((name.to_string(), probes));
            }
        }
    }
    out
}

fn probes_in(text: &str) -> Vec<String> {
    let mut probes: Vec<String> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
        for (key, p) in [
            ("livenessProbe:", "liveness"),
            ("readinessProbe:", "readiness"),
            ("startupProbe:", "startup"),
        ] {
            if t.starts_with(key) && !probes.iter().any(|x| x == p) {
                probes.push(p.to_string());
            }
        }
    }
    probes.sort();
    probes
}

fn template_facts(text: &str, path: &str, helpers: &[(String, Vec<String>)]) -> Vec<Fact> {
    let text = strip_non_output(text);
    let mut probes = probes_in(&text);
    for (name, helper) in helpers {
        if text.contains(&format!("include \"{name}\""))
            || text.contains(&format!("template \"{name}\""))
        {
            probes.extend(helper.iter().cloned());
        }
    }
    probes.sort();
    probes.dedup();
    let (mut requests, mut limits) = (false, false);
    for line in text.lines() {
        let t = line.trim_start();
        requests |= t.starts_with("requests:") || t.contains(".Values.resources");
        limits |= t.starts_with("limits:") || t.contains(".Values.resources");
    }
    let mut facts = Vec::new();
    let mut depth = 0i32;
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(o) = rest.find("{{") {
            let action = rest[o + 2..].trim_start_matches('-').trim_start();
            if ["if ", "with ", "range "]
                .iter()
                .any(|w| action.starts_with(w))
            {
                depth += 1;
            } else if action.starts_with("end") {
                depth -= 1;
            }
            rest = &rest[o + 2..];
        }
        if let Some(kind) = line.strip_prefix("kind:") {
            let kind = kind.trim().trim_matches(['"', '\'']);
            if kind.is_empty() || kind.contains("{{") {
                continue;
            }
            facts.push(
                Fact::new(
                    "helm.template",
                    Location::at(path, u32::try_from(i + 1).unwrap_or(u32::MAX)),
                    format!("chart template renders {kind}"),
                )
                .attr("kind", kind)
                .attr("conditional", depth > 0)
                .attr("probes", probes.clone())
                .attr("requests", requests)
                .attr("limits", limits),
            );
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    #[test]
    fn template_kinds_behind_conditions() {
        let src = "{{/*\nkind: Secret\n*/}}\n{{- if .Values.autoscaling.enabled }}\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n{{- end }}\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - livenessProbe:\n            {{- toYaml .Values.livenessProbe | nindent 12 }}\n          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n";
        let f = template_facts(src, "charts/app/templates/hpa.yaml", &[]);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].get_str("kind"), Some("HorizontalPodAutoscaler"));
        assert_eq!(f[0].location.line, Some(6));
        assert!(f[0].get_bool("conditional"));
        assert_eq!(f[1].get_str("kind"), Some("Deployment"));
        assert!(!f[1].get_bool("conditional"));
        assert_eq!(f[1].get_list("probes"), ["liveness"]);
        assert!(f[1].get_bool("limits"));
    }

    #[test]
    fn named_templates_render_nothing() {
        let src = "{{- define \"app.hpa\" -}}\n{{- if true }}\nkind: HorizontalPodAutoscaler\n{{- end }}\n{{- end }}\nkind: Service\nspec:\n  {{- include \"app.pod\" . | nindent 2 }}\n";
        let f = template_facts(
            src,
            "charts/app/templates/x.yaml",
            &[("app.pod".to_string(), vec!["readiness".to_string()])],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].get_str("kind"), Some("Service"));
        assert_eq!(f[0].location.line, Some(6));
        assert_eq!(f[0].get_list("probes"), ["readiness"]);
    }

    #[test]
    fn chart_and_values() {
        let doc = yaml::parse(
            "apiVersion: v2\nname: common\ntype: library\ndependencies:\n  - name: opencost\n",
            yaml::Limits::default(),
        )
        .documents
        .remove(0);
        let f = chart_fact(&doc, "charts/common/Chart.yaml").expect("chart");
        assert_eq!(f.get_str("chart_type"), Some("library"));
        assert_eq!(f.get_list("dependencies"), ["opencost"]);
        let doc = yaml::parse(
            "autoscaling:\n  enabled: true\n  maxReplicas: 4\nresources:\n  limits: {memory: 1Gi}\nlog:\n  format: json\n",
            yaml::Limits::default(),
        )
        .documents
        .remove(0);
        let v = values_fact(&doc, "charts/app/values.yaml");
        assert!(v.get_bool("autoscaling") && v.get_bool("limits") && !v.get_bool("requests"));
        let mut values = Vec::new();
        flatten(&doc, "", "charts/app/values.yaml", &mut values, 0);
        let log = values
            .iter()
            .find(|f| f.get_str("key") == Some("log.format"))
            .expect("log.format");
        assert_eq!(log.get_str("value"), Some("json"));
        assert_eq!(log.location.line, Some(7));
    }
}
