#!/usr/bin/env bash
# Times Checkov and zizmor against cnmm on the same checkouts, for the work they share:
# Checkov reads Terraform, Kubernetes, Dockerfiles and CI configs (its Helm framework
# needs a `helm` binary and is left out); zizmor audits GitHub workflows only. cnmm does
# all of its work (every file kind plus the history) in the time shown.
#
#   python3 -m venv peers && peers/bin/pip install checkov zizmor
#   PEERS=peers bench/peers.sh CLONE...
#
# Environment: PEERS (the virtualenv, default ./peers), RUNS (runs of cnmm and zizmor,
# default 3; Checkov runs once: it takes minutes). Times are the smallest CPU and wall
# of the runs (bench/measure.py); ratios are peer wall / cnmm wall and peer CPU / cnmm
# CPU. Both peers run offline. Both exit non-zero when they report findings, which
# bench/measure.py notes on stderr (`failed: ...`); the times are kept all the same.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
PEERS=${PEERS:-peers}
RUNS=${RUNS:-3}
build_cnmm
CHECKOV=$PEERS/bin/checkov
ZIZMOR=$PEERS/bin/zizmor
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(load); $("$CHECKOV" --version 2>/dev/null | sed 's/^/checkov /'), $("$ZIZMOR" --version 2>/dev/null)"
printf '%-16s | %8s %8s | %8s %8s | %8s %8s | %9s %9s | %8s %8s\n' repo \
  cnmm_w cnmm_c checkov_w checkov_c zizmor_w zizmor_c ck/cnmm_w ck/cnmm_c zz/cnmm_w zz/cnmm_c
# cnmm and zizmor first, Checkov last: Checkov's worker processes may outlive it for a
# while, and must not run beside the short measurements.
declare -A CW CC ZW ZC
for repo in "$@"; do
  read -r CW[$repo] CC[$repo] _ < <(best "$RUNS" "$CNMM" scan "$repo" -f json -o /dev/null)
  read -r ZW[$repo] ZC[$repo] _ < <(best "$RUNS" "$ZIZMOR" --offline --no-progress -q "$repo")
done
for repo in "$@"; do
  read -r kw kc _ < <(best 1 "$CHECKOV" -d "$repo" --framework terraform kubernetes dockerfile \
    github_actions gitlab_ci circleci_pipelines --quiet --compact --skip-download \
    --download-external-modules false -o json)
  cw=${CW[$repo]} cc=${CC[$repo]} zw=${ZW[$repo]} zc=${ZC[$repo]}
  printf '%-16s | %8s %8s | %8s %8s | %8s %8s | %9s %9s | %8s %8s\n' "$(basename "$repo")" \
    "$cw" "$cc" "$kw" "$kc" "$zw" "$zc" "$(ratio "$kw" "$cw")" "$(ratio "$kc" "$cc")" \
    "$(ratio "$zw" "$cw")" "$(ratio "$zc" "$cc")"
done
