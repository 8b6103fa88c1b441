#![no_main]
// Any bytes, read as `.circleci/config.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".circleci/config.yml", data));
