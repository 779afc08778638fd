//! `initialized`: the client is ready for the server's messages. Start publishing (the
//! project is being read since `initialize`; every file is diagnosed once it is), watch
//! the disk, and ask the client to watch it too when it can.

use crate::ls::Ls;
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, _: InitializedParams) {
    if ls.state.root().is_none() {
        tracing::warn!("no workspace folder: only open files are checked");
    }
    crate::publish::start(ls);
    crate::watch::start(ls);
    if ls.state.session().watched_files_dynamic {
        register_watchers(ls).await;
    }
}

/// Asks the client to tell us about file changes too (some editors see changes the
/// watcher cannot, e.g. on network folders).
async fn register_watchers(ls: &Arc<Ls>) {
    let watchers = [
        "**/fabula.yaml",
        "**/dataset/**/*.{yaml,yml}",
        "**/results/**/*.json",
    ]
    .iter()
    .map(|g| FileSystemWatcher {
        glob_pattern: GlobPattern::String((*g).into()),
        kind: None,
    })
    .collect();
    let options = DidChangeWatchedFilesRegistrationOptions { watchers };
    let registration = Registration {
        id: "fabula-watch".into(),
        method: "workspace/didChangeWatchedFiles".into(),
        register_options: serde_json::to_value(options).ok(),
    };
    if let Err(err) = ls.client.register_capability(vec![registration]).await {
        tracing::warn!("client refused file watching: {err}");
    }
}
