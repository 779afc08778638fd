//! `fabula-lsp`: Fabula's language server, over stdio.

use std::io::Write;
use std::process::ExitCode;

// The allocator is jemalloc with one arena, its options compiled in (`.cargo/config.toml`:
// freed pages returned within a second); the editor clients start the server with
// `_RJEM_MALLOC_CONF=narenas:1,dirty_decay_ms:0,muzzy_decay_ms:0,tcache:false` (freed
// pages returned at once, no per-thread caches; the VS Code extension sets it, README
// shows it for Neovim). Documents are built on whichever blocking thread is free and
// freed on another; an allocator that keeps freed memory per thread or per arena holds
// several documents' worth. Peak RSS with the 20,000-line files (`cargo bench -p
// fabula-lsp --bench lsp`, release build), 15-17 MB of it the binary's mapped code: 34-38
// MB as the clients start it, 37-41 MB with the per-thread caches; 53-66 MB with glibc's
// malloc and MALLOC_ARENA_MAX=2, which this replaced; 95-98 MB with jemalloc's defaults;
// 117-139 MB with mimalloc. On Windows (msvc) the system allocator stays.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const HELP: &str = "\
fabula-lsp: the Fabula language server (speaks LSP over stdin/stdout)

USAGE:
    fabula-lsp [--stdio]

Editors start it; you do not run it by hand. It checks fabula.yaml, theories and tasks
as you type (the same checks as `fabula check`), shows scores from results/ in code
lenses and on hover, and runs a task with a model from a code action.

OPTIONS:
    --stdio      Use stdin/stdout (the default and only transport; accepted for clients
                 that pass it)
    --version    Print the version
    --help       Print this help

ENVIRONMENT:
    FABULA_LOG       which logs to write to stderr, e.g. `debug` or
                     `fabula_lsp=debug,salsa=info` (default `warn,fabula_lsp=info`);
                     RUST_LOG is read when FABULA_LOG is not set
    API keys for runs come from the environment or the project's .env file.

See server/PROTOCOL.md for the commands and custom requests it offers.
";

fn main() -> ExitCode {
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--stdio" => {}
            "--version" | "-V" => {
                let _ = writeln!(
                    std::io::stdout(),
                    "fabula-lsp {}",
                    env!("CARGO_PKG_VERSION")
                );
                return ExitCode::SUCCESS;
            }
            "--help" | "-h" => {
                let _ = write!(std::io::stdout(), "{HELP}");
                return ExitCode::SUCCESS;
            }
            other => {
                let _ = writeln!(
                    std::io::stderr(),
                    "fabula-lsp: unknown argument `{other}`; see fabula-lsp --help"
                );
                return ExitCode::from(2);
            }
        }
    }
    fabula_lsp::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Documents are built on blocking threads and freed on others; each thread an
        // allocator serves keeps some of what was freed in it. A few threads keep that
        // bounded (they queue, which the one-writer design makes rare).
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "fabula-lsp: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(fabula_lsp::serve(tokio::io::stdin(), tokio::io::stdout()));
    // A read of stdin may still be pending on a blocking thread (a client that sent
    // `exit` but keeps the pipe open): do not wait for it.
    runtime.shutdown_background();
    ExitCode::SUCCESS
}
