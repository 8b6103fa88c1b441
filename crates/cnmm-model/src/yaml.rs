//! A YAML tree with line numbers, built from saphyr-parser events.
//!
//! Extractors need every key's line for evidence, merge keys (`<<: *defaults`, common in
//! GitLab CI) resolved, and hard limits against hostile input: alias expansion is
//! budgeted (alias bombs) and nesting depth is capped. Scalars stay strings, so the
//! YAML 1.1 `on:`/`yes` traps cannot turn a key into a boolean.

use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Limits that keep hostile documents cheap.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Nodes a file may produce, aliases expanded.
    pub max_nodes: usize,
    /// Nesting depth of collections.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 500_000,
            max_depth: 256,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line of the node's first character.
    pub line: u32,
    pub value: Value,
}

/// How a scalar was written: plain, quoted, or as a `|`/`>` block (whose node line is
/// its first non-blank content line, not the indicator's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// A scalar and how it was written.
    Scalar(String, Style),
    Seq(Vec<Node>),
    /// Entries in document order; keys are usually scalars.
    Map(Vec<(Node, Node)>),
}

static NULL_NODE: Node = Node {
    line: 0,
    value: Value::Null,
};

impl Node {
    pub fn null(line: u32) -> Node {
        Node {
            line,
            value: Value::Null,
        }
    }

    /// The value at `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and the value at `key` of a mapping (the key carries the line a
    /// reader expects for `key:`).
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for k in keys {
            cur = cur.get(k)?;
        }
        Some(cur)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// The line where a scalar's text starts. The parser places a `|`/`>` block scalar
    /// on its first non-blank content line; leading blank lines are part of the text.
    pub fn text_line(&self) -> u32 {
        match &self.value {
            Value::Scalar(text, Style::Block) => {
                let blank = text.chars().take_while(|c| *c == '\n').count();
                self.line
                    .saturating_sub(u32::try_from(blank).unwrap_or(0))
                    .max(1)
            }
            _ => self.line,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_seq(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_map(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// A scalar or a sequence of scalars, as a list of strings (`needs: a` and
    /// `needs: [a, b]` read the same).
    pub fn str_list(&self) -> Vec<String> {
        match &self.value {
            Value::Scalar(s, _) => vec![s.clone()],
            Value::Seq(items) => items
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// YAML truthiness for flags such as `push: true` or `enabled: yes`.
    pub fn is_true(&self) -> bool {
        matches!(
            self.as_str().map(|s| s.to_ascii_lowercase()).as_deref(),
            Some("true" | "yes" | "on")
        )
    }

    /// Iterates over the keys of a mapping as strings, with their key and value nodes.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node, &Node)> {
        self.as_map()
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|ks| (ks, k, v)))
    }

    /// A node shared by callers that want a default.
    pub fn empty() -> &'static Node {
        &NULL_NODE
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Null | Value::Scalar(..) => 1,
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }
}

/// Why a document could not be read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub message: String,
}

/// The documents of a YAML stream. On error, the documents completed before it are
/// still returned, so one bad document of a multi-document file loses nothing else.
pub struct Parsed {
    pub documents: Vec<Node>,
    pub error: Option<YamlError>,
}

enum Frame {
    Seq {
        line: u32,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: u32,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
    },
}

fn is_null_scalar(s: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// Parses every document of `text`.
pub fn parse(text: &str, limits: Limits) -> Parsed {
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut budget = limits.max_nodes;
    let mut cursor = CharCursor::default();

    let fail = |documents: Vec<Node>, line: usize, message: String| Parsed {
        documents,
        error: Some(YamlError {
            line: u32::try_from(line).unwrap_or(u32::MAX).max(1),
            message,
        }),
    };

    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                return fail(documents, e.marker().line(), e.info().to_string());
            }
        };
        let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
        let node = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {
                continue
            }
            Event::SequenceStart(..) | Event::MappingStart(..)
                if stack.len() >= limits.max_depth =>
            {
                return fail(
                    documents,
                    span.start.line(),
                    format!("nesting deeper than {} levels", limits.max_depth),
                );
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq {
                    line,
                    anchor,
                    items: Vec::new(),
                });
                continue;
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map {
                    line,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    line,
                    anchor,
                    items,
                }) => {
                    let node = Node {
                        line,
                        value: Value::Seq(items),
                    };
                    remember(&mut anchors, anchor, &node);
                    node
                }
                _ => return fail(documents, span.start.line(), "unbalanced sequence".into()),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    line,
                    anchor,
                    entries,
                    ..
                }) => {
                    let node = Node {
                        line,
                        value: Value::Map(resolve_merge_keys(entries)),
                    };
                    remember(&mut anchors, anchor, &node);
                    node
                }
                _ => return fail(documents, span.start.line(), "unbalanced mapping".into()),
            },
            Event::Scalar(value, style, anchor, tag) => {
                if budget == 0 {
                    return fail(
                        documents,
                        span.start.line(),
                        format!("more than {} nodes", limits.max_nodes),
                    );
                }
                budget -= 1;
                // With an anchor or a tag, the parser starts a block scalar's span at
                // those properties, not at its text as it otherwise does.
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let line = if block && (anchor != 0 || tag.is_some()) {
                    let at = cursor.byte_offset(text, span.start.index());
                    block_text_line(text, at, line)
                } else {
                    line
                };
                let node = if is_null_scalar(&value, style) {
                    Node::null(line)
                } else {
                    Node {
                        line,
                        value: Value::Scalar(
                            value.into_owned(),
                            match style {
                                ScalarStyle::Plain => Style::Plain,
                                ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                                _ => Style::Quoted,
                            },
                        ),
                    }
                };
                remember(&mut anchors, anchor, &node);
                node
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some((node, size)) => {
                    if *size > budget {
                        return fail(
                            documents,
                            span.start.line(),
                            format!(
                                "aliases expand to more than {} nodes (alias bomb?)",
                                limits.max_nodes
                            ),
                        );
                    }
                    budget -= size;
                    let mut n = node.clone();
                    // An alias is located where it is used, except a block scalar: its
                    // lines are counted from where its text is written (the anchor), or
                    // a command on its fifth line would point past the alias.
                    if !matches!(n.value, Value::Scalar(_, Style::Block)) {
                        n.line = line;
                    }
                    n
                }
                None => Node::null(line),
            },
        };
        match stack.last_mut() {
            None => documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
    Parsed {
        documents,
        error: None,
    }
}

