//! `fabula`: the command-line front of Fabula. Parses arguments, runs a command, maps
//! the outcome to a documented exit code. The work itself lives in `fabula-core`.

mod args;
mod commands;
mod project;
mod render;

use clap::Parser;
use std::process::ExitCode;

/// Exit codes, as documented in `fabula --help` and README.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 0: nothing to report.
    Success,
    /// 1: the command ran and found problems (diagnostics, failed work).
    Findings,
    /// 2: bad arguments, missing files, unreadable configuration.
    UsageError,
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let outcome = match commands::run(cli) {
        Ok(outcome) => outcome,
        // The reader closed our output (`fabula run --json | head`): their choice, not an
        // error worth a message.
        Err(err) if is_broken_pipe(&err) => Outcome::Success,
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            let _ = std::io::Write::write_fmt(&mut stderr, format_args!("error: {err:#}\n"));
            Outcome::UsageError
        }
    };
    match outcome {
        Outcome::Success => ExitCode::SUCCESS,
        Outcome::Findings => ExitCode::from(1),
        Outcome::UsageError => ExitCode::from(2),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
