#![no_main]
// Any bytes, read as `.github/dependabot.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".github/dependabot.yml", data));
