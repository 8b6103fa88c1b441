#!/usr/bin/env bash
# First-contact agreement: how cnmm at COMMIT (before any fix made for these labels)
# agreed with labels of real repositories, per repository and in total.
#
#   scripts/first-contact.sh COMMIT CLONES_DIR accuracy/labels/glib.yaml ...
#
# Builds the agreement example of COMMIT in a temporary git worktree (so the scan being
# measured is COMMIT's), runs it on the named labels against the clones
# (scripts/fetch-accuracy-clones.sh CLONES_DIR makes them) and prints one line per
# repository: exact section levels out of 5, agreeing criteria out of 40. With COMMIT =
# HEAD it measures the current tree's committed state. Runs no code of the clones.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 COMMIT CLONES_DIR LABEL.yaml..." >&2
  exit 2
fi
commit=$1
clones=$(cd "$2" && pwd)
shift 2
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/labels"
for label in "$@"; do
  cp "$label" "$work/labels/"
done
git -C "$root" worktree add --detach --quiet "$work/tree" "$commit"
# Shares the main target directory: a rebuild of COMMIT costs what changed since.
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/first-contact} \
  cargo run --quiet --release --locked --manifest-path "$work/tree/Cargo.toml" \
  --example agreement -- "$work/labels" "$clones" > "$work/out.txt"
# Each repository's block lists its disagreements: `  section NAME: ...` and `  ID: ...`.
awk -v commit="${commit:0:12}" '
  /^== / { repo = $2; order[++n] = repo; secs[repo] = 0; crits[repo] = 0; next }
  /^  section / && repo != "" { secs[repo]++; next }
  /^  [A-Z][0-9][a-z]?: labelled/ && repo != "" { crits[repo]++; next }
  /^per criterion/ { repo = "" }
  /^sections: / { total = $0 }
  END {
    printf "| repository | sections exact (cnmm %s) | criteria agreeing |\n|---|---|---|\n", commit
    for (i = 1; i <= n; i++) {
      r = order[i]
      printf "| %s | %d/5 | %d/40 |\n", r, 5 - secs[r], 40 - crits[r]
    }
    print ""
    print total
  }' "$work/out.txt"
