#!/usr/bin/env bash
# Reruns every measurement of BENCHMARKS.md into OUT (default bench-out/), one file
# per section. CLONES is a directory of clones of public repositories (the ones named
# below are used when present); PEERS a virtualenv with checkov and zizmor (the peers
# section is skipped without it). BENCH_DIR keeps the generated repositories between
# runs (they take minutes to generate). Run it on a quiet machine: CPU times are kept
# as the smallest of RUNS runs, but two cores shared with other work still blur them.
#
#   CLONES=~/clones PEERS=peers BENCH_DIR=/tmp/cnmm-bench bench/all.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-out}
CLONES=${CLONES:-clones}
export RUNS=${RUNS:-3} BENCH_DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$OUT"
present() { for r in "$@"; do [ -d "$CLONES/$r/.git" ] && echo "$CLONES/$r"; done; }

bench/full-scan.sh generated 12500 50000 "1 4 16" >"$OUT/generated.txt"
mapfile -t real < <(present git jenkins loki argo-cd prometheus helm goreleaser helm-charts \
  ingress-nginx libvirt-python k8s-plugin circleci-docs cohort360 tf-aws-eks cobra z)
[ ${#real[@]} -gt 0 ] && bench/full-scan.sh real "${real[@]}" >"$OUT/real.txt"
BENCH_DIR=$BENCH_DIR/history bench/history.sh 25000 100000 400000 >"$OUT/history.txt"
python3 bench/scaling-probe.py 2000 >"$OUT/probe.txt"
python3 bench/scaling-probe.py 20000 shell-nesting shell-words jenkins-nesting \
  terraform-nesting sbom-nesting make-chain yaml-long-scalar dockerfile-continuations \
  >>"$OUT/probe.txt"
if [ -x "${PEERS:-peers}/bin/checkov" ]; then
  mapfile -t peers < <(present tf-aws-eks helm-charts argo-cd loki prometheus libvirt-python \
    k8s-plugin cobra)
  [ ${#peers[@]} -gt 0 ] && bench/peers.sh "${peers[@]}" >"$OUT/peers.txt"
fi
echo "results in $OUT/"
