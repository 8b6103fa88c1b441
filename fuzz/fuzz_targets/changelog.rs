#![no_main]
// Any bytes, read as `CHANGELOG.md`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("CHANGELOG.md", data));
