//! Deployment artifacts, ops configs and SBOMs end to end: bad input becomes located
//! diagnostics without losing other results, and excluded places show with a reason.

use crate::support::{assess, criterion};
use cnmm_model::{Assessment, Status};
use std::path::Path;

fn write(root: &Path, path: &str, body: &[u8]) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, body).expect("write");
}

fn diagnostic_at<'a>(a: &'a Assessment, path: &str) -> Vec<(Option<u32>, &'a str)> {
    a.diagnostics
        .iter()
        .filter(|d| d.path.as_deref() == Some(path))
        .map(|d| (d.line, d.message.as_str()))
        .collect()
}

const PROBED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          readinessProbe: {httpGet: {path: /readyz, port: 8080}}\n          resources:\n            requests: {cpu: 100m}\n";

#[test]
fn broken_files_are_located_diagnostics_and_lose_nothing_else() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    // A good manifest next to a file whose second document is broken: the first
    // document of the broken file still counts.
    write(root, "deploy/api.yaml", PROBED.as_bytes());
    write(
        root,
        "deploy/broken.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Service\nspec: [unclosed\n",
    );
    write(
        root,
        "infra/main.tf",
        b"resource \"aws_cloudtrail\" \"main\" {\n  name = \"main\"\n}\n\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"unterminated\n}\n",
    );
    write(
        root,
        "sbom/app.cdx.json",
        b"{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"components\": [\n",
    );
    let mut binary = b"apiVersion: v1\n".to_vec();
    binary.extend([0u8, 159, 146, 150, 0, 1, 2]);
    write(root, "deploy/blob.yaml", &binary);

    let a = assess(root);
    let broken = diagnostic_at(&a, "deploy/broken.yaml");
    assert!(
        broken
            .iter()
            .any(|(l, m)| *l >= Some(7) && m.contains("invalid YAML")),
        "{broken:?}"
    );
    let tf = diagnostic_at(&a, "infra/main.tf");
    assert!(
        tf.iter()
            .any(|(l, m)| *l == Some(6) && m.contains("unreadable HCL")),
        "{tf:?}"
    );
    let sbom = diagnostic_at(&a, "sbom/app.cdx.json");
    assert!(
        sbom.iter()
            .any(|(l, m)| l.is_some() && m.contains("unreadable SBOM")),
        "{sbom:?}"
    );
    assert!(diagnostic_at(&a, "deploy/blob.yaml")
        .iter()
        .any(|(_, m)| m.contains("binary")));
    // The block before the broken string still counts.
    let a3b = criterion(&a, "A3b");
    assert_eq!(a3b.status, Status::Met);
    assert_eq!(a3b.evidence[0].path, "infra/main.tf");
    assert_eq!(a3b.evidence[0].line, Some(1));
    assert_eq!(criterion(&a, "P5a").status, Status::Met);
    assert_eq!(criterion(&a, "S5a").status, Status::Unmet);
}

#[test]
fn an_sbom_over_the_read_cap_is_skipped_with_a_diagnostic() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    // About 50 MB of components, generated here rather than committed.
    let component = "    {\"type\": \"library\", \"name\": \"left-pad\", \"version\": \"1.3.0\", \"purl\": \"pkg:npm/left-pad@1.3.0\"},\n";
    let mut body = String::from(
        "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"components\": [\n",
    );
    while body.len() < 50 * 1024 * 1024 {
        body.push_str(component);
    }
    body.push_str("    {\"type\": \"library\", \"name\": \"end\"}\n  ]\n}\n");
    write(root, "sbom/huge.cdx.json", body.as_bytes());
    let a = assess(root);
    let d = diagnostic_at(&a, "sbom/huge.cdx.json");
    assert!(d.iter().any(|(_, m)| m.contains("skipped")), "{d:?}");
    assert_eq!(criterion(&a, "S5a").status, Status::Unmet);
}

#[test]
fn excluded_places_show_with_their_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    write(root, "examples/api.yaml", PROBED.as_bytes());
    write(
        root,
        "test/infra/trail.tf",
        b"resource \"aws_cloudtrail\" \"t\" {\n  name = \"t\"\n}\n",
    );
    let a = assess(root);
    let p5a = criterion(&a, "P5a");
    assert_eq!(p5a.status, Status::Unmet);
    assert!(p5a.excluded.iter().any(|e| e.path == "examples/api.yaml"
        && e.line == Some(2)
        && e.reason.contains("example")));
    let a3b = criterion(&a, "A3b");
    assert!(a3b
        .excluded
        .iter()
        .any(|e| e.path == "test/infra/trail.tf" && e.reason.contains("test")));
    // Manifests under examples do not make the repository concerned by X5d.
    assert_eq!(criterion(&a, "X5d").status, Status::NotApplicable);
}

#[test]
fn chart_templates_are_read_as_text_not_as_yaml() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    write(
        root,
        "charts/api/Chart.yaml",
        b"apiVersion: v2\nname: api\nversion: 0.1.0\n",
    );
    // Not valid YAML before rendering; must not become a YAML diagnostic.
    write(
        root,
        "charts/api/templates/deployment.yaml",
        b"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          {{- with .Values.probes }}\n          {{- toYaml . | nindent 10 }}\n          {{- end }}\n          readinessProbe: {httpGet: {path: /readyz, port: http}}\n",
    );
    let a = assess(root);
    assert!(diagnostic_at(&a, "charts/api/templates/deployment.yaml").is_empty());
    let x5d = criterion(&a, "X5d");
    assert_eq!(x5d.status, Status::Met);
    assert_eq!(x5d.evidence[0].path, "charts/api/templates/deployment.yaml");
    assert_eq!(x5d.evidence[0].line, Some(2));
}
