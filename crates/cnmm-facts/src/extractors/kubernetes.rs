//! Kubernetes manifests: every document (and every item of a `List`) that has an
//! `apiVersion` and a `kind` becomes one `k8s.object` fact. Workloads also report what
//! their containers declare (probes, resources, security context, env, args), so rules
//! can ask "do the workloads carry probes" without reading YAML themselves.
//!
//! Whether a file is a manifest is decided by the parsed document, never by text: a
//! rule file or a README quoting `kind: Deployment` in a block scalar is not a manifest.

use super::{
    exclude_for, file_name, mark_excluded, yaml_diagnostic, Ctx, Extractor, FileInput, Output,
};
use crate::yaml::Node;
use cnmm_model::{attr, AttrType as T, Fact, FactKindSpec, FactSource, Location};

pub struct Kubernetes;

static KINDS: &[FactKindSpec] = &[FactKindSpec {
    name: "k8s.object",
    source: FactSource::Files,
    description: "A Kubernetes object declared in a manifest (one per document or List item).",
    attrs: &[
        attr("kind", T::Str, "The object's kind (Deployment, HorizontalPodAutoscaler, ClusterPolicy...)."),
        attr("api_group", T::Str, "The API group of apiVersion (`apps`, `kyverno.io`, `audit.k8s.io`; `core` for v1)."),
        attr("name", T::Str, "metadata.name, when set."),
        attr("workload", T::Bool, "A kind that runs pods: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Argo Rollout."),
        attr("patch", T::Bool, "For workloads: a partial object (a container names no image), such as a Kustomize strategic-merge patch; the base it patches carries the pod spec."),
        attr("containers", T::Int, "For workloads: the number of (non-init) containers."),
        attr("probed", T::Int, "For workloads: containers with a liveness or readiness probe."),
        attr("all_probed", T::Bool, "For workloads: every container has a liveness or readiness probe."),
        attr("probes", T::List, "For workloads: the probe kinds declared (liveness, readiness, startup)."),
        attr("with_requests", T::Int, "For workloads: containers with non-empty resources.requests."),
        attr("with_limits", T::Int, "For workloads: containers with non-empty resources.limits."),
        attr("with_security_context", T::Int, "For workloads: containers (or the pod) with a securityContext."),
        attr("env", T::List, "For workloads: container environment as NAME=value (valueFrom entries as NAME=)."),
        attr("args", T::List, "For workloads: container command and args."),
        attr("min_replicas", T::Int, "For autoscalers: the minimum replica count, when set."),
        attr("max_replicas", T::Int, "For autoscalers: the maximum replica count, when set."),
        attr("alerts", T::Int, "For PrometheusRule: the number of alerting rules."),
        attr("chart", T::List, "For Argo CD Applications and Flux HelmReleases: the Helm charts deployed."),
        attr("ports", T::List, "For workloads: the names of container ports; for Services: the names of their ports (`metrics`, `http-metrics`)."),
        attr("scrape", T::Bool, "The object or its pod template is annotated `prometheus.io/scrape: \"true\"`."),
        attr("data", T::List, "For ConfigMaps: the `data` entries with scalar values, as KEY=value (an operator's settings: `server.log.format=json`)."),
        attr("policy_text", T::List, "For admission policies (Kyverno, Gatekeeper): rule names, messages and constraint kinds, for rules that ask what a policy is about."),
    ],
}];

const EMBEDDED_REASON: &str = "a manifest inside the product's source tree (a resource the product embeds, installs for its users or shows as an example), not the project's own deployment";

/// Whether a manifest sits in a source tree (`src/...`, `plugin/src/main/kubernetes/`):
/// code and resources of the product, not the definitions that deploy the project.
fn in_source_tree(path: &str) -> bool {
    path.starts_with("src/") || path.contains("/src/")
}

const WORKLOADS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Rollout",
];

