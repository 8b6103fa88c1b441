#![no_main]
// Any bytes, read as `.drone.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".drone.yml", data));
