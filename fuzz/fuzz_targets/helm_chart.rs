#![no_main]
// Any bytes, read as `charts/app/Chart.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("charts/app/Chart.yaml", data));
