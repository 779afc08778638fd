//! `fabula-lsp`: Fabula's language server, over stdio.

use std::io::Write;
use std::process::ExitCode;

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
    FABULA_LSP_LOG   error | warn | info (default) | debug; logs go to stderr
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
    fabula_lsp::log::init();
    limit_malloc_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
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
    ExitCode::SUCCESS
}

/// glibc gives threads that allocate at the same time their own malloc arenas, up to eight
/// per core, and each arena keeps what was freed in it. Documents are re-parsed on
/// whichever blocking thread is free, so a long edit session on a large file held two to
/// three times the memory it uses. Two arenas keep that bounded; glibc reads the limit
/// from the environment only at start, hence the one re-exec (same PID, same stdio).
/// `MALLOC_ARENA_MAX` set by the user is respected.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("MALLOC_ARENA_MAX", "2")
            .exec();
        fabula_lsp::log::warn(format_args!(
            "cannot limit malloc arenas ({err}); memory use may be higher"
        ));
    }
}
