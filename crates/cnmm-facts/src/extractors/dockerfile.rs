//! Dockerfiles and Containerfiles: one `container.from` fact per `FROM` (image, tag,
//! digest, stage references, ARG-built references, `--platform`) and one
//! `container.instruction` fact per `USER`, `HEALTHCHECK` and `COPY --from`.
//!
//! Instructions are read as Docker does: line continuations (with the escape character
//! a parser directive may change), comments, and heredoc bodies (`RUN <<EOF`) that are
//! content, not instructions.

use super::{exclude_for, file_name, mark_excluded, Ctx, Extractor, FileInput, Output};
use cnmm_model::{attr, AttrType as T, Diagnostic, Fact, FactKindSpec, FactSource, Location};

pub struct Dockerfile;

static KINDS: &[FactKindSpec] = &[
    FactKindSpec {
        name: "container.from",
        source: FactSource::Files,
        description: "A FROM instruction of a Dockerfile.",
        attrs: &[
            attr(
                "image",
                T::Str,
                "The image reference as written (ARGs unexpanded).",
            ),
            attr("tag", T::Str, "The tag, when one is given."),
            attr(
                "digest",
                T::Str,
                "The @sha256:... digest, when one is given.",
            ),
            attr("pinned", T::Bool, "A base image pinned by digest."),
            attr(
                "latest",
                T::Bool,
                "No tag or the `latest` tag (and no digest).",
            ),
            attr(
                "stage_ref",
                T::Bool,
                "FROM an earlier stage of the same file, or `scratch`: not an external image.",
            ),
            attr(
                "arg_built",
                T::Bool,
                "The reference is built from ARGs (`${BASE}`): judged by the ARGs' defaults declared before the first FROM when every one has a default, else its pinning cannot be read.",
            ),
            attr(
                "resolved",
                T::Str,
                "For an ARG-built reference: the reference with the ARGs' defaults (the stage or image it builds on unless the build overrides them).",
            ),
            attr("platform", T::Str, "The --platform flag, when given."),
            attr("stage", T::Str, "The stage name given with `AS`."),
        ],
    },
    FactKindSpec {
        name: "container.instruction",
        source: FactSource::Files,
        description: "A USER, HEALTHCHECK or COPY --from instruction of a Dockerfile.",
        attrs: &[
            attr("instruction", T::Str, "user, healthcheck or copy-from."),
            attr(
                "value",
                T::Str,
                "The user, the health command (NONE disables it) or the source stage/image.",
            ),
        ],
    },
];

pub fn is_dockerfile(name: &str) -> bool {
    name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
        || name.starts_with("Containerfile.")
}

impl Extractor for Dockerfile {
    fn name(&self) -> &'static str {
        "dockerfile"
    }

    fn fact_kinds(&self) -> &'static [FactKindSpec] {
        KINDS
    }

    fn claims(&self, path: &str) -> bool {
        is_dockerfile(file_name(path))
    }

    fn extract(&self, input: &FileInput, _ctx: &Ctx, out: &mut Output) {
        let path = input.path();
        let (facts, problems) = read(input.text, path);
        for (line, msg) in problems {
            out.diagnostics
                .push(Diagnostic::warning(path, Some(line), msg));
        }
        let not_shipped = development_image(path);
        for f in facts {
            out.facts
                .push(mark_excluded(exclude_for(f, not_shipped), input));
        }
    }
}

/// Why a Dockerfile builds an image that does not ship (a dev container, a test or CI
/// build environment), if it does: `.devcontainer/Dockerfile`, `Dockerfile.dev`,
/// `ci/fedora.Dockerfile`, `.buildkite/Dockerfile-lint`.
fn development_image(path: &str) -> Option<&'static str> {
    const CI_DIRS: &[&str] = &[
        ".devcontainer",
        ".gitlab-ci",
        ".gitlab",
        ".buildkite",
        ".circleci",
        ".github",
        "ci",
        ".ci",
    ];
    const NAME_TOKENS: &[&str] = &[
        "dev",
        "devel",
        "development",
        "test",
        "tests",
        "ci",
        "local",
        "devcontainer",
    ];
    if path
        .split('/')
        .next()
        .is_some_and(|top| CI_DIRS.contains(&top))
        && path.contains('/')
    {
        return Some(
            "a CI or development environment image (under a CI directory), not one that ships",
        );
    }
    let name = file_name(path).to_ascii_lowercase();
    let dev = name
        .split(['.', '-', '_'])
        .filter(|t| *t != "dockerfile" && *t != "containerfile")
        .any(|t| NAME_TOKENS.contains(&t));
    dev.then_some("a development or test image (by its name), not one that ships")
}

