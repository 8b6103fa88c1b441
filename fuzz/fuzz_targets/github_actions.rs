#![no_main]
// Any bytes, read as `.github/workflows/ci.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".github/workflows/ci.yml", data));
