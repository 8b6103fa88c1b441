//! Splits shell scripts (`run:` blocks, `script:` lines, `sh '...'` steps) into simple
//! commands made of words, so tools are recognised by the command that runs them and
//! never by a substring (`echo "run trivy"` runs `echo`).
//!
//! This is a lexer for the parts of POSIX sh that matter here: quotes, escapes, line
//! continuations, comments, `;`, `&&`, `||`, `|`, `&`, subshell parentheses, heredocs
//! and the leading keywords of compound commands. CI expressions such as `${{ x }}` are
//! kept inside their word.

/// One simple command: its words with quotes removed, and the 0-based line within the
/// script where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<String>,
    pub line: u32,
}

const KEYWORDS_BEFORE_COMMAND: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{",
];
const KEYWORDS_ALONE: &[&str] = &["fi", "done", "esac", "}", ";;"];

/// Command substitutions nested deeper than this are kept as words, not lexed as
/// commands: each level is lexed again, so unbounded nesting (`$($($(...` a million
/// times) cost time and memory with the square of the input and recursed as deep.
const MAX_SUBSTITUTION_DEPTH: usize = 8;

/// Splits `script` into simple commands.
pub fn split_commands(script: &str) -> Vec<Command> {
    split_commands_at(script, 0)
}

fn split_commands_at(script: &str, depth: usize) -> Vec<Command> {
    let mut lexer = Lexer::new(script);
    lexer.depth = depth;
    lexer.run();
    lexer
        .commands
        .into_iter()
        .filter_map(normalise_command)
        .collect()
}

