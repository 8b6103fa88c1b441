#![no_main]
// A forge API answer imported with `--evidence` (GitHub branch protection, GitLab
// protected branches).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cnmm_facts::imported::parse_evidence("evidence.json", "evidence.json", text);
    }
});
