#![no_main]
// Any bytes, read as `.travis.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".travis.yml", data));
