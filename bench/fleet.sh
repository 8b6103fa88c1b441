#!/usr/bin/env bash
# Times `cnmm fleet scan` on a generated fleet against the sum of single `cnmm scan`s
# of the same repositories, the incremental second run, and peak memory at two fleet
# sizes (bounded by the workers, not by the fleet).
#
#   bench/fleet.sh [SMALL BIG]        default 990 small repositories and 10 big ones
#
# Small repositories: 60 to 600 files and 40 to 400 commits (deterministic spread);
# big ones: 5,000 files and 20,000 commits (examples/bench_repo.rs). The large fleet
# is the small repositories copied three more times (4x the fleet).
# Environment: BENCH_DIR (default a new temp dir; an existing fleet there is reused),
# JOBS (fleet workers, default the CPUs).
#
# Columns: repos, wall_s, cpu_s, MiB (peak resident), repos_per_s; sum_c = CPU of one
# `cnmm scan REPO -f json -o /dev/null` per repository; x_sum = fleet CPU / sum_c;
# incr_c = CPU of the second, incremental run; x_incr = incr_c / cpu_s.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
SMALL=${1:-990}
BIG=${2:-10}
WORK=${BENCH_DIR:-$(mktemp -d)}
JOBS=${JOBS:-$(nproc)}
build_cnmm

gen() { # $1 files, $2 commits, $3 dir
  [ -d "$3/.git" ] && return
  git init -q -b main "$3"
  "$GEN" "$1" "$2" | git -C "$3" fast-import --quiet
  git -C "$3" reset -q --hard main
}

t0=$(date +%s)
mkdir -p "$WORK/fleet" "$WORK/more"
for i in $(seq 1 "$BIG"); do gen 5000 20000 "$WORK/fleet/big-$i"; done
for i in $(seq 1 "$SMALL"); do
  gen $((60 + (i * 37) % 540)) $((40 + (i * 53) % 360)) "$WORK/fleet/small-$i"
done
for copy in 1 2 3; do
  [ -d "$WORK/more/copy-$copy" ] || cp -r "$WORK/fleet" "$WORK/more/copy-$copy"
  rm -rf "$WORK/more/copy-$copy"/big-*
done
echo "# fleet generated in $(( $(date +%s) - t0 )) s under $WORK ($(du -sh "$WORK" | cut -f1))"
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(load), JOBS=$JOBS"
printf '%-8s %6s | %7s %7s %5s %8s | %7s %5s | %7s %6s\n' fleet repos wall_s cpu_s MiB repos/s sum_c x_sum incr_c x_incr

row() { # $1 label, $2... sources
  local label=$1 db n
  shift
  db="$WORK/$label.db"
  rm -f "$db" "$db-wal" "$db-shm"
  n=$(find "$@" -mindepth 1 -maxdepth 2 -name .git -type d | wc -l)
  read -r w c kb _ _ < <(best 1 "$CNMM" fleet scan "$@" --db "$db" --jobs "$JOBS")
  read -r _ ic _ _ _ < <(best 1 "$CNMM" fleet scan "$@" --db "$db" --jobs "$JOBS")
  local sum_c="-" x_sum="-"
  if [ "${SUM:-1}" = 1 ]; then
    read -r _ sum_c _ _ _ < <(best 1 bash -c 'c=$1; shift; for d in "$@"; do for r in "$d"/*/; do "$c" scan "$r" -f json -o /dev/null; done; done' _ "$CNMM" "$@")
    x_sum=$(ratio "$c" "$sum_c")
  fi
  printf '%-8s %6s | %7s %7s %5s %8s | %7s %5s | %7s %6s\n' "$label" "$n" "$w" "$c" "$(mib "$kb")" \
    "$(awk "BEGIN{printf \"%.0f\", $n / $w}")" "$sum_c" "$x_sum" "$ic" "$(ratio "$ic" "$c")"
}

row fleet "$WORK/fleet"
SUM=0 row fleet4x "$WORK/fleet" "$WORK/more"/copy-*