impl Extractor for Kubernetes {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        // CI configurations and Helm charts have extractors of their own.
        yaml && !path.starts_with(".github/")
            && !path.starts_with(".gitlab")
            && !super::helm::is_chart_file(path)
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        // A templated file (Helm, Jinja) is not a manifest until rendered; charts are
        // read by the Helm extractor.
        if input.text.contains("{{") {
            return;
        }
        // Every object names its `apiVersion` and `kind`: a YAML file without both words
        // is not parsed (most YAML of a large repository is not a manifest). Keys spelled
        // with escape sequences are not recognised.
        if !input.text.contains("apiVersion") || !input.text.contains("kind") {
            return;
        }
        let parsed = input.yaml();
        let mut facts = Vec::new();
        for doc in &parsed.documents {
            collect(doc, path, &mut facts);
        }
        if let Some(e) = &parsed.error {
            // Only files that look like manifests deserve a diagnostic here; other YAML
            // files are reported by the extractors that own them.
            if !facts.is_empty() || input.text.contains("apiVersion:") {
                out.diagnostics.push(yaml_diagnostic(path, e));
            }
        }
        let embedded = in_source_tree(path).then_some(EMBEDDED_REASON);
        for f in facts {
            out.facts
                .push(mark_excluded(exclude_for(f, embedded), input));
        }
    }
}

fn collect(doc: &Node, path: &str, facts: &mut Vec<Fact>) {
    let (Some(api), Some(kind)) = (
        doc.get("apiVersion").and_then(Node::as_str),
        doc.get("kind").and_then(Node::as_str),
    ) else {
        return;
    };
    if kind == "List" || (kind.ends_with("List") && doc.get("items").is_some_and(Node::is_seq)) {
        for item in doc.get("items").map(Node::as_seq).unwrap_or(&[]) {
            collect(item, path, facts);
        }
        return;
    }
    facts.push(object_fact(doc, api, kind, path));
}

fn api_group(api: &str) -> &str {
    match api.rsplit_once('/') {
        Some((group, _)) => group,
        None => "core",
    }
}

fn object_fact(doc: &Node, api: &str, kind: &str, path: &str) -> Fact {
    let name = doc.path(&["metadata", "name"]).and_then(Node::as_str);
    let group = api_group(api);
    let mut fact = Fact::new(
        "k8s.object",
        Location::at(path, doc.entry("kind").map_or(doc.line, |(k, _)| k.line)),
        match name {
            Some(n) => format!("{kind} {n} ({api})"),
            None => format!("{kind} ({api})"),
        },
    )
    .attr("kind", kind)
    .attr("api_group", group);
    if let Some(n) = name {
        fact.set("name", n);
    }
    let workload = WORKLOADS.contains(&kind)
        && (kind != "Rollout" || group == "argoproj.io")
        && (group == "core" || group == "apps" || group == "batch" || group == "argoproj.io");
    fact.set("workload", workload);
    if workload {
        describe_workload(doc, kind, &mut fact);
    }
    if kind == "Service" && group == "core" {
        let names: Vec<String> = doc
            .path(&["spec", "ports"])
            .map(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|p| p.get("name").and_then(Node::as_str).map(str::to_string))
            .collect();
        if !names.is_empty() {
            fact.set("ports", names);
        }
    }
    let scrape = |n: Option<&Node>| {
        n.and_then(|a| a.get("prometheus.io/scrape"))
            .and_then(Node::as_str)
            .is_some_and(|v| v.trim() == "true")
    };
    if scrape(doc.path(&["metadata", "annotations"]))
        || scrape(doc.path(&["spec", "template", "metadata", "annotations"]))
    {
        fact.set("scrape", true);
    }
    if kind == "ConfigMap" && group == "core" {
        let mut data: Vec<String> = Vec::new();
        for (k, _, v) in doc.get("data").unwrap_or(Node::empty()).entries() {
            let Some(v) = v.as_str() else { continue };
            let entry = format!("{k}={}", v.trim());
            if entry.len() <= 256 {
                data.push(entry);
            } else if k.to_ascii_lowercase().contains("log") {
                // A logger's config embedded as JSON or YAML (Knative's
                // `zap-logger-config: {"encoding": "json", ...}`): its encoding.
                if let Some(enc) = embedded_encoding(v) {
                    data.push(format!("{k}.encoding={enc}"));
                }
            }
        }
        if !data.is_empty() {
            fact.set("data", data);
        }
    }
    let spec = doc.get("spec").unwrap_or(Node::empty());
    for (key, attr_name) in [
        ("minReplicas", "min_replicas"),
        ("maxReplicas", "max_replicas"),
        ("minReplicaCount", "min_replicas"),
        ("maxReplicaCount", "max_replicas"),
    ] {
        if let Some(n) = spec
            .get(key)
            .and_then(Node::as_str)
            .and_then(|s| s.parse::<i64>().ok())
        {
            fact.set(attr_name, n);
        }
    }
    if kind == "PrometheusRule" {
        let alerts = spec
            .get("groups")
            .map(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .flat_map(|g| g.get("rules").map(Node::as_seq).unwrap_or(&[]))
            .filter(|r| r.get("alert").and_then(Node::as_str).is_some())
            .count();
        fact.set("alerts", alerts);
    }
    if kind == "HelmRelease" || kind == "Application" {
        let mut charts: Vec<String> = Vec::new();
        for p in [&["chart", "spec", "chart"][..], &["source", "chart"][..]] {
            if let Some(c) = spec.path(p).and_then(Node::as_str) {
                charts.push(c.to_string());
            }
        }
        for s in spec.get("sources").map(Node::as_seq).unwrap_or(&[]) {
            if let Some(c) = s.get("chart").and_then(Node::as_str) {
                charts.push(c.to_string());
            }
        }
        fact.set("chart", charts);
    }
    let is_policy = group == "kyverno.io"
        || group == "templates.gatekeeper.sh"
        || group == "constraints.gatekeeper.sh";
    if is_policy {
        let mut text = vec![kind.to_string()];
        if let Some(n) = name {
            text.push(n.to_string());
        }
        for rule in spec.get("rules").map(Node::as_seq).unwrap_or(&[]) {
            for p in [&["name"][..], &["validate", "message"][..]] {
                if let Some(s) = rule.path(p).and_then(Node::as_str) {
                    text.push(s.to_string());
                }
            }
        }
        if let Some(s) = spec
            .path(&["crd", "spec", "names", "kind"])
            .and_then(Node::as_str)
        {
            text.push(s.to_string());
        }
        fact.set("policy_text", text);
    }
    fact
}

/// The pod spec of a workload object.
fn pod_spec<'a>(doc: &'a Node, kind: &str) -> Option<&'a Node> {
    match kind {
        "Pod" => doc.get("spec"),
        "CronJob" => doc.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => doc.path(&["spec", "template", "spec"]),
    }
}

