#![no_main]
// Any bytes, read as `.github/actions/setup/action.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(
    ".github/actions/setup/action.yml",
    data
));
