//! Writes a `git fast-import` stream for a generated monorepo (for `bench/full-scan.sh`).
//!
//!     cargo run --release --example bench_repo -- FILES COMMITS | git fast-import --quiet
//!
//! The first commit adds FILES files shaped like a Go monorepo: services in nested
//! directories (`services/gNN/svcNNNN/`) with source files, a Dockerfile, Kubernetes
//! manifests and a Helm chart each; Terraform modules, GitHub workflows (one per 1,500
//! files, at least a dozen) and governance files at the top. The candidate files cnmm
//! reads grow with FILES (about 6% of them, near loki's 5%).
//!
//! Then COMMITS commits in all (counting that first one and the side commits of merges)
//! spread evenly over the 360 days before HEAD, so that cnmm's default 365-day window
//! covers every commit and `git log` over HEAD is the fair floor. The history has the
//! shape of `bench/history.sh`: a first-parent chain, a side commit and a `Merge pull
//! request #N` merge every 10th step, squash-style `(#N)` subjects otherwise, a
//! Dependabot author every 7th, a `Signed-off-by` trailer on most, reverts and hotfixes
//! now and then, an annotated `vMAJOR.MINOR.0` tag every 500th step. Each later commit
//! changes one small file of one service (neither cnmm nor `git log --format='%H %at
//! %P'` reads the trees of past commits, so the cost of a change's size is only paid by
//! the generator). Deterministic: the same arguments give the same repository.

use std::io::{self, BufWriter, Write};

const PER_SERVICE: usize = 250;
const SERVICES_PER_GROUP: usize = 50;
const SOURCE_DIR_FILES: usize = 24;

struct Out<W: Write> {
    w: W,
}

impl<W: Write> Out<W> {
    fn data(&mut self, bytes: &str) -> io::Result<()> {
        write!(self.w, "data {}\n{}\n", bytes.len(), bytes)
    }
    fn file(&mut self, path: &str, content: &str) -> io::Result<()> {
        writeln!(self.w, "M 644 inline {path}")?;
        self.data(content)
    }
}

fn service_dir(s: usize) -> String {
    format!("services/g{:02}/svc{:04}", s / SERVICES_PER_GROUP, s)
}

fn svc_name(dir: &str) -> &str {
    dir.rsplit('/').next().unwrap_or(dir)
}

fn workflow(i: usize) -> String {
    let name = [
        "ci",
        "lint",
        "release",
        "images",
        "e2e",
        "codeql",
        "scorecard",
        "docs",
    ][i % 8];
    let mut y = format!(
        "name: {name}-{i}\non:\n  push:\n    branches: [main]\n  pull_request:\n    branches: [main]\n\
permissions:\n  contents: read\nconcurrency:\n  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}\n  cancel-in-progress: true\njobs:\n"
    );
    y.push_str(
        "  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 30\n    steps:\n\
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n\
        with:\n          persist-credentials: false\n\
      - uses: actions/setup-go@3041bf56c941b39c61721a86cd11f3bb1338122a # v5.2.0\n\
        with:\n          go-version-file: go.mod\n\
      - run: make lint\n      - run: go test -race -coverprofile=cover.out ./...\n\
      - uses: codecov/codecov-action@1e68e06f1dbfde0e4cefc87efeba9e4643565303 # v5.1.2\n",
    );
    match name {
        "release" => y.push_str(
            "  release:\n    needs: test\n    if: startsWith(github.ref, 'refs/tags/v')\n    runs-on: ubuntu-latest\n\
    permissions:\n      contents: write\n      id-token: write\n      packages: write\n    steps:\n\
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n\
      - uses: sigstore/cosign-installer@dc72c7d5c4d10cd6bcb8cf6e3fd625a9e5e537da # v3.7.0\n\
      - uses: anchore/sbom-action@df80a981bc6edbc4e220a492d3cbe9f5547a6e75 # v0.17.9\n\
      - uses: goreleaser/goreleaser-action@9ed2f89a662bf1735a48bc8557fd212fa902bebf # v6.1.0\n\
        with:\n          args: release --clean\n        env:\n          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n",
        ),
        "images" => y.push_str(
            "  image:\n    needs: test\n    runs-on: ubuntu-latest\n    steps:\n\
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n\
      - uses: docker/setup-buildx-action@6524bf65af31da8d45b59e8c27de4bd072b392f5 # v3.8.0\n\
      - uses: docker/build-push-action@48aba3b46d1b1fec4febb7c5d0c644b249a11355 # v6.10.0\n\
        with:\n          push: ${{ github.event_name == 'push' }}\n          tags: ghcr.io/example/app:${{ github.sha }}\n\
      - uses: aquasecurity/trivy-action@18f2510ee396bbf400402947b394f2dd8c87dbb0 # 0.29.0\n\
        with:\n          image-ref: ghcr.io/example/app:${{ github.sha }}\n          exit-code: '1'\n",
        ),
        "e2e" => y.push_str(
            "  e2e:\n    needs: test\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        k8s: ['1.30', '1.31', '1.32']\n    steps:\n\
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n\
      - uses: helm/kind-action@a1b0e391336a6ee6713a0583f8c6240d70863de3 # v1.12.0\n\
      - run: |\n          helm lint charts/*\n          kubectl apply -f deploy/\n          make e2e K8S=${{ matrix.k8s }}\n",
        ),
        _ => {}
    }
    y
}

