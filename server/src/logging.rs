//! Logs: `tracing`, written to stderr (stdout carries the protocol), one line per event.
//! `FABULA_LOG` (or `RUST_LOG`) filters them with the usual syntax (`info`, `debug`,
//! `fabula_lsp=debug,salsa=warn`); the default is `info` for the server and `warn` for its
//! libraries, so tower-lsp-server's and salsa's own warnings are seen too.

use tracing_subscriber::EnvFilter;

/// The filter used when neither variable is set.
pub const DEFAULT: &str = "warn,fabula_lsp=info";

/// Installs the stderr subscriber (once; later calls do nothing).
pub fn init() {
    let filter = std::env::var("FABULA_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(true)
        .try_init();
}