fn normalise_command(mut cmd: Command) -> Option<Command> {
    while let Some(first) = cmd.words.first() {
        if KEYWORDS_BEFORE_COMMAND.contains(&first.as_str()) {
            cmd.words.remove(0);
        } else {
            break;
        }
    }
    let first = cmd.words.first()?;
    if KEYWORDS_ALONE.contains(&first.as_str()) {
        return None;
    }
    // `for x in a b` and `case $x in` headers are not commands.
    if matches!(first.as_str(), "for" | "case" | "select" | "function") {
        return None;
    }
    Some(cmd)
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    words: Vec<String>,
    word: String,
    in_word: bool,
    cmd_line: u32,
    commands: Vec<Command>,
    heredocs: Vec<(String, bool)>,
    /// How many command substitutions this text is nested in.
    depth: usize,
    _src: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
            line: 0,
            words: Vec::new(),
            word: String::new(),
            in_word: false,
            cmd_line: 0,
            commands: Vec::new(),
            heredocs: Vec::new(),
            depth: 0,
            _src: src,
        }
    }

    fn peek(&self, off: usize) -> Option<char> {
        self.chars.get(self.pos + off).copied()
    }

    fn end_word(&mut self) {
        if self.in_word {
            if self.words.is_empty() {
                self.cmd_line = self.line;
            }
            let w = std::mem::take(&mut self.word);
            self.words.push(w);
            self.in_word = false;
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        if !self.words.is_empty() {
            let words = std::mem::take(&mut self.words);
            self.commands.push(Command {
                words,
                line: self.cmd_line,
            });
        }
    }

    fn push_char(&mut self, c: char) {
        if !self.in_word && self.words.is_empty() {
            self.cmd_line = self.line;
        }
        self.in_word = true;
        self.word.push(c);
    }

    /// The word so far is a drive (`C:`) or a path below one (`C:\msys64`).
    fn in_windows_path(&self) -> bool {
        let w = self.word.as_bytes();
        w.len() >= 2
            && w[0].is_ascii_alphabetic()
            && w[1] == b':'
            && (w.len() == 2 || w[2] == b'\\')
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '\n' => {
                    self.pos += 1;
                    self.end_command();
                    self.line += 1;
                    self.skip_heredoc_bodies();
                }
                ' ' | '\t' | '\r' => {
                    self.pos += 1;
                    self.end_word();
                }
                '#' if !self.in_word => {
                    while let Some(c) = self.peek(0) {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                // A Windows path (`C:\msys64\usr\bin\bash`, in a PowerShell or cmd
                // script of a Windows runner): its backslashes separate directories, they
                // escape nothing. No POSIX script writes `C:\x` meaning `C:x`.
                '\\' if self.in_windows_path() => {
                    self.pos += 1;
                    self.push_char('\\');
                }
                '\\' => {
                    if self.peek(1) == Some('\n') {
                        self.pos += 2;
                        self.line += 1;
                        self.end_word();
                    } else if let Some(n) = self.peek(1) {
                        self.pos += 2;
                        self.push_char(n);
                    } else {
                        self.pos += 1;
                    }
                }
                '\'' => {
                    self.pos += 1;
                    self.in_word = true;
                    if self.words.is_empty() && self.word.is_empty() {
                        self.cmd_line = self.line;
                    }
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        if c == '\'' {
                            break;
                        }
                        if c == '\n' {
                            self.line += 1;
                        }
                        self.word.push(c);
                    }
                }
                '"' => {
                    self.pos += 1;
                    self.in_word = true;
                    if self.words.is_empty() && self.word.is_empty() {
                        self.cmd_line = self.line;
                    }
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        match c {
                            '"' => break,
                            '\\' => {
                                if let Some(n) = self.peek(0) {
                                    self.pos += 1;
                                    if n == '\n' {
                                        self.line += 1;
                                    } else {
                                        self.word.push(n);
                                    }
                                }
                            }
                            '\n' => {
                                self.line += 1;
                                self.word.push(c);
                            }
                            _ => self.word.push(c),
                        }
                    }
                }
                '$' if self.peek(1) == Some('{') && self.peek(2) == Some('{') => {
                    // A CI expression: keep it whole, spaces included.
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        self.push_char(c);
                        if c == '}' && self.peek(0) == Some('}') {
                            self.pos += 1;
                            self.push_char('}');
                            break;
                        }
                    }
                }
                '$' if self.peek(1) == Some('(') => {
                    // Command substitution: part of the current word; its inner command is
                    // lexed as a command of its own so `$(trivy ...)` still counts.
                    let start = self.pos + 2;
                    let mut depth = 1;
                    let mut i = start;
                    while i < self.chars.len() && depth > 0 {
                        match self.chars[i] {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        i += 1;
                    }
                    let chunk: Vec<char> = self.chars[self.pos..i].to_vec();
                    for c in chunk {
                        self.push_char(c);
                    }
                    if self.depth < MAX_SUBSTITUTION_DEPTH {
                        let inner: String = self.chars[start..i.saturating_sub(1).max(start)]
                            .iter()
                            .collect();
                        let base = self.line;
                        for mut cmd in split_commands_at(&inner, self.depth + 1) {
                            cmd.line += base;
                            self.commands.push(cmd);
                        }
                    }
                    self.pos = i;
                }
                ';' | '&' | '|' | '(' | ')' => {
                    self.pos += 1;
                    if c == '(' && self.in_word {
                        // `name()` function definitions and globs: keep in the word.
                        self.word.push(c);
                        continue;
                    }
                    self.end_command();
                    if (c == '&' || c == '|' || c == ';') && self.peek(0) == Some(c) {
                        self.pos += 1;
                    }
                }
                '<' if self.peek(1) == Some('<') && self.peek(2) != Some('<') => {
                    self.pos += 2;
                    let strip = if self.peek(0) == Some('-') {
                        self.pos += 1;
                        true
                    } else {
                        false
                    };
                    self.end_word();
                    while matches!(self.peek(0), Some(' ' | '\t')) {
                        self.pos += 1;
                    }
                    let mut delim = String::new();
                    while let Some(c) = self.peek(0) {
                        if c.is_whitespace() || matches!(c, ';' | '&' | '|' | ')' | '<' | '>') {
                            break;
                        }
                        self.pos += 1;
                        if c != '\'' && c != '"' && c != '\\' {
                            delim.push(c);
                        }
                    }
                    if !delim.is_empty() {
                        self.heredocs.push((delim, strip));
                    }
                }
                _ => {
                    self.pos += 1;
                    self.push_char(c);
                }
            }
        }
        self.end_command();
    }

    /// After a newline: skips the bodies of heredocs opened on the line just ended.
    fn skip_heredoc_bodies(&mut self) {
        let pending = std::mem::take(&mut self.heredocs);
        for (delim, strip) in pending {
            loop {
                if self.pos >= self.chars.len() {
                    return;
                }
                let start = self.pos;
                while self.pos < self.chars.len() && self.chars[self.pos] != '\n' {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                if self.pos < self.chars.len() {
                    self.pos += 1;
                }
                self.line += 1;
                let candidate = if strip {
                    text.trim_start()
                } else {
                    text.as_str()
                };
                if candidate.trim_end() == delim {
                    break;
                }
            }
        }
    }
}

/// The file name of a command word: `./bin/trivy` → `trivy`, `gosec@v2` → `gosec`,
/// `tool.exe` → `tool`.
pub fn command_name(word: &str) -> &str {
    // Build scripts call make through the variable that names it (`$MAKE check`,
    // autotools' and GNU make's convention).
    if matches!(word, "$MAKE" | "${MAKE}" | "$(MAKE)") {
        return "make";
    }
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let base = base.split('@').next().unwrap_or(base);
    base.strip_suffix(".exe").unwrap_or(base)
}