/// Char index to byte offset, for positions that only move forward (the parser's
/// markers count chars).
#[derive(Default)]
struct CharCursor {
    chars: usize,
    bytes: usize,
}

impl CharCursor {
    fn byte_offset(&mut self, text: &str, char_index: usize) -> usize {
        if char_index < self.chars {
            *self = CharCursor::default();
        }
        let rest = &text[self.bytes..];
        let mut it = rest.char_indices();
        while self.chars < char_index {
            match it.next() {
                Some((_, c)) => {
                    self.chars += 1;
                    self.bytes += c.len_utf8();
                }
                None => break,
            }
        }
        self.bytes
    }
}

/// The line of a block scalar's first non-blank text line, from `at` (its properties,
/// on line `line`): past the anchor and tag, the `|`/`>` indicator's line, then blank
/// lines.
fn block_text_line(text: &str, at: usize, line: u32) -> u32 {
    let bytes = text.as_bytes();
    let mut i = at;
    let mut line = line;
    // Skip `&anchor` and `!tag` tokens and the white space between them.
    while let Some(&b) = bytes.get(i) {
        match b {
            b'&' | b'!' => {
                while bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace()) {
                    i += 1;
                }
            }
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => break,
        }
    }
    // The indicator's line ends; the text starts on the next non-blank line.
    while bytes.get(i).is_some_and(|&b| b != b'\n') {
        i += 1;
    }
    for l in text.get(i + 1..).unwrap_or("").split('\n') {
        line += 1;
        if !l.trim().is_empty() {
            break;
        }
    }
    line
}

