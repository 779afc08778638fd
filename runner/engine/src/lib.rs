//! Fabula's runner engine: the providers (OpenAI-compatible, Anthropic, the offline
//! simulator), their limits (concurrency, rate, retries, circuit breaker), the execution
//! of every task type including the agentic loops, and the scheduler. A library: the
//! `fabula` CLI and the language server only drive it.

pub mod board_text;
pub mod budget;
pub mod call;
pub mod env;
pub mod exec;
pub mod fingerprint;
pub mod judge;
pub mod leaderboard;
pub mod limits;
pub mod model;
pub mod parallel;
pub mod plan;
pub mod project;
pub mod prompt;
pub mod provider;
pub mod scheduler;
pub mod scores;
pub mod secret;
pub mod setup;
pub mod store;
pub mod template;
