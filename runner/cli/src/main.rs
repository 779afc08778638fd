//! `fabula`: the command-line front of Fabula. Parses arguments, runs a command, maps
//! the outcome to a documented exit code. The work itself lives in `fabula-core`.

mod args;
mod commands;
mod error;
mod project;
mod render;

pub use error::Outcome;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    init_tracing();
    let outcome = match commands::run(cli) {
        Ok(outcome) => outcome,
        // The reader closed our output (`fabula run --json | head`): their choice, not an
        // error worth a message.
        Err(err) if is_broken_pipe(&err) => Outcome::Success,
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            let _ = std::io::Write::write_fmt(&mut stderr, format_args!("error: {err:#}\n"));
            error::outcome_of(&err)
        }
    };
    ExitCode::from(outcome.code())
}

/// Logs to stderr, off unless `FABULA_LOG` (or `RUST_LOG`) asks: `FABULA_LOG=debug`.
fn init_tracing() {
    let filter = std::env::var("FABULA_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "off".to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
