#![no_main]
// Any bytes, read as `charts/app/templates/deployment.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(
    "charts/app/templates/deployment.yaml",
    data
));
