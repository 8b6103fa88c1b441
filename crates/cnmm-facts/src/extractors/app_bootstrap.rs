//! Error and event collection set up where an application starts: `Sentry.init(...)`
//! (and the Go, Python, Rust and Ruby SDKs' equivalents) in an entry point, with the
//! DSN taken from the configuration (`process.env.SENTRY_DSN`, `os.Getenv`,
//! `settings.SENTRY_DSN`). Only entry points are read, never every source file:
//! a library that wraps Sentry has no `main`, and a hard-coded or parameter DSN is not
//! a deployment's configuration. Application Insights counts the same way: a VS Code
//! extension's `src/extension.ts` that starts a `TelemetryReporter` (or the Node SDK's
//! `appInsights.setup`) with the key from the extension's `package.json` or the
//! environment, never with a key written in the source.

use super::{
    file_name, mark_excluded, observability, parent_dir, Ctx, Extractor, FileInput, Output,
};
use cnmm_model::{Fact, FactKindSpec, Location};
use regex::Regex;
use std::sync::OnceLock;

pub struct AppBootstrap;

/// Characters after the init call searched for the DSN's source.
const DSN_WINDOW: usize = 600;

/// Entry points of applications, by language convention.
fn is_entry_point(path: &str) -> bool {
    let name = file_name(path);
    let dir = parent_dir(path);
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let js = matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "jsx" | "tsx");
    match ext {
        // `main.go` at the root or in `cmd/<name>/`.
        "go" => {
            stem == "main"
                && (dir.is_empty() || (dir.starts_with("cmd/") && dir.matches('/').count() == 1))
        }
        "py" => {
            matches!(stem, "app" | "main" | "wsgi" | "asgi" | "__main__")
                && dir.matches('/').count() <= 1
                || stem == "settings"
                || dir.ends_with("/settings") && dir.matches('/').count() <= 2
        }
        "rs" => path == "src/main.rs",
        "rb" => dir == "config/initializers",
        _ if js => {
            // Framework SDK configs (`sentry.server.config.ts`) and `instrument.js`
            // are loaded before the application by definition.
            let src = dir.is_empty() || dir == "src";
            name.starts_with("sentry.") && name.contains(".config.")
                || stem == "instrument"
                || (matches!(stem, "main" | "server" | "app") && src)
                // A VS Code extension's `activate` (`main` in its package.json), in a
                // single or a multi-extension repository.
                || (stem == "extension"
                    && (src || dir.ends_with("/src") && dir.matches('/').count() <= 2))
        }
        _ => false,
    }
}

fn init_call() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b(?:Sentry\.init|sentry\.Init|sentry_sdk\.init|sentry::init|Raven\.config)\s*(?:\(|do\b)")
            .expect("static regex")
    })
}

/// Application Insights started by the extension or service (`new TelemetryReporter(`,
/// the telemetry wrapper's `initializeFromJsonFile(`, the Node SDK's `setup(`).
fn insights_call() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b(?:new\s+TelemetryReporter|initializeFromJsonFile|(?:appInsights|applicationinsights|applicationInsights)\.setup|useAzureMonitor)\s*\(")
            .expect("static regex")
    })
}

/// Its key or connection string read from the extension's manifest or the environment.
fn configured_insights_key() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)(?:packagejson|package\.json|manifest)\W{0,3}(?:\.|\[\W?)\s*(?:aikey|instrumentationkey|connectionstring)|initializeFromJsonFile\s*\(|process\.env\.\w*(?:applicationinsights|instrumentation_?key|connection_?string)"#)
            .expect("static regex")
    })
}

/// A DSN read from the environment or the application's configuration.
fn configured_dsn() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)dsn\W{0,12}(?:[:=(]|=>)\s*[^,\n]{0,80}?(?:process\.env|import\.meta\.env|os\.getenv|os\.environ|env::var|std::env|ENV\[|ENV\.fetch|getenv|settings\.|config\.|conf\.|cfg\.|viper\.)"#)
            .expect("static regex")
    })
}

impl Extractor for AppBootstrap {
    fn name(&self) -> &'static str {
        "app-bootstrap"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        observability::KINDS
    }

    fn claims(&self, path: &str) -> bool {
        is_entry_point(path)
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let text = input.text;
        // The first init call whose DSN comes from the configuration.
        let configured = init_call().find_iter(text).find(|m| {
            let end = (m.end() + DSN_WINDOW).min(text.len());
            let end = (end..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            configured_dsn().is_match(&text[m.start()..end])
        });
        if let Some(m) = configured {
            let f = Fact::new(
                "observability.config",
                Location::at(input.path(), crate::line_of(text, m.start())),
                "Sentry initialised at application start with its DSN from configuration",
            )
            .attr("kind", "error-collection")
            .attr("tool", "sentry");
            out.facts.push(mark_excluded(f, input));
        }
        if let Some(m) = insights_call().find(text) {
            if configured_insights_key().is_match(text) {
                let f = Fact::new(
                    "observability.config",
                    Location::at(input.path(), crate::line_of(text, m.start())),
                    "Application Insights event and error collection started at activation, with its key from the package manifest or the environment",
                )
                .attr("kind", "error-collection")
                .attr("tool", "application-insights")
                .attr(
                    "judgement",
                    "Application Insights telemetry read as central event and error collection; it also carries usage telemetry",
                );
                out.facts.push(mark_excluded(f, input));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points() {
        for p in [
            "main.go",
            "cmd/api/main.go",
            "src/main.ts",
            "server.js",
            "app.py",
            "mysite/settings.py",
            "src/main.rs",
            "config/initializers/sentry.rb",
            "sentry.server.config.ts",
            "instrument.mjs",
            "src/extension.ts",
            "extensions/mssql/src/extension.ts",
        ] {
            assert!(is_entry_point(p), "{p}");
        }
        for p in [
            "pkg/errors/sentry.go",
            "src/lib.rs",
            "src/utils/sentry.ts",
            "internal/cmd/x/y/main.go",
            "lib/sentry.rb",
            "src/telemetry/extension.ts",
        ] {
            assert!(!is_entry_point(p), "{p}");
        }
    }

    #[test]
    fn the_dsn_must_come_from_configuration() {
        let seen = |t: &str| {
            init_call()
                .find(t)
                .is_some_and(|m| configured_dsn().is_match(&t[m.start()..]))
        };
        assert!(seen(
            "Sentry.init({\n  dsn: process.env.SENTRY_DSN,\n  tracesSampleRate: 0.1,\n});"
        ));
        assert!(seen(
            "err := sentry.Init(sentry.ClientOptions{\n\tDsn: os.Getenv(\"SENTRY_DSN\"),\n})"
        ));
        assert!(seen(
            "sentry_sdk.init(dsn=settings.SENTRY_DSN, traces_sample_rate=0.2)"
        ));
        assert!(seen(
            "Sentry.init do |config|\n  config.dsn = ENV['SENTRY_DSN']\nend"
        ));
        // A DSN handed in by the caller (a library wrapper) or left empty is not.
        assert!(!seen(
            "export function setup(opts) { Sentry.init({ dsn: opts.dsn }); }"
        ));
        assert!(!seen("Sentry.init({ dsn: '' })"));
    }
}
