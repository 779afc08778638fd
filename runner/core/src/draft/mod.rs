//! The pure parts of drafting tasks with a model (`fabula draft`): the prompts (from
//! `templates/draft_*.md`), reading a draft and a validator's verdict out of an answer,
//! and the near-duplicate screen. The engine's `draft` module runs the calls.

pub mod parse;
pub mod prompt;
pub mod similar;
