#!/usr/bin/env bash
# Times a full `cnmm scan` (files and history) against the physical floor, measured in
# the same run: `git log --format='%H %at %P'` plus reading cnmm's candidate files.
#
#   bench/full-scan.sh generated [BASE_FILES BASE_COMMITS [SCALES]]
#       default 12500 50000 "1 4 16": generated monorepos of SCALE x the base
#   bench/full-scan.sh real CLONE...
#       clones of real repositories (never modified)
#
# Environment: BENCH_DIR (where generated repositories go, default a new temp dir; an
# existing repository there is reused), RUNS (runs per command, default 3).
#
# Columns (times in seconds: the smallest of RUNS runs; memory: the largest):
#   files, commits   `git ls-files`, `git rev-list --count HEAD`
#   win              commits in cnmm's default window (365 days before HEAD's committer
#                    date): `git rev-list --count --max-age=T HEAD`
#   cand, MB         the files cnmm reads (examples/candidates.rs) and their size
#   floor_w, floor_c `git log --max-age=T --format='%H %at %P'` (the same window as cnmm)
#                    then `cat` of the candidate files, wall and CPU
#   full_c           the same with the full `git log` (every commit), CPU
#   cnmm_w, cnmm_c   `cnmm scan REPO -f json -o /dev/null` (default --jobs = CPUs)
#   MiB, anon, file  cnmm's peak resident memory, and its peak anonymous (heap) and
#                    file-backed (mapped pack, index and binary) parts
#   x_cpu, x_wall    cnmm / floor; x_full = cnmm CPU / full_c
# CPU = user + system, children included, from wait4 (bench/measure.py). On a shared
# machine wall time measures the neighbours too, so the budget is judged on CPU; cnmm
# runs its history walk and file scan on two threads at once, so its wall time can be
# below its CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
build_cnmm

FLOOR='set -e; git -C "$1" log $3 --format="%H %at %P" >/dev/null; cd "$1"; xargs -0 -r cat -- <"$2" >/dev/null'

header() {
  echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(load), RUNS=$RUNS"
  printf '%-16s %7s %7s %7s %5s %5s | %6s %6s %6s | %6s %6s %4s %4s %4s | %5s %6s %6s\n' \
    repo files commits win cand MB floor_w floor_c full_c cnmm_w cnmm_c MiB anon file x_cpu x_full x_wall
}

row() { # $1 = label, $2 = repository; sets LAST_CNMM_CPU and LAST_FLOOR_CPU
  local label=$1 repo=$2 list head_ts since files commits win cand bytes
  list=$(mktemp)
  "$CANDIDATES" -0 "$repo" >"$list"
  head_ts=$(git -C "$repo" log -1 --format=%ct)
  since=$((head_ts - 365 * 86400))
  files=$(git -C "$repo" ls-files | wc -l)
  commits=$(git -C "$repo" rev-list --count HEAD)
  win=$(git -C "$repo" rev-list --count --max-age="$since" HEAD)
  cand=$(tr -cd '\0' <"$list" | wc -c)
  bytes=$(cd "$repo" && xargs -0 -r cat -- <"$list" | wc -c)
  local fw fc ffc cw cc ck ca cf
  read -r fw fc _ < <(best "$RUNS" bash -c "$FLOOR" _ "$repo" "$list" "--max-age=$since")
  read -r _ ffc _ < <(best "$RUNS" bash -c "$FLOOR" _ "$repo" "$list" "")
  read -r cw cc ck ca cf < <(best "$RUNS" "$CNMM" scan "$repo" -f json -o /dev/null)
  printf '%-16s %7s %7s %7s %5s %5.1f | %6s %6s %6s | %6s %6s %4s %4s %4s | %5s %6s %6s\n' \
    "$label" "$files" "$commits" "$win" "$cand" "$(awk "BEGIN{print $bytes / 1e6}")" \
    "$fw" "$fc" "$ffc" "$cw" "$cc" "$(mib "$ck")" "$(mib "$ca")" "$(mib "$cf")" \
    "$(ratio "$cc" "$fc")" "$(ratio "$cc" "$ffc")" "$(ratio "$cw" "$fw")"
  LAST_CNMM_CPU=$cc LAST_FLOOR_CPU=$fc
  rm -f "$list"
}

generate() { # $1 = files, $2 = commits, $3 = dir
  local dir=$3 t0
  t0=$(date +%s.%N)
  rm -rf "$dir" && git init -q -b main "$dir"
  "$GEN" "$1" "$2" | git -C "$dir" fast-import --quiet
  git -C "$dir" reset -q --hard main
  git -C "$dir" repack -adq # one pack, as a clone has
  echo "# generated $dir in $(awk "BEGIN{printf \"%.0f\", $(date +%s.%N) - $t0}") s ($(du -sh "$dir/.git" | cut -f1) of git objects)" >&2
}

case ${1:-} in
  generated)
    base_f=${2:-12500} base_c=${3:-50000}
    read -r -a scales <<<"${4:-1 4 16}"
    header
    scaling=""
    prev_c="" prev_f=""
    for s in "${scales[@]}"; do
      f=$((base_f * s)) c=$((base_c * s))
      repo="$WORK/mono-$f-$c"
      [ -d "$repo/.git" ] || generate "$f" "$c" "$repo"
      row "gen ${s}x" "$repo"
      if [ -n "$prev_c" ]; then
        scaling+="  to ${s}x: cnmm CPU x$(ratio "$LAST_CNMM_CPU" "$prev_c"), floor CPU x$(ratio "$LAST_FLOOR_CPU" "$prev_f")"$'\n'
      fi
      prev_c=$LAST_CNMM_CPU prev_f=$LAST_FLOOR_CPU
    done
    if [ -n "$scaling" ]; then
      printf '# scaling (each step is 4x the files and commits when SCALES is "1 4 16"):\n%s' "$scaling"
    fi
    ;;
  real)
    shift
    header
    for r in "$@"; do row "$(basename "$r")" "$r"; done
    ;;
  *)
    sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
