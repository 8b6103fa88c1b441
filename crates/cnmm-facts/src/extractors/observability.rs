//! Operations configs: Prometheus rule files and scrape configs, Alertmanager, Grafana
//! alert provisioning, log shippers (fluent-bit, fluentd, Vector, promtail, Loki,
//! Logstash), OpenTelemetry collector pipelines, and the environment handed to
//! workloads by env files and compose files (where Sentry DSNs, OTel endpoints and log
//! formats are set).
//!
//! Formats are recognised by their structure (`groups[].rules[].alert`,
//! `service.pipelines.logs`, an `[OUTPUT]` section), not by file names alone: a file
//! named `alertmanager.yml` without a route is not an Alertmanager config.

use super::{file_name, mark_excluded, Ctx, Extractor, FileInput, Output};
use crate::yaml::Node;
use cnmm_model::{attr, AttrType as T, Fact, FactKindSpec, FactSource, Location};

pub struct Observability;

pub(super) static KINDS: &[FactKindSpec] = &[FactKindSpec {
    name: "observability.config",
    source: FactSource::Files,
    description: "An alerting, metrics, log-shipping or telemetry configuration.",
    attrs: &[
        attr("kind", T::Str, "alert-rules, scrape-config, alertmanager, grafana-alerting, log-shipper, otel-collector, env, or error-collection (an application's entry point initialises Sentry with a configured DSN)."),
        attr("tool", T::Str, "prometheus, alertmanager, grafana, fluent-bit, fluentd, vector, promtail, loki, logstash, otel-collector, env-file, compose, sentry."),
        attr("alerts", T::Int, "For alert-rules and grafana-alerting: the number of alerting rules."),
        attr("logs_pipeline", T::Bool, "For otel-collector: a `logs` pipeline is configured."),
        attr("settings", T::List, "For env: the variables set, as NAME=value."),
    ],
}];

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn is_env_file(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.") || name.ends_with(".env")
}

fn is_compose(name: &str) -> bool {
    is_yaml(name) && (name.starts_with("docker-compose") || name.starts_with("compose."))
}

/// Text formats recognised by name, then validated by content.
fn text_tool(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".conf") {
        if lower.starts_with("fluent-bit") {
            return Some("fluent-bit");
        }
        if lower.starts_with("fluent") || lower.starts_with("td-agent") {
            return Some("fluentd");
        }
        if lower.starts_with("logstash") || lower.ends_with(".logstash.conf") {
            return Some("logstash");
        }
    }
    if lower == "vector.toml" {
        return Some("vector");
    }
    None
}

impl Extractor for Observability {
    fn name(&self) -> &'static str {
        "observability"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        let name = file_name(path);
        (is_yaml(name) && !path.starts_with(".github/"))
            || is_env_file(name)
            || text_tool(name).is_some()
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let name = file_name(path);
        let mut facts = Vec::new();
        if is_env_file(name) {
            let settings = env_lines(input.text);
            if !settings.is_empty() {
                facts.push(env_fact(path, 1, "env-file", settings));
            }
        } else if let Some(tool) = text_tool(name) {
            facts.extend(text_config(input.text, path, tool));
        } else if mentions_config_key(input.text, is_compose(name)) {
            // YAML problems are reported by the extractors that own the format.
            let parsed = input.yaml();
            for doc in &parsed.documents {
                if is_compose(name) {
                    facts.extend(compose_env(doc, path));
                } else {
                    facts.extend(yaml_config(doc, path));
                }
            }
        }
        for f in facts {
            out.facts.push(mark_excluded(f, input));
        }
    }
}

/// Whether a YAML file names a top-level key [`yaml_config`] (or, for a Compose file,
/// [`compose_env`]) looks for: files that name none are not parsed. A block mapping's
/// top-level key starts a line at the indentation of the file's first key (`groups:`,
/// `"groups" :`); a file whose content opens with a flow mapping (`{`) only has to name
/// the key anywhere. Keys spelled with escape sequences are not recognised.
fn mentions_config_key(text: &str, compose: bool) -> bool {
    const KEYS: &[&str] = &[
        "groups",
        "route",
        "scrape_configs",
        "receivers",
        "sinks",
        "pipeline",
        "schema_config",
    ];
    let keys = || KEYS.iter().copied().chain(compose.then_some("services"));
    let first = text.lines().find(|l| {
        let l = l.trim_start();
        !l.is_empty() && !l.starts_with('#') && !l.starts_with("---") && !l.starts_with('%')
    });
    let Some(first) = first else {
        return false;
    };
    if first.trim_start().starts_with('{') {
        return keys().any(|k| text.contains(k));
    }
    // The root mapping's keys sit at the indentation of its first key (usually none).
    let indent = first.len() - first.trim_start().len();
    text.lines().any(|line| {
        let Some(rest) = line.get(indent..).filter(|r| !r.starts_with([' ', '\t'])) else {
            return false;
        };
        let rest = rest.trim_start_matches(['"', '\'']);
        let Some(key_end) = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) else {
            return false;
        };
        let after = rest[key_end..].trim_start_matches(['"', '\'']).trim_start();
        after.starts_with(':') && keys().any(|k| k == &rest[..key_end])
    })
}

