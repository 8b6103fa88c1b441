#!/usr/bin/env bash
# Clones every repository labelled under accuracy/labels/ at the commit its label was
# judged at, into DIR (default ./accuracy-clones), for
#   cargo run --release --example agreement -- accuracy/labels DIR
# Needs network access to GitHub; full clones, because history criteria need history.
set -euo pipefail
dir=${1:-accuracy-clones}
mkdir -p "$dir"
for label in accuracy/labels/*.yaml; do
  repo=$(sed -n 's/^repository: *//p' "$label")
  commit=$(sed -n 's/^commit: *//p' "$label")
  clone=$(sed -n 's/^clone: *//p' "$label")
  if [ ! -d "$dir/$clone/.git" ]; then
    git clone --quiet "https://github.com/$repo" "$dir/$clone"
  fi
  git -C "$dir/$clone" -c advice.detachedHead=false checkout --quiet "$commit"
  echo "$repo at ${commit:0:12} in $dir/$clone"
done
