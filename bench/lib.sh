# Helpers shared by the bench scripts (sourced, not run).

# Builds the release binary and the bench examples once; sets CNMM, GEN and CANDIDATES.
build_cnmm() {
  cargo build --release --locked -j 1 -p cnmm --bin cnmm --example bench_repo --example candidates >/dev/null
  CNMM=$PWD/target/release/cnmm
  GEN=$PWD/target/release/examples/bench_repo
  CANDIDATES=$PWD/target/release/examples/candidates
}

# best N CMD...: runs CMD N times (bench/measure.py) and prints
# "wall_s cpu_s peak_rss_kb peak_anon_kb peak_file_kb": the smallest wall and CPU times
# (user + system, children included, to the microsecond), the largest peak resident set
# (children included) and the largest peak anonymous / file-backed resident memory of
# the process itself (meaningless for `bash -c`; used for cnmm).
best() {
  local n=$1
  shift
  python3 "$PWD/bench/measure.py" "$n" "$@"
}

mib() { awk "BEGIN{printf \"%.0f\", $1 / 1024}"; }
ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }"; }

# The load average (1 and 5 minutes), to print beside the numbers.
load() { cut -d' ' -f1-2 /proc/loadavg; }
