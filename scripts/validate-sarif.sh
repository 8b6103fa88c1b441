#!/bin/sh
# Validates cnmm's SARIF against the official SARIF 2.1.0 JSON schema and Microsoft's
# SARIF validator (including its GitHub ingestion rules). Both ship in the npm package
# @microsoft/sarif-multitool-linux, fetched here with `npm pack`; cargo test does not
# depend on it (it checks GitHub's required shape on its own).
#
# Usage: scripts/validate-sarif.sh [REPO]   (default: the github-app scenario fixture)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
repo=${1:-$here/fixtures/scenarios/github-app}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent @microsoft/sarif-multitool-linux >/dev/null)
tar -xzf "$work"/microsoft-sarif-multitool-linux-*.tgz -C "$work"
schema="$work/package/sarif-2.1.0.json"

# 1. The renderer's own test, against the schema.
(cd "$here" && CNMM_SARIF_SCHEMA="$schema" cargo test -j 1 -p cnmm-report --lib \
    sarif::tests::validates_against_the_sarif_schema -- --ignored --exact)

# 2. A real scan through the multitool: schema plus SARIF and GitHub rules; any error
#    or warning fails (notes are style suggestions).
cnmm=${CNMM:-$here/target/debug/cnmm}
"$cnmm" scan "$repo" --format sarif --fail-below 3 --output "$work/cnmm.sarif" || [ $? -eq 1 ]
chmod +x "$work/package/Sarif.Multitool"
"$work/package/Sarif.Multitool" validate "$work/cnmm.sarif" --json-schema "$schema" \
    --rule-kind "Sarif;Gh" --level "Error;Warning" --output "$work/validation.sarif" --quiet
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"][0].get("results", [])))' "$work/validation.sarif")
if [ "$count" != 0 ]; then
    cat "$work/validation.sarif" >&2
    echo "validate-sarif.sh: $count errors or warnings" >&2
    exit 1
fi
echo "validate-sarif.sh: valid SARIF 2.1.0 (schema and multitool, Sarif and Gh rules)"
