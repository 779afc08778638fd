//! Fabula's core: the formats (theories, tasks, `fabula.yaml`, result records), YAML
//! loading with positions, the checks, and what each task type knows (its kind: prompts,
//! judge views, criteria), the judge's prompt and parse, the programmatic metrics and
//! the judges' aggregation. It does no IO and knows no protocol: the CLI, the engine and
//! the language server hand it texts and render what it returns.

pub mod check;
pub mod check_text;
pub mod criteria;
pub mod diagnostic;
pub mod document;
pub mod draft;
pub mod feedback;
pub mod file_name;
pub mod judge;
pub mod kind;
pub mod metrics;
pub mod model;
pub mod pairwise;
pub mod path;
pub mod prompt;
pub mod scaffold;
pub mod schema;
pub mod score;
pub mod suggest;
pub mod syntax;
pub mod template;
pub mod text;
pub mod text_rules;
pub mod workspace;