fn gitlab_ci() -> String {
    "stages: [lint, test, build, deploy]\nvariables:\n  GO_VERSION: \"1.23\"\n\
include:\n  - template: Security/SAST.gitlab-ci.yml\n  - template: Security/Dependency-Scanning.gitlab-ci.yml\n\
lint:\n  stage: lint\n  image: golangci/golangci-lint:v1.62\n  script:\n    - golangci-lint run ./...\n\
test:\n  stage: test\n  image: golang:1.23\n  script:\n    - go test -race ./...\n  coverage: '/total:.*\\s(\\d+.\\d+)%/'\n\
build:\n  stage: build\n  image: docker:27\n  services: [docker:27-dind]\n  script:\n    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA .\n    - docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\n\
deploy:\n  stage: deploy\n  environment: production\n  when: manual\n  script:\n    - helm upgrade --install app charts/app --atomic\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"
        .to_string()
}

fn dockerfile(s: usize) -> String {
    format!(
        "# syntax=docker/dockerfile:1\nFROM golang:1.23@sha256:8c10f21bec412f08f73aa7b97ca5ac5f28a39d8a88030ad8a339fd0a781d72b4 AS build\n\
WORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n\
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/svc{s:04} ./cmd/svc{s:04}\n\n\
FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/svc{s:04} /svc\nUSER 65532:65532\nEXPOSE 8080\n\
HEALTHCHECK --interval=30s CMD [\"/svc\", \"healthcheck\"]\nENTRYPOINT [\"/svc\"]\n"
    )
}

fn deployment(s: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{s:04}\n  labels:\n    app: svc{s:04}\nspec:\n  replicas: 3\n\
  selector:\n    matchLabels:\n      app: svc{s:04}\n  template:\n    metadata:\n      labels:\n        app: svc{s:04}\n    spec:\n\
      serviceAccountName: svc{s:04}\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile:\n          type: RuntimeDefault\n\
      containers:\n        - name: app\n          image: ghcr.io/example/svc{s:04}:v1.{s}.0\n          ports:\n            - containerPort: 8080\n\
          resources:\n            requests:\n              cpu: 100m\n              memory: 128Mi\n            limits:\n              memory: 256Mi\n\
          readinessProbe:\n            httpGet:\n              path: /readyz\n              port: 8080\n\
          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n\
          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            capabilities:\n              drop: [ALL]\n"
    )
}

fn k8s_service(s: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{s:04}\nspec:\n  selector:\n    app: svc{s:04}\n  ports:\n    - port: 80\n      targetPort: 8080\n\
---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: svc{s:04}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: svc{s:04}\n"
    )
}

