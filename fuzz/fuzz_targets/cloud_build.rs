#![no_main]
// Any bytes, read as `cloudbuild.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("cloudbuild.yaml", data));