/// The `encoding` (or `format`) a logger configuration embedded in a ConfigMap value
/// sets: `"encoding": "json"`, `encoding: json`.
fn embedded_encoding(text: &str) -> Option<&str> {
    for key in ["\"encoding\"", "encoding:", "\"format\"", "format:"] {
        if let Some(at) = text.find(key) {
            let rest = text[at + key.len()..]
                .trim_start()
                .trim_start_matches(':')
                .trim_start();
            let value = rest.trim_start_matches('"');
            let end = value
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(value.len());
            if end > 0 {
                return Some(&value[..end]);
            }
        }
    }
    None
}

fn non_empty_map(n: Option<&Node>) -> bool {
    n.is_some_and(|n| !n.as_map().is_empty())
}

fn describe_workload(doc: &Node, kind: &str, fact: &mut Fact) {
    let pod = pod_spec(doc, kind).unwrap_or(Node::empty());
    let pod_security = non_empty_map(pod.get("securityContext"));
    let containers = pod.get("containers").map(Node::as_seq).unwrap_or(&[]);
    let mut probes = Vec::new();
    let (mut probed, mut requests, mut limits, mut secured) = (0usize, 0usize, 0usize, 0usize);
    let mut env = Vec::new();
    let mut args = Vec::new();
    let init = pod.get("initContainers").map(Node::as_seq).unwrap_or(&[]);
    let port_names: Vec<String> = containers
        .iter()
        .flat_map(|c| c.get("ports").map(Node::as_seq).unwrap_or(&[]))
        .filter_map(|p| p.get("name").and_then(Node::as_str).map(str::to_string))
        .collect();
    if !port_names.is_empty() {
        fact.set("ports", port_names);
    }
    for c in containers {
        let mut has = false;
        for (key, probe) in [
            ("livenessProbe", "liveness"),
            ("readinessProbe", "readiness"),
            ("startupProbe", "startup"),
        ] {
            if non_empty_map(c.get(key)) {
                if probe != "startup" {
                    has = true;
                }
                probes.push(probe.to_string());
            }
        }
        probed += usize::from(has);
        requests += usize::from(non_empty_map(c.path(&["resources", "requests"])));
        limits += usize::from(non_empty_map(c.path(&["resources", "limits"])));
        secured += usize::from(pod_security || non_empty_map(c.get("securityContext")));
    }
    for c in containers.iter().chain(init) {
        for e in c.get("env").map(Node::as_seq).unwrap_or(&[]) {
            if let Some(n) = e.get("name").and_then(Node::as_str) {
                let v = e.get("value").and_then(Node::as_str).unwrap_or("");
                env.push(format!("{n}={v}"));
            }
        }
        for key in ["command", "args"] {
            args.extend(c.get(key).map(Node::str_list).unwrap_or_default());
        }
    }
    probes.sort();
    probes.dedup();
    // Every container of a real object names its image; a strategic-merge patch names
    // only what it changes (and may add a sidecar with its image).
    let patch = containers.is_empty()
        || containers
            .iter()
            .any(|c| c.get("image").and_then(Node::as_str).is_none());
    fact.set("patch", patch);
    fact.set("containers", containers.len());
    fact.set("probed", probed);
    fact.set(
        "all_probed",
        !containers.is_empty() && probed == containers.len(),
    );
    fact.set("probes", probes);
    fact.set("with_requests", requests);
    fact.set("with_limits", limits);
    fact.set("with_security_context", secured);
    fact.set("env", env);
    fact.set("args", args);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn facts(src: &str) -> Vec<Fact> {
        let mut out = Vec::new();
        for d in &yaml::parse(src, yaml::Limits::default()).documents {
            collect(d, "deploy/app.yaml", &mut out);
        }
        out
    }

    #[test]
    fn multi_document_workload_and_autoscaler() {
        let f = facts(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1\n          resources:\n            requests: {cpu: 100m}\n            limits: {}\n          readinessProbe:\n            httpGet: {path: /readyz, port: 8080}\n          env:\n            - {name: LOG_FORMAT, value: json}\n        - name: sidecar\n          image: sidecar:1\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {minReplicas: 2, maxReplicas: 5}\n",
        );
        assert_eq!(f.len(), 2);
        let d = &f[0];
        assert_eq!(d.location.line, Some(2));
        assert!(d.get_bool("workload"));
        assert_eq!(d.get("containers"), Some(&2usize.into()));
        assert_eq!(d.get("probed"), Some(&1usize.into()));
        assert!(!d.get_bool("all_probed"));
        assert_eq!(d.get("with_requests"), Some(&1usize.into()));
        // An empty `limits: {}` is not a limit.
        assert_eq!(d.get("with_limits"), Some(&0usize.into()));
        assert_eq!(d.get_list("env"), ["LOG_FORMAT=json"]);
        // Every container names its image: a complete object (a patch leaves some out).
        assert!(!d.get_bool("patch"));
        assert_eq!(f[1].get("max_replicas"), Some(&5i64.into()));
        assert_eq!(f[1].location.line, Some(21));
    }

    #[test]
    fn lists_cronjobs_and_policies() {
        let f = facts(
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: batch/v1\n    kind: CronJob\n    spec:\n      jobTemplate:\n        spec:\n          template:\n            spec:\n              containers:\n                - name: c\n                  livenessProbe: {exec: {command: [true]}}\n  - apiVersion: kyverno.io/v1\n    kind: ClusterPolicy\n    metadata: {name: require-logging}\n    spec:\n      rules:\n        - name: check-log-annotation\n          validate: {message: logging annotation required}\n",
        );
        assert_eq!(f.len(), 2);
        assert!(f[0].get_bool("all_probed"));
        assert!(f[0].get_bool("patch"));
        assert_eq!(f[1].get_str("api_group"), Some("kyverno.io"));
        assert!(f[1]
            .get_list("policy_text")
            .contains(&"logging annotation required".to_string()));
    }

    #[test]
    fn text_that_only_quotes_a_manifest_is_not_one() {
        assert!(facts("remediation: |\n  apiVersion: apps/v1\n  kind: Deployment\n").is_empty());
        assert!(facts("kind: Deployment\n").is_empty());
    }
}
