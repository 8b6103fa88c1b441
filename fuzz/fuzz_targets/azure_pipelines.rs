#![no_main]
// Any bytes, read as `azure-pipelines.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("azure-pipelines.yml", data));
