#!/usr/bin/env bash
# Runs fuzz targets for SECONDS seconds each (default 60) in LANES parallel lanes
# (default 2), one libFuzzer process per target, and prints a line per target:
# name, seconds, executions, corpus size, result. Crashes land in fuzz/artifacts/.
#
#   ./run-all.sh [SECONDS [LANES [TARGET...]]]     no TARGET: every target
#
# Don't pause a run (SIGSTOP): libFuzzer's timeout counts wall-clock time, so a paused
# input is reported as a timeout.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-60}; lanes=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
mkdir -p logs
run() {
  local t=$1
  cargo +nightly fuzz run -O "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=10 -max_len=65536 -print_final_stats=1 > "logs/$t.log" 2>&1
  local rc=$?
  local execs corpus
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
  corpus=$(ls "corpus/$t" 2>/dev/null | wc -l)
  printf '%-26s %5ss %10s execs %6s corpus  %s\n' "$t" "$secs" "${execs:-?}" "$corpus" \
    "$([ $rc -eq 0 ] && echo ok || echo "FOUND (exit $rc, see fuzz/logs/$t.log)")"
}
export -f run; export secs
if [ $# -gt 0 ]; then
  printf '%s\n' "$@"
else
  sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | grep -v '^cnmm-fuzz$'
fi | xargs -P "$lanes" -I{} bash -c 'run {}'
