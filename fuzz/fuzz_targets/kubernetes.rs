#![no_main]
// Any bytes, read as `deploy/app.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("deploy/app.yaml", data));
