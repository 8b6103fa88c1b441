#![no_main]
// Any bytes, read as `.github/CODEOWNERS`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".github/CODEOWNERS", data));
