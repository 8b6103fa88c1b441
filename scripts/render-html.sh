#!/bin/sh
# Renders cnmm's HTML report of a repository to a PNG in headless Chromium, to check the
# page (chart, tables, evidence) in a real browser. Needs Debian's chromium
# (`apt-get install -y chromium`); cargo test does not depend on it.
#
# Usage: scripts/render-html.sh [REPO] [OUT.png] [extra cnmm flags...]
# SUBCOMMAND=timeline renders `cnmm timeline REPO --format html` instead of the scan
# report (extra flags go to it: `--tags 24`).
set -eu

repo=${1:-.}
out=${2:-cnmm-report.png}
[ $# -ge 2 ] && shift 2 || shift $#
here=$(cd "$(dirname "$0")/.." && pwd)
cnmm=${CNMM:-$here/target/debug/cnmm}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "render-html.sh: chromium not found; apt-get install -y chromium" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The scan's exit code 1 (below a --fail-below target) still produces a report.
"$cnmm" "${SUBCOMMAND:-scan}" "$repo" --format html --output "$work/report.html" "$@" || [ $? -eq 1 ]

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --screenshot="$work/out.png" --window-size=1200,1600 \
    "file://$work/report.html" >"$work/chromium.log" 2>&1 || {
    cat "$work/chromium.log" >&2
    exit 2
}
cp "$work/out.png" "$out"
echo "$out"
