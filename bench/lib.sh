# Helpers shared by the bench scripts (sourced, not run).

# Builds the release binary and the bench examples once; sets CNMM, GEN and CANDIDATES.
build_cnmm() {
  cargo build --release -j 1 -p cnmm --bin cnmm --example bench_repo --example candidates >/dev/null
  CNMM=$PWD/target/release/cnmm
  GEN=$PWD/target/release/examples/bench_repo
  CANDIDATES=$PWD/target/release/examples/candidates
}

# best N CMD...: runs CMD N times under /usr/bin/time and prints "wall_s cpu_s peak_kb":
# the smallest wall time, the smallest CPU time (user + system, children included) and
# the largest peak resident set seen over the runs (taken separately: on a shared
# machine each minimum is the best estimate of the command's own cost).
best() {
  local n=$1 t
  shift
  t=$(mktemp)
  local w="" c="" k=0 s u sy kb
  for ((r = 0; r < n; r++)); do
    /usr/bin/time -f '%e %U %S %M' -o "$t" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; }
    read -r s u sy kb < <(tail -1 "$t")
    local cpu
    cpu=$(awk "BEGIN{printf \"%.2f\", $u + $sy}")
    if [ -z "$w" ] || awk "BEGIN{exit !($s < $w)}"; then w=$s; fi
    if [ -z "$c" ] || awk "BEGIN{exit !($cpu < $c)}"; then c=$cpu; fi
    if [ "$kb" -gt "$k" ]; then k=$kb; fi
  done
  rm -f "$t"
  echo "$w $c $k"
}

mib() { awk "BEGIN{printf \"%.0f\", $1 / 1024}"; }
ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }"; }

# The load average (1 and 5 minutes), to print beside the numbers.
load() { cut -d' ' -f1-2 /proc/loadavg; }
