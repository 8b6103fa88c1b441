#![no_main]
// Any bytes, read as `Jenkinsfile`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("Jenkinsfile", data));
