//! `workspace/didChangeWatchedFiles`: the client saw files change on disk. Handled like
//! the server's own watcher's events.

use crate::ls::Ls;
use tower_lsp_server::ls_types::DidChangeWatchedFilesParams;

pub fn handle(ls: &Ls, params: DidChangeWatchedFilesParams) {
    let paths = params
        .changes
        .iter()
        .filter_map(|c| c.uri.to_file_path().map(|p| p.into_owned()))
        .collect();
    crate::watch::changed(ls, paths);
}