/// A line number with a text: an instruction, or a problem found there.
type Lined = (u32, String);

/// Logical instructions (first line, text with continuations joined) and problems.
fn instructions(text: &str) -> (Vec<Lined>, Vec<Lined>) {
    let mut escape = '\\';
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    let mut in_directives = true;
    let mut heredocs: Vec<String> = Vec::new();
    while let Some((i, raw)) = lines.next() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if let Some(marker) = heredocs.first() {
            if trimmed == marker {
                heredocs.remove(0);
            }
            continue;
        }
        if trimmed.starts_with('#') {
            if in_directives {
                let d = trimmed.trim_start_matches('#').trim();
                if let Some(v) = d.strip_prefix("escape=") {
                    if let Some(c) = v.trim().chars().next() {
                        escape = c;
                    }
                }
            }
            continue;
        }
        in_directives = false;
        if trimmed.is_empty() {
            continue;
        }
        let mut logical = String::new();
        let mut current = raw.to_string();
        loop {
            let t = current.trim_end();
            if let Some(body) = t.strip_suffix(escape) {
                logical.push_str(body);
                logical.push(' ');
                // Comment lines inside a continuation are dropped, as Docker does.
                let mut next = None;
                for (_, l) in lines.by_ref() {
                    if !l.trim_start().starts_with('#') {
                        next = Some(l.to_string());
                        break;
                    }
                }
                match next {
                    Some(l) => current = l,
                    None => {
                        problems.push((n, "line continuation at the end of the file".into()));
                        break;
                    }
                }
            } else {
                logical.push_str(t);
                break;
            }
        }
        // `RUN <<EOF` / `COPY <<-"EOF" /x`: the following lines up to EOF are content.
        for word in logical.split_whitespace() {
            if let Some(m) = word.strip_prefix("<<") {
                let m = m.trim_start_matches('-').trim_matches(['"', '\'']);
                if !m.is_empty() && m.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    heredocs.push(m.to_string());
                }
            }
        }
        out.push((n, logical));
    }
    if let Some(m) = heredocs.first() {
        problems.push((1, format!("heredoc `{m}` is never closed")));
    }
    (out, problems)
}

/// `$NAME` and `${NAME}` replaced by the defaults of the ARGs declared before the first
/// FROM (the only ones a FROM can use), when every variable has one.
fn resolve_args(image: &str, globals: &[(String, String)]) -> Option<String> {
    static VAR: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let var = VAR.get_or_init(|| {
        regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
            .expect("static regex")
    });
    let mut complete = true;
    let out = var.replace_all(image, |c: &regex::Captures| {
        let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        match globals.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => {
                complete = false;
                String::new()
            }
        }
    });
    (complete && !out.is_empty() && !out.contains('$')).then(|| out.into_owned())
}

