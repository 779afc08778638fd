//! `textDocument/didClose`: the disk's content counts again.

use crate::server::Ls;
use std::sync::Arc;
use tower_lsp_server::ls_types::DidCloseTextDocumentParams;

pub async fn handle(ls: &Arc<Ls>, params: DidCloseTextDocumentParams) {
    let Some(path) = ls.state.path_of(&params.text_document.uri) else {
        return;
    };
    ls.state.close(&path);
    if !ls.state.paths().contains(&path) {
        crate::publish::clear(ls, &path).await;
    }
    crate::publish::refresh(ls, None, ls.state.generation()).await;
}
