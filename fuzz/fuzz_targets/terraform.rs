#![no_main]
// Any bytes, read as `infra/main.tf`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("infra/main.tf", data));
