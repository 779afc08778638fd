//! `textDocument/didOpen`: the editor's text replaces the disk's; diagnose it now.

use crate::server::Ls;
use std::sync::Arc;
use tower_lsp_server::ls_types::DidOpenTextDocumentParams;

pub async fn handle(ls: &Arc<Ls>, params: DidOpenTextDocumentParams) {
    let doc = params.text_document;
    let Some(path) = ls.state.path_of(&doc.uri) else {
        crate::log::warn(format_args!(
            "ignoring non-file document {}",
            doc.uri.as_str()
        ));
        return;
    };
    // Applied before any `.await`: handlers run concurrently, state changes must not.
    ls.state.open(&path, doc.version, doc.text);
    crate::publish::refresh(ls, Some(path), ls.state.generation()).await;
}
