#!/usr/bin/env bash
# Times `cnmm timeline` against one `cnmm scan` of the same repository, for several
# numbers of points: the budget is judged on CPU (24 tags at most 3x one scan) and
# peak memory (at most 2x one scan), and the growth from 12 to 24 to 48 points shows
# that the cost follows the changed blobs, not points x files.
#
#   bench/timeline.sh REPO...        clones or bare repositories (never modified)
#
# Environment: RUNS (runs per command, default 3), POINTS (default "12 24 48").
#
# Columns (times: the smallest of RUNS runs; memory: the largest):
#   files, commits, tags  files at HEAD, commits of HEAD, version-like tags
#   scan_c, scan_MiB      one `cnmm scan` of HEAD (of the work tree; `--rev HEAD` for a
#                         bare repository), CPU seconds and peak resident MiB
#   tN_c, tN_MiB          `cnmm timeline --tags N -f json`
#   loop24_c              the same 24 points as 24 separate `cnmm scan --rev COMMIT`
#                         (what a script around `scan` would cost), CPU
#   x_cpu, x_mem          timeline at 24 points / one scan (CPU, peak memory)
#   x_loop                timeline at 24 points / loop24_c
#   per_pt_ms             (t48_c - t12_c) / 36 points: the cost of one more point
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-3}
POINTS=${POINTS:-"12 24 48"}
build_cnmm

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(load), RUNS=$RUNS"
printf '%-14s %6s %7s %5s | %6s %5s' repo files commits tags scan_c MiB
for n in $POINTS; do printf ' | %6s %5s' "t${n}_c" MiB; done
printf ' | %8s | %5s %5s %6s %9s\n' loop24_c x_cpu x_mem x_loop per_pt_ms

for repo in "$@"; do
  label=$(basename "$repo")
  [ "$label" = repo ] && label=$(basename "$(dirname "$repo")")
  files=$(git -C "$repo" ls-tree -r --name-only HEAD | wc -l)
  commits=$(git -C "$repo" rev-list --count HEAD)
  tags=$(git -C "$repo" tag | grep -c '[0-9]\.[0-9]' || true)
  if [ "$(git -C "$repo" rev-parse --is-bare-repository)" = true ]; then
    read -r _ scan_c scan_kb _ _ < <(best "$RUNS" "$CNMM" scan "$repo" --rev HEAD -f json -o /dev/null)
  else
    read -r _ scan_c scan_kb _ _ < <(best "$RUNS" "$CNMM" scan "$repo" -f json -o /dev/null)
  fi
  printf '%-14s %6s %7s %5s | %6s %5s' "${label:0:14}" "$files" "$commits" "$tags" "$scan_c" "$(mib "$scan_kb")"
  declare -A cpu=() kb=()
  for n in $POINTS; do
    read -r _ c k _ _ < <(best "$RUNS" "$CNMM" timeline "$repo" --tags "$n" -f json -o /dev/null)
    cpu[$n]=$c
    kb[$n]=$k
    printf ' | %6s %5s' "$c" "$(mib "$k")"
  done
  commits_24=$("$CNMM" timeline "$repo" --tags 24 -f json | python3 -c 'import json,sys; print(" ".join(p["commit"] for p in json.load(sys.stdin)["points"] if p.get("commit")))')
  read -r _ loop_c _ _ _ < <(best 1 bash -c 'cnmm=$1; repo=$2; shift 2; for c in "$@"; do "$cnmm" scan "$repo" --rev "$c" -f json -o /dev/null; done' _ "$CNMM" "$repo" $commits_24)
  per_pt=$(awk "BEGIN{ printf \"%.1f\", (${cpu[48]:-0} - ${cpu[12]:-0}) * 1000 / 36 }")
  printf ' | %8s | %5s %5s %6s %9s\n' "$loop_c" "$(ratio "${cpu[24]:-0}" "$scan_c")" "$(ratio "${kb[24]:-0}" "$scan_kb")" "$(ratio "${cpu[24]:-0}" "$loop_c")" "$per_pt"
done
