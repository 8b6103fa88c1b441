#![no_main]
// Any bytes, read as `charts/app/values.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("charts/app/values.yaml", data));
