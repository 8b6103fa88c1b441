#![no_main]
// Any bytes, read as `sbom.cdx.json`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract("sbom.cdx.json", data));