fn remember(anchors: &mut HashMap<usize, (Node, usize)>, anchor: usize, node: &Node) {
    if anchor != 0 {
        anchors.insert(anchor, (node.clone(), node.size()));
    }
}

/// Applies `<<` merge keys: entries of the merged mappings are added unless the mapping
/// defines the key itself.
fn resolve_merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    if !entries.iter().any(|(k, _)| k.as_str() == Some("<<")) {
        return entries;
    }
    let mut own: Vec<(Node, Node)> = Vec::new();
    let mut merged: Vec<(Node, Node)> = Vec::new();
    for (k, v) in entries {
        if k.as_str() == Some("<<") {
            let sources: Vec<Node> = match v.value {
                Value::Seq(items) => items,
                other => vec![Node {
                    line: v.line,
                    value: other,
                }],
            };
            for src in sources {
                if let Value::Map(es) = src.value {
                    for (mk, mv) in es {
                        if !merged.iter().any(|(x, _)| x.as_str() == mk.as_str()) {
                            merged.push((mk, mv));
                        }
                    }
                }
            }
        } else {
            own.push((k, v));
        }
    }
    for (mk, mv) in merged {
        if !own.iter().any(|(x, _)| x.as_str() == mk.as_str()) {
            own.push((mk, mv));
        }
    }
    own
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let p = parse(text, Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        p.documents.into_iter().next().expect("a document")
    }

    #[test]
    fn keys_keep_their_lines_and_on_stays_a_string() {
        let doc = one("name: ci\non:\n  push:\n    branches: [main]\njobs: {}\n");
        let (k, v) = doc.entry("on").expect("on key");
        assert_eq!(k.line, 2);
        assert_eq!(
            v.path(&["push", "branches"]).map(Node::str_list),
            Some(vec!["main".to_string()])
        );
    }

    #[test]
    fn merge_keys_are_resolved_and_own_keys_win() {
        let doc = one(
            ".base: &base\n  image: alpine\n  stage: test\njob:\n  <<: *base\n  stage: build\n",
        );
        let job = doc.get("job").expect("job");
        assert_eq!(job.get("image").and_then(Node::as_str), Some("alpine"));
        assert_eq!(job.get("stage").and_then(Node::as_str), Some("build"));
    }

    #[test]
    fn block_scalars_text_starts_on_the_line_after_the_indicator() {
        let doc = parse(
            "a: |\n  x\n  y\nb: >-\n\n  z\nc: plain\n",
            Limits::default(),
        )
        .documents
        .remove(0);
        assert_eq!(doc.get("a").map(Node::text_line), Some(2));
        // `>-` keeps the blank line 5 as a leading newline of its text.
        assert_eq!(doc.get("b").map(Node::text_line), Some(5));
        assert_eq!(doc.get("c").map(Node::text_line), Some(7));
    }

    #[test]
    fn aliased_block_scalars_keep_the_lines_of_their_text() {
        let text = "a: &vars |\n  export A=1\n  make test\nb: *vars\nc: &one x\nd: *one\n";
        let doc = one(text);
        assert_eq!(doc.get("a").map(Node::text_line), Some(2));
        assert_eq!(doc.get("b").map(Node::text_line), Some(2));
        assert_eq!(doc.get("d").map(|n| n.line), Some(6));
    }

    #[test]
    fn alias_bombs_stop_with_an_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = i - 1
            ));
        }
        let p = parse(&text, Limits::default());
        let err = p.error.expect("budget error");
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000);
        let p = parse(&text, Limits::default());
        assert!(p.error.is_some());
    }

    #[test]
    fn good_documents_survive_a_bad_one() {
        let p = parse("a: 1\n---\nb: 2\n---\nc: [\n", Limits::default());
        assert_eq!(p.documents.len(), 2);
        assert!(p.error.is_some());
    }

    #[test]
    fn nulls_and_quoted_strings() {
        let doc = one("a: ~\nb: 'null'\nc:\n");
        assert!(doc.get("a").is_some_and(Node::is_null));
        assert_eq!(doc.get("b").and_then(Node::as_str), Some("null"));
        assert!(doc.get("c").is_some_and(Node::is_null));
    }
}
