//! golangci-lint runs other analysers as linters. When its configuration enables a
//! security analyser (gosec), a golangci-lint step is also a run of that scanner; the
//! evidence is the configuration line that enables it.

use crate::yaml::{self, Node};

/// Where golangci-lint looks for its configuration (YAML and JSON; TOML is not read).
pub const CONFIG_NAMES: &[&str] = &[".golangci.yml", ".golangci.yaml", ".golangci.json"];

/// Linters that are security scanners, with the catalog tool they are.
pub const SECURITY_LINTERS: &[(&str, &str)] = &[("gosec", "gosec")];

/// The enabled security linters of a configuration: (catalog tool id, line).
/// v1 (`enable-all: true`) and v2 (`default: all`) enable every linter not disabled;
/// otherwise a linter is enabled by `linters.enable`.
pub fn enabled_security_linters(text: &str) -> Vec<(&'static str, u32)> {
    let parsed = yaml::parse(text, yaml::Limits::default());
    let Some(linters) = parsed.documents.first().and_then(|d| d.get("linters")) else {
        return Vec::new();
    };
    let listed = |key: &str, name: &str| -> Option<u32> {
        linters
            .get(key)?
            .as_seq()
            .iter()
            .find(|n| n.as_str() == Some(name))
            .map(|n| n.line)
    };
    let all = linters
        .entry("enable-all")
        .filter(|(_, v)| v.is_true())
        .or_else(|| {
            linters
                .entry("default")
                .filter(|(_, v)| v.as_str() == Some("all"))
        })
        .map(|(k, _): (&Node, &Node)| k.line);
    SECURITY_LINTERS
        .iter()
        .filter(|(name, _)| listed("disable", name).is_none())
        .filter_map(|(name, tool)| listed("enable", name).or(all).map(|line| (*tool, line)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_listed_all_and_disabled() {
        let v2 = "version: \"2\"\nlinters:\n  default: none\n  enable:\n    - errcheck\n    #- gosec\n    - gosec\n";
        assert_eq!(enabled_security_linters(v2), vec![("gosec", 7)]);
        let commented = "linters:\n  enable:\n    - errcheck\n    # - gosec\n";
        assert!(enabled_security_linters(commented).is_empty());
        let all = "linters:\n  enable-all: true\n";
        assert_eq!(enabled_security_linters(all), vec![("gosec", 2)]);
        let all_but = "linters:\n  default: all\n  disable: [gosec]\n";
        assert!(enabled_security_linters(all_but).is_empty());
        assert!(enabled_security_linters("linters: [").is_empty());
        let json = "{\"linters\": {\"enable\": [\"gosec\"]}}";
        assert_eq!(enabled_security_linters(json), vec![("gosec", 1)]);
    }
}
