//! Fabula's runner engine: the only async part. The providers (OpenAI-compatible,
//! Anthropic, the offline simulator) and their limits (concurrency, rate, retries,
//! circuit breaker), the driver of every task kind's dialogue, provider batches (`fabula run --batch`), judging, the scheduler
//! that emits records as events, the recorder that persists them, and the results store
//! and project loading (the IO). What to run and how to score it comes from
//! `fabula-eval`; what a task says from `fabula-core`. The `fabula` CLI and the language
//! server only drive it.

pub mod adaptive;
pub mod batch;
pub mod budget;
pub mod call;
pub mod draft;
pub mod env;
pub mod exec;
pub mod judging;
pub mod limits;
pub mod lock;
pub mod merge;
pub mod model;
pub mod pairwise;
pub mod project;
pub mod provider;
pub mod rater;
pub mod recorder;
pub mod scheduler;
pub mod secret;
pub mod setup;
pub mod store;
