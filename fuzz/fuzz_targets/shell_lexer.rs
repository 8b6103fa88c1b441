#![no_main]
// The shell lexer that splits CI scripts into commands.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = u32::try_from(cnmm_fuzz::line_count(data)).unwrap_or(u32::MAX);
    for c in cnmm_facts::shell::split_commands(&text) {
        assert!(c.line <= lines, "command line {} of {lines}", c.line);
    }
});