fn read(text: &str, path: &str) -> (Vec<Fact>, Vec<Lined>) {
    let (instrs, problems) = instructions(text);
    let mut facts = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    // `ARG BASE_IMAGE=alpine` before the first FROM: what `FROM $BASE_IMAGE` builds on
    // unless the build overrides it.
    let mut globals: Vec<(String, String)> = Vec::new();
    for (_, ins) in &instrs {
        let mut words = ins.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("FROM") => break,
            Some("ARG") => {
                for w in words {
                    if let Some((name, value)) = w.split_once('=') {
                        let value = value.trim_matches(|c| c == '"' || c == '\'');
                        globals.push((name.to_string(), value.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    for (line, ins) in instrs {
        let mut words = ins.split_whitespace();
        let Some(op) = words.next() else { continue };
        let args: Vec<&str> = words.collect();
        let loc = Location::at(path, line);
        match op.to_ascii_uppercase().as_str() {
            "FROM" => {
                let mut platform = None;
                let mut rest = Vec::new();
                for a in &args {
                    if let Some(p) = a.strip_prefix("--platform=") {
                        platform = Some(p.to_string());
                    } else if !a.starts_with("--") {
                        rest.push(*a);
                    }
                }
                let Some(&written) = rest.first() else {
                    continue;
                };
                let resolved = written
                    .contains('$')
                    .then(|| resolve_args(written, &globals))
                    .flatten();
                let image = &resolved.as_deref().unwrap_or(written);
                let stage = match rest.as_slice() {
                    [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.to_string()),
                    _ => None,
                };
                let stage_ref = image.eq_ignore_ascii_case("scratch")
                    || stages.iter().any(|s| s.eq_ignore_ascii_case(image));
                let arg_built = written.contains('$');
                let unresolved = image.contains('$');
                let (name_tag, digest) = match image.split_once('@') {
                    Some((a, d)) => (a, Some(d)),
                    None => (*image, None),
                };
                // A tag follows the last `:` after the last `/` (a registry port is not a tag).
                let last = name_tag.rsplit('/').next().unwrap_or(name_tag);
                let tag = last.split_once(':').map(|(_, t)| t);
                let detail = match &resolved {
                    Some(r) => format!("FROM {written} (`{r}` by its ARG default)"),
                    None => format!("FROM {written}"),
                };
                let mut f = Fact::new("container.from", loc, detail)
                    .attr("image", written)
                    .attr(
                        "pinned",
                        digest.is_some_and(|d| d.starts_with("sha256:")) && !unresolved,
                    )
                    .attr(
                        "latest",
                        !stage_ref
                            && !unresolved
                            && digest.is_none()
                            && tag.is_none_or(|t| t == "latest"),
                    )
                    .attr("stage_ref", stage_ref)
                    .attr("arg_built", arg_built);
                if let Some(r) = &resolved {
                    f.set("resolved", r.as_str());
                }
                if let Some(t) = tag {
                    f.set("tag", t);
                }
                if let Some(d) = digest {
                    f.set("digest", d);
                }
                if let Some(p) = platform {
                    f.set("platform", p);
                }
                if let Some(s) = &stage {
                    f.set("stage", s.as_str());
                    stages.push(s.clone());
                }
                facts.push(f);
            }
            "USER" | "HEALTHCHECK" => {
                let value = args.join(" ");
                let instruction = if op.eq_ignore_ascii_case("USER") {
                    "user"
                } else {
                    "healthcheck"
                };
                facts.push(
                    Fact::new("container.instruction", loc, format!("{op} {value}"))
                        .attr("instruction", instruction)
                        .attr("value", value),
                );
            }
            "COPY" => {
                if let Some(from) = args.iter().find_map(|a| a.strip_prefix("--from=")) {
                    facts.push(
                        Fact::new("container.instruction", loc, format!("COPY --from={from}"))
                            .attr("instruction", "copy-from")
                            .attr("value", from),
                    );
                }
            }
            _ => {}
        }
    }
    (facts, problems)
}

#[cfg(test)]
mod tests {
    #[test]
    fn development_images_do_not_ship() {
        for p in [
            ".devcontainer/Dockerfile",
            "Dockerfile.dev",
            "docker/test.Dockerfile",
            "ci/containers/fedora-40.Dockerfile",
            ".buildkite/Dockerfile-lint",
            "Dockerfile_local",
        ] {
            assert!(super::development_image(p).is_some(), "{p}");
        }
        for p in [
            "Dockerfile",
            "docker/Dockerfile.server.multiarch.rootless",
            "build/Dockerfile.release",
            "cmd/app/Dockerfile",
            "Dockerfile.devtools-free",
        ] {
            assert!(super::development_image(p).is_none(), "{p}");
        }
    }

    use super::*;

    #[test]
    fn stages_digests_args_and_continuations() {
        let src = "# escape=`\nARG BASE=alpine:3.20\nFROM --platform=$BUILDPLATFORM golang:1.22@sha256:abc AS builder\nRUN <<EOF\nFROM evil:latest\nEOF\nRUN go build `\n  # a comment inside\n  -trimpath ./...\nFROM ${BASE}\nFROM builder AS test\nFROM gcr.io:443/distroless/static\nCOPY --from=builder /out /app\nUSER 65532\nHEALTHCHECK CMD [\"/app\", \"health\"]\n";
        let (f, problems) = read(src, "Dockerfile");
        assert!(problems.is_empty());
        let froms: Vec<&Fact> = f.iter().filter(|f| f.kind == "container.from").collect();
        assert_eq!(froms.len(), 4);
        assert!(froms[0].get_bool("pinned"));
        assert_eq!(froms[0].get_str("platform"), Some("$BUILDPLATFORM"));
        assert_eq!(froms[0].location.line, Some(3));
        assert!(froms[1].get_bool("arg_built") && !froms[1].get_bool("pinned"));
        assert!(froms[2].get_bool("stage_ref"));
        assert!(froms[3].get_bool("latest"));
        assert_eq!(froms[3].location.line, Some(12));
        let ins: Vec<&str> = f.iter().filter_map(|f| f.get_str("instruction")).collect();
        assert_eq!(ins, ["copy-from", "user", "healthcheck"]);
    }

    #[test]
    fn unterminated_input_is_reported() {
        let (_, p) = read("FROM a \\\n", "Dockerfile");
        assert_eq!(p.len(), 1);
        let (f, p) = read("FROM a:1\nRUN <<EOF\nFROM b\n", "Dockerfile");
        assert_eq!(f.len(), 1);
        assert_eq!(p.len(), 1);
    }
}
