#![no_main]
// A rule file of a user's rule pack.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let kinds = cnmm_facts::extractors::fact_kinds();
    let source = cnmm_rules::loader::Source {
        path: "rules/custom/X9.yaml".into(),
        text,
    };
    let _ = cnmm_rules::loader::parse_rules(&[source], &kinds);
});
