#![no_main]
// Any bytes, read as `bitbucket-pipelines.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("bitbucket-pipelines.yml", data));
