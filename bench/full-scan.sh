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
# Columns (times in seconds, the smallest of RUNS runs; MiB = the largest peak RSS):
#   files, commits   `git ls-files`, `git rev-list --count HEAD`
#   win              commits in cnmm's default window (365 days before HEAD's committer
#                    date): `git rev-list --count --max-age=T HEAD`
#   cand, MB         the files cnmm reads (examples/candidates.rs) and their size
#   floor            `git log --max-age=T --format='%H %at %P'` (the same window as cnmm)
#                    then `cat` of the candidate files, one after the other
#   floor_full_cpu   the same with the full `git log` (every commit)
#   cnmm             `cnmm scan REPO -f json -o /dev/null` (default --jobs = CPUs)
#   x_cpu, x_wall    cnmm / floor; x_full = cnmm CPU / floor_full CPU
# CPU = user + system, children included. On a shared machine wall time measures the
# neighbours too, so the budget is judged on CPU; cnmm runs its history walk and file
# scan on two threads at once, so its wall time can be below its CPU time.
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
  printf '%-16s %8s %8s %8s %6s %6s | %6s %6s %7s | %6s %6s %5s | %5s %6s %6s\n' \
    repo files commits win cand MB floor_w floor_c full_c cnmm_w cnmm_c MiB x_cpu x_full x_wall
}

row() { # $1 = label, $2 = repository
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
  local fw fc fk ffw ffc ffk cw cc ck
  read -r fw fc fk < <(best "$RUNS" bash -c "$FLOOR" _ "$repo" "$list" "--max-age=$since")
  read -r ffw ffc ffk < <(best "$RUNS" bash -c "$FLOOR" _ "$repo" "$list" "")
  read -r cw cc ck < <(best "$RUNS" "$CNMM" scan "$repo" -f json -o /dev/null)
  printf '%-16s %8s %8s %8s %6s %6.1f | %6s %6s %7s | %6s %6s %5s | %5s %6s %6s\n' \
    "$label" "$files" "$commits" "$win" "$cand" "$(awk "BEGIN{print $bytes / 1e6}")" \
    "$fw" "$fc" "$ffc" "$cw" "$cc" "$(mib "$ck")" \
    "$(ratio "$cc" "$fc")" "$(ratio "$cc" "$ffc")" "$(ratio "$cw" "$fw")"
  rm -f "$list"
}

generate() { # $1 = files, $2 = commits, $3 = dir
  local dir=$3 t0
  t0=$(date +%s.%N)
  rm -rf "$dir" && git init -q -b main "$dir"
  "$GEN" "$1" "$2" | git -C "$dir" fast-import --quiet
  git -C "$dir" reset -q --hard main
  echo "# generated $dir in $(awk "BEGIN{printf \"%.0f\", $(date +%s.%N) - $t0}") s ($(du -sh "$dir/.git" | cut -f1) of git objects)" >&2
}

case ${1:-} in
  generated)
    base_f=${2:-12500} base_c=${3:-50000}
    read -r -a scales <<<"${4:-1 4 16}"
    header
    for s in "${scales[@]}"; do
      f=$((base_f * s)) c=$((base_c * s))
      repo="$WORK/mono-$f-$c"
      [ -d "$repo/.git" ] || generate "$f" "$c" "$repo"
      row "gen ${s}x" "$repo"
    done
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
