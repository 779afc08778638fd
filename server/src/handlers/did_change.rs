//! `textDocument/didChange`: apply the edits in order, synchronously, then publish the
//! edited file's diagnostics (with its version) and any other file they affect.

use crate::server::Ls;
use std::sync::Arc;
use tower_lsp_server::ls_types::DidChangeTextDocumentParams;

pub async fn handle(ls: &Arc<Ls>, params: DidChangeTextDocumentParams) {
    let Some(path) = ls.state.path_of(&params.text_document.uri) else {
        return;
    };
    // Before any `.await`: the next change must see this one applied.
    if !ls
        .state
        .change(&path, params.text_document.version, params.content_changes)
    {
        crate::log::warn(format_args!("change to {path}, which is not open: ignored"));
        return;
    }
    // Publishing runs on its own task so that the next change is not held up; it is
    // skipped if another change arrives first.
    let generation = ls.state.generation();
    let ls = ls.clone();
    tokio::spawn(async move { crate::publish::refresh(&ls, Some(path), generation).await });
}
