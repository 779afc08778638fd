//! Fabula's core: the formats (theories, tasks, `fabula.yaml`, result records), YAML
//! loading with positions, and the checks. It does no IO and knows no protocol: the CLI
//! and the language server hand it texts and render what it returns.

pub mod check;
pub mod diagnostic;
pub mod document;
pub mod feedback;
pub mod file_name;
pub mod metrics;
pub mod model;
pub mod path;
pub mod schema;
pub mod score;
pub mod suggest;
pub mod syntax;
pub mod text;
pub mod text_rules;
pub mod workspace;
