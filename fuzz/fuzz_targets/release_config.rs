#![no_main]
// Any bytes, read as `.goreleaser.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".goreleaser.yaml", data));
