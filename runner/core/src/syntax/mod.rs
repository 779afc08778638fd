//! YAML text to data: a typed value tree (serde-saphyr, with budgets) and a
//! position-carrying tree (tree-sitter-yaml) that maps paths to byte ranges.
//!
//! The two parsers have different jobs. serde-saphyr is the authority on whether the text
//! is valid YAML (it reports the first syntax error, duplicate keys, alias bombs and
//! nesting past the budget). tree-sitter gives every key and value a byte range; its error
//! recovery on broken indentation is poor, so its errors are never reported.

mod spans;
pub mod splice;
mod value;

pub use spans::{Place, SpanKind, SpanNode, SpanTree};
pub use value::{MAX_FILE_BYTES, Parsed, parse_value, too_large};