fn config(path: &str, line: u32, kind: &str, tool: &str) -> Fact {
    Fact::new(
        "observability.config",
        Location::at(path, line),
        format!("{tool} {kind} configuration"),
    )
    .attr("kind", kind)
    .attr("tool", tool)
}

fn env_fact(path: &str, line: u32, tool: &str, settings: Vec<String>) -> Fact {
    let mut f = config(path, line, "env", tool);
    f.detail = format!("environment set by {tool}: {}", settings.len());
    f.set("settings", settings);
    f
}

fn env_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.strip_prefix("export ").unwrap_or(l))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|(k, v)| format!("{k}={}", v.trim().trim_matches(['"', '\''])))
        .collect();
    out.sort();
    out
}

fn compose_env(doc: &Node, path: &str) -> Vec<Fact> {
    let mut facts = Vec::new();
    for (service, key, svc) in doc.get("services").unwrap_or(Node::empty()).entries() {
        let env = svc.get("environment").unwrap_or(Node::empty());
        let mut settings: Vec<String> = env
            .entries()
            .map(|(k, _, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect();
        settings.extend(env.as_seq().iter().filter_map(|n| n.as_str()).map(|s| {
            if s.contains('=') {
                s.to_string()
            } else {
                format!("{s}=")
            }
        }));
        if !settings.is_empty() {
            settings.sort();
            let mut f = env_fact(path, key.line, "compose", settings);
            f.detail = format!("environment of compose service {service}");
            facts.push(f);
        }
    }
    facts
}

fn count_alerts(groups: &Node, field: &str) -> usize {
    groups
        .as_seq()
        .iter()
        .flat_map(|g| g.get("rules").map(Node::as_seq).unwrap_or(&[]))
        .filter(|r| r.get(field).is_some())
        .count()
}

fn line_of_key(doc: &Node, key: &str) -> u32 {
    doc.entry(key).map_or(doc.line.max(1), |(k, _)| k.line)
}

fn yaml_config(doc: &Node, path: &str) -> Vec<Fact> {
    let mut facts = Vec::new();
    // Kubernetes objects (PrometheusRule...) belong to the Kubernetes extractor.
    if doc.get("kind").is_some()
        && doc
            .get("apiVersion")
            .and_then(Node::as_str)
            .is_some_and(|v| v.contains('/') || v == "v1")
    {
        return facts;
    }
    if let Some(groups) = doc.get("groups").filter(|g| g.is_seq()) {
        let prom = count_alerts(groups, "alert");
        let grafana = count_alerts(groups, "condition");
        if prom > 0 {
            facts.push(
                config(
                    path,
                    line_of_key(doc, "groups"),
                    "alert-rules",
                    "prometheus",
                )
                .attr("alerts", prom),
            );
        } else if grafana > 0 {
            facts.push(
                config(
                    path,
                    line_of_key(doc, "groups"),
                    "grafana-alerting",
                    "grafana",
                )
                .attr("alerts", grafana),
            );
        }
    }
    let has = |k: &str| doc.get(k).is_some();
    if has("route") && has("receivers") {
        facts.push(config(
            path,
            line_of_key(doc, "route"),
            "alertmanager",
            "alertmanager",
        ));
    }
    if has("scrape_configs") {
        if has("clients") || has("positions") {
            facts.push(config(
                path,
                line_of_key(doc, "clients"),
                "log-shipper",
                "promtail",
            ));
        } else {
            facts.push(config(
                path,
                line_of_key(doc, "scrape_configs"),
                "scrape-config",
                "prometheus",
            ));
        }
    }
    if let Some(pipelines) = doc.path(&["service", "pipelines"]).filter(|p| p.is_map()) {
        if has("receivers") && has("exporters") {
            let logs = pipelines
                .entries()
                .any(|(k, _, _)| k == "logs" || k.starts_with("logs/"));
            facts.push(
                config(
                    path,
                    line_of_key(doc, "service"),
                    "otel-collector",
                    "otel-collector",
                )
                .attr("logs_pipeline", logs),
            );
        }
    }
    if has("sinks") && has("sources") {
        facts.push(config(
            path,
            line_of_key(doc, "sinks"),
            "log-shipper",
            "vector",
        ));
    }
    if doc
        .path(&["pipeline", "outputs"])
        .is_some_and(|o| !o.as_seq().is_empty())
    {
        facts.push(config(
            path,
            line_of_key(doc, "pipeline"),
            "log-shipper",
            "fluent-bit",
        ));
    }
    if has("schema_config") && (has("storage_config") || has("common")) {
        facts.push(config(
            path,
            line_of_key(doc, "schema_config"),
            "log-shipper",
            "loki",
        ));
    }
    facts
}

/// fluent-bit, fluentd, Logstash and Vector TOML: an output section must exist.
fn text_config(text: &str, path: &str, tool: &str) -> Option<Fact> {
    let needle: &[&str] = match tool {
        "fluent-bit" => &["[OUTPUT]"],
        "fluentd" => &["<match"],
        "logstash" => &["output {", "output{"],
        _ => &["[sinks."],
    };
    text.lines().enumerate().find_map(|(i, l)| {
        let t = l.trim_start();
        (!t.starts_with('#') && needle.iter().any(|n| t.starts_with(n))).then(|| {
            config(
                path,
                u32::try_from(i + 1).unwrap_or(u32::MAX),
                "log-shipper",
                tool,
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn yaml_facts(src: &str) -> Vec<Fact> {
        yaml::parse(src, yaml::Limits::default())
            .documents
            .iter()
            .flat_map(|d| yaml_config(d, "ops/x.yaml"))
            .collect()
    }

    #[test]
    fn alert_rules_alertmanager_and_collector() {
        let f = yaml_facts("groups:\n  - name: app\n    rules:\n      - record: x\n        expr: y\n      - alert: Down\n        expr: up == 0\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].get("alerts"), Some(&1usize.into()));
        let f =
            yaml_facts("groups:\n  - name: app\n    rules:\n      - record: x\n        expr: y\n");
        assert!(f.is_empty());
        let f = yaml_facts("route: {receiver: team}\nreceivers: [{name: team}]\n");
        assert_eq!(f[0].get_str("tool"), Some("alertmanager"));
        let f = yaml_facts("receivers: {otlp: {}}\nexporters: {otlphttp: {}}\nservice:\n  pipelines:\n    traces: {}\n    logs/app: {}\n");
        assert!(f[0].get_bool("logs_pipeline"));
        assert_eq!(f[0].location.line, Some(3));
    }

    #[test]
    fn text_configs_need_an_output() {
        assert!(text_config("[INPUT]\n  Name tail\n", "fluent-bit.conf", "fluent-bit").is_none());
        let f = text_config(
            "[INPUT]\n  Name tail\n# [OUTPUT]\n[OUTPUT]\n  Name loki\n",
            "fluent-bit.conf",
            "fluent-bit",
        )
        .expect("output");
        assert_eq!(f.location.line, Some(4));
    }

    #[test]
    fn environments() {
        assert_eq!(
            env_lines(
                "# x\nexport SENTRY_DSN=\"https://k@o.ingest.sentry.io/1\"\nLOG_FORMAT=json\n"
            ),
            [
                "LOG_FORMAT=json",
                "SENTRY_DSN=https://k@o.ingest.sentry.io/1"
            ]
        );
        let doc = yaml::parse(
            "services:\n  api:\n    environment:\n      LOG_FORMAT: json\n  db:\n    environment: [POSTGRES_DB=x]\n",
            yaml::Limits::default(),
        )
        .documents
        .remove(0);
        let f = compose_env(&doc, "compose.yaml");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].get_list("settings"), ["LOG_FORMAT=json"]);
    }

    #[test]
    fn only_files_naming_a_top_level_key_are_parsed() {
        let yes = [
            "groups:\n- name: a\n",
            "# comment\n---\nroute:\n  receiver: x\n",
            "\"scrape_configs\" :\n  - job_name: x\n",
            "  groups:\n  - name: indented root\n",
            "{\"groups\": [{\"name\": \"flow\"}]}\n",
            "a: 1\n---\nreceivers:\n- name: second document\n",
        ];
        for text in yes {
            assert!(mentions_config_key(text, false), "{text:?}");
        }
        let no = [
            "spec:\n  groups:\n  - nested\n",
            "description: the route: is in a value\n",
            "# groups:\nname: x\n",
            "services:\n  web: {}\n",
            "",
        ];
        for text in no {
            assert!(!mentions_config_key(text, false), "{text:?}");
        }
        assert!(mentions_config_key("services:\n  web: {}\n", true));
    }
}
