#![no_main]
// The positioned YAML tree every YAML extractor reads.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = u32::try_from(cnmm_fuzz::line_count(data)).unwrap_or(u32::MAX);
    let parsed = cnmm_model::yaml::parse(&text, cnmm_model::yaml::Limits::default());
    for d in &parsed.documents {
        assert!(
            d.line <= lines.saturating_add(1),
            "document line {} of {lines}",
            d.line
        );
        for (k, v) in d.as_map() {
            let _ = (k.as_str(), v.text_line(), v.str_list());
        }
    }
});
