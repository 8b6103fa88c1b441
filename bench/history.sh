#!/usr/bin/env bash
# Times the history part of cnmm against `git log` on generated repositories.
#
#   bench/history.sh [COMMITS...]        default: 25000 100000
#
# For each size it generates a repository with `git fast-import` (one small file,
# a linear first-parent chain with a PR merge every 10th commit, a version tag every
# 500th commit, commits 5 minutes apart), then times
#   git log --format='%H %at %P'                                  (the baseline)
#   cnmm scan --format json --history-window 100000 REPO          (every commit in window)
#   cnmm scan --format json REPO                                  (default 365-day window,
#                                                                  ~105k commits at this spacing)
# three runs each (bench/measure.py), and prints the smallest wall time and CPU time
# (user + system) and the largest peak resident memory, and cnmm's CPU time over git log's (`cpu_x`;
# CPU time, because wall time on a shared machine mostly measures the neighbours). The repository has two files, so the scan's time is the
# history walk. This script uses the git program to build and time the baseline;
# cnmm itself never runs git.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-25000 100000}")
read -r -a SIZES <<<"${SIZES[*]}"
WORK=${BENCH_DIR:-$(mktemp -d)}
. bench/lib.sh
build_cnmm

generate() { # $1 = commits, $2 = dir
  local n=$1 dir=$2
  rm -rf "$dir" && git init -q -b main "$dir"
  python3 - "$n" <<'PY' | git -C "$dir" fast-import --quiet
import sys
n = int(sys.argv[1])
t0 = 1_600_000_000
out = sys.stdout
def data(s):
    b = s.encode()
    out.write(f"data {len(b)}\n{s}\n")
mark = 0
prev = None
for i in range(n):
    t = t0 + i * 300
    is_merge = i % 10 == 9 and prev is not None
    if is_merge:
        # a side-branch commit, then a merge of it into main
        mark += 1
        out.write(f"commit refs/heads/side\nmark :{mark}\n")
        out.write(f"author Dev Two <two@example.org> {t - 60} +0000\ncommitter Dev Two <two@example.org> {t - 60} +0000\n")
        data(f"feat: change {i}")
        out.write(f"from :{prev}\nM 644 inline side.txt\n")
        data(f"side {i}")
        side = mark
    mark += 1
    out.write(f"commit refs/heads/main\nmark :{mark}\n")
    who = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>" if i % 7 == 3 else "Dev One <one@example.org>"
    out.write(f"author {who} {t} +0000\ncommitter {who} {t} +0000\n")
    if is_merge:
        data(f"Merge pull request #{i} from dev/side-{i}\n\nfeat: change {i}")
    else:
        data(f"fix: change {i} (#{i})\n\nSigned-off-by: Dev One <one@example.org>")
    if prev is not None:
        out.write(f"from :{prev}\n")
    if is_merge:
        out.write(f"merge :{side}\n")
    out.write("M 644 inline file.txt\n")
    data(f"content {i}")
    prev = mark
    if i % 500 == 499:
        out.write(f"tag v1.{i // 500}.0\nfrom :{mark}\ntagger Dev One <one@example.org> {t} +0000\n")
        data(f"release 1.{i // 500}.0")
out.write("done\n")
PY
  git -C "$dir" checkout -q main
  git -C "$dir" repack -adq   # as a clone would have it: one pack
}

printf '%-8s | %-19s | %-26s | %-19s\n' "" "git log" "cnmm, every commit in window" "cnmm, 365-day window"
printf '%-8s | %-6s %-5s %-6s | %-6s %-5s %-6s %-6s | %-6s %-5s %-6s\n' commits wall_s cpu_s MiB wall_s cpu_s MiB cpu_x wall_s cpu_s MiB
for n in "${SIZES[@]}"; do
  repo="$WORK/repo-$n"
  [ -d "$repo/.git" ] || generate "$n" "$repo"
  read -r gs gc gkb _ < <(best 3 git -C "$repo" log --format='%H %at %P')
  read -r cs cc ckb _ < <(best 3 "$CNMM" scan --format json --history-window 100000 "$repo")
  read -r ws wc wkb _ < <(best 3 "$CNMM" scan --format json "$repo")
  printf '%-8s | %-6s %-5s %-6s | %-6s %-5s %-6s %-6s | %-6s %-5s %-6s\n' "$n" \
    "$gs" "$gc" "$(mib "$gkb")" "$cs" "$cc" "$(mib "$ckb")" "$(ratio "$cc" "$gc")" \
    "$ws" "$wc" "$(mib "$wkb")"
done
