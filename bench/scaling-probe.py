#!/usr/bin/env python3
"""Looks for costs that grow faster than the input: for each dimension of a repository
(jobs, stages, documents, templates, files...), generates a repository of N and of 4N
of it, scans both (three times each, keeping the smallest CPU time), and prints the
CPU times and their ratio. Linear work gives about x4; x8 and more is a quadratic to
fix.

    bench/scaling-probe.py [N [KIND...]]      default N=2000, every kind

Needs a release build (cargo build --release); the repositories go to a temp dir.
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CNMM = os.path.join(ROOT, "target", "release", "cnmm")
KINDS = ["gha-jobs-chain", "gha-jobs-fanin", "k8s-docs", "gitlab-extends", "jenkins-stages",
         "terraform", "dockerfile", "codeowners", "makefile", "workflows", "helm-templates",
         "gha-steps", "shell-nesting", "shell-words", "jenkins-nesting", "terraform-nesting",
         "sbom-nesting", "make-chain", "yaml-long-scalar", "dockerfile-continuations"]


def gen(kind, n, d):
    shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    w=lambda p,t: (os.makedirs(os.path.dirname(os.path.join(d,p)) or d, exist_ok=True), open(os.path.join(d,p),'w').write(t))
    if kind=='gha-jobs-chain':
        s='on: [push]\njobs:\n'+''.join(f'  j{i}:\n    runs-on: x\n'+(f'    needs: [j{i-1}]\n' if i else '')+f'    steps:\n      - run: go test ./p{i}\n' for i in range(n))
        w('.github/workflows/ci.yml', s)
    elif kind=='gha-jobs-fanin':
        s='on: [push]\njobs:\n'+''.join(f'  j{i}:\n    runs-on: x\n    steps:\n      - run: go test ./p{i}\n' for i in range(n))
        s+='  deploy:\n    needs: ['+', '.join(f'j{i}' for i in range(n))+']\n    runs-on: x\n    environment: production\n    steps:\n      - run: kubectl apply -f k8s/\n'
        w('.github/workflows/ci.yml', s)
    elif kind=='k8s-docs':
        s=''.join(f'---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: nginx:1.{i}\n          resources:\n            requests: {{cpu: 1m}}\n' for i in range(n))
        w('k8s/all.yaml', s)
    elif kind=='gitlab-extends':
        s='.base:\n  script: [make test]\n'+''.join(f'job{i}:\n  extends: {".base" if i==0 else f"job{i-1}"}\n  stage: test\n' for i in range(n))
        w('.gitlab-ci.yml', s)
    elif kind=='jenkins-stages':
        s='pipeline {\n  agent any\n  stages {\n'+''.join(f"    stage('s{i}') {{ steps {{ sh 'go test ./p{i}' }} }}\n" for i in range(n))+'  }\n}\n'
        w('Jenkinsfile', s)
    elif kind=='terraform':
        s=''.join(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b{i}"\n  tags = {{ a = "x" }}\n}}\n' for i in range(n))
        w('main.tf', s)
    elif kind=='dockerfile':
        s='FROM alpine:3.19 AS base\n'+''.join(f'RUN echo {i}\n' for i in range(n))+'USER 1000\n'
        w('Dockerfile', s)
    elif kind=='codeowners':
        w('CODEOWNERS', ''.join(f'/dir{i}/ @team{i}\n' for i in range(n)))
    elif kind=='makefile':
        s='ci: '+' '.join(f't{i}' for i in range(n))+'\n'+''.join(f't{i}:\n\tgo test ./p{i}\n' for i in range(n))
        w('Makefile', s)
        w('.github/workflows/ci.yml','on: [push]\njobs:\n  ci:\n    runs-on: x\n    steps:\n      - run: make ci\n')
    elif kind=='workflows':
        for i in range(n):
            w(f'.github/workflows/w{i}.yml', f'on: [push]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: go test ./p{i}\n')
    elif kind=='gha-steps':
        s='on: [push]\njobs:\n  big:\n    runs-on: x\n    steps:\n'+''.join(f'      - run: go test ./p{i}/...\n' for i in range(n))
        w('.github/workflows/ci.yml', s)
    elif kind=='shell-nesting':
        w('.github/workflows/ci.yml', 'on: [push]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: "echo '+'$('*n+'"\n')
    elif kind=='shell-words':
        w('.github/workflows/ci.yml', 'on: [push]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: "go test '+' '.join(f'./p{i}' for i in range(n))+' && trivy fs ."\n')
    elif kind=='jenkins-nesting':
        w('Jenkinsfile', 'pipeline { stages { stage("a") { steps { sh "make" '+'{'*n+' } } } }\n')
    elif kind=='terraform-nesting':
        w('main.tf', 'resource "a" "b" { x = '+'{ a = '*n+'\n')
    elif kind=='sbom-nesting':
        w('sbom.spdx.json', '{"spdxVersion": "SPDX-2.3", "packages": '+'['*n+'\n')
    elif kind=='make-chain':
        w('Makefile', ''.join(f't{i}: t{i+1}\n\techo {i}\n' for i in range(n))+f't{n}:\n\tgo test ./...\n')
        w('.github/workflows/ci.yml','on: [push]\njobs:\n  ci:\n    runs-on: x\n    steps:\n      - run: make t0\n')
    elif kind=='yaml-long-scalar':
        w('.github/workflows/ci.yml', 'on: [push]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: "'+'x'*(n*100)+'"\n')
    elif kind=='dockerfile-continuations':
        w('Dockerfile', 'FROM alpine:3.19\nRUN '+' \\\n  '.join(f'echo {i}' for i in range(n))+'\nUSER 1000\n')
    elif kind=='helm-templates':
        w('charts/app/Chart.yaml','apiVersion: v2\nname: app\nversion: 1.0.0\n'); w('charts/app/values.yaml','replicas: 1\n')
        for i in range(n):
            w(f'charts/app/templates/d{i}.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-'+str(i)+'\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          livenessProbe: {httpGet: {path: /, port: 80}}\n')
        w('charts/app/templates/_helpers.tpl', '{{- define "app.probes" -}}\nlivenessProbe:\n  httpGet: {path: /}\n{{- end -}}\n')

def cpu(d, runs=3):
    """The smallest CPU time (user + system) of `runs` scans of d."""
    best = None
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([CNMM, "scan", d, "-f", "json", "-o", os.devnull], check=False)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
        best = t if best is None else min(best, t)
    return best


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    kinds = sys.argv[2:] or KINDS
    work = tempfile.mkdtemp()
    try:
        for kind in kinds:
            d = os.path.join(work, "r")
            gen(kind, n, d)
            a = cpu(d)
            gen(kind, 4 * n, d)
            b = cpu(d)
            print(f"{kind:16} N={n}: {a:.3f} s   4N={4 * n}: {b:.3f} s   x{b / max(a, 1e-3):.1f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
