//! `initialized`: load every project file from disk and read the results store (both
//! before any request is answered), diagnose every file, start watching the disk.

use crate::server::Ls;
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, _: InitializedParams) {
    let Some(root) = ls.state.root() else {
        crate::log::warn(format_args!(
            "no workspace folder: only open files are checked"
        ));
        ls.state.set_ready();
        return;
    };
    let started = std::time::Instant::now();
    let state_ls = ls.clone();
    // The results are read alongside the files: a hover sent right after `initialize`
    // waits for both, so it never says "no results yet" for a store that has some.
    let (loaded, ()) = tokio::join!(
        tokio::task::spawn_blocking(move || state_ls.state.load_disk(&root)),
        crate::results::reload(ls)
    );
    match loaded {
        Ok(Ok(n)) => crate::log::info(format_args!(
            "loaded {n} files in {} ms",
            started.elapsed().as_millis()
        )),
        Ok(Err(err)) => crate::log::error(format_args!("cannot read the project: {err}")),
        Err(err) => crate::log::error(format_args!("cannot read the project: {err}")),
    }
    ls.state.set_ready();
    crate::publish::refresh(ls, None, ls.state.generation()).await;
    crate::log::info(format_args!(
        "diagnosed the workspace {} ms after initialized",
        started.elapsed().as_millis()
    ));
    crate::results::refresh_lenses(ls).await;
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
        crate::log::warn(format_args!("client refused file watching: {err}"));
    }
}
