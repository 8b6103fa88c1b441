#![no_main]
// Any bytes, read as `.gitlab-ci.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".gitlab-ci.yml", data));
