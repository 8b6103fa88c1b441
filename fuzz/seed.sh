#!/usr/bin/env bash
# Builds the seed corpus of every fuzz target from this repository's own fixtures and
# rule files (run from the repository root): fuzz/corpus/<target>/<sha1 of the file>.
set -euo pipefail
cd "$(dirname "$0")/.."
seed() { # target, then find(1) predicates over fixtures/ and rules/
  local target=$1; shift
  mkdir -p "fuzz/corpus/$target"
  find fixtures rules -type f \( "$@" \) -size -256k -print0 |
    while IFS= read -r -d '' f; do
      cp "$f" "fuzz/corpus/$target/$(sha1sum "$f" | cut -c1-16)"
    done
}
yaml=(-name '*.yml' -o -name '*.yaml')
seed github_actions -path '*/.github/workflows/*'
seed github_composite_action -path '*/.github/actions/*'
seed gitlab_ci -name '*gitlab-ci*.yml' -o -path '*/ci/gitlab/*'
seed jenkinsfile -name 'Jenkinsfile*' -o -name '*.groovy'
seed circleci -path '*/.circleci/*'
seed azure_pipelines -name 'azure-pipelines*'
seed bitbucket -name 'bitbucket-pipelines.yml'
seed travis -name '.travis.yml'
seed tekton -path '*/.tekton/*'
seed drone -name '.drone.yml' -o -name '.woodpecker*'
seed buildkite -path '*/.buildkite/*'
seed cloud_build -name 'cloudbuild*'
seed kubernetes "${yaml[@]}"
seed helm_chart -name 'Chart.yaml'
seed helm_values -name 'values*.yaml'
seed helm_template -path '*/templates/*'
seed terraform -name '*.tf' -o -name '*.tfvars'
seed dockerfile -name 'Dockerfile*' -o -name '*.Dockerfile' -o -name 'Containerfile'
seed observability "${yaml[@]}"
seed release_config -name '.goreleaser*' -o -name '.releaserc*' -o -name 'release-please*'
seed sbom -name '*.json' -o -name '*.spdx' -o -name '*.xml'
seed codeowners -name 'CODEOWNERS' -o -name 'OWNERS*'
seed dependabot -name 'dependabot.yml' -o -name 'renovate.json*'
seed changelog -name 'CHANGELOG*' -o -name 'CHANGES*'
seed yaml_tree "${yaml[@]}"
seed shell_lexer -name '*.sh' -o -name 'Makefile' -o -name '*.mk' -o -path '*/.github/workflows/*'
seed rule_loader -path 'rules/*' -name '*.yaml' -not -path 'rules/catalog/*' -o -path '*/rule-packs/*' -name '*.yaml'
seed catalog_loader -path '*/catalog/*' -name '*.yaml'
seed config_loader -name '.cnmm.yml'
seed ci_followed_files -name 'Makefile' -o -name 'Taskfile*.yml' -o -name 'package.json' -o -name '*.sh' -o -name '.pre-commit-config.yaml'
mkdir -p fuzz/corpus/config_loader
printf 'targets: {overall: 2, security: 3}\nexclude: ["legacy/**"]\nrules: [".cnmm/rules"]\nwaivers:\n  - criterion: S5a\n    reason: later\n    expires: 2027-03-31\n' > fuzz/corpus/config_loader/example
mkdir -p fuzz/corpus/imported_evidence
printf '{"url": "https://api.github.com/repos/acme/app/branches/main/protection", "required_status_checks": {"strict": true, "contexts": ["ci"]}, "required_pull_request_reviews": {"required_approving_review_count": 2}}\n' > fuzz/corpus/imported_evidence/github
printf '[{"id": 1, "name": "main", "push_access_levels": [{"access_level": 40}], "merge_access_levels": [{"access_level": 30}]}]\n' > fuzz/corpus/imported_evidence/gitlab
mkdir -p fuzz/corpus/history_walk
{
  printf 'author Dev One <one@example.org> 1780000000 +0000\ncommitter Dev One <one@example.org> 1780000000 +0000\n\nfeat: first (#1)\n\nSigned-off-by: Dev One <one@example.org>\n\0'
  printf 'author dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com> 1780000600 +0000\ncommitter GitHub <noreply@github.com> 1780000600 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n wsBcBAABCAAQ\n -----END PGP SIGNATURE-----\n\nchore(deps): bump x (#2)\n\0'
  printf 'author Dev Two <two@example.org> 1780001200 +0200\ncommitter Dev Two <two@example.org> 1780001200 +0200\n\nMerge pull request #3 from dev/branch\n\nRevert "hotfix: y"\n'
} > fuzz/corpus/history_walk/chain
for d in fuzz/corpus/*/; do printf '%-26s %s\n' "$(basename "$d")" "$(ls "$d" | wc -l)"; done