fn chart(s: usize) -> [(String, String); 3] {
    [
        (
            "chart/Chart.yaml".into(),
            format!("apiVersion: v2\nname: svc{s:04}\ndescription: Service {s}\ntype: application\nversion: 1.{s}.0\nappVersion: \"1.{s}.0\"\n"),
        ),
        (
            "chart/values.yaml".into(),
            format!("replicaCount: 2\nimage:\n  repository: ghcr.io/example/svc{s:04}\n  tag: \"\"\n  pullPolicy: IfNotPresent\n\
resources:\n  requests:\n    cpu: 100m\n    memory: 128Mi\npodSecurityContext:\n  runAsNonRoot: true\nserviceMonitor:\n  enabled: true\n"),
        ),
        (
            "chart/templates/deployment.yaml".into(),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"app.fullname\" . }}\nspec:\n\
  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n        - name: app\n\
          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}\"\n\
          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n".into(),
        ),
    ]
}

fn terraform(m: usize) -> [(String, String); 3] {
    [
        ("main.tf".into(), format!(
            "terraform {{\n  required_version = \">= 1.6\"\n  required_providers {{\n    aws = {{\n      source  = \"hashicorp/aws\"\n      version = \"~> 5.0\"\n    }}\n  }}\n\
  backend \"s3\" {{\n    bucket = \"example-tfstate\"\n    key    = \"module{m}/terraform.tfstate\"\n    region = \"eu-west-1\"\n  }}\n}}\n\n\
resource \"aws_s3_bucket\" \"logs\" {{\n  bucket = \"example-logs-{m}\"\n}}\n\n\
resource \"aws_s3_bucket_versioning\" \"logs\" {{\n  bucket = aws_s3_bucket.logs.id\n  versioning_configuration {{\n    status = \"Enabled\"\n  }}\n}}\n\n\
resource \"aws_cloudwatch_log_group\" \"app\" {{\n  name              = \"/example/module{m}\"\n  retention_in_days = 90\n}}\n")),
        ("variables.tf".into(), format!("variable \"environment\" {{\n  type    = string\n  default = \"prod-{m}\"\n}}\n")),
        ("outputs.tf".into(), "output \"bucket\" {\n  value = aws_s3_bucket.logs.arn\n}\n".into()),
    ]
}

fn go_source(path: &str, n: usize) -> String {
    let pkg = path.rsplit('/').nth(1).unwrap_or("main");
    let mut s =
        format!("// Code of {path}.\npackage {pkg}\n\nimport (\n\t\"context\"\n\t\"fmt\"\n)\n\n");
    for f in 0..(1 + n % 6) {
        s.push_str(&format!(
            "// Handle{f} handles request kind {f} of file {n}.\nfunc Handle{f}(ctx context.Context, id int) (string, error) {{\n\
\tif err := ctx.Err(); err != nil {{\n\t\treturn \"\", fmt.Errorf(\"handle {n}/{f}: %w\", err)\n\t}}\n\treturn fmt.Sprintf(\"%d-{n}\", id+{f}), nil\n}}\n\n"
        ));
    }
    s
}

