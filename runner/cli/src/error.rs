//! The CLI's one error type, and what each kind means for the exit code (documented in
//! `fabula --help` and README.md).

use std::fmt;

/// Exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 0: the command did what was asked: the planned work is complete and stored, no
    /// findings.
    Success,
    /// 1: findings (check errors, a model under --fail-under), or failed or unfinished
    /// work (failures, a budget stop, an interrupt, refused calls).
    Findings,
    /// 2: bad arguments or configuration (no fabula.yaml, a missing key, invalid tasks).
    UsageError,
    /// 3: the results store could not be read or written.
    StoreError,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Findings => 1,
            Outcome::UsageError => 2,
            Outcome::StoreError => 3,
        }
    }
}

/// A command that could not do its work.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments or configuration: exit 2.
    Usage(String),
    /// The results store could not be read or written: exit 3.
    Store(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Store(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

/// A store failure as an error that exits 3.
pub fn store(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(CliError::Store(message.into()))
}

/// The exit code of an error: 3 for the store, 2 for everything else.
pub fn outcome_of(err: &anyhow::Error) -> Outcome {
    match err.chain().find_map(|e| e.downcast_ref::<CliError>()) {
        Some(CliError::Store(_)) => Outcome::StoreError,
        _ => Outcome::UsageError,
    }
}
