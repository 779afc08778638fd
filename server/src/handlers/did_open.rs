//! `textDocument/didOpen`: the editor's text replaces the disk's. Queued for the change
//! loop in wire order (by the transport); the publisher diagnoses it first.

use crate::changes::Change;
use crate::ls::Ls;
use tower_lsp_server::ls_types::DidOpenTextDocumentParams;

pub fn handle(ls: &Ls, params: DidOpenTextDocumentParams) {
    let doc = params.text_document;
    let Some(path) = ls.state.path_of(&doc.uri) else {
        tracing::warn!("ignoring non-file document {}", doc.uri.as_str());
        return;
    };
    ls.change(Change::Open {
        path,
        version: doc.version,
        text: doc.text,
    });
}