/// The top-level files: returns how many were written.
fn top_level<W: Write>(o: &mut Out<W>, files: usize) -> io::Result<usize> {
    let mut n = 0;
    let fixed: &[(&str, &str)] = &[
        ("README.md", "# example monorepo\n\nGenerated by cnmm's bench/full-scan.sh.\n"),
        ("LICENSE", "Apache License\nVersion 2.0, January 2004\n"),
        ("SECURITY.md", "# Security policy\n\nReport vulnerabilities to security@example.org; we answer within 3 days.\n"),
        ("CONTRIBUTING.md", "# Contributing\n\nOpen a pull request; every commit needs a DCO sign-off (`git commit -s`).\n"),
        ("CODE_OF_CONDUCT.md", "# Code of conduct\n\nWe follow the CNCF code of conduct.\n"),
        ("GOVERNANCE.md", "# Governance\n\nMaintainers are listed in MAINTAINERS.md; decisions by lazy consensus.\n"),
        ("MAINTAINERS.md", "- Dev One (@one)\n- Dev Two (@two)\n"),
        ("CHANGELOG.md", "# Changelog\n\n## v1.0.0\n\n- first release\n"),
        (".github/CODEOWNERS", "* @example/maintainers\n/services/ @example/services\n/infra/ @example/platform\n"),
        (".github/dependabot.yml", "version: 2\nupdates:\n  - package-ecosystem: gomod\n    directory: /\n    schedule:\n      interval: weekly\n  - package-ecosystem: github-actions\n    directory: /\n    schedule:\n      interval: weekly\n"),
        (".github/pull_request_template.md", "## What\n\n## Why\n\n- [ ] tests\n"),
        (".goreleaser.yaml", "version: 2\nbuilds:\n  - main: ./cmd/app\n    env: [CGO_ENABLED=0]\nsboms:\n  - artifacts: archive\nsigns:\n  - cmd: cosign\n    artifacts: checksum\n"),
        (".pre-commit-config.yaml", "repos:\n  - repo: https://github.com/gitleaks/gitleaks\n    rev: v8.21.2\n    hooks:\n      - id: gitleaks\n"),
        ("renovate.json", "{\n  \"extends\": [\"config:recommended\"]\n}\n"),
        ("go.mod", "module example.org/mono\n\ngo 1.23\n\nrequire github.com/prometheus/client_golang v1.20.5\n"),
        ("go.sum", "github.com/prometheus/client_golang v1.20.5 h1:cxppBPuYhUnsO6yo/aoRol4L7q7UFfdm+bR9r+8l63Y=\n"),
        ("Makefile", "lint:\n\tgolangci-lint run ./...\ntest:\n\tgo test -race ./...\ne2e:\n\tgo test ./e2e/...\n"),
    ];
    for (p, c) in fixed {
        o.file(p, c)?;
        n += 1;
    }
    o.file(".gitlab-ci.yml", &gitlab_ci())?;
    n += 1;
    for i in 0..(files / 1500).max(12) {
        o.file(&format!(".github/workflows/wf{i:03}.yml"), &workflow(i))?;
        n += 1;
    }
    Ok(n)
}

fn tree<W: Write>(o: &mut Out<W>, files: usize) -> io::Result<()> {
    let mut written = top_level(o, files)?;
    // Terraform: one module of 3 files per 1,000 files.
    for m in 0..(files / 1000).max(1) {
        for (name, c) in terraform(m) {
            o.file(
                &format!("infra/terraform/m{:02}/mod{m:04}/{name}", m / 50),
                &c,
            )?;
            written += 1;
        }
    }
    let services = files.saturating_sub(written).div_ceil(PER_SERVICE).max(1);
    for s in 0..services {
        let left = files.saturating_sub(written);
        if left == 0 {
            break;
        }
        let dir = service_dir(s);
        let mut own: Vec<(String, String)> = vec![
            ("Dockerfile".into(), dockerfile(s)),
            ("deploy/deployment.yaml".into(), deployment(s)),
            ("deploy/service.yaml".into(), k8s_service(s)),
            ("config.yaml".into(), format!("log_level: info\nlisten: :8080\nmetrics:\n  path: /metrics\ntracing:\n  exporter: otlp\n  endpoint: otel-collector:4317\nservice: svc{s:04}\n")),
            ("VERSION".into(), "1.0.0\n".into()),
            ("README.md".into(), format!("# svc{s:04}\n")),
        ];
        own.extend(chart(s));
        own.push((
            format!("cmd/svc{s:04}/main.go"),
            go_source(&format!("{dir}/cmd/svc{s:04}/main.go"), s),
        ));
        let take = left.min(PER_SERVICE);
        for (i, (name, c)) in own.iter().enumerate() {
            if i >= take {
                break;
            }
            o.file(&format!("{dir}/{name}"), c)?;
        }
        for k in own.len()..take {
            let j = k - own.len();
            let sub = if j % 3 == 0 { "pkg" } else { "internal" };
            let path = format!(
                "{dir}/{sub}/mod{:02}/file{:03}.go",
                j / SOURCE_DIR_FILES,
                j % SOURCE_DIR_FILES
            );
            let c = go_source(&path, s * PER_SERVICE + j);
            o.file(&path, &c)?;
        }
        written += take;
    }
    Ok(())
}

const AUTHORS: &[&str] = &[
    "Dev One <one@example.org>",
    "Dev Two <two@example.org>",
    "Ana Lima <ana@example.org>",
    "Bo Chen <bo@example.org>",
    "Chidi Okafor <chidi@example.org>",
    "Dana Weiss <dana@example.org>",
    "Emil Berg <emil@example.org>",
    "Fatima Noor <fatima@example.org>",
];
const DEPENDABOT: &str = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>";

