//! Fabula's evaluation layer: everything about results that needs no IO and no async
//! runtime. Prepared tasks, fingerprints (what makes a record stale), planning (what a
//! run must do), the one score of a generation, coverage, bootstrap confidence intervals,
//! and the leaderboard model with its text forms. The engine runs what this plans; the
//! CLI and the language server show what this computes.

pub mod agreement;
pub mod compare;
pub mod export;
pub mod fingerprint;
pub mod leaderboard;
pub mod pairwise;
pub mod plan;
pub mod prepared;
pub mod records;
pub mod report;
pub mod scores;
pub mod scoring;
pub mod sheet;
pub mod stats;
pub mod text;
