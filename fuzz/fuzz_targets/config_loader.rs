#![no_main]
// A `.cnmm.yml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = cnmm::config::parse(&text, ".cnmm.yml");
});
