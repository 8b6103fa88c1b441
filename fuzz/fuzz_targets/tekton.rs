#![no_main]
// Any bytes, read as `.tekton/pipeline.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| cnmm_fuzz::extract(".tekton/pipeline.yaml", data));
