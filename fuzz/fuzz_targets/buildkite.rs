#![no_main]
// Any bytes, read as `.buildkite/pipeline.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".buildkite/pipeline.yml", data));
