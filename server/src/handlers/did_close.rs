//! `textDocument/didClose`: the disk's content counts again (read by the change loop, off
//! the async threads); a file that is not a project file on disk leaves the project and
//! its diagnostics are cleared.

use crate::changes::Change;
use crate::ls::Ls;
use tower_lsp_server::ls_types::DidCloseTextDocumentParams;

pub fn handle(ls: &Ls, params: DidCloseTextDocumentParams) {
    let Some(path) = ls.state.path_of(&params.text_document.uri) else {
        return;
    };
    ls.change(Change::Close { path });
}