/// Whether a word is an option (`-v`, `--rm`, `+nightly`).
pub fn is_flag(word: &str) -> bool {
    (word.starts_with('-') && word.len() > 1) || (word.starts_with('+') && word.len() > 1)
}

/// Whether a word is a variable assignment (`FOO=bar`).
pub fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(script: &str) -> Vec<Vec<String>> {
        split_commands(script)
            .into_iter()
            .map(|c| c.words)
            .collect()
    }

    #[test]
    fn separators_and_lines() {
        let cmds = split_commands("make build && make test\ncargo audit; echo done | tee x\n");
        let w: Vec<_> = cmds.iter().map(|c| (c.words.join(" "), c.line)).collect();
        assert_eq!(
            w,
            vec![
                ("make build".into(), 0),
                ("make test".into(), 0),
                ("cargo audit".into(), 1),
                ("echo done".into(), 1),
                ("tee x".into(), 1),
            ]
        );
    }

    #[test]
    fn windows_paths_keep_their_backslashes() {
        assert_eq!(
            words(r#"C:\msys64\usr\bin\bash -lc "./build-aux/win32/build.sh""#),
            vec![vec![
                r"C:\msys64\usr\bin\bash",
                "-lc",
                "./build-aux/win32/build.sh"
            ]]
        );
        // Elsewhere a backslash still escapes.
        assert_eq!(words(r"echo a\ b"), vec![vec!["echo", "a b"]]);
        assert_eq!(words(r"echo ab:\y"), vec![vec!["echo", "ab:y"]]);
    }

    #[test]
    fn quotes_keep_words_together() {
        assert_eq!(
            words("echo \"run trivy\" 'and more'"),
            vec![vec!["echo", "run trivy", "and more"]]
        );
    }

    #[test]
    fn continuation_lines_join() {
        let cmds = split_commands("docker build \\\n  -t x \\\n  .\ntrivy image x\n");
        assert_eq!(cmds[0].words, vec!["docker", "build", "-t", "x", "."]);
        assert_eq!(cmds[1].words, vec!["trivy", "image", "x"]);
        assert_eq!(cmds[1].line, 3);
    }

    #[test]
    fn comments_and_keywords() {
        assert_eq!(
            words("# trivy image x\nif true; then gosec ./...; fi"),
            vec![vec!["true"], vec!["gosec", "./..."]]
        );
    }

    #[test]
    fn heredoc_bodies_are_not_commands() {
        let cmds = split_commands("cat <<EOF > cfg.yaml\ntrivy: true\nEOF\nsyft dir:.\n");
        let w: Vec<_> = cmds.iter().map(|c| c.words[0].clone()).collect();
        assert_eq!(w, vec!["cat", "syft"]);
        assert_eq!(cmds[1].line, 3);
    }

    #[test]
    fn expressions_and_substitutions() {
        let cmds = split_commands("echo ${{ github.ref }} x\nV=$(git describe --tags)\n");
        assert_eq!(cmds[0].words, vec!["echo", "${{ github.ref }}", "x"]);
        assert!(cmds.iter().any(|c| c.words[0] == "git"));
    }

    /// Nested substitutions are commands to a sane depth; a million levels (a hostile
    /// script) are words, not a million re-lexings of the rest of the script.
    #[test]
    fn deep_substitutions_stay_linear() {
        let cmds = split_commands("echo $(a $(b $(trivy fs .)))\n");
        let names: Vec<&str> = cmds.iter().map(|c| c.words[0].as_str()).collect();
        assert_eq!(names, ["trivy", "b", "a", "echo"]);
        let hostile = format!("run {}", "$(".repeat(1_000_000));
        let cmds = split_commands(&hostile);
        assert!(cmds.len() <= MAX_SUBSTITUTION_DEPTH + 2, "{}", cmds.len());
    }

    #[test]
    fn helpers() {
        assert_eq!(command_name("./bin/trivy"), "trivy");
        assert_eq!(command_name("gosec@latest"), "gosec");
        assert_eq!(command_name("$MAKE"), "make");
        assert_eq!(command_name("${MAKE}"), "make");
        assert_eq!(command_name("$MAKEFLAGS"), "$MAKEFLAGS");
        assert!(is_flag("--rm") && is_flag("+nightly") && !is_flag("-"));
        assert!(is_assignment("CGO_ENABLED=0") && !is_assignment("--x=1"));
    }
}
