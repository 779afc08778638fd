//! `fabula-lsp`: the language server. A thin layer over the core (checks, documents) and
//! the engine (scores, runs): salsa keeps the derived data incremental, tower-lsp-server
//! speaks the protocol. `PROTOCOL.md` lists what it offers beyond standard LSP.

pub mod author;
pub mod db;
pub mod handlers;
pub mod ide;
pub mod log;
pub mod position;
pub mod publish;
pub mod results;
pub mod run;
pub mod server;
pub mod state;
pub mod watch;

pub use server::service;

/// Serves the protocol on `input`/`output` until the client says `exit`.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = service();
    tower_lsp_server::Server::new(input, output, socket)
        .serve(service)
        .await;
}
