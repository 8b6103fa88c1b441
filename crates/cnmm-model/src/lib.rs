//! Shared types of cnmm. Every other crate speaks through these: extractors produce
//! [`Fact`]s and [`Diagnostic`]s, the rule engine produces an [`Assessment`], renderers
//! consume it.

pub mod assessment;
pub mod catalog;
pub mod diagnostic;
pub mod fact;
pub mod lazy_regex;
pub mod text;
pub mod yaml;

pub use assessment::*;
pub use catalog::{Catalog, CategorySpec, DirRule, PathLists, ToolSpec};
pub use diagnostic::{Diagnostic, Severity};
pub use fact::{
    attr, AttrSpec, AttrType, AttrValue, EvidenceSource, Fact, FactKindSpec, FactSource, Location,
};
