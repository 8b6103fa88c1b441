#![no_main]
// Any bytes, read as `Dockerfile`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("Dockerfile", data));
