#![no_main]
// A tool catalog file of a user's rule pack.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let source = cnmm_rules::loader::Source {
        path: "rules/catalog/extra.yaml".into(),
        text,
    };
    if let Ok(c) = cnmm_rules::loader::load_catalog(&[source]) {
        // A catalog that loads must compile into a matcher and match without panicking.
        let m = cnmm_facts::tools::ToolMatcher::new(&c);
        let _ = m.match_command(&["trivy".to_string(), "fs".to_string(), ".".to_string()]);
    }
});
