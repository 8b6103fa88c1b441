//! Renderers. Each consumes an [`Assessment`] and nothing else; none re-derives a
//! verdict. One file per format.

pub mod json;
pub mod text;

use cnmm_model::Assessment;

/// The output formats `cnmm scan --format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["text", "json"];

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// ANSI colours (only when writing to a terminal and `NO_COLOR` is unset).
    pub color: bool,
    /// Show every evidence item instead of the first few.
    pub verbose: bool,
}

pub fn render(format: Format, a: &Assessment, opts: &Options) -> String {
    match format {
        Format::Text => text::render(a, opts),
        Format::Json => json::render(a),
    }
}
