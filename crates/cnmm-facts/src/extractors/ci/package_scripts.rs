//! `package.json` scripts: the commands behind `npm run NAME` (and yarn, pnpm, bun),
//! with npm's `preNAME`/`postNAME` hooks.

use super::scripts::ScriptCommand;
use crate::shell::split_commands;
use crate::yaml::{self, Node};

/// The commands of script `name` in a `package.json`, hooks first and last.
pub fn package_script_commands(path: &str, text: &str, name: &str) -> Vec<ScriptCommand> {
    // JSON is YAML: the positioned tree gives every script its line.
    let parsed = yaml::parse(text, yaml::Limits::default());
    let Some(scripts) = parsed.documents.first().and_then(|d| d.get("scripts")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in [
        format!("pre{name}"),
        name.to_string(),
        format!("post{name}"),
    ] {
        let Some(script) = scripts.get(&key) else {
            continue;
        };
        let Some(text) = script.as_str() else {
            continue;
        };
        for c in split_commands(text) {
            out.push(ScriptCommand {
                path: path.to_string(),
                line: Node::text_line(script) + c.line,
                words: c.words,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_and_hooks_with_lines() {
        let pkg = "{\n  \"name\": \"site\",\n  \"scripts\": {\n    \"prebuild:docs\": \"node scripts/clean.js\",\n    \"build:docs\": \"npm run build:ui && gulp build:docs\",\n    \"test\": \"jest --ci\"\n  }\n}\n";
        let cmds = package_script_commands("package.json", pkg, "build:docs");
        let texts: Vec<(u32, String)> = cmds.iter().map(|c| (c.line, c.words.join(" "))).collect();
        assert_eq!(
            texts,
            vec![
                (4, "node scripts/clean.js".to_string()),
                (5, "npm run build:ui".to_string()),
                (5, "gulp build:docs".to_string()),
            ]
        );
        assert!(package_script_commands("package.json", pkg, "lint").is_empty());
        assert!(package_script_commands("package.json", "{\"scripts\": 3}", "x").is_empty());
    }
}
