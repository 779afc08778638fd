//! `textDocument/didChange`: queued for the change loop in wire order (by the transport),
//! which applies the edits in order; the publisher then sends the edited file's
//! diagnostics (with its version) and any other file they affect.

use crate::changes::Change;
use crate::ls::Ls;
use tower_lsp_server::ls_types::DidChangeTextDocumentParams;

pub fn handle(ls: &Ls, params: DidChangeTextDocumentParams) {
    let Some(path) = ls.state.path_of(&params.text_document.uri) else {
        return;
    };
    ls.change(Change::Edit {
        path,
        version: params.text_document.version,
        changes: params.content_changes,
    });
}
