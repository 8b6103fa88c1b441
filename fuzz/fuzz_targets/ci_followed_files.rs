#![no_main]
// Any bytes, as every file a CI step is followed into: a Makefile, a Taskfile,
// `package.json`, a shell script and `.pre-commit-config.yaml`, all run by one workflow.
const WORKFLOW: &[u8] = b"on: [push]
jobs:
  ci:
    runs-on: ubuntu-latest
    steps:
      - run: make ci
      - run: task ci
      - run: npm run ci
      - run: ./ci/build.sh
      - run: pre-commit run --all-files
";
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract_many(&[
    (".github/workflows/ci.yml", WORKFLOW),
    ("Makefile", data),
    ("Taskfile.yml", data),
    ("package.json", data),
    ("ci/build.sh", data),
    (".pre-commit-config.yaml", data),
]));
