#![no_main]
// Any bytes, read as `monitoring/prometheus.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("monitoring/prometheus.yml", data));