fn main() -> io::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.replace('_', "").parse().expect("FILES COMMITS"))
        .collect();
    let (files, commits) = match args[..] {
        [f, c] if f > 0 && c > 0 => (f, c),
        _ => {
            eprintln!("usage: bench_repo FILES COMMITS");
            std::process::exit(2);
        }
    };
    let mut o = Out {
        w: BufWriter::with_capacity(1 << 20, io::stdout().lock()),
    };
    let t0: i64 = 1_700_000_000;
    let span: i64 = 360 * 86_400;
    let step = (span / commits as i64).max(1);
    let services = (files / PER_SERVICE).max(1);

    // The first commit: the whole tree.
    writeln!(o.w, "commit refs/heads/main\nmark :1")?;
    writeln!(
        o.w,
        "author {} {t0} +0000\ncommitter {} {t0} +0000",
        AUTHORS[0], AUTHORS[0]
    )?;
    o.data("Initial import")?;
    tree(&mut o, files)?;
    let mut made = 1usize;
    let mut mark = 1usize;
    let mut prev = 1usize;
    let mut i = 0usize;
    while made < commits {
        i += 1;
        let t = t0 + made as i64 * step;
        let svc = service_dir((i * 7919) % services);
        let who = if i % 7 == 3 {
            DEPENDABOT
        } else {
            AUTHORS[(i * 31 + i / 97) % AUTHORS.len()]
        };
        if i % 10 == 9 && made + 2 <= commits {
            // A side-branch commit, then its merge into main.
            mark += 1;
            writeln!(o.w, "commit refs/heads/side\nmark :{mark}")?;
            writeln!(
                o.w,
                "author {who} {} +0000\ncommitter {who} {} +0000",
                t - 1,
                t - 1
            )?;
            o.data(&format!(
                "feat({}): change {i}\n\nSigned-off-by: {who}",
                svc_name(&svc)
            ))?;
            writeln!(o.w, "from :{prev}")?;
            o.file(&format!("{svc}/VERSION"), &format!("1.{i}.0-side\n"))?;
            let side = mark;
            mark += 1;
            writeln!(o.w, "commit refs/heads/main\nmark :{mark}")?;
            let m = AUTHORS[i % 2];
            writeln!(
                o.w,
                "author {m} {t} +0000\ncommitter GitHub <noreply@github.com> {t} +0000"
            )?;
            o.data(&format!(
                "Merge pull request #{i} from dev/feature-{i}\n\nfeat: change {i}"
            ))?;
            writeln!(o.w, "from :{prev}\nmerge :{side}")?;
            made += 2;
        } else {
            mark += 1;
            writeln!(o.w, "commit refs/heads/main\nmark :{mark}")?;
            writeln!(o.w, "author {who} {t} +0000\ncommitter {who} {t} +0000")?;
            let msg = if who == DEPENDABOT {
                format!("build(deps): bump github.com/x/y{} from 1.{i}.0 to 1.{}.0 (#{i})\n\nSigned-off-by: {who}", i % 13, i + 1)
            } else if i % 997 == 0 {
                format!(
                    "Revert \"fix: change {} (#{})\"\n\nThis reverts commit {:040x}.",
                    i - 1,
                    i - 1,
                    i
                )
            } else if i % 499 == 0 {
                format!("hotfix: urgent fix {i} (#{i})")
            } else {
                format!(
                    "fix({}): change {i} (#{i})\n\nSigned-off-by: {who}",
                    svc_name(&svc)
                )
            };
            o.data(&msg)?;
            writeln!(o.w, "from :{prev}")?;
            o.file(&format!("{svc}/VERSION"), &format!("1.{i}.0\n"))?;
            made += 1;
        }
        prev = mark;
        if i % 500 == 0 {
            writeln!(
                o.w,
                "tag v{}.{}.0\nfrom :{mark}",
                1 + i / 50_000,
                (i / 500) % 100
            )?;
            writeln!(o.w, "tagger {} {t} +0000", AUTHORS[0])?;
            o.data(&format!("release {i}"))?;
        }
    }
    writeln!(o.w, "reset refs/heads/side\nfrom :{prev}\n\ndone")?;
    o.w.flush()
}
