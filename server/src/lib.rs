//! `fabula-lsp`: the language server. A thin layer over the core (checks, documents) and
//! the engine (scores, runs): salsa keeps the derived data incremental, tower-lsp-server
//! speaks the protocol. `PROTOCOL.md` lists what it offers beyond standard LSP.
//!
//! The shape (rust-analyzer's, ruff's): the transport reads the client's messages in
//! order; changes to documents go to one change loop that owns the inputs; requests read
//! snapshots on blocking threads; one publisher sends diagnostics.
//!
//! The modules form layers, each importing only from those below it (ARCHITECTURE.md
//! draws them): `serve` here and the dispatcher (`server`) at the top; then `handlers`;
//! the services that act for them (`run`, `author`, `ranking`, `publish`, `watch`,
//! `results`); then [`ls::Ls`], the context they are all given; then the change loop
//! (`changes`), the runs in flight (`runs`) and `state`; then `db` and `store`; and at
//! the bottom modules that know nothing of the server (`position`, `protocol`, `ide`,
//! `transport`, `panic`, `logging`).

pub mod author;
pub mod changes;
pub mod db;
pub mod handlers;
pub mod ide;
pub mod logging;
pub mod ls;
pub mod panic;
pub mod position;
pub mod protocol;
pub mod publish;
pub mod ranking;
pub mod results;
pub mod run;
pub mod runs;
pub mod server;
pub mod state;
pub mod store;
pub mod transport;
pub mod watch;

/// Serves the protocol on `input`/`output` until the client says `exit` or the input
/// ends.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite + Unpin,
{
    let (changes_tx, changes_rx) = tokio::sync::mpsc::unbounded_channel();
    let (service, socket, ls) = server::service(changes_tx);
    changes::start(ls.state.clone(), ls.outbox.clone(), changes_rx);
    transport::serve(input, output, service, socket, ls.clone()).await;
    ls.stop();
}
